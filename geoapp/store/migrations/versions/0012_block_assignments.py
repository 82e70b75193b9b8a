"""street-front blocks: their buildings, side and place along the street; assignment histories
of blocks (officers) and villages (collectors)

Revision ID: 0012
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0017"
branch_labels = None
depends_on = None


def _block_columns() -> list[sa.Column]:
    return [
        sa.Column("side", sa.Integer(), nullable=True),
        sa.Column("at_m", sa.Float(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("drawn", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(), nullable=True),
    ]


def upgrade() -> None:
    # Plain ADD COLUMN: rebuilding the block table in batch mode would drop its R*Tree triggers.
    for column in _block_columns():
        op.add_column("block", column)
    op.create_table(
        "block_building",
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"]),
        sa.ForeignKeyConstraint(["block_id"], ["block.id"]),
        sa.PrimaryKeyConstraint("building_id"),
    )
    op.create_index("ix_block_building_block_id", "block_building", ["block_id"])
    for table, target, ref in (
        ("block_assignment", "block_id", "block.id"),
        ("village_assignment", "village_id", "village.id"),
    ):
        who = "officer_id" if table == "block_assignment" else "user_id"
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column(target, sa.Integer(), nullable=False),
            sa.Column(who, sa.Integer(), nullable=False),
            sa.Column("due", sa.Date(), nullable=True),
            sa.Column("assigned_by", sa.Integer(), nullable=True),
            sa.Column("assigned_at", sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint([target], [ref]),
            sa.ForeignKeyConstraint([who], ["user_account.id"]),
            sa.ForeignKeyConstraint(["assigned_by"], ["user_account.id"]),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index(f"ix_{table}_{target}", table, [target])
        op.create_index(f"ix_{table}_{who}", table, [who])


def downgrade() -> None:
    for table, target, who in (
        ("village_assignment", "village_id", "user_id"),
        ("block_assignment", "block_id", "officer_id"),
    ):
        op.drop_index(f"ix_{table}_{who}", table_name=table)
        op.drop_index(f"ix_{table}_{target}", table_name=table)
        op.drop_table(table)
    op.drop_index("ix_block_building_block_id", table_name="block_building")
    op.drop_table("block_building")
    for column in reversed(_block_columns()):
        op.drop_column("block", column.name)
