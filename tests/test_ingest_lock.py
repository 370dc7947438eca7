"""Concurrent ingests into one cache folder take turns (a lock file beside the folder), and the temporary
files of a writer that was killed are removed by the next ingest, never those of a writer still running.
A reader that cannot create the lock file (a read-only cache) still reads the cache."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import core.storing.cache
from core.config import Reporters
from core.storing.cache import CATALOG_PARTS, CacheStore, cache_key
from core.storing.ingest import Corpus, ingest
from core.storing.parts import PARTS
from core.storing.text import TextLayout

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "pages" / "000_6a6401b8027f1b55.txt"
NO_ALIASES = Reporters()

# One ingest in its own process. The state write waits a little, so that without a lock another process
# would write its own generation (and remove this one's files) in between, as a slow disk would let it.
INGEST = """
import json, sys, time
from pathlib import Path
import core.storing.cache
from core.config import Reporters
from core.storing.ingest import ingest

real = core.storing.cache.atomic_write_bytes

def slow(path, data):
    time.sleep(0.3)
    real(path, data)

core.storing.cache.atomic_write_bytes = slow
corpus = ingest([sys.argv[1]], cache_dir=Path(sys.argv[2]), reporters=Reporters(), workers=1)
print(json.dumps({"ids": corpus.articles["article_id"].tolist(), "warnings": corpus.cache_warnings}))
"""

# Holds the lock of a cache folder, as a writer in the middle of its write: a temporary file of its own
# in the folder. Exits 0 when the file was still there when it finished.
HOLDER = """
import sys, time
from pathlib import Path
from core.storing.cache import CacheStore

store = CacheStore(Path(sys.argv[1]))
store.root.mkdir(parents=True, exist_ok=True)
with store.lock() as lock:
    assert lock.exclusive
    tmp = store.root / ".records-0123456789ab.parquet.live.tmp"
    tmp.write_bytes(b"half written")
    print("ready", flush=True)
    time.sleep(float(sys.argv[2]))
    present = tmp.exists()
    tmp.unlink(missing_ok=True)
sys.exit(0 if present else 1)
"""


def _pages(folder: Path, copies: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = SAMPLE.read_text(encoding="utf-8")
    for n in range(copies):
        (folder / f"page_{n:02d}.txt").write_text(text.replace(", 2019 ", f", {2000 + n} "), encoding="utf-8")
    return folder


def _run(folder: Path, cache: Path) -> Corpus:
    return ingest([str(folder)], cache_dir=cache, reporters=NO_ALIASES, workers=1)


def _store(folder: Path, cache: Path) -> CacheStore:
    return CacheStore(cache / cache_key([str(folder)]))


def _start(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _assert_state_complete(store: CacheStore) -> dict[str, Any]:
    state = store.load_state()
    assert state is not None
    assert all(path.is_file() for path in store.segment_paths(state))
    assert store.articles_path(state["generation"]).is_file()
    assert sorted(p.name for p in store.root.iterdir()) == sorted(
        [
            "state.json",
            *(path.name for path in store.segment_paths(state)),
            store.articles_path(state["generation"]).name,
            # the generation's text file, or the files its text runs use (``core.storing.text.TextLayout``)
            *(store.text_path(name).name for name in TextLayout.of_state(state).files),
            *(store.part_path(part, state["generation"]).name for part in PARTS),
            store.bodies_path(state["generation"]).name,
            store.merge_path(state["generation"]).name,
            *_memo_files(store, state["generation"]),
        ]
    )
    return state


def _memo_files(store: CacheStore, generation: str) -> list[str]:
    """The catalog memo of the generation, when its match had entries (``core.storing.rematch``)."""
    names = [store.catalog_path(generation, part).name for part in CATALOG_PARTS]
    return names if store.catalog_path(generation, "entries").exists() else []


def test_concurrent_ingests_take_turns(tmp_path: Path) -> None:
    folder = _pages(tmp_path / "in", 4)
    cache = tmp_path / "cache"
    store = _store(folder, cache)
    for round_ in range(2):
        if round_:  # a changed file: every process has something to write again
            page = folder / "page_00.txt"
            page.write_text(page.read_text(encoding="utf-8").replace("Dave Yin", "D. Yin"), encoding="utf-8")
        processes = [_start(INGEST, str(folder), str(cache)) for _ in range(4)]
        outputs = []
        for process in processes:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            outputs.append(json.loads(out))
        clean = _run(folder, tmp_path / f"clean-{round_}")
        for output in outputs:
            assert output == {"ids": clean.articles["article_id"].tolist(), "warnings": []}
        _assert_state_complete(store)
        again = _run(folder, cache)
        assert again.from_cache and again.cache_warnings == []
        pd.testing.assert_frame_equal(again.articles, clean.articles)


def test_stale_temporary_files_are_removed_by_the_next_ingest(tmp_path: Path) -> None:
    folder = _pages(tmp_path / "in", 2)
    cache = tmp_path / "cache"
    first = _run(folder, cache)
    store = _store(folder, cache)
    # what a writer killed midway leaves: temporary files and a generation the state never named
    stale = [
        store.root / ".records-0123456789ab.parquet.k3j4h5.tmp",
        store.root / ".articles-0123456789ab.parquet.a8b9c0.tmp",
        store.root / ".state.json.x1y2z3.tmp",
        store.root / "records-0123456789ab.parquet",
        store.root / ".segment-0123456789abcdef01234567.parquet.m4n5b6.tmp",
        store.root / "segment-0123456789abcdef01234567.parquet",
        store.root / ".reports-0123456789ab.parquet.q1w2e3.tmp",
        store.root / "listing-rows-0123456789ab.parquet",
        store.root / "files-0123456789ab.parquet",
    ]
    for path in stale:
        path.write_bytes(b"half written")
    again = _run(folder, cache)  # read from the cache: nothing to write, the folder is still tidied
    assert again.from_cache and again.cache_warnings == []
    assert not any(path.exists() for path in stale)
    _assert_state_complete(store)
    pd.testing.assert_frame_equal(again.articles, first.articles)


def test_other_temporary_files_are_removed_only_when_old(tmp_path: Path) -> None:
    """The search index and the theme memberships are written beside the frames after the ingest, outside
    its lock: their temporary files are removed only when no writer can still be at work on them."""
    folder = _pages(tmp_path / "in", 1)
    cache = tmp_path / "cache"
    _run(folder, cache)
    store = _store(folder, cache)
    fresh = store.root / ".fts-abc123.tmp"
    old = store.root / ".themes-0123.parquet.def456.tmp"
    for path in (fresh, old):
        path.write_bytes(b"being written")
    long_ago = time.time() - 2 * core.storing.cache.STALE_SECONDS
    os.utime(old, (long_ago, long_ago))
    _run(folder, cache)
    assert fresh.exists() and not old.exists()


def test_the_temporary_file_of_a_running_writer_is_kept(tmp_path: Path) -> None:
    folder = _pages(tmp_path / "in", 2)
    cache = tmp_path / "cache"
    first = _run(folder, cache)
    store = _store(folder, cache)
    holder = _start(HOLDER, str(store.root), "1.5")
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "ready"
    started = time.monotonic()
    again = _run(folder, cache)  # waits for the holder's lock, then tidies the folder
    waited = time.monotonic() - started
    _, err = holder.communicate(timeout=60)
    assert holder.returncode == 0, err  # its temporary file was there until it finished
    assert waited > 0.7
    assert again.from_cache
    pd.testing.assert_frame_equal(again.articles, first.articles)


# -- readers that cannot write --------------------------------------------------------------------------


def _refuse_to_create(monkeypatch: pytest.MonkeyPatch, lock: Path, code: int = errno.EROFS) -> None:
    """Opening the lock file for writing fails, as on a read-only file system (tests run as root, so a
    read-only folder would not stop them)."""
    real_open = os.open

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path) == lock and flags & (os.O_RDWR | os.O_WRONLY | os.O_CREAT):
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)


def test_a_reader_that_cannot_create_the_lock_reads_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _pages(tmp_path / "in", 2)
    cache = tmp_path / "cache"
    first = _run(folder, cache)
    store = _store(folder, cache)
    lock = store.root.parent / f"{store.root.name}.lock"
    lock.unlink(missing_ok=True)
    _refuse_to_create(monkeypatch, lock)
    again = _run(folder, cache)
    assert again.from_cache and again.cache_warnings == []
    pd.testing.assert_frame_equal(again.articles, first.articles)
    assert not lock.exists()


def test_a_reader_without_write_access_waits_for_a_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock file exists but cannot be opened for writing: the reader takes a shared lock, so it waits
    for a writer and never reads a half-replaced generation."""
    folder = _pages(tmp_path / "in", 2)
    cache = tmp_path / "cache"
    first = _run(folder, cache)
    store = _store(folder, cache)
    lock = store.root.parent / f"{store.root.name}.lock"
    assert lock.is_file()
    holder = _start(HOLDER, str(store.root), "1.5")
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "ready"
    _refuse_to_create(monkeypatch, lock, errno.EACCES)
    started = time.monotonic()
    again = _run(folder, cache)
    waited = time.monotonic() - started
    holder.communicate(timeout=60)
    assert waited > 0.7
    assert again.from_cache and again.cache_warnings == []
    pd.testing.assert_frame_equal(again.articles, first.articles)


def test_a_reader_that_cannot_lock_does_not_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the lock the data is read and the cache left as it is, with one warning."""
    folder = _pages(tmp_path / "in", 2)
    cache = tmp_path / "cache"
    _run(folder, cache)
    store = _store(folder, cache)
    before = {p.name: p.read_bytes() for p in store.root.iterdir()}
    page = folder / "page_00.txt"
    page.write_text(page.read_text(encoding="utf-8").replace("Dave Yin", "D. Yin"), encoding="utf-8")
    _refuse_to_create(monkeypatch, store.root.parent / f"{store.root.name}.lock", errno.EACCES)
    corpus = _run(folder, cache)
    assert "D. Yin" in {a for authors in corpus.articles["authors"] for a in authors}
    assert len(corpus.cache_warnings) == 1 and "cache not written" in corpus.cache_warnings[0]
    assert "\n" not in corpus.cache_warnings[0]
    assert {p.name: p.read_bytes() for p in store.root.iterdir()} == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_cache_folder_is_read(tmp_path: Path) -> None:
    folder = _pages(tmp_path / "in", 2)
    cache = tmp_path / "cache"
    first = _run(folder, cache)
    store = _store(folder, cache)
    store.root.parent.joinpath(f"{store.root.name}.lock").unlink()
    for path in (store.root, cache):
        path.chmod(0o555)
    try:
        again = _run(folder, cache)
    finally:
        for path in (store.root, cache):
            path.chmod(0o755)
    assert again.from_cache and again.cache_warnings == []
    pd.testing.assert_frame_equal(again.articles, first.articles)


def test_caixin_ingest_into_a_cache_it_cannot_write_says_so_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``caixin ingest`` exists to write the cache: when its lock file cannot be opened for writing (a
    read-only folder) it says so in one line and stops with the input error code, before any page is read,
    and leaves the cache as it was."""
    import core.cli as cli

    folder = _pages(tmp_path / "in", 2)
    cache = tmp_path / "cache"
    assert cli.main(["ingest", str(folder), "--cache-dir", str(cache)]) == cli.EXIT_OK
    store = _store(folder, cache)
    before = {p.name: p.read_bytes() for p in store.root.iterdir()}
    capsys.readouterr()
    lock = store.root.parent / f"{store.root.name}.lock"
    _refuse_to_create(monkeypatch, lock, errno.EROFS)

    def no_open(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("pages read although the cache cannot be written")

    monkeypatch.setattr(cli, "open_collection", no_open)
    assert cli.main(["ingest", str(folder), "--cache-dir", str(cache)]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: lock file ") and str(lock) in err
    assert "not writable (Read-only file system)" in err and "nothing ingested" in err
    assert {p.name: p.read_bytes() for p in store.root.iterdir()} == before
