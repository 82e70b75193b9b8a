"""Login timing: does a refused login take as long for an unknown user name as for a real one?

    .venv/bin/python bench/bench_login_timing.py [--rounds 21]

Posts the login form (through the app, with the production argon2id parameters from
the settings) with a wrong password for a real account, for a disabled account and for
a name that does not exist, interleaved, each from its own address (so login throttling
does not step in), and prints the median server time of each and their ratios. Before
issue 8 an unknown name skipped the password hash: ~15 ms against ~300 ms, which told
anyone which user names exist. Not a test: it prints figures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp import create_app  # noqa: E402
from geoapp.config import Settings  # noqa: E402
from geoapp.services.accounts.passwords import make_hasher  # noqa: E402
from geoapp.store.db import Database  # noqa: E402
from geoapp.store.migrate import upgrade  # noqa: E402
from geoapp.store.models import User  # noqa: E402

PASSWORD = "Bench-password-1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=21, help="logins of each kind (default 21)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'login.sqlite'}"
        settings = Settings(database_url=url, secret_key="bench")
        db = Database(url)
        upgrade(db.engine)
        hasher = make_hasher(settings.argon2_time_cost, settings.argon2_memory_kib)
        with db.write() as s:
            for name, disabled in (("real_user", False), ("gone_user", True)):
                s.add(User(username=name, role="officer", password_hash=hasher.hash(PASSWORD),
                           must_change_password=False, disabled=disabled))  # fmt: skip
        db.dispose()
        app = create_app(settings)
        client = app.test_client()
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").text).group(1)
        kinds = {"real name, wrong password": "real_user", "disabled account": "gone_user",
                 "unknown name": "no_such_user"}  # fmt: skip
        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        serial = 0
        for _ in range(args.rounds):
            for kind, username in kinds.items():
                serial += 1
                form = {"username": username, "password": "Wrong-password-9", "csrf_token": token}
                environ = {"REMOTE_ADDR": f"10.{serial // 65536 % 256}.{serial // 256 % 256}.{serial % 256}"}
                t0 = time.perf_counter()
                status = client.post("/login", data=form, environ_base=environ).status_code
                times[kind].append(time.perf_counter() - t0)
                assert status == 401, status
        app.extensions["geoapp.db"].dispose()
    print(f"login refused, median of {args.rounds} (argon2id t={settings.argon2_time_cost}, "
          f"m={settings.argon2_memory_kib} KiB):")  # fmt: skip
    medians = {kind: statistics.median(values) * 1000 for kind, values in times.items()}
    real = medians["real name, wrong password"]
    for kind, ms in medians.items():
        print(f"  {kind:<27} {ms:8.1f} ms   ratio to a real name {ms / real:5.2f}")
    unknown = medians["unknown name"]
    print(f"known/unknown ratio: {real / unknown:.2f} (1.00 means the time tells nothing)")


if __name__ == "__main__":
    main()
