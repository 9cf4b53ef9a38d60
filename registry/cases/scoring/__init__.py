"""Diagnostic and causality scores: instrument definitions as data, an engine
that keeps unknown items visible, facts-to-answers rules, storage of the
registry's own assessments and flags where the authors' scores disagree."""

from registry.cases.scoring.definitions import Instrument, load_instrument, load_instruments
from registry.cases.scoring.engine import Answer, ItemResult, ScoreResult, points_for, score
from registry.cases.scoring.facts import CaseFacts, load_case_facts, load_cases_facts

__all__ = [
    "Answer", "CaseFacts", "Instrument", "ItemResult", "ScoreResult", "load_case_facts", "load_cases_facts",
    "load_instrument", "load_instruments", "points_for", "score",
]
