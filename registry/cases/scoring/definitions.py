"""Instrument definitions, read from the YAML files in `instruments/`.

The scoring engine knows no instrument by name: everything it needs (items,
answers and their points, what "unknown" scores, the total range and the
category cut-offs) comes from one YAML file per instrument. Adding an
instrument therefore means adding a file (and, if the registry should compute
it from stored facts, a facts-to-answers function named in `answers_from`).

The loader checks each file thoroughly, because a wrong point value in a
definition would silently mis-score every case: the stated total range must
equal the sum of the item ranges, and the categories must tile that range.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

UNKNOWN = "unknown"
"""Answer code every instrument accepts for an item the facts do not settle."""

SCOPES = ("case", "exposure")
VERSION_MAX_LEN = 40  # assessments.instrument_version is String(40)


class InstrumentDefinitionError(ValueError):
    """An instrument YAML file is malformed or internally inconsistent."""


@dataclass(frozen=True)
class AnswerOption:
    code: str
    label: str
    points: int
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    answers: tuple[AnswerOption, ...]
    unknown_code: str
    unknown_points: int
    note: str | None = None
    unknown_aliases: tuple[str, ...] = ()

    @property
    def answer_codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.answers)

    def option(self, code: str) -> AnswerOption:
        for a in self.answers:
            if a.code == code:
                return a
        raise KeyError(code)

    def is_unknown(self, code: str) -> bool:
        return code in (UNKNOWN, self.unknown_code)

    def resolve(self, text: str) -> str | None:
        """The answer code `text` stands for: a code, the unknown code, or an
        alias (the wording published scores use, e.g. ">=1500"), compared
        without case and with spaces read as underscores; None if none."""
        keys = {text, text.strip().lower(), "_".join(text.strip().lower().split())}
        if keys & {UNKNOWN, self.unknown_code, *self.unknown_aliases}:
            return self.unknown_code
        for a in self.answers:
            if keys & {a.code, *a.aliases}:
                return a.code
        return None

    @cached_property
    def scored_answers(self) -> dict[tuple[str, frozenset[str] | None], tuple[str, bool, int, int, int]]:
        """The engine's memo: (answer, possible answers) -> (answer code, known,
        points, min, max). Filled as answers are scored; not part of equality."""
        return {}

    @property
    def min_points(self) -> int:
        return min(a.points for a in self.answers)

    @property
    def max_points(self) -> int:
        return max(a.points for a in self.answers)


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    min: int | None  # None: open below
    max: int | None  # None: open above

    def contains(self, total: int) -> bool:
        return (self.min is None or total >= self.min) and (self.max is None or total <= self.max)


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    version: str
    scope: str
    source: str
    unknown_rule: str
    total_min: int
    total_max: int
    categories: tuple[Category, ...]
    items: tuple[Item, ...]
    answers_from: str | None = None

    def item(self, code: str) -> Item:
        for it in self.items:
            if it.code == code:
                return it
        raise KeyError(code)

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(it.code for it in self.items)

    @cached_property
    def item_code_set(self) -> frozenset[str]:
        """Item codes as a set, built once: every score checks its answers against it."""
        return frozenset(it.code for it in self.items)

    def category(self, total: int) -> Category:
        for c in self.categories:
            if c.contains(total):
                return c
        raise ValueError(f"{self.code}: total {total} is outside {self.total_min}..{self.total_max}")

    def categories_between(self, lo: int, hi: int) -> tuple[Category, ...]:
        """Categories a total anywhere in lo..hi could fall into, in order."""
        return tuple(c for c in self.categories if (c.max is None or c.max >= lo) and (c.min is None or c.min <= hi))

    def deriver(self) -> Callable[..., Any] | None:
        """The facts-to-answers function named by `answers_from`, if any."""
        return _named_function(self.answers_from) if self.answers_from else None


@cache
def _named_function(path: str) -> Callable[..., Any]:
    """The function "module:attr" names, imported once (scoring asks per case)."""
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def _str(raw: dict, key: str, where: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        hint = " (quote yes/no: YAML reads them as booleans)" if isinstance(value, bool) else ""
        raise InstrumentDefinitionError(f"{where}: '{key}' must be a non-empty string, got {value!r}{hint}")
    return value.strip()


def _int(raw: dict, key: str, where: str, *, required: bool = True) -> int | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InstrumentDefinitionError(f"{where}: '{key}' must be an integer, got {value!r}")
    return value


def _aliases(raw: dict, where: str) -> tuple[str, ...]:
    value = raw.get("aliases") or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InstrumentDefinitionError(f"{where}: 'aliases' must be a list of strings (quote yes/no)")
    return tuple(v.strip().lower() for v in value)


def _item(raw: Any, where: str) -> Item:
    if not isinstance(raw, dict):
        raise InstrumentDefinitionError(f"{where}: an item must be a mapping")
    code = _str(raw, "code", where)
    where = f"{where} item {code}"
    answers = []
    for a in raw.get("answers") or []:
        if not isinstance(a, dict):
            raise InstrumentDefinitionError(f"{where}: each answer must be a mapping (code, label, points)")
        answers.append(
            AnswerOption(_str(a, "code", where), _str(a, "label", where), _int(a, "points", where), _aliases(a, where))
        )
    if len(answers) < 2:
        raise InstrumentDefinitionError(f"{where}: needs at least two answers")
    codes = [a.code for a in answers]
    if len(set(codes)) != len(codes):
        raise InstrumentDefinitionError(f"{where}: duplicate answer codes {codes}")
    unknown = raw.get("unknown")
    if not isinstance(unknown, dict):
        raise InstrumentDefinitionError(f"{where}: needs an 'unknown' entry (code, points)")
    item = Item(
        code=code,
        label=_str(raw, "label", where),
        answers=tuple(answers),
        unknown_code=_str(unknown, "code", f"{where} unknown"),
        unknown_points=_int(unknown, "points", f"{where} unknown"),
        note=_str(raw, "note", where, required=False),
        unknown_aliases=_aliases(unknown, f"{where} unknown"),
    )
    if item.unknown_code in codes or UNKNOWN in codes:
        raise InstrumentDefinitionError(f"{where}: the unknown code must not also be a known answer")
    names = [*codes, item.unknown_code, *item.unknown_aliases, *(x for a in answers for x in a.aliases)]
    if len({n.lower() for n in names}) != len(names):
        raise InstrumentDefinitionError(f"{where}: an alias repeats an answer code or another alias")
    if not item.min_points <= item.unknown_points <= item.max_points:
        # Otherwise the total under the instrument's own rule could fall
        # outside the interval of totals the known answers allow.
        raise InstrumentDefinitionError(
            f"{where}: unknown scores {item.unknown_points}, outside the answers' {item.min_points}..{item.max_points}"
        )
    return item


def _categories(raw: Any, total_min: int, total_max: int, where: str) -> tuple[Category, ...]:
    cats = tuple(
        Category(_str(c, "code", where), _str(c, "label", where), _int(c, "min", where, required=False), _int(c, "max", where, required=False))
        for c in (raw or [])
    )
    if not cats:
        raise InstrumentDefinitionError(f"{where}: needs categories")
    if cats[0].min is not None and cats[0].min > total_min:
        raise InstrumentDefinitionError(f"{where}: categories do not cover the lowest total {total_min}")
    if cats[-1].max is not None and cats[-1].max < total_max:
        raise InstrumentDefinitionError(f"{where}: categories do not cover the highest total {total_max}")
    for a, b in zip(cats, cats[1:]):
        if a.max is None or b.min is None or b.min != a.max + 1:
            raise InstrumentDefinitionError(f"{where}: categories {a.code} and {b.code} leave a gap or overlap")
    return cats


def parse_instrument(raw: Any, where: str = "instrument") -> Instrument:
    """Build and check an Instrument from a parsed YAML mapping."""
    if not isinstance(raw, dict):
        raise InstrumentDefinitionError(f"{where}: expected a mapping at the top level")
    code = _str(raw, "code", where)
    where = f"{where} ({code})"
    version = _str(raw, "version", where)
    if len(version) > VERSION_MAX_LEN:
        raise InstrumentDefinitionError(f"{where}: version longer than {VERSION_MAX_LEN} characters")
    scope = _str(raw, "scope", where)
    if scope not in SCOPES:
        raise InstrumentDefinitionError(f"{where}: scope must be one of {SCOPES}")
    total = raw.get("total") or {}
    total_min, total_max = _int(total, "min", f"{where} total"), _int(total, "max", f"{where} total")
    items = tuple(_item(i, where) for i in raw.get("items") or [])
    if not items:
        raise InstrumentDefinitionError(f"{where}: needs items")
    item_codes = [i.code for i in items]
    if len(set(item_codes)) != len(item_codes):
        raise InstrumentDefinitionError(f"{where}: duplicate item codes")
    lo, hi = sum(i.min_points for i in items), sum(i.max_points for i in items)
    if (lo, hi) != (total_min, total_max):
        raise InstrumentDefinitionError(f"{where}: items add up to {lo}..{hi}, but total says {total_min}..{total_max}")
    return Instrument(
        code=code,
        name=_str(raw, "name", where),
        version=version,
        scope=scope,
        source=" ".join(_str(raw, "source", where).split()),
        unknown_rule=" ".join((_str(raw, "unknown_rule", where, required=False) or "").split()),
        total_min=total_min,
        total_max=total_max,
        categories=_categories(raw.get("categories"), total_min, total_max, where),
        items=items,
        answers_from=_str(raw, "answers_from", where, required=False),
    )


def load_instrument_file(path: str | Path) -> Instrument:
    p = Path(path)
    return parse_instrument(yaml.safe_load(p.read_text(encoding="utf-8")), p.name)


@cache
def load_instruments() -> dict[str, Instrument]:
    """Every instrument shipped in registry/cases/scoring/instruments, by code."""
    out: dict[str, Instrument] = {}
    folder = resources.files("registry.cases.scoring") / "instruments"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            inst = parse_instrument(yaml.safe_load(entry.read_text(encoding="utf-8")), entry.name)
            if inst.code in out:
                raise InstrumentDefinitionError(f"{entry.name}: instrument {inst.code} defined twice")
            out[inst.code] = inst
    return out


def load_instrument(code: str) -> Instrument:
    try:
        return load_instruments()[code]
    except KeyError:
        raise KeyError(f"no instrument definition {code!r} (have: {', '.join(load_instruments())})") from None
