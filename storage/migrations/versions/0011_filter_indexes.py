"""indexes for the worklist's usual filters

Revision ID: 0011
Revises: 0010

``ix_cases_oblast_status_category`` and ``ix_cases_category_status`` hold a region,
open statuses and a category together with the visibility rule and the sort key, so a
filtered worklist counts and picks its page from the matching index entries alone
(at a million cases the planner ANDed three bitmaps instead: 36–49 ms for the count,
35 ms more for the page). They replace the single-column ``ix_cases_oblast`` and
``ix_cases_category``, which they lead with.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = {
    "ix_cases_oblast_status_category": [
        "oblast",
        "status",
        "category",
        "sensitive",
        "created_at",
        "id",
    ],
    "ix_cases_category_status": ["category", "status", "sensitive", "created_at", "id"],
}


def upgrade() -> None:
    # Plain CREATE INDEX (no batch mode): SQLite must not rebuild ``cases``, whose
    # full-text triggers the rebuild would drop.
    for name, columns in _COLUMNS.items():
        op.create_index(name, "cases", columns)
    op.drop_index("ix_cases_oblast", table_name="cases")
    op.drop_index("ix_cases_category", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_category", "cases", ["category"])
    op.create_index("ix_cases_oblast", "cases", ["oblast"])
    for name in reversed(_COLUMNS):
        op.drop_index(name, table_name="cases")
