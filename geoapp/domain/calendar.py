"""The campaign calendar and its rules (work plan §五, §六(三)): defaults, configurable per campaign.

``Campaign`` holds everything the metrics need: the phases' dates, the two
collection stages' deadlines and targets, the deadline rule for timeliness, the
funding rate, the penalty, the thresholds for "on time" and "with quality", and
the station's own collection task. Its defaults are the work plan's
(余政发[2016]28号); administrators change them in the database (one value per key,
``SETTINGS`` below), and ``campaign_with`` checks a change before it is stored.

Days are China's days (Beijing time, UTC+8); a deadline means the end of that day.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.validators import clean_text


@dataclass(frozen=True)
class Stage:
    name: str
    start: date
    end: date
    target: float  # share of the task due by ``end`` (0..1); 0 when nothing is due


class DeadlineRule(StrEnum):
    """When a record is due, for the timeliness rate (see ``metrics.timeliness``)."""

    # The first stage-1-target share of the task is due by the stage-1 deadline, the
    # records beyond it (up to the stage-2 target) by the stage-2 deadline.
    STAGED = "staged"
    # The whole stage-2-target share of the task is due by the stage-2 deadline only.
    FINAL = "final"


DEADLINE_RULE_LABELS: dict[DeadlineRule, str] = {
    DeadlineRule.STAGED: N_(
        "By stage: the stage-1 share of the task is due by the stage-1 deadline, the rest by the stage-2 deadline"
    ),
    DeadlineRule.FINAL: N_("At the end: the whole task is due by the stage-2 deadline"),
}


@dataclass(frozen=True)
class Campaign:
    mobilisation_start: date = date(2016, 4, 10)
    collection_start: date = date(2016, 4, 27)  # also the end of mobilisation
    stage1_end: date = date(2016, 5, 25)
    stage1_target: float = 0.6
    stage2_end: date = date(2016, 6, 30)  # stage 2 starts the day after stage 1 ends
    stage2_target: float = 1.0
    assessment_end: date = date(2016, 9, 25)  # the assessment starts when stage 2 ends
    deadline_rule: DeadlineRule = DeadlineRule.STAGED
    funding_yuan_per_household: int = 2
    penalty_points: int = 50
    on_time_threshold: float = 1.0  # timeliness rate at or above which a village finished on time
    quality_threshold: float = 0.9  # accuracy rate at or above which a village's work has quality
    station_name: str = "余坪派出所"
    station_task_units: int = 400  # the station's own collection task (task table, 实有单位)
    block_max_buildings: int = 10  # street-front blocks: at most this many buildings
    block_max_metres: int = 120  # and this much frontage (metres)

    @property
    def year(self) -> int:
        return self.collection_start.year

    @property
    def start(self) -> date:
        return self.mobilisation_start

    @property
    def end(self) -> date:
        return self.assessment_end

    @cached_property
    def stages(self) -> tuple[Stage, ...]:
        return (
            Stage("mobilisation", self.mobilisation_start, self.collection_start, 0.0),
            Stage("collection-1", self.collection_start, self.stage1_end, self.stage1_target),
            Stage("collection-2", self.stage1_end + timedelta(days=1), self.stage2_end, self.stage2_target),
            Stage("assessment", self.stage2_end, self.assessment_end, self.stage2_target),
        )

    @cached_property
    def collection_stages(self) -> tuple[Stage, Stage]:
        return self.stages[1], self.stages[2]

    def stage_on(self, day: date) -> Stage | None:
        for stage in self.stages:
            if stage.start <= day <= stage.end:
                return stage
        return None

    def cap(self, day: date) -> date:
        """A day no later than the campaign's end (the end of the assessment)."""
        return min(day, self.end)


# -- settings: one value per key, as administrators edit them ----------------------------


@dataclass(frozen=True)
class SettingSpec:
    key: str
    kind: str  # "date" | "share" | "count" | "rule" | "text"
    label: str  # msgid, also the field's name in error messages (domain/fields.py)
    help: str  # msgid


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "mobilisation_start", "date", N_("Mobilisation starts"), N_("First day of the mobilisation phase.")
    ),
    SettingSpec(
        "collection_start",
        "date",
        N_("Collection starts"),
        N_("First day of collection stage 1; mobilisation ends that day."),
    ),
    SettingSpec("stage1_end", "date", N_("Stage 1 deadline"), N_("Last day of collection stage 1.")),
    SettingSpec(
        "stage1_target",
        "share",
        N_("Stage 1 target"),
        N_("Share of the task due by the stage 1 deadline, e.g. 60%."),
    ),
    SettingSpec(
        "stage2_end",
        "date",
        N_("Stage 2 deadline"),
        N_("Last day of collection stage 2; the assessment starts that day."),
    ),
    SettingSpec(
        "stage2_target",
        "share",
        N_("Stage 2 target"),
        N_("Share of the task due by the stage 2 deadline, e.g. 100%."),
    ),
    SettingSpec(
        "assessment_end", "date", N_("Assessment ends"), N_("Last day of the assessment and of the campaign.")
    ),
    SettingSpec(
        "deadline_rule", "rule", N_("Deadline rule"), N_("When a record is due, for the timeliness rate.")
    ),
    SettingSpec(
        "funding_yuan_per_household",
        "count",
        N_("Funding per household (yuan)"),
        N_("Paid per household collected to a village that finishes on time with quality."),
    ),
    SettingSpec(
        "penalty_points",
        "count",
        N_("Penalty (points)"),
        N_("Taken from a village that finishes late with low quality, in the year-end assessment."),
    ),
    SettingSpec(
        "on_time_threshold",
        "share",
        N_("On-time threshold"),
        N_("Timeliness rate at or above which a village finished on time."),
    ),
    SettingSpec(
        "quality_threshold",
        "share",
        N_("Quality threshold"),
        N_("Accuracy rate at or above which a village's work has quality."),
    ),
    SettingSpec(
        "station_name", "text", N_("Police station"), N_("Name of the station's row in the coverage table.")
    ),
    SettingSpec(
        "station_task_units",
        "count",
        N_("Station's unit task"),
        N_("Units the station collects itself (street-front shops, factories and enterprises)."),
    ),
)
SETTINGS += (
    SettingSpec("block_max_buildings", "count", N_("Buildings per block"),
                N_("Generated street-front blocks hold at most this many buildings.")),
    SettingSpec("block_max_metres", "count", N_("Frontage per block (m)"),
                N_("Generated street-front blocks span at most this many metres of street.")),
)  # fmt: skip
SETTING_KEYS: tuple[str, ...] = tuple(s.key for s in SETTINGS)
_SPECS = {s.key: s for s in SETTINGS}
assert set(SETTING_KEYS) == {f.name for f in fields(Campaign)}
MAX_COUNT = 1_000_000
MAX_TEXT = 100


def setting_spec(key: str) -> SettingSpec:
    spec = _SPECS.get(str(key).strip())
    if spec is None:
        raise InvalidInput(
            N_("%(field)s is not a campaign setting; the settings are: %(keys)s."),
            field=str(key)[:60],
            keys=", ".join(SETTING_KEYS),
        )
    return spec


def parse_setting(key: str, text: object) -> object:
    """A setting's value from what a form or the command line sent; errors name the field."""
    spec = setting_spec(key)
    value = str(text if text is not None else "").strip()
    if not value:
        raise InvalidInput(N_("%(field)s is required."), field=spec.key)
    if spec.kind == "date":
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                N_("%(field)s must be a date written YYYY-MM-DD, e.g. 2016-05-25; got %(value)s."),
                field=spec.key,
                value=value[:40],
            ) from None
    if spec.kind == "share":
        return _parse_share(spec.key, value)
    if spec.kind == "count":
        if not (value.isascii() and value.isdigit()) or int(value) > MAX_COUNT:
            raise InvalidInput(
                N_("%(field)s must be a whole number from 0 to %(max)d; got %(value)s."),
                field=spec.key,
                max=MAX_COUNT,
                value=value[:40],
            )
        return int(value)
    if spec.kind == "rule":
        try:
            return DeadlineRule(value.lower())
        except ValueError:
            raise InvalidInput(
                N_("%(field)s must be one of %(choices)s; got %(value)s."),
                field=spec.key,
                choices=", ".join(r.value for r in DeadlineRule),
                value=value[:40],
            ) from None
    return clean_text(value, field=spec.key, required=True, max_length=MAX_TEXT)


_SHARE = re.compile(r"^(\d+(?:\.\d+)?)\s*(%?)$")


def _parse_share(key: str, value: str) -> float:
    """ "60%", "60 %" or "0.6"; a number above 1 needs its per cent sign."""
    match = _SHARE.match(value)
    number = float(match.group(1)) / (100 if match and match.group(2) else 1) if match else math.nan
    if not 0 <= number <= 1:  # NaN fails too
        raise InvalidInput(
            N_("%(field)s must be a share between 0 and 1, or a percentage such as 60%%; got %(value)s."),
            field=key,
            value=value[:40],
        )
    return round(number, 6)


def setting_text(value: object) -> str:
    """How a setting's value is written in the database, on the page and on the command line."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def campaign_values(campaign: Campaign) -> dict[str, object]:
    return {key: getattr(campaign, key) for key in SETTING_KEYS}


def campaign_with(base: Campaign, values: dict[str, object]) -> Campaign:
    """``base`` with some settings changed (values already parsed), checked as a whole."""
    unknown = [k for k in values if k not in _SPECS]
    if unknown:
        setting_spec(unknown[0])
    campaign = replace(base, **values)
    check_campaign(campaign, changed=set(values))
    return campaign


def campaign_from_texts(texts: dict[str, str], base: Campaign | None = None) -> Campaign:
    """The campaign from stored settings (key → text as written); a key a later version no
    longer knows, or a value it no longer reads, is ignored so the reports never stop."""
    base = base or Campaign()
    values = {}
    for key, text in texts.items():
        try:
            values[key] = parse_setting(key, text)
        except InvalidInput:
            continue
    return campaign_with(base, values) if values else base


def check_campaign(c: Campaign, changed: set[str] = frozenset()) -> None:
    """The calendar runs forwards and the targets grow; each error names the field to fix
    (the one just changed, when it is one of the two)."""
    order = [  # (earlier field, its day, later field, its day, least gap in days)
        ("mobilisation_start", c.mobilisation_start, "collection_start", c.collection_start, 0),
        ("collection_start", c.collection_start, "stage1_end", c.stage1_end, 0),
        ("stage1_end", c.stage1_end, "stage2_end", c.stage2_end, 1),  # stage 2 has a day at least
        ("stage2_end", c.stage2_end, "assessment_end", c.assessment_end, 0),
    ]
    for first, first_day, second, second_day, gap in order:
        if second_day < first_day + timedelta(days=gap):
            if first in changed and second not in changed:
                raise InvalidInput(
                    N_(
                        "%(field)s (%(day)s) must be before %(latest)s: the phases follow each other in order."
                    ),
                    field=first,
                    day=first_day.isoformat(),
                    latest=(second_day - timedelta(days=gap - 1)).isoformat(),
                )
            raise InvalidInput(
                N_(
                    "%(field)s (%(day)s) must not be before %(earliest)s: the phases follow each other in order."
                ),
                field=second,
                day=second_day.isoformat(),
                earliest=(first_day + timedelta(days=gap)).isoformat(),
            )
    if c.stage1_target > c.stage2_target:
        raise InvalidInput(
            N_("%(field)s must not be above the stage 2 target: the stages' targets are cumulative."),
            field="stage1_target",
        )
    if c.stage2_target <= 0:
        raise InvalidInput(
            N_("%(field)s must be above 0: something must be due by the end."), field="stage2_target"
        )
