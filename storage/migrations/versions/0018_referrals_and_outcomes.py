"""referrals to partners, outcomes, waiting for the reporter, duplicates

Revision ID: 0018
Revises: 0012

Issue 22 §3. ``partners`` is the list of organisations and services administrators keep;
``case_referrals`` records each referral with the person's consent and a staff note
(sealed for a sensitive case). A case gains its outcome (set when it is closed), the
partner it was last referred to, whether a child is involved (and the note of a focal
point who wrote why there is no referral to child protection), since when it waits for
the reporter, and the case it duplicates.

Columns are added in place (no batch mode): SQLite must not rebuild ``cases``, whose
full-text triggers a rebuild would drop. SQLite accepts a foreign key on an added
column only as part of ADD COLUMN, where it cannot name it as the models do, so the two
references (``referral_target_id``, ``duplicate_of_id``) are plain integers, as
``audit_events.case_id`` is: partners are retired, never deleted, and cases are emptied
by retention, never deleted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("child_protection", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("name", name=op.f("uq_partners_name")),
    )
    op.create_table(
        "case_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("consent", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("note_enc", sa.LargeBinary(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_referrals_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_case_referrals_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["staff_users.id"],
            name=op.f("fk_case_referrals_author_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_referrals")),
    )
    op.create_index(
        op.f("ix_case_referrals_public_id"), "case_referrals", ["public_id"], unique=True
    )
    op.create_index(op.f("ix_case_referrals_case_id"), "case_referrals", ["case_id"])
    op.create_index(op.f("ix_case_referrals_partner_id"), "case_referrals", ["partner_id"])

    op.add_column("cases", sa.Column("outcome", sa.String(length=24), nullable=True))
    op.add_column("cases", sa.Column("referral_target_id", sa.Integer(), nullable=True))
    op.add_column(
        "cases",
        sa.Column("child_involved", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("cases", sa.Column("child_waiver_note", sa.String(length=16), nullable=True))
    op.add_column("cases", sa.Column("waiting_since", _UTC, nullable=True))
    op.add_column("cases", sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_cases_duplicate_of_id"), "cases", ["duplicate_of_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_cases_duplicate_of_id"), table_name="cases")
    for column in (
        "duplicate_of_id",
        "waiting_since",
        "child_waiver_note",
        "child_involved",
        "referral_target_id",
        "outcome",
    ):
        op.execute(f"ALTER TABLE cases DROP COLUMN {column}")
    op.drop_index(op.f("ix_case_referrals_partner_id"), table_name="case_referrals")
    op.drop_index(op.f("ix_case_referrals_case_id"), table_name="case_referrals")
    op.drop_index(op.f("ix_case_referrals_public_id"), table_name="case_referrals")
    op.drop_table("case_referrals")
    op.drop_table("partners")
