"""feedback points, their surveys' responses, and ratings and cases tied to a point

Revision ID: 0022
Revises: 0021

Issue 24. ``feedback_points``: a place where assistance is given, with a short code for
its poster's links, a programme, an oblast, the dates it is active and an optional
survey (JSON). ``survey_responses`` and ``survey_answers``: one person's answers, per
question, with the hour and nothing about who gave them. A rating given at a point
(``ratings.feedback_point_id``) and a report started there (``cases.feedback_point_id``)
say which point.

``ratings`` is rebuilt on SQLite (batch mode) to name its new foreign key as the models
do. ``cases`` is not (its full-text triggers would be dropped): its column is a plain
integer, as ``cases.duplicate_of_id`` is; points are never deleted.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feedback_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("oblast", sa.String(length=16), nullable=False),
        sa.Column("site", sa.String(length=120), nullable=True),
        sa.Column("active_from", sa.Date(), nullable=False),
        sa.Column("active_until", sa.Date(), nullable=True),
        sa.Column("served", sa.Integer(), nullable=True),
        sa.Column("survey", sa.JSON(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_points")),
        sa.UniqueConstraint("code", name=op.f("uq_feedback_points_code")),
    )
    op.create_index(op.f("ix_feedback_points_programme"), "feedback_points", ["programme"])
    op.create_index(op.f("ix_feedback_points_oblast"), "feedback_points", ["oblast"])

    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["feedback_points.id"],
            name=op.f("fk_survey_responses_point_id_feedback_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
    )
    op.create_index(op.f("ix_survey_responses_created_at"), "survey_responses", ["created_at"])
    op.create_index(
        "ix_survey_responses_point_created", "survey_responses", ["point_id", "created_at"]
    )

    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_responses.id"],
            name=op.f("fk_survey_answers_response_id_survey_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
    )
    op.create_index(op.f("ix_survey_answers_response_id"), "survey_answers", ["response_id"])

    with op.batch_alter_table("ratings") as batch_op:
        batch_op.add_column(sa.Column("feedback_point_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_ratings_feedback_point_id_feedback_points"),
            "feedback_points",
            ["feedback_point_id"],
            ["id"],
        )
        batch_op.create_index(batch_op.f("ix_ratings_feedback_point_id"), ["feedback_point_id"])

    op.add_column("cases", sa.Column("feedback_point_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_cases_feedback_point_id"), "cases", ["feedback_point_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_cases_feedback_point_id"), table_name="cases")
    op.execute("ALTER TABLE cases DROP COLUMN feedback_point_id")
    with op.batch_alter_table("ratings") as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_feedback_point_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_ratings_feedback_point_id_feedback_points"), type_="foreignkey"
        )
        batch_op.drop_column("feedback_point_id")
    op.drop_index(op.f("ix_survey_answers_response_id"), table_name="survey_answers")
    op.drop_table("survey_answers")
    op.drop_index("ix_survey_responses_point_created", table_name="survey_responses")
    op.drop_index(op.f("ix_survey_responses_created_at"), table_name="survey_responses")
    op.drop_table("survey_responses")
    op.drop_index(op.f("ix_feedback_points_oblast"), table_name="feedback_points")
    op.drop_index(op.f("ix_feedback_points_programme"), table_name="feedback_points")
    op.drop_table("feedback_points")
