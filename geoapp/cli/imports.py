"""``geoapp import villages|buildings|streets|units FILE``: import a GIS layer, all or nothing;
``geoapp import people FILE.xlsx|FILE.csv``: enter old records (录入), see ``--dry-run``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from geoapp.cli import with_app

FIELD_OPTIONS = ("name", "code", "address", "door", "use", "floors", "village", "kind", "uscc")


def _field_pairs(values: tuple[str, ...]) -> dict[str, str]:
    fields = {}
    for value in values:
        role, sep, column = value.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise click.BadParameter(
                f"{value!r}: write ROLE=COLUMN, e.g. task_people=任务人口", param_hint="--field"
            )
        fields[role.strip()] = column.strip()
    return fields


class _Bar:
    """A tqdm bar on stderr, created on the first report (it shows only after a second)."""

    def __init__(self) -> None:
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=sys.stderr, unit="features", delay=1.0, leave=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@click.command(
    "import",
    help=(
        "Import a GIS layer (GeoJSON, GeoPackage, Shapefile loose or zipped, CSV with coordinate columns). "
        "Coordinates are reprojected to EPSG:4326; the whole file is stored or nothing is."
    ),
)
@click.argument("layer", type=click.Choice(["villages", "buildings", "streets", "units", "people"]))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--crs", help="CRS of the coordinates when the file has none or a wrong one, e.g. EPSG:4547.")
@click.option("--layer", "layer_name", help="Layer to read from a GeoPackage holding several.")
@click.option("--x-field", help="CSV column of the x / longitude coordinate.")
@click.option("--y-field", help="CSV column of the y / latitude coordinate.")
@click.option("--name-field", help="Column of the name (村名, 街路巷名, 单位名称…).")
@click.option("--code-field", help="Column of the 12-digit village code.")
@click.option("--address-field", help="Column of the building address.")
@click.option("--door-field", help="Column of the door number (门牌号).")
@click.option("--use-field", help="Column of the building use (用途).")
@click.option("--floors-field", help="Column of the number of floors (层数).")
@click.option("--village-field", help="Column naming the building's village (checked against its position).")
@click.option("--kind-field", help="Column of the street or unit kind.")
@click.option("--uscc-field", help="Column of the unified social credit code.")
@click.option(
    "--field",
    "extra_fields",
    multiple=True,
    metavar="ROLE=COLUMN",
    help="Any other column, e.g. task_people=人口.",
)
@click.option(
    "--outside-village", metavar="CODE", help="Put buildings outside every village into this village."
)
@click.option("--skip-outside", is_flag=True, help="Leave out buildings outside every village (reported).")
@click.option(
    "--skip-existing",
    is_flag=True,
    help="Leave out features already in the database (a retried or extended import stores only what is new).",
)
@click.option(
    "--repair",
    is_flag=True,
    help="Repair invalid polygons (make_valid, keeping the polygonal part); each repair is reported.",
)
@click.option(
    "--max-area-change",
    type=click.FloatRange(0, 100),
    default=0.05,
    show_default=True,
    help="With --repair: refuse a repair changing the area by more than this share (0.05 = 5 %).",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Leave out (and list) features that cannot be stored (empty, unrepairable) instead of refusing the file.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read, check, repair and match everything and report what would be stored; store nothing. "
    "people: show how each row matches a house.",
)
@click.option("--choose", multiple=True, metavar="ROW=HOUSE", help="people: the house of a row several fit.")
@with_app
def import_cmd(app, layer: str, path: Path, **opts) -> None:
    from geoapp.domain.i18n import render
    from geoapp.i18n import translate

    dry_run, choose = opts.pop("dry_run"), opts.pop("choose")
    if layer == "people":
        _import_people(app, path, dry_run, choose)
        return
    from geoapp.services.gis_io.importer import ImportOptions, import_layer, import_limits

    fields = _field_pairs(opts.pop("extra_fields"))
    for role in FIELD_OPTIONS:
        if value := opts.pop(f"{role}_field"):
            fields[role] = value
    settings = app.extensions["geoapp.settings"]
    options = ImportOptions(
        crs=opts["crs"],
        layer=opts["layer_name"],
        x_field=opts["x_field"],
        y_field=opts["y_field"],
        fields=fields,
        outside_village=opts["outside_village"],
        skip_outside=opts["skip_outside"],
        skip_existing=opts["skip_existing"],
        repair=opts["repair"],
        max_area_change=opts["max_area_change"],
        skip_invalid=opts["skip_invalid"],
        dry_run=dry_run,
        fronting_distance_m=settings.fronting_distance_m,
        limits=import_limits(settings),
        actor="cli",
    )
    bar = _Bar()
    try:
        summary = import_layer(app.extensions["geoapp.db"], layer, path, options, progress=bar)
    finally:
        bar.close()
    for template, params in summary.messages():
        click.echo(render(template, params, translate))


def _import_people(app, path: Path, dry_run: bool, choose: tuple[str, ...]) -> None:
    from geoapp.domain.roles import Role, Scope
    from geoapp.i18n import translate
    from geoapp.services.gis_io.importer import people

    choices = {}
    for value in choose:
        row, sep, house = value.partition("=")
        if not sep or not row.strip().isdigit() or not house.strip().isdigit():
            raise click.BadParameter(f"{value!r}: write ROW=HOUSE, e.g. 12=4031", param_hint="--choose")
        choices[int(row)] = int(house)
    if not path.is_file():
        raise click.BadParameter(f"{path} does not exist", param_hint="PATH")
    data, settings = path.read_bytes(), app.extensions["geoapp.settings"]
    scope = Scope(None, "cli", Role.ADMIN)
    with app.extensions["geoapp.db"].write() as session:
        if dry_run:
            plan = people.plan_entry(session, scope, settings, data, path.name, choices=choices)
        else:
            plan = people.confirm_entry(session, scope, settings, data, path.name, choices=choices)
    for line in people.report(plan, translate, dry_run=dry_run):
        click.echo(line)
