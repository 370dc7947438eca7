"""Counts over the article frame for the dashboard: timelines, reporters, themes, story threads, summaries.

Pure functions: they take the article frame (``core.model.COLUMNS``; any index, e.g. a filtered frame) and
return new DataFrames with plain column names, sorted deterministically; nothing is modified in place.
Theme memberships come as a DataFrame with columns ``article_id``, ``theme`` (slug) and ``hits``, one row
per (story, theme) match (``core.analysing.themes.match_themes``); rows whose ``article_id`` is not in the frame are
ignored. Dates are Beijing calendar dates, as tz-naive ``datetime64`` values at midnight.

The word-level functions (``tokenize``, ``distinctive_terms``, ``compare_terms``, ``mentions``) live in
``core.analysing.terms`` and the story threads (``story_threads``, ``thread_of``) in ``core.analysing.threads``; both are
re-exported here so the dashboard has one module to import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from core.analysing.terms import STOPWORDS, compare_terms, distinctive_terms, mentions, tokenize
from core.analysing.threads import story_threads, thread_of
from core.arrays import first_occurrences, run_starts, sorted_unique
from core.model import BEIJING
from core.storing.frame import list_codes, list_items, list_lengths, positions_in, rows_at

__all__ = [
    "STAFF",
    "STOPWORDS",
    "UNSIGNED",
    "cobyline_pairs",
    "compare_terms",
    "distinctive_terms",
    "mentions",
    "option_counts",
    "fitting_period",
    "groups_partition",
    "period_count",
    "period_starts",
    "reporter_counts",
    "reporter_theme_matrix",
    "reporter_timeline",
    "selection_summary",
    "story_threads",
    "theme_cooccurrence",
    "theme_counts",
    "theme_evidence",
    "thread_of",
    "timeline",
    "timeline_headlines",
    "tokenize",
    "top_groups",
]

#: Group of staff-written stories in ``timeline(by="agency")``.
STAFF = "Caixin staff"
#: The row / group of stories with neither authors nor an agency.
UNSIGNED = "Unsigned"
#: Group of stories with an empty section in ``timeline(by="section")``.
NO_SECTION = "No section"

_FREQS = ("D", "W", "M")
_KINDS = ("reporter", "agency", "unsigned")
_GROUPINGS = ("theme", "section", "agency")


def _local_days(published_at: pd.Series) -> np.ndarray:
    """Beijing calendar day of each time as ``datetime64[D]`` (NaT stays NaT)."""
    naive = published_at.dt.tz_convert(BEIJING).dt.tz_localize(None)
    days: np.ndarray = naive.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return days


def _start_days(published_at: pd.Series, freq: str) -> np.ndarray:
    """``datetime64[D]`` start of the day / week (Monday) / month of each time; NaT stays NaT."""
    return _starts_of_days(_local_days(published_at), freq)


def _starts_of_days(days: np.ndarray, freq: str) -> np.ndarray:
    """``datetime64[D]`` start of the day / week (Monday) / month of each Beijing day; NaT stays NaT."""
    if freq not in _FREQS:
        raise ValueError(f"freq must be one of {', '.join(_FREQS)}, not {freq!r}")
    if freq == "W":
        # Day 0 of datetime64, 1970-01-01, was a Thursday: the Monday-based weekday is (day + 3) % 7.
        weekday = np.where(np.isnat(days), 0, (days.astype("int64") + 3) % 7)
        mondays: np.ndarray = days - weekday.astype("timedelta64[D]")
        return mondays
    if freq == "M":
        return days.astype("datetime64[M]").astype("datetime64[D]")
    return days


def period_starts(published_at: pd.Series, freq: str = "W") -> pd.Series:
    """The start date of the day / week (Monday) / month holding each time, in Beijing time.

    In: a tz-aware datetime Series and ``freq`` in ``"D"``, ``"W"``, ``"M"``. Out: a tz-naive
    ``datetime64[ns]`` Series at midnight, same index; NaT where the time is NaT.
    """
    starts = _start_days(published_at, freq).astype("datetime64[ns]")
    return pd.Series(starts, index=published_at.index, name="period_start")


def _periods(frame: pd.DataFrame, freq: str) -> tuple[np.ndarray, np.ndarray]:
    """Every period start (``datetime64[D]``) from the first to the last dated story, and each row's
    period number in it (-1 for an undated row)."""
    return _periods_of_days(_local_days(frame["published_at"]), freq)


def _periods_of_days(days: np.ndarray, freq: str) -> tuple[np.ndarray, np.ndarray]:
    """``_periods`` of the stories' Beijing days (``datetime64[D]``, NaT when undated)."""
    starts = _starts_of_days(days, freq)
    dated = ~np.isnat(starts)
    if not dated.any():
        return np.array([], dtype="datetime64[D]"), np.full(len(days), -1)
    first, last = starts[dated].min(), starts[dated].max()
    if freq == "M":
        periods = np.arange(first.astype("datetime64[M]"), last.astype("datetime64[M]") + 1).astype(
            "datetime64[D]"
        )
    else:
        step = np.timedelta64(7 if freq == "W" else 1, "D")
        periods = np.arange(first, last + step, step)
    number = np.searchsorted(periods, np.where(dated, starts, first))
    return periods, np.where(dated, number, -1)


def _author_counts(frame: pd.DataFrame) -> np.ndarray:
    return list_lengths(frame["authors"])


def _wires(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(row position, wire name) per credited agency: ``"Bloomberg, Reuters"`` credits both."""
    agency = frame["agency"]
    rows = np.flatnonzero(agency.notna().to_numpy())
    names = agency.iloc[rows].astype(str)
    if not names.str.contains(", ", regex=False).any():
        return rows, names.to_numpy(dtype=object)
    split = names.reset_index(drop=True).str.split(", ").explode()
    return rows[split.index.to_numpy()], split.to_numpy(dtype=object)


def _codes(values: Any, keep: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
    """Integer codes of ``values`` (optionally only where ``keep``) and the sorted distinct values among
    them: code order is alphabetical order."""
    codes, uniques = pd.factorize(values)  # sorting the few distinct values beats sort=True on all
    if keep is not None:
        codes = codes[keep]
    used = np.flatnonzero(np.bincount(codes, minlength=len(uniques)))
    labels = [str(uniques[i]) for i in used]
    order = sorted(range(len(labels)), key=labels.__getitem__)
    rank = np.zeros(len(uniques), dtype=np.int64)
    rank[used[order]] = np.arange(len(labels))
    return rank[codes], [labels[i] for i in order]


def _theme_rows(memberships: pd.DataFrame, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Distinct (row position, theme code) pairs of the stories of ``frame``, and the sorted theme slugs
    of those stories. Memberships of stories not in ``frame`` are dropped."""
    rows = positions_in(memberships["article_id"], frame["article_id"])
    inside = (rows >= 0) & memberships["theme"].notna().to_numpy()
    codes, themes = _codes(memberships["theme"].astype("string"), inside)
    width = max(len(themes), 1)
    keys = rows[inside] * width + codes
    keys = keys[~pd.Index(keys).duplicated()]
    return keys // width, keys % width, themes


def _group_rows(
    frame: pd.DataFrame, by: str, memberships: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(row position, group code) per story and group, and the sorted group labels."""
    if by == "theme":
        if memberships is None:
            raise ValueError("timeline(by='theme') needs the theme memberships")
        return _theme_rows(memberships, frame)
    if by == "section":
        labels = frame["section"].fillna("").astype(str).to_numpy(dtype=object)
        labels[labels == ""] = NO_SECTION
        codes, groups = _codes(labels)
        return np.arange(len(frame)), codes, groups
    if by == "agency":
        unsigned = np.where(_author_counts(frame) > 0, STAFF, UNSIGNED).astype(object)
        own = np.flatnonzero(frame["agency"].isna().to_numpy())
        wire_rows, wire_names = _wires(frame)
        codes, groups = _codes(np.concatenate([unsigned[own], wire_names]))
        return np.concatenate([own, wire_rows]), codes, groups
    raise ValueError(f"by must be None or one of {', '.join(_GROUPINGS)}, not {by!r}")


def timeline(
    frame: pd.DataFrame,
    freq: str = "W",
    by: str | None = None,
    memberships: pd.DataFrame | None = None,
    share: bool = False,
    only: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Stories per day / week / month, optionally per theme, section or agency.

    In: the article frame; ``freq`` ``"D"``, ``"W"`` (weeks start Monday) or ``"M"``; ``by`` None,
    ``"theme"`` (needs ``memberships``; a story in two themes counts in both), ``"section"`` (empty section:
    ``"No section"``) or ``"agency"`` (the wire's name, ``"Caixin staff"`` for stories with authors and no
    wire, ``"Unsigned"``). Stories without a time are left out.

    Out: columns ``period_start`` (tz-naive Beijing date), ``group`` (when ``by``), ``articles``, and with
    ``share=True`` ``share`` = articles / all stories of that period (0 when the period has none): each
    group's own share, so overlapping groups (themes) add up to more than 1. With ``by="theme"``, ``only``
    (theme slugs) keeps those themes; the others are left out. Every period from the first
    to the last story is present, and every group in every period, with 0 where nothing was published.
    Sorted by period_start, then group.
    """
    if by == "theme" and only is not None and memberships is not None:
        memberships = memberships[memberships["theme"].isin(list(only))]
    periods, number = _periods(frame, freq)
    dated = number >= 0
    totals = np.bincount(number[dated], minlength=len(periods))
    period_start = periods.astype("datetime64[ns]")
    if by is None:
        return _totals_table(period_start, totals, share)
    rows, codes, groups = _group_rows(frame, by, memberships)
    keep = dated[rows]
    cells = np.bincount(number[rows[keep]] * len(groups) + codes[keep], minlength=len(periods) * len(groups))
    out = pd.DataFrame(
        {
            "period_start": np.repeat(period_start, len(groups)),
            "group": pd.array(np.tile(np.array(groups, dtype=object), len(periods)), dtype="string"),
            "articles": cells.astype("int64"),
        }
    )
    if share:
        denominators = np.repeat(totals, len(groups)).astype("float64")
        out["share"] = np.divide(cells, denominators, out=np.zeros(len(cells)), where=denominators > 0)
    return out


def _totals_table(period_start: np.ndarray, totals: np.ndarray, share: bool = False) -> pd.DataFrame:
    """``timeline(by=None)``'s table of the stories per period."""
    out = pd.DataFrame({"period_start": period_start, "articles": totals.astype("int64")})
    if share:
        out["share"] = (totals > 0).astype("float64")
    return out


#: Most periods a timeline draws: past it, the period coarsens itself (day -> week -> month).
MAX_PERIODS = 1500


def period_count(first: date | None, last: date | None, freq: str) -> int:
    """How many days / weeks (Monday-based) / months the span from ``first`` to ``last`` touches."""
    if first is None or last is None:
        return 0
    if freq == "M":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    if freq == "W":
        return ((last - date.fromordinal(first.toordinal() - first.weekday())).days // 7) + 1
    return (last - first).days + 1


def fitting_period(first: date | None, last: date | None, freq: str, limit: int = MAX_PERIODS) -> str:
    """``freq`` or, when the span would need more than ``limit`` of its periods, the first coarser one
    that fits (day -> week -> month; months always do)."""
    order = list(_FREQS)
    for candidate in order[order.index(freq) :]:
        if candidate == "M" or period_count(first, last, candidate) <= limit:
            return candidate
    return "M"


def groups_partition(grouped: pd.DataFrame, totals: pd.DataFrame) -> bool:
    """True when the groups of ``grouped`` (``timeline(by=...)``) add up to the stories of each period of
    ``totals`` (``timeline()``): each story is in exactly one group, so the groups can be stacked. Themes
    overlap (a story carries several); sections never do; a story credited to two wires is in both."""
    if grouped.empty:
        return True
    sums = grouped.groupby("period_start", sort=True)["articles"].sum()
    expected = totals.set_index("period_start")["articles"].reindex(sums.index, fill_value=0)
    return bool((sums.to_numpy() == expected.to_numpy()).all())


def top_groups(grouped: pd.DataFrame, count: int = 5) -> tuple[str, ...]:
    """The ``count`` groups with the most stories in ``grouped`` (ties by name)."""
    if grouped.empty:
        return ()
    sums = grouped.groupby("group", sort=True)["articles"].sum()
    ranked = sorted(sums.items(), key=lambda item: (-int(item[1]), str(item[0])))
    return tuple(str(name) for name, n in ranked[:count] if n > 0)


def timeline_headlines(frame: pd.DataFrame, freq: str = "W", max_per_period: int = 5) -> pd.DataFrame:
    """Hover text for a timeline: columns ``period_start`` and ``headlines``, up to ``max_per_period``
    headlines of the period, newest first, joined by ``"\\n"``. Only periods with stories; sorted by period.
    """
    starts = _start_days(frame["published_at"], freq)
    dated = np.flatnonzero(~np.isnat(starts))
    periods = starts[dated].astype("int64")
    instants = frame["published_at"].to_numpy(dtype="datetime64[ns]")[dated].astype("int64")  # UTC
    # by period, newest first within one, ties in row order (a stable sort); then the first few of each
    # period, and only their headlines read (not a Python string per story)
    order = np.lexsort((-instants, periods))
    periods = periods[order]
    rank = np.arange(len(periods)) - run_starts(periods)
    chosen = dated[order][rank < max_per_period]
    newest = pd.DataFrame(
        {
            "period_start": starts[chosen].astype("datetime64[ns]"),
            "headline": rows_at(frame[["headline"]], chosen)["headline"].fillna("").astype(str).to_numpy(dtype=object),
        }
    )
    joined = newest.groupby("period_start", sort=True)["headline"].agg("\n".join)
    return joined.rename("headlines").reset_index().astype({"headlines": "string"})


# ----------------------------------------------------------------------------------------------- reporters


@dataclass(frozen=True, slots=True)
class _Credits:
    """One entry per (story, credited name), as parallel arrays: ``rows`` (position in the frame),
    ``codes`` (index into ``names``, which is sorted) and ``kinds`` (index into ``_KINDS``)."""

    rows: np.ndarray
    codes: np.ndarray
    kinds: np.ndarray
    names: list[str]

    def rows_of(self, name: str) -> np.ndarray:
        """Distinct row positions crediting ``name`` (any kind)."""
        if name not in self.names:
            return np.array([], dtype=np.int64)
        return sorted_unique(self.rows[self.codes == self.names.index(name)])


def _credits(frame: pd.DataFrame) -> _Credits:
    """Who is credited for each story: authors are reporters; each wire of ``agency`` is an agency (never
    a reporter); a story with neither is one ``"Unsigned"`` credit. A name repeated in a story counts once.
    """
    author_rows, author_codes, authors = list_codes(frame["authors"])
    wire_rows, wires = _wires(frame)
    wire_codes, wire_names = pd.factorize(wires)
    unsigned = np.flatnonzero((np.bincount(author_rows, minlength=len(frame)) == 0) & frame["agency"].isna())
    rows = np.concatenate([author_rows, wire_rows, unsigned])
    kinds = np.repeat([0, 1, 2], [len(author_rows), len(wire_rows), len(unsigned)])
    codes, names = _joined_codes(
        [(author_codes, authors), (wire_codes, wire_names), (np.zeros(len(unsigned), dtype=np.intp), [UNSIGNED])]
    )
    # A name repeated in a story is the same (kind, row, code) twice. Each kind's rows come in order, so
    # these keys are nearly sorted already: a stable sort of them finds the repeats (0.01 s for 1.4 million
    # credits, against 0.14 s for a hash table of every key).
    keys = (kinds * max(len(frame), 1) + rows) * max(len(names), 1) + codes
    once = first_occurrences(keys)
    if once is None:
        return _Credits(rows, codes, kinds, names)
    return _Credits(rows[once], codes[once], kinds[once], names)


def _joined_codes(parts: list[tuple[np.ndarray, Any]]) -> tuple[np.ndarray, list[str]]:
    """``_codes`` of the values of several parts one after the other, each part given as (codes, the
    distinct values they index): the joined codes and the sorted distinct labels among the values coded.
    No Python string is made or hashed per value, only per distinct one."""
    labels = [[str(value) for value in distinct] for _, distinct in parts]
    used = [np.bincount(codes, minlength=len(distinct)) > 0 for codes, distinct in parts]
    names = sorted(
        {
            label
            for part, flags in zip(labels, used, strict=True)
            for label, flag in zip(part, flags.tolist(), strict=True)
            if flag
        }
    )
    index = {name: code for code, name in enumerate(names)}
    lookups = [np.array([index.get(label, 0) for label in part], dtype=np.int64) for part in labels]
    joined = [lookup[codes] for lookup, (codes, _) in zip(lookups, parts, strict=True)]
    return np.concatenate(joined) if joined else np.zeros(0, dtype=np.int64), names


def reporter_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Stories per reporter, agency and the unsigned.

    Out: columns ``name``, ``kind`` (``"reporter"``, ``"agency"`` or ``"unsigned"``), ``articles``, ``first``
    and ``last`` (Beijing dates of the first and last story; NaT when none is dated). A co-written story
    counts for each of its authors; a wire story counts for the agency, never as a reporter; stories with
    neither are one row ``"Unsigned"``. Sorted by articles descending, then name.
    """
    credits = _credits(frame)
    days = _local_days(frame["published_at"])[credits.rows].astype("int64")
    return _reporter_table(credits.codes, credits.kinds, days, credits.names)


def _reporter_table(codes: np.ndarray, kinds: np.ndarray, days: np.ndarray, names: list[str]) -> pd.DataFrame:
    """``reporter_counts``' table of credits given as parallel arrays: the name's code (into ``names``,
    sorted), the kind's code (into ``_KINDS``) and the story's Beijing day number (NaT's integer when
    undated)."""
    slots = 3 * len(names)
    keys = codes * 3 + kinds
    articles = np.bincount(keys, minlength=slots)
    dated = days != np.iinfo(np.int64).min  # NaT
    first = np.full(slots, np.iinfo(np.int64).max)
    last = np.full(slots, np.iinfo(np.int64).min)
    np.minimum.at(first, keys[dated], days[dated])
    np.maximum.at(last, keys[dated], days[dated])
    present = np.flatnonzero(articles)
    # Codes are alphabetical, so ordering by (articles desc, key) orders by (articles desc, name).
    present = present[np.lexsort((present, -articles[present]))]
    never = first[present] == np.iinfo(np.int64).max
    return pd.DataFrame(
        {
            "name": pd.array(np.array(names, dtype=object)[present // 3], dtype="string"),
            "kind": pd.array(np.array(_KINDS, dtype=object)[present % 3], dtype="string"),
            "articles": articles[present].astype("int64"),
            "first": _day_values(np.where(never, 0, first[present]), never),
            "last": _day_values(np.where(never, 0, last[present]), never),
        }
    )


def _day_values(days: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Day numbers (since 1970-01-01) as tz-naive ``datetime64[ns]`` midnights, NaT where ``missing``."""
    values = days.astype("datetime64[D]").astype("datetime64[ns]")
    values[missing] = np.datetime64("NaT")
    return values


def reporter_timeline(frame: pd.DataFrame, name: str, freq: str = "M") -> pd.DataFrame:
    """Stories of one reporter (or agency, or ``"Unsigned"``) per period.

    Out: columns ``period_start`` and ``articles``, every period from the first to the last dated story of
    the whole ``frame`` (so charts of different reporters share an axis), 0 where the reporter has none.
    """
    rows = _credits(frame).rows_of(name)
    periods, number = _periods(frame, freq)
    return _rows_per_period(periods, number[rows])


def _rows_per_period(periods: np.ndarray, mine: np.ndarray) -> pd.DataFrame:
    """``reporter_timeline``'s table: ``periods`` (``datetime64[D]``) and the stories of each, from the
    period number of every story counted (-1 for an undated one)."""
    counts = np.bincount(mine[mine >= 0], minlength=len(periods))
    return pd.DataFrame(
        {"period_start": periods.astype("datetime64[ns]"), "articles": counts.astype("int64")}
    )


def reporter_theme_matrix(frame: pd.DataFrame, memberships: pd.DataFrame, top: int = 20) -> pd.DataFrame:
    """Stories per (reporter, theme) for the ``top`` reporters by stories (agencies not included).

    Out, long format: columns ``name``, ``theme``, ``articles``, every pair of a top reporter and a theme
    that has stories in ``frame`` (0 where none); reporters in ``reporter_counts`` order, then theme.
    """
    ranking = reporter_counts(frame)
    names = ranking.loc[ranking["kind"] == "reporter", "name"].head(top).astype(str).tolist()
    theme_rows, theme_codes, themes = _theme_rows(memberships, frame)
    credits = _credits(frame)
    rank = np.full(len(credits.names), -1)
    rank[[credits.names.index(n) for n in names]] = np.arange(len(names))
    chosen = (credits.kinds == 0) & (rank[credits.codes] >= 0)
    left = pd.DataFrame({"row": credits.rows[chosen], "rank": rank[credits.codes[chosen]]})
    joined = left.merge(pd.DataFrame({"row": theme_rows, "theme": theme_codes}), on="row")
    cells = np.bincount(
        joined["rank"].to_numpy() * len(themes) + joined["theme"].to_numpy(),
        minlength=len(names) * len(themes),
    )
    return _matrix_table(names, themes, cells)


def _matrix_table(names: list[str], themes: list[str], cells: np.ndarray) -> pd.DataFrame:
    """``reporter_theme_matrix``'s long table of the ``cells`` (stories per name x theme, row-major)."""
    return pd.DataFrame(
        {
            "name": pd.array(np.repeat(np.array(names, dtype=object), len(themes)), dtype="string"),
            "theme": pd.array(np.tile(np.array(themes, dtype=object), len(names)), dtype="string"),
            "articles": cells.astype("int64"),
        }
    )


def cobyline_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Who writes with whom: columns ``a``, ``b`` (a < b alphabetically) and ``articles`` (stories both
    signed), from stories with two or more authors. Sorted by articles descending, then a, b."""
    several = _author_counts(frame) >= 2
    rows, authors = list_items(frame["authors"][several])
    codes, names = _codes(authors)
    long = pd.DataFrame({"row": rows, "code": codes}).drop_duplicates()
    pairs = long.merge(long, on="row", suffixes=("_a", "_b"))
    pairs = pairs[pairs["code_a"] < pairs["code_b"]]
    keys, counts = np.unique(
        pairs["code_a"].to_numpy() * max(len(names), 1) + pairs["code_b"], return_counts=True
    )
    return _pairs_table(keys, counts, names)


def _pairs_table(keys: np.ndarray, counts: np.ndarray, names: list[str]) -> pd.DataFrame:
    """``cobyline_pairs``' table from the distinct pair keys (``code_a * len(names) + code_b``, codes into
    ``names``, sorted) and the stories of each."""
    order = np.lexsort((keys, -counts))
    lookup = np.array(names, dtype=object)
    return pd.DataFrame(
        {
            "a": pd.array(lookup[keys[order] // max(len(names), 1)], dtype="string"),
            "b": pd.array(lookup[keys[order] % max(len(names), 1)], dtype="string"),
            "articles": counts[order].astype("int64"),
        }
    )


# -------------------------------------------------------------------------------------------------- themes


def theme_counts(memberships: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Stories per theme: columns ``theme``, ``articles`` and ``share`` (of all stories in ``frame``, 0..1).
    Memberships of stories outside ``frame`` are ignored. Sorted by articles descending, then theme."""
    _, codes, themes = _theme_rows(memberships, frame)
    return _theme_table(np.bincount(codes, minlength=len(themes)).astype("int64"), themes, len(frame))


def _theme_table(counts: np.ndarray, themes: list[str], stories: int) -> pd.DataFrame:
    """``theme_counts``' table from the stories of each of ``themes`` (sorted) among ``stories``."""
    order = np.lexsort((np.arange(len(themes)), -counts))
    return pd.DataFrame(
        {
            "theme": pd.array(np.array(themes, dtype=object)[order], dtype="string"),
            "articles": counts[order],
            "share": counts[order] / stories if stories else np.zeros(len(themes)),
        }
    )


def theme_cooccurrence(memberships: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Stories carrying both of two themes: long columns ``theme_a``, ``theme_b``, ``articles``.

    Every ordered pair of themes with stories in ``frame`` is present (both (x, y) and (y, x), 0 where none),
    the diagonal (x, x) being the theme's own count. Sorted by theme_a, theme_b."""
    rows, codes, themes = _theme_rows(memberships, frame)
    long = pd.DataFrame({"row": rows, "code": codes})
    both = long.merge(long, on="row", suffixes=("_a", "_b"))
    cells = np.bincount(both["code_a"] * len(themes) + both["code_b"], minlength=len(themes) ** 2)
    return _cooccurrence_table(cells, themes)


def _cooccurrence_table(cells: np.ndarray, themes: list[str]) -> pd.DataFrame:
    """``theme_cooccurrence``'s long table of the ``cells`` (stories per theme x theme, row-major)."""
    labels = np.array(themes, dtype=object)
    return pd.DataFrame(
        {
            "theme_a": pd.array(np.repeat(labels, len(themes)), dtype="string"),
            "theme_b": pd.array(np.tile(labels, len(themes)), dtype="string"),
            "articles": cells.astype("int64"),
        }
    )


# ------------------------------------------------------------------------------------------------- summary


def theme_evidence(
    memberships: pd.DataFrame, headlines: Mapping[str, str], theme: str, *, with_ids: bool = False
) -> pd.DataFrame:
    """The stories carrying ``theme`` (a slug) with what matched: columns ``headline`` (from
    ``headlines``, article_id -> headline; empty when unknown), ``hits`` and ``evidence``, most hits
    first (ties in membership order); ``with_ids`` puts the ``article_id`` column first (to open a row)."""
    rows = memberships[memberships["theme"] == theme]
    rows = rows.iloc[np.argsort(-rows["hits"].to_numpy(dtype=np.int64), kind="stable")]
    ids = {"article_id": rows["article_id"].astype("string").array} if with_ids else {}
    return pd.DataFrame(
        {
            **ids,
            "headline": pd.array([headlines.get(str(i), "") for i in rows["article_id"]], dtype="string"),
            "hits": rows["hits"].to_numpy(dtype=np.int64),
            "evidence": rows["evidence"].astype("string").array,
        }
    )


def selection_summary(frame: pd.DataFrame) -> dict[str, Any]:
    """For the "N articles (date span)" line: ``articles`` (rows), ``first`` and ``last`` (Beijing
    ``datetime.date`` of the oldest and newest story, None when none is dated), ``reporters`` and
    ``agencies`` (distinct names credited)."""
    credits = _credits(frame)
    return _summary(len(frame), _local_days(frame["published_at"]), credits.codes, credits.kinds)


def _summary(stories: int, days: np.ndarray, codes: np.ndarray, kinds: np.ndarray) -> dict[str, Any]:
    """``selection_summary`` of ``stories`` stories from their Beijing days (``datetime64[D]``) and their
    credits' name and kind codes."""
    days = days[~np.isnat(days)]
    first: date | None = days.min().astype(date) if len(days) else None
    last: date | None = days.max().astype(date) if len(days) else None
    return {
        "articles": stories,
        "first": first,
        "last": last,
        "reporters": _distinct(codes[kinds == 0]),
        "agencies": _distinct(codes[kinds == 1]),
    }


def _distinct(codes: np.ndarray) -> int:
    """How many distinct values ``codes`` holds: counted by ``bincount`` for codes that are small
    non-negative integers (names' codes: no sort of a million credits), else by ``np.unique``."""
    if not len(codes):
        return 0
    if np.issubdtype(codes.dtype, np.integer) and int(codes.min()) >= 0 and int(codes.max()) <= 4 * len(codes) + 1_000_000:
        return int(np.count_nonzero(np.bincount(codes)))
    return len(sorted_unique(codes))


def option_counts(
    frame: pd.DataFrame,
    memberships: pd.DataFrame | None,
    themes: pd.DataFrame | None = None,
    reporters: pd.DataFrame | None = None,
) -> dict[str, dict[str, int]]:
    """Stories per value of each list filter, for the counts beside the filter options.

    Out: ``{"theme": {slug: n}, "reporter": {name: n}, "section": {section: n}, "kind": {"staff": n,
    "agency": n, "unsigned": n}}``. A reporter counts the stories crediting them (each wire of a story
    credited to several); a story with an author and a wire is an agency story, as the byline filter has it.
    ``themes`` and ``reporters``: ``theme_counts`` and ``reporter_counts`` of ``frame`` when already counted
    (``core.analysing.coded.option_counts``); ``memberships`` is then not read.
    """
    if themes is None:
        if memberships is None:
            raise ValueError("option_counts needs the theme memberships or their counts")
        themes = theme_counts(memberships, frame)
    if reporters is None:
        reporters = reporter_counts(frame)
    sections = frame["section"].dropna().astype(str)
    has_agency = frame["agency"].notna().to_numpy()
    has_authors = _author_counts(frame) > 0
    return {
        "theme": dict(zip(themes["theme"].astype(str), themes["articles"].astype(int), strict=True)),
        "reporter": dict(zip(reporters["name"].astype(str), reporters["articles"].astype(int), strict=True)),
        "section": {str(k): int(v) for k, v in sections[sections != ""].value_counts().items()},
        "kind": {
            "staff": int((has_authors & ~has_agency).sum()),
            "agency": int(has_agency.sum()),
            "unsigned": int((~has_authors & ~has_agency).sum()),
        },
    }


def listing_only_timeline(
    listings: pd.DataFrame, freq: str = "W", date_from: Any = None, date_to: Any = None
) -> pd.DataFrame:
    """Dated listing entries that match no story in the collection ("known from listings only"), per
    period: ``period_start``, ``articles``. They show coverage the collection lacks. ``date_from`` and
    ``date_to`` (dates, inclusive, Beijing time) narrow them like the date filter."""
    only = listings[listings["article_id"].isna() & listings["published_at"].notna()]
    if date_from is not None or date_to is not None:
        days = only["published_at"].dt.tz_convert("Asia/Shanghai").dt.date
        keep = np.ones(len(only), dtype=bool)
        if date_from is not None:
            keep &= (days >= date_from).to_numpy(dtype=bool)
        if date_to is not None:
            keep &= (days <= date_to).to_numpy(dtype=bool)
        only = only[keep]
    return timeline(only, freq)
