"""The heap of a warm server frozen after each page's first run (``components.warm.settle``).

Streamlit collects garbage after every script run; what a page's first run imports and computes is frozen
out of that collection once, so later runs of every session do not walk it again (docs/performance.md,
"What a new session costs"). Checked with the real collector on the shipped sample and through AppTest.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.storing.collection import Collection, open_collection

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "dashboard") not in sys.path:
    sys.path.insert(0, str(ROOT / "dashboard"))

from components.warm import SETTLED, ready, settle  # noqa: E402


def tracked(thing: object) -> bool:
    """True when the collector still walks ``thing`` (it is not frozen)."""
    return any(candidate is thing for candidate in gc.get_objects())


@pytest.fixture
def collection(tmp_path: Path) -> Iterator[Collection]:
    opened = open_collection([ROOT / "data" / "pages"], cache_dir=tmp_path / "cache")
    try:
        ready(opened)
        yield opened
    finally:
        gc.unfreeze()


def test_a_page_first_run_is_frozen_once(collection: Collection) -> None:
    made_by_the_first_run = [object()]  # a container: the collector tracks it
    assert tracked(made_by_the_first_run)
    settle(collection, "reader")
    assert not tracked(made_by_the_first_run)
    assert collection.derived[SETTLED] == {"reader"}

    made_by_a_later_run = [object()]
    settle(collection, "reader")  # the same page again: nothing frozen
    assert tracked(made_by_a_later_run)
    settle(collection, "timeline")  # another page's first run
    assert not tracked(made_by_a_later_run)
    assert collection.derived[SETTLED] == {"reader", "timeline"}


def test_made_ready_again_the_pages_settle_again(collection: Collection) -> None:
    settle(collection, "themes")
    collection.derived.clear()  # what a changed themes file does (``Collection.refresh_themes``)
    ready(collection)
    assert SETTLED not in collection.derived
    made_later = [object()]
    settle(collection, "themes")
    assert not tracked(made_later)


def test_the_app_settles_the_page_it_ran(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIXIN_DATA", str(ROOT / "data" / "pages"))
    monkeypatch.setenv("CAIXIN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CAIXIN_UPLOADS", str(tmp_path / "uploads"))
    at = AppTest.from_file(str(ROOT / "dashboard" / "main.py"), default_timeout=60)
    try:
        at.run()
        assert not at.exception
        at.switch_page("views/timeline.py")
        at.run()
        assert not at.exception
        settled = at.session_state["_view"].collection.derived[SETTLED]
        assert {"", "timeline"} <= settled  # the overview's URL path is ""
    finally:
        gc.unfreeze()
