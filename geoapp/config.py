"""Configuration read from the environment (``GEOAPP_*``), with sane defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from geoapp.domain.basemaps import Basemap, parse_basemaps

ROOT = Path(__file__).resolve().parent.parent


def _default_database_url() -> str:
    return f"sqlite:///{ROOT / 'instance' / 'geoapp.sqlite'}"


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment, in one place."""

    database_url: str = field(default_factory=_default_database_url)
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    default_locale: str = "zh_CN"
    node_modules: Path = ROOT / "node_modules"
    gis_data: Path = ROOT / "gis_data"
    # Longest distance (metres) between a building and the street it fronts.
    fronting_distance_m: float = 60.0
    # Most features one GeoJSON layer request returns before asking to zoom in.
    max_features: int = 50_000
    test_mode: bool = False
    # Accounts (issue 3): sessions, login throttling, bulk-read throttling, password hashing.
    session_idle_minutes: int = 120
    session_lifetime_hours: int = 12
    # Login throttling (issue 8): failures count per (account, address) pair and per address,
    # never per account alone, so nobody can lock an owner out from elsewhere. Past the free
    # failures each further attempt waits 2, 4, 8 … seconds after the latest failure.
    login_free_failures: int = 5  # of one account from one address
    login_addr_free_failures: int = 30  # from one address over all accounts (a whole office's NAT)
    login_max_delay_s: int = 900  # the longest wait
    login_failure_window_minutes: int = 60  # failures older than this are forgotten
    token_max_days: int = 90  # an API token's lifetime: the default and the longest a user may pick
    # People one account may read (listings, house details, exports) per window and per day; the
    # window's allowance is at least margin × the largest village's task, so any one village exports.
    person_read_limit: int = 5000
    person_read_window_minutes: int = 60
    person_read_daily_limit: int = 15000
    person_read_village_margin: float = 1.25
    reveal_limit: int = 30  # full ID numbers / phones one account may reveal per window
    reveal_window_minutes: int = 60
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    # Visit proof (issue 4): submissions farther than this from the house are flagged.
    visit_max_distance_m: float = 100.0
    secure_cookies: bool = False  # set by `serve --cert` or GEOAPP_SECURE_COOKIES=1
    public_url: str = ""  # the address phones open (door-plate QR codes); default: the request's host
    # Imports (issue 8): checked before a file is read whole (defaults = spatial.readers.ImportLimits).
    import_max_mb: float = 500.0  # the file, or what a zip expands to
    import_max_features: int = 2_000_000
    import_max_zip_members: int = 1_000
    import_max_vertices: int = 10_000  # per building footprint or street
    import_max_boundary_vertices: int = 200_000  # per village boundary
    # Basemaps under the maps (issue 11, GEOAPP_BASEMAP; domain/basemaps.py): none by default.
    basemaps: tuple[Basemap, ...] = ()
    tianditu_key: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict = {}
        if v := env.get("GEOAPP_DATABASE_URL"):
            values["database_url"] = v
        if v := env.get("GEOAPP_SECRET_KEY"):
            values["secret_key"] = v
        if v := env.get("GEOAPP_LOCALE"):
            values["default_locale"] = v
        if v := env.get("GEOAPP_NODE_MODULES"):
            values["node_modules"] = Path(v)
        if v := env.get("GEOAPP_GIS_DATA"):
            values["gis_data"] = Path(v)
        if v := env.get("GEOAPP_FRONTING_DISTANCE_M"):
            values["fronting_distance_m"] = float(v)
        if v := env.get("GEOAPP_MAX_FEATURES"):
            values["max_features"] = int(v)
        if env.get("GEOAPP_TEST_MODE") == "1":
            values["test_mode"] = True
        for name in (
            "session_idle_minutes",
            "session_lifetime_hours",
            "login_free_failures",
            "login_addr_free_failures",
            "login_max_delay_s",
            "login_failure_window_minutes",
            "token_max_days",
            "person_read_limit",
            "person_read_window_minutes",
            "person_read_daily_limit",
            "reveal_limit",
            "reveal_window_minutes",
            "argon2_time_cost",
            "argon2_memory_kib",
            "import_max_features",
            "import_max_zip_members",
            "import_max_vertices",
            "import_max_boundary_vertices",
        ):
            if v := env.get(f"GEOAPP_{name.upper()}"):
                values[name] = int(v)
        if v := env.get("GEOAPP_PERSON_READ_VILLAGE_MARGIN"):
            values["person_read_village_margin"] = float(v)
        if v := env.get("GEOAPP_VISIT_MAX_DISTANCE_M"):
            values["visit_max_distance_m"] = float(v)
        if v := env.get("GEOAPP_IMPORT_MAX_MB"):
            values["import_max_mb"] = float(v)
        if v := env.get("GEOAPP_PUBLIC_URL"):
            values["public_url"] = v
        if env.get("GEOAPP_SECURE_COOKIES") == "1":
            values["secure_cookies"] = True
        values["tianditu_key"] = env.get("GEOAPP_TIANDITU_KEY", "").strip()
        values["basemaps"] = parse_basemaps(env.get("GEOAPP_BASEMAP"), values["tianditu_key"])
        values.update(overrides)
        return cls(**values)
