"""when a case entered the sealed channel

Revision ID: 0024
Revises: 0023

``cases.sealed_at``: set when a case is moved into the sealed channel (and cleared when it
leaves it). The escalation to the escalation addresses counts from it, not from filing:
a report that sat misfiled for days was never escalated, since the scan looks only at
cases filed in a short window before the escalation time. Cases filed sealed keep it
empty; for them the filing is the moment.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Plain ALTER (not batch mode): rebuilding ``cases`` on SQLite would drop its
    # full-text triggers.
    op.execute("ALTER TABLE cases DROP COLUMN sealed_at")
