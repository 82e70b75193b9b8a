"""``geoapp serve``: the production WSGI server (cheroot), optionally over HTTPS."""

from __future__ import annotations

from pathlib import Path

import click

BACKLOG = 512


@click.command(help="Serve the app with a production WSGI server (cheroot).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=5000, show_default=True)
@click.option("--threads", type=int, default=32, show_default=True)
@click.option(
    "--cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TLS certificate (PEM); phones share their position only with HTTPS pages.",
)
@click.option(
    "--key", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TLS private key (PEM)."
)
def serve(host: str, port: int, threads: int, cert: Path | None, key: Path | None) -> None:
    from cheroot import wsgi

    from geoapp import create_app
    from geoapp.config import Settings

    if bool(cert) != bool(key):
        raise click.UsageError("--cert and --key go together")
    from geoapp.domain.basemaps import BasemapConfigError

    try:  # cookies only over HTTPS once the app is served over HTTPS
        settings = Settings.from_env(secure_cookies=True) if cert else Settings.from_env()
    except BasemapConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    app = create_app(settings)
    # A deep listen backlog: a village's collectors may all submit in the same second
    # (cheroot's default of 5 pending connections resets the rest).
    server = wsgi.Server(
        (host, port), app, numthreads=threads, server_name="geoapp", request_queue_size=BACKLOG
    )
    scheme = "http"
    if cert and key:
        from cheroot.ssl.builtin import BuiltinSSLAdapter

        server.ssl_adapter = BuiltinSSLAdapter(str(cert), str(key))
        scheme = "https"
    click.echo(
        f"geoapp serving {app.extensions['geoapp.db'].url.split('://')[0]} database on {scheme}://{host}:{port}/"
    )
    try:
        server.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        app.extensions["geoapp.db"].dispose()
