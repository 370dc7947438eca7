"""The order in which a selection is read: newest, oldest, most relevant or longest first.

``order_positions`` sorts row positions of the article frame; ``ranked_positions`` does the same with the
relevance scores of the full-text index (``SearchIndex.bm25``) for the terms of the search and of the
themes filtered by. Every order breaks ties newest first (undated stories last), then by row, so the same
selection always reads in the same order and a page of the reader never changes under its reader.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.analysing.query import Term, parse_query, positive_terms
from core.analysing.themes import Theme
from core.errors import QuerySyntaxError
from core.storing.search import SearchIndex

__all__ = ["SORTS", "order_positions", "ranked_positions", "relevance_terms"]

#: The orders, by URL value, with what the reader calls them.
SORTS: dict[str, str] = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "relevance": "Most relevant first",
    "longest": "Longest first",
}


def relevance_terms(query: str, themes: Sequence[Theme] = ()) -> list[Term]:
    """The terms relevance is scored on: those of ``query`` that select stories (not under a ``NOT``) and
    the terms of ``themes`` (a saved-query theme gives its query's terms), each once, in that order.
    A query that does not parse gives no terms (the page reports it)."""
    terms: list[Term] = []
    if query.strip():
        try:
            terms += positive_terms(parse_query(query))
        except QuerySyntaxError:
            pass
    for theme in themes:
        terms += theme.highlight_terms()
    unique: dict[tuple[tuple[str, ...], bool], Term] = {}
    for term in terms:
        unique.setdefault((tuple(w.lower() for w in term.words), term.prefix), term)
    return list(unique.values())


def order_positions(
    frame: pd.DataFrame, positions: np.ndarray, sort: str, scores: np.ndarray | None = None
) -> np.ndarray:
    """``positions`` (rows of ``frame``) in the order ``sort`` names (a key of ``SORTS``).

    ``relevance`` needs ``scores``, one per position (higher first; ``ranked_positions`` computes them);
    ``longest`` sorts by ``word_count``. Ties go newest first, undated stories last, then by row.
    Raises ``ValueError`` for an unknown ``sort`` or scores of the wrong length.
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; the sorts are {', '.join(SORTS)}")
    rows = np.asarray(positions, dtype=np.intp)
    if not len(rows):
        return rows
    stamps = pd.DatetimeIndex(frame["published_at"].iloc[rows])
    undated = stamps.isna()
    nanos = np.where(undated, 0, stamps.asi8)
    # np.lexsort sorts by the last key first
    if sort == "oldest":
        order = np.lexsort((rows, nanos, undated))
        return rows[order]
    newest_keys = (rows, -nanos, undated)
    if sort == "newest":
        return rows[np.lexsort(newest_keys)]
    if sort == "longest":
        words = frame["word_count"].iloc[rows].to_numpy(dtype=np.int64)
        return rows[np.lexsort((*newest_keys, -words))]
    if scores is None or len(scores) != len(rows):
        raise ValueError(f"relevance needs one score per position ({len(rows)})")
    return rows[np.lexsort((*newest_keys, -np.asarray(scores, dtype=np.float64)))]


def ranked_positions(
    index: SearchIndex, positions: np.ndarray, sort: str, terms: Sequence[Term]
) -> np.ndarray:
    """``order_positions`` over ``index.frame``, with relevance computed by the full-text index: each story
    scored by BM25 for ``terms`` (``relevance_terms``); stories that contain none of them follow the
    others, newest first. Without terms, relevance is the newest-first order."""
    if sort != "relevance":
        return order_positions(index.frame, positions, sort)
    rows = np.asarray(positions, dtype=np.intp)
    if not terms:
        return order_positions(index.frame, rows, "newest")
    scored_rows, scores = index.bm25(terms)
    every = np.zeros(len(index.frame), dtype=np.float64)
    every[scored_rows] = scores
    return order_positions(index.frame, rows, "relevance", every[rows])
