"""focal points kept away from a case; what is new on a case, and who saw it when;
the category a reporter chose, kept when staff move the case

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 18:30:00

Issue 21: a focal point who steps back from a case, or is excluded from it, no longer
sees it (``case_exclusions``); the worklist marks a case whose reporter added
information or replied, whose reply could not be delivered, or which was assigned to
the reader, since the reader last opened it (``case_activity``, ``case_views``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("reporter_category", sa.String(length=40), nullable=True))
    op.create_table(
        "case_exclusions",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_exclusions_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_case_exclusions_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["staff_users.id"],
            name=op.f("fk_case_exclusions_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_exclusions")),
    )
    op.create_index(
        op.f("ix_case_exclusions_user_id"), "case_exclusions", ["user_id"], unique=False
    )
    op.create_table(
        "case_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_activity_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_case_activity_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_activity")),
    )
    op.create_index("ix_case_activity_case_at", "case_activity", ["case_id", "at"], unique=False)
    op.create_index("ix_case_activity_at", "case_activity", ["at"], unique=False)
    op.create_table(
        "case_views",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_views_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_case_views_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "case_id", name=op.f("pk_case_views")),
    )
    op.create_index(op.f("ix_case_views_case_id"), "case_views", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_case_views_case_id"), table_name="case_views")
    op.drop_table("case_views")
    op.drop_index("ix_case_activity_at", table_name="case_activity")
    op.drop_index("ix_case_activity_case_at", table_name="case_activity")
    op.drop_table("case_activity")
    op.drop_index(op.f("ix_case_exclusions_user_id"), table_name="case_exclusions")
    op.drop_table("case_exclusions")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("reporter_category")
