"""datasette metadata for the published file, generated so it cannot drift from the schema.

Descriptions come from the models' `comment=` (tables and columns), the
vocabulary module (through the vocab tables' comments), the baked tables'
declarations (publish.schema.BakedTable) and the FTS configuration; the list
of sources comes from the publications table of the built file. Datasette
0.65 keeps everything here, canned queries included (settings are passed on
the command line, see publish.serve).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from sqlite_utils import Database

import registry.schema.models  # noqa: F401  (registers every table on the MetaData)
from registry.cases.summary import CASE_SUMMARY
from registry.core.db import metadata as model_metadata
from registry.outputs.publish.canned import canned_queries
from registry.outputs.publish.facets import CASE_SUMMARY_FACET_ROWS, CASE_SUMMARY_FACETS
from registry.outputs.publish.fts import FTS_COLUMNS, fts_description, fts_table
from registry.outputs.publish.layout import BAKED_TABLES, DERIVED_COLUMNS, LABEL_COLUMNS
from registry.outputs.publish.site import DATABASE, PACKAGE_INDEX, STATIC_MOUNT
from registry.schema.models.vocab import VOCAB_TABLES
from registry.schema.vocabulary import VOCABULARIES

TITLE = "DRESS case registry"
LICENCE = "CC BY 4.0 (the registry's curated data)"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
FTS_SHADOW_SUFFIXES = ("_data", "_idx", "_docsize", "_config", "_content")
#: The home page lists the sources up to this many; beyond it, it links to the publications table.
SOURCES_LISTED = 100

#: Rows per case_summary page: the table is wide, and rendering its cells, not
#: the SQL, is most of a page's time (?_size= still asks for more).
CASE_SUMMARY_PAGE_SIZE = 20

#: The reading view of the cases: facets a reviewer filters by, and the full-text index of case_summary
#: (case_list rows carry their case_summary row's rowid; the build checks it).
CASE_LIST_FACETS: list[Any] = ["sex", "re_exposure_result", "outcome", "source_read", "regiscar_comparison", "year"]

TABLE_OPTIONS: dict[str, dict[str, Any]] = {
    "case_list": {
        "facets": CASE_LIST_FACETS,
        "size": CASE_SUMMARY_PAGE_SIZE,
        "sort": "case_key",
        "sortable_columns": ["case_key", "citation", "year", "age_years", "latency_days", "peak_eosinophils_per_ul",
                             "outcome", "re_exposure_result"],
        "fts_table": "case_summary_fts",
        "fts_pk": "rowid",
        "description_html": (
            "<p>One line per case; the case key opens the case page, where every fact names its source. "
            "<em>not reported</em>: the source was read and does not say; <em>source not read</em>: the part of the "
            "source that would say was not available to the curators.</p>"
            f'<p><a href="{PACKAGE_INDEX}">Download everything for R or Excel</a> (codebook, missing-data codes) &middot; '
            f'<a href="/{DATABASE}/case_summary">all {len(CASE_SUMMARY.columns)} columns</a> (case_summary) &middot; '
            '<a href="/methods">methods and definitions</a>.</p>'
        ),
    },
    "evidence_facts": {"sort": "evidence_id"},
    "case_summary": {
        "facets": CASE_SUMMARY_FACETS,
        "size": CASE_SUMMARY_PAGE_SIZE,
        "sort_desc": "year",
        "sortable_columns": [
            "case_key", "year", "age_years", "onset_day", "latency_days", "peak_eosinophils_per_ul",
            "authors_regiscar", "registry_regiscar", "completeness",
        ],
        "fts_table": "case_summary_fts",
    },
    # No facet on case_key: counting every case's rows (a million at 100,000 cases) on every page.
    "case_timeline": {"facets": ["kind"], "sort": "id"},
    "lab_series": {"facets": ["analyte"], "sort": "id"},
    "discrepancies": {"facets": ["subject_table", "field"], "sort": "id"},
    "publications": {"sort_desc": "year", "fts_table": "publications_fts"},
    "cases": {"sort": "case_key"},
    # Read by the facets of searched and drug-filtered pages, not by readers (its columns are case_summary's).
    CASE_SUMMARY_FACET_ROWS.name: {"hidden": True},
    "drugs": {"sort": "name"},
    # No default facets: at 100,000 cases the table holds 4 million rows, and three facets took 1.2 s a page
    # (?_facet=status still works).
}


def is_fts_shadow(name: str, names: set[str]) -> bool:
    """FTS5 keeps its index in shadow tables (x_fts_data, ...); datasette hides them itself."""
    return any(name.endswith(s) and name[: -len(s)] in names for s in FTS_SHADOW_SUFFIXES)


def published_tables(db: Database) -> list[str]:
    """Tables a reader can see: not SQLite's own (sqlite_stat1 from ANALYZE) nor FTS shadow tables."""
    names = set(db.table_names())
    return sorted(n for n in names if not n.startswith("sqlite_") and not is_fts_shadow(n, names))


def _model_descriptions() -> dict[str, tuple[str, dict[str, str]]]:
    """Descriptions keyed by plain str names: SQLAlchemy's names are quoted_name (a str
    subclass), and datasette 0.65 deep-copies the whole metadata on every table permission
    check, where those keys alone made each copy three times slower."""
    out = {}
    for table in model_metadata.sorted_tables:
        cols = {str(c.name): c.comment or "" for c in table.columns}
        cols.update({c.name: c.description for c in DERIVED_COLUMNS.get(table.name, ())})
        out[str(table.name)] = (table.comment or "", cols)
    for spec in BAKED_TABLES:
        out[spec.name] = (spec.description, spec.descriptions)
    return out


def _table_entry(name: str, descriptions: dict[str, tuple[str, dict[str, str]]], licence_note: str) -> dict[str, Any]:
    if name in FTS_TABLE_SOURCES:
        source = FTS_TABLE_SOURCES[name]
        cols = descriptions[source][1]
        return {
            "description": fts_description(source),
            "hidden": True,
            "columns": {c: f"Indexed copy of {source}.{c}: {cols[c]}" for c in FTS_COLUMNS[source]},
        }
    description, columns = descriptions[name]
    entry: dict[str, Any] = {"description": description, "columns": dict(columns), "license": LICENCE,
                             "license_url": LICENCE_URL}
    if name in VOCAB_TABLE_NAMES:
        # Hidden from the table list (reading tables first); still queryable and linked from coded columns.
        entry.update({"label_column": "label", "sort": "sort_order", "hidden": True})
    if name in LABEL_COLUMNS:
        entry["label_column"] = LABEL_COLUMNS[name]
    for spec in BAKED_TABLES:
        if spec.name == name and spec.label_column:
            entry["label_column"] = spec.label_column
    entry.update(TABLE_OPTIONS.get(name, {}))
    if name == "publications":
        entry["description"] += " " + licence_note
    return entry


FTS_TABLE_SOURCES = {fts_table(t): t for t in FTS_COLUMNS}
VOCAB_TABLE_NAMES = {t.name for t in VOCAB_TABLES.values()}


def _sources(db: Database) -> tuple[int, list[dict[str, Any]]]:
    """How many publications the file holds, and each of them when the home page lists them (at most
    SOURCES_LISTED; beyond that it links to the table, and they are not read: 736,000 publications held
    in memory took 0.5 GB)."""
    (count,) = db.execute("select count(*) from publications").fetchone()
    if count > SOURCES_LISTED:
        return count, []
    return count, list(db.query("select key, citation, title, doi, doi_url, pmid, pubmed_url, source_access "
                                "from publications order by year, citation"))


def _source_html(pub: dict[str, Any]) -> str:
    e = html.escape
    text = f"{e(pub['citation'])}: <em>{e(pub['title'])}</em>"
    if pub.get("doi"):
        text += f' <a href="{e(pub["doi_url"])}">doi:{e(pub["doi"])}</a>'
    if pub.get("pmid"):
        text += f' <a href="{e(pub["pubmed_url"])}">PMID {e(str(pub["pmid"]))}</a>'
    access = VOCABULARIES["source_access"].label(pub.get("source_access") or "")
    if access:
        text += f" ({e(access.lower())})"
    key = e(pub["key"])
    text += (f' &middot; cite: <a href="/cite/{key}.ris" aria-label="RIS citation of {e(pub["citation"])}">RIS</a>'
             f' <a href="/cite/{key}.bib" aria-label="BibTeX citation of {e(pub["citation"])}">BibTeX</a>')
    return f"<li>{text}</li>"


def _description_html(n_sources: int, sources: list[dict[str, Any]], synthetic_cases: int, n_cases: int) -> str:
    warning = ""
    if synthetic_cases:
        warning = (
            f'<p><strong>Benchmark build: {synthetic_cases} of the {n_cases} cases are synthetic '
            "(made by <code>dress-registry synth</code>), not real patients.</strong></p>"
        )
    return (
        f"{warning}<p>Each case is curated from the literature into structured facts &mdash; drugs and "
        "doses on a relative-day axis, re-exposures and desensitisation, labs, treatments, outcome &mdash; and "
        "every fact, or the reason it is missing, is traced to its source.</p>"
        "<p>Licence: the registry's curated data are CC BY 4.0. The source articles keep their own licences and "
        "copyright; the registry stores paraphrases and short values, not their text.</p>"
        + _sources_html(n_sources, sources)
    )


def _sources_html(n_sources: int, sources: list[dict[str, Any]]) -> str:
    """The sources on the home page, or (for a large registry) a link to them: the list
    would grow with every publication, into megabytes of HTML on the first page."""
    if n_sources > SOURCES_LISTED:
        return (f'<p>Sources: {n_sources} publications, listed with their DOI and PubMed links in '
                f'<a href="/{DATABASE}/publications">the publications table</a>.</p>')
    return (f'<h2 id="sources">Sources ({len(sources)} publications)</h2><ul>' + "".join(_source_html(p) for p in sources)
            + "</ul>")


def build_metadata(db_path: Path) -> dict[str, Any]:
    """Metadata for datasette 0.65 (one document, canned queries included)."""
    db = Database(db_path)
    try:
        n_sources, sources = _sources(db)
        n_cases = db["cases"].count
        synthetic = db.execute("select count(*) from cases where is_synthetic").fetchone()[0]
        descriptions = _model_descriptions()
        licence_note = "Each article keeps its own licence (see the licence column); only the registry's curation is CC BY 4.0."
        tables = {name: _table_entry(name, descriptions, licence_note) for name in published_tables(db)}
    finally:
        db.close()
    source = f"{n_sources} published case reports and reviews (see the publications table)"
    return {
        "title": TITLE + (" (benchmark build with synthetic data)" if synthetic else ""),
        "description_html": _description_html(n_sources, sources, synthetic, n_cases),
        "license": LICENCE,
        "license_url": LICENCE_URL,
        "source": source,
        "source_url": f"/{DATABASE}/publications",
        "about": "methods and definitions",
        "about_url": "/methods",
        "extra_css_urls": [f"/{STATIC_MOUNT}/registry.css"],
        "extra_js_urls": [{"url": f"/{STATIC_MOUNT}/registry.js", "module": True}],
        "databases": {
            DATABASE: {
                "description": "The published registry: normalised tables, vocabularies, and baked tables for reading.",
                "license": LICENCE,
                "license_url": LICENCE_URL,
                "source": source,
                "source_url": f"/{DATABASE}/publications",
                "tables": tables,
                "queries": {q.name: q.as_metadata() for q in canned_queries()},
            }
        },
    }
