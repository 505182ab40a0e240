"""The explorer in a real browser: Voilà serves notebooks/05-explore.ipynb, headless Chromium moves the R slider.

The page's stable states (the widget with CSS class ``gamekit-stable-states``) must first show what
``gk.equilibria`` says of the trap, then, after R is typed into the slider's readout and Enter pressed, what it
says of the trap with R = 4 (past the meta-goal's threshold R = Cg + S = 3).  The kernel behind the page gets the
test run's cache folder (conftest), so it reuses the integrator the other tests compiled.

Needs voila, playwright (Python) and Chromium at /usr/bin/chromium (Debian's ``chromium`` package; .ci/run installs
it); skipped with the reason otherwise.  Marked slow and browser: ``-m "not slow"`` leaves it out.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import gamekit as gk

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "05-explore.ipynb"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START = 60.0  # seconds for Voilà to listen
FIRST_RENDER = 240.0  # seconds for the notebook to run and the page to show the explorer (a compile on a new cache)
REDRAW = 60.0  # seconds for the page to show the stable states after the slider moved


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def expected_lines(game) -> list[str]:
    """The stable states as the explorer lists them, from an independent gk.equilibria call."""
    return sorted(
        (f"({', '.join(e.profile)})" if e.profile else e.describe_state()) + (f" [{e.name}]" if e.name else "")
        for e in gk.equilibria(game).stable()
    )


def wait_for_lines(page, want: list[str], timeout: float) -> list[str]:
    """Poll the page's stable-state items until they are ``want`` (sorted); the last seen on timeout."""
    items = page.locator(".gamekit-stable-states li")
    end = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < end:
        seen = sorted(t.strip() for t in items.all_inner_texts())
        if seen == want:
            return seen
        page.wait_for_timeout(250)
    return seen


@pytest.fixture
def voila(tmp_path):
    """The URL of a Voilà server rendering notebook 05 on a free localhost port; stopped (its whole process group,
    the kernel with it) however the test ends."""
    pytest.importorskip("voila")
    pytest.importorskip("playwright.sync_api")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if not NOTEBOOK.exists():
        pytest.fail(f"{NOTEBOOK} is missing")
    port = free_port()
    log = tmp_path / "voila.log"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
           "--show_tracebacks=True"]  # fmt: skip
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        end = time.monotonic() + SERVER_START
        while True:
            if proc.poll() is not None:
                pytest.fail(f"Voilà exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > end:
                    pytest.fail(
                        f"Voilà did not listen on port {port} within {SERVER_START:g} s: {log.read_text()[-2000:]}"
                    )
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/", log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)


def test_moving_the_R_slider_in_chromium_changes_the_stable_states(voila):
    from playwright import sync_api  # (the fixture skipped the test without it)

    url, log = voila
    trap = gk.models.platform_insurance().scenario("trap")
    before, after = expected_lines(trap), expected_lines(trap.with_parameters(R=4.0))
    meta = expected_lines(gk.models.platform_insurance().scenario("meta-goal"))
    assert before == ["(regulate, evade, accept) [trap]"]
    assert after == ["(regulate, evade, accept) [trap]", "(regulate, insure, claim) [meta-goal]"]
    assert meta == ["(regulate, insure, claim) [meta-goal]"]

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url, timeout=FIRST_RENDER * 1000, wait_until="commit")
            # the notebook's last cell prints the explorer, back in the trap: from then on nothing but the page moves it
            page.get_by_text("Explorer('Platform social insurance'; scenario trap").wait_for(
                timeout=FIRST_RENDER * 1000
            )
            page.locator(".gamekit-stable-states li").first.wait_for(timeout=REDRAW * 1000)
            seen = wait_for_lines(page, before, REDRAW)
            assert seen == before, f"the page shows {seen} before the move; voila log: {log.read_text()[-1500:]}"
            readout = page.locator(".gamekit-parameter-R .widget-readout")
            assert readout.inner_text().strip() == "2"

            readout.click()  # the editable readout of the R slider: type a value, press Enter
            page.keyboard.press("Control+A")
            page.keyboard.type("4")
            page.keyboard.press("Enter")

            seen = wait_for_lines(page, after, REDRAW)
            assert seen == after, f"the page shows {seen} after R = 4; voila log: {log.read_text()[-1500:]}"
            assert readout.inner_text().strip() == "4"
            menu = page.locator(".gamekit-scenario select")
            assert menu.input_value() == "(custom)"
            assert "redrawn in" in page.locator(".gamekit-status").inner_text()

            menu.select_option("meta-goal")  # the scenario menu sets every slider
            seen = wait_for_lines(page, meta, REDRAW)
            assert seen == meta, (
                f"the page shows {seen} in the meta-goal scenario; voila log: {log.read_text()[-1500:]}"
            )
            assert readout.inner_text().strip() == "6"
        finally:
            browser.close()
