"""The shared sidebar filters and their two-way binding to the URL.

URL parameter names are a public contract (shared links must keep working):
``q``, ``theme`` (slugs, repeated), ``reporter`` (repeated), ``section`` (repeated), ``kind`` (staff,
agency, unsigned; repeated), ``from`` and ``to`` (ISO dates), ``article`` (the story open in the reader).

On a session's first run the widgets are seeded from the URL (unknown values are dropped with a visible
note); on every run the URL is rewritten from the widgets, so switching pages keeps the filters and a
copied link reproduces the view.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from core.analysing.highlight import markdown_code
from core.storing.collection import Collection, Filters

LIST_PARAMS = {"theme": "w_theme", "reporter": "w_reporter", "section": "w_section", "kind": "w_kind"}
KIND_LABELS = {"staff": "Caixin staff", "agency": "Wire agency", "unsigned": "Unsigned"}
NOTES_KEY = "_url_notes"
FILTER_PARAMS = ("q", *LIST_PARAMS, "from", "to")


def _seed_from_url(collection: Collection, options: dict[str, list[str]]) -> None:
    """First run of a session: put the URL's filter values into the widgets; note what was dropped."""
    params = st.query_params
    notes: list[str] = []
    for param, key in LIST_PARAMS.items():
        raw = [v for v in params.get_all(param) if v.strip()]
        valid = {v.lower(): v for v in options[param]}
        if param == "theme":
            for theme in collection.themes:
                valid.setdefault(theme.label.lower(), theme.slug)
        kept, dropped = [], []
        for value in raw:
            match = valid.get(value.strip().lower())
            (kept if match else dropped).append(match or value)
        if dropped:
            shown = ", ".join(markdown_code(value) for value in dropped)
            notes.append(f"Ignored unknown {param} value(s) in the link: {shown}")
        st.session_state[key] = list(dict.fromkeys(kept))
    st.session_state["w_q"] = params.get("q", "")
    for param, key in (("from", "w_from"), ("to", "w_to")):
        value = params.get(param)
        parsed = None
        if value:
            try:
                parsed = date.fromisoformat(value.strip())
            except ValueError:
                notes.append(
                    f"Ignored {param}={markdown_code(value)} in the link: not a date like 2019-09-30"
                )
        st.session_state[key] = parsed
    if (
        st.session_state["w_from"]
        and st.session_state["w_to"]
        and st.session_state["w_from"] > st.session_state["w_to"]
    ):
        notes.append("The link's 'from' date is after its 'to' date; both were swapped")
        st.session_state["w_from"], st.session_state["w_to"] = (
            st.session_state["w_to"],
            st.session_state["w_from"],
        )
    st.session_state[NOTES_KEY] = notes


def current_filters() -> Filters:
    """The filters as set in the widgets."""
    state = st.session_state
    return Filters(
        q=str(state.get("w_q") or "").strip(),
        themes=tuple(state.get("w_theme") or ()),
        reporters=tuple(state.get("w_reporter") or ()),
        sections=tuple(state.get("w_section") or ()),
        kinds=tuple(state.get("w_kind") or ()),
        date_from=state.get("w_from"),
        date_to=state.get("w_to"),
    )


def query_string(filters: Filters, article: str | None = None) -> str:
    """The URL query for a view: the public parameter names, non-empty values only."""
    pairs: list[tuple[str, str]] = []
    if filters.q:
        pairs.append(("q", filters.q))
    pairs += [("theme", v) for v in filters.themes]
    pairs += [("reporter", v) for v in filters.reporters]
    pairs += [("section", v) for v in filters.sections]
    pairs += [("kind", v) for v in filters.kinds]
    if filters.date_from:
        pairs.append(("from", filters.date_from.isoformat()))
    if filters.date_to:
        pairs.append(("to", filters.date_to.isoformat()))
    if article:
        pairs.append(("article", article))
    return urlencode(pairs)


def sync_url(filters: Filters) -> None:
    """Rewrite the URL's filter parameters from the widgets. Other parameters (``article``, those of
    widgets bound to the URL on a page, such as the reader's ``sort``) are left as they are."""
    wanted: dict[str, str | list[str]] = {}
    if filters.q:
        wanted["q"] = filters.q
    for param, values in (
        ("theme", filters.themes),
        ("reporter", filters.reporters),
        ("section", filters.sections),
        ("kind", filters.kinds),
    ):
        if values:
            wanted[param] = list(values)
    if filters.date_from:
        wanted["from"] = filters.date_from.isoformat()
    if filters.date_to:
        wanted["to"] = filters.date_to.isoformat()
    for name in FILTER_PARAMS:
        current = st.query_params.get_all(name) if name in LIST_PARAMS else st.query_params.get(name)
        value = wanted.get(name)
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
        elif current != value:
            st.query_params[name] = value


def other_params() -> list[tuple[str, str]]:
    """The URL's parameters that are not shared filters nor ``article``: those of a page's own controls."""
    skip = {*FILTER_PARAMS, "article"}
    return [
        (name, value)
        for name in st.query_params
        if name not in skip
        for value in st.query_params.get_all(name)
    ]


def sidebar(collection: Collection) -> Filters:
    """Draw the shared filters in the sidebar; returns the filters in force."""
    options = collection.filter_options()
    if "_seeded" not in st.session_state:
        _seed_from_url(collection, options)
        st.session_state["_seeded"] = True
    labels = {t.slug: t.label for t in collection.themes}
    frame = collection.articles
    dates = frame["published_at"].dropna()
    low = dates.min().date() if len(dates) else date(2010, 1, 1)
    high = dates.max().date() if len(dates) else date.today()
    with st.sidebar:
        st.text_input(
            "Search",
            key="w_q",
            placeholder="huawei AND 5G NOT canada",
            help='Words, "phrases", prefix*, AND / OR / NOT, -word, ( ), author:, section:, theme:, agency:. '
            "See docs/query-syntax.md.",
        )
        st.multiselect("Themes", options["theme"], key="w_theme", format_func=lambda s: labels.get(s, s))
        st.multiselect("Reporters and agencies", options["reporter"], key="w_reporter")
        st.multiselect("Sections", options["section"], key="w_section")
        st.multiselect("Byline", options["kind"], key="w_kind", format_func=lambda k: KIND_LABELS.get(k, k))
        chosen = [d for d in (st.session_state.get("w_from"), st.session_state.get("w_to")) if d]
        low_bound = min([low, *chosen])
        high_bound = max([high, *chosen])
        left, right = st.columns(2)
        left.date_input("From", key="w_from", min_value=low_bound, max_value=high_bound, format="YYYY-MM-DD")
        right.date_input("To", key="w_to", min_value=low_bound, max_value=high_bound, format="YYYY-MM-DD")
        st.button("Clear filters", on_click=clear_filters, width="stretch")
    filters = current_filters()
    sync_url(filters)
    return filters


def clear_filters() -> None:
    """Button callback: every filter back to empty."""
    for key in LIST_PARAMS.values():
        st.session_state[key] = []
    st.session_state["w_q"] = ""
    st.session_state["w_from"] = None
    st.session_state["w_to"] = None


def set_filter(param: str, values: list[str]) -> None:
    """Set one list filter (from a chart or table click); runs as a callback before the rerun."""
    st.session_state[LIST_PARAMS[param]] = values


def set_dates(start: date | None, end: date | None) -> None:
    st.session_state["w_from"] = start
    st.session_state["w_to"] = end


def share_box(filters: Filters) -> None:
    """The full link of the current view (page, filters and open story), ready to copy."""
    base = st.context.url or ""
    article = st.query_params.get("article")
    query = query_string(filters, article)
    extra = urlencode(other_params())
    query = "&".join(part for part in (query, extra) if part)
    link = base + (f"?{query}" if query else "")
    with st.sidebar.popover("Share this view", icon=":material/link:", width="stretch"):
        st.caption("Anyone who opens this link sees the same page, filters and story.")
        st.code(
            link or "(the link appears once the page has loaded in a browser)", language=None, wrap_lines=True
        )


def chart_filter(
    chart_key: str, selection: str, field: str, param: str, to_value: dict[str, str] | None = None
) -> Any:
    """An ``on_select`` callback: clicking a mark in the chart ``chart_key`` sets the ``param`` filter to
    the clicked values of ``field`` (mapped through ``to_value``, e.g. theme label -> slug)."""

    def apply() -> None:
        state = st.session_state.get(chart_key) or {}
        points = (state.get("selection") or {}).get(selection) or []
        values = [
            (to_value or {}).get(str(point[field]), str(point[field]))
            for point in points
            if isinstance(point, dict) and field in point
        ]
        if values:
            set_filter(param, list(dict.fromkeys(values)))

    return apply


def dates_from_chart(chart_key: str, selection: str, field: str) -> Any:
    """An ``on_select`` callback: a range brushed on a time axis becomes the ``from``/``to`` filter."""

    def apply() -> None:
        state = st.session_state.get(chart_key) or {}
        chosen = ((state.get("selection") or {}).get(selection) or {}).get(field)
        if not chosen or len(chosen) != 2:
            return
        bounds = [
            pd.to_datetime(value, unit="ms") if isinstance(value, int | float) else pd.to_datetime(value)
            for value in chosen
        ]
        start, end = sorted(bound.date() for bound in bounds)
        set_dates(start, end)

    return apply
