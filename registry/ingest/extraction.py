"""Load seed documents' `extraction:` blocks into the extraction tables (registry/schema/models/extraction.py).

Called by the seed loader (registry.ingest.seed) in its transaction, after
the publications: one extraction_reports row per document that has the
block, with its agreement rows and decisions, synced as the loader syncs
everything else (set-based, idempotent). A document without the block
leaves its publication with no report when seeding (prune), and an imported
one leaves an existing report alone. A report's agreement and decisions are
always exactly those of the file that brings it. Every change goes to the loader's audit log (a report
of a new publication is part of the publication's entry; a report removed takes its agreement and
decisions with it, each logged).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from registry.cases.documents import Document
from registry.core.sync import In, SyncRecorder, SyncStats, sync_table
from registry.schema.fields import fact_names
from registry.schema.models.tables import XA, XD, XR

_REPORT_FIELDS = fact_names(XR)
_AGREEMENT_FIELDS = fact_names(XA)
_DECISION_FIELDS = fact_names(XD)


def load_extraction_reports(conn: Connection, docs: list[Document], pub_ids: dict[str, int], stats: SyncStats,
                            *, prune: bool, audit: SyncRecorder | None = None) -> None:
    reports: list[dict[str, Any]] = []
    children: list[tuple[dict[str, Any], Any]] = []
    for d in docs:
        ex = d.doc.extraction
        if ex is None:
            continue
        row = {"publication_id": pub_ids[d.doc.publication.key], **{f: getattr(ex, f) for f in _REPORT_FIELDS}}
        reports.append(row)
        children.append((row, ex))
    scope = In.column(XR.c.publication_id, [pub_ids[d.doc.publication.key] for d in docs])
    synced = sync_table(conn, XR, ("publication_id",), reports, scope, stats, prune=prune, audit=audit)
    agreement, decisions = [], []
    for row, ex in children:
        agreement += [{"report_id": row["id"], **{f: getattr(a, f) for f in _AGREEMENT_FIELDS}} for a in ex.agreement]
        decisions += [{"report_id": row["id"], "seq": seq, **{f: getattr(x, f) for f in _DECISION_FIELDS}}
                      for seq, x in enumerate(ex.decisions, start=1)]
    existed = In.column(XA.c.report_id, synced.existed)
    sync_table(conn, XA, ("report_id", "kind"), agreement, existed, stats, prune=True, audit=audit)
    sync_table(conn, XD, ("report_id", "seq"), decisions, In.column(XD.c.report_id, synced.existed), stats, prune=True,
               audit=audit)
