"""What autogenerate and the schema test leave alone."""

from __future__ import annotations


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Spatial indexes are made by hand (store/spatial_index.py): R*Tree tables on
    SQLite, GiST indexes on PostGIS; PostGIS's own tables are not ours."""
    if type_ == "table":
        return not (name.startswith("rtree_") or name in ("spatial_ref_sys", "topology", "layer"))
    if type_ == "index":
        return not (name or "").endswith("_geom")
    return True
