"""How the cache's Parquet files are written (``core.storing.cache.parquet_options``): the columns whose
values are nearly each their own (ids, times) plain, the rest zstd with dictionaries, nested columns named
by their Parquet leaves; what is read back is what was written."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.storing.cache import (
    PLAIN_COLUMNS,
    CacheStore,
    atomic_write_parquet,
    atomic_write_with,
    parquet_options,
)
from core.storing.ingest import ingest

SAMPLE_PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"


def _columns(path: Path | pa.Buffer) -> dict[str, pq.ColumnChunkMetaData]:
    source = pa.BufferReader(path) if isinstance(path, pa.Buffer) else path
    meta = pq.read_metadata(source)
    group = meta.row_group(0)
    return {group.column(i).path_in_schema: group.column(i) for i in range(meta.num_columns)}


def _table() -> pa.Table:
    return pa.table(
        {
            "article_id": [f"{n:016x}" for n in range(50)],
            "published_at": pa.array(range(50), pa.timestamp("ns", tz="+08:00")),
            "authors": [["A", "B"] if n % 2 else [] for n in range(50)],
            "section": ["China"] * 50,
            "row": pa.array(range(50), pa.int64()),
        }
    )


def test_the_plain_columns_are_written_plain_and_the_rest_compressed(tmp_path: Path) -> None:
    table = _table()
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **parquet_options(table))
    columns = _columns(sink.getvalue())
    for name in PLAIN_COLUMNS:
        assert columns[name].compression == "UNCOMPRESSED" and not columns[name].is_stats_set
        assert "RLE_DICTIONARY" not in columns[name].encodings
    for name in ("authors.list.element", "section"):  # a nested column named by its leaf
        assert columns[name].compression == "ZSTD" and columns[name].is_stats_set
        assert "RLE_DICTIONARY" in columns[name].encodings
    assert pq.read_table(pa.BufferReader(sink.getvalue())).equals(table)


def test_delta_and_chosen_dictionaries() -> None:
    table = _table()
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **parquet_options(table, {"article_id"}, {"row"}, {"section"}))
    columns = _columns(sink.getvalue())
    assert "DELTA_BINARY_PACKED" in columns["row"].encodings and columns["row"].compression == "ZSTD"
    assert "RLE_DICTIONARY" in columns["section"].encodings
    assert "RLE_DICTIONARY" not in columns["authors.list.element"].encodings  # not chosen
    assert columns["published_at"].compression == "ZSTD"  # not plain here
    assert pq.read_table(pa.BufferReader(sink.getvalue())).equals(table)


def test_a_table_without_them_is_all_zstd() -> None:
    table = _table().select(["authors", "section"])
    assert parquet_options(table) == {"compression": "zstd"}


def test_a_cached_frame_reads_back_as_written(tmp_path: Path) -> None:
    frame = _table().to_pandas()
    path = tmp_path / "articles-x.parquet"
    atomic_write_parquet(path, frame)
    assert _columns(path)["article_id"].compression == "UNCOMPRESSED"
    back = pq.read_table(path).to_pandas()
    pd.testing.assert_frame_equal(back.drop(columns="authors"), frame.drop(columns="authors"))
    assert [list(x) for x in back["authors"]] == [list(x) for x in frame["authors"]]


def test_a_file_written_by_a_writer_of_its_own_replaces_the_old_one_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``atomic_write_with``: the writer writes a temporary file in the same folder, which is synced to
    disk and renamed over the target; when the writer fails, the old file is as it was and no temporary
    file is left."""
    target = tmp_path / "derived.arrow"
    target.write_bytes(b"old")
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    seen: list[str] = []

    def write(tmp: str) -> None:
        seen.append(tmp)
        assert Path(tmp).parent == tmp_path and Path(tmp) != target
        pq.write_table(_table(), tmp)

    atomic_write_with(target, write)
    assert pq.read_table(target).equals(_table()) and len(synced) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["derived.arrow"]

    def failing(tmp: str) -> None:
        Path(tmp).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    target.write_bytes(b"old")
    with pytest.raises(OSError):
        atomic_write_with(target, failing)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["derived.arrow"]


def test_without_statistics(tmp_path: Path) -> None:
    """``statistics=False``: no column has statistics, the other options stay, and what is read back is
    what was written; the articles file is written so (nothing reads it by its statistics)."""
    table = _table()
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **parquet_options(table, statistics=False))
    columns = _columns(sink.getvalue())
    assert not any(column.is_stats_set for column in columns.values())
    assert columns["section"].compression == "ZSTD" and "RLE_DICTIONARY" in columns["section"].encodings
    assert pq.read_table(pa.BufferReader(sink.getvalue())).equals(table)
    store = CacheStore(tmp_path / "cache")
    corpus = ingest([SAMPLE_PAGES], use_cache=False, workers=1)
    store.write_articles("g1", corpus.articles)
    articles = _columns(store.articles_path("g1"))
    assert articles and not any(column.is_stats_set for column in articles.values())
