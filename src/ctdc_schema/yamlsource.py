"""Line-accurate YAML reading with the strictness a hand-edited specification needs.

PyYAML (used inside LinkML) resolves YAML 1.1 booleans, keeps the *last* of two duplicate
keys and reports problems as multi-line tracebacks. Stewards editing ``schema/`` and
``crosswalks/`` deserve better, so every YAML file is first read here with ruamel.yaml:

* bytes must be UTF-8 (a BOM is tolerated); anything else is an error with the line of the
  first bad byte;
* syntax errors and duplicate keys become one :class:`~ctdc_schema.errors.InputError` with
  ``file:line:column``;
* an empty file is an error, not ``None``.

The composed node tree keeps every scalar's original text and position; callers that need
"source codes are text" semantics read the text from the nodes rather than the resolved value.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node

from ctdc_schema import textfiles
from ctdc_schema.errors import InputError


def read_text(path: Path) -> str:
    """Read a text file as strict UTF-8, turning every failure into a located InputError."""
    text = textfiles.decode(textfiles.read_bytes(path), path)
    if "\x00" in text:
        raise InputError("contains NUL bytes; this is not a text file", path)
    return text


def _yaml() -> YAML:
    # typ="safe" composes with libyaml (ruamel.yaml.clib) when installed: ~10x faster than the
    # pure-Python round-trip composer, same marks. Duplicate keys are checked on the nodes.
    return YAML(typ="safe")


def _located(exc: YAMLError, path: Path) -> InputError:
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        problem = " ".join(problem.split())
        if mark is not None:
            return InputError(f"YAML syntax error: {problem}", path, mark.line + 1, mark.column + 1)
        return InputError(f"YAML syntax error: {problem}", path)
    return InputError(f"YAML error: {' '.join(str(exc).split())}", path)


def compose(path: Path, text: str | None = None) -> Node:
    """Parse ``path`` into a ruamel node tree (positions and original scalar text kept).

    Duplicate keys are detected here as well, because composing alone does not check them.
    Results are cached per file version: schema modules are read by several checks, and
    ruamel's pure-Python composer is the slowest step of a validation run. Treat the returned
    tree as read-only.
    """
    if text is None:
        try:
            stat = path.stat()
        except OSError:
            read_text(path)  # raises the located InputError
            raise
        return _compose_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)
    return _compose_text(path, text)


@functools.lru_cache(maxsize=64)
def _compose_cached(path: Path, mtime_ns: int, size: int) -> Node:
    return _compose_text(path, read_text(path))


def _compose_text(path: Path, text: str) -> Node:
    if not text.strip():
        raise InputError("file is empty", path, 1, 1)
    try:
        node: Node | None = _yaml().compose(text)
    except YAMLError as exc:
        raise _located(exc, path) from None
    if node is None:
        raise InputError("file holds no YAML document (only comments?)", path, 1, 1)
    _check_duplicates(node, path)
    return node


def _check_duplicates(node: Node, path: Path) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, MappingNode):
            seen: dict[str, int] = {}
            for key, value in current.value:
                text = key.value if isinstance(key.value, str) else repr(key.value)
                if text in seen:
                    raise InputError(
                        f"duplicate key '{text}' (first defined on line {seen[text]}); "
                        "each key may appear once",
                        path, key.start_mark.line + 1, key.start_mark.column + 1,
                    )
                seen[text] = key.start_mark.line + 1
                stack.append(value)
        elif isinstance(current.value, list):
            stack.extend(current.value)


def load(path: Path) -> Any:
    """Load ``path`` as plain Python data after the strict checks of :func:`compose`."""
    text = read_text(path)
    compose(path, text)
    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:  # pragma: no cover - compose() already parsed the same text
        raise _located(exc, path) from None
