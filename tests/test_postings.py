"""Stored bitmaps of common terms (``postings``) and the term counts (``terms``) of the search index: every
query answers exactly what FTS5 alone answers, after a build and after incremental updates (stories
removed, changed, added), for words, prefixes with common and rare expansions and prefixes with none.

The thresholds are lowered (``_low_thresholds``) so that a handful of generated stories stores bitmaps:
a term of two documents or more gets one, a term of one document stays with FTS5.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.storing.search as search
from core.storing.search import Earlier, SearchIndex, content_hashes

# words sharing prefixes ("trad", "tari", "ban", "c"), some frequent, some rare in the generated stories
COMMON = ["trade", "trader", "tariff", "tariffs", "bank", "banks", "china", "canada", "huawei", "5g"]
RARE = ["banking", "bankers", "trademark", "tarifa", "chinese", "canadian", "Nestlé", "élan", "Über"]
SEPARATORS = [" ", ", ", ". ", "-", "’s ", " (", ") ", "\n", "/"]
QUERIES = [
    "trade", "bank", "china", "-china", "tariff*", "trad*", "ban*", "bank*", "c*", "ca*", "t*",
    "zzz*", "q*", "nestle", "nestl*", "ela*", "uber*", "ü*", "5*", "canada -china", "bank* AND trade",
    "-(bank* OR china)", '"trade war"', '"bank china"*', "huawei OR tarifa", "NOT t*",
]  # fmt: skip


@contextmanager
def _low_thresholds(
    floor: int = 2, share: float = 0.0, rare: int = 100, room: float = 1 / 32
) -> Iterator[None]:
    with (
        mock.patch.object(search, "POSTINGS_ROOM", room),
        mock.patch.object(search, "POSTINGS_FLOOR", floor),
        mock.patch.object(search, "POSTINGS_SHARE", share),
        mock.patch.object(search, "MAX_RARE_EXPANSIONS", rare),
    ):
        yield


def _frame(stories: list[tuple[str, str, str | None]], ids: list[str] | None = None) -> pd.DataFrame:
    n = len(stories)
    return pd.DataFrame(
        {
            "article_id": ids if ids is not None else [f"id{i:03d}" for i in range(n)],
            "headline": [s[0] for s in stories],
            "body": [s[1] for s in stories],
            "photo_caption": [s[2] for s in stories],
            "headline_inferred": [False] * n,
            "authors": [[] for _ in range(n)],
            "agency": pd.array([None] * n, dtype="string"),
            "section": ["World"] * n,
        }
    )


@st.composite
def _text(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(COMMON * 3 + RARE), max_size=8))
    return "".join(
        draw(st.sampled_from([w, w.upper(), w.title()])) + draw(st.sampled_from(SEPARATORS)) for w in words
    )


_STORY = st.tuples(_text(), _text(), st.none() | _text())
_STORIES = st.lists(_STORY, min_size=1, max_size=12)


def _plain(index: SearchIndex, query: str) -> np.ndarray:
    """The mask FTS5 alone gives (no stored bitmap read)."""
    index.use_postings = False
    try:
        return index.mask(query)
    finally:
        index.use_postings = True


def _assert_same_as_fts5(index: SearchIndex, queries: list[str] = QUERIES) -> None:
    for query in queries:
        assert np.array_equal(index.mask(query), _plain(index, query)), query


def _assert_tables_exact(db: sqlite3.Connection) -> None:
    """``terms`` holds exactly FTS5's terms and document counts; each bitmap exactly its term's docids."""
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.check_rows USING fts5vocab(main, docs, row)")
    want = dict(db.execute("SELECT term, doc FROM temp.check_rows").fetchall())
    assert dict(db.execute("SELECT term, df FROM terms").fetchall()) == want
    for term, blob in db.execute("SELECT term, docs FROM postings").fetchall():
        docids = [d for (d,) in db.execute("SELECT rowid FROM docs WHERE docs MATCH ?", (f'"{term}"',))]
        assert np.flatnonzero(np.unpackbits(np.frombuffer(blob, dtype=np.uint8))).tolist() == docids, term


@settings(max_examples=40)
@given(_STORIES)
def test_stored_bitmaps_answer_as_fts5_after_a_build(stories: list[tuple[str, str, str | None]]) -> None:
    with _low_thresholds():
        index = SearchIndex.open(_frame(stories), None)
    _assert_same_as_fts5(index)
    _assert_tables_exact(index._db)


def _open(frame: pd.DataFrame, folder: Path, before: pd.DataFrame | None = None) -> SearchIndex:
    """The index of ``frame`` in ``folder``; ``before``: the frame of the index it is updated from (the
    text of the stories it removes)."""
    earlier = [] if before is None else [Earlier(before, content_hashes(before))]
    return SearchIndex.open(frame, folder, content_hashes(frame), earlier=earlier)


_EDITS = st.lists(
    st.tuples(st.sampled_from(["remove", "change", "add", "keep"]), _STORY), min_size=1, max_size=12
)


@settings(max_examples=15)
@given(_STORIES, _EDITS, _EDITS, st.sampled_from([0.0, 1.0]))
def test_stored_bitmaps_stay_exact_through_incremental_updates(
    stories: list[tuple[str, str, str | None]],
    first: list[tuple[str, tuple[str, str, str | None]]],
    second: list[tuple[str, tuple[str, str, str | None]]],
    room: float,
) -> None:
    """With no room to spare (each update grows the bitmaps it touches) and with room for as many
    documents again (the bitmaps change in place). Every change is an update (``REBUILD_SHARE`` 1), never
    a build."""
    ids = [f"id{i:03d}" for i in range(len(stories))]
    with (
        tempfile.TemporaryDirectory() as tmp,
        _low_thresholds(room=room),
        mock.patch.object(search, "REBUILD_SHARE", 1.0),
    ):
        folder = Path(tmp)
        before = _frame(stories, ids)
        index = _open(before, folder)
        assert index.how == "built"
        fresh_id = len(ids)
        for edits in (first, second):
            stories, ids = list(stories), list(ids)
            for n, (edit, story) in enumerate(edits):
                if edit == "add" or not stories:
                    stories.append(story)
                    ids.append(f"id{fresh_id:03d}")
                    fresh_id += 1
                elif edit == "remove" and len(stories) > 1:
                    del stories[n % len(stories)], ids[n % len(ids)]
                elif edit == "change":
                    stories[n % len(stories)] = story
            frame = _frame(stories, ids)
            index._db.close()
            index = _open(frame, folder, before)
            before = frame
            assert index.how in ("updated", "reused")
            _assert_same_as_fts5(index)
            fresh = SearchIndex.open(frame, None)
            for query in QUERIES:
                assert np.array_equal(index.mask(query), _plain(fresh, query)), query
            with closing(sqlite3.connect(next(folder.glob("fts-*.sqlite")))) as db:
                _assert_tables_exact(db)
        index._db.close()


def _known_index(tmp_path: Path) -> tuple[SearchIndex, pd.DataFrame]:
    stories: list[tuple[str, str, str | None]] = [
        ("Trade talks", "bank banks trader", None),
        ("Bank news", "banking tariff China", "trade"),
        ("China", "bankers tariffs", None),
        ("Other", "canada", "trademark china"),
    ]
    frame = _frame(stories)
    with _low_thresholds():
        return _open(frame, tmp_path), frame


def test_a_prefix_reads_common_expansions_and_asks_fts5_for_the_rare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, _ = _known_index(tmp_path)
    assert index._stored_terms() == {"bank", "china", "trade"}
    asked = _asked_of_fts5(monkeypatch)
    assert np.flatnonzero(index.mask("bank*")).tolist() == [0, 1, 2]
    assert asked == ['"bankers" OR "banking" OR "banks"']
    asked.clear()
    assert np.flatnonzero(index.mask("-china")).tolist() == [0]
    assert asked == []  # a stored word: no FTS5 query
    assert np.flatnonzero(index.mask("zz*")).tolist() == []  # no expansion: FTS5 as before
    assert asked == ['"zz" *']
    asked.clear()
    assert np.flatnonzero(index.mask("tari*")).tolist() == [1, 2]  # no common expansion: FTS5 as before
    assert asked == ['"tari" *']
    asked.clear()
    with _low_thresholds(rare=2):
        assert np.flatnonzero(index.mask("ban*")).tolist() == [0, 1, 2]  # three rare: plain prefix
    assert asked == ['"ban" *']


def test_a_wrong_bitmap_is_caught_by_the_comparison(tmp_path: Path) -> None:
    """The equality checks can fail: one bit of a stored bitmap cleared changes the answer."""
    index, frame = _known_index(tmp_path)
    path = next(tmp_path.glob("fts-*.sqlite"))
    index._db.close()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "UPDATE postings SET docs = ? WHERE term = 'china'", (np.packbits([0, 1, 0, 1]).tobytes(),)
        )
    damaged = _open(frame, tmp_path)
    assert damaged.how == "reused"
    assert not np.array_equal(damaged.mask("china"), _plain(damaged, "china"))
    with pytest.raises(AssertionError):
        _assert_tables_exact(damaged._db)


def test_small_collections_store_no_bitmap(tmp_path: Path) -> None:
    frame = _frame([("China trade", "bank china", None)] * 50)
    index = _open(frame, tmp_path)
    assert index._stored_terms() == frozenset()
    with closing(sqlite3.connect(next(tmp_path.glob("fts-*.sqlite")))) as db:
        assert dict(db.execute("SELECT term, df FROM terms").fetchall()) == {
            "bank": 50,
            "china": 50,
            "trade": 50,
        }


def test_a_term_the_tokenizer_would_not_read_back_is_left_to_fts5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored term is asked of FTS5 as a quoted string, which FTS5 tokenises again: a term that would
    not come back as itself gets no bitmap, and a prefix with such a rare expansion is FTS5's prefix."""
    real = search.tokenize

    def odd(word: str) -> list[str]:
        return ["chin"] if word in ("china", "banks") else real(word)

    monkeypatch.setattr(search, "tokenize", odd)
    index, _ = _known_index(tmp_path)
    assert index._stored_terms() == {"bank", "trade"}
    asked = _asked_of_fts5(monkeypatch)
    assert np.flatnonzero(index.mask("bank*")).tolist() == [0, 1, 2]
    assert asked == ['"bank" *']


def _asked_of_fts5(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The MATCH expressions the index asks FTS5 from now on (appended as they are asked)."""
    asked: list[str] = []
    match = SearchIndex._match_rowids

    def spy(self: SearchIndex, expression: str) -> np.ndarray:
        asked.append(expression)
        return match(self, expression)

    monkeypatch.setattr(SearchIndex, "_match_rowids", spy)
    return asked
