"""``geoapp backup PATH`` and ``geoapp restore PATH``: the whole database, SQLite or PostGIS."""

from __future__ import annotations

from pathlib import Path

import click

from geoapp.cli import with_app
from geoapp.domain.i18n import N_


@click.command("backup", help="Back up the whole database to PATH (safe while the app serves).")
@click.argument("path", type=click.Path(path_type=Path))
def backup_cmd(path: Path) -> None:
    _backup(path)


@with_app
def _backup(app, path: Path) -> None:
    from geoapp.i18n import translate
    from geoapp.services.admin.backup import backup

    done = backup(app.extensions["geoapp.db"].url, path)
    click.echo(
        translate(N_("Backed up to %(path)s (%(size)s bytes, schema revision %(revision)s)."))
        % {"path": done.path, "size": f"{done.size_bytes:,}", "revision": done.revision}
    )


@click.command("restore", help="Replace the whole database with the backup at PATH.")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_cmd(path: Path, yes: bool) -> None:
    _restore(path, yes)


@with_app
def _restore(app, path: Path, yes: bool) -> None:
    from geoapp.i18n import translate
    from geoapp.services.accounts import audit
    from geoapp.services.admin.backup import restore

    database = app.extensions["geoapp.db"]
    question = translate(N_("Replace everything in the database with the backup %(path)s?")) % {"path": path}
    if not yes and not click.confirm(question, default=False):
        click.echo(translate(N_("Nothing was restored.")))
        raise SystemExit(1)
    database.dispose()
    done = restore(database.url, path)
    with database.write() as session:
        changes = {"path": str(path), "revision": done.revision, "migrated_to": done.migrated_to}
        audit.record(session, "database.restore", actor="cli", object_type="database", changes=changes)
    click.echo(
        translate(N_("Restored %(path)s (schema revision %(revision)s)."))
        % {"path": done.path, "revision": done.revision}
    )
    if done.migrated_to:
        click.echo(
            translate(N_("The backup was migrated to schema revision %(revision)s."))
            % {"revision": done.migrated_to}
        )
