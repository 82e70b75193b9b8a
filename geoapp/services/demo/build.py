"""Build the demo 余坪镇 into the database (one transaction) and write its layers to GeoPackage."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from geoapp.domain.address import TOWN_NAME, standard_address
from geoapp.domain.errors import Conflict
from geoapp.domain.i18n import N_
from geoapp.domain.identifiers import USCC_CHARS, make_organisation_code, make_uscc
from geoapp.domain.metrics import BEIJING
from geoapp.domain.status import Status
from geoapp.domain.tasks import TaskTable
from geoapp.domain.uses import BuildingUse, UnitKind
from geoapp.services.accounts import audit
from geoapp.services.demo.geography import Geography, build_geography
from geoapp.services.demo.population import (
    COUNTY_CODE,
    RETURN_REASONS,
    TOWNSHIP,
    PeopleMaker,
    split_households,
    spread_people,
)
from geoapp.services.gis_io.topology import fronting_streets
from geoapp.store.db import Database
from geoapp.store.models import (
    Block,
    Building,
    Household,
    Person,
    PersonMove,
    Revisit,
    RevisitSample,
    Street,
    Unit,
    User,
    Village,
    Visit,
)

STATES = ("blank", "mid")
MID_CAMPAIGN_DAY = date(2016, 6, 8)  # during collection stage 2
COLLECTION_START = date(2016, 4, 27)
SHOP_WORDS = [
    "超市",
    "五金店",
    "餐馆",
    "理发店",
    "药店",
    "服装店",
    "农资店",
    "手机店",
    "副食店",
    "早餐店",
    "茶馆",
    "建材店",
    "快递点",
    "诊所",
    "文具店",
    "粮油店",
    "小吃店",
    "电器店",
    "家具店",
    "水果店",
]
SHOP_PREFIXES = [
    "兴旺",
    "福满",
    "鑫源",
    "顺发",
    "惠民",
    "红星",
    "新华",
    "平安",
    "永安",
    "金鑫",
    "好运",
    "大众",
    "利民",
    "宏发",
    "富康",
]
ENTERPRISE_WORDS = [
    "砖厂",
    "石材厂",
    "竹木加工厂",
    "矿业有限公司",
    "农业开发有限公司",
    "机械厂",
    "食品厂",
    "纺织厂",
    "建材有限公司",
    "养殖场",
    "米业有限公司",
    "茶叶专业合作社",
]
# The town's tables, emptied by a forced rebuild (children first). Not the audit trail:
# it is append-only (the database refuses to change or delete its rows), and the
# rebuild's own event says what was replaced; not the accounts either.
DEMO_TABLES = (
    Revisit,
    RevisitSample,
    PersonMove,
    Visit,
    Person,
    Household,
    Unit,
    Block,
    Building,
    Street,
    Village,
)


@dataclass(frozen=True)
class DemoSummary:
    state: str
    villages: int
    streets: int
    houses: int
    footprints: int
    units: int
    households: int
    people: int
    seconds: float


def village_code(index: int) -> str:
    """12-digit statistical code: county + township (1xx = 镇) + village (2xx = 村委会)."""
    return f"{COUNTY_CODE}{TOWNSHIP}{201 + index:03d}"


def town_exists(session: Session) -> bool:
    return any(session.scalar(select(func.count()).select_from(m)) > 0 for m in (Village, Building, Street))


def clear_town(session: Session) -> dict[str, int]:
    """Remove the town's data (users keep their accounts but lose their village/unit);
    returns how many rows each table held.

    The audit trail stays whole: an auditor finds the old town's events, then the
    ``demo.build`` event naming what it replaced, then the new town's. Record ids
    may be used again by the new town (SQLite), so events before a ``demo.build``
    with ``replaced`` concern the replaced town's records."""
    counts = {m.__tablename__: int(session.scalar(select(func.count()).select_from(m))) for m in DEMO_TABLES}
    session.execute(update(User).values(village_id=None, unit_id=None))
    session.execute(update(Person).values(employer_unit_id=None))
    for model in DEMO_TABLES:
        session.execute(delete(model))
    return counts


def build_demo(
    db: Database,
    tasks: TaskTable,
    *,
    state: str = "blank",
    seed: int = 2016,
    force: bool = False,
    fronting_distance_m: float = 60.0,
) -> DemoSummary:
    """Build the whole demo town in one write transaction."""
    if state not in STATES:
        raise ValueError(f"state must be one of {STATES}")
    started = time.perf_counter()
    geo = build_geography(tasks.villages, tasks.station.units, seed=seed)
    rng = np.random.default_rng(seed + 1)
    with db.write() as session:
        if town_exists(session):
            if not force:
                raise Conflict(
                    N_("The database already holds a town: run `geoapp demo --force` to replace it.")
                )
            replaced = clear_town(session)
        else:
            replaced = None
        writer = _Writer(session, db.dialect, geo, tasks, rng, fronting_distance_m)
        writer.write_villages_and_streets()
        writer.write_buildings()
        writer.write_units()
        households = people = 0
        if state == "mid":
            households, people = writer.write_campaign_progress()
        summary = DemoSummary(
            state=state,
            villages=len(geo.villages),
            streets=len(geo.streets),
            houses=len(geo.houses),
            footprints=sum(h.footprint is not None for h in geo.houses),
            units=writer.units_written,
            households=households,
            people=people,
            seconds=0.0,
        )
        changes = {**summary.__dict__, **({"replaced": replaced} if replaced is not None else {})}
        audit.record(session, "demo.build", object_type="town", object_id=TOWN_NAME, changes=changes)
    return DemoSummary(**{**summary.__dict__, "seconds": time.perf_counter() - started})


class _Writer:
    def __init__(
        self, session: Session, dialect: str, geo: Geography, tasks: TaskTable, rng, distance: float
    ):
        self.session, self.dialect, self.geo, self.tasks, self.rng = session, dialect, geo, tasks, rng
        self.distance = distance
        self.town, self.village_geoms, self.street_geoms, self.house_geoms = geo.to_lonlat()
        self.village_ids: list[int] = []
        self.street_ids: list[int] = []
        self.building_ids: list[int] = []
        self.uses: list[BuildingUse] = []
        self.addresses: list[str] = []
        self.unit_rows: list[dict] = []
        self.units_written = 0

    def _insert(self, model, rows: list[dict], *, ids: bool = True) -> list[int]:
        """Bulk insert (Core executemany); returns the new ids in row order."""
        if not rows:
            return []
        table = model.__table__
        if not ids:
            self.session.execute(insert(table), rows)
            return []
        result = self.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        return [r[0] for r in result]

    @staticmethod
    def _spatial(geoms) -> list[dict]:
        bounds = shapely.bounds(np.asarray(geoms, dtype=object))
        return [
            {"geom": g, "minx": float(b[0]), "miny": float(b[1]), "maxx": float(b[2]), "maxy": float(b[3])}
            for g, b in zip(geoms, bounds, strict=True)
        ]

    def write_villages_and_streets(self) -> None:
        rows = [
            {
                **s,
                "code": village_code(i),
                "name": v.unit,
                "task_people": v.people,
                "task_houses": v.houses,
                "task_units": v.units,
            }
            for i, (v, s) in enumerate(
                zip(self.tasks.villages, self._spatial(self.village_geoms), strict=True)
            )
        ]
        self.village_ids = self._insert(Village, rows)
        rows = [
            {**s, "name": name, "kind": kind}
            for (name, kind, _), s in zip(self.geo.streets, self._spatial(self.street_geoms), strict=True)
        ]
        self.street_ids = self._insert(Street, rows)

    def write_buildings(self) -> None:
        geo, rng = self.geo, self.rng
        anchors = shapely.point_on_surface(np.asarray(self.house_geoms, dtype=object))
        fronting = fronting_streets(
            np.asarray(self.house_geoms, dtype=object),
            np.asarray(self.street_ids),
            np.asarray(self.street_geoms, dtype=object),
            self.distance,
        )
        draws = rng.random(len(geo.houses))
        rows = []
        for k, (house, spatial, anchor) in enumerate(
            zip(geo.houses, self._spatial(self.house_geoms), anchors, strict=True)
        ):
            use = house.use
            if use == BuildingUse.DWELLING:
                use = BuildingUse.RENTAL if draws[k] < 0.04 else BuildingUse.EMPTY if draws[k] < 0.07 else use
            village = self.tasks.villages[house.village].unit
            street_name = geo.streets[house.street][0]
            address = standard_address(TOWN_NAME, village, street_name, str(house.door_no))
            self.uses.append(use)
            self.addresses.append(address)
            rows.append(
                {
                    **spatial,
                    "village_id": self.village_ids[house.village],
                    "street_id": fronting[k],
                    "door_no": f"{house.door_no}号",
                    "address": address,
                    "use": use.value,
                    "floors": house.floors,
                    "structure": house.structure,
                    "status": Status.UNCOLLECTED.value,
                    "lon": float(anchor.x),
                    "lat": float(anchor.y),
                    "source": "demo",
                }
            )
        self.building_ids = self._insert(Building, rows)

    def write_units(self) -> None:
        rng = self.rng
        shop_names = [p + w for p in SHOP_PREFIXES for w in SHOP_WORDS]
        rng.shuffle(shop_names)
        ent_names = [p + w for p in SHOP_PREFIXES for w in ENTERPRISE_WORDS]
        rng.shuffle(ent_names)
        rows = []
        maker = PeopleMaker(rng, MID_CAMPAIGN_DAY)
        for k, use in enumerate(self.uses):
            if use not in (BuildingUse.SHOP, BuildingUse.FACTORY):
                continue
            shop = use == BuildingUse.SHOP
            name = f"{TOWN_NAME.removesuffix('镇')}{(shop_names if shop else ent_names).pop()}"
            drawn = "".join(USCC_CHARS[int(i)] for i in rng.integers(len(USCC_CHARS), size=9))
            # 9x: registered by 工商, 2 a 个体工商户 (shop), 1 an enterprise; then the county and
            # a GB 11714 organisation code (8 drawn characters and their own check character).
            body = ("92" if shop else "91") + COUNTY_CODE + make_organisation_code(drawn[:8])
            rows.append(
                {
                    "building_id": self.building_ids[k],
                    "name": name,
                    "uscc": make_uscc(body),
                    "kind": (UnitKind.SHOP if shop else UnitKind.ENTERPRISE).value,
                    "legal_rep": maker.name(),
                    "phone": maker.phone(),
                    "status": Status.UNCOLLECTED.value,
                }
            )
        self.unit_rows = rows
        self.unit_ids = self._insert(Unit, rows)
        self.units_written = len(rows)

    # -- mid-campaign state ---------------------------------------------------------
    def write_campaign_progress(self) -> tuple[int, int]:
        """Villages at different progress; collected houses hold their planned people."""
        rng, geo = self.rng, self.geo
        n_villages = len(self.tasks.villages)
        progress = np.clip(rng.beta(2.4, 1.4, n_villages), 0.12, 1.0)
        progress[rng.choice(n_villages, 3, replace=False)] = 1.0
        maker = PeopleMaker(rng, MID_CAMPAIGN_DAY)
        houses_of: dict[int, list[int]] = {}
        for k, house in enumerate(geo.houses):
            houses_of.setdefault(house.village, []).append(k)
        status_rows, household_rows, person_plan = [], [], []
        for v, row in enumerate(self.tasks.villages):
            ks = houses_of.get(v, [])
            inhabited = [k for k in ks if self.uses[k] not in (BuildingUse.EMPTY, BuildingUse.FACTORY)]
            planned = dict(zip(inhabited, spread_people(row.people, len(inhabited), rng), strict=True))
            n_done = round(progress[v] * len(ks))
            for order, k in enumerate(ks[:n_done]):
                draw = rng.random()
                status = (
                    Status.VERIFIED if draw < 0.65 else Status.COLLECTED if draw < 0.92 else Status.RETURNED
                )
                collected_at = campaign_moment(order / max(1, n_done), int(rng.integers(0, 600)))
                checked_at = checked_moment(collected_at, int(rng.integers(1, 6)))
                status_rows.append(
                    {
                        "b_id": self.building_ids[k],
                        "status": status.value,
                        "collected_at": collected_at,
                        "verified_at": checked_at if status == Status.VERIFIED else None,
                        # The last change: the officer's check, or the submission still awaiting it.
                        "updated_at": collected_at if status == Status.COLLECTED else checked_at,
                        "first_checked_at": None if status == Status.COLLECTED else checked_at,
                        "first_check_passed": None
                        if status == Status.COLLECTED
                        else status == Status.VERIFIED,
                        "return_reason": str(rng.choice(RETURN_REASONS))
                        if status == Status.RETURNED
                        else None,
                    }
                )
                other = self.tasks.villages[int(rng.integers(n_villages))].unit
                for size in split_households(int(planned.get(k, 0))) if k in planned else []:
                    household_rows.append(
                        {"building_id": self.building_ids[k], "number": None, "created_at": collected_at}
                    )
                    person_plan.append((k, maker.household(size, self.addresses[k], f"{TOWN_NAME}{other}")))
        if status_rows:
            table = Building.__table__
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    status=bindparam("status"),
                    collected_at=bindparam("collected_at"),
                    first_collected_at=bindparam("collected_at"),
                    first_checked_at=bindparam("first_checked_at"),
                    first_check_passed=bindparam("first_check_passed"),
                    verified_at=bindparam("verified_at"),
                    updated_at=bindparam("updated_at"),
                    return_reason=bindparam("return_reason"),
                    version=table.c.version + 1,
                ),
                status_rows,
            )
        household_ids = self._insert(Household, household_rows)
        person_rows = []
        for household_id, household, (k, members) in zip(
            household_ids, household_rows, person_plan, strict=True
        ):
            for p in members:
                person_rows.append(
                    {
                        "created_at": household["created_at"],  # registered by the house's submission
                        "building_id": self.building_ids[k],
                        "household_id": household_id,
                        "name": p.name,
                        "id_type": p.id_type,
                        "id_number": p.id_number,
                        "sex": p.sex,
                        "birth_date": p.birth_date,
                        "ethnicity": p.ethnicity,
                        "phone": p.phone,
                        "hukou_address": p.hukou_address,
                        "residence_type": p.residence_type,
                        "separated": p.separated,
                        "relation": p.relation,
                    }
                )
        self._insert(Person, person_rows, ids=False)
        self._unit_progress()
        return len(household_ids), len(person_rows)

    def _unit_progress(self) -> None:
        rng = self.rng
        n_done = round(0.55 * len(self.unit_ids))
        rows = []
        for order, unit_id in enumerate(self.unit_ids[:n_done]):
            draw = rng.random()
            status = Status.VERIFIED if draw < 0.7 else Status.COLLECTED if draw < 0.93 else Status.RETURNED
            registered = campaign_moment(order / max(1, n_done), (order * 37) % 600)
            rows.append({"u_id": unit_id, "status": status.value, "created": registered})
        if rows:
            table = Unit.__table__
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("u_id"))
                .values(status=bindparam("status"), created_at=bindparam("created")),
                rows,
            )


def campaign_moment(share: float, minutes: int) -> datetime:
    """When the demo's ``share``-th record was collected (stored as naive UTC): spread over
    the collection days up to MID_CAMPAIGN_DAY, faster at first, during Beijing working
    hours (08:00 + ``minutes``)."""
    span_days = (MID_CAMPAIGN_DAY - COLLECTION_START).days
    day = COLLECTION_START + timedelta(days=int((span_days + 1) * share**1.3))
    return datetime.combine(day, dtime(8)) - BEIJING + timedelta(minutes=minutes)


def checked_moment(collected_at: datetime, days: int) -> datetime:
    """An officer's check ``days`` after the submission, never after MID_CAMPAIGN_DAY's evening."""
    latest = datetime.combine(MID_CAMPAIGN_DAY, dtime(19)) - BEIJING
    return max(min(collected_at + timedelta(days=days), latest), collected_at + timedelta(minutes=30))


def demo_gpkg_path(gis_data: Path) -> Path:
    return gis_data / "yuping-demo.gpkg"
