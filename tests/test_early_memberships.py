"""A warm start reads the stored theme memberships on a thread while the ingest lists the files
(``core.storing.collection.EarlyMemberships``, ``ingest``'s ``opening``): the memberships are the same
as read after the ingest, a new generation carries over the stored one's from that read, a broken file is
matched again, and no thread outlives the open."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_incremental_index import _edit_body

import core.storing.collection as collection_module
from core.analysing.themes import ThemeBook, match_themes
from core.storing.collection import _CATEGORIES as CATEGORIES
from core.storing.collection import Collection, open_collection
from core.storing.derived import DerivedFiles
from core.storing.search import SearchIndex

THREAD = "caixin-early-themes"


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Each read of a stored memberships file: (thread name, file name)."""
    made: list[tuple[str, str]] = []
    real = collection_module.read_memberships

    def recorded(path: Path) -> pd.DataFrame:
        made.append((threading.current_thread().name, path.name))
        return real(path)

    monkeypatch.setattr(collection_module, "read_memberships", recorded)
    return made


@pytest.fixture
def pages(many_pages_copy: Path) -> Path:
    return many_pages_copy


def _opened(pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Collection, list[tuple[str, str]]]:
    """The pages opened once into a new cache folder; then each read of a memberships file recorded."""
    cache = tmp_path / "cache"
    first = open_collection([pages], cache_dir=cache)
    return cache, first, _reads(monkeypatch)


def _same_memberships(got: Collection, expected: Collection) -> None:
    """The same memberships, each of the same story's row (a collection read without a cache has its
    themes key of its frame, not of a generation)."""
    pd.testing.assert_frame_equal(got.memberships, expected.memberships)
    assert (got.member_rows() == expected.member_rows()).all()


def _no_thread_left() -> None:
    assert [t.name for t in threading.enumerate() if t.name.startswith(THREAD)] == []


def test_a_warm_start_takes_the_memberships_read_during_the_ingest(
    pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, first, reads = _opened(pages, tmp_path, monkeypatch)
    warm = open_collection([pages], cache_dir=cache)
    # read once, by the early thread, the file of the generation opened
    assert len(reads) == 1 and reads[0][0].startswith(THREAD)
    assert reads[0][1] == f"themes-{warm.themes_key}.parquet"
    assert "themes" in warm.files.loaded
    assert warm.themes_key == first.themes_key
    _same_memberships(warm, first)
    _same_memberships(warm, open_collection([pages], use_cache=False))
    _no_thread_left()


def test_a_new_generation_carries_over_the_memberships_read_early(
    pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, first, reads = _opened(pages, tmp_path, monkeypatch)
    assert _edit_body(sorted(pages.iterdir())[3])
    edited = open_collection([pages], cache_dir=cache)
    assert edited.corpus.generation != first.corpus.generation
    assert edited.themes_key != first.themes_key
    # the stored generation's file, read once, by the early thread: its memberships carried over
    assert reads == [(reads[0][0], f"themes-{first.themes_key}.parquet")] and reads[0][0].startswith(THREAD)
    assert "themes" in edited.files.updated
    _same_memberships(edited, open_collection([pages], use_cache=False))
    assert edited.memberships["article_id"].isin(edited.articles["article_id"]).all()
    _no_thread_left()


def test_a_broken_memberships_file_read_early_is_matched_again(
    pages: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = open_collection([pages], cache_dir=cache)
    stored = first.corpus.cache_root / f"themes-{first.themes_key}.parquet"
    stored.write_bytes(b"not parquet")
    warm = open_collection([pages], cache_dir=cache)  # the early read fails: matched again, stored again
    assert "themes" not in warm.files.loaded
    _same_memberships(warm, first)
    assert stored.read_bytes() != b"not parquet"
    again = open_collection([pages], cache_dir=cache)
    assert "themes" in again.files.loaded
    _same_memberships(again, first)
    _no_thread_left()


def test_a_failed_ingest_leaves_no_early_thread(
    pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    open_collection([pages], cache_dir=cache)

    def broken(*_: object, **__: object) -> object:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(collection_module.SearchIndex, "open", broken)
    with pytest.raises(OSError):
        open_collection([pages], cache_dir=cache)
    _no_thread_left()


@pytest.mark.parametrize("repeated", [False, True])
def test_the_memberships_file_says_whether_the_ids_are_unique(
    many_collection: Collection, tmp_path: Path, repeated: bool
) -> None:
    """The ids' uniqueness, found once for the carry-over and the file (``_memberships``), is the
    file's ``unique`` flag: a frame with an id twice is never carried over from."""
    frame = many_collection.rows(np.arange(12))
    if repeated:
        frame = pd.concat([frame, frame.head(3)], ignore_index=True)
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "articles-g1.parquet").write_bytes(b"")  # generation g1 is the folder's: its files are written
    index = SearchIndex.open(frame, None)
    memberships, key, _ = collection_module._memberships(index, ThemeBook(), DerivedFiles(folder, "g1", frame))
    meta = pq.read_schema(folder / f"themes-{key}.parquet").metadata or {}
    assert meta[b"unique"] == (b"0" if repeated else b"1")
    assert len(memberships) == len(match_themes(index, ThemeBook().themes))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["trade-war", "huawei", "5g", "evergrande", "tiktok"]), min_size=1, max_size=5, unique=True),
    st.lists(st.integers(min_value=-1, max_value=4), max_size=40),
)
def test_unused_categories_are_dropped_as_pandas_drops_them(names: list[str], picks: list[int]) -> None:
    """``_without_unused`` (the carry-over's concatenated memberships) against pandas'
    ``remove_unused_categories``: the same values, categories, their order and dtype."""
    categories = pd.Index(sorted(names), dtype=CATEGORIES)
    codes = np.array([min(p, len(categories) - 1) for p in picks], dtype=np.int8)
    column = pd.Series(pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories)), name="theme")
    expected = column.cat.remove_unused_categories()
    got = collection_module._without_unused(column)
    pd.testing.assert_series_equal(got, expected)
    assert got.cat.categories.dtype == expected.cat.categories.dtype


def test_the_memberships_file_is_written_for_speed_and_reads_back_as_held(pages: Path, tmp_path: Path) -> None:
    """The stored memberships: the ids not compressed, no column given statistics (nothing reads by them),
    the rows and hits delta-encoded; read back (``read_memberships``, made compact) they are the collection's, with its rows."""
    cache = tmp_path / "cache"
    first = open_collection([pages], cache_dir=cache)
    (path,) = first.corpus.cache_root.glob("themes-*.parquet")
    meta = pq.ParquetFile(path).metadata
    columns = {meta.row_group(0).column(i).path_in_schema: meta.row_group(0).column(i) for i in range(meta.num_columns)}
    assert columns["article_id"].compression == "UNCOMPRESSED" and not columns["article_id"].is_stats_set
    assert columns["theme"].compression == "ZSTD" and not any(c.is_stats_set for c in columns.values())
    for name in ("row", "hits"):
        assert "DELTA_BINARY_PACKED" in columns[name].encodings
    stored = collection_module.read_memberships(path)
    pd.testing.assert_frame_equal(
        collection_module.compact_memberships(stored), first.memberships.reset_index(drop=True)
    )
    assert np.array_equal(stored["row"].to_numpy(), first.member_rows())
    again = open_collection([pages], cache_dir=cache)
    pd.testing.assert_frame_equal(again.memberships.reset_index(drop=True), first.memberships.reset_index(drop=True))
