"""The layer registry: every layer described once, and every reader finds what it needs."""

import pytest

from geoapp.domain.layers import (
    GIS_LAYERS,
    HEADERS,
    IMPORTABLE,
    MAP_LAYERS,
    REGISTER_HEADERS,
    REGISTRY,
    TYPE_NAMES,
    UNIT_KIND_WORDS,
    spec,
)
from geoapp.domain.roles import Role
from geoapp.domain.uses import UnitKind


def test_every_exported_layer_has_a_sheet_and_chinese_headers():
    for name in GIS_LAYERS:
        layer = spec(name)
        assert layer.sheet and layer.columns, name
        assert all(HEADERS[c] for c in layer.columns), name
    assert GIS_LAYERS == ("villages", "streets", "buildings", "units")  # the order files list them in
    assert list(REGISTER_HEADERS)[:2] == ["id", "name"]


def test_every_imported_layer_names_its_geometry_and_columns():
    for name in IMPORTABLE:
        layer = spec(name)
        assert layer.importable and layer.geometry and layer.aliases, name
        assert set(layer.geometry) <= set(TYPE_NAMES)
        assert all(name in aliases for name, aliases in layer.aliases.items())


def test_every_map_layer_has_an_endpoint_a_kind_and_a_style():
    for name in MAP_LAYERS:
        layer = spec(name)
        assert layer.map_kind and layer.endpoint and layer.style, name
    shops, factories = spec("shops"), spec("factories")
    assert (shops.style.symbol, factories.style.symbol) == ("square", "triangle")  # told apart by shape
    assert shops.unit_kinds == ("shop",) and factories.unit_kinds == ("enterprise",)
    assert shops.map_roles == factories.map_roles == {Role.OFFICER, Role.ADMIN}
    assert UNIT_KIND_WORDS["factory"] == UNIT_KIND_WORDS["factories"] == (UnitKind.ENTERPRISE.value,)


@pytest.mark.parametrize(
    ("role", "sees_people", "dropped", "masked"),
    [
        (Role.ADMIN, True, (), {}),
        (Role.OFFICER, True, (), {"phone": "phone"}),
        (Role.LEADER, False, ("legal_rep", "phone"), {}),
    ],
)
def test_fields_each_role_sees(role, sees_people, dropped, masked):
    assert REGISTRY["units"].fields_for(role, sees_people) == (dropped, masked)
    people = REGISTRY["people"].fields_for(role, sees_people)[1]
    assert set(people) == ({"id_number", "phone"} if role == Role.OFFICER else set())
