"""Reading input files as text, strictly, with every failure a located one-line InputError.

Crosswalks, schemas, manifests and exports all come from people and pull requests. A missing
file, a folder, unreadable bytes or a wrong encoding must be one line naming the file (and the
line of the first bad byte), never a traceback and never a replacement character.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ctdc_schema.errors import InputError


def read_bytes(path: Path) -> bytes:
    """The file's bytes; a missing file, a folder or an OS error is an InputError."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", path) from None


def decode(raw: bytes, path: Path, encoding: str = "utf-8") -> str:
    """Strictly decoded text (a UTF-8 byte-order mark is dropped); the first undecodable byte
    is an InputError with its line and column."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding '{encoding}'", path) from None
    if name == "utf-8" and raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        return raw.decode(name)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        shown = "UTF-8" if name == "utf-8" else encoding
        raise InputError(f"not valid {shown} (byte 0x{raw[exc.start]:02x}); save the file "
                         f"as {shown}", path, line, column) from None
