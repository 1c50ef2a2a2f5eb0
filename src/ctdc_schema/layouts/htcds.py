"""The HTCDS 2.0 layout: harmonised records in the Human Trafficking Case Data Standard's
field names and value names, for contributors whose systems follow it.

``ctdc transform ... --layout htcds`` writes one CSV row per record:

* first the HTCDS fields some vocabulary slot writes, in the standard's order, headed by
  their full names (``prs_Gender``, ``vic_MethodsOfControl``); every cell holds picklist value
  names of the standard (``Feminine``, ``DebtBondage;Other``) or ISO 3166-1 codes;
* then, as extension columns ``ctdc_<slot>`` with the vocabulary's own values, every slot the
  HTCDS fields do not say in full: the slots with no HTCDS field
  (``ctdc_year_of_registration``, ``ctdc_country_of_exploitation``), and those with values that
  reach no HTCDS value or share one (``ctdc_means_of_control``: ``threats`` has none,
  ``intimate_partner`` and ``friend_acquaintance`` are both ``Acquainted``), so that nothing
  the record knows is lost. Text that a spreadsheet would run as a formula is written with a
  leading apostrophe, as in every CSV the toolkit writes.

Where each slot and value goes is declared in the vocabulary and resolved by
``ctdc_schema.htcds``; a value with no HTCDS value leaves its field empty, and the docs site's
"HTCDS 2.0 layout" page gives the reason for each. Several values in one cell are separated by
``;``, as Salesforce, the standard's reference toolkit, writes a multi-select picklist, in the
picklist's order. Two HTCDS picklists are single-select, ``vic_ForcedLabourIndustry`` and
``vic_RelationshipToTrafficker``, while a CTDC record can hold several sectors or recruiters:
the layout keeps them all, so a strict single-select import must choose. An unknown and a
known-empty list are both an empty cell.

Codes reach DuckDB as parameters (DuckDB variables), never as SQL text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctdc_schema.engine.outputs import neutral_sql
from ctdc_schema.errors import UsageError
from ctdc_schema.layouts import write_columns

if TYPE_CHECKING:
    from ctdc_schema.htcds import Target
    from ctdc_schema.vocabulary import Vocabulary
from ctdc_schema.sqltext import ident

#: the prefix of an extension column: a slot with no HTCDS field
EXTENSION = "ctdc_"
SEPARATOR = ";"


class HtcdsLayout:
    """The layout; its fields and values come from the vocabulary's HTCDS declarations."""

    name = "htcds"

    def columns(self, con: Any, present: Sequence[str]) -> list[tuple[str, str]]:
        """(column, SQL expression over record ``r``): the HTCDS fields, then the extensions."""
        from ctdc_schema import htcds, vocabulary

        vocab = vocabulary.load()
        plan = htcds.plan(vocab)
        if plan.problems:
            raise UsageError(f"the vocabulary's HTCDS declarations do not resolve: "
                             f"{plan.problems[0].message} (run `ctdc validate`: VC107)")
        out: list[tuple[str, str]] = []
        for target_field in plan.written_fields():
            target = next(t for t in plan.targets if t.field == target_field)
            out.append((target_field.name, self._cell(con, len(out), target, present, vocab)))
        said = {t.slot for t in plan.targets if t.lossless}  # in full by its HTCDS field
        for slot in vocab.slots.values():
            if slot.name in said:
                continue
            if slot.name not in present:
                sql = "NULL"
            elif slot.multivalued:
                sql = f"array_to_string(CAST(r.{ident(slot.name)} AS VARCHAR[]), '{SEPARATOR}')"
            else:
                sql = f"CAST(r.{ident(slot.name)} AS VARCHAR)"
            out.append((EXTENSION + slot.name, neutral_sql(sql)))
        return out

    def _cell(self, con: Any, index: int, target: Target, present: Sequence[str],
              vocab: Vocabulary) -> str:
        """The field's text from one slot: its values through the declared mapping."""
        if target.slot not in present:
            return "NULL"
        slot = ident(target.slot)
        mapping = target.mapping()
        var = f"h{index}"
        multivalued = vocab.slots[target.slot].multivalued
        if multivalued:
            # each HTCDS value prefixed with its place in the picklist, so that one sort puts
            # a cell's values in the picklist's order; the prefix is cut off again
            order = list(target.field.values) or sorted(set(mapping.values()))
            mapping = {name: f"{order.index(value):03d}{value}"
                       for name, value in mapping.items()}
        con.execute(f"SET VARIABLE {var} = MAP(CAST(? AS VARCHAR[]), CAST(? AS VARCHAR[]))",
                    [list(mapping), list(mapping.values())])
        if not multivalued:
            return f"getvariable('{var}')[CAST(r.{slot} AS VARCHAR)]"
        mapped = (f"list_distinct(list_transform(CAST(r.{slot} AS VARCHAR[]), "
                  f"lambda x: getvariable('{var}')[x]))")
        return (f"nullif(array_to_string(list_transform(list_sort({mapped}), "
                f"lambda v: v[4:]), '{SEPARATOR}'), '')")

    def write(self, con: Any, source: str, parameters: Sequence[Any], target: Path) -> None:
        """The CSV: a header of HTCDS field names and extension columns, one row per
        record."""
        write_columns(con, source, parameters, target,
                      lambda present: self.columns(con, present))


LAYOUT = HtcdsLayout()
