"""Render a plan (a sqlglot AST in DuckDB's dialect) for an engine.

sqlglot transpiles almost all of it; the gaps found on this project's plans (and listed in the
engine notes) are mended here, on the AST, never by editing SQL text:

* ``TRY_STRPTIME(x, '%m/%d/%Y')`` has no Spark equivalent of that name: it becomes
  ``TRY_TO_TIMESTAMP(x, 'M/d/yyyy')`` with the format translated directive by directive (the
  plan only parses text whose shape it checked first, so the two parsers see the same input).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from ctdc_schema.crosswalk import semantics

if TYPE_CHECKING:
    from ctdc_schema.engine.plan import Query

#: strftime directive -> Java DateTimeFormatter pattern (what Spark's parser reads)
JAVA_DATE = {"%Y": "yyyy", "%m": "M", "%d": "d", "%y": "yy", "%H": "H", "%M": "m", "%S": "s",
             "%%": "%"}
DIALECTS = ("duckdb", "spark")


def java_date_format(date_format: str) -> str:
    """A strftime format (one :func:`semantics.date_regex` accepts) as a Java pattern."""
    out, position = [], 0
    while position < len(date_format):
        if date_format[position] == "%":
            out.append(JAVA_DATE[date_format[position:position + 2]])
            position += 2
        else:
            char = date_format[position]
            out.append(f"'{char}'" if char.isalpha() else char)
            position += 1
    return "".join(out)


def _spark(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.ENUM:
        return exp.DataType.build("STRING")
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "ORD":
        return exp.Anonymous(this="ASCII", expressions=node.expressions)
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "TRY_STRPTIME":
        value, fmt = node.expressions
        assert isinstance(fmt, exp.Literal) and semantics.date_regex(fmt.this) is not None
        return exp.Anonymous(this="TRY_TO_TIMESTAMP",
                             expressions=[value, exp.Literal.string(java_date_format(fmt.this))])
    return node


def render(query: Query, dialect: str = "duckdb", pretty: bool = False) -> str:
    """SQL text of ``query`` for ``dialect`` (duckdb or spark)."""
    if dialect == "duckdb":
        return query.tree.sql("duckdb", pretty=True) if pretty else query.sql
    if dialect == "spark":
        return query.tree.copy().transform(_spark).sql("spark", pretty=pretty)
    raise ValueError(f"unknown dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
