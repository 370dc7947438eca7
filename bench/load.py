"""Load: many concurrent sessions (browsers, or protocol clients) on a dashboard with the synthetic corpus.

    python -m bench.load --stories 100000 --sessions 20 --seconds 90
    python -m bench.load --stories 100000 --sessions 40 --url http://127.0.0.1:8080 --replicas 2

Starts ``streamlit run dashboard/app.py`` in hosted mode on a free localhost port with the corpus, loads it
once (one warm-up visit), then opens ``--sessions`` Playwright browser contexts in one Debian Chromium.
Each context first opens the dashboard once, a few at a time (a visitor who has been there before: the
browser holds Streamlit's scripts; these first visits are timed apart; ``--cold`` skips them). Then all
sessions run at once for ``--seconds``: each opens shared links (filters, queries, every page) and stories
in the reader, or with ``--in-app`` clicks inside the app (another page, the next story), and pauses
``--think`` seconds on average after each settled page (uniform between half and 1.5 times).

Reports errors (a page not settled within ``--timeout`` s, an exception box, a JavaScript error; target
0), p50 and p95 time from navigation (or click) to a settled page, the server's memory before and after
(the corpus must be held once, not once per session) and where the CPU went: the server, the browser, the
load driver, anything else on the machine. Only 127.0.0.1 is contacted. Writes bench/out/load.json
(``--out``).

With ``--url`` it starts no server and drives one already running there instead, e.g. the replicas behind
nginx of ``compose.replicas.yaml`` serving the same corpus (``CAIXIN_PAGES=bench/corpus/stories-N``). The
corpus is still read here, for the story ids the sessions open. The warm-up then opens fresh browsers until
``--replicas`` different replicas have answered (nginx's ``X-Caixin-Replica`` header), so every replica has
loaded the collection before the run, and the report counts which replica served the page loads. The
server's memory and CPU are left out in that mode (its processes are not children of this one; their CPU
is counted in ``other_cpu_s``), unless ``--pid`` names the one server process behind ``--url`` (a server
started by hand from another checkout, say, to compare two trees in turn).

With ``--protocol`` the sessions run no browser: each is a Streamlit client speaking Streamlit's own
protocol (``ProtocolTab``, with aiohttp): for every link the HTTP requests of a returning browser (the
page, through nginx keeping its ``caixin_route`` cookie; ``/_stcore/health``, ``/_stcore/host-config``),
then a WebSocket on ``/_stcore/stream`` with the same cookies and a ``rerun_script`` BackMsg carrying the
``ClientState`` the frontend sends for that URL (query string, the URL path as ``page_name``). A page has
settled when the ``script_finished`` ForwardMsg reports success and no ``exception`` element came before
it; an exception, a failed script or ``--timeout`` is an error. The same links, pace, ramp and report;
``--in-app`` and the warm-up first visits apply to browser sessions only. This measures the server (or
the replicas) as browsers use it, with a load driver that costs a few CPU seconds instead of Chromium's
one to two CPU seconds a page, and leaves out the browser's own work: drawing the page, which the e2e
tests and the browser runs still cover. ``--browsers K`` runs K of the ``--sessions`` in Chromium as
before (reported as kind ``link``; protocol visits as kind ``protocol``), so a few real renders are still
checked under the load.

    python -m bench.load --stories 100000 --sessions 40 --seconds 100 --protocol \
        --url http://127.0.0.1:18432 --replicas 2
    python -m bench.load --stories 100000 --sessions 40 --browsers 2 --protocol --seconds 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# tests/e2e is a package: as e2e.conftest it is the same module under pytest (where "conftest" is tests/'s)
sys.path.insert(0, str(ROOT / "tests"))

from e2e.conftest import CHROMIUM_ARGS, start_server  # noqa: E402

# settled: the script has finished, the header is there and nothing is still loading (as tests/e2e)
SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const main = document.querySelector('[data-testid="stMain"]');
    return app && app.getAttribute('data-test-script-state') !== 'running'
        && main && /\\d[\\d,]* stor(?:y|ies)/.test(main.innerText)
        && !document.querySelector('[data-testid="stStatusWidget"]')
        && !document.querySelector('[data-testid="stSkeleton"]');
}"""

LINKS = [
    "/",
    "/?theme=huawei",
    "/?q=%22trade%20war%22",
    "/timeline?theme=trade-war",
    "/timeline?q=tariff*&from=2018-01-01&to=2019-12-31",
    "/reporters",
    "/reporters?kind=agency",
    "/themes?theme=energy",
    "/reader?theme=huawei",
    "/reader?q=huawei%20AND%205g%20NOT%20canada",
    "/reader?section=Finance&from=2020-01-01",
    "/data",
]
THINK_SECONDS = 5.0  # a person reads a page for a few seconds before the next click
RAMP_SECONDS = 0.0  # every session starts at once
IN_APP_SHARE = 0.0  # every move opens a shared link (a page load and a new session)
WARM_AT_ONCE = 2  # first visits of the warm-up made at the same time


CLOCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (from /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren, ...)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(stat[1])
            except OSError:
                continue
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [p for p, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def client_processes(own_pid: int, server_pid: int | None) -> Iterator[tuple[int, bool]]:
    """This process and its descendants other than the server's family: (pid, is it Chromium?)."""
    server_family = {server_pid, *descendants(server_pid)} if server_pid else set()
    for pid in [own_pid, *descendants(own_pid)]:
        if pid in server_family:
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        yield pid, b"chrom" in command


def browser_cpu(own_pid: int, server_pid: int | None) -> float:
    """CPU seconds of the Chromium processes started by this process (not the server)."""
    return sum(cpu_seconds(pid) for pid, chromium in client_processes(own_pid, server_pid) if chromium)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def machine_busy_seconds() -> float:
    """CPU seconds all cores of the machine spent busy since boot (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLOCK


class CpuMeter:
    """CPU seconds during the run of: the server, the browser (Chromium processes), the load driver
    (this Python process and Playwright's driver), and everything else on the machine. Sampled every
    second, so a renderer that exits between samples loses at most its last second. Without a server process
    (``--url``) the server's CPU is counted in "other"."""

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid
        self.own_pid = os.getpid()
        self.server_start = cpu_seconds(server_pid) if server_pid else 0.0
        self.machine_start = machine_busy_seconds()
        self.start: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.browser_pids: set[int] = set()
        self.sample()
        self.start = dict(self.last)

    def sample(self) -> None:
        for pid, chromium in client_processes(self.own_pid, self.server_pid):
            if chromium:
                self.browser_pids.add(pid)
            self.last[pid] = cpu_seconds(pid) or self.last.get(pid, 0.0)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            try:
                await asyncio.wait_for(stop.wait(), timeout=1)
            except TimeoutError:
                pass

    def figures(self) -> dict[str, float]:
        self.sample()
        spent = {pid: value - self.start.get(pid, 0.0) for pid, value in self.last.items()}
        server = cpu_seconds(self.server_pid) - self.server_start if self.server_pid else 0.0
        browser = sum(v for pid, v in spent.items() if pid in self.browser_pids)
        driver = sum(v for pid, v in spent.items() if pid not in self.browser_pids)
        machine = machine_busy_seconds() - self.machine_start
        return {
            "server_cpu_s": round(server, 1),
            "browser_cpu_s": round(browser, 1),
            "driver_cpu_s": round(driver, 1),
            "other_cpu_s": round(max(0.0, machine - server - browser - driver), 1),
            "machine_cpu_s": round(machine, 1),
        }


# page titles (the h1 of each page), to know that an in-app move has shown the page it asked for
TITLES = {
    "overview": "Caixin Global archive",
    "timeline": "Timeline",
    "reporters": "Reporters",
    "themes": "Themes",
    "reader": "Reader",
    "data": "Data",
}
NAV_LABELS = {"overview": "Overview", **{k: v for k, v in TITLES.items() if k != "overview"}}
# settled, on the page titled ``arg.title`` and, when ``arg.before`` is given, no longer showing that text
MOVED = (
    """(arg) => {
    const h1 = document.querySelector('[data-testid="stMain"] h1');
    const caption = document.querySelector('[data-testid="stMain"]').innerText;
    return h1 && h1.innerText.trim() === arg.title && (!arg.before || !caption.includes(arg.before))
        && ("""
    + SETTLED
    + """)();
}"""
)


def page_name(link: str) -> str:
    return urllib.parse.urlparse(link).path.strip("/") or "overview"


async def open_link(page: Any, base: str, link: str, timeout_ms: float) -> str:
    """Open a shared link as a new visit of the app (a full page load and a new Streamlit session).
    Returns the replica that served it (nginx's ``X-Caixin-Replica`` header; "" without one)."""
    response = await page.goto(base + link, wait_until="domcontentloaded", timeout=timeout_ms)
    await page.wait_for_function(SETTLED, timeout=timeout_ms)
    return str(response.headers.get("x-caixin-replica", "")) if response else ""


async def move_in_app(page: Any, rng: random.Random, current: str, timeout_ms: float) -> str:
    """One click inside the app already open (same Streamlit session, no page load): the next story
    when a story is open in the reader, else another page from the sidebar. Returns what was done."""
    older = page.get_by_role("button", name="Older →")
    if current == "reader" and await older.count() and await older.is_enabled():
        caption = page.locator('[data-testid="stMain"]').get_by_text(re.compile(r"^Story [\d,]+ of"))
        before = (await caption.first.inner_text()).strip() if await caption.count() else ""
        await older.click()
        arg = {"title": TITLES["reader"], "before": before}
        await page.wait_for_function(MOVED, arg=arg, timeout=timeout_ms)
        return "reader:older"
    target = rng.choice([name for name in TITLES if name != current])
    sidebar = page.get_by_test_id("stSidebar")
    await sidebar.get_by_role("link", name=NAV_LABELS[target], exact=True).first.click()
    await page.wait_for_function(MOVED, arg={"title": TITLES[target], "before": ""}, timeout=timeout_ms)
    return f"{target}:nav"


async def new_tab(browser: Any) -> Any:
    """A browser context of its own (its own cache and cookies, as another visitor) and a tab in it."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    return await context.new_page()


async def session(
    page: Any,
    base: str,
    number: int,
    options: argparse.Namespace,
    results: dict[str, list[Any]],
    article_ids: list[str],
) -> None:
    """One visitor, starting ``number * ramp / sessions`` seconds into the run, until the deadline: opens a
    shared link, or (with probability ``in_app`` once a page is open) clicks inside the app, and thinks
    ``think`` seconds on average (uniform between half and one and a half times) after each settled
    page. Without a warm-up visit (``--cold``) its first link is a first visit with an empty cache."""
    rng = random.Random(number)
    await asyncio.sleep(number * options.ramp / max(1, options.sessions))
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    deadline = time.monotonic() + options.seconds
    timeout_ms = options.timeout * 1000
    current = ""  # the page shown, "" before the first visit or after a failure
    first = options.cold
    while time.monotonic() < deadline:
        started = time.perf_counter()
        kind = "first visit" if first else "link"
        action = "?"
        try:
            if current and rng.random() < options.in_app:
                kind, action = "in-app", f"{current}: click"
                action = await move_in_app(page, rng, current, timeout_ms)
                current = action.split(":")[0]
            else:
                if article_ids and rng.random() < 0.3:
                    action = f"/reader?article={urllib.parse.quote(rng.choice(article_ids))}"
                else:
                    action = rng.choice(LINKS)
                replica = await open_link(page, base, action, timeout_ms)
                if replica:
                    results["served_by"].append((number, replica))
                current = page_name(action)
            results["timings"].append((action, kind, time.perf_counter() - started))
            if await page.locator('[data-testid="stException"]').count():
                results["errors"].append(f"exception shown on {action}")
        except Exception as error:  # noqa: BLE001 - every failure is counted, the run goes on
            elapsed = time.perf_counter() - started
            results["errors"].append(
                f"{kind} {action} after {elapsed:.0f} s: {type(error).__name__}: {str(error)[:100]}"
            )
            current = ""
        first = False
        if page_errors:
            results["errors"].extend(f"{current}: page error {e[:120]}" for e in page_errors)
            page_errors.clear()
        if options.think:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * options.think)
    await page.context.close()


class VisitError(Exception):
    """A page that did not settle in protocol mode: an exception element, a failed script, a closed socket."""


class ProtocolTab:
    """One visitor speaking Streamlit's own protocol instead of running a browser: for each link, the HTTP
    requests a returning browser makes (the page, ``/_stcore/health``, ``/_stcore/host-config``; its
    scripts are in its cache), then a WebSocket on ``/_stcore/stream`` (the ``streamlit`` subprotocol, the
    page's cookies, among them nginx's ``caixin_route``, so the socket reaches the replica that served the
    page) and a ``rerun_script`` BackMsg with the ``ClientState`` the frontend sends for that URL: the
    query string, the page's URL path as ``page_name`` (``st.navigation`` resolves it), no page hash, no
    widget state, no cached messages (a full page load starts with an empty message cache). The page has
    settled when a ``script_finished`` ForwardMsg with a success status arrives and no ``exception``
    element came before it. The socket stays open while the visitor reads, as a browser's does, and is
    closed when the next link is opened. Nothing is rendered: the browser's own work is left out."""

    def __init__(self, base: str) -> None:
        import aiohttp

        self.base = base
        # unsafe: keep cookies of an IP address host (127.0.0.1), as a browser does
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.socket: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.link: str | None = None  # the page open on the socket
        self.cached: set[str] = set()  # hashes of the cacheable messages received on it

    async def _stop_drain(self) -> None:
        if self.reader:
            self.reader.cancel()
            try:
                await self.reader
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - the page is left anyway
                pass
            self.reader = None

    async def close_page(self) -> None:
        await self._stop_drain()
        if self.socket is not None:
            await self.socket.close()
            self.socket = None
        self.link = None

    async def close(self) -> None:
        await self.close_page()
        await self.http.close()

    async def visit(self, link: str, timeout: float) -> dict[str, Any]:
        """Open ``link`` as a new page load and wait until its script has finished. Returns the replica
        that served the page (nginx's ``X-Caixin-Replica``, "" without nginx), the bytes received on the
        socket, the messages and the headings shown; raises VisitError, or TimeoutError after ``timeout``."""
        async with asyncio.timeout(timeout):
            return await self._visit(link)

    async def rerun(self, timeout: float) -> dict[str, Any]:
        """Run the open page's script again in its session, as the browser does when a control changes
        nothing else: the same ``ClientState``, with the hashes of the cacheable messages received so far
        (the browser's message cache), so the server sends references for those. Returns what ``visit``
        does (the replica as "")."""
        if self.socket is None or self.link is None:
            raise VisitError("no page open to run again")
        async with asyncio.timeout(timeout):
            await self._stop_drain()
            return {"replica": "", **await self._run(self.link)}

    async def _visit(self, link: str) -> dict[str, Any]:
        from yarl import URL

        await self.close_page()
        async with self.http.get(self.base + link) as response:
            response.raise_for_status()
            await response.read()
            replica = response.headers.get("X-Caixin-Replica", "")
        for probe in ("/_stcore/health", "/_stcore/host-config"):
            async with self.http.get(self.base + probe) as response:
                response.raise_for_status()
                await response.read()
        xsrf = self.http.cookie_jar.filter_cookies(URL(self.base)).get("_streamlit_xsrf")
        protocols = ("streamlit", xsrf.value) if xsrf else ("streamlit",)
        self.socket = await self.http.ws_connect(
            self.base.replace("http", "ws", 1) + "/_stcore/stream",
            protocols=protocols,
            origin=self.base,
            max_msg_size=0,
            autoping=True,
        )
        self.link = link
        self.cached = set()  # a page load starts with an empty message cache
        return {"replica": replica, **await self._run(link)}

    async def _run(self, link: str) -> dict[str, Any]:
        """Send the ``rerun_script`` BackMsg of ``link`` on the open socket and read until the script has
        finished; then keep reading in the background (``_drain``)."""
        import aiohttp
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        socket = self.socket
        parts = urllib.parse.urlsplit(link)
        back = BackMsg()
        state = back.rerun_script
        state.query_string = parts.query
        state.page_script_hash = ""
        state.page_name = parts.path.strip("/")
        state.cached_message_hashes.extend(sorted(self.cached))
        state.context_info.url = self.base + link
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        await socket.send_bytes(back.SerializeToString())
        received = messages = 0
        headings: list[str] = []
        exceptions: list[str] = []
        while True:
            frame = await socket.receive()
            if frame.type != aiohttp.WSMsgType.BINARY:
                raise VisitError(f"socket {frame.type.name.lower()} before the script finished")
            received += len(frame.data)
            messages += 1
            message = ForwardMsg()
            message.ParseFromString(frame.data)
            if message.metadata.cacheable and message.hash:
                self.cached.add(message.hash)
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                shown = element.WhichOneof("type")
                if shown == "exception":
                    exceptions.append(f"{element.exception.type}: {element.exception.message[:80]}")
                elif shown == "heading":
                    headings.append(element.heading.body)
            elif kind == "session_event" and message.session_event.HasField("script_compilation_exception"):
                raise VisitError("script compilation exception")
            elif kind == "page_not_found":
                raise VisitError(f"page not found: {message.page_not_found.page_name!r}")
            elif kind == "script_finished":
                status = message.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # a rerun follows: wait for its end
                if status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                    continue
                if status != ForwardMsg.FINISHED_SUCCESSFULLY:
                    raise VisitError(f"script finished with status {status}")
                break
        if exceptions:
            raise VisitError("exception shown: " + "; ".join(exceptions))
        self.reader = asyncio.create_task(self._drain())
        return {"bytes": received, "messages": messages, "headings": headings}

    async def _drain(self) -> None:
        """Read (and answer pings) while the visitor reads the page, as the browser's socket does."""
        async for _ in self.socket:
            pass


async def protocol_session(
    tab: ProtocolTab,
    number: int,
    options: argparse.Namespace,
    results: dict[str, list[Any]],
    article_ids: list[str],
    links: list[str] = LINKS,
) -> None:
    """One protocol visitor (see ProtocolTab), paced as a browser session: starts ``number * ramp /
    sessions`` s into the run, opens shared links (three in ten a story in the reader) until the deadline
    and thinks ``think`` seconds on average (uniform between half and one and a half times) after each."""
    rng = random.Random(number)
    await asyncio.sleep(number * options.ramp / max(1, options.sessions))
    deadline = time.monotonic() + options.seconds
    try:
        while time.monotonic() < deadline:
            if article_ids and rng.random() < 0.3:
                action = f"/reader?article={urllib.parse.quote(rng.choice(article_ids))}"
            else:
                action = rng.choice(links)
            started = time.perf_counter()
            try:
                seen = await tab.visit(action, options.timeout)
                results["timings"].append((action, "protocol", time.perf_counter() - started))
                results["received"].append((action, seen["bytes"]))
                results["headings"].append((action, seen["headings"]))
                if seen["replica"]:
                    results["served_by"].append((number, seen["replica"]))
            except Exception as error:  # noqa: BLE001 - every failure is counted, the run goes on
                elapsed = time.perf_counter() - started
                await tab.close_page()
                results["errors"].append(
                    f"protocol {action} after {elapsed:.0f} s: {type(error).__name__}: {str(error)[:100]}"
                )
            if options.think:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * options.think)
    finally:
        await tab.close()


async def protocol_run(
    base: str, options: argparse.Namespace, links: list[str] = LINKS, article_ids: list[str] | None = None
) -> dict[str, list[Any]]:
    """``options.sessions`` protocol visitors at once (no browser, no CPU meter): the results lists."""
    results: dict[str, list[Any]] = {
        "timings": [], "errors": [], "served_by": [], "received": [], "headings": []
    }  # fmt: skip
    await asyncio.gather(
        *(
            protocol_session(ProtocolTab(base), n, options, results, article_ids or [], links)
            for n in range(options.sessions)
        )
    )
    return results


async def warm_replicas_protocol(base: str, replicas: int, timeout: float) -> list[str]:
    """As warm_replicas, with protocol visitors (each a new visitor without a route cookie)."""
    served: list[str] = []
    while len(set(served)) < replicas and len(served) < 10 * replicas:
        tab = ProtocolTab(base)
        try:
            served.append((await tab.visit("/", timeout))["replica"])
        finally:
            await tab.close()
    if len(set(served)) < replicas:
        raise SystemExit(f"load: {len(served)} warm-up visits reached only {sorted(set(served))}")
    return served


async def warm_replicas(browser: Any, base: str, replicas: int, timeout_ms: float) -> list[str]:
    """Fresh browsers open the app one after another until ``replicas`` different replicas have served
    one (at most 10 visits a replica), so that each has loaded the collection. Returns who served each."""
    served: list[str] = []
    while len(set(served)) < replicas and len(served) < 10 * replicas:
        page = await new_tab(browser)
        served.append(await open_link(page, base, "/", timeout_ms))
        await page.context.close()
    if len(set(served)) < replicas:
        raise SystemExit(f"load: {len(served)} warm-up visits reached only {sorted(set(served))}")
    return served


async def run(
    base: str, options: argparse.Namespace, article_ids: list[str], server_pid: int | None
) -> dict[str, Any]:
    """The run: ``options.sessions`` sessions at once, all in the browser, or with ``options.protocol``
    all protocol visitors but ``options.browsers`` of them in the browser."""
    from contextlib import AsyncExitStack

    results: dict[str, list[Any]] = {
        "timings": [], "errors": [], "cold": [], "served_by": [], "received": [], "headings": []
    }  # fmt: skip
    protocol = getattr(options, "protocol", False)
    in_browser = min(options.sessions, getattr(options, "browsers", 0)) if protocol else options.sessions
    async with AsyncExitStack() as stack:
        browser: Any = None
        if in_browser or (getattr(options, "warm_replicas", 0) and not protocol):
            from playwright.async_api import async_playwright

            playwright = await stack.enter_async_context(async_playwright())
            browser = await playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            stack.push_async_callback(browser.close)
        if getattr(options, "warm_replicas", 0):
            if protocol:
                warmed = await warm_replicas_protocol(base, options.warm_replicas, options.timeout)
            else:
                warmed = await warm_replicas(browser, base, options.warm_replicas, options.timeout * 1000)
            results["warmed"] = warmed
        pages = [await new_tab(browser) for _ in range(in_browser)]
        if not options.cold:
            # each visitor has opened the dashboard before: its browser holds Streamlit's scripts. These
            # first visits (an empty cache, a few at a time) are timed apart and are not the run.
            gate = asyncio.Semaphore(WARM_AT_ONCE)

            async def first_visit(page: Any) -> None:
                async with gate:
                    started = time.perf_counter()
                    try:
                        await open_link(page, base, "/", options.timeout * 1000)
                        results["cold"].append(time.perf_counter() - started)
                    except Exception as error:  # noqa: BLE001 - counted like any other error
                        results["errors"].append(f"first visit (warm-up): {type(error).__name__}")

            await asyncio.gather(*(first_visit(page) for page in pages))
        meter = CpuMeter(server_pid)
        stop = asyncio.Event()
        sampler = asyncio.create_task(meter.run(stop))
        started = time.perf_counter()
        # the browser sessions take the first numbers (and so the first starts of a ramp)
        await asyncio.gather(
            *(session(page, base, n, options, results, article_ids) for n, page in enumerate(pages)),
            *(
                protocol_session(ProtocolTab(base), n, options, results, article_ids)
                for n in range(in_browser, options.sessions)
            ),
        )
        wall = time.perf_counter() - started
        cpu = meter.figures()
        stop.set()
        await sampler
    return {**results, "cpu": cpu, "wall_s": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=90, help="how long each session opens links")
    parser.add_argument("--think", type=float, default=THINK_SECONDS, help="mean pause between pages (s)")
    parser.add_argument("--ramp", type=float, default=RAMP_SECONDS, help="sessions start spread over (s)")
    parser.add_argument(
        "--in-app", type=float, default=IN_APP_SHARE, help="share of moves made by clicking inside the app"
    )
    parser.add_argument(
        "--cold", action="store_true", help="no warm-up visit: each session starts with an empty cache"
    )
    parser.add_argument("--out", default="load", help="writes bench/out/<out>.json")
    parser.add_argument(
        "--pages", type=Path, help="the page folder to serve (default: bench/corpus/stories-<n>, made when missing)"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=ROOT / "bench" / "out" / "cache-load",
        help="the cache folder (default bench/out/cache-load); e.g. the warm cache of a bench_scale --cache run",
    )
    parser.add_argument("--timeout", type=float, default=60, help="a page not settled by then is an error")
    parser.add_argument(
        "--url", help="drive the dashboard already served there (e.g. nginx before replicas), start none"
    )
    parser.add_argument(
        "--replicas", type=int, default=1, help="with --url: warm up until this many replicas have answered"
    )
    parser.add_argument(
        "--pid",
        type=int,
        help="with --url: the process id of the one server there, to count its CPU and memory",
    )
    parser.add_argument(
        "--protocol",
        action="store_true",
        help="sessions speak Streamlit's WebSocket protocol instead of running a browser (no rendering)",
    )
    parser.add_argument(
        "--browsers", type=int, default=0, help="with --protocol: this many of the sessions in Chromium"
    )
    args = parser.parse_args()
    if args.pid and not args.url:
        parser.error("--pid: only with --url (without it the server started here is measured)")
    if args.browsers and not args.protocol:
        parser.error("--browsers: only with --protocol (without it every session is a browser)")
    if args.url and not re.fullmatch(r"http://(127\.0\.0\.1|localhost)(:\d+)?/?", args.url):
        parser.error("--url: only a dashboard on this machine (http://127.0.0.1:PORT)")

    from bench.common import ensure_corpus, load_average

    corpus_dir = args.pages or ensure_corpus(args.stories)
    tmp = Path(tempfile.mkdtemp(prefix="caixin-load-"))
    cache = args.cache
    from core.storing.ingest import ingest

    started = time.perf_counter()
    frame = ingest([str(corpus_dir)], cache_dir=cache).articles  # builds the cache when it is missing
    article_ids = frame["article_id"].astype(str).sample(200, random_state=0).tolist()
    del frame
    cache_s = time.perf_counter() - started
    process = None
    if args.url:
        url = args.url.rstrip("/")
        print(f"driving the server at {url} ({args.replicas} replica(s))", flush=True)
    else:
        server, process = start_server(tmp, corpus_dir, {"CAIXIN_CACHE": str(cache), "CAIXIN_READONLY": "1"})
        url = server.url
        print(f"server pid {process.pid} at {url}", flush=True)
    server_pid = process.pid if process else args.pid
    warmed: list[str] = []
    try:
        # warm-up visits load the corpus into the server(s) (the first load is not what we measure)
        started = time.perf_counter()
        warm = argparse.Namespace(sessions=1, seconds=1, think=0, ramp=0, timeout=600, in_app=0, cold=True)
        warm.warm_replicas = args.replicas if args.url else 0
        warm.protocol, warm.browsers = args.protocol, 0
        warmed = asyncio.run(run(url, warm, [], server_pid)).get("warmed", [])
        warm_up = time.perf_counter() - started
        before = rss_mb(server_pid) if server_pid else None
        load_start = load_average()
        outcome = asyncio.run(run(url, args, article_ids, server_pid))
        load_end = load_average()
        after = rss_mb(server_pid) if server_pid else None
    finally:
        if process:
            process.terminate()
            process.wait(timeout=20)
    timings = [seconds for _, _, seconds in outcome["timings"]]
    errors = outcome["errors"]
    quantiles = statistics.quantiles(timings, n=20) if len(timings) >= 20 else [max(timings or [0])] * 19
    by_page: dict[str, list[float]] = {}
    by_kind: dict[str, list[float]] = {}
    for action, kind, seconds in outcome["timings"]:
        name = page_name(action) if action.startswith("/") else action
        by_page.setdefault(name, []).append(seconds)
        by_kind.setdefault(kind, []).append(seconds)
    received: dict[str, list[int]] = {}
    for action, size in outcome["received"]:
        received.setdefault(page_name(action), []).append(size)
    cpu = outcome["cpu"]
    if not server_pid:
        del cpu["server_cpu_s"]  # in the containers: counted in other_cpu_s
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "url": args.url,
        "replicas": args.replicas if args.url else 1,
        "warm_up_visits_by_replica": dict(Counter(warmed)),
        "page_loads_by_replica": dict(Counter(replica for _, replica in outcome["served_by"])),
        "sessions_by_replica": {
            replica: len({n for n, r in outcome["served_by"] if r == replica})
            for replica in sorted({r for _, r in outcome["served_by"]})
        },
        "stories": args.stories,
        "sessions": args.sessions,
        "mode": "protocol" if args.protocol else "browser",
        "browser_sessions": min(args.browsers, args.sessions) if args.protocol else args.sessions,
        "seconds": args.seconds,
        "think_s": args.think,
        "ramp_s": args.ramp,
        "in_app": args.in_app,
        "cold": args.cold,
        "timeout_s": args.timeout,
        "page_loads": len(timings),
        "errors": len(errors),
        "error_samples": errors[:10],
        "settled_p50_s": round(statistics.median(timings), 2) if timings else None,
        "settled_p95_s": round(quantiles[18], 2),
        "settled_max_s": round(max(timings), 2) if timings else None,
        "settled_p50_by_page_s": {k: round(statistics.median(v), 2) for k, v in sorted(by_page.items())},
        "settled_p95_by_page_s": {
            k: round(statistics.quantiles(v, n=20)[18] if len(v) >= 20 else max(v), 2)
            for k, v in sorted(by_page.items())
        },
        "protocol_kb_per_page_p50": {
            k: round(statistics.median(v) / 1024, 1) for k, v in sorted(received.items())
        },
        "first_visits_warm_up": {
            "visits": len(outcome["cold"]),
            "p50_s": round(statistics.median(outcome["cold"]), 2) if outcome["cold"] else None,
            "max_s": round(max(outcome["cold"]), 2) if outcome["cold"] else None,
        },
        "settled_by_kind": {
            k: {"loads": len(v), "p50_s": round(statistics.median(v), 2), "max_s": round(max(v), 2)}
            for k, v in sorted(by_kind.items())
        },
        "server_rss_before_mb": round(before, 1) if before is not None else None,
        "server_rss_after_mb": round(after, 1) if after is not None else None,
        "wall_s": round(outcome["wall_s"], 1),
        **cpu,
        "server_cpu_s_per_page_load": (
            round(cpu["server_cpu_s"] / len(timings), 3) if server_pid and timings else None
        ),
        "server_cpu_share": (
            round(cpu["server_cpu_s"] / max(cpu["machine_cpu_s"], 1e-9), 2) if server_pid else None
        ),
        "browser_cpu_share": round(cpu["browser_cpu_s"] / max(cpu["machine_cpu_s"], 1e-9), 2),
        "load_average_start": load_start,
        "load_average_end": load_end,
        "cache_s": round(cache_s, 1),
        "warm_up_s": round(warm_up, 1),
    }
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "out" / f"{args.out}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
