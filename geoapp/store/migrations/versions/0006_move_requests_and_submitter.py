"""moves across villages become requests; who submitted a house last

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
    with op.batch_alter_table("building") as batch:
        batch.add_column(sa.Column("submitted_by", sa.Integer(), nullable=True))
    with op.batch_alter_table("person_move") as batch:
        batch.add_column(sa.Column("status", sa.String(length=20), nullable=False, server_default="done"))
        batch.add_column(sa.Column("to_household_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("relation", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("decided_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
    op.create_index("ix_person_move_status", "person_move", ["status"])
    # Houses already submitted: their last submission's author.
    op.execute(
        "UPDATE building SET submitted_by = (SELECT visit.user_id FROM visit "
        "WHERE visit.building_id = building.id ORDER BY visit.id DESC LIMIT 1) "
        "WHERE status <> 'uncollected'"
    )


def downgrade() -> None:
    op.drop_index("ix_person_move_status", table_name="person_move")
    with op.batch_alter_table("person_move") as batch:
        for column in ("reason", "decided_at", "decided_by", "relation", "to_household_id", "status"):
            batch.drop_column(column)
    with op.batch_alter_table("building") as batch:
        batch.drop_column("submitted_by")
