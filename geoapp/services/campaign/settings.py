"""The campaign settings as stored: the work plan's defaults, changed by administrators.

``load_campaign`` is what every report reads. A setting without a row in
``campaign_setting`` takes its default from ``domain.calendar.Campaign``; a change
is checked as a whole (the calendar runs forwards, targets grow) and audited as
``campaign.set`` with each changed key's value before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.calendar import (
    SETTINGS,
    Campaign,
    campaign_from_texts,
    campaign_values,
    campaign_with,
    parse_setting,
    setting_spec,
    setting_text,
)
from geoapp.domain.metrics import stage_deadlines_utc
from geoapp.domain.roles import Scope
from geoapp.domain.validators import Collector
from geoapp.services.accounts import audit
from geoapp.services.accounts.audit import utcnow
from geoapp.store import village_tally
from geoapp.store.models import CampaignSetting

DEFAULTS = Campaign()


@dataclass(frozen=True)
class SettingRow:
    key: str
    label: str  # msgid
    help: str  # msgid
    kind: str
    value: str  # as written: 2016-05-25, 0.6, staged, 余坪派出所
    default: str
    updated_at: datetime | None  # None: the default, never changed
    updated_by: str | None


def _stored(session: Session) -> dict[str, CampaignSetting]:
    return {row.key: row for row in session.scalars(select(CampaignSetting))}


def load_campaign(session: Session) -> Campaign:
    """The campaign as configured (defaults for the keys nobody changed).

    Stored values were checked when written; a key a later version no longer knows is ignored."""
    return campaign_from_texts({key: row.value for key, row in _stored(session).items()}, DEFAULTS)


def settings_rows(session: Session) -> list[SettingRow]:
    """Every setting with its current value, its default and who changed it last."""
    stored = _stored(session)
    current = campaign_values(load_campaign(session))
    defaults = campaign_values(DEFAULTS)
    return [
        SettingRow(
            key=spec.key,
            label=spec.label,
            help=spec.help,
            kind=spec.kind,
            value=setting_text(current[spec.key]),
            default=setting_text(defaults[spec.key]),
            updated_at=stored[spec.key].updated_at if spec.key in stored else None,
            updated_by=stored[spec.key].updated_by if spec.key in stored else None,
        )
        for spec in SETTINGS
    ]


def change_settings(session: Session, texts: dict[str, str], actor: Scope) -> dict[str, list[str]]:
    """Apply the sent values (as typed); every error names its field, nothing is stored then.

    Returns the changes ``{key: [before, after]}`` (empty when nothing changed)."""
    errors = Collector()
    parsed = {}
    for key, text in texts.items():
        spec = errors.check(key, setting_spec, key)
        if spec is not None:
            value = errors.check(spec.key, parse_setting, spec.key, text)
            if value is not None:
                parsed[spec.key] = value
    if len(errors.errors) == 1:
        raise errors.errors[0][1]
    errors.raise_if_any()
    before = load_campaign(session)
    after = campaign_with(before, parsed)
    old, new = campaign_values(before), campaign_values(after)
    changes = {
        key: [setting_text(old[key]), setting_text(new[key])] for key in parsed if old[key] != new[key]
    }
    if not changes:
        return {}
    stored, now = _stored(session), utcnow()
    for key, (_before, value) in changes.items():
        row = stored.get(key) or CampaignSetting(key=key)
        row.value, row.updated_at, row.updated_by = value, now, actor.username
        session.add(row)
    session.flush()
    # Coverage as of today reads the houses grouped by stage deadline: regroup them if one moved.
    village_tally.set_deadlines(session.connection(), stage_deadlines_utc(after))
    audit.record_by(
        session, actor, "campaign.set", object_type="campaign", object_id="settings", changes=changes
    )
    return changes


def set_setting(session: Session, key: str, text: str, actor: Scope) -> dict[str, list[str]]:
    """One setting, as ``geoapp campaign set KEY VALUE`` changes it."""
    return change_settings(session, {key: text}, actor)
