"""Tables that send one page of rows to the browser, never all of them.

A table of 50,000 stories serialised on every rerun costs the server and every browser that shows it;
a page of 100 rows costs next to nothing, and the page picker still reaches every row.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import pandas as pd
import streamlit as st

from components import url_state


def page_bounds(total: int, size: int, page: int) -> tuple[int, int]:
    """The rows ``[start, stop)`` of page ``page`` (1-based, clamped to the pages there are)."""
    pages = max(1, math.ceil(total / size))
    page = min(max(1, page), pages)
    start = (page - 1) * size
    return start, min(total, start + size)


def current_page(
    key: str, pages: int, *, scope: Hashable = None, in_url: bool = False, turn_to: int | None = None
) -> int:
    """Which of ``pages`` shows, kept in ``st.session_state[key]`` (the key of the control that turns
    them; with ``in_url`` also its URL parameter, ``components.url_state``), first rule that applies:
    ``turn_to`` (the page holding a story just opened, whatever the URL says); the URL's page when it
    changed from outside (a link, Back, Forward); page 1 when ``scope`` (e.g. the filters) changed; else
    the control's own, brought inside ``1..pages``."""
    if in_url:
        url_state.number(key, default=1, low=1, high=pages)
    if pages == 1:
        if in_url:
            st.session_state[key] = 1
        else:
            st.session_state.pop(key, None)
        return 1
    scope_key = f"{key}__scope"
    from_link = in_url and url_state.changed_from_outside(key)
    if turn_to is not None:
        st.session_state[key] = turn_to
    elif st.session_state.get(scope_key, scope) != scope and not from_link:
        st.session_state[key] = 1
    st.session_state[scope_key] = scope
    current = st.session_state.get(key, 1)
    if not isinstance(current, int) or not 1 <= current <= pages:
        st.session_state[key] = current = min(max(1, int(current or 1)), pages)
    return int(current)


def pager(
    total: int,
    *,
    size: int,
    key: str,
    noun: str,
    hint: str = "",
    scope: Hashable = None,
    in_url: bool = False,
    turn_to: int | None = None,
) -> tuple[int, int]:
    """Say which rows a table shows and, when there is more than one page, draw a page picker.

    ``total`` rows in all, ``size`` a page; ``key`` is the picker's widget key, and with ``in_url`` also
    its URL parameter (``components.url_state``: a link opens that page, Back returns to it). Which page
    shows: ``current_page``. Returns ``(start, stop)``: the rows to send.
    """
    pages = max(1, math.ceil(total / size))
    current_page(key, pages, scope=scope, in_url=in_url, turn_to=turn_to)
    if pages == 1:
        return 0, total
    picker, note = st.columns([1, 4], vertical_alignment="bottom")
    page = picker.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key=key)
    start, stop = page_bounds(total, size, int(page))
    note.caption(f"Showing {noun} {start + 1:,}–{stop:,} of {total:,} ({size:,} a page). {hint}".strip())
    return start, stop


def paged_table(
    frame: pd.DataFrame,
    *,
    size: int,
    key: str,
    noun: str,
    hint: str = "",
    scope: Hashable = None,
    column_config: dict[str, Any] | None = None,
    in_url: bool = False,
) -> None:
    """``frame`` as a table of one page of rows, with the ``pager`` above it."""
    start, stop = pager(len(frame), size=size, key=key, noun=noun, hint=hint, scope=scope, in_url=in_url)
    st.dataframe(frame.iloc[start:stop], hide_index=True, width="stretch", column_config=column_config)
