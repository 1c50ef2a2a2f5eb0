"""Open an export as a DuckDB table of text columns, losing no row and inventing no character.

Every reader produces the same shape, a table ``src`` with columns ``c0, c1, ...`` (all text,
in the export's column order) and ``__row``, the row number a spreadsheet shows (the header is
row 1; for JSON Lines and Parquet, which have no header, the record's line or position). The
export's own column names stay in Python (:class:`Opened`); they never reach SQL text.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdc_schema.errors import InputError

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl",
           ".ndjson": "jsonl", ".parquet": "parquet"}
#: how much of a delimited file the header read and the sniff look at
HEAD_BYTES = 1 << 20
SNIFF_DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class Rejected:
    """A row the reader could not read: where it is and why (never its full text)."""

    row: int
    kind: str  # "fields" | "encoding" | "quote" | "json"
    message: str


@dataclass
class Opened:
    """An export opened as table ``src``."""

    path: Path
    header: list[str]
    rows: int  # rows read into src
    rejected: list[Rejected] = field(default_factory=list)

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
    raise InputError(f"cannot tell the format of '{path.name}': name it .csv, .tsv, .xlsx, "
                     ".jsonl or .parquet", path)


def _check_file(path: Path) -> int:
    if not path.exists():
        raise InputError("file not found", path)
    if path.is_dir():
        raise InputError("is a directory, not a file", path)
    size = path.stat().st_size
    if size == 0:
        raise InputError("file is empty", path, 1)
    return size


def _encoding(head: bytes, declared: str | None) -> tuple[str, int]:
    """(codec for DuckDB, bytes of byte-order mark): a BOM wins over the declaration."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", 2
    name = codecs.lookup(declared or "utf-8").name
    if name in ("utf-8", "utf-16", "latin-1", "iso8859-1"):
        return {"iso8859-1": "latin-1"}.get(name, name), 0
    raise InputError(f"encoding '{declared}' is not supported (utf-8, utf-16, latin-1)")


def _header(path: Path, head: bytes, encoding: str, bom: int, delimiter: str) -> list[str]:
    text = head[bom:].decode("utf-16" if encoding == "utf-16" else encoding, errors="strict") \
        if encoding != "utf-16" else head.decode("utf-16")
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except (StopIteration, csv.Error) as exc:
        raise InputError(f"cannot read the header row: {exc}", path, 1) from None
    if not header or header == [""]:
        raise InputError("the first row (the header) is empty", path, 1)
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name in seen:
            raise InputError(f"duplicate column name '{_excerpt(name)}' (columns {seen[name]} "
                             f"and {position})", path, 1)
        seen[name] = position
    return header


def _excerpt(text: str, limit: int = 40) -> str:
    """A short, escaped excerpt of input text for a message."""
    shown = text.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= limit else shown[:limit] + "..."


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


def open_csv(con: Any, path: Path, delimiter: str | None, encoding: str | None,
             quote: str = '"') -> Opened:
    size = _check_file(path)
    with path.open("rb") as handle:
        head = handle.read(min(size, HEAD_BYTES))
    codec, bom = _encoding(head, encoding)
    try:
        head_text = head[bom:].decode("utf-16" if codec == "utf-16" else codec, errors="ignore") \
            if codec != "utf-16" else head.decode("utf-16", errors="ignore")
    except UnicodeDecodeError:
        head_text = ""
    chosen = delimiter or sniff(head_text)
    if len(chosen) != 1:
        raise InputError(f"the delimiter must be one character, not '{_excerpt(chosen)}'", path)
    try:
        header = _header(path, head, codec, bom, chosen)
    except UnicodeDecodeError as exc:
        raise InputError(f"the header is not valid {codec} (byte 0x{head[exc.start]:02x})",
                         path, 1) from None
    columns = {f"c{i}": "VARCHAR" for i in range(len(header))}
    con.execute("DROP TABLE IF EXISTS reject_errors")
    con.execute("DROP TABLE IF EXISTS reject_scans")
    query = ("CREATE OR REPLACE TEMP TABLE src_raw AS SELECT * FROM read_csv(?, "
             "auto_detect = false, header = true, delim = ?, quote = ?, escape = ?, "
             "columns = ?, encoding = ?, store_rejects = true, strict_mode = true, "
             "null_padding = false, force_not_null = ?, parallel = true)")
    try:
        con.execute(query, [str(path), chosen, quote, quote, columns, codec, list(columns)])
    except Exception as exc:  # DuckDB raises its own types; make it one located line
        message = " ".join(str(exc).split())
        raise InputError(f"cannot read the file: {_excerpt(message, 160)}", path) from None
    rejected = [
        Rejected(int(line), _reject_kind(kind), _excerpt(" ".join(str(message).split()), 120))
        for line, kind, message in con.execute(
            "SELECT line, error_type, error_message FROM reject_errors ORDER BY line").fetchall()]
    rows = _number_rows(con, rejected)
    _reconcile(path, head, rows, rejected, codec, chosen, quote)
    return Opened(path, header, rows, rejected)


def _reject_kind(error_type: str) -> str:
    kind = str(error_type).upper()
    if "ENCODING" in kind or "UNICODE" in kind:
        return "encoding"
    if "QUOTE" in kind:
        return "quote"
    return "fields"


def _number_rows(con: Any, rejected: list[Rejected]) -> int:
    """Table ``src``: the rows read, numbered as a spreadsheet numbers them (header = 1), with
    the rejected rows' numbers skipped so that every number stays the row's own."""
    con.execute("CREATE OR REPLACE TEMP TABLE src AS SELECT *, "
                "CAST(ROW_NUMBER() OVER () + 1 AS BIGINT) AS __row FROM src_raw")
    con.execute("DROP TABLE src_raw")
    if rejected:
        skipped = sorted({r.row for r in rejected})
        con.execute("CREATE OR REPLACE TEMP TABLE __skip AS SELECT UNNEST(?) AS line",
                    [skipped])
        # the n-th good row is row n + 1 + (rejected rows before it)
        con.execute("""
            CREATE OR REPLACE TEMP TABLE src AS
            WITH s AS (SELECT line, ROW_NUMBER() OVER (ORDER BY line) AS k FROM __skip)
            SELECT src.* EXCLUDE (__row), src.__row + COALESCE((
                SELECT MAX(k) FROM s WHERE s.line - s.k < src.__row), 0) AS __row
            FROM src""")
    return int(con.execute("SELECT COUNT(*) FROM src").fetchone()[0])


def _reconcile(path: Path, head: bytes, rows: int, rejected: list[Rejected], codec: str,
               delimiter: str, quote: str) -> None:
    """No row may vanish: rows read plus rows rejected must be the records of the file."""
    records = _count_records(path, codec, delimiter, quote)
    if records is not None and rows + len({r.row for r in rejected}) != records:
        raise InputError(f"read {rows} rows and rejected {len(rejected)}, but the file holds "
                         f"{records}: some rows could not be accounted for", path)


def _count_records(path: Path, codec: str, delimiter: str, quote: str) -> int | None:
    """Data records of a delimited file, counted independently of DuckDB: newlines, unless a
    quoted field holds one (then Python's csv module counts)."""
    data = path.read_bytes()
    if codec == "utf-16":
        return None  # counted by characters below only for byte-oriented encodings
    newline = data.count(b"\n")
    lines = newline + (0 if data.endswith(b"\n") else 1)
    if quote.encode() not in data or not _quoted_newline(data, quote.encode()):
        return lines - 1
    text = data.decode(codec, errors="replace")
    return max(sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                                         quotechar=quote)) - 1, 0)


def _quoted_newline(data: bytes, quote: bytes) -> bool:
    inside = False
    for chunk in data.split(quote):
        if inside and b"\n" in chunk:
            return True
        inside = not inside
    return False


def open_export(con: Any, path: Path, delimiter: str | None = None,
                encoding: str | None = None, declared_format: str | None = None) -> Opened:
    """Open ``path`` as table ``src`` (see the module docstring)."""
    kind = file_format(path, declared_format)
    if kind == "csv":
        if delimiter is None and path.suffix.lower() == ".tsv":
            delimiter = "\t"
        return open_csv(con, path, delimiter, encoding)
    if kind == "xlsx":
        return open_xlsx(con, path)
    if kind == "jsonl":
        return open_jsonl(con, path)
    return open_parquet(con, path)


def open_xlsx(con: Any, path: Path) -> Opened:
    """The first sheet of a workbook, every cell as the text Excel shows (fastexcel)."""
    _check_file(path)
    import fastexcel
    import pyarrow as pa  # type: ignore[import-untyped]

    try:
        reader = fastexcel.read_excel(str(path))
        sheet = reader.load_sheet(0, header_row=None, dtypes="string")
        table = sheet.to_arrow()
    except Exception as exc:  # not a workbook (a CSV named .xlsx, a broken zip ...)
        message = " ".join(str(exc).split())
        raise InputError(f"not a readable .xlsx workbook: {_excerpt(message, 120)}",
                         path) from None
    if table.num_rows == 0:
        raise InputError("the workbook's first sheet is empty", path, 1)
    first = table.slice(0, 1).to_pylist()[0]
    header = ["" if first[name] is None else str(first[name]) for name in table.column_names]
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name in seen:
            raise InputError(f"duplicate column name '{_excerpt(name)}'", path, 1)
        seen[name] = position
    body = table.slice(1)
    renamed = pa.table({f"c{i}": body.column(i).cast(pa.string()) for i in range(len(header))})
    rows = pa.array(range(2, body.num_rows + 2), type=pa.int64())
    con.register("__xlsx", renamed.append_column("__row", rows))
    con.execute("CREATE OR REPLACE TEMP TABLE src AS SELECT * FROM __xlsx")
    con.unregister("__xlsx")
    return Opened(path, header, body.num_rows)


def open_jsonl(con: Any, path: Path) -> Opened:
    """One JSON object per line; a line that is not one is rejected (its line number kept)."""
    _check_file(path)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE __json AS SELECT json, "
                    "CAST(ROW_NUMBER() OVER () AS BIGINT) AS __row FROM read_json_objects(?, "
                    "format = 'newline_delimited', ignore_errors = true)", [str(path)])
        keys = [str(k) for (k,) in con.execute(
            "SELECT key FROM (SELECT UNNEST(json_keys(json)) AS key, MIN(__row) AS first "
            "FROM __json WHERE json IS NOT NULL GROUP BY key) ORDER BY first, key").fetchall()]
    except Exception as exc:
        message = " ".join(str(exc).split())
        raise InputError(f"cannot read JSON Lines: {_excerpt(message, 160)}", path) from None
    bad = [Rejected(int(row), "json", "not a JSON object")
           for (row,) in con.execute("SELECT __row FROM __json WHERE json IS NULL "
                                     "ORDER BY __row").fetchall()]
    select = ", ".join(f"json_extract_string(json, ?) AS c{i}" for i in range(len(keys)))
    paths = ['$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"' for key in keys]
    con.execute(f"CREATE OR REPLACE TEMP TABLE src AS SELECT {select}{', ' if keys else ''}"
                f"__row FROM __json WHERE json IS NOT NULL", paths)
    rows = int(con.execute("SELECT COUNT(*) FROM src").fetchone()[0])
    return Opened(path, keys, rows, bad)


def open_parquet(con: Any, path: Path) -> Opened:
    """A Parquet file, every column cast to text; ``__row`` is the record's position."""
    _check_file(path)
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        header = [str(row[0]) for row in described]
        names = ", ".join(f"c{i}" for i in range(len(header)))
        con.execute(f"CREATE OR REPLACE TEMP TABLE src AS SELECT *, CAST(ROW_NUMBER() OVER () "
                    f"AS BIGINT) AS __row FROM (SELECT CAST(COLUMNS(*) AS VARCHAR) "
                    f"FROM read_parquet(?)) AS t({names})", [str(path)])
    except Exception as exc:  # not Parquet, or unreadable: one located line
        message = " ".join(str(exc).split())
        raise InputError(f"not a readable Parquet file: {_excerpt(message, 160)}",
                         path) from None
    rows = int(con.execute("SELECT COUNT(*) FROM src").fetchone()[0])
    return Opened(path, header, rows)
