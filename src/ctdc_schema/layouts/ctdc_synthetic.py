"""The CTDC Global Synthetic Dataset layout (codebook v2, February 2024): 27 columns, ``,``.

``ctdc synthesize --layout ctdc-synthetic`` (and ``ctdc transform --layout ctdc-synthetic``)
write harmonised records the way the collaborative's synthetic release writes its rows. Every
cell comes from the bundled ``ctdc-synthetic`` crosswalk read backwards, so the layout and the
crosswalk cannot disagree:

* a value is written as the first code the crosswalk maps to it (``Woman``, ``18--20``);
* a country as the crosswalk's code for it, else its ISO 3166-1 alpha-3 code (pycountry);
* a flag column as ``1`` when the record's list holds the flag's value or a finer value that
  rolls up to it (``debt_bondage`` sets ``meansDebtBondageEarnings``; the vocabulary's ``is_a``),
  and empty otherwise: the release has no 0, so "known none" and "unknown" are both empty;
* a value kept as it is (the year) as its text; absence as an empty cell.

Codes reach DuckDB as parameters (DuckDB variables), never as SQL text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ctdc_schema.datamodel.crosswalk import Variable
from ctdc_schema.errors import UsageError
from ctdc_schema.layouts import CrosswalkLayout, write_columns
from ctdc_schema.sqltext import ident

SOURCE = "ctdc-synthetic"


class CtdcSyntheticLayout(CrosswalkLayout):
    """The layout; its codes come from the bundled ``ctdc-synthetic`` crosswalk (latest)."""

    name = "ctdc-synthetic"
    source = SOURCE

    def columns(self, con: Any, present: Sequence[str]) -> list[tuple[str, str]]:
        """(column, SQL expression over record ``r``), in the crosswalk's order; a slot the
        records do not hold (``present``) is an empty column."""
        from ctdc_schema import vocabulary

        vocab = vocabulary.load()
        out: list[tuple[str, str]] = []
        for variable in self.crosswalk.variables:
            kind = str(variable.transform.type) if variable.transform is not None else None
            if kind == "constant" or not variable.column:
                continue
            if variable.slot not in present:
                out += [(column, "NULL") for column in variable.column]
            elif kind == "flags":
                out += [(column, self._flag(con, vocab, len(out) + i, variable, column))
                        for i, column in enumerate(variable.column)]
            elif len(variable.column) == 1 and variable.split is None:
                out.append((variable.column[0], self._value(con, len(out), variable, kind)))
            else:
                raise UsageError(f"cannot write column(s) {', '.join(variable.column)} of the "
                                 f"{SOURCE} layout")
        return out

    def _value(self, con: Any, index: int, variable: Variable, kind: str | None) -> str:
        slot = ident(variable.slot)
        pairs: dict[str, str] = {}
        for code, mapping in (variable.values or {}).items():
            if mapping.value is not None and not mapping.unknown:
                pairs.setdefault(str(mapping.value), code)
        if kind == "country":
            import pycountry

            if variable.transform is None or str(variable.transform.country_format) != \
                    "alpha_3":
                raise UsageError(f"the {SOURCE} layout writes alpha-3 countries only")
            for country in pycountry.countries:
                pairs.setdefault(country.alpha_2, country.alpha_3)
        elif not pairs:  # a value kept as it is (the year)
            return f"CAST(r.{slot} AS VARCHAR)"
        var = f"s{index}"
        con.execute(f"SET VARIABLE {var} = MAP(CAST(? AS VARCHAR[]), CAST(? AS VARCHAR[]))",
                    [list(pairs), list(pairs.values())])
        return f"getvariable('{var}')[CAST(r.{slot} AS VARCHAR)]"

    def _flag(self, con: Any, vocab: Any, index: int, variable: Variable, column: str) -> str:
        mapping = (variable.values or {}).get(column)
        if mapping is None or variable.transform is None or not variable.transform.true_codes:
            raise UsageError(f"the {SOURCE} crosswalk gives no value or true code for "
                             f"'{column}'")
        targets = set(mapping.values or ([mapping.value] if mapping.value else []))
        enum = vocab.slots[variable.slot].enum
        finer = [value for value in vocab.enum_values(enum)
                 if targets & {value, *vocab.broader(enum, value)}] if enum else sorted(targets)
        var = f"s{index}"
        con.execute(f"SET VARIABLE {var} = CAST(? AS VARCHAR[])", [finer])
        con.execute(f"SET VARIABLE {var}_true = CAST(? AS VARCHAR)",
                    [variable.transform.true_codes[0]])
        slot = ident(variable.slot)
        return (f"CASE WHEN len(list_intersect(CAST(r.{slot} AS VARCHAR[]), "
                f"getvariable('{var}'))) > 0 THEN getvariable('{var}_true') END")

    def write(self, con: Any, source: str, parameters: Sequence[Any], target: Path) -> None:
        """The release's CSV: a header of the 27 names, then one row per record."""
        write_columns(con, source, parameters, target,
                      lambda present: self.columns(con, present))


LAYOUT = CtdcSyntheticLayout()
