"""The scoring engine and the instrument definitions it reads.

Pure tests (no database): cut-offs, the instruments' own rules for unknown
items, the interval of totals still possible, published worked examples and
properties that must hold for every combination of answers.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.cases.scoring.definitions import (
    InstrumentDefinitionError,
    load_instrument,
    load_instrument_file,
    load_instruments,
    parse_instrument,
)
from registry.cases.scoring.engine import Answer, points_for, score
from registry.schema.vocabulary import VOCABULARIES

REGISCAR = load_instrument("regiscar_dress")
NARANJO = load_instrument("naranjo")

# Park et al. 2021 (Case Rep Oncol 14:1548), as the authors broke their
# RegiSCAR score down in the discussion: total 3, "possible". They scored the
# skin biopsy that was not done as -1; items they did not list count 0.
PARK_AUTHORS_ITEMS = {
    "eosinophilia": (">=1500", 2),  # 1690/uL; the seed records the authors' band as ">=1500"
    "rash_extent": ("yes", 1),  # rash over the entire body
    "rash_suggestive": ("yes", 1),  # facial oedema and purpura
    "other_causes_excluded": ("yes", 1),  # ANA, HBV, HCV negative
    "fever": ("no", -1),  # "no fever"
    "skin_biopsy": ("not_done", -1),  # "no skin biopsy"
}


# -- definitions ---------------------------------------------------------------


def test_shipped_instruments_load_with_their_ranges_and_sources():
    insts = load_instruments()
    assert {"regiscar_dress", "naranjo"} <= set(insts)
    assert (REGISCAR.total_min, REGISCAR.total_max) == (-4, 9)
    assert (NARANJO.total_min, NARANJO.total_max) == (-4, 13)
    assert REGISCAR.scope == "case" and NARANJO.scope == "exposure"
    assert "156:609" in REGISCAR.source and "169:1071" in REGISCAR.source
    assert "30:239" in NARANJO.source
    assert len(REGISCAR.items) == 10 and len(NARANJO.items) == 10
    for inst in insts.values():
        assert inst.version
        assert inst.code in VOCABULARIES["instrument"].codes


@pytest.mark.parametrize(
    ("total", "category"),
    [(-4, "no_case"), (0, "no_case"), (1, "no_case"), (2, "possible"), (3, "possible"),
     (4, "probable"), (5, "probable"), (6, "definite"), (9, "definite")],
)
def test_regiscar_category_cut_offs(total, category):
    assert REGISCAR.category(total).code == category


@pytest.mark.parametrize(
    ("total", "category"),
    [(-4, "doubtful"), (0, "doubtful"), (1, "possible"), (4, "possible"), (5, "probable"),
     (8, "probable"), (9, "definite"), (13, "definite")],
)
def test_naranjo_category_cut_offs(total, category):
    assert NARANJO.category(total).code == category


@pytest.mark.parametrize(
    ("question", "yes", "no"),
    [("q1", 1, 0), ("q2", 2, -1), ("q3", 1, 0), ("q4", 2, -1), ("q5", -1, 2),
     ("q6", -1, 1), ("q7", 1, 0), ("q8", 1, 0), ("q9", 1, 0), ("q10", 1, 0)],
)
def test_naranjo_points_per_question(question, yes, no):
    assert points_for(NARANJO, question, "yes") == yes
    assert points_for(NARANJO, question, "no") == no
    assert points_for(NARANJO, question, "dont_know") == 0
    assert points_for(NARANJO, question, "unknown") == 0


@pytest.mark.parametrize(
    ("item", "answer", "points"),
    [
        ("fever", "yes", 0), ("fever", "no", -1), ("fever", "unknown", -1),
        ("lymphadenopathy", "yes", 1), ("lymphadenopathy", "no", 0), ("lymphadenopathy", "unknown", 0),
        ("eosinophilia", "none", 0), ("eosinophilia", "level_1", 1), ("eosinophilia", "level_2", 2),
        ("eosinophilia", "unknown", 0),
        ("atypical_lymphocytes", "yes", 1), ("atypical_lymphocytes", "unknown", 0),
        ("rash_extent", "yes", 1), ("rash_extent", "no", 0), ("rash_extent", "unknown", 0),
        ("rash_suggestive", "yes", 1), ("rash_suggestive", "no", -1), ("rash_suggestive", "unknown", 0),
        ("skin_biopsy", "yes", 0), ("skin_biopsy", "no", -1), ("skin_biopsy", "not_done", 0),
        ("skin_biopsy", "unknown", 0),
        ("organ_involvement", "none", 0), ("organ_involvement", "one", 1),
        ("organ_involvement", "two_or_more", 2), ("organ_involvement", "unknown", 0),
        ("resolution_ge_15_days", "yes", 0), ("resolution_ge_15_days", "no", -1),
        ("resolution_ge_15_days", "unknown", -1),
        ("other_causes_excluded", "yes", 1), ("other_causes_excluded", "no", 0),
        ("other_causes_excluded", "unknown", 0),
    ],
)
def test_regiscar_points_per_answer(item, answer, points):
    assert points_for(REGISCAR, item, answer) == points


def test_points_for_an_answer_the_item_does_not_define_is_none():
    assert points_for(REGISCAR, "skin_biopsy", "maybe") is None


@pytest.mark.parametrize(
    ("item", "text", "code"),
    [("eosinophilia", ">=1500", "level_2"), ("eosinophilia", "700-1499", "level_1"),
     ("skin_biopsy", "Not done", "not_done"), ("skin_biopsy", "not suggestive", "no"),
     ("organ_involvement", "2+", "two_or_more"), ("fever", "YES", "yes"), ("fever", "unknown", "unknown")],
)
def test_published_wordings_resolve_to_answer_codes(item, text, code):
    assert REGISCAR.item(item).resolve(text) == code
    assert score(REGISCAR, {item: text}).item(item).answer == code


def test_naranjo_dont_know_wordings():
    assert NARANJO.item("q5").resolve("Don't know") == "dont_know"
    assert NARANJO.item("q5").resolve("do not know") == "dont_know"


def _regiscar_raw() -> dict:
    from importlib import resources

    import yaml

    text = (resources.files("registry.cases.scoring") / "instruments" / "regiscar_dress.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def test_loader_rejects_unquoted_yes_no_answer_codes():
    raw = _regiscar_raw()
    raw["items"][0]["answers"][0]["code"] = True  # what a bare `yes` becomes
    with pytest.raises(InstrumentDefinitionError, match="quote yes/no"):
        parse_instrument(raw)


def test_loader_rejects_a_total_range_the_items_do_not_add_up_to():
    raw = _regiscar_raw()
    raw["total"]["max"] = 10
    with pytest.raises(InstrumentDefinitionError, match="add up to -4..9"):
        parse_instrument(raw)


def test_loader_rejects_categories_with_a_gap():
    raw = _regiscar_raw()
    raw["categories"][2]["min"] = 5
    with pytest.raises(InstrumentDefinitionError, match="gap or overlap"):
        parse_instrument(raw)


def test_loader_rejects_an_alias_that_repeats_an_answer():
    raw = _regiscar_raw()
    raw["items"][0]["answers"][0]["aliases"] = ["No"]
    with pytest.raises(InstrumentDefinitionError, match="alias repeats"):
        parse_instrument(raw)


def test_loader_rejects_unknown_points_outside_the_answers_range():
    raw = _regiscar_raw()
    raw["items"][0]["unknown"]["points"] = -2
    with pytest.raises(InstrumentDefinitionError, match="outside"):
        parse_instrument(raw)


def test_a_new_instrument_needs_only_a_yaml_file(tmp_path):
    """The engine has no instrument-specific code: a toy file scores as is."""
    path = tmp_path / "toy.yaml"
    path.write_text(
        """
code: toy
name: Toy score
version: "0.1"
scope: case
source: test only
total: {min: -1, max: 3}
categories:
  - {code: low, label: Low, max: 0}
  - {code: high, label: High, min: 1}
items:
  - code: a
    label: A
    answers: [{code: "yes", label: "Yes", points: 2}, {code: "no", label: "No", points: -1}]
    unknown: {code: unknown, points: 0}
  - code: b
    label: B
    answers: [{code: present, label: Present, points: 1}, {code: absent, label: Absent, points: 0}]
    unknown: {code: not_known, points: 0}
""",
        encoding="utf-8",
    )
    toy = load_instrument_file(path)
    r = score(toy, {"a": "yes", "b": "not_known"})
    assert (r.total, r.total_min, r.total_max, r.category, r.category_range) == (2, 2, 3, "high", "high")
    assert r.item("b").answer == "not_known" and not r.item("b").known
    assert toy.deriver() is None


# -- engine ----------------------------------------------------------------------


def test_unknown_fever_scores_minus_one_and_stays_visible():
    r = score(REGISCAR, {"fever": "unknown"})
    fever = r.item("fever")
    assert (fever.answer, fever.known, fever.points, fever.points_min, fever.points_max) == ("unknown", False, -1, -1, 0)
    assert "fever" in r.unknown_items


def test_an_item_without_an_answer_is_unknown_not_silently_zero():
    r = score(REGISCAR, {"fever": "yes"})
    assert len(r.items) == 10
    lymph = r.item("lymphadenopathy")
    assert not lymph.known and lymph.basis == "no answer given"
    assert (lymph.points_min, lymph.points_max) == (0, 1)
    assert set(r.unknown_items) == set(REGISCAR.item_codes) - {"fever"}


def test_everything_unknown_gives_the_instruments_rule_and_the_full_range():
    r = score(REGISCAR, {})
    # Only fever and resolution are penalised when unknown.
    assert (r.total, r.total_min, r.total_max) == (-2, -4, 9)
    assert (r.category, r.category_range) == ("no_case", "no_case-definite")
    assert r.categories_spanned == ("no_case", "possible", "probable", "definite")
    n = score(NARANJO, {})
    assert (n.total, n.total_min, n.total_max, n.category, n.category_range) == (0, -4, 13, "doubtful", "doubtful-definite")
    assert all(i.answer == "dont_know" for i in n.items)


@pytest.mark.parametrize(
    ("answer", "points", "lo", "hi"),
    [("yes", 0, 0, 0), ("no", -1, -1, -1), ("not_done", 0, 0, 0), ("unknown", 0, -1, 0)],
)
def test_skin_biopsy_can_only_subtract(answer, points, lo, hi):
    it = score(REGISCAR, {"skin_biopsy": answer}).item("skin_biopsy")
    assert (it.points, it.points_min, it.points_max) == (points, lo, hi)
    assert it.points_max <= 0


def test_unknown_suggestive_rash_scores_zero_but_could_be_minus_one_or_plus_one():
    it = score(REGISCAR, {"rash_suggestive": "unknown"}).item("rash_suggestive")
    assert (it.points, it.points_min, it.points_max) == (0, -1, 1)


def test_possible_answers_narrow_the_interval():
    r = score(REGISCAR, {"organ_involvement": Answer("one", "liver present", frozenset({"one", "two_or_more"}))})
    it = r.item("organ_involvement")
    assert (it.answer, it.points, it.points_min, it.points_max, it.basis) == ("one", 1, 1, 2, "liver present")
    assert not it.settled and it.known


def test_engine_rejects_bad_input():
    with pytest.raises(ValueError, match="no such items"):
        score(REGISCAR, {"fevre": "yes"})
    with pytest.raises(ValueError, match="not an answer"):
        score(REGISCAR, {"fever": "maybe"})
    with pytest.raises(ValueError, match="not among its own possible"):
        score(REGISCAR, {"organ_involvement": Answer("none", possible=frozenset({"one"}))})
    with pytest.raises(ValueError, match="outside the possible"):
        # fever unknown scores -1 by the rule, which "yes" alone cannot give
        score(REGISCAR, {"fever": Answer("unknown", possible=frozenset({"yes"}))})


def test_a_repeated_answer_scores_the_same_with_its_own_basis_and_bad_input_fails_every_time():
    # The engine remembers each item's scored answers; the basis and errors must not be remembered with them.
    one_or_more = frozenset({"one", "two_or_more"})
    first = score(REGISCAR, {"fever": Answer("no", "case 1"), "organ_involvement": Answer("one", "a", one_or_more)})
    again = score(REGISCAR, {"fever": Answer("no", "case 2"), "organ_involvement": Answer("one", "b", one_or_more)})
    assert [(i.answer, i.points, i.points_min, i.points_max) for i in first.items] == [
        (i.answer, i.points, i.points_min, i.points_max) for i in again.items
    ]
    assert (first.item("fever").basis, again.item("fever").basis) == ("case 1", "case 2")
    assert again.item("organ_involvement").basis == "b" and again.total_max == first.total_max
    narrowed = score(REGISCAR, {"organ_involvement": Answer("one", "a", frozenset({"one"}))})
    assert narrowed.item("organ_involvement").points_max == 1  # another possible set is another answer
    for _ in range(2):
        with pytest.raises(ValueError, match="not an answer"):
            score(REGISCAR, {"fever": "maybe"})


# -- published worked examples ---------------------------------------------------


def test_park_2021_as_the_authors_scored_it_is_3_possible():
    answers = {k: a for k, (a, _) in PARK_AUTHORS_ITEMS.items()}
    # The authors' -1 for the biopsy corresponds to the instrument's "no"
    # (done, not suggestive); the items they did not list scored 0.
    answers |= {"skin_biopsy": "no", "lymphadenopathy": "no", "atypical_lymphocytes": "no",
                "organ_involvement": "none", "resolution_ge_15_days": "yes"}
    r = score(REGISCAR, answers)
    assert (r.total, r.category) == (3, "possible")
    assert r.total_min == r.total_max == 3
    assert sum(p for _, p in PARK_AUTHORS_ITEMS.values()) == 3


def test_park_2021_item_points_against_the_definition():
    """Every item of the authors' breakdown scores as the instrument says,
    except the biopsy not done, which the instrument scores 0, not -1."""
    differ = {
        item: (pts, points_for(REGISCAR, item, ans))
        for item, (ans, pts) in PARK_AUTHORS_ITEMS.items()
        if points_for(REGISCAR, item, ans) != pts
    }
    assert differ == {"skin_biopsy": (-1, 0)}


def test_park_2021_with_the_biopsy_scored_by_the_definition():
    answers = {k: a for k, (a, _) in PARK_AUTHORS_ITEMS.items()}
    # Resolution time is not stated: the instrument's rule gives -1, total 3.
    r = score(REGISCAR, answers | {"resolution_ge_15_days": "unknown"})
    assert (r.total, r.category) == (3, "possible")
    # Had the reaction taken >= 15 days to resolve, the same facts give 4.
    r2 = score(REGISCAR, answers | {"resolution_ge_15_days": "yes", "lymphadenopathy": "no",
                                    "atypical_lymphocytes": "no", "organ_involvement": "none"})
    assert (r2.total, r2.category) == (4, "probable")


def test_zgolli_2019_published_totals_fall_in_the_stated_categories():
    # Zgolli et al., Curr Drug Saf 2019;14:151-4: only the totals are
    # published (RegiSCAR 3; Naranjo 5, "probable").
    assert REGISCAR.category(3).code == "possible"
    assert NARANJO.category(5).code == "probable"
    # With nothing known, both published totals lie inside the interval.
    assert score(REGISCAR, {}).total_min <= 3 <= score(REGISCAR, {}).total_max
    assert score(NARANJO, {}).total_min <= 5 <= score(NARANJO, {}).total_max


# -- properties ------------------------------------------------------------------


def _answers(instrument):
    """Any mix of known answers, "unknown" and missing items."""
    return st.fixed_dictionaries(
        {},
        optional={it.code: st.sampled_from((*it.answer_codes, "unknown", it.unknown_code)) for it in instrument.items},
    )


def _fills(instrument):
    return st.fixed_dictionaries({it.code: st.sampled_from(it.answer_codes) for it in instrument.items})


@pytest.mark.parametrize("instrument", [REGISCAR, NARANJO], ids=lambda i: i.code)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_totals_stay_in_range_and_any_fill_stays_in_the_interval(instrument, data):
    answers = data.draw(_answers(instrument))
    before = score(instrument, answers)
    assert instrument.total_min <= before.total_min <= before.total <= before.total_max <= instrument.total_max
    assert before.category in before.categories_spanned
    fill = data.draw(_fills(instrument))
    completed = {code: (a if code in answers and not instrument.item(code).is_unknown(a) else fill[code])
                 for code, a in ((c, answers.get(c, "unknown")) for c in instrument.item_codes)}
    after = score(instrument, completed)
    assert after.total_min == after.total == after.total_max
    assert before.total_min <= after.total <= before.total_max
    assert after.category in before.categories_spanned


@pytest.mark.parametrize("instrument", [REGISCAR, NARANJO], ids=lambda i: i.code)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_interval_ends_are_reachable(instrument, data):
    answers = data.draw(_answers(instrument))
    r = score(instrument, answers)
    lows, highs = {}, {}
    for it in r.items:
        options = instrument.item(it.code).answers if not it.known else [instrument.item(it.code).option(it.answer)]
        lows[it.code] = min(options, key=lambda o: o.points).code
        highs[it.code] = max(options, key=lambda o: o.points).code
    assert score(instrument, lows).total == r.total_min
    assert score(instrument, highs).total == r.total_max
