"""TalentModel in Mesa's own SolaraViz (simulation/viz/mesa_page.py), in a real browser: Step, Play and Reset.

Headless Debian Chromium driven by Playwright against ``solara run`` on a free 127.0.0.1 port. Reset must
rebuild the model on the scenario and random numbers it was built with, and take the slider's new value.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_viz_browser import CHROMIUM, CHROMIUM_ARGS, free_port, serving, wait_until

from simulation.viz import mesa_page

playwright_api = pytest.importorskip("playwright.sync_api")
SALARY_MATCH = Path(__file__).resolve().parent.parent / "configs" / "salary_match.toml"
READOUT = re.compile(r"year (\d+): researchers in Korea ([\d,.]+), top-decile ([\d,.]+), spending ([\d,.]+)")


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    folder = tmp_path_factory.mktemp("mesa_page")
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false", mesa_page.RESEARCHERS_ENV: "500",
           mesa_page.SEED_ENV: "7", mesa_page.CONFIG_ENV: str(SALARY_MATCH)}
    command = [sys.executable, "-m", "solara", "run", mesa_page.__file__, "--host", "127.0.0.1", "--port", str(port),
               "--production", "--no-open", "--log-level", "warning"]
    yield from serving(command, env, folder, cwd=folder, url=f"http://127.0.0.1:{port}/")


@pytest.fixture()
def page(server_url: str):
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server_url)
        page.wait_for_selector("text=researchers in Korea", timeout=60_000)
        yield page
        browser.close()


def readout(page) -> tuple[int, str]:
    """The year and the counts the page shows."""
    found = READOUT.search(page.inner_text("body"))
    assert found, page.inner_text("body")[:2000]
    return int(found.group(1)), found.group(0)


def test_mesa_solaraviz_steps_plays_and_resets_on_the_same_scenario_and_seed(page) -> None:
    start, opening = readout(page)
    page.get_by_role("button", name="Step").click()
    assert wait_until(lambda: readout(page)[0] == start + 1)
    _, first_year = readout(page)
    page.get_by_role("button", name="▶").click()
    assert wait_until(lambda: readout(page)[0] >= start + 3, timeout=60)
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="Reset").click()
    assert wait_until(lambda: readout(page) == (start, opening))
    page.get_by_role("button", name="Step").click()
    assert wait_until(lambda: readout(page)[0] == start + 1)
    assert readout(page)[1] == first_year  # the same scenario on the same random numbers

    # the matched-share slider takes effect on Reset: same seed, salary matching switched on
    slider = page.locator('[role="slider"]').last  # after Mesa's play and render intervals
    slider.focus()
    for _ in range(5):
        slider.press("ArrowRight")
    assert wait_until(lambda: slider.get_attribute("aria-valuenow") == "0.5"), slider.get_attribute("aria-valuenow")
    page.get_by_role("button", name="Reset").click()
    assert wait_until(lambda: readout(page)[0] == start)
    for year in range(1, 4):
        page.get_by_role("button", name="Step").click()
        assert wait_until(lambda y=year: readout(page)[0] == start + y)
    spending = float(READOUT.search(page.inner_text("body")).group(4).replace(",", ""))
    assert spending > 0, page.inner_text("body")[:3000]
