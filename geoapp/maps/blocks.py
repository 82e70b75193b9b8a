"""Editing street-front blocks on the map (``static/js/blocks.js``, Leaflet.draw served
locally): draw, reshape, split along a line, merge two neighbours."""

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


def add_block_editor(m: folium.Map) -> None:
    tool = ScriptTool("blockEditor", "blocks.js", block_editor_options())
    tool.default_js = [
        ("leaflet_draw", assets.vendor("leaflet-draw", "dist/leaflet.draw.js")),
        *tool.default_js,
    ]
    tool.default_css = [
        ("leaflet_draw_css", assets.vendor("leaflet-draw", "dist/leaflet.draw.css")),
        ("geoapp_blocks_css", assets.static("css/blocks.css")),
    ]
    tool.add_to(m)
