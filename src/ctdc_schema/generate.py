"""Generate the artefacts derived from ``schema/`` and check them for drift.

Everything a user reads or imports (JSON Schema, pydantic classes, Markdown pages, the country
enum module) is rendered here from the LinkML sources and nowhere else. Rendering happens in
memory from a private temporary copy of the schema folder, which makes the output independent
of the working directory, of absolute paths and of file modification times; volatile generator
metadata (generation dates, source paths) is switched off or stripped. Two runs on an
unchanged schema therefore produce identical bytes, and ``--check`` can compare in memory.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctdc_schema import atomic, countries, resources, yamlsource
from ctdc_schema.errors import GENERATE_EXTRA, InputError, UsageError
from ctdc_schema.vocabulary import (
    CONTAINER_CLASS,
    INDEX_FILE,
    Vocabulary,
    render_index,
)

#: paths below are relative to the project root
COUNTRIES_MODULE = "schema/countries.yaml"
DOCS_DIR = "generated/docs"
JSONSCHEMA_DIR = "generated/jsonschema"
DATAMODEL_DIR = "src/ctdc_schema/datamodel"


@dataclass(frozen=True)
class Target:
    """One LinkML schema of ``schema/`` and the artefacts generated from it."""

    schema_file: str  # file name inside schema/
    stem: str  # base name of the outputs
    top_class: str
    docs_dir: str  # where its Markdown pages go


TARGETS: tuple[Target, ...] = (
    Target(resources.MAIN_SCHEMA_FILE, "ctdc", CONTAINER_CLASS, DOCS_DIR),
    Target("crosswalk.yaml", "crosswalk", "Crosswalk", f"{DOCS_DIR}/crosswalk-format"),
    Target("manifest.yaml", "manifest", "Manifest", f"{DOCS_DIR}/manifest-format"),
    Target("changes.yaml", "changes", "Changelog", f"{DOCS_DIR}/changes-format"),
)

def _normal_form(schema_dir: Path, schema_file: str, into: Path) -> Path:
    """A copy of ``schema_dir`` where every slot annotated ``normal_form`` holds only the form
    the loader normalises it to (``list``: a multivalued string; ``single``: one string).

    The schema models the files as written (``any_of``: a name or a list), which is what the
    JSON Schema and linkml-validate check; the Python classes hold what the loader builds.
    gen-pydantic cannot render a multivalued ``any_of`` branch (linkml/linkml#3426), so it is
    given the normal form itself rather than a union it would get wrong.
    """
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")  # keeps the order of everything, which the classes follow
    document = yaml.load((schema_dir / schema_file).read_text(encoding="utf-8"))
    slots = [*(document.get("slots") or {}).values(),
             *(attribute for cls in (document.get("classes") or {}).values()
               for attribute in (cls.get("attributes") or {}).values())]
    normalised = False
    for slot in slots:
        form = (slot.get("annotations") or {}).get("normal_form")
        if form is not None:
            slot.pop("any_of", None)
            slot["range"] = "string"
            slot["multivalued"] = form == "list"
            normalised = True
    if not normalised:
        return schema_dir / schema_file
    into.mkdir()
    for source in sorted(schema_dir.glob("*.yaml")):
        shutil.copyfile(source, into / source.name)
    with (into / schema_file).open("w", encoding="utf-8") as handle:
        yaml.dump(document, handle)
    return into / schema_file


def _add_completion(document: dict[str, Any], vocab: Vocabulary) -> None:
    """Let editors complete, and underline, slot names and each slot's target values.

    A variable gets an ``allOf``: the slot names as an enum, and per enum-ranged slot an
    ``if slot == X then values' targets are X's permissible values``. The loader leaves this
    part out (:func:`ctdc_schema.crosswalk.loader.schema_validator`): ``ctdc validate`` reports
    the same mistakes itself, with rule codes and "did you mean" (CW201, CW202).
    """
    defs = document["$defs"]
    parts: list[dict[str, Any]] = [{"properties": {"slot": {"enum": sorted(vocab.slots)}}}]
    for slot in sorted(vocab.slots):
        enum = vocab.slots[slot].enum
        if enum is None:
            continue
        name = f"vocabulary.{enum}"  # each vocabulary enum once, whichever slots use it
        defs[name] = {"description": f"The values of {enum} in the vocabulary.",
                      "enum": list(vocab.enum_values(enum))}
        one = {"$ref": f"#/$defs/{name}"}
        many = {"type": "array", "items": one}
        target = {"properties": {"value": {"anyOf": [one, many, {"type": "null"}]},
                                 "values": many}}
        parts.append({
            "if": {"properties": {"slot": {"const": slot}}, "required": ["slot"]},
            "then": {"properties": {"values": {"additionalProperties": {"anyOf": [
                one, many, {"type": "null"},
                {"type": "object", **target,
                 "properties": {**target["properties"],
                                "cases": {"items": {"type": "object", **target}}}},
            ]}}}},
        })
    document["$defs"]["Variable"]["allOf"] = parts


#: folders whose whole content is generated: files there that are not rendered are orphans
OWNED_DIRS: tuple[str, ...] = (DOCS_DIR, JSONSCHEMA_DIR)


@dataclass(frozen=True)
class Drift:
    """One generated file that is out of step with the schema."""

    path: str
    kind: str  # "differs" | "missing" | "orphaned"

    def __str__(self) -> str:
        reasons = {
            "differs": "differs from what the schema generates",
            "missing": "is missing (not generated yet)",
            "orphaned": "is no longer generated by the schema (orphaned)",
        }
        return f"{self.path}: {reasons[self.kind]}"


def _header(source: str) -> str:
    return (
        f"# GENERATED by `ctdc generate` from schema/{source} with linkml's gen-pydantic.\n"
        "# Do not edit by hand: edit the schema and run `ctdc generate`.\n"
    )


def _render_target(target: Target, schema_dir: Path, tmp: Path,
                   vocab: Vocabulary) -> dict[str, bytes]:
    try:
        from linkml.generators.docgen import DocGenerator
        from linkml.generators.jsonschemagen import JsonSchemaGenerator
        from linkml.generators.pydanticgen import PydanticGenerator
    except ImportError:  # validation needs only linkml-runtime; generation is an extra
        raise UsageError(GENERATE_EXTRA) from None

    main = schema_dir / target.schema_file
    out: dict[str, bytes] = {}

    generated_json = JsonSchemaGenerator(
        str(main), top_class=target.top_class, not_closed=False, metadata=False,
        mergeimports=True,
    ).serialize()
    document = json.loads(generated_json)
    if target.stem == "crosswalk":
        _add_completion(document, vocab)
    document["$comment"] = (
        f"GENERATED by `ctdc generate` from schema/{target.schema_file}; do not edit. "
        f"The root validates one {target.top_class}; validate a single item against its "
        "definition under $defs."
    )
    out[f"{JSONSCHEMA_DIR}/{target.stem}.schema.json"] = (
        json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode()

    normal = _normal_form(schema_dir, target.schema_file, tmp / f"normal-{target.stem}")
    code = PydanticGenerator(str(normal), metadata=False, metadata_mode=None).serialize()
    out[f"{DATAMODEL_DIR}/{target.stem}.py"] = (_header(target.schema_file) + code).encode()

    if target.docs_dir:
        docs_dir = tmp / "docs" / target.stem
        DocGenerator(
            str(main), metadata=False, mergeimports=True, index_name="index",
            diagram_type="mermaid_class_diagram",
        ).serialize(directory=str(docs_dir))
        for page in sorted(docs_dir.rglob("*")):
            if page.is_file():
                relative = page.relative_to(docs_dir).as_posix()
                out[f"{target.docs_dir}/{relative}"] = page.read_bytes()
    return out


def _fence(text: str) -> str:
    """A YAML code block (plain text when the example is prose in parentheses)."""
    language = "text" if text.startswith("(") else "yaml"
    return f"```{language}\n{text.rstrip()}\n```\n"


def render_rule_docs() -> dict[str, bytes]:
    """One Markdown page per rule of the registry, plus an index (docs site input)."""
    from ctdc_schema import rules
    from ctdc_schema.findings import RULES

    rules.load_all()
    out: dict[str, bytes] = {}
    index = ["# Rules of `ctdc validate`\n", "Every finding has a stable code. "
             "`ctdc rules CODE` prints the same text in a terminal.\n",
             "| code | name | severity | summary |", "|---|---|---|---|"]
    for rule in sorted(RULES.values(), key=lambda r: r.code):
        index.append(f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity.value} "
                     f"| {rule.summary} |")
        page = (
            f"# {rule.code} {rule.name}\n\n"
            f"**Severity:** {rule.severity.value}\n\n{rule.summary}\n\n"
            f"## What it means\n\n{rule.explanation}\n\n"
            f"## Bad\n\n{_fence(rule.bad)}\n## Good\n\n{_fence(rule.good)}"
        )
        out[f"{DOCS_DIR}/rules/{rule.code}.md"] = page.encode()
    out[f"{DOCS_DIR}/rules/index.md"] = ("\n".join(index) + "\n").encode()
    return out


def render(schema_dir: Path) -> dict[str, bytes]:
    """Render every generated file (project-relative path -> bytes) from ``schema_dir``."""
    main = schema_dir / resources.MAIN_SCHEMA_FILE
    header = yamlsource.load(main)
    if not isinstance(header, dict) or not header.get("version"):
        raise InputError("the vocabulary must be a mapping with a 'version'", main, 1, 1)
    rendered: dict[str, bytes] = {
        COUNTRIES_MODULE: countries.render(str(header["version"])).encode(),
    }
    with tempfile.TemporaryDirectory(prefix="ctdc-generate-") as tmp_name:
        tmp = Path(tmp_name)
        work = tmp / "schema"
        work.mkdir()
        for source in sorted(schema_dir.glob("*.yaml")):
            shutil.copyfile(source, work / source.name)
        (work / "countries.yaml").write_bytes(rendered[COUNTRIES_MODULE])
        vocab = Vocabulary(work / resources.MAIN_SCHEMA_FILE)  # located errors first
        rendered[INDEX_FILE] = render_index(vocab)
        for target in TARGETS:
            rendered.update(_render_target(target, work, tmp, vocab))
        rendered.update(render_rule_docs())
        leaked = [path for path, data in rendered.items() if tmp_name.encode() in data]
    if leaked:  # a generator embedded a temporary path: the output would not be reproducible
        raise RuntimeError(f"generator output embeds a temporary path: {leaked[0]}")
    return rendered


def default_root(schema_dir: Path) -> Path:
    """Project root to write into: the checkout that holds ``schema_dir``."""
    parent = schema_dir.resolve().parent
    if schema_dir.name == "schema" and (parent / "pyproject.toml").is_file():
        return parent
    raise UsageError(
        f"{schema_dir} is not the schema/ folder of a ctdc-schema checkout; "
        "pass --output DIR to say where generated files go"
    )


def drift(root: Path, rendered: dict[str, bytes]) -> list[Drift]:
    """Compare rendered files with those under ``root``; orphans in owned folders count too."""
    found: list[Drift] = []
    for relative, content in sorted(rendered.items()):
        path = root / relative
        if not path.is_file():
            found.append(Drift(relative, "missing"))
        elif path.read_bytes() != content:
            found.append(Drift(relative, "differs"))
    for owned in OWNED_DIRS:
        for path in sorted((root / owned).rglob("*")):
            relative = path.relative_to(root).as_posix()
            if path.is_file() and relative not in rendered:
                found.append(Drift(relative, "orphaned"))
    return found


def write(root: Path, rendered: dict[str, bytes], on_change: Callable[[Drift], None]) -> int:
    """Bring ``root`` in step with ``rendered``; returns the number of files changed."""
    changes = drift(root, rendered)
    for change in changes:
        path = root / change.path
        if change.kind == "orphaned":
            path.unlink()
        else:
            atomic.write_bytes(path, rendered[change.path])
        on_change(change)
    return len(changes)
