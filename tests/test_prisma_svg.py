"""The PRISMA flow diagram's text stays inside its boxes: no count "(n = ...)" is broken across lines, and no
line is wider than its box, for counts of 1 to 6 digits, long source names and every exclusion reason.

Checked twice: with the diagram's own conservative measure (registry.outputs.prisma.text_width), and in a
real headless Chromium, which lays the SVG out with the fonts the machine has (getComputedTextLength).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from registry.cases.prisma import PrismaCounts, SourceCount
from registry.outputs import prisma as diagram
from registry.schema.vocabulary import VOCABULARIES

SVG = "{http://www.w3.org/2000/svg}"
LONG_SOURCE = "Citation search: the reference lists of every included report and of three narrative reviews"


def _counts(digits: int) -> PrismaCounts:
    n = int("9" * digits)
    reasons = {code: n for code in VOCABULARIES["exclusion_reason"].codes if code != "not_retrievable"}
    return PrismaCounts(
        sources=[SourceCount("PubMed", n, "2026-11-20", "2026-11-28"), SourceCount(LONG_SOURCE, n, "2026-11-25", "2026-11-25"),
                 SourceCount("Index report", n, None, None), SourceCount("x" * 80, n, None, None)],
        records_identified=n, duplicates_removed=n, already_in_registry=n, records_screened=n, records_excluded=n,
        awaiting_screening=n, reports_sought=n, reports_not_retrieved=n, reports_assessed=n, reports_excluded=reasons,
        awaiting_assessment=n, reports_included=n, included_in_registry=n, cases_included=n, registry_publications=n,
        registry_cases=n, previous_publications=n, previous_cases=n)


def _boxes(svg: str) -> list[tuple[float, float, float, float, list[ET.Element]]]:
    root = ET.fromstring(svg)
    rects = [r for r in root.iter(f"{SVG}rect") if "box" in r.get("class", "").split()]
    texts = list(root.iter(f"{SVG}text"))
    out = []
    for r in rects:
        x, y, w, h = (float(r.get(k)) for k in ("x", "y", "width", "height"))
        out.append((x, y, w, h, [t for t in texts if x <= float(t.get("x")) <= x + w and y <= float(t.get("y")) <= y + h]))
    return out


@pytest.mark.parametrize("digits", range(1, 7))
def test_no_line_is_wider_than_its_box(digits):
    counts = _counts(digits)
    svg = diagram.prisma_svg(counts)
    boxes = _boxes(svg)
    assert len(boxes) == 9
    whole = re.compile(r"\(n = \d{1,3}(?:,\d{3})*\)")
    items = [item for _, main, side in diagram._rows(counts) for item in [*main, *(side or [])]]
    expected = sum(len(whole.findall(item)) for item in items)
    assert expected >= 20
    seen = 0
    for x, _, w, _, texts in boxes:
        assert texts
        for t in texts:
            line = t.text or ""
            seen += len(whole.findall(line))
            assert float(t.get("x")) + diagram.text_width(line) <= x + w - diagram.PAD + 1e-6, line
            # a count is never cut: every "(n" closes on its line, and no line starts inside one
            assert line.count("(n") == len(whole.findall(line)), line
            assert not re.match(r"^(=|\d[\d,]*\))", line), line
    assert seen == expected  # every count of the diagram is there, whole


def test_a_word_longer_than_a_line_is_cut_to_fit():
    lines = diagram._wrap("y" * 200, diagram.MAIN_W)
    assert len(lines) > 1 and "".join(lines) == "y" * 200
    assert all(diagram.text_width(line) <= diagram.MAIN_W - 2 * diagram.PAD for line in lines)


def test_the_measure_is_conservative_for_the_widest_letters():
    # A line of the widest letters of the fonts the diagram names is measured at least as wide as it is
    # (DejaVu Sans: m 0.974 em, W 0.989 em; '=' 0.838 em; digits 0.636 em).
    size = diagram.FONT_SIZE
    for ch, em in (("m", 0.974), ("W", 0.989), ("=", 0.838), ("0", 0.636), ("a", 0.613), (" ", 0.318)):
        assert diagram.char_width(ch) >= em * size, ch


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.parametrize("digits", [1, 6])
def test_no_line_overflows_in_a_real_browser(tmp_path, digits):
    if not CHROMIUM.exists():
        if os.environ.get("REGISTRY_REQUIRE_BROWSER") == "1":
            pytest.fail(f"a browser is required here: no {CHROMIUM}")
        pytest.skip(f"no {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    path = tmp_path / "prisma.svg"
    path.write_text(diagram.prisma_svg(_counts(digits)), encoding="utf-8")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page()
            page.goto(path.as_uri())
            overflows = page.evaluate("""() => {
                const rects = [...document.querySelectorAll('rect.box')].map(r => r.getBBox());
                const out = [];
                for (const t of document.querySelectorAll('text')) {
                    const x = t.x.baseVal[0].value, y = t.y.baseVal[0].value;
                    const box = rects.find(b => b.x <= x && x <= b.x + b.width && b.y <= y && y <= b.y + b.height);
                    if (!box) continue;
                    const end = x + t.getComputedTextLength();
                    if (end > box.x + box.width - 2) out.push([t.textContent, end, box.x + box.width]);
                }
                return [out, document.querySelectorAll('text').length];
            }""")
        finally:
            browser.close()
    problems, texts = overflows
    assert texts > 20
    assert problems == []
