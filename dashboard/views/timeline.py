"""Timeline: stories per day, week or month, split by theme, section or agency, as counts or shares.

Dragging over a range of bars selects it; "Narrow dates" then sets the date filter to that range.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import charts
from components.filters import dates_from_chart
from components.view import get_view, header
from core.analysing.analytics import listing_only_timeline, timeline, timeline_headlines

HOVER_HEADLINES = 3  # latest headlines per bar in the tooltip: they are most of what the chart sends

view = get_view()
header(view, "Timeline")
if not view.count:
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
    lambda frame, memberships, **_: timeline(
        frame, freq, by=by, memberships=memberships if by == "theme" else None, share=measure == "share"
    ),
    "frame",
    "memberships",
    freq=freq,
    by=by,
    share=measure,
)
if by == "theme":
    data = data.assign(group=data["group"].map(view.theme_labels).fillna(data["group"]))
listings = view.collection.corpus.listings
has_listing_only = bool((listings["article_id"].isna() & listings["published_at"].notna()).any())
if has_listing_only and by is None and measure == "articles":
    if st.toggle(
        "Show headlines known from listings only",
        key="tl_listings",
        help="Dated entries of listing and digest pages that match no story in the collection: coverage the collection lacks. Only the date filter applies to them.",
    ):
        missing = listing_only_timeline(listings, freq, view.filters.date_from, view.filters.date_to)
        data = pd.concat(
            [
                data.assign(group="Stories in the collection"),
                missing.assign(group="Known from listings only"),
            ],
            ignore_index=True,
        )
        by = "source"
elif has_listing_only:
    st.caption("Headlines known from listings only can be shown with Split by: none and Counts.")
hover = view.cached(
    "timeline_headlines", timeline_headlines, "frame", freq=freq, max_per_period=HOVER_HEADLINES
)
data = data.merge(hover, on="period_start", how="left")
scale = charts.theme_scale(view.theme_colours, view.theme_labels) if by == "theme" else None
title = (
    f"Stories per {charts.FREQ_LABELS[freq]}"
    + (f" by {by}" if by else "")
    + (" (share of output)" if measure == "share" else "")
)
charts.show(
    charts.timeline(data, freq, value=measure, group="group" if by else None, scale=scale, title=title),
    on_select=dates_from_chart("timeline_chart", "dates", "period_start"),
    key="timeline_chart",
)
st.caption("Drag across the bars to narrow the date filter to that range; **Clear filters** widens it again.")

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
