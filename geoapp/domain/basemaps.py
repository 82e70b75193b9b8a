"""The basemaps a deployment offers under its maps (``GEOAPP_BASEMAP``), parsed once at start.

``GEOAPP_BASEMAP`` is a comma-separated list; the first entry is shown until a user picks another:

- ``none`` (the default): no tiles, the town's own layers only (the intranet has no internet);
- ``mbtiles:PATH``: a raster MBTiles file (png/jpg/webp tiles) served by the app itself at
  ``/tiles/base/{z}/{x}/{y}`` (a relative PATH is read from the project root); at most one;
- ``tianditu`` / ``tianditu-img``: Tianditu vector or imagery with its Chinese labels, from the
  internet; needs ``GEOAPP_TIANDITU_KEY`` (CGCS2000 ≈ WGS84, no shift);
- ``gaode`` / ``tencent``: Gaode or Tencent street maps from the internet, drawn in GCJ-02: the
  page shifts the app's WGS84 features onto them and shifts positions back before sending.

PMTiles is not supported (convert with ``pmtiles convert x.pmtiles x.mbtiles``).
"""

from __future__ import annotations

from dataclasses import dataclass

from geoapp.domain.i18n import N_

VARIABLE = "GEOAPP_BASEMAP"
KEY_VARIABLE = "GEOAPP_TIANDITU_KEY"
TILE_FILE_KINDS = ("mbtiles",)
ONLINE_KINDS = ("tianditu", "tianditu-img", "gaode", "tencent")
GCJ02_KINDS = ("gaode", "tencent")

LABELS = {
    "none": N_("No basemap"),
    "mbtiles": N_("Offline basemap"),
    "tianditu": N_("Tianditu map"),
    "tianditu-img": N_("Tianditu imagery"),
    "gaode": N_("Gaode map"),
    "tencent": N_("Tencent map"),
}


class BasemapConfigError(ValueError):
    """A GEOAPP_BASEMAP value the app cannot use; the message names the variable and the fix."""


@dataclass(frozen=True)
class Basemap:
    kind: str  # one of LABELS
    path: str = ""  # the tile file (mbtiles)

    @property
    def gcj02(self) -> bool:
        return self.kind in GCJ02_KINDS

    @property
    def online(self) -> bool:
        return self.kind in ONLINE_KINDS


def _help() -> str:
    return (
        f"set {VARIABLE} to a comma-separated list of: none, mbtiles:PATH, tianditu, tianditu-img, "
        f"gaode, tencent (e.g. {VARIABLE}=mbtiles:instance/demo-tiles.mbtiles,tianditu)"
    )


def parse_basemaps(value: str | None, tianditu_key: str = "") -> tuple[Basemap, ...]:
    """The basemaps ``value`` names, in order; ``()`` for none. Raises BasemapConfigError."""
    entries = [e.strip() for e in (value or "").split(",") if e.strip()]
    if not entries or entries == ["none"]:
        return ()
    found: list[Basemap] = []
    for entry in entries:
        scheme, sep, rest = entry.partition(":")
        scheme = scheme.strip().lower()
        if scheme == "pmtiles":
            raise BasemapConfigError(
                f"{VARIABLE}: PMTiles files are not supported; convert it to MBTiles "
                f"(pmtiles convert FILE.pmtiles FILE.mbtiles) and set {VARIABLE}=mbtiles:FILE.mbtiles"
            )
        if scheme in TILE_FILE_KINDS:
            if not sep or not rest.strip():
                raise BasemapConfigError(f"{VARIABLE}: {entry!r} names no file; write mbtiles:PATH")
            basemap = Basemap(scheme, rest.strip())
        elif scheme in LABELS and not sep:
            basemap = Basemap(scheme)
        else:
            raise BasemapConfigError(f"{VARIABLE}: unknown basemap {entry!r}; {_help()}")
        if basemap.kind == "none":
            raise BasemapConfigError(f"{VARIABLE}: 'none' cannot be combined with other basemaps")
        if basemap.kind.startswith("tianditu") and not tianditu_key:
            raise BasemapConfigError(
                f"{VARIABLE}: {entry!r} needs a Tianditu key: set {KEY_VARIABLE} "
                "(a free 'browser' key from console.tianditu.gov.cn)"
            )
        if any(b.kind == basemap.kind for b in found):
            raise BasemapConfigError(
                f"{VARIABLE}: {basemap.kind!r} is listed twice (at most one of each kind, one tile file)"
            )
        found.append(basemap)
    return tuple(found)


def tile_file(basemaps: tuple[Basemap, ...]) -> Basemap | None:
    return next((b for b in basemaps if b.kind in TILE_FILE_KINDS), None)


# Where the online basemaps' tiles come from: the page's Content-Security-Policy lets images load from these.
TILE_HOSTS = {
    "tianditu": "https://*.tianditu.gov.cn",
    "tianditu-img": "https://*.tianditu.gov.cn",
    "gaode": "https://*.is.autonavi.com",
    "tencent": "https://*.map.gtimg.com",
}


def tile_hosts(basemaps: tuple[Basemap, ...]) -> list[str]:
    return sorted({TILE_HOSTS[b.kind] for b in basemaps if b.kind in TILE_HOSTS})
