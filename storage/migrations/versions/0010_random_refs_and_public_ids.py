"""random case references and public ids

Revision ID: 0010
Revises: 0009

New cases get random references (storage.refs); the per-year counter behind the
sequential ones goes. Existing references stay as they are. Attachments, additions,
notes, replies and audit events get a random ``public_id`` (existing rows: 12 random hex
characters, made by the database), the only id the API and the console show.

Columns are added in place (no batch mode): SQLite must not rebuild ``case_additions``,
whose full-text triggers a rebuild would drop. On SQLite the column keeps a DEFAULT ''
that nothing relies on (every insert sets the id).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("case_additions", "attachments", "notes", "replies", "audit_events")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        if sqlite:
            op.add_column(
                table,
                sa.Column("public_id", sa.String(length=16), nullable=False, server_default=""),
            )
            op.execute(f"UPDATE {table} SET public_id = upper(hex(randomblob(6)))")
        else:
            op.add_column(table, sa.Column("public_id", sa.String(length=16), nullable=True))
            op.execute(
                f"UPDATE {table} SET public_id = "
                "upper(substr(md5(random()::text || clock_timestamp()::text || id::text), 1, 12))"
            )
            op.alter_column(table, "public_id", nullable=False)
        op.create_index(f"ix_{table}_public_id", table, ["public_id"], unique=True)
    op.drop_table("ref_counters")


def downgrade() -> None:
    op.create_table(
        "ref_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_ref_counters")),
    )
    for table in TABLES:
        op.drop_index(f"ix_{table}_public_id", table_name=table)
        # In place on SQLite too (3.35+): no table rebuild, so the triggers stay.
        op.execute(f"ALTER TABLE {table} DROP COLUMN public_id")
