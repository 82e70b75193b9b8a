"""Door plates and street numbering (issue 10, part 6): figures against baselines from the same run.

    .venv/bin/python bench/bench_plates.py [--database-url URL]

Without a URL the demo town is built in a temporary SQLite file.

1. Order along a street and side (``spatial.frontage.along_street``) for every street of the
   town at once per street, vectorised, against the same answer one house at a time
   (``line_locate_point`` per house): total time and ratio.
2. The numbering preview (``plan_numbering``) of the street with the most houses, five of its
   houses without a number: median time.
3. A plate sheet of the largest village: plates per second, against the QR encoding alone
   (segno, the same URLs) as the floor.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp.domain.address import TOWN_NAME  # noqa: E402
from geoapp.domain.roles import Role, Scope  # noqa: E402
from geoapp.domain.tasks import read_task_table  # noqa: E402
from geoapp.services.addresses.numbering import plan_numbering  # noqa: E402
from geoapp.services.addresses.plates import plates_for_village  # noqa: E402
from geoapp.services.addresses.sheet import plate_sheet, qr_code  # noqa: E402
from geoapp.services.demo.build import build_demo  # noqa: E402
from geoapp.spatial.frontage import along_street  # noqa: E402
from geoapp.store.db import Database  # noqa: E402
from geoapp.store.migrate import upgrade  # noqa: E402
from geoapp.store.models import Building, Street  # noqa: E402

ADMIN = Scope(None, "bench", Role.ADMIN)


def timed(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def one_at_a_time(line, points) -> list[tuple[float, int]]:
    """The baseline: each house projected on its own (same CRS handling as along_street)."""
    return [(float(along_street(line, [p]).at_m[0]), int(along_street(line, [p]).side[0])) for p in points]


def main(url: str | None) -> None:
    tmp = None
    if url is None:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{tmp.name}/demo.sqlite"
        db = Database(url)
        upgrade(db.engine)
        build_demo(db, read_task_table(ROOT / "gis_data" / "task_table.csv"), state="mid")
    else:
        db = Database(url)
    with db.session() as s:
        streets = s.execute(select(Street.id, Street.geom)).all()
        rows = s.execute(select(Building.street_id, Building.lon, Building.lat)).all()
    by_street: dict[int, list] = {}
    for sid, lon, lat in rows:
        by_street.setdefault(sid, []).append((lon, lat))
    work = [(g, shapely.points(np.array(by_street[sid]))) for sid, g in streets if sid in by_street]
    houses = sum(len(p) for _, p in work)
    t_vec = timed(lambda: [along_street(g, p) for g, p in work], repeat=3)
    sample = work[: max(1, len(work) // 10)]
    sample_houses = sum(len(p) for _, p in sample)
    t_one = timed(lambda: [one_at_a_time(g, p) for g, p in sample], repeat=1) * houses / sample_houses
    print(f"1. order and side, {len(work)} streets, {houses} houses: vectorised {t_vec * 1000:.0f} ms, "
          f"one house at a time {t_one * 1000:.0f} ms (extrapolated from {sample_houses}); ×{t_one / t_vec:.0f}")  # fmt: skip

    with db.session() as s:
        longest = s.scalar(
            select(Building.street_id).group_by(Building.street_id).order_by(func.count().desc()).limit(1)
        )
        ids = s.scalars(select(Building.id).where(Building.street_id == longest).order_by(Building.id)).all()
    with db.write() as s:
        for b in s.scalars(select(Building).where(Building.id.in_(ids[:5]))):
            b.door_no = None
    with db.session() as s:
        t_plan = timed(lambda: plan_numbering(s, longest))
        plan = plan_numbering(s, longest)
    print(f"2. numbering preview of {plan.street} ({len(plan.rows)} houses, {len(plan.changes)} to number): "
          f"{t_plan * 1000:.0f} ms median")  # fmt: skip

    with db.session() as s:
        village = s.scalar(
            select(Building.village_id).group_by(Building.village_id).order_by(func.count().desc()).limit(1)
        )
        found = plates_for_village(s, ADMIN, village, base_url="https://192.168.1.10:8443")
    t_pdf = timed(lambda: plate_sheet(found, gettext=lambda x: x, town=TOWN_NAME), repeat=1)
    t_qr = timed(lambda: [qr_code(p.url) for p in found.plates], repeat=1)
    n = len(found.plates)
    size = len(plate_sheet(found, gettext=lambda x: x, town=TOWN_NAME))
    print(f"3. plate sheet of {found.title}: {n} plates, {-(-n // 8)} pages, {size / 1e6:.1f} MB in {t_pdf:.1f} s "
          f"({n / t_pdf:.0f} plates/s); QR encoding alone {t_qr:.1f} s ({t_qr / t_pdf:.0%} of it)")  # fmt: skip
    db.dispose()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    main(parser.parse_args().database_url)
