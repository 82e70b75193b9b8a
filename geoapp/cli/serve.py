"""``geoapp serve``: the production WSGI server (cheroot), optionally over HTTPS, in one
process or in several (``--workers N``) sharing one address."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

BACKLOG = 512
STOP_GRACE_S = 15  # after SIGTERM, a clean stop; past this, the process ends anyway
RESTART_DELAY_MAX_S = 30.0  # a worker that keeps dying is restarted at most this often
STABLE_AFTER_S = 10.0  # a worker that lived this long died of something else than its start


@click.command(help="Serve the app with a production WSGI server (cheroot).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=5000, show_default=True)
@click.option("--threads", type=int, default=32, show_default=True, help="Threads per process.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes sharing the address (SO_REUSEPORT); a worker that dies is restarted.",
)
@click.option(
    "--cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TLS certificate (PEM); phones share their position only with HTTPS pages.",
)
@click.option(
    "--key", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TLS private key (PEM)."
)
@click.option("--reuse-port", is_flag=True, hidden=True, help="Set SO_REUSEPORT (a worker of --workers).")
def serve(
    host: str, port: int, threads: int, workers: int, cert: Path | None, key: Path | None, reuse_port: bool
) -> None:
    if bool(cert) != bool(key):
        raise click.UsageError("--cert and --key go together")
    _settings(secure_cookies=bool(cert))  # a configuration error stops here, not in every worker
    if workers > 1:
        if port == 0:
            raise click.UsageError("--workers needs a fixed --port (each worker binds it)")
        args = ["--host", host, "--port", str(port), "--threads", str(threads), "--reuse-port"]
        if cert and key:
            args += ["--cert", str(cert), "--key", str(key)]
        _supervise(workers, args)
        return
    _serve_one(host, port, threads, cert, key, reuse_port)


def _settings(secure_cookies: bool):
    """The app's settings from the environment; cookies only over HTTPS once the app is served
    over HTTPS. A wrong setting (e.g. GEOAPP_BASEMAP) is a usage error naming the fix."""
    from geoapp.config import Settings
    from geoapp.domain.basemaps import BasemapConfigError

    try:
        return Settings.from_env(secure_cookies=True) if secure_cookies else Settings.from_env()
    except BasemapConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def _serve_one(host: str, port: int, threads: int, cert: Path | None, key: Path | None, reuse_port: bool):
    from cheroot import wsgi

    from geoapp import create_app

    settings = _settings(secure_cookies=bool(cert))
    app = create_app(settings)
    # A deep listen backlog: a village's collectors may all submit in the same second
    # (cheroot's default of 5 pending connections resets the rest).
    server = wsgi.Server(
        (host, port),
        app,
        numthreads=threads,
        server_name="geoapp",
        request_queue_size=BACKLOG,
        reuse_port=reuse_port,
    )
    scheme = "http"
    if cert and key:
        from cheroot.ssl.builtin import BuiltinSSLAdapter

        server.ssl_adapter = BuiltinSSLAdapter(str(cert), str(key))
        scheme = "https"
    click.echo(
        f"geoapp serving {app.extensions['geoapp.db'].url.split('://')[0]} database on {scheme}://{host}:{port}/"
        + (f" (worker pid {os.getpid()})" if reuse_port else "")
    )

    def _stop(_signum, _frame):
        # A stop still stuck after the grace (a worker blocked on a half-open TLS connection
        # kept a stopped HTTPS server alive) ends the process anyway.
        watchdog = threading.Timer(STOP_GRACE_S, os._exit, args=(0,))
        watchdog.daemon = True
        watchdog.start()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)  # a clean stop: answers finished, connections closed
    try:
        server.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        app.extensions["geoapp.db"].dispose()


def _supervise(workers: int, args: list[str]) -> None:
    """Start ``workers`` copies of this server on the same address and keep them running.

    Every piece of state the app keeps between requests (sessions, CSRF secrets, login
    throttles, read budgets, submissions' client ids) lives in the database or in the
    signed cookie, so any worker answers any request. The cookie's signing key must be
    the same in all workers: without GEOAPP_SECRET_KEY one is made here for all of them.
    """
    from geoapp.config import Settings
    from geoapp.store.db import make_engine

    settings = Settings.from_env()
    env = dict(os.environ)
    if not env.get("GEOAPP_SECRET_KEY"):
        env["GEOAPP_SECRET_KEY"] = secrets.token_hex(32)
        click.echo(
            "GEOAPP_SECRET_KEY is not set: the workers share a key made now (sessions end on restart)."
        )
    engine = make_engine(settings.database_url)
    dialect = engine.dialect.name
    engine.dispose()
    if dialect == "sqlite":
        click.echo(
            "SQLite: the workers share the file in WAL mode; writers queue on the 30 s busy timeout "
            "(PostGIS is the database for several processes)."
        )
    command = [sys.executable, "-c", "from geoapp.cli import main; main()", "serve", *args]
    children: dict[int, tuple[subprocess.Popen, float]] = {}
    delays = [0.0] * workers
    stopping = False

    def start(slot: int) -> None:
        proc = subprocess.Popen(command, env=env)
        children[slot] = (proc, time.monotonic())
        click.echo(f"geoapp worker {slot + 1}/{workers} started (pid {proc.pid})")

    def _stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    for slot in range(workers):
        start(slot)
    restart_at: dict[int, float] = {}
    try:
        while not stopping:
            time.sleep(0.2)
            now = time.monotonic()
            for slot, (proc, started) in list(children.items()):
                code = proc.poll()
                if code is None or slot in restart_at:
                    continue
                lived = now - started
                delays[slot] = (
                    0.0 if lived > STABLE_AFTER_S else min(RESTART_DELAY_MAX_S, max(1.0, 2 * delays[slot]))
                )
                click.echo(
                    f"geoapp worker {slot + 1}/{workers} (pid {proc.pid}) exited with code {code} "
                    f"after {lived:.0f} s: restarting in {delays[slot]:g} s",
                    err=True,
                )
                restart_at[slot] = now + delays[slot]
            for slot, when in list(restart_at.items()):
                if now >= when and not stopping:
                    del restart_at[slot]
                    start(slot)
    finally:
        for proc, _ in children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc, _ in children.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        click.echo("geoapp workers stopped")
