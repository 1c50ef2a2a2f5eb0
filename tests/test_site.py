"""The documentation site, built and served on localhost, driven in real headless Chromium
(Debian's chromium and chromium-driver; `.ci/run` installs them), and the dashboard's figures
recomputed from the harmonised data by an independent route."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyarrow.parquet as pq
import pytest
from conftest import CTDC_2020, CTDC_2020_FULL, ROOT

from ctdc_schema import harmonise, site, stats, synthesize
from ctdc_schema.deliveries import Delivery, load_manifest
from ctdc_schema.findings import RULE_DOCS_URL

pytestmark = pytest.mark.slow
ARTEFACTS = ROOT / "build" / "test-artifacts"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The bundled example exports and the real CTDC sample, harmonised separately."""
    work = tmp_path_factory.mktemp("harmonised")
    examples = [Delivery(d.path, d.source, d.delivered, d.delimiter)
                for d in load_manifest(ROOT / "examples" / "manifest.yaml")]
    real = CTDC_2020_FULL if CTDC_2020_FULL.is_file() else CTDC_2020
    out = {"examples": work / "examples.parquet", "ctdc": work / "ctdc.parquet"}
    assert harmonise.transform(examples, out["examples"]).exit_code("error") == 0
    assert harmonise.transform([Delivery(real, "ctdc-public", None, None)],
                               out["ctdc"]).exit_code("error") == 0
    return out


@pytest.fixture(scope="module")
def built(data: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("site")
    dashboards = []
    for label, key in (("Example exports (synthetic)", "examples"),
                       ("CTDC 2020 public sample (real data)", "ctdc")):
        folder = work / key
        stats.write(stats.compute(data[key]), folder, charts=("svg",))
        dashboards.append((label, folder))
    synthetic = work / "synthetic"
    synthesize.synthesize(data["examples"], synthetic, 4.0)
    site.build(work / "site", dashboards, synthetic=synthetic)
    return work / "site"


@pytest.fixture(scope="module")
def server(built: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(built))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("chromium and chromium-driver are needed (apt-get install chromium "
                    "chromium-driver; .ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", "--disable-gpu"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def pages(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html")
                  if p.name != "404.html")


def test_every_page_loads_without_console_errors(built: Path, server: str,
                                                 browser: object) -> None:
    assert len(pages(built)) > 150
    errors = {}
    for page in pages(built):
        browser.get(server + page)  # type: ignore[attr-defined]
        severe = [e["message"] for e in browser.get_log("browser")  # type: ignore[attr-defined]
                  if e["level"] == "SEVERE"]
        if severe:
            errors[page] = severe
    assert errors == {}


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))
        if tag in ("img", "script", "link") and (values.get("src") or values.get("href")):
            self.hrefs.append(str(values.get("src") or values.get("href")))


def parsed(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def test_no_internal_link_or_anchor_is_broken(built: Path) -> None:
    cache: dict[Path, Links] = {}
    broken = []
    for page in pages(built):
        here = built / page
        text = here.read_text(encoding="utf-8")
        # nothing is fetched from elsewhere: no CDN script, stylesheet or web font
        assert not re.search(r'<script[^>]+src="(https?:)?//', text), page
        assert not re.search(r'<link[^>]+rel="(stylesheet|preconnect|preload|icon)"'
                             r'[^>]+href="(https?:)?//', text), page
        assert "fonts.googleapis" not in text, page
        for href in parsed(here).hrefs:
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("mailto:", "//", "data:")):
                continue
            target = (here.parent / unquote(parts.path)).resolve() if parts.path else here
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append((page, href))
                continue
            if parts.fragment and target.suffix == ".html":
                ids = cache.setdefault(target, parsed(target)).ids
                if parts.fragment not in ids:
                    broken.append((page, href))
    assert broken == []


def test_every_finding_url_is_a_page_of_the_site(built: Path) -> None:
    from ctdc_schema import rules
    from ctdc_schema.findings import RULES

    rules.load_all()
    base = site.SITE_URL
    for code in RULES:
        url = RULE_DOCS_URL.format(code=code)
        assert url.startswith(base) and (built / url[len(base):]).is_file(), url


def test_the_side_by_side_page_names_every_source(built: Path, server: str,
                                                  browser: object) -> None:
    browser.get(server + "comparison.html")  # type: ignore[attr-defined]
    text = browser.find_element("css selector", "article").text  # type: ignore[attr-defined]
    for source in ("ctdc-public", "ctdc-public-2017", "ctdc-synthetic", "iom", "polaris"):
        assert re.search(rf"\b{re.escape(source)}\b", text), source
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTEFACTS / "comparison.png"))  # type: ignore[attr-defined]
    for page in ("index", "dashboard"):
        browser.get(server + f"{page}.html")  # type: ignore[attr-defined]
        browser.save_screenshot(str(ARTEFACTS / f"{page}.png"))  # type: ignore[attr-defined]
    assert all((ARTEFACTS / f"{p}.png").stat().st_size > 10_000
               for p in ("index", "comparison", "dashboard"))


@pytest.mark.parametrize(("query", "expected"), [
    ("DebtBondage", "meansOfControlDebtBondage"), ("Venue/Industry", "Venue/Industry")])
def test_search_finds_column_names(server: str, browser: object, query: str,
                                   expected: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "index.html")  # type: ignore[attr-defined]
    box = browser.find_element("css selector", "input.md-search__input")  # type: ignore
    box.click()
    box.send_keys(query)

    from selenium.common.exceptions import StaleElementReferenceException

    def results(driver: object) -> str:
        items = driver.find_elements("css selector", ".md-search-result__item")  # type: ignore
        try:
            return " ".join(i.text for i in items)
        except StaleElementReferenceException:  # the list re-rendered as results arrived
            return ""

    found = WebDriverWait(browser, 20).until(lambda d: results(d) or False)
    assert expected.lower().replace("/", "") in found.lower().replace("/", "").replace(
        " ", "") or expected in found, found


# -- the figures --------------------------------------------------------------------------------

def independent(path: Path, slot: str, multivalued: bool) -> tuple[Counter, Counter]:
    """Counts per (group, category) and denominators, from the rows in plain Python."""
    rows = pq.read_table(path).to_pylist()
    counts: Counter = Counter()
    totals: Counter = Counter()
    for row in rows:
        value = row[slot]
        if value is None:
            continue
        for group in (row["source_id"], stats.ALL):
            totals[group] += 1
            for category in (value if multivalued else [value]):
                counts[(group, str(category))] += 1
    return counts, totals


def test_a_harmonised_csv_gives_the_same_figures(data: dict[str, Path],
                                                 tmp_path: Path) -> None:
    """`ctdc transform -o x.csv` writes lists as JSON text and neutralises formula-like text;
    the dashboard of that CSV is the dashboard of the same records in Parquet."""
    as_csv = tmp_path / "ctdc.csv"
    records = harmonise.transform([Delivery(CTDC_2020_FULL if CTDC_2020_FULL.is_file()
                                            else CTDC_2020, "ctdc-public", None, None)], as_csv)
    assert records.exit_code("error") == 0
    assert stats.compute(as_csv).to_dict()["tables"] == \
        stats.compute(data["ctdc"]).to_dict()["tables"]


def test_every_figure_matches_an_independent_count(data: dict[str, Path]) -> None:
    for path in data.values():
        dashboard = stats.compute(path)
        for table in dashboard.tables:
            figure = table.figure
            counts, totals = independent(path, figure.slot, figure.multivalued)
            if figure.slot == "source_id":
                counts = Counter({(stats.ALL, c): n for (g, c), n in counts.items()
                                  if g != stats.ALL})
                totals = Counter({stats.ALL: sum(counts.values())})
            assert table.rows
            for row in table.rows:
                expected = counts[(row.group, row.category)]
                if row.suppressed:
                    assert 0 < expected < dashboard.min_count
                    assert row.count is None and row.share is None
                else:
                    assert row.count == expected >= dashboard.min_count
                    assert row.share == round(expected / totals[row.group], 4)
            if figure.top is not None:  # the top N really are the largest
                for group in table.groups():
                    shown = [r.count for r in table.rows if r.group == group and r.count]
                    rest = sorted((n for (g, c), n in counts.items() if g == group
                                   and n >= dashboard.min_count), reverse=True)
                    assert shown == rest[:len(shown)]


def test_a_small_count_never_reaches_a_table_a_chart_or_a_page(
        data: dict[str, Path], built: Path, tmp_path: Path) -> None:
    dashboard = stats.compute(data["examples"])
    files = stats.write(dashboard, tmp_path)
    hidden = [(t, r) for t in dashboard.tables for r in t.rows if r.suppressed]
    assert hidden, "the example data should have small cells"
    page = (built / "dashboard.html").read_text(encoding="utf-8")
    for table, row in hidden:
        csv_rows = (tmp_path / f"{table.figure.name}.csv").read_text().splitlines()
        line = next(r for r in csv_rows if r.startswith(f"{row.group},{row.category},"))
        assert line == f"{row.group},{row.category},,,yes"
        document = json.loads((tmp_path / "dashboard.json").read_text())
        (entry,) = [r for t in document["tables"] if t["name"] == table.figure.name
                    for r in t["rows"] if (r["group"], r["category"]) == (row.group,
                                                                          row.category)]
        assert entry["count"] is None and entry["share"] is None and entry["suppressed"]
    # charts draw shares of shown cells only; a suppressed category has no bar or label
    for table in dashboard.tables:
        svg = (tmp_path / f"{table.figure.name}.svg").read_text()
        for row in table.rows:
            if row.suppressed and not any(r.category == row.category and not r.suppressed
                                          for r in table.rows):
                assert f">{row.category}<" not in svg
    cells = re.findall(r"<tr>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>(.*?)</td>", page,
                       flags=re.DOTALL)
    marked = [c for c in cells if "suppressed" in c[2]]
    assert len(marked) >= len(hidden)
    assert all(len(files) > 10 for _ in [0])


def test_stats_and_docs_commands(data: dict[str, Path], tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    from ctdc_schema.cli import run

    assert run(["stats", str(data["examples"]), "-o", str(tmp_path / "d"),
                "--min-count", "5"]) == 0
    document = json.loads((tmp_path / "d" / "dashboard.json").read_text())
    assert document["min_count"] == 5 and len(document["tables"]) == len(stats.FIGURES)
    assert {p.suffix for p in (tmp_path / "d").iterdir()} == {".csv", ".json", ".svg", ".png"}
    capsys.readouterr()
    assert run(["stats", str(ROOT / "examples" / "iom" / "case_export.csv")]) == 2
    assert "not a harmonised dataset: no column" in capsys.readouterr().err
    assert run(["docs", "build", "-o", str(tmp_path / "s"), "--dashboard", "no-equals"]) == 2
    assert "--dashboard takes LABEL=FILE, not 'no-equals'" in capsys.readouterr().err


def test_docs_serve_previews_the_site_on_localhost(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "ctdc_schema", "docs", "serve",
                                "--port", str(port)], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html") as page:
                    assert b"The CTDC shared vocabulary" in page.read()
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=30)
        assert process.stderr is not None
        process.stderr.close()
