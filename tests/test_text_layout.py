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


@settings(max_examples=300)
@given(previous=layouts(), data=st.data())
def test_layout_after_puts_every_row_where_the_model_says(previous: TextLayout, data: st.DataObject) -> None:
    kept_or_new = st.one_of(st.just(-1), st.integers(0, previous.rows - 1))
    source = np.array(data.draw(st.lists(kept_or_new, min_size=1, max_size=30)), dtype=np.int64)
    most_runs = data.draw(st.sampled_from([1, 3, 64]))
    with mock.patch.object(text_module, "MOST_RUNS", most_runs):
        planned = layout_after(previous, source, "ffffffffffff")
    before = _places(previous)
    fresh = iter(range(len(source)))
    expected = [before[at] if at >= 0 else ("ffffffffffff", next(fresh)) for at in source.tolist()]
    # runs: a row continues the run of the row before when it is the next row of the same file
    runs = sum(1 for i, place in enumerate(expected) if i == 0 or place != (expected[i - 1][0], expected[i - 1][1] + 1))
    # pieces: a row continues the piece before when both are new, or both kept and next in the previous
    # generation (a piece is then cut where the previous runs are)
    s = source.tolist()
    pieces = sum(1 for i in range(len(s)) if i == 0 or not (s[i] == s[i - 1] + 1 >= 1 or s[i] < 0 > s[i - 1]))
    files = {name for name, _ in expected}
    held = sum(previous.files[name] for name in files if name != "ffffffffffff") + int((source < 0).sum())
    due = pieces > most_runs or runs > most_runs or held - len(source) > text_module.MOST_UNUSED * len(source)
    assert (planned is None) == due
    if planned is None:
        return
    layout, new_rows = planned
    assert _places(layout) == expected
    assert new_rows.tolist() == np.flatnonzero(source < 0).tolist()
    assert len(layout.runs) == runs
    assert layout.problem(len(source)) is None
    assert set(layout.files) == files and all(layout.files[n] == previous.files[n] for n in files - {"ffffffffffff"})


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
    # past ``MOST_RUNS`` the generation is written whole again and the earlier files go
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
