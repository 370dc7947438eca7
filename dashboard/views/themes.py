"""Themes: stories per theme, co-occurrence, distinctive terms, two themes or queries side by side, and
each theme's definition with its evidence. Clicking a theme filters by it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from components import charts
from components.filters import chart_filter
from components.paging import paged_table
from components.view import get_view, header, remember
from components.warm import BACKGROUND
from core.analysing.analytics import theme_cooccurrence, theme_counts, theme_evidence
from core.analysing.terms import compare_terms, distinctive_terms
from core.errors import QuerySyntaxError

EVIDENCE_ROWS = 50  # evidence rows sent at a time

view = get_view()
collection = view.collection
header(view, "Themes")
if not view.count:
    st.info("No stories match the filters.")
    st.stop()

labels, colours = view.theme_labels, view.theme_colours
counts = view.cached("theme_counts", theme_counts, "memberships", "frame")
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
    co = view.cached("theme_cooccurrence", theme_cooccurrence, "memberships", "frame")
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
        background = collection.derived.get(BACKGROUND)  # counted once at load (components.warm)
        terms = view.cached(
            "distinctive_terms",
            lambda mask: distinctive_terms(collection.articles, mask, top=20, background=background),
            "mask",
        )
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
with st.form("compare", border=False):
    c1, c2 = st.columns(2)
    side_a = c1.text_input(
        "A", value=choices[0] if choices else "", key="cmp_a", help="A theme (theme:huawei) or any query"
    )
    side_b = c2.text_input(
        "B", value=choices[1] if len(choices) > 1 else "", key="cmp_b", help="A theme or any query"
    )
    if st.form_submit_button("Compare", icon=":material/compare_arrows:"):
        st.session_state["cmp_shown"] = (side_a, side_b)


def query_mask(query: str) -> np.ndarray:
    """The stories a comparison side selects within the current filters (remembered per query)."""
    if not query.strip():
        return np.zeros(len(collection.articles), dtype=bool)
    found = remember(
        collection,
        ("query_mask", query, collection.themes_key),
        lambda: collection.index.mask(query, collection.theme_ids),
    )
    return found & view.mask  # type: ignore[no-any-return]


shown = st.session_state.get("cmp_shown")
if not shown:
    st.caption("Pick two themes or write two queries, then **Compare**: the words typical of each side.")
else:
    shown_a, shown_b = shown
    try:
        mask_a = query_mask(shown_a)
        mask_b = query_mask(shown_b)
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
                a=shown_a,
                b=shown_b,
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
slugs = [t.slug for t in collection.themes]
picked = [slug for slug in view.filters.themes if slug in slugs]
slug = st.selectbox(
    "Theme",
    slugs,
    index=slugs.index(picked[0]) if picked else 0,
    format_func=lambda s: labels.get(s, s),
    key="evidence_theme",
)
theme = next((t for t in collection.themes if t.slug == slug), None)
if theme is not None:
    st.text(theme.description)
    st.text("Matches " + theme.definition)
    evidence = view.cached(
        "evidence",
        lambda members, **_: theme_evidence(members, collection.headlines_by_id(), theme.slug),
        "memberships",
        theme=theme.slug,
    )
    if evidence.empty:
        st.caption(f"No story in the selection carries the theme {theme.label}.")
    else:
        paged_table(
            evidence,
            size=EVIDENCE_ROWS,
            key="evidence_page",
            noun="stories",
            hint="Most hits first. Filter by the theme to read them all in the Reader.",
            scope=(view.filters, theme.slug),
            column_config={
                "headline": st.column_config.TextColumn("Story", width="large"),
                "hits": st.column_config.NumberColumn("Hits", format="%d"),
                "evidence": st.column_config.TextColumn("Matched terms"),
            },
        )
