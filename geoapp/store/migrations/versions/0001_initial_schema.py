"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from geoapp.store import spatial_index
from geoapp.store.types import Geometry

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=True),
        sa.Column("object_id", sa.String(length=40), nullable=True),
        sa.Column("changes", sa.Text(), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_user_id"), ["user_id"], unique=False)

    op.create_table(
        "street",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("geom", Geometry(), nullable=False),
        sa.Column("minx", sa.Float(), nullable=False),
        sa.Column("miny", sa.Float(), nullable=False),
        sa.Column("maxx", sa.Float(), nullable=False),
        sa.Column("maxy", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "village",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("task_people", sa.Integer(), nullable=False),
        sa.Column("task_houses", sa.Integer(), nullable=False),
        sa.Column("task_units", sa.Integer(), nullable=False),
        sa.Column("geom", Geometry(), nullable=False),
        sa.Column("minx", sa.Float(), nullable=False),
        sa.Column("miny", sa.Float(), nullable=False),
        sa.Column("maxx", sa.Float(), nullable=False),
        sa.Column("maxy", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "building",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("door_no", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("use", sa.String(length=20), nullable=False),
        sa.Column("floors", sa.Integer(), nullable=True),
        sa.Column("structure", sa.String(length=40), nullable=True),
        sa.Column("owner_name", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("collected_at", sa.DateTime(), nullable=True),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("geom", Geometry(), nullable=False),
        sa.Column("minx", sa.Float(), nullable=False),
        sa.Column("miny", sa.Float(), nullable=False),
        sa.Column("maxx", sa.Float(), nullable=False),
        sa.Column("maxy", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["street_id"],
            ["street.id"],
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("building", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_building_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_building_street_id"), ["street_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_building_village_id"), ["village_id"], unique=False)

    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_building_id"), ["building_id"], unique=False)

    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("legal_rep", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uscc"),
    )
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_status"), ["status"], unique=False)

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id_type", sa.String(length=20), nullable=False),
        sa.Column("id_number", sa.String(length=40), nullable=True),
        sa.Column("sex", sa.String(length=10), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("ethnicity", sa.String(length=20), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("hukou_address", sa.String(length=200), nullable=True),
        sa.Column("residence_type", sa.String(length=20), nullable=False),
        sa.Column("separated", sa.Boolean(), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=True),
        sa.Column("employer_unit_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
        ),
        sa.ForeignKeyConstraint(
            ["employer_unit_id"],
            ["unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_type", "id_number", name="uq_person_document"),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_household_id"), ["household_id"], unique=False)

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("geom", Geometry(), nullable=False),
        sa.Column("minx", sa.Float(), nullable=False),
        sa.Column("miny", sa.Float(), nullable=False),
        sa.Column("maxx", sa.Float(), nullable=False),
        sa.Column("maxy", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["street_id"],
            ["street.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_spatial_indexes()


SPATIAL_TABLES = ("village", "street", "building", "block")


def _create_spatial_indexes() -> None:
    dialect = op.get_bind().dialect.name
    for name in SPATIAL_TABLES:
        ddl = (
            spatial_index.postgis_index_ddl(name)
            if dialect == "postgresql"
            else spatial_index.sqlite_index_ddl(name)
        )
        for statement in ddl:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SPATIAL_TABLES:
            for statement in spatial_index.sqlite_index_drop_ddl(name):
                op.execute(statement)
    op.drop_table("block")
    op.drop_table("user_account")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_household_id"))
        batch_op.drop_index(batch_op.f("ix_person_building_id"))

    op.drop_table("person")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_status"))
        batch_op.drop_index(batch_op.f("ix_unit_building_id"))

    op.drop_table("unit")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_building_id"))

    op.drop_table("household")
    with op.batch_alter_table("building", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_building_village_id"))
        batch_op.drop_index(batch_op.f("ix_building_street_id"))
        batch_op.drop_index(batch_op.f("ix_building_status"))

    op.drop_table("building")
    op.drop_table("village")
    op.drop_table("street")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_user_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
