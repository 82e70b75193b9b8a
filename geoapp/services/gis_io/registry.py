"""The services' half of the layer registry: for each layer described in
``domain/layers.py``, the model it is stored in and the functions that read it for
export (``frame``), store an imported file (``store``) and serve it to the map
(``geojson``). Import, export, the GeoJSON endpoints and the map go through here,
the way one provider entry serves a collection in pygeoapi.

To add a layer (blocks, say): describe it in ``domain/layers.py``, write the
functions it needs, and add one ``LayerSource`` below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from geoapp.domain.layers import REGISTRY, LayerSpec
from geoapp.domain.roles import Scope
from geoapp.services.gis_io import block_layer, features, frames, layers
from geoapp.services.gis_io.importer import buildings as import_buildings
from geoapp.services.gis_io.importer import streets as import_streets
from geoapp.services.gis_io.importer import units as import_units
from geoapp.services.gis_io.importer import villages as import_villages
from geoapp.store.models import Block, Building, Person, Street, Unit, Village

Frame = Callable[[Session, Scope, "int | None"], pd.DataFrame]


@dataclass(frozen=True)
class LayerSource:
    spec: LayerSpec
    model: type | None
    frame: Frame | None = None  # the rows a reader may see, masked (exports)
    store: Callable[[Session, Any], None] | None = None  # an import job's rows into the database
    geojson: Callable[..., bytes] | None = None  # the map's GeoJSON
    features: Callable[..., Any] | None = None  # its OGC API collection (``features.py``)


def _unit_layer(session: Session, scope: Scope, **kwargs) -> bytes:
    return layers.units_geojson(session, scope, **kwargs)


def _unit_features(kinds: tuple[str, ...]) -> Callable[..., Any]:
    return lambda session, scope, **kw: features.units(session, scope, kinds=kinds, **kw)


SOURCES: dict[str, LayerSource] = {
    s.spec.name: s
    for s in (
        LayerSource(
            REGISTRY["villages"],
            Village,
            frames.villages_frame,
            import_villages.run,
            lambda session, scope, **_: layers.villages_geojson(session),
            features.villages,
        ),
        LayerSource(
            REGISTRY["streets"],
            Street,
            frames.streets_frame,
            import_streets.run,
            layers.streets_geojson,
            features.streets,
        ),
        LayerSource(
            REGISTRY["buildings"],
            Building,
            frames.buildings_frame,
            import_buildings.run,
            layers.buildings_geojson,
            features.buildings,
        ),
        LayerSource(
            REGISTRY["units"], Unit, frames.units_frame, import_units.run, _unit_layer, _unit_features(())
        ),
        LayerSource(
            REGISTRY["shops"],
            Unit,
            geojson=_unit_layer,
            features=_unit_features(REGISTRY["shops"].unit_kinds),
        ),
        LayerSource(
            REGISTRY["factories"],
            Unit,
            geojson=_unit_layer,
            features=_unit_features(REGISTRY["factories"].unit_kinds),
        ),
        LayerSource(REGISTRY["blocks"], Block, geojson=block_layer.blocks_geojson),
        LayerSource(REGISTRY["people"], Person, frames.people_frame),
    )
}
assert set(SOURCES) == set(REGISTRY), "every described layer has its source"


def source(name: str) -> LayerSource:
    return SOURCES[name]


def layer_frame(session: Session, scope: Scope, layer: str, village_id: int | None = None) -> pd.DataFrame:
    """One layer as the caller may see it, sensitive fields already masked."""
    frame = SOURCES[layer].frame
    if frame is None:
        raise KeyError(layer)
    return frame(session, scope, village_id)
