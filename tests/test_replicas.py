"""The hosted link served by several replicas, for real: ``compose.replicas.yaml`` under docker-compose (a
one-shot ingest into a shared cache volume, two dashboard replicas mounting it read-only, nginx in front
with a route cookie), driven through nginx by Chromium.

- the stack comes up healthy, the replicas read the cache read-only, in hosted mode;
- fresh browsers opening the one shared link land on both replicas (nginx's ``X-Caixin-Replica`` header
  names the replica that answered), every request of one browser on the same replica (sticky), and all
  see the same story count;
- a replica stopped during a run: its browser's Streamlit client reconnects through nginx to the other
  replica, which starts a new session from the page's URL, so the filtered view is back and answers.

Marker ``docker``; skips without a Docker engine, docker-compose or Chromium, fails instead with
``CAIXIN_REQUIRE_DOCKER=1`` (or ``CAIXIN_REQUIRE_BROWSER=1`` for Chromium). The compose project has a
name of its own and a free localhost port, and is removed with its volume (``down -v``) pass or fail.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from docker_helpers import (
    ROOT,
    base_image,
    build_image,
    docker,
    free_port,
    require_docker,
    run_tool,
    unavailable,
)

_spec = importlib.util.spec_from_file_location("e2e_browser", ROOT / "tests" / "e2e" / "conftest.py")
assert _spec and _spec.loader
_e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_e2e)

COMPOSE_FILE = ROOT / "compose.replicas.yaml"
DASHBOARD_IMAGE = "caixin-dashboard:replicas-test"  # tags of their own: other Docker tests build :test
NGINX_IMAGE = "caixin-nginx:replicas-test"
REPLICAS = 2
SHARED_VIEW = "/timeline?theme=huawei"  # 5 of the sample's 20 stories (tests/e2e/test_url_state.py)
VIEW_COUNT = 5
LOAD_SESSIONS = 40  # issue 11: 40 sessions through nginx on 2 replicas, 0 errors
MAX_BROWSERS = 12  # fresh browsers opened until both replicas have served one (all on one: 2 in 2,048)

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]


@dataclass
class Stack:
    project: str
    url: str
    env: dict[str, str]
    seconds_to_healthy: float = 0.0

    def compose(self, *args: str, timeout: float = 300, check: bool = True) -> Any:
        return run_tool(
            "docker-compose", "-p", self.project, "-f", str(COMPOSE_FILE), *args,
            timeout=timeout, check=check, env=self.env,
        )  # fmt: skip

    def containers(self, service: str) -> list[dict[str, Any]]:
        """``docker inspect`` of the service's containers, stopped ones included."""
        ids = docker(
            "ps", "-aq",
            "--filter", f"label=com.docker.compose.project={self.project}",
            "--filter", f"label=com.docker.compose.service={service}",
        ).stdout.split()  # fmt: skip
        return list(json.loads(docker("inspect", *ids).stdout)) if ids else []

    def replicas(self) -> dict[str, str]:
        """The dashboard replicas: ``address:8501`` (as nginx names them) -> container name."""
        found = {}
        for container in self.containers("dashboard"):
            for network in container["NetworkSettings"]["Networks"].values():
                found[f"{network['IPAddress']}:8501"] = container["Name"].lstrip("/")
        return found


def _health(container: dict[str, Any]) -> str:
    state = container["State"]
    return str(state.get("Health", {}).get("Status", "")) if state.get("Running") else "stopped"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    require_docker()
    if shutil.which("docker-compose") is None:
        unavailable("no docker-compose on PATH (apt-get install docker-compose)")
    build_image(DASHBOARD_IMAGE)
    build_image(NGINX_IMAGE, ROOT / "docker" / "nginx")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CAIXIN_")},
        "CAIXIN_DOCKER_BASE": base_image(),
        "CAIXIN_DASHBOARD_IMAGE": DASHBOARD_IMAGE,
        "CAIXIN_NGINX_IMAGE": NGINX_IMAGE,
        "CAIXIN_ADDRESS": "127.0.0.1",
        "CAIXIN_PORT": str(free_port()),
        "CAIXIN_REPLICAS": str(REPLICAS),
    }
    stack = Stack(f"caixinreplicas{os.getpid()}", f"http://127.0.0.1:{env['CAIXIN_PORT']}", env)
    started = time.monotonic()
    try:
        # up waits for the ingest to finish and the replicas to be healthy before it starts nginx
        stack.compose("up", "-d", "--no-build")
        status = ""
        while time.monotonic() - started < 180:
            (nginx,) = stack.containers("nginx")
            status = _health(nginx)
            if status in ("healthy", "stopped"):
                break
            time.sleep(0.5)
        stack.seconds_to_healthy = time.monotonic() - started
        assert status == "healthy", f"nginx {status} after {stack.seconds_to_healthy:.0f} s:\n" + _logs(stack)
        print(f"docker-compose up -> healthy: {stack.seconds_to_healthy:.1f} s")
        yield stack
    finally:
        down = stack.compose("down", "-v", "--remove-orphans", "--timeout", "5", timeout=120, check=False)
        assert down.returncode == 0, down.stdout + down.stderr


def _logs(stack: Stack, tail: int = 30) -> str:
    result = stack.compose("logs", "--no-color", "--tail", str(tail), timeout=60, check=False)
    return str(result.stdout + result.stderr)


@dataclass
class Visitor:
    """One fresh browser (a context of its own: its own cookies and cache) on the shared link, with the
    path and ``X-Caixin-Replica`` header of every response it got, in order, and its WebSockets."""

    tab: Any
    served_by: list[tuple[str, str]] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)

    def replicas(self, since: int = 0) -> set[str]:
        return {replica for _, replica in self.served_by[since:]}

    def probes(self, since: int = 0) -> list[str]:
        """Who answered the ``/_stcore/`` requests (health, host config: never from the browser's cache,
        unlike scripts, whose cached copies keep the header of the replica that first sent them)."""
        return [replica for path, replica in self.served_by[since:] if path.startswith("/_stcore/")]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = _e2e.chromium_path()
    if path is None:
        _e2e._unavailable("no Chromium installed (apt-get install chromium; or set CAIXIN_CHROMIUM)")
    import shared_browser  # the e2e suite's Chromium when it is open: one sync Playwright per thread

    instance, launched = shared_browser.chromium(str(path), _e2e.CHROMIUM_ARGS)
    yield instance
    if launched:
        shared_browser.close()


def _visit(browser: Any, stack: Stack, path: str) -> Visitor:
    tab = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    visitor = Visitor(tab)
    tab.on(
        "response",
        lambda response: visitor.served_by.append(
            (response.url.removeprefix(stack.url), response.headers.get("x-caixin-replica", "<none>"))
        ) if response.url.startswith(stack.url) else None,
    )  # fmt: skip
    tab.on("websocket", lambda socket: visitor.sockets.append(socket.url))
    tab.goto(stack.url + path, timeout=120_000)
    _e2e.settle(tab, timeout=120_000, accessible=False)
    return visitor


def _one_browser_per_replica(browser: Any, stack: Stack, path: str) -> dict[str, Visitor]:
    """Fresh browsers on ``path`` until each replica has served one: replica address -> its first browser."""
    first: dict[str, Visitor] = {}
    opened = []
    while len(first) < REPLICAS and len(opened) < MAX_BROWSERS:
        visitor = _visit(browser, stack, path)
        opened.append(visitor)
        assert len(visitor.replicas()) == 1, f"one browser, several replicas: {visitor.served_by}\n" + _logs(stack)
        first.setdefault(visitor.served_by[0][1], visitor)
    assert set(first) == set(stack.replicas()), (
        f"{len(opened)} fresh browsers, served by {sorted(first)}; replicas {sorted(stack.replicas())}"
    )
    for visitor in opened:
        if visitor not in first.values():
            visitor.tab.context.close()
    return first


def test_the_stack_comes_up_healthy(stack: Stack) -> None:
    (ingest,) = stack.containers("ingest")
    assert not ingest["State"]["Running"] and ingest["State"]["ExitCode"] == 0
    dashboards = stack.containers("dashboard")
    assert len(dashboards) == REPLICAS
    assert [_health(c) for c in dashboards] == ["healthy"] * REPLICAS
    for path, body in (("/nginx-health", b"ok"), ("/_stcore/health", b"ok")):
        with urllib.request.urlopen(stack.url + path, timeout=10) as response:
            assert response.status == 200 and response.read().strip() == body
            if path.startswith("/_stcore"):
                assert response.headers["X-Caixin-Replica"] in stack.replicas()
                cookies = response.headers.get_all("Set-Cookie") or []
                assert any(cookie.startswith("caixin_route=") for cookie in cookies), cookies
    replica = dashboards[0]["Id"]
    assert docker("exec", replica, "printenv", "CAIXIN_READONLY").stdout.strip() == "1"
    touch = docker("exec", replica, "touch", "/cache/written", check=False)
    assert touch.returncode != 0 and "Read-only file system" in touch.stderr
    files = docker("exec", replica, "find", "/cache", "-name", "*.parquet").stdout.split()
    assert files, "the ingest wrote no Parquet file into the shared cache volume"


def test_fresh_browsers_spread_over_both_replicas_and_see_the_same_counts(browser: Any, stack: Stack) -> None:
    visitors = _one_browser_per_replica(browser, stack, "/")
    for address, visitor in visitors.items():
        assert visitor.replicas() == {address}  # the page, its scripts, health probes: one replica
        assert any(url.endswith("/_stcore/stream") for url in visitor.sockets), visitor.sockets
        assert _e2e.shown_count(visitor.tab) == 20, address
        # the route cookie keeps the browser there: another page load goes to the same replica
        before = len(visitor.served_by)
        visitor.tab.goto(stack.url + SHARED_VIEW)
        _e2e.settle(visitor.tab, timeout=120_000, accessible=False)
        assert visitor.replicas(since=before) == {address}, _logs(stack)
        assert _e2e.shown_count(visitor.tab) == VIEW_COUNT
        visitor.tab.context.close()


def test_forty_sessions_through_nginx_settle_with_no_error_on_both_replicas(stack: Stack) -> None:
    """``bench.load``'s protocol visitors (Streamlit's own WebSocket protocol, no browser): 40 sessions at
    once on the shared link, each opening pages of the dashboard for a few seconds. Every page settles, with
    its title, and nginx spreads the sessions over both replicas, each session staying on one."""
    from bench.load import LINKS, TITLES, page_name, protocol_run

    options = argparse.Namespace(sessions=LOAD_SESSIONS, seconds=4, think=2, ramp=2, timeout=120)
    with ThreadPoolExecutor(1) as pool:  # a loop of its own: this thread may run the shared Playwright's
        results = pool.submit(asyncio.run, protocol_run(stack.url, options, LINKS)).result()
    assert results["errors"] == [], "\n".join(results["errors"][:5]) + "\n" + _logs(stack, tail=200)
    assert len(results["timings"]) >= LOAD_SESSIONS
    for action, headings in results["headings"]:
        assert TITLES[page_name(action)] in headings, (action, headings)
    by_session: dict[int, set[str]] = {}
    for number, replica in results["served_by"]:
        by_session.setdefault(number, set()).add(replica)
    assert len(by_session) == LOAD_SESSIONS
    assert all(len(replicas) == 1 for replicas in by_session.values()), f"{by_session}\n{_logs(stack)}"  # sticky
    assert set().union(*by_session.values()) == set(stack.replicas())
    print(f"{LOAD_SESSIONS} protocol sessions: {len(results['timings'])} page loads, 0 errors")


#: Streamlit's server (uvicorn) closes a connection idle this long; nginx must close its idle ones first
SERVER_KEEPALIVE = 5.0


def _served(stack: Stack, route: str) -> tuple[int, str]:
    request = urllib.request.Request(stack.url + "/_stcore/health", headers={"Cookie": f"caixin_route={route}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("X-Caixin-Replica", "<none>")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("X-Caixin-Replica", "<none>")


def _upstream_faults(stack: Stack) -> list[str]:
    """nginx's log lines of a replica failing a request or being disabled for it."""
    logs = stack.compose("logs", "--no-color", "nginx", timeout=60, check=False).stdout
    return [
        line for line in logs.splitlines()
        if "temporarily disabled" in line or "no live upstreams" in line
        or ("reset by peer" in line and "response header from upstream" in line)
    ]  # fmt: skip


def _offsets() -> list[float]:
    """How much longer than the keep-alive time each pause between bursts is: -60 ms to +60 ms in steps of
    10 ms, so that some pooled connection is reused just as uvicorn closes it."""
    return [step / 100 for step in range(-6, 7)]


def test_connections_idle_as_long_as_the_replicas_keep_them_stay_on_their_replica(stack: Stack) -> None:
    """Bursts of requests, each started about the replicas' keep-alive time after the one before, so that
    nginx reuses its pooled connections just as uvicorn closes them. Had nginx kept idle connections longer
    than uvicorn, such a request met "connection reset by peer", the replica was disabled for fail_timeout,
    its browsers were sent to the other one and, both disabled, got 502: every answer here is 200, from
    the route's one replica, and nginx logs no reset."""
    routes = [f"idle{number}" for number in range(16)]  # all on one replica: 2 in 65,536
    served: dict[str, set[str]] = {}
    statuses: list[int] = []
    faults_before = _upstream_faults(stack)
    with ThreadPoolExecutor(48) as pool:
        for offset in _offsets():
            asked = [routes[number % len(routes)] for number in range(144)]
            for route, (status, replica) in zip(asked, pool.map(lambda r: _served(stack, r), asked), strict=True):
                statuses.append(status)
                served.setdefault(route, set()).add(replica)
            time.sleep(SERVER_KEEPALIVE + offset)  # the pool's connections were last used in the burst
    faults = _upstream_faults(stack)[len(faults_before) :]
    assert not faults, "\n".join(faults[:10])
    assert set(statuses) == {200}, sorted(set(statuses))
    assert all(len(replicas) == 1 for replicas in served.values()), served
    assert set().union(*served.values()) == set(stack.replicas()), served


def test_a_stopped_replicas_sessions_reconnect_to_the_other_with_the_view_restored(
    browser: Any, stack: Stack
) -> None:
    visitors = _one_browser_per_replica(browser, stack, SHARED_VIEW)
    replicas = stack.replicas()
    stopped, survivor = sorted(visitors)
    moved = visitors[stopped]
    before, sockets_before = len(moved.served_by), len(moved.sockets)
    started = time.monotonic()
    docker("stop", "--time", "2", replicas[stopped])
    # the Streamlit client sees its WebSocket close, probes the server and opens a new one: through nginx,
    # on the surviving replica (a session it has never seen: the view comes from the page's URL)
    deadline = time.monotonic() + 60
    while len(moved.sockets) == sockets_before and time.monotonic() < deadline:
        moved.tab.wait_for_timeout(250)  # lets Playwright deliver the page's events
    assert len(moved.sockets) > sockets_before, "the browser did not reconnect within 60 s\n" + _logs(stack)
    _e2e.settle(moved.tab, timeout=60_000, accessible=False)
    print(f"replica stopped -> browser reconnected: {time.monotonic() - started:.1f} s")
    # the new session answers, with the filters of the URL: another page keeps the theme
    sidebar = moved.tab.get_by_test_id("stSidebar")
    on_reader = """() => document.querySelector('[data-testid="stMain"] h1')?.innerText.trim() === 'Reader'"""
    for attempt in range(3):  # a click that lands while the new session's first run is busy can be dropped
        sidebar.get_by_role("link", name="Reader", exact=True).first.click()
        try:
            moved.tab.wait_for_function(on_reader, timeout=20_000)
            break
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: click again, at most three times
            if attempt == 2:
                raise
    _e2e.settle(moved.tab, timeout=60_000, accessible=False)
    assert _e2e.shown_count(moved.tab) == VIEW_COUNT
    assert "theme=huawei" in moved.tab.url
    # each probe answered by the survivor; nginx may have tried the stopped one first ("stopped, survivor")
    after = moved.probes(since=before)
    assert after and all(hops.split(", ")[-1] == survivor for hops in after), moved.served_by[before:]
    assert not moved.tab.locator('[data-testid="stException"]').count()
    # the browser that was on the surviving replica goes on as before
    kept = visitors[survivor]
    kept_before = len(kept.served_by)
    kept.tab.reload()
    _e2e.settle(kept.tab, timeout=60_000, accessible=False)
    assert kept.replicas(since=kept_before) == {survivor}
    assert _e2e.shown_count(kept.tab) == VIEW_COUNT
    (running,) = [c for c in stack.containers("dashboard") if c["State"]["Running"]]
    assert running["Name"].lstrip("/") == replicas[survivor]
