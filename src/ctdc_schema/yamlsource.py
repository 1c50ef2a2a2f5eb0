"""Line-accurate YAML reading with the strictness a hand-edited specification needs.

PyYAML (used inside LinkML) resolves YAML 1.1 booleans, keeps the *last* of two duplicate
keys and reports problems as multi-line tracebacks. Stewards editing ``schema/`` and
``crosswalks/`` deserve better, so every YAML file is first read here with ruamel.yaml:

* bytes must be UTF-8 (a BOM is tolerated); anything else is an error with the line of the
  first bad byte;
* syntax errors and duplicate keys become one :class:`~ctdc_schema.errors.InputError` with
  ``file:line:column``;
* an empty file is an error, not ``None``.

These files come from pull requests, so this module is also the one place that refuses what a
specification file has no use for and a hostile one would abuse, each with a finding at the
place (the rules are in :mod:`ctdc_schema.rules.parsing`):

* anchors and aliases (CW005): a few hundred bytes of nested aliases expand to billions of
  nodes, and a list can contain itself; a crosswalk gains nothing from them;
* tags (CW006), ``!!python/object`` or ``!custom``: a safe loader refuses them, so do we;
* more than :data:`MAX_BYTES` bytes, :data:`MAX_DEPTH` levels of nesting or :data:`MAX_NODES`
  nodes (CW007): the largest file of the specification is 67 KB, 8 levels deep, 3,100 nodes;
* a key that is not text, such as a list or a mapping (CW008);
* characters YAML forbids or counts as line breaks where git and editors do not (CW009):
  control characters, NUL, U+0085, U+2028, U+2029, so that every line number is the line an
  editor shows (``\n``, ``\r\n`` and ``\r`` end lines).

The composed node tree keeps every scalar's original text and position; callers that need
"source codes are text" semantics read the text from the nodes rather than the resolved value.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    NodeEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from ctdc_schema import textfiles
from ctdc_schema.errors import InputError, excerpt

#: the limits of one YAML file (rule CW007): about 15 times the largest file of the
#: specification in size, 4 times its depth, 30 times its nodes
MAX_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_NODES = 100_000
#: characters a YAML file may not hold (CW009): C0 controls but tab and line breaks, DEL, C1
#: controls (U+0085 included: YAML reads it as a line break, git does not), the Unicode line
#: and paragraph separators, lone surrogates and the non-characters U+FFFE, U+FFFF
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029"
                       "\ud800-\udfff\ufffe\uffff]")
_NAMES = {"\x00": "a NUL byte", "\x85": "U+0085 (NEXT LINE)",
          "\u2028": "U+2028 (LINE SEPARATOR)", "\u2029": "U+2029 (PARAGRAPH SEPARATOR)"}


def read_text(path: Path) -> str:
    """Read a YAML file as strict UTF-8 within :data:`MAX_BYTES`, refusing the characters of
    :data:`FORBIDDEN`; every failure is a located InputError."""
    try:
        raw = textfiles.read_bytes(path, MAX_BYTES)
    except InputError as exc:
        if "over the limit" in exc.detail:
            raise InputError(exc.detail, path, 1, 1, code="CW007") from None
        raise
    text = textfiles.decode(raw, path)
    bad = FORBIDDEN.search(text)
    if bad is not None:
        char = bad.group()
        name = _NAMES.get(char, f"the control character U+{ord(char):04X}")
        line, column = textfiles.position(text, bad.start())
        raise InputError(f"{name} is not allowed in a YAML file (write it as an escape in a "
                         "double-quoted string)", path, line, column, code="CW009")
    return text


def _scan(text: str, path: Path) -> None:
    """Refuse anchors, aliases and tags, and bound depth and size, from the parser's events:
    before any node tree is built, so that nothing is ever expanded."""
    depth = nodes = 0
    try:
        for event in _yaml().parse(text):
            if not isinstance(event, NodeEvent | CollectionEndEvent):
                continue
            mark = event.start_mark
            where = (mark.line + 1, mark.column + 1)
            if isinstance(event, AliasEvent):
                raise InputError(f"alias '*{excerpt(str(event.anchor), 30)}': anchors and "
                                 "aliases are not allowed; write the value out", path, *where,
                                 code="CW005")
            anchor = getattr(event, "anchor", None)
            if anchor:
                raise InputError(f"anchor '&{excerpt(str(anchor), 30)}': anchors and "
                                 "aliases are not allowed; write the value out", path, *where,
                                 code="CW005")
            tag = getattr(event, "tag", None)
            if tag:
                raise InputError(f"tag '{excerpt(str(tag), 40)}': tags are not allowed (quote "
                                 "the value to make it text)", path, *where, code="CW006")
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise InputError(f"nested more than {MAX_DEPTH} levels deep", path, *where,
                                     code="CW007")
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            nodes += 1
            if nodes > MAX_NODES:
                raise InputError(f"more than {MAX_NODES:,} values", path, *where, code="CW007")
    except YAMLError:
        return  # a syntax error: composing reports it with its position


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
    bad = FORBIDDEN.search(text)
    if bad is not None:  # text that did not come through read_text
        line, column = textfiles.position(text, bad.start())
        raise InputError(f"the control character U+{ord(bad.group()):04X} is not allowed in "
                         "a YAML file", path, line, column, code="CW009")
    _scan(text, path)
    try:
        node: Node | None = _yaml().compose(text)
    except YAMLError as exc:
        raise _located(exc, path) from None
    if node is None:
        raise InputError("file holds no YAML document (only comments?)", path, 1, 1)
    _check_duplicates(node, path)
    return node


def _check_duplicates(node: Node, path: Path) -> None:
    """Duplicate keys, and keys that are not text (a list or a mapping as a key)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, MappingNode):
            seen: dict[str, int] = {}
            for key, value in current.value:
                if not isinstance(key, ScalarNode):
                    kind = "mapping" if isinstance(key, MappingNode) else "list"
                    raise InputError(f"a {kind} is used as a key; keys must be text", path,
                                     key.start_mark.line + 1, key.start_mark.column + 1,
                                     code="CW008")
                text = str(key.value)
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
