"""The current view: the collection, the filters in force and the stories they select.

``app.py`` builds it once per run and every page reads it with ``get_view()``; the header every page
shows (``N stories`` with the date span) comes from here too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd
import streamlit as st

from components.filters import chips, plain, remove_filter
from core.analysing.analytics import selection_summary
from core.analysing.relax import relaxations, term_hits
from core.errors import QuerySyntaxError
from core.storing.collection import Collection, Filters, select

VIEW_KEY = "_view"
Selection = Literal["frame", "stories", "memberships", "mask", "positions"]


MEMO_SIZE = 256


def remember(collection: Collection, key: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()`` remembered per server process under ``key`` (at most ``MEMO_SIZE`` values, least
    recently used dropped first), shared by every session.

    Sessions that ask for the same key at the same time wait for one computation instead of each doing
    it: twenty visitors opening the same shared link cost one computation, not twenty.
    """
    derived = collection.derived
    guard: threading.Lock = derived.setdefault("memo_lock", threading.Lock())
    memo: OrderedDict[Hashable, Any] = derived.setdefault("memo", OrderedDict())
    pending: dict[Hashable, threading.Lock] = derived.setdefault("memo_pending", {})
    with guard:
        if key in memo:
            memo.move_to_end(key)
            return memo[key]
        computing = pending.setdefault(key, threading.Lock())
    with computing:
        with guard:
            if key in memo:
                return memo[key]
        value = compute()
        with guard:
            memo[key] = value
            pending.pop(key, None)
            while len(memo) > MEMO_SIZE:
                memo.popitem(last=False)
    return value


@dataclass(slots=True)
class View:
    """What every page works on."""

    collection: Collection
    filters: Filters
    mask: np.ndarray
    query_error: QuerySyntaxError | None = None
    _frame: pd.DataFrame | None = None
    _memberships: pd.DataFrame | None = None

    @property
    def positions(self) -> np.ndarray:
        """Row positions (in ``collection.articles``) of the selected stories, in the frame's order."""
        return self.cached("positions", np.flatnonzero, "mask")  # type: ignore[no-any-return]

    @property
    def frame(self) -> pd.DataFrame:
        """The selected stories' compact columns (``COMPACT_COLUMNS``: every column but those of the text
        file), newest first (computed once per run): what counts and charts run on. The text stays on
        disk. Every story selected (no filter): the collection's columns themselves, not a copy (pandas
        copies on write, so nothing that changes it changes them)."""
        if self._frame is None:
            columns = self.collection.columns()
            self._frame = columns if bool(self.mask.all()) else columns[self.mask]
        return self._frame

    @property
    def stories(self) -> pd.DataFrame:
        """The selected stories with every column, their text read from disk (for exports and the
        names they mention); not kept past the call's result."""
        return self.collection.rows(self.positions)

    def release(self) -> None:
        """Drop the selection's copies at the end of a run. The view stays in the session (a deferred
        export reads it later and builds the copy again); twenty idle sessions need not hold twenty
        copies of their selections."""
        self._frame = None
        self._memberships = None

    @property
    def memberships(self) -> pd.DataFrame:
        """Theme memberships of the selected stories."""
        if self._memberships is None:
            self._memberships = self.collection.memberships_of(self.mask)
        return self._memberships

    def cached(
        self, label: str, compute: Callable[..., Any], /, *selections: Selection, **kwargs: Any
    ) -> Any:
        """``compute(*selected, **kwargs)`` for this selection, remembered per server process.

        ``selections`` name what this view selects and ``compute`` takes, in order: ``"frame"`` (compact
        columns), ``"stories"`` (every column, text read from disk), ``"memberships"``, ``"mask"`` or
        ``"positions"``; they are built only when the result is not
        remembered yet (a filtered copy of 50,000 stories costs 0.1 s). Parameters go in keyword
        arguments. The key is the filters, the themes in force, ``label`` and the keyword arguments, so
        every session with the same view shares the result and a rerun that changes nothing else costs
        nothing; at most ``MEMO_SIZE`` are kept.
        """
        key = (label, self.filters, self.collection.themes_key, tuple(sorted(kwargs.items())))
        return remember(
            self.collection, key, lambda: compute(*(getattr(self, name) for name in selections), **kwargs)
        )

    @property
    def count(self) -> int:
        """How many stories the filters select."""
        return len(self.positions)

    @property
    def theme_colours(self) -> dict[str, str]:
        return {t.slug: t.colour for t in self.collection.themes}

    @property
    def theme_labels(self) -> dict[str, str]:
        return {t.slug: t.label for t in self.collection.themes}


def build_view(collection: Collection, filters: Filters) -> View:
    """Apply the filters; a query that does not parse is reported and left out, never raised."""
    view = View(collection, filters, *selection(collection, filters))
    st.session_state[VIEW_KEY] = view
    return view


def selection(collection: Collection, filters: Filters) -> tuple[np.ndarray, QuerySyntaxError | None]:
    """The mask of the stories ``filters`` select, and the query's error (its terms then left out),
    remembered per process: every session, and every export link, of one view shares it."""
    return remember(
        collection, ("mask", filters, collection.themes_key), lambda: _select(collection, filters)
    )


def _select(collection: Collection, filters: Filters) -> tuple[np.ndarray, QuerySyntaxError | None]:
    try:
        mask, error = select(collection, filters), None
    except QuerySyntaxError as exc:
        mask, error = select(collection, Filters(**{**_as_dict(filters), "q": ""})), exc
    mask.flags.writeable = False  # shared by every session with these filters
    return mask, error


def _as_dict(filters: Filters) -> dict[str, object]:
    return {name: getattr(filters, name) for name in filters.__slots__}  # type: ignore[attr-defined]


def get_view() -> View:
    """The view built by ``app.py`` in this run."""
    view = st.session_state.get(VIEW_KEY)
    if view is None:
        st.error("Open the dashboard through dashboard/app.py.")
        st.stop()
    return view  # type: ignore[no-any-return]


def selection_line(view: View) -> str:
    """``N stories · 3 Jun 2019 – 7 Nov 2019``: what the page's charts count."""
    summary = view.cached("summary", selection_summary, "frame")
    n = summary["articles"]
    text = f"{n:,} stor{'ies' if n != 1 else 'y'}"
    if summary["first"] and summary["last"]:
        text += f" · {summary['first']:%d %b %Y} – {summary['last']:%d %b %Y}"
    total = len(view.collection.articles)
    if n != total:
        text += f" (of {total:,})"
    return text


def span_text(first: date, last: date) -> str:
    """The span from ``first`` to ``last`` (both counted) in whole years and months (``29 years 2
    months``), or in days when it is shorter than a month (``12 days``)."""
    end = last + timedelta(days=1)
    months = (end.year - first.year) * 12 + end.month - first.month - (1 if end.day < first.day else 0)
    if months < 1:
        days = (end - first).days
        return f"{days} day{'s' if days != 1 else ''}"
    years, months = divmod(months, 12)
    parts = [f"{years} year{'s' if years != 1 else ''}"] if years else []
    if months:
        parts.append(f"{months} month{'s' if months != 1 else ''}")
    return " ".join(parts)


def header(view: View, title: str) -> None:
    """Page title, the selection size and any problem with the query."""
    st.title(title)
    st.markdown(
        f"**{selection_line(view)}**",
        help="The stories the filters select; every chart and table on this page counts them. A story is "
        "one saved article page (a news report, an opinion piece or a wire story), counted once however "
        "many times it was saved.",
    )
    chips(view.filters, view.theme_labels)
    if view.query_error is not None:
        error = view.query_error
        st.error(f"Search not applied: {error}")
        st.code(error.pointer(), language=None)
    if not view.count and not view.filters.empty:
        ways_out(view)


def stop_when_empty(view: View) -> None:
    """End the page when no story is selected. With filters set, the header has already said so and
    offered the filters to remove (``ways_out``); a collection of no story at all says so here."""
    if view.count:
        return
    if view.filters.empty:
        st.info("The collection holds no story yet: add saved pages on the Data page.")
    st.stop()


def ways_out(view: View) -> None:
    """No story selected: which filter to remove (with the stories it would bring back) and how many
    stories each search term matches on its own, each removal a button."""
    ways = view.cached("relaxations", lambda **_: relaxations(view.collection, view.filters))
    hits = view.cached("term_hits", lambda **_: term_hits(view.collection, view.filters))
    with st.container(border=True):
        st.markdown("**No story matches all the filters.** Remove one:")
        row = st.container(horizontal=True)
        for way in ways:
            row.button(
                f"{way.name}: {way.stories:,} stor{'y' if way.stories == 1 else 'ies'} without it",
                key=f"relax-{way.field}",
                on_click=remove_filter,
                args=(way.field,),
                icon=":material/close:",
            )
        if hits:
            shown = ", ".join(f"“{plain(term)}” {n:,}" for term, n in hits)
            st.caption(f"Stories each search term matches with the other filters: {shown}.")
