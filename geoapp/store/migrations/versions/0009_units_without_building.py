"""a unit may be registered before it is placed on the map (no building yet); staff looked up by employer

Revision ID: 0009
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite rebuilds the table (batch mode): geoapp.store.migrate runs it with references checked at the end.
    with op.batch_alter_table("unit") as batch:
        batch.alter_column("building_id", existing_type=sa.Integer(), nullable=True)
    op.create_index("ix_person_employer_unit_id", "person", ["employer_unit_id"])


def downgrade() -> None:
    op.drop_index("ix_person_employer_unit_id", table_name="person")
    op.execute("DELETE FROM unit WHERE building_id IS NULL AND id NOT IN "
               "(SELECT employer_unit_id FROM person WHERE employer_unit_id IS NOT NULL) "
               "AND id NOT IN (SELECT unit_id FROM user_account WHERE unit_id IS NOT NULL)")  # fmt: skip
    with op.batch_alter_table("unit") as batch:
        batch.alter_column("building_id", existing_type=sa.Integer(), nullable=False)
