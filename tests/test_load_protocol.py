"""``bench.load --protocol`` for real: protocol visitors (Streamlit's own WebSocket protocol, no browser)
against real ``streamlit run`` servers.

- the dashboard on the shipped sample: three visitors open the shared links of ``bench.load`` for a few
  seconds; every page settles, with no error, and each link ran the page its URL names (``st.navigation``
  resolved the ``page_name`` sent: the page's title is among the headings received);
- a tiny app of our own that raises on ``?boom=1`` and sleeps on ``?sleep=S``: a page showing an exception
  is counted as an error, and so is a page whose script has not finished within the timeout; its plain
  page settles, and the cookies of the page (nginx's route cookie) reach the WebSocket's handshake; a
  rerun runs the script again in the same session and is sent the large messages as references.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import urllib.parse
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from e2e.conftest import _free_port, _wait_healthy, start_server

from bench.load import LINKS, TITLES, page_name, protocol_run

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")

TINY_APP = """
import time

import streamlit as st

st.title("Tiny")
st.write("3 stories")
if st.query_params.get("boom"):
    raise RuntimeError("boom from the tiny app")
if st.query_params.get("sleep"):
    time.sleep(float(st.query_params["sleep"]))
st.write("done")
if st.query_params.get("big"):
    # a message above Streamlit's 10 kB cache threshold, and the runs of this session counted
    st.text("word " * 4000)
    st.session_state.runs = st.session_state.get("runs", 0) + 1
    st.header(f"run {st.session_state.runs}")
# the cookies of the WebSocket's handshake (nginx routes the socket by its caixin_route cookie)
st.header("route " + st.context.cookies.get("caixin_route", "none"))
"""


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: in the full suite this thread may already run an event loop
    (the shared Playwright of the end-to-end tests), where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def options(sessions: int, seconds: float, think: float, timeout: float) -> argparse.Namespace:
    return argparse.Namespace(sessions=sessions, seconds=seconds, think=think, ramp=0, timeout=timeout)


def test_protocol_sessions_settle_every_page_of_the_dashboard(tmp_path: Path) -> None:
    server, process = start_server(tmp_path, ROOT / "data" / "pages")
    try:
        # the first visit loads the collection (not what is checked)
        warm = run_apart(protocol_run(server.url, options(1, 0.1, 0, 180), ["/"]))
        assert warm["errors"] == [] and len(warm["timings"]) == 1
        results = run_apart(protocol_run(server.url, options(3, 8, 0.3, 60), LINKS))
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert results["errors"] == []
    assert len(results["timings"]) >= 9  # three visitors, a page about every second or two each
    assert len({page_name(action) for action, _, _ in results["timings"]}) >= 3
    for action, headings in results["headings"]:
        assert TITLES[page_name(action)] in headings, (action, headings)
    assert all(size > 1000 for _, size in results["received"])
    assert results["served_by"] == []  # no nginx in front: no replica header


@pytest.fixture(scope="module")
def tiny_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "tiny.py").write_text(TINY_APP)
    port = _free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(folder / "tiny.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with (folder / "streamlit.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=folder, env=os.environ, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_plain_page_of_the_tiny_app_settles(tiny_app: str) -> None:
    results = run_apart(protocol_run(tiny_app, options(2, 2, 0.2, 30), ["/"]))
    assert results["errors"] == []
    assert len(results["timings"]) >= 4
    assert all(headings == ["Tiny", "route none"] for _, headings in results["headings"])


def test_the_page_cookies_go_with_the_websocket(tiny_app: str) -> None:
    """As a browser's: the route cookie nginx set on the page reaches the WebSocket's handshake."""
    from yarl import URL

    from bench.load import ProtocolTab

    async def visit() -> list[str]:
        tab = ProtocolTab(tiny_app)
        try:
            tab.http.cookie_jar.update_cookies({"caixin_route": "r42"}, URL(tiny_app))
            return list((await tab.visit("/", 30))["headings"])
        finally:
            await tab.close()

    assert run_apart(visit()) == ["Tiny", "route r42"]


def test_a_page_that_raises_is_an_error(tiny_app: str) -> None:
    results = run_apart(protocol_run(tiny_app, options(2, 2, 0.2, 30), ["/?boom=1"]))
    assert results["timings"] == []
    assert len(results["errors"]) >= 4
    assert all(
        "exception shown" in error and "boom from the tiny app" in error for error in results["errors"]
    )


def test_a_page_not_finished_within_the_timeout_is_an_error(tiny_app: str) -> None:
    link = "/?" + urllib.parse.urlencode({"sleep": 6})
    results = run_apart(protocol_run(tiny_app, options(2, 1, 0, 1.5), [link]))
    assert results["timings"] == []
    assert len(results["errors"]) == 2  # one visit each: the first takes the whole second and more
    assert all("TimeoutError" in error for error in results["errors"])


def test_a_rerun_runs_again_in_the_same_session_with_the_message_cache(tiny_app: str) -> None:
    """``ProtocolTab.rerun``: the page's script again in its session (the run counter goes on), and the
    message the first run sent in full (20 kB of text) comes back as a reference to the browser's cache."""
    from bench.load import ProtocolTab

    async def visit_and_rerun() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        tab = ProtocolTab(tiny_app)
        try:
            first = await tab.visit("/?big=1", 30)
            again = await tab.rerun(30)
            other = ProtocolTab(tiny_app)  # a new visitor starts a session of its own
            try:
                fresh = await other.visit("/?big=1", 30)
            finally:
                await other.close()
            return first, again, fresh
        finally:
            await tab.close()

    first, again, fresh = run_apart(visit_and_rerun())
    assert "run 1" in first["headings"] and first["bytes"] > 20_000
    assert "run 2" in again["headings"] and again["bytes"] < 5_000
    assert "run 1" in fresh["headings"] and fresh["bytes"] > 20_000
