"""lock-screen-safe replies: a per-case full-text choice, and the bot's chat messages

Revision ID: 0021
Revises: 0020

Issue 21 (a conversation, answers safe on a lock screen). ``cases.reply_full_text``:
a focal point chose to send a sealed case's replies word for word to the reporter's
chat (by default a sealed case's chat gets only a neutral notice).
``reporter_links.sent_enc``: the ids of the messages the delivery worker sent to that
chat, encrypted, so "clear this conversation" can delete them; it lives and dies with
the chat link itself.

Columns are added in place (no batch mode): SQLite must not rebuild ``cases``, whose
full-text triggers a rebuild would drop.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "cases",
        sa.Column("reply_full_text", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("reporter_links", sa.Column("sent_enc", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE reporter_links DROP COLUMN sent_enc")
    op.execute("ALTER TABLE cases DROP COLUMN reply_full_text")
