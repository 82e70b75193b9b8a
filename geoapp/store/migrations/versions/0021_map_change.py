"""change counters of the map tables, kept by triggers, for the map layers' ETags
(store/map_change.py)

Revision ID: 0021
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from geoapp.store import map_change

revision = "0021"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "map_change",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(table, map_change.seed_rows())
    for statement in map_change.triggers_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in map_change.drop_triggers_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("map_change")
