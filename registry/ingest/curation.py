"""Editing a case when several curators share one database.

Every case row carries `row_version`, the ORM's version counter
(`version_id_col`): an edit writes `UPDATE ... WHERE id = ? AND
row_version = <the version the curator saw>` and bumps it. If someone else
changed the case in between, the edit touches no row, SQLAlchemy raises
StaleDataError, and the curator gets a plain conflict message instead: look
at the case again and redo the edit.

    from registry.ingest.curation import edit_case
    new_version = edit_case(engine, "park2021-1", 3, curator=curator, age_value=63)

Each changed field is written to the audit log (registry.ingest.audit) with
the curator, in the edit's own transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from registry.core.errors import RegistryError
from registry.ingest.audit import AuditAction, Curator, audited
from registry.schema.models import Case

#: Case fields a curator may edit this way (keys, ids, flags and the version are not among them).
EDITABLE = (
    "label_in_source", "age_value", "age_unit", "age_is_approximate", "sex", "country", "diagnosis_as_reported",
    "registry_diagnosis", "day1_anchor", "onset_day", "onset_is_approximate", "summary",
)


class EditConflict(RegistryError):
    """Someone else changed the case since the curator read it."""


def _conflict(case_key: str, current: int | None, expected: int) -> EditConflict:
    if current is None:
        return EditConflict(f"case {case_key} was deleted by someone else (you had version {expected})")
    return EditConflict(
        f"case {case_key} was changed by someone else (version {current}, you had {expected}); "
        "reload it and make your edit again"
    )


def current_version(engine: Engine, case_key: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(Case.row_version).where(Case.case_key == case_key)).scalar_one_or_none()


def _apply_changes(case: Case, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(case, name, value)
    case.facts_changed_at = datetime.now(UTC).replace(tzinfo=None)  # publish re-scores the case


def edit_case(engine: Engine, case_key: str, expected_version: int, /, *, curator: Curator, command: str = "edit",
              **changes: Any) -> int:
    """Change fields of one case if it is still at `expected_version`; return the new version.

    Raises EditConflict (a RegistryError) when the case moved on since the
    curator read it, whether that is seen when reading it here or when the
    UPDATE finds the version changed under it (StaleDataError).
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise RegistryError(f"cannot edit {', '.join(unknown)} of a case; editable: {', '.join(EDITABLE)}")
    if not changes:
        raise RegistryError("nothing to change")
    try:
        with audited(engine, curator, command) as log, Session(bind=log.conn) as session:
            case = session.scalars(select(Case).where(Case.case_key == case_key)).one_or_none()
            if case is None:
                raise RegistryError(f"no case {case_key!r}")
            if case.row_version != expected_version:
                raise _conflict(case_key, case.row_version, expected_version)
            before = {name: getattr(case, name) for name in changes}
            _apply_changes(case, changes)
            session.flush()
            for name, old in before.items():
                new = getattr(case, name)
                if old != new:
                    log.record("cases", AuditAction.UPDATE, record_id=case.id, record_key=f"case_key {case_key}",
                               case_key=case_key, field=name, old=old, new=new)
            return case.row_version
    except StaleDataError:
        raise _conflict(case_key, current_version(engine, case_key), expected_version) from None
    except IntegrityError as exc:
        detail = str(exc.orig).strip().splitlines()[0]
        raise RegistryError(f"case {case_key}: the database refused the edit ({detail})") from None
