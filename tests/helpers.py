"""Small helpers shared by tests."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from registry.cases.documents import Document, parse_document, read_documents, read_yaml
from registry.cli import cli
from registry.core.db import metadata, writing
from registry.ingest.seed import load_documents

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "seed" / "publications"
# The paper's text is shared beside the repository (not part of it: we store
# facts, not the article). $REGISTRY_SOURCES_DIR points elsewhere if needed.
SOURCES_DIR = Path(os.environ.get("REGISTRY_SOURCES_DIR", ROOT.parent / "shared" / "sources"))
PARK_TEXT = SOURCES_DIR / "park2021-case-rep-oncol-14-1548.txt"

#: The two backends: the parameters of the `backend_url` and `engine` fixtures, and of a module's
#: template fixture (conftest.DatabaseTemplates.module_template).
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def load_files(engine: Engine, *paths: Path) -> None:
    """Load seed-format files into the database as `seed` does (read together, so they may cite each other),
    without removing what they do not name."""
    docs = read_documents(paths) if len(paths) > 1 else [Document(str(paths[0]), parse_document(str(paths[0]), read_yaml(paths[0])))]
    with writing(engine) as conn:
        load_documents(conn, docs, prune=False)


def url_of(engine: Engine) -> str:
    """The engine's URL as a command line takes it (with its password)."""
    return engine.url.render_as_string(hide_password=False)


def query_rows(engine: Engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def run_cli(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database", url, *args], catch_exceptions=False)


#: `edited_yaml`'s `new` meaning "take the key out".
REMOVE = object()


def edited_yaml(text: str, where: tuple, old: object, new: object) -> str:
    """A seed document's YAML with one value changed structurally (loaded, changed, dumped again), so a
    test's edit does not depend on the file's layout. The value at `where` (keys and list indexes from
    the top) must be `old`; `new` replaces it, or REMOVE takes the key out."""
    import yaml

    doc = yaml.safe_load(text)
    parent = doc
    for step in where[:-1]:
        parent = parent[step]
    assert parent[where[-1]] == old, (where, parent[where[-1]], old)
    if new is REMOVE:
        del parent[where[-1]]
    else:
        parent[where[-1]] = new
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def dump(engine: Engine, *, with_change_times: bool = False) -> dict[str, list[tuple]]:
    """Every row of every registry table, in primary-key order.

    cases.facts_changed_at (the time a load changed a case) is left out unless asked for: two loads of
    the same data at different times are otherwise the same database.
    """
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            columns = [c for c in table.columns if with_change_times or c is not table.c.get("facts_changed_at")]
            out[table.name] = [tuple(r) for r in conn.execute(select(*columns).order_by(*pk))]
    return out


@dataclass(frozen=True)
class SeedCounts:
    """What the seed files hold, counted from the files themselves (not through the registry's readers)."""

    publications: int
    cases: int
    search_files: int
    records: int
    decisions: int
    #: Records whose identifier is a seeded publication's key (the seed's convention): the candidates linked.
    linked: int


def seed_counts(seed_dir: Path = SEED_DIR) -> SeedCounts:
    import yaml

    pubs = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(seed_dir.glob("*.yaml"))}
    searches = seed_dir.parent / "searches"
    manifest = yaml.safe_load((searches / "searches.yaml").read_text(encoding="utf-8"))["searches"]
    ids = [i for s in manifest for i in record_ids(searches / s["file"])]
    decisions = yaml.safe_load((seed_dir.parent / "screening.yaml").read_text(encoding="utf-8"))["decisions"]
    return SeedCounts(len(pubs), sum(len(d.get("cases") or []) for d in pubs.values()), len(manifest), len(ids),
                      len(decisions), len(set(ids) & set(pubs)))


def record_ids(path: Path) -> list[str]:
    """The record identifiers of a search export, by hand: RIS ID lines, BibTeX keys, MEDLINE PMID lines."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".ris":
        return re.findall(r"^ID  - (.+?)\s*$", text, re.M)
    if path.suffix == ".bib":
        return re.findall(r"^@\w+\{([^,\s]+),", text, re.M)
    return re.findall(r"^PMID- (\d+)", text, re.M)


def extraction_of(fixture: Path, change=None):
    """The seed file `fixture` read as curator-a's extraction, after `change(raw)` edits its parsed YAML."""
    raw = yaml.safe_load(fixture.read_text(encoding="utf-8"))
    raw["extraction"] = {"extractor": "curator-a"}
    if change:
        change(raw)
    return parse_document(str(fixture), raw)
