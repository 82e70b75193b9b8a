"""The services' half of the layer registry has a source for every described layer, and
import, export and the map reach each layer through it."""

from geoapp.domain.layers import GIS_LAYERS, IMPORTABLE, MAP_LAYERS, REGISTRY
from geoapp.services.gis_io import exporter, registry, web_exports
from geoapp.services.gis_io.importer import LAYERS as IMPORT_LAYERS


def test_every_layer_has_its_source():
    assert set(registry.SOURCES) == set(REGISTRY)
    for name in IMPORTABLE:
        assert registry.source(name).store is not None, name
    for name in GIS_LAYERS:
        assert registry.source(name).frame is not None and registry.source(name).model is not None, name
    for name in MAP_LAYERS:
        assert registry.source(name).geojson is not None, name


def test_readers_take_their_lists_from_the_registry():
    assert IMPORT_LAYERS == IMPORTABLE
    assert (*GIS_LAYERS, "people") == web_exports.LAYERS
    assert {name: REGISTRY[name].sheet for name in GIS_LAYERS} == exporter.SHEETS
    assert web_exports.SHEET_NAMES["people"] == "人口"
