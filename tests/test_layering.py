"""The layers read one way (DESIGN §4): domain ← services (accounts ← addresses ← campaign ←
gis_io ← demo; reports reads accounts, campaign and gis_io) ← web. Checked from the
import statements themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "geoapp"
# For each room, the rooms it must never import.
FORBIDDEN = {
    "domain": ("flask", "sqlalchemy", "geoapp.store", "geoapp.services", "geoapp.web", "geoapp.spatial"),
    "services/accounts": (
        "flask",
        "geoapp.web",
        "geoapp.services.campaign",
        "geoapp.services.gis_io",
        "geoapp.services.demo",
        "geoapp.services.reports",
    ),
    "services/addresses": (
        "flask",
        "geoapp.web",
        "geoapp.services.campaign",
        "geoapp.services.gis_io",
        "geoapp.services.demo",
        "geoapp.services.reports",
    ),
    "services/campaign": (
        "flask",
        "geoapp.web",
        "geoapp.services.gis_io",
        "geoapp.services.demo",
        "geoapp.services.reports",
    ),
    "services/gis_io": ("flask", "geoapp.web", "geoapp.services.demo", "geoapp.services.reports"),
    "services/reports": ("flask", "geoapp.web", "geoapp.services.demo"),
    "services/demo": ("flask", "geoapp.web"),
    "services/admin": ("flask", "geoapp.web", "geoapp.services"),
}


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
    return names


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_room_imports_only_downwards(room):
    files = sorted((PACKAGE / room).rglob("*.py"))
    assert files, f"no modules in {room}"
    wrong = [
        f"{f.relative_to(PACKAGE)} imports {name}"
        for f in files
        for name in imports_of(f)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[room])
    ]
    assert wrong == []


def test_services_hall_is_grouped():
    """New service modules go into their capability's folder, not the hall."""
    loose = sorted(p.name for p in (PACKAGE / "services").glob("*.py") if p.name != "__init__.py")
    assert loose == []
