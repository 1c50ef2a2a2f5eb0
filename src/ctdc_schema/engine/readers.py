"""Open an export as a DuckDB view of text columns, losing no row and inventing no character.

Every reader defines the same shape, a view ``src`` with columns ``c0, c1, ...`` (all text, in
the export's column order) and ``__row``, the row number a spreadsheet shows (the header is row
1; for JSON Lines and Parquet, which have no header, the record's line or position). The
export's own column names stay in Python (:class:`Opened`); they never reach SQL text, and
neither does the file's path (it travels in a DuckDB variable).

``src`` is a *view*: the file is streamed each time a query reads it, so memory does not grow
with the file. The engine reads it twice (distinct cells first, then rows), and between the two
calls :func:`finish`, which learns from the first scan which rows were rejected, renumbers the
rows around them and reconciles the count with the file.

CSV and TSV are read by DuckDB with an explicit dialect and auto-detection off: the delimiter
comes from ``--delimiter``, else the crosswalk's ``export`` block, else a sniff of the first
lines that must agree with the header. Rows DuckDB cannot read (too few or too many fields,
bytes that are not the declared encoding, an unclosed quote) are kept as :class:`Rejected`
rows, never dropped and never repaired with a replacement character, and the row count is
reconciled with the file so that no row can vanish. XLSX is read with fastexcel (Arrow, no
download at run time), JSON Lines and Parquet by DuckDB.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdc_schema.errors import InputError, excerpt

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl",
           ".ndjson": "jsonl", ".parquet": "parquet"}
#: how much of a delimited file the header read and the sniff look at
HEAD_BYTES = 1 << 20
#: bytes read at a time when counting the records of a file
CHUNK_BYTES = 1 << 24
SNIFF_DELIMITERS = ",;\t|"
#: the longest line DuckDB reads (a longer one is a rejected row, not a memory spike)
MAX_LINE_BYTES = 1 << 21
#: delimited files up to this size are read into memory once (see :func:`materialize_bytes`)
MATERIALIZE_BYTES = 256 << 20
#: the most columns an export may have (the CTDC release has 64)
MAX_COLUMNS = 4096
#: the most bytes an .xlsx may unpack to, and the most it may unpack per byte stored (a
#: workbook of ordinary data unpacks about 5 to 20 times; a zip bomb thousands of times)
MAX_XLSX_UNPACKED = 1 << 30
MAX_XLSX_RATIO = 200


@dataclass(frozen=True)
class Rejected:
    """A row the reader could not read: where it is and why (never its full text)."""

    row: int
    kind: str  # "fields" | "encoding" | "quote" | "json" | "size"
    message: str


@dataclass
class Opened:
    """An export opened as view ``src``; ``rows`` and ``rejected`` are known after
    :func:`finish`."""

    path: Path
    header: list[str]
    kind: str
    rows: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    finished: bool = False
    #: how the CSV was read (codec, delimiter, quote), for the reconciliation
    dialect: tuple[str, str, str] | None = None
    #: the file's line breaks, counted in a thread while DuckDB reads it
    line_count: Future[tuple[int, bytes]] | None = None
    #: the relation holding the rows read and the expression numbering them from 1
    numbering: tuple[str, str] = ("src_raw", "ROW_NUMBER() OVER ()")

    @property
    def columns(self) -> dict[str, str]:
        """Export column name -> its column in ``src``."""
        return {name: f"c{i}" for i, name in enumerate(self.header)}


def file_format(path: Path, declared: str | None = None) -> str:
    suffix = path.suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    if declared:
        return declared
    raise InputError(f"cannot tell the format of '{excerpt(path.name)}': name it .csv, .tsv, "
                     ".xlsx, .jsonl or .parquet", path)


def check_file(path: Path) -> int:
    """The size of ``path``, or the one-line reason it cannot be an export."""
    if not path.exists():
        raise InputError("file not found", path)
    if path.is_dir():
        raise InputError("is a directory, not a file", path)
    if not path.is_file():
        raise InputError("is not a regular file", path)
    size = path.stat().st_size
    if size == 0:
        raise InputError("file is empty", path, 1)
    return size


def _one_line(exc: BaseException, limit: int = 160) -> str:
    return excerpt(" ".join(str(exc).split()), limit)


def _set_path(con: Any, path: Path) -> None:
    """The file's path as a DuckDB variable: views read it without it entering SQL text."""
    con.execute("SET VARIABLE src_path = ?", [str(path)])


def _check_header(path: Path, header: list[str]) -> list[str]:
    if not header or header == [""]:
        raise InputError("the first row (the header) is empty", path, 1)
    if len(header) > MAX_COLUMNS:
        raise InputError(f"the header has {len(header):,} columns, over the limit of "
                         f"{MAX_COLUMNS:,}", path, 1)
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name in seen:
            raise InputError(f"duplicate column name '{excerpt(name)}' (columns {seen[name]} "
                             f"and {position})", path, 1)
        seen[name] = position
    return header


# -- CSV / TSV ------------------------------------------------------------------------------------
def _encoding(head: bytes, declared: str | None) -> tuple[str, int]:
    """(codec for DuckDB, bytes of byte-order mark): a BOM wins over the declaration."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", 2
    try:
        name = codecs.lookup(declared or "utf-8").name
    except LookupError:
        name = ""
    if name in ("utf-8", "utf-16", "latin-1", "iso8859-1"):
        return {"iso8859-1": "latin-1"}.get(name, name), 0
    raise InputError(f"encoding '{excerpt(declared or '')}' is not supported (utf-8, utf-16, "
                     "latin-1)")


def _decode_head(head: bytes, codec: str, bom: int) -> str:
    """The first bytes as text, a partial last character or line dropped."""
    if codec == "utf-16":
        return head.decode("utf-16", errors="ignore")
    return head[bom:].decode(codec, errors="ignore")


def sniff(head: str) -> str:
    """The delimiter of a delimited text: the candidate that splits the first lines evenly."""
    lines = [line for line in head.splitlines()[:20] if line.strip()]
    best, best_fields = ",", 0
    for candidate in SNIFF_DELIMITERS:
        counts = {len(row) for row in csv.reader(lines, delimiter=candidate)}
        if len(counts) == 1:
            (fields,) = counts
            if fields > best_fields:
                best, best_fields = candidate, fields
    return best


def _csv_header(path: Path, head: bytes, codec: str, bom: int, delimiter: str,
                quote: str) -> list[str]:
    if codec != "utf-16":
        first = head[bom:].split(b"\n", 1)[0]
        try:
            first.decode(codec)
        except UnicodeDecodeError as exc:
            raise InputError(f"the header is not valid {codec} (byte 0x{first[exc.start]:02x})",
                             path, 1) from None
    text = _decode_head(head, codec, bom)
    if "\x00" in text.split("\n", 1)[0]:
        raise InputError("not a text file (NUL bytes in the header): is it binary, or UTF-16 "
                         "without a byte-order mark?", path, 1)
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                                 quotechar=quote))
    except (StopIteration, csv.Error) as exc:
        raise InputError(f"cannot read the header row: {excerpt(str(exc), 80)}", path,
                         1) from None
    return _check_header(path, header)


def open_csv(con: Any, path: Path, delimiter: str | None, encoding: str | None,
             quote: str = '"', materialize: bool = True) -> Opened:
    """A delimited file as view ``src``. ``materialize``: read a file that fits in memory
    once into a table (for commands that read the rows twice, such as ``transform``)."""
    size = check_file(path)
    with path.open("rb") as handle:
        head = handle.read(min(size, HEAD_BYTES))
    codec, bom = _encoding(head, encoding)
    chosen = delimiter or sniff(_decode_head(head, codec, bom))
    if len(chosen) != 1 or chosen in "\r\n" or chosen == quote:
        raise InputError(f"the delimiter must be one character other than a quote or a line "
                         f"break, not '{excerpt(chosen)}'", path)
    if size > HEAD_BYTES and b"\n" not in head:
        raise InputError(f"the header is longer than {HEAD_BYTES:,} bytes", path, 1)
    header = _csv_header(path, head, codec, bom, chosen, quote)
    columns = {f"c{i}": "VARCHAR" for i in range(len(header))}
    _set_path(con, path)
    con.execute("SET VARIABLE src_csv = ?", [[chosen, quote, codec]])
    con.execute("SET VARIABLE src_columns = ?", [columns])
    con.execute("DROP TABLE IF EXISTS reject_errors")
    con.execute("DROP TABLE IF EXISTS reject_scans")
    # every option explicit: DuckDB's detection once read a ragged file as zero rows
    con.execute(
        "CREATE OR REPLACE TEMP VIEW src_raw AS SELECT * FROM read_csv(getvariable('src_path'), "
        "auto_detect = false, header = true, delim = getvariable('src_csv')[1], "
        "quote = getvariable('src_csv')[2], escape = getvariable('src_csv')[2], "
        "encoding = getvariable('src_csv')[3], columns = getvariable('src_columns'), "
        "store_rejects = true, strict_mode = true, null_padding = false, "
        f"force_not_null = {list(columns)!r}, max_line_size = {MAX_LINE_BYTES}, "
        "parallel = true)")
    opened = Opened(path, header, "csv", dialect=(codec, chosen, quote))
    if codec != "utf-16":
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ctdc-count")
        opened.line_count = pool.submit(_line_breaks, path)
        pool.shutdown(wait=False)  # the thread ends with the count
    if materialize and size <= materialize_bytes():
        # read once into memory: the rows keep their file order as rowid, which numbers
        # them without a window (a window would run the rest of the query on one thread)
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE src_table AS SELECT * FROM src_raw")
        except Exception as exc:
            raise InputError(f"cannot read the file: {_one_line(exc)}", path) from None
        opened.numbering = ("src_table", "rowid + 1")
        (rows,) = con.execute("SELECT COUNT(*) FROM src_table").fetchone()
        _define_rows(con, opened.numbering)
        _finish_csv(con, opened, int(rows))
        opened.finished = True
    else:
        _define_rows(con, opened.numbering)
    return opened


def materialize_bytes() -> int:
    """Delimited files up to this size are read into memory once; larger ones are streamed
    twice (memory stays bounded). ``CTDC_MATERIALIZE_BYTES`` overrides (0: always stream)."""
    return int(os.environ.get("CTDC_MATERIALIZE_BYTES", MATERIALIZE_BYTES))


def _define_rows(con: Any, numbering: tuple[str, str]) -> None:
    """View ``src``: the rows read, each numbered as a spreadsheet numbers it."""
    relation, number = numbering
    con.execute(f"CREATE OR REPLACE TEMP VIEW src AS SELECT *, CAST({number} + 1 AS BIGINT) "
                f"AS __row FROM {relation}")


def _reject_kind(error_type: str) -> str:
    kind = str(error_type).upper()
    if "ENCODING" in kind or "UNICODE" in kind:
        return "encoding"
    if "QUOTE" in kind:
        return "quote"
    if "LINE SIZE" in kind:
        return "size"
    return "fields"


_REJECT_MESSAGES = {
    "fields": "not as many fields as the header ({message})",
    "encoding": "bytes that are not valid {codec}",
    "quote": "a quoted field that is never closed",
    "size": "a line longer than {limit:,} bytes",
}


def _finish_csv(con: Any, opened: Opened, rows: int) -> None:
    assert opened.dialect is not None
    codec, _, quote = opened.dialect
    found: dict[int, Rejected] = {}
    # DuckDB creates the table when a scan stored a reject; the count below still checks
    logged = con.execute("SELECT COUNT(*) FROM duckdb_tables() "
                         "WHERE table_name = 'reject_errors'").fetchone()[0]
    for line, error_type, message in con.execute(
            "SELECT line, error_type, error_message FROM reject_errors ORDER BY line, column_idx"
    ).fetchall() if logged else []:
        kind = _reject_kind(error_type)
        if int(line) not in found:
            text = _REJECT_MESSAGES.get(kind, "{message}").format(
                codec=codec, message=excerpt(" ".join(str(message).split()), 120),
                limit=MAX_LINE_BYTES)
            found[int(line)] = Rejected(int(line), kind, text)
    opened.rows = rows
    breaks = opened.line_count.result() if opened.line_count else None
    records = count_records(opened.path, codec, quote, expected=rows + len(found),
                            breaks=breaks)
    if records is not None and records != rows + len(found):
        # DuckDB drops a line over its size limit without logging it: find such lines
        for line in _long_lines(opened.path, MAX_LINE_BYTES):
            found.setdefault(line, Rejected(line, "size", _REJECT_MESSAGES["size"].format(
                limit=MAX_LINE_BYTES)))
    opened.rejected = [found[line] for line in sorted(found)]
    if records is not None and records != rows + len(opened.rejected):
        raise InputError(f"read {rows} rows and rejected {len(opened.rejected)}, but the file "
                         f"holds {records}: some rows could not be accounted for", opened.path)
    if opened.rejected:
        # the n-th row read is row n + 1 + (rejected rows before it): an ASOF join on the
        # number of rows read before each rejected one
        con.execute("SET VARIABLE src_skips = ?", [[r.row for r in opened.rejected]])
        relation, number = opened.numbering
        con.execute(f"""
            CREATE OR REPLACE TEMP VIEW src AS
            WITH r AS (SELECT *, {number} AS __n FROM {relation}),
                 s AS (SELECT line - k - 1 AS before, MAX(k) AS k FROM (
                        SELECT line, ROW_NUMBER() OVER (ORDER BY line) AS k
                        FROM (SELECT UNNEST(getvariable('src_skips')) AS line))
                       GROUP BY before)
            SELECT r.* EXCLUDE (__n), CAST(r.__n + 1 + COALESCE(s.k, 0) AS BIGINT) AS __row
            FROM r ASOF LEFT JOIN s ON r.__n > s.before ORDER BY r.__n""")


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def _long_lines(path: Path, limit: int) -> list[int]:
    """The numbers of the lines longer than ``limit`` bytes, read in chunks."""
    found, line, length = [], 1, 0
    for chunk in _chunks(path):
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            length += (len(chunk) if end < 0 else end) - start
            if end < 0:
                break
            if length > limit:
                found.append(line)
            line, length, start = line + 1, 0, end + 1
    if length > limit:
        found.append(line)
    return found


def _line_breaks(path: Path) -> tuple[int, bytes]:
    """(line breaks, last byte) of a file, read in chunks."""
    breaks, last = 0, b"\n"
    for chunk in _chunks(path):
        breaks += chunk.count(b"\n")
        last = chunk[-1:]
    return breaks, last


def count_records(path: Path, codec: str, quote: str, expected: int | None = None,
                  breaks: tuple[int, bytes] | None = None) -> int | None:
    """Data records of a delimited file, counted independently of DuckDB, streaming: line
    breaks (``breaks``, when already counted), unless that disagrees with ``expected`` (then
    quote-aware, as quoted fields may hold line breaks). None for UTF-16, which is counted
    by DuckDB alone."""
    if codec == "utf-16":
        return None
    count, last = breaks if breaks is not None else _line_breaks(path)
    lines = count + (0 if last == b"\n" else 1)
    if expected is None or lines - 1 == expected:
        return lines - 1
    return _count_quoted(path, quote.encode(codec))


def _count_quoted(path: Path, quote: bytes) -> int:
    """Records, with line breaks inside quoted fields not counted (quote state across chunks;
    an escaped quote is two quotes, which toggles twice)."""
    inside, records, last = False, 0, b"\n"
    for chunk in _chunks(path):
        if not inside and quote not in chunk:
            records += chunk.count(b"\n")
        else:
            for index, piece in enumerate(chunk.split(quote)):
                if index:
                    inside = not inside
                if not inside:
                    records += piece.count(b"\n")
        last = chunk[-1:]
    return records + (0 if last == b"\n" else 1) - 1


# -- XLSX, JSON Lines, Parquet --------------------------------------------------------------------
def _check_zip(path: Path) -> None:
    """Refuse a workbook that is not a zip or would unpack past the limits (a zip bomb)
    before any of it is unpacked."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"not a readable .xlsx workbook (not a zip archive: {_one_line(exc)})",
                         path) from None
    unpacked = sum(entry.file_size for entry in entries)
    stored = max(sum(entry.compress_size for entry in entries), 1)
    if unpacked > MAX_XLSX_UNPACKED or unpacked > MAX_XLSX_RATIO * stored:
        raise InputError(f"the workbook unpacks to {unpacked:,} bytes from {stored:,}: over "
                         f"the limits ({MAX_XLSX_UNPACKED:,} bytes, {MAX_XLSX_RATIO} times)",
                         path)


def open_xlsx(con: Any, path: Path) -> Opened:
    """The first sheet of a workbook, every cell as the text Excel shows (fastexcel)."""
    check_file(path)
    _check_zip(path)
    import fastexcel
    import pyarrow as pa

    try:
        reader = fastexcel.read_excel(str(path))
        sheet = reader.load_sheet(0, header_row=None, dtypes="string")
        table = sheet.to_arrow()
    except Exception as exc:  # not a workbook (a CSV named .xlsx, a broken zip ...)
        raise InputError(f"not a readable .xlsx workbook: {_one_line(exc, 120)}",
                         path) from None
    if table.num_rows == 0:
        raise InputError("the workbook's first sheet is empty", path, 1)
    first = table.slice(0, 1).to_pylist()[0]
    header = _check_header(path, ["" if first[name] is None else str(first[name])
                                  for name in table.column_names])
    body = table.slice(1)
    renamed = pa.table({f"c{i}": body.column(i).cast(pa.string()) for i in range(len(header))})
    rows = pa.array(range(2, body.num_rows + 2), type=pa.int64())
    con.register("src_xlsx", renamed.append_column("__row", rows))
    con.execute("CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM src_xlsx")
    return Opened(path, header, "xlsx")


def open_jsonl(con: Any, path: Path) -> Opened:
    """One JSON object per line; a line that is not one is rejected (its line number kept).
    The columns are the keys of the objects, in order of first appearance."""
    check_file(path)
    _set_path(con, path)
    con.execute(
        "CREATE OR REPLACE TEMP VIEW src_lines AS SELECT json, "
        "CAST(ROW_NUMBER() OVER () AS BIGINT) AS __row FROM read_json_objects("
        "getvariable('src_path'), format = 'newline_delimited', ignore_errors = true, "
        f"maximum_object_size = {MAX_LINE_BYTES})")
    try:
        keys = [str(k) for (k,) in con.execute(
            "SELECT key FROM (SELECT UNNEST(json_keys(json)) AS key, MIN(__row) AS first "
            "FROM src_lines WHERE json_type(json) = 'OBJECT' GROUP BY key) "
            "ORDER BY first, key LIMIT ?", [MAX_COLUMNS + 1]).fetchall()]
    except Exception as exc:
        if "maximum_object_size" in str(exc):
            raise InputError(f"a line is longer than the limit of {MAX_LINE_BYTES:,} bytes",
                             path) from None
        raise InputError(f"cannot read JSON Lines: {_one_line(exc)}", path) from None
    if not keys:
        raise InputError("no line is a JSON object with keys", path, 1)
    if len(keys) > MAX_COLUMNS:
        raise InputError(f"the objects have more than {MAX_COLUMNS} different keys", path)
    paths = ['$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"' for key in keys]
    con.execute("SET VARIABLE src_keys = ?", [paths])
    select = ", ".join(f"json_extract_string(json, getvariable('src_keys')[{i + 1}]) AS c{i}"
                       for i in range(len(keys)))
    # a value that is a list or an object is not a cell: its line is rejected
    nested = " OR ".join(f"json_type(json, getvariable('src_keys')[{i + 1}]) IN "
                         "('OBJECT', 'ARRAY')" for i in range(len(keys)))
    con.execute(f"CREATE OR REPLACE TEMP VIEW src_json AS SELECT json, __row, "
                f"json_type(json) = 'OBJECT' AND NOT COALESCE({nested}, FALSE) AS __flat "
                "FROM src_lines")
    con.execute(f"CREATE OR REPLACE TEMP VIEW src AS SELECT {select}, __row FROM src_json "
                "WHERE __flat")
    return Opened(path, keys, "jsonl")


def _finish_jsonl(con: Any, opened: Opened, rows: int) -> None:
    opened.rows = rows
    opened.rejected = [
        Rejected(int(row), "json", "not a JSON object" if not whole else
                 "a value is a list or an object, not text, a number or a boolean")
        for row, whole in con.execute(
            "SELECT __row, json_type(json) = 'OBJECT' FROM src_json "
            "WHERE json IS NULL OR NOT __flat ORDER BY __row").fetchall()]


def open_parquet(con: Any, path: Path) -> Opened:
    """A Parquet file, every column cast to text; ``__row`` is the record's position."""
    check_file(path)
    _set_path(con, path)
    try:
        described = con.execute(
            "DESCRIBE SELECT * FROM read_parquet(getvariable('src_path'))").fetchall()
        header = _check_header(path, [str(row[0]) for row in described])
        names = ", ".join(f"c{i}" for i in range(len(header)))
        # the reader's own row number: no window, which would run the query on one thread
        con.execute(f"CREATE OR REPLACE TEMP VIEW src AS SELECT * EXCLUDE (__n), "
                    f"CAST(__n + 1 AS BIGINT) AS __row FROM (SELECT CAST(COLUMNS("
                    f"* EXCLUDE (file_row_number)) AS VARCHAR), file_row_number FROM "
                    f"read_parquet(getvariable('src_path'), file_row_number = true)) "
                    f"AS t({names}, __n)")
    except InputError:
        raise
    except Exception as exc:  # not Parquet, or unreadable: one located line
        raise InputError(f"not a readable Parquet file: {_one_line(exc)}", path) from None
    return Opened(path, header, "parquet")


# -- all formats ----------------------------------------------------------------------------------
def open_export(con: Any, path: Path, delimiter: str | None = None,
                encoding: str | None = None, declared_format: str | None = None,
                quote: str | None = None, default_delimiter: str | None = None,
                materialize: bool = True) -> Opened:
    """Define view ``src`` over ``path`` (see the module docstring). The delimiter is
    ``delimiter`` (``--delimiter``), else a tab for ``.tsv``, else ``default_delimiter`` (the
    crosswalk's export contract), else sniffed."""
    kind = file_format(path, declared_format)
    if kind == "csv":
        if delimiter is None and path.suffix.lower() == ".tsv":
            delimiter = "\t"
        return open_csv(con, path, delimiter or default_delimiter, encoding, quote or '"',
                        materialize)
    if kind == "xlsx":
        return open_xlsx(con, path)
    if kind == "jsonl":
        return open_jsonl(con, path)
    return open_parquet(con, path)


def open_with_contract(con: Any, path: Path, contract: Any, delimiter: str | None = None,
                       materialize: bool = True) -> Opened:
    """:func:`open_export` with the settings of a crosswalk's ``export`` block."""
    return open_export(con, path, delimiter, contract.encoding if contract else None,
                       str(contract.file_format) if contract and contract.file_format else None,
                       default_delimiter=contract.delimiter if contract else None,
                       materialize=materialize)


def finish(con: Any, opened: Opened, rows: int) -> None:
    """After the first scan of ``src`` (which read ``rows`` rows): collect the rejected rows,
    number the rows around them, and check that every row of the file is accounted for."""
    if opened.finished:
        return
    if opened.kind == "csv":
        _finish_csv(con, opened, rows)
    elif opened.kind == "jsonl":
        _finish_jsonl(con, opened, rows)
    else:
        opened.rows = rows
    opened.finished = True


def read_all(con: Any, opened: Opened) -> None:
    """:func:`finish` for callers that do not scan ``src`` themselves."""
    (rows,) = con.execute("SELECT COUNT(*) FROM src").fetchone()
    finish(con, opened, int(rows))
