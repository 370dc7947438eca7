"""The search index of a re-read is updated from a copy begun while the ingest still runs, and the index it
replaces is removed in a thread: neither the copy nor the removal of a large index is waited for after the
ingest (``core.storing.search.EarlyCopy``, ``_remove_later``)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from test_incremental_index import _check, _edit_body

import core.storing.search as search
from core.storing.collection import open_collection
from core.storing.search import EarlyCopy


@pytest.fixture
def pages(many_pages_copy: Path) -> Path:
    return many_pages_copy


def _copies(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Each copy of a file that ``core.storing.search`` makes: (thread name, target name)."""
    made: list[tuple[str, str]] = []
    real = shutil.copyfile

    def recorded(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> object:
        made.append((threading.current_thread().name, Path(target).name))
        return real(source, target)

    monkeypatch.setattr(search.shutil, "copyfile", recorded)
    return made


def _settle() -> None:
    """Wait for the copy and removal threads."""
    for thread in threading.enumerate():
        if thread.name in ("caixin-index-copy", "caixin-index-remove"):
            thread.join(timeout=60)


def _temporary(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".fts-"))


def test_a_re_read_updates_the_index_from_the_copy_made_during_the_ingest(
    pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = open_collection([pages], cache_dir=cache)
    folder = first.corpus.cache_root
    (old_index,) = folder.glob("fts-*.sqlite")
    made = _copies(monkeypatch)
    assert _edit_body(sorted(pages.iterdir())[3])
    edited = open_collection([pages], cache_dir=cache)
    assert edited.index.how == "updated" and edited.index.inserted == 1
    # one copy, made by the early copy's thread while the ingest ran, none after it
    assert [thread for thread, _ in made] == ["caixin-index-copy"]
    assert edited.index.search("zyxwordedited")["article_id"].tolist() != []
    _check(edited)
    _settle()
    assert not old_index.exists()
    assert [p.name for p in folder.glob("fts-*.sqlite")] != [old_index.name]
    assert len(list(folder.glob("fts-*.sqlite"))) == 1
    assert _temporary(folder) == []  # the copy was moved into place, the old index removed
    # the first collection's index still answers from the file it opened (removed from the folder only)
    assert first.index.search("zyxwordedited").empty
    assert len(first.index.search("huawei")) > 0


def test_a_warm_start_copies_nothing(pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    open_collection([pages], cache_dir=cache)
    made = _copies(monkeypatch)
    again = open_collection([pages], cache_dir=cache)
    assert again.index.how == "reused" and again.corpus.from_cache
    _settle()
    assert made == [] and _temporary(again.corpus.cache_root) == []


def test_a_copy_that_is_not_needed_is_removed(pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page saved again with the same text makes a new generation but the same stories: the index is
    reused, and the copy begun for an update is removed."""
    cache = tmp_path / "cache"
    open_collection([pages], cache_dir=cache)
    made = _copies(monkeypatch)
    page = sorted(pages.iterdir())[2]
    page.write_text(page.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    again = open_collection([pages], cache_dir=cache)
    assert again.index.how == "reused"
    assert [thread for thread, _ in made] == ["caixin-index-copy"]
    _settle()
    assert _temporary(again.corpus.cache_root) == []


def test_a_copy_of_an_index_changed_since_is_not_used(tmp_path: Path) -> None:
    index = tmp_path / "fts-aaaa.sqlite"
    index.write_bytes(b"first version" * 1000)
    early = EarlyCopy(tmp_path)
    early.start()
    early.wait()
    assert early.path is not None and early.path.read_bytes() == index.read_bytes()
    index.write_bytes(b"second version" * 1000)  # written again after the copy
    target = tmp_path / ".fts-target.tmp"
    assert not early.take(index, target)
    assert not target.exists() and _temporary(tmp_path) == []


def test_a_copy_is_moved_into_place_when_its_index_is_unchanged(tmp_path: Path) -> None:
    index = tmp_path / "fts-aaaa.sqlite"
    data = np.random.default_rng(3).bytes(300_000)
    index.write_bytes(data)
    early = EarlyCopy(tmp_path)
    early.start()
    target = tmp_path / ".fts-target.tmp"
    assert early.take(index, target)
    assert target.read_bytes() == data
    assert _temporary(tmp_path) == [".fts-target.tmp"]
    assert not early.take(index, tmp_path / ".fts-again.tmp")  # taken once


def test_a_failed_copy_is_not_used_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = tmp_path / "fts-aaaa.sqlite"
    index.write_bytes(b"an index" * 1000)

    def failing(source: object, target: str | os.PathLike[str]) -> None:
        Path(target).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(search.shutil, "copyfile", failing)
    early = EarlyCopy(tmp_path)
    early.start()
    early.wait()
    assert not early.take(index, tmp_path / ".fts-target.tmp")
    assert _temporary(tmp_path) == []


def test_a_folder_without_an_index_starts_no_copy(tmp_path: Path) -> None:
    early = EarlyCopy(tmp_path)
    early.start()
    assert early.path is None and not early.take(tmp_path / "fts-none.sqlite", tmp_path / ".fts-t.tmp")
    early.drop()
    assert list(tmp_path.iterdir()) == []


def _held_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[EarlyCopy, threading.Event]:
    """An early copy of an index in ``tmp_path`` begun, its thread held until the event is set."""
    (tmp_path / "fts-aaaa.sqlite").write_bytes(b"an index" * 1000)
    release = threading.Event()
    real = shutil.copyfile

    def slow(source: str, target: str) -> object:
        release.wait(timeout=30)
        return real(source, target)

    monkeypatch.setattr(search.shutil, "copyfile", slow)
    early = EarlyCopy(tmp_path)
    early.start()
    return early, release


def test_a_dropped_copy_is_removed_when_its_thread_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    early, release = _held_copy(tmp_path, monkeypatch)
    early.drop()  # while the copy runs
    release.set()
    early.wait()
    assert _temporary(tmp_path) == []


def test_a_copy_of_another_index_is_dropped_without_waiting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    early, release = _held_copy(tmp_path, monkeypatch)
    newer = tmp_path / "fts-bbbb.sqlite"
    newer.write_bytes(b"a newer index" * 1000)
    assert not early.take(newer, tmp_path / ".fts-target.tmp")  # returns while the copy still runs
    assert not release.is_set()
    release.set()
    early.wait()
    assert _temporary(tmp_path) == []
