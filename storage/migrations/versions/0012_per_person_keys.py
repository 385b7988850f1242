"""forget the rows kept under the old pseudonyms

Revision ID: 0012
Revises: 0011

Drafts, kept languages and daily quota rows were all kept under one pseudonym per
person, the same for 90 days (issue 18): a copy of the database could link a person's
reports through them. They are now under per-purpose keys (a draft's changing with the
day), quotas and receipt-code misses are counted outside the database, and handled
update ids are stored as keyed hashes. The old rows can never be found again under the
new keys, and each still links what it touched, so they are deleted: a person mid-draft
during the upgrade starts again from the menu, and a language chosen before it is asked
again. No schema change.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM conversation_states")
    op.execute("DELETE FROM language_preferences")
    op.execute(
        "DELETE FROM throttle_counters WHERE key LIKE 'quota:%' "
        "OR (key LIKE 'receipt:%' AND key <> 'receipt:global')"
    )
    op.execute("DELETE FROM processed_updates")


def downgrade() -> None:
    # Nothing to restore: the deleted rows were under keys no version can look up now.
    pass
