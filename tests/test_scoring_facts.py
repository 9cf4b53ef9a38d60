"""From stored facts to item answers, stored registry assessments and flags.

The threshold tests build `CaseFacts` directly (the rules are pure); the
database tests build cases with the ORM into real, migrated databases
(SQLite and, with the `engine` fixture, PostgreSQL) and read back what
`store_registry_assessments` wrote.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.cases.scoring import naranjo as nj
from registry.cases.scoring import regiscar as rs
from registry.cases.scoring.definitions import load_instrument
from registry.cases.scoring.engine import points_for, score
from registry.cases.scoring.facts import (
    CaseFacts,
    ChallengeFact,
    ExposureFact,
    FindingFact,
    InvestigationFact,
    LabFact,
    OutcomeFact,
    load_case_facts,
    load_cases_facts,
)
from registry.cases.scoring.flags import flagged_messages, refresh_registry_scores, score_disagreements
from registry.cases.scoring.store import compute_registry_scores, store_registry_assessments
from registry.cli import cli as dress_registry
from registry.schema.models import (
    Assessment,
    AssessmentItem,
    Case,
    CaseOutcome,
    ChallengeEvent,
    Drug,
    DrugExposure,
    Finding,
    Investigation,
    LabResult,
)
from tests.helpers import BACKENDS

REGISCAR = load_instrument("regiscar_dress")
NARANJO = load_instrument("naranjo")


def facts(**kw) -> CaseFacts:
    return CaseFacts(case_id=1, case_key="t-1", **kw)


def with_findings(**statuses: str) -> CaseFacts:
    return facts(findings={code: FindingFact(None, code, status) for code, status in statuses.items()})


def lab(analyte: str, value: float, unit: str, day: int | None = 10, **kw) -> LabFact:
    return LabFact(None, analyte, value, unit, day=day, **kw)


def item(f: CaseFacts, code: str):
    return score(REGISCAR, rs.regiscar_answers(f)).item(code)


# -- eosinophilia -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "answer", "points"),
    [
        (699, "/uL", "none", 0),
        (700, "/uL", "level_1", 1),
        (1499, "/uL", "level_1", 1),
        (1500, "/uL", "level_2", 2),
        (0.699, "10*9/L", "none", 0),
        (0.7, "10*9/L", "level_1", 1),
        (1.499, "10*9/L", "level_1", 1),
        (1.5, "10*9/L", "level_2", 2),
    ],
)
def test_eosinophil_count_thresholds(value, unit, answer, points):
    it = item(facts(labs=[lab("eosinophils_abs", value, unit)]), "eosinophilia")
    assert (it.answer, it.points, it.points_min, it.points_max) == (answer, points, points, points)


def test_the_peak_count_is_graded_and_named_in_the_basis():
    f = facts(labs=[
        LabFact(11, "eosinophils_abs", 600, "/uL", day=29, day_is_approximate=True),
        LabFact(12, "eosinophils_abs", 1690, "/uL", day=70, day_is_approximate=True),
        LabFact(13, "eosinophils_abs", 10, "/uL", day=90),
    ])
    it = item(f, "eosinophilia")
    assert (it.answer, it.points) == ("level_2", 2)
    assert "lab_results #12 eosinophils_abs 1690 /uL day ~70" in it.basis


@pytest.mark.parametrize(
    ("pct", "wbc", "wbc_unit", "answer"),
    [
        (15, 3999, "/uL", "level_1"),
        (15, 3.999, "10*9/L", "level_1"),
        (20, 3999, "/uL", "level_2"),
        (9.9, 3999, "/uL", "none"),
        (25, 4000, "/uL", "unknown"),
        (25, 4.0, "10*9/L", "unknown"),
    ],
)
def test_percentage_route_only_with_leukocytes_below_4000(pct, wbc, wbc_unit, answer):
    f = facts(labs=[lab("eosinophils_pct", pct, "%"), lab("leukocytes", wbc, wbc_unit)])
    it = item(f, "eosinophilia")
    assert it.answer == answer
    if answer == "unknown":
        assert "not below 4000" in it.basis and (it.points, it.points_min, it.points_max) == (0, 0, 2)


def test_percentage_route_needs_the_leukocytes_from_the_same_time_point():
    other_day = facts(labs=[lab("eosinophils_pct", 25, "%", day=10), lab("leukocytes", 3000, "/uL", day=11)])
    assert item(other_day, "eosinophilia").answer == "unknown"
    assert "no leukocyte count at that time point" in item(other_day, "eosinophilia").basis
    labelled = facts(labs=[
        lab("eosinophils_pct", 25, "%", day=None, time_point="second admission"),
        lab("leukocytes", 3000, "/uL", day=None, time_point="second admission"),
    ])
    assert item(labelled, "eosinophilia").answer == "level_2"


def test_the_higher_of_the_two_routes_wins():
    f = facts(labs=[lab("eosinophils_abs", 800, "/uL", day=5), lab("eosinophils_pct", 22, "%", day=9),
                    lab("leukocytes", 2500, "/uL", day=9)])
    assert item(f, "eosinophilia").answer == "level_2"


def test_a_count_given_as_more_than_leaves_the_higher_grades_open():
    it = item(facts(labs=[lab("eosinophils_abs", 1000, "/uL", comparator=">")]), "eosinophilia")
    assert (it.answer, it.points, it.points_min, it.points_max) == ("level_1", 1, 1, 2)
    assert "eosinophils_abs >1000 /uL" in it.basis


def test_eosinophilia_stated_without_a_count_is_unknown():
    it = item(with_findings(eosinophilia="present"), "eosinophilia")
    assert (it.answer, it.points, it.points_min, it.points_max) == ("unknown", 0, 0, 2)
    assert "findings.eosinophilia = present" in it.basis


# -- findings-based items -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "answer", "points", "lo", "hi"),
    [("present", "yes", 0, 0, 0), ("absent", "no", -1, -1, -1), ("not_reported", "unknown", -1, -1, 0),
     ("not_available", "unknown", -1, -1, 0), (None, "unknown", -1, -1, 0)],
)
def test_fever_and_its_unknown_penalty(status, answer, points, lo, hi):
    f = with_findings(fever=status) if status else facts()
    it = item(f, "fever")
    assert (it.answer, it.points, it.points_min, it.points_max) == (answer, points, lo, hi)
    assert it.basis == (f"findings.fever = {status}" if status else "findings.fever not recorded")


@pytest.mark.parametrize(
    ("status", "answer", "points", "lo", "hi"),
    [("present", "yes", 0, 0, 0), ("absent", "no", -1, -1, -1), ("not_done", "not_done", 0, 0, 0),
     ("not_reported", "unknown", 0, -1, 0), ("not_available", "unknown", 0, -1, 0)],
)
def test_skin_biopsy_only_subtracts(status, answer, points, lo, hi):
    it = item(with_findings(skin_biopsy_suggestive=status), "skin_biopsy")
    assert (it.answer, it.points, it.points_min, it.points_max) == (answer, points, lo, hi)
    assert it.points_max <= 0


@pytest.mark.parametrize(
    ("statuses", "answer", "points", "lo", "hi"),
    [
        ({"facial_oedema": "present", "purpura": "present"}, "yes", 1, 1, 1),
        ({"facial_oedema": "present", "purpura": "absent", "infiltration": "absent", "desquamation": "absent"}, "no", -1, -1, -1),
        ({"facial_oedema": "present", "purpura": "not_reported", "infiltration": "absent", "desquamation": "absent"},
         "unknown", 0, -1, 1),
        ({}, "unknown", 0, -1, 1),
    ],
)
def test_suggestive_rash_needs_two_features(statuses, answer, points, lo, hi):
    it = item(with_findings(**statuses), "rash_suggestive")
    assert (it.answer, it.points, it.points_min, it.points_max) == (answer, points, lo, hi)


ALL_ORGANS = rs.ORGAN_FINDINGS


@pytest.mark.parametrize(
    ("present", "rest", "answer", "points", "lo", "hi"),
    [
        (0, "absent", "none", 0, 0, 0),
        (1, "absent", "one", 1, 1, 1),
        (2, "absent", "two_or_more", 2, 2, 2),
        (3, "absent", "two_or_more", 2, 2, 2),
        (1, "not_reported", "one", 1, 1, 2),
        (0, "not_reported", "unknown", 0, 0, 2),
        (2, "not_reported", "two_or_more", 2, 2, 2),
    ],
)
def test_organ_count(present, rest, answer, points, lo, hi):
    statuses = {code: ("present" if i < present else rest) for i, code in enumerate(ALL_ORGANS)}
    it = item(with_findings(**statuses), "organ_involvement")
    assert (it.answer, it.points, it.points_min, it.points_max) == (answer, points, lo, hi)


def test_organs_without_any_row_are_unknown_not_absent():
    it = item(with_findings(organ_liver="present"), "organ_involvement")
    assert (it.answer, it.points_min, it.points_max) == ("one", 1, 2)
    assert "not known for organ_kidney" in it.basis


def test_lymph_nodes_and_atypical_lymphocytes():
    assert item(with_findings(lymphadenopathy="present"), "lymphadenopathy").points == 1
    assert item(with_findings(lymphadenopathy="not_done"), "lymphadenopathy").answer == "unknown"
    assert item(facts(labs=[lab("atypical_lymphocytes_pct", 7, "%")]), "atypical_lymphocytes").answer == "yes"
    assert item(facts(labs=[lab("atypical_lymphocytes_pct", 0, "%")]), "atypical_lymphocytes").answer == "no"
    assert item(with_findings(atypical_lymphocytes="absent"), "atypical_lymphocytes").answer == "no"


# -- resolution and other causes --------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "answer", "points", "lo", "hi"),
    [(14, "no", -1, -1, -1), (15, "yes", 0, 0, 0), (16, "yes", 0, 0, 0), (None, "unknown", -1, -1, 0)],
)
def test_resolution_in_15_days_or_more(days, answer, points, lo, hi):
    it = item(facts(outcome=OutcomeFact(time_to_resolution_days=days)), "resolution_ge_15_days")
    assert (it.answer, it.points, it.points_min, it.points_max) == (answer, points, lo, hi)


def test_no_outcome_row_is_unknown_resolution_and_long_follow_up_without_resolution_is_yes():
    assert item(facts(), "resolution_ge_15_days").answer == "unknown"
    ongoing = facts(outcome=OutcomeFact(reaction_outcome="not_recovered", follow_up_days=20))
    assert item(ongoing, "resolution_ge_15_days").answer == "yes"
    short = facts(outcome=OutcomeFact(reaction_outcome="not_recovered", follow_up_days=10))
    assert item(short, "resolution_ge_15_days").answer == "unknown"


def with_tests(*pairs: tuple[str, str | None]) -> CaseFacts:
    return facts(investigations=[InvestigationFact(i, t, r) for i, (t, r) in enumerate(pairs, start=1)])


@pytest.mark.parametrize(
    ("pairs", "answer", "points", "lo", "hi"),
    [
        ([("ana", "negative"), ("hbv", "negative")], "unknown", 0, 0, 1),
        ([("ana", "negative"), ("hbv", "negative"), ("hcv", "negative")], "yes", 1, 1, 1),
        ([("ana", "negative"), ("hbv", "negative"), ("hcv", "negative"), ("blood_culture", "positive")], "no", 0, 0, 0),
        ([("ana", "negative"), ("chlamydia", "negative"), ("mycoplasma", "negative")], "unknown", 0, 0, 1),
        ([("ana", "negative"), ("hbv", "negative"), ("hiv", "negative"), ("hhv6", "positive")], "unknown", 0, 0, 1),
        ([("ana", "negative"), ("hbv", "negative"), ("hcv", None)], "unknown", 0, 0, 1),
        ([], "unknown", 0, 0, 1),
    ],
)
def test_other_causes_need_three_negative_item8_tests_and_none_positive(pairs, answer, points, lo, hi):
    it = item(with_tests(*pairs), "other_causes_excluded")
    assert (it.answer, it.points, it.points_min, it.points_max) == (answer, points, lo, hi)


# -- Naranjo rules -------------------------------------------------------------------------


def imatinib(**kw) -> ExposureFact:
    return ExposureFact(**({"id": 7, "drug": "imatinib", "role": "suspect", "start_day": 1} | kw))


def naranjo(f: CaseFacts, exp: ExposureFact, **kw):
    return score(NARANJO, nj.naranjo_answers(f, exp, **kw))


@pytest.mark.parametrize(("onset", "answer"), [(15, "yes"), (1, "dont_know"), (-3, "no"), (None, "dont_know")])
def test_naranjo_q2_event_after_the_drug(onset, answer):
    assert naranjo(facts(onset_day=onset), imatinib()).item("q2").answer == answer


@pytest.mark.parametrize(
    ("dechallenge", "answer"),
    [("positive", "yes"), ("partial", "yes"), ("negative", "no"), ("not_done", "dont_know"), (None, "dont_know")],
)
def test_naranjo_q3_dechallenge(dechallenge, answer):
    assert naranjo(facts(), imatinib(dechallenge_result=dechallenge)).item("q3").answer == answer


@pytest.mark.parametrize(
    ("events", "answer", "points"),
    [
        ([("desensitisation", "tolerated"), ("desensitisation", "recurrence")], "yes", 2),
        ([("rechallenge", "tolerated")], "no", -1),
        ([("rechallenge", "inconclusive")], "dont_know", 0),
        ([("continued_through", "recurrence")], "dont_know", 0),
        ([], "dont_know", 0),
    ],
)
def test_naranjo_q4_readministration(events, answer, points):
    exp = imatinib(challenges=tuple(ChallengeFact(i, t, r) for i, (t, r) in enumerate(events, start=1)))
    q4 = naranjo(facts(), exp).item("q4")
    assert (q4.answer, q4.points) == (answer, points)


def test_naranjo_q5_other_suspects_or_positive_tests_are_alternative_causes():
    exp = imatinib()
    alone = facts(exposures=[exp], investigations=[InvestigationFact(1, "hbv", "negative")])
    assert naranjo(alone, exp).item("q5").answer == "dont_know"
    other = facts(exposures=[exp, ExposureFact(8, "allopurinol", "co_suspect")])
    q5 = naranjo(other, exp).item("q5")
    assert (q5.answer, q5.points) == ("yes", -1) and "allopurinol" in q5.basis
    infected = facts(exposures=[exp], investigations=[InvestigationFact(1, "blood_culture", "positive")])
    assert naranjo(infected, exp).item("q5").answer == "yes"
    assert naranjo(alone, exp, alternative_causes=False).item("q5").points == 2


def test_naranjo_q1_and_unstored_questions_stay_dont_know():
    r = naranjo(facts(), imatinib())
    for q in ("q1", "q6", "q7", "q8", "q9", "q10"):
        assert r.item(q).answer == "dont_know" and r.item(q).basis
    assert naranjo(facts(), imatinib(), previous_reports=True).item("q1").points == 1


# -- property: any facts give an in-range score; any fill stays in the interval -------


STATUSES = st.sampled_from(["present", "absent", "not_done", "not_reported", "not_available"])
FINDING_CODES = ["fever", "lymphadenopathy", "atypical_lymphocytes", "rash_extent_gt50", "eosinophilia",
                 "skin_biopsy_suggestive", *rs.RASH_FEATURES, *ALL_ORGANS]


@st.composite
def random_facts(draw) -> CaseFacts:
    findings = draw(st.dictionaries(st.sampled_from(FINDING_CODES), STATUSES))
    labs = draw(st.lists(st.builds(
        lambda a, v, u, d: LabFact(None, a, v, u, day=d),
        st.sampled_from(["eosinophils_abs", "eosinophils_pct", "leukocytes", "atypical_lymphocytes_pct"]),
        st.floats(0, 20000, allow_nan=False), st.sampled_from(["/uL", "10*9/L", "%"]), st.integers(1, 3),
    ), max_size=6))
    invs = draw(st.lists(st.builds(
        lambda t, r: InvestigationFact(None, t, r),
        st.sampled_from(["ana", "blood_culture", "hav", "hbv", "hcv", "mycoplasma", "chlamydia", "hiv", "hhv6"]),
        st.sampled_from([None, "positive", "negative", "borderline", "inconclusive"]),
    ), max_size=8))
    days = draw(st.one_of(st.none(), st.integers(0, 60)))
    return facts(findings={c: FindingFact(None, c, s) for c, s in findings.items()}, labs=labs,
                 investigations=invs, outcome=OutcomeFact(time_to_resolution_days=days))


@settings(max_examples=300, deadline=None)
@given(f=random_facts(), data=st.data())
def test_any_facts_score_within_range_and_fills_stay_in_the_interval(f, data):
    r = score(REGISCAR, rs.regiscar_answers(f))
    assert -4 <= r.total_min <= r.total <= r.total_max <= 9
    # Fill each open item with any answer the facts still allow (its points
    # within the item's range: a case with one organ known involved cannot
    # become "no organ"), and the total must stay inside the interval.
    fill = {}
    for it in r.items:
        if it.settled:
            fill[it.code] = it.answer
            continue
        allowed = [a for a in REGISCAR.item(it.code).answer_codes
                   if (p := points_for(REGISCAR, it.code, a)) is not None and it.points_min <= p <= it.points_max]
        assert allowed, (it.code, it.points_min, it.points_max)
        fill[it.code] = data.draw(st.sampled_from(allowed))
    assert r.total_min <= score(REGISCAR, fill).total <= r.total_max


# -- database -----------------------------------------------------------------------------


def _investigation(seq: int, test: str, result: str | None, **kw) -> Investigation:
    # investigations gained a `seq` column; set it when the model has it.
    if "seq" in Investigation.__table__.c:
        kw["seq"] = seq
    return Investigation(test=test, result=result, **kw)


def build_park(session: Session, drug: Drug) -> Case:
    """Park et al. 2021 (Case Rep Oncol 14:1548) as curators would store it."""
    case = Case(case_key="park2021-1", day1_anchor="first imatinib dose", onset_day=15, onset_is_approximate=True)
    for code, status in {
        "fever": "absent", "rash": "present", "rash_extent_gt50": "present", "facial_oedema": "present",
        "purpura": "present", "infiltration": "not_reported", "desquamation": "not_reported",
        "skin_biopsy_suggestive": "not_done", "lymphadenopathy": "not_reported",
        "atypical_lymphocytes": "not_reported", "organ_liver": "absent", "eosinophilia": "present",
    }.items():
        case.findings.append(Finding(finding=code, status=status))
    case.labs += [
        LabResult(seq=1, analyte="eosinophils_abs", value=600, unit="/uL", day=29, day_is_approximate=True),
        LabResult(seq=2, analyte="eosinophils_pct", value=15, unit="%", day=29, day_is_approximate=True),
        LabResult(seq=3, analyte="eosinophils_abs", value=1690, unit="/uL", day=70, day_is_approximate=True),
        LabResult(seq=4, analyte="eosinophils_pct", value=27, unit="%", day=70, day_is_approximate=True),
    ]
    case.investigations += [_investigation(1, "ana", "negative"), _investigation(2, "hbv", "negative"),
                            _investigation(3, "hcv", "negative")]
    exposure = DrugExposure(seq=1, drug=drug, role="suspect", start_day=1, dechallenge_result="positive")
    exposure.challenges += [ChallengeEvent(seq=1, challenge_type="desensitisation", result="recurrence"),
                            ChallengeEvent(seq=2, challenge_type="desensitisation", result="recurrence")]
    case.exposures.append(exposure)
    case.outcome = CaseOutcome(reaction_outcome="recovered")
    authors = Assessment(instrument="regiscar_dress", assessor="authors", total=3, category="possible")
    authors.items += [
        AssessmentItem(item_code="eosinophilia", answer=">=1500", points=2, basis="1690/uL"),
        AssessmentItem(item_code="rash_extent", answer="yes", points=1, basis="rash over the entire body"),
        AssessmentItem(item_code="rash_suggestive", answer="yes", points=1, basis="facial oedema and purpura"),
        AssessmentItem(item_code="other_causes_excluded", answer="yes", points=1, basis="ANA, HBV, HCV negative"),
        AssessmentItem(item_code="fever", answer="no", points=-1, basis="no fever"),
        AssessmentItem(item_code="skin_biopsy", answer="not_done", points=-1, basis="no skin biopsy"),
    ]
    case.assessments.append(authors)
    session.add(case)
    return case


def build_zgolli(session: Session, drug: Drug) -> Case:
    """Zgolli et al. 2019 (Curr Drug Saf 14:151), from its abstract only."""
    case = Case(case_key="zgolli2019-1", day1_anchor="first imatinib dose", onset_day=15, onset_is_approximate=True)
    for code, status in {"rash": "present", "eosinophilia": "present", "organ_liver": "present",
                         "fever": "not_available"}.items():
        case.findings.append(Finding(finding=code, status=status))
    exposure = DrugExposure(seq=1, drug=drug, role="suspect", start_day=1, dechallenge_result="positive")
    case.exposures.append(exposure)
    session.add(case)
    session.flush()
    case.assessments += [
        Assessment(instrument="regiscar_dress", assessor="authors", total=3),
        Assessment(instrument="naranjo", assessor="authors", total=5, category="probable", exposure_id=exposure.id),
    ]
    return case


def _write_cases(engine) -> dict[str, int]:
    with Session(engine) as s, s.begin():
        drug = Drug(name="imatinib")
        park, zgolli = build_park(s, drug), build_zgolli(s, drug)
        s.flush()
        ids = {"park": park.id, "zgolli": zgolli.id}
    return ids


@pytest.fixture(scope="module", params=BACKENDS)
def cases_template(request, db_templates):
    """The migrated database with Park and Zgolli written, once per module and backend."""
    return db_templates.module_template(request, _write_cases)


@pytest.fixture
def cases(cases_template, clone_database):
    """This test's own copy of the database with Park and Zgolli (PostgreSQL tests marked read_only share one that
    refuses writes), and their case ids."""
    return clone_database(cases_template), cases_template.info


def _rows(conn, assessor: str) -> list[tuple]:
    """Assessment rows with their items, without ids, for comparison."""
    a, it = Assessment.__table__, AssessmentItem.__table__
    out = []
    for r in conn.execute(select(a).where(a.c.assessor == assessor).order_by(a.c.case_id, a.c.instrument, a.c.exposure_id)):
        items = conn.execute(
            select(it.c.item_code, it.c.answer, it.c.points, it.c.points_min, it.c.points_max, it.c.basis)
            .where(it.c.assessment_id == r.id).order_by(it.c.item_code)
        ).all()
        out.append((r.case_id, r.exposure_id, r.instrument, r.instrument_version, r.total, r.total_min, r.total_max,
                    r.category, r.category_range, r.notes, tuple(tuple(i) for i in items)))
    return out


@pytest.mark.read_only
def test_load_case_facts_reads_every_table(cases):
    engine, ids = cases
    with engine.connect() as conn:
        f = load_case_facts(conn, ids["park"])
    assert f.case_key == "park2021-1" and f.onset_day == 15 and f.onset_is_approximate
    assert f.findings["fever"].status == "absent"
    assert [lab.value for lab in f.labs_of("eosinophils_abs")] == [600, 1690]
    assert {i.test: i.result for i in f.investigations} == {"ana": "negative", "hbv": "negative", "hcv": "negative"}
    (exp,) = f.suspect_exposures
    assert (exp.drug, exp.start_day, exp.dechallenge_result) == ("imatinib", 1, "positive")
    assert [c.result for c in exp.challenges] == ["recurrence", "recurrence"]
    assert f.outcome.reaction_outcome == "recovered" and f.outcome.time_to_resolution_days is None
    with engine.connect() as conn, pytest.raises(KeyError):
        load_case_facts(conn, 999999)


def test_store_writes_registry_rows_and_leaves_authors_rows_alone(cases):
    engine, ids = cases
    with engine.connect() as conn:
        authors_before = _rows(conn, "authors")
    written = store_registry_assessments(engine)
    assert len(written) == 4  # RegiSCAR and Naranjo (one suspect drug) for each case
    with engine.connect() as conn:
        registry = _rows(conn, "registry")
        assert _rows(conn, "authors") == authors_before
        eos_lab = conn.execute(
            select(LabResult.__table__.c.id).where(LabResult.__table__.c.case_id == ids["park"], LabResult.__table__.c.seq == 3)
        ).scalar_one()
    park = {r[2]: r for r in registry if r[0] == ids["park"]}
    rg = park["regiscar_dress"]
    assert rg[1] is None  # case-level
    assert rg[3:9] == ("1.0", 3, 3, 8, "possible", "possible-definite")
    items = {i[0]: i[1:] for i in rg[10]}
    assert len(items) == 10
    assert items["fever"][:4] == ("no", -1, -1, -1) and items["fever"][4] == "findings.fever = absent"
    assert items["eosinophilia"][:4] == ("level_2", 2, 2, 2)
    assert f"lab_results #{eos_lab} eosinophils_abs 1690 /uL day ~70" in items["eosinophilia"][4]
    assert items["skin_biopsy"][:4] == ("not_done", 0, 0, 0)
    assert items["lymphadenopathy"][:4] == ("unknown", 0, 0, 1)
    assert items["organ_involvement"][:4] == ("unknown", 0, 0, 2)
    assert items["resolution_ge_15_days"][:4] == ("unknown", -1, -1, 0)
    assert items["other_causes_excluded"][:4] == ("yes", 1, 1, 1)
    n = park["naranjo"]
    assert n[1] is not None and n[4:9] == (5, 3, 13, "probable", "possible-definite")
    nitems = {i[0]: i[1:] for i in n[10]}
    assert nitems["q2"][:2] == ("yes", 2) and nitems["q3"][:2] == ("yes", 1) and nitems["q4"][:2] == ("yes", 2)
    assert nitems["q5"][:4] == ("dont_know", 0, -1, 2)
    zg = {r[2]: r for r in registry if r[0] == ids["zgolli"]}
    assert zg["regiscar_dress"][4:9] == (-1, -3, 9, "no_case", "no_case-definite")
    assert zg["naranjo"][4:7] == (3, 0, 13)


def test_storing_twice_gives_the_same_rows(cases):
    engine, _ = cases
    store_registry_assessments(engine)
    with engine.connect() as conn:
        first = _rows(conn, "registry")
        n_items = conn.execute(select(AssessmentItem.__table__.c.id)).all()
    store_registry_assessments(engine)
    with engine.connect() as conn:
        assert _rows(conn, "registry") == first
        assert len(conn.execute(select(AssessmentItem.__table__.c.id)).all()) == len(n_items)


def _record_fever(engine, case_id: int) -> None:
    """Change one fact behind the scores: fever becomes present."""
    f = Finding.__table__
    with engine.begin() as conn:
        conn.execute(f.update().where(f.c.case_id == case_id, f.c.finding == "fever").values(status="present"))


def test_storing_one_case_replaces_only_that_cases_registry_rows(cases):
    engine, ids = cases
    store_registry_assessments(engine)
    _record_fever(engine, ids["park"])
    with engine.begin() as conn:
        zgolli_before = [r for r in _rows(conn, "registry") if r[0] == ids["zgolli"]]
        store_registry_assessments(conn, [ids["park"]])
    with engine.connect() as conn:
        rows = _rows(conn, "registry")
    assert [r for r in rows if r[0] == ids["zgolli"]] == zgolli_before
    park_rg = next(r for r in rows if r[0] == ids["park"] and r[2] == "regiscar_dress")
    assert park_rg[4] == 4 and park_rg[7] == "probable"  # fever now present: -1 -> 0


def test_an_unknown_case_id_raises_and_changes_nothing(cases):
    engine, ids = cases
    store_registry_assessments(engine)
    with engine.connect() as conn:
        before = _rows(conn, "registry")
    with pytest.raises(KeyError):
        store_registry_assessments(engine, [ids["park"], 999999])
    with engine.connect() as conn:
        assert _rows(conn, "registry") == before


def test_store_joins_the_callers_transaction_and_rolls_back_with_it(cases):
    engine, ids = cases
    store_registry_assessments(engine)
    with engine.connect() as conn:
        before = _rows(conn, "registry")
    _record_fever(engine, ids["park"])
    with pytest.raises(RuntimeError), engine.begin() as conn:
        store_registry_assessments(conn, [ids["park"]])
        assert _rows(conn, "registry") != before  # replaced inside the transaction...
        raise RuntimeError("caller fails after storing")
    with engine.connect() as conn:
        assert _rows(conn, "registry") == before  # ...and rolled back with it


@pytest.mark.read_only
def test_disagreements_explain_parks_biopsy_and_accept_zgolli(cases):
    engine, ids = cases
    with engine.connect() as conn:
        rows = score_disagreements(conn)
    by = {(r["case_key"], r["instrument"]): r for r in rows}
    assert set(by) == {("park2021-1", "regiscar_dress"), ("zgolli2019-1", "regiscar_dress"), ("zgolli2019-1", "naranjo")}
    park = by["park2021-1", "regiscar_dress"]
    assert (park["authors_total"], park["registry_total"], park["registry_total_min"], park["registry_total_max"]) == (3, 3, 3, 8)
    assert park["outside_interval"] is False and park["items_do_not_add_up"] is False
    assert park["category_mismatch"] is False and park["flagged"]
    (mismatch,) = park["item_mismatches"]
    assert mismatch == {"item_code": "skin_biopsy", "kind": "points", "authors_answer": "not_done",
                        "authors_points": -1, "instrument_points": 0}
    assert any("skin_biopsy" in m and "-1" in m and "+0" in m and "only subtract" in m for m in park["messages"])
    zr, zn = by["zgolli2019-1", "regiscar_dress"], by["zgolli2019-1", "naranjo"]
    assert (zr["authors_total"], zr["registry_total_min"], zr["registry_total_max"], zr["outside_interval"]) == (3, -3, 9, False)
    assert zr["items_do_not_add_up"] is None and not zr["flagged"] and zr["messages"] == []
    assert (zn["authors_total"], zn["registry_total"], zn["outside_interval"], zn["flagged"]) == (5, 3, False, False)
    assert zn["drug"] == "imatinib (exposure 1)"


def test_disagreements_outside_interval_items_not_adding_up_and_wrong_category(sqlite_engine):
    with Session(sqlite_engine) as s, s.begin():
        case = Case(case_key="t-flags", day1_anchor="first dose", onset_day=20)
        settled = {"fever": "present", "lymphadenopathy": "absent", "atypical_lymphocytes": "absent",
                   "rash_extent_gt50": "absent", "facial_oedema": "absent", "infiltration": "absent",
                   "purpura": "absent", "desquamation": "absent", "skin_biopsy_suggestive": "not_done",
                   **{o: "absent" for o in ALL_ORGANS}}
        case.findings += [Finding(finding=c, status=st_) for c, st_ in settled.items()]
        case.labs.append(LabResult(seq=1, analyte="eosinophils_abs", value=2.1, unit="10*9/L", day=20))
        case.investigations.append(_investigation(1, "blood_culture", "positive"))
        case.outcome = CaseOutcome(time_to_resolution_days=30)
        wrong = Assessment(instrument="regiscar_dress", assessor="authors", total=6, category="Definite")
        wrong.items += [AssessmentItem(item_code="eosinophilia", answer="level_2", points=2),
                        AssessmentItem(item_code="organ_involvement", answer="one", points=2)]
        case.assessments.append(wrong)
        s.add(case)
    with sqlite_engine.connect() as conn:
        (row,) = score_disagreements(conn)
    # Every item is settled: eos +2, rash not suggestive -1 -> registry total 1.
    assert (row["registry_total"], row["registry_total_min"], row["registry_total_max"]) == (1, 1, 1)
    assert row["outside_interval"] is True
    assert row["items_do_not_add_up"] is True and row["authors_items_sum"] == 4
    assert [m["item_code"] for m in row["item_mismatches"]] == ["organ_involvement"]
    assert row["category_mismatch"] is False  # "Definite" is the right label for 6
    text = " ".join(row["messages"])
    assert "outside 1..1" in text and "add up to 4, not to their total 6" in text


def test_authors_category_that_does_not_match_their_total_is_flagged(sqlite_engine):
    with Session(sqlite_engine) as s, s.begin():
        case = Case(case_key="t-cat", day1_anchor="first dose")
        case.assessments.append(Assessment(instrument="regiscar_dress", assessor="authors", total=3, category="probable"))
        s.add(case)
    with sqlite_engine.connect() as conn:
        (row,) = score_disagreements(conn)
    assert row["category_mismatch"] is True and row["flagged"]
    assert "puts 3 in 'Possible'" in " ".join(row["messages"])


def test_compute_without_store_writes_nothing(sqlite_engine):
    with Session(sqlite_engine) as s, s.begin():
        s.add(Case(case_key="t-none", day1_anchor="first dose"))
    with sqlite_engine.connect() as conn:
        (only,) = compute_registry_scores(conn)  # no suspect drug: RegiSCAR only
        assert only.result.instrument == "regiscar_dress"
        assert conn.execute(select(Assessment.__table__.c.id)).all() == []


@pytest.mark.read_only
def test_loading_every_case_reads_the_same_facts_as_loading_them_by_id(cases):
    engine, ids = cases
    with engine.connect() as conn:
        every = load_cases_facts(conn)
        by_id = load_cases_facts(conn, [ids["zgolli"], ids["park"]])
    assert sorted(every) == sorted(ids.values())
    assert every == by_id
    assert [c.result for c in every[ids["park"]].exposures[0].challenges] == ["recurrence", "recurrence"]


@pytest.mark.read_only
def test_disagreements_against_scores_already_computed_equal_computing_them(cases):
    engine, _ = cases
    with engine.connect() as conn:
        assert score_disagreements(conn, registry=compute_registry_scores(conn)) == score_disagreements(conn)


def test_refresh_stores_the_registry_rows_and_returns_the_flags_publish_shows(cases):
    engine, _ = cases
    with engine.begin() as conn:
        flags = refresh_registry_scores(conn)
    with engine.connect() as conn:
        refreshed = _rows(conn, "registry")
        assert flags == flagged_messages(score_disagreements(conn))
    assert list(flags) == ["park2021-1"]  # zgolli's scores agree with the registry's facts
    assert any("skin_biopsy" in m and "only subtract" in m for m in flags["park2021-1"])

    a = Assessment.__table__
    with engine.connect() as conn:
        ids_before = conn.execute(select(a.c.id).where(a.c.assessor == "registry").order_by(a.c.id)).scalars().all()
    assert refresh_registry_scores(engine) == flags
    with engine.connect() as conn:
        assert _rows(conn, "registry") == refreshed
        assert conn.execute(select(a.c.id).where(a.c.assessor == "registry").order_by(a.c.id)).scalars().all() == ids_before
    with engine.begin() as conn:
        conn.execute(a.delete().where(a.c.assessor == "registry"))
    store_registry_assessments(engine)
    with engine.connect() as conn:
        assert _rows(conn, "registry") == refreshed  # the same rows as the store on its own


def test_refresh_flags_against_the_facts_it_just_stored_and_rolls_back_with_the_caller(cases):
    engine, ids = cases
    refresh_registry_scores(engine)
    with engine.connect() as conn:
        before = _rows(conn, "registry")
    _record_fever(engine, ids["park"])
    with pytest.raises(RuntimeError), engine.begin() as conn:
        flags = refresh_registry_scores(conn)
        # Fever present: the registry's interval moves to 4..9, leaving the authors' 3 outside it.
        assert any("total 3 lies outside 4..9" in m for m in flags["park2021-1"])
        park = next(r for r in _rows(conn, "registry") if r[0] == ids["park"] and r[2] == "regiscar_dress")
        assert park[4:7] == (4, 4, 9)
        raise RuntimeError("publish fails after scoring")
    with engine.connect() as conn:
        assert _rows(conn, "registry") == before


# -- CLI -------------------------------------------------------------------------------------


def _score(runner: CliRunner, url: str, *args: str):
    return runner.invoke(dress_registry, ["--database", url, "score", *args])


def test_cli_prints_items_totals_authors_and_flags_and_stores_on_request(sqlite_engine):
    with Session(sqlite_engine) as s, s.begin():
        build_park(s, Drug(name="imatinib"))
    url = sqlite_engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    out = _score(runner, url, "--case", "park2021-1")
    assert out.exit_code == 0, out.output
    text = out.output
    assert "== park2021-1 ==" in text and "RegiSCAR DRESS validation score (regiscar_dress 1.0)" in text
    assert "registry: total 3 (possible); could be 3..8 (possible-definite)" in text
    assert "authors:  total 3 (possible)" in text
    assert "! For skin_biopsy the authors gave -1" in text
    assert "not_done -1" in text  # the authors' answer beside the registry's
    assert "imatinib (exposure 1)" in text
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(Assessment.__table__.c.id).where(Assessment.__table__.c.assessor == "registry")).all() == []
    stored = _score(runner, url, "--store")
    assert stored.exit_code == 0, stored.output
    assert "stored 2 registry assessment(s)" in stored.output
    with sqlite_engine.connect() as conn:
        assert len(conn.execute(select(Assessment.__table__.c.id).where(Assessment.__table__.c.assessor == "registry")).all()) == 2
    missing = _score(runner, url, "--case", "nope")
    assert missing.exit_code == 2 and "no case with key 'nope'" in missing.output
