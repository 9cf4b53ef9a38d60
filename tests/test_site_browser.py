"""The reviewer's site in Debian's chromium, at a desktop width and a phone width, with axe-core.

The site is published by the `publish` command (so the review package is written beside the file,
as `make run` does) and served by `serve` as a subprocess. Every page type is opened at 1366 px and
390 px: nothing may scroll sideways (document.scrollingElement.scrollWidth at most the window's
width), and a screenshot of each is written to the folder the tests print. axe-core (the
axe-playwright-python package, run in the same chromium) must find no serious or critical
violation on the pages a reviewer reads.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator

import publish_fixtures as fx
import pytest
from axe_playwright_python.sync_playwright import Axe
from click.testing import CliRunner
from test_browser import (  # noqa: F401  (fixtures)
    REPO,
    _free_port,
    _unavailable,
    _wait_until_answering,
    browser,
    shots,
    sync_api,
)

from registry.cli import cli
from registry.core.db import make_engine

pytestmark = pytest.mark.browser

WIDTHS = (1366, 390)
#: One page of each type a reviewer meets.
PAGES = {
    "landing": "/",
    "cases": "/registry/case_list",
    "case": f"/registry/case_list/{fx.PARK_KEY}",
    "sparse-case": f"/registry/case_summary/{fx.SPARSE_KEY}",
    "methods": "/methods",
    "question": "/registry/cases_for_drug?drug=imatinib",
    "search": "/registry/search?q=rechallenge",
    "table": "/registry/evidence_facts",
    "wide-table": "/registry/case_summary",
    "sql": "/registry?sql=select+case_key%2C+citation%2C+summary+from+case_summary",
    "download": "/download/index.html",
}
AXE_PAGES = ("landing", "cases", "case", "methods", "question")


@pytest.fixture(scope="module")
def reader_site(sync_api, tmp_path_factory, db_templates) -> Iterator[str]:  # noqa: F811
    tmp = tmp_path_factory.mktemp("reader-site")
    url = db_templates.copy(db_templates.migrated("sqlite"), tmp / "work.db")
    engine = make_engine(url)
    fx.write_cases(engine)
    engine.dispose()
    result = CliRunner().invoke(cli, ["--database", url, "publish", "--out", str(tmp / "dist"), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp / "dist" / "download" / "index.html").exists()
    port = _free_port()
    log = tmp / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "registry.cli", "serve", "--out", str(tmp / "dist"), "--host", "127.0.0.1",
             "--port", str(port)], cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(f"{base}/-/versions.json", proc, log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _page(browser, width: int, **options):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True, **options)
    return context, context.new_page()


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(browser, reader_site, shots, width):  # noqa: F811
    context, page = _page(browser, width)
    try:
        wide = {}
        for name, path in PAGES.items():
            response = page.goto(reader_site + path)
            assert response.status == 200, (name, response.status)
            page.screenshot(path=shots / f"{name}-{width}.png", full_page=True)
            scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
            if scroll_width > width:
                wide[name] = scroll_width
        assert wide == {}, f"pages wider than {width} px: {wide}"
    finally:
        context.close()


def test_chart_text_stays_readable_on_a_phone(browser, reader_site):  # noqa: F811
    context, page = _page(browser, 390)
    try:
        page.goto(f"{reader_site}/registry/case_list/{fx.PARK_KEY}")
        sizes = page.eval_on_selector_all(
            "svg.registry-chart text", "els => els.map(e => e.getBoundingClientRect().height)")
        assert sizes and min(sizes) >= 9, sizes  # the chart scrolls in its own box instead of shrinking its labels
    finally:
        context.close()


@pytest.mark.parametrize("name", AXE_PAGES)
def test_no_serious_accessibility_violation(browser, reader_site, name):  # noqa: F811
    context, page = _page(browser, 1366, bypass_csp=True)  # axe is injected as a script of the test's own
    try:
        page.goto(reader_site + PAGES[name])
        results = Axe().run(page)
        serious = [(v["id"], v["impact"], len(v["nodes"])) for v in results.response["violations"]
                   if v["impact"] in ("serious", "critical")]
        assert serious == [], results.generate_report()
    finally:
        context.close()


def test_every_evidence_row_on_a_case_page_names_its_fact(browser, reader_site):  # noqa: F811
    context, page = _page(browser, 1366)
    try:
        page.goto(f"{reader_site}/registry/case_list/{fx.PARK_KEY}")
        facts = page.locator("table.registry-evidence td.registry-fact").all_inner_texts()
        assert facts and all(f.strip() for f in facts)
        tables = {"cases", "findings", "lab_results", "investigations", "drug_exposures", "case_outcomes"}
        assert not {f.strip() for f in facts} & tables
        assert any(f.startswith("Age") for f in facts)
        # each fact of the summary opens its sources in place
        page.locator("details.registry-src summary").first.click()
        assert "Park 2021" in page.locator("details.registry-src[open]").first.inner_text()
    finally:
        context.close()


def test_from_the_landing_page_to_the_review_package(browser, reader_site, shots, tmp_path):  # noqa: F811
    context, page = _page(browser, 1366)
    try:
        page.goto(reader_site + "/")
        page.get_by_role("link", name="Download for R or Excel").click()
        page.wait_for_url("**/download/index.html")
        with page.expect_download() as info:
            page.get_by_role("link", name="Everything as one zip").click()
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        names = zipfile.ZipFile(target).namelist()
        for part in ("csv/case_summary.csv", "csv/codebook.csv", "xlsx/registry.xlsx", "json/cases.schema.json",
                     "csv/citations.ris", "csv/citations.bib", "README.md"):
            assert any(n.endswith(part) for n in names), part
    finally:
        context.close()


def test_a_latency_bar_opens_its_cases(browser, reader_site):  # noqa: F811
    context, page = _page(browser, 1366)
    try:
        page.goto(reader_site + "/methods")
        page.locator("svg.latency-chart a").first.click()
        page.wait_for_url("**/registry/case_list?latency_days__gte=**")
        table = page.locator("table.rows-and-columns")
        assert fx.PARK_KEY in table.inner_text() and fx.SPARSE_KEY not in table.inner_text()
    finally:
        context.close()


def test_the_landing_search_finds_re_exposures_by_any_word(browser, reader_site):  # noqa: F811
    context, page = _page(browser, 390)
    try:
        page.goto(reader_site + "/")
        page.get_by_label("Search the cases").fill("rechallenge")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/registry/search?q=rechallenge")
        assert fx.PARK_KEY in page.locator("table.rows-and-columns").inner_text()
        assert page.locator("table.rows-and-columns mark").count() >= 1
    finally:
        context.close()


def test_per_publication_citation_downloads(reader_site):
    with urllib.request.urlopen(f"{reader_site}/cite/park2021.bib") as r:
        assert r.status == 200 and r.read().decode().startswith("@article{park2021,")
