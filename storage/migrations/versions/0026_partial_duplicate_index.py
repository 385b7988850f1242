"""the duplicates index holds only duplicates

Revision ID: 0026
Revises: 0025

``ix_cases_duplicate_of_id`` becomes partial (``WHERE duplicate_of_id IS NOT NULL``).
Nearly every case has no ``duplicate_of_id``; a full index of NULLs made SQLite's
statistics (``ANALYZE``) say a lookup by it returns the whole table, so the case page's
"has it duplicates?" (``EXISTS … WHERE duplicate_of_id = cases.id``) scanned every case:
70 ms a page at 100,000 cases (`python -m bench --only api`). The partial index holds
only the duplicates; both engines use it for ``duplicate_of_id = …``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = sa.text("duplicate_of_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_cases_duplicate_of_id", table_name="cases")
    op.create_index(
        "ix_cases_duplicate_of_id",
        "cases",
        ["duplicate_of_id"],
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_cases_duplicate_of_id", table_name="cases")
    op.create_index("ix_cases_duplicate_of_id", "cases", ["duplicate_of_id"])
