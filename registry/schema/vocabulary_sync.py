"""Bring the vocab_* lookup tables in line with registry.schema.vocabulary.

Called by the migration that creates the tables and by any later revision
that changes a vocabulary; idempotent. `vocabulary_differences` lets
`db check` and the tests prove the database holds exactly what the code says.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from registry.schema.models.vocab import VOCAB_TABLES
from registry.schema.vocabulary import VOCABULARIES

_COLUMNS = ("code", "label", "definition", "e2b_r3_code", "openfda_code", "category", "sort_order")


def _rows(name: str) -> list[dict]:
    return [
        {
            "code": t.code,
            "label": t.label,
            "definition": t.definition,
            "e2b_r3_code": t.e2b_r3,
            "openfda_code": t.openfda,
            "category": t.category,
            "sort_order": i,
        }
        for i, t in enumerate(VOCABULARIES[name].terms, start=1)
    ]


def sync_vocabularies(conn: Connection) -> None:
    """Insert new terms, update changed ones, delete terms no longer defined."""
    for name, table in VOCAB_TABLES.items():
        wanted = {r["code"]: r for r in _rows(name)}
        have = {r.code: dict(r._mapping) for r in conn.execute(select(table))}
        gone = [c for c in have if c not in wanted]
        if gone:
            conn.execute(delete(table).where(table.c.code.in_(gone)))
        new = [r for c, r in wanted.items() if c not in have]
        if new:
            conn.execute(table.insert(), new)
        for code, row in wanted.items():
            if code in have and have[code] != row:
                conn.execute(table.update().where(table.c.code == code).values(**row))


def vocabulary_differences(conn: Connection) -> list[str]:
    diffs: list[str] = []
    for name, table in VOCAB_TABLES.items():
        have = {r.code: dict(r._mapping) for r in conn.execute(select(table))}
        wanted = {r["code"]: r for r in _rows(name)}
        for code in sorted(set(have) | set(wanted)):
            if have.get(code) != wanted.get(code):
                diffs.append(f"{table.name}.{code}")
    return diffs
