"""Themes: stories per theme, co-occurrence, distinctive terms, two themes or queries side by side, and
each theme's definition with its evidence. Clicking a theme filters by it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from components import charts
from components.filters import chart_filter
from components.view import get_view, header
from core.analytics import theme_cooccurrence, theme_counts
from core.errors import QuerySyntaxError
from core.terms import compare_terms, distinctive_terms

view = get_view()
collection = view.collection
header(view, "Themes")
frame = view.frame
if frame.empty:
    st.info("No stories match the filters.")
    st.stop()

labels, colours = view.theme_labels, view.theme_colours
counts = view.cached("theme_counts", theme_counts, view.memberships, frame)
counts = counts.assign(label=counts["theme"].map(labels))
scale = charts.theme_scale(colours, labels)
charts.show(
    charts.bars(
        counts,
        "label",
        "articles",
        title="Stories per theme (click a bar to filter by it)",
        x_title="Stories",
        y_title="Theme",
        colour="label",
        scale=scale,
        select_name="pick",
        tooltip_extra=[charts.alt.Tooltip("share:Q", title="Share of selection", format=".1%")],
    ),
    width="stretch",
    on_select=chart_filter("themes_bars", "pick", "label", "theme", {v: k for k, v in labels.items()}),
    key="themes_bars",
)

left, right = st.columns(2)
with left:
    co = view.cached("theme_cooccurrence", theme_cooccurrence, view.memberships, frame)
    if co.empty:
        st.caption("No theme matches in the selection.")
    else:
        co = co.assign(theme_a=co["theme_a"].map(labels), theme_b=co["theme_b"].map(labels))
        charts.show(
            charts.heatmap(
                co,
                "theme_a",
                "theme_b",
                "articles",
                title="Stories carrying both themes",
                row_title="Theme",
                column_title="Theme",
            ),
            width="stretch",
        )
with right:
    mask = view.mask
    if mask.all():
        st.caption(
            "Distinctive terms compare the selection with the rest of the collection: narrow the filters."
        )
    else:
        terms = view.cached("distinctive_terms", distinctive_terms, collection.articles, mask, top=20)
        charts.show(
            charts.bars(
                terms,
                "term",
                "z",
                title="Distinctive terms of the selection vs the rest",
                x_title="Log-odds z-score",
                y_title="Term",
                tooltip_extra=[
                    charts.alt.Tooltip("count_selected:Q", title="In the selection"),
                    charts.alt.Tooltip("count_rest:Q", title="In the rest"),
                ],
            )
        )

st.subheader("Compare two themes or queries", anchor=False)
choices = [f"theme:{t.slug}" for t in collection.themes]
c1, c2 = st.columns(2)
side_a = c1.text_input(
    "A", value=choices[0] if choices else "", key="cmp_a", help="A theme (theme:huawei) or any query"
)
side_b = c2.text_input(
    "B", value=choices[1] if len(choices) > 1 else "", key="cmp_b", help="A theme or any query"
)
try:
    mask_a = (
        collection.index.mask(side_a, collection.theme_ids) & view.mask
        if side_a.strip()
        else np.zeros(len(collection.articles), dtype=bool)
    )
    mask_b = (
        collection.index.mask(side_b, collection.theme_ids) & view.mask
        if side_b.strip()
        else np.zeros(len(collection.articles), dtype=bool)
    )
except QuerySyntaxError as error:
    st.error(f"Comparison not run: {error}")
    st.code(error.pointer(), language=None)
else:
    st.caption(
        f"A: {int(mask_a.sum()):,} articles · B: {int(mask_b.sum()):,} articles (within the current filters)"
    )
    if mask_a.any() and mask_b.any():
        compared = view.cached(
            "compare_terms",
            lambda **_: compare_terms(collection.articles, mask_a, mask_b, top=15),
            a=side_a,
            b=side_b,
        )
        a_col, b_col = st.columns(2)
        for column, side, name in ((a_col, "a", "A"), (b_col, "b", "B")):
            column.altair_chart(
                charts.bars(
                    compared[compared["side"] == side],
                    "term",
                    "z",
                    title=f"Terms typical of {name}",
                    x_title="Log-odds z-score",
                    y_title="Term",
                ),
                width="stretch",
            )

st.subheader("Definitions and evidence", anchor=False)
headlines = collection.headlines_by_id()
members = view.memberships
by_theme = dict(tuple(members.groupby("theme", sort=False)))
for theme in collection.themes:
    rows = by_theme.get(theme.slug, members.iloc[:0])
    with st.expander(f"{theme.label} · {len(rows):,} stories"):
        st.text(theme.description)
        st.text("Matches " + theme.definition)
        if not rows.empty:
            top = rows.nlargest(200, "hits")
            st.dataframe(
                top.assign(headline=[headlines.get(str(i), "") for i in top["article_id"]])[
                    ["headline", "hits", "evidence"]
                ],
                hide_index=True,
                width="stretch",
                column_config={
                    "headline": st.column_config.TextColumn("Story", width="large"),
                    "hits": st.column_config.NumberColumn("Hits", format="%d"),
                    "evidence": st.column_config.TextColumn("Matched terms"),
                },
            )
