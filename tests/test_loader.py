"""The crosswalk loader: text-preserving codes, exact locations, and no crash on any input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdc_schema.crosswalk.loader import load, normalise
from ctdc_schema.findings import format_path

HEADER = """source: ngo
version: 1.0.0
schema_version: ">=1.0.0,<2.0.0"
organisation: NGO
unit_of_record: victim
legal_definition: palermo
valid_from: "2015-01-01"
missing_codes: ["-99", Unknown, ""]
variables:
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "ngo" / "1.0.0.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_source_codes_stay_text_even_unquoted(tmp_path: Path) -> None:
    path = write(tmp_path, """  - column: Answer
    slot: abducted
    predicate: exactMatch
    values:
      No: "false"
      yes: "true"
      01: "true"
      1.0: "true"
      true: "true"
      ~: "false"
      -99: "false"
""")
    crosswalk, findings = load(path)
    assert crosswalk is not None
    assert list(crosswalk.model.variables[0].values or {}) == [
        "No", "yes", "01", "1.0", "true", "~", "-99"]
    # read as text here, but other YAML readers would change these codes: quote them (CW012)
    assert [(f.code, f.path) for f in findings] == [
        ("CW012", f'variables[0].values["{code}"]')
        for code in ("No", "yes", "01", "1.0", "true", "~", "-99")]
    assert crosswalk.model.missing_codes == ["-99", "Unknown", ""]


@pytest.mark.parametrize(("written", "reading"), [
    ("2015-01-01", "a date"), ("-99", "an integer"), ("01", "an integer"), ("1.5", "a number"),
    ("No", "a boolean"), ("off", "a boolean"),
])
def test_values_yaml_1_1_reads_otherwise_must_be_quoted(tmp_path: Path, written: str,
                                                        reading: str) -> None:
    # ctdc reads them as text either way; PyYAML and linkml-validate do not (CW012)
    path = write(tmp_path, f"""  - column: Answer
    slot: abducted
    predicate: exactMatch
    values:
      "Yes": "true"
      "{written}": "false"
    transform: {{type: flags, true_codes: ["1"], false_codes: [{written}]}}
""")
    crosswalk, findings = load(path)
    assert crosswalk is not None  # the crosswalk is still read, as text
    assert [(f.code, f.path, f.line, f.message) for f in findings] == [(
        "CW012", "variables[0].transform.false_codes[0]", 16,
        f'{written} is text here, but YAML 1.1 readers (PyYAML, linkml-validate) read it as '
        f'{reading}; quote it: "{written}"')]
    assert crosswalk.model.variables[0].transform.false_codes == [written]
    quoted = path.read_text().replace(f"[{written}]", f'["{written}"]')
    path.write_text(quoted)
    assert load(path)[1] == []


def test_short_forms_expand_to_the_model_shape() -> None:
    raw = {"variables": [{"column": "Sex", "values": {"F": "female", "B": ["a", "b"],
                                                       "X": None, "O": {"value": "other"}}}]}
    variable = normalise(raw)["variables"][0]
    assert variable["column"] == ["Sex"]
    assert variable["values"] == {
        "F": {"code": "F", "value": "female"}, "B": {"code": "B", "values": ["a", "b"]},
        "X": {"code": "X", "value": None}, "O": {"code": "O", "value": "other"},
    }
    assert raw["variables"][0]["column"] == "Sex"  # the raw data is left as written


def test_positions_point_at_the_exact_key(tmp_path: Path) -> None:
    path = write(tmp_path, """  - column: Sex
    slot: gender
    predicate: exactMatch
    values:
      "F": female
      "M": male
""")
    crosswalk, _ = load(path)
    assert crosswalk is not None
    assert crosswalk.positions.find(["variables", 0, "values", "M"]) == (15, 7)
    assert crosswalk.positions.find(["variables", 0, "values", "missing"]) == (13, 5)


def test_format_path_quotes_codes() -> None:
    assert format_path(["variables", 3, "values", "Sex"]) == 'variables[3].values["Sex"]'
    assert format_path(["variables", 0, "values", "01"]) == 'variables[0].values["01"]'
    assert format_path(["a b"]) == '["a b"]'


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_the_loader(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz" / "1.0.0.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    crosswalk, findings = load(path)
    assert (crosswalk is None) == bool(findings)
    for finding in findings:
        assert finding.code in {"CW001", "CW002", "CW003", "CW004", "CW005", "CW006", "CW007",
                                "CW008", "CW009"}
        assert "\n" not in finding.message


yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                         st.text(max_size=20))
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(
    st.sampled_from(["source", "version", "variables", "valid_from", "missing_codes", "x"]),
    yaml_values, max_size=6))
def test_arbitrary_yaml_structures_never_crash_the_loader(tmp_path: Path, data: dict) -> None:
    from ruamel.yaml import YAML

    path = tmp_path / "fuzzy" / "1.0.0.yaml"
    path.parent.mkdir(exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(data, handle)
    crosswalk, findings = load(path)
    assert (crosswalk is None) == bool(findings)


def test_format_fields_that_are_not_text_take_their_type_only_when_unquoted(
        tmp_path: Path) -> None:
    body = """  - column: Means
    slot: means_of_control
    predicate: exactMatch
    split: ";"
    values:
      "true": threats
      "Not specified": {unknown: true}
      "Unknown": {unknown: True, note: a YAML 1.2 boolean in another case}
collection:
  - columns: [Means]
    contributors: 1
"""
    crosswalk, findings = load(write(tmp_path, body))
    assert findings == [] and crosswalk is not None
    values = crosswalk.model.variables[0].values or {}
    assert values["true"].value == "threats"  # a code stays text
    assert values["Not specified"].unknown is True and values["Unknown"].unknown is True
    assert (crosswalk.model.collection or [])[0].contributors == 1


@pytest.mark.parametrize(("written", "expected"), [
    ('"true"', 'expected boolean or null, found "true"'),
    ("yes", 'expected boolean or null, found "yes"'),
    ('"1"', 'expected integer or null, found "1"'),
])
def test_a_quoted_or_yaml_1_1_value_in_a_typed_field_is_a_structure_error(
        tmp_path: Path, written: str, expected: str) -> None:
    field = "contributors" if "integer" in expected else "unknown"
    if field == "unknown":
        body = f"""  - column: Means
    slot: means_of_control
    predicate: exactMatch
    values:
      "Not specified": {{unknown: {written}}}
"""
    else:
        body = f"""  - column: Means
    slot: means_of_control
    predicate: exactMatch
    values:
      "Threats": threats
collection:
  - columns: [Means]
    contributors: {written}
"""
    crosswalk, findings = load(write(tmp_path, body))
    assert crosswalk is None
    assert [(f.code, f.message) for f in findings] == [("CW003", expected)]
