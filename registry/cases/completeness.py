"""How well documented each case is: the key facts, and for each whether it
is known, not reported by the source, or in a source not available to us.

The key-fact list is defined here once; the seed loader writes a "why
missing" evidence row for every key fact it leaves NULL, the publish step
and the `seed --report` command count them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from registry.schema.vocabulary import SUSPECT_ROLES, EvidenceStatus, FindingCode, FindingStatus

#: Key facts on the case row.
CASE_FIELDS = ("age_value", "sex", "country", "onset_day")
#: Key facts on each suspect (or co-suspect) exposure; "dose" means "has a dose row".
EXPOSURE_FIELDS = ("indication", "start_day", "action_taken", "dechallenge_result", "dose")
#: Key facts on the outcome row.
OUTCOME_FIELDS = ("reaction_outcome", "time_to_resolution_days", "therapy_fate")
#: Findings every case records a status for (the RegiSCAR-relevant ones).
CORE_FINDINGS = (
    FindingCode.FEVER, FindingCode.RASH, FindingCode.RASH_EXTENT_GT50, FindingCode.FACIAL_OEDEMA,
    FindingCode.INFILTRATION, FindingCode.PURPURA, FindingCode.DESQUAMATION,
    FindingCode.LYMPHADENOPATHY, FindingCode.MUCOSAL_INVOLVEMENT, FindingCode.ATYPICAL_LYMPHOCYTES,
    FindingCode.SKIN_BIOPSY_SUGGESTIVE,
    FindingCode.ORGAN_LIVER, FindingCode.ORGAN_KIDNEY, FindingCode.ORGAN_LUNG, FindingCode.ORGAN_HEART,
    FindingCode.ORGAN_PANCREAS,
)


@dataclass(frozen=True)
class Completeness:
    case_key: str
    known: int
    not_reported: int
    not_available: int
    unrecorded: int

    @property
    def total(self) -> int:
        return self.known + self.not_reported + self.not_available + self.unrecorded

    @property
    def share_known(self) -> float:
        return round(self.known / self.total, 3) if self.total else 0.0


# Counting is one SQL statement so that it works the same on SQLite and
# PostgreSQL and stays fast for large registries: every key fact becomes a
# row (case_id, subject, field, is_known), missing ones are matched to their
# "why missing" evidence, and each kind of count is aggregated per case once
# and joined to the cases (no per-case subqueries).
_SQL = """
WITH facts AS (
    {case_facts}
    UNION ALL
    {exposure_facts}
    UNION ALL
    {outcome_facts}
),
missing AS (
    SELECT f.case_id, MIN(e.status) AS status
    FROM facts f
    JOIN evidence e ON e.subject_table = f.subject_table AND e.subject_id = f.subject_id
         AND e.field = f.field AND e.status IN ('{nr}', '{na}')
    WHERE NOT f.is_known
    GROUP BY f.case_id, f.subject_table, f.subject_id, f.field
),
fact_counts AS (
    SELECT case_id,
           SUM(CASE WHEN is_known THEN 1 ELSE 0 END) AS known,
           SUM(CASE WHEN is_known THEN 0 ELSE 1 END) AS unknown
    FROM facts GROUP BY case_id
),
missing_counts AS (
    SELECT case_id,
           SUM(CASE WHEN status = '{nr}' THEN 1 ELSE 0 END) AS not_reported,
           SUM(CASE WHEN status = '{na}' THEN 1 ELSE 0 END) AS not_available,
           COUNT(*) AS n
    FROM missing GROUP BY case_id
),
finding_counts AS (
    SELECT case_id,
           SUM(CASE WHEN status IN ('{present}', '{absent}', '{not_done}') THEN 1 ELSE 0 END) AS known,
           SUM(CASE WHEN status = '{finding_nr}' THEN 1 ELSE 0 END) AS not_reported,
           SUM(CASE WHEN status = '{finding_na}' THEN 1 ELSE 0 END) AS not_available,
           COUNT(*) AS n
    FROM findings WHERE finding IN ({core}){findings_of} GROUP BY case_id
)
SELECT c.case_key,
       COALESCE(fa.known, 0) + COALESCE(fc.known, 0) AS known,
       COALESCE(mc.not_reported, 0) + COALESCE(fc.not_reported, 0) AS not_reported,
       COALESCE(mc.not_available, 0) + COALESCE(fc.not_available, 0) AS not_available,
       COALESCE(fa.unknown, 0) - COALESCE(mc.n, 0) + ({n_core} - COALESCE(fc.n, 0)) AS unrecorded
FROM cases c
LEFT JOIN fact_counts fa ON fa.case_id = c.id
LEFT JOIN missing_counts mc ON mc.case_id = c.id
LEFT JOIN finding_counts fc ON fc.case_id = c.id
{where}
ORDER BY c.case_key
"""


def _fact_rows(table: str, id_expr: str, case_expr: str, fields: tuple[str, ...], source: str) -> str:
    parts = []
    for field in fields:
        known = (
            f"EXISTS (SELECT 1 FROM dose_regimens d WHERE d.exposure_id = {id_expr} AND d.dose_value IS NOT NULL)"
            if field == "dose"
            else f"{field} IS NOT NULL"
        )
        parts.append(
            f"SELECT {case_expr} AS case_id, '{table}' AS subject_table, {id_expr} AS subject_id, "
            f"'{field}' AS field, ({known}) AS is_known FROM {source}"
        )
    return "\n    UNION ALL\n    ".join(parts)


def completeness_sql(where: str = "", cases: str | None = None) -> str:
    """The counts of every case (`where`: a WHERE clause on cases c of the result). `cases`: a SELECT of the ids of
    the only cases to count, whose rows alone are then read (a few cases among many are counted through the case
    indexes, not by reading every fact of the registry)."""
    roles = ", ".join(f"'{r}'" for r in SUSPECT_ROLES)
    of = (lambda column, joiner: f" {joiner} {column} IN ({cases})") if cases else (lambda column, joiner: "")
    return _SQL.format(
        case_facts=_fact_rows("cases", "id", "id", CASE_FIELDS, "cases" + of("id", "WHERE")),
        exposure_facts=_fact_rows(
            "drug_exposures", "x.id", "x.case_id", EXPOSURE_FIELDS,
            f"drug_exposures x WHERE x.role IN ({roles})" + of("x.case_id", "AND"),
        ),
        outcome_facts=_fact_rows("case_outcomes", "case_id", "case_id", OUTCOME_FIELDS,
                                 "case_outcomes" + of("case_id", "WHERE")),
        findings_of=of("case_id", "AND"),
        core=", ".join(f"'{f}'" for f in CORE_FINDINGS),
        n_core=len(CORE_FINDINGS),
        where=where,
        nr=EvidenceStatus.NOT_REPORTED,
        na=EvidenceStatus.NOT_AVAILABLE,
        present=FindingStatus.PRESENT,
        absent=FindingStatus.ABSENT,
        not_done=FindingStatus.NOT_DONE,
        finding_nr=FindingStatus.NOT_REPORTED,
        finding_na=FindingStatus.NOT_AVAILABLE,
    )


def case_completeness(conn: Connection, case_keys: list[str] | None = None) -> list[Completeness]:
    where, params = "", {}
    if case_keys:
        names = [f"k{i}" for i in range(len(case_keys))]
        where = "WHERE c.case_key IN (" + ", ".join(f":{n}" for n in names) + ")"
        params = dict(zip(names, case_keys))
    cases = f"SELECT c.id FROM cases c {where}" if where else None
    rows = conn.execute(text(completeness_sql(where, cases)), params)
    return [Completeness(r.case_key, int(r.known), int(r.not_reported), int(r.not_available), int(r.unrecorded)) for r in rows]
