"""The seed: facts checked against the papers, idempotent loading, bad files refused."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select, text

from registry.core.db import make_engine
from registry.schema.models import Case
from tests.helpers import BACKENDS, PARK_TEXT, REMOVE, SEED_DIR, dump, edited_yaml, run_cli

CITED_KEYS = ["lenouail2006", "goldman2008", "kumar2014", "saidi2017", "vatel2017", "benami2018", "zgolli2019"]


def _seed(engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    result = run_cli(url, "seed", "--dir", str(SEED_DIR))
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_template(request, db_templates):
    """The migrated database seeded through the CLI, once per module and backend."""
    return db_templates.module_template(request, _seed)


@pytest.fixture
def seeded(seeded_template, clone_database):
    """This test's own copy of the seeded database (PostgreSQL tests marked read_only share one that refuses writes)."""
    return clone_database(seeded_template)


def q(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


# -- Park 2021, checked against the paper (values written from reading it) ---

@pytest.mark.read_only
def test_park_patient(seeded):
    row = q(seeded, "SELECT age_value, age_unit, sex, country FROM cases WHERE case_key = 'park2021-1'")[0]
    assert tuple(row) == (62, "a", "female", "KR")
    # The abstract's 65 is kept as non-curated evidence, with a reason.
    disc = q(seeded, "SELECT curated_value, other_value, other_locator, reason FROM discrepancies WHERE case_key='park2021-1' AND field='age_value'")
    assert len(disc) == 1 and "65" in disc[0].other_value and disc[0].other_locator == "Abstract" and disc[0].reason


def test_park_source_text_says_what_we_store():
    """Guard against the seed drifting from the paper: the key numbers are in the text."""
    if not PARK_TEXT.exists():
        pytest.skip(f"the Park 2021 text is not at {PARK_TEXT} (set REGISTRY_SOURCES_DIR)")
    body = PARK_TEXT.read_text()
    for fragment in ("62-year-old female", "400 mg imatinib daily", "25 mg, 25 mg, 50 mg, and 100 mg",
                     "30-min intervals", "200 mg on day 2 and 400 mg on day 4", "1,690/µL", "reslizumab 100 mg",
                     "reslizumab 200 mg", "increased to 600 mg", "sunitinib", "with score 3"):
        assert fragment in body.replace("μ", "µ"), fragment


@pytest.mark.read_only
def test_park_doses_and_desensitisation_steps(seeded):
    doses = q(seeded, """
        SELECT d.dose_value, d.dose_unit, d.reason FROM dose_regimens d
        JOIN drug_exposures x ON x.id = d.exposure_id JOIN cases c ON c.id = x.case_id
        JOIN drugs g ON g.id = x.drug_id
        WHERE c.case_key = 'park2021-1' AND g.name = 'imatinib' ORDER BY d.seq""")
    assert [(d.dose_value, d.dose_unit) for d in doses] == [(400, "mg"), (400, "mg"), (400, "mg"), (600, "mg")]
    assert doses[-1].reason == "escalation_progression"
    steps = q(seeded, """
        SELECT h.seq, s.protocol_day, s.dose_value, s.interval_minutes FROM challenge_steps s
        JOIN challenge_events h ON h.id = s.challenge_id JOIN drug_exposures x ON x.id = h.exposure_id
        JOIN cases c ON c.id = x.case_id WHERE c.case_key = 'park2021-1' ORDER BY h.seq, s.step_number""")
    assert [(s.protocol_day, s.dose_value) for s in steps] == [(1, 25), (1, 25), (1, 50), (1, 100), (2, 200), (4, 400)]
    assert [s.interval_minutes for s in steps[1:4]] == [30, 30, 30]
    challenges = q(seeded, """
        SELECT h.challenge_type, h.result FROM challenge_events h JOIN drug_exposures x ON x.id = h.exposure_id
        JOIN cases c ON c.id = x.case_id WHERE c.case_key = 'park2021-1' ORDER BY h.seq""")
    assert [tuple(h) for h in challenges] == [
        ("desensitisation", "recurrence"), ("desensitisation", "recurrence"), ("continued_through", "tolerated")]


@pytest.mark.read_only
def test_park_eosinophils_in_order(seeded):
    rows = q(seeded, """
        SELECT l.value FROM lab_results l JOIN cases c ON c.id = l.case_id
        WHERE c.case_key = 'park2021-1' AND l.analyte = 'eosinophils_abs' ORDER BY l.seq""")
    assert [r.value for r in rows] == [600, 1690, 10, 170]


@pytest.mark.read_only
def test_park_reslizumab_and_outcome(seeded):
    rows = q(seeded, """
        SELECT t.dose_value, t.dose_unit FROM treatments t JOIN drugs g ON g.id = t.drug_id
        JOIN cases c ON c.id = t.case_id WHERE c.case_key = 'park2021-1' AND g.name = 'reslizumab' ORDER BY t.seq""")
    assert [tuple(r) for r in rows] == [(100, "mg"), (200, "mg")]
    out = q(seeded, """
        SELECT o.reaction_outcome, o.therapy_fate, g.name FROM case_outcomes o JOIN cases c ON c.id = o.case_id
        LEFT JOIN drugs g ON g.id = o.switched_to_drug_id WHERE c.case_key = 'park2021-1'""")[0]
    assert tuple(out) == ("recovered", "continued", "sunitinib")


@pytest.mark.read_only
def test_park_authors_regiscar(seeded):
    a = q(seeded, """
        SELECT a.id, a.total, a.category FROM assessments a JOIN cases c ON c.id = a.case_id
        WHERE c.case_key = 'park2021-1' AND a.instrument = 'regiscar_dress' AND a.assessor = 'authors'""")[0]
    assert (a.total, a.category) == (3, "possible")
    points = q(seeded, "SELECT SUM(points) AS s FROM assessment_items WHERE assessment_id = :id", id=a.id)[0].s
    assert points == 3


@pytest.mark.read_only
def test_every_value_names_its_source(seeded):
    """No stored case, exposure, lab or treatment without evidence."""
    for table in ("drug_exposures", "dose_regimens", "challenge_events", "lab_results", "treatments", "investigations"):
        orphans = q(seeded, f"""
            SELECT t.id FROM {table} t WHERE NOT EXISTS (
              SELECT 1 FROM evidence e WHERE e.subject_table = '{table}' AND e.subject_id = t.id AND e.status = 'stated')""")
        assert orphans == [], f"{table} rows without a source: {orphans}"


@pytest.mark.read_only
def test_missing_values_say_why(seeded):
    rows = q(seeded, "SELECT case_key FROM cases")
    from registry.cases.completeness import case_completeness

    with seeded.connect() as conn:
        report = case_completeness(conn)
    assert {r.case_key for r in report} == {r.case_key for r in rows}
    assert all(r.unrecorded == 0 for r in report), [r for r in report if r.unrecorded]


# -- the seven cited reports ---------------------------------------------------

@pytest.mark.read_only
def test_cited_reports_present_with_citation_and_indication(seeded):
    cited = q(seeded, """
        SELECT p2.key, ct.reference_number FROM citations ct
        JOIN publications p1 ON p1.id = ct.citing_publication_id JOIN publications p2 ON p2.id = ct.cited_publication_id
        WHERE p1.key = 'park2021' ORDER BY ct.reference_number""")
    assert [(r.key, r.reference_number) for r in cited] == list(zip(CITED_KEYS, range(14, 21)))
    for key in CITED_KEYS:
        rows = q(seeded, """
            SELECT p.journal, p.year, x.indication FROM cases c
            JOIN case_publications cp ON cp.case_id = c.id AND cp.role = 'primary_report'
            JOIN publications p ON p.id = cp.publication_id
            JOIN drug_exposures x ON x.case_id = c.id AND x.role = 'suspect'
            WHERE p.key = :k""", k=key)
        assert rows, f"no case for {key}"
        assert rows[0].journal and rows[0].year and rows[0].indication, (key, tuple(rows[0]))


# -- loading behaviour -----------------------------------------------------------

def test_loading_twice_equals_loading_once(seeded):
    url = seeded.url.render_as_string(hide_password=False)
    before = dump(seeded, with_change_times=True)
    assert all(row[-1] is not None for row in before["cases"])  # facts_changed_at, set by the load
    result = run_cli(url, "seed", "--dir", str(SEED_DIR))
    assert result.exit_code == 0 and "no changes" in result.output, result.output
    assert dump(seeded, with_change_times=True) == before  # nothing changed: no case marked as changed


def _change_times(engine) -> dict[str, object]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Case.case_key, Case.facts_changed_at)).all())


@pytest.mark.parametrize("where, old, new", [
    (("cases", 0, "age_value"), 62, 63),  # a field of the case row
    (("cases", 0, "exposures", 0, "doses", 0, "dose_value"), 400, 300),  # a dose row of an exposure (two levels down)
])
def test_a_change_marks_only_the_changed_case(seeded, tmp_path, where, old, new):
    """The seed loader sets cases.facts_changed_at of exactly the cases whose record it changed."""
    url = seeded.url.render_as_string(hide_password=False)
    work = tmp_path / "seed"
    shutil.copytree(SEED_DIR, work)
    park = work / "park2021.yaml"
    park.write_text(edited_yaml(park.read_text(encoding="utf-8"), where, old, new), encoding="utf-8")
    before = _change_times(seeded)
    assert run_cli(url, "seed", "--dir", str(work)).exit_code == 0
    after = _change_times(seeded)
    assert {k for k in after if after[k] != before[k]} == {"park2021-1"}
    assert after["park2021-1"] > before["park2021-1"]


def test_edited_value_updates_in_place(seeded, tmp_path):
    url = seeded.url.render_as_string(hide_password=False)
    work = tmp_path / "seed"
    shutil.copytree(SEED_DIR, work)
    park = work / "park2021.yaml"
    park.write_text(edited_yaml(park.read_text(encoding="utf-8"), ("cases", 0, "age_value"), 62, 63), encoding="utf-8")
    with seeded.connect() as conn:
        before = conn.execute(select(Case.id, Case.row_version).where(Case.case_key == "park2021-1")).one()
    result = run_cli(url, "seed", "--dir", str(work))
    assert result.exit_code == 0, result.output
    assert "cases: +0 ~1 -0" in result.output and "evidence" not in result.output, result.output
    with seeded.connect() as conn:
        after = conn.execute(select(Case.id, Case.row_version, Case.age_value).where(Case.case_key == "park2021-1")).one()
    assert after.id == before.id and after.row_version == before.row_version + 1 and after.age_value == 63


@pytest.mark.parametrize(
    "where, old, new, message",
    [
        (("cases", 0, "sex"), "female", "woman", "cases[0].sex: unknown sex code 'woman'"),
        (("cases", 0, "exposures", 0, "start_day"), 1, -40000, "cases[0].exposures[0].start_day"),
        (("publication", "journal"), "Case Rep Oncol", REMOVE,
         "publication: journal: give it, or say why it is unknown under missing.journal"),
    ],
)
def test_broken_file_leaves_database_unchanged(seeded, tmp_path, where, old, new, message):
    url = seeded.url.render_as_string(hide_password=False)
    work = tmp_path / "seed"
    shutil.copytree(SEED_DIR, work)
    park = work / "park2021.yaml"
    park.write_text(edited_yaml(park.read_text(encoding="utf-8"), where, old, new), encoding="utf-8")
    before = dump(seeded)
    result = run_cli(url, "seed", "--dir", str(work))
    assert result.exit_code == 2
    assert "park2021.yaml" in result.output and message in result.output, result.output
    assert "Traceback" not in result.output
    assert dump(seeded) == before


def _utc(value):
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def test_sqlite_and_postgresql_load_identically(sqlite_url, postgres_url):
    from registry.schema import migrate

    dumps = []
    for url in (sqlite_url, postgres_url):
        eng = make_engine(url)
        migrate.upgrade(eng)
        assert run_cli(url, "seed", "--dir", str(SEED_DIR)).exit_code == 0
        rows = dump(eng)
        # The audit log's entries are the same; its changes differ only in when they were made, and so do the
        # searches of the seed's trail (loaded_at, the last column but one). Decision times are compared in UTC.
        rows["audit_changes"] = [r[2:] for r in rows["audit_changes"]]
        rows["searches"] = [r[:-2] + r[-1:] for r in rows["searches"]]
        rows["screening_decisions"] = [r[:-1] + (_utc(r[-1]),) for r in rows["screening_decisions"]]
        dumps.append(rows)
        eng.dispose()
    assert dumps[0] == dumps[1]
