"""HTCDS 2.0, the IOM-led Human Trafficking Case Data Standard, and where the vocabulary lands
in it.

The standard is a spreadsheet: its field sheet ships in ``standards/`` and is read here, so
that every field name and picklist value the toolkit writes is checked against the standard's
own text. Where a vocabulary slot and its values go is declared in the vocabulary, as data:

* a slot with an enum names its field with the annotation ``htcds_field``
  (``vic_MethodsOfControl``), or ``none`` when it has an HTCDS mapping but no field to go to
  (``age_broad`` is banded at registration; ``vic_AgeWhenTrafficked`` is a number at first
  trafficking); one slot per field;
* a value reaches, in this order: its annotation ``htcds_value`` (a value name of the field,
  or ``none``, with the reason in ``htcds_note``); its ``meaning``; its one exact, close or
  broad HTCDS mapping among the field's values (``agriculture`` is broadMatch
  ``A_AgricultureForestryAndFishing``: the HTCDS section is wider, and still the right
  picklist value); the value of its broader value (``is_a``), when that has one. In a field
  whose picklist is ISO 3166 codes, a country reaches its code when its ``meaning`` is a
  current ISO 3166-1 code, and nothing otherwise (``ZZ`` unknown, ``XK`` user-assigned).

Narrow and related mappings never decide on their own: writing a narrower HTCDS value would
claim more than the record knows. For the same reason a value is declared to reach an HTCDS
``Other`` only when it fits none of that picklist's named values (CTDC's other means of
control does; its other exploitation may be child labour or forced begging, which HTCDS
names, so it has none). Anything the rules above leave open is a problem
(finding VC107), so a new vocabulary value cannot silently fall out of the HTCDS layout.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from dataclasses import field as _field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctdc_schema.vocabulary import ValueInfo, Vocabulary

STANDARD_FILE = Path(__file__).resolve().parent / "standards" / \
    "htcds-field-standards-2.0.tsv"
PREFIX = "htcds:"
NONE = "none"
#: mapping predicates that may choose a value on their own (the HTCDS value is the same,
#: similar, or the wider picklist entry the value belongs to)
DECIDING = ("exactMatch", "closeMatch", "broadMatch")


@dataclass(frozen=True)
class Field:
    """One field of the standard: its full name (``vic_MethodsOfControl``), label, type and
    picklist value names (empty when it is not a picklist)."""

    name: str
    label: str
    type: str
    values: tuple[str, ...]
    #: the picklist is ISO 3166 country codes ("Use ISO 3166 country codes standard")
    iso3166: bool = False

    @property
    def multiselect(self) -> bool:
        return self.type.lower().startswith("multiselect")

    def allows(self, value: str) -> bool:
        """``value`` is one of the field's picklist values (an ISO 3166-1 code in use, for a
        country field)."""
        if self.iso3166:
            import pycountry

            return len(value) == 2 and pycountry.countries.get(alpha_2=value) is not None
        return value in self.values


@cache
def fields() -> dict[str, Field]:
    """The fields of HTCDS 2.0 in the standard's order, deprecated and retired ones left
    out."""
    out: dict[str, Field] = {}
    with STANDARD_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    header = next(row for row in rows if row and row[0] == "Section")
    column = {name: i for i, name in enumerate(header)}

    def cell(row: list[str], name: str) -> str:
        i = column[name]
        return row[i].strip() if i < len(row) else ""

    for row in rows:
        if row is header or len(row) < 2:
            continue
        full = cell(row, "Field Name including Prefix")
        if not full or full == "N/A" or cell(row, "Status") in ("DEPRECATED", "RETIRED"):
            continue
        names = cell(row, "Value Names (if picklist)")
        iso = names.startswith("Use ISO 3166")
        picklist = "picklist" in cell(row, "Field Type").lower()
        values = () if iso or not picklist else tuple(
            v.strip() for v in names.split("|") if v.strip())
        out[full] = Field(full, cell(row, "Field Label"), cell(row, "Field Type"), values, iso)
    return out


@dataclass(frozen=True)
class Decision:
    """Where one vocabulary value goes: an HTCDS value, or ``None`` (it has none), and why."""

    value: str | None
    why: str


@dataclass
class Target:
    """One slot written to one HTCDS field."""

    slot: str
    field: Field
    #: vocabulary value -> its decision
    values: dict[str, Decision] = _field(default_factory=dict)

    def mapping(self) -> dict[str, str]:
        """Vocabulary value -> HTCDS value, for the values that have one."""
        return {name: d.value for name, d in self.values.items() if d.value is not None}

    @property
    def lossless(self) -> bool:
        """Every value reaches its own HTCDS value: the field says all the slot does."""
        reached = [d.value for d in self.values.values()]
        return None not in reached and len(set(reached)) == len(reached)


@dataclass(frozen=True)
class Problem:
    """A declaration the rules cannot resolve: at a slot, or at one of its enum's values."""

    message: str
    slot: str
    enum: str | None = None
    value: str | None = None


@dataclass
class Plan:
    """Every slot's place in HTCDS: the targets, the slots declared to have none, and the
    problems found on the way."""

    targets: list[Target]
    unplaced: dict[str, str]
    problems: list[Problem]

    def written_fields(self) -> list[Field]:
        """The fields some slot writes, in the standard's order."""
        used = {t.field.name for t in self.targets}
        return [f for name, f in fields().items() if name in used]


def plan(vocab: Vocabulary) -> Plan:
    """Resolve every slot and value of ``vocab`` against the standard."""
    standard = fields()
    targets: list[Target] = []
    unplaced: dict[str, str] = {}
    problems: list[Problem] = []
    for slot in vocab.slots.values():
        declared = slot.annotations.get("htcds_field")
        if declared is None:
            if any(m.curie.startswith(PREFIX) for m in slot.mappings):
                problems.append(Problem(
                    f"slot {slot.name} has an HTCDS mapping but no htcds_field annotation "
                    f"(a field of HTCDS 2.0, or {NONE})", slot.name))
            continue
        if declared == NONE:
            unplaced[slot.name] = slot.annotations.get("htcds_note", "")
            continue
        target_field = standard.get(declared)
        if target_field is None:
            problems.append(Problem(f"slot {slot.name}: '{declared}' is not a field of HTCDS "
                                    "2.0", slot.name))
            continue
        if slot.enum is None:
            problems.append(Problem(f"slot {slot.name} has no enum: only a slot's values "
                                    "can be written to an HTCDS picklist", slot.name))
            continue
        taken = next((t.slot for t in targets if t.field == target_field), None)
        if taken is not None:
            problems.append(Problem(f"slot {slot.name}: {declared} is written from {taken} "
                                    "already", slot.name))
            continue
        target = Target(slot.name, target_field)
        for value in vocab.enum_values(slot.enum).values():
            decision = _decide(vocab, slot.enum, value, target_field, set())
            if isinstance(decision, str):
                problems.append(Problem(decision, slot.name, slot.enum, value.name))
            else:
                target.values[value.name] = decision
        targets.append(target)
    return Plan(targets, unplaced, problems)


def _decide(vocab: Vocabulary, enum: str, value: ValueInfo, target: Field,
            seen: set[str]) -> Decision | str:
    """The decision for ``value``, or the problem that prevents one."""
    declared = value.annotations.get("htcds_value")
    note = value.annotations.get("htcds_note", "")
    if declared is not None:
        if declared == NONE:
            return Decision(None, note or "declared to have none")
        if not target.allows(declared):
            return f"{enum}.{value.name}: htcds_value '{declared}' is not a value of {target.name}"
        return Decision(declared, note or "declared")
    if target.iso3166:
        code = (value.meaning or "").partition("iso3166:")[2]
        if code and not value.deprecated and target.allows(code):
            return Decision(code, "ISO 3166-1 alpha-2 code")
        return Decision(None, "not an ISO 3166-1 code in use")
    found: dict[str, str] = {}
    if value.meaning and value.meaning.startswith(PREFIX):
        found[value.meaning[len(PREFIX):]] = "its meaning"
    for mapping in value.mappings:
        if mapping.predicate in DECIDING and mapping.curie.startswith(PREFIX):
            found.setdefault(mapping.curie[len(PREFIX):], f"its {mapping.predicate}")
    found = {name: why for name, why in found.items() if target.allows(name)}
    if len(found) == 1:
        ((name, why),) = found.items()
        return Decision(name, why)
    if len(found) > 1:
        return (f"{enum}.{value.name} reaches {', '.join(sorted(found))} of {target.name}; "
                "choose one with htcds_value")
    if value.parent is not None and value.parent not in seen:
        parent = vocab.enum_values(enum).get(value.parent)
        if parent is not None:
            inherited = _decide(vocab, enum, parent, target, seen | {value.name})
            if isinstance(inherited, Decision) and inherited.value is not None:
                return Decision(inherited.value, f"through is_a {parent.name}")
    return (f"{enum}.{value.name} reaches no value of {target.name}; declare htcds_value "
            f"(one of its values, or {NONE}) with an htcds_note")
