"""cases staff log: a one-time claim code and the form's idempotency key

Revision ID: 0019
Revises: 0015

Issue 23 §1. Staff log reports heard on the hotline, at a help desk, by letter, box,
e-mail or from a partner (``cases.channel`` takes new values; it is a plain VARCHAR(16),
so no change there). A sealed case so logged carries the keyed hash of a one-time claim
code, exchanged once for the person's own receipt code (``claimed_at``), and every
logged case the hashed key of the form that made it, so a form posted twice makes one
case. Unique indexes, not constraints, and plain DROP COLUMN: SQLite never rebuilds
``cases`` (its full-text triggers stay as they are).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("claim_hash", sa.String(length=64), nullable=True))
    op.add_column("cases", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("cases", sa.Column("intake_key", sa.String(length=64), nullable=True))
    op.create_index("ix_cases_claim_hash", "cases", ["claim_hash"], unique=True)
    op.create_index("ix_cases_intake_key", "cases", ["intake_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_cases_intake_key", table_name="cases")
    op.drop_index("ix_cases_claim_hash", table_name="cases")
    op.execute("ALTER TABLE cases DROP COLUMN intake_key")
    op.execute("ALTER TABLE cases DROP COLUMN claimed_at")
    op.execute("ALTER TABLE cases DROP COLUMN claim_hash")
