"""``geoapp address number STREET [--dry-run]`` and ``geoapp plates --street|--village … --pdf PATH``.

Numbering shows the run first (the same preview as the page) and stores it only when
confirmed (``--yes`` confirms without asking); ``--dry-run`` stores nothing. Plates are
the same A4 sheets as ``GET /plates/…pdf``; their QR codes hold ``--base-url`` (or
``$GEOAPP_PUBLIC_URL``): the address the phones open.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from geoapp.cli import with_app
from geoapp.domain.address import MAX_DOOR
from geoapp.domain.errors import InvalidInput, NotFound
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Role, Scope

# The command line acts as the station office: the whole town.
CLI_ACTOR = Scope(None, "cli", Role.ADMIN)


@click.group("address", help="Standard addresses: number the houses along a street.")
def address() -> None:
    pass


@address.command("number", help="Give door numbers to the houses of STREET (id or name) that have none.")
@click.argument("street")
@click.option("--dry-run", is_flag=True, help="Show the numbers the houses would get; store nothing.")
@click.option("--start-odd", type=click.IntRange(1, MAX_DOOR), help="First odd number (left side).")
@click.option("--start-even", type=click.IntRange(1, MAX_DOOR), help="First even number (right side).")
@click.option("--yes", is_flag=True, help="Store without asking for confirmation.")
def number_cmd(street: str, dry_run: bool, start_odd: int | None, start_even: int | None, yes: bool) -> None:
    _number(street, dry_run, start_odd, start_even, yes)


@with_app
def _number(app, street: str, dry_run: bool, start_odd, start_even, yes: bool) -> None:
    from geoapp.domain.address import LEFT, RIGHT, SIDE_LABELS
    from geoapp.i18n import translate
    from geoapp.services.addresses.numbering import apply_numbering, clash_error, plan_numbering

    db = app.extensions["geoapp.db"]
    with db.session() as session:
        street_id = _street_id(session, street)
        plan = plan_numbering(session, street_id, start_odd=start_odd, start_even=start_even)
    say = lambda template, **params: click.echo(translate(template) % params)  # noqa: E731
    say(N_("%(street)s (street %(id)d): %(houses)d houses front it, %(changes)d without a door number."),
        street=plan.street, id=plan.street_id, houses=len(plan.rows), changes=len(plan.changes))  # fmt: skip
    for row in plan.changes:
        mark = translate(N_("already house %(id)s")) % {"id": row.clash_with} if row.clash_with else ""
        click.echo(
            f"  {row.at_m:7.1f} m  {translate(SIDE_LABELS[row.side])}  #{row.building_id}  "
            f"{row.address} → {row.new_door}  {row.new_address}  {mark}".rstrip()
        )
    for side in (LEFT, RIGHT):
        if span := plan.side_range(side):
            say(
                N_("%(side)s: %(first)s to %(last)s."),
                side=translate(SIDE_LABELS[side]),
                first=span[0],
                last=span[1],
            )
    if plan.clashes:
        raise clash_error(plan)
    if not plan.changes:
        say(N_("Nothing to number."))
        return
    if dry_run:
        say(N_("Dry run: nothing was stored."))
        return
    if not yes and not click.confirm(translate(N_("Store these door numbers?")), default=False):
        say(N_("Nothing was stored."))
        sys.exit(1)
    with db.write() as session:
        result = apply_numbering(session, CLI_ACTOR, street_id, fingerprint=plan.fingerprint,
                                 start_odd=start_odd, start_even=start_even)  # fmt: skip
    say(N_("%(street)s: %(count)d houses numbered."), street=result.street, count=result.count)


@click.command("plates", help="Write the QR door plates of a street or a village as A4 PDF sheets.")
@click.option("--street", help="Street id or name.")
@click.option("--village", help="Village id, 12-digit code or name.")
@click.option("--pdf", "path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--base-url", help="The address phones open, e.g. https://192.168.1.10:8443 (default $GEOAPP_PUBLIC_URL).")  # fmt: skip
def plates(street: str | None, village: str | None, path: Path, base_url: str | None) -> None:
    if (street is None) == (village is None):
        raise click.UsageError("give one of --street or --village")
    _plates(street, village, path, base_url)


@with_app
def _plates(app, street: str | None, village: str | None, path: Path, base_url: str | None) -> None:
    from geoapp.cli.reports import _write_atomically
    from geoapp.domain.address import TOWN_NAME
    from geoapp.i18n import translate
    from geoapp.services.addresses.plates import plates_for_street, plates_for_village
    from geoapp.services.addresses.sheet import plate_sheet

    base = base_url or app.extensions["geoapp.settings"].public_url
    if not base.startswith(("http://", "https://")):
        raise InvalidInput(
            N_("%(field)s: give the address phones open, e.g. --base-url https://192.168.1.10:8443 (or set GEOAPP_PUBLIC_URL)."),
            field="--base-url",
        )  # fmt: skip
    with app.extensions["geoapp.db"].session() as session:
        if street is not None:
            found = plates_for_street(session, CLI_ACTOR, _street_id(session, street), base_url=base)
        else:
            found = plates_for_village(session, CLI_ACTOR, _village_id(session, village), base_url=base)
    _write_atomically(path, plate_sheet(found, gettext=translate, town=TOWN_NAME))
    click.echo(
        translate(
            N_("Wrote %(path)s: %(plates)d door plates of %(name)s; houses without a door number: %(left)d.")
        )
        % {"path": path, "plates": len(found.plates), "name": found.title, "left": found.unnumbered}
    )


def _street_id(session, value: str) -> int:
    from sqlalchemy import select

    from geoapp.store.models import Street

    if value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value)
    ids = session.scalars(select(Street.id).where(Street.name == value.strip()).order_by(Street.id)).all()
    if not ids:
        raise NotFound(N_("No street is named %(name)s."), name=value)
    if len(ids) > 1:
        raise InvalidInput(N_("%(field)s: several streets are named %(name)s (ids %(ids)s): give the id."),
                           field="street", name=value, ids=", ".join(map(str, ids)))  # fmt: skip
    return ids[0]


def _village_id(session, value: str) -> int:
    from sqlalchemy import or_, select

    from geoapp.store.models import Village

    text = value.strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    found = session.scalar(select(Village.id).where(or_(Village.code == text, Village.name == text)))
    if found is None:
        raise NotFound(N_("No village has the code or name %(name)s."), name=value)
    return found
