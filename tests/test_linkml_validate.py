"""The crosswalk format has one definition, `schema/crosswalk.yaml`, and it describes the files
people edit, short forms included: linkml-validate (LinkML's own validator, run on the files
as written) accepts exactly what `ctdc validate` accepts as well-formed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import DATA, ROOT
from linkml.validator import Validator
from linkml.validator.loaders import YamlLoader
from linkml.validator.plugins import JsonschemaValidationPlugin

from ctdc_schema import checker

#: findings that say a file is not a well-formed crosswalk (both tools must reject the file)
MALFORMED = ("CW001", "CW003", "CW012")
#: findings of ctdc's own safety limits and file checks, which linkml-validate does not have
#: (aliases, tags, sizes, duplicate keys, unreadable files, paths): no agreement is asked
NOT_COMPARED = ("CW002", "CW004", "CW005", "CW006", "CW007", "CW008", "CW009", "CW010",
                "CW011")


@pytest.fixture(scope="module")
def linkml_validator() -> Validator:
    return Validator(str(ROOT / "schema" / "crosswalk.yaml"),
                     validation_plugins=[JsonschemaValidationPlugin(closed=True)])


def linkml_errors(validator: Validator, path: Path) -> list[str]:
    try:
        report = validator.validate_source(YamlLoader(str(path)), target_class="Crosswalk")
    except yaml.YAMLError as exc:  # linkml-validate stops at a syntax error
        return [str(exc)]
    return [result.message for result in report.results]


@pytest.mark.parametrize("path", sorted((ROOT / "crosswalks").glob("*/*.yaml")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_linkml_validate_accepts_every_bundled_crosswalk(linkml_validator: Validator,
                                                         path: Path) -> None:
    assert linkml_errors(linkml_validator, path) == []


def fixture_files() -> list[Path]:
    return sorted(p for p in (DATA / "rules").glob("*/*/*.yaml") if p.is_file()
                  and not p.is_symlink() and p.parts[-3] not in NOT_COMPARED)


def test_linkml_validate_and_ctdc_agree_on_every_rule_fixture(
        linkml_validator: Validator) -> None:
    verdicts = {}
    for path in fixture_files():
        found = checker.validate([path.parent.parent], ROOT / "schema", bundled=False).findings
        malformed = any(f.code in MALFORMED and Path(f.file).name == path.name
                        and Path(f.file).parent.name == path.parent.name for f in found)
        verdicts[path.relative_to(DATA).as_posix()] = (
            malformed, bool(linkml_errors(linkml_validator, path)))
    disagreements = {name: v for name, v in verdicts.items() if v[0] != v[1]}
    assert disagreements == {}
    # the comparison means something: fixtures on both sides
    assert sum(1 for m, _ in verdicts.values() if m) >= 3
    assert sum(1 for m, _ in verdicts.values() if not m) >= 30
