"""Signed-in sessions, so that signing out ends a session in every worker (feed/storage/sessions.py).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("marker", sa.Text, nullable=False),
        sa.Column("ends", sa.Float, nullable=False),
    )
    op.create_index("sessions_ends", "sessions", ["ends"])


def downgrade() -> None:
    op.drop_index("sessions_ends", table_name="sessions")
    op.drop_table("sessions")
