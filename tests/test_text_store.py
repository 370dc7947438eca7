"""The story text of a cache generation on disk (``core.storing.text``): written with each generation,
mapped on a warm start (not read into memory), the same frame as a cold ingest, and rebuilt when damaged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

import core.storing.text as text_module
from bench.corpus import generate_corpus
from core.storing.cache import CacheStore, cache_key
from core.storing.collection import open_collection
from core.storing.frame import ARROW_LIST
from core.storing.ingest import ingest
from core.storing.search import content_hashes
from core.storing.text import MAPPED_COLUMNS, SCHEMA, _read_rows, open_text, write_text


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pages")
    generate_corpus(folder, stories=600, seed=3)
    return folder


def _store(pages: Path, cache: Path) -> CacheStore:
    return CacheStore(cache / cache_key([str(pages)]))


def test_a_warm_start_maps_the_text_and_gives_the_frame_of_a_cold_ingest(pages: Path, tmp_path: Path) -> None:
    cold = ingest([pages], cache_dir=tmp_path, use_cache=False)
    first = ingest([pages], cache_dir=tmp_path)
    before = pa.total_allocated_bytes()
    warm = ingest([pages], cache_dir=tmp_path)
    grown = pa.total_allocated_bytes() - before
    assert warm.from_cache and not first.from_cache
    pd.testing.assert_frame_equal(warm.articles, cold.articles)
    pd.testing.assert_frame_equal(first.articles, cold.articles)
    # the hashes stored with the generation are those of the frame: the index can trust them
    assert warm.hashes is not None and np.array_equal(warm.hashes, content_hashes(cold.articles))
    # the bodies are mapped from the file, not copied into Arrow's memory
    text_bytes = sum(len(b.encode()) for b in cold.articles["body"].dropna())
    assert text_bytes > 500_000
    assert grown < text_bytes / 4, f"{grown} bytes allocated for {text_bytes} bytes of text"


def test_the_index_opened_with_stored_hashes_answers_as_one_built_from_the_text(
    pages: Path, tmp_path: Path
) -> None:
    built = open_collection([pages], cache_dir=tmp_path)
    again = open_collection([pages], cache_dir=tmp_path)
    memory = open_collection([pages], use_cache=False)
    assert again.index.how == "reused" and again.corpus.hashes is not None
    for query in ("huawei", '"trade war"', "bank* AND NOT china"):
        expected = memory.index.mask(query, memory.theme_ids)
        assert np.array_equal(again.index.mask(query, again.theme_ids), expected)
        assert np.array_equal(built.index.mask(query, built.theme_ids), expected)
    pd.testing.assert_frame_equal(again.memberships, memory.memberships)


@pytest.mark.parametrize(
    "damage",
    [
        "missing",
        "truncated",
        "rows",
        "columns",
        "body-null",
        "sources-null",
        "old-schema",
    ],
)
def test_a_damaged_text_file_rebuilds_the_generation(pages: Path, tmp_path: Path, damage: str) -> None:
    first = ingest([pages], cache_dir=tmp_path)
    store = _store(pages, tmp_path)
    state = store.load_state()
    assert state is not None
    path = store.text_path(state["generation"])
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        # a new file put in its place, as every writer does: ``first`` still maps the old one, and a
        # mapped file cut short in place would crash the process that maps it (docs/cache.md)
        cut = path.with_suffix(".cut")
        cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        cut.replace(path)
    elif damage == "rows":
        write_text(path, first.articles.iloc[1:], content_hashes(first.articles.iloc[1:]))
    elif damage == "body-null":  # the articles file holds no text: the text file is where this is caught
        broken = first.articles.assign(body=first.articles["body"].where(first.articles.index != 0, None))
        write_text(path, broken, content_hashes(first.articles))
    elif damage in ("sources-null", "old-schema"):
        table = open_text(path, len(first.articles), mapped=False)
        if damage == "sources-null":  # a story always has its list of sources, if empty
            column = table.column("sources").combine_chunks()
            holes = pa.array([None, *column.to_pylist()[1:]], column.type)
            table = table.set_column(table.schema.get_field_index("sources"), "sources", holes)
        else:  # the text file of before the shown columns moved into it: body, caption and hashes only
            table = table.select(["body", "photo_caption", "content_hash"])
        other = path.with_suffix(".other")
        with pa.OSFile(str(other), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        other.replace(path)
    else:
        table = pa.table({"body": pa.array(["x"] * len(first.articles))})
        other = path.with_suffix(".other")
        with pa.OSFile(str(other), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        other.replace(path)
    again = ingest([pages], cache_dir=tmp_path)
    assert not again.from_cache
    assert len(again.cache_warnings) == 1 and "text file" in again.cache_warnings[0]
    assert str(path.name) in again.cache_warnings[0] and "\n" not in again.cache_warnings[0]
    pd.testing.assert_frame_equal(again.articles, first.articles)
    state = store.load_state()
    assert state is not None
    assert len(open_text(store.text_path(state["generation"]), len(first.articles))) == len(first.articles)


def test_the_text_file_holds_the_text_columns_in_frame_order(pages: Path, tmp_path: Path) -> None:
    corpus = ingest([pages], cache_dir=tmp_path)
    store = _store(pages, tmp_path)
    state = store.load_state()
    assert state is not None
    table = open_text(store.text_path(state["generation"]), len(corpus.articles))
    assert table.schema.equals(SCHEMA)
    assert table.column_names == [*MAPPED_COLUMNS, "content_hash"]
    for name in MAPPED_COLUMNS:
        column = corpus.articles[name]
        expected = column.tolist() if column.dtype == ARROW_LIST else column.astype(object).where(column.notna(), None).tolist()
        assert table.column(name).to_pylist() == expected, name


def test_write_text_refuses_hashes_of_another_frame(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "body": pd.Series(["a", "b"], dtype="string"),
            "photo_caption": pd.Series([None, "c"], dtype="string"),
        }
    )
    with pytest.raises(ValueError, match="3 content hashes for 2 stories"):
        write_text(tmp_path / "t.arrow", frame, np.zeros(3, dtype=np.uint64))
    assert not list(tmp_path.iterdir())


def test_the_terms_background_is_stored_and_read_back_without_the_text(pages: Path, tmp_path: Path) -> None:
    from core.analysing.terms import term_sample

    first = open_collection([pages], cache_dir=tmp_path)
    computed = first.term_background()
    assert "terms" not in first.files.loaded if first.files else False
    again = open_collection([pages], cache_dir=tmp_path)
    stored = again.term_background()
    assert again.files is not None and "terms" in again.files.loaded
    expected = term_sample(open_collection([pages], use_cache=False).articles)
    for sample in (computed, stored):
        assert np.array_equal(sample.rows, expected.rows) and sample.frame_rows == expected.frame_rows
        pd.testing.assert_series_equal(sample.counts, expected.counts)


def test_the_articles_file_holds_no_text_and_the_text_in_memory_gives_the_same_frame(
    pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    cold = ingest([pages], cache_dir=tmp_path, use_cache=False)
    ingest([pages], cache_dir=tmp_path)
    store = _store(pages, tmp_path)
    state = store.load_state()
    assert state is not None
    names = pq.read_schema(store.articles_path(state["generation"])).names
    assert not set(MAPPED_COLUMNS) & set(names) and set(names) | set(MAPPED_COLUMNS) == set(cold.articles.columns)
    monkeypatch.setenv("CAIXIN_TEXT_IN_MEMORY", "1")
    warm = ingest([pages], cache_dir=tmp_path)
    assert warm.from_cache and warm.hashes is None
    pd.testing.assert_frame_equal(warm.articles, cold.articles)


def test_a_text_file_written_in_batches_gives_the_same_frame_and_copies_one_batch(
    pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``write_text`` writes ``WRITE_ROWS`` stories per record batch: a generation written whole from text
    mapped from earlier files never has all of it copied into memory at once; the file reads back as the
    frame of a cold ingest, and rows read from it chunk by chunk are those ``iloc`` gives."""
    monkeypatch.setattr(text_module, "WRITE_ROWS", 64)
    cold = ingest([pages], cache_dir=tmp_path, use_cache=False)
    ingest([pages], cache_dir=tmp_path)
    store = _store(pages, tmp_path)
    state = store.load_state()
    assert state is not None
    n = len(cold.articles)
    batches = -(-n // 64)
    assert ipc.open_file(str(store.text_path(state["generation"]))).num_record_batches == batches > 5
    warm = open_collection([pages], cache_dir=tmp_path)
    frame = warm.articles
    pd.testing.assert_frame_equal(frame, cold.articles)
    assert frame["body"].array._pa_array.num_chunks == batches
    positions = np.array([0, 63, 64, 65, 300, n - 1, 5, 64], dtype=np.intp)
    # read from the file, batch by batch (a list column of only empty lists has no text to read)
    held = [name for name in MAPPED_COLUMNS if frame[name].map(lambda v: isinstance(v, str | list | np.ndarray) and len(v) > 0).any()]
    assert {"body", "photo_caption", "byline", "sources"} <= set(held)
    for name in held:
        assert _read_rows(frame[name], positions) is not None, name
    pd.testing.assert_frame_equal(warm.rows(positions), frame.iloc[positions], check_exact=True)
    # writing the mapped text again, in batches across the file's (so that each is joined from two
    # chunks), copies one batch at a time into Arrow's memory, not the whole text
    monkeypatch.setattr(text_module, "WRITE_ROWS", 50)
    text_bytes = sum(len(b.encode()) for b in cold.articles["body"].dropna())
    pool = pa.proxy_memory_pool(pa.system_memory_pool())
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        write_text(tmp_path / "again.arrow", frame, np.asarray(warm.corpus.hashes))
    finally:
        pa.set_memory_pool(previous)
    assert 0 < pool.max_memory() < text_bytes / 4, f"{pool.max_memory()} bytes at most for {text_bytes} of text"
    again = open_text(tmp_path / "again.arrow", n)
    assert again.equals(open_text(store.text_path(state["generation"]), n))
