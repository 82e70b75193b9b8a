"""Render a folium map into parts for a Jinja page, with CSP nonces on inline code."""

from __future__ import annotations

import re
from dataclasses import dataclass

import folium
from markupsafe import Markup

_TAG = re.compile(r"<(script|style)(?=[\s>])")


@dataclass(frozen=True)
class MapParts:
    head: Markup
    body: Markup
    script: Markup


def _nonced(html: str, nonce: str) -> Markup:
    return Markup(_TAG.sub(lambda m: f'<{m.group(1)} nonce="{nonce}"', html))


def render_map(m: folium.Map, nonce: str) -> MapParts:
    figure = m.get_root()
    figure.render()
    return MapParts(
        head=_nonced(figure.header.render(), nonce),
        body=Markup(figure.html.render()),
        script=Markup(figure.script.render()),
    )
