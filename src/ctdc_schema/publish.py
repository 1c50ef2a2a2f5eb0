"""``ctdc publish``: a de-identified release, described for a public data portal.

Two kinds of release are published: a k-anonymous one (``ctdc deidentify``; refused unless it
is k-anonymous over the vocabulary's quasi-identifiers) and a differentially private synthetic
one (``ctdc synthesize``; recognised by the privacy statement, ``privacy.json``, beside the
records, and published with it and its DP aggregate counts, but without the utility report,
which compares with the real data). Writes, into one folder:

* ``records.csv``, the release (lists as JSON arrays, blanks for absent or blanked cells);
* ``datapackage.json``, a Frictionless data package whose table schema is made from the
  vocabulary: each column's type, description, allowed values (the vocabulary's values, or the
  generalised level's values where the risk report says a column was generalised) and missing
  values; ``frictionless validate`` accepts the package;
* ``data.json``, a DCAT-US 1.1 catalog with the dataset's entry, for a DKAN portal, valid
  against the non-federal DCAT-US 1.1 dataset schema shipped in ``standards/``;
* ``codebook.md``, the columns and their values as a standalone page;
* the risk report, copied from beside the data.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ctdc_schema import __version__, atomic, resources, vocabulary
from ctdc_schema.deidentify import ANY, hierarchies, slots_marked
from ctdc_schema.errors import UsageError
from ctdc_schema.sqltext import ident
from ctdc_schema.vocabulary import Vocabulary

DCAT_SCHEMA = Path(__file__).resolve().parent / "standards" / \
    "dcat-us-1.1-dataset-non-federal.json"
RECORD_SCHEMA_URL = "https://w3id.org/ctdc-schema/ctdc.schema.json"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"


@dataclass(frozen=True)
class Publisher:
    """Who publishes the release, for the portal."""

    name: str = "Counter Trafficking Data Collaborative"
    email: str = "contact@ctdatacollaborative.org"
    base_url: str = "https://w3id.org/ctdc-schema/releases/"


def _k_check(con: Any, relation: Any, qis: list[str], k: int, data: Path) -> int:
    """The smallest class of ``qis``; a usage error when it is below ``k``."""
    if not qis:
        raise UsageError(f"{data}: no quasi-identifier columns to check k-anonymity on")
    group = ", ".join(ident(s) for s in qis)
    sizes = [n for (n,) in relation.aggregate("count(*)", group).fetchall()]
    smallest = min(sizes, default=0)
    if smallest < k:
        raise UsageError(f"{data} is not {k}-anonymous over {', '.join(qis)} (its smallest "
                         f"combination holds {smallest} record(s)): de-identify it first with "
                         "`ctdc deidentify`")
    return smallest


def _field(vocab: Vocabulary, column: str, sql_type: str, level: str) -> dict[str, Any]:
    info = vocab.slots.get(column)
    field: dict[str, Any] = {"name": column}
    if info is None:
        return {**field, "type": "string"}
    field["description"] = " ".join(info.description.split())
    if info.multivalued:
        return {**field, "type": "array"}
    if level not in ("value", ""):
        field["type"] = "string"
        tree = hierarchies(vocab, [column])[0]
        if level.startswith("period_"):
            field["constraints"] = {"pattern": r"\d{4}-\d{4}"}
        elif level != ANY:
            index = tree.levels.index(level)
            field["constraints"] = {"enum": sorted(set(tree.maps[index].values()))}
        field["description"] += f" Generalised to {level} for the release."
        return field
    if sql_type in ("BIGINT", "INTEGER") or info.range == "integer":
        field["type"] = "integer"
    elif sql_type == "BOOLEAN" or info.range == "boolean":
        field["type"] = "boolean"
    else:
        field["type"] = "string"
    if info.enum is not None:
        field["constraints"] = {"enum": list(vocab.enum_values(info.enum))}
    return field


def publish(data: Path, output: Path, k: int = 11, publisher: Publisher | None = None,
            schema: Path | str | None = None) -> dict[str, Any]:
    """Write the portal-ready release of ``data`` (a de-identified harmonised dataset) into
    the folder ``output``; returns the data package."""
    from ctdc_schema.engine.duckdb_engine import connect
    from ctdc_schema.stats import read_harmonised

    who = publisher or Publisher()
    vocab = vocabulary.load(schema)
    report_file = data.parent / "risk-report.json"
    report = json.loads(report_file.read_text(encoding="utf-8")) if report_file.is_file() \
        else {}
    privacy_file = data.parent / "privacy.json"
    privacy = _privacy_statement(privacy_file) if privacy_file.is_file() else None
    if output.exists() and not output.is_dir():
        raise UsageError(f"-o {output} is a file; give a folder")
    con = connect()
    try:
        relation = read_harmonised(con, data)
        columns = dict(zip(relation.columns, map(str, relation.types), strict=True))
        direct = [c for c in slots_marked(vocab, "direct_identifier") if c in columns]
        if direct:
            raise UsageError(f"{data} still holds direct identifiers ({', '.join(direct)}): "
                             "de-identify it first with `ctdc deidentify`")
        qis = [s for s in slots_marked(vocab, "quasi_identifier") if s in columns]
        smallest = _k_check(con, relation, qis, k, data) if privacy is None else 0
        if privacy is not None:
            methods = {m for (m,) in relation.aggregate(
                "deidentification_method", "deidentification_method").fetchall()} \
                if "deidentification_method" in columns else set()
            if methods != {"synthetic_differential_privacy"}:
                raise UsageError(f"{data} has a privacy statement beside it, but its records "
                                 "are not all synthetic_differential_privacy ones")
            # the statement must describe these records: their number and their columns
            count = relation.count("*").fetchall()[0][0]
            if count != privacy["records"] or not set(privacy["columns"]) <= set(columns):
                raise UsageError(f"the privacy statement beside {data} describes "
                                 f"{privacy['records']:,} records of "
                                 f"{', '.join(privacy['columns'])}, not these {count:,}: "
                                 "publish the records `ctdc synthesize` wrote beside it")
        ((records, first, last),) = relation.aggregate(
            "count(*), min(TRY_CAST(year_of_registration AS INTEGER)), "
            "max(TRY_CAST(year_of_registration AS INTEGER))").fetchall() \
            if "year_of_registration" in columns else ((relation.count("*").fetchall()[0][0],
                                                       None, None),)
        output.mkdir(parents=True, exist_ok=True)
        lists = [c for c, t in columns.items() if t.endswith("[]")]
        selects = [f"CAST(to_json({ident(c)}) AS VARCHAR) AS {ident(c)}" if c in lists
                   else ident(c) for c in columns]
        staging = output / ".records.csv.part"
        relation.project(", ".join(selects)).write_csv(str(staging))
        staging.replace(output / "records.csv")
    finally:
        con.close()
    levels = report.get("generalisation", {})
    fields = [_field(vocab, c, t, levels.get(c, "value")) for c, t in columns.items()]
    if privacy is None:
        method = (f"k-anonymity with k = {k} over {', '.join(qis)} (smallest combination: "
                  f"{smallest} records); direct identifiers removed")
        deidentification: dict[str, Any] = {
            "method": "k_anonymity", "k": k, "smallest_class": smallest,
            "quasi_identifiers": qis, "risk_report": report or None}
    else:
        method = (f"synthetic records sampled from differentially private counts of "
                  f"attribute combinations, ({privacy['epsilon']:g}, {privacy['delta']:.3g})"
                  f"-differential privacy, reporting length {privacy['reporting_length']}; "
                  "no record describes an actual person")
        deidentification = {"method": "synthetic_differential_privacy",
                            "privacy_statement": privacy}
    title = "Counter-trafficking case records, " + (
        "de-identified release" if privacy is None else "synthetic release")
    resources_list: list[dict[str, Any]] = [{
        "name": "records", "path": "records.csv", "profile": "tabular-data-resource",
        "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
        "schema": {"fields": fields, "missingValues": [""]},
    }]
    aggregates = data.parent / "aggregates.csv"
    if privacy is not None and aggregates.is_file():
        atomic.write_text(output / "aggregates.csv", aggregates.read_text(encoding="utf-8"))
        resources_list.append({
            "name": "aggregates", "path": "aggregates.csv",
            "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8",
            "description": "Differentially private counts of attribute combinations, the "
                           "synthetic records' only input.",
            "schema": {"fields": [
                {"name": "length", "type": "integer",
                 "description": "Number of attributes in the combination."},
                {"name": "combination", "type": "string",
                 "description": "column:value pairs joined by ';'."},
                {"name": "count", "type": "integer",
                 "description": "Noisy count (differential privacy)."}]}})
    package = {
        "profile": "tabular-data-package",
        "name": "ctdc-release" if privacy is None else "ctdc-synthetic-release",
        "title": title,
        "description": f"Person-level records harmonised onto the CTDC vocabulary "
                       f"{vocab.version} and de-identified: {method}.",
        "version": vocab.version,
        "licenses": [{"name": "CC-BY-4.0", "path": LICENSE_URL,
                      "title": "Creative Commons Attribution 4.0"}],
        "resources": resources_list,
        "ctdc:deidentification": deidentification,
    }
    atomic.write_text(output / "datapackage.json", json.dumps(package, indent=1,
                                                              ensure_ascii=False) + "\n")
    catalog = _catalog(vocab, who, records, first, last, method, title,
                       synthetic=privacy is not None)
    atomic.write_text(output / "data.json", json.dumps(catalog, indent=1,
                                                       ensure_ascii=False) + "\n")
    atomic.write_text(output / "codebook.md", codebook(vocab, fields))
    if report:
        atomic.write_text(output / "risk-report.json", report_file.read_text(encoding="utf-8"))
    if privacy is not None:
        for name in ("privacy.json", "privacy.md"):
            if (data.parent / name).is_file():
                atomic.write_text(output / name, (data.parent / name).read_text(encoding="utf-8"))
    return package


def _privacy_statement(path: Path) -> dict[str, Any]:
    """The privacy statement beside a synthetic release (a usage error if it is not one)."""
    try:
        statement = dict(json.loads(path.read_text(encoding="utf-8")))
        statement["epsilon"] = float(statement["epsilon"])
        statement["delta"] = float(statement["delta"])
        statement["reporting_length"] = int(statement["reporting_length"])
        statement["records"] = int(statement["records"])
        statement["columns"] = [str(c) for c in statement["columns"]]
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise UsageError(f"{path} is not a privacy statement of `ctdc synthesize`") from None
    if not (math.isfinite(statement["epsilon"]) and statement["epsilon"] > 0
            and 0 < statement["delta"] < 1 and statement["reporting_length"] >= 1):
        raise UsageError(f"{path}: epsilon must be above 0 and delta between 0 and 1")
    return statement


def _catalog(vocab: Vocabulary, who: Publisher, records: int, first: int | None,
             last: int | None, method: str, title: str, synthetic: bool = False
             ) -> dict[str, Any]:
    base = who.base_url.rstrip("/") + "/"
    kind = "synthetic" if synthetic else "release"
    dataset: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "title": title,
        "description": f"{records:,} person-level records of identified and potential victims "
                       f"of human trafficking, harmonised onto the CTDC vocabulary "
                       f"{vocab.version}; {method}.",
        "keyword": ["human trafficking", "counter-trafficking", "victims", "forced labour",
                    "sexual exploitation", "CTDC",
                    *(["synthetic data", "differential privacy"] if synthetic
                      else ["k-anonymity"])],
        "modified": date.today().isoformat(),
        "publisher": {"@type": "org:Organization", "name": who.name},
        "contactPoint": {"@type": "vcard:Contact", "fn": who.name,
                         "hasEmail": f"mailto:{who.email}"},
        "identifier": f"{base}ctdc-{kind}-{vocab.version}",
        "accessLevel": "public",
        "license": LICENSE_URL,
        "spatial": "Global",
        "conformsTo": RECORD_SCHEMA_URL,
        "describedBy": f"{base}codebook.md",
        "describedByType": "text/markdown",
        "distribution": [
            {"@type": "dcat:Distribution", "title": "Records (CSV)", "format": "CSV",
             "mediaType": "text/csv", "downloadURL": f"{base}records.csv",
             "conformsTo": f"{base}datapackage.json"},
            {"@type": "dcat:Distribution", "title": "Frictionless data package",
             "format": "JSON", "mediaType": "application/json",
             "downloadURL": f"{base}datapackage.json"},
            *([{"@type": "dcat:Distribution", "title": "DP aggregate counts (CSV)",
                "format": "CSV", "mediaType": "text/csv",
                "downloadURL": f"{base}aggregates.csv"},
               {"@type": "dcat:Distribution", "title": "Privacy statement",
                "format": "Markdown", "mediaType": "text/markdown",
                "downloadURL": f"{base}privacy.md"}] if synthetic else []),
        ],
    }
    if first is not None and last is not None:
        dataset["temporal"] = f"{first}-01-01/{last}-12-31"
    return {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
            "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
            "@type": "dcat:Catalog", "dataset": [dataset]}


def validate_catalog(catalog: dict[str, Any]) -> list[str]:
    """The DCAT-US 1.1 problems of each dataset entry of ``catalog`` (none: valid)."""
    from jsonschema import Draft4Validator, FormatChecker

    schema = json.loads(DCAT_SCHEMA.read_text(encoding="utf-8"))
    validator = Draft4Validator(schema, format_checker=FormatChecker())
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for entry in catalog["dataset"]
            for e in validator.iter_errors(entry)]


def codebook(vocab: Vocabulary, fields: list[dict[str, Any]]) -> str:
    """The release's columns and their values, as Markdown."""
    lines = [f"# Codebook of the de-identified release (vocabulary {vocab.version})", "",
             f"Generated by ctdc-schema {__version__} from the vocabulary "
             f"({resources.CROSSWALK_SCHEMA_URL.rsplit('/', 1)[0]}). A blank cell is absent: "
             "unknown, or blanked for privacy.", ""]
    for field in fields:
        lines += [f"## {field['name']}", "", f"Type: {field['type']}.", ""]
        if field.get("description"):
            lines += [field["description"], ""]
        info = vocab.slots.get(field["name"])
        enum = info.enum if info is not None else None
        allowed = field.get("constraints", {}).get("enum")
        if enum is not None and (allowed is None or allowed == list(vocab.enum_values(enum))):
            values = vocab.enum_values(enum)
            if len(values) <= 60:
                lines += ["| value | meaning |", "|---|---|"]
                lines += [f"| `{v}` | {' '.join(info_.description.split())} |"
                          for v, info_ in values.items()]
                lines.append("")
            else:
                lines += [f"Values: the {len(values)} values of {enum}.", ""]
        elif allowed:
            lines += ["Values: " + ", ".join(f"`{v}`" for v in allowed), ""]
    return "\n".join(lines)
