"""RegiSCAR DRESS items from stored facts.

Each function answers one item and says why, in words that point at the
rows used. The rules follow Kardaun et al. (2007, 2013); where the facts
settle an item only in part, the answer carries the answers still possible so
the engine can show the interval. Findings with status not_reported or
not_available (or no row at all) are unknown, never "no".
"""

from __future__ import annotations

from registry.cases.scoring.engine import Answer
from registry.cases.scoring.facts import CaseFacts, eosinophil_percentages, leukocytes_below, peak_eosinophils
from registry.schema.vocabulary import (
    VOCABULARIES,
    Analyte,
    Comparator,
    FindingCode,
    FindingStatus,
    InvestigationCode,
    ReactionOutcome,
    TestResult,
)

UNKNOWN = "unknown"

# Eosinophilia cut-offs (Kardaun 2007): absolute counts in /µL; percentages
# count only when leukocytes are below 4000/µL in the same sample.
EOS_LEVEL_1_PER_UL = 700
EOS_LEVEL_2_PER_UL = 1500
EOS_LEVEL_1_PCT = 10
EOS_LEVEL_2_PCT = 20
LEUKOPENIA_PER_UL = 4000
EOS_LEVELS = ("none", "level_1", "level_2")

RASH_FEATURES = (FindingCode.FACIAL_OEDEMA, FindingCode.INFILTRATION, FindingCode.PURPURA, FindingCode.DESQUAMATION)
RASH_FEATURES_NEEDED = 2

ORGAN_FINDINGS = tuple(t.code for t in VOCABULARIES["finding"].terms if t.category == "organ")
ORGAN_LEVELS = ("none", "one", "two_or_more")

RESOLUTION_DAYS = 15

# Item 8 lists ANA, blood culture, HAV, HBV, HCV and Chlamydia/Mycoplasma:
# six tests, Chlamydia and Mycoplasma being one of them. HIV and the
# herpesviruses are not item-8 tests (vocabulary categories say which are).
OTHER_CAUSE_GROUP = {InvestigationCode.CHLAMYDIA: "chlamydia/mycoplasma", InvestigationCode.MYCOPLASMA: "chlamydia/mycoplasma"}
OTHER_CAUSES_NEEDED = 3


def _finding_yes_no(facts: CaseFacts, code: str) -> Answer:
    """present -> yes, absent -> no, anything else -> unknown."""
    f = facts.finding(code)
    if f is None:
        return Answer(UNKNOWN, f"findings.{code} not recorded")
    if f.status == FindingStatus.PRESENT:
        return Answer("yes", f.describe())
    if f.status == FindingStatus.ABSENT:
        return Answer("no", f.describe())
    return Answer(UNKNOWN, f.describe())


def fever(facts: CaseFacts) -> Answer:
    return _finding_yes_no(facts, FindingCode.FEVER)


def lymphadenopathy(facts: CaseFacts) -> Answer:
    return _finding_yes_no(facts, FindingCode.LYMPHADENOPATHY)


def rash_extent(facts: CaseFacts) -> Answer:
    return _finding_yes_no(facts, FindingCode.RASH_EXTENT_GT50)


def atypical_lymphocytes(facts: CaseFacts) -> Answer:
    """The finding first; failing that, a counted percentage (>0 yes, 0 no)."""
    answer = _finding_yes_no(facts, FindingCode.ATYPICAL_LYMPHOCYTES)
    if answer.code != UNKNOWN:
        return answer
    counts = facts.labs_of(Analyte.ATYPICAL_LYMPHOCYTES_PCT)
    if any(lab.value > 0 and lab.comparator in (Comparator.EQ, Comparator.GT, Comparator.GE) for lab in counts):
        lab = max(counts, key=lambda x: x.value)
        return Answer("yes", lab.describe())
    if counts and all(lab.value == 0 and lab.comparator == Comparator.EQ for lab in counts):
        return Answer("no", "; ".join(lab.describe() for lab in counts))
    return answer


def rash_suggestive(facts: CaseFacts) -> Answer:
    """Yes with >=2 features present; no when even the unknown ones could not
    reach 2; otherwise unknown (scored 0 by the instrument)."""
    present, unknown, parts = [], [], []
    for code in RASH_FEATURES:
        f = facts.finding(code)
        status = f.status if f else "not recorded"
        parts.append(f"findings.{code} = {status}")
        if status == FindingStatus.PRESENT:
            present.append(code)
        elif status != FindingStatus.ABSENT:
            unknown.append(code)
    basis = "; ".join(parts)
    if len(present) >= RASH_FEATURES_NEEDED:
        return Answer("yes", f"{len(present)} of 4 features present: {basis}")
    if len(present) + len(unknown) < RASH_FEATURES_NEEDED:
        return Answer("no", f"{len(present)} of 4 features present, {RASH_FEATURES_NEEDED} needed: {basis}")
    return Answer(UNKNOWN, f"{len(present)} of 4 features present, {len(unknown)} unknown: {basis}")


def skin_biopsy(facts: CaseFacts) -> Answer:
    """present -> yes (0), absent -> no (-1), not_done -> not_done (0).

    A biopsy that was not done is settled (it scores 0 and cannot become -1);
    a biopsy the source does not mention is unknown (0, could be -1).
    """
    f = facts.finding(FindingCode.SKIN_BIOPSY_SUGGESTIVE)
    if f is None:
        return Answer(UNKNOWN, "findings.skin_biopsy_suggestive not recorded")
    mapping = {FindingStatus.PRESENT: "yes", FindingStatus.ABSENT: "no", FindingStatus.NOT_DONE: "not_done"}
    return Answer(mapping.get(f.status, UNKNOWN), f.describe())


def _eos_level_abs(per_ul: float) -> int:
    return 2 if per_ul >= EOS_LEVEL_2_PER_UL else 1 if per_ul >= EOS_LEVEL_1_PER_UL else 0


def _eos_level_pct(pct: float) -> int:
    return 2 if pct >= EOS_LEVEL_2_PCT else 1 if pct >= EOS_LEVEL_1_PCT else 0


def eosinophilia(facts: CaseFacts) -> Answer:
    """Grade the peak absolute count; percentages count only with leukocytes
    below 4000/µL in the same sample. The higher grade of the two routes wins.
    With no usable count the item is unknown, even when the authors state
    "eosinophilia" (their threshold may be lower than 700/µL)."""
    grades: list[tuple[int, str]] = []
    skipped: list[tuple[int, str]] = []  # percentages the rule does not let count
    peak = peak_eosinophils(facts)
    if peak is not None:
        lab, per_ul = peak
        grades.append((_eos_level_abs(per_ul), f"{lab.describe()} (peak, {per_ul:g}/µL)"))
    for pct, wbc in eosinophil_percentages(facts):
        level = _eos_level_pct(pct.value)
        if wbc is not None and leukocytes_below(wbc, LEUKOPENIA_PER_UL):
            grades.append((level, f"{pct.describe()} with {wbc.describe()} (< {LEUKOPENIA_PER_UL}/µL)"))
        elif wbc is not None:
            skipped.append((level, f"{pct.describe()} not counted: {wbc.describe()} is not below {LEUKOPENIA_PER_UL}/µL"))
        else:
            skipped.append((level, f"{pct.describe()} not counted: no leukocyte count at that time point"))
    if grades:
        level, why = max(grades, key=lambda g: g[0])
        # Mention a skipped percentage only where it would have scored higher.
        notes = [text for lv, text in skipped if lv > level]
        possible = None
        if peak is not None and peak[0].comparator in (Comparator.GT, Comparator.GE) and _eos_level_abs(peak[1]) == level:
            possible = frozenset(EOS_LEVELS[level:])  # "> 1000/µL" could be 1500 or more
        return Answer(EOS_LEVELS[level], "; ".join([why, *notes]), possible)
    notes = [text for _, text in skipped]
    stated = facts.finding(FindingCode.EOSINOPHILIA)
    if stated is not None:
        notes.append(stated.describe())
    return Answer(UNKNOWN, "; ".join(notes) or "no eosinophil count recorded")


def organ_involvement(facts: CaseFacts) -> Answer:
    """Count organs present. Organs not recorded or not reported could still
    add to the count, so the answer carries the levels still possible."""
    present, unknown = [], []
    for code in ORGAN_FINDINGS:
        f = facts.finding(code)
        if f is not None and f.status == FindingStatus.PRESENT:
            present.append(code)
        elif f is None or f.status != FindingStatus.ABSENT:
            unknown.append(code)

    def level(n: int) -> int:
        return min(n, 2)

    lo, hi = level(len(present)), level(len(present) + len(unknown))
    basis = f"{len(present)} organ(s) present" + (f" ({', '.join(present)})" if present else "")
    if unknown:
        basis += f"; not known for {', '.join(unknown)}"
    possible = frozenset(ORGAN_LEVELS[lo : hi + 1])
    if not present and unknown:
        return Answer(UNKNOWN, basis, possible)
    return Answer(ORGAN_LEVELS[lo], basis, possible)


def resolution_ge_15_days(facts: CaseFacts) -> Answer:
    """Time to resolution >= 15 days -> yes; < 15 -> no. Without a stated time,
    a reaction still not resolved after >= 15 days of follow-up is also yes."""
    o = facts.outcome
    if o is not None and o.time_to_resolution_days is not None:
        d = o.time_to_resolution_days
        return Answer("yes" if d >= RESOLUTION_DAYS else "no", f"case_outcomes.time_to_resolution_days = {d}")
    if (
        o is not None
        and o.reaction_outcome in (ReactionOutcome.RECOVERING, ReactionOutcome.NOT_RECOVERED)
        and o.follow_up_days is not None
        and o.follow_up_days >= RESOLUTION_DAYS
    ):
        return Answer(
            "yes",
            f"case_outcomes.reaction_outcome = {o.reaction_outcome} after follow_up_days = {o.follow_up_days}",
        )
    return Answer(UNKNOWN, "case_outcomes.time_to_resolution_days not recorded")


def other_causes_excluded(facts: CaseFacts) -> Answer:
    """Yes when >= 3 item-8 tests are negative and none positive; no when any
    is positive; otherwise unknown (0), since tests the source does not report
    may still have been done."""
    tests = [i for i in facts.investigations if i.category == "other_cause"]
    positive = [i for i in tests if i.result == TestResult.POSITIVE]
    negative_groups = {OTHER_CAUSE_GROUP.get(i.test, i.test) for i in tests if i.result == TestResult.NEGATIVE}
    basis = "; ".join(i.describe() for i in tests) or "no item-8 tests recorded"
    if positive:
        return Answer("no", f"positive: {basis}")
    n = len(negative_groups)
    if n >= OTHER_CAUSES_NEEDED:
        return Answer("yes", f"{n} negative, none positive: {basis}")
    return Answer(UNKNOWN, f"{n} negative, {OTHER_CAUSES_NEEDED} needed: {basis}")


ITEM_RULES = {
    "fever": fever,
    "lymphadenopathy": lymphadenopathy,
    "eosinophilia": eosinophilia,
    "atypical_lymphocytes": atypical_lymphocytes,
    "rash_extent": rash_extent,
    "rash_suggestive": rash_suggestive,
    "skin_biopsy": skin_biopsy,
    "organ_involvement": organ_involvement,
    "resolution_ge_15_days": resolution_ge_15_days,
    "other_causes_excluded": other_causes_excluded,
}


def regiscar_answers(facts: CaseFacts) -> dict[str, Answer]:
    """Every RegiSCAR item answered from the case's stored facts."""
    return {code: rule(facts) for code, rule in ITEM_RULES.items()}
