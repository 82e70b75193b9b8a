"""The ``geoapp`` command: demo, serve, import, export, db upgrade, user, campaign, report."""

from __future__ import annotations

import functools
import sys

import click

from geoapp.domain.errors import GeoappError


def with_app(func):
    """Run the command inside an app context; show GeoappErrors translated, exit 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from geoapp import create_app
        from geoapp.domain.basemaps import BasemapConfigError
        from geoapp.i18n import translate

        try:
            app = create_app()
        except BasemapConfigError as exc:
            click.echo(f"错误 / error: {exc}", err=True)
            sys.exit(2)
        with app.app_context():
            try:
                return func(app, *args, **kwargs)
            except GeoappError as exc:
                click.echo(f"错误 / error: {exc.render(translate)}", err=True)
                sys.exit(1)
            finally:
                app.extensions["geoapp.db"].dispose()

    return wrapper


@click.group(
    help="geoapp — 三实 信息采集 web GIS. Database: $GEOAPP_DATABASE_URL (default instance/geoapp.sqlite)."
)
def main() -> None:
    pass


def _register() -> None:
    from geoapp.cli import addresses, blocks, campaign, db, demo, exports, imports, reports, serve, users
    from geoapp.cli import backup as backup_commands
    from geoapp.cli import tiles as tile_commands

    main.add_command(db.db)
    main.add_command(demo.demo)
    main.add_command(serve.serve)
    main.add_command(imports.import_cmd)
    main.add_command(exports.export_cmd)
    main.add_command(users.user)
    main.add_command(campaign.campaign)
    main.add_command(reports.report)
    main.add_command(addresses.address)
    main.add_command(addresses.plates)
    main.add_command(blocks.blocks)
    main.add_command(backup_commands.backup_cmd)
    main.add_command(backup_commands.restore_cmd)
    main.add_command(tile_commands.tiles)


_register()
