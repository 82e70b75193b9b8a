"""What each index, trigger and constraint of ``building`` costs during the import's COPY on
PostGIS (issue 12 part 2).

    .venv/bin/python bench/profile_pg_copy.py [--files DIR] [--houses 1000000]

Starts a throwaway PostGIS server (as the tests do), imports the county's villages, streets
and houses with the real ``geoapp import``, keeps the houses' rows (``COPY … TO STDOUT``),
then for each variant, in one transaction rolled back afterwards: empties ``building``
(TRUNCATE), drops what the variant leaves out, and times the same ``COPY … FROM STDIN``
alone (the server's work: no file reading, no Python columns); where indexes were dropped,
the time to create them again is timed too. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_import import fresh, import_county  # noqa: E402
from county import write_county  # noqa: E402

from geoapp.store import village_tally  # noqa: E402

COLUMNS = (
    "village_id, street_id, door_no, address, use, floors, structure, owner_name, status, lon, lat, "
    "source, version, geom, minx, miny, maxx, maxy"
)


def indexes(cur) -> dict[str, str]:
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'building' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'building'::regclass)"
    )
    return dict(cur.fetchall())


def foreign_keys(cur) -> dict[str, str]:
    cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'building'::regclass AND contype = 'f'"
    )
    return dict(cur.fetchall())


def run_variant(
    conn, data: bytes, drop_indexes=(), drop_triggers=(), drop_fks=False, binary=False, when=False
) -> tuple[float, float]:
    """(seconds of the COPY, seconds to make the dropped indexes and keys again)."""
    with conn.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute("TRUNCATE building CASCADE")
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        made = []
        for name, definition in indexes(cur).items():
            if name in drop_indexes or "*" in drop_indexes:
                cur.execute(f'DROP INDEX "{name}"')
                made.append(definition)
        # the tally triggers as migration 0022 makes them (when) or as before it
        for statement in village_tally.drop_triggers_ddl("postgresql") + village_tally.triggers_ddl(
            "postgresql", when=when
        ):
            cur.execute(statement)
        for name in drop_triggers:
            cur.execute(f"ALTER TABLE building DISABLE TRIGGER {name}")
        if drop_fks:
            for name, definition in foreign_keys(cur).items():
                cur.execute(f'ALTER TABLE building DROP CONSTRAINT "{name}"')
                made.append(f'ALTER TABLE building ADD CONSTRAINT "{name}" {definition}')
        t0 = time.perf_counter()
        binary_option = " (FORMAT binary)" if binary else ""
        with cur.copy(f"COPY building ({COLUMNS}) FROM STDIN{binary_option}") as copy:
            step = 8 << 20
            for k in range(0, len(data), step):
                copy.write(data[k : k + step])
        copy_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for statement in made:
            cur.execute(statement)
        make_s = time.perf_counter() - t0
        cur.execute("ROLLBACK")
    return copy_s, make_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=1_000_000)
    parser.add_argument("--files", type=Path, default=Path("/work/tmp/county-files"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", nargs="*", help="only the variants whose label holds one of these words")
    args = parser.parse_args()
    import psycopg

    from tests.pg_server import PgServer, create_postgis_database

    path = write_county(args.files / f"county-{args.houses}.gpkg", args.houses)
    server = PgServer()
    base = server.start()
    try:
        url = fresh(lambda name: create_postgis_database(base, name), "profile")
        first = import_county(url, path)
        print(f"geoapp import buildings (current code): {first['seconds']:.1f} s", flush=True)
        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        with conn.cursor() as cur:
            print("indexes:", indexes(cur), "\nforeign keys:", foreign_keys(cur), flush=True)
            cur.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'building'::regclass AND NOT tgisinternal"
            )
            print("triggers:", [r[0] for r in cur.fetchall()], flush=True)
            names = list(indexes(cur))
            data, binary = b"", b""
            for option in ("", " (FORMAT binary)"):
                buf = bytearray()
                with cur.copy(f"COPY building ({COLUMNS}) TO STDOUT{option}") as copy:
                    for block in copy:
                        buf += block
                if option:
                    binary = bytes(buf)
                else:
                    data = bytes(buf)
                del buf
        print(f"{len(data) / 1e6:.0f} MB of COPY text, {len(binary) / 1e6:.0f} MB binary", flush=True)
        variants = [
            ("everything kept (before: text COPY, tally trigger without WHEN)", {}),
            ("binary COPY, everything kept", {"binary": True}),
            ("tally triggers with their WHEN (migration 0022)", {"when": True}),
            ("without the tally insert trigger", {"drop_triggers": ("tally_building_ins",)}),
            ("without the map_change statement trigger", {"drop_triggers": ("map_change_building",)}),
            ("without the 2 foreign keys (made again after)", {"drop_fks": True}),
            *((f"without index {name} (made again after)", {"drop_indexes": (name,)}) for name in names),
            (
                "without tally trigger and any secondary index (made again after)",
                {"drop_indexes": ("*",), "drop_triggers": ("tally_building_ins",)},
            ),
            (
                "now: binary COPY, tally WHEN, secondary indexes and foreign keys made again after",
                {"binary": True, "when": True, "drop_indexes": ("*",), "drop_fks": True},
            ),
            (
                "bare: no tally trigger, no secondary index, no foreign key (all made again after)",
                {"drop_indexes": ("*",), "drop_triggers": ("tally_building_ins",), "drop_fks": True},
            ),
        ]
        rows = []
        for label, options in variants:
            if args.only and not any(word in label for word in args.only):
                continue
            source = binary if options.get("binary") else data
            times = [run_variant(conn, source, **options) for _ in range(args.repeat)]
            times.sort()
            copy_s, make_s = times[len(times) // 2]
            print(f"{label}: COPY {copy_s:.1f} s, made again {make_s:.1f} s", flush=True)
            rows.append((label, copy_s, make_s))
        whole = rows[0][1]
        print(f"\nload average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
        print("| COPY of the houses into `building` | COPY | made again after | saved against all kept |")
        print("|---|---|---|---|")
        for label, copy_s, make_s in rows:
            print(f"| {label} | {copy_s:.1f} s | {make_s:.1f} s | {whole - copy_s - make_s:+.1f} s |")
        conn.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
