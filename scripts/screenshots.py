"""Screenshots of the real pages for the README: seeds a throwaway demo database, serves it,
logs in as each role in Chromium and saves PNGs to docs/screenshots/.

Run with `make screenshots`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django_otp.oath import totp
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
DEMO_PASSWORD = "alliance-demo-2026"  # noqa: S105 - the printed demo password
TOTP_HEX = "3132333435363738393031323334353637383930"
DOMAIN = "demo.alliance.test"

# (file name, who, steps): after logging in as `who`, visit a path, then click links by name.
SHOTS: list[tuple[str, str | None, list[str]]] = [
    ("landing", None, ["/"]),
    ("client-home", "client", ["/home/"]),
    ("client-progress-together", "client", ["/home/", "Our work together", "Progress together"]),
    ("client-messages", "client", ["/home/", "Our work together", "Messages and calls"]),
    ("client-booking", "client", ["/home/", "Our work together", "Book a session"]),
    (
        "client-checkin",
        "client",
        ["/home/", "Our work together", "Check in about our last session"],
    ),
    ("therapist-caseload", "therapist", ["/home/"]),
    ("therapist-card", "therapist", ["/home/", "Needs attention"]),
    ("therapist-on-call", "on-call", ["/checkins/on-call/"]),
    ("admin-practice", "admin", ["/home/"]),
]
LOGIN = {"client": "client", "therapist": "therapist", "on-call": "therapist001", "admin": "admin"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log_in(page: Page, base: str, who: str) -> None:
    page.goto(f"{base}/account/log-in/")
    page.get_by_label("E-mail address").fill(f"{who}@{DOMAIN}")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if "two-factor" in page.url:
        page.get_by_label("Code from your authenticator app").fill(
            f"{totp(bytes.fromhex(TOTP_HEX)):06d}"
        )
        page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state("networkidle")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    var = tempfile.mkdtemp(prefix="alliance-shots-")
    env = {**os.environ, "DEBUG": "1", "ALLIANCE_VAR_DIR": var}
    env.pop("DATABASE_URL", None)
    alliance = [sys.executable, "-m", "alliance.cli"]
    subprocess.run([*alliance, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*alliance, "seed-demo", "--scale", "0.2"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    server = subprocess.Popen(
        [*alliance, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            contexts: dict[str | None, Page] = {}
            for name, who, steps in SHOTS:
                if who not in contexts:
                    page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
                    if who:
                        log_in(page, base, LOGIN[who])
                    contexts[who] = page
                page = contexts[who]
                for step in steps:
                    if step.startswith("/"):
                        page.goto(base + step)
                    else:
                        page.get_by_role("link", name=step).first.click()
                    page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
                print(f"docs/screenshots/{name}.png")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
