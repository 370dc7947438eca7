"""The comparison of two themes or queries (``core.analysing.compare.Comparison``), drawn: counts or share over time
on one scale in two colours, the overlap, top reporters and distinctive terms per side. The charts are
Vega-Lite (``components.charts``), each with its data as CSV and a PNG named after the comparison
(``components.figures.show_chart``)."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from components import charts
from components.figures import file_stem, show_chart
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
    show_chart(
        charts.timeline(
            over_time,
            PERIODS[period],
            value="share" if share else "stories",
            group="side",
            scale={"domain": ["A", "B"], "range": [COLOURS["A"], COLOURS["B"]]},
            title=f"Share of the selection's stories per {period}" if share else f"Stories per {period}",
            brush=False,
            stacked=False,
            group_title="Side",
        ),
        file_stem("compare", queries["A"], "vs", queries["B"], "share" if share else "stories", "per", period),
        key="compare_time",
    )

    left, right = st.columns(2)
    with left:
        overlap = result.overlap
        show_chart(
            charts.bars(
                overlap,
                "part",
                "stories",
                title="Overlap: stories in A only, in both, in B only",
                x_title="Stories",
                y_title="Part",
                colour="part",
                scale={"domain": overlap["part"].tolist(), "range": [COLOURS["A"], COLOURS["both"], COLOURS["B"]]},
            ),
            f"{stem}-overlap",
            key="compare_overlap",
        )
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
        terms = result.terms[result.terms["side"] == side.lower()]
        with column:
            show_chart(
                charts.bars(
                    terms,
                    "term",
                    "z",
                    title=f"Terms typical of {side} (against {'B' if side == 'A' else 'A'})",
                    x_title="Log-odds z-score",
                    y_title="Term",
                    colour="side",
                    scale={"domain": [side.lower()], "range": [COLOURS[side]]},
                ),
                f"{stem}-terms-of-{side.lower()}",
                key=f"compare_terms_{side}",
            )
