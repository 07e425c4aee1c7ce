"""The autopilot's attempts, claimed before each text is sent, and the SIMs whose autopilot is paused.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "autopilot_attempts",
        sa.Column("sim_id", sa.Text, primary_key=True),
        sa.Column("deadline", sa.Text, primary_key=True),
        sa.Column("gateway_id", sa.Text, nullable=False),
        sa.Column("planned_at", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("tries", sa.Integer, nullable=False),
        sa.Column("runner", sa.Text, nullable=False),
        sa.Column("lease_until", sa.Float, nullable=False),
        sa.Column("next_try", sa.Float),
        sa.Column("sent_at", sa.Float),
        sa.Column("message_id", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("spent", sa.Text),
        sa.Column("currency", sa.Text),
        sa.Column("renewal_id", sa.BigInteger().with_variant(sa.Integer, "sqlite")),
        sa.Column("updated_at", sa.Text, nullable=False),
    )
    op.create_table(
        "autopilot_paused",
        sa.Column("sim_id", sa.Text, primary_key=True),
        sa.Column("paused_at", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("autopilot_paused")
    op.drop_table("autopilot_attempts")
