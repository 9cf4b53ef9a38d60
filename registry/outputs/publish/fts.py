"""Full-text search of the published file: which columns of which tables are indexed.

The index is rebuilt on every publish (replace=True, no triggers: the file
is immutable once built). Porter stemming lets 'desensitised' find
'desensitisation'.
"""

from __future__ import annotations

from sqlite_utils import Database

FTS_COLUMNS: dict[str, tuple[str, ...]] = {
    "case_summary": (
        "case_key", "citation", "title", "summary", "notes", "suspect_drugs", "indication", "treatments", "challenges",
    ),
    "publications": ("title", "title_english", "authors", "journal", "notes"),
}


def fts_table(table: str) -> str:
    return f"{table}_fts"


def build_fts(db: Database) -> None:
    for table, columns in FTS_COLUMNS.items():
        db[table].enable_fts(list(columns), fts_version="FTS5", tokenize="porter", create_triggers=False, replace=True)
        db[table].optimize()


def fts_description(table: str) -> str:
    return (
        f"Full-text index (SQLite FTS5, porter stemming) over {', '.join(FTS_COLUMNS[table])} of {table}; "
        f"used by the search box on {table} and the search query. Rebuilt on every publish."
    )
