"""The shared sidebar filters, bound to the URL (``components.url_state``).

URL parameter names are a public contract (shared links must keep working) and are the widgets' keys:
``q``, ``theme`` (slugs, repeated), ``reporter`` (repeated), ``section`` (repeated), ``kind`` (staff,
agency, unsigned; repeated), ``from`` and ``to`` (ISO dates). ``article`` (the story open in the reader)
is kept as it is. A link's values are matched in any case (themes also by label); unknown values are
dropped with a visible note. The sidebar's page links carry the filters, so switching pages keeps them
and adds one entry to the browser's history; Back and Forward restore the filters of that entry.
On a phone the sidebar closes after a filter changed, so the new page is in view (``components.scripts``);
a typed date applies on Enter as well as when the field is left.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from components import url_state
from components.scripts import CLOSE_KEY, close_sidebar_on_phone
from core.storing.collection import Collection, Filters

LIST_PARAMS = ("theme", "reporter", "section", "kind")
KIND_LABELS = {"staff": "Caixin staff", "agency": "Wire agency", "unsigned": "Unsigned"}
NOTES_KEY = url_state.NOTES_KEY
SHOWN_KEY = "_filters_shown"  # the filters of this session's last run
CLOSINGS_KEY = "_sidebar_closings"  # how many times the sidebar was asked to close on a phone


def bind_filters(collection: Collection) -> None:
    """Seed the filter widgets from the URL when it changed from outside (see ``url_state``); a 'from'
    after 'to' is swapped. Call before any filter widget is drawn."""
    options = collection.filter_options()
    url_state.text("q", everywhere=True)
    url_state.many(
        "theme", options["theme"], aliases={t.label: t.slug for t in collection.themes}, everywhere=True
    )
    for param in ("reporter", "section"):
        url_state.many(param, options[param], everywhere=True)
    url_state.many("kind", options["kind"], aliases={v: k for k, v in KIND_LABELS.items()}, everywhere=True)
    url_state.day("from", everywhere=True)
    url_state.day("to", everywhere=True)
    start, end = st.session_state.get("from"), st.session_state.get("to")
    if start and end and start > end:
        url_state.note("The 'from' date was after the 'to' date; both were swapped")
        set_dates(end, start)


def current_filters() -> Filters:
    """The filters as set in the widgets."""
    state = st.session_state
    return Filters(
        q=str(state.get("q") or "").strip(),
        themes=tuple(state.get("theme") or ()),
        reporters=tuple(state.get("reporter") or ()),
        sections=tuple(state.get("section") or ()),
        kinds=tuple(state.get("kind") or ()),
        date_from=state.get("from"),
        date_to=state.get("to"),
    )


def sidebar(collection: Collection, pages: list[Any], counts: Mapping[str, Mapping[str, int]]) -> Filters:
    """Draw the page links and the shared filters in the sidebar; returns the filters in force.

    ``counts``: stories per option of each list filter (shown beside the option)."""
    bind_filters(collection)
    options = collection.filter_options()
    labels = {t.slug: t.label for t in collection.themes}
    frame = collection.articles
    dates = frame["published_at"].dropna()
    low = dates.min().date() if len(dates) else date(2010, 1, 1)
    high = dates.max().date() if len(dates) else date.today()

    def counted(param: str, names: Mapping[str, str] | None = None) -> Any:
        def label(value: str) -> str:
            shown = (names or {}).get(value, value)
            number = counts.get(param, {}).get(value)
            return f"{shown} ({number:,})" if number is not None else shown

        return label

    with st.sidebar:
        carried = url_state.carried()
        for page in pages:
            st.page_link(page, query_params=carried)
        st.text_input(
            "Search",
            key="q",
            placeholder="huawei AND 5G NOT canada",
            help='Words, "phrases", prefix*, AND / OR / NOT, -word, ( ), author:, section:, theme:, agency:. '
            "See docs/query-syntax.md.",
        )
        st.multiselect("Themes", options["theme"], key="theme", format_func=counted("theme", labels))
        st.multiselect(
            "Reporters and agencies", options["reporter"], key="reporter", format_func=counted("reporter")
        )
        st.multiselect("Sections", options["section"], key="section", format_func=counted("section"))
        st.multiselect("Byline", options["kind"], key="kind", format_func=counted("kind", KIND_LABELS))
        chosen = [d for d in (st.session_state.get("from"), st.session_state.get("to")) if d]
        low_bound = min([low, *chosen])
        high_bound = max([high, *chosen])
        # one under the other: side by side in a 300 px sidebar, a date showed as "2019-09-0"
        for label, key, which in (("From", "from", "first"), ("To", "to", "last")):
            st.date_input(
                label,
                key=key,
                min_value=low_bound,
                max_value=high_bound,
                format="YYYY-MM-DD",
                help=f"The {which} day of the selection, included (dates are Beijing time). Type it year "
                "first and press Enter, or pick it in the calendar.",
            )
        st.button("Clear filters", on_click=clear_filters, width="stretch")
        filters = current_filters()
        if st.session_state.get(SHOWN_KEY, filters) != filters:  # a filter changed: the page is new
            st.session_state[CLOSINGS_KEY] = st.session_state.get(CLOSINGS_KEY, 0) + 1
            with st.container(key=CLOSE_KEY):
                close_sidebar_on_phone(st.session_state[CLOSINGS_KEY])
        st.session_state[SHOWN_KEY] = filters
    return filters


def clear_filters() -> None:
    """Button callback: every filter back to empty."""
    for key in LIST_PARAMS:
        st.session_state[key] = []
    st.session_state["q"] = ""
    st.session_state["from"] = None
    st.session_state["to"] = None


#: ``core.analysing.relax`` field -> the widget keys it stands for.
FIELD_KEYS = {
    "q": ("q",),
    "themes": ("theme",),
    "reporters": ("reporter",),
    "sections": ("section",),
    "kinds": ("kind",),
    "dates": ("from", "to"),
}


def remove_filter(field: str) -> None:
    """Button callback: empty one filter (a ``core.analysing.relax`` field)."""
    for key in FIELD_KEYS[field]:
        st.session_state[key] = "" if key == "q" else (None if key in ("from", "to") else [])


def plain(text: str) -> str:
    """``text`` escaped for a Markdown label (a button's): every punctuation mark is taken literally."""
    return "".join("\\" + ch if ch in MARKDOWN_PUNCTUATION else ch for ch in text)


MARKDOWN_PUNCTUATION = set("\\`*_{}[]()<>#+-.!|~$:=\"'")


def remove_value(key: str, value: Any) -> None:
    """Chip callback: take one value out of the filter ``key`` (the whole filter for a text or date)."""
    current = st.session_state.get(key)
    if isinstance(current, list):
        st.session_state[key] = [v for v in current if v != value]
    else:
        st.session_state[key] = "" if key == "q" else None


def chips(filters: Filters, labels: Mapping[str, str]) -> None:
    """The filters in force as removable chips (one button per value), so a phone shows them without
    opening the sidebar; ``labels`` names themes by their label."""
    code = plain  # a button label is Markdown: values from a link are escaped, shown as they are
    values: list[tuple[str, Any, str]] = []
    if filters.q:
        values.append(("q", filters.q, f"Search: {code(filters.q)}"))
    values += [("theme", v, f"Theme: {code(labels.get(v, v))}") for v in filters.themes]
    values += [("reporter", v, f"By: {code(v)}") for v in filters.reporters]
    values += [("section", v, f"Section: {code(v)}") for v in filters.sections]
    values += [("kind", v, f"Byline: {KIND_LABELS.get(v, v)}") for v in filters.kinds]
    if filters.date_from:
        values.append(("from", filters.date_from, f"From {filters.date_from:%d %b %Y}"))
    if filters.date_to:
        values.append(("to", filters.date_to, f"To {filters.date_to:%d %b %Y}"))
    if not values:
        return
    row = st.container(horizontal=True, gap="small")
    for number, (key, value, text) in enumerate(values):
        row.button(
            text,
            key=f"chip-{number}-{key}",
            on_click=remove_value,
            args=(key, value),
            icon=":material/close:",
            type="tertiary",
            help="Remove this filter",
        )


def set_filter(param: str, values: list[str]) -> None:
    """Set one list filter (from a chart or table click); runs as a callback before the rerun."""
    if param not in LIST_PARAMS:
        raise ValueError(f"not a list filter: {param!r}")
    st.session_state[param] = values


def set_dates(start: date | None, end: date | None) -> None:
    st.session_state["from"] = start
    st.session_state["to"] = end


def share_box() -> None:
    """The full link of the current view (page, filters, the page's controls and the open story), ready
    to copy. Drawn once the page has run, so the page's own controls are in it."""
    base = (st.context.url or "").split("?")[0]
    query = urlencode(
        [
            (k, v)
            for k, values in url_state.query().items()
            for v in ([values] if isinstance(values, str) else values)
        ]
    )
    link = base + (f"?{query}" if query else "")
    with st.sidebar.popover("Share this view", icon=":material/link:", width="stretch"):
        st.caption("Anyone who opens this link sees the same page, filters, settings and story.")
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
