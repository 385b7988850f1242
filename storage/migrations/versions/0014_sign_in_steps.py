"""sign-in steps: bound to an address, five codes, and enrolment secrets per session

Revision ID: 0014
Revises: 0011

A half-finished console sign-in keeps the keyed hash of the address that passed the
password and the number of codes tried; an enrolment's pending TOTP secret moves from
the account to the session that shows it. Pending secrets stored on accounts by earlier
versions are dropped: anyone who saw that enrolment page may hold them, and the next
sign-in draws a new one. Plain ``ADD COLUMN`` (SQLite does not rebuild the tables).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("console_sessions", sa.Column("client_hash", sa.String(64), nullable=True))
    op.add_column(
        "console_sessions",
        sa.Column("codes_tried", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "console_sessions", sa.Column("pending_totp_enc", sa.LargeBinary(), nullable=True)
    )
    op.add_column(
        "console_sessions",
        sa.Column("pending_totp_expires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute(
        "UPDATE staff_users SET totp_secret_enc = NULL, totp_last_step = NULL "
        "WHERE totp_enrolled_at IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("console_sessions") as batch_op:
        batch_op.drop_column("pending_totp_expires_at")
        batch_op.drop_column("pending_totp_enc")
        batch_op.drop_column("codes_tried")
        batch_op.drop_column("client_hash")
