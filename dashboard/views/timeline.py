"""Timeline: stories per day, week or month, split by theme, section or agency, as counts or shares.

Every control is a URL parameter (``period``, ``split``, ``show``, ``listings``). Themes overlap, so a
split by theme draws one line per theme (the filtered themes, or the five largest) instead of stacked
bars; sections and agencies are stacked when each story is in one of them. Dragging over a range selects
it and narrows the date filter; the sidebar's From and To do the same from the keyboard.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import charts, counts, url_state
from components.filters import dates_from_chart
from components.view import get_view, header, stop_when_empty
from core.analysing.analytics import (
    MAX_PERIODS,
    fitting_period,
    groups_partition,
    listing_only_timeline,
    timeline,
    timeline_headlines,
)

HOVER_HEADLINES = 3  # latest headlines per bar in the tooltip: they are most of what the chart sends
TOP_THEMES = 5
PERIODS = {"day": "D", "week": "W", "month": "M"}
SPLITS = ["none", "theme", "section", "agency"]
MEASURES = {"counts": "Counts", "share": "Share of the period's stories"}

view = get_view()
summary = counts.summary(view)  # before the header, which shows it
header(view, "Timeline")
stop_when_empty(view)

controls = st.columns([2, 2, 2])
period = (
    controls[0].segmented_control(
        "Period",
        list(PERIODS),
        format_func=str.title,
        key=url_state.choice("period", list(PERIODS), "week"),
        help="The length of time each bar or point counts stories over (Beijing time; weeks start on Monday).",
    )
    or "week"
)
split = (
    controls[1].segmented_control(
        "Split by",
        SPLITS,
        format_func=str.title,
        key=url_state.choice("split", SPLITS, "none"),
        help="Theme: one line per theme (a story can carry several themes). Section and agency: the "
        "stories divided among them.",
    )
    or "none"
)
measure = (
    controls[2].segmented_control(
        "Show",
        list(MEASURES),
        format_func=MEASURES.__getitem__,
        key=url_state.choice("show", list(MEASURES), "counts"),
        help="Share: a group's stories as a percentage of all the stories of that period.",
    )
    or "counts"
)

wanted = PERIODS[period]
freq = fitting_period(summary["first"], summary["last"], wanted)
if freq != wanted:
    coarser = {v: k for k, v in PERIODS.items()}[freq]
    st.caption(
        f"By {period} this span would need more than {MAX_PERIODS:,} bars; shown by {coarser}. "
        "Narrow the dates to see it by " + period + "."
    )

by = None if split == "none" else split
share = measure == "share"
themes: tuple[str, ...] | None = None
if by == "theme":
    if view.filters.themes:
        themes = view.filters.themes
    else:
        largest = counts.theme_counts(view)
        themes = tuple(str(t) for t in largest.loc[largest["articles"] > 0, "theme"].head(TOP_THEMES))
data = view.cached(
    "timeline",
    lambda frame, memberships, **_: timeline(
        frame, freq, by=by, memberships=memberships if by == "theme" else None, share=share, only=themes
    ),
    "frame",
    "memberships",
    freq=freq,
    by=by,
    share=share,
    only=themes,
)
stacked = True
if by is not None:
    totals = counts.timeline(view, freq)
    stacked = by != "theme" and groups_partition(data, totals)
if by == "theme":
    data = data.assign(group=data["group"].map(view.theme_labels).fillna(data["group"]))
listings = view.collection.corpus.listings
has_listing_only = bool((listings["article_id"].isna() & listings["published_at"].notna()).any())
if has_listing_only and by is None and not share:
    if st.toggle(
        "Show headlines known from listings only",
        key=url_state.flag("listings"),
        help="Dated entries of listing and digest pages that match no story in the collection: coverage "
        "the collection lacks. Only the date filter applies to them.",
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
scale = charts.theme_scale(view.theme_colours, view.theme_labels, themes) if by == "theme" else None
title = (
    f"Stories per {charts.FREQ_LABELS[freq]}"
    + (f" by {by}" if by else "")
    + (" (share of the period's stories)" if share else "")
)
value = "share" if share else "articles"
charts.show(
    charts.timeline(
        data,
        freq,
        value=value,
        group="group" if by else None,
        scale=scale,
        title=title,
        stacked=stacked,
        group_title=by.title() if by else None,
    ),
    on_select=dates_from_chart("timeline_chart", "dates", "period_start"),
    key="timeline_chart",
)
if by == "theme":
    chosen = "the filtered themes" if view.filters.themes else f"the {len(themes or ())} largest themes"
    st.caption(
        f"One line per theme ({chosen}). A story can carry several themes, so it counts on each of its "
        "lines: the lines are not stacked"
        + (", and their shares add up to more than 100%." if share else ".")
    )
elif by and not stacked:
    st.caption(
        f"Some stories are in more than one {by} (a story credited to two wires), so the groups are drawn "
        "as lines, not stacked."
    )
st.caption(
    "Drag across the chart to narrow the dates to that range, or type them in **From** and **To** in the "
    "sidebar and press Enter; **Clear filters** widens them again."
)

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
