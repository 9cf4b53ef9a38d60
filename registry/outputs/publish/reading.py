"""Baked tables for reading the site: the cases in a dozen columns, the evidence in words,
counts, summary statistics and the release.

Each is one INSERT ... SELECT inside the published file, from tables the build has already
baked (case_summary) or copied (publications, evidence), so they grow with the registry
without a Python loop; evidence_facts words each evidence row with registry.cases.evidence_wording
(the one home of that wording), whose functions SQLite calls row by row.

Missing values in case_list are never blank: a NULL becomes *not reported* (the source was
read and does not say, or evidence records "not reported") or *source not read* (evidence
records that the part of the source holding it was not available, or the case's primary
report was not read in full: part of the text, abstract or citation only). Which evidence explains which column is
registry.cases.missing.SUMMARY_MISSING_SOURCES, as in the export.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone
from enum import StrEnum

import registry.schema.models  # noqa: F401  (registers every table on the MetaData)
from registry import __version__
from registry.cases.baked import BakedTable, Col
from registry.cases.evidence_wording import (
    EVIDENCE_SUBJECT_SQL,
    FACT_KEYS,
    STATED_KEYS,
    SUBJECT_FACT_KEYS,
    fact_words,
    subject_fact_words,
    stated_words_of,
    stated_words_sql,
    stored_words,
)
from registry.cases.missing import SUBJECT_TABLES, SUMMARY_MISSING_SOURCES
from registry.cases.scoring import load_instrument
from registry.cases.snapshot import Row
from registry.core.db import metadata
from registry.core.sqltext import sql_literal
from registry.schema.fields import record_fields
from registry.schema.vocabulary import SUSPECT_ROLES, VOCABULARIES, EvidenceStatus, InstrumentCode, SourceAccess

NOT_REPORTED = "not reported"
SOURCE_NOT_READ = "source not read"
NONE_REPORTED = "none reported"
TITLE = "DRESS case registry"

CASE_LIST = BakedTable(
    name="case_list",
    description=(
        "The cases for reading: one row per case, a dozen columns, labels instead of codes, and every missing "
        f"value in words: '{NOT_REPORTED}' (the source was read and does not say) or '{SOURCE_NOT_READ}' (the part "
        "of the source that would say was not available, or the case's report was not read in full). "
        "Baked from case_summary, which keeps every column (for SQL and download)."
    ),
    pk="case_key",
    label_column="case_key",
    columns=(
        Col("case_key", str, "The case; opens its page."),
        Col("citation", str, "Primary report: first author year, journal."),
        Col("year", int, "Publication year of the primary report."),
        Col("age_years", int, "Age at onset in years (whole years shown without decimals), or why it is missing."),
        Col("sex", str, "Sex of the patient, or why it is missing."),
        Col("country", str, "Country of treatment (ISO 3166-1 alpha-2 code), or why it is missing."),
        Col("suspect_drugs", str, "Suspect, co-suspect and interacting drugs."),
        Col("indication", str, "What the suspect drug was given for, or why it is missing."),
        Col("latency_days", int, "Days from the first dose of the suspect to onset (first-dose day = day 1), or why it is missing. Approximate onsets are marked on the case page and counted on the statistics page."),
        Col("peak_eosinophils_per_ul", int, "Highest absolute eosinophil count, cells/µL, or why it is missing."),
        Col("re_exposure", str, "Kinds of re-exposure to the suspect after the reaction (rechallenge, re-introduction, desensitisation, continued through the reaction), or none reported."),
        Col("re_exposure_result", str, "Worst result over the re-exposures (recurrence, then inconclusive, then tolerated)."),
        Col("outcome", str, "Outcome of the reaction at last follow-up, or why it is missing."),
        Col("regiscar_authors", str, "RegiSCAR DRESS total and category as the authors published them."),
        Col("regiscar_registry", str, "RegiSCAR DRESS total the registry computes from the stored facts, with the range its unknown items still allow and the category (or span of categories)."),
        Col("regiscar_comparison", str, "'consistent with the authors' when the authors' total lies in the registry's range, 'disagrees with the authors' when it lies outside, 'cannot compare' when either score is missing."),
        Col("source_read", str, "How much of the primary report the curators read: full text, abstract only, citation only."),
    ),
    indexes=("sex", "outcome", "re_exposure_result", "source_read", "year", "regiscar_comparison", "latency_days",
             "age_years"),
)

class Followed(StrEnum):
    """evidence_facts.followed: whether the stored value follows this evidence row's source."""

    FOLLOWED = "followed"
    NOT_FOLLOWED = "not followed"


EVIDENCE_FACTS = BakedTable(
    name="evidence_facts",
    description=(
        "Each evidence row in words: which fact it covers, what the source says (or why it says nothing), the value "
        "the registry stores, and whether the registry follows this source. The publication and the place in it "
        "are the evidence row's (evidence_id). Worded by registry/cases/evidence_wording.py, shared with every "
        "other reader."
    ),
    pk="evidence_id",
    columns=(
        Col("evidence_id", int, "The evidence row.", "evidence.id"),
        Col("case_id", int, "The case the fact belongs to.", "cases.id"),
        Col("fact", str, "The fact the evidence covers, in words (e.g. 'Fever ≥38.5 °C', 'Hepatitis B serology', 'Eosinophils (absolute) 1,690/µL, day ~89')."),
        Col("source_states", str, "What the source says: the value as stated, or 'not reported' / 'source not read'."),
        Col("stored_value", str, "The value the registry stores for the fact, in words (NULL when the fact is a whole row or nothing is stored)."),
        Col("followed", str, f"'{Followed.FOLLOWED}' when the stored value follows this source, '{Followed.NOT_FOLLOWED}' "
                             "when another source is followed."),
    ),
)

REGISTRY_COUNTS = BakedTable(
    name="registry_counts",
    description="What the registry holds, counted once at publish so the landing page never counts the case tables.",
    pk="name",
    columns=(
        Col("name", str, "What is counted."),
        Col("n", int, "How many."),
        Col("description", str, "What the count means."),
    ),
)

REGISTRY_BUILD = BakedTable(
    name="registry_build",
    description="This build of the registry: version, build date and how to cite it.",
    pk="version",
    columns=(
        Col("version", str, "Version of the registry software that built the file."),
        Col("built_on", str, "Date of the build (UTC, ISO 8601; SOURCE_DATE_EPOCH when set)."),
        Col("how_to_cite", str, "Suggested citation of this build."),
    ),
)

CASE_STATISTICS = BakedTable(
    name="case_statistics",
    description=(
        "Summary statistics of latency and age over the cases: n, median, quartiles and range, with the number "
        "of cases left out (value unknown) and of approximate values. Quartiles are type 7 (linear interpolation "
        "between order statistics, as R's default and numpy's), computed at publish."
    ),
    pk="measure",
    columns=(
        Col("measure", str, "The case_summary column summarised."),
        Col("label", str, "The measure in words."),
        Col("n", int, "Cases with a known value."),
        Col("excluded", int, "Cases left out because the value is unknown."),
        Col("approximate", int, "Of the n, values derived from an approximate statement (e.g. 'two weeks later')."),
        Col("minimum", float, "Smallest value."),
        Col("q1", float, "First quartile."),
        Col("median", float, "Median."),
        Col("q3", float, "Third quartile."),
        Col("maximum", float, "Largest value."),
    ),
)

CASE_DISTRIBUTION = BakedTable(
    name="case_distribution",
    description="Cases per bin of latency (weeks) and age (decades), for the charts; each bin links to its cases in case_list.",
    pk=("measure", "bin_start"),
    columns=(
        Col("measure", str, "The case_summary column binned."),
        Col("bin_start", int, "Lowest value in the bin."),
        Col("bin_end", int, "Highest value in the bin (latency: whole days) or the value the bin stops below (age)."),
        Col("n", int, "Cases in the bin."),
        Col("approximate", int, "Of them, approximate values."),
    ),
)

#: The tables of this module, in build order (all after case_summary).
READING_TABLES = (CASE_LIST, EVIDENCE_FACTS, REGISTRY_COUNTS, REGISTRY_BUILD, CASE_STATISTICS, CASE_DISTRIBUTION)


def _label_case(vocab: str, expr: str) -> str:
    whens = " ".join(f"WHEN {sql_literal(t.code)} THEN {sql_literal(t.label)}" for t in VOCABULARIES[vocab].terms if t.label)
    return f"CASE {expr} {whens} ELSE {expr} END"


def _suspect_id() -> str:
    """The case's first suspect exposure (as case_summary's main suspect: first role of SUSPECT_ROLES, lowest seq)."""
    first = [f"(SELECT x.id FROM drug_exposures x WHERE x.case_id = cs.case_id AND x.role = {sql_literal(r)} "
             f"ORDER BY x.seq LIMIT 1)" for r in SUSPECT_ROLES]
    return f"coalesce({', '.join(first)})"


_FALLBACK = (f"CASE WHEN p.source_access = {sql_literal(SourceAccess.FULL_TEXT)} THEN {sql_literal(NOT_REPORTED)} "
             f"ELSE {sql_literal(SOURCE_NOT_READ)} END")


def _status(who: str, field: str) -> str:
    """The smallest 'why missing' status evidence records for the fact (as the export's NR / NA-SRC).

    `+e.status` keeps the planner off the status index: the build has no statistics yet, and without
    them SQLite would scan every evidence row of a status instead of searching the subject index."""
    subject = "cs._suspect_id" if who == "suspect" else "cs.case_id"
    return (f"(SELECT min(e.status) FROM evidence e WHERE e.case_id = cs.case_id "
            f"AND e.subject_table = {sql_literal(SUBJECT_TABLES[who])} AND e.subject_id = {subject} "
            f"AND e.field = {sql_literal(field)} AND +e.status IN "
            f"({sql_literal(EvidenceStatus.NOT_AVAILABLE)}, {sql_literal(EvidenceStatus.NOT_REPORTED)}))")


def why_missing(column: str) -> str:
    """SQL: why the case_summary column is NULL, in words (the first of its facts with a recorded reason)."""
    statuses = [_status(who, field) for who, field in SUMMARY_MISSING_SOURCES.get(column, ())]
    if not statuses:
        return _FALLBACK
    status = statuses[0] if len(statuses) == 1 else f"coalesce({', '.join(statuses)})"
    return (f"CASE {status} WHEN {sql_literal(EvidenceStatus.NOT_AVAILABLE)} THEN {sql_literal(SOURCE_NOT_READ)} "
            f"WHEN {sql_literal(EvidenceStatus.NOT_REPORTED)} THEN {sql_literal(NOT_REPORTED)} ELSE {_FALLBACK} END")


def _or_why(expr: str, column: str) -> str:
    return f"coalesce({expr}, {why_missing(column)})"


def _category_words(expr: str) -> str:
    """'no_case-definite' -> 'no case to definite' (RegiSCAR category codes as the instrument labels them)."""
    for c in load_instrument(InstrumentCode.REGISCAR_DRESS).categories:
        expr = f"replace({expr}, {sql_literal(c.code)}, {sql_literal(c.label.lower())})"
    return f"replace({expr}, '-', ' to ')"


def _whole(expr: str) -> str:
    return f"CASE WHEN {expr} = CAST({expr} AS INTEGER) THEN CAST({expr} AS INTEGER) ELSE round({expr}, 1) END"


def case_list_sql() -> str:
    """The SELECT that fills case_list, in case_summary's rowid order (so both share the full-text index)."""
    types = "(SELECT group_concat(j.value, ', ') FROM json_each(cs.challenge_types) j)"
    authors = ("CASE WHEN cs.authors_regiscar IS NOT NULL THEN cs.authors_regiscar || "
               "coalesce(' (' || lower(cs.authors_regiscar_category) || ')', '') "
               "WHEN cs.authors_regiscar_category IS NOT NULL THEN lower(cs.authors_regiscar_category) "
               f"ELSE {_FALLBACK} END")
    registry = ("CASE WHEN cs.registry_regiscar IS NULL THEN 'not scored' ELSE cs.registry_regiscar || "
                "CASE WHEN cs.registry_regiscar_min IS NOT NULL AND cs.registry_regiscar_min != cs.registry_regiscar_max "
                "THEN ' (range ' || cs.registry_regiscar_min || ' to ' || cs.registry_regiscar_max || ')' ELSE '' END || "
                f"coalesce(', ' || {_category_words('cs.registry_regiscar_category')}, '') END")
    return f"""
SELECT cs.case_key, cs.citation, cs.year,
  {_or_why(_whole('cs.age_years'), 'age_years')},
  {_or_why(_label_case('sex', 'cs.sex'), 'sex')},
  {_or_why('cs.country', 'country')},
  coalesce(cs.suspect_drugs, {_FALLBACK}),
  {_or_why('cs.indication', 'indication')},
  {_or_why('cs.latency_days', 'latency_days')},
  coalesce(CAST(round(cs.peak_eosinophils_per_ul) AS INTEGER), {_FALLBACK}),
  coalesce({types}, CASE WHEN p.source_access = {sql_literal(SourceAccess.FULL_TEXT)} THEN {sql_literal(NONE_REPORTED)}
                         ELSE {sql_literal(SOURCE_NOT_READ)} END),
  CASE WHEN cs.rechallenge_result IS NOT NULL THEN {_label_case('challenge_result', 'cs.rechallenge_result')}
       WHEN {types} IS NOT NULL THEN {sql_literal(NOT_REPORTED)} ELSE 'no re-exposure reported' END,
  {_or_why(_label_case('reaction_outcome', 'cs.reaction_outcome'), 'reaction_outcome')},
  {authors},
  {registry},
  CASE cs.regiscar_disagreement WHEN 1 THEN 'disagrees with the authors' WHEN 0 THEN 'consistent with the authors'
       ELSE 'cannot compare' END,
  coalesce({_label_case('source_access', 'p.source_access')}, 'not known')
FROM (SELECT s.rowid AS _rowid, s.*, {_suspect_id().replace('cs.', 's.')} AS _suspect_id FROM case_summary s) AS cs
LEFT JOIN publications p ON p.id = cs.publication_id
ORDER BY cs._rowid
"""


# ---------------------------------------------------------------------------
# evidence_facts


def _fact_columns() -> dict[tuple[str, str], tuple[str, str, str | None, bool]]:
    """(table, field) -> (table, primary key column, vocabulary, is boolean) for every fact column of a model table
    that evidence can point at (a row id: an integer key of its own)."""
    out = {}
    for table in metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or pk[0].type.python_type is not int:
            continue
        for f in record_fields(table):
            if not f.is_reference:
                out[(str(table.name), f.name)] = (str(table.name), pk[0].name, f.vocabulary, f.kind == "boolean")
    return out


def _not_skipped(conn: sqlite3.Connection, column: str, skip: str | None) -> str:
    """Rows of cases not in `skip`, and rows of no case. When those are few (a re-publish after a few edits),
    they are found through the case index rather than by reading every evidence row (1.2 s at 100,000 cases)."""
    if not skip:
        return "1"
    (cases, skipped) = conn.execute(f"SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM {skip})").fetchone()
    if cases - skipped <= cases // 4:
        return f"({column} IS NULL OR {column} IN (SELECT id FROM cases WHERE id NOT IN (SELECT id FROM {skip})))"
    return f"({column} IS NULL OR {column} NOT IN (SELECT id FROM {skip}))"


def _stored_value_sql(conn: sqlite3.Connection) -> str:
    """The value the registry stores for an evidence row's fact, in words (registry_stored): a CASE over the
    subject table, then the field, reading that one column of the subject row by primary key. NULL for a
    whole-row fact or a field without a column of its own (e.g. an exposure's dose)."""
    published = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    by_table: dict[str, list[str]] = {}
    for (subject_table, field), (table, pk, vocab, boolean) in _fact_columns().items():
        if table not in published:
            continue
        by_table.setdefault(subject_table, []).append(
            f"WHEN {sql_literal(field)} THEN registry_stored({sql_literal(vocab or '')}, {int(boolean)}, "
            f'(SELECT t."{field}" FROM "{table}" t WHERE t."{pk}" = s.subject_id))')
    tables = " ".join(f"WHEN {sql_literal(t)} THEN CASE s.field {' '.join(whens)} END" for t, whens in by_table.items())
    return f"CASE s.subject_table {tables} END"


def _stored(vocabulary: str, boolean: int, value: object) -> str | None:
    return ("yes" if value else "no") if boolean and value is not None else stored_words(vocabulary or None, value)


def evidence_facts_sql(conn: sqlite3.Connection, skip: str | None = None) -> str:
    """SELECT of every evidence row of the file in words, run inside the file (one statement, no Python loop): the
    wording functions of registry.cases.evidence_wording are called by SQLite (registry_fact, registry_stated,
    registry_stored), so no row passes through Python but the columns that word it; `skip`: a table whose `id`
    column lists cases whose evidence is left out."""
    conn.create_function("registry_fact", len(FACT_KEYS), fact_words, deterministic=True)
    conn.create_function("registry_stated", len(STATED_KEYS), stated_words_of, deterministic=True)
    conn.create_function("registry_stored", 3, _stored, deterministic=True)
    by_table = []
    for table, keys in SUBJECT_FACT_KEYS.items():
        name = f"registry_fact_{table}"
        conn.create_function(name, 1 + len(keys), subject_fact_words(table), deterministic=True)
        by_table.append(f"WHEN {sql_literal(table)} THEN {name}({', '.join(('field', *keys))})")
    fact = f"CASE subject_table {' '.join(by_table)} ELSE registry_fact({', '.join(FACT_KEYS)}) END"
    stated = stated_words_sql(f"registry_stated({', '.join(STATED_KEYS)})")
    return (f"SELECT evidence_id, case_id, {fact}, "
            f"{stated}, {_stored_value_sql(conn)}, "
            f"CASE WHEN is_curated THEN {sql_literal(Followed.FOLLOWED)} ELSE {sql_literal(Followed.NOT_FOLLOWED)} END "
            f"FROM ({EVIDENCE_SUBJECT_SQL} WHERE {_not_skipped(conn, 'e.case_id', skip)}) AS s ORDER BY evidence_id")


# ---------------------------------------------------------------------------
# counts, release, statistics


def counts_sql() -> str:
    access = " UNION ALL ".join(
        f"SELECT {sql_literal('sources_' + t.code)}, (SELECT count(*) FROM publications WHERE source_access = {sql_literal(t.code)}), "
        f"{sql_literal('Publications read as: ' + t.label.lower())}"
        for t in VOCABULARIES["source_access"].terms
    )
    roles = ", ".join(sql_literal(r) for r in SUSPECT_ROLES)
    return f"""
SELECT 'cases', (SELECT count(*) FROM cases), 'Cases in the registry'
UNION ALL SELECT 'publications', (SELECT count(*) FROM publications), 'Publications the cases come from'
UNION ALL SELECT 'suspect_drugs', (SELECT count(DISTINCT drug_id) FROM drug_exposures WHERE role IN ({roles})), 'Different suspect drugs'
UNION ALL SELECT 'cases_re_exposed', (SELECT count(*) FROM case_summary WHERE challenges IS NOT NULL), 'Cases in which the suspect was given again after the reaction'
UNION ALL SELECT 'evidence', (SELECT count(*) FROM evidence), 'Evidence rows (each fact, or the reason it is missing, with its source)'
UNION ALL {access}
"""


def built_on() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch and epoch.isdigit() else datetime.now(timezone.utc)
    return moment.date().isoformat()


def how_to_cite(version: str, date: str) -> str:
    return (f"{TITLE}, version {version} (built {date}). Open registry of published cases of drug-induced DRESS. "
            "Data licence CC BY 4.0. Cite the original articles for individual cases as well.")


def build_rows() -> list[Row]:
    date = built_on()
    return [{"version": __version__, "built_on": date, "how_to_cite": how_to_cite(__version__, date)}]


#: measure -> (label, SQL of the value, SQL of the approximate flag, bin width).
MEASURES = {
    "latency_days": ("Latency (days from first dose to onset)", "latency_days", "onset_is_approximate", 7),
    "age_years": ("Age at onset (years)", "age_years", "0", 10),
}


def _quantile(p: float) -> str:
    h = f"((s.n - 1) * {p})"
    lo = f"CAST({h} AS INTEGER)"
    return (f"(SELECT sum(CASE WHEN k.r = {lo} + 1 THEN k.x * (1 - ({h} - {lo})) "
            f"WHEN k.r = {lo} + 2 THEN k.x * ({h} - {lo}) ELSE 0 END) FROM k)")


def statistics_sql() -> str:
    parts = []
    for measure, (words, value, approx, _) in MEASURES.items():
        parts.append(f"""
SELECT * FROM (
  WITH v AS (SELECT {value} AS x, {approx} AS approx FROM case_summary),
       k AS (SELECT x, row_number() OVER (ORDER BY x) AS r FROM v WHERE x IS NOT NULL),
       s AS (SELECT count(*) AS n, min(x) AS lo, max(x) AS hi FROM k)
  SELECT {sql_literal(measure)}, {sql_literal(words)}, s.n,
         (SELECT count(*) FROM v WHERE x IS NULL),
         (SELECT count(*) FROM v WHERE x IS NOT NULL AND approx),
         s.lo, CASE WHEN s.n > 0 THEN {_quantile(0.25)} END, CASE WHEN s.n > 0 THEN {_quantile(0.5)} END,
         CASE WHEN s.n > 0 THEN {_quantile(0.75)} END, s.hi
  FROM s)""")
    return " UNION ALL ".join(parts)


def distribution_sql() -> str:
    parts = []
    for measure, (_, value, approx, width) in MEASURES.items():
        start = f"(CAST(({value} - 1) / {width} AS INTEGER) * {width} + 1)" if measure == "latency_days" \
            else f"(CAST({value} / {width} AS INTEGER) * {width})"
        end = f"{start} + {width - 1}" if measure == "latency_days" else f"{start} + {width}"
        parts.append(f"SELECT {sql_literal(measure)}, {start}, {end}, count(*), sum({approx} != 0) FROM case_summary "
                     f"WHERE {value} IS NOT NULL" + (f" AND {value} >= 1" if measure == "latency_days" else "")
                     + f" GROUP BY {start}")
    return " UNION ALL ".join(parts)
