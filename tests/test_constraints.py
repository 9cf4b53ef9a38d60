"""The schema rejects impossible rows on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from registry.schema.models import Case, DoseRegimen, Drug, DrugExposure, LabResult, Publication


def _case(conn, **overrides) -> int:
    values = {"case_key": "c-1", "day1_anchor": "first dose of imatinib", "age_is_approximate": False,
              "onset_is_approximate": False, "is_synthetic": False, "row_version": 1}
    values.update(overrides)
    return conn.execute(insert(Case).values(**values).returning(Case.id)).scalar_one()


def test_age_over_120_years_rejected(engine):
    with pytest.raises(IntegrityError, match="age_0_120_years"):
        with engine.begin() as conn:
            _case(conn, age_value=150, age_unit="a")
    with engine.connect() as conn:
        assert conn.execute(select(Case)).all() == []


def test_age_in_months_may_exceed_120(engine):
    with engine.begin() as conn:
        _case(conn, age_value=150, age_unit="mo")


def test_negative_dose_rejected(engine):
    with pytest.raises(IntegrityError, match="dose_positive"):
        with engine.begin() as conn:
            case_id = _case(conn)
            drug_id = conn.execute(insert(Drug).values(name="imatinib").returning(Drug.id)).scalar_one()
            exp = conn.execute(
                insert(DrugExposure).values(case_id=case_id, seq=1, drug_id=drug_id, role="suspect").returning(DrugExposure.id)
            ).scalar_one()
            conn.execute(insert(DoseRegimen).values(exposure_id=exp, seq=1, dose_value=-400, dose_unit="mg"))


def test_lab_for_missing_case_rejected(engine):
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(insert(LabResult).values(case_id=999, seq=1, analyte="eosinophils_abs", value=1690, unit="/uL", comparator="="))


def test_unknown_vocabulary_code_rejected(engine):
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            _case(conn, sex="unknown-sex")


def test_absurd_day_rejected(engine):
    with pytest.raises(IntegrityError, match="onset_day_sane"):
        with engine.begin() as conn:
            _case(conn, onset_day=99999)


def test_duplicate_doi_rejected(engine):
    pub = dict(authors="A B", title="t", journal="j", year=2020, article_type="case_report",
               source_access="full_text", is_synthetic=False, doi="10.1/x")
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(insert(Publication).values(key="a", **pub))
            conn.execute(insert(Publication).values(key="b", **pub))


def test_deleting_a_case_deletes_its_children(engine):
    with engine.begin() as conn:
        case_id = _case(conn)
        conn.execute(insert(LabResult).values(case_id=case_id, seq=1, analyte="eosinophils_abs", value=600, unit="/uL", comparator="="))
        conn.execute(text("DELETE FROM cases WHERE id = :id"), {"id": case_id})
        assert conn.execute(select(LabResult)).all() == []
