"""Login, logout, password change and personal API tokens."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_babel import gettext

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.roles import ALL_ROLES, Role
from geoapp.i18n import translate
from geoapp.services.accounts import sessions as sessions_service
from geoapp.services.accounts import users as users_service
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.passwords import dummy_hash, make_hasher
from geoapp.web.access import access, home_url, require_scope
from geoapp.web.context import database, settings
from geoapp.web.forms import form_value

bp = Blueprint("auth", __name__)


@cache
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    hasher = make_hasher(time_cost, memory_kib)
    dummy_hash(hasher)  # made now, so the first login with an unknown name is not the fast one
    return hasher


def hasher() -> PasswordHasher:
    s = settings()
    return _hasher(s.argon2_time_cost, s.argon2_memory_kib)


def safe_next(target: str | None, home: str | None = None) -> str:
    """Only local paths: never redirect a login to another site (``//host``, ``/\\host``);
    without one, the user's home page (``home``, default the town map)."""
    parts = urlsplit(target or "")
    if (
        target
        and target.isprintable()
        and "\\" not in target
        and not parts.scheme
        and not parts.netloc
        and target.startswith("/")
        and not target.startswith("//")
    ):
        return target
    return home or url_for("pages.town")


def _login_page(status: int, error: str, username: str = ""):
    page = render_template(
        "login.html", next=request.form.get("next", ""), username=username[:60], error=error
    )
    return page, status


@bp.route("/login", methods=["GET", "POST"])
@access(public=True)
def login():
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""), username="")
    try:
        username, password = form_value("username"), form_value("password")
    except InvalidInput as exc:
        return _login_page(400, exc.render(translate))
    with database().write() as s:
        result = sessions_service.authenticate(
            s, hasher(), settings(), username, password, request.remote_addr
        )
        raw = sessions_service.start_session(s, result.user, request.remote_addr) if result.user else None
    if result.locked:
        page, status = _login_page(429, result.wait_error().render(translate), username)
        return page, status, {"Retry-After": str(result.retry_after_s)}
    if raw is None:
        return _login_page(401, gettext("Wrong user name or password."), username)
    session.clear()  # a new session at every login
    session["sid"] = raw
    session.permanent = True
    if result.user.must_change_password:
        return redirect(url_for("auth.password"))
    return redirect(safe_next(request.form.get("next"), home_url(Role(result.user.role))))


@bp.post("/logout")
@access(*ALL_ROLES, password_change=True)
def logout():
    with database().write() as s:
        sessions_service.end_session(s, session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@access(*ALL_ROLES, password_change=True)
def password():
    if request.method == "GET":
        return render_template("password.html", must_change=g.user.must_change_password)
    try:
        old, new = form_value("old_password"), form_value("new_password")
        if new != form_value("confirm_password"):
            raise InvalidInput(N_("The two new passwords differ: type the same password twice."))
        with database().write() as s:
            users_service.change_password(
                s, hasher(), s.merge(g.user), old, new, keep_session_id=g.get("session_id")
            )
    except InvalidInput as exc:
        return render_template(
            "password.html", must_change=g.user.must_change_password, error=exc.render(translate)
        ), 400
    return redirect(home_url(g.scope.role))


@bp.route("/account/tokens", methods=["GET", "POST"])
@access(*ALL_ROLES)
def tokens():
    scope, max_days = require_scope(), settings().token_max_days
    created, error, status = None, None, 200
    if request.method == "POST":
        try:
            with database().write() as s:
                token, raw = sessions_service.create_token(
                    s, s.merge(g.user), form_value("name"), form_value("days"), max_days=max_days
                )
                created = {"name": token.name, "raw": raw}
        except InvalidInput as exc:
            error, status = exc.render(translate), 400
    with database().session() as s:
        rows = sessions_service.list_tokens(s, scope.user_id)
    page = render_template(
        "tokens.html", tokens=rows, created=created, error=error, now=utcnow(),
        day_choices=sessions_service.token_day_choices(max_days), max_days=max_days,
    )  # fmt: skip
    return page, status


@bp.post("/account/tokens/<int:token_id>/revoke")
@access(*ALL_ROLES)
def revoke_token(token_id: int):
    with database().write() as s:
        sessions_service.revoke_token(s, require_scope(), token_id)
    return redirect(url_for("auth.tokens"))
