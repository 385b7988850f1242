"""public summaries ("you said, we did")

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-29 09:10:00

One row per case whose outcome staff wrote up for the transparency page.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('public_summaries',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('written_by', sa.Integer(), nullable=True),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['approved_by'], ['staff_users.id'], name=op.f('fk_public_summaries_approved_by_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_public_summaries_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['written_by'], ['staff_users.id'], name=op.f('fk_public_summaries_written_by_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_public_summaries'))
    )
    with op.batch_alter_table('public_summaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_summaries_approved_at'), ['approved_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('public_summaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_summaries_approved_at'))

    op.drop_table('public_summaries')
