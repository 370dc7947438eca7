"""Story threads: which story a ``Related:`` line points to, and the chain of stories linked that way.

Pure functions over the article frame (``core.model.COLUMNS``). A ``Related:`` line names another story
by its headline, but live-feed stories carry only a headline inferred from their lead, so a related
headline is matched by its content words against each story's headline and the first 80 words of its
body. The index is inverted (content word -> stories) and restricted to the words of the related
headlines, and each headline reads only the postings of its rarest words, so the cost grows with the
corpus, not with its square (about 100,000 stories in a few seconds, almost all of it reading the text).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.analysing.terms import STOPWORDS
from core.storing.frame import arrow_text, list_codes, list_texts, positions_in, take_frame_rows

__all__ = ["TOP", "Links", "story_threads", "thread_links", "thread_of", "updated_thread_links"]

_CANDIDATE_BYTES = 800  # enough for the first 80 words of a body
_CANDIDATE_WORDS = 80
_SMALL = 2000  # candidate rows up to which Python sets beat a dense numpy count
# One byte table for UTF-8 text: ASCII letters and digits stay (lower-cased), everything else becomes a
# space. Non-ASCII characters thus separate words: curly quotes and dashes need no special case, and the
# rare accented or CJK word is cut the same way on both sides of a match.
_TABLE = bytes(ord(chr(c).lower()) if c < 128 and chr(c).isalnum() else 32 for c in range(256))


def _headline_words(text: str) -> set[bytes]:
    """Content words of a headline as bytes: words of two or more characters that are not ``STOPWORDS``
    (a possessive ``'s`` and the letters of ``U.S.`` fall away as one-letter words)."""
    return {w for w in text.encode().translate(_TABLE).split() if len(w) > 1 and w.decode() not in STOPWORDS}


def _lead_chunks(values: pd.Series) -> Iterator[tuple[bytes, np.ndarray]]:
    """The first ``_CANDIDATE_BYTES`` bytes of each value of a string column (nulls empty), one chunk of
    the column at a time: the leads as one bytes object and their n + 1 offsets in it. Straight from the
    Arrow buffers (no Python string per row), and only the leads of one chunk are copied at once: the
    bodies of 1,000,000 stories are 1.2 GB, mapped from the text file in several chunks, and copying them
    whole (twice, with the cleaning) took the process from 0.5 to 5.2 GB."""
    array = pa.array(values.astype("string").fillna(""))
    for chunk in array.chunks if isinstance(array, pa.ChunkedArray) else [array]:
        if not len(chunk):
            continue
        leads = pc.binary_slice(chunk.cast(pa.large_string()).cast(pa.large_binary()), 0, _CANDIDATE_BYTES)
        _, offsets_buffer, data_buffer = leads.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[leads.offset : leads.offset + len(leads) + 1]
        if data_buffer is None:
            yield b"", np.zeros(len(leads) + 1, dtype=np.int64)
            continue
        yield bytes(memoryview(data_buffer)[int(offsets[0]) : int(offsets[-1])]), offsets - offsets[0]


def _story_words(frame: pd.DataFrame, vocabulary: set[bytes]) -> dict[int, set[bytes]]:
    """Row position -> the ``vocabulary`` words in its headline and first 80 body words (rows with none
    are left out). The bodies' leads are cleaned with one ``bytes.translate`` per chunk of the column; an
    inferred headline is the lead's first clause, already among the body words, so only written headlines
    are read.
    """
    words_of: dict[int, set[bytes]] = {}
    first = 0
    for data, offsets in _lead_chunks(frame["body"]):
        cleaned = data.translate(_TABLE)
        bounds = offsets.tolist()
        for row, (start, end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True), start=first):
            found = vocabulary.intersection(cleaned[start:end].split()[:_CANDIDATE_WORDS])
            if found:
                words_of[row] = found
        first += len(bounds) - 1
    heads = frame["headline"].fillna("").astype(str).where(~frame["headline_inferred"].astype(bool), "")
    written = np.flatnonzero((heads != "").to_numpy(dtype=bool)).tolist()
    for row in written:
        found = vocabulary.intersection(str(heads.iloc[row]).encode().translate(_TABLE).split())
        if found:
            words_of.setdefault(row, set()).update(found)
    return dict(sorted(words_of.items())) if written else words_of  # posting lists need rows in order


class _Index:
    """Content word -> sorted row positions, with the per-row word sets for checking candidates."""

    def __init__(self, words_of: dict[int, set[bytes]], rows: int) -> None:
        lists: dict[bytes, list[int]] = defaultdict(list)
        for row, found in words_of.items():  # rows in increasing order, so every posting list is sorted
            for word in found:
                lists[word].append(row)
        self.postings = {word: np.array(rows_, dtype=np.int64) for word, rows_ in lists.items()}
        self.words_of = words_of
        self.counts = np.zeros(rows, dtype=np.int32)  # scratch for dense counting, kept at zero

    def best(self, words: set[bytes], need: int, top: int = 2) -> list[tuple[int, int]]:
        """Up to ``top`` (row, shared words) with at least ``need`` of ``words``, best first (more shared,
        then earlier row). Prefix filter: such a row holds one of the ``len(words) - need + 1`` rarest
        words."""
        empty = np.array([], dtype=np.int64)
        ordered = sorted(words, key=lambda w: (len(self.postings.get(w, empty)), w))
        rarest = [self.postings.get(w, empty) for w in ordered[: len(words) - need + 1]]
        if sum(len(p) for p in rarest) <= _SMALL:
            candidates = set(np.concatenate(rarest).tolist()) if rarest else set()
            shared = ((len(words & self.words_of[row]), row) for row in candidates)
            best = heapq.nsmallest(top, ((-count, row) for count, row in shared if count >= need))
            return [(row, -negative) for negative, row in best]
        present = [self.postings[w] for w in words if w in self.postings]
        for posting in present:
            self.counts[posting] += 1
        rows = np.flatnonzero(self.counts >= need)
        counts = self.counts[rows]
        for posting in present:
            self.counts[posting] = 0
        order = np.lexsort((rows, -counts))[:top]
        return [(int(rows[i]), int(counts[i])) for i in order]


@dataclass(frozen=True, slots=True)
class Links:
    """What ``thread_links`` found, kept to update the threads of a slightly different frame without
    reading every story again (``updated_thread_links``).

    ``ids`` and ``keys``: each row's article id and key (a hash of its content, ``Related:`` lines
    included: a story whose key is unchanged matches every related headline as before), in frame order.
    ``best``: each related headline -> its ``TOP`` best stories (article id, shared words), best first;
    a headline in ``complete`` lists every story with enough shared words (fewer than ``TOP``).
    """

    ids: np.ndarray
    keys: np.ndarray
    best: dict[str, list[tuple[str, int]]]
    complete: frozenset[str]
    min_score: float
    #: the cache generation of the frame they were found in, when read from its file ("" otherwise)
    generation: str = ""


#: Best stories kept per related headline: the two a thread needs, and two more so that a story edited or
#: removed among them leaves the two best known.
TOP = 4


@dataclass(frozen=True, slots=True)
class _Lines:
    """The ``Related:`` lines of a frame: each one's story row (``owners``) and text, as its place
    (``codes``) among the distinct texts in the order they first come (the keys of ``_queries``' words);
    ``arrow``: the lines' texts as one Arrow string array, when the column is held in Arrow."""

    owners: np.ndarray
    codes: np.ndarray
    arrow: pa.Array | None = None

    def __len__(self) -> int:
        return len(self.owners)


def _queries(frame: pd.DataFrame) -> tuple[_Lines, dict[str, set[bytes]]]:
    """The ``Related:`` lines, and the content words of each distinct text (in the order each first
    comes). The texts are coded in Arrow when the column is (no Python string per line)."""
    column = frame["related"]
    owners, codes, distinct = list_codes(column)
    owners = owners.astype(np.int64, copy=False)
    texts = [str(text) for text in distinct.tolist()]
    if _first_come(codes, len(texts)) and None not in distinct.tolist() and len(set(texts)) == len(texts):
        arrow = list_texts(column)
        return _Lines(owners, np.asarray(codes, dtype=np.int64), arrow), {t: _headline_words(t) for t in texts}
    lines = [texts[code] for code in codes.tolist()]  # as Python text, each line: the codes again
    queries = {text: _headline_words(text) for text in dict.fromkeys(lines)}
    return _Lines(owners, np.asarray(pd.Index(list(queries)).get_indexer(lines), dtype=np.int64)), queries


def _first_come(codes: np.ndarray, distinct: int) -> bool:
    """Whether ``codes`` number their ``distinct`` values in the order each first comes (0, then at most
    one above every code before it)."""
    if not len(codes):
        return distinct == 0
    running = np.maximum.accumulate(codes)
    return int(codes[0]) == 0 and bool((np.diff(running) <= 1).all()) and int(running[-1]) == distinct - 1


def _need(words: set[bytes], min_score: float) -> int:
    return max(3, math.ceil(min_score * len(words) - 1e-9))


def _best_rows(
    frame: pd.DataFrame,
    queries: dict[str, set[bytes]],
    min_score: float,
    top: int,
    rows: np.ndarray | None = None,
) -> dict[str, list[tuple[int, int]]]:
    """Each query's ``top`` best rows of ``frame`` (only among ``rows``, increasing positions, when given):
    (row, shared words), best first."""
    part = frame if rows is None else take_frame_rows(frame, rows)
    vocabulary: set[bytes] = set().union(*queries.values()) if queries else set()
    index = _Index(_story_words(part, vocabulary), len(part))
    best: dict[str, list[tuple[int, int]]] = {}
    for text, words in queries.items():
        need = _need(words, min_score)
        found = index.best(words, need, top) if len(words) >= need else []
        best[text] = found if rows is None else [(int(rows[row]), shared) for row, shared in found]
    return best


def _threads_frame(
    ids: np.ndarray,
    lines: _Lines,
    queries: dict[str, set[bytes]],
    best: dict[str, list[tuple[int, int]]],
    id_arrow: pa.Array | None = None,
) -> pd.DataFrame:
    """The threads (``story_threads``'s frame) from each text's best rows: the first that is not the
    line's own story. ``ids``: the frame's article ids (str), by row; ``id_arrow``: the same in Arrow,
    when held there (the columns are then taken in Arrow: no Python string per line)."""
    distinct = list(queries)
    first = np.full((2, len(distinct)), -1, dtype=np.int64)  # row, shared words of the best
    second = np.full((2, len(distinct)), -1, dtype=np.int64)  # and of the second best
    for number, text in enumerate(distinct):
        found = best[text]
        if found:
            first[:, number] = found[0]
        if len(found) > 1:
            second[:, number] = found[1]
    sizes = np.fromiter((len(queries[text]) for text in distinct), dtype=np.int64, count=len(distinct))
    codes, owners = lines.codes, lines.owners
    own_first = first[0, codes] == owners
    row = np.where(own_first, second[0, codes], first[0, codes])
    shared = np.where(own_first, second[1, codes], first[1, codes])
    matched = row >= 0
    score = np.zeros(len(lines), dtype=np.float64)
    score[matched] = shared[matched] / sizes[codes[matched]]
    if lines.arrow is not None and id_arrow is not None:  # 1,000,000 stories: 0.2 s against 2.5 s
        columns = {
            "article_id": id_arrow.take(pa.array(owners)),
            "related": lines.arrow,
            "target_id": id_arrow.take(pa.array(np.where(matched, row, 0), mask=~matched)),
        }
        frame = pd.DataFrame({name: pd.array(array, dtype="string") for name, array in columns.items()})
        return frame.assign(score=score).astype(_COLUMNS)
    target = np.full(len(lines), None, dtype=object)
    target[matched] = ids[row[matched]]
    texts = np.array(distinct, dtype=object)[codes] if len(lines) else np.zeros(0, dtype=object)
    frame = pd.DataFrame({"article_id": ids[owners], "related": texts, "target_id": target, "score": score})
    return frame.astype(_COLUMNS)


def _id_arrow(frame: pd.DataFrame) -> pa.Array | None:
    """The frame's ``article_id`` column as one Arrow string array, when it is held in Arrow."""
    return arrow_text(frame["article_id"])


_COLUMNS = {"article_id": "string", "related": "string", "target_id": "string", "score": "float64"}


def story_threads(frame: pd.DataFrame, min_score: float = 0.5) -> pd.DataFrame:
    """Which story each ``Related:`` line points to.

    A related headline is compared with every story's headline plus the first 80 words of its body: score
    = share of the related headline's content words (words of two or more characters that are not
    ``core.analysing.terms.STOPWORDS``) found there. The best story with score >= ``min_score`` and at least 3 shared
    content words, other than the linking story itself, is the target; ties go to the earlier row of
    ``frame``.

    Out: one row per (story, related line), in frame order: ``article_id`` (the story carrying the line),
    ``related`` (its text), ``target_id`` (``<NA>`` when nothing matches) and ``score`` (0..1; 0 when
    nothing matches).
    """
    return thread_links(frame, None, min_score)[0]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _COLUMNS.items()})


def _links(
    ids: np.ndarray,
    unique: bool,
    keys: np.ndarray | None,
    best: dict[str, list[tuple[int, int]]],
    complete: set[str],
    min_score: float,
) -> Links | None:
    if keys is None or len(keys) != len(ids) or not unique:
        return None
    by_id = {text: [(str(ids[row]), shared) for row, shared in found] for text, found in best.items()}
    return Links(ids, np.asarray(keys, dtype=np.int64), by_id, frozenset(complete), min_score)


def thread_links(
    frame: pd.DataFrame, keys: np.ndarray | None, min_score: float = 0.5, unique: bool | None = None
) -> tuple[pd.DataFrame, Links | None]:
    """``story_threads(frame, min_score)``, and what ``updated_thread_links`` needs to update them
    (None without ``keys``, one per row, or when two rows share an article id). ``unique``: whether every
    article id is on one row, when the caller knows (else found here)."""
    ids = frame["article_id"].astype(str).to_numpy(dtype=object)
    unique = keys is not None and _unique(ids, unique)
    lines, queries = _queries(frame)
    if not len(lines):
        return _empty(), _links(ids, unique, keys, {}, set(), min_score)
    best = _best_rows(frame, queries, min_score, TOP)
    complete = {text for text, found in best.items() if len(found) < TOP}
    threads = _threads_frame(ids, lines, queries, best, _id_arrow(frame))
    return threads, _links(ids, unique, keys, best, complete, min_score)


def _unique(ids: np.ndarray, known: bool | None) -> bool:
    """Whether each of ``ids`` is once: ``known`` when given, else found (0.7 s at 1,000,000 ids)."""
    return bool(pd.Index(ids).is_unique) if known is None else known


def updated_thread_links(
    frame: pd.DataFrame,
    keys: np.ndarray,
    previous: Links,
    min_score: float = 0.5,
    unique: bool | None = None,
    rows_before: np.ndarray | None = None,
) -> tuple[pd.DataFrame, Links | None, int]:
    """``thread_links(frame, keys, min_score)`` from the links of an earlier frame: only the stories whose
    key is new (edited, added) are read, plus, for a related headline new to the collection or whose best
    stories were edited or removed, every story again. Identical to ``thread_links``; falls back to it
    when the earlier frame is not an earlier state of this one (ids shared by rows, the unchanged stories
    in another order, another ``min_score``). Also returns the number of stories read. ``rows_before``:
    each row's row in the earlier frame (-1 for a story it did not have), when the caller knows it (else
    each id is looked up among the earlier ids)."""
    ids = frame["article_id"].astype(str).to_numpy(dtype=object)
    if previous.min_score != min_score or len(keys) != len(frame) or not _unique(ids, unique):
        threads, links = thread_links(frame, keys, min_score, unique)
        return threads, links, len(frame)
    keys = np.asarray(keys, dtype=np.int64)
    # each story's row in the earlier frame (looked up in Arrow when not given); unchanged: the same id
    # with the same key
    if rows_before is not None and len(rows_before) == len(frame):
        at = np.asarray(rows_before, dtype=np.int64)
    else:
        at = positions_in(frame["article_id"], previous.ids)
    unchanged = at >= 0
    unchanged[unchanged] = np.asarray(previous.keys, dtype=np.int64)[at[unchanged]] == keys[unchanged]
    if np.any(np.diff(at[unchanged]) <= 0):  # the unchanged stories in another order: ties would differ
        threads, links = thread_links(frame, keys, min_score, True)
        return threads, links, len(frame)
    lines, queries = _queries(frame)
    if not len(lines):
        return _empty(), _links(ids, True, keys, {}, set(), min_score), 0
    changed = np.flatnonzero(~unchanged)
    fresh = _best_rows(frame, queries, min_score, TOP, changed) if len(changed) else {t: [] for t in queries}
    named = list(dict.fromkeys(article_id for found in previous.best.values() for article_id, _ in found))
    # the row of each story named among the earlier best, when it is unchanged (-1: edited or removed)
    rows_of = dict(zip(named, positions_in(pd.Series(named, dtype="string"), frame["article_id"]).tolist(), strict=True))
    rows_of = {article_id: row for article_id, row in rows_of.items() if row >= 0 and unchanged[row]}
    best: dict[str, list[tuple[int, int]]] = {}
    complete: set[str] = set()
    again: list[str] = []
    for text, words in queries.items():
        if len(words) < _need(words, min_score):
            best[text] = []
            complete.add(text)
            continue
        old = previous.best.get(text)
        if old is None:
            again.append(text)
            continue
        # the unchanged stories among the earlier best, in the same order: the best of the unchanged
        valid = [(rows_of[article_id], shared) for article_id, shared in old if article_id in rows_of]
        new = fresh[text]
        merged = sorted(valid + new, key=lambda entry: (-entry[1], entry[0]))
        known = TOP
        if text not in previous.complete:
            known = min(known, len(valid))  # stories beyond these may be better than the rest
        if len(new) >= TOP:
            known = min(known, len(new))
        is_complete = text in previous.complete and len(new) < TOP and len(merged) < TOP
        if is_complete:
            best[text] = merged
            complete.add(text)
        elif known >= 2:
            best[text] = merged[:known]
        else:
            again.append(text)
    read = len(changed)
    if again:
        for text, found in _best_rows(frame, {t: queries[t] for t in again}, min_score, TOP).items():
            best[text] = found
            if len(found) < TOP:
                complete.add(text)
        read = len(frame)
    threads = _threads_frame(ids, lines, queries, best, _id_arrow(frame))
    return threads, _links(ids, True, keys, best, complete, min_score), read


def thread_of(frame: pd.DataFrame, threads: pd.DataFrame, article_id: str) -> pd.DataFrame:
    """The chain of stories linked to ``article_id`` by ``story_threads`` links, in both directions (every
    story reachable through Related lines pointing to or from it), including the story itself.

    Out: the rows of ``frame`` in the chain, oldest first (undated last, then by article_id); empty if
    ``article_id`` is not in ``frame``.
    """
    ids = pa.array(frame["article_id"].astype("string").array)
    if not pc.any(pc.equal(ids, article_id)).as_py():
        return frame.iloc[0:0]
    links = threads.dropna(subset=["target_id"])
    neighbours: dict[str, set[str]] = defaultdict(set)
    pairs = zip(
        links["article_id"].astype(str).tolist(), links["target_id"].astype(str).tolist(), strict=True
    )
    for source, target in pairs:
        neighbours[source].add(target)
        neighbours[target].add(source)
    seen = {article_id}
    queue = deque([article_id])
    while queue:
        for other in neighbours[queue.popleft()] - seen:
            seen.add(other)
            queue.append(other)
    chain = frame[pc.is_in(ids, value_set=pa.array(sorted(seen), pa.string())).to_numpy(zero_copy_only=False)]
    return chain.sort_values(["published_at", "article_id"], na_position="last", kind="stable")
