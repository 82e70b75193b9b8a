"""re-visit samples and their tasks; a house's first failed re-visit (accuracy)

Revision ID: 0010
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revisit_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("collector_id", sa.Integer(), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("drawn_by", sa.Integer(), nullable=True),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["village_id"], ["village.id"]),
        sa.ForeignKeyConstraint(["collector_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["drawn_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "revisit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["sample_id"], ["revisit_sample.id"]),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sample_id", "building_id", name="uq_revisit_sample_building"),
    )
    op.create_index("ix_revisit_sample_id", "revisit", ["sample_id"])
    op.create_index("ix_revisit_building_id", "revisit", ["building_id"])
    op.create_index("ix_revisit_status", "revisit", ["status"])
    with op.batch_alter_table("building") as batch:
        batch.add_column(sa.Column("revisit_failed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite ≥ 3.35 has it): rebuilding the building table in batch mode would
    # drop the triggers that keep its R*Tree and its people/household counts.
    op.drop_column("building", "revisit_failed_at")
    op.drop_index("ix_revisit_status", table_name="revisit")
    op.drop_index("ix_revisit_building_id", table_name="revisit")
    op.drop_index("ix_revisit_sample_id", table_name="revisit")
    op.drop_table("revisit")
    op.drop_table("revisit_sample")
