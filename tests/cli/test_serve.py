"""`geoapp serve` runs the production server, over HTTPS when given a certificate."""

from __future__ import annotations

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
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/login", context=context, timeout=10) as r:
            assert r.status == 200
            cookie = r.headers["Set-Cookie"]
            assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
            assert r.headers["Strict-Transport-Security"] == "max-age=31536000"  # HTTPS only, from now on
            assert "登录" in r.read().decode()
        with pytest.raises(Exception):  # plain HTTP is not served on the HTTPS port  # noqa: B017
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).read()
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_over_http_sets_no_secure_flag(db_url):
    proc, port = _serve(db_url)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as r:
            assert r.status == 200 and "Secure" not in r.headers["Set-Cookie"]
            assert "Strict-Transport-Security" not in r.headers  # never on plain HTTP
            assert r.headers["Server"] == "geoapp"  # cheroot, not the Flask debug server
    finally:
        proc.terminate()
        proc.wait(10)


def test_cert_without_key_is_refused(db_url, tmp_path):
    cert = tmp_path / "a.crt"
    cert.write_text("x")
    geoapp = Path(sys.executable).with_name("geoapp")
    done = subprocess.run([str(geoapp), "serve", "--cert", str(cert)], capture_output=True, text=True,
                          env={**os.environ, "GEOAPP_DATABASE_URL": db_url})  # fmt: skip
    assert done.returncode != 0 and "--key" in done.stderr
