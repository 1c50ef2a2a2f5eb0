"""The documentation site: the vocabulary, every crosswalk, the sources side by side, the
conflicts, the rules and the collaborative's dashboard, built with mkdocs-material.

Everything on it is generated from ``schema/``, ``crosswalks/``, the validator and harmonised
data; nothing is kept by hand. Pages are Markdown made here (or by ``ctdc generate``) and
listed once, in :data:`NAV`: a later feature adds its pages by adding a :class:`Section`.
The site needs no network (no web fonts, no CDN scripts, local search), so it can be
served on an intranet and tested without network.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdc_schema import __version__, resources
from ctdc_schema.crosswalk.loader import LoadedCrosswalk
from ctdc_schema.crosswalk.semantics import all_targets
from ctdc_schema.errors import UsageError
from ctdc_schema.findings import RULE_DOCS_URL

#: Material's own recipe: words split at spaces and punctuation, and camelCase split too, so
#: that `DebtBondage` finds `meansOfControlDebtBondage` and `Venue/Industry` finds its column
SEARCH_SEPARATOR = r'[\s\-,:!=\[\]()"/]+|(?!\b)(?=[A-Z][a-z])'
SITE_URL = RULE_DOCS_URL.split("rules/")[0]

CSS = """
.predicate { border-radius: .6em; padding: 0 .5em; font-size: .75em; font-weight: 600;
             white-space: nowrap; color: #fff; }
.predicate.exactMatch { background: #2e7d32; } .predicate.closeMatch { background: #1565c0; }
.predicate.broadMatch { background: #6a1b9a; } .predicate.narrowMatch { background: #ef6c00; }
.predicate.relatedMatch { background: #616161; }
.suppressed { color: #b71c1c; font-style: italic; }
"""


@dataclass
class Context:
    """What the pages are made from, loaded once."""

    crosswalks: list[LoadedCrosswalk]
    vocab: Any
    #: (label, folder of `ctdc stats` output) per dashboard dataset
    dashboards: list[tuple[str, Path]] = field(default_factory=list)
    #: the folder of a published release (`ctdc publish`), whose risk report the
    #: de-identification page shows
    release: Path | None = None
    #: the folder of a synthetic release (`ctdc synthesize`), whose privacy statement and
    #: utility report the synthetic release page shows
    synthetic: Path | None = None

    def current(self) -> list[LoadedCrosswalk]:
        from ctdc_schema.crosswalk.registry import current_versions

        return current_versions(self.crosswalks)


@dataclass(frozen=True)
class Section:
    """One entry of the navigation: its title and the pages it writes (path -> Markdown)."""

    title: str
    pages: Callable[[Context], dict[str, str]]


def badge(predicate: object) -> str:
    name = str(predicate or "exactMatch")
    return f'<span class="predicate {html.escape(name)}">{html.escape(name)}</span>'


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell (and as HTML)."""
    return html.escape(" ".join(str(text).split())).replace("|", "&#124;") if text else ""


def _slot_link(slot: str, depth: int) -> str:
    return f"[`{slot}`]({'../' * depth}vocabulary/{slot}.md)"


def _page_of(cw: LoadedCrosswalk) -> str:
    return f"sources/{cw.source_folder}/{cw.model.version}.md"


# -- pages --------------------------------------------------------------------------------------

def home(ctx: Context) -> dict[str, str]:
    sources = "\n".join(
        f"| [{cw.source_folder}]({_page_of(cw)}) | {_cell(cw.model.organisation)} | "
        f"{cw.model.unit_of_record} | {cw.model.legal_definition} |" for cw in ctx.current())
    return {"index.md": f"""# The CTDC shared vocabulary

Counter-trafficking organisations record their cases differently: Polaris (the US hotline)
counts *cases* under US law (TVPA), IOM counts assisted *victims* under the Palermo Protocol.
The [Counter Trafficking Data Collaborative](https://www.ctdatacollaborative.org/) norms their
data onto shared variables. This site is that norming as an open, versioned and checkable
specification: the [vocabulary](vocabulary/index.md) (version {ctx.vocab.version}), one
crosswalk per source and version, the [sources side by side](comparison.md), the
[conflicts](conflicts.md) between them, and the [dashboard](dashboard.md).

## Who contributes

| source | organisation | unit of record | legal definition |
|---|---|---|---|
{sources}

## Using the toolkit

```sh
pip install ctdc-schema
ctdc validate crosswalks/acme          # a crosswalk, compared with every other source
ctdc validate EXPORT.csv --source iom  # a partner export against its crosswalk
ctdc transform EXPORT.csv --source iom -o records.parquet
ctdc stats records.parquet -o dashboard/
```

In CI, the GitHub Action and the pre-commit hook run `ctdc validate`; every finding links to
its [rule](rules/index.md). The crosswalk file format is described in
[its reference](crosswalk-format/index.md).

## Licences

Code: MIT. Vocabulary and crosswalk texts: CC BY 4.0. CTDC data are subject to the
[CTDC Terms of Use](https://www.ctdatacollaborative.org/terms-use). ctdc-schema {__version__}.
"""}


def _mapping_rows(cw: LoadedCrosswalk, index: int) -> list[str]:
    variable = cw.model.variables[index]
    rows = []
    for code, mapping in (variable.values or {}).items():
        if mapping.unknown:
            target = "*unknown*"
        elif mapping.values is not None:
            target = ", ".join(f"`{v}`" for v in mapping.values) or "*none*"
        else:
            target = f"`{mapping.value}`" if mapping.value is not None else "*nothing*"
        cases = "; ".join(f"when {c.when.column} in {', '.join(c.when.in_ or [])}: "
                          f"{c.value or ', '.join(c.values or []) or 'nothing'}"
                          for c in mapping.cases or [] if c.when is not None)
        rows.append(f"| `{_cell(code)}` | {target} | {badge(mapping.predicate)} | "
                    f"{_cell(mapping.note)} {_cell(cases)} |")
    return rows


def sources(ctx: Context) -> dict[str, str]:
    pages: dict[str, str] = {}
    by_source: dict[str, list[LoadedCrosswalk]] = {}
    for cw in ctx.crosswalks:
        by_source.setdefault(cw.source_folder, []).append(cw)
    index = ["# Sources and crosswalk versions\n", "| source | versions | organisation |",
             "|---|---|---|"]
    for source, versions in sorted(by_source.items()):
        versions.sort(key=lambda c: c.model.valid_from)
        links = ", ".join(f"[{v.model.version}]({source}/{v.model.version}.md)" for v in versions)
        index.append(f"| {source} | {links} | {_cell(versions[-1].model.organisation)} |")
        for cw in versions:
            pages[_page_of(cw)] = _source_page(cw, versions)
    pages["sources/index.md"] = "\n".join(index) + "\n"
    return pages


def _source_page(cw: LoadedCrosswalk, versions: list[LoadedCrosswalk]) -> str:
    from ctdc_schema import changelog

    m = cw.model
    others = " · ".join(f"**{v.model.version}**" if v is cw else
                        f"[{v.model.version}]({v.model.version}.md)" for v in versions)
    export = m.export
    lines = [
        f"# {cw.source_folder} {m.version}\n", f"{_cell(m.title)}\n",
        f"Versions of this source: {others}\n",
        "| | |", "|---|---|",
        f"| organisation | {_cell(m.organisation)} |",
        f"| data source type | {m.data_source_type or ''} |",
        f"| unit of record | {m.unit_of_record} |",
        f"| legal definition | {m.legal_definition} |",
        f"| valid | {m.window_axis or 'registration_date'} from {m.valid_from} to "
        f"{m.valid_to or 'now'} |",
        f"| vocabulary | {m.schema_version} |",
        *([f"| supersedes | [{m.supersedes}]({m.supersedes}.md) |"] if m.supersedes else []),
        "| missing codes | " + ", ".join(f"`{_cell(c)}`" if c else "(empty)"
                                         for c in m.missing_codes or []) + " |",
        f"| export | {export.file_format if export else ''} "
        f"{'delimiter `' + _cell(export.delimiter) + '`' if export and export.delimiter else ''} |",
        "", f"{_cell(m.description)}\n", "## Changes\n", *changelog.items(m.changes or []), "",
        "## Variables\n",
    ]
    for index, variable in enumerate(m.variables):
        columns = ", ".join(f"`{_cell(c)}`" for c in variable.column or []) or "*(constant)*"
        lines += [f"### {columns} → {_slot_link(variable.slot, 2)} {badge(variable.predicate)}\n"]
        if variable.definition:
            lines.append(f"{_cell(variable.definition)}\n")
        if variable.note:
            lines.append(f"!!! note\n    {_cell(variable.note)}\n")
        if variable.transform is not None:
            lines.append(f"Transform: `{variable.transform.type}`\n")
        rows = _mapping_rows(cw, index)
        if rows:
            lines += ["| source code | target | predicate | note |", "|---|---|---|---|", *rows, ""]
    return "\n".join(lines) + "\n"


def comparison(ctx: Context) -> dict[str, str]:
    current = ctx.current()
    names = [cw.source_folder for cw in current]
    head = "| | " + " | ".join(f"[{n}]({_page_of(cw)})" for n, cw in
                               zip(names, current, strict=True)) + " |"
    rule = "|---" * (len(names) + 1) + "|"

    def row(label: str, values: Iterable[object]) -> str:
        return f"| {label} | " + " | ".join(_cell(v) for v in values) + " |"

    lines = ["# Sources side by side\n",
             f"The current version of each of the {len(names)} sources: what a record is, "
             "under which legal definition, how missing information is written, and how "
             "each vocabulary slot is reached.\n", "## The sources\n", head, rule,
             row("organisation", (c.model.organisation for c in current)),
             row("version", (c.model.version for c in current)),
             row("unit of record", (c.model.unit_of_record for c in current)),
             row("legal definition", (c.model.legal_definition for c in current)),
             row("data source type", (c.model.data_source_type for c in current)),
             row("missing codes", (", ".join(code or "(empty)" for code in
                                             c.model.missing_codes or []) for c in current)),
             "", "## Coverage and predicate per slot\n", head, rule]
    reach: dict[str, dict[str, tuple[str, set[str]]]] = {}
    for cw in current:
        for variable in cw.model.variables:
            targets = {t for mapping in (variable.values or {}).values()
                       for t in all_targets(mapping)}
            predicate, known = reach.get(variable.slot, {}).get(cw.source_folder, ("", set()))
            reach.setdefault(variable.slot, {})[cw.source_folder] = (
                predicate or str(variable.predicate), known | targets)
    for slot in sorted(reach):
        cells = [badge(reach[slot][n][0]) if n in reach[slot] else "—" for n in names]
        lines.append(f"| {_slot_link(slot, 0)} | " + " | ".join(cells) + " |")
    lines += ["", "## The values each source can produce\n"]
    for slot in sorted(reach):
        if not ctx.vocab.slot_values(slot):
            continue
        lines += [f"### {slot}\n", head, rule]
        for value in ctx.vocab.slot_values(slot):
            marks = ["✓" if n in reach[slot] and value in reach[slot][n][1] else "" for n in names]
            if any(marks):
                lines.append(f"| `{value}` | " + " | ".join(marks) + " |")
        lines.append("")
    return {"comparison.md": "\n".join(lines) + "\n"}


def conflicts(ctx: Context) -> dict[str, str]:
    from collections import Counter

    from ctdc_schema import checker, overlap

    report = checker.validate()
    by_rule = Counter((f.code, f.name, f.severity.value) for f in report.findings)
    by_slot = Counter(f.message.split("=", 1)[0] for f in report.findings if f.code == "CW501")
    lines = ["# Conflicts between sources\n",
             f"`ctdc validate` on the vocabulary and every bundled crosswalk: "
             f"{report.summary()['errors']} errors, {report.summary()['warnings']} warnings.\n",
             "## By rule\n", "| rule | severity | findings |", "|---|---|---|",
             *(f"| [{code} {name}](rules/{code}.md) | {severity} | {n} |"
               for (code, name, severity), n in sorted(by_rule.items())),
             "", "## Cross-source conflicts (CW501) by slot\n", "| slot | findings |",
             "|---|---|", *(f"| {_slot_link(slot, 0)} | {n} |"
                            for slot, n in sorted(by_slot.items())),
             "", "## Every finding\n", "| file | line | rule | message |", "|---|---|---|---|",
             *(f"| {_cell(f.file)} | {f.line or ''} | [{f.code}](rules/{f.code}.md) | "
               f"{_cell(f.message)} |" for f in report.sorted_findings())]
    table = overlap.compute()
    names = [s.split("@")[0] for s in table.sources]
    lines += ["", "## Overlap\n", "Which sources cover which slot: exactly, partially, or as "
              "a constant declared in the crosswalk header.\n",
              "| slot | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|",
              *(f"| {_slot_link(slot, 0)} | " + " | ".join(
                  table.cells.get(slot, {}).get(s, "") for s in table.sources) + " |"
                for slot in table.slots)]
    return {"conflicts.md": "\n".join(lines) + "\n"}


def dashboard(ctx: Context) -> dict[str, str]:
    import json

    lines = ["# Dashboard\n"]
    pages: dict[str, str] = {}
    if not ctx.dashboards:
        lines.append("No harmonised data was given to this build "
                     "(`ctdc docs build --dashboard LABEL=FILE`).")
    for number, (label, folder) in enumerate(ctx.dashboards, start=1):
        data = json.loads((folder / "dashboard.json").read_text(encoding="utf-8"))
        lines += [f"## {_cell(label)}\n",
                  f"Counts under {data['min_count']} are suppressed and marked; shares count "
                  "only the records with information in that variable.\n"]
        for table in data["tables"]:
            image = f"dashboard/{number}/{table['name']}.svg"
            pages[image] = str(folder / f"{table['name']}.svg")
            lines += [f"### {_cell(table['title'])}\n", f"![{_cell(table['title'])}]({image})\n",
                      f"*{_cell(table['denominator'])}*\n",
                      '??? info "Table"', "    | group | category | count | share |",
                      "    |---|---|---|---|"]
            for r in table["rows"]:
                shown = ('<span class="suppressed">suppressed</span>' if r["suppressed"]
                         else f"{r['count']} | {100 * r['share']:.1f}%")
                if r["suppressed"]:
                    shown += " | "
                lines.append(f"    | {_cell(r['group'])} | {_cell(r['category'])} | {shown} |")
            lines.append("")
    pages["dashboard.md"] = "\n".join(lines) + "\n"
    return pages


def _generated(folder: str, into: str) -> Callable[[Context], dict[str, str]]:
    """Pages `ctdc generate` wrote (vocabulary, crosswalk format, rules), copied as they are."""
    def pages(ctx: Context) -> dict[str, str]:
        root = resources.data_dir("generated/docs") / folder if folder else \
            resources.data_dir("generated/docs")
        found = {}
        for page in sorted(root.glob("*.md")):
            found[f"{into}/{page.name}"] = page.read_text(encoding="utf-8")
        return found
    return pages


def vocabulary_pages(ctx: Context) -> dict[str, str]:
    """The generated vocabulary pages, with meanings as links (ISO 3166, ISIC, HTCDS, CTDC)
    and, on each slot's page, the CTDC columns and the sources that cover it."""
    import re

    from ctdc_schema import yamlsource

    prefixes = {str(k): str(v) for k, v in
                (yamlsource.load(resources.schema_path()).get("prefixes") or {}).items()}
    curie = re.compile(r"(?<![\w\[/:])(" + "|".join(map(re.escape, sorted(prefixes))) +
                       r"):([A-Za-z0-9_.\-]+)(?=\s*\|)")
    pages = _generated("", "vocabulary")(ctx)
    cover: dict[str, list[str]] = {}
    for cw in ctx.current():
        for variable in cw.model.variables:
            columns = ", ".join(f"`{_cell(c)}`" for c in variable.column or []) or "(constant)"
            cover.setdefault(variable.slot, []).append(
                f"| [{cw.source_folder} {cw.model.version}](../{_page_of(cw)}) | {columns} | "
                f"{badge(variable.predicate)} |")
    for path, text in list(pages.items()):
        text = curie.sub(lambda m: f"[{m.group(0)}]({prefixes[m.group(1)]}{m.group(2)})", text)
        slot = path.removeprefix("vocabulary/").removesuffix(".md")
        if slot in ctx.vocab.slots:
            ctdc = [m.curie.split(":", 1)[1] for m in ctx.vocab.slots[slot].mappings
                    if m.curie.startswith("ctdc:")]
            text += "\n## In the CTDC data and the sources\n\n"
            if ctdc:
                text += "CTDC columns: " + ", ".join(f"`{c}`" for c in ctdc) + "\n\n"
            rows = cover.get(slot, [])
            text += ("| source | column | predicate |\n|---|---|---|\n" + "\n".join(rows)
                     if rows else "No source maps onto this slot.") + "\n"
        pages[path] = text
    return pages


#: the navigation: one entry per section, in order. Later features (changelog, releases)
#: add a Section here; nothing else changes.
def versions(ctx: Context) -> dict[str, str]:
    """The versioning policy (with the change classes from the rule catalogue) and the
    changelog, both made from what the tool enforces and the `changes` lists."""
    from ctdc_schema import changelog, rules, versioning
    from ctdc_schema.findings import RULES
    from ctdc_schema.rules.changes import bump_of

    rules.load_all()
    rows = ["| rule | asks for | change |", "|---|---|---|"]
    for code in sorted(c for c in RULES if c.startswith(("CH", "SV"))):
        rule = RULES[code]
        asks = bump_of(code).name.lower() if code.startswith("CH") else "(gate)"
        rows.append(f"| [{code}](../rules/{code}.md) {rule.name} | {asks} | "
                    f"{_cell(rule.summary)} |")
    policy = ["# Versions and changes\n", versioning.POLICY,
              "## Every change class and gate rule\n", *rows, "",
              "What changed in each version: [the changelog](changelog.md).", ""]
    releases = changelog.vocabulary_releases(resources.data_dir("schema"))
    return {"versions/index.md": "\n".join(policy),
            "versions/changelog.md": changelog.render(ctx.crosswalks, releases)}


def deidentification(ctx: Context) -> dict[str, str]:
    """How a public release is made (the method as `ctdc deidentify` states it, the
    vocabulary's quasi-identifiers and hierarchies) and the bundled release's risk report."""
    import json

    from ctdc_schema import deidentify

    doc = (deidentify.__doc__ or "").split("\n\n", 1)[1]
    qis = deidentify.slots_marked(ctx.vocab, "quasi_identifier")
    rows = ["| slot | disclosure | in a release |", "|---|---|---|"]
    for disclosure in ("direct_identifier", "quasi_identifier", "sensitive"):
        for slot in deidentify.slots_marked(ctx.vocab, disclosure):
            shown = {"direct_identifier": "dropped", "sensitive": "kept (l-diversity with "
                                                                  "--l)"}.get(disclosure, "")
            if slot in qis:
                (tree,) = deidentify.hierarchies(ctx.vocab, [slot])
                shown = " → ".join(["value", *tree.levels, "any"])
            rows.append(f"| {_slot_link(slot, 0)} | {disclosure} | {shown} |")
    lines = ["# De-identification and publishing\n", doc, "", "## What the vocabulary "
             "declares\n", *rows, "", "## Commands\n", "```bash",
             "ctdc deidentify build/harmonised/ctdc.parquet -o build/release/records.parquet "
             "--k 11 [--l 2] [-q SLOT ...]",
             "ctdc publish build/release/records.parquet -o build/release/published",
             "```", ""]
    report_file = ctx.release / "risk-report.json" if ctx.release else None
    if report_file is not None and report_file.is_file():
        report = json.loads(report_file.read_text(encoding="utf-8"))
        lines += ["## The bundled release\n",
                  f"k = {report['k']} asked, **k = {report['k_achieved']}** achieved; "
                  f"{report['records_out']:,} of {report['records_in']:,} records released, "
                  f"{report['records_suppressed']:,} suppressed (dropping every record of a "
                  f"combination rarer than k would have lost "
                  f"{report['naive_records_suppressed']:,}).\n",
                  "| quasi-identifier | generalisation | cells blanked |", "|---|---|---|"]
        lines += [f"| {slot} | {report['generalisation'][slot]} | "
                  f"{report['cells_suppressed'].get(slot, 0):,} |"
                  for slot in report["quasi_identifiers"]]
        lines += ["", "Equivalence classes by size: " + ", ".join(
            f"{size}: {n:,}" for size, n in report["class_sizes"].items()) + ".", ""]
    return {"deidentification.md": "\n".join(lines)}


def synthetic_release(ctx: Context) -> dict[str, str]:
    """How a differentially private synthetic release is made (the method as `ctdc synthesize`
    states it) and the bundled release's privacy statement and utility report."""
    from ctdc_schema import synthesize

    doc = (synthesize.__doc__ or "").split("\n\n", 1)[1]
    lines = ["# Synthetic release (differential privacy)\n", doc, "", "## Commands\n",
             "```bash",
             "ctdc synthesize build/harmonised/ctdc.parquet -o build/synthetic/release --epsilon 4 "
             "--ledger build/synthetic/privacy-ledger.json --budget 12 [--layout ctdc-synthetic]",
             "ctdc publish build/synthetic/release/records.parquet -o build/synthetic/published",
             "```", ""]
    for name in ("privacy.md", "utility.md"):
        page = ctx.synthetic / name if ctx.synthetic else None
        if page is not None and page.is_file():
            text = page.read_text(encoding="utf-8")
            lines += ["#" + line if line.startswith("#") else line
                      for line in text.splitlines()]
            lines.append("")
    return {"synthetic.md": "\n".join(lines)}


def onboarding(ctx: Context) -> dict[str, str]:
    """Adding an organisation: profile the export, draft the crosswalk, finish it, validate
    it in CI; shown on the bundled IOM example export, run when the site is built."""
    from ctdc_schema import profile, scaffold

    try:  # the examples ship with a checkout, not with the wheel
        example: Path | None = resources.data_dir("examples") / "iom" / "case_export.csv"
    except UsageError:
        example = None
    steps = [
        "# Adding your organisation\n",
        "A new contributor starts from one export. Four commands take it to a crosswalk "
        "that CI checks on every delivery:\n",
        "```bash",
        "ctdc profile export.csv                       # 1. what the export holds",
        "ctdc scaffold export.csv --source acme -o crosswalks/acme/1.0.0.yaml   # 2. a draft",
        "ctdc validate crosswalks/acme                 # 3. finish it: errors, then TODOs",
        "ctdc validate export.csv --source acme        # 4. check each delivery",
        "ctdc scaffold next.csv --update crosswalks/acme/1.0.0.yaml   # new codes, as TODOs",
        "```", "",
        "## 1. Profile the export\n", (profile.__doc__ or "").split("\n\n")[0], ""]
    if example is not None and example.is_file():
        report = profile.profile(example, top=4).text(4).splitlines()
        steps += ["The bundled IOM example export, its first columns:\n", "```text",
                  *report[:24], "```", ""]
    steps += ["## 2. Draft the crosswalk\n", (scaffold.__doc__ or "").split("\n\n", 1)[1],
              ""]
    if example is not None and example.is_file():
        draft = scaffold.scaffold(example, "acme").splitlines()
        steps += ["The draft of the same export, as a steward first sees it (its start):\n",
                  "```yaml", *draft[:48], "```", ""]
    steps += ["## 3. Finish it\n",
              "Resolve every TODO: the header (unit of record, legal definition, validity "
              "window: only your organisation knows them), each proposed match (confirm the "
              "value and its predicate: `exactMatch` only when the meanings are the same), and "
              "each code with no candidate. `ctdc validate` lists what is left as "
              "[CW119](rules/CW119.md) warnings; `--fail-on warning` in CI keeps a draft out "
              "of a release. The [crosswalk format](crosswalk-format/index.md) and the "
              "[rules](rules/index.md) explain every key and finding.", "",
              "## 4. Check every delivery\n",
              "Add the GitHub Action or the pre-commit hook (README) so that each pull request "
              "is validated. When a delivery brings codes the crosswalk does not map, "
              "`ctdc scaffold NEW.csv --update crosswalks/acme/1.0.0.yaml` adds them at the end "
              "of their variable's values, each with a suggestion and a TODO; nothing else in "
              "the file changes. A code it cannot add (its variable's values are a flow "
              "mapping) is listed with the variable's line, and the command exits 1.", ""]
    return {"onboarding.md": "\n".join(steps)}


def htcds_layout(ctx: Context) -> dict[str, str]:
    """The HTCDS 2.0 layout: what `--layout htcds` writes, field by field and value by value,
    with the reason wherever a value has no HTCDS value; shown on the bundled IOM example."""
    import csv
    import io

    from ctdc_schema import htcds
    from ctdc_schema.layouts import htcds as layout

    plan = htcds.plan(ctx.vocab)
    doc = (layout.__doc__ or "").split("\n\n", 1)[1]
    lines = ["# HTCDS 2.0 layout\n",
             "For contributors whose case systems follow the IOM-led Human Trafficking Case "
             "Data Standard (HTCDS 2.0), harmonised records can be written back in its terms:\n",
             "```bash",
             "ctdc transform --manifest examples/manifest.yaml --layout htcds -o htcds.csv",
             "```", "", doc, "", "## Fields\n",
             "| HTCDS field | label | type | from | also as |", "|---|---|---|---|---|"]
    for target_field in plan.written_fields():
        target = next(t for t in plan.targets if t.field == target_field)
        also = "" if target.lossless else f"`ctdc_{target.slot}`"
        lines.append(f"| `{target_field.name}` | {_cell(target_field.label)} | "
                     f"{_cell(target_field.type)} | {_slot_link(target.slot, 0)} | {also} |")
    lines.append("")
    for slot, note in plan.unplaced.items():
        lines.append(f"{_slot_link(slot, 0)} is not written to an HTCDS field: {_cell(note)}\n")
    for target in plan.targets:
        lines += [f"## {target.slot} → {target.field.name}\n"]
        if target.field.iso3166:
            none = sorted(name for name, d in target.values.items() if d.value is None)
            lines += [f"{len(target.mapping())} countries are written as their ISO 3166-1 "
                      f"alpha-2 code; {len(none)} have none, because they are not ISO 3166-1 "
                      f"codes in use: {', '.join(f'`{n}`' for n in none)}.", ""]
            continue
        lines += ["| value | HTCDS value | why |", "|---|---|---|"]
        for name, decision in target.values.items():
            shown = f"`{decision.value}`" if decision.value else "*none*"
            lines.append(f"| `{name}` | {shown} | {_cell(decision.why)} |")
        lines.append("")
    try:  # the examples ship with a checkout, not with the wheel
        example: Path | None = resources.data_dir("examples") / "iom" / "case_export.csv"
    except UsageError:
        example = None
    if example is not None and example.is_file():
        from ctdc_schema.deliveries import Delivery
        from ctdc_schema.harmonise import transform

        with tempfile.TemporaryDirectory(prefix="ctdc-htcds-") as tmp:
            out = Path(tmp) / "htcds.csv"
            transform([Delivery(example, "iom")], out, layout="htcds")
            with out.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.reader(handle))
        shown_rows = io.StringIO()
        width = len(plan.written_fields())
        csv.writer(shown_rows, lineterminator="\n").writerows(row[:width] for row in rows[:6])
        lines += ["## The bundled IOM example\n",
                  "Its first rows, HTCDS fields only (the extension columns follow):\n",
                  "```text", shown_rows.getvalue().rstrip("\n"), "```", ""]
    return {"htcds.md": "\n".join(lines)}


NAV: list[Section] = [
    Section("Home", home),
    Section("Vocabulary", vocabulary_pages),
    Section("Sources", sources),
    Section("Adding your organisation", onboarding),
    Section("Side by side", comparison),
    Section("Conflicts", conflicts),
    Section("Dashboard", dashboard),
    Section("De-identification", deidentification),
    Section("Synthetic release", synthetic_release),
    Section("HTCDS 2.0 layout", htcds_layout),
    Section("Versions and changes", versions),
    Section("Rules", _generated("rules", "rules")),
    Section("Crosswalk format", _generated("crosswalk-format", "crosswalk-format")),
]


def _nav_entry(title: str, paths: list[str]) -> Any:
    markdown = [p for p in paths if p.endswith(".md")]
    if len(markdown) == 1:
        return {title: markdown[0]}
    index = [p for p in markdown if p.endswith("index.md")]
    return {title: index + sorted(p for p in markdown if p not in index)}


def config(docs_dir: Path, site_dir: Path, nav: list[Any]) -> dict[str, Any]:
    return {
        "site_name": "CTDC shared vocabulary",
        "site_url": SITE_URL,
        "docs_dir": str(docs_dir),
        "site_dir": str(site_dir),
        "use_directory_urls": False,
        "strict": False,
        "theme": {"name": "material", "font": False, "features": ["navigation.sections"]},
        # local search (lunr in a web worker, index built with the site); no offline plugin:
        # served over HTTP it is not needed, and it pulls a worker shim from a CDN
        "plugins": [{"search": {"separator": SEARCH_SEPARATOR}}],
        "markdown_extensions": ["tables", "admonition", "pymdownx.details",
                                "pymdownx.superfences", "attr_list", "md_in_html"],
        "extra_css": ["ctdc.css"],
        "nav": nav,
    }


def build(output: Path, dashboards: list[tuple[str, Path]] | None = None,
          release: Path | None = None, synthetic: Path | None = None) -> int:
    """Build the site into ``output``; returns the number of pages."""
    try:
        from mkdocs.commands.build import build as mkdocs_build
        from mkdocs.config import load_config
    except ImportError:
        raise UsageError("`ctdc docs` needs mkdocs-material: pip install "
                         "'ctdc-schema[docs]'") from None
    import yaml

    from ctdc_schema import vocabulary
    from ctdc_schema.crosswalk.loader import load_valid

    ctx = Context(load_valid(), vocabulary.load(), list(dashboards or []), release,
                  synthetic)
    with tempfile.TemporaryDirectory(prefix="ctdc-site-") as tmp:
        docs = Path(tmp) / "docs"
        nav: list[Any] = []
        for section in NAV:
            pages = section.pages(ctx)
            for path, content in pages.items():
                target = docs / path
                target.parent.mkdir(parents=True, exist_ok=True)
                if path.endswith(".svg"):
                    shutil.copyfile(content, target)
                else:
                    target.write_text(content, encoding="utf-8")
            nav.append(_nav_entry(section.title, list(pages)))
        (docs / "ctdc.css").write_text(CSS, encoding="utf-8")
        site = Path(tmp) / "site"
        config_file = Path(tmp) / "mkdocs.yml"
        config_file.write_text(yaml.safe_dump(config(docs, site, nav), sort_keys=False),
                               encoding="utf-8")
        os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
        mkdocs_build(load_config(str(config_file)))
        pages_built = sum(1 for _ in site.rglob("*.html"))
        if output.exists():
            shutil.rmtree(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(site, output)
    return pages_built
