"""Take docs/screenshot.png of the town map (demo database from GEOAPP_DATABASE_URL).

python scripts/screenshot.py OUT.png USERNAME PASSWORD   (an officer or admin account)
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from geoapp import create_app

ROOT = Path(__file__).resolve().parent.parent


def main(out: Path = ROOT / "docs" / "screenshot.png", username: str = "", password: str = "") -> None:
    app = create_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
            page.goto(f"http://127.0.0.1:{server.server_port}/login")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            page.wait_for_function("() => window.geoapp && geoapp.stats.buildings && geoapp.stats.streets")
            page.wait_for_timeout(500)
            page.screenshot(path=str(out))
            browser.close()
    finally:
        server.shutdown()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
