"""Render a folium map into parts for a Jinja page, with CSP nonces on inline code."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
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


def _render(m: folium.Map) -> tuple[str, str, str]:
    figure = m.get_root()
    figure.render()
    return figure.header.render(), figure.html.render(), figure.script.render()


def _parts(rendered: tuple[str, str, str], nonce: str) -> MapParts:
    head, body, script = rendered
    return MapParts(head=_nonced(head, nonce), body=Markup(body), script=Markup(script))


def render_map(m: folium.Map, nonce: str) -> MapParts:
    return _parts(_render(m), nonce)


class MapCache:
    """Rendered map pages of one app, by everything their map is built from (role, language,
    scope, ...): folium compiles some thirty templates per page, so a page is rendered
    once and each request only adds its CSP nonce. Nothing per user or secret goes in a
    map built through it (the user, the CSRF token: the page template). Safe with several
    threads: a page is built outside the lock; two threads building the same one keep one."""

    def __init__(self, size: int = 64):
        self.size = size
        self._pages: OrderedDict[Hashable, tuple[str, str, str]] = OrderedDict()
        self._lock = threading.Lock()
        self.built = 0  # pages rendered (tests check a second request renders none)

    def parts(self, key: Hashable, build: Callable[[], folium.Map], nonce: str) -> MapParts:
        with self._lock:
            rendered = self._pages.get(key)
            if rendered is not None:
                self._pages.move_to_end(key)
        if rendered is None:
            rendered = _render(build())
            with self._lock:
                self.built += 1
                self._pages[key] = rendered
                while len(self._pages) > self.size:
                    self._pages.popitem(last=False)
        return _parts(rendered, nonce)


def map_cache(app) -> MapCache:
    """The app's own cache (never shared between apps: each has its settings and data)."""
    return app.extensions.setdefault("geoapp.map_cache", MapCache())
