"""Compile the crosswalk versions of one source into one SQL plan and its lookup tables.

The plan reads a table ``src`` of text columns ``c0, c1, ...`` (the export's columns, renamed:
no source column name ever reaches SQL text) and ``__row`` (the row number a spreadsheet shows).
It is a sqlglot AST in DuckDB's dialect, rendered for Spark by :mod:`.spark_engine`.

Shape, chosen because coded columns hold few distinct values:

1. ``d``/``base``: the registration date of each row is read once per *distinct* date cell, which
   gives the row's crosswalk version and whether each windowed column was collected for it;
2. per variable, ``k<n>`` holds the distinct combinations of the cells it reads (plus the cells
   its conditions test and the collection flags), ``e<n>`` maps each combination once, through
   joins with lookup tables: missing codes, value codes, conditions, flag codes, countries, age
   bands;
3. the record query joins every ``e<n>`` back to the rows on the cells and combines the
   variables of each slot exactly as :class:`~ctdc_schema.crosswalk.semantics.SlotState` does;
4. the problem query lists, per row, every code no variable maps, every value a transform
   rejects, every flag code that is neither yes nor no, and every row no version applies to.

Every construct of the crosswalk format is compiled; one that is not would be an error here,
at load time, never a silent skip. Codes, missing codes, conditions and true/false flag codes are
rows of lookup tables; the only literals in the SQL are the vocabulary's own names, crosswalk
versions and dates, split delimiters and date formats, rendered (and escaped) by sqlglot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from ctdc_schema.crosswalk import semantics, transforms
from ctdc_schema.datamodel.crosswalk import Crosswalk, ValueCase, ValueMapping, Variable
from ctdc_schema.vocabulary import SlotInfo, Vocabulary

#: name of the input relation and of its row-number column
SRC = "src"
ROW = "__row"
#: the table of rows with a problem (records exclude them)
PROBLEM_ROWS = "problem_rows"
#: grouped columns per ``gid`` column of ``g`` (one BIGINT of bits each)
GID_BITS = 62
#: where the record query leaves out the rows of ``problem_rows`` (an anti-join, only when
#: there are some: even over an empty table, NOT IN costs DuckDB a pass of its own)
EXCLUDE = " __exclude__"
#: width of the enum-order prefix of multivalued values ("0007:value"), removed at the end
ORDER_WIDTH = 4

_WS = r"[ \t\n\r\f\x0b]"


class CompileError(Exception):
    """A crosswalk construct the compiler cannot express (a bug, never a silent skip)."""


def lit(value: Any) -> str:
    """A literal rendered and escaped by sqlglot (strings, numbers, booleans, NULL)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return exp.Literal.string(str(value)).sql("duckdb")


def fold_sql(expr: str) -> str:
    """:func:`semantics.fold` in SQL (whitespace runs to one space, trimmed, lower-cased).

    The regular expression runs only on text that has a run to collapse (two spaces, or a
    whitespace character other than a space): most cells have none, and ``contains`` and
    ``TRIM`` cost a fraction of a regular expression."""
    trimmed = strip_sql(expr)
    runs = " OR ".join(f"CONTAINS({expr}, {lit(needle)})"
                       for needle in ("  ", *semantics.WHITESPACE[1:]))
    return (f"LOWER(CASE WHEN {runs} THEN REGEXP_REPLACE({trimmed}, {lit(_WS + '+')}, ' ', 'g') "
            f"ELSE {trimmed} END)")


def strip_sql(expr: str) -> str:
    """:func:`semantics.strip` in SQL: ``TRIM`` with the ASCII whitespace characters, only
    when the text begins or ends with one (TRIM with a character set costs more than the
    test, and most cells need none)."""
    codes = ", ".join(str(ord(char)) for char in semantics.WHITESPACE)
    return (f"CASE WHEN ORD({expr}) IN ({codes}) OR ORD(RIGHT({expr}, 1)) IN ({codes}) "
            f"THEN TRIM({expr}, {lit(semantics.WHITESPACE)}) ELSE {expr} END")


def full_match_sql(expr: str, pattern: str) -> str:
    return f"REGEXP_MATCHES({expr}, {lit('^(?:' + pattern + ')$')})"


def date_sql(expr: str, date_format: str | None) -> str:
    """The date a stripped cell written as ``date_format`` stands for, else NULL."""
    pattern = semantics.date_regex(date_format)
    if pattern is None:
        raise CompileError(f"unsupported date_format {date_format!r}")
    fmt = date_format or semantics.DEFAULT_DATE_FORMAT
    return f"CASE WHEN {full_match_sql(expr, pattern)} THEN " \
           f"CAST(TRY_STRPTIME({expr}, {lit(fmt)}) AS DATE) END"


def sort_key(index: int, value: str) -> str:
    return f"{index:0{ORDER_WIDTH}d}:{value}"


@dataclass
class LookupTable:
    """A lookup table shipped with the plan as data: name, typed columns, rows."""

    name: str
    columns: Sequence[tuple[str, str]]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class OutputColumn:
    """One column of the record query: a vocabulary slot and its SQL type."""

    name: str
    sql_type: str


class Query:
    """One statement of a plan: SQL in DuckDB's dialect, the plan's own, and its sqlglot AST,
    parsed on first use (rendering for another dialect, ``--explain``, the tests).

    DuckDB runs the text as compiled; parsing a plan costs a few tenths of a second, which
    an export of a few hundred rows should not pay. Every literal in the text was rendered
    and escaped by sqlglot (:func:`lit`) and every identifier is one the compiler made up, so
    the text is as safe as the AST; the tests parse every statement of every bundled plan."""

    __slots__ = ("_tree", "sql")

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self._tree: exp.Expression | None = None

    @property
    def tree(self) -> exp.Expression:
        if self._tree is None:
            try:
                tree = sqlglot.parse_one(self.sql, read="duckdb")
            except sqlglot.errors.ParseError as exc:  # a bug in the compiler, not user input
                raise CompileError(f"compiled SQL does not parse: {exc}") from exc
            assert isinstance(tree, exp.Expression)
            self._tree = tree
        return self._tree

    def __repr__(self) -> str:
        return f"Query({self.sql[:60]!r}...)"


@dataclass(frozen=True)
class ProblemJoin:
    """How the rows of one problem part are found: a join of ``base`` with its table, the
    items it adds to a row, and the test that the row has some."""

    join: str
    items: str
    present: str


@dataclass(frozen=True)
class Step:
    """A named relation of the plan: a small ``table`` computed once from ``g`` (DuckDB
    then knows its size when it plans the joins with the rows), or a ``view``."""

    name: str
    query: Query
    kind: str  # "table" | "view"


@dataclass
class Plan:
    """A compiled source, run in these steps:

    1. ``keys`` reads the input once and keeps every distinct combination of cells the plan
       needs (one GROUPING SETS aggregation), as table ``g``; ``total`` and
       ``version_counts`` read it;
    2. ``steps`` define, from ``g``, each slot's result per distinct combination of cells,
       and the view ``base`` of the rows;
    3. ``problem_keys`` lists, from ``g`` alone, the codes and cells that do not map (small);
    4. only when step 3 found something, ``problem_steps`` and ``problem_rows`` read the
       input again to find the rows concerned (table ``problem_rows``, usually small);
    5. ``records`` reads the input once more and joins each row to its slots' results,
       leaving out the rows of ``problem_rows``.

    Validating a clean export costs one scan; transforming it, two. Every scan streams.
    """

    keys: Query
    total: Query
    version_counts: Query
    steps: list[Step]
    problem_keys: Query
    problem_steps: list[Step]
    problem_joins: list[ProblemJoin]
    #: the definition of ``base``, the rows (read by the problem-rows query)
    base: str
    records: Query
    #: the same, leaving out the rows of ``problem_rows``
    records_excluding: Query
    #: (slot, the distinct values it takes), for the check against the JSON Schema
    value_checks: list[tuple[str, Query]]
    tables: list[LookupTable]
    outputs: list[OutputColumn]
    #: problem column ids -> crosswalk column names (kept out of SQL)
    problem_columns: list[str]
    versions: list[str]

    def statements(self, dialect: str = "duckdb", pretty: bool = True) -> list[tuple[str, str]]:
        """Every statement of the plan, in the order an engine runs it, as (name, SQL)."""
        from ctdc_schema.engine import dialects

        named = [("g", self.keys), ("total", self.total), ("version_counts",
                                                            self.version_counts)]
        named += [(step.name, step.query) for step in self.steps]
        named += [("problem_keys", self.problem_keys)]
        named += [(step.name, step.query) for step in self.problem_steps]
        named += [(PROBLEM_ROWS, self.problem_rows(range(len(self.problem_steps)))),
                  ("records", self.records)]
        return [(name, dialects.render(tree, dialect, pretty)) for name, tree in named]

    def problem_rows(self, parts: Iterable[int]) -> Query:
        """The rows with an item of the problem ``parts`` (those ``problem_keys`` found), each
        with its items: one more scan, joined only with the tables of those parts."""
        chosen = [self.problem_joins[j] for j in sorted(set(parts))]
        if not chosen:
            return Query(f"SELECT CAST(0 AS BIGINT) AS {ROW}, CAST([] AS VARCHAR[]) AS items "
                         "WHERE FALSE")
        return Query(f"WITH base AS ({self.base}) SELECT base.{ROW} AS {ROW}, "
                     f"LIST_DISTINCT(FLATTEN([{', '.join(j.items for j in chosen)}])) AS items "
                     f"FROM base{''.join(j.join for j in chosen)} "
                     f"WHERE {' OR '.join(j.present for j in chosen)}")


def _enum_order(vocab: Vocabulary, slot: SlotInfo) -> dict[str, int]:
    return {name: index for index, name in enumerate(vocab.slot_values(slot.name))}


class _Tables:
    """The lookup tables of one plan, filled while compiling."""

    def __init__(self) -> None:
        self.missing = LookupTable("t_missing", [("v", "VARCHAR"), ("f", "VARCHAR")])
        self.codes = LookupTable("t_codes", [
            ("var", "VARCHAR"), ("f", "VARCHAR"), ("case_no", "INTEGER"),
            ("vals", "VARCHAR[]"), ("unk", "BOOLEAN"), ("none", "BOOLEAN"),
            ("says_no", "BOOLEAN")])
        self.conds = LookupTable("t_conds", [
            ("var", "VARCHAR"), ("f", "VARCHAR"), ("case_no", "INTEGER"), ("qpos", "INTEGER"),
            ("qf", "VARCHAR")])
        self.flags = LookupTable("t_flagcodes", [
            ("var", "VARCHAR"), ("code", "VARCHAR"), ("state", "VARCHAR")])
        self.countries = LookupTable("t_country", [
            ("fmt", "VARCHAR"), ("key", "VARCHAR"), ("alpha2", "VARCHAR")])
        self.bands = LookupTable("t_bands", [
            ("slot", "VARCHAR"), ("lo", "BIGINT"), ("hi", "BIGINT"), ("value", "VARCHAR")])
        self.file = LookupTable("t_file", [("source_file", "VARCHAR")])
        #: per crosswalk version, what its header states (organisation, unit of record ...)
        self.header = LookupTable("t_header", [("v", "VARCHAR")])
        #: values a slot took that its JSON Schema rejects (filled by the engine)
        self.invalid = LookupTable("t_invalid", [("slot", "VARCHAR"), ("value", "VARCHAR")])
        self._country_formats: set[str] = set()
        self._band_slots: set[str] = set()

    def all(self) -> list[LookupTable]:
        return [self.missing, self.codes, self.conds, self.flags, self.countries, self.bands,
                self.file, self.header, self.invalid]

    def add_countries(self, fmt: str) -> None:
        if fmt in self._country_formats:
            return
        self._country_formats.add(fmt)
        for key, alpha2 in sorted(transforms.country_table(fmt).items()):
            self.countries.rows.append((fmt, key, alpha2))

    def add_bands(self, slot: str, vocab: Vocabulary) -> None:
        if slot in self._band_slots:
            return
        self._band_slots.add(slot)
        for value in vocab.slot_values(slot).values():
            low = int(value.annotations.get("min_age", "0"))
            high = value.annotations.get("max_age")
            self.bands.rows.append((slot, low, int(high) if high is not None else None,
                                    value.name))


@dataclass
class _Key:
    """The key of a variable's result: k-CTE column names and the base expressions they hold.

    Constant parts (a column the input lacks, an unwindowed column's collection flag) are kept
    in the CTE but need no join predicate: they are the same on every row."""

    names: list[str] = field(default_factory=lambda: ["__v"])
    exprs: list[str] = field(default_factory=lambda: ["__v"])

    def add(self, name: str, expr: str) -> None:
        self.names.append(name)
        self.exprs.append(expr)

    def select(self) -> str:
        return ", ".join(f"{e} AS {n}" if e != n else n for n, e in zip(self.names, self.exprs,
                                                                         strict=True))

    def on(self, other: str) -> str:
        """Join predicate of ``base`` with a relation ``other`` that holds the key columns."""
        tests = [f"base.__v = {other}.__v"]
        for name, expr in zip(self.names[1:], self.exprs[1:], strict=True):
            if _is_column(expr):
                tests.append(f"base.{expr} IS NOT DISTINCT FROM {other}.{name}")
        return " AND ".join(tests)


def _is_column(expr: str) -> bool:
    """Whether a key expression is a ``base`` column (an input cell or a collection flag)."""
    return re.fullmatch(r"c[0-9]+|__w[0-9]+", expr) is not None


@dataclass
class _Variable:
    """One compiled variable: its slot, version, and where its result is: a CTE with its key
    (distinct level), a constant, or an expression over ``base`` (``inline``, row level)."""

    slot: str
    version: str
    cte: str | None
    key: _Key | None
    constant: str | None = None
    inline: str | None = None
    #: the inline variable's value as a scalar (NULL when it gives none)
    scalar: str | None = None


@dataclass
class _ProblemPart:
    """Problem items of one kind found at the distinct level: ``part`` selects ``keys`` (the
    columns that identify the rows concerned) and ``code``; ``on`` joins them to ``base``
    (written against alias ``p``)."""

    kind: str
    col: int
    part: str
    keys: list[str]
    on: str


@dataclass
class _Reader:
    """A lookup variable reading one column: where its items are and when it maps them."""

    n: int
    position: int
    mapped: str
    column: str


class Compiler:
    """Compiles the versions of one source, bound to one input's columns."""

    def __init__(self, versions: Sequence[Crosswalk], vocab: Vocabulary,
                 binding: Mapping[str, str | None], fixed: str | None,
                 source_file: str) -> None:
        # a delivery's version is the only one its rows can take
        self.versions = sorted((cw for cw in versions if fixed is None or cw.version == fixed),
                               key=lambda cw: cw.valid_from)
        self.vocab = vocab
        self.binding = {semantics.fold(k): v for k, v in binding.items()}
        self.fixed = fixed
        self.source_file = source_file
        self.tables = _Tables()
        self.tables.file.rows.append((source_file,))
        self.ctes: list[str] = []
        self.problem_columns: list[str] = []
        self.compiled: list[_Variable] = []
        self.windowed: dict[str, dict[str, str]] = {}
        self.readers: dict[tuple[str, str], list[_Reader]] = {}
        self.date_columns: list[str] = []
        self.dated = False  # whether rows need a version or collection flags from their date
        self.row_version: str | None = None
        self.sets: list[tuple[str, ...]] = []  # grouping sets of input columns, in g
        self.grouped: list[str] = sorted({c for c in self.binding.values() if c is not None})
        self.parts: list[_ProblemPart] = []
        #: slots computed per row (their variables read high-cardinality text as it is)
        self.inline_slots: set[str] = set()
        #: computed columns of the first scan: name -> SQL over ``src``
        self.computed: dict[str, str] = {}
        self.row_joins: list[str] = []  # joins of the record query for inline variables
        self.rejected_cells: dict[str, str] = {}  # input column -> its __p column
        self.value_checks: list[tuple[str, str]] = []  # (slot, its distinct values)

    # -- helpers ----------------------------------------------------------------------------------
    def cell(self, column: str) -> str:
        """The ``base`` column of a crosswalk column (a NULL when the input lacks it)."""
        bound = self.binding.get(semantics.fold(column))
        return bound if bound is not None else "CAST(NULL AS VARCHAR)"

    def column_id(self, column: str) -> int:
        if column not in self.problem_columns:
            self.problem_columns.append(column)
        return self.problem_columns.index(column)

    def _date_variable(self, crosswalk: Crosswalk) -> Variable | None:
        registration = self.vocab.annotations.get("registration_slot", "year_of_registration")
        return next((v for v in crosswalk.variables if v.slot == registration and v.column),
                    None)

    # -- 1. dates, versions, collection ----------------------------------------------------------
    def _span(self, variable: Variable | None, cell: str) -> tuple[str, str]:
        """(start, end) SQL of the registration date written in ``cell`` (stripped, not
        missing): a day, or the whole month or year the date format leaves open."""
        if variable is None:
            return "CAST(NULL AS DATE)", "CAST(NULL AS DATE)"
        if semantics.transform_kind(variable) == "year":
            assert variable.transform is not None
            fmt = variable.transform.date_format or semantics.DEFAULT_DATE_FORMAT
            start = date_sql(cell, fmt)
            if "%d" in fmt:
                return start, f"({start} + 1)"
            if "%m" in fmt:
                return start, (f"MAKE_DATE(YEAR({start}) + CASE WHEN MONTH({start}) = 12 "
                               f"THEN 1 ELSE 0 END, MONTH({start}) % 12 + 1, 1)")
            return start, f"MAKE_DATE(YEAR({start}) + 1, 1, 1)"
        year = (f"CASE WHEN {full_match_sql(cell, '[0-9]+')} AND LENGTH({cell}) <= 4 "
                f"AND CAST({cell} AS INTEGER) BETWEEN 1 AND 9998 THEN CAST({cell} AS INTEGER) END")
        return f"MAKE_DATE({year}, 1, 1)", f"MAKE_DATE({year} + 1, 1, 1)"

    def _gid(self, columns: Sequence[str]) -> tuple[tuple[str, ...], str]:
        """The grouping set of ``columns`` (registered in ``g``) and a placeholder for the
        test that picks its rows of ``g``, filled in by :meth:`keys_sql` once every set is
        known."""
        wanted = tuple(c for c in self.grouped if c in set(columns))
        if wanted not in self.sets:
            self.sets.append(wanted)
        return wanted, f"__set{self.sets.index(wanted)}__"

    def grouping(self, columns: Sequence[str]) -> str:
        """The rows of ``g`` holding the distinct combinations of ``columns`` (input columns)."""
        wanted, test = self._gid(columns)
        return f"(SELECT {', '.join(wanted) or '1 AS __one'} FROM g WHERE {test})"

    def compile_base(self) -> None:
        """Dates (``d0``..``d4``, once per distinct date cell: the version of the rows with that
        date, why none, and per windowed column whether it was collected) and ``base``, the
        rows with those columns, for the row-level queries."""
        windows = {cw.version: semantics.collection_windows(cw.collection or [])
                   for cw in self.versions}
        # the version every row gets when it gets one: the delivery's, or the only one (a row
        # outside the only version's window is a problem row, left out of the records)
        self.row_version = self.fixed or (self.versions[0].version if len(self.versions) == 1
                                          else None)
        self.dated = self.fixed is None or any(windows.values())
        if not self.dated:
            self.ctes.append(f"base AS (SELECT {SRC}.*, {lit(self.fixed)} AS __v FROM {SRC})")
            return
        dated = [(cw, self._date_variable(cw)) for cw in self.versions]
        cells = [self.cell(v.column[0]) if v and v.column else "CAST(NULL AS VARCHAR)"
                 for _, v in dated]
        self.date_columns = sorted({c for c in cells if _is_column(c)})
        self.ctes.append(f"d0 AS {self.grouping(self.date_columns)}")
        stripped, joins = [], []
        for i, ((cw, _), cell) in enumerate(zip(dated, cells, strict=True)):
            joins.append(f" LEFT JOIN t_missing m{i} ON m{i}.v = {lit(cw.version)} "
                         f"AND m{i}.f = {fold_sql(cell)}")
            stripped.append(f"CASE WHEN {cell} IS NOT NULL AND m{i}.f IS NULL "
                            f"THEN {strip_sql(cell)} END AS __ds{i}")
        self.ctes.append(f"d1 AS (SELECT d0.*, {', '.join(stripped)} FROM d0{''.join(joins)})")
        spans = []
        for i, (_, variable) in enumerate(dated):
            start, end = self._span(variable, f"__ds{i}")
            spans.append(f"{start} AS __s{i}, {end} AS __e{i}")
        self.ctes.append(f"d2 AS (SELECT d1.*, {', '.join(spans)} FROM d1)")
        version, problem = self._version_sql()
        self.ctes.append(f"d3 AS (SELECT d2.*, {version} AS __v, {problem} AS __vp FROM d2)")
        flags = self._collection_sql(windows)
        self.ctes.append(f"d4 AS (SELECT d3.*{''.join(', ' + f for f in flags)} FROM d3)")
        keep = ["d4.__v", "d4.__vp", *[f"d4.{name}" for name in self._flag_names()]]
        renamed = [f"d4.{c} AS __dk{i}" for i, c in enumerate(self.date_columns)]
        self.ctes.append(f"d5 AS (SELECT {', '.join([*renamed, *keep])} FROM d4)")
        kept = ", ".join(k.replace("d4.", "d5.") for k in keep)
        self.ctes.append(f"base AS (SELECT {SRC}.*, {kept} FROM {SRC} "
                         f"LEFT JOIN d5 ON {self._date_join(SRC, 'd5', '__dk')})")

    def _date_join(self, left: str, right: str, renamed: str | None = None) -> str:
        """Join on the date cells; ``renamed``: the right side names them ``<renamed><i>``."""
        return " AND ".join(
            f"{left}.{c} IS NOT DISTINCT FROM {right}.{f'{renamed}{i}' if renamed else c}"
            for i, c in enumerate(self.date_columns)) or "TRUE"

    def distinct(self, columns: Sequence[str], select: str, where: str | None = None) -> str:
        """``SELECT DISTINCT select`` over the combinations of ``columns`` in ``g``, with the
        version and collection flags of their date when ``select`` needs them (rows of one
        version that read no windowed column do not: their date changes nothing)."""
        if not self.needs_dates(select):
            source = f"{self.grouping(columns)} gg"
            select = select.replace("__v", f"{lit(self.row_version)} AS __v", 1) \
                if select.startswith("__v") else select
        else:
            source = (f"{self.grouping([*columns, *self.date_columns])} gg "
                      f"LEFT JOIN d5 ON {self._date_join('gg', 'd5', '__dk')}")
        return f"SELECT DISTINCT {select} FROM {source}" + (f" WHERE {where}" if where else "")

    def needs_dates(self, select: str) -> bool:
        return self.dated and (self.row_version is None or "__w" in select)

    def _holds(self, cw: Crosswalk, index: int) -> str:
        tests = [f"__s{index} IS NOT NULL", f"__s{index} >= DATE {lit(cw.valid_from.isoformat())}"]
        if cw.valid_to is not None:
            tests.append(f"__e{index} <= DATE {lit(cw.valid_to.isoformat())}")
        return "(" + " AND ".join(tests) + ")"

    @staticmethod
    def _count(tests: list[str]) -> str:
        return "(" + " + ".join(f"CASE WHEN {t} THEN 1 ELSE 0 END" for t in tests) + ")"

    def _version_sql(self) -> tuple[str, str]:
        """The version and, when there is none, why: :meth:`ReferenceMapper.choose` in SQL."""
        if self.fixed is not None:
            return lit(self.fixed), "CAST(NULL AS VARCHAR)"
        own = [self._holds(cw, i) for i, cw in enumerate(self.versions)]
        first = [self._holds(cw, 0) for cw in self.versions]
        pick_own = " ".join(f"WHEN {t} THEN {lit(cw.version)}"
                            for t, cw in zip(own, self.versions, strict=True))
        pick_first = " ".join(f"WHEN {t} THEN {lit(cw.version)}"
                              for t, cw in zip(first, self.versions, strict=True))
        single = len(self.versions) == 1
        unreadable = "FALSE" if single else "(__ds0 IS NOT NULL AND __s0 IS NULL)"
        touching = self._count([
            f"(__s0 < DATE {lit(cw.valid_to.isoformat())} AND "
            f"DATE {lit(cw.valid_from.isoformat())} < __e0)" if cw.valid_to is not None
            else f"DATE {lit(cw.valid_from.isoformat())} < __e0" for cw in self.versions])
        version = (f"CASE WHEN {self._count(own)} = 1 THEN CASE {pick_own} END "
                   f"WHEN {unreadable} THEN NULL "
                   f"WHEN __s0 IS NULL THEN {lit(self.versions[0].version) if single else 'NULL'} "
                   f"WHEN {self._count(first)} = 1 THEN CASE {pick_first} END END")
        problem = (f"CASE WHEN {self._count(own)} = 1 THEN NULL "
                   f"WHEN {unreadable} THEN 'unreadable' "
                   f"WHEN __s0 IS NULL THEN {'NULL' if single else lit('no date')} "
                   f"WHEN {self._count(first)} = 1 THEN NULL "
                   f"WHEN {touching} > 1 THEN 'straddles' ELSE 'outside' END")
        return version, problem

    def _flag_names(self) -> list[str]:
        return [name for flags in self.windowed.values() for name in flags.values()]

    def _collection_sql(self, windows: Mapping[str, Mapping[str, Sequence[semantics.Window]]]
                        ) -> list[str]:
        """Per windowed column: collected at the row's registration date (the chosen
        version's date; unknown date or no version: not collected)."""
        out = []
        for index, cw in enumerate(self.versions):
            flags: dict[str, str] = {}
            for column in semantics.read_columns(cw):
                spans = windows[cw.version].get(semantics.fold(column))
                if not spans or semantics.fold(column) in flags:
                    continue
                name = f"__w{len(self._flag_names()) + len(flags)}"
                flags[semantics.fold(column)] = name
                tests = [f"__v = {lit(cw.version)}", f"__s{index} IS NOT NULL"]
                for start, end in spans:
                    if start is not None:
                        tests.append(f"__s{index} >= DATE {lit(start.isoformat())}")
                    if end is not None:
                        tests.append(f"__e{index} <= DATE {lit(end.isoformat())}")
                out.append(f"COALESCE({' AND '.join(tests)}, FALSE) AS {name}")
            self.windowed[cw.version] = flags
        return out

    def collected(self, version: str, column: str) -> str:
        flag = self.windowed.get(version, {}).get(semantics.fold(column))
        return flag if flag is not None else "TRUE"

    # -- 2. variables ---------------------------------------------------------------------------
    def compile_variables(self) -> None:
        for crosswalk in self.versions:
            for index, variable in enumerate(crosswalk.variables):
                slot = self.vocab.slots.get(variable.slot)
                if slot is None:
                    continue  # `ctdc validate` reports an unknown slot; it maps nothing
                var_id = f"{crosswalk.version}#{index}"
                self._codes(crosswalk, variable, slot, var_id)
                n = len(self.compiled)
                if semantics.is_constant(variable):
                    assert variable.transform is not None
                    self.compiled.append(_Variable(variable.slot, crosswalk.version, None, None,
                                                   variable.transform.constant))
                elif semantics.is_flags(variable):
                    self._flags(crosswalk, variable, var_id, n)
                elif variable.slot in self.inline_slots:
                    self._inline(crosswalk, variable, slot, n)
                else:
                    self._lookup(crosswalk, variable, slot, var_id, n)
            for code in crosswalk.missing_codes or []:
                row = (crosswalk.version, semantics.fold(code))
                if row not in self.tables.missing.rows:
                    self.tables.missing.rows.append(row)

    @staticmethod
    def _keeps_cell(variable: Variable, slot: SlotInfo) -> bool:
        """Whether a variable keeps its one cell as the value (no codes, no transform)."""
        return (variable.values is None and variable.transform is None and not variable.split
                and not slot.enum and len(variable.column or []) == 1)

    @staticmethod
    def _can_reject(slot: SlotInfo) -> bool:
        return slot.range in ("integer", "boolean") or bool(slot.pattern)

    def plan_inline(self) -> None:
        """Slots whose variables all keep a cell as it is (identifiers, numbers, free text) are
        computed per row: grouping such cells would hold every distinct one, as many as rows,
        in memory. When the slot's type can reject a cell, the first scan groups only the
        rejected cells (``__p<n>``), so that problems are still found from ``g``."""
        entries: dict[str, list[tuple[Crosswalk, Variable, SlotInfo]]] = {}
        for crosswalk in self.versions:
            for variable in crosswalk.variables:
                slot = self.vocab.slots.get(variable.slot)
                if slot is not None:
                    entries.setdefault(variable.slot, []).append((crosswalk, variable, slot))
        for name, found in entries.items():
            kept = [(cw, v, slot) for cw, v, slot in found if not semantics.is_constant(v)]
            if kept and all(self._keeps_cell(v, slot) for _, v, slot in kept):
                self.inline_slots.add(name)
                for _, variable, slot in kept:
                    cell = self.cell((variable.column or [""])[0])
                    if _is_column(cell) and self._can_reject(slot) \
                            and cell not in self.rejected_cells:
                        item = strip_sql(cell)
                        flag = f"__p{len(self.computed)}"
                        self.computed[flag] = (f"CASE WHEN {item} <> '' AND "
                                               f"{self._passthrough_sql(slot, item)} IS NULL "
                                               f"THEN {cell} END")
                        self.rejected_cells[cell] = flag
        self.grouped.extend(self.computed)

    def _inline(self, crosswalk: Crosswalk, variable: Variable, slot: SlotInfo, n: int) -> None:
        """A variable of an inline slot: its value list, per row, over ``base``."""
        column = (variable.column or [""])[0]
        cell = self.cell(column)
        version = lit(crosswalk.version)
        self.readers.setdefault((crosswalk.version, semantics.fold(column)), []).append(
            _Reader(-1, 0, "TRUE", column))
        if not _is_column(cell):
            self.compiled.append(_Variable(variable.slot, crosswalk.version, None, None,
                                           inline="CAST(NULL AS VARCHAR[])", scalar="NULL"))
            return
        item = strip_sql(f"base.{cell}")
        value = self._passthrough_sql(slot, item)
        missing = ""
        if crosswalk.missing_codes:
            self.row_joins.append(f" LEFT JOIN t_missing mi{n} ON mi{n}.v = {version} "
                                  f"AND mi{n}.f = {fold_sql(f'base.{cell}')}")
            missing = f" AND mi{n}.f IS NULL"
        kept = f"base.__v = {version}{missing} AND {item} <> ''"
        self.compiled.append(_Variable(
            variable.slot, crosswalk.version, None, None,
            inline=f"CASE WHEN {kept} AND {value} IS NOT NULL THEN [{value}] END",
            scalar=f"CASE WHEN {kept} THEN {value} END"))
        flag = self.rejected_cells.get(cell)
        if flag is None:
            return
        part = (f"SELECT gg.__v, gg.{flag} AS cell, {strip_sql(f'gg.{flag}')} AS code "
                f"FROM ({self.distinct([flag], f'__v, {flag}')}) gg LEFT JOIN t_missing m "
                f"ON m.v = gg.__v AND m.f = {fold_sql(f'gg.{flag}')} "
                f"WHERE gg.{flag} IS NOT NULL AND m.f IS NULL AND gg.__v = {version}")
        self._problem("rejected", self.column_id(column), part, ["__v", "cell"],
                      f"base.__v = {{p}}.__v AND base.{cell} IS NOT DISTINCT FROM {{p}}.cell")

    def _target_values(self, slot: SlotInfo, values: Sequence[str]) -> list[str]:
        if slot.multivalued and slot.enum:
            order = _enum_order(self.vocab, slot)
            return [sort_key(order.get(v, len(order)), v) for v in values]
        return list(values)

    @staticmethod
    def _condition_columns(variable: Variable) -> list[str]:
        found: list[str] = []
        for mapping in (variable.values or {}).values():
            for case in mapping.cases or []:
                if semantics.fold(case.when.column) not in found:
                    found.append(semantics.fold(case.when.column))
        return found

    def _codes(self, crosswalk: Crosswalk, variable: Variable, slot: SlotInfo,
               var_id: str) -> None:
        """Rows of t_codes/t_conds/t_flagcodes for one variable. Value codes are keyed by their
        fold (the first spelling of a fold wins, as in :class:`semantics.Lookup`), flag columns
        by their position among the variable's columns."""
        flags = semantics.is_flags(variable)
        positions = {semantics.fold(c): i for i, c in enumerate(variable.column or [])}
        conditions = self._condition_columns(variable)
        seen: set[str] = set()
        for code, mapping in (variable.values or {}).items():
            key = str(positions.get(semantics.fold(code), -1)) if flags else semantics.fold(code)
            if key in seen:
                continue
            seen.add(key)
            items: list[ValueMapping | ValueCase] = [mapping, *(mapping.cases or [])]
            for case_no, item in enumerate(items):
                target = semantics.Target.of(variable, item)
                self.tables.codes.rows.append((
                    var_id, key, case_no, self._target_values(slot, target.values),
                    target.unknown, target.known_none, semantics.says_no(target, slot)))
                if case_no:
                    assert isinstance(item, ValueCase)
                    qpos = conditions.index(semantics.fold(item.when.column))
                    for tested in item.when.in_:
                        self.tables.conds.rows.append((var_id, key, case_no, qpos,
                                                       semantics.fold(tested)))
        if flags:
            assert variable.transform is not None
            true_codes = list(variable.transform.true_codes or [])
            for code in true_codes:
                self.tables.flags.rows.append((var_id, code, "T"))
            for code in variable.transform.false_codes or []:
                if code not in true_codes:
                    self.tables.flags.rows.append((var_id, code, "F"))

    def _key(self, n: int, crosswalk: Crosswalk, variable: Variable) -> _Key:
        """CTE k<n>: the distinct combinations of the cells the variable reads, the cells its
        conditions test and its columns' collection flags."""
        key = _Key()
        for i, column in enumerate(variable.column or []):
            key.add(f"x{i}", self.cell(column))
        read = {semantics.fold(c): c for c in semantics.read_columns(crosswalk)}
        for i, folded in enumerate(self._condition_columns(variable)):
            key.add(f"y{i}", self.cell(read.get(folded, folded)))
        for i, column in enumerate(variable.column or []):
            key.add(f"w{i}", self.collected(crosswalk.version, column))
        columns = [e for e in key.exprs[1:] if _is_column(e) and not e.startswith("__w")]
        where = f"__v = {lit(crosswalk.version)}" if len(self.versions) > 1 else None
        self.ctes.append(f"k{n} AS ({self.distinct(columns, key.select(), where)})")
        return key

    def _case_choice(self, n: int, source: str, conditions: int, var_id: str) -> str:
        """CTE c<n>: ``source`` plus ``case_no``, the first case whose condition holds (0: none).

        A join, not a correlated subquery, so that Spark runs it too."""
        if conditions == 0:
            return f"c{n} AS (SELECT {source}.*, 0 AS case_no FROM {source})"
        ys = [f"y{i}" for i in range(conditions)]
        tested = " ".join(f"WHEN {i} THEN {fold_sql(f'g.{y}')}" for i, y in enumerate(ys))
        group = ", ".join(["g.__v", "g.col", "g.f", *[f"g.{y}" for y in ys]])
        matches = " AND ".join([f"h.__v = {source}.__v", f"h.col = {source}.col",
                                f"h.f = {source}.f",
                                *[f"h.{y} IS NOT DISTINCT FROM {source}.{y}" for y in ys]])
        return (f"c{n} AS (SELECT {source}.*, COALESCE(h.case_no, 0) AS case_no FROM {source} "
                f"LEFT JOIN (SELECT {group}, MIN(cd.case_no) AS case_no FROM (SELECT DISTINCT "
                f"{', '.join(['__v', 'col', 'f', *ys])} FROM {source}) g JOIN t_conds cd "
                f"ON cd.var = {lit(var_id)} AND cd.f = g.f AND cd.qf = CASE cd.qpos {tested} END "
                f"GROUP BY {group}) h ON {matches})")

    def _lookup(self, crosswalk: Crosswalk, variable: Variable, slot: SlotInfo, var_id: str,
                n: int) -> None:
        key = self._key(n, crosswalk, variable)
        version = lit(crosswalk.version)
        columns = variable.column or []
        # every cell of the variable that is present and not a missing code
        cells = " UNION ALL ".join(
            f"SELECT k.*, {i} AS col, k.w{i} AS coll, k.x{i} AS cell FROM k{n} k "
            f"LEFT JOIN t_missing m ON m.v = {version} AND m.f = {fold_sql(f'k.x{i}')} "
            f"WHERE k.x{i} IS NOT NULL AND m.f IS NULL" for i in range(len(columns)))
        self.ctes.append(f"a{n} AS ({cells})")
        separator = (semantics.strip(variable.split) or variable.split) if variable.split else None
        if separator:
            self.ctes.append(f"b{n} AS (SELECT a{n}.*, {strip_sql('u.item')} AS item FROM a{n}, "
                             f"UNNEST(STRING_SPLIT(a{n}.cell, {lit(separator)})) AS u(item))")
        else:
            self.ctes.append(f"b{n} AS (SELECT a{n}.*, {strip_sql(f'a{n}.cell')} AS item "
                             f"FROM a{n})")
        self.ctes.append(
            f"i{n} AS (SELECT b{n}.*, {fold_sql(f'b{n}.item')} AS f FROM b{n} "
            f"LEFT JOIN t_missing m ON m.v = {version} AND m.f = {fold_sql(f'b{n}.item')} "
            f"WHERE b{n}.item <> '' AND m.f IS NULL)")
        self.ctes.append(self._case_choice(n, f"i{n}", len(self._condition_columns(variable)),
                                           var_id))
        transform, joins = self._transform_sql(variable, slot, f"c{n}.item")
        self.ctes.append(
            f"j{n} AS (SELECT c{n}.*, t.vals, t.unk, t.none, t.says_no, "
            f"(t.f IS NOT NULL) AS matched, CASE WHEN t.f IS NULL THEN {transform} END AS tval "
            f"FROM c{n} LEFT JOIN t_codes t ON t.var = {lit(var_id)} AND t.f = c{n}.f "
            f"AND t.case_no = c{n}.case_no{joins})")
        keep = f"j{n}.matched AND NOT (NOT j{n}.coll AND j{n}.says_no)"
        names = ", ".join(key.names)
        self.ctes.append(
            f"e{n} AS (SELECT {names}, "
            f"FLATTEN(LIST(CASE WHEN {keep} THEN j{n}.vals "
            f"WHEN j{n}.tval IS NOT NULL THEN [j{n}.tval] END)) AS vals, "
            f"BOOL_OR({keep} AND j{n}.unk) AS unk, BOOL_OR({keep} AND j{n}.none) AS none "
            f"FROM j{n} GROUP BY {names})")
        self.compiled.append(_Variable(variable.slot, crosswalk.version, f"e{n}", key))
        derives = variable.transform is not None or (variable.values is None and not slot.enum)
        for i, column in enumerate(columns):
            col_id = self.column_id(column)
            if derives:
                self._problems(n, key, "rejected", col_id,
                               f"j{n}.col = {i} AND NOT j{n}.matched AND j{n}.tval IS NULL",
                               f"j{n}.item")
            self.readers.setdefault((crosswalk.version, semantics.fold(column)), []).append(
                _Reader(n, i, "TRUE" if derives else f"j{n}.matched", column))

    def _transform_sql(self, variable: Variable, slot: SlotInfo, item: str) -> tuple[str, str]:
        """(value SQL, extra joins) deriving a value from ``item`` when no code matched: NULL
        when the variable derives nothing or the transform rejects the code."""
        transform = variable.transform
        if transform is None:
            if variable.values is None and not slot.enum:
                return self._passthrough_sql(slot, item), ""
            return "CAST(NULL AS VARCHAR)", ""
        kind = str(transform.type)
        if kind == "country":
            fmt = str(transform.country_format)
            self.tables.add_countries(fmt)
            return "ct.alpha2", (f" LEFT JOIN t_country ct ON ct.fmt = {lit(fmt)} "
                                 f"AND ct.key = LOWER({item})")
        if kind in ("age_band", "majority_status"):
            age = (f"CASE WHEN {full_match_sql(item, '[0-9]+')} AND LENGTH({item}) <= 3 "
                   f"THEN CAST({item} AS BIGINT) END")
            valid = f"{age} <= {transforms.MAX_AGE}"
            if kind == "majority_status":
                return (f"CASE WHEN {valid} THEN CASE WHEN {age} < {transforms.MAJORITY_AGE} "
                        "THEN 'minor' ELSE 'adult' END END"), ""
            self.tables.add_bands(slot.name, self.vocab)
            return f"CASE WHEN {valid} THEN bd.value END", (
                f" LEFT JOIN t_bands bd ON bd.slot = {lit(slot.name)} AND {age} >= bd.lo "
                f"AND ({age} <= bd.hi OR bd.hi IS NULL)")
        if kind == "year":
            return f"CAST(YEAR({date_sql(item, transform.date_format)}) AS VARCHAR)", ""
        raise CompileError(f"the {kind} transform derives no value from a code")

    def _passthrough_sql(self, slot: SlotInfo, item: str) -> str:
        """A code kept as the value when the slot's type accepts it (target_problem in SQL)."""
        if slot.range == "integer":
            number = f"CAST({item} AS BIGINT)"
            tests = [full_match_sql(item, semantics.INTEGER_PATTERN), f"LENGTH({item}) <= 18"]
            if slot.minimum_value is not None:
                tests.append(f"{number} >= {int(slot.minimum_value)}")
            if slot.maximum_value is not None:
                tests.append(f"{number} <= {int(slot.maximum_value)}")
            return f"CASE WHEN {' AND '.join(tests)} THEN {item} END"
        if slot.range == "boolean":
            return f"CASE WHEN {item} IN ('true', 'false') THEN {item} END"
        if slot.pattern:
            return f"CASE WHEN REGEXP_MATCHES({item}, {lit(slot.pattern)}) THEN {item} END"
        return item

    def _flags(self, crosswalk: Crosswalk, variable: Variable, var_id: str, n: int) -> None:
        key = self._key(n, crosswalk, variable)
        version = lit(crosswalk.version)
        columns = variable.column or []
        unions = " UNION ALL ".join(
            f"SELECT k.*, {i} AS col, CAST({i} AS VARCHAR) AS f, k.x{i} AS cell, "
            f"k.w{i} AS coll FROM k{n} k" for i in range(len(columns)))
        self.ctes.append(f"a{n} AS ({unions})")
        self.ctes.append(
            f"i{n} AS (SELECT a{n}.*, CASE WHEN a{n}.cell IS NULL OR m.f IS NOT NULL THEN 'M' "
            f"WHEN fc.state = 'T' THEN 'T' WHEN fc.state = 'F' AND a{n}.coll THEN 'F' "
            f"WHEN fc.state = 'F' THEN 'M' ELSE 'X' END AS state FROM a{n} "
            f"LEFT JOIN t_missing m ON m.v = {version} AND m.f = {fold_sql(f'a{n}.cell')} "
            f"LEFT JOIN t_flagcodes fc ON fc.var = {lit(var_id)} "
            f"AND fc.code = {strip_sql(f'a{n}.cell')})")
        self.ctes.append(self._case_choice(n, f"i{n}", len(self._condition_columns(variable)),
                                           var_id))
        self.ctes.append(
            f"j{n} AS (SELECT c{n}.*, t.vals, t.unk FROM c{n} LEFT JOIN t_codes t "
            f"ON t.var = {lit(var_id)} AND t.f = c{n}.f AND t.case_no = c{n}.case_no)")
        names = ", ".join(key.names)
        self.ctes.append(
            f"e{n} AS (SELECT {names}, "
            f"FLATTEN(LIST(CASE WHEN j{n}.state = 'T' THEN j{n}.vals END)) AS vals, "
            f"BOOL_OR(j{n}.state = 'T' AND j{n}.unk) AS unk, "
            f"BOOL_AND(j{n}.state = 'F') AS none FROM j{n} GROUP BY {names})")
        self.compiled.append(_Variable(variable.slot, crosswalk.version, f"e{n}", key))
        for i, column in enumerate(columns):
            self._problems(n, key, "flag", self.column_id(column),
                           f"j{n}.col = {i} AND j{n}.state = 'X'", strip_sql(f"j{n}.cell"))

    # -- 3. problems ------------------------------------------------------------------------------
    def _problems(self, n: int, key: _Key, kind: str, col_id: int, where: str,
                  code: str) -> None:
        """Problem items of variable ``n``: distinct keys and codes (small)."""
        keys = ", ".join(f"j{n}.{name}" for name in key.names)
        part = f"SELECT DISTINCT {keys}, {code} AS code FROM j{n} WHERE {where}"
        self._problem(kind, col_id, part, list(key.names), key.on("{p}"))

    def _problem(self, kind: str, col_id: int, part: str, keys: list[str], on: str) -> None:
        self.parts.append(_ProblemPart(kind, col_id, part, keys, on))

    def compile_unmapped(self) -> None:
        """Codes of a column that no variable reading it maps (a code one reader leaves to
        another, like a venue read for sectors and for forms, is not unmapped)."""
        for (version, _), readers in self.readers.items():
            cell = self.cell(readers[0].column)
            if not _is_column(cell) or any(r.n < 0 for r in readers):
                continue  # a missing column is reported as such; an inline reader maps all
            parts = " UNION ALL ".join(
                f"SELECT j{r.n}.__v, j{r.n}.x{r.position} AS cell, j{r.n}.item AS code, "
                f"{r.mapped} AS mapped FROM j{r.n} WHERE j{r.n}.col = {r.position}"
                for r in readers)
            part = (f"SELECT __v, cell, code FROM ({parts}) q WHERE __v = {lit(version)} "
                    f"GROUP BY __v, cell, code HAVING NOT BOOL_OR(mapped)")
            self._problem("unmapped", self.column_id(readers[0].column), part, ["__v", "cell"],
                          f"base.__v = {{p}}.__v AND base.{cell} IS NOT DISTINCT FROM {{p}}.cell")

    def version_problems(self) -> None:
        if self.fixed is not None:
            return
        keys = self.date_columns or ["__one"]
        part = f"SELECT DISTINCT {', '.join(self.date_columns) or '1 AS __one'}, __vp AS code " \
               f"FROM d4 WHERE __v IS NULL"
        self._problem("version", -1, part, keys, self._date_join("base", "{p}"))

    # -- 4. records -------------------------------------------------------------------------------
    def records_sql(self) -> tuple[str, list[OutputColumn]]:
        """The record query: the variables of a slot are combined once per distinct
        combination of their keys, in a table ``r<n>`` shared by the slots whose variables
        read the same cells, and each ``r<n>`` is joined back to the rows once."""
        header = dict(semantics.HEADER_SLOTS)
        selects = [f"base.{ROW} AS {ROW}"]
        outputs: list[OutputColumn] = []
        by_slot: dict[str, list[_Variable]] = {}
        for variable in self.compiled:
            by_slot.setdefault(variable.slot, []).append(variable)
        groups: dict[tuple[str, ...], list[tuple[int, SlotInfo, list[_Variable]]]] = {}
        for index, (name, slot) in enumerate(self.vocab.slots.items()):
            variables = by_slot.get(name, [])
            if any(v.cte is not None for v in variables):
                groups.setdefault(self._key_columns(variables), []).append(
                    (index, slot, variables))
        where: dict[int, str] = {}
        joins = []
        for n, (columns, members) in enumerate(groups.items()):
            joins.append(self._result_table(n, columns, members))
            where.update({index: f"r{n}.v{index}" for index, _, _ in members})
        for index, (name, slot) in enumerate(self.vocab.slots.items()):
            sql_type = self._sql_type(slot)
            variables = by_slot.get(name, [])
            expr = "NULL"
            if index in where:
                expr = where[index]  # already of the slot's type
            elif variables:  # constants and row-level variables
                expr = self._slot_sql(slot, variables, "base.__v")
            if name in header:  # the crosswalk's own statement, from table t_header
                stated = self._stated(name)
                expr = f"COALESCE({expr}, {stated})" if expr != "NULL" else stated
            elif name == "source_file":  # a scalar subquery: computed once, not per row
                expr = "(SELECT source_file FROM t_file)"
            elif name == "source_row":
                expr = f"base.{ROW}"
            elif name == "vocabulary_version":
                expr = lit(self.vocab.version)
            selects.append(f"CAST({expr} AS {sql_type}) AS {name}")
            outputs.append(OutputColumn(name, sql_type))
        # typed as the slots are, so that no row pays for a cast
        self.tables.header.columns = [("v", "VARCHAR"),
                                      *[(name, self._sql_type(self.vocab.slots[name]))
                                        for name in header if name in self.vocab.slots]]
        for cw in self.versions:
            self.tables.header.rows.append((cw.version, *[
                None if getattr(cw, header[name], None) is None
                else str(getattr(cw, header[name])) for name in header
                if name in self.vocab.slots]))
        sql = (f"SELECT {', '.join(selects)} FROM base"
               f"{''.join(joins)}{''.join(self.row_joins)}{EXCLUDE} WHERE base.__v IS NOT NULL")
        return sql, outputs

    def _stated(self, slot: str) -> str:
        """What the crosswalk's header states for ``slot``, per version: scalar subqueries of
        t_header, computed once per query rather than once per row."""
        if len(self.versions) == 1:
            return f"(SELECT {slot} FROM t_header)"
        cases = " ".join(f"WHEN {lit(cw.version)} THEN (SELECT {slot} FROM t_header "
                         f"WHERE v = {lit(cw.version)})" for cw in self.versions)
        return f"CASE base.__v {cases} END"

    @staticmethod
    def _key_columns(variables: Sequence[_Variable]) -> tuple[str, ...]:
        """The ``base`` columns (cells, collection flags) the variables' results depend on."""
        found: list[str] = []
        for variable in variables:
            for expr in (variable.key.exprs[1:] if variable.key else []):
                if _is_column(expr) and expr not in found:
                    found.append(expr)
        return tuple(sorted(found))

    def _result_table(self, n: int, columns: Sequence[str],
                      members: Sequence[tuple[int, SlotInfo, Sequence[_Variable]]]) -> str:
        """Tables s<n> (the distinct combinations of ``columns``) and r<n> (the value of each
        member slot for each); returns the join of r<n> to ``base``."""
        z = {expr: f"z{j}" for j, expr in enumerate(columns)}
        select = ", ".join(["__v", *[f"{e} AS {z[e]}" for e in columns]])
        inputs = [e for e in columns if not e.startswith("__w")]
        self.ctes.append(f"s{n} AS ({self.distinct(inputs, select)})")
        joins, values = [], []
        for index, slot, variables in members:
            for variable in variables:
                if variable.cte is None or variable.key is None:
                    continue
                tests = [f"{variable.cte}.__v = s{n}.__v"]
                for key_name, expr in zip(variable.key.names[1:], variable.key.exprs[1:],
                                          strict=True):
                    if _is_column(expr):
                        tests.append(f"s{n}.{z[expr]} IS NOT DISTINCT FROM "
                                     f"{variable.cte}.{key_name}")
                joins.append(f" LEFT JOIN {variable.cte} ON {' AND '.join(tests)}")
            values.append(f"{self._slot_sql(slot, variables, f's{n}.__v')} AS x{index}")
        keys = ", ".join([f"s{n}.__v", *[f"s{n}.{z[e]}" for e in columns]])
        self.ctes.append(f"t{n} AS (SELECT {keys}, {', '.join(values)} FROM s{n}"
                         f"{''.join(joins)})")
        typed = ", ".join(f"TRY_CAST(x{index} AS {self._sql_type(slot)}) AS v{index}"
                          for index, slot, _ in members)
        self.ctes.append(f"r{n} AS (SELECT t{n}.*, {typed} FROM t{n})")
        # rows of one version need no version test: a row without one matches nothing
        tests = [] if self.row_version is not None else [f"base.__v = r{n}.__v"]
        tests += [f"base.{e} IS NOT DISTINCT FROM r{n}.{z[e]}" for e in columns]
        for index, slot, _ in members:
            self._value_check(n, index, slot, columns, z)
        return f" LEFT JOIN r{n} ON {' AND '.join(tests) or 'TRUE'}"

    def _value_check(self, n: int, index: int, slot: SlotInfo, columns: Sequence[str],
                     z: Mapping[str, str]) -> None:
        """The distinct values slot ``index`` takes (checked against the vocabulary's JSON
        Schema by the engine, which lists the bad ones in ``t_invalid``), and the problem part
        that finds the rows holding a bad one."""
        if slot.multivalued:
            values = f"SELECT DISTINCT u.x AS value FROM r{n}, UNNEST(r{n}.x{index}) AS u(x)"
            held = (f"SELECT r{n}.*, u.x AS code FROM r{n}, UNNEST(r{n}.x{index}) AS u(x)")
        else:
            values = f"SELECT DISTINCT x{index} AS value FROM r{n} WHERE x{index} IS NOT NULL"
            held = f"SELECT r{n}.*, x{index} AS code FROM r{n}"
        self.value_checks.append((slot.name, values))
        keys = ["__v", *[z[e] for e in columns]]
        part = (f"SELECT DISTINCT {', '.join(keys)}, code FROM ({held}) h WHERE code IN "
                f"(SELECT value FROM t_invalid WHERE slot = {lit(slot.name)})")
        on = " AND ".join(["base.__v = {p}.__v",
                           *[f"base.{e} IS NOT DISTINCT FROM {{p}}.{z[e]}" for e in columns]])
        self._problem("invalid", self.column_id(slot.name), part, keys, on)

    def problem_rows_sql(self) -> tuple[str, list[str], list[ProblemJoin]]:
        """(problem keys, their tables, their joins). The first lists the problem items from
        ``g`` alone (part, kind, column id, code); the tables ``q<part>`` hold, per key of a
        part that has items, its items encoded as ``kind:col:code``, and the joins find the
        rows concerned in one more scan (:meth:`Plan.problem_rows`)."""
        if not self.parts:
            return ("SELECT 0 AS part, 'none' AS kind, 0 AS col, 'none' AS code WHERE FALSE",
                    [], [])
        keys = " UNION ALL ".join(
            f"SELECT {j} AS part, {lit(part.kind)} AS kind, {part.col} AS col, q.code AS code "
            f"FROM ({part.part}) q" for j, part in enumerate(self.parts))
        ctes, joins = [], []
        for j, part in enumerate(self.parts):
            group = ", ".join(part.keys)
            ctes.append(f"q{j} AS (SELECT {group}, LIST(DISTINCT {lit(part.kind + ':')} || "
                        f"CAST({part.col} AS VARCHAR) || ':' || COALESCE(code, '')) AS items "
                        f"FROM ({part.part}) q GROUP BY {group})")
            joins.append(ProblemJoin(f" LEFT JOIN q{j} ON {part.on.replace('{p}', f'q{j}')}",
                                     f"COALESCE(q{j}.items, CAST([] AS VARCHAR[]))",
                                     f"q{j}.items IS NOT NULL"))
        return keys, ctes, joins

    def _sql_type(self, slot: SlotInfo) -> str:
        """The slot's SQL type: an ENUM of the vocabulary's values for an enumerated slot
        (Parquet then stores it dictionary-encoded, and a value outside the vocabulary cannot
        be written), BIGINT, BOOLEAN or text otherwise; a list of it when multivalued."""
        if slot.enum:
            scalar = "ENUM(" + ", ".join(lit(v) for v in self.vocab.slot_values(slot.name)) + ")"
        else:
            scalar = {"integer": "BIGINT", "boolean": "BOOLEAN"}.get(slot.range, "VARCHAR")
        return f"{scalar}[]" if slot.multivalued else scalar

    def _slot_sql(self, slot: SlotInfo, variables: Sequence[_Variable], version: str) -> str:
        """:meth:`semantics.SlotState.result` over the variables feeding ``slot``."""
        if not variables:
            return "NULL"
        if all(v.cte is None and v.inline is None for v in variables):
            return self._constant_sql(slot, variables, version)
        if len(variables) == 1 and variables[0].scalar is not None and not slot.multivalued:
            return variables[0].scalar  # one cell kept as it is: no list functions per row
        lists, unknown, none = [], [], []
        for variable in variables:
            same_version = f"{version} = {lit(variable.version)}"
            if variable.inline is not None:
                lists.append(variable.inline)
                continue
            if variable.cte is None:
                value = self._target_values(slot, [variable.constant or ""])[0]
                lists.append(f"CASE WHEN {same_version} THEN [{lit(value)}] END")
                continue
            lists.append(f"{variable.cte}.vals")
            unknown.append(f"COALESCE({variable.cte}.unk, FALSE)")
            none.append(f"COALESCE({variable.cte}.none, FALSE)")
        values = "FLATTEN([" + ", ".join(f"COALESCE({v}, CAST([] AS VARCHAR[]))"
                                         for v in lists) + "])"
        if slot.multivalued:
            ordered = f"LIST_SORT(LIST_DISTINCT({values}))"
            result = f"LIST_TRANSFORM({ordered}, lambda x: SUBSTR(x, {ORDER_WIDTH + 2}))" \
                if slot.enum else ordered
            empty = "CAST([] AS VARCHAR[])"
        else:
            result = f"{values}[1]"
            empty = "NULL"
        when = [f"WHEN ARRAY_LENGTH({values}) > 0 THEN {result}"]
        if unknown:
            when.append(f"WHEN {' OR '.join(unknown)} THEN NULL")
        if none:
            when.append(f"WHEN {' OR '.join(none)} THEN {empty}")
        return f"CASE {' '.join(when)} END"

    def _constant_sql(self, slot: SlotInfo, variables: Sequence[_Variable], version: str) -> str:
        """A slot fed by constants only: a literal per version, worked out here, so that no
        row pays for list functions."""
        per_version: dict[str, list[str]] = {}
        for variable in variables:
            per_version.setdefault(variable.version, []).append(variable.constant or "")

        def literal(values: list[str]) -> str:
            distinct = list(dict.fromkeys(values))
            if not slot.multivalued:
                return lit(distinct[0])
            order = _enum_order(self.vocab, slot) if slot.enum else {}
            distinct.sort(key=lambda value: (order.get(value, len(order)), value))
            return "[" + ", ".join(lit(value) for value in distinct) + "]"

        if self.row_version is not None:
            values = per_version.get(self.row_version)
            return literal(values) if values else "NULL"
        cases = " ".join(f"WHEN {lit(v)} THEN {literal(values)}"
                         for v, values in per_version.items())
        return f"CASE {version} {cases} END"

    # -- all together ----------------------------------------------------------------------------
    def keys_sql(self) -> tuple[str, dict[str, str]]:
        """The first scan: one GROUPING SETS aggregation over ``src`` holding every distinct
        combination of cells a later step needs, plus the grand total; and, per set
        placeholder, the test that picks the set's rows of ``g``.

        A set is told by ``gid0, gid1, ...``: per chunk of grouped columns, the bits of
        ``GROUPING(c)`` of each (set when ``c`` is *not* in the set). Per-column GROUPING is
        what DuckDB and Spark share, and chunks keep each ``gid`` within a BIGINT however
        many columns an export has."""
        self._gid([])  # the grand total
        used = {c for s in self.sets for c in s}
        grouped = [c for c in self.grouped if c in used]
        chunks = [grouped[i:i + GID_BITS] for i in range(0, len(grouped), GID_BITS)] or [[]]
        gids = [" + ".join(f"GROUPING({c}) * {1 << i}" for i, c in enumerate(chunk)) or "0"
                for chunk in chunks]
        tests = {}
        for index, wanted in enumerate(self.sets):
            values = [sum(1 << i for i, c in enumerate(chunk) if c not in wanted)
                      for chunk in chunks]
            tests[f"__set{index}__"] = " AND ".join(f"gid{k} = {v}"
                                                   for k, v in enumerate(values))
        computed = "".join(f", {sql} AS {name}" for name, sql in self.computed.items())
        source = f"(SELECT {SRC}.*{computed} FROM {SRC}) {SRC}" if computed else SRC
        rendered = ", ".join("(" + ", ".join(s) + ")" for s in self.sets)
        columns = "".join(f"{c}, " for c in grouped)
        gid_columns = ", ".join(f"{g} AS gid{k}" for k, g in enumerate(gids))
        sql = (f"SELECT {columns}{gid_columns}, COUNT(*) AS __n FROM {source} "
               f"GROUP BY GROUPING SETS ({rendered})")
        return sql, tests

    def compile(self) -> Plan:
        self.plan_inline()
        self.compile_base()
        self.compile_variables()
        self.compile_unmapped()
        self.version_problems()
        records, outputs = self.records_sql()
        problem_keys, problem_ctes, problem_joins = self.problem_rows_sql()
        _, everything = self._gid([])
        total = f"SELECT __n AS n FROM g WHERE {everything}"
        if self.fixed is None:
            dates = ", ".join([*self.date_columns, "__n"])
            _, test = self._gid(self.date_columns)
            counts = (f"SELECT d5.__v AS v, SUM(gg.__n) AS n FROM (SELECT {dates} FROM g "
                      f"WHERE {test}) gg LEFT JOIN d5 ON {self._date_join('gg', 'd5', '__dk')} "
                      "GROUP BY d5.__v")
        else:
            counts = f"SELECT {lit(self.fixed)} AS v, __n AS n FROM g WHERE {everything}"
        keys, tests = self.keys_sql()  # last: every grouping set is known now

        definitions = {}
        for cte in [*self.ctes, *problem_ctes]:
            name, body = cte.split(" AS ", 1)
            definitions[name] = body.strip()[1:-1]
        tables = [n for n in definitions if re.fullmatch(r"d5|r[0-9]+|q[0-9]+", n)]

        def parse(text: str) -> Query:
            """The statement with the definitions it reads (other than tables) as CTEs."""
            needed: list[str] = []

            def visit(sql: str) -> None:
                for name in _references(sql):
                    if name in definitions and name not in tables and name not in needed:
                        visit(definitions[name])
                        needed.append(name)

            visit(text)
            order = list(definitions)
            needed.sort(key=order.index)
            if needed:
                text = "WITH " + ", ".join(f"{n} AS ({definitions[n]})" for n in needed) \
                    + " " + text
            for placeholder, test in tests.items():
                text = text.replace(placeholder, test)
            return Query(text)

        def steps(names: Sequence[str]) -> list[Step]:
            return [Step(name, parse(definitions[name]), "table") for name in names]

        main = [n for n in tables if not n.startswith("q")]
        return Plan(parse(keys), parse(total), parse(counts), steps(main),
                    parse(problem_keys), steps([n for n in tables if n.startswith("q")]),
                    problem_joins, definitions["base"],
                    parse(records.replace(EXCLUDE, "")),
                    parse(records.replace(EXCLUDE, f" LEFT JOIN {PROBLEM_ROWS} __x ON __x.{ROW} = "
                                                   f"base.{ROW}").replace(
                        "WHERE base.__v IS NOT NULL",
                        f"WHERE base.__v IS NOT NULL AND __x.{ROW} IS NULL")),
                    [(slot, parse(sql)) for slot, sql in self.value_checks],
                    self.tables.all(), outputs, self.problem_columns,
                    [cw.version for cw in self.versions])


_RELATION = re.compile(r"(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)\b|\b([a-z_][a-z0-9_]*)\.")


def _references(sql: str) -> set[str]:
    """Names a statement reads as relations (``FROM x``, ``JOIN x``, ``x.column``)."""
    return {a or b for a, b in _RELATION.findall(sql)}


def compile_source(versions: Sequence[Crosswalk], vocab: Vocabulary,
                   binding: Mapping[str, str | None], fixed: str | None,
                   source_file: str) -> Plan:
    """The plan for the versions of one source bound to one input's columns."""
    return Compiler(versions, vocab, binding, fixed, source_file).compile()
