"""Failed-token counts shared by every worker and instance (feed/storage/limits.py).

One row per (scope, client): the misses in its current window and when that window
ends, so that ended windows are pruned by one indexed delete.

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "limits",
        sa.Column("scope", sa.Text, primary_key=True),
        sa.Column("client", sa.Text, primary_key=True),
        sa.Column("hits", sa.Integer, nullable=False),
        sa.Column("ends", sa.Float, nullable=False),
    )
    op.create_index("limits_ends", "limits", ["ends"])


def downgrade() -> None:
    op.drop_index("limits_ends", table_name="limits")
    op.drop_table("limits")
