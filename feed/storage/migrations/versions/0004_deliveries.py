"""Push reminders, each recorded before and after it is sent (feed/storage/deliveries.py).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("notify_id", sa.Text, primary_key=True),
        sa.Column("target", sa.Text, primary_key=True),
        sa.Column("sim_id", sa.Text, primary_key=True),
        sa.Column("deadline", sa.Text, primary_key=True),
        sa.Column("occasion", sa.Text, primary_key=True),
        sa.Column("due_at", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("runner", sa.Text, nullable=False),
        sa.Column("lease_until", sa.Float, nullable=False),
        sa.Column("next_try", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("sent_at", sa.Text),
    )
    op.create_index("deliveries_sim", "deliveries", ["sim_id", "deadline"])


def downgrade() -> None:
    op.drop_index("deliveries_sim", table_name="deliveries")
    op.drop_table("deliveries")
