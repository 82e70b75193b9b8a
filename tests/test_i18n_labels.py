"""The catalogue check sees labels defined outside templates: a table of labels in Python
with a bare English string fails it, and the collector's form options read in Chinese."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _i18n_script():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_check_catches_a_label_table_not_marked_for_translation(tmp_path):
    script = _i18n_script()
    (tmp_path / "bad.py").write_text(
        "from geoapp.domain.i18n import N_\n"
        'ID_TYPE_LABELS = {"resident_id": "Resident ID card", "passport": N_("Passport")}\n'
        'KIND_TEXT = [("shop", "Shop"), ("x", "商店")]\n'
        'COLUMN_NAMES = ["lon", "lat"]\n',
        encoding="utf-8",
    )
    problems = script.unmarked_labels(tmp_path)
    assert len(problems) == 2
    assert "'Resident ID card'" in problems[0] and "ID_TYPE_LABELS" in problems[0]
    assert "'Shop'" in problems[1]


def test_the_project_has_no_unmarked_label_tables():
    assert _i18n_script().unmarked_labels() == []


def test_collector_form_options_are_chinese(demo_app):
    from geoapp.maps.collector import collector_options

    with demo_app.test_request_context("/"):
        options = collector_options("collector")
    id_types = dict(options["idTypes"])
    residence = dict(options["residenceTypes"])
    assert id_types["resident_id"] == "居民身份证"
    assert residence["registered"] == "户籍人口"
    assert all(not label.isascii() for label in [*id_types.values(), *residence.values()])
