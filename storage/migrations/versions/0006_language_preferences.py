"""language preferences

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 10:00:00

The language a person chose, kept 90 days idle under their pseudonymous conversation
key, apart from drafts (which expire after a day).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('language_preferences',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_language_preferences'))
    )
    with op.batch_alter_table('language_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_language_preferences_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('language_preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_language_preferences_expires_at'))

    op.drop_table('language_preferences')
