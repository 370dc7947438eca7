"""Timeline: stories per day, week or month, split by theme, section or agency, as counts or shares.

Dragging over a range of bars selects it; "Narrow dates" then sets the date filter to that range.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import charts
from components.filters import set_dates
from components.view import get_view, header
from core.analytics import timeline, timeline_headlines

view = get_view()
header(view, "Timeline")
frame = view.frame
if frame.empty:
    st.info("No stories match the filters.")
    st.stop()

controls = st.columns([2, 2, 2])
freq = (
    controls[0].segmented_control(
        "Period",
        ["D", "W", "M"],
        format_func=lambda f: {"D": "Day", "W": "Week", "M": "Month"}[f],
        default="W",
        key="tl_freq",
    )
    or "W"
)
split = (
    controls[1].segmented_control(
        "Split by",
        ["none", "theme", "section", "agency"],
        format_func=str.title,
        default="none",
        key="tl_split",
    )
    or "none"
)
measure = (
    controls[2].segmented_control(
        "Show",
        ["articles", "share"],
        format_func=lambda m: "Counts" if m == "articles" else "Share of output",
        default="articles",
        key="tl_measure",
    )
    or "articles"
)

by = None if split == "none" else split
data = view.cached(
    "timeline",
    lambda **_: timeline(
        frame, freq, by=by, memberships=view.memberships if by == "theme" else None, share=measure == "share"
    ),
    freq=freq,
    by=by,
    share=measure,
)
if by == "theme":
    data = data.assign(group=data["group"].map(view.theme_labels).fillna(data["group"]))
hover = view.cached("timeline_headlines", timeline_headlines, frame, freq=freq, max_per_period=5)
data = data.merge(hover, on="period_start", how="left")
scale = charts.theme_scale(view.theme_colours, view.theme_labels) if by == "theme" else None
title = (
    f"Stories per {charts.FREQ_LABELS[freq]}"
    + (f" by {by}" if by else "")
    + (" (share of output)" if measure == "share" else "")
)
event = charts.show(
    charts.timeline(data, freq, value=measure, group="group" if by else None, scale=scale, title=title),
    width="stretch",
    on_select="rerun",
    key="timeline_chart",
)

chosen = (event.selection.get("dates") or {}).get("period_start") if event and event.selection else None
if chosen and len(chosen) == 2:
    start = pd.to_datetime(chosen[0], unit="ms" if isinstance(chosen[0], int | float) else None).date()
    end = pd.to_datetime(chosen[1], unit="ms" if isinstance(chosen[1], int | float) else None).date()
    st.button(
        f"Narrow dates to {start:%d %b %Y} – {end:%d %b %Y}",
        on_click=set_dates,
        args=(start, end),
        type="primary",
    )
else:
    st.caption("Drag across the chart to select a date range, then narrow the date filter to it.")

with st.expander("Figures"):
    st.dataframe(
        data.drop(columns=["headlines"], errors="ignore"),
        hide_index=True,
        width="stretch",
        column_config={
            "period_start": st.column_config.DateColumn("Period starting", format="YYYY-MM-DD"),
            "group": st.column_config.TextColumn(by.title() if by else "Group"),
            "articles": st.column_config.NumberColumn("Stories", format="%d"),
            "share": st.column_config.NumberColumn("Share", format="percent"),
        },
    )
