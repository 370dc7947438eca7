"""The document keys of an incremental index update: the docmap read column by column, the join of the
frame's keys with it and the docids no story keeps, each compared with the plain pandas version they
replace (kept here as the reference)."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import core.storing.search as search

#: ids of different lengths, non-ASCII, empty, and one with the separator ``_stored_keys`` joins ids with
_IDS = st.sampled_from(["a", "ab", "b" * 24, "é", "日本語", "", "x\x1fy"])
#: few hashes (repeated pairs, one hash under several ids) or any 64-bit one (each hash once)
_HASHES = st.one_of(
    st.sampled_from([0, 1, -1, 2**63 - 1, -(2**63)]), st.integers(min_value=-(2**63), max_value=2**63 - 1)
)
_PAIRS = st.lists(st.tuples(_IDS, _HASHES), max_size=25)


def _reference_row_keys(frame: pd.DataFrame, hashes: np.ndarray) -> pd.DataFrame:
    keys = pd.DataFrame(
        {"article_id": frame["article_id"].astype(str), "hash": hashes.view(np.int64)}
    )
    keys["dup"] = keys.groupby(["article_id", "hash"], sort=False).cumcount().astype(np.int64)
    keys["row"] = np.arange(len(frame), dtype=np.int64)
    return keys


def _reference_stored_keys(db: sqlite3.Connection) -> pd.DataFrame:
    stored = db.execute("SELECT docid, article_id, hash, dup FROM docmap").fetchall()
    return pd.DataFrame(stored, columns=["docid", "article_id", "hash", "dup"]).astype(
        {"docid": np.int64, "article_id": object, "hash": np.int64, "dup": np.int64}
    )


def _keys(pairs: list[tuple[str, int]]) -> pd.DataFrame:
    frame = pd.DataFrame({"article_id": pd.array([i for i, _ in pairs], dtype=object)})
    hashes = np.array([h for _, h in pairs], dtype=np.int64).view(np.uint64)
    keys = search._row_keys(frame, hashes)
    pd.testing.assert_frame_equal(keys, _reference_row_keys(frame, hashes))
    assert keys.attrs[search.UNIQUE] == (len(set(hashes.tolist())) == len(hashes))
    return keys


def _docmap(keys: pd.DataFrame, docids: list[int]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE TABLE docmap(docid INTEGER PRIMARY KEY, article_id TEXT NOT NULL, hash INTEGER NOT NULL,"
        " dup INTEGER NOT NULL)"
    )
    db.executemany(
        "INSERT INTO docmap VALUES (?, ?, ?, ?)",
        zip(docids, keys["article_id"], keys["hash"].tolist(), keys["dup"].tolist(), strict=True),
    )
    return db


def _docids(stored: search.StoredKeys, at: np.ndarray) -> list[int]:
    return [int(stored.docids[i]) if i >= 0 else -1 for i in at.tolist()]


@settings(max_examples=300, deadline=None)
@given(_PAIRS, _PAIRS, st.data())
def test_the_join_is_the_pandas_merge(frame_pairs: list, stored_pairs: list, data: st.DataObject) -> None:
    keys = _keys(frame_pairs)
    stored_rows = _keys(stored_pairs)
    docids = data.draw(
        st.lists(st.integers(0, 10_000), min_size=len(stored_rows), max_size=len(stored_rows), unique=True)
    )
    db = _docmap(stored_rows, docids)
    reference = _reference_stored_keys(db)
    stored = search._stored_keys(db)
    assert stored.docids.dtype == stored.hashes.dtype == stored.dups.dtype == np.int64
    assert stored.docids.tolist() == reference["docid"].tolist()
    assert stored.ids.to_pylist() == reference["article_id"].tolist()
    assert stored.hashes.tolist() == reference["hash"].tolist()
    assert stored.dups.tolist() == reference["dup"].tolist()

    joined = keys.merge(reference, on=["article_id", "hash", "dup"], how="left")
    rows, at = search._joined_keys(keys, stored)
    assert rows.tolist() == joined["row"].tolist()
    assert _docids(stored, at) == joined["docid"].fillna(-1).astype(int).tolist()

    want_gone = np.setdiff1d(reference["docid"].to_numpy(), joined["docid"].dropna().to_numpy(dtype=np.int64))
    assert stored.docids[search._gone_positions(stored, at)].tolist() == want_gone.tolist()


def test_empty_frames_join_to_nothing() -> None:
    empty = _keys([])
    one = _keys([("a", 5)])
    db = _docmap(empty, [])
    stored = search._stored_keys(db)
    assert len(stored) == 0 and stored.ids.type == pa.string()
    rows, at = search._joined_keys(one, stored)
    assert rows.tolist() == [0] and at.tolist() == [-1]
    rows, at = search._joined_keys(empty, search._stored_keys(_docmap(one, [7])))
    assert rows.tolist() == [] and at.tolist() == []
    stored_one = search._stored_keys(_docmap(one, [7]))
    assert stored_one.docids[search._gone_positions(stored_one, at)].tolist() == [7]


def test_a_hash_stored_under_another_id_does_not_match() -> None:
    stored = search._stored_keys(_docmap(_keys([("a", 5), ("b", 6)]), [3, 9]))
    rows, at = search._joined_keys(_keys([("b", 5), ("b", 6), ("c", 7)]), stored)
    assert rows.tolist() == [0, 1, 2] and at.tolist() == [-1, 1, -1]


def _row_of_doc(docids: list[int]) -> np.ndarray:
    mapping = np.full(max(docids, default=-1) + 1, -1, dtype=np.intp)
    mapping[docids] = np.arange(len(docids))
    return mapping


@settings(max_examples=200, deadline=None)
@given(_PAIRS, _PAIRS, st.data())
def test_the_join_from_the_keys_file_is_the_pandas_merge(
    frame_pairs: list, stored_pairs: list, data: st.DataObject
) -> None:
    """The docmap read from the keys file written beside an index (in its frame's row order, with whether
    each hash is once) joins as the docmap read out of SQLite does."""
    keys = _keys(frame_pairs)
    stored_rows = _keys(stored_pairs)
    docids = data.draw(
        st.lists(st.integers(0, 10_000), min_size=len(stored_rows), max_size=len(stored_rows), unique=True)
    )
    db = _docmap(stored_rows, docids)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fts-x.sqlite"
        search._store_keys(path, stored_rows, _row_of_doc(docids))
        stored = search._read_keys(path, db)
    assert stored is not None and stored.unique == stored_rows.attrs[search.UNIQUE]
    assert stored.docids.tolist() == docids and stored.ids.to_pylist() == stored_rows["article_id"].tolist()
    reference = _reference_stored_keys(db)
    joined = keys.merge(reference, on=["article_id", "hash", "dup"], how="left")
    rows, at = search._joined_keys(keys, stored)
    assert rows.tolist() == joined["row"].tolist()
    assert _docids(stored, at) == joined["docid"].fillna(-1).astype(int).tolist()
    assert sorted(stored.docids[search._gone_positions(stored, at)].tolist()) == sorted(
        set(reference["docid"].tolist()) - set(joined["docid"].dropna().astype(int).tolist())
    )


def test_a_keys_file_that_does_not_fit_its_index_is_not_read(tmp_path: Path) -> None:
    keys = _keys([("a", 5), ("b", 6), ("c", 7)])
    path = tmp_path / "fts-x.sqlite"
    search._store_keys(path, keys, _row_of_doc([4, 1, 2]))
    assert search._read_keys(path, _docmap(keys, [4, 1, 2])) is not None
    assert search._read_keys(path, _docmap(keys, [5, 1, 2])) is None  # another highest docid
    assert search._read_keys(path, _docmap(keys.iloc[:2], [4, 1])) is None  # fewer documents
    assert search._read_keys(tmp_path / "fts-y.sqlite", _docmap(keys, [4, 1, 2])) is None  # no file
    keys_file = tmp_path / f"fts-x{search.KEYS_SUFFIX}"
    keys_file.write_bytes(keys_file.read_bytes()[:-40])  # cut short
    assert search._read_keys(path, _docmap(keys, [4, 1, 2])) is None


@st.composite
def _edited(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Distinct hashes, and the same after stories were removed, added, edited or moved (distinct too)."""
    before = draw(st.lists(st.integers(0, 10**6), max_size=60, unique=True))
    now = list(before)
    fresh = iter(range(10**6 + 1, 10**6 + 1000))
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["remove", "add", "edit", "move"]))
        if kind == "add" or not now:
            now.insert(draw(st.integers(0, len(now))), next(fresh))
            continue
        at = draw(st.integers(0, len(now) - 1))
        if kind == "remove":
            del now[at]
        elif kind == "edit":
            now[at] = next(fresh)
        else:
            now.insert(draw(st.integers(0, len(now) - 1)), now.pop(at))
    if draw(st.booleans()):
        now = draw(st.permutations(now))
    return np.array(now, dtype=np.int64), np.array(before, dtype=np.int64)


@settings(max_examples=400, deadline=None)
@given(_edited(), st.sampled_from([0, 1, 2, search.ALIGN_PROBES]))
def test_the_aligned_positions_are_the_hash_tables(edited: tuple[np.ndarray, np.ndarray], probes: int) -> None:
    now, before = edited
    want = pd.Index(before).get_indexer(now).tolist()
    assert search._aligned_positions(now, before, probes).tolist() == want


def test_the_aligned_positions_find_a_shifted_frame_with_few_probes() -> None:
    """A frame with a story added in its middle and one removed later: its parts are found at their
    shifts, and only the new story is looked up."""
    before = np.arange(100, 200, dtype=np.int64) * 7919
    now = np.concatenate([before[:30], [5], before[30:70], before[71:]])
    at = search._aligned_positions(now, before, probes=2)
    assert at.tolist() == pd.Index(before).get_indexer(now).tolist()
    assert at[30] == -1 and at[31] == 30 and at[-1] == 99
