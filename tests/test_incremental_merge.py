"""An ingest after a few files changed merges only the stories they touch (``core.storing.remerge``), and
gives what merging every record gives.

Generated collections (stories of a few minutes, full, teaser and cut copies, name-order variants of the
authors and an alias, LATEST headline lists the catalog matches) go through random edit sequences: a
story added, its body edited, removed, copied into another file, a cut copy added to another file at the
story's minute, an author renamed (which can change the name-order merges), a file written, deleted or
touched. After each edit the incremental ingest through the cache must give what an ingest into a fresh
cache gives: every column of the stories, the listing entries, the headline lines, the report (merged
copies, reporter merges), the content hashes, the records' body hashes and the merge memo it leaves.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import test_ingest_order
import test_rematch
from hypothesis import given, settings
from hypothesis import strategies as st

import core.storing.frame as frame_module
import core.storing.ingest as ingest_module
import core.storing.segments as segments_module
import core.storing.text as text_module
from core.config import Reporters
from core.parsing.report import CorpusReport
from core.storing.cache import CacheStore, cache_key
from core.storing.ingest import Corpus, ingest
from core.storing.remerge import MergeMemo
from core.storing.segments import name_starts

REPORTERS = Reporters(aliases={"J. Wang": "Wang Jing"}, fingerprint="aliases for test_incremental_merge")
AUTHORS = ["Wang Jing", "Jing Wang", "J. Wang", "Dave Yin", "Yin Dave", "Qing Ying"]
MINUTES = ["39", "40", "41"]
NAMES = ["a.txt", "b.txt", "c.txt", "sub/d.txt"]
KINDS = ["full", "teaser", "cut"]

Story = tuple[int, int, int, int]  # lead, author, minute, kind
Page = tuple[list[Story], list[int]]  # stories, LATEST headlines

stories = st.tuples(
    st.integers(0, len(test_rematch.LEADS) - 1),
    st.integers(0, len(AUTHORS) - 1),
    st.integers(0, len(MINUTES) - 1),
    st.integers(0, len(KINDS) - 1),
)
# a headline list has three lines or more (fewer are not one)
headline_lists = st.one_of(st.just([]), st.lists(st.integers(0, len(test_rematch.HEADLINES) - 1), min_size=3, max_size=4))
pages = st.tuples(st.lists(stories, max_size=4), headline_lists)
ACTIONS = ["write", "delete", "touch", "add", "edit", "remove", "copy", "cut", "rename"]
steps = st.tuples(
    st.sampled_from(ACTIONS), st.sampled_from(NAMES), st.sampled_from(NAMES), st.integers(0, 7), stories, pages
)
Step = tuple[str, str, str, int, Story, Page]


def _text(page: Page) -> str:
    parts = ["Caixin Global – Latest China News & Headlines"]
    if page[1]:
        parts.append("\n".join(["LATEST", *(test_rematch.HEADLINES[h] for h in page[1])]))
    for lead, author, minute, kind in page[0]:
        parts.append(
            test_ingest_order._story(
                AUTHORS[author], MINUTES[minute], test_rematch.LEADS[lead], teaser=kind == 1, cut=kind == 2
            )
        )
    return "\n\n".join(parts) + "\n"


class Pages:
    """The page files, their content as (stories, headlines), and a clock that only moves forward."""

    def __init__(self, root: Path) -> None:
        self.folder = test_ingest_order.Folder(root)
        self.pages: dict[str, Page] = {}

    def write(self, name: str, page: Page) -> None:
        self.pages[name] = page
        path = self.folder.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_text(page), encoding="utf-8")
        self.folder.tick(path)

    def apply(self, step: Step) -> None:
        """One edit; one that does not apply (a story of an empty page) writes the page unchanged."""
        action, name, other, index, story, page = step
        if action == "write":
            self.write(name, page)
            return
        if action in ("delete", "touch"):
            self.folder.apply(action, name, [])
            if action == "delete":
                self.pages.pop(name, None)
            return
        items, headlines = self.pages.get(name, ([], []))
        items = list(items)
        if action == "add":
            items.insert(index % (len(items) + 1), story)
        elif items:
            index %= len(items)
            lead, author, minute, kind = items[index]
            if action == "edit":
                items[index] = (story[0], author, minute, kind)
            elif action == "remove":
                del items[index]
            elif action == "rename":
                items[index] = (lead, story[1], minute, kind)
            else:  # a copy (full, or cut: the same opening) of the story, at its minute, in another file
                copies = list(self.pages.get(other, ([], []))[0])
                copies.insert(story[3] % (len(copies) + 1), (lead, author, minute, 2 if action == "cut" else kind))
                self.write(other, (copies, list(self.pages.get(other, ([], []))[1])))
        self.write(name, (items, headlines))


def _ingest(folder: Path, cache: Path) -> Corpus:
    return ingest([folder], cache_dir=cache, reporters=REPORTERS, workers=1)


def _merge_memo(corpus: Corpus, folder: Path, cache: Path) -> MergeMemo | None:
    store = CacheStore(cache / cache_key([os.fspath(folder)]))
    state = store.load_state()
    assert state is not None and corpus.generation == state["generation"]
    arrays = store.read_merge(str(state["generation"]))
    assert arrays is not None
    rows = state["rows"]
    memo = MergeMemo.from_arrays(arrays, int(rows["records"]), len(state["files"]), int(rows["articles"]))
    # each file's segment start, carried over or hashed: what its name gives
    assert memo is not None and memo.file_starts is not None
    assert np.array_equal(memo.file_starts, name_starts(list(state["files"])))
    return memo


def _bodies(corpus: Corpus, folder: Path, cache: Path) -> np.ndarray | None:
    store = CacheStore(cache / cache_key([os.fspath(folder)]))
    state = store.load_state()
    assert state is not None
    return store.read_bodies(str(state["generation"]), int(state["rows"]["records"]))


def assert_same_ingest(folder: Path, incremental: Corpus, cache: Path, clean: Corpus, clean_cache: Path) -> None:
    """Everything an ingest returns and leaves in its cache, the same through both caches."""
    # the page reports of the files not read again are made when first read; the sums the report gives
    # before that are those of its pages
    accounting, errors = incremental.report.line_accounting(), incremental.report.errors
    count = incremental.report.page_count
    assert not incremental.report.loaded
    eager = CorpusReport(pages=list(incremental.report.pages))
    assert accounting == eager.line_accounting() and errors == eager.errors
    assert count == eager.page_count == len(incremental.report.pages)
    test_ingest_order._assert_same(incremental, clean)
    pd.testing.assert_frame_equal(incremental.headlines, clean.headlines)
    assert incremental.report.duplicates_merged == clean.report.duplicates_merged
    assert incremental.report.reporter_merges == clean.report.reporter_merges
    assert incremental.hashes is not None and clean.hashes is not None
    assert np.array_equal(incremental.hashes, clean.hashes)
    assert np.array_equal(_bodies(incremental, folder, cache), _bodies(clean, folder, clean_cache))  # type: ignore[arg-type]
    ours, theirs = _merge_memo(incremental, folder, cache), _merge_memo(clean, folder, clean_cache)
    assert ours is not None and theirs is not None
    for name, value in theirs.arrays().items():
        if not name.startswith(("authors_", "contacts_")):  # counters: equal as counters, in any order
            np.testing.assert_array_equal(ours.arrays()[name], value, err_msg=name)
    assert ours.authors == theirs.authors and ours.contacts == theirs.contacts
    # the stored sums of the reports: moved by the changed files' reports, or summed over all of them
    assert _stored_summary(folder, cache) == _stored_summary(folder, clean_cache)
    # what a warm start reads back: through the incremental cache, the text of runs of earlier files
    ours_read, ours_hashes = _read_back(folder, cache)
    theirs_read, theirs_hashes = _read_back(folder, clean_cache)
    pd.testing.assert_frame_equal(ours_read, theirs_read)
    assert ours_hashes is not None and theirs_hashes is not None
    assert np.array_equal(ours_hashes, theirs_hashes)


def _stored_summary(folder: Path, cache: Path) -> dict[str, Any]:
    state = CacheStore(cache / cache_key([os.fspath(folder)])).load_state()
    assert state is not None
    return {**state["summary"], "errors": list(state["summary"]["errors"].items())}  # in their order too


def _read_back(folder: Path, cache: Path) -> tuple[pd.DataFrame, np.ndarray | None]:
    store = CacheStore(cache / cache_key([os.fspath(folder)]))
    state = store.load_state()
    assert state is not None
    return store.read_articles(state)


def _text_runs(folder: Path, cache: Path) -> bool:
    """Whether the cache's generation keeps its text as runs of earlier files (``TextLayout``)."""
    store = CacheStore(cache / cache_key([os.fspath(folder)]))
    state = store.load_state()
    return state is not None and "text" in state


@contextmanager
def counting_merges() -> Iterator[dict[str, int]]:
    """Counts how many ingests merged only the touched stories ("incremental") and how many every record."""
    counts = {"incremental": 0, "full": 0}
    incremental, full = ingest_module._incremental_merge, ingest_module._reporters_and_counts

    def counted_incremental(*args: Any, **kwargs: Any) -> Any:
        result = incremental(*args, **kwargs)
        counts["incremental"] += result is not None
        return result

    def counted_full(*args: Any, **kwargs: Any) -> Any:
        counts["full"] += 1
        return full(*args, **kwargs)

    ingest_module._incremental_merge = counted_incremental  # type: ignore[assignment]
    ingest_module._reporters_and_counts = counted_full  # type: ignore[assignment]
    try:
        yield counts
    finally:
        ingest_module._incremental_merge = incremental  # type: ignore[assignment]
        ingest_module._reporters_and_counts = full  # type: ignore[assignment]


def replay(work: Path, first: list[tuple[str, Page]], history: list[Step]) -> dict[str, int]:
    """Write ``first``, ingest it, then after each step of ``history`` compare the incremental ingest with
    an ingest into a fresh cache; returns how many ingests merged incrementally and in full, and how many
    generations kept their text as runs of earlier files ("text runs")."""
    pages = Pages(work / "in")
    pages.folder.root.mkdir()
    for name, page in first:
        pages.write(name, page)
    cache = work / "cache"
    runs = 0  # generations that kept their text as runs of earlier files
    with counting_merges() as counts:
        _ingest(pages.folder.root, cache)
        for number, step in enumerate(history):
            pages.apply(step)
            incremental = _ingest(pages.folder.root, cache)
            runs += _text_runs(pages.folder.root, cache)
            clean_cache = work / f"clean-{number}"
            clean = _ingest(pages.folder.root, clean_cache)
            assert_same_ingest(pages.folder.root, incremental, cache, clean, clean_cache)
            shutil.rmtree(clean_cache)
    return {**counts, "text runs": runs}


# Each example runs three ingests per step: capped at 30 examples. One segment per file (as if each file
# were some 256): the touched stories are then in other segments than the changed file's, which the
# incremental merge must find and read.
@settings(max_examples=min(settings.default.max_examples, 30))
@given(
    first=st.lists(st.tuples(st.sampled_from(NAMES), pages), min_size=1, max_size=4),
    history=st.lists(steps, min_size=1, max_size=6),
    files_a_segment=st.sampled_from([1, 256]),
    most_unused=st.sampled_from([text_module.MOST_UNUSED, 1e9]),
)
def test_incremental_merges_give_the_full_merge(
    first: list[tuple[str, Page]], history: list[Step], files_a_segment: int, most_unused: float
) -> None:
    work = Path(tempfile.mkdtemp(prefix="remerge-"))
    try:
        with (
            mock.patch.object(segments_module, "SEGMENT_FILES", files_a_segment),
            mock.patch.object(text_module, "MOST_UNUSED", most_unused),
        ):
            replay(work, first, history)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# A fixed history through every kind of edit: most ingests merge incrementally, some (a rename that moves
# the name-order merges) in full.
HISTORY: list[Step] = [
    ("add", "a.txt", "a.txt", 0, (1, 3, 1, 0), ([], [])),
    ("copy", "a.txt", "b.txt", 0, (0, 0, 0, 0), ([], [])),
    ("cut", "b.txt", "c.txt", 1, (0, 0, 0, 0), ([], [])),
    ("edit", "a.txt", "a.txt", 1, (5, 0, 0, 0), ([], [])),
    ("rename", "c.txt", "c.txt", 0, (0, 1, 0, 0), ([], [])),
    ("rename", "a.txt", "a.txt", 0, (0, 1, 0, 0), ([], [])),
    ("rename", "b.txt", "b.txt", 0, (0, 1, 0, 0), ([], [])),
    ("remove", "a.txt", "a.txt", 0, (0, 0, 0, 0), ([], [])),
    ("write", "sub/d.txt", "a.txt", 0, (0, 0, 0, 0), ([(2, 2, 1, 0), (2, 5, 1, 2), (4, 4, 2, 1)], [2, 4, 5])),
    ("touch", "b.txt", "b.txt", 0, (0, 0, 0, 0), ([], [])),
    ("delete", "c.txt", "c.txt", 0, (0, 0, 0, 0), ([], [])),
    ("write", "c.txt", "c.txt", 0, (0, 0, 0, 0), ([(3, 2, 2, 0), (0, 2, 0, 2)], [0, 3, 5])),
    # headline lists alone: the catalog changes kept stories' headlines (and their content hashes), then
    # gives them back their inferred ones
    ("write", "sub/d.txt", "a.txt", 0, (0, 0, 0, 0), ([], [4, 1, 2])),
    ("write", "sub/d.txt", "a.txt", 0, (0, 0, 0, 0), ([], [])),
    # a cut copy alone, then the full story at its minute in another file: the cut copy joins it
    ("write", "a.txt", "a.txt", 0, (0, 0, 0, 0), ([(4, 5, 1, 2)], [])),
    ("write", "sub/d.txt", "a.txt", 0, (0, 0, 0, 0), ([(4, 5, 1, 0)], [])),
]
FIRST: list[tuple[str, Page]] = [
    ("a.txt", ([(0, 0, 0, 0), (1, 3, 1, 1), (2, 5, 1, 0)], [0, 1, 3])),
    ("b.txt", ([(3, 1, 2, 0), (4, 4, 0, 0)], [])),
    ("c.txt", ([(5, 0, 1, 0)], [])),
]


# most_slices 0: the stories and the records are taken row by row instead of joined as slices. A text
# file's unused rows are allowed without bound in the last case, so that generations keep their text as
# runs of ever more earlier files (with the usual bound, six stories soon leave half a file unused).
@pytest.mark.parametrize(
    ("files_a_segment", "most_slices", "most_unused"),
    [(1, 256, text_module.MOST_UNUSED), (256, 256, text_module.MOST_UNUSED), (1, 0, text_module.MOST_UNUSED), (1, 256, 1e9)],
)
def test_every_kind_of_edit_merges_incrementally_and_equals_the_full_merge(
    tmp_path: Path, files_a_segment: int, most_slices: int, most_unused: float
) -> None:
    with (
        mock.patch.object(segments_module, "SEGMENT_FILES", files_a_segment),
        mock.patch.object(ingest_module, "MOST_SLICES", most_slices),  # the records put in input order
        mock.patch.object(frame_module, "MOST_SLICES", most_slices),  # the stories joined (rows_of_two)
        mock.patch.object(text_module, "MOST_UNUSED", most_unused),
    ):
        counts = replay(tmp_path, FIRST, HISTORY)
    # the fresh caches merge in full, once a step; the first ingest too; the incremental cache mostly not
    assert counts["incremental"] >= len(HISTORY) - 4
    assert counts["full"] <= len(HISTORY) + 1 + 4
    if most_unused > 1:
        assert counts["text runs"] >= len(HISTORY) // 2  # most generations wrote only their new text


def test_the_switch_and_a_missing_memo_merge_every_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = Pages(tmp_path / "in")
    pages.folder.root.mkdir()
    for name, page in FIRST:
        pages.write(name, page)
    cache = tmp_path / "cache"
    _ingest(pages.folder.root, cache)
    with counting_merges() as counts:
        monkeypatch.setenv("CAIXIN_INCREMENTAL_MERGE", "0")
        pages.apply(HISTORY[0])
        off = _ingest(pages.folder.root, cache)
        assert counts == {"incremental": 0, "full": 1}
        monkeypatch.delenv("CAIXIN_INCREMENTAL_MERGE")
        for memo in cache.rglob("merge-*.npz"):
            memo.write_bytes(b"not a memo")
        pages.apply(HISTORY[1])
        damaged = _ingest(pages.folder.root, cache)
        assert counts == {"incremental": 0, "full": 2}
        assert off.cache_warnings == damaged.cache_warnings == []
        pages.apply(HISTORY[2])
        _ingest(pages.folder.root, cache)
        assert counts == {"incremental": 1, "full": 2}


def test_a_memo_without_segment_starts_is_used_and_completed(tmp_path: Path) -> None:
    """A merge memo written before the files' segment starts were kept: the incremental merge hashes the
    names, gives the full merge's result, and its memo has them."""
    pages = Pages(tmp_path / "in")
    pages.folder.root.mkdir()
    for name, page in FIRST:
        pages.write(name, page)
    cache = tmp_path / "cache"
    with mock.patch.object(segments_module, "SEGMENT_FILES", 1):
        _ingest(pages.folder.root, cache)
        for path in cache.rglob("merge-*.npz"):
            with np.load(path) as opened:
                arrays = {name: opened[name] for name in opened.files if name != "file_starts"}
            assert len(arrays) < len(opened.files)
            with path.open("wb") as handle:
                np.savez(handle, **arrays)
        pages.apply(HISTORY[0])
        with counting_merges() as counts:
            incremental = _ingest(pages.folder.root, cache)
        assert counts == {"incremental": 1, "full": 0}
        clean = _ingest(pages.folder.root, tmp_path / "clean")
        assert_same_ingest(pages.folder.root, incremental, cache, clean, tmp_path / "clean")


@given(data=st.data())
def test_rows_now_looks_up_the_stories_merged_again_among_the_touched_rows(data: st.DataObject) -> None:
    """``_rows_now`` given the touched rows gives what it gives looking among every previous id."""
    old = data.draw(st.lists(st.text(alphabet="abcd", min_size=1, max_size=3), unique=True, max_size=20))
    touched = np.array(sorted(data.draw(st.sets(st.integers(0, max(len(old) - 1, 0)), max_size=len(old)))) if old else [], dtype=np.int64)
    untouched = np.setdiff1d(np.arange(len(old)), touched)
    # the stories merged again: some of the touched ones' ids (a story kept its id), some new ones
    again = [old[i] for i in touched.tolist() if data.draw(st.booleans())] + data.draw(
        st.lists(st.text(alphabet="efg", min_size=1, max_size=2), unique=True, max_size=4)
    )
    source = np.r_[untouched, -np.arange(1, len(again) + 1)]
    order = np.array(data.draw(st.permutations(range(len(source)))), dtype=np.int64)
    source = source[order]
    ids = pd.Series([old[s] if s >= 0 else again[-s - 1] for s in source.tolist()], dtype="str")
    kept_from = np.where(source >= 0, source, -1)
    old_ids = pd.Series(old, dtype="str")
    want = ingest_module._rows_now(kept_from, ids, old_ids)
    got = ingest_module._rows_now(kept_from, ids, old_ids, touched)
    assert got.tolist() == want.tolist()
    assert [ids[r] if r >= 0 else None for r in got.tolist()] == [o if o in set(ids) else None for o in old]
