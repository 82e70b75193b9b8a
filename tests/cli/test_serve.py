"""`geoapp serve` runs the production server, over HTTPS when given a certificate."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="uses openssl and a subprocess")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db_url: str, *args: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {**os.environ, "GEOAPP_DATABASE_URL": db_url}
    geoapp = Path(sys.executable).with_name("geoapp")
    proc = subprocess.Popen(
        [str(geoapp), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.1)
    proc.kill()
    proc.wait(10)
    raise AssertionError("geoapp serve did not start")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM, as a service manager stops it; a server still busy after a minute is killed
    (a stuck stop must not leave a process behind for the next test)."""
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        raise


def test_serve_over_https_with_the_towns_certificate(db_url, tmp_path):
    cert, key = tmp_path / "town.crt", tmp_path / "town.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    proc, port = _serve(db_url, "--cert", str(cert), "--key", str(key))
    try:
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/login", context=context, timeout=60) as r:
            assert r.status == 200
            cookie = r.headers["Set-Cookie"]
            assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
            assert r.headers["Strict-Transport-Security"] == "max-age=31536000"  # HTTPS only, from now on
            assert "登录" in r.read().decode()
        with pytest.raises(Exception):  # plain HTTP is not served on the HTTPS port  # noqa: B017
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).read()
    finally:
        _stop(proc)


def test_serve_over_http_sets_no_secure_flag(db_url):
    proc, port = _serve(db_url)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=60) as r:
            assert r.status == 200 and "Secure" not in r.headers["Set-Cookie"]
            assert "Strict-Transport-Security" not in r.headers  # never on plain HTTP
            assert r.headers["Server"] == "geoapp"  # cheroot, not the Flask debug server
    finally:
        _stop(proc)


def test_cert_without_key_is_refused(db_url, tmp_path):
    cert = tmp_path / "a.crt"
    cert.write_text("x")
    geoapp = Path(sys.executable).with_name("geoapp")
    done = subprocess.run([str(geoapp), "serve", "--cert", str(cert)], capture_output=True, text=True,
                          env={**os.environ, "GEOAPP_DATABASE_URL": db_url})  # fmt: skip
    assert done.returncode != 0 and "--key" in done.stderr


def test_workers_share_one_address_and_a_dead_worker_is_restarted(db_url, tmp_path):
    """`--workers 2`: two processes answer on one port; kill -9 one, it is restarted and logged;
    SIGTERM stops the supervisor and every worker."""
    import re
    import signal

    port = _free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "GEOAPP_DATABASE_URL": db_url}
    env.pop("GEOAPP_SECRET_KEY", None)
    geoapp = Path(sys.executable).with_name("geoapp")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(geoapp), "serve", "--port", str(port), "--workers", "2", "--threads", "4"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def pids() -> list[int]:
        return [int(p) for p in re.findall(r"\(worker pid (\d+)\)", log.read_text())]

    def wait_for(condition, what: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise AssertionError(f"{what}: {log.read_text()}")

    try:
        wait_for(lambda: len(pids()) == 2, "two workers serving")
        assert "GEOAPP_SECRET_KEY is not set" in log.read_text()  # one key made for both
        for _ in range(6):  # each request on a new connection: the kernel spreads them
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=60) as r:
                assert r.status == 200
        first = pids()[0]
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: len(pids()) == 3, "the killed worker restarted")
        assert re.search(rf"pid {first}\) exited with code -9", log.read_text())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=60) as r:
            assert r.status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        assert "geoapp workers stopped" in log.read_text()
        for pid in pids()[1:]:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for pid in pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
