"""Citations of the exported cases' publications as RIS and BibTeX.

Every publication linked to an exported case (primary report, later report
or review summary) is listed once, in key order, formatted by
registry.cases.citations (shared with the site's per-publication links).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from registry.cases.citations import bibtex_record, ris_record
from registry.cases.query import order_text
from registry.schema.models.tables import CP, P


def publication_rows(conn: Connection, case_ids: Select) -> Iterator[dict[str, Any]]:
    linked = select(CP.c.publication_id).where(CP.c.case_id.in_(case_ids))
    stmt = select(P).where(P.c.id.in_(linked)).order_by(order_text(P.c.key, conn.dialect.name))
    for row in conn.execute(stmt, execution_options={"stream_results": True, "yield_per": 500}).mappings():
        yield dict(row)


def write_citations(conn: Connection, case_ids: Select, ris_path: Path, bib_path: Path) -> int:
    n = 0
    with ris_path.open("w", encoding="utf-8", newline="") as ris, bib_path.open("w", encoding="utf-8", newline="\n") as bib:
        bib.write("% Publications of the exported cases (dress-registry export). UTF-8.\n")
        for p in publication_rows(conn, case_ids):
            ris.write(ris_record(p) + "\r\n")
            bib.write("\n" + bibtex_record(p))
            n += 1
    return n
