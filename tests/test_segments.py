"""The records in segments (``core.storing.segments``): an incremental ingest writes only the segments of
the files that changed and keeps the others' files as they are; a segment that is missing or damaged is
one warning and a rebuild; whatever the history, the result is a clean ingest's."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import Reporters
from core.storing import segments as segments_module
from core.storing.cache import CacheStore, cache_key
from core.storing.ingest import Corpus, ingest
from core.storing.segments import (
    name_starts,
    plan_segments,
    plan_segments_by_counts,
    segment_key,
    segment_numbers,
)
from tests.test_ingest_order import NAMES, _assert_same, pages, replay_edits, steps

NO_ALIASES = Reporters()
FILES = 30  # with segments of 3 files on average: about 10 segments
AUTHORS = ["Wang Jing", "Dave Yin", "Qing Ying", "Denise Jia", "Mo Yelin"]
WORDS = ["banks", "chips", "schools", "brokers", "bonds", "ports", "rail", "steel", "coal", "power"]


def _story(number: int) -> str:
    """A story of its own minute and words (no two merge)."""
    hour, minute = divmod(number, 60)
    lead = " ".join(f"{WORDS[(number + k) % 10]}{number}" for k in range(14))
    return "\n\n".join(
        [
            f"By {AUTHORS[number % 5]} / Apr {1 + hour % 28:02d}, 2020 0{1 + hour // 28}:{minute:02d} PM / Finance",
            f"Officials said {lead} would change next month.",
            "The measures take effect in stages, according to a statement on Monday.",
        ]
    )


def _write(folder: Path, index: int, *stories: int) -> None:
    path = folder / f"page_{index:03d}.txt"
    path.write_text("\n\n".join(_story(n) for n in stories) + "\n", encoding="utf-8")
    stat = path.stat()  # a later time than any before, whatever the clock's resolution
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000_000))


@pytest.fixture(autouse=True)
def small_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segments_module, "SEGMENT_FILES", 3)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    pages_folder = tmp_path / "in"
    pages_folder.mkdir()
    for index in range(FILES):
        _write(pages_folder, index, 2 * index, 2 * index + 1)
    return pages_folder


def _run(folder: Path, cache: Path | None) -> Corpus:
    return ingest([folder], cache_dir=cache, reporters=NO_ALIASES, workers=1, use_cache=cache is not None)


def _store(folder: Path, cache: Path) -> CacheStore:
    return CacheStore(cache / cache_key([os.fspath(folder)]))


def _segments(store: CacheStore) -> dict[str, int]:
    """The state's segments, each with the inode of its file (the same inode: the file was kept)."""
    state = store.load_state()
    assert state is not None
    files = {key: store.segment_path(key).stat().st_ino for key, _ in state["segments"]}
    on_disk = {path.name for path in store.root.glob("segment-*.parquet")}
    assert on_disk == {store.segment_path(key).name for key in files}, "only the state's segments are kept"
    return files


def _rename(folder: Path) -> None:
    (folder / "page_007.txt").rename(folder / "page_007b.txt")


EDITS: dict[str, Callable[[Path], None]] = {
    "changed": lambda folder: _write(folder, 12, 24, 25, 200),
    "added": lambda folder: _write(folder, 100, 201, 202),
    "removed": lambda folder: (folder / "page_020.txt").unlink(),
    "renamed": _rename,
}


def test_the_records_are_in_segments(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    corpus = _run(folder, cache)
    store = _store(folder, cache)
    state = store.load_state()
    assert state is not None
    assert len(state["segments"]) > 3  # 30 files in segments of about 3
    assert sum(rows for _, rows in state["segments"]) == state["rows"]["records"] == 2 * FILES
    assert not list(store.root.glob("records-*"))
    records = store.read_records(state)
    names = sorted(str(path) for path in folder.iterdir())
    assert records["_file"].tolist() == [name for name in names for _ in range(2)]  # in input order
    assert len(corpus.articles) == 2 * FILES


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_incremental_ingest_writes_only_the_changed_segments(folder: Path, tmp_path: Path, edit: str) -> None:
    cache = tmp_path / "cache"
    _run(folder, cache)
    store = _store(folder, cache)
    before = _segments(store)
    EDITS[edit](folder)

    corpus = _run(folder, cache)

    after = _segments(store)
    new, gone = set(after) - set(before), set(before) - set(after)
    # a rename leaves one segment and joins another, which its name may cut in two; a removed file that
    # was a segment alone leaves no new one
    assert len(new) <= (3 if edit == "renamed" else 1) and gone | new
    assert len(gone) <= 2
    kept = set(after) & set(before)
    assert len(kept) >= len(after) - len(new) and len(kept) >= len(before) - 2
    assert all(after[key] == before[key] for key in kept), "a kept segment's file is not written again"
    assert corpus.cache_warnings == []
    clean = _run(folder, None)
    _assert_same(corpus, clean)
    pd.testing.assert_frame_equal(_run(folder, cache).articles, clean.articles)


def _of_a_later_file(path: Path) -> None:
    """The first record of the segment said to be of the last input file (a file the state lists, so only
    the order tells)."""
    frame = pd.read_parquet(path)
    last = sorted(str(p) for p in path.parent.parent.parent.joinpath("in").iterdir())[-1]
    frame.assign(_file=[last, *frame["_file"].iloc[1:]]).to_parquet(path, index=False)


DAMAGES: dict[str, Callable[[Path], Any]] = {
    "missing": lambda path: path.unlink(),
    "garbage": lambda path: path.write_bytes(b"PAR1 garbage PAR1"),
    "cut": lambda path: path.write_bytes(path.read_bytes()[:-40]),
    "other-segment": lambda path: shutil.copy(next(p for p in path.parent.glob("segment-*") if p != path), path),
    "record-of-a-later-file": _of_a_later_file,
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_segment_is_one_warning_and_a_rebuild(folder: Path, tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache"
    _run(folder, cache)
    store = _store(folder, cache)
    state = store.load_state()
    assert state is not None
    first = store.segment_path(state["segments"][0][0])
    DAMAGES[damage](first)
    _write(folder, FILES - 1, 300)  # a file of the last segment changed: the others' records are read

    corpus = _run(folder, cache)

    assert not corpus.from_cache
    assert len(corpus.cache_warnings) == 1, corpus.cache_warnings
    warning = corpus.cache_warnings[0]
    # a copy of a later segment shows where the order breaks: at that later segment, or at the one after
    # the copy
    names = [path.name for path in store.segment_paths(state)] if damage == "other-segment" else [first.name]
    assert any(name in warning for name in names), warning
    assert warning.endswith("rebuilding") and "\n" not in warning
    _assert_same_frames(corpus, _run(folder, None))
    again = _run(folder, cache)
    assert again.from_cache and again.cache_warnings == []
    _segments(store)


def _assert_same_frames(corpus: Corpus, clean: Corpus) -> None:
    pd.testing.assert_frame_equal(corpus.articles, clean.articles)
    pd.testing.assert_frame_equal(corpus.listings, clean.listings)
    assert corpus.report.to_dict() == clean.report.to_dict()


def test_a_segment_starts_where_a_name_says_so() -> None:
    """The cut depends on the names, not on their positions: a file added before leaves it in place."""
    names = [f"/pages/page_{n:04d}.txt" for n in range(400)]
    numbers = segment_numbers(names)
    starts = {names[i] for i in range(1, len(names)) if numbers[i] != numbers[i - 1]}
    shifted = ["/pages/page_0000a.txt", *names]
    moved = segment_numbers(shifted)
    assert starts - {shifted[1]} <= {shifted[i] for i in range(1, len(shifted)) if moved[i] != moved[i - 1]}
    assert 400 / 3 / 2 < len(starts) < 400 / 3 * 2  # about one file in three starts one


def test_segments_need_the_records_in_input_order() -> None:
    files = pd.Series(["/b.txt", "/a.txt"], dtype="string")
    with pytest.raises(ValueError, match="input order"):
        with mock.patch.object(segments_module, "SEGMENT_FILES", 1):
            plan_segments(files, ["/a.txt", "/b.txt"], {}, "context")


# Two ingests per step, as tests/test_ingest_order.py; capped at 25 examples.
@settings(max_examples=min(settings.default.max_examples, 25))
@given(
    size=st.sampled_from([1, 2]),
    first=st.lists(st.tuples(st.sampled_from(NAMES), pages), min_size=1, max_size=4),
    history=st.lists(steps, min_size=1, max_size=6),
)
def test_incremental_ingests_over_segments_give_the_clean_frame(
    size: int, first: list[tuple[str, list[int]]], history: list[tuple[str, str, list[int]]]
) -> None:
    """tests/test_ingest_order.py's random edit sequences with a segment of every file (1) or of every
    two files on average (2), so that segments are kept, replaced, joined and cut."""
    with mock.patch.object(segments_module, "SEGMENT_FILES", size), _work() as work:
        folder, cache = replay_edits(work, first, history)
        _segments(_store(folder.root, cache))


@contextlib.contextmanager
def _work() -> Iterator[Path]:
    work = Path(tempfile.mkdtemp(prefix="segments-"))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.parametrize("most_slices", [256, 0])
def test_records_are_put_in_input_order_by_slices_or_by_rows(most_slices: int) -> None:
    """The kept records (without those of the changed file b) and the new ones (b again, and a new file
    d between a and c) come out by file in input order, each file's records in their order."""
    import core.storing.ingest as ingest_module

    old = pd.DataFrame({"_file": ["a", "a", "b", "c", "c", "e"], "line": [1, 2, 1, 1, 2, 1]})
    new = pd.DataFrame({"_file": ["b", "b", "d"], "line": [1, 2, 1]})
    kept = old["_file"].ne("b").to_numpy()
    pieces = [
        (old, np.arange(6, dtype=np.uint64), kept),
        (new, np.arange(10, 13, dtype=np.uint64), None),
    ]
    with mock.patch.object(ingest_module, "MOST_SLICES", most_slices):
        records, hashes = ingest_module._in_input_order(pieces, ["a", "b", "d", "c", "e"])
    assert list(zip(records["_file"], records["line"], strict=True)) == [
        ("a", 1), ("a", 2), ("b", 1), ("b", 2), ("d", 1), ("c", 1), ("c", 2), ("e", 1)
    ]
    assert hashes.tolist() == [0, 1, 10, 11, 12, 3, 4, 5]
    assert records.index.equals(pd.RangeIndex(8))


def _reference_key(files: list[tuple[str, str]], context: str) -> str:
    digest = hashlib.sha256(context.encode())
    for name, sha256 in files:
        digest.update(b"\0" + os.fsencode(name) + b"\0" + sha256.encode())
    return digest.hexdigest()[:24]


# names as a file system gives them: any text, and bytes that are not UTF-8 as lone surrogates
file_names = st.text(st.characters(blacklist_categories=("Cs",)) | st.sampled_from(["\udc80", "\udcff"]), max_size=6)


@given(
    files=st.lists(st.tuples(file_names, st.text(alphabet="0123456789abcdef", max_size=4))),
    context=st.text(max_size=5),
)
def test_a_segment_key_is_the_digest_of_each_file_in_turn(files: list[tuple[str, str]], context: str) -> None:
    assert segment_key(files, context) == _reference_key(files, context)


@given(
    plan=st.lists(st.tuples(st.booleans(), st.integers(0, 3), st.text(alphabet="ab", max_size=2)), max_size=30),
)
def test_segments_by_counts_are_the_runs_of_files_of_one_number(plan: list[tuple[bool, int, str]]) -> None:
    """Each segment: the files of one segment number, its rows their records', its key theirs; segments of
    no records left out. Given start flags or hashing the names, the same."""
    names = [f"/p/{index}.txt" for index in range(len(plan))]
    starts = np.array([start for start, _, _ in plan], dtype=bool)
    counts = [count for _, count, _ in plan]
    shas = {name: sha for name, (_, _, sha) in zip(names, plan, strict=True) if sha}
    numbers = segment_numbers(names, starts)
    want, start = [], 0
    for number in sorted(set(numbers.tolist())):
        members = [i for i in range(len(names)) if numbers[i] == number]
        rows = sum(counts[i] for i in members)
        if rows:
            key = _reference_key([(names[i], shas.get(names[i], "")) for i in members], "ctx")
            want.append((key, start, start + rows))
            start += rows
    got = plan_segments_by_counts(counts, names, shas, "ctx", starts)
    assert [(s.key, s.start, s.stop) for s in got] == want
    hashed = name_starts(names)
    assert plan_segments_by_counts(counts, names, shas, "ctx") == plan_segments_by_counts(counts, names, shas, "ctx", hashed)
