"""The SSSOM export survives sssom-py (0.4.21): parsing, validation, every `sssom convert`
format, round trips, and stable, unique, valid subject CURIEs.

The export once had literal subjects (empty subject_id): sssom-py kept 0 of its mappings in JSON,
wrote OWL/RDF without subjects and crashed on fhir_json and ontoportal_json. Each test here counts
the mappings in sssom-py's output against the number the crosswalks themselves give.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote

import pytest
import rdflib
from curies.w3c import is_w3c_curie, is_w3c_prefix
from rdflib.namespace import OWL
from sssom.constants import DEFAULT_VALIDATION_TYPES, SchemaValidationType
from sssom.io import convert_file
from sssom.parsers import parse_sssom_json, parse_sssom_rdf, parse_sssom_table
from sssom.validators import validate
from sssom.writers import WRITER_FUNCTIONS, write_json, write_rdf, write_table

from ctdc_schema import sssom
from ctdc_schema.crosswalk import loader
from ctdc_schema.crosswalk.semantics import is_flags, targets

#: every output format `sssom convert -O` offers in 0.4.21, with how rdflib reads the RDF ones
FORMATS = {"tsv": None, "json": None, "ontoportal_json": None, "fhir_json": None,
           "owl": "turtle", "rdf": "turtle", "ttl": "turtle", "turtle": "turtle", "nt": "nt",
           "xml": "xml"}
KEY = ("subject_id", "subject_label", "subject_source", "subject_source_version", "predicate_id",
       "object_id", "object_label", "comment")

#: a trimmed copy of crosswalks/iom/2.0.0.yaml whose codes and columns are awkward as ids: a
#: space, "/", ":", "#", "|", "%", a dot segment, non-ASCII; a source id that starts with a digit
#: (no NCName); a non-flag variable with two columns; flag columns
AWKWARD = """\
source: 9odd-source
version: 1.0.0
schema_version: ">=1.1.0,<2.0.0"
title: IOM victim case management, trimmed, with awkward codes
organisation: IOM
data_source_type: case_management
unit_of_record: victim
legal_definition: iom_assistance
valid_from: "2002-01-01"
valid_to: null
export:
  file_format: csv
  delimiter: ","
  encoding: utf-8
missing_codes: ["-99", ""]
variables:
  - column: gender
    slot: gender
    predicate: closeMatch
    values:
      "Feminine": female
      "Trans feminine/masculine": transgender_nonconforming
      "Féminin": female
      "Masculin:m": male
      "M#1|x": male
      "..": male
      "100%": male
  - column: [citizenship, "country of exploitation/2"]
    slot: citizenship
    predicate: exactMatch
    values:
      "Côte d'Ivoire": CI
  - column: [is forced/labour, isSexualExploit]
    slot: exploitation_types
    predicate: closeMatch
    transform:
      type: flags
      true_codes: ["1"]
      false_codes: ["0"]
    values:
      "is forced/labour": forced_labour
      "isSexualExploit": sexual_exploitation
"""
AWKWARD_IDS = [
    "ctdcsrc.9odd-source:*/-99",
    "ctdcsrc.9odd-source:gender/Feminine",
    "ctdcsrc.9odd-source:gender/Trans%20feminine%2Fmasculine",
    "ctdcsrc.9odd-source:gender/F%C3%A9minin",
    "ctdcsrc.9odd-source:gender/Masculin%3Am",
    "ctdcsrc.9odd-source:gender/M%231%7Cx",
    "ctdcsrc.9odd-source:gender/%2E%2E",
    "ctdcsrc.9odd-source:gender/100%25",
    "ctdcsrc.9odd-source:citizenship/C%C3%B4te%20d%27Ivoire",
    "ctdcsrc.9odd-source:country%20of%20exploitation%2F2/C%C3%B4te%20d%27Ivoire",
    "ctdcsrc.9odd-source:is%20forced%2Flabour",
    "ctdcsrc.9odd-source:isSexualExploit",
]


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader((line for line in text.splitlines() if not line.startswith("#")),
                               delimiter="\t"))


def expected_terms() -> tuple[int, set[tuple[str, str | None, str | None]]]:
    """From the crosswalks themselves: how many rows the export must have, and the distinct
    (source, column, code) terms (column None: a missing code; code None: a flag column)."""
    count, terms = 0, set()
    for crosswalk in loader.load_valid(None):
        model = crosswalk.model
        for code in model.missing_codes or []:
            if sssom._representable(code):
                count += 1
                terms.add((model.source, None, code))
        for variable in model.variables:
            for code, mapping in (variable.values or {}).items():
                if not sssom._representable(code):
                    continue
                per_term = sum(max(1, len(targets(item)))
                               for item in [mapping, *(mapping.cases or [])])
                found = [(code, None)] if is_flags(variable) else \
                    [(column, code) for column in variable.column or []]
                count += per_term * len(found)
                terms.update((model.source, column, term) for column, term in found)
    return count, terms


def decode(curie: str) -> tuple[str, str | None, str | None]:
    """(source, column, code) back from a subject CURIE, by the scheme's own rules."""
    prefix, _, local = curie.partition(":")
    assert prefix.startswith("ctdcsrc."), curie
    parts = local.split("/")
    assert len(parts) in (1, 2), curie
    if len(parts) == 1:
        return prefix.removeprefix("ctdcsrc."), unquote(parts[0]), None
    column = None if parts[0] == "*" else unquote(parts[0])
    return prefix.removeprefix("ctdcsrc."), column, unquote(parts[1])


def subjects_in(fmt: str, text: str) -> list[str]:
    """The subject of every mapping in ``sssom convert`` output of format ``fmt``: CURIEs for
    tsv, json and fhir_json, IRIs for the others."""
    if fmt == "tsv":
        return [str(s) for s in parse_sssom_table(io.StringIO(text)).df["subject_id"]]
    if fmt == "json":
        return [m["subject_id"] for m in json.loads(text)["mappings"]]
    if fmt == "fhir_json":
        return [e["code"] for e in json.loads(text)["group"][0]["element"]]
    if fmt == "ontoportal_json":
        return [m["classes"][0] for m in json.loads(text)]
    graph = rdflib.Graph().parse(data=text, format=FORMATS[fmt])
    axioms = list(graph.subjects(OWL.annotatedProperty, None))
    return [str(graph.value(axiom, OWL.annotatedSource)) for axiom in axioms]


def convert(tsv: Path, fmt: str) -> str:
    """What `sssom convert TSV -O fmt` writes (its own code path, in process)."""
    out = io.StringIO()
    convert_file(str(tsv), out, output_format=fmt)
    return out.getvalue()


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]]]:
    text = sssom.export(None, None)
    path = tmp_path_factory.mktemp("sssom") / "crosswalks.sssom.tsv"
    path.write_text(text, encoding="utf-8")
    return path, rows_of(text)


def test_parser_reads_every_row_and_validation_passes(bundled) -> None:
    path, rows = bundled
    count, _ = expected_terms()
    assert len(rows) == count == 514
    msdf = parse_sssom_table(path)
    assert len(msdf.df) == len(rows)
    assert msdf.df["subject_id"].notna().all()
    types = [SchemaValidationType.JsonSchema, SchemaValidationType.PrefixMapCompleteness,
             SchemaValidationType.StrictCurieFormat]
    assert set(types) == set(DEFAULT_VALIDATION_TYPES)  # Shacl and Sparql are not implemented
    reports = validate(msdf, types, fail_on_error=True)
    assert {t: r.results for t, r in reports.items()} == {t: [] for t in types}


def test_every_convert_format_is_covered() -> None:
    assert set(FORMATS) == set(WRITER_FUNCTIONS)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_each_format_keeps_every_mapping_and_subject(bundled, fmt: str) -> None:
    path, rows = bundled
    expand = parse_sssom_table(path).converter.expand
    subjects = subjects_in(fmt, convert(path, fmt))
    assert len(subjects) == len(rows) == 514
    ids = [r["subject_id"] for r in rows]
    if fmt in ("tsv", "json", "fhir_json"):
        assert sorted(subjects) == sorted(ids)
    else:
        assert sorted(subjects) == sorted(expand(i) for i in ids)
        assert all(s.startswith(sssom.SOURCE_PREFIX) for s in subjects)


def key_rows(df: object) -> list[tuple[str, ...]]:
    frame = df.reindex(columns=list(KEY)).fillna("")  # type: ignore[attr-defined]
    return sorted(tuple(str(v) for v in row) for row in frame.itertuples(index=False))


def test_round_trips_keep_every_row(bundled, tmp_path: Path) -> None:
    path, rows = bundled
    original = key_rows(parse_sssom_table(path).df)
    assert len(original) == len(rows)

    write_json(parse_sssom_table(path), tmp_path / "a.json")
    from_json = parse_sssom_json(tmp_path / "a.json")
    assert key_rows(from_json.df) == original
    write_table(from_json, tmp_path / "b.sssom.tsv")
    assert key_rows(parse_sssom_table(tmp_path / "b.sssom.tsv").df) == original

    write_rdf(parse_sssom_table(path), tmp_path / "c.ttl")
    # Turtle declares only the prefixes it uses as prefixed names, and percent-encoded ids are
    # written as full IRIs; with the export's curie_map the CURIEs come back exactly
    curie_map = parse_sssom_table(path).converter.bimap
    assert key_rows(parse_sssom_rdf(tmp_path / "c.ttl", prefix_map=curie_map).df) == original


@pytest.mark.slow
def test_sssom_cli_converts_to_json(bundled, tmp_path: Path) -> None:
    path, rows = bundled
    out = tmp_path / "out.json"
    cli = Path(sys.executable).parent / "sssom"
    result = subprocess.run([str(cli), "convert", str(path), "-O", "json", "-o", str(out)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "not well-formed" not in result.stderr
    mappings = json.loads(out.read_text(encoding="utf-8"))["mappings"]
    assert len(mappings) == len(rows) == 514
    assert all(m["subject_id"].startswith("ctdcsrc.") for m in mappings)


def test_subject_ids_are_unique_per_source_column_code_and_stable(bundled) -> None:
    _, rows = bundled
    assert sssom.export(None, None) == bundled[0].read_text(encoding="utf-8")
    _, terms = expected_terms()
    ids = {r["subject_id"] for r in rows}
    assert len(ids) == len(terms) == 406
    assert {decode(i) for i in ids} == terms  # one id per term, and it decodes back to it
    labels = defaultdict(set)
    for row in rows:
        source, _, code = decode(row["subject_id"])
        assert row["subject_source"] == f"ctdcsrc:{source}"
        assert is_w3c_curie(row["subject_id"]) and is_w3c_prefix(f"ctdcsrc.{source}")
        labels[row["subject_id"]].add(row["subject_label"])
        if code is not None:
            assert row["subject_label"] == code
    assert all(len(found) == 1 for found in labels.values())
    # pinned: an id must not change from one release to the next
    assert {"ctdcsrc.iom:gender/Feminine", "ctdcsrc.iom:*/-99",
            "ctdcsrc.ctdc-public:gender/Transgender%2FNonConforming",
            "ctdcsrc.ctdc-public:meansOfControlDebtBondage",
            "ctdcsrc.ctdc-public-2017:*/-99"} <= ids


def test_awkward_codes_get_valid_curies(tmp_path: Path) -> None:
    folder = tmp_path / "9odd-source"
    folder.mkdir()
    (folder / "1.0.0.yaml").write_text(AWKWARD, encoding="utf-8")
    text = sssom.export([folder / "1.0.0.yaml"], None)
    assert text == sssom.export([tmp_path], None)
    rows = rows_of(text)
    assert [r["subject_id"] for r in rows] == AWKWARD_IDS
    assert [decode(r["subject_id"])[2] or decode(r["subject_id"])[1] for r in rows] == \
        [r["subject_label"] for r in rows]
    assert all(is_w3c_curie(r["subject_id"]) for r in rows)
    assert "#  ctdcsrc.9odd-source: https://w3id.org/ctdc-schema/crosswalks/9odd-source/\n" in text

    path = tmp_path / "awkward.sssom.tsv"
    path.write_text(text, encoding="utf-8")
    msdf = parse_sssom_table(path)
    assert sorted(msdf.df["subject_label"]) == sorted(r["subject_label"] for r in rows)
    validate(msdf, list(DEFAULT_VALIDATION_TYPES), fail_on_error=True)
    for fmt in FORMATS:
        assert len(subjects_in(fmt, convert(path, fmt))) == len(AWKWARD_IDS), fmt

