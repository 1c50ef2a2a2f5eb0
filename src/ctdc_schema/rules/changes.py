"""CH: what a change between two versions does to the people who use them (``ctdc diff``).

CH1xx are **breaking** (an export or a time series built on the old version may now mean
something else: a major version), CH2xx **additive** (new things, nothing old re-meant: a minor
version), CH3xx **patch** (wording only). Each is a finding, so every reporter of ``ctdc
validate`` renders a diff too.
"""

from __future__ import annotations

from enum import IntEnum

from ctdc_schema.findings import Rule, Severity, register


class Bump(IntEnum):
    """What a change asks of the version number, and what a version step gives."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def kind(self) -> str:
        """The change kind (``changes`` list, ChangeKind) that asks for this bump."""
        return {Bump.MAJOR: "breaking", Bump.MINOR: "additive"}.get(self, "patch")


def bump_of(code: str) -> Bump:
    """The version part a CH finding asks for: CH1xx major, CH2xx minor, CH3xx patch."""
    return {"CH1": Bump.MAJOR, "CH2": Bump.MINOR, "CH3": Bump.PATCH}.get(code[:3], Bump.NONE)


def _rule(code: str, name: str, severity: Severity, summary: str, explanation: str,
          bad: str, good: str) -> Rule:
    return register(Rule(code=code, name=name, severity=severity, summary=summary,
                         explanation=explanation, bad=bad, good=good))


BREAKING_NOTE = ("Breaking: partners' exports or harmonised time series can change meaning, "
                 "so the vocabulary needs a new major version, and a crosswalk a new version "
                 "file. ")

SLOT_REMOVED = _rule(
    "CH101", "slot-removed", Severity.ERROR, "A vocabulary slot was removed or renamed.",
    BREAKING_NOTE + "Records and crosswalks that use the slot no longer validate.",
    "# 1.2.0: slots: {abducted: ...}\n# 1.3.0: (abducted gone)\n",
    "# 2.0.0: abducted removed, listed in `changes`\n")
VALUE_REMOVED = _rule(
    "CH102", "value-removed", Severity.ERROR,
    "A permissible value was removed or renamed.",
    BREAKING_NOTE + "Crosswalks that map onto it and records that hold it break.",
    "# Gender 1.x: female, male, transgender_nonconforming -> female, male\n",
    "# keep the value, deprecate it (`deprecated:`), remove it in the next major version\n")
SLOT_NARROWED = _rule(
    "CH103", "slot-narrowed", Severity.ERROR,
    "A slot became required or single-valued, its range or pattern changed, or its bounds "
    "narrowed.",
    BREAKING_NOTE + "Records valid before may be invalid now.",
    "exploitation_types: {multivalued: true} -> {multivalued: false}\n",
    "(a new slot with the new shape; the old one deprecated)\n")
CODE_REMOVED = _rule(
    "CH104", "code-removed", Severity.ERROR,
    "A crosswalk no longer maps a source code, or no longer reads a variable.",
    BREAKING_NOTE + "Exports that still hold the code now fail (DX201) or lose a slot.",
    'values: {"F": female, "M": male} -> values: {"F": female}\n',
    "(a new crosswalk version whose window starts when the source stopped writing the code)\n")
CODE_REMAPPED = _rule(
    "CH105", "code-remapped", Severity.ERROR,
    "A source code now reaches another target, or a missing code became a value (or the "
    "reverse).",
    BREAKING_NOTE + "The same export now harmonises to other records.",
    '"Other": other -> "Other": other_exploitation\n',
    "(a new crosswalk version, with the change in its `changes` list)\n")
PREDICATE_WEAKENED = _rule(
    "CH106", "predicate-weakened", Severity.ERROR,
    "A match predicate changed so that fewer claims hold: exactMatch to any other, closeMatch "
    "to broad, narrow or related, broad to narrow (or the reverse), or to relatedMatch.",
    BREAKING_NOTE + "Analyses that relied on an exact match no longer may.",
    "predicate: exactMatch -> predicate: closeMatch\n",
    "(a new crosswalk version that says why in its `changes` and the note)\n")
WINDOW_SHORTENED = _rule(
    "CH107", "window-shortened", Severity.ERROR,
    "A crosswalk's validity window now covers fewer dates.",
    BREAKING_NOTE + "Records in the dropped dates no longer have a crosswalk version.",
    'valid_to: null -> valid_to: "2017-03-29"\n',
    "(close the window only together with a new version that starts where it ends)\n")
DEFINITION_CHANGED = _rule(
    "CH108", "definition-changed", Severity.ERROR,
    "What the source counts or how its records are chosen changed: unit of record, legal "
    "definition, data source type, window axis, export format, or the version it supersedes.",
    BREAKING_NOTE + "Counts built on the old version count something else now.",
    "unit_of_record: victim -> unit_of_record: potential_victim\n",
    "(a new crosswalk version, with the change in its `changes` list)\n")
VALUE_REDEFINED = _rule(
    "CH109", "value-redefined", Severity.ERROR,
    "A permissible value's `meaning` (its ontology term) or its broader value (`is_a`) "
    "changed.",
    BREAKING_NOTE + "Records that hold the value now claim another concept, or roll up "
    "under another broader value.",
    "forced_labour: {meaning: htcds:ForcedLabour} -> {meaning: htcds:Slavery}\n",
    "(a new value with the new meaning; the old one deprecated, removed in the next major)\n")
ANNOTATION_CHANGED = _rule(
    "CH110", "annotation-changed", Severity.ERROR,
    "An annotation the toolkit acts on was changed or removed on a slot or value (disclosure, "
    "generalisation, definition_depends_on, ctdc_code ...), or a slot or value now lands "
    "elsewhere in HTCDS 2.0, or nowhere.",
    BREAKING_NOTE + "Annotations decide how records are read and written beyond the "
    "vocabulary's own shape: the CTDC release layout (`ctdc_code`), what a de-identified "
    "release drops or generalises (`disclosure`, `generalisation`), where the HTCDS layout "
    "writes a value (`htcds_field`, `htcds_value`). Changing one changes those outputs for "
    "records that did not change. Adding an annotation is additive (CH201); a `*_note` "
    "annotation is wording (CH301). Where a value lands in HTCDS is compared as "
    "resolved, whatever decides it (its `htcds_value`, `meaning` or HTCDS mapping): another "
    "HTCDS value or none is breaking, an HTCDS value where it had none is additive.",
    "threats:\n  annotations: {htcds_value: PhysicalThreats} -> {htcds_value: Other}\n",
    "(a major version, with the change listed in `changes`)\n")
ADDED = _rule(
    "CH201", "added", Severity.INFO,
    "A slot, value, variable, source code or crosswalk element was added.",
    "Additive: nothing old changes meaning; the vocabulary needs at least a minor version.",
    "(none: additions are welcome)\n", 'values: {"F": female, "X": transgender_nonconforming}\n')
PREDICATE_STRENGTHENED = _rule(
    "CH202", "predicate-strengthened", Severity.INFO,
    "A match predicate changed to a stronger one (relatedMatch < broad/narrowMatch < "
    "closeMatch < exactMatch): more claims hold.",
    "Additive: what held still holds, and more.",
    "(none)\n", "predicate: closeMatch -> predicate: exactMatch\n")
WINDOW_WIDENED = _rule(
    "CH203", "window-widened", Severity.INFO,
    "A crosswalk's validity window now covers more dates.",
    "Additive: records outside the old window gain a crosswalk version.",
    "(none)\n", 'valid_from: "2015-01-01" -> valid_from: "2012-01-01"\n')
CODE_RETIRED = _rule(
    "CH204", "code-retired", Severity.INFO,
    "A version that continues its predecessor from a later date no longer maps a code, "
    "variable or missing code: the source stopped writing it.",
    "Additive: records in the predecessor's window keep the predecessor, which still maps the "
    "code; records of the new window never hold it. Only a code both versions map can change "
    "meaning across the boundary (CH105, CH106).",
    "(in place, or in a version that supersedes another: that is CH104)\n",
    "# 2.0.0 [2015-01-01, 2017-03-29): 'Agriculture/Farms'\n"
    "# 2.1.0 [2017-03-29, open): the source writes 'Agriculture & Animal Husbandry' instead\n")
WINDOW_HANDED_OVER = _rule(
    "CH205", "window-handed-over", Severity.INFO,
    "A window ends where the next version of the source begins: a version continues its "
    "predecessor, or an open window was closed at its successor's start.",
    "Additive: no date loses its crosswalk; the records from that date on are read with the "
    "coding the source used then.",
    'valid_to: null -> valid_to: "2017-03-29"   # and no version starts on 2017-03-29\n',
    'valid_to: null -> valid_to: "2017-03-29"   # 2.1.0 has valid_from: "2017-03-29"\n')
REWORDED = _rule(
    "CH301", "reworded", Severity.INFO,
    "A description, definition, note, title, change list or vocabulary range changed.",
    "Patch: wording and citations only; meaning is unchanged by promise.",
    "(none)\n", "note: ... -> note: ... (clearer)\n")
