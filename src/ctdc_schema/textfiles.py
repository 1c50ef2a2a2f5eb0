"""Reading input files as text, strictly, with every failure a located one-line InputError.

Crosswalks, schemas, manifests and exports all come from people and pull requests. A missing
file, a folder, a device or pipe, a file over the size limit, unreadable bytes or a wrong
encoding must be one line naming the file (and the line of the first bad byte), never a
traceback, never a read without end and never a replacement character.

Positions count lines as git and editors do: ``\\n``, ``\\r\\n`` and a lone ``\\r`` each end
a line, nothing else does.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from pathlib import Path

from ctdc_schema.errors import InputError

_BREAKS = re.compile(r"\r\n|\r|\n")
_BYTE_BREAKS = re.compile(rb"\r\n|\r|\n")


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file; a missing file, a folder, a device or pipe, a file larger
    than ``limit`` bytes or an OS error is an InputError. Never reads more than ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError("file not found", path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", path) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError("is a directory, not a file", path)
        if not stat.S_ISREG(info.st_mode):
            raise InputError("is not a regular file (a device, pipe or socket)", path)
        if limit is not None and info.st_size > limit:
            raise InputError(f"is {info.st_size:,} bytes, over the limit of {limit:,}", path)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read() if limit is None else handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", path) from None
    finally:
        os.close(fd)
    if limit is not None and len(data) > limit:  # grew while being read
        raise InputError(f"is over the limit of {limit:,} bytes", path)
    return data


def position(text: str, offset: int) -> tuple[int, int]:
    """(line, column), both from 1, of character ``offset`` of ``text``."""
    line, start = 1, 0
    for match in _BREAKS.finditer(text, 0, offset):
        line += 1
        start = match.end()
    return line, offset - start + 1


def byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """(line, column in characters of the valid text before it) of byte ``offset``."""
    line, start = 1, 0
    for match in _BYTE_BREAKS.finditer(raw, 0, offset):
        line += 1
        start = match.end()
    return line, len(raw[start:offset].decode("utf-8", errors="replace")) + 1


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
        line, column = byte_position(raw, exc.start)
        shown = "UTF-8" if name == "utf-8" else encoding
        raise InputError(f"not valid {shown} (byte 0x{raw[exc.start]:02x}); save the file "
                         f"as {shown}", path, line, column) from None
