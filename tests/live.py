"""The app served on 127.0.0.1 in a thread, for clients that must reach it over HTTP (the
browser tests, GDAL's OAPIF driver)."""

from __future__ import annotations

import sys
import threading
import time
import traceback

from werkzeug.serving import make_server


class InFlight:
    """The requests the server is answering now, with where each thread stands: printed when
    a browser test fails, to tell a request stuck in the app from one the browser never sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now: dict[int, tuple[str, float]] = {}

    def start(self, what: str) -> None:
        with self._lock:
            self._now[threading.get_ident()] = (what, time.monotonic())

    def end(self) -> None:
        with self._lock:
            self._now.pop(threading.get_ident(), None)

    def report(self) -> str:
        frames = sys._current_frames()
        with self._lock:
            now = dict(self._now)
        if not now:
            return "no request being answered"
        lines = []
        for ident, (what, since) in now.items():
            lines.append(f"{what} for {time.monotonic() - since:.1f} s, at:")
            frame = frames.get(ident)
            lines.extend("  " + line.rstrip() for line in traceback.format_stack(frame)[-8:] if frame)
        return "\n".join(lines)


def _closing(app, flight: InFlight):
    """Close each response's body as soon as it has been iterated (or its generator is
    collected). Werkzeug's development server calls ``close()`` only after draining the
    socket, and a client that resets the connection (a browser context closing while its
    service worker fetches) makes that drain raise first: a static file's handle is then left
    to the garbage collector, a ResourceWarning in some later test. The app's production
    server (cheroot, ``geoapp serve``) closes the body in a ``finally`` of its own."""

    def wrapped(environ, start_response):
        flight.start(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}?{environ.get('QUERY_STRING', '')}")
        try:
            body = app(environ, start_response)
        except BaseException:
            flight.end()
            raise

        def chunks():
            try:
                yield from body
            finally:
                flight.end()
                close = getattr(body, "close", None)
                if close is not None:
                    close()

        return chunks()

    return wrapped


class LiveServer:
    def __init__(self, app) -> None:
        self.app = app
        self.in_flight = InFlight()
        self.server = make_server("127.0.0.1", 0, _closing(app, self.in_flight), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)
        # Requests still being answered (a page's service worker keeps fetching until its
        # context closes) finish before the app's database is disposed: a request cut off
        # by the teardown would leave a connection or a static file open.
        deadline = time.monotonic() + 10
        for thread in threading.enumerate():
            if thread.name.endswith("(process_request_thread)"):
                thread.join(max(0.0, deadline - time.monotonic()))
        self.server.server_close()
