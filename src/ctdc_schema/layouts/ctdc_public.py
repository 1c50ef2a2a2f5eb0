"""The CTDC public release layout (the k-anonymised global dataset of 2020): 63 columns, ``;``.

``ctdc transform --layout ctdc-public`` writes harmonised records the way the 2020 release
writes its rows, so that scripts written for that file read ours. Every cell is derived from
the record through the ``ctdc-public`` crosswalk, read backwards: a value is written as the
first code the crosswalk maps to it (``Female``, ``18--20``), a list as the 0/1 flags and the
concatenated labels that feed it, ``isSexAndLabour`` and "Combined sexual and labour
exploitation" when the record holds both purposes, absence as an empty cell. The codes reach
DuckDB as parameters (DuckDB variables), never as SQL text.

What the release says beyond the record cannot be written back, because the vocabulary does
not keep it on purpose (see the crosswalk's notes); these are the documented normalisations:

* the release codes "no information" in several ways (``meansOfControlNotSpecified`` = 1 or
  empty, "Not specified" or an empty concatenation, flags empty or 0, an unknown country 00
  or ZZ); the record keeps one thing, absence, which is written the way most rows of its
  ``Datasource`` write it (:data:`ABSENT`);
* a known list is written with 0 for the values it lacks where most rows of its
  ``Datasource`` write 0, and empty where they leave the flag empty (:data:`FLAG_CODING`); a
  list known to be empty is all 0s, as the crosswalk reads "none";
* a 0 the crosswalk does not read (a flag before its collection window, such as
  ``isAbduction`` before 2017) is absence in the record and an empty cell here;
* concatenated labels are written in the crosswalk's order with its first spelling
  (the release sorts some rows alphabetically and capitalises some labels);
* line breaks are ``\\n`` (the release used ``\\r\\n``).

``tests/test_layouts.py`` measures, on the real 2020 sample, that reading the written file
back through the crosswalk gives the same records, and how many cells equal the release's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctdc_schema.datamodel.crosswalk import Variable
from ctdc_schema.engine.plan import lit
from ctdc_schema.errors import UsageError
from ctdc_schema.layouts import CrosswalkLayout, write_csv

#: the first header cell of the release: its terms of use, not a column name
TERMS = ("By using this data you agree to the Terms of Use: "
         "https://www.ctdatacollaborative.org/terms-use")
#: the 63 columns of the 2020 release, in its order
COLUMNS = (
    "yearOfRegistration", "Datasource", "gender", "ageBroad", "majorityStatus",
    "majorityStatusAtExploit", "majorityEntry", "citizenship", "meansOfControlDebtBondage",
    "meansOfControlTakesEarnings", "meansOfControlRestrictsFinancialAccess",
    "meansOfControlThreats", "meansOfControlPsychologicalAbuse", "meansOfControlPhysicalAbuse",
    "meansOfControlSexualAbuse", "meansOfControlFalsePromises",
    "meansOfControlPsychoactiveSubstances", "meansOfControlRestrictsMovement",
    "meansOfControlRestrictsMedicalCare", "meansOfControlExcessiveWorkingHours",
    "meansOfControlUsesChildren", "meansOfControlThreatOfLawEnforcement",
    "meansOfControlWithholdsNecessities", "meansOfControlWithholdsDocuments",
    "meansOfControlOther", "meansOfControlNotSpecified", "meansOfControlConcatenated",
    "isForcedLabour", "isSexualExploit", "isOtherExploit", "isSexAndLabour", "isForcedMarriage",
    "isForcedMilitary", "isOrganRemoval", "isSlaveryAndPractices", "typeOfExploitConcatenated",
    "typeOfLabourAgriculture", "typeOfLabourAquafarming", "typeOfLabourBegging",
    "typeOfLabourConstruction", "typeOfLabourDomesticWork", "typeOfLabourHospitality",
    "typeOfLabourIllicitActivities", "typeOfLabourManufacturing", "typeOfLabourMiningOrDrilling",
    "typeOfLabourPeddling", "typeOfLabourTransportation", "typeOfLabourOther",
    "typeOfLabourNotSpecified", "typeOfLabourConcatenated", "typeOfSexProstitution",
    "typeOfSexPornography", "typeOfSexRemoteInteractiveServices",
    "typeOfSexPrivateSexualServices", "typeOfSexConcatenated", "isAbduction",
    "RecruiterRelationship", "CountryOfExploitation", "recruiterRelationIntimatePartner",
    "recruiterRelationFriend", "recruiterRelationFamily", "recruiterRelationOther",
    "recruiterRelationUnknown",
)
#: separator of the concatenated label columns (labour and recruiters use "; ")
SEPARATORS = {"typeOfLabourConcatenated": "; ", "RecruiterRelationship": "; "}
Coding = dict[str, tuple[str, str]]
#: how the release writes a value flag, per list slot and Datasource: (the cell when the list
#: is absent, the cell when the list is known without the flag's value); the cell is 1 when
#: the list holds it. The majority coding of each in the real 2020 sample.
FLAG_CODING: dict[str, Coding] = {
    "means_of_control": {"case_management": ("", ""), "hotline": ("", "")},
    "exploitation_types": {"case_management": ("", "0"), "hotline": ("", "0")},
    "labour_sectors": {"case_management": ("", "0"), "hotline": ("", "0")},
    "sex_exploitation_types": {"case_management": ("", "0"), "hotline": ("", "0")},
    "recruiter_relationships": {"case_management": ("0", "0"), "hotline": ("", "0")},
}
#: columns whose coding differs from their slot's (flags one contributor collected)
FLAG_CODING_EXCEPTIONS: dict[str, Coding] = {
    **{column: {"case_management": ("", "0"), "hotline": ("", "")} for column in (
        "meansOfControlSexualAbuse", "meansOfControlPsychoactiveSubstances",
        "meansOfControlUsesChildren", "meansOfControlOther")},
    "isOtherExploit": {"case_management": ("", "0"), "hotline": ("0", "0")},
    **{column: {"case_management": ("", "0"), "hotline": ("", "")} for column in (
        "isForcedMarriage", "isForcedMilitary", "isOrganRemoval")},
    "isSlaveryAndPractices": {"case_management": ("", ""), "hotline": ("", "")},
}
#: the "no information" flags (meansOfControlNotSpecified ...): (absent, known), every source
UNKNOWN_FLAG = ("1", "0")
#: per concatenated column, the sources that write its "no information" label when the list
#: is absent ("Not specified"); the others leave the cell empty
ABSENT_LABEL = {"meansOfControlConcatenated": ("hotline",),
                "RecruiterRelationship": ("hotline",)}
SOURCE = "ctdc-public"


@dataclass(frozen=True)
class _Column:
    """How one release column is written: its SQL expression over record ``r``."""

    name: str
    sql: str


class CtdcPublicLayout(CrosswalkLayout):
    """The layout; its codes come from the bundled ``ctdc-public`` crosswalk (latest)."""

    name = "ctdc-public"
    source = SOURCE

    def columns(self, con: Any) -> list[_Column]:
        """The column expressions; the codes they need are set as DuckDB variables."""
        readers: dict[str, Variable] = {}
        for variable in self.crosswalk.variables:
            for column in variable.column or []:
                readers.setdefault(column, variable)
        out = []
        for index, name in enumerate(COLUMNS):
            reader = readers.get(name)
            if reader is None:
                raise UsageError(f"the {SOURCE} crosswalk reads no column '{name}'")
            out.append(_Column(name, self._expression(con, index, name, reader)))
        return out

    def _expression(self, con: Any, index: int, column: str, variable: Variable) -> str:
        slot = variable.slot
        values = variable.values or {}
        var = f"l{index}"
        if variable.transform is not None and str(variable.transform.type) == "flags":
            return self._flag(con, var, column, variable)
        if variable.transform is not None and str(variable.transform.type) == "country":
            return f"r.{slot}"
        if not values:  # a value kept as it is (the year)
            return f"CAST(r.{slot} AS VARCHAR)"
        if variable.split is not None or len(variable.column or []) > 1 \
                or any(m.values for m in values.values()):
            return self._labels(con, var, column, variable)
        # one value, one code: the first code of each value; booleans are written 1/0
        pairs: dict[str, str] = {}
        for code, mapping in values.items():
            if mapping.value is not None:
                pairs.setdefault(str(mapping.value), code)
        con.execute(f"SET VARIABLE {var} = MAP(CAST(? AS VARCHAR[]), CAST(? AS VARCHAR[]))",
                    [list(pairs), list(pairs.values())])
        return f"getvariable('{var}')[CAST(r.{slot} AS VARCHAR)]"

    def _labels(self, con: Any, var: str, column: str, variable: Variable) -> str:
        """A list as the codes whose targets it holds, in crosswalk order (first spelling of
        each target); the "no information" code when the list is absent, where usual."""
        entries, seen, unknown = [], set(), None
        for code, mapping in (variable.values or {}).items():
            if mapping.unknown:
                unknown = unknown or code
                continue
            targets = tuple(sorted(mapping.values or ([mapping.value] if mapping.value else [])))
            if targets in seen:
                continue
            seen.add(targets)
            entries.append({"code": code, "targets": list(targets)})
        con.execute(f"SET VARIABLE {var} = ?", [entries])
        slot = variable.slot
        separator = SEPARATORS.get(column, ";")
        con.execute(f"SET VARIABLE {var}_sep = ?", [separator])
        if len(variable.column or []) > 1:
            raise UsageError(f"cannot write column '{column}' of the {SOURCE} layout")
        listed = (f"list_transform(list_filter(getvariable('{var}'), lambda e: len(e.targets) > 0 "
                  f"AND list_has_all(CAST(r.{slot} AS VARCHAR[]), e.targets)), lambda e: e.code)")
        if variable.split is None:  # a flag-like column (isSexAndLabour: 1 when both)
            none = next(e["code"] for e in entries if not e["targets"])
            con.execute(f"SET VARIABLE {var}_none = ?", [none])
            return (f"CASE WHEN r.{slot} IS NULL THEN NULL WHEN len({listed}) > 0 "
                    f"THEN {listed}[1] ELSE getvariable('{var}_none') END")
        text = f"NULLIF(array_to_string({listed}, getvariable('{var}_sep')), '')"
        if unknown is not None:
            con.execute(f"SET VARIABLE {var}_unknown = ?", [unknown])
            return (f"CASE WHEN r.{slot} IS NULL AND {_among(ABSENT_LABEL.get(column, ()))} "
                    f"THEN getvariable('{var}_unknown') ELSE {text} END")
        return text

    def _flag(self, con: Any, var: str, column: str, variable: Variable) -> str:
        """One 0/1 flag of a flags variable: 1 when the list holds its value, 0 or empty when
        the list is known without it, empty when the list is absent; an "unknown" flag is 1
        when the list is absent, where usual."""
        mapping = (variable.values or {})[column]
        slot = variable.slot
        if mapping.unknown:
            absent, known = UNKNOWN_FLAG
            return f"CASE WHEN r.{slot} IS NULL THEN {_cell(absent)} ELSE {_cell(known)} END"
        coding = FLAG_CODING_EXCEPTIONS.get(column) or FLAG_CODING.get(slot, {})
        con.execute(f"SET VARIABLE {var} = CAST(? AS VARCHAR[])",
                    [list(mapping.values or [str(mapping.value)])])
        # a list known to be empty is all 0s: that is how the crosswalk reads "none"
        return (f"CASE WHEN r.{slot} IS NULL THEN {_by_source(coding, 0)} "
                f"WHEN len(r.{slot}) = 0 THEN '0' "
                f"WHEN list_has_all(CAST(r.{slot} AS VARCHAR[]), getvariable('{var}')) "
                f"THEN '1' ELSE {_by_source(coding, 1)} END")

    def write(self, con: Any, source: str, parameters: Sequence[Any], target: Path) -> None:
        """The release's CSV: the terms-of-use header cell, then the 63 columns; column 0 is
        empty in every row, as in the release."""
        columns = self.columns(con)
        select = ", ".join(f"{c.sql} AS c{i}" for i, c in enumerate(columns))
        write_csv(con, f"NULL AS c_, {select}", source, parameters, target, [TERMS, *COLUMNS],
                  ";")


def _cell(text: str) -> str:
    """A cell of the release: empty is NULL, which the CSV writer leaves unquoted."""
    return lit(text) if text else "NULL"


def _among(sources: Sequence[str]) -> str:
    """A test that the record's Datasource is one of ``sources``."""
    if not sources:
        return "FALSE"
    return (f"CAST(r.data_source_type AS VARCHAR) IN "
            f"({', '.join(lit(source) for source in sources)})")


def _by_source(coding: Coding, index: int) -> str:
    """The cell ``coding`` gives, by the record's Datasource (empty for another source)."""
    cases = " ".join(f"WHEN {lit(source)} THEN {_cell(cells[index])}"
                     for source, cells in sorted(coding.items()))
    return f"CASE CAST(r.data_source_type AS VARCHAR) {cases} END" if cases else "NULL"


LAYOUT = CtdcPublicLayout()
