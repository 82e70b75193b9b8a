"""``geoapp campaign``: the campaign settings (calendar, targets, funding, penalty, thresholds).

``show`` lists every setting with its value, the work plan's default and its last
change; ``set KEY VALUE`` changes one, checked like the administrators' page and
audited with the actor "cli".
"""

from __future__ import annotations

import click
from flask import Flask

from geoapp.cli import with_app
from geoapp.cli.users import CLI_ACTOR, format_table, say, translated
from geoapp.domain.i18n import N_


@click.group("campaign", help="Campaign settings: show, set KEY VALUE.")
def campaign() -> None:
    pass


@campaign.command("show", help="Every setting: key, name, value, the work plan's default, last change.")
@with_app
def show(app: Flask) -> None:
    from geoapp.services.campaign.settings import settings_rows

    with app.extensions["geoapp.db"].session() as s:
        rows = settings_rows(s)
    header = [
        translated(N_("Key")),
        translated(N_("Setting")),
        translated(N_("Value")),
        translated(N_("Default (work plan)")),
        translated(N_("Last changed")),
    ]
    body = [
        [
            r.key,
            translated(r.label),
            r.value,
            r.default,
            f"{r.updated_at:%Y-%m-%d %H:%M} UTC {r.updated_by}" if r.updated_at else "—",
        ]
        for r in rows
    ]
    click.echo(format_table(header, body))


@campaign.command("set", help="Change one setting, e.g. `geoapp campaign set stage1_target 60%`.")
@click.argument("key")
@click.argument("value")
@with_app
def set_cmd(app: Flask, key: str, value: str) -> None:
    from geoapp.services.campaign.settings import set_setting

    with app.extensions["geoapp.db"].write() as s:
        changes = set_setting(s, key, value, CLI_ACTOR)
    if not changes:
        say(N_("%(key)s is already %(value)s: nothing changed."), key=key, value=value)
        return
    for name, (before, after) in changes.items():
        say(N_("%(key)s: %(before)s → %(after)s."), key=name, before=before, after=after)
