"""``geoapp blocks generate [--streets 新街,老街] [--max-buildings N] [--max-metres M]``.

Cuts the frontage of the named streets (ids or names; default: the market town's) into
street-front blocks, as the administrators' button does; blocks already assigned are kept.
Without ``--max-…`` the sizes come from the campaign settings.
"""

from __future__ import annotations

import click

from geoapp.cli import with_app
from geoapp.cli.users import CLI_ACTOR, say
from geoapp.domain.errors import NotFound
from geoapp.domain.i18n import N_


@click.group("blocks", help="Street-front blocks: generate.")
def blocks() -> None:
    pass


@blocks.command("generate", help="Cut the chosen streets' frontage into blocks (default: the market town's).")
@click.option("--streets", default="", help="Street ids or names, separated by commas.")
@click.option("--max-buildings", type=click.IntRange(1, 1000), help="At most this many buildings a block.")
@click.option("--max-metres", type=click.FloatRange(1, 10_000), help="At most this much frontage a block.")
def generate_cmd(streets: str, max_buildings: int | None, max_metres: float | None) -> None:
    _generate(streets, max_buildings, max_metres)


@with_app
def _generate(app, streets: str, max_buildings, max_metres) -> None:
    from sqlalchemy import select

    from geoapp.services.campaign.blocks import generate_blocks
    from geoapp.store.models import Street

    db = app.extensions["geoapp.db"]
    with db.write() as session:
        ids = []
        for word in (w.strip() for w in streets.replace("，", ",").split(",")):
            if not word:
                continue
            found = session.scalars(
                select(Street.id).where(Street.id == int(word) if word.isdigit() else Street.name == word)
            ).all()
            if not found:
                raise NotFound(N_("No street %(id)s."), id=word)
            ids.extend(found)
        result = generate_blocks(
            session, CLI_ACTOR, ids or None, max_buildings=max_buildings, max_metres=max_metres
        )
    say(
        N_("%(blocks)d blocks on %(streets)d streets hold %(buildings)d buildings (largest: %(largest)d); "
           "%(kept)d assigned or drawn blocks kept, %(removed)d replaced."),
        **result.__dict__,
    )  # fmt: skip
