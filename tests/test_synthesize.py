"""`ctdc synthesize`: a differentially private synthetic release (pac-synth) of the harmonised
examples and the real CTDC 2020 sample; its records against the JSON Schema, its aggregates
against the method's reporting rules, its utility figures recomputed here in pandas, the
privacy ledger, the CTDC synthetic layout against the real layout sample, and publishing."""

from __future__ import annotations

import csv
import itertools
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import CTDC_2020, CTDC_2020_FULL, ROOT
from jsonschema import Draft201909Validator

from ctdc_schema import synthesize, utility, vocabulary
from ctdc_schema.cli import run

SCHEMA = json.loads((ROOT / "generated/jsonschema/ctdc.schema.json").read_text())
RECORD = Draft201909Validator({"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"],
                               "$ref": "#/$defs/VictimRecord"})
EPSILON = 4.0
LENGTH = 3


@pytest.fixture(scope="module")
def harmonised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example deliveries and the real CTDC 2020 sample, harmonised together."""
    work = tmp_path_factory.mktemp("harmonised")
    real = CTDC_2020_FULL if CTDC_2020_FULL.is_file() else CTDC_2020
    out = work / "all.parquet"
    assert run(["transform", "--manifest", str(ROOT / "examples" / "manifest.yaml"),
                "-i", str(real), "-s", "ctdc-public", "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def release(harmonised: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic") / "release"
    assert run(["synthesize", str(harmonised), "-o", str(folder), "--epsilon", str(EPSILON),
                "--layout", "ctdc-synthetic"]) == 0
    return folder


def coded(frame: pd.DataFrame, columns: list[str], lists: set[str]) -> pd.DataFrame:
    """Records in the utility report's coding, made here without the module: a cell as text,
    absence as "", a list as its sorted values joined by ";" (or "none" when empty)."""
    vocab = vocabulary.load()
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        if column in lists:
            order = {v: i for i, v in enumerate(vocab.slot_values(column))}
            out[column] = [
                "" if v is None else "none" if len(v) == 0 else
                ";".join(sorted(set(v), key=order.__getitem__)) for v in frame[column]]
        else:
            out[column] = ["" if v is None or v != v else str(int(v)) if isinstance(v, float)
                           else str(v) for v in frame[column]]
    return out


def test_the_records_conform_to_the_json_schema(release: Path) -> None:
    frame = pd.read_parquet(release / "records.parquet")
    assert len(frame) > 5000
    for record in frame.to_dict("records"):
        clean = {k: (list(v) if hasattr(v, "tolist") else v) for k, v in record.items()
                 if v is not None and not (isinstance(v, float) and v != v)}
        RECORD.validate(clean)
    assert set(frame["deidentification_method"]) == {"synthetic_differential_privacy"}
    assert "case_id" not in frame.columns and "source_file" not in frame.columns
    statement = json.loads((release / "privacy.json").read_text())
    assert statement["epsilon"] == EPSILON and 0 < statement["delta"] < 1e-3
    assert statement["columns"] == ["source_id", "year_of_registration", "gender", "age_broad",
                                    "citizenship", "country_of_exploitation",
                                    "exploitation_types", "labour_sectors",
                                    "sex_exploitation_types"]
    assert statement["records"] == len(frame)


def test_the_aggregates_follow_the_reporting_rules(release: Path) -> None:
    """pac-synth's rules (docs/dp/README.md §3): combinations of at most the reporting length,
    of distinct columns, never an empty value; every count above 0; a combination is reported
    only when each of its sub-combinations is (thresholds propagate), and never with a larger
    count than any of them (normalisation)."""
    statement = json.loads((release / "privacy.json").read_text())
    allowed = set(statement["columns"]) | set(statement["flags"])
    counts: dict[frozenset[str], int] = {}
    with (release / "aggregates.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            attributes = row["combination"].split(";")
            assert len(attributes) == int(row["length"]) <= LENGTH
            columns = [a.split(":", 1)[0] for a in attributes]
            assert len(set(columns)) == len(columns) and set(columns) <= allowed
            assert all(a.split(":", 1)[1] not in ("", "0") for a in attributes)
            assert int(row["count"]) >= 1
            counts[frozenset(attributes)] = int(row["count"])
    assert len(counts) > 1000
    for combination, count in counts.items():
        for smaller in itertools.combinations(sorted(combination), len(combination) - 1):
            if smaller:
                assert frozenset(smaller) in counts, (combination, smaller)
                assert count <= counts[frozenset(smaller)], (combination, smaller)
    # the flags of list slots are written {NULL, 1}, as in the synthetic codebook
    assert {a.split(":", 1)[1] for c in counts for a in c
            if a.split(":", 1)[0] in statement["flags"]} == {"1"}


def test_the_utility_figures_are_recomputed_independently(release: Path,
                                                          harmonised: Path) -> None:
    report = json.loads((release / "utility.json").read_text())
    columns = report["columns"]
    vocab = vocabulary.load()
    lists = {c for c in columns if vocab.slots[c].multivalued}
    real = coded(pd.read_parquet(harmonised), columns, lists)
    fake = coded(pd.read_parquet(release / "records.parquet"), columns, lists)
    by_columns = {tuple(m["columns"]): m for m in report["marginals"]["marginals"]}
    assert report["marginals"]["lengths"] == [1, 2, 3]
    for k in (1, 2):
        for subset in itertools.combinations(columns, k):
            p = real.groupby(list(subset)).size() / len(real)
            q = fake.groupby(list(subset)).size() / len(fake)
            errors = p.sub(q, fill_value=0).abs()
            mine = by_columns[subset]
            assert mine["total_variation"] == pytest.approx(errors.sum() / 2, abs=1e-6)
            assert mine["max_abs_error"] == pytest.approx(errors.max(), abs=1e-6)
            assert mine["mean_abs_error"] == pytest.approx(errors.mean(), abs=1e-6)
        # fabricated: combinations of present values the real records never hold
        expected = sum(
            sum(1 for key in fake.groupby(list(s)).size().index
                if key not in set(real.groupby(list(s)).size().index)
                and all(v != "" for v in (key if isinstance(key, tuple) else (key,))))
            for s in itertools.combinations(columns, k))
        assert report["fabricated"]["by_length"][str(k)]["combinations"] == expected
    whole = Counter(map(tuple, fake.to_numpy().tolist()))
    seen_whole = set(map(tuple, real.to_numpy().tolist()))
    assert report["fabricated"]["records_with_unseen_profile"] == sum(
        n for profile, n in whole.items() if profile not in seen_whole)
    # the dashboard's top-10 citizenships of all sources, counted here
    (figure,) = [f for f in report["dashboard"] if f["name"] == "citizenship_top10"]
    (everyone,) = [g for g in figure["groups"] if g["group"] == "all sources"]
    known = real[real["citizenship"] != ""]["citizenship"].value_counts()
    assert [r["category"] for r in everyone["rows"]] == list(known.index[:10])
    synthetic_known = fake[fake["citizenship"] != ""]["citizenship"].value_counts()
    assert everyone["top_same_categories"] == (set(known.index[:10])
                                               == set(synthetic_known.index[:10]))
    assert everyone["rows"][0]["synthetic_share"] == pytest.approx(
        synthetic_known.get(everyone["rows"][0]["category"], 0) / synthetic_known.sum(),
        abs=1e-4)


def test_everything_but_the_noise_is_reproducible(harmonised: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """pac-synth draws its noise from the operating system (Rust `thread_rng`) and takes no
    seed; given the same draw, the release is the same bytes: records, aggregates, utility."""
    draw: dict[str, Any] = {}
    method = synthesize.run_method

    def once(*args: Any) -> Any:
        if not draw:
            draw["result"] = method(*args)
        rows, aggregates, protected, parameters = draw["result"]
        return Counter(dict(reversed(list(rows.items())))), \
            dict(reversed(list(aggregates.items()))), protected, parameters

    monkeypatch.setattr(synthesize, "run_method", once)
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        synthesize.synthesize(harmonised, folder, 1.0, layout="ctdc-synthetic")
    for name in ("records.parquet", "records.csv", "aggregates.csv", "utility.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_the_ledger_adds_up_and_refuses_a_release_over_budget(
        harmonised: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = tmp_path / "ledger.json"
    base = ["synthesize", str(harmonised), "--ledger", str(ledger), "-c", "gender",
            "-c", "age_broad"]
    assert run([*base, "-o", str(tmp_path / "one"), "--epsilon", "1"]) == 2
    assert "declare the budget of a new ledger with --budget" in capsys.readouterr().err
    assert run([*base, "-o", str(tmp_path / "one"), "--epsilon", "1", "--budget", "2.5"]) == 0
    assert run([*base, "-o", str(tmp_path / "two"), "--epsilon", "1"]) == 0
    capsys.readouterr()
    assert run([*base, "-o", str(tmp_path / "three"), "--epsilon", "1"]) == 2
    assert "would spend 3 of the budget of 2.5" in capsys.readouterr().err
    assert not (tmp_path / "three").exists()
    book = json.loads(ledger.read_text())
    assert [r["epsilon"] for r in book["releases"]] == [1.0, 1.0] and book["budget"] == 2.5
    statement = json.loads((tmp_path / "two" / "privacy.json").read_text())
    assert statement["ledger"]["spent"] == 2.0 and statement["ledger"]["releases"] == 2
    assert run([*base, "-o", str(tmp_path / "three"), "--epsilon", "0.5", "--budget", "9"]) == 2
    assert "declares a budget of 2.5, not 9" in capsys.readouterr().err
    ledger.write_text("{not json")
    assert run([*base, "-o", str(tmp_path / "three"), "--epsilon", "0.5"]) == 2
    assert "not a privacy ledger" in capsys.readouterr().err


def test_the_synthetic_layout_writes_the_release_as_it_is(tmp_path: Path) -> None:
    """The layout sample of the CTDC synthetic release, read through its crosswalk and written
    back through the same crosswalk: every cell as the file has it (09--17 is 9--17)."""
    sample = ROOT / "examples" / "ctdc-synthetic" / "synthetic_2024_sample.csv"
    records, out = tmp_path / "records.parquet", tmp_path / "release.csv"
    assert run(["transform", str(sample), "-s", "ctdc-synthetic", "-o", str(records)]) == 0
    assert run(["transform", str(sample), "-s", "ctdc-synthetic", "--layout", "ctdc-synthetic",
                "-o", str(out)]) == 0
    with sample.open(newline="", encoding="utf-8") as a, out.open(newline="",
                                                                   encoding="utf-8") as b:
        original, written = list(csv.reader(a)), list(csv.reader(b))
    assert written[0] == original[0] and len(written) == len(original)
    differ = [(i, name, a, b) for i, (row, mine) in enumerate(zip(original[1:], written[1:],
                                                                   strict=True))
              for name, a, b in zip(original[0], row, mine, strict=True)
              if {"NULL": "", "09--17": "9--17"}.get(a, a) != b]
    assert differ == []


def test_publish_says_the_release_is_synthetic(release: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema
    from frictionless import validate

    from ctdc_schema.publish import DCAT_SCHEMA

    folder = tmp_path / "published"
    assert run(["publish", str(release / "records.parquet"), "-o", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "aggregates.csv", "codebook.md", "data.json", "datapackage.json", "privacy.json",
        "privacy.md", "records.csv"]
    report = validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])[:5]
    package = json.loads((folder / "datapackage.json").read_text())
    assert package["ctdc:deidentification"]["method"] == "synthetic_differential_privacy"
    assert package["ctdc:deidentification"]["privacy_statement"]["epsilon"] == EPSILON
    shared = ROOT.parent / "shared" / "reference" / "schemas"
    schema_file = shared / "dcat-us-1.1-dataset-non-federal.json" if shared.is_dir() \
        else DCAT_SCHEMA
    (dataset,) = json.loads((folder / "data.json").read_text())["dataset"]
    jsonschema.Draft4Validator(json.loads(schema_file.read_text()),
                               format_checker=jsonschema.FormatChecker()).validate(dataset)
    assert "differential privacy" in dataset["keyword"] and "-differential privacy" in \
        dataset["description"]
    # a privacy statement beside records that are not synthetic is refused
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "privacy.json").write_text((release / "privacy.json").read_text())
    pd.read_parquet(release / "records.parquet").assign(
        deidentification_method="k_anonymity").to_parquet(tmp_path / "fake" / "r.parquet")
    capsys.readouterr()
    assert run(["publish", str(tmp_path / "fake" / "r.parquet"), "-o", str(tmp_path / "x")]) \
        == 2
    assert "are not all synthetic_differential_privacy" in capsys.readouterr().err
    # ... and so is one that describes other records (here: one record fewer)
    pd.read_parquet(release / "records.parquet").iloc[1:].to_parquet(
        tmp_path / "fake" / "r.parquet")
    assert run(["publish", str(tmp_path / "fake" / "r.parquet"), "-o", str(tmp_path / "x")]) \
        == 2
    assert "describes" in capsys.readouterr().err and not (tmp_path / "x").exists()


@pytest.mark.parametrize(("arguments", "message"), [
    (["--epsilon", "0"], "--epsilon must be a number above 0"),
    (["--epsilon", "1", "-c", "case_id"], "'case_id' is a direct identifier"),
    (["--epsilon", "1", "-c", "no_such_slot"], "'no_such_slot' is not a column"),
    (["--epsilon", "1", "--delta", "2"], "--delta must be between 0 and 1"),
    ([], "give DATA, -o DIR and --epsilon"),
    (["--epsilon", "1", "--budget", "5"], "--budget declares the budget of a --ledger"),
    (["--epsilon", "1", "-c", "vocabulary_version"], "describes the release, not the person"),
])
def test_usage_errors(harmonised: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                      arguments: list[str], message: str) -> None:
    assert run(["synthesize", str(harmonised), "-o", str(tmp_path / "out"), *arguments]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


class PanicException(BaseException):
    """What pyo3 raises for a Rust panic (a BaseException, not an Exception)."""


def test_bad_input_is_an_input_error_and_writes_nothing(
        harmonised: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # pac-synth panics when the noisy record count of tiny data comes out negative (about
    # half the runs for 3 records at epsilon 0.1): the panic, made certain here
    tiny = tmp_path / "tiny.parquet"
    pq.write_table(pa.table({"source_id": ["ngo"] * 3, "gender": ["female", "male", "male"]}),
                   tiny)

    def panic(*_: Any) -> Any:
        raise PanicException("attempt to subtract with overflow")

    with monkeypatch.context() as patch:
        patch.setattr(synthesize, "run_method", panic)
        assert run(["synthesize", str(tiny), "-o", str(tmp_path / "out"), "--epsilon",
                    "0.1"]) == 2
    assert "too few for the noise: attempt to subtract" in capsys.readouterr().err
    # a list slot that holds text
    text = tmp_path / "text.parquet"
    pq.write_table(pa.table({"source_id": ["ngo"] * 20, "labour_sectors": ["x"] * 20}), text)
    assert run(["synthesize", str(text), "-o", str(tmp_path / "out"), "--epsilon", "1"]) == 2
    assert "column labour_sectors holds VARCHAR, not a list" in capsys.readouterr().err
    # a value holding the aggregates' separator
    semi = tmp_path / "semi.parquet"
    pq.write_table(pa.table({"source_id": ["ngo"] * 20, "gender": ["female;male"] * 20}), semi)
    assert run(["synthesize", str(semi), "-o", str(tmp_path / "out"), "--epsilon", "1"]) == 2
    assert "column gender holds a value with ';' (female;male)" in capsys.readouterr().err
    # a ledger whose deltas are not numbers is refused before anything is written
    ledger = tmp_path / "ledger.json"
    ledger.write_text('{"budget": 10, "releases": [{"epsilon": 1, "delta": null}]}')
    assert run(["synthesize", str(harmonised), "-o", str(tmp_path / "out"), "--epsilon", "1",
                "--ledger", str(ledger)]) == 2
    assert "not a privacy ledger" in capsys.readouterr().err
    # the output folder may not hold what the run reads: it is replaced whole
    (tmp_path / "out").mkdir()
    ledger.write_text('{"budget": 10, "releases": []}')
    inside = tmp_path / "out" / "ledger.json"
    inside.write_text(ledger.read_text())
    assert run(["synthesize", str(harmonised), "-o", str(tmp_path / "out"), "--epsilon", "1",
                "--ledger", str(inside)]) == 2
    assert "which this run reads" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.json", "out", "semi.parquet",
                                                          "text.parquet", "tiny.parquet"]


def test_a_new_release_replaces_the_folder_whole(harmonised: Path, tmp_path: Path) -> None:
    out = tmp_path / "release"
    assert run(["synthesize", str(harmonised), "-o", str(out), "--epsilon", "2", "-c",
                "gender", "--layout", "ctdc-synthetic"]) == 0
    assert (out / "records.csv").is_file()
    assert run(["synthesize", str(harmonised), "-o", str(out), "--epsilon", "2", "-c",
                "gender"]) == 0
    assert not (out / "records.csv").exists()  # nothing left of the previous release
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release"]


def test_the_site_page_shows_the_statement_and_the_utility(release: Path) -> None:
    from ctdc_schema import site

    ctx = site.Context([], vocabulary.load(), synthetic=release)
    page = site.synthetic_release(ctx)["synthetic.md"]
    assert "## Privacy statement" in page and "## Utility of the synthetic release" in page
    assert "| 2 | 36 |" in page  # the length-2 marginals of the nine columns
    assert utility.MAX_TRIPLES >= 84


def test_a_seeded_synthesis_of_the_examples_is_reproducible(tmp_path: Path) -> None:
    """pac-synth takes no seed, so the test seeds the operating system's randomness itself:
    tests/seeded/entropy.c, preloaded into `ctdc synthesize`, answers getrandom from a fixed
    stream. The same seed gives the same release, byte for byte; another seed another one."""
    import os
    import shutil
    import subprocess
    import sys

    from ctdc_schema.engine.duckdb_engine import THREADS_ENV

    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None or sys.platform != "linux":
        pytest.skip("needs a C compiler and Linux (LD_PRELOAD) to seed the system's randomness")
    library = tmp_path / "libentropy.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(library),
                    str(ROOT / "tests" / "seeded" / "entropy.c"), "-ldl"], check=True)
    examples = tmp_path / "examples.parquet"
    assert run(["transform", "--manifest", str(ROOT / "examples" / "manifest.yaml"),
                "-o", str(examples)]) == 0

    def release(seed: str, name: str) -> Path:
        env = {**os.environ, "LD_PRELOAD": str(library), "CTDC_ENTROPY_SEED": seed,
               THREADS_ENV: "1"}  # one thread: each draws from the stream in one order
        subprocess.run([sys.executable, "-m", "ctdc_schema", "synthesize", str(examples), "-o",
                        str(tmp_path / name), "--epsilon", "4", "--layout", "ctdc-synthetic"],
                       check=True, env=env, capture_output=True)
        return tmp_path / name

    first, second, other = release("42", "a"), release("42", "b"), release("7", "c")
    names = ["records.parquet", "records.csv", "aggregates.csv", "privacy.json",
             "utility.json"]
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / "aggregates.csv").read_bytes() != (other / "aggregates.csv").read_bytes()
