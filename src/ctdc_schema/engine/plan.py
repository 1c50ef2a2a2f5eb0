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
from collections.abc import Mapping, Sequence
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
    """:func:`semantics.fold` in SQL (whitespace runs to one space, trimmed, lower-cased)."""
    return f"LOWER(REGEXP_REPLACE(REGEXP_REPLACE({expr}, {lit(_WS + '+')}, ' ', 'g'), " \
           f"{lit('^ | $')}, '', 'g'))"


def strip_sql(expr: str) -> str:
    """:func:`semantics.strip` in SQL."""
    return f"REGEXP_REPLACE({expr}, {lit('^' + _WS + '+|' + _WS + '+$')}, '', 'g')"


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


@dataclass
class Plan:
    """A compiled source: the record and problem queries and the tables they join."""

    records: exp.Expression
    problems: exp.Expression
    tables: list[LookupTable]
    outputs: list[OutputColumn]
    #: problem column ids -> crosswalk column names (kept out of SQL)
    problem_columns: list[str]
    #: (version, variable index, flag position) -> column name, for flag problems
    versions: list[str]

    def sql(self, dialect: str = "duckdb") -> str:
        from ctdc_schema.engine import dialects

        return dialects.render(self.records, dialect)


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
        self._country_formats: set[str] = set()
        self._band_slots: set[str] = set()

    def all(self) -> list[LookupTable]:
        return [self.missing, self.codes, self.conds, self.flags, self.countries, self.bands]

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
    """One compiled variable: its slot, version, and result CTE with its key (or a constant)."""

    slot: str
    version: str
    cte: str | None
    key: _Key | None
    constant: str | None = None


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
        self.versions = sorted(versions, key=lambda cw: cw.valid_from)
        self.vocab = vocab
        self.binding = {semantics.fold(k): v for k, v in binding.items()}
        self.fixed = fixed
        self.source_file = source_file
        self.tables = _Tables()
        self.ctes: list[str] = []
        self.problem_parts: list[str] = []
        self.problem_columns: list[str] = []
        self.compiled: list[_Variable] = []
        self.windowed: dict[str, dict[str, str]] = {}
        self.readers: dict[tuple[str, str], list[_Reader]] = {}

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

    def compile_base(self) -> None:
        """``base``: the input rows with their version (and why none), and per windowed column
        whether it was collected, all worked out once per distinct date cell."""
        columns = sorted({c for c in self.binding.values() if c is not None})
        windows = {cw.version: semantics.collection_windows(cw.collection or [])
                   for cw in self.versions}
        if self.fixed is not None and not any(windows.values()):
            self.ctes.append(f"base AS (SELECT {', '.join([ROW, *columns])}, "
                             f"{lit(self.fixed)} AS __v, CAST(NULL AS VARCHAR) AS __vp "
                             f"FROM {SRC})")
            return
        dated = [(cw, self._date_variable(cw)) for cw in self.versions]
        cells = [self.cell(v.column[0]) if v and v.column else "CAST(NULL AS VARCHAR)"
                 for _, v in dated]
        date_columns = sorted({c for c in cells if _is_column(c)})
        d0 = ", ".join(date_columns) if date_columns else "1 AS __none"
        self.ctes.append(f"d0 AS (SELECT DISTINCT {d0} FROM {SRC})")
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
        on = " AND ".join(f"{SRC}.{c} IS NOT DISTINCT FROM d4.{c}" for c in date_columns) \
            or "TRUE"
        self.ctes.append(f"base AS (SELECT {', '.join(f'{SRC}.{c}' for c in [ROW, *columns])}, "
                         f"{', '.join(keep)} FROM {SRC} LEFT JOIN d4 ON {on})")

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
                else:
                    self._lookup(crosswalk, variable, slot, var_id, n)
            for code in crosswalk.missing_codes or []:
                row = (crosswalk.version, semantics.fold(code))
                if row not in self.tables.missing.rows:
                    self.tables.missing.rows.append(row)

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
        self.ctes.append(f"k{n} AS (SELECT DISTINCT {key.select()} FROM base "
                         f"WHERE __v = {lit(crosswalk.version)})")
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
        """Rows with a problem item of variable ``n``: the items joined back on the key."""
        keys = ", ".join(f"j{n}.{name}" for name in key.names)
        self.problem_parts.append(
            f"SELECT base.{ROW} AS __row, {lit(kind)} AS kind, {col_id} AS col, p.code AS code "
            f"FROM base JOIN (SELECT DISTINCT {keys}, {code} AS code FROM j{n} WHERE {where}) p "
            f"ON {key.on('p')}")

    def compile_unmapped(self) -> None:
        """Codes of a column that no variable reading it maps (a code one reader leaves to
        another, like a venue read for sectors and for forms, is not unmapped)."""
        for (version, _), readers in self.readers.items():
            cell = self.cell(readers[0].column)
            if not _is_column(cell):
                continue  # the input lacks the column: reported as a missing column
            parts = " UNION ALL ".join(
                f"SELECT j{r.n}.x{r.position} AS cell, j{r.n}.item AS code, {r.mapped} AS mapped "
                f"FROM j{r.n} WHERE j{r.n}.col = {r.position}" for r in readers)
            col_id = self.column_id(readers[0].column)
            self.problem_parts.append(
                f"SELECT base.{ROW} AS __row, 'unmapped' AS kind, {col_id} AS col, "
                f"p.code AS code FROM base JOIN (SELECT cell, code FROM ({parts}) q "
                f"GROUP BY cell, code HAVING NOT BOOL_OR(mapped)) p "
                f"ON base.__v = {lit(version)} AND base.{cell} IS NOT DISTINCT FROM p.cell")

    def version_problems(self) -> None:
        self.problem_parts.append(
            f"SELECT {ROW} AS __row, 'version' AS kind, -1 AS col, __vp AS code FROM base "
            f"WHERE __v IS NULL")

    # -- 4. records -------------------------------------------------------------------------------
    def records_sql(self) -> tuple[str, list[OutputColumn]]:
        header = {name: key for name, key in semantics.HEADER_SLOTS.items()}
        selects = [f"base.{ROW} AS {ROW}"]
        outputs: list[OutputColumn] = []
        joins: list[str] = []
        by_slot: dict[str, list[_Variable]] = {}
        for variable in self.compiled:
            by_slot.setdefault(variable.slot, []).append(variable)
            if variable.cte is not None and variable.key is not None:
                joins.append(f" LEFT JOIN {variable.cte} ON {variable.key.on(variable.cte)}")
        for name, slot in self.vocab.slots.items():
            sql_type = self._sql_type(slot)
            expr = self._slot_sql(slot, by_slot.get(name, []))
            if name in header:
                literal = self._per_version(lambda cw, key=header[name]: getattr(cw, key, None))
                expr = f"COALESCE({expr}, {literal})" if expr != "NULL" else literal
            elif name == "source_file":
                expr = lit(self.source_file)
            elif name == "source_row":
                expr = f"base.{ROW}"
            if expr == "NULL":
                continue
            selects.append(f"CAST({expr} AS {sql_type}) AS {name}")
            outputs.append(OutputColumn(name, sql_type))
        sql = (f"SELECT {', '.join(selects)} FROM base{''.join(joins)} "
               f"WHERE base.__v IS NOT NULL")
        return sql, outputs

    def _per_version(self, value_of: Any) -> str:
        values = {cw.version: value_of(cw) for cw in self.versions}
        if len(set(values.values())) == 1:
            (only,) = set(values.values())
            return lit(str(only)) if only is not None else "NULL"
        cases = " ".join(f"WHEN {lit(v)} THEN {lit(str(x)) if x is not None else 'NULL'}"
                         for v, x in values.items())
        return f"CASE base.__v {cases} END"

    @staticmethod
    def _sql_type(slot: SlotInfo) -> str:
        if slot.multivalued:
            return "VARCHAR[]"
        return {"integer": "BIGINT", "boolean": "BOOLEAN"}.get(slot.range, "VARCHAR")

    def _slot_sql(self, slot: SlotInfo, variables: Sequence[_Variable]) -> str:
        """:meth:`semantics.SlotState.result` over the variables feeding ``slot``."""
        if not variables:
            return "NULL"
        lists, unknown, none = [], [], []
        for variable in variables:
            same_version = f"base.__v = {lit(variable.version)}"
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

    # -- all together ----------------------------------------------------------------------------
    def compile(self) -> Plan:
        self.compile_base()
        self.compile_variables()
        self.compile_unmapped()
        self.version_problems()
        records, outputs = self.records_sql()
        with_clause = "WITH " + ", ".join(self.ctes) + " "
        problems = " UNION ALL ".join(self.problem_parts)
        try:
            records_ast = sqlglot.parse_one(with_clause + records + f" ORDER BY base.{ROW}",
                                            read="duckdb")
            problems_ast = sqlglot.parse_one(f"{with_clause}SELECT * FROM ({problems}) q",
                                             read="duckdb")
        except sqlglot.errors.ParseError as exc:  # a bug in this compiler, never user input
            raise CompileError(f"compiled SQL does not parse: {exc}") from exc
        assert isinstance(records_ast, exp.Expression) and isinstance(problems_ast, exp.Expression)
        return Plan(records_ast, problems_ast, self.tables.all(), outputs, self.problem_columns,
                    [cw.version for cw in self.versions])


def compile_source(versions: Sequence[Crosswalk], vocab: Vocabulary,
                   binding: Mapping[str, str | None], fixed: str | None,
                   source_file: str) -> Plan:
    """The plan for the versions of one source bound to one input's columns."""
    return Compiler(versions, vocab, binding, fixed, source_file).compile()
