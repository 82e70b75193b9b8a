"""SQLAlchemy models. Geometries are longitude/latitude (EPSG:4326).

Every spatial table carries its bounding box (``minx``..``maxy``): SQLite keeps it
in an R*Tree through triggers, PostGIS indexes ``geom`` with GiST. Times are
naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from geoapp.store.types import Geometry


class Base(DeclarativeBase):
    pass


class SpatialMixin:
    geom: Mapped[object] = mapped_column(Geometry(), nullable=False)
    minx: Mapped[float] = mapped_column(Float, nullable=False)
    miny: Mapped[float] = mapped_column(Float, nullable=False)
    maxx: Mapped[float] = mapped_column(Float, nullable=False)
    maxy: Mapped[float] = mapped_column(Float, nullable=False)

    def set_geometry(self, geom) -> None:
        self.geom = geom
        self.minx, self.miny, self.maxx, self.maxy = (float(v) for v in geom.bounds)


class Village(SpatialMixin, Base):
    __tablename__ = "village"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    task_people: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    task_houses: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    task_units: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Street(SpatialMixin, Base):
    __tablename__ = "street"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="lane")


class Building(SpatialMixin, Base):
    __tablename__ = "building"
    # One standard address per numbered building, unique in the town (migration 0011); houses
    # without a door number share their street's "（未编门牌）" until they are numbered.
    __table_args__ = (
        Index(
            "uq_building_address",
            "address",
            unique=True,
            sqlite_where=text("door_no IS NOT NULL"),
            postgresql_where=text("door_no IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), nullable=False, index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"), index=True)
    door_no: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(200), nullable=False)
    use: Mapped[str] = mapped_column(String(20), nullable=False, default="dwelling")
    floors: Mapped[int | None] = mapped_column(Integer)
    structure: Mapped[str | None] = mapped_column(String(40))
    owner_name: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="uncollected", index=True)
    return_reason: Mapped[str | None] = mapped_column(Text)
    # Representative point (inside polygons), for distances and point rendering.
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    source: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, server_default=func.current_timestamp()
    )
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    collected_at: Mapped[datetime | None] = mapped_column(DateTime)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Visit proof of the latest submission: None, "far" or "no_position" (flagged).
    visit_flag: Mapped[str | None] = mapped_column(String(20))
    visit_distance_m: Mapped[float | None] = mapped_column(Float)
    # Who made it "collected" last (submission or edit): they may not verify it themselves.
    submitted_by: Mapped[int | None] = mapped_column(Integer)
    # Its history in brief, for coverage as of any day: its first submission (collected_at is the
    # latest) and its first check by an officer, and whether that check verified it.
    first_collected_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_check_passed: Mapped[bool | None] = mapped_column(Boolean)
    # Its people and households, counted by triggers (store/house_counts.py): never set them.
    people_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    households_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    # The first re-visit that found the record wrong: a failed check from then on (domain/reviewing.py).
    revisit_failed_at: Mapped[datetime | None] = mapped_column(DateTime)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    def set_geometry(self, geom) -> None:
        super().set_geometry(geom)
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        self.lon, self.lat = float(point.x), float(point.y)


class Household(Base):
    __tablename__ = "household"
    # Coverage counts a house's households registered by a given day from this index alone.
    __table_args__ = (Index("ix_household_building_created", "building_id", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), nullable=False, index=True)
    number: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, server_default=func.current_timestamp()
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Unit(Base):
    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None: registered, not yet placed on the map (the register shows it; placing it picks a building).
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="shop")
    legal_rep: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    staff: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="uncollected", index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, server_default=func.current_timestamp()
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("id_type", "id_number", name="uq_person_document"),
        Index("ix_person_building_created", "building_id", "created_at"),  # coverage as of a day
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), nullable=False, index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    id_type: Mapped[str] = mapped_column(String(20), nullable=False, default="resident_id")
    id_number: Mapped[str | None] = mapped_column(String(40))
    sex: Mapped[str | None] = mapped_column(String(10))
    birth_date: Mapped[date | None] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    hukou_address: Mapped[str | None] = mapped_column(String(200))
    residence_type: Mapped[str] = mapped_column(String(20), nullable=False, default="registered")
    separated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    relation: Mapped[str | None] = mapped_column(String(20))
    employer_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("unit.id"), index=True
    )  # the unit's staff
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, server_default=func.current_timestamp()
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Visit(Base):
    """One submission of a house, with its visit proof (device position, accuracy, time).

    ``client_id`` is generated on the phone: a retried submission finds its first
    visit and gets the same answer, so it is stored once."""

    __tablename__ = "visit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    device_time: Mapped[datetime | None] = mapped_column(DateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    flag: Mapped[str | None] = mapped_column(String(20))
    empty: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    people: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    response: Mapped[str] = mapped_column(Text, nullable=False)  # JSON answer, replayed on retry


class PersonMove(Base):
    """A person registered at one house found living at another: moved, not duplicated.

    A move within the caller's scope is done at once (``status`` "done"); a move out
    of another village is a request (``pending``) that an officer or that village's
    collector confirms or rejects; until then the person stays where they are."""

    __tablename__ = "person_move"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False, index=True)
    from_building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), nullable=False)
    to_building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # done, or requested
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # who moved / asked
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default="done", server_default="done", index=True
    )
    to_household_id: Mapped[int | None] = mapped_column(Integer)  # the household they join
    relation: Mapped[str | None] = mapped_column(String(20))  # their relation to its head
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(Text)


class RevisitSample(Base):
    """A random sample of a village's or a collector's submitted houses to visit again (复查),
    drawn with ``seed`` from the ``population`` houses eligible then (domain/reviewing.py)."""

    __tablename__ = "revisit_sample"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    seed: Mapped[int] = mapped_column(Integer, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)  # houses drawn
    population: Mapped[int] = mapped_column(Integer, nullable=False)  # houses it was drawn from
    drawn_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    drawn_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class Revisit(Base):
    """One sampled house's re-visit task: pending, then confirmed or found wrong (with a reason)."""

    __tablename__ = "revisit"
    __table_args__ = (UniqueConstraint("sample_id", "building_id", name="uq_revisit_sample_building"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("revisit_sample.id"), nullable=False, index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending", index=True)
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Block(SpatialMixin, Base):
    """A stretch of street front (沿街街区段) the station assigns to an officer."""

    __tablename__ = "block"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # the current assignee
    side: Mapped[int | None] = mapped_column(Integer)  # +1 left of the street's direction, -1 right
    at_m: Mapped[float | None] = mapped_column(Float)  # where it starts along the street
    due: Mapped[date | None] = mapped_column(Date)  # the current assignment's due day
    drawn: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    created_at: Mapped[datetime | None] = mapped_column(DateTime)


class BlockBuilding(Base):
    """A building's block: each building in at most one."""

    __tablename__ = "block_building"
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("block.id"), nullable=False, index=True)


class BlockAssignment(Base):
    """One assignment of a block to an officer (the history; ``Block.officer_id`` is the latest)."""

    __tablename__ = "block_assignment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("block.id"), nullable=False, index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    due: Mapped[date | None] = mapped_column(Date)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class VillageAssignment(Base):
    """One assignment of a village to a collector (``User.village_id`` is the latest)."""

    __tablename__ = "village_assignment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    due: Mapped[date | None] = mapped_column(Date)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, server_default=func.current_timestamp()
    )
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)


class UserSession(Base):
    """A login. The cookie carries a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """A personal token for programs (QGIS, scripts); only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # refused from then on


class RateEvent(Base):
    """Events counted in a sliding window: login failures, bulk reads of people."""

    __tablename__ = "rate_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, index=True)
    weight: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class AuditEvent(Base):
    """Append-only record of every write (who, when, what changed). The database itself
    refuses UPDATE, DELETE and TRUNCATE of these rows (triggers, migration 0005)."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    changes: Mapped[str | None] = mapped_column(Text)  # JSON
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class CampaignSetting(Base):
    """One campaign setting (``domain/calendar.py`` SETTINGS) an administrator changed;
    keys without a row take the work plan's default. Changes are audited."""

    __tablename__ = "campaign_setting"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(100), nullable=False)


class VillageTally(Base):
    """A village's houses in one state, with their people and households: kept by triggers
    on ``building`` (``store/village_tally.py``); never written by the application."""

    __tablename__ = "village_tally"
    village_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    flagged: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked: Mapped[int] = mapped_column(Integer, primary_key=True)
    passed: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    houses: Mapped[int] = mapped_column(Integer, nullable=False)
    people: Mapped[int] = mapped_column(Integer, nullable=False)
    households: Mapped[int] = mapped_column(Integer, nullable=False)


class TallyDeadline(Base):
    """The stage deadlines ``village_tally`` groups the houses by (UTC end of each stage)."""

    __tablename__ = "tally_deadline"
    stage: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ends_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class MapChange(Base):
    """How many times a map table changed (``store/map_change.py``): kept by triggers, read
    for the map layers' ETags; never written by the application."""

    __tablename__ = "map_change"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


SPATIAL_TABLES = ("village", "street", "building", "block")
