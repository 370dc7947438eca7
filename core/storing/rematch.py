"""The headline catalog matched again after a change, only where a match can change.

``match_catalog`` (``core.storing.catalog``) indexes the leads of every story and matches every entry. After
an ingest that changed a few pages, most of that is the same as last time. ``rematch`` keeps what the last
match of the cache generation left (a ``CatalogMemo``: its index and each entry's outcome) and gives the same
frame as ``match_catalog`` while doing only this:

- **the index** is the previous one with the stories that changed taken out and put in again: a story whose
  id, time and body (hashed) are the previous ones keeps its (word, story) pairs; only new or changed leads
  are read;
- **an entry** is matched again only when its outcome can change. An entry's outcome depends on its own
  headline and time, on the stories that are its candidates, and otherwise only through comparisons of sums
  of logarithms (of the number of stories, of a date window's stories, of the number of stories holding each
  of its words) with fixed bounds. ``_best`` records how far the nearest of those comparisons was from its
  bound (``margin``). The entry is kept when: it is an entry of the previous match (same headline, time,
  source, line and kind) that excludes no story; no changed story (its old or its new version) holds one of
  the words its candidates came from within its date window; its known words are still known and in the
  same order of rarity, and no word of its headline became known; and the largest change those logarithms
  can make to any of its comparisons is smaller than its margin. The kept entry's margin shrinks by that
  change, so that it stays a bound for the next update.

Everything else is matched as ``match_catalog`` would. ``tests/test_rematch.py`` compares the two over random
edit sequences.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.arrays import sorted_unique
from core.storing.catalog import (
    _BEIJING_NS,
    _DAY_NS,
    MAX_CHANCE,
    StoryIds,
    _assemble,
    _beijing_days,
    _EntryTargets,
    _holds,
    _Index,
    _index_of_keys,
    _lead_pairs,
    _Outcome,
    _Seen,
    column_texts,
    headline_words,
    key_shift,
    word_values,
)
from core.storing.frame import arrow_text
from core.storing.search import body_hashes

__all__ = ["CatalogMemo", "rematch"]

#: Bumped when what the memo holds or what ``_best`` decides changes: a memo of another version is ignored.
MEMO_VERSION = "3"
#: A margin must exceed the change by this much (the sums are of a few logarithms: rounding is far below).
TOLERANCE = 1e-7
#: Above this share of changed stories every entry is matched again (checking would cost more).
REMATCH_ALL_SHARE = 0.2
_NO_TIME = np.iinfo(np.int64).min
#: Keys renumbered at a time by ``_renumbered_keys`` (4 MB of them), and the most ``_probed_pairs`` looks up at
#: a time.
_KEY_CHUNK = 1 << 19
#: The memo's earlier keys are kept as they are (``_layered``) while the keys of the stories not among them
#: are at most this share of them ...
FRESH_SHARE = 1 / 16
#: ... the stories gone from them at most this share of them ...
GONE_SHARE = 1 / 8
#: ... and probing every word for each story gone since the last update looks up at most this share of
#: their number.
PROBE_SHARE = 1 / 4


@dataclass(slots=True)
class CatalogMemo:
    """What one match of the catalog leaves for the next: its index, each story's body hash, and each
    entry's outcome. Stories are in the index's order (dated first, by time).

    The index's keys are kept in two layers, so that an update that changed a few stories writes none of
    the 28 million keys of a million stories: ``keys`` are those of an earlier index of ``len(key_map)``
    stories, ``key_map`` gives the position of each of those stories in this memo (-1: gone; the others in
    their order) and ``fresh`` the keys of the stories not among them. A full match, and an update that
    changed many stories, leaves one layer (``key_map`` every position, ``fresh`` empty)."""

    vocab: list[str]
    #: ``word << key_shift(len(key_map)) | position``, sorted and unique: the earlier index's keys
    keys: np.ndarray
    ids: StoryIds
    ns: np.ndarray
    #: ``core.storing.search.body_hashes`` of each story
    bodies: np.ndarray
    dated: int
    #: the number of stories holding each word (``_Index.df``)
    df: np.ndarray
    #: each story's signature (``_Index.signatures``)
    signatures: np.ndarray
    #: one row per entry: ``headline``, ``published_ns``, ``source``, ``line``, ``kind``, ``article_id``,
    #: ``score``, ``margin``, ``prefix``, ``words`` (its headline's word count) and ``codes`` (its known
    #: words' codes, rarest first)
    entries: pa.Table
    #: the position now of each story of ``keys`` (-1: gone), increasing where not -1
    key_map: np.ndarray
    #: ``word << key_shift(len(ids)) | position`` of the stories not in ``keys``, sorted and unique
    fresh: np.ndarray
    #: how many of ``keys`` are of stories still here (``df`` sums to this and ``len(fresh)``)
    live: int
    #: the cache generation whose memo file holds ``keys`` as they are (``CacheStore.write_catalog`` links
    #: it instead of writing them again); None: not read from a file
    base_from: str | None = None
    #: each story's row in the articles frame it was matched in (None: a memo written without them), so
    #: that the next match finds its stories from where the merge moved those rows, not by their ids
    rows: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.ids = StoryIds(self.ids)  # ids given as an array of str (tests) held in Arrow all the same

    def tables(self) -> dict[str, pa.Table]:
        """The memo as Arrow tables (``CacheStore.write_catalog``)."""
        meta = {"version": MEMO_VERSION, "dated": str(self.dated), "live": str(self.live)}
        columns = {
            "id": self.ids.array.cast(pa.string()),
            "ns": self.ns,
            "body": self.bodies,
            "signature": self.signatures,
        }
        if self.rows is not None:
            columns["row"] = self.rows
        stories = pa.table(columns).replace_schema_metadata(meta)
        return {
            "stories": stories,
            "words": pa.table({"word": pa.array(self.vocab, pa.string()), "df": self.df}),
            "keys": pa.table({"key": self.keys}),
            "map": pa.table({"position": self.key_map}),
            "fresh": pa.table({"key": self.fresh}),
            "entries": self.entries,
        }

    @classmethod
    def from_tables(cls, tables: dict[str, pa.Table]) -> CatalogMemo | None:
        """The memo of ``tables``, or None when they are not as ``tables`` writes them."""
        try:
            stories, words, keys, key_map_table, fresh_table, entries = (
                tables[k] for k in ("stories", "words", "keys", "map", "fresh", "entries")
            )
            meta = stories.schema.metadata or {}
            if meta.get(b"version") != MEMO_VERSION.encode() or entries.column_names != ENTRY_FIELDS:
                return None
            ids = StoryIds(stories.column("id"))
            ns = stories.column("ns").to_numpy()
            bodies = stories.column("body").to_numpy()
            signatures = stories.column("signature").to_numpy()
            vocab = words.column("word").to_pylist()
            df = words.column("df").to_numpy()
            key_values = keys.column("key").to_numpy()
            key_map = key_map_table.column("position").to_numpy()
            fresh = fresh_table.column("key").to_numpy()
            dated, live = int(meta[b"dated"]), int(meta[b"live"])
            rows = stories.column("row").to_numpy() if "row" in stories.column_names else None
        except (KeyError, ValueError, pa.ArrowException):
            return None
        n = len(ids)
        if rows is not None and (rows.dtype != np.int64 or len(rows) != n or (n and (rows.min() < 0 or rows.max() >= n))):
            return None
        if not (0 <= dated <= n and len(ns) == n and len(bodies) == n and len(signatures) == n):
            return None
        if ns.dtype != np.int64 or signatures.dtype != np.float64 or df.dtype != np.int64:
            return None
        if bodies.dtype != np.uint64 or key_values.dtype != np.int64 or None in vocab:
            return None
        if key_map.dtype != np.int64 or fresh.dtype != np.int64:
            return None
        if not (_sorted_keys(key_values, len(vocab), len(key_map)) and _sorted_keys(fresh, len(vocab), n)):
            return None
        moved_to = key_map[key_map >= 0]
        if len(moved_to) and (moved_to[-1] >= n or key_map.min() < -1 or not _in_order(key_map)):
            return None
        if len(fresh) and int((fresh & ((1 << key_shift(n)) - 1)).max()) >= n:
            return None
        if len(df) != len(vocab) or not 0 <= live <= len(key_values) or df.sum() != live + len(fresh):
            return None
        return cls(vocab, key_values, ids, ns, bodies, dated, df, signatures, entries, key_map, fresh, live, rows=rows)


def _sorted_keys(keys: np.ndarray, words: int, stories: int) -> bool:
    """Are ``keys`` sorted, unique and of ``words`` words and ``stories`` stories?"""
    if not len(keys):
        return True
    # sorted and unique without a difference array of 28 million
    return bool(keys[0] >= 0 and keys[-1] < words << key_shift(stories) and not (keys[1:] <= keys[:-1]).any())


ENTRY_FIELDS = [
    "headline",
    "published_ns",
    "source",
    "line",
    "kind",
    "article_id",
    "score",
    "margin",
    "prefix",
    "words",
    "codes",
]


@dataclass(slots=True)
class _Stories:
    """The stories of the new frame in the index's order."""

    order: np.ndarray
    ids: StoryIds
    days: np.ndarray
    ns: np.ndarray
    dated: int
    body: pd.Series
    hashes: np.ndarray

    def __post_init__(self) -> None:
        self.ids = StoryIds(self.ids)

    @classmethod
    def of(cls, articles: pd.DataFrame, hashes: np.ndarray | None) -> _Stories:
        n = len(articles)
        days, known, ns = _beijing_days(articles["published_at"])
        order = np.lexsort((np.arange(n), ns, ~known))  # as ``_build_index``: time order, undated last
        ids = StoryIds.of_column(articles["article_id"], order)
        hashes = body_hashes(articles["body"]) if hashes is None else np.asarray(hashes, dtype=np.uint64)
        return cls(order, ids, days[order], ns[order], int(known.sum()), articles["body"], hashes[order])

    def lead_pairs(self, vocab: dict[str, int], positions: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``catalog._lead_pairs`` of the stories at ``positions`` (all: None), their bodies read only for
        those."""
        return _lead_pairs(column_texts(self.body), vocab, self.order if positions is None else self.order[positions])


@dataclass(slots=True)
class _Change:
    """How the index changed: per word code the old and new story counts, and the changed stories' versions
    (old and new) as (known, day) per word code."""

    df_old: np.ndarray
    n_old: int
    old_days: np.ndarray
    touched: dict[int, list[tuple[bool, int]]]
    changed: int


def rematch(
    articles: pd.DataFrame,
    entries: pd.DataFrame,
    memo: CatalogMemo | None,
    min_score: float = 0.6,
    *,
    max_chance: float = MAX_CHANCE,
    bodies: np.ndarray | None = None,
    moved: np.ndarray | None = None,
) -> tuple[pd.DataFrame, CatalogMemo, int]:
    """``match_catalog(articles, entries, min_score, max_chance=...)``, using the ``memo`` of an earlier
    match (of the same ``min_score`` and ``max_chance``) where it still holds; None: match everything.
    ``bodies``: ``core.storing.search.body_hashes`` of the articles, when known. ``moved``: for each row of
    the frame the memo was matched in, the row of its story in ``articles`` (-1: gone), when the caller
    knows it (an incremental merge: ``core.storing.ingest.RowsNow``); the memo's stories are then found
    by it instead of by looking up a million ids.

    Returns the matches, the memo of this match and how many entries were matched again (the others were
    taken from the memo).
    """
    stories = _Stories.of(articles, bodies)
    index, change = _index(stories, memo, moved)
    targets = _EntryTargets.of(entries, every=memo is None or change is None)  # else only some are matched
    texts = _text_fields(entries)
    count = len(entries)
    keep, old_rows, shift = (
        _kept(entries, texts, targets, index, change, memo)
        if memo is not None and change is not None
        else (np.zeros(count, dtype=bool), np.full(count, -1), np.zeros(count))
    )
    matched = np.full(count, None, dtype=object)
    scores = np.full(count, np.nan)
    margins = np.full(count, np.inf)
    prefixes = np.zeros(count, dtype=np.int32)
    word_counts = np.zeros(count, dtype=np.int32)
    kept_at = np.flatnonzero(keep)
    # the kept entries' codes, taken from the memo's column in Arrow (no Python list per entry)
    kept_codes = pa.array([], pa.list_(pa.int64()))
    if memo is not None and len(kept_at):
        old = memo.entries
        rows = old_rows[keep]
        matched[kept_at] = old.column("article_id").to_numpy(zero_copy_only=False)[rows]
        scores[kept_at] = old.column("score").to_numpy(zero_copy_only=False)[rows]
        margins[kept_at] = old.column("margin").to_numpy(zero_copy_only=False)[rows] - shift[kept_at]
        prefixes[kept_at] = old.column("prefix").to_numpy(zero_copy_only=False)[rows]
        word_counts[kept_at] = old.column("words").to_numpy(zero_copy_only=False)[rows]
        kept_codes = old.column("codes").combine_chunks().take(pa.array(rows)).cast(pa.list_(pa.int64()))
    again = np.flatnonzero(~keep)
    again_codes: list[list[int]] = []
    seen: _Seen = {}
    for position in again.tolist():
        outcome: _Outcome = targets.outcome(index, position, min_score, max_chance, seen)
        if outcome.match is not None:
            story, score = outcome.match
            matched[position] = str(index.ids[story])
            scores[position] = score
        margins[position] = outcome.margin
        prefixes[position] = outcome.prefix
        word_counts[position] = len(headline_words(targets.headlines[position]))
        again_codes.append(list(outcome.codes))
    # the kept entries' codes, then the others': put in entry order
    placed = np.empty(count, dtype=np.int64)
    placed[np.concatenate((kept_at, again))] = np.arange(count)
    codes = pa.concat_arrays([kept_codes, pa.array(again_codes, pa.list_(pa.int64()))]).take(pa.array(placed))
    matched_ids: list[str | None] = matched.tolist()
    frame = targets.frame(entries, matched_ids, scores)
    headline, source, kind = (_memo_text(field) for field in texts)
    memo_entries = pa.table(
        {
            "headline": headline,
            "published_ns": np.where(targets.known, targets.ns, _NO_TIME),
            "source": source,
            "line": entries["line"].astype("int64").to_numpy(),
            "kind": kind,
            "article_id": pa.array(matched_ids, pa.string()),
            "score": scores,
            "margin": margins,
            "prefix": prefixes,
            "words": word_counts,
            "codes": codes,
        }
    )
    vocab = [""] * len(index.vocab)
    for word, code in index.vocab.items():
        vocab[code] = word
    if index.base_map is not None and index.fresh is not None:  # the memo's keys taken over as they are
        key_map, fresh, base_from = index.base_map, index.fresh, memo.base_from if memo is not None else None
    else:
        key_map, fresh, base_from = np.arange(index.n, dtype=np.int64), np.zeros(0, dtype=np.int64), None
    new_memo = CatalogMemo(
        vocab,
        index.keys,
        index.ids,
        index.ns,
        stories.hashes,
        index.dated,
        index.df,
        index.signatures,
        memo_entries,
        key_map,
        fresh,
        int(index.df.sum()) - len(fresh),
        base_from,
        stories.order,
    )
    return frame, new_memo, len(again)


def _index(
    stories: _Stories, memo: CatalogMemo | None, moved: np.ndarray | None = None
) -> tuple[_Index, _Change | None]:
    """The index of the new stories: from the memo's where it can, else built anew (change None).
    ``moved``: as ``rematch`` takes it."""
    n = len(stories.ids)
    if memo is not None and len(memo.ids) and n:
        old_at = _positions_moved(stories, memo, moved) if moved is not None else None
        if old_at is None:
            old_at = _positions_of_unique(memo.ids, stories.ids)
        if old_at is not None:
            return _updated_index(stories, memo, old_at)
    vocab: dict[str, int] = {}
    words, positions = stories.lead_pairs(vocab)
    return _assemble(
        vocab, words, positions, stories.order, stories.ids, stories.days, stories.ns, stories.dated
    ), None


def _positions_moved(stories: _Stories, memo: CatalogMemo, moved: np.ndarray) -> np.ndarray | None:
    """What ``_positions_of_unique(memo.ids, stories.ids)`` gives, from where the merge moved the rows the
    memo's stories had (``moved``: each earlier row's row now, -1 gone) and the memo's rows: no hash of a
    million ids (0.2-0.3 s). None when the memo has no rows, they and ``moved`` do not fit together, two
    of its stories would be one, or a story found so has another id (the caller then looks the ids up)."""
    rows, n = memo.rows, len(stories.ids)
    if rows is None or len(rows) != len(memo.ids) or len(moved) != len(rows):
        return None
    now = moved[rows]  # the row now of each of the memo's stories
    live = now >= 0
    if live.any() and (now.max() >= n or np.bincount(now[live], minlength=n).max() > 1):
        return None
    at_row = np.full(n, -1, dtype=np.int64)
    at_row[now[live]] = np.flatnonzero(live)
    old_at: np.ndarray = at_row[stories.order]  # in the index's order, as the stories' ids are
    found = old_at >= 0
    if not memo.ids.same_at(old_at[found], stories.ids, np.flatnonzero(found)):
        return None
    return old_at


def _positions_of_unique(old_ids: StoryIds | np.ndarray, new_ids: StoryIds | np.ndarray) -> np.ndarray | None:
    """The position of each of ``new_ids`` in ``old_ids`` (-1: not there), or None when either holds an id
    twice.

    Without a pandas ``Index`` (its hash table of a million Python strings takes a second). After an ingest
    most ids are where they were, or moved by the number of stories added or removed before them: those two
    places are tried first, by comparing the ids one to one. The others are looked up by a 64-bit hash of
    each old id, sorted. Ids of different hashes differ, so distinct old hashes prove the old ids distinct;
    then the new ids are distinct when no two of them were found at one old position and those not found
    have distinct hashes. Equal hashes (a repeated id, or rarely two ids of one hash) are settled by
    pandas."""
    old_ids, new_ids = np.asarray(old_ids, dtype=object), np.asarray(new_ids, dtype=object)
    n, n_old = len(new_ids), len(old_ids)
    try:
        old_hashes = pd.util.hash_array(old_ids, categorize=False)
    except (TypeError, ValueError):  # not text, or text that has no UTF-8 (a lone surrogate)
        return _positions_by_pandas(old_ids, new_ids)
    sorted_hashes = np.sort(old_hashes)
    if (sorted_hashes[1:] == sorted_hashes[:-1]).any():
        return _positions_by_pandas(old_ids, new_ids)
    old_at = np.full(n, -1, dtype=np.int64)
    left = np.ones(n, dtype=bool)
    for shift in sorted({0, n - n_old}):
        # new position i against old position i - shift
        lo, hi = max(shift, 0), min(n, n_old + shift)
        if lo < hi:
            equal = left[lo:hi] & (new_ids[lo:hi] == old_ids[lo - shift : hi - shift])
            old_at[lo:hi][equal] = np.flatnonzero(equal) + (lo - shift)
            left[lo:hi] &= ~equal
    rest = np.flatnonzero(left)
    try:
        rest_hashes = pd.util.hash_array(new_ids[rest], categorize=False)
    except (TypeError, ValueError):
        return _positions_by_pandas(old_ids, new_ids)
    at = np.minimum(np.searchsorted(sorted_hashes, rest_hashes), max(n_old - 1, 0))
    hit = (sorted_hashes[at] == rest_hashes) if n_old else np.zeros(len(rest), dtype=bool)
    if hit.any():
        order = np.argsort(old_hashes, kind="stable")
        candidates = order[at[hit]]
        rows = rest[hit]
        match = old_ids[candidates] == new_ids[rows]
        old_at[rows[match]] = candidates[match]
    missing = np.sort(rest_hashes[old_at[rest] < 0])
    if (missing[1:] == missing[:-1]).any():
        return _positions_by_pandas(old_ids, new_ids)
    found = old_at[old_at >= 0]
    if (np.bincount(found, minlength=n_old) > 1).any():
        return None  # two new ids are one old id
    return old_at


def _positions_by_pandas(old_ids: np.ndarray, new_ids: np.ndarray) -> np.ndarray | None:
    """``_positions_of_unique`` by pandas indexes."""
    old_index, new_index = pd.Index(old_ids), pd.Index(new_ids)
    if not (old_index.is_unique and new_index.is_unique):
        return None
    return np.asarray(old_index.get_indexer(new_ids), dtype=np.int64)


def _updated_index(stories: _Stories, memo: CatalogMemo, old_at: np.ndarray) -> tuple[_Index, _Change | None]:
    """The index of the new stories from the memo's: ``old_at`` is each story's position in the memo (-1:
    none). The kept stories' word counts and signatures are the memo's, so only the gone and the fresh
    stories' pairs are counted.

    The memo's earlier keys (``CatalogMemo.keys``) stay as they are when few stories changed (``_layered``):
    their map to the new positions is updated, and the keys of the stories not among them (the memo's fresh
    ones still here, and the new or changed stories) make the new fresh layer. Otherwise every key is
    renumbered (one pass over the keys, no division) into one layer."""
    n, n_old = len(stories.ids), len(memo.ids)
    same = old_at >= 0
    candidates = old_at[same]
    new_known = np.arange(n) < stories.dated
    old_known = np.arange(n_old) < memo.dated
    same[same] = (
        (memo.bodies[candidates] == stories.hashes[same])
        & (memo.ns[candidates] == stories.ns[same])
        & (old_known[candidates] == new_known[same])
    )
    new_of_old = np.full(n_old, -1, dtype=np.int64)
    new_of_old[old_at[same]] = np.flatnonzero(same)
    old_shift, shift = key_shift(n_old), key_shift(n)
    old_mask = (1 << old_shift) - 1
    vocab = {word: code for code, word in enumerate(memo.vocab)}
    fresh = np.flatnonzero(~same)
    fresh_words, fresh_at = stories.lead_pairs(vocab, fresh)
    fresh_keys = sorted_unique((fresh_words << shift) + fresh[fresh_at])
    # the memo's fresh layer: the keys of stories still here renumbered (in order: positions keep theirs)
    own_positions = memo.fresh & old_mask
    own_new = new_of_old[own_positions]
    own_kept = own_new >= 0
    carried_keys = ((memo.fresh[own_kept] >> old_shift) << shift) + own_new[own_kept]
    delta = np.union1d(carried_keys, fresh_keys) if len(carried_keys) else fresh_keys
    # the earlier keys' stories, where they are now (-1: gone before, or now)
    base_map = np.where(memo.key_map >= 0, new_of_old[np.maximum(memo.key_map, 0)], -1)
    base_shift = key_shift(len(memo.key_map))
    gone_base = np.flatnonzero((memo.key_map >= 0) & (base_map < 0))
    layered = _layered(memo, base_map, delta, gone_base)
    if layered:
        base_words, base_positions = _probed_pairs(memo.keys, base_shift, len(memo.vocab), gone_base)
        keys = memo.keys
    else:
        keys, gone_keys = _renumbered_keys(memo.keys, base_map, base_shift, shift, delta)
        base_positions = gone_keys & ((1 << base_shift) - 1)
        before = memo.key_map[base_positions] >= 0  # not the keys of stories gone before (counted then)
        base_words, base_positions = gone_keys[before] >> base_shift, base_positions[before]
    gone_words = np.concatenate((base_words, memo.fresh[~own_kept] >> old_shift))
    gone_positions = np.concatenate((memo.key_map[base_positions], own_positions[~own_kept]))
    fresh_key_words = fresh_keys >> shift
    df_old = np.zeros(len(vocab), dtype=np.int64)
    df_old[: len(memo.df)] = memo.df
    df = df_old - np.bincount(gone_words, minlength=len(vocab)) + np.bincount(fresh_key_words, minlength=len(vocab))
    # a fresh story's signature as ``_index_of_keys`` adds it (its keys in order), a kept one's the memo's
    signatures = np.bincount(
        fresh_keys & ((1 << shift) - 1), weights=word_values(len(vocab))[fresh_key_words], minlength=n
    ).astype(np.float64, copy=False)
    carried = new_of_old >= 0
    signatures[new_of_old[carried]] = memo.signatures[carried]
    index = _index_of_keys(
        vocab,
        keys,
        stories.order,
        stories.ids,
        stories.days,
        stories.ns,
        stories.dated,
        df,
        signatures,
        (base_map, delta) if layered else None,
    )
    changed = len(fresh) + int((new_of_old < 0).sum())
    if changed > REMATCH_ALL_SHARE * max(n, n_old):
        return index, None
    old_days = np.where(old_known, (memo.ns + _BEIJING_NS) // _DAY_NS, 0)
    touched: dict[int, list[tuple[bool, int]]] = defaultdict(list)
    for code, position in zip(gone_words.tolist(), gone_positions.tolist(), strict=True):
        touched[code].append((bool(old_known[position]), int(old_days[position])))
    for code, at in zip(fresh_words.tolist(), fresh_at.tolist(), strict=True):
        position = int(fresh[at])
        touched[code].append((bool(new_known[position]), int(stories.days[position])))
    return index, _Change(df_old, n_old, old_days[: memo.dated], dict(touched), changed)


def _layered(memo: CatalogMemo, base_map: np.ndarray, delta: np.ndarray, gone_base: np.ndarray) -> bool:
    """May the updated index keep the memo's earlier keys as they are? When its stories kept their order,
    the fresh layer stays small against them (``FRESH_SHARE``), so do the stories gone from them
    (``GONE_SHARE``), and finding the gone ones' keys by probing every word (``_probed_pairs``) costs less
    than a pass over the keys (``PROBE_SHARE``)."""
    base = len(memo.keys)
    if not base:
        return False
    if not _in_order(base_map):
        return False
    gone = int((base_map < 0).sum())
    return (
        len(delta) <= FRESH_SHARE * base
        and gone <= GONE_SHARE * len(base_map)
        and len(memo.vocab) * len(gone_base) <= PROBE_SHARE * base
    )


def _in_order(new_of_old: np.ndarray) -> bool:
    """Do the stories kept (``new_of_old`` not -1) keep their order, each at a later position than the one
    before it?"""
    moved_to = new_of_old[new_of_old >= 0]
    return bool((moved_to[1:] > moved_to[:-1]).all())


def _probed_pairs(keys: np.ndarray, shift: int, words: int, stories: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (word, story) pairs among the sorted ``keys`` (``word << shift | story``) of the given stories:
    every word code below ``words`` looked up for each, a block of stories at a time."""
    found_words: list[np.ndarray] = []
    found_stories: list[np.ndarray] = []
    codes = np.arange(words, dtype=np.int64)
    block = max(1, _KEY_CHUNK // max(words, 1))
    for start in range(0, len(stories), block):
        part = stories[start : start + block].astype(np.int64)
        holds = _holds(keys, shift, codes, part)
        story_at, word_at = np.nonzero(holds.T)  # story by story, each one's words in order
        found_words.append(codes[word_at])
        found_stories.append(part[story_at])
    if not found_words:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(found_words), np.concatenate(found_stories)


def _renumbered_keys(
    old_keys: np.ndarray, new_of_old: np.ndarray, old_shift: int, shift: int, fresh_keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The new index's keys and the memo's keys of gone stories: each kept key with its story's new position
    (``new_of_old``, -1: gone) and its word bits moved to ``shift``, and the fresh stories' keys
    (``fresh_keys``, sorted) merged in.

    When the kept stories kept their order (the usual update), their keys stay sorted and are renumbered a
    chunk at a time into the one array that holds the result, each chunk's fresh keys merged into it on the
    way. A million stories have some 28 million keys: one temporary of that size costs more in page faults
    than the arithmetic (on a virtual machine that hands freed memory back to its host, about 0.6 s per
    copy), so none is made. Otherwise every key is renumbered and all are sorted again."""
    old_mask = (1 << old_shift) - 1
    if not _in_order(new_of_old):
        positions = old_keys & old_mask
        mapped = new_of_old[positions]
        kept = mapped >= 0
        high = (old_keys >> old_shift) << shift
        return sorted_unique(np.concatenate((high[kept] + mapped[kept], fresh_keys))), old_keys[~kept]
    out = np.empty(len(old_keys) + len(fresh_keys), dtype=np.int64)
    gone: list[np.ndarray] = []
    filled = taken = 0
    for start in range(0, len(old_keys), _KEY_CHUNK):
        chunk = np.asarray(old_keys[start : start + _KEY_CHUNK], dtype=np.int64)
        mapped = new_of_old[chunk & old_mask]
        kept = mapped >= 0
        high = chunk & ~old_mask if shift == old_shift else (chunk >> old_shift) << shift
        if kept.all():
            high += mapped
            renumbered = high
        else:
            gone.append(chunk[~kept])
            renumbered = high[kept] + mapped[kept]
        if not len(renumbered):
            continue
        # the fresh keys below this chunk's last (a fresh key never equals a kept one: their positions differ)
        upto = int(np.searchsorted(fresh_keys, renumbered[-1]))
        if upto > taken:
            part = fresh_keys[taken:upto]
            renumbered = np.insert(renumbered, np.searchsorted(renumbered, part), part)
            taken = upto
        out[filled : filled + len(renumbered)] = renumbered
        filled += len(renumbered)
    rest = fresh_keys[taken:]
    out[filled : filled + len(rest)] = rest
    filled += len(rest)
    gone_keys = np.concatenate(gone) if gone else np.zeros(0, dtype=np.int64)
    return out[:filled], gone_keys


def _pools(days: np.ndarray, known: np.ndarray, dated_days: np.ndarray, n: int) -> np.ndarray:
    """The pool of each entry (``_best``): the stories of its date window and the undated ones; all stories
    for an undated entry. ``dated_days`` sorted."""
    undated = n - len(dated_days)
    lo = np.searchsorted(dated_days, days - 1, side="left")
    hi = np.searchsorted(dated_days, days + 2, side="left")
    return np.where(known, hi - lo + undated, n).astype(np.int64)


#: A field of the catalog entries: numbers or Python strings in numpy, or text in Arrow.
_Field: TypeAlias = np.ndarray | pa.Array


def _text_fields(entries: pd.DataFrame) -> tuple[_Field, _Field, _Field]:
    """The headline (missing as ""), source and kind of each entry: their Arrow buffers when a column is
    held in Arrow (no Python string per entry), else Python strings."""

    def field(values: pd.Series) -> _Field:
        array = arrow_text(values)
        if array is not None and not array.null_count:
            return array
        return values.astype(str).to_numpy(dtype=object)

    return field(entries["headline"].fillna("")), field(entries["source"]), field(entries["kind"])


def _memo_text(field: _Field) -> pa.Array:
    """A text field of the entries as the memo's column (``string``)."""
    return field.cast(pa.string()) if isinstance(field, pa.Array) else pa.array(field.tolist(), pa.string())


def _equal(first: _Field, second: _Field) -> np.ndarray:
    """Whether each value of one field equals the other's at the same place (both numpy or both Arrow)."""
    if isinstance(first, pa.Array):
        return np.asarray(pc.fill_null(pc.equal(first, second), False).to_numpy(zero_copy_only=False), dtype=bool)
    return np.asarray(first == second, dtype=bool)


def _taken(field: _Field, rows: np.ndarray) -> np.ndarray:
    """The values of a field at ``rows``, in numpy."""
    if isinstance(field, pa.Array):
        return np.asarray(field.take(pa.array(rows, pa.int64())).to_numpy(zero_copy_only=False))
    return np.asarray(field[rows])


def _memo_rows(old: list[_Field], new: list[_Field]) -> np.ndarray:
    """For each entry of ``new`` (its fields: headline, time, source, line, kind, one array each), a row of
    ``old`` (the memo's entries, the same fields) whose fields are all equal; -1 for none. (Rows of equal
    fields are one entry repeated and have one outcome; an entry given -1 is matched again, so a row missed
    costs time, never a result.)

    After an ingest most entries are where they were, or moved by the number of entries added or removed
    before them (those of the files before and after a changed one): those two places are compared first,
    field by field, with no hash of 200,000 entries. The entries left are looked up among the old rows
    left (``_equal_rows``)."""
    count, count_old = len(new[0]), len(old[0])
    rows = np.full(count, -1, dtype=np.int64)
    left, left_old = np.ones(count, dtype=bool), np.ones(count_old, dtype=bool)
    for shift in sorted({0, count - count_old}):
        # new row i against old row i - shift
        lo, hi = max(shift, 0), min(count, count_old + shift)
        if lo >= hi:
            continue
        equal = left[lo:hi].copy()
        for old_field, new_field in zip(old, new, strict=True):
            equal &= _equal(new_field[lo:hi], old_field[lo - shift : hi - shift])
        at = np.flatnonzero(equal) + lo
        rows[at] = at - shift
        left[at] = False
        left_old[at - shift] = False
    rest, rest_old = np.flatnonzero(left), np.flatnonzero(left_old)
    if len(rest) and len(rest_old):
        found = _equal_rows([_taken(field, rest_old) for field in old], [_taken(field, rest) for field in new])
        hit = found >= 0
        rows[rest[hit]] = rest_old[found[hit]]
    return rows


def _equal_rows(old: list[np.ndarray], new: list[np.ndarray]) -> np.ndarray:
    """For each row of ``new`` (fields as ``_memo_rows``'), the last row of ``old`` whose fields are all
    equal; -1 for none.

    As a dict of the old rows' field tuples would answer (0.5 s to make and 0.7 s to ask at 200,000 entries),
    by a 64-bit hash of each row's fields: the old hashes sorted, each new one looked up, the fields of the
    row found compared. Old rows of one hash are one row repeated; when they are not (a collision), the
    dict answers."""
    try:
        old_hashes, new_hashes = _field_hashes(old), _field_hashes(new)
    except (TypeError, ValueError):  # text that has no UTF-8 (a lone surrogate)
        return _equal_rows_by_dict(old, new)
    order = np.argsort(old_hashes, kind="stable")
    ordered = old_hashes[order]
    repeated = np.flatnonzero(ordered[1:] == ordered[:-1])
    if len(repeated):
        first, second = order[repeated], order[repeated + 1]
        if not all(np.array_equal(field[first], field[second]) for field in old):
            return _equal_rows_by_dict(old, new)
    # the last row of each hash (the sort is stable: rows of one hash in row order)
    at = np.searchsorted(ordered, new_hashes, side="right") - 1
    rows = np.full(len(new_hashes), -1, dtype=np.int64)
    if not len(ordered):
        return rows
    hit = (at >= 0) & (ordered[np.maximum(at, 0)] == new_hashes)
    candidates = order[at[hit]]
    equal = np.ones(len(candidates), dtype=bool)
    for old_field, new_field in zip(old, new, strict=True):
        equal &= old_field[candidates] == new_field[hit]
    rows[np.flatnonzero(hit)[equal]] = candidates[equal]
    return rows


def _field_hashes(fields: list[np.ndarray]) -> np.ndarray:
    """One 64-bit hash per row of the fields (arrays of one length)."""
    hashes = np.zeros(len(fields[0]), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for field in fields:
            hashes = hashes * np.uint64(0x100000001B3) ^ pd.util.hash_array(field, categorize=False)
    return hashes


def _equal_rows_by_dict(old: list[np.ndarray], new: list[np.ndarray]) -> np.ndarray:
    """``_equal_rows`` by a dict of the old rows' field tuples."""
    where = {key: row for row, key in enumerate(zip(*(field.tolist() for field in old), strict=True))}
    keys = zip(*(field.tolist() for field in new), strict=True)
    return np.fromiter((where.get(key, -1) for key in keys), dtype=np.int64, count=len(new[0]))


def _kept(
    entries: pd.DataFrame,
    texts: tuple[_Field, _Field, _Field],
    targets: _EntryTargets,
    index: _Index,
    change: _Change,
    memo: CatalogMemo,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which entries keep the memo's outcome, the memo row of each (-1: none) and how much the logarithms
    its comparisons sum can have moved (see the module's docstring). ``texts``: ``_text_fields(entries)``."""
    count = len(entries)
    old = memo.entries
    headline, source, kind = texts
    new_fields = [
        headline,
        np.where(targets.known, targets.ns, _NO_TIME).astype(np.int64),
        source,
        entries["line"].astype("int64").to_numpy(),
        kind,
    ]
    # each field of the memo as the entries' is: Arrow against Arrow, else numpy
    old_fields = [
        old.column(name).combine_chunks() if isinstance(field, pa.Array) else old.column(name).to_numpy(zero_copy_only=False)
        for name, field in zip(("headline", "published_ns", "source", "line", "kind"), new_fields, strict=True)
    ]
    old_rows = _memo_rows(old_fields, new_fields)
    found = old_rows >= 0
    found &= np.array([exclude is None for exclude in targets.excluded], dtype=bool)
    shift = np.full(count, np.inf)
    if not found.any():
        return found, old_rows, shift
    rows = old_rows[found]
    codes_column = old.column("codes").combine_chunks()
    offsets = codes_column.offsets.to_numpy()
    values = codes_column.values.to_numpy()
    starts, ends = offsets[rows], offsets[rows + 1]
    lengths = ends - starts
    # the memo's codes of the entries found, one after another, and the entry of each
    owner = np.repeat(np.arange(len(rows)), lengths)
    within = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    flat = values[starts[owner] + within].astype(np.int64)
    df_new = index.df
    df_old = np.zeros(len(df_new), dtype=np.int64)
    df_old[: len(change.df_old)] = change.df_old[: len(df_new)]
    with np.errstate(divide="ignore", invalid="ignore"):
        moved = np.abs(np.log(df_new.astype(float)) - np.log(df_old.astype(float)))
    moved[df_new == df_old] = 0.0
    step = moved[flat]
    infinite = np.bincount(owner, weights=np.isinf(step), minlength=len(rows)) > 0
    words_moved = np.bincount(owner, weights=np.where(np.isinf(step), 0.0, step), minlength=len(rows))
    # the order of rarity must stay: (count, code) increasing within each entry's codes
    rank = df_new[flat] * (len(df_new) + 1) + flat
    falling = np.zeros(len(flat), dtype=bool)
    if len(flat) > 1:
        falling[1:] = (rank[1:] <= rank[:-1]) & (owner[1:] == owner[:-1])
    reordered = np.bincount(owner, weights=falling, minlength=len(rows)) > 0
    # the size of the collection and of each entry's date window
    entry_days, entry_known = targets.days[found], targets.known[found]
    pool_old = _pools(entry_days, entry_known, change.old_days, change.n_old)
    pool_new = _pools(entry_days, entry_known, index.days[: index.dated], index.n)
    empty_pool = (pool_old == 0) | (pool_new == 0)
    with np.errstate(divide="ignore"):
        pool_moved = np.abs(np.log(np.maximum(pool_new, 1)) - np.log(np.maximum(pool_old, 1)))
    size_moved = abs(math.log(index.n) - math.log(change.n_old))
    total = words_moved + lengths * size_moved + pool_moved
    margins = old.column("margin").to_numpy(zero_copy_only=False)[rows]
    good = ~infinite & ~reordered & ~empty_pool & (margins > total + TOLERANCE)
    # a changed story among the candidates: one holding a word the candidates came from, in the window
    prefixes = old.column("prefix").to_numpy(zero_copy_only=False)[rows]
    if change.touched:
        touched_codes = np.fromiter(change.touched, dtype=np.int64, count=len(change.touched))
        leading = within < prefixes[owner]
        hit = leading & np.isin(flat, touched_codes)
        for at in np.flatnonzero(hit).tolist():
            entry = int(owner[at])
            if not good[entry]:
                continue
            day, dated = int(entry_days[entry]), bool(entry_known[entry])
            for known, story_day in change.touched[int(flat[at])]:
                if not dated or not known or abs(story_day - day) <= 1:
                    good[entry] = False
                    break
    # a word of the headline that no lead held before and one does now
    born = np.flatnonzero((df_old == 0) & (df_new > 0))
    if len(born):
        born_codes = set(born.tolist())
        born_words = {word for word, code in index.vocab.items() if code in born_codes}
        word_counts = old.column("words").to_numpy(zero_copy_only=False)[rows]
        positions = np.flatnonzero(found)
        for entry in np.flatnonzero(good & (word_counts > lengths)).tolist():
            if headline_words(targets.headlines[int(positions[entry])]) & born_words:
                good[entry] = False
    keep = np.zeros(count, dtype=bool)
    keep[np.flatnonzero(found)[good]] = True
    shift[np.flatnonzero(found)] = total
    return keep, old_rows, shift

