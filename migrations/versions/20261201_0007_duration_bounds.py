"""bounds on durations, protocol days and step intervals

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The outcome's counts of days (time to resolution, follow-up) had a lower
bound only, the protocol day of a desensitisation step none above, and the
minutes between steps on one protocol day none above; an import could store
10^9. They get the bounds the seed schema now checks first (the column's
`info` in the models): days 0..36500 (a century, as for relative days),
protocol day 1..366, minutes 0..1440. The CHECK constraints are replaced
under names that say what they check.

challenge_events.time_to_recurrence_days is left as it is: on SQLite, batch
mode rebuilds a table by dropping it, and with foreign keys on, dropping
challenge_events would cascade to challenge_steps. case_outcomes and
challenge_steps have no child rows.

Reviewed by hand: CHECK constraints only, no data changed (rows outside the
new bounds would make the upgrade fail, which is what should happen); batch
mode on SQLite (the table is copied with its other constraints; tested with
the seed loaded: every row is still there).
"""
from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: table -> [(old name, old check), (new name, new check)] per column.
_CHANGES = {
    "challenge_steps": [
        (("protocol_day_positive", "protocol_day >= 1"),
         ("protocol_day_sane", "protocol_day BETWEEN 1 AND 366")),
        (("interval_nonnegative", "interval_minutes IS NULL OR interval_minutes >= 0"),
         ("interval_within_day", "interval_minutes IS NULL OR interval_minutes BETWEEN 0 AND 1440")),
    ],
    "case_outcomes": [
        (("resolution_nonnegative", "time_to_resolution_days IS NULL OR time_to_resolution_days >= 0"),
         ("resolution_sane", "time_to_resolution_days IS NULL OR time_to_resolution_days BETWEEN 0 AND 36500")),
        (("follow_up_nonnegative", "follow_up_days IS NULL OR follow_up_days >= 0"),
         ("follow_up_sane", "follow_up_days IS NULL OR follow_up_days BETWEEN 0 AND 36500")),
    ],
}


def _swap(new: bool) -> None:
    for table, changes in _CHANGES.items():
        with op.batch_alter_table(table) as batch:
            for old, replacement in changes:
                (drop, _), (name, sql) = (old, replacement) if new else (replacement, old)
                batch.drop_constraint(op.f(f"ck_{table}_{drop}"), type_="check")
                batch.create_check_constraint(op.f(f"ck_{table}_{name}"), sql)


def upgrade() -> None:
    _swap(new=True)


def downgrade() -> None:
    _swap(new=False)
