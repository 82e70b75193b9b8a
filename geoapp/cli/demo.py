"""``geoapp demo``: build the synthetic 余坪镇 from the work plan's task table."""

from __future__ import annotations

from pathlib import Path

import click

from geoapp.cli import with_app


@click.command(
    help="Build the demo town 余坪镇 (synthetic, deterministic) and write gis_data/yuping-demo.gpkg."
)
@click.option(
    "--state",
    type=click.Choice(["blank", "mid"]),
    default="mid",
    show_default=True,
    help="blank: nothing collected yet; mid: mid-campaign, villages at different progress.",
)
@click.option("--force", is_flag=True, help="Replace the town already in the database.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds a town.")
@click.option("--seed", type=int, default=2016, show_default=True)
@click.option(
    "--tasks",
    "tasks_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Task table CSV (default gis_data/task_table.csv).",
)
def demo(state: str, force: bool, if_empty: bool, seed: int, tasks_path: Path | None) -> None:
    _run(state=state, force=force, if_empty=if_empty, seed=seed, tasks_path=tasks_path)


@with_app
def _run(app, *, state, force, if_empty, seed, tasks_path) -> None:
    from geoapp.domain.tasks import read_task_table
    from geoapp.services.demo.build import build_demo, demo_gpkg_path, town_exists
    from geoapp.services.gis_io.exporter import export_gpkg
    from geoapp.store.migrate import upgrade

    settings = app.extensions["geoapp.settings"]
    db = app.extensions["geoapp.db"]
    upgrade(db.engine)
    with db.session() as session:
        if if_empty and town_exists(session):
            click.echo("database already holds a town; nothing to do (use --force to rebuild)")
            _demo_tiles(app, missing_only=True)
            _first_admin(app)
            return
    tasks = read_task_table(tasks_path or settings.gis_data / "task_table.csv")
    summary = build_demo(
        db, tasks, state=state, seed=seed, force=force, fronting_distance_m=settings.fronting_distance_m
    )
    gpkg = demo_gpkg_path(settings.gis_data)
    with db.session() as session:
        export_gpkg(session, gpkg)
    click.echo(
        f"余坪镇 demo ({summary.state}): {summary.villages} villages, {summary.streets} streets, "
        f"{summary.houses} houses ({summary.footprints} footprints), {summary.units} units, "
        f"{summary.households} households, {summary.people} people in {summary.seconds:.1f} s; "
        f"layers written to {gpkg}"
    )
    _demo_tiles(app)
    _first_admin(app)


def _demo_tiles(app, *, missing_only: bool = False) -> None:
    """The demo's offline basemap, into the tile file GEOAPP_BASEMAP names (`make run`:
    instance/demo-tiles.mbtiles); nothing when it names none."""
    from geoapp.cli.tiles import build_tiles, default_path
    from geoapp.domain.basemaps import tile_file

    if tile_file(app.extensions["geoapp.settings"].basemaps) is None:
        return
    path = default_path(app)
    if missing_only and path.exists():
        return
    build_tiles(app, path)


def _first_admin(app) -> None:
    """A database without any account gets an administrator with a one-time password,
    printed here once; there is never a default or fixed password."""
    from geoapp.cli.users import CLI_ACTOR, app_hasher, one_time_notice, translated
    from geoapp.domain.i18n import N_
    from geoapp.services.accounts.users import ensure_first_admin

    with app.extensions["geoapp.db"].write() as session:
        new = ensure_first_admin(session, app_hasher(app), actor=CLI_ACTOR)
    if new is None:
        click.echo(translated(N_("Lost the administrator's password? Run: geoapp user reset-password admin")))
        return
    rule = "=" * 72
    click.echo(rule)
    click.echo(translated(N_("No account existed, so an administrator was created:")))
    click.echo(f"    {translated(N_('User name'))}: {new.user.username}")
    click.echo(f"    {translated(N_('One-time password'))}: {new.password}")
    click.echo(translated(N_("Log in with it and choose your own password.")) + " " + one_time_notice())
    click.echo(rule)
