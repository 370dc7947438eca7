"""The catalog matched again after a change (``core.storing.rematch``) equals a match from scratch.

Generated collections (a small vocabulary with a few very common words, stories over four days and
undated ones, headlines taken from the stories' leads or made up) go through random edit sequences: a
story added, removed, its lead or its time changed, a copy of another story, two stories' order swapped,
an entry's headline changed, entries added, a file's entries removed. After each edit ``rematch`` with the previous memo must give the
frame ``match_catalog`` gives. Collections are small on purpose: one story more moves every logarithm the
matcher compares by a few percent, so the margins are tested, not only the untouched entries.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import test_ingest_order
from hypothesis import given, settings
from hypothesis import strategies as st

import core.storing.rematch as rematch_module
from core.config import Reporters
from core.model import BEIJING
from core.storing.cache import CATALOG_PARTS
from core.storing.catalog import _assemble, _EntryTargets, _Index, key_shift, match_catalog
from core.storing.frame import arrow_backed
from core.storing.ingest import Corpus, ingest
from core.storing.rematch import CatalogMemo, _index, _positions_of_unique, _Stories, rematch

WORDS = [f"w{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(90)]
COMMON = WORDS[:6]
DAYS = [pd.Timestamp("2021-03-01 09:00", tz=BEIJING) + pd.Timedelta(days=d) for d in range(4)]


class Collection:
    """Stories and catalog entries made from one seed, edited in place."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.next_id = 0
        self.stories: list[tuple[str, pd.Timestamp | None, str]] = []
        self.entries: list[tuple[str, pd.Timestamp | None, str, int, str]] = []
        for _ in range(self.random.randint(8, 40)):
            self.stories.append(self.story())
        for _ in range(self.random.randint(5, 40)):
            self.entries.append(self.entry())

    def lead(self) -> str:
        words = [self.random.choice(COMMON) for _ in range(self.random.randint(0, 6))]
        words += self.random.sample(WORDS, self.random.randint(4, 14))
        self.random.shuffle(words)
        return " ".join(words).capitalize() + ". More text follows here."

    def when(self) -> pd.Timestamp | None:
        if self.random.random() < 0.15:
            return None
        return self.random.choice(DAYS) + pd.Timedelta(minutes=self.random.randint(0, 600))

    def story(self) -> tuple[str, pd.Timestamp | None, str]:
        self.next_id += 1
        return (f"s{self.next_id:04d}", self.when(), self.lead())

    def headline(self) -> str:
        if self.stories and self.random.random() < 0.7:
            words = self.random.choice(self.stories)[2].rstrip(".").split()[: -4]
            picked = self.random.sample(words, min(len(words), self.random.randint(2, 7)))
            if self.random.random() < 0.3:
                picked.append(self.random.choice(WORDS))
            return " ".join(picked)
        return " ".join(self.random.sample(WORDS, self.random.randint(2, 8)))

    def entry(self) -> tuple[str, pd.Timestamp | None, str, int, str]:
        kind = self.random.choice(["listing", "headline_list", "digest"])
        when = None if kind == "headline_list" else self.when()
        source = self.random.choice(["a.txt", "b.txt", "c.txt", "d.txt"])
        return (self.headline(), when, source, self.random.randint(1, 500), kind)

    def edit(self) -> str:
        action = self.random.choice(
            ["add", "add", "remove", "lead", "time", "copy", "swap", "headline", "entries", "file"]
        )
        stories, entries = self.stories, self.entries
        if action == "add" or (action in ("remove", "lead", "time", "copy", "swap") and not stories):
            stories.insert(self.random.randint(0, len(stories)), self.story())
        elif action == "remove":
            stories.pop(self.random.randrange(len(stories)))
        elif action == "lead":
            at = self.random.randrange(len(stories))
            stories[at] = (stories[at][0], stories[at][1], self.lead())
        elif action == "time":
            at = self.random.randrange(len(stories))
            stories[at] = (stories[at][0], self.when(), stories[at][2])
        elif action == "copy":
            self.next_id += 1
            other = self.random.choice(stories)
            stories.append((f"s{self.next_id:04d}", other[1], other[2]))
        elif action == "swap":  # the frame's order of two stories (of one minute, the index's order too)
            one, other = self.random.randrange(len(stories)), self.random.randrange(len(stories))
            stories[one], stories[other] = stories[other], stories[one]
        elif action == "headline" and entries:
            at = self.random.randrange(len(entries))
            entries[at] = (self.headline(), *entries[at][1:])
        elif action == "entries":
            entries.extend(self.entry() for _ in range(self.random.randint(1, 4)))
        elif action == "file":
            gone = self.random.choice(["a.txt", "b.txt", "c.txt", "d.txt"])
            self.entries = [e for e in entries if e[2] != gone]
        return action

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        articles = pd.DataFrame(
            {
                "article_id": [s[0] for s in self.stories],
                "published_at": pd.Series([s[1] for s in self.stories], dtype="datetime64[ns, UTC+08:00]"),
                "body": [s[2] for s in self.stories],
            }
        )
        entries = pd.DataFrame(
            {
                "headline": [e[0] for e in self.entries],
                "published_at": pd.Series([e[1] for e in self.entries], dtype="datetime64[ns, UTC+08:00]"),
                "source": [e[2] for e in self.entries],
                "line": [e[3] for e in self.entries],
                "kind": [e[4] for e in self.entries],
                "exclude_article_id": [None] * len(self.entries),
            }
        )
        return articles, entries


#: How ``rematch`` keeps the memo's keys: in two layers whenever their order allows, or always renumbered
#: into one (the bounds of ``_layered``; the module's own are between).
LAYERS = {"layered": (1e9, 1.0, 1e9), "renumbered": (0.0, 0.0, 0.0)}


@pytest.fixture(params=sorted(LAYERS))
def layers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    fresh, gone, probe = LAYERS[request.param]
    monkeypatch.setattr(rematch_module, "FRESH_SHARE", fresh)
    monkeypatch.setattr(rematch_module, "GONE_SHARE", gone)
    monkeypatch.setattr(rematch_module, "PROBE_SHARE", probe)
    return str(request.param)


def _one_layer(keys: np.ndarray, key_map: np.ndarray, fresh: np.ndarray, stories: int) -> np.ndarray:
    """Keys in two layers (earlier ``keys`` of ``len(key_map)`` stories, each story's position now in
    ``key_map``, -1 gone; the ``fresh`` keys) as one: every key with its story's position among ``stories``."""
    base_shift = key_shift(len(key_map))
    positions = key_map[keys & ((1 << base_shift) - 1)]
    kept = positions >= 0
    own = ((keys[kept] >> base_shift) << key_shift(stories)) + positions[kept]
    return np.sort(np.concatenate((own, fresh)))


def _index_keys(index: _Index) -> np.ndarray:
    """The index's keys with its own stories' positions, both layers in one."""
    if index.base_map is None or index.fresh is None:
        return index.keys
    return _one_layer(index.keys, index.base_map, index.fresh, index.n)


def _memo_keys(memo: CatalogMemo) -> np.ndarray:
    """The memo's keys with its stories' positions, both layers in one."""
    return _one_layer(memo.keys, memo.key_map, memo.fresh, len(memo.ids))


def _round_trip(memo: CatalogMemo) -> CatalogMemo:
    """The memo as the cache stores and reads it back."""
    back = CatalogMemo.from_tables(memo.tables())
    assert back is not None
    return back


@pytest.mark.parametrize("seed", range(30))
def test_rematch_after_random_edits_equals_a_full_match(seed: int, layers: str) -> None:
    collection = Collection(seed)
    articles, entries = collection.frames()
    matches, memo, again = rematch(articles, entries, None)
    pd.testing.assert_frame_equal(matches, match_catalog(articles, entries))
    assert again == len(entries)
    layered = 0
    for _ in range(10):
        collection.edit()
        articles, entries = collection.frames()
        matches, memo, again = rematch(articles, entries, _round_trip(memo))
        pd.testing.assert_frame_equal(matches, match_catalog(articles, entries))
        assert 0 <= again <= len(entries)
        layered += len(memo.key_map) != len(memo.ids) or not np.array_equal(memo.key_map, np.arange(len(memo.ids)))
    assert (layered > 0) == (layers == "layered")


@pytest.mark.parametrize("seed", range(8))
def test_entries_held_as_python_strings_match_as_those_held_in_arrow(seed: int) -> None:
    """The entries' texts in Arrow (as an ingest makes them from its parts) or as Python strings (as it
    makes them when a file name is not UTF-8) give the same matches, the same memo and as many entries
    matched again, edit after edit."""
    collection = Collection(seed)
    memos: dict[str, CatalogMemo | None] = {"arrow": None, "objects": None}
    for _ in range(6):
        articles, entries = collection.frames()
        held = {
            "arrow": entries,
            "objects": entries.astype({name: object for name in ("headline", "source", "kind")}),
        }
        assert arrow_backed(held["arrow"]["headline"]) and not arrow_backed(held["objects"]["headline"])
        done = {way: rematch(articles, frame, memos[way]) for way, frame in held.items()}
        pd.testing.assert_frame_equal(done["arrow"][0], done["objects"][0])
        arrow, objects = done["arrow"][1].entries, done["objects"][1].entries
        assert arrow.schema.equals(objects.schema)
        for name in arrow.column_names:  # NaN scores: an Arrow column never equals itself
            if pa.types.is_floating(arrow.schema.field(name).type):
                np.testing.assert_array_equal(arrow.column(name).to_numpy(), objects.column(name).to_numpy())
            else:
                assert arrow.column(name).equals(objects.column(name)), name
        assert done["arrow"][2] == done["objects"][2]
        memos = {way: _round_trip(result[1]) for way, result in done.items()}
        collection.edit()


def test_an_unchanged_collection_matches_nothing_again() -> None:
    collection = Collection(7)
    articles, entries = collection.frames()
    first, memo, _ = rematch(articles, entries, None)
    assert first["article_id"].notna().any()  # the generator makes headlines that match
    again_matches, _, again = rematch(articles, entries, memo)
    assert again == 0
    pd.testing.assert_frame_equal(again_matches, first)


def test_most_entries_are_kept_when_one_story_is_added() -> None:
    """A large collection, one story more: few entries are matched again, and the result is the same."""
    collection = Collection(11)
    for _ in range(400):
        collection.stories.append(collection.story())
    for _ in range(300):
        collection.entries.append(collection.entry())
    articles, entries = collection.frames()
    _, memo, _ = rematch(articles, entries, None)
    collection.stories.insert(0, collection.story())
    articles, entries = collection.frames()
    matches, _, again = rematch(articles, entries, memo)
    pd.testing.assert_frame_equal(matches, match_catalog(articles, entries))
    assert again < len(entries) // 2


def test_a_memo_that_is_not_as_written_is_refused() -> None:
    articles, entries = Collection(3).frames()
    _, memo, _ = rematch(articles, entries, None)
    tables = memo.tables()
    assert CatalogMemo.from_tables(tables) is not None
    unsorted = dict(tables, keys=tables["keys"].take(np.arange(tables["keys"].num_rows)[::-1]))
    assert CatalogMemo.from_tables(unsorted) is None
    if tables["keys"].num_rows > 1:  # a key twice (sorted, not unique)
        twice = np.r_[0, np.arange(tables["keys"].num_rows - 1)]
        assert CatalogMemo.from_tables(dict(tables, keys=tables["keys"].take(twice))) is None
    assert CatalogMemo.from_tables({k: v for k, v in tables.items() if k != "words"}) is None
    other = dict(tables, stories=tables["stories"].replace_schema_metadata({"version": "0", "dated": "0"}))
    assert CatalogMemo.from_tables(other) is None
    # the layers: a map that is not increasing or points past the stories, fresh keys out of order, a live
    # count that does not add up
    positions = tables["map"].column("position").to_numpy()
    assert len(positions) > 1
    for wrong in (positions[::-1].copy(), np.r_[positions[:-1], len(positions) + 5], np.r_[positions[:-1], -2]):
        assert CatalogMemo.from_tables(dict(tables, map=pa.table({"position": wrong}))) is None
    fresh = np.array([5, 3], dtype=np.int64)
    assert CatalogMemo.from_tables(dict(tables, fresh=pa.table({"key": fresh}))) is None
    meta = dict(tables["stories"].schema.metadata or {})
    live = dict(tables, stories=tables["stories"].replace_schema_metadata({**meta, b"live": b"1"}))
    assert CatalogMemo.from_tables(live) is None


def _index_anew(stories: _Stories, memo: CatalogMemo) -> _Index:
    """The index of ``stories`` built from all their leads, its words coded as the memo's first."""
    vocab = {word: code for code, word in enumerate(memo.vocab)}
    words, positions = stories.lead_pairs(vocab)
    return _assemble(
        vocab, words, positions, stories.order, stories.ids, stories.days, stories.ns, stories.dated
    )


@pytest.mark.parametrize("chunk", [3, rematch_module._KEY_CHUNK])
@pytest.mark.parametrize("seed", range(12))
def test_an_updated_index_is_the_index_built_anew(
    seed: int, chunk: int, layers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index taken over from the memo is, to the bit (signatures too), the one read from every lead,
    and gives the same posting lists; the change it reports has the memo's word counts. Keys renumbered
    three at a time (many chunks, fresh keys merged into several) or all in one chunk, and the words of
    stories gone from the memo's earlier keys probed one story at a time or all at once."""
    monkeypatch.setattr(rematch_module, "_KEY_CHUNK", chunk)
    collection = Collection(seed)
    articles, entries = collection.frames()
    _, memo, _ = rematch(articles, entries, None)
    for _ in range(10):
        collection.edit()
        articles, entries = collection.frames()
        stories = _Stories.of(articles, None)
        index, change = _index(stories, _round_trip(memo))
        anew = _index_anew(stories, memo)
        assert index.vocab == anew.vocab and (index.n, index.dated) == (anew.n, anew.dated)
        assert _index_keys(index).tobytes() == anew.keys.tobytes()
        assert np.asarray(index.ids).tolist() == np.asarray(anew.ids).tolist()
        for name in ("starts", "df", "positions", "signatures", "days", "ns"):
            got, want = getattr(index, name), getattr(anew, name)
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), name
        codes = np.arange(len(index.vocab), dtype=np.int64)
        for code in codes.tolist():
            assert np.array_equal(index.posting(code), anew.posting(code)), code
        stories_at = np.arange(index.n, dtype=np.int64)
        assert np.array_equal(index.holds(codes, stories_at), anew.holds(codes, stories_at))
        if change is not None:
            old_words = _memo_keys(memo) >> key_shift(len(memo.ids))
            assert np.array_equal(change.df_old, np.bincount(old_words, minlength=len(index.vocab)))
        _, memo, _ = rematch(articles, entries, _round_trip(memo))


@pytest.mark.parametrize("chunk", [2, rematch_module._KEY_CHUNK])
@pytest.mark.parametrize("start, end", [(16, 17), (17, 16), (16, 40), (33, 9), (1, 2), (2, 1)])
def test_an_index_updated_across_a_power_of_two_is_the_index_built_anew(
    start: int, end: int, chunk: int, layers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key keeps a story's position in its low ``key_shift(n)`` bits: when the stories pass a power of
    two, every kept key moves its word bits; the index, its counts and signatures are still the bits of
    the one built anew, and the memo refuses counts that do not add up."""
    monkeypatch.setattr(rematch_module, "_KEY_CHUNK", chunk)
    collection = Collection(5)
    collection.stories = [collection.story() for _ in range(start)]
    articles, entries = collection.frames()
    _, memo, _ = rematch(articles, entries, None)
    assert key_shift(start) != key_shift(end)
    while len(collection.stories) < end:
        collection.stories.insert(collection.random.randint(0, len(collection.stories)), collection.story())
    del collection.stories[end:]
    articles, entries = collection.frames()
    stories = _Stories.of(articles, None)
    index, _ = _index(stories, _round_trip(memo))
    anew = _index_anew(stories, memo)
    assert index.shift == anew.shift == key_shift(end)
    assert _index_keys(index).tobytes() == anew.keys.tobytes()
    for name in ("starts", "df", "signatures"):
        got, want = getattr(index, name), getattr(anew, name)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), name
    matches, memo, _ = rematch(articles, entries, _round_trip(memo))
    pd.testing.assert_frame_equal(matches, match_catalog(articles, entries))
    tables = memo.tables()
    words = tables["words"]
    wrong = words.set_column(1, "df", pa.array(words.column("df").to_numpy() + 1))
    assert CatalogMemo.from_tables(dict(tables, words=wrong)) is None


def _positions_by_index(old_ids: list[str], new_ids: list[str]) -> np.ndarray | None:
    old_index = pd.Index(old_ids, dtype=object)
    if not (old_index.is_unique and pd.Index(new_ids, dtype=object).is_unique):
        return None
    return old_index.get_indexer(new_ids)


Row = TypeVar("Row")


def _edited(old: list[Row], edits: list[tuple[str, int, list[Row]]], most: int) -> list[Row]:
    """``old`` edited as an ingest edits a list: up to ``most`` rows inserted or removed at a place, or one
    replaced."""
    new = list(old)
    for action, at, rows in edits:
        at = min(at, len(new))
        if action == "insert":
            new[at:at] = rows[:most]
        elif action == "delete":
            del new[at : at + most]
        else:
            new[at : at + 1] = rows[:1]
    return new


id_lists = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", "\u00e9", "", "ab"]), max_size=7)


@given(
    old=id_lists,
    edits=st.lists(st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.integers(0, 8), id_lists)),
)
def test_positions_of_unique_ids_are_those_of_a_pandas_index(
    old: list[str], edits: list[tuple[str, int, list[str]]]
) -> None:
    """The old ids edited (so that most are where they were or a few places off), or random ones; with
    repeated ids either side, none, or one."""
    new = _edited(old, edits, 1)
    got = _positions_of_unique(np.array(old, dtype=object), np.array(new, dtype=object))
    want = _positions_by_index(old, new)
    assert (got is None) == (want is None)
    if got is not None:
        assert got.dtype == np.int64 and np.array_equal(got, want)


@given(
    old=st.lists(st.sampled_from("abcdefghij"), unique=True, min_size=1, max_size=9),
    new=st.lists(st.sampled_from("abcdefghijklm"), unique=True, min_size=1, max_size=9),
    orders=st.randoms(use_true_random=False),
    damage=st.sampled_from(["none", "rows-swapped", "moved-short", "two-to-one", "no-rows"]),
)
def test_positions_from_where_the_merge_moved_the_rows_are_those_of_the_ids(
    old: list[str], new: list[str], orders: random.Random, damage: str
) -> None:
    """The memo's stories found from the rows the merge moved (``_positions_moved``) are where their ids
    say (``_positions_of_unique``); rows or moves that do not fit give None (the ids are then looked
    up), never other positions."""
    old_order = list(range(len(old)))
    orders.shuffle(old_order)  # the memo's stories in index order: each one's row in the old frame
    new_order = list(range(len(new)))
    orders.shuffle(new_order)
    new_ids = np.array(new, dtype=object)
    # each old row's row now, as an incremental merge says it
    moved = np.array([new.index(story) if story in new else -1 for story in old], dtype=np.int64)
    memo = CatalogMemo(
        [], np.zeros(0, np.int64), np.array([old[row] for row in old_order], dtype=object), np.zeros(len(old), np.int64),
        np.zeros(len(old), np.uint64), 0, np.zeros(0, np.int64), np.zeros(len(old)), pa.table({}),
        np.arange(len(old)), np.zeros(0, np.int64), 0, rows=np.array(old_order, dtype=np.int64),
    )
    stories = _Stories(np.array(new_order, dtype=np.int64), new_ids[new_order], *([np.zeros(len(new))] * 2), 0, pd.Series(dtype=object), np.zeros(len(new), np.uint64))
    if damage == "rows-swapped" and len(old) > 1 and memo.rows is not None:
        memo.rows[[0, 1]] = memo.rows[[1, 0]]
    elif damage == "moved-short":
        moved = moved[:-1]
    elif damage == "two-to-one" and (moved >= 0).sum() > 1:
        live = np.flatnonzero(moved >= 0)
        moved[live[1]] = moved[live[0]]
    elif damage == "no-rows":
        memo.rows = None

    got = rematch_module._positions_moved(stories, memo, moved)

    want = _positions_of_unique(memo.ids, stories.ids)
    assert want is not None  # distinct ids
    if got is not None:
        assert got.dtype == np.int64 and np.array_equal(got, want)
    if damage == "none":
        assert got is not None
    if damage in ("moved-short", "no-rows") or (damage == "two-to-one" and (moved >= 0).sum() > 1):
        assert got is None


@given(old=id_lists, new=id_lists)
def test_positions_of_unique_ids_when_every_hash_is_one(old: list[str], new: list[str]) -> None:
    """Ids of equal hashes are not taken for one id (pandas settles them)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pd.util, "hash_array", lambda values, categorize: np.zeros(len(values), np.uint64))
        got = _positions_of_unique(np.array(old, dtype=object), np.array(new, dtype=object))
    want = _positions_by_index(old, new)
    assert (got is None) == (want is None)
    if got is not None:
        assert np.array_equal(got, want)


# -- through ingest and its cache ---------------------------------------------------------------------

LEADS = [  # the leads of tests/test_ingest_order.py, and one that shares words with several of them
    *test_ingest_order.LEADS,
    "Huawei shares of revenue from chips fell as regulators fined banks for risky oil-linked products.",
]
HEADLINES = [
    "Banks Absorb Losses on Oil-Linked Products",
    "Huawei Revenue Grew Despite Sanctions on Chips",
    "Beijing Students Return to School in Stages",
    "Regulators Fine Brokerages Over Risky Products",
    "Property Developer Misses Payment on Dollar Bonds",
    "Huawei Chips Revenue Fell",
]
NAMES = ["a.txt", "b.txt", "c.txt", "sub/d.txt"]


def _page(stories: list[tuple[int, int]], headlines: list[int]) -> str:
    """A live-feed page: a LATEST list of ``headlines``, then stories (lead, minute)."""
    parts = ["Caixin Global – Latest China News & Headlines"]
    if headlines:
        parts.append("\n".join(["LATEST", *(HEADLINES[h] for h in headlines)]))
    for lead, minute in stories:
        parts.append(
            f"By Wang Jing / Apr {20 + minute % 3}, 2020 05:{minute:02d} PM / Finance\n\n{LEADS[lead]}\n\n"
            "Officials said the measures would take effect next month, according to a statement."
        )
    return "\n\n".join(parts) + "\n"


page_contents = st.tuples(
    st.lists(st.tuples(st.integers(0, len(LEADS) - 1), st.integers(0, 8)), max_size=4),
    st.lists(st.integers(0, len(HEADLINES) - 1), max_size=4),
)
edits = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(NAMES), page_contents),
    st.tuples(st.just("delete"), st.sampled_from(NAMES), st.just(([], []))),
)


def _ingest(folder: Path, cache: Path | None) -> Corpus:
    return ingest([folder], cache_dir=cache, reporters=Reporters(), workers=1, use_cache=cache is not None)


@pytest.mark.parametrize("way", sorted(LAYERS))
@settings(max_examples=min(settings.default.max_examples, 20))
@given(
    first=st.lists(st.tuples(st.sampled_from(NAMES), page_contents), min_size=1, max_size=4),
    history=st.lists(edits, min_size=1, max_size=5),
)
def test_incremental_ingests_match_the_catalog_as_a_clean_one(
    way: str,
    first: list[tuple[str, tuple[list[tuple[int, int]], list[int]]]],
    history: list[tuple[str, str, tuple[list[tuple[int, int]], list[int]]]],
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in zip(("FRESH_SHARE", "GONE_SHARE", "PROBE_SHARE"), LAYERS[way], strict=True):
            patch.setattr(rematch_module, name, value)
        _ingests_match_a_clean_one(first, history)


def _ingests_match_a_clean_one(
    first: list[tuple[str, tuple[list[tuple[int, int]], list[int]]]],
    history: list[tuple[str, str, tuple[list[tuple[int, int]], list[int]]]],
) -> None:
    work = Path(tempfile.mkdtemp(prefix="rematch-"))
    clock = [1_600_000_000_000_000_000]

    def apply(action: str, name: str, content: tuple[list[tuple[int, int]], list[int]]) -> None:
        path = work / "in" / name
        if action == "delete":
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_page(*content), encoding="utf-8")
        clock[0] += 1_000_000_000
        os.utime(path, ns=(clock[0], clock[0]))

    try:
        for name, content in first:
            apply("write", name, content)
        cache = work / "cache"
        _ingest(work / "in", cache)
        for action, name, content in history:
            apply(action, name, content)
            if not (work / "in").exists() or not any((work / "in").rglob("*.txt")):
                continue
            incremental, clean = _ingest(work / "in", cache), _ingest(work / "in", None)
            pd.testing.assert_frame_equal(incremental.articles, clean.articles)
            pd.testing.assert_frame_equal(incremental.listings, clean.listings)
            assert incremental.report.to_dict() == clean.report.to_dict()
            assert incremental.cache_warnings == []
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_an_incremental_ingest_finds_the_memos_stories_where_the_merge_moved_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a page changed (a story added, one removed, one moved in time), the catalog's update takes
    the memo's stories from the rows the incremental merge moved, not from a lookup of every id; the
    matches are those of a clean ingest."""
    folder = tmp_path / "in"
    folder.mkdir()
    for number, name in enumerate(("a.txt", "b.txt", "c.txt")):
        (folder / name).write_text(_page([(number, 1 + number), (number + 3, 5 + number)], [0, 1, 3]), encoding="utf-8")
    cache = tmp_path / "cache"
    _ingest(folder, cache)
    found: list[str] = []
    moved, by_id = rematch_module._positions_moved, rematch_module._positions_of_unique
    monkeypatch.setattr(
        rematch_module, "_positions_moved", lambda *a: found.append("moved" if (r := moved(*a)) is not None else "none") or r
    )
    monkeypatch.setattr(rematch_module, "_positions_of_unique", lambda *a: found.append("ids") or by_id(*a))
    stamp = 2_000_000_000_000_000_000
    for content in ([(0, 1), (3, 5), (5, 7)], [(3, 5), (5, 7)], [(3, 8), (5, 7)]):
        (folder / "a.txt").write_text(_page(content, [0, 1, 5]), encoding="utf-8")
        stamp += 1_000_000_000
        os.utime(folder / "a.txt", ns=(stamp, stamp))
        found.clear()
        incremental = _ingest(folder, cache)
        assert found == ["moved"], found
        clean = _ingest(folder, None)
        pd.testing.assert_frame_equal(incremental.articles, clean.articles)
        pd.testing.assert_frame_equal(incremental.listings, clean.listings)


def test_ingest_keeps_one_catalog_memo_and_uses_it(tmp_path: Path) -> None:
    """The memo is written with each generation (and only the current one kept), and a changed page's
    ingest reads it: an unreadable memo gives the same frame, matched in full."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(_page([(0, 1), (1, 2), (2, 3)], [0, 1, 2]), encoding="utf-8")
    (folder / "b.txt").write_text(_page([(3, 4), (4, 5)], [3, 4]), encoding="utf-8")
    cache = tmp_path / "cache"
    first = _ingest(folder, cache)
    assert not first.articles["headline_inferred"].all()  # some headlines matched
    memos = sorted(p.name for p in cache.rglob("catalog-*.arrow"))
    assert memos == sorted(f"catalog-{first.generation}.{part}.arrow" for part in CATALOG_PARTS)
    (folder / "b.txt").write_text(_page([(3, 4), (4, 5), (5, 6)], [3, 4, 5]), encoding="utf-8")
    os.utime(folder / "b.txt", ns=(2_000_000_000_000_000_000, 2_000_000_000_000_000_000))
    second = _ingest(folder, cache)
    assert sorted(p.name for p in cache.rglob("catalog-*.arrow")) == sorted(
        f"catalog-{second.generation}.{part}.arrow" for part in CATALOG_PARTS
    )
    for thread in threading.enumerate():  # the previous memo, renamed at once, is removed in a thread
        if thread.name == "caixin-catalog-remove":
            thread.join(timeout=60)
    assert [p.name for p in cache.rglob(".catalog-old-*")] == []
    clean = _ingest(folder, None)
    pd.testing.assert_frame_equal(second.articles, clean.articles)
    pd.testing.assert_frame_equal(second.listings, clean.listings)
    for path in cache.rglob("catalog-*.keys.arrow"):
        path.write_bytes(b"not arrow")
    (folder / "a.txt").write_text(_page([(0, 1), (2, 3)], [0, 2]), encoding="utf-8")
    os.utime(folder / "a.txt", ns=(2_100_000_000_000_000_000, 2_100_000_000_000_000_000))
    third = _ingest(folder, cache)
    assert third.cache_warnings == []
    pd.testing.assert_frame_equal(third.articles, _ingest(folder, None).articles)


def test_the_previous_memo_stays_until_the_state_names_the_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memo of the generation the state names is removed only once the state names the next one: an
    ingest whose state cannot be written leaves the previous memo (the state still names its generation,
    and the next ingest uses it), and its own memo is removed by the next ingest that writes its state."""
    import core.storing.cache as cache_module

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(_page([(0, 1), (1, 2), (2, 3)], [0, 1, 2]), encoding="utf-8")
    cache = tmp_path / "cache"
    first = _ingest(folder, cache)
    first_memo = sorted(f"catalog-{first.generation}.{part}.arrow" for part in CATALOG_PARTS)
    real_write = cache_module.atomic_write_bytes

    def no_state(path: Path, data: bytes) -> None:
        if path.name == "state.json":
            raise OSError(28, "No space left on device")
        real_write(path, data)

    (folder / "a.txt").write_text(_page([(0, 1), (1, 2), (2, 3), (3, 4)], [0, 1, 2, 3]), encoding="utf-8")
    os.utime(folder / "a.txt", ns=(2_000_000_000_000_000_000, 2_000_000_000_000_000_000))
    monkeypatch.setattr(cache_module, "atomic_write_bytes", no_state)
    failed = _ingest(folder, cache)
    monkeypatch.undo()
    assert failed.generation is None and any("cache not written" in w for w in failed.cache_warnings)
    names = {p.name for p in cache.rglob("catalog-*.arrow")}
    assert set(first_memo) <= names  # the state's memo is there still
    again = _ingest(folder, cache)
    for thread in threading.enumerate():
        if thread.name == "caixin-catalog-remove":
            thread.join(timeout=60)
    assert sorted(p.name for p in cache.rglob("catalog-*.arrow")) == sorted(
        f"catalog-{again.generation}.{part}.arrow" for part in CATALOG_PARTS
    )
    assert [p.name for p in cache.rglob(".catalog-old-*")] == []
    pd.testing.assert_frame_equal(again.articles, _ingest(folder, None).articles)


def test_an_ingest_that_changed_few_stories_links_the_memo_keys(
    tmp_path: Path, layers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the memo's keys are kept as they are, the new generation's keys file is the old one linked
    (one inode, nothing written), and the frames are a clean ingest's; renumbered keys are written anew. A
    cache where the link fails gets the keys written."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(_page([(0, 1), (1, 2), (2, 3)], [0, 1, 2]), encoding="utf-8")
    (folder / "b.txt").write_text(_page([(3, 4), (4, 5)], [3, 4, 5]), encoding="utf-8")
    cache = tmp_path / "cache"
    first = _ingest(folder, cache)
    (keys_file,) = cache.rglob(f"catalog-{first.generation}.keys.arrow")
    inode = keys_file.stat().st_ino
    clock = 2_000_000_000_000_000_000
    for step, stories in enumerate(([(3, 4), (4, 5), (5, 6)], [(3, 4), (5, 6)], [(5, 6)])):
        (folder / "b.txt").write_text(_page(stories, [3, 4, 5]), encoding="utf-8")
        os.utime(folder / "b.txt", ns=(clock + step, clock + step))
        if step == 2:  # no link to be had: the keys are written
            monkeypatch.setattr(os, "link", lambda *args, **kwargs: (_ for _ in ()).throw(OSError("no links here")))
        corpus = _ingest(folder, cache)
        (keys_file,) = cache.rglob(f"catalog-{corpus.generation}.keys.arrow")
        assert (keys_file.stat().st_ino == inode) == (layers == "layered" and step < 2), step
        clean = _ingest(folder, None)
        pd.testing.assert_frame_equal(corpus.articles, clean.articles)
        pd.testing.assert_frame_equal(corpus.listings, clean.listings)
        assert corpus.cache_warnings == []


_entry_rows = st.lists(
    st.tuples(
        st.sampled_from(["Trade talks", "trade talks", "", "\u00e9t\u00e9", "Huawei 5G"]),
        st.sampled_from([-(2**63), 0, 1_600_000_000_000_000_000]),
        st.sampled_from(["a.txt", "b.txt"]),
        st.integers(0, 3),
        st.sampled_from(["listing", "digest"]),
    ),
    max_size=25,
)


def _fields(rows: list[tuple[str, int, str, int, str]], arrow: bool = False) -> list[Any]:
    """The entries' fields as ``rematch`` compares them: numpy arrays, the texts in Arrow when ``arrow``
    (as an ingest's entries hold them)."""
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
    kinds = [object, np.int64, object, np.int64, object]
    fields: list[Any] = [np.array(list(column), dtype=kind) for column, kind in zip(columns, kinds, strict=True)]
    if arrow:
        fields = [pa.array(list(field), pa.string()) if field.dtype == object else field for field in fields]
    return fields


@given(old=_entry_rows, new=_entry_rows, buckets=st.sampled_from([0, 1, 3]))
def test_equal_rows_are_those_of_a_dict_of_the_old_rows(
    old: list[tuple[str, int, str, int, str]], new: list[tuple[str, int, str, int, str]], buckets: int
) -> None:
    """The equal row of each entry: the last old row of the same fields, as a dict of them gives; also when
    the hash puts different rows together (``buckets``: every hash taken modulo that many)."""
    want = {row: number for number, row in enumerate(old)}
    expected = [want.get(row, -1) for row in new]
    real = rematch_module._field_hashes
    try:
        if buckets:
            rematch_module._field_hashes = lambda fields: real(fields) % np.uint64(buckets)  # type: ignore[assignment]
        got = rematch_module._equal_rows(_fields(old), _fields(new))
    finally:
        rematch_module._field_hashes = real  # type: ignore[assignment]
    assert got.dtype == np.int64 and got.tolist() == expected


@given(
    old=_entry_rows,
    edits=st.lists(st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.integers(0, 25), _entry_rows)),
    arrow=st.booleans(),
)
def test_memo_rows_find_every_entry_kept_in_place_or_shifted(
    old: list[tuple[str, int, str, int, str]],
    edits: list[tuple[str, int, list[tuple[str, int, str, int, str]]]],
    arrow: bool,
) -> None:
    """The memo row of each entry has its fields; an entry equal to the old row at its place, or at its
    place moved by the entries added or removed, gets that row; and no entry with an equal old row among
    those not so taken is missed (the old rows edited as an ingest edits them: rows inserted, removed,
    replaced). The texts compared as Python strings or in Arrow."""
    new = _edited(old, edits, 3)
    got = rematch_module._memo_rows(_fields(old, arrow), _fields(new, arrow)).tolist()
    assert all(row == -1 or old[row] == entry for row, entry in zip(got, new, strict=True))
    shifts = {0, len(new) - len(old)}
    taken = set()
    for shift in shifts:
        for i, entry in enumerate(new):
            if got[i] == i - shift and 0 <= i - shift < len(old) and old[i - shift] == entry:
                taken.add(i - shift)
            elif 0 <= i - shift < len(old) and old[i - shift] == entry:  # one of its places, not elsewhere
                assert got[i] in {i - other for other in shifts}, f"entry {i} is old row {i - shift}, given {got[i]}"
    rest_old = {old[j] for j in range(len(old)) if j not in taken}
    assert all(got[i] >= 0 for i, entry in enumerate(new) if entry in rest_old)


@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(alphabet="ab é", max_size=5)),
            st.one_of(st.none(), st.sampled_from(DAYS)),
            st.one_of(st.none(), st.sampled_from(["s1", "s2"])),
        ),
        max_size=12,
    ),
    arrow=st.booleans(),
)
def test_entry_targets_for_some_entries_are_those_for_every_entry(
    rows: list[tuple[str | None, pd.Timestamp | None, str | None]], arrow: bool
) -> None:
    """The targets a rematch reads one by one (headlines from the Arrow column, columns of no value not
    converted value by value) are those of a full match."""
    entries = pd.DataFrame(
        {
            "headline": pd.Series([h for h, _, _ in rows], dtype="str" if arrow else object),
            "published_at": [t for _, t, _ in rows],
            "exclude_article_id": [x for _, _, x in rows],
        }
    )
    every, some = _EntryTargets.of(entries), _EntryTargets.of(entries, every=False)
    assert len(some.headlines) == len(every.headlines) == len(rows)
    assert [some.headlines[i] for i in range(len(rows))] == list(every.headlines)
    assert some.excluded == every.excluded == [x for _, _, x in rows]
    pd.testing.assert_series_equal(some.published, every.published)
    for name in ("days", "known", "ns"):
        assert np.array_equal(getattr(some, name), getattr(every, name)), name
