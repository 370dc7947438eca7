"""One Playwright and one Chromium per test process, shared by the browser tests of ``tests/e2e`` and
``tests/test_replicas.py``: Playwright's sync API cannot run twice at once in one thread (a second
``sync_playwright()`` while the first is open fails with "using Playwright Sync API inside the asyncio
loop"), and the e2e suite keeps its browser open for the whole session."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_OPEN: dict[str, Any] = {}


def chromium(executable: str, args: Sequence[str]) -> tuple[Any, bool]:
    """The process's Chromium (launched from ``executable`` with ``args`` on first use), and whether this
    call launched it (then the caller closes it with ``close``)."""
    if "browser" in _OPEN:
        return _OPEN["browser"], False
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        _OPEN["browser"] = playwright.chromium.launch(executable_path=executable, args=list(args))
    except BaseException:
        playwright.stop()
        raise
    _OPEN["playwright"] = playwright
    return _OPEN["browser"], True


def close() -> None:
    """Close the shared Chromium and stop its Playwright (a later ``chromium`` starts them again)."""
    browser, playwright = _OPEN.pop("browser", None), _OPEN.pop("playwright", None)
    try:
        if browser is not None:
            browser.close()
    finally:
        if playwright is not None:
            playwright.stop()
