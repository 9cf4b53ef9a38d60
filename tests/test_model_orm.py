"""A Park 2021-like case written with the ORM and read back, every event in order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.schema.models import (
    Assessment,
    AssessmentItem,
    Case,
    CaseOutcome,
    CasePublication,
    ChallengeEvent,
    ChallengeStep,
    DoseRegimen,
    Drug,
    DrugExposure,
    Evidence,
    Finding,
    LabResult,
    Publication,
    Treatment,
)


def _park_like(session: Session) -> None:
    pub = Publication(key="park2021", authors="Park H, Choi GS, Lee EM", title="Successful treatment ...",
                      journal="Case Rep Oncol", year=2021, volume="14", pages="1548-1554", doi="10.1159/000519471",
                      article_type="case_report", source_access="full_text")
    imatinib, sunitinib, reslizumab = Drug(name="imatinib"), Drug(name="sunitinib"), Drug(name="reslizumab")
    case = Case(case_key="park2021-1", age_value=62, age_unit="a", sex="female", country="KR",
                day1_anchor="first dose of imatinib", onset_day=15, onset_is_approximate=True)
    case.publications.append(CasePublication(publication=pub, role="primary_report"))
    desens = ChallengeEvent(seq=1, challenge_type="desensitisation", start_day=29, result="recurrence",
                            time_to_recurrence_days=60, premedication="antihistamines after the protocol")
    desens.steps = [ChallengeStep(step_number=i, protocol_day=d, dose_value=v, dose_unit="mg", interval_minutes=m)
                    for i, (d, v, m) in enumerate([(1, 25, None), (1, 25, 30), (1, 50, 30), (1, 100, 30), (2, 200, None), (4, 400, None)], 1)]
    exposure = DrugExposure(
        seq=1, drug=imatinib, role="suspect", indication="gastrointestinal stromal tumour", route="oral", start_day=1,
        action_taken="withdrawn", dechallenge_result="positive",
        doses=[DoseRegimen(seq=1, dose_value=400, dose_unit="mg", interval_value=1, interval_unit="d", start_day=1, stop_day=15, reason="initial"),
               DoseRegimen(seq=2, dose_value=400, dose_unit="mg", start_day=32, reason="desensitisation_target"),
               DoseRegimen(seq=3, dose_value=400, dose_unit="mg", reason="desensitisation_target"),
               DoseRegimen(seq=4, dose_value=600, dose_unit="mg", reason="escalation_progression")],
        challenges=[desens,
                    ChallengeEvent(seq=2, challenge_type="desensitisation", result="recurrence"),
                    ChallengeEvent(seq=3, challenge_type="continued_through", result="tolerated", premedication="reslizumab")],
    )
    case.exposures = [exposure, DrugExposure(seq=2, drug=sunitinib, role="alternative_after_switch")]
    case.findings = [Finding(finding="facial_oedema", status="present", day=15), Finding(finding="fever", status="absent"),
                     Finding(finding="skin_biopsy_suggestive", status="not_done")]
    case.labs = [LabResult(seq=i, analyte="eosinophils_abs", value=v, unit="/uL", comparator="=") for i, v in enumerate([600, 1690, 10, 170], 1)]
    case.treatments = [Treatment(seq=1, category="systemic_corticosteroid", dose_value=15, dose_unit="mg"),
                       Treatment(seq=2, drug=reslizumab, category="anti_il5", dose_value=100, dose_unit="mg", route="intravenous"),
                       Treatment(seq=3, drug=reslizumab, category="anti_il5", dose_value=200, dose_unit="mg")]
    case.outcome = CaseOutcome(reaction_outcome="recovered", therapy_fate="continued", switched_to=sunitinib, death=False)
    assessment = Assessment(instrument="regiscar_dress", assessor="authors", total=3, category="possible")
    assessment.items = [AssessmentItem(item_code=c, points=p) for c, p in
                        [("eosinophilia", 2), ("rash_extent", 1), ("rash_suggestive", 1), ("other_causes_excluded", 1), ("fever", -1), ("skin_biopsy", -1)]]
    case.assessments = [assessment]
    session.add(case)
    session.flush()
    case.evidence = [Evidence(subject_table="cases", subject_id=case.id, field="age_value", publication=pub,
                              status="stated", locator="Case Presentation, para 1", derivation="stated", value_as_stated="62")]


def test_park_like_case_round_trip(sqlite_engine):
    with Session(sqlite_engine) as session, session.begin():
        _park_like(session)
    with Session(sqlite_engine) as session:
        case = session.scalars(
            select(Case).where(Case.case_key == "park2021-1").options(
                selectinload(Case.exposures).selectinload(DrugExposure.challenges).selectinload(ChallengeEvent.steps))
        ).one()
        imatinib = case.exposures[0]
        assert [d.dose_value for d in imatinib.doses] == [400, 400, 400, 600]
        assert [c.challenge_type for c in imatinib.challenges] == ["desensitisation", "desensitisation", "continued_through"]
        assert [(s.protocol_day, s.dose_value) for s in imatinib.challenges[0].steps] == [(1, 25), (1, 25), (1, 50), (1, 100), (2, 200), (4, 400)]
        assert [lab.value for lab in case.labs] == [600, 1690, 10, 170]
        assert [t.dose_value for t in case.treatments] == [15, 100, 200]
        assert case.outcome.switched_to.name == "sunitinib"
        assert sum(i.points for i in case.assessments[0].items) == case.assessments[0].total == 3
        assert case.evidence[0].publication.doi == "10.1159/000519471"
        assert case.publications[0].role == "primary_report"


def test_concurrent_edit_is_detected(sqlite_engine):
    """row_version: a stale copy of a case cannot overwrite a newer edit."""
    import pytest
    from sqlalchemy.orm.exc import StaleDataError

    with Session(sqlite_engine) as s, s.begin():
        s.add(Case(case_key="c1", day1_anchor="x"))
    a = Session(sqlite_engine, expire_on_commit=False)
    b = Session(sqlite_engine, expire_on_commit=False)
    ca = a.scalars(select(Case)).one()
    cb = b.scalars(select(Case)).one()
    b.commit()  # curator B has the case open in an editor; no transaction held
    ca.sex = "female"
    a.commit()
    cb.sex = "male"
    with pytest.raises(StaleDataError):
        b.commit()
    a.close(), b.close()
