"""daily figures: cases and ratings counted per Kyiv day, kept by the writer

Revision ID: 0023
Revises: 0022

Issue 24 (the dashboard's year in under a second at a million cases). Four tables of
append-only delta rows (storage.day_counts says what a case, a rating or a survey
response adds), the state
saying whether they were built, and two indexes on the deadlines, which a reader uses
to count today's clock-dependent flags from the cases themselves.

The figures are built by ``holos stats rebuild`` or by the scheduler's first round
(a minute or two per million cases); until then every figure is counted from the cases
as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[int]:
    return sa.Column(
        "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )


def _dimensions() -> list[sa.Column[object]]:
    return [
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("oblast", sa.String(length=16), nullable=True),
        sa.Column("programme", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("referral_target_id", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "case_day_counts",
        _id(),
        sa.Column("grain", sa.String(length=24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        *_dimensions(),
        sa.Column("handling_score", sa.Integer(), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("acked", sa.Boolean(), nullable=False),
        sa.Column("ack_met", sa.Boolean(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("res_met", sa.Boolean(), nullable=False),
        sa.Column("ack_flip", sa.Date(), nullable=True),
        sa.Column("res_flip", sa.Date(), nullable=True),
        sa.Column("over_flip", sa.Date(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_day_counts")),
    )
    op.create_index("ix_case_day_counts_grain_day", "case_day_counts", ["grain", "day"])
    op.create_table(
        "case_day_times",
        _id(),
        sa.Column("grain", sa.String(length=24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        *_dimensions(),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.Column("cell", sa.Float(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_day_times")),
    )
    op.create_index("ix_case_day_times_grain_day", "case_day_times", ["grain", "day"])
    op.create_table(
        "rating_day_counts",
        _id(),
        sa.Column("grain", sa.String(length=24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_day_counts")),
    )
    op.create_index("ix_rating_day_counts_grain_day", "rating_day_counts", ["grain", "day"])
    op.create_table(
        "survey_day_counts",
        _id(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=True),
        sa.Column("value", sa.String(length=64), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_day_counts")),
    )
    op.create_index("ix_survey_day_counts_point_day", "survey_day_counts", ["point_id", "day"])
    op.create_table(
        "day_count_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_count_state")),
    )
    op.create_index("ix_cases_acknowledge_due_at", "cases", ["acknowledge_due_at"])
    op.create_index("ix_cases_resolve_due_at", "cases", ["resolve_due_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_resolve_due_at", table_name="cases")
    op.drop_index("ix_cases_acknowledge_due_at", table_name="cases")
    op.drop_table("day_count_state")
    op.drop_index("ix_survey_day_counts_point_day", table_name="survey_day_counts")
    op.drop_table("survey_day_counts")
    op.drop_index("ix_rating_day_counts_grain_day", table_name="rating_day_counts")
    op.drop_table("rating_day_counts")
    op.drop_index("ix_case_day_times_grain_day", table_name="case_day_times")
    op.drop_table("case_day_times")
    op.drop_index("ix_case_day_counts_grain_day", table_name="case_day_counts")
    op.drop_table("case_day_counts")
