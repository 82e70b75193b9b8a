"""``geoapp user``: accounts from the command line (the first administrator, bulk collectors).

Every change goes through geoapp.services.accounts.users and is audited with the actor "cli".
One-time passwords are printed once; each account must change its password at first login.
"""

from __future__ import annotations

import csv
import os
import unicodedata
from pathlib import Path

import click
from flask import Flask

from geoapp.cli import with_app
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Role, Scope
from geoapp.domain.spreadsheet import neutralise

CLI_ACTOR = Scope(None, "cli", Role.ADMIN)
ROLE_CHOICE = click.Choice([r.value for r in Role], case_sensitive=False)


def translated(template: str, **params) -> str:
    from geoapp.i18n import translate

    text = translate(template)
    return text % params if params else text


def app_hasher(app: Flask):
    from geoapp.services.accounts.passwords import make_hasher

    settings = app.extensions["geoapp.settings"]
    return make_hasher(settings.argon2_time_cost, settings.argon2_memory_kib)


def _width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = (str(c) + " " * (w - _width(str(c))) for c, w in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def say(template: str, **params) -> None:
    click.echo(translated(template, **params))


def one_time_notice() -> str:
    return translated(N_("One-time passwords are shown once; each must be changed at the first login."))


@click.group("user", help="User accounts: add, list, disable/enable, set-role, reset-password, import.")
def user() -> None:
    pass


@user.command("add", help="Create an account; prints its one-time password (changed at first login).")
@click.argument("username")
@click.option(
    "--role", type=ROLE_CHOICE, required=True, help="admin, officer, leader, collector or reporter."
)
@click.option("--name", default="", help="The person's name.")
@click.option("--phone", help="The person's phone number.")
@click.option("--village", help="A collector's village: 12-digit code, name or id.")
@click.option("--unit", "unit_id", type=int, help="A unit reporter's unit id.")
@with_app
def add(
    app: Flask,
    username: str,
    role: str,
    name: str,
    phone: str | None,
    village: str | None,
    unit_id: int | None,
) -> None:
    from geoapp.services.accounts.users import create_user

    with app.extensions["geoapp.db"].write() as s:
        new = create_user(
            s,
            app_hasher(app),
            username=username,
            role=role,
            name=name,
            phone=phone,
            village=village,
            unit_id=unit_id,
            actor=CLI_ACTOR,
        )
        created = new.user.username
    say(N_("Created %(username)s (%(role)s)."), username=created, role=role.lower())
    click.echo(f"{translated(N_('One-time password'))}: {new.password}")
    click.echo(one_time_notice())


@user.command("list", help="Every account: user name, name, role, village, disabled, last login.")
@with_app
def list_cmd(app: Flask) -> None:
    from geoapp.services.accounts.users import list_users

    with app.extensions["geoapp.db"].session() as s:
        rows = list_users(s)
    if not rows:
        say(N_("There are no users yet: create the first with “geoapp user add --role admin NAME”."))
        return
    yes, no = translated(N_("yes")), translated(N_("no"))
    header = [
        translated(N_("User name")),
        translated(N_("Name")),
        translated(N_("Role")),
        translated(N_("Village")),
        translated(N_("Disabled")),
        translated(N_("Last login")),
    ]
    body = [
        [
            u.username,
            u.name or "—",
            u.role,
            village or "—",
            yes if u.disabled else no,
            u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "—",
        ]
        for u, village in rows
    ]
    click.echo(format_table(header, body))


def _set_disabled(app: Flask, username: str, disabled: bool) -> None:
    from geoapp.services.accounts.users import set_disabled

    with app.extensions["geoapp.db"].write() as s:
        name = set_disabled(s, username, disabled, actor=CLI_ACTOR).username
    if disabled:
        say(N_("Disabled %(username)s: their sessions and API tokens stopped working."), username=name)
    else:
        say(N_("Enabled %(username)s."), username=name)


@user.command("disable", help="Disable an account; its sessions end and its API tokens are revoked at once.")
@click.argument("username")
@with_app
def disable(app: Flask, username: str) -> None:
    _set_disabled(app, username, True)


@user.command("enable", help="Enable a disabled account again.")
@click.argument("username")
@with_app
def enable(app: Flask, username: str) -> None:
    _set_disabled(app, username, False)


@user.command("set-role", help="Change an account's role (and village or unit); it logs in again.")
@click.argument("username")
@click.argument("role", type=ROLE_CHOICE)
@click.option("--village", help="A collector's village: 12-digit code, name or id.")
@click.option("--unit", "unit_id", type=int, help="A unit reporter's unit id.")
@with_app
def set_role_cmd(app: Flask, username: str, role: str, village: str | None, unit_id: int | None) -> None:
    from geoapp.services.accounts.users import set_role

    with app.extensions["geoapp.db"].write() as s:
        name = set_role(s, username, role, village=village, unit_id=unit_id, actor=CLI_ACTOR).username
    say(N_("%(username)s is now %(role)s; their sessions ended."), username=name, role=role.lower())


@user.command(
    "reset-password",
    help="Give an account a new one-time password (printed), end its sessions, revoke its API tokens.",
)
@click.argument("username")
@with_app
def reset_password_cmd(app: Flask, username: str) -> None:
    from geoapp.services.accounts.users import reset_password

    with app.extensions["geoapp.db"].write() as s:
        password = reset_password(s, app_hasher(app), username, actor=CLI_ACTOR)
    say(N_("New one-time password for %(username)s: %(password)s"), username=username, password=password)
    say(N_("Their sessions have ended and their API tokens are revoked."))
    click.echo(one_time_notice())


def _open_private(path: Path):
    """A new file only its owner may read (mode 0600); an existing file is never overwritten."""
    from geoapp.domain.errors import InvalidInput

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInput(
            N_("%(field)s already exists: choose a new file name (earlier passwords are not overwritten)."),
            field=str(path),
        ) from None
    except OSError as exc:
        raise InvalidInput(
            N_("%(field)s cannot be created (%(reason)s): check the folder."),
            field=str(path),
            reason=exc.strerror,
        ) from None
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8-sig", newline="")  # -sig: Excel reads the Chinese names


@user.command(
    "import",
    help="Create accounts from a CSV (姓名/name, 电话/phone, 角色/role, 村/village); all or nothing.",
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write user names and one-time passwords to this new CSV (mode 0600) instead of printing them.",
)
@with_app
def import_cmd(app: Flask, path: Path, out: Path | None) -> None:
    from geoapp.services.accounts.users import import_users_csv

    data = path.read_bytes()
    fh = _open_private(out) if out else None
    try:
        with app.extensions["geoapp.db"].write() as s:
            created = import_users_csv(s, app_hasher(app), data, source=path.name, actor=CLI_ACTOR)
            rows = [[n.user.username, n.user.name, n.user.role, n.password] for n in created]
            if fh is not None:  # written before the commit: no accounts without their passwords
                writer = csv.writer(fh)
                writer.writerow(["username", "name", "role", "one_time_password"])
                # The file opens in Excel: a name such as =HYPERLINK(…) must stay text.
                writer.writerows([neutralise(cell) for cell in row] for row in rows)
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException:
        if fh is not None:
            fh.close()
            out.unlink(missing_ok=True)
        raise
    if fh is not None:
        fh.close()
        say(N_("Created %(n)d accounts from %(file)s; one-time passwords are in %(out)s (readable by you only)."),
            n=len(rows), file=path.name, out=out)  # fmt: skip
    else:
        say(N_("Created %(n)d accounts from %(file)s."), n=len(rows), file=path.name)
        header = [
            translated(N_("User name")),
            translated(N_("Name")),
            translated(N_("Role")),
            translated(N_("One-time password")),
        ]
        click.echo(format_table(header, rows))
    click.echo(one_time_notice())
