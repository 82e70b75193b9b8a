"""Read every collection of an OGC API – Features service with GDAL's OAPIF driver
(through pyogrio) and print what it read as JSON. Run in its own process by
``test_ogc_gdal.py``: pyogrio holds the GIL while GDAL waits for the app, so the app's
server thread and GDAL cannot share one process.

Usage: python -m tests.web.ogc_read URL TOKEN LAYER [LAYER ...]
"""

from __future__ import annotations

import json
import sys

import pyogrio
import shapely


def main(url: str, token: str, layers: list[str]) -> None:
    # GDAL_HTTP_HEADERS does not reach the OAPIF driver's requests (GDAL 3.12: the driver sends
    # its own Accept header, which replaces it); GDAL's bearer authentication does.
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": token})
    found = [str(name) for name, _ in pyogrio.list_layers(f"OAPIF:{url}")]
    out = {"layers": found, "read": {}}
    for layer in layers:
        frame = pyogrio.read_dataframe(f"OAPIF:{url}", layer=layer, fid_as_index=True)
        out["read"][layer] = {
            "crs": frame.crs.to_string() if frame.crs is not None else None,
            "ids": [int(i) for i in frame.index],
            "columns": [c for c in frame.columns if c != "geometry"],
            "properties": json.loads(frame.drop(columns="geometry").to_json(orient="records")),
            "wkb": [shapely.to_wkb(g, hex=True) for g in frame.geometry],
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
