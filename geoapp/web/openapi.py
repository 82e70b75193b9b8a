"""The OpenAPI 3.1 document of the JSON API (``/api/…``) and the OGC API (``/ogc…``) at
``/api/openapi.json``, generated, never written by hand: the paths, methods and path
parameters come from the app's route table; each request body is the pydantic model
its view parses with ``body(Model)`` (``domain/requests.py``, ``domain/submission.py``,
``domain/units.py``), its schema from pydantic; query parameters are those the view
reads with ``parse_int``/``parse_float``/``parse_date``/``parse_choice``/
``request.args.get`` (found in the view's source and the module's helpers it calls);
the OGC parameters and answers from ``services/gis_io/ogc.py``. Who may call each
operation is its ``@access`` declaration.
"""

from __future__ import annotations

import inspect
import re
from functools import cache
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from geoapp.domain.roles import ALL_ROLES
from geoapp.domain.schema import MAX_ID
from geoapp.services.gis_io import ogc
from geoapp.web.access import access, policy_for

bp = Blueprint("openapi", __name__)

PREFIXES = ("/api/", "/ogc")
_BODY = re.compile(r"\bbody\((\w+)\)")
_QUERY = re.compile(
    r"""\b(parse_int|parse_float|parse_date|parse_choice|request\.args\.get|_flag|_crs)\(\s*"([\w-]+)\""""
)
_CALLS = re.compile(r"\b(_?\w+)\(")
_PATH_PART = re.compile(r"<(?:(\w+):)?(\w+)>")
_QUERY_TYPES = {
    "parse_int": {"type": "integer"},
    "parse_float": {"type": "number"},
    "parse_date": {"type": "string", "format": "date"},
    "parse_choice": {"type": "string"},
    "request.args.get": {"type": "string"},
    "_flag": {"type": "string", "enum": ["0", "1"]},
    "_crs": {"type": "string"},
}
# The OGC items' own parameters (OGC API – Features Part 1 and 2).
OGC_PARAMS: dict[str, dict] = {
    "f": {"type": "string", "enum": ["json", "html"]},
    "limit": {"type": "integer", "minimum": 1, "maximum": ogc.MAX_LIMIT, "default": ogc.DEFAULT_LIMIT},
    "offset": {"type": "integer", "minimum": 0},
    "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
    "crs": {"type": "string", "enum": list(ogc.CRS_LIST)},
    "bbox-crs": {"type": "string", "enum": list(ogc.CRS_LIST)},
}


def _source(view) -> str:
    """The view's source and that of the module's helpers it calls (one level)."""
    fn = inspect.unwrap(view)
    text = inspect.getsource(fn)
    helpers = []
    for name in set(_CALLS.findall(text)):
        helper = fn.__globals__.get(name)
        if inspect.isfunction(helper) and helper.__module__ == fn.__module__ and helper is not fn:
            helpers.append(inspect.getsource(helper))
    return "\n".join([text, *helpers])


def _request_model(view) -> type[BaseModel] | None:
    fn = inspect.unwrap(view)
    for name in _BODY.findall(inspect.getsource(fn)):
        model = fn.__globals__.get(name)
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model
    return None


def _query_parameters(view, ogc_route: bool) -> list[dict]:
    found: dict[str, dict] = {}
    for kind, name in _QUERY.findall(_source(view)):
        found.setdefault(name, dict(_QUERY_TYPES[kind]))
    if ogc_route:
        found.update({k: v for k, v in OGC_PARAMS.items() if k in found or k == "f"})
    out = []
    for name, schema in sorted(found.items()):
        param = {"name": name, "in": "query", "required": False, "schema": schema}
        if schema.get("type") == "array":
            param.update(style="form", explode=False)
        out.append(param)
    return out


def _path(rule: str, view_ogc: bool) -> tuple[str, list[dict]]:
    params = []

    def replace(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        if converter == "int":
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        elif view_ogc and name == "name":
            schema = {"type": "string", "enum": list(ogc.offered())}
        else:
            schema = {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return _PATH_PART.sub(replace, rule), params


def _responses(endpoint: str, method: str) -> dict:
    ok = "201" if method == "post" and endpoint.endswith(("submit_house", "create")) else "200"
    if endpoint in ("ogc.items", "ogc.item"):
        content = {ogc.GEOJSON: {"schema": {"type": "object"}}, ogc.HTML: {"schema": {"type": "string"}}}
    elif endpoint.startswith("ogc."):
        content = {ogc.JSON: {"schema": {"type": "object"}}, ogc.HTML: {"schema": {"type": "string"}}}
    elif endpoint.endswith(("geojson", "layer", "villages", "streets", "buildings")):
        content = {"application/geo+json": {"schema": {"type": "object"}}}
    else:
        content = {"application/json": {"schema": {"type": "object"}}}
    error = {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}  # fmt: skip
    return {
        ok: {"description": "answer", "content": content},
        "400": error,
        "401": error,
        "403": error,
        "404": error,
        "409": error,
    }


def build_document(app: Flask) -> dict:
    """The whole document for ``app``'s routes under /api/ and /ogc."""
    operations: list[tuple[str, str, str, Any]] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(PREFIXES):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operations.append((rule.rule, method.lower(), rule.endpoint, app.view_functions[rule.endpoint]))
    models = {}
    for _rule, _method, _endpoint, view in operations:
        model = _request_model(view)
        if model is not None:
            models[f"{model.__module__}.{model.__qualname__}"] = model
    refs, schemas = models_json_schema(
        [(m, "validation") for m in models.values()], ref_template="#/components/schemas/{model}"
    )
    components = dict(schemas.get("$defs", {}))
    components["Error"] = {
        "type": "object",
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "field": {"type": "string"},
        },
        "required": ["error", "message"],
    }
    paths: dict[str, dict] = {}
    for rule, method, endpoint, view in operations:
        is_ogc = rule.startswith("/ogc")
        path, path_params = _path(rule, is_ogc)
        policy = policy_for(app, endpoint)
        op: dict[str, Any] = {
            "operationId": endpoint,
            "summary": (inspect.getdoc(view) or endpoint).split("\n")[0],
            "parameters": path_params + _query_parameters(view, is_ogc),
            "responses": _responses(endpoint, method),
            "x-roles": sorted(r.value for r in policy.roles) if policy and policy.roles else None,
        }
        model = _request_model(view)
        if model is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(model, "validation")]}},
            }
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "geoapp",
            "version": "1",
            "description": "The JSON API and OGC API – Features of the registration campaign. "
            "Programs authenticate with a personal API token: Authorization: Bearer gat_…",
        },
        "servers": [{"url": "/"}],
        "security": [{"token": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "a personal API token (gat_…)"},
                "session": {"type": "apiKey", "in": "cookie", "name": "geoapp_session"},
            },
        },
    }


@cache
def _cached(app_id: int) -> dict:  # one document per app (the route table does not change)
    return build_document(current_app)


@bp.get("/api/openapi.json")
@access(*ALL_ROLES)
def document():
    """The OpenAPI document of the JSON API and the OGC API."""
    response = jsonify(_cached(id(current_app._get_current_object())))
    response.mimetype = "application/vnd.oai.openapi+json"
    return response
