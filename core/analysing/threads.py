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
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.analysing.terms import STOPWORDS

__all__ = ["story_threads", "thread_of"]

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


def _utf8_buffer(values: pd.Series) -> tuple[bytes, np.ndarray]:
    """A string column as one UTF-8 bytes object and the n + 1 offsets of its values (nulls empty),
    straight from the Arrow buffers: no Python string per row."""
    array = pa.array(values.astype("string").fillna(""))
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(pa.large_string())
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    if data_buffer is None or not len(array):
        return b"", np.zeros(len(array) + 1, dtype=np.int64)
    data = bytes(memoryview(data_buffer)[int(offsets[0]) : int(offsets[-1])])
    return data, offsets - offsets[0]


def _story_words(frame: pd.DataFrame, vocabulary: set[bytes]) -> dict[int, set[bytes]]:
    """Row position -> the ``vocabulary`` words in its headline and first 80 body words (rows with none
    are left out). All bodies are cleaned with one ``bytes.translate``; an inferred headline is the lead's
    first clause, already among the body words, so only written headlines are read.
    """
    data, offsets = _utf8_buffer(frame["body"])
    cleaned = data.translate(_TABLE)
    ends = np.minimum(offsets[1:], offsets[:-1] + _CANDIDATE_BYTES).tolist()
    heads = frame["headline"].fillna("").astype(str).where(~frame["headline_inferred"].astype(bool), "")
    words_of: dict[int, set[bytes]] = {}
    for row, (start, end) in enumerate(zip(offsets[:-1].tolist(), ends, strict=True)):
        found = vocabulary.intersection(cleaned[start:end].split()[:_CANDIDATE_WORDS])
        if found:
            words_of[row] = found
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

    def best_two(self, words: set[bytes], need: int) -> list[tuple[int, int]]:
        """Up to two (row, shared words) with at least ``need`` of ``words``, best first (more shared, then
        earlier row). Prefix filter: such a row holds one of the ``len(words) - need + 1`` rarest words."""
        empty = np.array([], dtype=np.int64)
        ordered = sorted(words, key=lambda w: (len(self.postings.get(w, empty)), w))
        rarest = [self.postings.get(w, empty) for w in ordered[: len(words) - need + 1]]
        if sum(len(p) for p in rarest) <= _SMALL:
            candidates = set(np.concatenate(rarest).tolist()) if rarest else set()
            shared = ((len(words & self.words_of[row]), row) for row in candidates)
            best = heapq.nsmallest(2, ((-count, row) for count, row in shared if count >= need))
            return [(row, -negative) for negative, row in best]
        present = [self.postings[w] for w in words if w in self.postings]
        for posting in present:
            self.counts[posting] += 1
        rows = np.flatnonzero(self.counts >= need)
        counts = self.counts[rows]
        for posting in present:
            self.counts[posting] = 0
        order = np.lexsort((rows, -counts))[:2]
        return [(int(rows[i]), int(counts[i])) for i in order]


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
    columns = {"article_id": "string", "related": "string", "target_id": "string", "score": "float64"}
    lists = frame["related"].to_numpy(dtype=object)
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    owners = np.repeat(np.arange(len(lists)), lengths)
    texts = [str(text) for related in lists for text in related]
    if not texts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    queries = {text: _headline_words(text) for text in dict.fromkeys(texts)}
    index = _Index(_story_words(frame, set().union(*queries.values())), len(frame))
    best: dict[str, list[tuple[int, int]]] = {}
    for text, words in queries.items():
        need = max(3, math.ceil(min_score * len(words) - 1e-9))
        best[text] = index.best_two(words, need) if len(words) >= need else []
    ids = frame["article_id"].astype(str).to_numpy(dtype=object)
    out: list[tuple[str, str, Any, float]] = []
    for own, text in zip(owners.tolist(), texts, strict=True):
        match = next(((row, shared) for row, shared in best[text] if row != own), None)
        if match:
            out.append((ids[own], text, ids[match[0]], match[1] / len(queries[text])))
        else:
            out.append((ids[own], text, pd.NA, 0.0))
    return pd.DataFrame(out, columns=list(columns)).astype(columns)


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
