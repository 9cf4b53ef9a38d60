"""Vocabulary codes are written once, in registry/schema/vocabulary.py.

Each vocabulary has a StrEnum of its codes, and code elsewhere names a code
through it (`EvidenceStatus.NOT_REPORTED`), never as a bare string; facts
about terms (which statuses mean "missing", which roles are suspects, unit
factors) are attributes of the terms, and the constants built from them are
checked here against the values they replaced.
"""

from __future__ import annotations

import ast
import re
from enum import StrEnum
from pathlib import Path

import pytest

from registry.cases.missing import MISSING_CODES, MISSING_STATUSES
from registry.cases.scoring.facts import UNKNOWN_STATUSES
from registry.schema import vocabulary as V
from registry.schema.models._columns import AGE_MAX_YEARS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "registry"
VOCABULARY_MODULE = PACKAGE / "schema" / "vocabulary.py"

# ---------------------------------------------------------------------------
# The enums


def test_every_vocabulary_has_an_enum_of_exactly_its_codes():
    assert list(V.ENUMS) == list(V.VOCABULARIES)
    for name, enum in V.ENUMS.items():
        assert issubclass(enum, StrEnum), name
        assert [m.value for m in enum] == list(V.VOCABULARIES[name].codes), name
        # a module-level name, importable as `from registry.schema.vocabulary import EvidenceStatus`
        assert getattr(V, enum.__name__) is enum, name


def test_every_enum_in_the_module_is_a_vocabulary():
    declared = {v for v in vars(V).values() if isinstance(v, type) and issubclass(v, StrEnum) and v is not StrEnum}
    assert declared == set(V.ENUMS.values())


def test_members_are_their_codes_and_terms_hand_out_plain_strings():
    assert V.EvidenceStatus.NOT_REPORTED == "not_reported"
    assert f"{V.Comparator.EQ}" == "=" and str(V.LabUnit.E9_PER_L) == "10*9/L"
    for v in V.VOCABULARIES.values():
        for t in v.terms:
            assert type(t.code) is str, (v.name, t.code)
    assert all(type(r) is str for r in V.SUSPECT_ROLES)
    assert all(type(k) is str for k in [*V.PER_UL_FACTORS, *V.AGE_UNIT_YEARS, *MISSING_CODES])


# ---------------------------------------------------------------------------
# Facts about terms, on the terms


def test_constants_derived_from_the_terms():
    assert V.SUSPECT_ROLES == ("suspect", "co_suspect", "interacting")
    assert MISSING_CODES == {"not_reported": "NR", "not_available": "NA-SRC"}
    assert MISSING_STATUSES == ("not_reported", "not_available")
    assert UNKNOWN_STATUSES == frozenset({"not_reported", "not_available"})
    assert V.PER_UL_FACTORS == {"/uL": 1.0, "10*9/L": 1000.0}
    assert V.AGE_UNIT_YEARS == {"a": 1.0, "mo": 1 / 12, "wk": 7 / 365.25, "d": 1 / 365.25}
    assert AGE_MAX_YEARS == 120


#: Term attribute -> the vocabularies whose terms may set it.
TERM_FACTS = {
    "missing": {"finding_status", "evidence_status"},
    "missing_code": {"evidence_status"},
    "suspect": {"exposure_role"},
    "per_ul": {"lab_unit"},
    "years": {"age_unit"},
}


@pytest.mark.parametrize("attribute", sorted(TERM_FACTS))
def test_term_facts_sit_on_their_vocabularies(attribute):
    default = getattr(V.Term("x", "x", "x"), attribute)
    users = {v.name for v in V.VOCABULARIES.values() for t in v.terms if getattr(t, attribute) != default}
    assert users == TERM_FACTS[attribute]


def test_a_missing_code_belongs_to_a_missing_status():
    for v in V.VOCABULARIES.values():
        for t in v.terms:
            assert t.missing_code is None or t.missing, (v.name, t.code)


def test_terms_must_match_their_enum():
    with pytest.raises(ValueError, match="differ from"):
        V._v(V.Sex, "sex", "Sex", "", "", V.Term(V.Sex.MALE, "Male", ""))


# ---------------------------------------------------------------------------
# No bare codes in the package

#: Vocabularies whose every code is distinctive enough to flag as a bare string
#: (besides these, every code with an underscore is flagged, from any vocabulary).
DISTINCTIVE_VOCABULARIES = (
    "evidence_status", "finding_status", "exposure_role", "case_link_role", "article_type", "source_access",
    "instrument", "derivation",
)
DISTINCTIVE_CODES = frozenset(
    {c for v in V.VOCABULARIES.values() for c in v.codes if "_" in c}
    | {c for name in DISTINCTIVE_VOCABULARIES for c in V.VOCABULARIES[name].codes}
)
#: A code written inside a longer string as an SQL literal ('stated').
_QUOTED = re.compile("'(" + "|".join(re.escape(c) for c in sorted(DISTINCTIVE_CODES, key=len, reverse=True)) + ")'")

#: (file, string) -> why that string, equal to a code, is not the vocabulary code there.
HOMONYMS = {
    ("registry/cases/missing.py", "suspect"): "subject kind: the case's first suspect exposure",
    ("registry/outputs/export/published.py", "suspect"): "subject kind (registry.cases.missing)",
    ("registry/outputs/export/tables.py", "suspect"): "subject kind (registry.cases.missing)",
    ("registry/outputs/publish/reading.py", "suspect"): "subject kind (registry.cases.missing)",
    ("registry/cases/summary.py", "premedication"): "column challenge_events.premedication",
    ("registry/ingest/synth.py", "premedication"): "column challenge_events.premedication",
    ("registry/outputs/publish/timeline.py", "premedication"): "column challenge_events.premedication",
    ("registry/cases/scoring/regiscar.py", "atypical_lymphocytes"): "RegiSCAR item code (instruments/regiscar_dress.yaml)",
    ("registry/cases/scoring/regiscar.py", "not_done"): "RegiSCAR answer code of skin_biopsy",
    ("registry/outputs/publish/build.py", "synthetic"): "name of a publish progress step",
}


def _text_only(tree: ast.Module) -> set[int]:
    """ids of string constants that are text rather than values: docstrings
    (of modules, classes, functions and attributes) and the literal parts of f-strings."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))
        elif isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values if isinstance(v, ast.Constant))
    return skip


def _bare_codes() -> list[tuple[str, int, str, str]]:
    """(file, line, code, how it appears) for every bare distinctive code in registry/**/*.py."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == VOCABULARY_MODULE:
            continue
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        skip = _text_only(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in skip:
                continue
            if node.value in DISTINCTIVE_CODES:
                found.append((rel, node.lineno, node.value, "string"))
            elif m := _QUOTED.search(node.value):
                found.append((rel, node.lineno, m.group(1), "SQL literal"))
    return sorted(found)


def test_no_bare_vocabulary_codes_in_the_package():
    found = _bare_codes()
    bare = [f"{f}:{line}: {how} {code!r}" for f, line, code, how in found if (f, code) not in HOMONYMS]
    assert not bare, "use the vocabulary's constant (registry.schema.vocabulary) instead of:\n" + "\n".join(bare)


def test_every_homonym_is_still_there():
    seen = {(f, code) for f, _, code, _ in _bare_codes()}
    assert set(HOMONYMS) <= seen, sorted(set(HOMONYMS) - seen)


def test_the_scan_sees_bare_codes():
    tree = ast.parse('x = "not_reported"\ny = f"{x} stated"\nz = "role IN (\'co_suspect\')"\n"""docstring: stated"""\n')
    skip = _text_only(tree)
    seen = [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip
            and (n.value in DISTINCTIVE_CODES or _QUOTED.search(n.value))]
    assert seen == ["not_reported", "role IN ('co_suspect')"]


# ---------------------------------------------------------------------------
# Codes that stay literal outside Python (SQL files and templates): still codes

#: (file, the literal as written, vocabulary)
LITERAL_CODES_OUTSIDE_PYTHON = (
    ("registry/outputs/publish/queries/cases_for_drug.sql", "'suspect', 'co_suspect', 'interacting'", "exposure_role"),
    ("registry/outputs/publish/templates/_registry_case.html", 'c.therapy_fate == "switched"', "therapy_fate"),
    ("registry/outputs/publish/templates/_registry_case.html", 'l.comparator != "="', "comparator"),
)


@pytest.mark.parametrize(("path", "literal", "vocab"), LITERAL_CODES_OUTSIDE_PYTHON)
def test_literal_codes_outside_python_are_codes(path, literal, vocab):
    assert literal in (ROOT / path).read_text(encoding="utf-8")
    codes = re.findall(r"""['"]([^'"]*)['"]""", literal)
    assert codes and set(codes) <= set(V.VOCABULARIES[vocab].codes), codes


def test_the_canned_query_lists_the_suspect_roles():
    sql = (ROOT / LITERAL_CODES_OUTSIDE_PYTHON[0][0]).read_text(encoding="utf-8")
    assert "(" + ", ".join(f"'{r}'" for r in V.SUSPECT_ROLES) + ")" in sql
