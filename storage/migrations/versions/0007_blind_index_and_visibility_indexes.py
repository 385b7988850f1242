"""blind index of sensitive text; indexes led by the visibility rule

Revision ID: 0007
Revises: 0006

``case_search_tokens`` holds the keyed hashes of sensitive cases' word prefixes (see
storage.search). It starts empty: the key is derived from the server secret, which a
migration does not see, so existing sensitive cases are indexed by
``storage.services.search_index.reindex`` (run after migrating).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_search_tokens",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_search_tokens_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", "case_id", name=op.f("pk_case_search_tokens")),
    )
    # Plain CREATE INDEX (no batch mode): SQLite must not rebuild ``cases``, whose
    # full-text triggers the rebuild would drop.
    op.create_index("ix_case_search_tokens_case_id", "case_search_tokens", ["case_id"])
    op.create_index("ix_cases_sensitive_created", "cases", ["sensitive", "created_at", "id"])
    op.create_index(
        "ix_cases_sensitive_status_created", "cases", ["sensitive", "status", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_cases_sensitive_status_created", table_name="cases")
    op.drop_index("ix_cases_sensitive_created", table_name="cases")
    op.drop_index("ix_case_search_tokens_case_id", table_name="case_search_tokens")
    op.drop_table("case_search_tokens")
