"""The registry's scores in the file being published: computed only for the cases whose facts changed.

Publish recomputes the registry's RegiSCAR and Naranjo scores into the file
it builds (the working database is only read), so the site never shows a
score older than the facts behind it. Computing them is most of a publish's
work, and between two publishes few cases change: every write path sets
`cases.facts_changed_at` when it changes a case's record (registry.ingest),
and the previous build keeps that time beside the scores it computed.

So a case whose id, key and change time are the same as in the previous
build, built by the same scoring code from the same schema (`build_info`),
takes its registry assessments, their items and its score flags from that
build; every other case is scored afresh, a chunk of cases at a time so that
memory does not grow with the registry. A case whose change time is NULL is
always scored. When there is no usable previous build, every case is scored.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from registry.cases.baked import BakedTable, Col
from registry.cases.scoring.flags import refresh_registry_scores
from registry.cases.scoring.store import computed_instruments
from registry.schema import migrate
from registry.schema.vocabulary import Assessor

#: Cases scored (and their rows synced) per round.
SCORE_CHUNK = 5000

BUILD_INFO = BakedTable(
    name="build_info",
    description=(
        "What this file was built with, so the next publish knows whether it may take the registry's scores "
        "of unchanged cases from it: the schema revision, a digest of the scoring code and instruments, one of "
        "the code that bakes the tables (case_summary and case_timeline rows of unchanged cases are taken over too), "
        "and one of the working database's rows and the publish options (when none of these changed, the next "
        "publish keeps this file)."
    ),
    pk="key",
    columns=(
        Col("key", str, "What is recorded (schema_revision, scoring_digest, bake_digest, source_digest)."),
        Col("value", str, "Its value."),
    ),
)


def scoring_digest() -> str:
    """SHA-256 of everything a registry score depends on besides the facts: the scoring package's code and
    instrument definitions, and the vocabularies."""
    digest = hashlib.sha256()
    scoring = resources.files("registry.cases.scoring")
    files = sorted((e for e in scoring.iterdir() if e.name.endswith(".py")), key=lambda e: e.name)
    files += sorted((e for e in (scoring / "instruments").iterdir() if e.name.endswith(".yaml")), key=lambda e: e.name)
    files.append(resources.files("registry.schema") / "vocabulary.py")
    for entry in files:
        digest.update(entry.name.encode())
        digest.update(entry.read_bytes())
    return digest.hexdigest()


def bake_digest() -> str:
    """SHA-256 of the registry's code besides the command line: what shapes a baked row (readers, lookups,
    wording, the bakers) and the file's metadata (its canned queries). A previous build made by other code is
    not reused for any row."""
    digest = hashlib.sha256()
    root = resources.files("registry")
    pending = [e for e in root.iterdir() if e.is_dir() and e.name not in ("cli", "__pycache__")]
    files = [e for e in root.iterdir() if e.name.endswith(".py")]
    while pending:
        folder = pending.pop()
        for entry in folder.iterdir():
            if entry.is_dir() and entry.name != "__pycache__":
                pending.append(entry)
            elif entry.name.endswith((".py", ".yaml", ".sql")):
                files.append(entry)
    for entry in sorted(files, key=lambda e: str(e)):
        digest.update(str(entry).removeprefix(str(root)).encode())
        digest.update(entry.read_bytes())
    return digest.hexdigest()


#: The build_info keys the scores of a previous build are taken over on (its baked rows need all of them).
SCORING_KEYS = ("schema_revision", "scoring_digest")


def build_info_rows() -> list[dict[str, str]]:
    return [
        {"key": "schema_revision", "value": migrate.head_revision()},
        {"key": "scoring_digest", "value": scoring_digest()},
        {"key": "bake_digest", "value": bake_digest()},
    ]


#: Tables of the file being built that only the build reads (the bake drops them): the cases left to score,
#: and the flags on each flagged case's authors' scores (case_key, its sentences joined as case_summary shows
#: them). Kept in the file rather than in memory, which then does not grow with the registry.
SCORING_PENDING = "build_scoring_pending"
SCORE_FLAGS = "build_score_flags"


@dataclass
class Scored:
    """What the scoring step did: how many cases it scored, and how many cases' scores it took over."""

    scored: int = 0
    reused: int = 0
    #: Set by the bake: cases whose baked rows were taken from the previous build.
    reused_rows: int = 0
    #: Set by the build: the evidence was worded in a second process meanwhile (registry.outputs.publish.beside).
    evidence_beside: bool = False
    #: Set by the build: why that process failed, if it did (the bake then worded the evidence itself).
    evidence_beside_failure: str | None = None


def score_file(path: Path, previous: Path | None = None) -> Scored:
    """Registry scores of every case of the file being built, in its assessments table, and the flags on the
    authors' scores in SCORE_FLAGS; see the module docstring.

    `previous`: the last published file, whose scores of unchanged cases are taken over when it was built
    with the same schema and scoring code.
    """
    result = Scored()
    conn = sqlite3.connect(path.resolve().as_uri(), uri=True, isolation_level=None)
    try:
        conn.execute(f"CREATE TABLE {SCORE_FLAGS} (case_key TEXT PRIMARY KEY, flags TEXT NOT NULL)")
        if previous is not None and _compatible(conn, previous):
            _take_over(conn, previous, result)
        conn.execute(f"CREATE TABLE {SCORING_PENDING} (id INTEGER PRIMARY KEY)")
        conn.execute(f"INSERT INTO {SCORING_PENDING} (id) SELECT id FROM cases"
                     + (" WHERE id NOT IN (SELECT id FROM temp.reused)" if result.reused else ""))
    finally:
        conn.close()
    scoring = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with scoring.begin() as sa_conn:
            for chunk in _chunks(sa_conn):
                flags = refresh_registry_scores(sa_conn, chunk)
                if flags:
                    sa_conn.exec_driver_sql(f"INSERT INTO {SCORE_FLAGS} (case_key, flags) VALUES (?, ?)",
                                            [(key, " | ".join(messages)) for key, messages in flags.items()])
                result.scored += len(chunk)
            sa_conn.exec_driver_sql(f"DROP TABLE {SCORING_PENDING}")
    finally:
        scoring.dispose()
    return result


def _chunks(conn: Connection) -> Iterator[list[int]]:
    """The ids of SCORING_PENDING, SCORE_CHUNK at a time in id order (one chunk in memory at a time)."""
    last = 0
    while ids := [i for (i,) in conn.exec_driver_sql(
            f"SELECT id FROM {SCORING_PENDING} WHERE id > ? ORDER BY id LIMIT ?", (last, SCORE_CHUNK))]:
        yield ids
        last = ids[-1]


def previous_build_info(previous: Path) -> dict[str, str] | None:
    """The build_info of the published file `previous`, or None when it is not there, not a database, or was
    built before build_info existed."""
    try:
        prev = sqlite3.connect(f"{previous.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return dict(prev.execute(f"SELECT key, value FROM {BUILD_INFO.name}"))
        finally:
            prev.close()
    except sqlite3.DatabaseError:
        return None


def _compatible(conn: sqlite3.Connection, previous: Path) -> bool:
    """Whether `previous` is a published file built with this schema and scoring code."""
    info = previous_build_info(previous)
    current = {r["key"]: r["value"] for r in build_info_rows()}
    return info is not None and all(info.get(key) == current[key] for key in SCORING_KEYS)


def _take_over(conn: sqlite3.Connection, previous: Path, result: Scored) -> None:
    """Copy the registry's rows and flags of the cases unchanged since `previous` into the file (one transaction)."""
    codes = ", ".join(f"'{i.code}'" for i in computed_instruments())
    registry_rows = f"assessor = '{Assessor.REGISTRY}' AND instrument IN ({codes})"
    conn.execute("ATTACH DATABASE ? AS prev", (f"{previous.resolve().as_uri()}?mode=ro",))
    try:
        conn.execute("BEGIN")
        conn.execute(
            "CREATE TEMP TABLE reused AS SELECT c.id FROM main.cases c JOIN prev.cases p "
            "ON p.id = c.id AND p.case_key = c.case_key AND p.facts_changed_at = c.facts_changed_at"
        )
        conn.execute("CREATE UNIQUE INDEX temp.reused_id ON reused (id)")
        result.reused = conn.execute("SELECT count(*) FROM temp.reused").fetchone()[0]
        # The working database's registry rows of these cases (if `score --store` wrote any) make way for the
        # previous build's, which were computed from the same facts.
        stale = f"SELECT id FROM main.assessments WHERE {registry_rows} AND case_id IN (SELECT id FROM temp.reused)"
        conn.execute(f"DELETE FROM main.assessment_items WHERE assessment_id IN ({stale})")
        conn.execute(f"DELETE FROM main.assessments WHERE id IN ({stale})")
        # The previous build's ids are kept unless another row of this file already has one of them.
        conn.execute(
            "CREATE TEMP TABLE reused_assessments AS SELECT id AS old_id, id AS new_id FROM prev.assessments "
            f"WHERE {registry_rows} AND case_id IN (SELECT id FROM temp.reused) ORDER BY id"
        )
        if conn.execute("SELECT 1 FROM main.assessments WHERE id IN (SELECT old_id FROM temp.reused_assessments)").fetchone():
            top = conn.execute("SELECT coalesce(max(id), 0) FROM main.assessments").fetchone()[0]
            conn.execute(f"UPDATE temp.reused_assessments SET new_id = {top} + (SELECT count(*) FROM temp.reused_assessments r "
                         "WHERE r.old_id <= reused_assessments.old_id)")
        conn.execute("CREATE UNIQUE INDEX temp.reused_assessments_old ON reused_assessments (old_id)")
        a_cols = [r[1] for r in conn.execute("PRAGMA main.table_info(assessments)") if r[1] != "id"]
        conn.execute(
            f"INSERT INTO main.assessments (id, {', '.join(a_cols)}) SELECT m.new_id, {', '.join('a.' + c for c in a_cols)} "
            "FROM prev.assessments a JOIN temp.reused_assessments m ON m.old_id = a.id ORDER BY m.new_id"
        )
        i_cols = [r[1] for r in conn.execute("PRAGMA main.table_info(assessment_items)") if r[1] not in ("id", "assessment_id")]
        # Driven by the file's own items (the authors' scores, few beside the registry's): a lookup of each in
        # the previous build, rather than a list of every reused item's id (2 million at 100,000 cases).
        keep_ids = not conn.execute(
            "SELECT 1 FROM main.assessment_items a CROSS JOIN prev.assessment_items i ON i.id = a.id "
            "WHERE i.assessment_id IN (SELECT old_id FROM temp.reused_assessments) LIMIT 1").fetchone()
        conn.execute(
            f"INSERT INTO main.assessment_items ({'id, ' if keep_ids else ''}assessment_id, {', '.join(i_cols)}) "
            f"SELECT {'i.id, ' if keep_ids else ''}m.new_id, {', '.join('i.' + c for c in i_cols)} "
            "FROM prev.assessment_items i JOIN temp.reused_assessments m ON m.old_id = i.assessment_id ORDER BY i.id"
        )
        conn.execute(f"INSERT INTO main.{SCORE_FLAGS} (case_key, flags) SELECT case_key, score_flags FROM prev.case_summary "
                     "WHERE score_flags IS NOT NULL AND case_id IN (SELECT id FROM temp.reused)")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("DETACH DATABASE prev")
