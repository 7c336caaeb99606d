"""Write docs/img/demo.png, the README's picture of the live demo (``talentflow viz``).

Starts the demo server on a free 127.0.0.1 port, switches salary matching and
the 52-hour exemption on, runs fifteen years and takes a screenshot in headless
Debian Chromium (``apt-get install chromium``; Playwright from the viz extra).

    .venv/bin/python docs/gen_screenshot.py [OUT.png]
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from simulation.viz.server import server_command, server_environment

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
OUT = Path(__file__).resolve().parent / "img" / "demo.png"
YEARS = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gen_screenshot: the demo server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"gen_screenshot: the demo server did not answer within {seconds:.0f} s")


def step_of(page) -> int:
    return int(page.inner_text(".talentflow-status").split("step ", 1)[1].split(" ", 1)[0])


def main(out: Path = OUT) -> None:
    port = free_port()
    process = subprocess.Popen(server_command("127.0.0.1", port), env=server_environment(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url, process)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1250})
            page.goto(url)
            page.wait_for_selector(".talentflow-status", timeout=60_000)
            page.get_by_text("Salary matching", exact=True).click()
            page.get_by_text("52-hour exemption", exact=True).click()
            page.get_by_role("button", name="Reset").click()
            page.wait_for_function(
                "() => document.querySelector('.talentflow-status').innerText.includes('levers: salary')")
            while step_of(page) < YEARS:
                before = step_of(page)
                page.get_by_role("button", name="Step").click()
                deadline = time.monotonic() + 30
                while step_of(page) == before and time.monotonic() < deadline:
                    time.sleep(0.1)
            time.sleep(2.0)  # let the last charts arrive
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=False)
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=15)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
