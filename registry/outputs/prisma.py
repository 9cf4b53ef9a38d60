"""The PRISMA 2020 flow diagram as SVG, drawn from computed counts (registry.cases.prisma).

The layout follows the PRISMA 2020 template for new reviews searching databases (Page et al., BMJ
2021;372:n71, figure 1): three phases down the left (Identification, Screening, Included), the
main column of boxes with arrows down, and beside each the records or reports that leave the flow.
It is a fixed template: boxes in a grid, heights from their lines of text, no layout engine. The
registry adds two lines where its data need them: records that were already in the registry (removed
before screening) and, in the Included box, the cases and the registry's totals. Records or reports
still awaiting a decision are shown in the box they wait in, so the numbers always add up.

Publish (the site's static folder) and export (the export folder) both write it; neither imports
the other.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy.engine import Connection

from registry.cases.prisma import PrismaCounts, prisma_counts

FONT_SIZE = 13
LINE_HEIGHT = 18
CHAR_WIDTH = 6.9  # average advance of the sans-serif font at FONT_SIZE (the phase labels' height)
MAIN_X, MAIN_W = 70, 330
SIDE_X, SIDE_W = 450, 330
WIDTH = SIDE_X + SIDE_W + 20
GAP = 34
PHASE_W = 34

TITLE = "PRISMA 2020 flow diagram"


# Advance widths (em), rounded up to the wider of Helvetica/Arial (Liberation Sans) and DejaVu Sans, the
# fonts a browser falls back to for "Helvetica, Arial, sans-serif": a line measured with them is never
# narrower than it renders, so it never runs out of its box.
_EM = {
    **dict.fromkeys("ijlI.,:;'|!`", 0.40),
    **dict.fromkeys("ftr()[]{}-/\\ \"*", 0.46),
    **dict.fromkeys("mwMW%@", 1.00),
    **dict.fromkeys("=+<>~^#&", 0.86),
    **dict.fromkeys("ABCDEFGHJKLNOPQRSTUVXYZ", 0.80),
}
_EM_DEFAULT = 0.66  # other lower-case letters, digits, the rest of ASCII
_EM_OTHER = 1.00  # anything else (another script, a symbol)
#: Pixels between the end of a line of text and its box's edge.
PAD = 10


def char_width(ch: str, size: float = FONT_SIZE) -> float:
    if ch.isascii():
        return _EM.get(ch, _EM_DEFAULT) * size
    base = unicodedata.normalize("NFKD", ch)[:1]  # an accented Latin letter is as wide as its letter
    if base and base.isascii():
        return _EM.get(base, _EM_DEFAULT) * size
    return (0.46 if ch == "\u00a0" else _EM_OTHER) * size


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """A conservative width of `text` in pixels at `size` (see _EM)."""
    return sum(char_width(ch, size) for ch in text)


#: A count, "(n = 1,234)" or "1,234 case(s)", and "searched 2026-11-25" are units: never broken across lines.
_TOKENS = re.compile(r"\(n = [\d,]+\)[,:.;]?|[\d,]+ \w+\(s\)[,:.;]?|searched \d{4}-\d\d-\d\d|\S+")


def _split_long(word: str, room: float) -> list[str]:
    """A word wider than a whole line, cut into pieces that fit."""
    pieces, piece = [], ""
    for ch in word:
        if piece and text_width(piece + ch) > room:
            pieces.append(piece)
            piece = ch
        else:
            piece += ch
    return [*pieces, piece] if piece else pieces


def _wrap(text: str, width: float) -> list[str]:
    """Lines of `text` that each fit in `width` pixels less the padding on both sides."""
    room = width - 2 * PAD
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _TOKENS.findall(paragraph):
            for word in (_split_long(token, room) if text_width(token) > room else [token]):
                candidate = f"{line} {word}" if line else word
                if line and text_width(candidate) > room:
                    lines.append(line)
                    line = word
                else:
                    line = candidate
        lines.append(line)
    return lines


def _lines(items: list[str], width: int) -> list[tuple[str, bool]]:
    """(text, indented) lines of a box; items starting with '  ' are indented sub-items."""
    out = []
    for item in items:
        indent = item.startswith("  ")
        for line in _wrap(item.strip(), width - (16 if indent else 0)):
            out.append((line, indent))
    return out


def _box(x: float, y: float, w: float, lines: list[tuple[str, bool]], css: str) -> tuple[str, float]:
    h = 2 * PAD + LINE_HEIGHT * len(lines) - (LINE_HEIGHT - FONT_SIZE)
    parts = [f'<rect class="{css}" x="{x}" y="{y}" width="{w}" height="{h}" rx="3"/>']
    for i, (text, indent) in enumerate(lines):
        ty = y + PAD + FONT_SIZE + i * LINE_HEIGHT - 2
        parts.append(f'<text x="{x + PAD + (16 if indent else 0)}" y="{ty}">{escape(text)}</text>')
    return "\n".join(parts), h


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line class="arrow" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" marker-end="url(#head)"/>'


def _n(value: int) -> str:
    return f"(n = {value:,})"


def _rows(c: PrismaCounts) -> list[tuple[str, list[str], list[str] | None]]:
    """(phase, main box items, side box items) per row of the diagram."""
    identified = [f"Records identified {_n(c.records_identified)}:"]
    for s in c.sources:
        dates = ""
        if s.searched_from:
            dates = f", searched {s.searched_from}" + (f" to {s.searched_to}" if s.searched_to != s.searched_from else "")
        identified.append(f"  {s.source} {_n(s.records)}{dates}")
    removed = ["Records removed before screening:", f"  Duplicate records removed {_n(c.duplicates_removed)}",
               f"  Already in the registry {_n(c.already_in_registry)}"]
    screened = [f"Records screened {_n(c.records_screened)}"]
    if c.awaiting_screening:
        screened.append(f"  Awaiting screening {_n(c.awaiting_screening)}")
    assessed = [f"Reports assessed for eligibility {_n(c.reports_assessed)}"]
    if c.awaiting_assessment:
        assessed.append(f"  Awaiting assessment {_n(c.awaiting_assessment)}")
    excluded = [f"Reports excluded {_n(c.reports_excluded_total)}" + (":" if c.reports_excluded else "")]
    for item in c.as_dict()["reports_excluded"]:
        excluded.append(f"  {item['label']} {_n(item['reports'])}")
    included = [
        f"Reports included {_n(c.reports_included)}",
        f"  In the registry {_n(c.included_in_registry)}, with {c.cases_included:,} case(s)",
        "Registry total:",
        f"  {c.registry_publications:,} publication(s), {c.registry_cases:,} case(s)",
        "Already in the registry before screening:",
        f"  {c.previous_publications:,} publication(s), {c.previous_cases:,} case(s)",
    ]
    return [
        ("Identification", identified, removed),
        ("Screening", screened, [f"Records excluded {_n(c.records_excluded)}"]),
        ("Screening", [f"Reports sought for retrieval {_n(c.reports_sought)}"], [f"Reports not retrieved {_n(c.reports_not_retrieved)}"]),
        ("Screening", assessed, excluded),
        ("Included", included, None),
    ]


def prisma_lines(counts: PrismaCounts) -> list[str]:
    """The diagram's boxes as Markdown list items, phase by phase (the release notes)."""
    out: list[str] = []
    for phase, main, side in _rows(counts):
        for item in [*main, *(side or [])]:
            indent = "  " if item.startswith("  ") else ""
            out.append(f"{indent}- {phase}: {item.strip()}" if not indent else f"  - {item.strip()}")
    return out


def prisma_svg(counts: PrismaCounts) -> str:
    """The diagram as a standalone SVG document."""
    body: list[str] = []
    y = 50.0
    phase_spans: dict[str, list[float]] = {}
    previous_bottom = None
    rows = _rows(counts)
    for phase, main_items, side_items in rows:
        main_lines = _lines(main_items, MAIN_W)
        side_lines = _lines(side_items, SIDE_W) if side_items else []
        h = 2 * PAD + LINE_HEIGHT * max(len(main_lines), len(side_lines)) - (LINE_HEIGHT - FONT_SIZE)
        if sum(1 for r in rows if r[0] == phase) == 1:
            h = max(h, len(phase) * CHAR_WIDTH * 1.15 + 2 * PAD)  # room for the phase's rotated label
        svg, mh = _box(MAIN_X, y, MAIN_W, main_lines, "box")
        body.append(svg)
        if side_lines:
            svg, sh = _box(SIDE_X, y, SIDE_W, side_lines, "box side")
            body.append(svg)
            body.append(_arrow(MAIN_X + MAIN_W, y + min(mh, sh) / 2, SIDE_X - 2, y + min(mh, sh) / 2))
        if previous_bottom is not None:
            body.append(_arrow(MAIN_X + MAIN_W / 2, previous_bottom, MAIN_X + MAIN_W / 2, y - 2))
        previous_bottom = y + mh
        span = phase_spans.setdefault(phase, [y, y + h])
        span[1] = y + h
        y += h + GAP
    for phase, (top, bottom) in phase_spans.items():
        cx, cy = 20 + PHASE_W / 2, (top + bottom) / 2
        body.append(f'<rect class="phase" x="20" y="{top}" width="{PHASE_W}" height="{bottom - top}" rx="3"/>')
        body.append(f'<text class="phase-label" x="{cx}" y="{cy}" transform="rotate(-90 {cx} {cy})">{escape(phase)}</text>')
    height = y - GAP + 20
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'role="img" aria-labelledby="prisma-title" font-family="Helvetica, Arial, sans-serif" font-size="{FONT_SIZE}">',
        f'<title id="prisma-title">{TITLE}</title>',
        "<style>.box{fill:#fff;stroke:#333;stroke-width:1.2}.side{fill:#f6f6f6}.phase{fill:#cfe0f3;stroke:#5b7fa6}"
        ".phase-label{font-weight:bold;text-anchor:middle;dominant-baseline:middle}.arrow{stroke:#333;stroke-width:1.4}"
        "text{fill:#111}</style>",
        '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
        f'<text x="{MAIN_X}" y="28" font-weight="bold" font-size="15">{TITLE}</text>',
        *body,
        "</svg>",
        "",
    ])


def prisma_text(d: PrismaCounts) -> str:
    """The counts as the text `dress-registry prisma` and `seed --report` print."""
    lines = ["Identification"]
    lines += [f"  records identified: {d.records_identified}"]
    lines += [f"    {s.source}: {s.records}" + (f" (searched {s.searched_from}" + (f" to {s.searched_to}" if s.searched_to != s.searched_from else "") + ")" if s.searched_from else "")
              for s in d.sources]
    lines += [f"  duplicate records removed: {d.duplicates_removed}", f"  already in the registry: {d.already_in_registry}",
              "Screening",
              f"  records screened: {d.records_screened}" + (f" ({d.awaiting_screening} awaiting screening)" if d.awaiting_screening else ""),
              f"  records excluded: {d.records_excluded}",
              f"  reports sought for retrieval: {d.reports_sought}",
              f"  reports not retrieved: {d.reports_not_retrieved}",
              f"  reports assessed for eligibility: {d.reports_assessed}" + (f" ({d.awaiting_assessment} awaiting assessment)" if d.awaiting_assessment else ""),
              f"  reports excluded: {d.reports_excluded_total}"]
    lines += [f"    {item['label']}: {item['reports']}" for item in d.as_dict()["reports_excluded"]]
    lines += ["Included",
              f"  reports included: {d.reports_included} ({d.included_in_registry} in the registry, with {d.cases_included} case(s))",
              f"  registry: {d.registry_publications} publication(s), {d.registry_cases} case(s); "
              f"already in before screening: {d.previous_publications} publication(s), {d.previous_cases} case(s)"]
    return "\n".join(lines)


def prisma_json(counts: PrismaCounts) -> str:
    return json.dumps(counts.as_dict(), indent=2, ensure_ascii=False) + "\n"


#: The files `write_prisma` writes.
PRISMA_FILES = ("prisma.svg", "prisma.json")


def write_prisma(conn: Connection, folder: Path) -> PrismaCounts:
    """prisma.svg and prisma.json in `folder`, from the counts of the database `conn` reads."""
    counts = prisma_counts(conn)
    (folder / PRISMA_FILES[0]).write_text(prisma_svg(counts), encoding="utf-8", newline="\n")
    (folder / PRISMA_FILES[1]).write_text(prisma_json(counts), encoding="utf-8", newline="\n")
    return counts
