"""The published site in a real headless Chromium, served by `serve` as a subprocess.

Uses Debian's /usr/bin/chromium (never `playwright install`). Without it the
tests skip, unless REGISTRY_REQUIRE_BROWSER=1 (CI), where they fail.
Screenshots go to a temporary folder outside the repository; its path is
printed.
"""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import publish_fixtures as fx
import pytest

from registry.core.db import make_engine
from registry.outputs.publish.build import publish

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
REPO = Path(__file__).resolve().parent.parent
#: How long the server may take to start answering (a readiness wait, not a timing check).
STARTUP_DEADLINE_S = 60


def _unavailable(reason: str) -> None:
    if os.environ.get("REGISTRY_REQUIRE_BROWSER") == "1":
        pytest.fail(f"a browser is required here (REGISTRY_REQUIRE_BROWSER=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sync_api():
    if not CHROMIUM.exists():
        _unavailable(f"no {CHROMIUM}: install Debian's chromium (apt-get install -y chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable("the playwright package is not installed (pip install playwright; never `playwright install`)")
    return sync_api


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_answering(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"serve did not answer at {url} within {STARTUP_DEADLINE_S}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def site(sync_api, tmp_path_factory, db_templates) -> Iterator[str]:
    """Base URL of `python -m registry.cli serve` on a free 127.0.0.1 port."""
    tmp = tmp_path_factory.mktemp("browser-site")
    engine = make_engine(db_templates.copy(db_templates.migrated("sqlite"), tmp / "work.db"))
    fx.write_cases(engine)
    publish(engine, tmp / "dist")
    engine.dispose()
    port = _free_port()
    log = tmp / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "registry.cli", "serve", "--out", str(tmp / "dist"),
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(f"{base}/-/versions.json", proc, log)
        assert f"{base}/" in log.read_text()  # serve printed its URL
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def shots(request) -> Path:
    path = Path(tempfile.mkdtemp(prefix="registry-screenshots-"))
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nbrowser screenshots: {path}")
    return path


@pytest.fixture(scope="module")
def browser(sync_api):
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()


def test_home_page(page, site, shots, sync_api):
    page.goto(f"{site}/")
    sync_api.expect(page.locator("h1")).to_contain_text("DRESS case registry")
    sync_api.expect(page.get_by_text("not clinical advice")).to_be_visible()
    # The script tag in a source title is shown as text, never run.
    sync_api.expect(page.get_by_text("<script>alert(1)</script>", exact=False)).to_be_visible()
    page.screenshot(path=shots / "1-home.png", full_page=True)


def test_click_a_facet(page, site, shots, sync_api):
    page.goto(f"{site}/registry/case_summary")
    page.locator(".facet-info").filter(has_text="sex").get_by_role("link", name="Female").click()
    page.wait_for_url("**sex=female**")
    sync_api.expect(page.locator("h3").first).to_contain_text("1 row")
    sync_api.expect(page.locator("table.rows-and-columns")).to_contain_text(fx.PARK_KEY)
    sync_api.expect(page.locator("table.rows-and-columns")).not_to_contain_text(fx.SPARSE_KEY)
    page.screenshot(path=shots / "2-facet-sex-female.png", full_page=True)


def test_search_a_word(page, site, shots, sync_api):
    page.goto(f"{site}/registry/case_summary")
    page.locator("input#_search").fill(fx.SEARCH_WORD)
    page.locator("input#_search").press("Enter")
    page.wait_for_url(f"**_search={fx.SEARCH_WORD}**")
    table = page.locator("table.rows-and-columns")
    sync_api.expect(table).to_contain_text(fx.PARK_KEY)
    sync_api.expect(table).not_to_contain_text(fx.SPARSE_KEY)
    page.screenshot(path=shots / "3-search-reslizumab.png", full_page=True)


def test_case_page_shows_its_chart(page, site, shots, sync_api):
    page.goto(f"{site}/registry/case_summary/{fx.PARK_KEY}")
    sync_api.expect(page.locator("h1")).to_contain_text(f"Case {fx.PARK_KEY}")
    chart = page.locator("svg.eosinophil-chart")
    sync_api.expect(chart).to_be_visible()
    assert chart.locator("circle").count() == 3
    sync_api.expect(page.locator("table.registry-timeline")).to_contain_text("Desensitisation step 6: 400 mg")
    page.screenshot(path=shots / "4-case-park2021-1.png", full_page=True)
    chart.screenshot(path=shots / "5-eosinophil-chart.png")


def test_download_the_cases_as_csv(page, site, shots, sync_api):
    page.goto(f"{site}/about")
    sync_api.expect(page.locator("svg.latency-chart")).to_be_visible()
    page.screenshot(path=shots / "6-about-charts.png", full_page=True)
    with page.expect_download() as info:
        page.get_by_role("link", name="download all cases (CSV)").click()
    download = info.value
    target = shots / download.suggested_filename
    download.save_as(target)
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert sorted(r["case_key"] for r in rows) == [fx.SPARSE_KEY, fx.PARK_KEY]
    (park,) = [r for r in rows if r["case_key"] == fx.PARK_KEY]
    assert park["suspect_drugs"] == "imatinib" and park["sex_label"] == "Female"
