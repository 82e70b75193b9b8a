"""campaign settings; each house's first submission and first check, and its people and
households counted by triggers, for coverage as of a day

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from geoapp.store import house_counts

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The first submission that collected the house (a unit reporter's in a house nobody
# collected leaves it uncollected, and its answer says so), else the latest one.
FIRST_COLLECTED = (
    "COALESCE((SELECT MIN(visit.submitted_at) FROM visit WHERE visit.building_id = building.id "
    'AND visit.response NOT LIKE \'%"status":"uncollected"%\'), building.collected_at)'
)
_CHECKS = (
    "FROM audit_event WHERE audit_event.object_type = 'building' "
    "AND audit_event.object_id = CAST(building.id AS VARCHAR(40)) "
    "AND audit_event.action IN ('house.verify', 'house.return')"
)
# Houses checked before the audit trail (demo data): verified, or returned, now.
RETURNED_AT = (
    "CASE WHEN building.status = 'returned' THEN COALESCE(building.updated_at, building.collected_at) END"
)


def upgrade() -> None:
    op.create_table(
        "campaign_setting",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("building") as batch:
        batch.add_column(sa.Column("first_collected_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("first_checked_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("first_check_passed", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("people_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("households_count", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_person_building_created", "person", ["building_id", "created_at"])
    op.create_index("ix_household_building_created", "household", ["building_id", "created_at"])
    op.execute(f"UPDATE building SET first_collected_at = {FIRST_COLLECTED} WHERE collected_at IS NOT NULL")
    op.execute(
        f"UPDATE building SET first_checked_at = COALESCE((SELECT MIN(audit_event.at) {_CHECKS}), "
        f"building.verified_at, {RETURNED_AT})"
    )
    op.execute(
        "UPDATE building SET first_check_passed = COALESCE("
        f"(SELECT audit_event.action = 'house.verify' {_CHECKS} ORDER BY audit_event.at, audit_event.id LIMIT 1), "
        "building.verified_at IS NOT NULL) WHERE first_checked_at IS NOT NULL"
    )
    for statement in house_counts.recount_sql():
        op.execute(statement)
    for statement in house_counts.triggers_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in house_counts.drop_triggers_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_household_building_created", table_name="household")
    op.drop_index("ix_person_building_created", table_name="person")
    with op.batch_alter_table("building") as batch:
        for column in (
            "households_count",
            "people_count",
            "first_check_passed",
            "first_checked_at",
            "first_collected_at",
        ):
            batch.drop_column(column)
    op.drop_table("campaign_setting")
