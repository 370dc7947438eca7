"""Faults: an ingest killed midway, data files changed under a running dashboard."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.storing.cache import CacheStore, cache_key
from core.storing.ingest import ingest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "pages" / "000_6a6401b8027f1b55.txt"


def _pages(folder: Path, copies: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = SAMPLE.read_text(encoding="utf-8")
    for n in range(copies):
        # shift every story by n days so each copy holds different stories
        (folder / f"page_{n:04d}.txt").write_text(
            text.replace(", 2019 ", f", {2000 + n % 20} "), encoding="utf-8"
        )
    return folder


def test_killed_ingest_leaves_the_previous_cache_usable(tmp_path: Path) -> None:
    data = _pages(tmp_path / "pages", 300)
    cache = tmp_path / "cache"
    first = ingest([str(data)], cache_dir=cache, workers=1)
    assert len(first.articles) > 0
    before = {p.name: p.read_bytes() for p in (cache / cache_key([str(data)])).iterdir()}

    for path in data.iterdir():  # change every file, so the next ingest has real work to do
        path.write_text(
            path.read_text(encoding="utf-8") + "\nBy Dave Yin / Dec 01, 2021 10:00 AM / World\n\nNew.\n"
        )
    script = (
        "import sys; from pathlib import Path; from core.storing.ingest import ingest; "
        f"ingest([{str(data)!r}], cache_dir=Path({str(cache)!r}), workers=1)"
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    time.sleep(0.8)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)

    store = CacheStore(cache / cache_key([str(data)]))
    state = store.load_state()  # never corrupt: either the old generation or a complete new one
    assert state is not None
    assert store.articles_path(state["generation"]).exists()
    if state["generation"] in "".join(before):
        assert store.state_path.read_bytes() == before["state.json"]
    again = ingest([str(data)], cache_dir=cache, workers=1)
    assert not again.cache_warnings
    assert len(again.articles) == len(first.articles) + 1  # the added story (same in every copy) once
    reloaded = ingest([str(data)], cache_dir=cache, workers=1)
    assert reloaded.from_cache
    assert len(reloaded.articles) == len(again.articles)


class Killed(BaseException):
    """Stands for the process dying at one precise point (SIGKILL cannot be caught)."""


@pytest.mark.parametrize("dies_at_write", [1, 2, 3, 4, 8, 10, 11])
def test_death_during_the_cache_write_keeps_the_previous_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dies_at_write: int
) -> None:
    import core.storing.segments

    monkeypatch.setattr(core.storing.segments, "SEGMENT_FILES", 2**62)  # the records in one segment, always
    data = _pages(tmp_path / "pages", 3)
    cache = tmp_path / "cache"
    first = ingest([str(data)], cache_dir=cache)
    store = CacheStore(cache / cache_key([str(data)]))
    old_state = store.state_path.read_bytes()
    (data / "page_0000.txt").write_text(SAMPLE.read_text(encoding="utf-8").replace("Dave Yin", "D. Yin"))

    import core.storing.cache

    real_replace = os.replace
    calls = {"n": 0}

    def dying_replace(src: str, dst: str) -> None:
        calls["n"] += 1
        # 1-10: the generation's files, written on threads in any order (the records' segment, articles, the
        # text file, the state's five part files, the body hashes, the merge memo); 11: the state, after them
        if calls["n"] == dies_at_write:
            raise Killed()
        real_replace(src, dst)

    monkeypatch.setattr(core.storing.cache.os, "replace", dying_replace)
    with pytest.raises(Killed):
        ingest([str(data)], cache_dir=cache)
    monkeypatch.setattr(core.storing.cache.os, "replace", real_replace)

    assert store.state_path.read_bytes() == old_state  # the state still names the complete old generation
    assert not list(store.root.glob(".*.tmp"))  # no temporary file left behind
    assert len(ingest([str(data)], cache_dir=cache).articles) == len(first.articles)


@pytest.fixture()
def app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[AppTest, Path]:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SAMPLE, data / SAMPLE.name)
    monkeypatch.setenv("CAIXIN_DATA", str(data))
    monkeypatch.setenv("CAIXIN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CAIXIN_UPLOADS", str(tmp_path / "uploads"))
    monkeypatch.setenv("CAIXIN_CHECK_SECONDS", "0")
    return AppTest.from_file(str(ROOT / "dashboard" / "main.py"), default_timeout=60), data


def _header(at: AppTest) -> str:
    return next(m.value for m in at.markdown if " stor" in m.value)


def test_a_page_added_while_running_is_picked_up(app: tuple[AppTest, Path]) -> None:
    at, data = app
    at.run()
    assert "20 stories" in _header(at)
    extra = "By Dave Yin / Dec 01, 2021 10:00 AM / World\n\nA new story about Huawei.\n"
    (data / "new.txt").write_text(extra, encoding="utf-8")
    at.run()
    assert not at.exception
    assert "21 stories" in _header(at)


def test_a_page_deleted_while_running_is_reported_not_a_crash(app: tuple[AppTest, Path]) -> None:
    at, data = app
    at.run()
    os.remove(data / SAMPLE.name)
    at.run()
    assert not at.exception
    assert "0 stories" in _header(at)
    at.switch_page("views/data.py")
    at.run()
    assert not at.exception
