"""API tokens expire: api_token.expires_at (existing tokens: created_at + 90 days)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

EXISTING_TOKEN_DAYS = 90  # the default lifetime of a new token

api_token = sa.table(
    "api_token",
    sa.column("id", sa.Integer()),
    sa.column("created_at", sa.DateTime()),
    sa.column("expires_at", sa.DateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
    # Computed in Python: the same on SQLite (dates stored as text) and PostgreSQL.
    bind = op.get_bind()
    rows = bind.execute(sa.select(api_token.c.id, api_token.c.created_at)).all()
    for token_id, created_at in rows:
        bind.execute(
            api_token.update()
            .where(api_token.c.id == token_id)
            .values(expires_at=created_at + timedelta(days=EXISTING_TOKEN_DAYS))
        )
    with op.batch_alter_table("api_token") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("expires_at")
