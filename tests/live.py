"""The app served on 127.0.0.1 in a thread, for clients that must reach it over HTTP (the
browser tests, GDAL's OAPIF driver)."""

from __future__ import annotations

import threading
import time

from werkzeug.serving import make_server


def _closing(app):
    """Close each response's body as soon as it has been iterated (or its generator is
    collected). Werkzeug's development server calls ``close()`` only after draining the
    socket, and a client that resets the connection (a browser context closing while its
    service worker fetches) makes that drain raise first: a static file's handle is then left
    to the garbage collector, a ResourceWarning in some later test. The app's production
    server (cheroot, ``geoapp serve``) closes the body in a ``finally`` of its own."""

    def wrapped(environ, start_response):
        body = app(environ, start_response)

        def chunks():
            try:
                yield from body
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()

        return chunks()

    return wrapped


class LiveServer:
    def __init__(self, app) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
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
