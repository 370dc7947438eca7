"""The headline catalog: real headlines from listings, digests, headline lists, article pages and ``Related:``
lines, matched to the stories of a collection.

Live-feed stories carry no headline (``headline_inferred``); other pages name stories by their headlines.
``match_catalog`` links each catalog entry to at most one story, and only on strong evidence:

- the **content words** of the headline (lower case, stop words of ``core.analysing.terms`` dropped, a light suffix
  stemmer so ``Warns`` meets ``warned``) are looked up in the story's **lead**, its first ``LEAD_WORDS``
  words of body;
- ``score`` = the share of the headline's content words found in the lead, times a date factor: 1 on the
  same Beijing day, ``ADJACENT_DAY`` a day apart, ``UNDATED`` when either date is unknown; dates known and
  more than a day apart never match;
- a match needs ``MIN_SHARED`` shared words or more and ``score >= min_score``;
- and the shared words must be **specific**: the number of stories expected to hold them by chance must
  stay under ``max_chance``. That number is the stories in the date window, times the product of each
  shared word's share of all leads, times the ways of choosing that many words from the headline (k of
  its m words: C(m, k)). A generic headline (``China's Economy Grows Again``) whose words fill many leads
  is refused rather than pinned on one story at random.

The best-scoring story wins; ties between copies of one story (the same lead words, saved at different
times) go to the copy closest in time, then the smallest ``article_id``. When a different story scores
within ``AMBIGUITY`` of the best, the headline fits both and matches neither.

Speed: an inverted index (content word -> sorted story positions, stories in time order) gives the
candidates, read only from the rarest words of each headline (a story sharing none of them can reach
neither the required count nor the required specificity) and, for a dated entry, only from its date
window; the cost grows with the entries and the postings of rare words, never with entries times stories.
The leads are cut and split by Arrow, a block of stories at a time on threads (only each distinct chunk is
tokenised in Python), and an entry whose headline, time and excluded story were matched already in the
same match takes that outcome: a headline list saved on many pages is matched once (at 100,000 stories, 20,335 entries hold 1,044 distinct ones).
On a synthetic corpus (Zipf-distributed words), 20,000 stories x 10,000 entries take about 3 s of CPU
and 100,000 x 50,000 about 17 s, index included. After a change, ``core.storing.rematch`` updates the index
and matches again only the entries whose match can change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.analysing.terms import content_words
from core.arrays import sorted_unique
from core.model import BEIJING, LISTING_COLUMNS, ListingEntry
from core.parsing import ParseResult
from core.storing.frame import ARROW_THREADS, arrow_backed, arrow_text, chunked_take

__all__ = [
    "ENTRY_COLUMNS",
    "KINDS",
    "MATCH_COLUMNS",
    "apply_catalog",
    "catalog_entries",
    "headline_words",
    "listings_to_frame",
    "match_catalog",
    "match_headline",
]

#: Where a catalog entry comes from, in order of trust when several entries match one story.
KINDS: tuple[str, ...] = ("article", "listing", "digest", "headline_list", "related")
#: Columns of the entries frame ``match_catalog`` reads; ``exclude_article_id`` is optional and names a
#: story the entry must not match (the story whose ``Related:`` line it is, an article page's own story).
ENTRY_COLUMNS: tuple[str, ...] = ("headline", "published_at", "source", "line", "kind")
#: Columns of the frame ``match_catalog`` returns, one row per entry, in entry order.
MATCH_COLUMNS: tuple[str, ...] = ("headline", "published_at", "source", "line", "kind", "article_id", "score")

LEAD_WORDS = 80
MIN_SHARED = 3
ADJACENT_DAY = 0.9
UNDATED = 0.95
MAX_CHANCE = 0.05
AMBIGUITY = 0.05

_DAY_NS = 86_400 * 10**9
_BEIJING_NS = 8 * 3_600 * 10**9
_SUFFIXES = ("ing", "ed", "es", "s", "e")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """A light suffix stripper (``warns``, ``warned``, ``warning`` -> ``warn``; ``bets``, ``betting`` -> ``bet``);
    keeps stems of 3+ letters."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ss"):
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            if suffix in ("ing", "ed") and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                stem = stem[:-1]  # betting -> bet, planned -> plan
            return stem
    return word


@lru_cache(maxsize=500_000)
def _chunk_words(chunk: str) -> tuple[str, ...]:
    """The stemmed content words of one whitespace-free chunk of lower-cased text."""
    return tuple(_stem(w) for w in content_words(chunk))


def headline_words(text: str) -> frozenset[str]:
    """The content words of a headline or lead as the matcher compares them: ``core.analysing.terms`` tokens without
    stop words, lightly stemmed. Tokens never span whitespace, so each distinct chunk is read once."""
    return frozenset(w for chunk in text.lower().split() for w in _chunk_words(chunk))


def _as_beijing(stamps: pd.Series) -> pd.Series:
    """Timestamps as Beijing time (``datetime64[ns, UTC+08:00]``); naive ones are read as Beijing time."""
    values = pd.to_datetime(stamps.reset_index(drop=True), errors="coerce")
    if values.dt.tz is None:
        values = values.dt.tz_localize(BEIJING)
    return values.dt.tz_convert(BEIJING).astype(pd.DatetimeTZDtype("ns", BEIJING))


def _beijing_days(stamps: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Beijing day number, known mask, ns since the epoch) per timestamp; 0 where unknown."""
    values = _as_beijing(stamps)
    known = values.notna().to_numpy(dtype=bool)
    ns = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").view("int64")
    ns = np.where(known, ns, 0)
    days = np.where(known, (ns + _BEIJING_NS) // _DAY_NS, 0)
    return days, known, ns


class StoryIds:
    """Story ids held in Arrow (one array), indexed as a numpy array of ``str`` would be: ``ids[i]`` is a
    ``str``, ``ids[rows]`` (an integer or boolean array, or a slice) an object array of those rows only.
    A million ids made Python strings took 0.1-0.2 s each time the catalog read its memo, matched after an
    incremental ingest and wrote the memo again."""

    __slots__ = ("array",)

    def __init__(self, ids: StoryIds | pa.Array | pa.ChunkedArray | np.ndarray | Iterable[str]) -> None:
        if isinstance(ids, StoryIds):
            array = ids.array
        elif isinstance(ids, pa.ChunkedArray):
            array = ids.combine_chunks() if ids.num_chunks != 1 else ids.chunk(0)
        elif isinstance(ids, pa.Array):
            array = ids
        else:  # Python values (tests): each its ``str``, a missing one missing
            array = pa.array([None if value is None else str(value) for value in ids], pa.string())
        self.array: pa.Array = array

    @classmethod
    def of_column(cls, column: pd.Series, order: np.ndarray) -> StoryIds:
        """The ids of an ``article_id`` column, in ``order`` (positions in the column), as ``str``."""
        array = arrow_text(column)
        if array is None:  # Python objects: each made its ``str``
            array = pa.array(column.astype(str).tolist(), pa.string())
        return cls(array.take(pa.array(order, pa.int64())))

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, key: int | np.integer | slice | np.ndarray) -> Any:
        if isinstance(key, (int, np.integer)):
            return self.array[int(key)].as_py()
        if isinstance(key, slice):
            part = self.array[key]
        elif np.asarray(key).dtype == np.bool_:
            part = self.array.filter(pa.array(np.asarray(key), pa.bool_()))
        else:
            part = self.array.take(pa.array(np.asarray(key), pa.int64()))
        return part.to_numpy(zero_copy_only=False)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        values: np.ndarray = self.array.to_numpy(zero_copy_only=False)
        return values if dtype is None else values.astype(dtype)

    def same_at(self, rows: np.ndarray, other: StoryIds, other_rows: np.ndarray) -> bool:
        """Whether the ids at ``rows`` are those of ``other`` at ``other_rows``, one by one (in Arrow)."""
        if len(rows) != len(other_rows):
            return False
        mine = self.array.take(pa.array(rows, pa.int64()))
        theirs = other.array.take(pa.array(other_rows, pa.int64()))
        if mine.type != theirs.type:
            theirs = theirs.cast(mine.type)
        equal = pc.equal(mine, theirs)
        return bool(pc.all(equal).as_py() is not False) and equal.null_count == 0


@dataclass(slots=True)
class _Index:
    """Content word -> sorted story positions, plus what scoring needs per story.

    Stories are held in time order, dated ones first and undated ones after (``positions`` maps back to the
    frame's rows), so the stories of a date window are one range of positions: a posting list is cut to a
    window with two binary searches.
    """

    vocab: dict[str, int]
    starts: np.ndarray
    #: ``word << shift | position`` for every (word, story) pair, sorted: the posting lists one after another
    keys: np.ndarray
    df: np.ndarray
    n: int
    #: ``key_shift(n)``: the bits of a key that hold the story's position
    shift: int
    dated: int
    positions: np.ndarray
    ids: StoryIds
    #: a fingerprint of each lead's word set: copies of one story share it, different stories do not
    signatures: np.ndarray
    days: np.ndarray
    ns: np.ndarray
    #: None when ``keys`` are this index's own. Otherwise (an index ``core.storing.rematch`` took over
    #: without renumbering its keys) ``keys`` are those of an earlier index of ``len(base_map)`` stories
    #: (their position in ``base_shift`` bits), ``base_map`` gives each of those stories' position now (-1:
    #: gone; the kept ones in their order), and ``fresh`` holds the keys (``shift``) of the other stories.
    base_map: np.ndarray | None = None
    base_shift: int = 0
    fresh: np.ndarray | None = None
    #: each story's position among the earlier index's (-1: its keys are in ``fresh``)
    base_of: np.ndarray | None = None

    def posting(self, code: int) -> np.ndarray:
        """The sorted positions of the stories whose lead holds word ``code``."""
        if self.base_map is None or self.fresh is None:
            return self.keys[self.starts[code] : self.starts[code + 1]] - (code << self.shift)
        lo, hi = np.searchsorted(self.keys, (code << self.base_shift, (code + 1) << self.base_shift))
        mapped: np.ndarray = self.base_map[self.keys[lo:hi] & ((1 << self.base_shift) - 1)]
        mapped = mapped[mapped >= 0]
        lo, hi = np.searchsorted(self.fresh, (code << self.shift, (code + 1) << self.shift))
        if lo == hi:
            return mapped
        return np.sort(np.concatenate((mapped, self.fresh[lo:hi] - (code << self.shift))))

    def holds(self, codes: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """A (words x candidates) bool matrix: does the lead of each candidate hold each word?"""
        if self.base_map is None or self.fresh is None or self.base_of is None:
            return _holds(self.keys, self.shift, codes, candidates)
        base = self.base_of[candidates]
        earlier = base >= 0
        found = np.zeros((len(codes), len(candidates)), dtype=bool)
        found[:, earlier] = _holds(self.keys, self.base_shift, codes, base[earlier])
        found[:, ~earlier] = _holds(self.fresh, self.shift, codes, candidates[~earlier])
        return found

    def window(self, day: int) -> tuple[int, int]:
        """The positions of the dated stories from ``day - 1`` to ``day + 1`` (Beijing days)."""
        lo, hi = np.searchsorted(self.days[: self.dated], (day - 1, day + 2))
        return int(lo), int(hi)


def _holds(keys: np.ndarray, shift: int, codes: np.ndarray, stories: np.ndarray) -> np.ndarray:
    """A (words x stories) bool matrix: is each ``word << shift | story`` among the sorted ``keys``?"""
    queries = ((codes[:, None] << shift) + stories[None, :]).ravel()
    if not len(keys):
        return np.zeros((len(codes), len(stories)), dtype=bool)
    at = np.searchsorted(keys, queries)
    found: np.ndarray = keys[np.minimum(at, len(keys) - 1)] == queries
    return found.reshape(len(codes), len(stories))


def key_shift(n: int) -> int:
    """The bits of a key that hold a story's position among ``n`` stories (keys are ``word << shift |
    position``): a power of two, so that adding a few stories keeps every key's word bits, and a key is cut
    into word and position by a shift and a mask rather than a division."""
    return max(n - 1, 0).bit_length()


def word_values(count: int) -> np.ndarray:
    """One random number per word code (the same for a code whatever ``count``): a story's signature is
    the sum of its words' numbers, added in word order."""
    values: np.ndarray = np.random.default_rng(0).random(count)
    return values


def _build_index(articles: pd.DataFrame) -> _Index:
    n = len(articles)
    days, known, ns = _beijing_days(articles["published_at"])
    # time order, undated last
    order = np.lexsort((np.arange(n), ns, ~known))
    vocab: dict[str, int] = {}
    words, stories = _lead_pairs(column_texts(articles["body"]), vocab, order)
    ids = StoryIds.of_column(articles["article_id"], order)
    return _assemble(vocab, words, stories, order, ids, days[order], ns[order], int(known.sum()))


def column_texts(body: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The texts of ``body`` (a column of an article frame) as Arrow, nulls kept (a lead of a null body is
    empty). A column of Arrow strings is not copied."""
    if not isinstance(body.dtype, pd.StringDtype):
        body = body.fillna("").astype(str)
    return pa.array(body, from_pandas=True)


#: Stories a block of ``_lead_pairs`` holds: the leads of a block are cut, split and coded together (a
#: million stories' 78 million chunks at once made arrays of 600 MB, paged in anew at each step).
LEAD_BLOCK = 1 << 16


def _lead_pairs(
    bodies: np.ndarray | pa.Array | pa.ChunkedArray, vocab: dict[str, int], rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The (word code, story) pairs of the leads of ``bodies`` (a story is its position in ``bodies``), or
    of the bodies at ``rows`` (a story is its place in ``rows``), with repeats; words not in ``vocab`` are
    added to it, in order of first appearance.

    A lead is the first ``LEAD_WORDS`` whitespace chunks of the body's first ``LEAD_WORDS * 15``
    characters, as ``body[:LEAD_WORDS * 15].split(None, LEAD_WORDS)[:LEAD_WORDS]`` makes them: Arrow cuts,
    trims and splits every lead and codes the chunks (its whitespace is ``str.split``'s, every code point
    checked in ``tests/test_catalog_leads.py``), so only each distinct chunk is tokenised in Python, once.
    The stories are taken ``LEAD_BLOCK`` at a time (from ``rows``: taken then, so the bodies are not
    copied all at once), the blocks' leads cut on ``ARROW_THREADS`` threads (ingest's parsing workers are
    done by then); the pairs come out in story order, as from one block.
    """
    texts = bodies if isinstance(bodies, (pa.Array, pa.ChunkedArray)) else _large_strings(bodies)
    count = len(texts) if rows is None else len(rows)

    def block(start: int) -> tuple[np.ndarray, list[str], np.ndarray]:
        if rows is None:
            return _lead_chunks(texts.slice(start, LEAD_BLOCK))
        wanted = np.asarray(rows[start : start + LEAD_BLOCK], dtype=np.int64)
        # from the chunks that hold them, no chunk joined (an ingest's column has one per parsed chunk)
        taken = chunked_take(texts, wanted) if isinstance(texts, pa.ChunkedArray) else texts.take(pa.array(wanted))
        return _lead_chunks(taken)

    blocks = range(0, count, LEAD_BLOCK) or range(1)
    chunk_words: dict[str, list[int]] = {}  # distinct chunk -> its word codes, in order of first appearance
    words: list[np.ndarray] = []
    stories: list[np.ndarray] = []
    with ThreadPoolExecutor(min(ARROW_THREADS, len(blocks)), thread_name_prefix="caixin-leads") as pool:
        for number, (codes, chunks, lengths) in enumerate(pool.map(block, blocks)):
            # the block's distinct chunks, in its order of first appearance: the words of one not seen in an
            # earlier block are added to ``vocab`` now, so the codes are those one block of every story gives
            of_chunk = [
                chunk_words[chunk] if chunk in chunk_words else chunk_words.setdefault(chunk, _coded(chunk, vocab))
                for chunk in chunks
            ]
            block_words, block_stories = _expanded(codes, of_chunk, lengths)
            words.append(block_words)
            stories.append(block_stories + number * LEAD_BLOCK)
    return np.concatenate(words), np.concatenate(stories)


def _large_strings(bodies: np.ndarray | pa.Array | pa.ChunkedArray) -> pa.Array:
    """``bodies`` as one Arrow array of ``large_string`` (nulls kept)."""
    if isinstance(bodies, pa.ChunkedArray):
        texts: pa.Array = bodies.combine_chunks()
    elif isinstance(bodies, pa.Array):
        texts = bodies
    else:
        texts = pa.array(np.asarray(bodies, dtype=object), pa.large_string(), from_pandas=True)
    return texts if pa.types.is_large_string(texts.type) else texts.cast(pa.large_string())


def _coded(chunk: str, vocab: dict[str, int]) -> list[int]:
    """The word codes of one whitespace-free chunk, its new words added to ``vocab``."""
    return [vocab.setdefault(word, len(vocab)) for word in _chunk_words(chunk.lower())]


def _expanded(codes: np.ndarray, of_chunk: list[list[int]], lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (word code, story) pairs of one block, in the order of the chunks: each chunk occurrence
    (``codes``; ``lengths``: how many of them each story has) expanded to the words of its chunk
    (``of_chunk``: 0, 1 or a few each)."""
    words_per_chunk = np.fromiter(map(len, of_chunk), dtype=np.int64, count=len(of_chunk))
    pair_word = np.fromiter((w for ws in of_chunk for w in ws), dtype=np.int64, count=int(words_per_chunk.sum()))
    first_pair = np.cumsum(words_per_chunk) - words_per_chunk  # where each chunk's words begin in pair_word
    per_occurrence = words_per_chunk[codes]
    ends = np.cumsum(per_occurrence)  # where each occurrence's pairs end
    per_story = np.diff(np.concatenate([[0], ends])[np.concatenate([[0], np.cumsum(lengths)])])
    stories = np.repeat(np.arange(len(lengths), dtype=np.int64), per_story)
    # the pair j of an occurrence that begins at output place s is word ``first_pair[code] + j - s``
    offset = first_pair[codes] - (ends - per_occurrence)
    words = pair_word[np.repeat(offset, per_occurrence) + np.arange(len(stories), dtype=np.int64)]
    return words, stories


def _lead_chunks(bodies: np.ndarray | pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The whitespace chunks of each lead: a code per chunk (all leads' chunks one after another), the
    distinct chunks in order of first appearance, and the number of chunks of each lead."""
    texts = _large_strings(bodies)
    leads = pc.utf8_trim_whitespace(pc.utf8_slice_codeunits(pc.fill_null(texts, ""), 0, LEAD_WORDS * 15))
    lists = pc.list_slice(pc.utf8_split_whitespace(leads, max_splits=LEAD_WORDS), 0, LEAD_WORDS)
    lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    encoded = pc.dictionary_encode(pc.list_flatten(lists))
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary.to_pylist(), lengths


def _assemble(
    vocab: dict[str, int],
    words: np.ndarray,
    stories: np.ndarray,
    positions: np.ndarray,
    ids: StoryIds,
    days: np.ndarray,
    ns: np.ndarray,
    dated: int,
) -> _Index:
    """The index of (word code, story position) pairs (repeats allowed); ``positions``, ``ids``, ``days``
    and ``ns`` are per story position, the ``dated`` first positions the dated stories in time order."""
    keys = sorted_unique((words << key_shift(len(ids))) + stories)
    return _index_of_keys(vocab, keys, positions, ids, days, ns, dated)


def _index_of_keys(
    vocab: dict[str, int],
    keys: np.ndarray,
    positions: np.ndarray,
    ids: StoryIds | np.ndarray,
    days: np.ndarray,
    ns: np.ndarray,
    dated: int,
    df: np.ndarray | None = None,
    signatures: np.ndarray | None = None,
    layers: tuple[np.ndarray, np.ndarray] | None = None,
) -> _Index:
    """The index of sorted, unique keys ``word << key_shift(n) | position``; ``df`` (stories per word)
    and ``signatures`` (per story) are counted from the keys unless given (kept by an update).

    ``layers`` (``base_map``, ``fresh``; with ``df`` and ``signatures`` given): ``keys`` are an earlier
    index's, taken over as they are (``_Index.base_map``)."""
    n = len(ids)
    shift = key_shift(n)
    if df is None or signatures is None:
        assert layers is None
        key_words = keys >> shift
        df = np.bincount(key_words, minlength=len(vocab)).astype(np.int64)
        # Sums of one random number per word, added in word order: equal word sets give equal sums.
        signatures = np.bincount(
            keys & ((1 << shift) - 1), weights=word_values(len(vocab))[key_words], minlength=n
        ).astype(np.float64, copy=False)  # (of no keys, bincount gives integers)
    base_map, fresh, base_of = None, None, None
    if layers is not None:
        base_map, fresh = layers
        base_of = np.full(n, -1, dtype=np.int64)
        kept = base_map >= 0
        base_of[base_map[kept]] = np.flatnonzero(kept)
    return _Index(
        vocab=vocab,
        starts=np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
        keys=keys,
        df=df,
        n=n,
        shift=shift,
        dated=dated,
        positions=positions,
        ids=StoryIds(ids),
        signatures=signatures,
        days=days,
        ns=ns,
        base_map=base_map,
        base_shift=key_shift(len(base_map)) if base_map is not None else 0,
        fresh=fresh,
        base_of=base_of,
    )


@dataclass(slots=True)
class _Outcome:
    """What ``_best`` found for one entry, and what ``core.storing.rematch`` needs to know when it still holds.

    ``margin`` is the smallest distance of any comparison ``_best`` made that depends on the collection's
    size, a date window's size or the words' story counts (each is a sum of logarithms of those against a
    bound) from its bound; ``codes`` the entry's known words, rarest first; the first ``prefix`` of them
    gave the candidates (0: none were looked up).
    """

    match: tuple[int, float] | None
    margin: float = math.inf
    codes: tuple[int, ...] = ()
    prefix: int = 0


def _best(
    index: _Index,
    words: frozenset[str],
    day: int | None,
    ns: int,
    exclude: str | None,
    min_score: float,
    max_chance: float,
) -> _Outcome:
    """The position (in ``index``) and score of the story an entry matches, or None, with the margins."""
    m = len(words)
    if m < MIN_SHARED or index.n == 0:
        return _Outcome(None)
    need = max(MIN_SHARED, math.ceil(min_score * m - 1e-9))
    vocab, df = index.vocab, index.df
    present = sorted((int(df[vocab[w]]), vocab[w]) for w in words if w in vocab and df[vocab[w]])
    codes_in_order = tuple(code for _, code in present)
    if len(present) < need:
        return _Outcome(None, codes=codes_in_order)
    if day is None:
        lo = hi = 0
        pool = index.n
    else:
        lo, hi = index.window(day)
        pool = hi - lo + index.n - index.dated
    if pool == 0:
        return _Outcome(None, codes=codes_in_order)
    log_share = [math.log(count / index.n) for count, _ in present]
    budget = math.log(max_chance) - math.log(pool)
    total = sum(log_share)
    margin = abs(total - budget)
    # Even sharing every known word would be a likely coincidence: a generic headline, no match.
    if total > budget:
        return _Outcome(None, margin, codes_in_order)
    # Candidates come from the rarest words only. A story holding none of the first j words shares at most
    # len(present) - j words, and at best all of the commoner ones; if either is not enough, it cannot match.
    prefix_length = len(present) - need + 1
    remaining = total
    for j, log_p in enumerate(log_share, start=1):
        if j >= prefix_length:
            break
        remaining -= log_p
        margin = min(margin, abs(remaining - budget))
        if remaining > budget:
            prefix_length = j
            break
    cut = [_in_window(index.posting(code), lo, hi, index.dated, day is None) for _, code in present[:prefix_length]]
    candidates = cut[0] if prefix_length == 1 else sorted_unique(np.concatenate(cut))
    if exclude is not None and len(candidates):
        candidates = candidates[index.ids[candidates] != exclude]
    if not len(candidates):
        return _Outcome(None, margin, codes_in_order, prefix_length)
    codes = np.array(codes_in_order, dtype=np.int64)
    shares = np.array(log_share)
    # Two rounds over the words, rarest first: after the first round, a candidate that cannot reach the
    # required count or specificity even if it holds every remaining word is dropped before the second.
    split = min(len(present), prefix_length + 2)
    if len(candidates) > 64 and split < len(present):
        first = index.holds(codes[:split], candidates)
        shared_first = first.sum(axis=0)
        rest = len(present) - split
        enough = shared_first + rest >= need
        chance = shares[:split] @ first + shares[split:].sum()
        if enough.any():
            margin = min(margin, float(np.abs(chance[enough] - budget).min()))
        alive = enough & (chance <= budget)
        candidates = candidates[alive]
        if not len(candidates):
            return _Outcome(None, margin, codes_in_order, prefix_length)
        holds = np.concatenate((first[:, alive], index.holds(codes[split:], candidates)))
    else:
        holds = index.holds(codes, candidates)
    shared = holds.sum(axis=0)
    # the expected number of stories in the pool sharing some ``shared``-word subset of the headline
    log_chance = shares @ holds + math.log(pool) + _log_choose(m)[shared]
    score = shared / m
    undated = candidates >= index.dated
    if day is None:
        score = score * UNDATED
        distance = np.zeros(len(candidates), dtype=np.int64)
    else:
        apart = np.abs(index.days[candidates] - day)
        score = score * np.where(undated, UNDATED, np.where(apart == 0, 1.0, ADJACENT_DAY))
        distance = np.where(undated, np.iinfo(np.int64).max, np.abs(index.ns[candidates] - ns))
    strong = (shared >= MIN_SHARED) & (score >= min_score - 1e-12)
    if strong.any():
        margin = min(margin, float(np.abs(log_chance[strong] - math.log(max_chance)).min()))
    ok = strong & (log_chance <= math.log(max_chance))
    if not ok.any():
        return _Outcome(None, margin, codes_in_order, prefix_length)
    rows, score, distance = candidates[ok], score[ok], distance[ok]
    best = int(np.lexsort((index.ids[rows], distance, -score))[0])
    # Another story (not a copy of the best one) nearly as good: the headline fits both, so neither.
    signatures = index.signatures[rows]
    if ((score >= score[best] - AMBIGUITY) & (signatures != signatures[best])).any():
        return _Outcome(None, margin, codes_in_order, prefix_length)
    return _Outcome((int(rows[best]), round(float(score[best]), 4)), margin, codes_in_order, prefix_length)


def _in_window(posting: np.ndarray, lo: int, hi: int, dated: int, everywhere: bool) -> np.ndarray:
    """The part of a posting list an entry can match: all of it, or its date window plus undated stories."""
    if everywhere:
        return posting
    a, b, c = np.searchsorted(posting, (lo, hi, dated))
    if c == len(posting):
        return posting[a:b]
    return np.concatenate((posting[a:b], posting[c:]))


@lru_cache(maxsize=64)
def _log_choose(m: int) -> np.ndarray:
    """log C(m, k) for k = 0..m."""
    return np.array([math.lgamma(m + 1) - math.lgamma(k + 1) - math.lgamma(m - k + 1) for k in range(m + 1)])


def match_headline(
    headline: str,
    published_at: pd.Timestamp | None,
    candidates: pd.DataFrame,
    min_score: float = 0.6,
    *,
    max_chance: float = MAX_CHANCE,
) -> tuple[str, float] | None:
    """The story of ``candidates`` (an article frame: ``article_id``, ``published_at``, ``body``) that
    ``headline`` names, as ``(article_id, score)``, or None when no story matches strongly enough.

    Builds an index of ``candidates`` on each call: to match many headlines use ``match_catalog``.
    """
    entries = pd.DataFrame(
        {"headline": [headline], "published_at": [published_at], "source": [""], "line": [0], "kind": ["listing"]}
    )
    matched = match_catalog(candidates, entries, min_score, max_chance=max_chance).iloc[0]
    if pd.isna(matched["article_id"]):
        return None
    return str(matched["article_id"]), float(matched["score"])


def match_catalog(
    articles: pd.DataFrame,
    entries: pd.DataFrame,
    min_score: float = 0.6,
    *,
    max_chance: float = MAX_CHANCE,
) -> pd.DataFrame:
    """Match catalog entries to stories.

    ``articles`` is an article frame (``article_id``, ``published_at``, ``body`` are read); ``entries`` has
    ``ENTRY_COLUMNS`` (``published_at`` may be missing or NaT) and optionally ``exclude_article_id``.
    Returns one row per entry, in entry order, with ``MATCH_COLUMNS``: ``article_id`` is the matched story
    or <NA>, ``score`` its score in [0, 1] or NaN.
    """
    index = _build_index(articles)
    targets = _EntryTargets.of(entries)
    matched: list[str | None] = [None] * len(entries)
    scores = np.full(len(entries), np.nan)
    seen: _Seen = {}
    for position in range(len(entries)):
        best = targets.outcome(index, position, min_score, max_chance, seen).match
        if best is not None:
            story, score = best
            matched[position] = str(index.ids[story])
            scores[position] = score
    return targets.frame(entries, matched, scores)


#: The outcomes of one match by entry (headline, Beijing day or None, time in ns or 0, excluded story):
#: entries alike are matched once (``_EntryTargets.outcome``).
_Seen = dict[tuple[str, int | None, int, str | None], _Outcome]


class _Texts(Sequence[str]):
    """An Arrow text array (no missing value) read as a sequence of ``str``, one value at a time."""

    __slots__ = ("array",)

    def __init__(self, array: pa.Array) -> None:
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    @overload
    def __getitem__(self, position: int) -> str: ...

    @overload
    def __getitem__(self, position: slice) -> Sequence[str]: ...

    def __getitem__(self, position: int | slice) -> str | Sequence[str]:
        if isinstance(position, slice):
            return self.array[position].to_pylist()  # type: ignore[no-any-return]
        return str(self.array[int(position)].as_py())


@dataclass(slots=True)
class _EntryTargets:
    """The entries of a catalog as ``_best`` reads them: headline, Beijing day and time, excluded story."""

    headlines: Sequence[str]
    published: pd.Series
    days: np.ndarray
    known: np.ndarray
    ns: np.ndarray
    excluded: list[str | None]

    @classmethod
    def of(cls, entries: pd.DataFrame, every: bool = True) -> _EntryTargets:
        """The targets of ``entries``. ``every=False``: only some entries will be matched (a rematch), so
        their headlines are read one by one from the column's Arrow buffers instead of made a Python list
        (200,000 headline-list lines: 0.03-0.05 s), and columns of no value (no time, no excluded story:
        the headline lists) are not converted value by value."""
        count = len(entries)
        stamps = entries["published_at"] if "published_at" in entries else None
        if stamps is None or (stamps.dtype == object and stamps.isna().all()):
            stamps = pd.Series(np.full(count, np.datetime64("NaT", "ns")))
        published = _as_beijing(stamps)
        days, known, ns = _beijing_days(published)
        raw = entries["exclude_article_id"] if "exclude_article_id" in entries else None
        excluded: list[str | None]
        if raw is None or raw.isna().all():
            excluded = [None] * count
        else:
            excluded = [None if value is None or pd.isna(value) else str(value) for value in raw.tolist()]
        column = entries["headline"].fillna("")
        texts = None if every else arrow_text(column)
        headlines: Sequence[str] = column.astype(str).tolist() if texts is None or texts.null_count else _Texts(texts)
        return cls(headlines, published, days, known, ns, excluded)

    def outcome(
        self,
        index: _Index,
        position: int,
        min_score: float,
        max_chance: float,
        seen: _Seen | None = None,
    ) -> _Outcome:
        """``_best`` for the entry at ``position``. ``seen`` (kept by the caller across the entries of one
        match, against one index) holds the outcome of each distinct headline, time and excluded story
        already matched: a headline list repeated on many pages is matched once."""
        known = bool(self.known[position])
        key = (
            self.headlines[position],
            int(self.days[position]) if known else None,
            int(self.ns[position]) if known else 0,
            self.excluded[position],
        )
        if seen is not None and key in seen:
            return seen[key]
        outcome = _best(index, headline_words(key[0]), key[1], key[2], key[3], min_score, max_chance)
        if seen is not None:
            seen[key] = outcome
        return outcome

    def frame(self, entries: pd.DataFrame, matched: list[str | None], scores: np.ndarray) -> pd.DataFrame:
        """The matches frame of ``match_catalog``: ``MATCH_COLUMNS``, one row per entry."""
        return pd.DataFrame(
            {
                "headline": _text_cells(entries["headline"]),
                "published_at": self.published,
                "source": _text_cells(entries["source"]),
                "line": entries["line"].astype("int64").to_numpy(),
                "kind": _text_cells(entries["kind"]),
                "article_id": pd.array(matched, dtype="string"),
                "score": scores,
            }
        )


def _text_cells(values: pd.Series) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """A text column of the entries for the matches frame, which pandas holds as ``str``: its Arrow
    buffers as they are when it is held in Arrow (no Python string per entry: 0.1-0.3 s of 200,000), else
    its values as strings (pandas makes them ``str``)."""
    if arrow_backed(values):
        return values.astype("str").array
    return values.astype("string").to_numpy()


def apply_catalog(articles: pd.DataFrame, matches: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``articles`` in which every story with an inferred headline and a catalog match takes the
    best match's headline (``headline_inferred`` False, ``headline_match`` its score); the best match is the
    highest score, then the most trusted kind (``KINDS`` order), then source and line. Stories with a real
    headline already, and stories no entry matched, are left as they were."""
    out = articles.copy()
    if "headline_match" not in out:
        out["headline_match"] = np.nan
    linked = matches[matches["article_id"].notna()]
    if linked.empty or out.empty:
        return out
    rank = {kind: i for i, kind in enumerate(KINDS)}
    linked = linked.assign(_rank=linked["kind"].map(lambda k: rank.get(str(k), len(KINDS))))
    best = linked.sort_values(
        ["article_id", "score", "_rank", "source", "line"], ascending=[True, False, True, True, True], kind="stable"
    ).drop_duplicates("article_id")
    by_id = best.set_index("article_id")
    target = out["article_id"].isin(by_id.index) & out["headline_inferred"].astype(bool)
    ids = out.loc[target, "article_id"]
    out.loc[target, "headline"] = by_id.loc[ids, "headline"].to_numpy()
    out.loc[target, "headline_inferred"] = False
    out.loc[target, "headline_match"] = by_id.loc[ids, "score"].to_numpy(dtype=float)
    return out


def catalog_entries(results: Iterable[ParseResult]) -> pd.DataFrame:
    """The catalog entries of parsed pages: listing and digest items, article pages' own headlines,
    headline-list lines and ``Related:`` lines, as a frame with ``ENTRY_COLUMNS`` and
    ``exclude_article_id``. A ``Related:`` line is undated and placed at its story's first line."""
    rows: list[tuple[str, object, str, int, str, str | None]] = []
    for result in results:
        shape = result.report.shape
        for entry in result.listings:
            kind = "article" if shape == "article" else "digest" if shape == "digest" else "listing"
            rows.append(_entry_row(entry, kind))
        source = result.report.source
        for line, text in result.headlines:
            rows.append((text, None, source, line, "headline_list", None))
        for article in result.articles:
            span = article.sources[0] if article.sources else None
            for related in article.related:
                rows.append(
                    (
                        related,
                        None,
                        span.file if span else source,
                        span.first_line if span else 0,
                        "related",
                        article.article_id,
                    )
                )
    frame = pd.DataFrame(rows, columns=[*ENTRY_COLUMNS, "exclude_article_id"])
    frame["published_at"] = _as_beijing(frame["published_at"])
    return frame


def listings_to_frame(entries: Iterable[ListingEntry]) -> pd.DataFrame:
    """One row per listing entry, columns and dtypes as ``core.model.LISTING_COLUMNS``."""
    rows = list(entries)
    data = {name: [getattr(entry, name) for entry in rows] for name in LISTING_COLUMNS}
    frame = pd.DataFrame(data, columns=list(LISTING_COLUMNS))
    frame["published_at"] = _as_beijing(frame["published_at"])
    return frame.astype({name: dtype for name, dtype in LISTING_COLUMNS.items() if name != "published_at"})


def _entry_row(entry: ListingEntry, kind: str) -> tuple[str, object, str, int, str, str | None]:
    return (entry.headline, entry.published_at, entry.source, entry.line, kind, entry.article_id)
