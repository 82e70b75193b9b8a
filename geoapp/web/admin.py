"""Administration pages: user accounts and the campaign settings (administrators only).

One-time passwords are shown once, in the response to the POST that made them;
they are never stored in clear, logged or audited. No GET changes anything.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from geoapp.domain.calendar import DEADLINE_RULE_LABELS, SETTING_KEYS, DeadlineRule
from geoapp.domain.errors import Conflict, InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.inputs import parse_flag, printable
from geoapp.domain.roles import ROLE_LABELS, Role
from geoapp.domain.validators import FormErrors
from geoapp.i18n import translate
from geoapp.services.accounts import users as users_service
from geoapp.services.campaign import settings as campaign_settings
from geoapp.services.campaign.blocks import village_history as village_assignments
from geoapp.web.access import access, require_scope
from geoapp.web.auth import hasher
from geoapp.web.context import database, read_session
from geoapp.web.forms import form_value

bp = Blueprint("admin", __name__, url_prefix="/admin")

CSV_MAX_BYTES = 1_000_000  # a town's collectors fit in a few kilobytes


def _role_labels() -> dict[str, str]:
    return {role.value: translate(label) for role, label in ROLE_LABELS.items()}


def _users_page(status: int = 200, **extra):
    with database().session() as s:  # a new session: it sees the write just committed
        rows, choices = users_service.list_users(s), users_service.scope_choices(s)
    page = render_template(
        "admin_users.html",
        rows=rows,
        choices=choices,
        units=dict(choices.units),
        role_labels=_role_labels(),
        form=extra.pop("form", {}),
        **extra,
    )
    return page, status


def _user_page(user_id: int, status: int = 200, **extra):
    with database().session() as s:
        user = users_service.get_user(s, user_id)
        choices = users_service.scope_choices(s)
        tokens = users_service.token_count(s, user.id)
        village_history = village_assignments(s, user.id)
    page = render_template(
        "admin_user.html",
        user=user,
        choices=choices,
        village_name=dict(choices.villages).get(user.village_id),
        unit_name=dict(choices.units).get(user.unit_id),
        tokens=tokens,
        village_history=village_history,
        role_labels=_role_labels(),
        **extra,
    )
    return page, status


@bp.get("/users")
@access(Role.ADMIN)
def users():
    return _users_page()


@bp.post("/users")
@access(Role.ADMIN)
def create_user():
    try:
        fields = {name: form_value(name) for name in ("username", "role", "name", "phone", "village", "unit")}
        with database().write() as s:
            new = users_service.create_user(
                s,
                hasher(),
                username=fields["username"],
                role=fields["role"],
                name=fields["name"],
                phone=fields["phone"],
                village=fields["village"] or None,
                unit_id=fields["unit"],
                actor=require_scope(),
            )
            created = [(new.user.username, new.user.name, new.password)]
    except (InvalidInput, Conflict) as exc:
        return _users_page(exc.http_status, error=exc.render(translate), form=request.form)
    return _users_page(created=created)


@bp.post("/users/import")
@access(Role.ADMIN)
def import_users():
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidInput(N_("%(field)s: choose a CSV file to upload."), field="file")
        data = upload.read(CSV_MAX_BYTES + 1)
        if len(data) > CSV_MAX_BYTES:
            raise InvalidInput(
                N_("%(field)s is larger than 1 MB: is it the user list?"), field=printable(upload.filename)
            )
        with database().write() as s:
            new = users_service.import_users_csv(
                s, hasher(), data, source=upload.filename, actor=require_scope()
            )
            created = [(n.user.username, n.user.name, n.password) for n in new]
    except users_service.RowsRefused as exc:
        error = translate(N_("Nothing was created: fix these lines and upload the file again."))
        return _users_page(exc.http_status, import_error=error, import_rows=exc.row_messages(translate))
    except InvalidInput as exc:
        return _users_page(exc.http_status, import_error=exc.render(translate))
    return _users_page(created=created)


@bp.get("/users/<int:user_id>")
@access(Role.ADMIN)
def user(user_id: int):
    return _user_page(user_id)


@bp.post("/users/<int:user_id>/role")
@access(Role.ADMIN)
def set_role(user_id: int):
    try:
        role, village, unit = form_value("role"), form_value("village"), form_value("unit")
        with database().write() as s:
            username = users_service.get_user(s, user_id).username
            users_service.set_role(s, username, role, village=village, unit_id=unit, actor=require_scope())
    except (InvalidInput, Conflict) as exc:
        return _user_page(user_id, exc.http_status, error=exc.render(translate))
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/disabled")
@access(Role.ADMIN)
def set_disabled(user_id: int):
    try:
        disabled = parse_flag(form_value("disabled"), field="disabled")
        with database().write() as s:
            username = users_service.get_user(s, user_id).username
            users_service.set_disabled(s, username, disabled, actor=require_scope())
    except (InvalidInput, Conflict) as exc:
        return _user_page(user_id, exc.http_status, error=exc.render(translate))
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@access(Role.ADMIN)
def reset_password(user_id: int):
    with database().write() as s:
        username = users_service.get_user(s, user_id).username
        password = users_service.reset_password(s, hasher(), username, actor=require_scope())
    return _user_page(user_id, new_password=password)


# -- campaign settings --------------------------------------------------------------------


def _shown(kind: str, value: str) -> str:
    """A share as a percentage (60%), other values as stored."""
    return f"{float(value) * 100:g}%" if kind == "share" else value


def _campaign_page(status: int = 200, *, form: dict | None = None, errors: dict | None = None, **extra):
    rows = campaign_settings.settings_rows(read_session())
    page = render_template(
        "admin_campaign.html",
        rows=rows,
        # Translated here: the page's _() would read a "%" in a help text as a placeholder.
        texts={row.key: (translate(row.label), translate(row.help)) for row in rows},
        values={**{row.key: _shown(row.kind, row.value) for row in rows}, **(form or {})},
        defaults={row.key: _shown(row.kind, row.default) for row in rows},
        errors=errors or {},
        rules=[(rule.value, translate(label)) for rule, label in DEADLINE_RULE_LABELS.items()],
        rule_labels={rule.value: translate(DEADLINE_RULE_LABELS[rule]) for rule in DeadlineRule},
        **extra,
    )
    return page, status


@bp.get("/campaign")
@access(Role.ADMIN)
def campaign():
    return _campaign_page(saved=request.args.get("saved"))


@bp.post("/campaign")
@access(Role.ADMIN)
def update_campaign():
    texts = {key: request.form[key] for key in SETTING_KEYS if key in request.form}
    try:
        with database().write() as s:
            changes = campaign_settings.change_settings(s, texts, require_scope())
    except FormErrors as exc:
        errors = {path: err.render(translate) for path, err in exc.errors}
        return _campaign_page(exc.http_status, form=texts, errors=errors, error=exc.render(translate))
    except InvalidInput as exc:
        message = exc.render(translate)
        return _campaign_page(exc.http_status, form=texts, errors={exc.field: message}, error=message)
    return redirect(url_for("admin.campaign", saved=len(changes)))
