"""daily counts for a feedback point's crossings and ratings

Revision ID: 0025
Revises: 0024

Issue 24 §3: a point's results read the scales crossed with sex, age group or disability
and the ratings given at the point from the daily counts, as they already read its
responses and answers, instead of joining every answer of the period with the others of
its response. ``survey_day_crossings`` (a scored answer by a choice answered in the
same response, per day and point), a ``point_id`` on ``rating_day_counts`` for its new
grain "point", an index on it.

The counts already built hold neither: the state is dropped, so every figure is counted
from the rows (as before 0023) until the scheduler's next round or ``holos stats
rebuild`` builds them all again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_day_crossings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("by_question", sa.String(length=64), nullable=False),
        sa.Column("by_value", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_day_crossings")),
    )
    op.create_index(
        "ix_survey_day_crossings_point_day", "survey_day_crossings", ["point_id", "day"]
    )
    # Plain ALTER, no batch mode: a nullable column needs no table rebuild on SQLite.
    op.add_column("rating_day_counts", sa.Column("point_id", sa.Integer(), nullable=True))
    op.create_index("ix_rating_day_counts_point_day", "rating_day_counts", ["point_id", "day"])
    op.execute("DELETE FROM day_count_state")


def downgrade() -> None:
    op.drop_index("ix_rating_day_counts_point_day", table_name="rating_day_counts")
    op.execute("DELETE FROM rating_day_counts WHERE grain = 'point'")
    op.execute("ALTER TABLE rating_day_counts DROP COLUMN point_id")
    op.drop_index("ix_survey_day_crossings_point_day", table_name="survey_day_crossings")
    op.drop_table("survey_day_crossings")
