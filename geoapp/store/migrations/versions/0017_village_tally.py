"""each village's houses counted by state, kept by triggers, for a county's coverage as of
today (store/village_tally.py)

Revision ID: 0017
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from geoapp.domain.calendar import Campaign, campaign_from_texts
from geoapp.domain.metrics import stage_deadlines_utc
from geoapp.store import village_tally

revision = "0017"
down_revision = "0009"
branch_labels = None
depends_on = None


def _campaign(bind) -> Campaign:
    """The campaign as configured, as ``services/campaign/settings.load_campaign`` reads it."""
    return campaign_from_texts(dict(bind.execute(sa.text("SELECT key, value FROM campaign_setting")).all()))


def upgrade() -> None:
    key = [
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
    ]
    op.create_table(
        "village_tally",
        *key,
        sa.Column("houses", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*(c.name for c in key)),
    )
    op.create_table(
        "tally_deadline",
        sa.Column("stage", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("stage"),
    )
    bind = op.get_bind()
    village_tally.set_deadlines(bind, stage_deadlines_utc(_campaign(bind)))  # groups every house
    for statement in village_tally.triggers_ddl(bind.dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in village_tally.drop_triggers_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("tally_deadline")
    op.drop_table("village_tally")
