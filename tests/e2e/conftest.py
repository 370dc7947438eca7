"""A real ``streamlit run dashboard/app.py`` on a free localhost port, driven by Debian's Chromium.

Without Chromium (or Playwright) these tests skip with the reason; ``CAIXIN_REQUIRE_BROWSER=1`` (set by
``.ci/run``) turns the skip into a failure.

Fixtures: ``server`` (one per session, on the shipped sample, warmed up), ``page`` (a fresh tab that
records ``page_errors``, ``dialogs`` and ``requests``), ``sample`` (the sample opened by core, to know
ids and targets). Helpers: ``serving`` (or ``start_server``/``stop_server``) for a server on other data,
``open_view``,
``settle``, ``open_expander``, ``shown_count``, ``wait_for_count``, ``assert_healthy``, ``expect``, ``title_gap`` and ``screenshot``
(``test-artifacts/``; ``docs/screenshots/`` too with ``CAIXIN_UPDATE_SCREENSHOTS=1``).

Accessibility: ``settle`` runs axe-core (``check_accessibility``) on every page state a test waits for and
fails on a serious or critical violation; every violation found is also appended to
``test-artifacts/axe.jsonl``. axe-core comes from ``tests/e2e/package.json`` (``npm install`` there;
``.ci/run`` does it); without it the check is left out and ``test_accessibility.py`` says so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
# bench/ is not an installed package; the hostile-text tests take their page from its corpus generator
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CAIXIN_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy at {url} within {timeout} s")


class Server:
    def __init__(self, url: str, data: Path, log: Path) -> None:
        self.url = url
        self.data = data
        self.log = log


def start_server(
    tmp: Path, data: Path, extra_env: dict[str, str] | None = None
) -> tuple[Server, subprocess.Popen[bytes]]:
    port = _free_port()
    log = tmp / "streamlit.log"
    env = {
        **os.environ,
        "CAIXIN_DATA": str(data),
        "CAIXIN_CACHE": str(tmp / "cache"),
        "CAIXIN_UPLOADS": str(tmp / "uploads"),
        **(extra_env or {}),
    }
    command = [
        # -X faulthandler: a server that hangs is sent SIGABRT and its threads' stacks go to its log (``serving``)
        sys.executable, "-X", "faulthandler", "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with log.open("wb") as handle:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
    except RuntimeError:
        process.kill()
        raise
    return Server(url, data, log), process


def _unavailable(reason: str) -> None:
    if os.environ.get("CAIXIN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"the browser is required (CAIXIN_REQUIRE_BROWSER=1): {reason}")
    pytest.skip(f"{reason} — end-to-end tests skipped")


@pytest.fixture(scope="session")
def browser_executable() -> str:
    path = chromium_path()
    if path is None:
        _unavailable("no Chromium installed (apt-get install chromium; or set CAIXIN_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[dev]')")
    return str(path)


def expect(target: object) -> object:
    """Playwright's auto-waiting assertions (imported late so a missing Playwright skips, not errors)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)  # type: ignore[call-overload]


def warm_up(browser_context: object, server: Server) -> None:
    """Open the app once so the server loads the collection before the tests' sessions (the first load
    is slower; tests time out on their own pages, not on it). When the page does not settle, the error
    says what the tab showed."""
    tab = browser_context.new_page()  # type: ignore[attr-defined]
    failed: list[str] = []  # requests the browser gave up on (a blank page's scripts, for one)
    tab.on("requestfailed", lambda request: failed.append(f"{request.url} {request.failure}"))
    try:
        tab.goto(server.url)
        try:
            settle(tab, timeout=120_000, accessible=False)
        except Exception as error:
            shown = tab.evaluate("() => document.body ? document.body.innerText.slice(0, 2000) : ''")  # type: ignore[attr-defined]
            raise AssertionError(
                f"{server.url} did not settle ({error!s:.300}); requests that failed: {failed[:10] or 'none'};"
                f" the tab showed:\n{shown}"
            ) from error
    finally:
        tab.close()


def stop_server(server: Server, process: subprocess.Popen[bytes]) -> None:
    """Stop a server from ``start_server``; print the end of its log when it did not stop cleanly."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    if process.returncode not in (0, -15, None):
        print(server.log.read_text(errors="replace")[-3000:])


def serving(tmp: Path, browser_context: object, data: Path) -> Iterator[Server]:
    """A warmed-up server on ``data`` for a fixture to yield (``yield from serving(...)``), stopped after."""
    running, process = start_server(tmp, data)
    try:
        try:
            warm_up(browser_context, running)
        except AssertionError as error:  # the server's threads, as they stand, to the failure
            raise AssertionError(f"{error}\n{server_stacks(running, process)}") from None
        yield running
    finally:
        stop_server(running, process)


def server_stacks(server: Server, process: subprocess.Popen[bytes]) -> str:
    """End a server that hangs with SIGABRT, so Python's fault handler writes every thread's stack to its
    log (``start_server`` runs it with ``-X faulthandler``); the end of that log."""
    if process.poll() is None:
        process.send_signal(signal.SIGABRT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    return "the end of the server's log:\n" + server.log.read_text(errors="replace")[-12_000:]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, browser_context: object) -> Iterator[Server]:
    """One server on the shipped sample (20 stories) for the whole session, warmed up."""
    yield from serving(tmp_path_factory.mktemp("e2e"), browser_context, ROOT / "data" / "pages")


@pytest.fixture(scope="session")
def browser(browser_executable: str) -> Iterator[object]:
    """The process's one Chromium (``tests/shared_browser.py``: tests/test_replicas.py drives it too)."""
    import shared_browser

    instance, launched = shared_browser.chromium(browser_executable, CHROMIUM_ARGS)
    yield instance
    if launched:
        shared_browser.close()


@pytest.fixture(scope="session")
def browser_context(browser: object) -> Iterator[object]:
    """One context for the session, so the tabs share the HTTP cache of Streamlit's static files (each
    tab still opens its own Streamlit session)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    yield context
    context.close()


def context_tab(browser: object, **context: object) -> Iterator[object]:
    """A tab in a new browser context (``context``: Playwright's ``new_context`` arguments), recording
    ``page_errors``; no cookies, cache or history shared with other tests: a colleague opening a link,
    or a phone. For a fixture to yield (``yield from context_tab(...)``); the context is closed after."""
    fresh = browser.new_context(**context)  # type: ignore[attr-defined]
    tab = fresh.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.page_errors = errors
    try:
        yield tab
    finally:
        fresh.close()


@pytest.fixture()
def page(browser_context: object) -> Iterator[object]:
    """A fresh browser tab that records page errors, dialogs (dismissed at once) and every request.

    ``tab.page_errors``: uncaught JavaScript errors; ``tab.dialogs``: alert/confirm/prompt messages;
    ``tab.requests``: URLs the page asked for, in order.
    """
    tab = browser_context.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    dialogs: list[str] = []
    requests: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))

    def on_dialog(dialog: object) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]  # an unanswered dialog would block the page

    tab.on("dialog", on_dialog)
    tab.on("request", lambda request: requests.append(request.url))
    tab.page_errors = errors  # type: ignore[attr-defined]
    tab.dialogs = dialogs  # type: ignore[attr-defined]
    tab.requests = requests  # type: ignore[attr-defined]
    yield tab
    tab.close()


AXE_SCRIPT = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
#: Violations that fail a test; the moderate and minor ones are only recorded.
AXE_FAILING = ("serious", "critical")
_AXE_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                                  summary: n.failureSummary}))}));
}"""


def axe_available() -> bool:
    return AXE_SCRIPT.is_file()


def check_accessibility(tab: object) -> list[dict[str, object]]:
    """Run axe-core on the page as it is now; fail on serious or critical violations (WCAG 2 A/AA and
    best practices). Returns every violation found (also appended to ``test-artifacts/axe.jsonl``).
    Without axe-core installed this does nothing (``test_accessibility.py`` reports it)."""
    if not axe_available():
        return []
    tab.wait_for_function(  # type: ignore[attr-defined]  # charts draw after the script ends
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                   .every(chart => chart.querySelector('svg, canvas'))""",
        timeout=30_000,
    )
    if not tab.evaluate("() => typeof window.axe !== 'undefined'"):  # type: ignore[attr-defined]
        tab.add_script_tag(content=AXE_SCRIPT.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    violations: list[dict[str, object]] = tab.evaluate(_AXE_RUN)  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(exist_ok=True)
    url = tab.url  # type: ignore[attr-defined]
    with (ARTIFACTS / "axe.jsonl").open("a", encoding="utf-8") as log:
        for violation in violations:
            log.write(json.dumps({"url": url, **violation}) + "\n")
    failing = [v for v in violations if v["impact"] in AXE_FAILING]
    assert not failing, f"axe-core on {url}:\n" + "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']}; "
        + "; ".join(f"{n['target']} {n['html']}" for n in v["nodes"][:3])  # type: ignore[index]
        for v in failing
    )
    return violations


def settle(tab: object, timeout: float = 30_000, *, accessible: bool = True) -> None:
    """Wait until the app has finished running: the script idle, no status widget or skeleton, and the
    page header (``N stories``) rendered; then check the page with axe-core (``accessible=False``:
    not now)."""
    tab.wait_for_selector('[data-testid="stMain"]', timeout=timeout)  # type: ignore[attr-defined]
    tab.wait_for_function(  # type: ignore[attr-defined]
        r"""() => {
            const app = document.querySelector('[data-testid="stApp"]');
            const main = document.querySelector('[data-testid="stMain"]');
            return app && app.getAttribute('data-test-script-state') !== 'running'
                && main && /\d[\d,]* stor(?:y|ies)/.test(main.innerText)
                && !document.querySelector('[data-testid="stStatusWidget"]')
                && !document.querySelector('[data-testid="stSkeleton"]');
        }""",
        timeout=timeout,
    )
    tab.wait_for_timeout(300)  # type: ignore[attr-defined]  # let the last deltas paint
    if accessible:
        check_accessibility(tab)


def open_view(tab: object, server: Server, path: str) -> None:
    """Open ``path`` (``/reader?theme=huawei``) on ``server`` like a shared link, and wait for it."""
    tab.goto(server.url + path)  # type: ignore[attr-defined]
    settle(tab)


def open_expander(expander: object) -> None:
    """Open ``expander`` (a ``stExpander`` locator) and wait until it has opened. Streamlit animates the
    height of an opening expander and keeps its content ``inert`` until then: a click inside it before that
    is lost (a toggle clicked 0.1 s after its expander stays off)."""
    expander.locator("summary").click()  # type: ignore[attr-defined]
    details = expander.locator("details").first  # type: ignore[attr-defined]
    # Streamlit cancels an animation and starts another when the content's height changes meanwhile: a
    # cancelled one's ``finished`` rejects, so wait for each to settle, until none runs
    details.evaluate(
        """async d => {
            for (let round = 0; round < 50 && d.getAnimations().length; round++) {
                await Promise.allSettled(d.getAnimations().map(a => a.finished));
            }
        }"""
    )
    expander.locator('[data-testid="stExpanderDetails"]:not([inert])').wait_for()  # type: ignore[attr-defined]


HEADER_COUNT = re.compile(r"^(\d[\d,]*) stor(?:y|ies)\b", re.MULTILINE)


def shown_count(tab: object) -> int:
    """The ``N stories`` of the page header."""
    text = tab.inner_text('[data-testid="stMain"]')  # type: ignore[attr-defined]
    match = HEADER_COUNT.search(text)
    assert match, f"no 'N stories' header in: {text[:300]!r}"
    return int(match.group(1).replace(",", ""))


def wait_for_count(tab: object, expected: int, timeout: float = 30_000) -> None:
    """Wait until the header says ``expected`` stories (after an interaction triggered a rerun)."""
    tab.wait_for_function(  # type: ignore[attr-defined]
        r"""(n) => {
            const main = document.querySelector('[data-testid="stMain"]');
            const m = main && main.innerText.match(/^(\d[\d,]*) stor(?:y|ies)\b/m);
            return m && Number(m[1].replace(/,/g, '')) === n;
        }""",
        arg=expected,
        timeout=timeout,
    )
    settle(tab)


def assert_healthy(tab: object) -> None:
    """No Streamlit exception box on the page and no uncaught JavaScript error."""
    exceptions = tab.locator('[data-testid="stException"]')  # type: ignore[attr-defined]
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert not tab.page_errors, tab.page_errors  # type: ignore[attr-defined]


def title_gap(tab: object) -> float:
    """Pixels between the top of the page's content (the main block's padding) and its title: 0 when
    the title is the first thing drawn, 16 or more when an empty element sits above it."""
    return float(
        tab.evaluate(  # type: ignore[attr-defined]
            """() => {
                const block = document.querySelector('[data-testid="stMainBlockContainer"]');
                const title = block.querySelector('[data-testid="stHeading"]');
                const top = block.getBoundingClientRect().top + parseFloat(getComputedStyle(block).paddingTop);
                return title.getBoundingClientRect().top - top;
            }"""
        )
    )


def screenshot(tab: object, name: str, *, docs: bool = False) -> Path:
    """Save the whole page as ``test-artifacts/<name>.png`` and return its path.

    Streamlit scrolls inside ``stMain``, so a full-page screenshot alone would stop at the window: the
    window is stretched to the content for the shot (at most 8000 px). With ``docs`` and
    ``CAIXIN_UPDATE_SCREENSHOTS=1`` the first screenful is also written to ``docs/screenshots/<name>.png``
    (the images the README shows; review them as a diff).
    """
    ARTIFACTS.mkdir(exist_ok=True)
    if docs and os.environ.get("CAIXIN_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"))  # type: ignore[attr-defined]
    path = ARTIFACTS / f"{name}.png"
    size = tab.viewport_size  # type: ignore[attr-defined]
    content = tab.evaluate(  # type: ignore[attr-defined]
        """() => Math.max(...['stMain', 'stSidebarContent'].map(
            id => document.querySelector(`[data-testid="${id}"]`)?.scrollHeight || 0))"""
    )
    tall = min(max(int(content), size["height"]), 8000)
    try:
        if tall > size["height"]:
            tab.set_viewport_size({"width": size["width"], "height": tall})  # type: ignore[attr-defined]
            tab.wait_for_timeout(500)  # type: ignore[attr-defined]  # charts redraw at the new size
        tab.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    finally:
        tab.set_viewport_size(size)  # type: ignore[attr-defined]
    return path


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> object:
    """The shipped sample opened by core (ids, related targets) to tell the browser tests what to expect."""
    from core.storing.collection import open_collection

    return open_collection([ROOT / "data" / "pages"], cache_dir=tmp_path_factory.mktemp("sample-cache"))
