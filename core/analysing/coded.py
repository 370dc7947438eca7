"""The dashboard's counts of a selection, on integer codes made once per collection.

``core.analysing.analytics`` counts a filtered copy of the article frame: every call explodes the
authors' lists, converts the times to Beijing days and looks the theme memberships up by article id, for
the selection in hand. The dashboard asks for those counts after every change of the filters, over the
same stories each time. ``Coded.build`` does that work once per collection: each story's Beijing day,
who is credited for it (codes into one sorted list of names), its themes (codes into the sorted slugs)
and the pairs of its co-authors, all integer arrays over the collection's rows. A count of a selection
(a boolean mask over the rows, as ``core.storing.collection.select`` returns) is then a ``bincount`` of
the entries of the selected rows: no string and no Python step per story.

Each function returns exactly what its namesake in ``analytics`` returns for ``frame[mask]`` (both build
their tables with the same helpers; tests/test_coded.py compares them on generated collections). The
collection's article ids must be unique (ingest merges the copies of a story), so that a membership's
story is one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.analysing import analytics
from core.analysing.analytics import (
    _codes,
    _cooccurrence_table,
    _credits,
    _local_days,
    _matrix_table,
    _pairs_table,
    _periods_of_days,
    _reporter_table,
    _rows_per_period,
    _summary,
    _theme_table,
    _totals_table,
)
from core.arrays import dense_unique, run_starts, sorted_unique

__all__ = [
    "Coded",
    "cobyline_pairs",
    "copy_flags",
    "option_counts",
    "period_totals",
    "reporter_counts",
    "reporter_theme_matrix",
    "reporter_timeline",
    "selection_summary",
    "theme_cooccurrence",
    "theme_counts",
    "timeline",
]


@dataclass(frozen=True, slots=True)
class Coded:
    """The columns the dashboard's counts read, as arrays over the collection's rows (or over entries
    that each name their row).

    ``days``: each story's Beijing day (``datetime64[D]``, NaT when undated). Credits, one entry per
    (story, credited name, kind) as in ``analytics._credits``: ``credit_rows``, ``credit_codes`` (into
    ``names``, sorted) and ``credit_kinds`` (0 reporter, 1 agency, 2 unsigned). Themes, one entry per
    (story, theme), sorted by row: ``theme_rows``, ``theme_codes`` (into ``themes``, sorted) and
    ``theme_starts`` (row r's entries are ``theme_starts[r]:theme_starts[r + 1]``). Co-bylines, one entry
    per (story, two of its authors): ``pair_rows`` and ``pair_ids`` (into ``pair_keys``, each
    ``code_a * len(names) + code_b`` with ``code_a < code_b``). ``teaser`` and ``truncated`` per story."""

    days: np.ndarray
    credit_rows: np.ndarray
    credit_codes: np.ndarray
    credit_kinds: np.ndarray
    names: list[str]
    name_codes: dict[str, int]
    theme_rows: np.ndarray
    theme_codes: np.ndarray
    theme_starts: np.ndarray
    themes: list[str]
    pair_rows: np.ndarray
    pair_ids: np.ndarray
    pair_keys: np.ndarray
    teaser: np.ndarray
    truncated: np.ndarray

    @classmethod
    def build(cls, frame: pd.DataFrame, memberships: pd.DataFrame, member_rows: np.ndarray) -> Coded:
        """The codes of ``frame`` (the collection's articles: ``published_at``, ``authors``, ``agency``,
        ``teaser``, ``truncated``) and of its theme ``memberships`` (``theme`` column), whose stories are
        at ``member_rows`` (-1 for a story not in the frame)."""
        rows = len(frame)
        credits = _credits(frame)
        inside = (member_rows >= 0) & memberships["theme"].notna().to_numpy()
        theme_codes, themes = _theme_codes(memberships["theme"], inside)
        width = max(len(themes), 1)
        keys = sorted_unique(member_rows[inside].astype(np.int64) * width + theme_codes)  # sorted by row
        theme_rows, theme_codes = keys // width, keys % width
        pair_rows, pair_ids, pair_keys = _author_pairs(
            credits.rows, credits.codes, credits.kinds, len(credits.names)
        )
        return cls(
            days=_local_days(frame["published_at"]),
            credit_rows=credits.rows,
            credit_codes=credits.codes,
            credit_kinds=credits.kinds,
            names=credits.names,
            name_codes={name: code for code, name in enumerate(credits.names)},
            theme_rows=theme_rows,
            theme_codes=theme_codes,
            theme_starts=_starts(theme_rows, rows),
            themes=themes,
            pair_rows=pair_rows,
            pair_ids=pair_ids,
            pair_keys=pair_keys,
            teaser=frame["teaser"].to_numpy(dtype=bool),
            truncated=frame["truncated"].to_numpy(dtype=bool),
        )


def _starts(sorted_rows: np.ndarray, rows: int) -> np.ndarray:
    """``np.searchsorted(sorted_rows, np.arange(rows + 1))`` for rows in ``range(rows)``, by a count of each
    row (no search per row)."""
    starts = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(sorted_rows, minlength=rows), out=starts[1:])
    return starts


def _theme_codes(themes: pd.Series, keep: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """``analytics._codes(themes.astype("string"), keep)``: the codes of the kept themes in alphabetical
    order, and the sorted themes among them. Read from the codes of a categorical column whose categories
    are sorted text (a collection's memberships, ``compact_memberships``), with no string per membership
    (2.4 million memberships: 0.02 s against 0.5 s through their text)."""
    if isinstance(themes.dtype, pd.CategoricalDtype):
        categories = themes.cat.categories
        labels = [str(value) for value in categories]
        if all(isinstance(value, str) for value in categories) and labels == sorted(labels):
            codes = np.asarray(themes.cat.codes.to_numpy(), dtype=np.int64)[keep]
            used = np.flatnonzero(np.bincount(codes, minlength=len(labels)))
            rank = np.zeros(len(labels), dtype=np.int64)
            rank[used] = np.arange(len(used), dtype=np.int64)
            return rank[codes], [labels[i] for i in used.tolist()]
    codes, names = _codes(themes.astype("string"), keep)
    return np.asarray(codes, dtype=np.int64), names


def _author_pairs(
    rows: np.ndarray, codes: np.ndarray, kinds: np.ndarray, names: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of distinct authors of a story (``analytics.cobyline_pairs``' pairs): the story's row,
    the pair's id and the distinct pair keys (``code_a * names + code_b``, ``code_a < code_b``). In the
    order of a self-join of the authors on their row (each author, then each author of its story), made
    in numpy: the authors' rows come in order (``analytics._credits``)."""
    authors = kinds == 0
    rows, codes = rows[authors], codes[authors]
    if len(rows) and bool((rows[1:] < rows[:-1]).any()):  # not as _credits gives them: put them in order
        order = np.argsort(rows, kind="stable")
        rows, codes = rows[order], codes[order]
    several = (np.bincount(rows) >= 2)[rows] if len(rows) else np.zeros(0, dtype=bool)
    rows, codes = rows[several], codes[several]
    starts = run_starts(rows)
    sizes = np.bincount(rows)[rows] if len(rows) else np.zeros(0, dtype=np.int64)
    # each author once per author of its story: itself at ``left``, the other at ``right``
    left = np.repeat(np.arange(len(rows)), sizes)
    right = np.arange(len(left)) - np.repeat(np.cumsum(sizes) - sizes, sizes) + np.repeat(starts, sizes)
    first, second = codes[left], codes[right]
    keep = first < second
    width = max(names, 1)
    keys = first[keep].astype(np.int64) * width + second[keep]
    distinct, ids = dense_unique(keys, width * width)
    return rows[left[keep]].astype(np.int64), ids, distinct


def _credit_days(coded: Coded, chosen: np.ndarray | None) -> np.ndarray:
    """The Beijing day number of the story of each chosen credit (every credit: None), NaT's integer when
    undated."""
    rows = coded.credit_rows if chosen is None else coded.credit_rows[chosen]
    days: np.ndarray = coded.days[rows].astype("int64")
    return days


def _chosen_credits(coded: Coded, mask: np.ndarray) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Which credits are of the stories of ``mask`` (None: every one, when every story is: the arrays are
    then the codes' own, not copies), with their name and kind codes."""
    if bool(mask.all()):
        return None, coded.credit_codes, coded.credit_kinds
    chosen = mask[coded.credit_rows]
    return chosen, coded.credit_codes[chosen], coded.credit_kinds[chosen]


def _days_of(coded: Coded, mask: np.ndarray) -> np.ndarray:
    """The Beijing days of the stories of ``mask`` (the codes' own array when every story is chosen)."""
    return coded.days if bool(mask.all()) else coded.days[mask]


def selection_summary(coded: Coded, mask: np.ndarray) -> dict[str, Any]:
    """``analytics.selection_summary`` of the stories of ``mask``."""
    _, codes, kinds = _chosen_credits(coded, mask)
    return _summary(int(np.count_nonzero(mask)), _days_of(coded, mask), codes, kinds)


def timeline(coded: Coded, mask: np.ndarray, freq: str = "W") -> pd.DataFrame:
    """``analytics.timeline(frame, freq)`` of the stories of ``mask``: stories per period."""
    periods, totals = period_totals(_days_of(coded, mask), freq)
    return _totals_table(periods.astype("datetime64[ns]"), totals)


def period_totals(days: np.ndarray, freq: str) -> tuple[np.ndarray, np.ndarray]:
    """Every period start (``datetime64[D]``) from the first to the last dated day of ``days`` (Beijing
    days, ``datetime64[D]``, NaT when undated) and how many of ``days`` fall in each: what
    ``analytics._periods_of_days`` and a ``bincount`` of its period numbers give.

    The days are counted per day first, then each day of the span is given its period: a pass over the
    stories with no date arithmetic, and the periods worked out for the days of the span only (at most
    213,000: a ``datetime64[ns]`` time lies between 1677 and 2262). At 1,000,000 stories a monthly
    timeline of every story took 48 ms, period numbers of each story found by a search; 6 ms so."""
    days = days.astype("datetime64[D]", copy=False)
    numbers = days.view(np.int64)  # day numbers since 1970-01-01; NaT is the smallest int64
    dated = numbers if not len(numbers) or numbers.min() != _NAT else numbers[numbers != _NAT]
    if not len(dated):
        return _periods_of_days(days[:0], freq)[0], np.zeros(0, dtype=np.int64)
    first = int(dated.min())
    per_day = np.bincount(dated - first)
    span = np.arange(first, first + len(per_day)).astype("datetime64[D]")
    periods, number = _periods_of_days(span, freq)  # non-decreasing: the span's days are in order
    totals = np.add.reduceat(per_day, np.flatnonzero(np.r_[True, number[1:] != number[:-1]]))
    return periods, totals.astype(np.int64)


_NAT = np.iinfo(np.int64).min  # NaT's integer


def reporter_counts(coded: Coded, mask: np.ndarray) -> pd.DataFrame:
    """``analytics.reporter_counts`` of the stories of ``mask``."""
    chosen, codes, kinds = _chosen_credits(coded, mask)
    return _reporter_table(codes, kinds, _credit_days(coded, chosen), coded.names)


def reporter_timeline(coded: Coded, mask: np.ndarray, name: str, freq: str = "M") -> pd.DataFrame:
    """``analytics.reporter_timeline`` of the stories of ``mask``: ``name``'s stories per period, over
    the periods of the whole selection."""
    positions = np.flatnonzero(mask)
    periods, number = _periods_of_days(coded.days[positions], freq)
    code = coded.name_codes.get(name)
    if code is None:
        return _rows_per_period(periods, number[:0])
    rows = sorted_unique(coded.credit_rows[coded.credit_codes == code])
    rows = rows[mask[rows]]
    return _rows_per_period(periods, number[np.searchsorted(positions, rows)])


def reporter_theme_matrix(coded: Coded, mask: np.ndarray, top: int = 20) -> pd.DataFrame:
    """``analytics.reporter_theme_matrix`` of the stories of ``mask``: stories per (reporter, theme) for
    the ``top`` reporters of the selection."""
    ranking = reporter_counts(coded, mask)
    names = ranking.loc[ranking["kind"] == "reporter", "name"].head(top).astype(str).tolist()
    present = np.flatnonzero(
        np.bincount(coded.theme_codes[mask[coded.theme_rows]], minlength=len(coded.themes))
    )
    local = np.full(len(coded.themes), -1)
    local[present] = np.arange(len(present))
    rank = np.full(len(coded.names), -1)
    rank[[coded.name_codes[n] for n in names]] = np.arange(len(names))
    chosen = (coded.credit_kinds == 0) & (rank[coded.credit_codes] >= 0) & mask[coded.credit_rows]
    rows, ranks = coded.credit_rows[chosen], rank[coded.credit_codes[chosen]]
    # each chosen credit meets every theme of its story: the story's slice of the theme entries
    entries, lengths = _theme_entries(coded, rows)
    cells = np.bincount(
        np.repeat(ranks, lengths) * len(present) + local[coded.theme_codes[entries]],
        minlength=len(names) * len(present),
    )
    return _matrix_table(names, [coded.themes[i] for i in present], cells)


def _theme_entries(coded: Coded, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The theme entries of the stories at ``rows`` (one after the other, a story as often as it is
    given) and how many each story has."""
    starts = coded.theme_starts[rows]
    lengths = coded.theme_starts[rows + 1] - starts
    entries = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
    return entries, lengths


#: the most themes a story's set of themes is held for as the bits of one integer (``theme_cooccurrence``)
SET_BITS = 64


def theme_cooccurrence(coded: Coded, mask: np.ndarray) -> pd.DataFrame:
    """``analytics.theme_cooccurrence`` of the stories of ``mask``: stories carrying both of two themes.

    With at most ``SET_BITS`` themes, each selected story's themes are one integer's bits, and the cells
    are summed over the distinct sets (a few hundred, not a million stories): at 1,000,000 stories and
    2.4 million memberships, 75-99 ms against 230-880 ms pairing every story's entries."""
    if len(coded.themes) > SET_BITS:
        return _cooccurrence_of_entries(coded, mask)
    selected = np.flatnonzero(mask[coded.theme_rows])
    rows = coded.theme_rows[selected]
    if not len(rows):
        return _cooccurrence_table(np.zeros(0, dtype=np.int64), [])
    firsts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])  # the entries are sorted by row
    bits = np.left_shift(np.uint64(1), coded.theme_codes[selected].astype(np.uint64))
    sets, stories = np.unique(np.bitwise_or.reduceat(bits, firsts), return_counts=True)
    codes = np.arange(len(coded.themes), dtype=np.uint64)
    present = np.flatnonzero((np.bitwise_or.reduce(sets) >> codes) & np.uint64(1))
    # which present theme each set holds, 0 or 1; the product sums the stories of the sets holding both
    # (float64 for the BLAS product: exact, the counts being far below 2**53)
    holds = ((sets[:, None] >> codes[present][None, :]) & np.uint64(1)).astype(np.float64)
    cells = np.rint((holds * stories[:, None]).T @ holds).astype(np.int64)
    return _cooccurrence_table(cells.ravel(), [coded.themes[i] for i in present])


def _cooccurrence_of_entries(coded: Coded, mask: np.ndarray) -> pd.DataFrame:
    """``theme_cooccurrence`` for more than ``SET_BITS`` themes: every selected entry paired with each
    entry of its story."""
    selected = np.flatnonzero(mask[coded.theme_rows])
    codes = coded.theme_codes[selected]
    present = np.flatnonzero(np.bincount(codes, minlength=len(coded.themes)))
    local = np.full(len(coded.themes), -1)
    local[present] = np.arange(len(present))
    # each selected entry meets every entry of its story, itself included (the diagonal)
    partners, lengths = _theme_entries(coded, coded.theme_rows[selected])
    cells = np.bincount(
        np.repeat(local[codes], lengths) * len(present) + local[coded.theme_codes[partners]],
        minlength=len(present) ** 2,
    )
    return _cooccurrence_table(cells, [coded.themes[i] for i in present])


def cobyline_pairs(coded: Coded, mask: np.ndarray) -> pd.DataFrame:
    """``analytics.cobyline_pairs`` of the stories of ``mask``."""
    counts = np.bincount(coded.pair_ids[mask[coded.pair_rows]], minlength=len(coded.pair_keys))
    present = np.flatnonzero(counts)
    return _pairs_table(coded.pair_keys[present], counts[present].astype(np.int64), coded.names)


def theme_counts(coded: Coded, mask: np.ndarray) -> pd.DataFrame:
    """``analytics.theme_counts`` of the stories of ``mask``."""
    counts = np.bincount(coded.theme_codes[mask[coded.theme_rows]], minlength=len(coded.themes))
    present = np.flatnonzero(counts)
    return _theme_table(
        counts[present].astype("int64"), [coded.themes[i] for i in present], int(np.count_nonzero(mask))
    )


def option_counts(coded: Coded, frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    """``analytics.option_counts`` of every story of ``frame``, the frame of the codes: its theme and
    reporter counts read from the codes, with no memberships joined to the ids."""
    every = np.ones(len(frame), dtype=bool)
    counts: dict[str, dict[str, int]] = analytics.option_counts(
        frame, None, themes=theme_counts(coded, every), reporters=reporter_counts(coded, every)
    )
    return counts


def copy_flags(coded: Coded, mask: np.ndarray) -> dict[str, int]:
    """How many stories of ``mask`` are teasers (only the opening saved) and how many are truncated."""
    return {
        "teaser": int(np.count_nonzero(coded.teaser & mask)),
        "truncated": int(np.count_nonzero(coded.truncated & mask)),
    }
