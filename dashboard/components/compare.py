"""The comparison of two themes or queries (``core.analysing.compare.Comparison``), drawn: counts or share over time
on one scale in two colours, the overlap, top reporters and distinctive terms per side."""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import streamlit as st

from components.figures import file_stem, show_figure
from core.analysing.compare import Comparison
from core.analysing.highlight import markdown_code

COLOURS = {"A": "#1f77b4", "B": "#d62728", "both": "#7b4fa0"}
PERIODS = {"month": "M", "week": "W", "day": "D"}


def _empty_note(side: str, query: str) -> None:
    st.info(
        f"{side} ({markdown_code(query) if query.strip() else 'nothing written'}) matches no story within "
        "the current filters: write another theme or query, or remove a filter in the sidebar.",
        icon=":material/search_off:",
    )


def render(result: Comparison, queries: Mapping[str, str], *, show: str, period: str) -> None:
    """Draw ``result`` for the sides ``queries`` (``{"A": ..., "B": ...}``), ``show`` ``"stories"`` or
    ``"share"`` per ``period`` (a key of ``PERIODS``)."""
    stem = file_stem("compare", queries["A"], "vs", queries["B"])
    for side in result.empty:
        _empty_note(side, queries[side])
    both = int(result.overlap.loc[result.overlap["part"] == "both", "stories"].iloc[0])
    figures = st.columns(3)
    figures[0].metric("A: stories", f"{result.counts['A']:,}")
    figures[1].metric("B: stories", f"{result.counts['B']:,}")
    figures[2].metric("In both", f"{both:,}")
    if len(result.empty) == 2:
        return

    over_time = result.over_time
    share = show == "share"
    figure = go.Figure()
    for side in ("A", "B"):
        part = over_time[over_time["side"] == side]
        figure.add_trace(
            go.Scatter(
                x=part["period_start"],
                y=part["share"] if share else part["stories"],
                name=side,
                mode="lines+markers",
                line={"color": COLOURS[side], "width": 2},
                hovertemplate=f"{side}: %{{y:{'.1%' if share else ','}}} · %{{x|%d %b %Y}}<extra></extra>",
            )
        )
    figure.update_layout(
        title=(f"Share of the selection's stories per {period}" if share else f"Stories per {period}"),
        yaxis={
            "title": "Share of stories" if share else "Stories",
            "tickformat": ".0%" if share else ",d",
            "rangemode": "tozero",
        },
        xaxis={"title": f"{period.title()} (Beijing time)"},
        legend={"title": "Side"},
        height=340,
        margin={"t": 50, "b": 40},
    )
    show_figure(
        figure,
        over_time,
        file_stem(
            "compare", queries["A"], "vs", queries["B"], "share" if share else "stories", "per", period
        ),
        key="compare_time",
        alt=f"Line chart: {'share of stories' if share else 'stories'} per {period}, A in blue, B in red.",
    )

    left, right = st.columns(2)
    with left:
        overlap = result.overlap
        bars = go.Figure(
            go.Bar(
                x=overlap["stories"],
                y=overlap["part"],
                orientation="h",
                marker={"color": [COLOURS["A"], COLOURS["both"], COLOURS["B"]]},
                hovertemplate="%{y}: %{x:,} stories<extra></extra>",
            )
        )
        bars.update_layout(
            title="Overlap: stories in A only, in both, in B only",
            xaxis={"title": "Stories", "tickformat": ",d"},
            yaxis={"autorange": "reversed"},
            height=240,
            margin={"t": 50, "b": 40},
        )
        show_figure(bars, overlap, f"{stem}-overlap", key="compare_overlap", alt="Bar chart of the overlap.")
    with right:
        st.markdown("**Top reporters and agencies per side**")
        for side in ("A", "B"):
            rows = result.reporters[result.reporters["side"] == side]
            if rows.empty:
                continue
            st.caption(side)
            st.dataframe(
                rows[["name", "kind", "stories"]],
                hide_index=True,
                width="stretch",
                height=min(250, 38 + 35 * len(rows)),
                column_config={
                    "name": "Name",
                    "kind": "Kind",
                    "stories": st.column_config.NumberColumn("Stories"),
                },
            )

    if result.terms.empty:
        st.caption("Distinctive terms need stories on both sides.")
        return
    columns = st.columns(2)
    for column, side in zip(columns, ("A", "B"), strict=True):
        terms = result.terms[result.terms["side"] == side.lower()].iloc[::-1]
        chart = go.Figure(
            go.Bar(
                x=terms["z"],
                y=terms["term"],
                orientation="h",
                marker={"color": COLOURS[side]},
                hovertemplate="%{y}: z = %{x:.2f}<extra></extra>",
            )
        )
        chart.update_layout(
            title=f"Terms typical of {side} (against {'B' if side == 'A' else 'A'})",
            xaxis={"title": "Log-odds z-score"},
            height=max(200, 60 + 22 * len(terms)),
            margin={"t": 50, "b": 40},
        )
        with column:
            show_figure(
                chart,
                terms.iloc[::-1],
                f"{stem}-terms-of-{side.lower()}",
                key=f"compare_terms_{side}",
                alt=f"Bar chart of the terms typical of {side}.",
            )
