"""visits with proof, person moves, unit staff, house visit flag

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("building") as batch:
        batch.add_column(sa.Column("visit_flag", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("visit_distance_m", sa.Float(), nullable=True))
    with op.batch_alter_table("unit") as batch:
        batch.add_column(sa.Column("staff", sa.Integer(), nullable=True))
    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("building_id", sa.Integer(), sa.ForeignKey("building.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("device_time", sa.DateTime(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("flag", sa.String(length=20), nullable=True),
        sa.Column("empty", sa.Boolean(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
    )
    op.create_index("ix_visit_building_id", "visit", ["building_id"])
    op.create_table(
        "person_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("from_building_id", sa.Integer(), sa.ForeignKey("building.id"), nullable=False),
        sa.Column("to_building_id", sa.Integer(), sa.ForeignKey("building.id"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_person_move_person_id", "person_move", ["person_id"])


def downgrade() -> None:
    op.drop_table("person_move")
    op.drop_table("visit")
    with op.batch_alter_table("unit") as batch:
        batch.drop_column("staff")
    with op.batch_alter_table("building") as batch:
        batch.drop_column("visit_distance_m")
        batch.drop_column("visit_flag")
