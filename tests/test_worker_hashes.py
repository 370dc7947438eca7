"""The body hashes of the records a worker process parsed are made in that worker (``_BODY_HASH``): what the
cache keeps must be the hashes of the bodies it keeps, as if made in the ingest's own process."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from bench.corpus import generate_corpus
from core.config import Reporters
from core.model import BEIJING
from core.storing.cache import CacheStore, cache_key
from core.storing.ingest import _BODY_HASH, _parse_chunk, ingest
from core.storing.search import body_hashes


def test_a_chunk_frame_carries_its_bodies_hashes(tmp_path: Path) -> None:
    pages = generate_corpus(tmp_path / "pages", 60, seed=3)
    results, frame = _parse_chunk([(os.fspath(p), None) for p in pages[:2]], frozenset())
    assert frame is not None and len(frame) == 40 and not any(r.articles for r in results)
    assert frame[_BODY_HASH].dtype == np.uint64
    assert np.array_equal(frame[_BODY_HASH].to_numpy(), body_hashes(frame["body"]))


@pytest.mark.parametrize("workers", [1, 2])
def test_the_kept_hashes_are_those_of_the_kept_bodies(tmp_path: Path, workers: int) -> None:
    folder = tmp_path / "pages"
    pages = generate_corpus(folder, 400, seed=5)  # 20 files: parsed by a pool of two workers
    cache = tmp_path / "cache"
    corpus = ingest([folder], cache_dir=cache, reporters=Reporters(), workers=workers)
    assert _BODY_HASH not in corpus.articles
    store = CacheStore(cache / cache_key([os.fspath(folder)]))
    state = store.load_state()
    assert state is not None
    records = store.read_records(state)
    assert _BODY_HASH not in records and len(records) == 400
    kept = store.read_bodies(str(state["generation"]), len(records))
    assert kept is not None and np.array_equal(kept, body_hashes(records["body"]))
    # one page changed: its new records' hashes are kept with the others' (the incremental merge)
    text = pages[7].read_text(encoding="utf-8")
    pages[7].write_text(text.replace("By ", "By Wang Jing and ", 1), encoding="utf-8")
    os.utime(pages[7], (datetime.now(BEIJING).timestamp() + 5,) * 2)
    again = ingest([folder], cache_dir=cache, reporters=Reporters(), workers=workers)
    assert _BODY_HASH not in again.articles
    state = store.load_state()
    assert state is not None
    records = store.read_records(state)
    kept = store.read_bodies(str(state["generation"]), len(records))
    assert kept is not None and np.array_equal(kept, body_hashes(records["body"]))


def test_bodies_that_are_not_text_are_hashed_from_the_frame(tmp_path: Path) -> None:
    from dataclasses import replace

    from core.storing.ingest import _frame_of, _parse_file

    pages = generate_corpus(tmp_path / "pages", 20, seed=7)
    result = _parse_file(os.fspath(pages[0]), None, frozenset())
    plain = _frame_of([result])
    assert np.array_equal(plain[_BODY_HASH].to_numpy(), body_hashes(plain["body"]))
    result.articles = [replace(result.articles[0], body=None), *result.articles[1:]]  # type: ignore[arg-type]
    odd = _frame_of([result])
    assert odd["body"].isna().iloc[0]
    assert np.array_equal(odd[_BODY_HASH].to_numpy(), body_hashes(odd["body"]))
    assert odd[_BODY_HASH].iloc[0] != plain[_BODY_HASH].iloc[0]
