"""The full-text index keeps no copy of the stories' text (a contentless FTS5 table; the text is the cache's).
An update forgets a changed or removed story's document with the text it was indexed with, found in the
cache generation the ingest changed or in the collection read before; where that text is not found, or does
not hash back to the story's content hash, the index is built anew: it never holds terms of a text it no
longer has."""

from __future__ import annotations

import random
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import core.storing.search as search
from core.analysing.query import Term
from core.cli import main
from core.storing.collection import open_collection
from core.storing.ingest import ingest
from core.storing.search import Earlier, SearchIndex, content_hashes
from tests.test_incremental_index import _check, _edit_body
from tests.test_term_counts import frame_of, story

QUERIES = ["trade", "huawei", "tariff*", '"trade war"', "-china", "caf*", "5g OR war", "zzz"]
TERMS = [Term(("trade",)), Term(("tariff",), prefix=True), Term(("trade", "war")), Term(("huawei",))]


def _stories(seed: int, size: int) -> tuple[list[tuple[str, str, str | None]], list[str]]:
    rng = random.Random(seed)
    return [story(rng) for _ in range(size)], [f"s{i:03d}" for i in range(size)]


def _edited(seed: int, size: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A frame and the same frame with stories changed, removed and added (ids kept where changed)."""
    stories, ids = _stories(seed, size)
    before = frame_of(stories, [False] * size, ids)
    rng = random.Random(seed + 1)
    after_stories, after_ids = list(stories), list(ids)
    for place in (3, 11, 17):  # changed: the same id, another text
        after_stories[place] = story(rng)
    for place in (25, 5):  # removed
        del after_stories[place], after_ids[place]
    after_stories.insert(8, story(rng))  # added, moving the rows after it
    after_ids.insert(8, "new")
    return before, frame_of(after_stories, [False] * len(after_ids), after_ids)


def _same_as_fresh(index: SearchIndex, frame: pd.DataFrame) -> None:
    """Every query, every term's counts and every BM25 score equal to those of an index built from scratch."""
    fresh = SearchIndex.open(frame, None)
    for query in QUERIES:
        assert np.array_equal(index.mask(query), fresh.mask(query)), query
    for term in TERMS:
        got, want = index.term_row_counts(term), fresh.term_row_counts(term)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1]), term
    got_rows, got_scores = index.bm25(TERMS)
    want_rows, want_scores = fresh.bm25(TERMS)
    assert np.array_equal(np.sort(got_rows), np.sort(want_rows))
    assert np.array_equal(got_scores[np.argsort(got_rows)], want_scores[np.argsort(want_rows)])  # to the bit


def test_the_index_file_holds_no_text(tmp_path: Path) -> None:
    stories, ids = _stories(1, 30)
    stories[4] = ("Headline", "qqalpha qqbeta qqgamma qqdelta qqepsilon", None)
    index = SearchIndex.open(frame_of(stories, [False] * 30, ids), tmp_path)
    assert len(index.search("qqgamma")) == 1
    path = next(tmp_path.glob("fts-*.sqlite"))
    with closing(sqlite3.connect(path)) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "docs_content" not in tables and "docs_data" in tables
    assert b"qqalpha qqbeta" not in path.read_bytes()  # its terms are indexed, the text is not kept


def test_an_update_forgets_the_old_text_as_it_was_indexed(tmp_path: Path) -> None:
    before, after = _edited(2, 40)
    SearchIndex.open(before, tmp_path, content_hashes(before))
    index = SearchIndex.open(after, tmp_path, content_hashes(after), earlier=[Earlier(before, content_hashes(before))])
    assert index.how == "updated" and index.inserted == 4  # three changed, one added
    _same_as_fresh(index, after)
    # again from the updated index: the old text now found by hashing the earlier frame itself
    again = after.drop(index=[0]).reset_index(drop=True)
    second = SearchIndex.open(again, tmp_path, earlier=[Earlier(after)])
    assert second.how == "updated" and second.inserted == 0
    _same_as_fresh(second, again)


def test_without_the_old_text_the_index_is_built_anew(tmp_path: Path) -> None:
    before, after = _edited(3, 40)
    SearchIndex.open(before, tmp_path)
    index = SearchIndex.open(after, tmp_path)
    assert index.how == "built"
    _same_as_fresh(index, after)


def test_only_added_stories_need_no_old_text(tmp_path: Path) -> None:
    stories, ids = _stories(4, 30)
    before = frame_of(stories, [False] * 30, ids)
    SearchIndex.open(before, tmp_path)
    grown = frame_of([*stories, story(random.Random(9))], [False] * 31, [*ids, "new"])
    index = SearchIndex.open(grown, tmp_path)
    assert index.how == "updated" and index.inserted == 1
    _same_as_fresh(index, grown)


def test_old_text_that_does_not_hash_back_is_not_used(tmp_path: Path) -> None:
    """An earlier frame whose text is not what its hashes say (a stale or mixed-up source): given to FTS5
    it would leave the indexed terms in place and remove others; the index is built anew instead."""
    before, after = _edited(5, 40)
    SearchIndex.open(before, tmp_path)
    wrong = before.copy()
    wrong["body"] = wrong["body"].str.replace("trade", "tirade")
    index = SearchIndex.open(after, tmp_path, earlier=[Earlier(wrong, content_hashes(before))])
    assert index.how == "built"
    _same_as_fresh(index, after)


def test_a_collection_read_before_lends_its_text(many_pages_copy: Path, tmp_path: Path) -> None:
    """Another process (a replica, ``caixin ingest``) made the new generation but not its index: the
    collection a server showed until then holds the changed story's old text."""
    pages, cache = many_pages_copy, tmp_path / "cache"
    first = open_collection([pages], cache_dir=cache)
    files = sorted(pages.iterdir())
    assert _edit_body(files[3])
    ingest([pages], cache_dir=cache)  # the generation changes; no index is made for it
    updated = open_collection([pages], cache_dir=cache, earlier=first)
    assert updated.index.how == "updated" and updated.index.inserted == 1
    _check(updated)
    assert _edit_body(files[6])
    ingest([pages], cache_dir=cache)
    alone = open_collection([pages], cache_dir=cache)  # nothing read before: built
    assert alone.index.how == "built"
    _check(alone)


def test_caixin_ingest_updates_the_index_of_a_changed_page(
    many_pages_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One ingest, then the index from the generation it changed: not built again."""
    pages, cache = many_pages_copy, tmp_path / "cache"
    assert main(["ingest", str(pages), "--cache-dir", str(cache)]) == 0
    assert _edit_body(sorted(pages.iterdir())[4])
    real_fill = search._fill

    def guarded_fill(db: sqlite3.Connection, frame: pd.DataFrame, keys: pd.DataFrame | None) -> None:
        if keys is not None:
            raise AssertionError("the stored index was built again")
        real_fill(db, frame, keys)

    monkeypatch.setattr(search, "_fill", guarded_fill)
    assert main(["ingest", str(pages), "--cache-dir", str(cache)]) == 0
    assert "stories from" in capsys.readouterr().out
    collection = open_collection([pages], cache_dir=cache)
    assert collection.index.how == "reused"
    _check(collection)


@pytest.mark.parametrize("merge", ["1", "0"])
def test_the_ingest_hands_over_only_the_stories_it_changed(
    many_pages_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, merge: str
) -> None:
    """``Corpus.earlier`` after an edit, with the incremental merge (the kept rows known) and with every
    record merged again (the content hashes compared): a few rows, among them every stored story the new
    generation lost, the edited story with its old text."""
    monkeypatch.setenv("CAIXIN_INCREMENTAL_MERGE", merge)
    pages, cache = many_pages_copy, tmp_path / "cache"
    first = ingest([pages], cache_dir=cache)
    assert first.earlier is None  # nothing stored before
    assert _edit_body(sorted(pages.iterdir())[2])
    second = ingest([pages], cache_dir=cache)
    assert second.earlier is not None
    old = second.earlier.frame
    assert 1 <= len(old) < len(first.articles) / 10
    assert second.earlier.hashes is not None
    assert np.array_equal(content_hashes(old).view(np.int64), second.earlier.hashes.view(np.int64))
    assert first.hashes is not None and second.hashes is not None
    # every stored story the new generation no longer has is handed over (a few more may be: a story the
    # incremental merge merged again although it did not change)
    lost = first.hashes[~np.isin(first.hashes, second.hashes)]
    assert len(lost) >= 1 and np.isin(lost, second.earlier.hashes).all()
    # the edited story, under its id, with its old text
    edited = old[~np.isin(second.earlier.hashes, second.hashes)]
    assert len(edited) == 1 and edited["article_id"].iloc[0] in set(second.articles["article_id"])
    was = first.articles.loc[first.articles["article_id"] == edited["article_id"].iloc[0], "body"]
    assert edited["body"].tolist() == was.tolist() and "zyxwordedited" not in was.iloc[0]


def test_the_index_takes_the_stories_text_a_block_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built and updated with the text taken 3 stories at a time (``DOCUMENT_ROWS``), the index answers, counts
    and scores as one built with every story taken at once; and a build asks for no story's text twice."""
    before, after = _edited(4, 40)
    monkeypatch.setattr(search, "DOCUMENT_ROWS", 3)
    taken: list[int] = []
    real = search.take_frame_rows
    monkeypatch.setattr(search, "take_frame_rows", lambda frame, rows: taken.append(len(rows)) or real(frame, rows))
    SearchIndex.open(before, tmp_path, content_hashes(before))
    assert max(taken) == 3 and sum(taken) == len(before)
    index = SearchIndex.open(after, tmp_path, content_hashes(after), earlier=[Earlier(before, content_hashes(before))])
    assert index.how == "updated" and index.inserted == 4
    built = SearchIndex.open(after, tmp_path / "in-blocks")
    monkeypatch.setattr(search, "DOCUMENT_ROWS", 10**6)
    _same_as_fresh(index, after)
    _same_as_fresh(built, after)
