"""the villages' tally triggers on PostgreSQL fire only for houses that count (WHEN), so a
bulk import of new uncollected houses never calls PL/pgSQL (store/village_tally.py); SQLite's
triggers already had their WHEN: nothing to do there

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from alembic import op

from geoapp.store import village_tally

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def _remake(when: bool) -> None:
    dialect = op.get_bind().dialect.name
    if dialect != "postgresql":
        return
    for statement in village_tally.drop_triggers_ddl(dialect):
        op.execute(statement)
    for statement in village_tally.triggers_ddl(dialect, when=when):
        op.execute(statement)


def upgrade() -> None:
    _remake(when=True)


def downgrade() -> None:
    _remake(when=False)
