"""The live demo in a real browser: headless Debian Chromium driven by Playwright, against a real server.

The server is started as ``talentflow viz`` starts it (simulation.viz.server) on a
free 127.0.0.1 port; the page is clicked as a presenter would. Set
TALENTFLOW_DEMO_SCREENSHOT=docs/img/demo.png to also write the README's screenshot.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulation.viz.server import free_port, server_command, server_environment, started

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STATUS = ".talentflow-status"
SERVER_START_SECONDS = 90
BASELINE = Path(__file__).resolve().parent.parent / "configs" / "baseline.toml"
#: Years of the scenario the server opens with (given as CONFIG, as ``talentflow viz CONFIG`` does).
OPENING_YEARS = 12

# Outside CI a machine without the browser skips these tests; in CI (CI=true) a missing browser is a failure.
_MISSING = None
try:
    from playwright import sync_api as playwright_api
except ImportError:
    _MISSING = "playwright is not installed: pip install -e '.[viz]'"
if _MISSING is None and not CHROMIUM.exists():
    _MISSING = f"Debian's chromium is not at {CHROMIUM}: apt-get install chromium"
if _MISSING is not None:
    if os.environ.get("CI"):
        pytest.fail(_MISSING, pytrace=False)
    pytest.skip(_MISSING, allow_module_level=True)


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo server on a free 127.0.0.1 port, stopped after the module's tests."""
    port = free_port()
    folder = tmp_path_factory.mktemp("viz")
    opening = folder / "opening.toml"
    opening.write_text(f'extends = "{BASELINE.as_posix()}"\nname = "opening"\n[simulation]\nyears = {OPENING_YEARS}\n')
    yield from serving(server_command("127.0.0.1", port), server_environment(opening), folder,
                       cwd=tmp_path_factory.getbasetemp(), url=f"http://127.0.0.1:{port}/")


def serving(command: list[str], env: dict[str, str], folder: Path, *, cwd: Path, url: str) -> Iterator[str]:
    """Start a server with ``command``, yield ``url`` once it answers 200, stop it afterwards (log in ``folder``)."""
    with started(command, env, folder / "server.log", cwd=cwd, url=url, timeout=SERVER_START_SECONDS):
        yield url


@pytest.fixture()
def requested() -> list[str]:
    """Every URL the page asks for."""
    return []


@pytest.fixture()
def page(server_url: str, requested: list[str]):
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1150})
        page.on("request", lambda request: requested.append(request.url))
        page.goto(server_url)
        page.wait_for_selector(STATUS, timeout=60_000)
        yield page
        browser.close()


def status(page) -> str:
    return page.inner_text(STATUS)


def step_of(page) -> int:
    """The step number the page shows ("... step 3 of 30 ...")."""
    text = status(page)
    return int(text.split("step ", 1)[1].split(" ", 1)[0])


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def settled(page, seconds: float = 2.0) -> bool:
    """Whether the step counter stays the same for ``seconds``."""
    before = step_of(page)
    time.sleep(seconds)
    return step_of(page) == before


def chart_image(page, name: str) -> bytes:
    """A picture of one chart's card as the browser shows it."""
    return page.locator(f".talentflow-chart-{name}").screenshot()


def test_the_page_loads_everything_from_the_demo_server_alone(page, server_url: str, requested: list[str]) -> None:
    page.get_by_role("button", name="Step").click()
    assert wait_until(lambda: step_of(page) == 1), status(page)
    assert len(requested) > 5
    assert [url for url in requested if not url.startswith((server_url, "data:", "blob:"))] == []


def test_step_play_pause_slider_and_reset_drive_the_page(page, tmp_path: Path) -> None:
    assert step_of(page) == 0
    assert f"step 0 of {OPENING_YEARS}" in status(page)  # the server's CONFIG is the opening scenario
    assert "2500 agents" in status(page) and "agents engine" in status(page)
    charts_before = {name: chart_image(page, name) for name in ("top-talent", "stages", "agents")}

    page.get_by_role("button", name="Step").click()
    assert wait_until(lambda: step_of(page) == 1), status(page)
    for name, before in charts_before.items():
        assert wait_until(lambda name=name, before=before: chart_image(page, name) != before), name

    page.get_by_role("button", name="▶").click()
    assert wait_until(lambda: step_of(page) >= 3), status(page)
    page.get_by_role("button", name="❚❚").click()
    paused_at = step_of(page)
    # A step under way when Pause is pressed still lands and is drawn (charts take a moment on a busy machine).
    assert wait_until(lambda: page.get_by_role("button", name="▶").count() == 1)
    assert wait_until(lambda: settled(page), timeout=30), status(page)
    stopped_at = step_of(page)
    assert paused_at <= stopped_at < OPENING_YEARS  # Pause stopped it, not the end of the run
    time.sleep(2.0)
    assert step_of(page) == stopped_at

    slider = page.locator('[role="slider"][aria-label="Population (agents)"]')
    slider.focus()
    for _ in range(5):
        slider.press("ArrowRight")
    pending = page.locator(".talentflow-pending")
    assert wait_until(lambda: pending.count() == 1 and "2,500 → 3,000" in pending.inner_text())

    page.get_by_role("button", name="Reset").click()
    assert wait_until(lambda: step_of(page) == 0 and "3000 agents" in status(page)), status(page)
    assert wait_until(lambda: pending.count() == 0), pending.all_inner_texts()

    page.get_by_role("button", name="Step").click()
    assert wait_until(lambda: step_of(page) == 1), status(page)
    page.screenshot(path=str(tmp_path / "demo.png"), full_page=True)
    assert (tmp_path / "demo.png").stat().st_size > 10_000
    if os.environ.get("TALENTFLOW_DEMO_SCREENSHOT"):
        target = Path(os.environ["TALENTFLOW_DEMO_SCREENSHOT"])
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_path / "demo.png", target)


def test_bad_seed_shows_a_message_on_the_page_not_a_traceback(page) -> None:
    seed = page.locator(".talentflow-seed input")
    seed.fill("abc")
    seed.press("Enter")
    assert wait_until(lambda: "Value must be an integer" in page.inner_text(".talentflow-seed"))
    seed.fill("-7")
    seed.press("Enter")
    page.get_by_role("button", name="Reset").click()
    error = page.locator(".talentflow-input-error")
    assert wait_until(lambda: error.count() == 1), status(page)
    assert "seed: -7 is out of range" in error.inner_text()
    assert "Traceback" not in page.inner_text("body")
    assert "seed 42" in status(page)  # the run goes on with the default seed


def test_the_scenario_picker_switches_scenario_on_reset_and_dots_have_tooltips(page) -> None:
    assert "scenario " in status(page) and "opening" in status(page)
    page.locator(".v-select", has_text="Scenario").click()
    page.get_by_role("option", name="baseline", exact=True).click()
    assert "opening" in status(page)  # nothing changes before Reset
    page.get_by_role("button", name="Reset").click()
    assert wait_until(lambda: "scenario baseline" in status(page)), status(page)
    assert f"of {OPENING_YEARS} " not in status(page)
    tips = page.locator(".talentflow-chart-agents circle title")
    assert tips.count() > 500  # up to 1,000 dots are drawn
    first = tips.first.text_content()
    assert first.startswith("#") and " in " in first and "talent " in first
