"""Write files so that a reader never sees half of one.

Every output of the toolkit goes through :func:`write_bytes`: the content lands in a temporary
file in the target directory and is renamed over the destination, which is atomic on POSIX and
Windows for files on one filesystem. An interrupted run leaves the old file, never a torn one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ctdc_schema.errors import UsageError


def write_bytes(path: Path, content: bytes) -> None:
    """Atomically replace ``path`` with ``content`` (creating parent folders)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Atomically write UTF-8 text with ``\\n`` line endings on every platform."""
    write_bytes(path, text.encode("utf-8"))


def refuse_overwrite(output: Path, inputs: Iterable[Path | str],
                     folder: bool = False) -> None:
    """A usage error when ``output`` is (a link to) one of ``inputs``, or a folder where a
    file is expected (``folder``: the output is a folder): an output must never replace what
    the run reads."""
    if output.is_dir() and not folder:
        raise UsageError(f"cannot write {output}: it is a folder")
    target = os.path.realpath(output)  # never raises, not even on a link loop
    for item in inputs:
        if os.path.realpath(item) == target:
            raise UsageError(f"-o {output} is one of the files being read; choose another "
                             "name")
