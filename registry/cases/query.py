"""SQL shared by every reader of the model tables: which cases a Selection takes, and text in byte order."""

from __future__ import annotations

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from registry.cases.selection import Selection
from registry.schema.drug_names import inn_of
from registry.schema.models.tables import CP, C, D, P, X
from registry.schema.vocabulary import SUSPECT_ROLES, CaseLinkRole


def order_text(expr: ColumnElement, dialect: str) -> ColumnElement:
    """Byte order on every backend (PostgreSQL's default collation ignores '-' and '_')."""
    return expr.collate("C") if dialect == "postgresql" else expr


def case_ids_select(sel: Selection) -> Select:
    """SELECT cases.id for the chosen cases (used as a subquery by every table)."""
    conds: list[ColumnElement[bool]] = []
    if not sel.include_synthetic:
        conds.append(or_(C.c.is_synthetic.is_(None), C.c.is_synthetic == False))  # noqa: E712
    if sel.case_keys:
        conds.append(C.c.case_key.in_(sel.case_keys))
    suspect = and_(X.c.case_id == C.c.id, X.c.role.in_(SUSPECT_ROLES))
    if sel.drug:
        conds.append(exists(select(X.c.id).select_from(X.join(D, D.c.id == X.c.drug_id)).where(
            suspect, func.lower(D.c.name) == inn_of(" ".join(sel.drug.split()).lower()))))
    if sel.indication:
        conds.append(exists(select(X.c.id).where(
            suspect, func.lower(X.c.indication).contains(sel.indication.strip().lower(), autoescape=True))))
    if sel.year_from is not None or sel.year_to is not None:
        year = [CP.c.case_id == C.c.id, CP.c.role == CaseLinkRole.PRIMARY_REPORT]
        if sel.year_from is not None:
            year.append(P.c.year >= sel.year_from)
        if sel.year_to is not None:
            year.append(P.c.year <= sel.year_to)
        conds.append(exists(select(CP.c.case_id).select_from(CP.join(P, P.c.id == CP.c.publication_id)).where(*year)))
    return select(C.c.id).where(*conds)
