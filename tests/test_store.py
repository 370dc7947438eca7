"""The store's interface (``core.storing.store``): what the dashboard, the CLI and the analytics use."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.corpus import generate_corpus
from core.model import COLUMNS
from core.storing.collection import COMPACT_COLUMNS, Filters, select
from core.storing.store import Store, open_store, update_store
from core.storing.text import MAPPED_COLUMNS, TEXT_COLUMNS


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pages")
    generate_corpus(folder, stories=400, seed=5)
    return folder


def test_a_collection_is_a_store_and_its_parts_agree_with_the_whole_frame(
    pages: Path, tmp_path: Path
) -> None:
    store = open_store([pages], cache_dir=tmp_path)
    assert isinstance(store, Store)
    whole = store.articles
    compact = store.columns()
    assert list(compact.columns) == list(COMPACT_COLUMNS)
    assert not set(TEXT_COLUMNS) & set(compact.columns)
    assert not set(MAPPED_COLUMNS) & set(compact.columns)  # a selection's copy reads none from disk
    pd.testing.assert_frame_equal(compact, whole[list(COMPACT_COLUMNS)])
    assert list(store.columns(["headline"]).columns) == ["headline"]

    rows = np.array([7, 0, len(whole) - 1])
    pd.testing.assert_frame_equal(store.text(rows), whole[list(TEXT_COLUMNS)].iloc[rows])
    pd.testing.assert_frame_equal(store.rows(rows), whole.iloc[rows])
    assert list(store.rows(rows).columns) == list(COLUMNS)

    filters = Filters(q="bank*")
    mask = store.select(filters)
    assert np.array_equal(mask, select(store, filters)) and 0 < mask.sum() < len(whole)
    batches = list(store.batches(mask, size=7))
    assert [len(b) for b in batches[:-1]] == [7] * (len(batches) - 1) and 0 < len(batches[-1]) <= 7
    pd.testing.assert_frame_equal(pd.concat(batches), whole[mask])


def test_update_store_reads_only_what_changed(pages: Path, tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    shutil.copytree(pages, folder)
    cache = tmp_path / "cache"
    first = open_store([folder], cache_dir=cache)
    page = sorted(folder.iterdir())[0]
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("By ", "By Wang Xiaoming and ", 1), encoding="utf-8")
    second = update_store(first)
    assert second.corpus.cache_root == first.corpus.cache_root
    assert second.index.how == "updated"
    assert 0 < second.index.inserted < len(second.articles) / 10
    fresh = open_store([folder], use_cache=False)
    pd.testing.assert_frame_equal(second.articles, fresh.articles)
    pd.testing.assert_frame_equal(second.memberships, fresh.memberships)


def test_a_view_of_every_story_counts_on_the_collection_s_columns_without_a_copy(pages: Path, tmp_path: Path) -> None:
    dashboard = str(Path(__file__).resolve().parents[1] / "dashboard")
    if dashboard not in sys.path:
        sys.path.insert(0, dashboard)
    from components.view import View  # the module the app imports (same sys.path)

    store = open_store([pages], cache_dir=tmp_path)
    everything = View(store, Filters(), np.ones(len(store.articles), dtype=bool))
    columns = store.columns()
    assert everything.frame is columns
    some = store.select(Filters(q="bank*"))
    part = View(store, Filters(q="bank*"), some)
    pd.testing.assert_frame_equal(part.frame, columns[some])
    assert list(part.frame.columns) == list(COMPACT_COLUMNS)
