"""A generation's text kept as runs of rows of earlier text files (``core.storing.text.TextLayout``).

``layout_after`` is checked against a model that lists where every row is; an incremental ingest of a
generated collection writes only the new stories' text, reads back the frame a fresh ingest gives, keeps
the earlier files its runs use and removes the others; a state whose runs do not fit its files, or whose
earlier file is gone, rebuilds the generation; past ``MOST_RUNS`` the text is written whole again.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.storing.text as text_module
from bench.bench_scale import add_story
from bench.common import page_files
from bench.corpus import generate_corpus
from core.storing.cache import CacheStore, cache_key
from core.storing.ingest import ingest
from core.storing.text import TextLayout, layout_after


def _places(layout: TextLayout) -> list[tuple[str, int]]:
    """Where each row of ``layout`` is: (file's generation, row in it)."""
    return [(name, row) for name, start, stop in layout.runs for row in range(start, stop)]


@st.composite
def layouts(draw: st.DrawFn) -> TextLayout:
    """A layout of a few files, each row of them used at most once, in any order of runs."""
    files = {f"{index:012x}": draw(st.integers(1, 12)) for index in range(draw(st.integers(1, 3)))}
    pieces = [(name, start, start + 1) for name, rows in files.items() for start in range(rows)]
    chosen = draw(st.lists(st.sampled_from(pieces), unique=True, min_size=1))
    runs: list[tuple[str, int, int]] = []
    for name, start, stop in chosen:  # joined where they follow on, as ``layout_after`` writes them
        if runs and runs[-1][0] == name and runs[-1][2] == start:
            runs[-1] = (name, runs[-1][1], stop)
        else:
            runs.append((name, start, stop))
    used = {name for name, _, _ in runs}
    return TextLayout({name: rows for name, rows in files.items() if name in used}, tuple(runs))


NEW = "ffffffffffff"


@settings(max_examples=400)
@given(previous=layouts(), data=st.data())
def test_layout_after_puts_every_row_where_the_model_says(previous: TextLayout, data: st.DataObject) -> None:
    kept_or_new = st.one_of(st.just(-1), st.integers(0, previous.rows - 1))
    source = np.array(data.draw(st.lists(kept_or_new, min_size=1, max_size=30)), dtype=np.int64)
    most_runs = data.draw(st.sampled_from([1, 3, 4, 8, 64]))
    share = data.draw(st.sampled_from([0.0, 0.2, 0.5]))
    with mock.patch.object(text_module, "MOST_RUNS", most_runs), mock.patch.object(text_module, "MOST_REWRITTEN", share):
        planned = layout_after(previous, source, NEW)
    before = _places(previous)

    def model(new_rows: set[int]) -> list[tuple[str, int]]:
        fresh = iter(range(len(source)))
        return [before[at] if i not in new_rows else (NEW, next(fresh)) for i, at in enumerate(source.tolist())]

    def held(places: list[tuple[str, int]]) -> int:
        files = {name for name, _ in places}
        return sum(previous.files[name] for name in files if name != NEW) + sum(name == NEW for name, _ in places)

    new_rows = set(np.flatnonzero(source < 0).tolist())
    expected = model(new_rows)
    # runs: a row continues the run of the row before when it is the next row of the same file
    runs = sum(1 for i, place in enumerate(expected) if i == 0 or place != (expected[i - 1][0], expected[i - 1][1] + 1))
    unused = held(expected) - len(source) > text_module.MOST_UNUSED * len(source)
    if runs <= most_runs:
        # within ``MOST_RUNS``: only the new rows are written, each other row stays where it was; or, when
        # the files would hold too many unused rows, the generation is written whole
        assert (planned is None) == unused
        if planned is None:
            return
        layout, written = planned
        assert written.tolist() == sorted(new_rows)
        assert _places(layout) == expected and len(layout.runs) == runs
        assert layout.problem(len(source)) is None
        return
    if planned is None:
        return
    # past the limits and not written whole: the rows of some earlier runs are written again too, within
    # ``MOST_REWRITTEN``, down to a quarter below ``MOST_RUNS``; every other row stays where it was
    layout, written = planned
    rewritten = set(written.tolist())
    assert new_rows <= rewritten and written.tolist() == sorted(rewritten)
    assert len(rewritten - new_rows) <= int(share * len(source))
    places = model(rewritten)
    assert _places(layout) == places
    assert len(layout.runs) <= most_runs - max(1, most_runs // 4)
    assert layout.problem(len(source)) is None
    assert held(places) - len(source) <= text_module.MOST_UNUSED * len(source)
    assert set(layout.files) == {name for name, _ in places}
    assert all(layout.files[n] == previous.files[n] for n in layout.files if n != NEW)


def _feed(files: int, base: int) -> TextLayout:
    """A live feed's layout: one story of each of ``files`` earlier files at the top, then a base file."""
    names = [f"{index:012x}" for index in range(files)]
    return TextLayout(
        {**dict.fromkeys(names, 1), "bbbbbbbbbbbb": base},
        (*((name, 0, 1) for name in names), ("bbbbbbbbbbbb", 0, base)),
    )


def test_past_most_runs_a_live_feeds_new_stories_are_written_again_not_the_base() -> None:
    previous = _feed(70, 2_000)  # 71 runs: more than ``MOST_RUNS`` (64) with one story more
    source = np.r_[-1, np.arange(previous.rows)]
    planned = layout_after(previous, source, NEW)
    assert planned is not None
    layout, written = planned
    assert written.tolist() == list(range(71))  # the new story and the 70 of earlier files, not the base
    assert layout.runs == ((NEW, 0, 71), ("bbbbbbbbbbbb", 0, 2_000))
    assert layout.files == {NEW: 71, "bbbbbbbbbbbb": 2_000}
    # within ``MOST_RUNS`` nothing else is written
    assert layout_after(_feed(10, 2_000), np.r_[-1, np.arange(2_010)], NEW)[1].tolist() == [0]  # type: ignore[index]


def test_runs_that_cannot_be_joined_cheaply_are_written_whole() -> None:
    # 200 runs of one row, taken from two files in turn: joining them means writing every row again
    files = {"aaaaaaaaaaaa": 100, "bbbbbbbbbbbb": 100}
    runs = tuple((name, row, row + 1) for row in range(100) for name in files)
    previous = TextLayout(files, runs)
    assert layout_after(previous, np.arange(200), NEW) is None


def test_a_layout_that_does_not_fit_says_so() -> None:
    layout = TextLayout({"aaaaaaaaaaaa": 5, "bbbbbbbbbbbb": 2}, (("aaaaaaaaaaaa", 0, 3), ("bbbbbbbbbbbb", 0, 2)))
    assert layout.problem(5) is None
    assert layout.problem(4) == "its runs hold 5 rows, not 4"
    assert "not within" in str(TextLayout({"aaaaaaaaaaaa": 2}, (("aaaaaaaaaaaa", 1, 3),)).problem(2))
    assert "does not list" in str(TextLayout({"aaaaaaaaaaaa": 3}, (("bbbbbbbbbbbb", 0, 3),)).problem(3))
    assert "no run uses" in str(TextLayout({"aaaaaaaaaaaa": 3, "cccccccccccc": 1}, (("aaaaaaaaaaaa", 0, 3),)).problem(3))
    assert TextLayout.of_state({"generation": "aaaaaaaaaaaa", "rows": {"articles": 4}}) == TextLayout.whole("aaaaaaaaaaaa", 4)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pages")
    generate_corpus(folder, stories=400, seed=5)
    return folder


def _state(store: CacheStore) -> dict[str, object]:
    return json.loads((store.root / "state.json").read_text())


def _text_files(store: CacheStore) -> set[str]:
    return {path.name for path in store.root.glob("text-*.arrow")}


def test_an_incremental_ingest_writes_only_the_new_stories_text(corpus: Path, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(corpus, pages)
    cache = tmp_path / "cache"
    first = ingest([pages], cache_dir=cache, workers=1)
    store = CacheStore(cache / cache_key([str(pages)]))
    first_generation = _state(store)["generation"]
    files = page_files(pages)
    for number, page in enumerate((files[len(files) // 2], files[0]), start=1):
        add_story(page, number)
        again = ingest([pages], cache_dir=cache, workers=1)
        assert again.cache_warnings == []
        state = _state(store)
        layout = TextLayout.of_state(state)
        assert "text" in state and first_generation in layout.files  # the first file's rows are still read
        assert layout.files.get(str(state["generation"]), 0) < len(first.articles) // 10
        assert _text_files(store) == {f"text-{name}.arrow" for name in layout.files}
        fresh = ingest([pages], cache_dir=tmp_path / f"fresh-{number}", workers=1)
        pd.testing.assert_frame_equal(again.articles, fresh.articles)
        assert again.hashes is not None and np.array_equal(again.hashes, fresh.hashes)
        warm = ingest([pages], cache_dir=cache, workers=1)  # a new start reads the runs
        assert warm.from_cache and warm.cache_warnings == []
        pd.testing.assert_frame_equal(warm.articles, fresh.articles)
        assert warm.hashes is not None and np.array_equal(warm.hashes, fresh.hashes)
    # a text file no run uses (one a killed writer left) goes at the next ingest; the used ones stay
    stray = store.root / "text-0123456789ab.arrow"
    shutil.copy(store.text_path(str(first_generation)), stray)
    store.tidy(store.load_state())
    assert not stray.exists() and store.text_path(str(first_generation)).exists()
    # past ``MOST_RUNS`` the shortest runs are written again, when that is enough: the first file stays
    runs = len(TextLayout.of_state(_state(store)).runs)
    assert runs >= 3
    with mock.patch.object(text_module, "MOST_RUNS", runs - 1), mock.patch.object(text_module, "MOST_REWRITTEN", 0.5):
        add_story(files[0], 4)
        joined = ingest([pages], cache_dir=cache, workers=1)
    state = _state(store)
    layout = TextLayout.of_state(state)
    assert "text" in state and first_generation in layout.files and len(layout.runs) < runs - 1
    assert layout.files[str(state["generation"])] > 1  # more than the one new story
    assert _text_files(store) == {f"text-{name}.arrow" for name in layout.files}
    pd.testing.assert_frame_equal(joined.articles, ingest([pages], cache_dir=tmp_path / "fresh-4", workers=1).articles)
    warm = ingest([pages], cache_dir=cache, workers=1)
    assert warm.from_cache and warm.cache_warnings == []
    pd.testing.assert_frame_equal(warm.articles, joined.articles)
    # past ``MOST_RUNS`` with no rewriting that is enough, the generation is written whole again and the
    # earlier files go
    with mock.patch.object(text_module, "MOST_RUNS", 1):
        add_story(files[-1], 3)
        whole = ingest([pages], cache_dir=cache, workers=1)
    state = _state(store)
    assert "text" not in state and _text_files(store) == {f"text-{state['generation']}.arrow"}
    pd.testing.assert_frame_equal(whole.articles, ingest([pages], cache_dir=tmp_path / "fresh-3", workers=1).articles)


@pytest.mark.parametrize("damage", ["earlier-file-missing", "run-past-its-file", "rows", "unknown-file"])
def test_text_runs_that_do_not_fit_rebuild_the_generation(corpus: Path, tmp_path: Path, damage: str) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(corpus, pages)
    cache = tmp_path / "cache"
    ingest([pages], cache_dir=cache, workers=1)
    add_story(page_files(pages)[3], 1)
    changed = ingest([pages], cache_dir=cache, workers=1)
    store = CacheStore(cache / cache_key([str(pages)]))
    state = _state(store)
    text = state["text"]
    assert isinstance(text, dict)
    earlier = next(name for name in text["files"] if name != state["generation"])
    if damage == "earlier-file-missing":
        store.text_path(earlier).unlink()
    else:
        if damage == "run-past-its-file":
            text["runs"][0][2] = text["files"][text["runs"][0][0]] + 1
        elif damage == "rows":
            text["runs"] = text["runs"][1:]
        else:
            text["files"]["0123456789ab"] = 3
        (store.root / "state.json").write_text(json.dumps(state))
    again = ingest([pages], cache_dir=cache, workers=1)
    assert not again.from_cache
    assert len(again.cache_warnings) == 1 and "rebuilding" in again.cache_warnings[0]
    assert "\n" not in again.cache_warnings[0]
    if damage == "earlier-file-missing":
        assert f"text-{earlier}.arrow" in again.cache_warnings[0]
    else:
        assert "state['text']" in again.cache_warnings[0]
    pd.testing.assert_frame_equal(again.articles, changed.articles)
