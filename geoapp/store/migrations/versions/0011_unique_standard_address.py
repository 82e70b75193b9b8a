"""one standard address per numbered building, unique in the town

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NUMBERED = "door_no IS NOT NULL"


def upgrade() -> None:
    repeated = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT address, COUNT(*) FROM building WHERE {NUMBERED} "
                "GROUP BY address HAVING COUNT(*) > 1 ORDER BY address LIMIT 10"
            )
        )
        .all()
    )
    if repeated:
        listed = "; ".join(f"{address} ({count}×)" for address, count in repeated)
        raise RuntimeError(
            "Cannot make standard addresses unique: several buildings share one address "
            f"({listed}). Give them distinct door numbers, then run `geoapp db upgrade` again."
        )
    op.create_index(
        "uq_building_address",
        "building",
        ["address"],
        unique=True,
        sqlite_where=sa.text(NUMBERED),
        postgresql_where=sa.text(NUMBERED),
    )


def downgrade() -> None:
    op.drop_index("uq_building_address", table_name="building")
