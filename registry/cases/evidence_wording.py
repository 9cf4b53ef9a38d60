"""The words of an evidence row: which fact it covers, and what the source says about it.

An evidence row points at a fact by table, row id and field (registry.schema.models.evidence).
Read that way it says "findings — not reported"; a reviewer needs "Fever: not reported —
Park 2021, Discussion para 1", "Hepatitis B serology: negative" or "Eosinophils (absolute)
1,690/µL, day ~89". This module is the one home of that wording: the publish step bakes it
into the published file's evidence_facts table (the case page reads it from there) and any
other reader (an export) calls the same functions.

`EVIDENCE_SUBJECT_SQL` is plain, portable SQL (no dialect functions): one row per evidence row
with the details of the row it points at (the finding, the test, the lab value, the drug ...).
`fact_name(row)` and `stated_words(row)` turn such a row into words, `statement(...)` joins
them with the publication and place into one sentence; `stored_words` words the value the
registry stores. `fact_words(*key)` and `stated_words_of(...)` take the same columns as plain
arguments, so that SQLite can call them as functions over a whole table (the publish step does).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from registry.cases.lookups import fmt_number, label
from registry.core.sqltext import sql_literal
from registry.schema.vocabulary import EvidenceStatus

#: Fields named in words where the column name does not read well.
FIELD_WORDS: dict[str, str] = {
    "age_value": "age",
    "onset_day": "day of onset",
    "diagnosis_as_reported": "diagnosis as reported",
    "reaction_outcome": "outcome",
    "therapy_fate": "what became of the suspect therapy",
    "time_to_resolution_days": "days to resolution",
    "time_to_recurrence_days": "days to recurrence",
    "dechallenge_result": "dechallenge",
    "action_taken": "action taken",
    "start_day": "start day",
    "stop_day": "stop day",
    "challenge_type": "kind of re-exposure",
    "result": "result",
    "dose": "dose",
    "title_english": "English title",
    "article_type": "article type",
    "switched_to_drug_id": "replacement drug",
    "day_is_approximate": "day (approximate)",
    "start_is_approximate": "start day (approximate)",
    "stop_is_approximate": "stop day (approximate)",
    "time_to_recurrence_hours": "hours to recurrence",
    "duration_days": "duration in days",
}

#: What a status says when the source gives no value, in the words of a sentence.
STATUS_WORDS: dict[str, str] = {
    EvidenceStatus.NOT_REPORTED: "not reported",
    EvidenceStatus.NOT_AVAILABLE: "source not read (not available to the curators)",
}

#: One row per evidence row, with what a reader needs to name its fact. Every join is on a
#: primary key; the subject_table tests keep a row id from matching a row of another table.
EVIDENCE_SUBJECT_SQL = """
SELECT e.id AS evidence_id, e.case_id, e.subject_table, e.subject_id, e.field, e.status,
       e.value_as_stated, e.locator, e.is_curated, e.publication_id,
       f.finding, i.test, i.result AS test_result,
       l.analyte, l.value AS lab_value, l.comparator AS lab_comparator, l.unit AS lab_unit,
       l.day AS lab_day, l.day_is_approximate AS lab_day_approximate,
       dr.seq AS dose_seq, ch.challenge_type, xd.name AS drug,
       t.category AS treatment_category, td.name AS treatment_agent,
       a.instrument, a.assessor,
       g.gene, g.allele, g.result AS genotype_result, pr.procedure
FROM evidence e
LEFT JOIN findings f ON e.subject_table = 'findings' AND f.id = e.subject_id
LEFT JOIN investigations i ON e.subject_table = 'investigations' AND i.id = e.subject_id
LEFT JOIN lab_results l ON e.subject_table = 'lab_results' AND l.id = e.subject_id
LEFT JOIN dose_regimens dr ON e.subject_table = 'dose_regimens' AND dr.id = e.subject_id
LEFT JOIN challenge_events ch ON e.subject_table = 'challenge_events' AND ch.id = e.subject_id
LEFT JOIN drug_exposures x ON x.id = CASE WHEN e.subject_table = 'drug_exposures' THEN e.subject_id
                                          ELSE coalesce(dr.exposure_id, ch.exposure_id) END
LEFT JOIN drugs xd ON xd.id = x.drug_id
LEFT JOIN treatments t ON e.subject_table = 'treatments' AND t.id = e.subject_id
LEFT JOIN drugs td ON td.id = t.drug_id
LEFT JOIN assessments a ON e.subject_table = 'assessments' AND a.id = e.subject_id
LEFT JOIN genetic_tests g ON e.subject_table = 'genetic_tests' AND g.id = e.subject_id
LEFT JOIN procedures pr ON e.subject_table = 'procedures' AND pr.id = e.subject_id
"""


def _field(field: str | None) -> str:
    return FIELD_WORDS.get(field or "", (field or "").replace("_", " "))


def _with_field(subject: str, field: str | None, whole: tuple[str, ...] = ()) -> str:
    """'imatinib' + 'indication' -> 'imatinib: indication'; a whole-row fact is the subject alone."""
    if not field or field in whole:
        return subject
    return f"{subject}: {_field(field)}"


def lab_words(row: dict[str, Any]) -> str:
    """'Eosinophils (absolute) 1,690/µL, day ~89' (a bound keeps its comparator: '< 10/µL')."""
    value = row.get("lab_value")
    number = f"{value:,.0f}" if isinstance(value, float) and value.is_integer() and abs(value) >= 1000 else fmt_number(value)
    comparator = row.get("lab_comparator")
    text = label("analyte", row.get("analyte")) or "Lab value"
    if number is not None:
        text += " " + (f"{comparator} " if comparator and comparator != "=" else "") + number
        unit = label("lab_unit", row.get("lab_unit")) or ""
        text += unit if unit.startswith(("/", "%")) else f" {unit}".rstrip()
    day = row.get("lab_day")
    text += ", day not stated" if day is None else f", day {'~' if row.get('lab_day_approximate') else ''}{day}"
    return text


#: The columns of an EVIDENCE_SUBJECT_SQL row that name its fact (many rows share them: the wording is cached).
FACT_KEYS = (
    "subject_table", "field", "finding", "test", "analyte", "lab_value", "lab_comparator", "lab_unit", "lab_day",
    "lab_day_approximate", "dose_seq", "challenge_type", "drug", "treatment_category", "treatment_agent",
    "instrument", "assessor", "gene", "allele", "genotype_result", "procedure",
)


#: For each subject table, the FACT_KEYS an EVIDENCE_SUBJECT_SQL row about it can hold besides subject_table and
#: field: its joins match rows of that table (and the drug of an exposure, dose or re-exposure, the agent of a
#: treatment) only, so every other key is NULL and the fact's words depend on these alone.
SUBJECT_FACT_KEYS: dict[str, tuple[str, ...]] = {
    "cases": (),
    "findings": ("finding",),
    "investigations": ("test",),
    "lab_results": ("analyte", "lab_value", "lab_comparator", "lab_unit", "lab_day", "lab_day_approximate"),
    "drug_exposures": ("drug",),
    "dose_regimens": ("dose_seq", "drug"),
    "challenge_events": ("challenge_type", "drug"),
    "treatments": ("treatment_category", "treatment_agent"),
    "case_outcomes": (),
    "assessments": ("instrument", "assessor"),
    "genetic_tests": ("gene", "allele", "genotype_result"),
    "procedures": ("procedure",),
    "publications": (),
}


def subject_fact_words(table: str) -> Callable[..., str]:
    """fact_words of the rows about `table`, given their field and SUBJECT_FACT_KEYS[table] in that order (the
    publish step calls it from SQLite: a few arguments cost less to pass than every FACT_KEYS column)."""
    positions = [FACT_KEYS.index(k) for k in ("field", *SUBJECT_FACT_KEYS[table])]
    blank = (table, *([None] * (len(FACT_KEYS) - 1)))

    @lru_cache(maxsize=1 << 16)
    def words(*values: Any) -> str:
        key = list(blank)
        for position, value in zip(positions, values):
            key[position] = value
        return _fact_name(tuple(key))

    return words


def fact_name(row: dict[str, Any]) -> str:
    """The fact an evidence row covers, in words (a row of EVIDENCE_SUBJECT_SQL)."""
    return _fact_name(tuple(row.get(k) for k in FACT_KEYS))


def fact_words(*key: Any) -> str:
    """fact_name of a row given as its FACT_KEYS values, in that order."""
    return _fact_name(key)


@lru_cache(maxsize=1 << 16)
def _fact_name(key: tuple) -> str:
    row = dict(zip(FACT_KEYS, key))
    table, field = row["subject_table"], row.get("field")
    drug = row.get("drug") or "suspect drug"
    if table == "cases":
        return _field(field).capitalize() if field else "The case as a whole"
    if table == "findings":
        return label("finding", row.get("finding")) or "Finding"
    if table == "investigations":
        return _with_field(label("investigation", row.get("test")) or "Investigation", field, ("result", "test"))
    if table == "lab_results":
        return _with_field(lab_words(row), field, ("value", "unit", "comparator", "analyte"))
    if table == "drug_exposures":
        return _with_field(drug, field) if field else f"{drug}: exposure"
    if table == "dose_regimens":
        return _with_field(f"{drug} dose {row.get('dose_seq') or ''}".strip(), field)
    if table == "challenge_events":
        kind = (label("challenge_type", row.get("challenge_type")) or "re-exposure").lower()
        return _with_field(f"{drug} {kind}", field, ("challenge_type",))
    if table == "treatments":
        agent = row.get("treatment_agent") or label("treatment_category", row.get("treatment_category")) or "treatment"
        return _with_field(f"Treatment with {agent}", field)
    if table == "case_outcomes":
        return _field(field).capitalize() if field else "Outcome"
    if table == "assessments":
        who = "authors" if row.get("assessor") == "authors" else row.get("assessor") or "?"
        return f"{label('instrument', row.get('instrument')) or 'Score'} ({who})"
    if table == "genetic_tests":
        typed = " ".join(p for p in (row.get("allele") or row.get("gene"),) if p) or "gene"
        result = (label("genotype_result", row.get("genotype_result")) or "").lower()
        return _with_field(f"Genetic typing {typed}" + (f" ({result})" if result else ""), field,
                           ("gene", "allele", "result"))
    if table == "procedures":
        return _with_field(label("procedure", row.get("procedure")) or "Procedure", field, ("procedure",))
    if table == "publications":
        return _with_field("Publication", field)
    return _with_field(table.replace("_", " ").capitalize(), field)


#: The columns of an EVIDENCE_SUBJECT_SQL row that stated_words reads, in the order stated_words_of takes them.
STATED_KEYS = ("status", "value_as_stated", "subject_table", "test_result")


def stated_words(row: dict[str, Any]) -> str:
    """What the source says: the value as stated, or why there is none."""
    return stated_words_of(*(row.get(k) for k in STATED_KEYS))


def stated_words_of(status: str | None, value_as_stated: str | None, subject_table: str | None,
                    test_result: str | None) -> str:
    """stated_words of a row given as its STATED_KEYS values."""
    if status in STATUS_WORDS:
        return STATUS_WORDS[status]
    if value_as_stated:
        return value_as_stated
    if subject_table == "investigations" and test_result:
        return (label("test_result", test_result) or test_result).lower()
    return (label("evidence_status", EvidenceStatus.STATED) or "").lower()


def stated_words_sql(call: str) -> str:
    """stated_words_of as an SQL expression over the STATED_KEYS columns: a status with words of its own and a value
    as stated are answered in SQL, every other row by `call` (the SQL call of stated_words_of), which then answers
    it as stated_words_of does. Saves a call into Python for most rows of a large registry."""
    whens = " ".join(f"WHEN {sql_literal(code)} THEN {sql_literal(words)}" for code, words in STATUS_WORDS.items())
    return f"CASE status {whens} ELSE CASE WHEN value_as_stated <> '' THEN value_as_stated ELSE {call} END END"


def statement(fact: str | None, states: str | None, citation: str | None, locator: str | None) -> str | None:
    """'Fever ≥38.5 °C: not reported — Park 2021, Case Rep Oncol, Discussion, para 1', from the fact and what the
    source states in words (fact_name, stated_words), the publication's short citation and the place in it."""
    if not fact:
        return None
    where = ", ".join(p for p in (citation, locator) if p)
    return f"{fact}: {states}" + (f" — {where}" if where else "")


def stored_words(vocabulary: str | None, value: Any) -> str | None:
    """The registry's stored value in words: a code as its label, a number without '.0', a boolean as yes/no."""
    if value is None:
        return None
    if vocabulary:
        return label(vocabulary, str(value))
    if isinstance(value, float):
        return fmt_number(value)
    return str(value)
