"""Score answers with an instrument definition, keeping unknowns visible.

Published scores treat an unknown item by the instrument's own rule (for
RegiSCAR an unknown fever counts -1, an unknown biopsy 0). That single total
hides how much the score could still move, so the engine returns three
things side by side: the total under the instrument's rule, the interval of
totals the known answers still allow, and the categories that interval spans.
No item is ever dropped or silently scored 0: an item without an answer is
reported as unknown, with its basis saying so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from registry.cases.scoring.definitions import Instrument, Item


class Answer(NamedTuple):
    """An answer to one item, with the facts it rests on.

    `possible` narrows the answers still compatible with the facts when they
    settle part of an item but not all of it (e.g. one organ known involved,
    others not reported: "one" or "two_or_more"). Left as None it means the
    answer itself for a known answer, and every answer for an unknown one.

    Answers and item results are named tuples rather than frozen dataclasses:
    as immutable, and several times cheaper to build, which counts at the
    hundreds of thousands a registry run makes.
    """

    code: str
    basis: str = ""
    possible: frozenset[str] | None = None


class ItemResult(NamedTuple):
    """One item scored: the answer, its points and the interval still possible."""

    code: str
    label: str
    answer: str
    known: bool
    points: int
    points_min: int
    points_max: int
    basis: str

    @property
    def settled(self) -> bool:
        """True when no remaining answer could change this item's points."""
        return self.points_min == self.points_max

    def points_text(self) -> str:
        return str(self.points) if self.settled else f"{self.points} ({self.points_min}..{self.points_max})"


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    version: str
    items: tuple[ItemResult, ...]
    total: int
    total_min: int
    total_max: int
    category: str
    category_range: str
    categories_spanned: tuple[str, ...]

    def item(self, code: str) -> ItemResult:
        for it in self.items:
            if it.code == code:
                return it
        raise KeyError(code)

    @property
    def unknown_items(self) -> tuple[str, ...]:
        return tuple(it.code for it in self.items if not it.known)

    @property
    def unsettled_items(self) -> tuple[str, ...]:
        return tuple(it.code for it in self.items if not it.settled)

    def total_text(self) -> str:
        if self.total_min == self.total_max:
            return f"{self.total} ({self.category})"
        return f"{self.total} ({self.category}); could be {self.total_min}..{self.total_max} ({self.category_range})"


def _score_item(item: Item, given: str | Answer | None) -> ItemResult:
    if given is None:
        code, possible, basis = item.unknown_code, None, "no answer given"
    elif isinstance(given, str):
        code, possible, basis = given, None, ""
    else:
        code, possible, basis = given.code, given.possible, given.basis
        if possible is not None and not isinstance(possible, frozenset):
            possible = frozenset(possible)  # hashable, for the memo below
    # The points depend on the answer and the possible set only, never on the
    # basis, and a registry run sees the same few answers per item thousands
    # of times: each distinct one is resolved and checked once per process.
    memo = item.scored_answers
    key = (code, possible)
    if key not in memo:
        memo[key] = _item_points(item, code, possible)
    answer, known, points, lo, hi = memo[key]
    return ItemResult(item.code, item.label, answer, known, points, lo, hi, basis)


def _item_points(item: Item, given: str, given_possible: frozenset[str] | None) -> tuple[str, bool, int, int, int]:
    """(answer code, known, points, points_min, points_max) for an answer to
    `item`, or ValueError when the answer or its possible set is not valid."""
    code = item.resolve(given)
    if code is None:
        raise ValueError(f"item {item.code}: {given!r} is not an answer (expected one of {item.answer_codes} or unknown)")
    known = not item.is_unknown(code)
    if given_possible is None:
        possible = (code,) if known else item.answer_codes
    else:
        bad = set(given_possible) - set(item.answer_codes)
        if bad or not given_possible:
            raise ValueError(f"item {item.code}: possible answers {sorted(given_possible)} are not all answers of the item")
        if known and code not in given_possible:
            raise ValueError(f"item {item.code}: answer {code!r} is not among its own possible answers")
        possible = tuple(a for a in item.answer_codes if a in given_possible)
    pts = [item.option(a).points for a in possible]
    points = item.option(code).points if known else item.unknown_points
    lo, hi = min(pts), max(pts)
    if not lo <= points <= hi:
        # The instrument's unknown rule would give points no remaining answer
        # can give; the caller's `possible` set contradicts the rule.
        raise ValueError(f"item {item.code}: unknown scores {points}, outside the possible {lo}..{hi}")
    return (code if known else item.unknown_code, known, points, lo, hi)


def score(instrument: Instrument, answers: Mapping[str, str | Answer]) -> ScoreResult:
    """Score `answers` (item code -> answer code or alias, "unknown" or Answer).

    Items missing from `answers` are unknown. Codes that are not items of the
    instrument are an error, so that a typo cannot drop an item.
    """
    stray = answers.keys() - instrument.item_code_set
    if stray:
        raise ValueError(f"{instrument.code}: no such items {sorted(stray)}")
    items = tuple([_score_item(it, answers.get(it.code)) for it in instrument.items])
    total = lo = hi = 0
    for i in items:
        total += i.points
        lo += i.points_min
        hi += i.points_max
    spanned = tuple(c.code for c in instrument.categories_between(lo, hi))
    return ScoreResult(
        instrument=instrument.code,
        version=instrument.version,
        items=items,
        total=total,
        total_min=lo,
        total_max=hi,
        category=instrument.category(total).code,
        category_range=spanned[0] if len(spanned) == 1 else f"{spanned[0]}-{spanned[-1]}",
        categories_spanned=spanned,
    )


def points_for(instrument: Instrument, item_code: str, answer: str) -> int | None:
    """Points the instrument gives `answer` (a code or an alias) for an item,
    the unknown rule for unknown answers; None when the item has no such answer."""
    item = instrument.item(item_code)
    code = item.resolve(answer)
    if code is None:
        return None
    return item.unknown_points if item.is_unknown(code) else item.option(code).points
