"""``geoapp db upgrade``: apply migrations."""

from __future__ import annotations

import click

from geoapp.cli import with_app


@click.group(help="Database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Apply all migrations (creates the database if needed).")
@with_app
def upgrade(app) -> None:
    from geoapp.store.migrate import current_revision
    from geoapp.store.migrate import upgrade as run_upgrade

    database = app.extensions["geoapp.db"]
    run_upgrade(database.engine)
    click.echo(f"database at revision {current_revision(database.engine)}")
