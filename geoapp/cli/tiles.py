"""``geoapp tiles build``: draw the town's own offline basemap into an MBTiles file."""

from __future__ import annotations

from pathlib import Path

import click

from geoapp.cli import with_app


@click.group(help="Offline basemap tiles (GEOAPP_BASEMAP=mbtiles:PATH).")
def tiles() -> None:
    pass


@tiles.command(
    "build",
    help="Draw the town's villages, houses and streets into PNG tiles in an MBTiles file "
    "(default: the file GEOAPP_BASEMAP names, else instance/town-tiles.mbtiles).",
)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--min-zoom", type=click.IntRange(0, 20), default=12, show_default=True)
@click.option("--max-zoom", type=click.IntRange(0, 20), default=17, show_default=True)
def build(out: Path | None, min_zoom: int, max_zoom: int) -> None:
    if min_zoom > max_zoom:
        raise click.BadParameter("--min-zoom must not exceed --max-zoom")
    _build(out=out, min_zoom=min_zoom, max_zoom=max_zoom)


def default_path(app) -> Path:
    from geoapp.config import ROOT
    from geoapp.domain.basemaps import tile_file

    configured = tile_file(app.extensions["geoapp.settings"].basemaps)
    path = Path(configured.path) if configured else Path("instance") / "town-tiles.mbtiles"
    return path if path.is_absolute() else ROOT / path


def build_tiles(app, path: Path, *, min_zoom: int = 12, max_zoom: int = 17) -> None:
    from geoapp.services.gis_io.basemap_tiles import build_town_tiles

    with app.extensions["geoapp.db"].session() as session:
        result = build_town_tiles(session, path, min_zoom=min_zoom, max_zoom=max_zoom)
    click.echo(
        f"basemap: {result.tiles} tiles, zooms {result.min_zoom}-{result.max_zoom}, "
        f"{result.bytes / 1e6:.1f} MB in {result.seconds:.1f} s: {result.path}"
    )


@with_app
def _build(app, *, out, min_zoom, max_zoom) -> None:
    build_tiles(app, out or default_path(app), min_zoom=min_zoom, max_zoom=max_zoom)
