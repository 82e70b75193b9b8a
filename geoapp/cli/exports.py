"""``geoapp export gpkg|geojson|xlsx PATH``."""

from __future__ import annotations

from pathlib import Path

import click

from geoapp.cli import with_app


@click.command(
    "export", help="Export every layer: gpkg (one file), geojson (a folder), xlsx (Chinese headers)."
)
@click.argument("fmt", metavar="gpkg|geojson|xlsx", type=click.Choice(["gpkg", "geojson", "xlsx"]))
@click.argument("path", type=click.Path(path_type=Path))
def export_cmd(fmt: str, path: Path) -> None:
    _run(fmt, path)


@with_app
def _run(app, fmt: str, path: Path) -> None:
    from geoapp.services.accounts import audit
    from geoapp.services.gis_io.exporter import EXPORTERS

    db = app.extensions["geoapp.db"]
    with db.session() as session:
        counts = EXPORTERS[fmt](session, path)
    with db.write() as session:
        audit.record(session, "export", actor="cli", object_type=fmt, changes={"path": str(path), **counts})
    click.echo(f"exported to {path}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
