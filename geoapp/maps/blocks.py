"""Editing street-front blocks on the map (``static/js/blocks.js``, Leaflet.draw served
locally): draw, reshape, split along a line, merge two neighbours; administrators also
choose blocks on the map and assign them to an officer."""

from __future__ import annotations

import folium
from flask import url_for
from flask_babel import gettext

from geoapp.maps import assets
from geoapp.maps.tools import ScriptTool


def block_editor_options() -> dict:
    _ = gettext
    return {
        "url": url_for("blocks.create"),  # POST: a new block; /<id>/shape PUT, /<id>/split, /<id>/merge POST
        "text": {
            "title": _("Edit blocks"),
            "draw": _("Draw a block"),
            "reshape": _("Reshape"),
            "splitB": _("Split"),
            "merge": _("Merge"),
            "save": _("Save the shape"),
            "cancel": _("Cancel"),
            "drawHint": _(
                "Click the corners of the block around its houses; click the first corner to finish."
            ),
            "pickBlock": _("Click the block on the map."),
            "reshapeHint": _("Drag the corners, then save the shape."),
            "splitLine": _("Draw the split line across the block; click its last point again to finish."),
            "mergeFirst": _("Click the first of the two neighbouring blocks."),
            "mergeSecond": _("Now click the block next to it."),
            "created": _("Block saved."),
            "reshaped": _("Shape saved."),
            "split": _("Block split."),
            "merged": _("Blocks merged."),
            "polyStart": _("Click to start the block."),
            "polyCont": _("Click to add a corner."),
            "polyEnd": _("Click the first corner to finish."),
            "lineStart": _("Click to start the line."),
            "lineCont": _("Click to continue the line."),
            "lineEnd": _("Click the last point again to finish."),
            "crossing": _("The outline may not cross itself."),
            "editText": _("Drag the corners to change the shape."),
            "editSub": _("Then save the shape."),
        },
    }


def block_assign_options(officers: list[tuple[str, str]]) -> dict:
    """Choosing blocks on the map and assigning them (administrators): the enabled officers."""
    _ = gettext
    return {
        "url": url_for("blocks.assign_many"),
        "officers": [[username, name or username] for username, name in officers],
        "text": {
            "button": _("Assign"),
            "hint": _("Click the blocks to assign on the map (click again to leave one out)."),
            "officer": _("Officer"),
            "due": _("Due"),
            "send": _("Assign the chosen blocks"),
            "chosen": _("Blocks chosen: %(n)s"),
            "none": _("Choose at least one block on the map."),
            "noOfficer": _("Choose the officer."),
            "assigned": _("Blocks assigned."),
        },
    }


def add_block_editor(m: folium.Map, officers: list[tuple[str, str]] | None = None) -> None:
    """The editor; with ``officers`` (administrators) also choosing blocks on the map to assign."""
    options = block_editor_options()
    if officers is not None:
        options["assign"] = block_assign_options(officers)
    ScriptTool(
        "blockEditor",
        "blocks.js",
        options,
        vendor=[("leaflet_draw", assets.vendor("leaflet-draw", "dist/leaflet.draw.js"))],
        css=[
            ("leaflet_draw_css", assets.vendor("leaflet-draw", "dist/leaflet.draw.css")),
            ("geoapp_blocks_css", assets.static("css/blocks.css")),
        ],
    ).add_to(m)
