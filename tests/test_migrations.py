"""The real migrations, on SQLite and PostgreSQL: up, down, up again, and no drift."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from registry.core.db import make_engine, metadata
from registry.core.errors import RegistryError
from registry.schema import migrate
from registry.schema.models.vocab import VOCAB_TABLES
from registry.schema.vocabulary import VOCABULARIES


def test_upgrade_downgrade_upgrade_round_trip(backend_url):
    engine = make_engine(backend_url)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    migrate.check(engine)  # models == migrations, vocabularies == code

    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    left = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert left == set(), f"downgrade left tables behind: {sorted(left)}"

    migrate.upgrade(engine)
    migrate.check(engine)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.read_only
def test_vocabularies_loaded_by_migration(engine):
    with engine.connect() as conn:
        for name, table in VOCAB_TABLES.items():
            codes = [r.code for r in conn.execute(select(table.c.code).order_by(table.c.sort_order))]
            assert codes == list(VOCABULARIES[name].codes)
        outcome = conn.execute(
            select(VOCAB_TABLES["reaction_outcome"]).where(VOCAB_TABLES["reaction_outcome"].c.code == "unknown")
        ).one()
        assert (outcome.e2b_r3_code, outcome.openfda_code) == ("0", "6")


def test_check_detects_drift(sqlite_engine):
    with sqlite_engine.begin() as conn:
        conn.execute(text("ALTER TABLE cases ADD COLUMN stray TEXT"))
    with pytest.raises(RegistryError, match="differs from the models"):
        migrate.check(sqlite_engine)


def test_check_detects_vocabulary_drift(sqlite_engine):
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE vocab_sex SET label = 'F' WHERE code = 'female'"))
    with pytest.raises(RegistryError, match="vocab_sex.female"):
        migrate.check(sqlite_engine)


def test_database_newer_than_code_is_refused(sqlite_engine):
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'fffffffffff9'"))
    with pytest.raises(RegistryError, match="newer code"):
        migrate.upgrade(sqlite_engine)


def test_every_foreign_key_is_indexed_and_named():
    for table in metadata.sorted_tables:
        indexed = {tuple(c.name for c in ix.columns) for ix in table.indexes}
        indexed |= {tuple(c.name for c in uc.columns) for uc in table.constraints if hasattr(uc, "columns")}
        for fk in table.foreign_key_constraints:
            cols = tuple(c.name for c in fk.columns)
            assert any(ix[: len(cols)] == cols for ix in indexed), f"{table.name}.{cols} has no index"
        assert table.comment, f"{table.name} has no description"
        for col in table.columns:
            assert col.comment, f"{table.name}.{col.name} has no description"


def test_every_constraint_is_named(sqlite_engine):
    insp = inspect(sqlite_engine)
    for name in insp.get_table_names():
        if name == "alembic_version":
            continue
        for ck in insp.get_check_constraints(name):
            assert ck["name"] and ck["name"].startswith(f"ck_{name}_"), (name, ck)
        for fk in insp.get_foreign_keys(name):
            assert fk["name"] and fk["name"].startswith(f"fk_{name}_"), (name, fk)


EXTRACTION_TABLES = {"extraction_reports", "extraction_agreement", "extraction_decisions",
                     "vocab_agreement_kind", "vocab_extraction_aspect"}


def test_extraction_revision_adds_its_tables_and_down_takes_only_them(backend_url):
    """0006: the extraction report tables and their two vocabularies, up and down, the rest untouched."""
    engine = make_engine(backend_url)
    migrate.upgrade(engine, "0003")
    before = set(inspect(engine).get_table_names())
    assert not before & EXTRACTION_TABLES
    migrate.upgrade(engine, "0006")
    after = set(inspect(engine).get_table_names())
    assert after - before == EXTRACTION_TABLES
    with engine.connect() as conn:
        for name in ("agreement_kind", "extraction_aspect"):
            table = VOCAB_TABLES[name]
            codes = [r.code for r in conn.execute(select(table.c.code).order_by(table.c.sort_order))]
            assert codes == list(VOCABULARIES[name].codes)
    insp = inspect(engine)
    fks = {fk["referred_table"]: fk["options"].get("ondelete") for fk in insp.get_foreign_keys("extraction_reports")}
    assert fks == {"publications": "CASCADE"}
    migrate.downgrade(engine, "0003")
INTAKE_TABLES = {"searches", "search_records", "candidates", "screening_decisions",
                 "vocab_screening_stage", "vocab_screening_decision", "vocab_exclusion_reason"}


def test_intake_revision_down_and_up(backend_url):
    """0005 adds exactly the intake and screening tables and vocabularies, and takes exactly them away."""
    engine = make_engine(backend_url)
    # whatever 0005 follows once the revisions are chained
    below = ScriptDirectory.from_config(migrate.alembic_config()).get_revision("0005").down_revision
    migrate.upgrade(engine, below)
    before = set(inspect(engine).get_table_names())
    assert not before & INTAKE_TABLES
    migrate.upgrade(engine, "0005")
    assert set(inspect(engine).get_table_names()) - before == INTAKE_TABLES
    with engine.connect() as conn:
        reasons = [r for (r,) in conn.execute(text("SELECT code FROM vocab_exclusion_reason ORDER BY sort_order"))]
    assert reasons == list(VOCABULARIES["exclusion_reason"].codes)
    migrate.downgrade(engine, below)
    assert set(inspect(engine).get_table_names()) == before


def _audit_triggers(engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            sql = ("SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
                   "AND c.relname LIKE 'audit_%' AND c.relnamespace = current_schema()::regnamespace")
        else:
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit_%'"
        return set(conn.execute(text(sql)).scalars())


def test_audit_log_revision_up_and_down(backend_url):
    """0008 adds the audit tables and their append-only triggers on top of 0003, and takes them away again."""
    engine = make_engine(backend_url)
    migrate.upgrade(engine, "0003")
    assert not {"audit_changes", "audit_log"} & set(inspect(engine).get_table_names())
    migrate.upgrade(engine, "0008")
    assert {"audit_changes", "audit_log"} <= set(inspect(engine).get_table_names())
    expected = ({"audit_changes_append_only", "audit_log_append_only"} if engine.dialect.name == "postgresql" else
                {f"{t}_no_{e}" for t in ("audit_changes", "audit_log") for e in ("update", "delete")})
    assert _audit_triggers(engine) == expected
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_changes (id, at, curator, curator_source, command) "
                          "VALUES (1, CURRENT_TIMESTAMP, 'ana', 'option', 'seed')"))
    with pytest.raises(Exception, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_changes"))
    migrate.downgrade(engine, "0003")
    assert not {"audit_changes", "audit_log"} & set(inspect(engine).get_table_names())
    assert _audit_triggers(engine) == set()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_proc WHERE proname = 'audit_append_only' "
                                     "AND pronamespace = current_schema()::regnamespace")).scalar() == 0


def test_0004_marks_existing_cases_and_downgrades_without_losing_rows(backend_url):
    """0004 adds cases.facts_changed_at: existing cases get the upgrade time; going back drops only the column
    (SQLite alters the table in place: rebuilding it would cascade-delete every case's record)."""
    engine = make_engine(backend_url)
    # whatever 0004 follows once the revisions are chained
    below = ScriptDirectory.from_config(migrate.alembic_config()).get_revision("0004").down_revision
    migrate.upgrade(engine, below)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO cases (id, case_key, age_is_approximate, day1_anchor, onset_is_approximate, "
                          "is_synthetic, row_version) VALUES (1, 'x2020-1', false, 'first dose', false, false, 1)"))
        conn.execute(text("INSERT INTO drugs (id, name) VALUES (1, 'allopurinol')"))
        conn.execute(text("INSERT INTO drug_exposures (id, case_id, seq, drug_id, role) VALUES (1, 1, 1, 1, 'suspect')"))
    migrate.upgrade(engine)
    migrate.check(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT facts_changed_at FROM cases")).scalar_one() is not None
    migrate.downgrade(engine, below)
    assert "facts_changed_at" not in {c["name"] for c in inspect(engine).get_columns("cases")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM drug_exposures")).scalar_one() == 1
    migrate.upgrade(engine)
    migrate.check(engine)
    engine.dispose()


def test_0009_keeps_every_row_lets_year_and_journal_be_null_and_checks_hours(backend_url):
    """0009 adds genetic_tests, procedures and columns without rebuilding a table that has children (SQLite would
    cascade-delete them), lets a publication lack year and journal, and checks recurrence hours against days;
    downgrade refuses while a publication lacks them, then goes back keeping every row."""
    engine = make_engine(backend_url)
    migrate.upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO publications (id, key, authors, title, journal, year, article_type, source_access, "
                          "is_synthetic) VALUES (1, 'x2020', 'X A', 'T', 'J', 2020, 'case_report', 'full_text', false)"))
        conn.execute(text("INSERT INTO cases (id, case_key, age_is_approximate, day1_anchor, onset_is_approximate, "
                          "is_synthetic, row_version) VALUES (1, 'x2020-1', false, 'first dose', false, false, 1)"))
        conn.execute(text("INSERT INTO case_publications (case_id, publication_id, role) VALUES (1, 1, 'primary_report')"))
        conn.execute(text("INSERT INTO drugs (id, name) VALUES (1, 'allopurinol')"))
        conn.execute(text("INSERT INTO drug_exposures (id, case_id, seq, drug_id, role) VALUES (1, 1, 1, 1, 'suspect')"))
        conn.execute(text("INSERT INTO challenge_events (id, exposure_id, seq, challenge_type, time_to_recurrence_days) "
                          "VALUES (1, 1, 1, 'rechallenge', 1)"))
        conn.execute(text("INSERT INTO challenge_steps (id, challenge_id, step_number, protocol_day, dose_value, dose_unit) "
                          "VALUES (1, 1, 1, 1, 10, 'mg')"))
        conn.execute(text("INSERT INTO evidence (id, case_id, subject_table, subject_id, publication_id, status, is_curated) "
                          "VALUES (1, 1, 'cases', 1, 1, 'stated', true)"))
    counts = ("publications", "case_publications", "challenge_events", "challenge_steps", "evidence")

    def rows():
        with engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in counts}

    migrate.upgrade(engine, "0009")
    assert rows() == dict.fromkeys(counts, 1)
    assert {"genetic_tests", "procedures", "vocab_genotype_result", "vocab_procedure"} <= set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        conn.execute(text("UPDATE challenge_events SET time_to_recurrence_hours = 30"))  # 30 h is day 1: agrees
        conn.execute(text("INSERT INTO publications (id, key, authors, title, article_type, source_access, is_synthetic) "
                          "VALUES (2, 'y2021', 'Y B', 'U', 'case_report', 'abstract_only', false)"))
    for bad in (12, -1):  # 12 h is not day 1; negative
        with pytest.raises(Exception, match="recurrence_hours_sane"):
            with engine.begin() as conn:
                conn.execute(text(f"UPDATE challenge_events SET time_to_recurrence_hours = {bad}"))
    if migrate.head_revision() == "0009":
        migrate.check(engine)
    with pytest.raises(Exception, match="no year or journal"):
        migrate.downgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM publications WHERE id = 2"))
    migrate.downgrade(engine, "0004")
    assert rows() == dict.fromkeys(counts, 1)
    assert "time_to_recurrence_hours" not in {c["name"] for c in inspect(engine).get_columns("challenge_events")}
    with pytest.raises(Exception):
        with engine.begin() as conn:
            conn.execute(text("UPDATE publications SET year = NULL"))
    migrate.upgrade(engine)
    migrate.check(engine)
    engine.dispose()


def test_0010_lets_authors_be_null_adds_the_report_codes_and_downgrades_only_when_nothing_uses_them(backend_url):
    """0010 lets a publication lack authors (no table rebuilt, every row kept) and adds the vocabulary terms the
    issue-16 reports need, partial_text second among the source accesses; downgrade refuses while a publication
    lacks authors or a row uses a new code, then restores NOT NULL and the old vocabularies."""
    engine = make_engine(backend_url)
    migrate.upgrade(engine, "0009")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO publications (id, key, authors, title, journal, year, article_type, source_access, "
                          "is_synthetic) VALUES (1, 'x2020', 'X A', 'T', 'J', 2020, 'case_report', 'full_text', false)"))
        conn.execute(text("INSERT INTO cases (id, case_key, age_is_approximate, day1_anchor, onset_is_approximate, "
                          "is_synthetic, row_version) VALUES (1, 'x2020-1', false, 'first dose', false, false, 1)"))
        conn.execute(text("INSERT INTO case_publications (case_id, publication_id, role) VALUES (1, 1, 'primary_report')"))
        conn.execute(text("INSERT INTO evidence (id, case_id, subject_table, subject_id, publication_id, status, is_curated) "
                          "VALUES (1, 1, 'cases', 1, 1, 'stated', true)"))
    counts = ("publications", "case_publications", "evidence")

    def rows():
        with engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in counts}

    def codes(vocab):
        with engine.connect() as conn:
            return [c for (c,) in conn.execute(text(f"SELECT code FROM vocab_{vocab} ORDER BY sort_order, code"))]

    old_access = codes("source_access")
    migrate.upgrade(engine, "0010")
    assert rows() == dict.fromkeys(counts, 1)
    assert codes("source_access") == ["full_text", "partial_text", "abstract_only", "citation_only"]
    assert {"hsv", "vzv", "ltt", "patch_test", "skin_prick_test", "intradermal_test"} <= set(codes("investigation"))
    assert {"ck", "urea", "neutrophils_abs", "haemoglobin", "tarc", "lactate"} <= set(codes("analyte"))
    assert {"mmol/L", "g/dL", "g/L", "pg/mL"} <= set(codes("lab_unit"))
    assert "g/kg" in codes("dose_unit")
    if migrate.head_revision() == "0010":
        migrate.check(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO publications (id, key, title, article_type, source_access, is_synthetic) "
                          "VALUES (2, 'y2021', 'U', 'case_report', 'partial_text', false)"))
        conn.execute(text("INSERT INTO lab_results (id, case_id, seq, analyte, value, comparator, unit) "
                          "VALUES (1, 1, 1, 'ck', 5200, '=', 'U/L')"))
    with pytest.raises(Exception, match="no authors"):
        migrate.downgrade(engine, "0009")
    with engine.begin() as conn:
        conn.execute(text("UPDATE publications SET authors = 'Y B' WHERE id = 2"))
    with pytest.raises(Exception, match="added by revision 0010"):
        migrate.downgrade(engine, "0009")  # the publication's partial_text
    with engine.begin() as conn:
        conn.execute(text("UPDATE publications SET source_access = 'abstract_only' WHERE id = 2"))
    with pytest.raises(Exception, match="lab_results row.*added by revision 0010"):
        migrate.downgrade(engine, "0009")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM lab_results"))
        conn.execute(text("DELETE FROM publications WHERE id = 2"))
    migrate.downgrade(engine, "0009")
    assert rows() == dict.fromkeys(counts, 1)
    assert codes("source_access") == old_access
    assert "ck" not in codes("analyte") and "g/kg" not in codes("dose_unit")
    with pytest.raises(Exception):
        with engine.begin() as conn:
            conn.execute(text("UPDATE publications SET authors = NULL"))
    migrate.upgrade(engine)
    migrate.check(engine)
    engine.dispose()
