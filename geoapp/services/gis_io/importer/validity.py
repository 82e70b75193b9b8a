"""Geometries of a file before anything is stored: wrong types refused, safe repairs made,
``--repair`` (make_valid within an area change), ``--skip-invalid`` (leave out and list).

Without either option any feature that cannot be stored refuses the whole file, and the
refusal names the options. Every repaired or left-out feature is reported by row (and by
the file's own id, e.g. ``osm_id``, where it has one)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geoapp.domain.i18n import N_, Phrase, Phrases
from geoapp.domain.layers import POINT, TYPE_NAMES
from geoapp.services.gis_io.importer.job import Job, _refuse_huge_geometries, text_of
from geoapp.spatial.crs import LONLAT, metric_crs_for
from geoapp.spatial.readers import find_column, format_rows
from geoapp.spatial.repair import POLYGONAL, reason_label, repair, repair_polygons

SOURCE_IDS = ("osm_id", "osm_way_id", "@id", "id", "fid", "objectid")

EMPTY = N_("empty geometry")
NOT_POLYGON = N_("invalid point or line (not repaired)")
NOTHING_LEFT = N_("nothing polygonal left after the repair")


def reason_phrase(reason: str) -> Phrase:
    return Phrase(reason_label(reason) or EMPTY)


def _reason_parts(reason: str) -> tuple[str, str]:
    """(msgid, where) of a GEOS reason such as ``Self-intersection[114.1 27.1]``."""
    where = reason.split(";", 1)[0]
    where = f" [{where.split('[', 1)[1]}" if "[" in where else ""
    return str(reason_phrase(reason)), where


def check_geometries(job: Job, closed_rings: list[int]) -> None:
    """Refuse wrong geometry types and unrepairable features (or leave them out with
    --skip-invalid); store the repaired geometries in ``job.frame``."""
    geoms = job.geoms
    if job.spec.geometry == (POINT,):  # a MultiPoint of one point is a point
        single = (shapely.get_type_id(geoms) == 4) & (shapely.get_num_geometries(geoms) == 1)
        if single.any():
            geoms[single] = shapely.get_geometry(geoms[single], 0)
    rows = job.frame.index
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    wrong = ~empty & ~np.isin(types, job.spec.geometry)
    if wrong.any():
        raise job.refuse(
            N_(
                "%(field)s holds %(found)s geometries (rows %(rows)s), but a %(layer)s layer needs %(expected)s: export the right layer or convert the geometries."
            ),
            found="/".join(sorted({TYPE_NAMES.get(int(t), str(t)) for t in types[wrong]})),
            rows=format_rows(rows[wrong]),
            layer=job.layer,
            expected=job.spec.geometry_label,
        )
    _refuse_huge_geometries(job, geoms)

    present = np.flatnonzero(~empty)
    result = repair(geoms[present])
    out = geoms.copy()
    out[present] = result.geoms
    repaired = {int(r): "Unclosed ring" for r in closed_rings}
    for i in np.flatnonzero(result.repaired):
        row = int(rows[present[i]])
        repaired[row] = "; ".join(filter(None, (repaired.get(row), result.reasons[i])))

    bad = present[result.refused]  # positions not safely repairable
    why = dict(zip(bad.tolist(), result.reasons[result.refused], strict=True))
    unfixable: dict[int, Phrase] = {int(i): Phrase(EMPTY) for i in np.flatnonzero(empty)}
    polygons = bad[np.isin(types[bad], POLYGONAL)]
    for i in bad[~np.isin(types[bad], POLYGONAL)]:
        unfixable[int(i)] = Phrase(NOT_POLYGON)
    too_big: list[str] = []
    if job.options.repair and len(polygons):
        sources = _sources(job, polygons)
        forced = repair_polygons(geoms[polygons], metric_crs_for(shapely.total_bounds(geoms[present])))
        accepted = forced.accepted(job.options.max_area_change)
        for k, i in enumerate(polygons.tolist()):
            params = {
                "row": int(rows[i]),
                "source": sources[i],
                "reason": reason_phrase(why[i]),
                "before": f"{forced.area_before[k]:.1f}",
                "after": f"{forced.area_after[k]:.1f}",
                "change": _percent(forced.change[k]),
                "limit": _percent(job.options.max_area_change, sign=False),
            }
            if accepted[k]:
                out[i] = forced.geoms[k]
                repaired[params["row"]] = why[i].split(";", 1)[0]
                job.summary.notes.append(
                    (
                        N_(
                            "Repaired row %(row)d%(source)s (%(reason)s): area %(before)s m² → %(after)s m² (%(change)s)."
                        ),
                        params,
                    )
                )
            else:
                nothing = shapely.is_missing(forced.geoms[k])
                unfixable[i] = Phrase(NOTHING_LEFT if nothing else N_("the repair changes the area too much"))
                too_big.append(
                    f"{params['row']}: {params['before']} m² → {params['after']} m² ({params['change']})"
                )
                job.summary.notes.append(
                    (
                        N_(
                            "Repair refused for row %(row)d%(source)s (%(reason)s): area %(before)s m² → %(after)s m² (%(change)s), more than the %(limit)s allowed."
                        ),
                        params,
                    )
                )
    elif len(polygons):
        for i in polygons.tolist():
            unfixable[i] = reason_phrase(why[i])

    if unfixable and not job.options.skip_invalid:
        _refuse(job, unfixable, why, too_big)
    job.summary.repaired = dict(sorted(repaired.items()))
    job.frame = job.frame.set_geometry(gpd.GeoSeries(out, index=rows, crs=LONLAT))
    if unfixable:
        _leave_out(job, unfixable)


def _refuse(job: Job, unfixable: dict[int, Phrase], why: dict[int, str], too_big: list[str]):
    rows = job.frame.index
    positions = sorted(unfixable)
    if too_big:
        raise job.refuse(
            N_(
                "%(field)s rows %(rows)s cannot be repaired within the allowed area change of %(limit)s (%(changes)s): fix them in a GIS, allow more with --max-area-change, or leave them out with --skip-invalid."
            ),
            rows=format_rows(rows[positions]),
            limit=_percent(job.options.max_area_change, sign=False),
            changes="; ".join(too_big[:5]),
        )
    empty = [i for i in positions if i not in why]
    if empty and len(empty) == len(positions):
        raise job.refuse(
            N_(
                "%(field)s rows %(rows)s have no geometry (or an empty one): draw it, remove those rows, or leave them out with --skip-invalid."
            ),
            rows=format_rows(rows[empty]),
        )
    raise job.refuse(
        N_(
            "%(field)s rows %(rows)s have invalid geometries that cannot be repaired without changing their shape (%(reasons)s): repair them with --repair (the area may change by at most --max-area-change, 5 %% by default), leave them out with --skip-invalid, or fix them in a GIS (e.g. QGIS “Fix geometries”) and import again."
        ),
        rows=format_rows(rows[positions]),
        reasons=Phrases((f"{rows[i]}: ", *_reason_parts(why.get(i, ""))) for i in positions[:5]),
    )


def _leave_out(job: Job, unfixable: dict[int, Phrase]) -> None:
    rows = job.frame.index
    positions = sorted(unfixable)
    job.summary.notes.append(
        (
            N_("Left out as invalid (--skip-invalid): %(count)d (rows %(rows)s)."),
            {"count": len(positions), "rows": format_rows(rows[positions])},
        )
    )
    sources = _sources(job, positions)
    for i in positions:
        job.summary.notes.append(
            (
                N_("Left out row %(row)d%(source)s: %(reason)s."),
                {"row": int(rows[i]), "source": sources[i], "reason": unfixable[i]},
            )
        )
    job.summary.invalid = {int(rows[i]): str(unfixable[i]) for i in positions}
    job.summary.skipped.extend(int(rows[i]) for i in positions)
    keep = np.ones(len(rows), dtype=bool)
    keep[positions] = False
    job.frame = job.frame[keep]


def _sources(job: Job, positions) -> dict[int, str]:
    """Per position: `` (osm_id 123)`` when the file has its own feature ids, else ''."""
    positions = [int(i) for i in positions]
    column = find_column([c for c in job.frame.columns if c != job.frame.geometry.name], SOURCE_IDS)
    if column is None:
        return dict.fromkeys(positions, "")
    values = job.frame[column].to_numpy()[positions]
    return {
        i: "" if v is None or v != v else f" ({column} {text_of(v)})"
        for i, v in zip(positions, values, strict=True)
    }


def _percent(share: float, *, sign: bool = True) -> str:
    if not np.isfinite(share):
        return "∞"
    return f"{share * 100:+.1f} %" if sign else f"{share * 100:g} %"
