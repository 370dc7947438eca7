"""A warm start does each thing once: the inputs are listed once (the ingest's look at the files is the
collection's fingerprint), the index's docid -> row array is read from beside the index instead of being
joined again, and the cyclic garbage collector is paused while half a million objects are made."""

from __future__ import annotations

import gc
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import core.reading.files as files
import core.storing.ingest as ingest_module
import core.storing.search as search
from core.heap import paused_gc
from core.reading.files import inputs_fingerprint
from core.storing.collection import Collection, open_collection
from core.storing.search import ROWS_SUFFIX, SearchIndex

QUERIES = ["huawei", '"trade war"', "tariff* -china", "evergrande OR tiktok", "theme:huawei"]


@pytest.fixture
def pages(many_pages: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    shutil.copytree(many_pages, folder)
    return folder


def _answers(collection: Collection) -> dict[str, list[str]]:
    fresh = SearchIndex.open(collection.articles, None)
    out = {}
    for query in QUERIES:
        got = collection.index.mask(query, collection.theme_ids)
        assert np.array_equal(got, fresh.mask(query, collection.theme_ids)), query
        out[query] = collection.articles.loc[got, "article_id"].astype(str).tolist()
    return out


def _rows_file(cache: Path) -> Path:
    (found,) = [p for p in cache.rglob(f"fts-*{ROWS_SUFFIX}")]
    return found


def test_the_collection_fingerprint_is_that_of_the_inputs_cold_warm_and_touched(
    pages: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    cold = open_collection([pages], cache_dir=cache)
    assert not cold.corpus.from_cache
    assert cold.fingerprint == inputs_fingerprint([pages])
    assert len(cold.fingerprint) == len(list(pages.iterdir()))
    warm = open_collection([pages], cache_dir=cache)
    assert warm.corpus.from_cache
    assert warm.fingerprint == inputs_fingerprint([pages])
    touched = sorted(pages.iterdir())[2]
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    after_touch = open_collection([pages], cache_dir=cache)
    assert after_touch.fingerprint == inputs_fingerprint([pages]) != warm.fingerprint
    assert not after_touch.inputs_changed() and warm.inputs_changed()


def test_a_warm_open_lists_the_inputs_once(
    pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    open_collection([pages], cache_dir=cache)
    calls: list[object] = []
    real = files.input_names

    def counted(inputs: object) -> object:
        calls.append(inputs)
        return real(inputs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module, "input_names", counted)
    monkeypatch.setattr(files, "input_names", counted)  # expand_inputs and inputs_fingerprint list through it
    warm = open_collection([pages], cache_dir=cache)
    assert warm.corpus.from_cache
    assert len(calls) == 1


def test_the_row_array_is_stored_beside_the_index_and_used_at_the_next_start(
    pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    built = open_collection([pages], cache_dir=cache)
    assert built.index.how == "built"
    stored = np.load(_rows_file(cache))
    assert np.array_equal(np.sort(stored[stored >= 0]), np.arange(len(built.articles)))
    want = _answers(built)

    joins: list[int] = []
    real_mapping = search._mapping

    def counted(db: object, keys: object) -> object:
        joins.append(1)
        return real_mapping(db, keys)  # type: ignore[arg-type]

    monkeypatch.setattr(search, "_mapping", counted)
    warm = open_collection([pages], cache_dir=cache)
    assert warm.index.how == "reused"
    assert joins == []  # the stored array was used, the docmap not joined
    assert _answers(warm) == want


@pytest.mark.parametrize(
    "damage",
    [
        lambda rows: rows.write_bytes(b"not an array"),
        lambda rows: np.save(rows, np.zeros(3, dtype=np.intp)),  # too short
        lambda rows: np.save(rows, np.load(rows)[::-1] * 0),  # every docid on row 0
        lambda rows: np.save(rows, np.load(rows).astype(np.float64)),
        lambda rows: rows.unlink(),
    ],
    ids=["garbage", "short", "repeated-rows", "floats", "missing"],
)
def test_a_damaged_or_missing_row_array_is_joined_again_and_rewritten(
    pages: Path, tmp_path: Path, damage: object
) -> None:
    cache = tmp_path / "cache"
    built = open_collection([pages], cache_dir=cache)
    want = _answers(built)
    good = np.load(_rows_file(cache))
    damage(_rows_file(cache))  # type: ignore[operator]
    warm = open_collection([pages], cache_dir=cache)
    assert warm.index.how == "reused"
    assert _answers(warm) == want
    assert np.array_equal(np.load(_rows_file(cache)), good)


def test_an_updated_index_stores_its_row_array_and_drops_the_old_one(pages: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = open_collection([pages], cache_dir=cache)
    old_rows = _rows_file(cache)
    sorted(pages.iterdir())[4].unlink()
    updated = open_collection([pages], cache_dir=cache)
    assert updated.index.how == "updated"
    rows = _rows_file(cache)  # exactly one left
    assert rows != old_rows and not old_rows.exists()
    assert updated.index.row_of_doc is not None
    assert np.array_equal(np.load(rows), updated.index.row_of_doc)
    warm = open_collection([pages], cache_dir=cache)
    assert warm.index.how == "reused"
    assert _answers(warm) == _answers(updated)
    assert len(updated.articles) < len(first.articles)


def test_paused_gc_restores_the_collector_and_nests() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause holds
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # was off before: stays off
    finally:
        gc.enable()


def test_the_text_in_memory_path_gives_the_same_collection(
    pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``CAIXIN_TEXT_IN_MEMORY=1`` (the comparison path of the benchmarks) reads the text file into memory
    instead of mapping it (since cache format 6 the articles file holds no text), and hashes every story
    for the index as before: the same collection from the same cache."""
    cache = tmp_path / "cache"
    mapped = open_collection([pages], cache_dir=cache)
    monkeypatch.setenv("CAIXIN_TEXT_IN_MEMORY", "1")
    in_memory = open_collection([pages], cache_dir=cache)
    assert in_memory.corpus.from_cache and in_memory.corpus.hashes is None
    assert in_memory.index.how == "reused"
    for column in ("article_id", "headline", "body", "photo_caption", "authors", "sources"):
        assert in_memory.articles[column].tolist() == mapped.articles[column].tolist()
    assert _answers(in_memory) == _answers(mapped)


def test_pages_are_parsed_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``parse_page`` and a worker's chunk (``_parse_chunk``) run with the cyclic collector paused
    (``core.heap``), and give it back on."""
    import core.parsing as parsing
    import core.storing.ingest as ingest_module

    seen: list[bool] = []
    lines = parsing._parse_lines

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return lines(*args, **kwargs)

    monkeypatch.setattr(parsing, "_parse_lines", watched)
    assert gc.isenabled()
    parsing.parse_page("By Wang Jing / Apr 22, 2020 05:40 PM / Finance\n\nA story.\n", "a.txt")
    assert seen == [False] and gc.isenabled()
    frames: list[bool] = []
    to_frame = ingest_module._records_frame
    monkeypatch.setattr(ingest_module, "_records_frame", lambda r: frames.append(gc.isenabled()) or to_frame(r))
    page = tmp_path / "a.txt"
    page.write_text("By Wang Jing / Apr 22, 2020 05:40 PM / Finance\n\nA story.\n", encoding="utf-8")
    _, frame = ingest_module._parse_chunk([(str(page), None)], frozenset())
    assert frame is not None and len(frame) == 1
    assert seen == [False, False] and frames == [False] and gc.isenabled()
