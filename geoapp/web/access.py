"""Authorisation in one place.

Every endpoint declares who may call it with ``@access(...)``; one hook before each
request identifies the caller (session cookie or ``Authorization: Bearer`` token),
enforces the declaration, and checks CSRF on state-changing requests from a
browser. An endpoint without a declaration is refused (and fails the test suite).
What rows a caller may see is decided further down, in the services, by the
caller's Scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from geoapp.domain.errors import Forbidden, Unauthenticated
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Role, Scope
from geoapp.services.accounts import audit
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.sessions import TOUCH_EVERY, resolve_session, resolve_token, touch_session
from geoapp.store.models import ApiToken
from geoapp.web.context import database, read_session, settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
csrf = CSRFProtect()


@dataclass(frozen=True)
class Policy:
    roles: frozenset[Role] | None  # None: anyone, logged in or not
    password_change: bool = False  # reachable while a one-time password must be changed

    @property
    def public(self) -> bool:
        return self.roles is None


PUBLIC = Policy(None)
# Endpoints we do not write ourselves.
BUILT_IN: dict[str, Policy] = {"static": PUBLIC}


def access(*roles: Role, public: bool = False, password_change: bool = False) -> Callable:
    """Declare who may call a view: ``@access(Role.OFFICER, Role.ADMIN)``,
    ``@access(*ALL_ROLES)`` for any logged-in user, ``@access(public=True)``."""
    if public and roles:
        raise ValueError("a public endpoint lists no roles")
    if not public and not roles:
        raise ValueError("name the roles, or public=True")
    policy = PUBLIC if public else Policy(frozenset(roles), password_change)

    def decorate(view):
        view.access_policy = policy
        return view

    return decorate


def policy_for(app: Flask, endpoint: str) -> Policy | None:
    if endpoint in BUILT_IN:
        return BUILT_IN[endpoint]
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_policy", None)


def current_scope() -> Scope | None:
    return g.get("scope")


def require_scope() -> Scope:
    scope = current_scope()
    if scope is None:
        raise Unauthenticated(N_("Log in first."))
    return scope


JSON_TYPES = ("application/json", "application/geo+json")


def wants_json() -> bool:
    if request.path.startswith("/ogc") and request.args.get("f") in ("json", "html"):
        return request.args["f"] == "json"  # OGC API clients say which they want
    return request.path.startswith("/api/") or request.accept_mimetypes.best in JSON_TYPES


def _identify() -> None:
    g.scope = None
    g.user = None
    g.via_token = False
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        found = resolve_token(read_session(), header[7:].strip())
        if found is None:
            raise Unauthenticated(N_("The API token is unknown, revoked, or its user is disabled."))
        user, token = found
        g.via_token = True
        if token.last_used_at is None or utcnow() - token.last_used_at > TOUCH_EVERY:
            with database().write() as s:
                s.get(ApiToken, token.id).last_used_at = utcnow()
    else:
        resolved = resolve_session(read_session(), settings(), session.get("sid"))
        if resolved is None:
            return
        user = resolved.user
        g.session_id = resolved.session_id
        if resolved.needs_touch:
            with database().write() as s:
                touch_session(s, resolved.session_id)
    g.user = user
    g.scope = Scope(user.id, user.username, Role(user.role), user.village_id, user.unit_id)


def _refuse(policy: Policy) -> None:
    scope = g.scope
    with database().write() as s:
        audit.record_by(
            s,
            scope,
            "permission.refused",
            object_type="endpoint",
            object_id=request.endpoint,
            changes={"method": request.method, "path": request.path[:200]},
            remote_addr=request.remote_addr,
        )
    raise Forbidden(N_("Your role may not use this page."))


def init_access(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked below, after identification
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # tied to the session instead
    csrf.init_app(app)

    @app.before_request
    def _authorise():
        endpoint = request.endpoint
        if endpoint is None:
            return None  # 404/405: nothing to protect
        policy = policy_for(current_app, endpoint)
        if policy is None:
            raise RuntimeError(f"endpoint {endpoint} declares no access policy")
        if policy.public and endpoint == "static":
            return None
        _identify()
        if not policy.public and g.scope is None:
            if wants_json():
                raise Unauthenticated(N_("Log in first."))
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if request.method not in SAFE_METHODS and not g.via_token:
            csrf.protect()
        if policy.public:
            return None
        if g.user.must_change_password and not policy.password_change and not g.via_token:
            if wants_json():
                raise Forbidden(N_("Change your one-time password first."))
            return redirect(url_for("auth.password"))
        if g.scope.role not in policy.roles:
            _refuse(policy)
        return None

    app.jinja_env.globals["current_scope"] = current_scope
    app.jinja_env.globals["nav_links"] = nav_links
    app.jinja_env.globals["home_url"] = home_url


# Where a user lands after logging in and where the title in the top bar leads: leaders
# follow coverage by village; everyone else works on the map.
HOME: dict[Role, str] = {Role.LEADER: "leaders.page"}


def home_url(role: Role | None = None) -> str:
    if role is None:
        scope = current_scope()
        role = scope.role if scope is not None else None
    return url_for(HOME.get(role, "pages.town"))


# Pages in the top bar: (endpoint, label msgid); shown to the roles the endpoint allows.
NAV: list[tuple[str, str]] = [
    ("pages.town", N_("Map")),
    ("leaders.page", N_("Coverage")),
    ("pages.people", N_("People")),
    ("pages.review", N_("Verification")),
    ("addresses.page", N_("Door plates")),
    ("units.page", N_("Units")),
    ("entry.page", N_("Enter records")),
    ("blocks.mine", N_("My blocks")),
    ("blocks.page", N_("Blocks")),
    ("audit.page", N_("Audit log")),
    ("admin.users", N_("Users")),
    ("admin.campaign", N_("Campaign")),
    ("auth.tokens", N_("API tokens")),
]


def nav_links() -> list[tuple[str, str]]:
    from geoapp.i18n import translate

    scope = current_scope()
    if scope is None:
        return []
    links = []
    for endpoint, label in NAV:
        policy = policy_for(current_app, endpoint)
        if policy is not None and (policy.public or scope.role in policy.roles):
            links.append((endpoint, translate(label)))
    return links
