"""Test data for the publish tests: two cases written through the ORM.

`park2021-1` follows Park et al. 2021 (Case Rep Oncol, doi:10.1159/000519471):
imatinib for metastatic GIST, DRESS about two weeks in, withdrawal and
prednisolone, re-introduction by desensitisation, a flare two months later,
reslizumab while imatinib went on, escalation to 600 mg and a later switch to
sunitinib. Exact relative days that the paper gives only roughly ("2 weeks",
"2 months") are set to plausible values and marked approximate; the two
eosinophil counts after the 1,690/µL flare are illustrative test values, not
curated data. The curated age follows the brief (62); the abstract says 65,
which is kept as a non-curated evidence row so that the discrepancies table
has something real to show.

`doe2020-1` is deliberately sparse (unknown age, sex, country and onset) and
its publication title carries a script tag, to prove that every page escapes
source text. None of this is registry data; the real seed lives in seed/.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.core.db import session_factory
from registry.schema.models import (
    Assessment,
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

PARK_KEY = "park2021-1"
SPARSE_KEY = "doe2020-1"
SCRIPT_TITLE = "Imatinib rash <script>alert(1)</script> in a letter"
SEARCH_WORD = "reslizumab"


def _drugs(s: Session) -> dict[str, Drug]:
    drugs = {
        "imatinib": Drug(name="imatinib", atc_code="L01EA01", drug_class="BCR-ABL/KIT tyrosine kinase inhibitor"),
        "sunitinib": Drug(name="sunitinib", atc_code="L01EX01", drug_class="multi-target tyrosine kinase inhibitor"),
        "prednisolone": Drug(name="prednisolone", atc_code="H02AB06", drug_class="glucocorticoid"),
        "reslizumab": Drug(name="reslizumab", atc_code="R03DX08", drug_class="anti-IL-5 monoclonal antibody"),
    }
    s.add_all(drugs.values())
    s.flush()
    return drugs


def _park(s: Session, drugs: dict[str, Drug]) -> Case:
    pub = Publication(
        key="park2021",
        authors="Park H, Choi GS, Lee EM",
        title="Successful Treatment of Imatinib-Induced DRESS Syndrome Using Reslizumab without Cessation of Imatinib: A Case Report",
        journal="Case Rep Oncol",
        year=2021,
        volume="14",
        issue="3",
        pages="1548-1554",
        doi="10.1159/000519471",
        pmid=34899250,
        language="en",
        article_type="case_report",
        source_access="abstract_only",
        notes="Abstract read; the case description is paraphrased from it.",
    )
    s.add(pub)
    s.flush()

    case = Case(
        case_key=PARK_KEY,
        label_in_source="the patient",
        age_value=62,
        age_unit="a",
        sex="female",
        country="KR",
        diagnosis_as_reported="imatinib-induced DRESS syndrome (RegiSCAR criteria)",
        registry_diagnosis="dress",
        day1_anchor="first dose of imatinib 400 mg",
        onset_day=15,
        onset_is_approximate=True,
        summary=(
            "Woman on imatinib for metastatic GIST developed facial oedema and a generalised rash about two weeks in. "
            "Imatinib was withdrawn and prednisolone given; it was re-introduced by desensitisation, the reaction "
            "flared two months later with eosinophilia, and reslizumab let imatinib continue."
        ),
    )
    s.add(case)
    s.flush()
    s.add(CasePublication(case_id=case.id, publication_id=pub.id, role="primary_report"))

    ima = DrugExposure(
        case_id=case.id, seq=1, drug_id=drugs["imatinib"].id, role="suspect",
        indication="gastrointestinal stromal tumour", route="oral", start_day=1, stop_day=420,
        action_taken="withdrawn", dechallenge_result="positive",
        notes="Withdrawn at onset, re-introduced by desensitisation, continued under reslizumab.",
    )
    s.add(ima)
    s.flush()
    s.add_all([
        DoseRegimen(exposure_id=ima.id, seq=1, dose_value=400, dose_unit="mg", interval_value=1, interval_unit="d",
                    start_day=1, stop_day=15, reason="initial"),
        DoseRegimen(exposure_id=ima.id, seq=2, dose_value=400, dose_unit="mg", interval_value=1, interval_unit="d",
                    start_day=32, stop_day=300, reason="desensitisation_target"),
        DoseRegimen(exposure_id=ima.id, seq=3, dose_value=600, dose_unit="mg", interval_value=1, interval_unit="d",
                    start_day=301, stop_day=420, reason="escalation_progression"),
    ])
    desens = ChallengeEvent(
        exposure_id=ima.id, seq=1, challenge_type="desensitisation", start_day=29, result="recurrence",
        time_to_recurrence_days=60, notes="Flare about two months after the restart.",
    )
    continued = ChallengeEvent(
        exposure_id=ima.id, seq=2, challenge_type="continued_through", start_day=89, result="tolerated",
        notes="Imatinib kept going at 400 mg while reslizumab was given.",
    )
    s.add_all([desens, continued])
    s.flush()
    steps = [(1, 1, 25, None), (2, 1, 25, 30), (3, 1, 50, 30), (4, 1, 100, 30), (5, 2, 200, None), (6, 4, 400, None)]
    s.add_all([
        ChallengeStep(challenge_id=desens.id, step_number=n, protocol_day=d, dose_value=v, dose_unit="mg", interval_minutes=m)
        for n, d, v, m in steps
    ])

    suni = DrugExposure(
        case_id=case.id, seq=2, drug_id=drugs["sunitinib"].id, role="alternative_after_switch",
        indication="gastrointestinal stromal tumour", route="oral", start_day=421,
    )
    s.add(suni)

    resl = Treatment(case_id=case.id, seq=2, drug_id=drugs["reslizumab"].id, category="anti_il5",
                  dose_value=100, dose_unit="mg", route="intravenous", start_day=100, response="relapsed",
                  notes="Eosinophils fell at once; mild signs returned after two weeks.")
    s.add_all([
        Treatment(case_id=case.id, seq=1, drug_id=drugs["prednisolone"].id, category="systemic_corticosteroid",
                  dose_value=15, dose_unit="mg", route="oral", start_day=15, response="improved"),
        resl,
        Treatment(case_id=case.id, seq=3, drug_id=drugs["reslizumab"].id, category="anti_il5",
                  dose_value=200, dose_unit="mg", route="intravenous", start_day=114, response="resolved"),
    ])
    s.add(CaseOutcome(case_id=case.id, reaction_outcome="recovered", death=False, therapy_fate="switched",
                      switched_to_drug_id=drugs["sunitinib"].id,
                      notes="Imatinib continued, later at 600 mg, then replaced by sunitinib."))
    s.add_all([
        Finding(case_id=case.id, finding="facial_oedema", status="present", day=15),
        Finding(case_id=case.id, finding="rash", status="present", day=15, detail="generalised"),
        Finding(case_id=case.id, finding="eosinophilia", status="present", day=89),
        Finding(case_id=case.id, finding="fever", status="not_available"),
    ])
    flare = LabResult(case_id=case.id, seq=1, analyte="eosinophils_abs", value=1690, unit="/uL", day=89,
                      day_is_approximate=True, time_point="flare two months after the restart")
    s.add_all([
        flare,
        LabResult(case_id=case.id, seq=2, analyte="eosinophils_abs", value=1450, unit="/uL", day=100,
                  day_is_approximate=True, time_point="before reslizumab (illustrative test value)"),
        LabResult(case_id=case.id, seq=3, analyte="eosinophils_abs", value=0.3, unit="10*9/L", day=107,
                  day_is_approximate=True, time_point="after reslizumab (illustrative test value)"),
    ])
    s.add(Assessment(case_id=case.id, instrument="regiscar_dress", assessor="authors",
                     notes="The authors say the RegiSCAR criteria were met; no total is given in the abstract."))
    s.flush()
    s.add_all([
        Evidence(case_id=case.id, subject_table="cases", subject_id=case.id, field="age_value",
                 publication_id=pub.id, status="stated", locator="Case report", derivation="stated",
                 value_as_stated="62 years", is_curated=True,
                 curation_note="The case description gives 62 years; the registry follows it."),
        Evidence(case_id=case.id, subject_table="cases", subject_id=case.id, field="age_value",
                 publication_id=pub.id, status="stated", locator="Abstract", derivation="stated",
                 value_as_stated="65 years", is_curated=False,
                 curation_note="The abstract gives 65 years; not followed."),
        Evidence(case_id=case.id, subject_table="cases", subject_id=case.id, field="onset_day",
                 publication_id=pub.id, status="stated", locator="Abstract", derivation="calculated",
                 value_as_stated="2 weeks after starting imatinib", is_curated=True,
                 curation_note="Two weeks counted as day 15 (day 1 = first dose)."),
        Evidence(case_id=case.id, subject_table="lab_results", subject_id=flare.id, field="value",
                 publication_id=pub.id, status="stated", locator="Abstract", derivation="stated",
                 value_as_stated="1,690/µL", is_curated=True),
        Evidence(case_id=case.id, subject_table="treatments", subject_id=resl.id, field=None,
                 publication_id=pub.id, status="stated", locator="Abstract", derivation="stated",
                 value_as_stated="reslizumab", is_curated=True),
    ])
    return case


def _sparse(s: Session, drugs: dict[str, Drug]) -> Case:
    pub = Publication(
        key="doe2020", authors="Doe J, Roe R", title=SCRIPT_TITLE, journal="J Test Case Rep", year=2020,
        article_type="letter", source_access="citation_only", doi="10.9999/test.0001",
        notes="Made-up publication for escaping tests.",
    )
    s.add(pub)
    s.flush()
    case = Case(case_key=SPARSE_KEY, day1_anchor="first dose of imatinib (not dated in the source)",
                summary="Rash on imatinib for chronic myeloid leukaemia; little else is known.")
    s.add(case)
    s.flush()
    s.add(CasePublication(case_id=case.id, publication_id=pub.id, role="primary_report"))
    exp = DrugExposure(case_id=case.id, seq=1, drug_id=drugs["imatinib"].id, role="suspect",
                       indication="chronic myeloid leukaemia", start_day=1)
    s.add(exp)
    s.flush()
    s.add(DoseRegimen(exposure_id=exp.id, seq=1, dose_value=400, dose_unit="mg", reason="initial"))
    s.add(Finding(case_id=case.id, finding="rash", status="present"))
    s.add(LabResult(case_id=case.id, seq=1, analyte="eosinophils_abs", value=0.9, unit="10*9/L"))
    s.add_all([
        Assessment(case_id=case.id, instrument="regiscar_dress", assessor="authors", total=6, category="definite"),
        Assessment(case_id=case.id, instrument="regiscar_dress", assessor="registry", total=2, total_min=1,
                   total_max=4, category="possible", category_range="possible-probable"),
    ])
    s.flush()
    s.add_all([
        Evidence(case_id=case.id, subject_table="cases", subject_id=case.id, field="age_value",
                 publication_id=pub.id, status="not_available", is_curated=True),
        Evidence(case_id=case.id, subject_table="cases", subject_id=case.id, field="sex",
                 publication_id=pub.id, status="not_reported", locator="Letter text", is_curated=True),
    ])
    return case


def write_cases(engine: Engine) -> None:
    """Write both test cases into a migrated (head) database."""
    with session_factory(engine).begin() as s:
        drugs = _drugs(s)
        _park(s, drugs)
        _sparse(s, drugs)


def write_synthetic_case(engine: Engine) -> None:
    """One benchmark-style case and publication flagged is_synthetic."""
    with session_factory(engine).begin() as s:
        drug = s.query(Drug).filter_by(name="imatinib").one()
        pub = Publication(key="synth0001", authors="Synth A", title="Synthetic benchmark report", journal="Synthetic",
                          year=2025, article_type="synthetic", source_access="full_text", is_synthetic=True)
        s.add(pub)
        s.flush()
        case = Case(case_key="synth0001-1", day1_anchor="first dose", is_synthetic=True, sex="male", onset_day=20,
                    summary="Synthetic zebraword case.")
        s.add(case)
        s.flush()
        s.add(CasePublication(case_id=case.id, publication_id=pub.id, role="primary_report"))
        s.add(DrugExposure(case_id=case.id, seq=1, drug_id=drug.id, role="suspect", start_day=1))
        s.add(Evidence(case_id=case.id, subject_table="cases", subject_id=case.id, field="sex",
                       publication_id=pub.id, status="stated", is_curated=True))
