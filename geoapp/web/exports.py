"""Downloads: one layer as Excel, CSV or GeoJSON, limited to the caller's scope."""

from __future__ import annotations

from flask import Blueprint, Response, request

from geoapp.domain.roles import ALL_ROLES
from geoapp.services.gis_io import web_exports
from geoapp.web.access import access, require_scope
from geoapp.web.context import database, settings
from geoapp.web.parsing import parse_int

bp = Blueprint("exports", __name__)

LAYER = "any(" + ", ".join(web_exports.LAYERS) + "):layer"
FORMAT = "any(" + ", ".join(web_exports.FORMATS) + "):fmt"


@bp.get(f"/export/<{LAYER}>.<{FORMAT}>")
@access(*ALL_ROLES)  # leaders are refused people in the service (and the refusal audited)
def download(layer: str, fmt: str) -> Response:
    village_id = parse_int("village")
    file = web_exports.export_layer(
        database(),
        require_scope(),
        settings(),
        layer,
        fmt,
        village_id=village_id,
        remote_addr=request.remote_addr,
    )
    return Response(
        file.body,
        content_type=file.content_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )
