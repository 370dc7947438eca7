"""Themes: stories per theme, then the page's parts as tabs (in the URL as ``part``): how themes overlap,
the selection's distinctive terms, two themes or queries compared, the places, organisations and people
the stories name, and each theme's definition with its evidence. Only the open part is computed (the
comparison, the terms and the names each cost a few hundred ms on a cold view of 100,000 stories).
Clicking a theme filters by it; clicking a name searches for it; clicking an evidence row opens the
story."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from components import charts, url_state
from components import counts as coded_counts
from components.compare import PERIODS
from components.compare import render as render_comparison
from components.figures import data_button, file_stem, plain, show_chart
from components.filters import chart_filter
from components.paging import pager
from components.view import get_view, header, stop_when_empty
from components.warm import BACKGROUND
from core.analysing.analytics import theme_evidence
from core.analysing.compare import compare, side_mask
from core.analysing.terms import distinctive_terms, mentions_of_kinds, sample_positions
from core.errors import QuerySyntaxError

MENTION_DOCS = 3000  # stories read for the names they mention (``core.analysing.terms.mentions``)

EVIDENCE_ROWS = 50  # evidence rows sent at a time

view = get_view()
collection = view.collection
coded_counts.summary(view)  # the header's line, counted on the codes (no filtered copy of the frame)
header(view, "Themes")
stop_when_empty(view)

labels, colours = view.theme_labels, view.theme_colours
counts = coded_counts.theme_counts(view)
counts = counts.assign(label=counts["theme"].map(labels))
show_chart(
    charts.bars(
        counts,
        "label",
        "articles",
        title="Stories per theme (click a bar to filter by it)",
        x_title="Stories",
        y_title="Theme",
        colour="label",
        scale=charts.theme_scale(colours, labels, only=counts["theme"].tolist()),
        select_name="pick",
    ),
    file_stem("stories per theme"),
    key="themes_bars",
    on_select=chart_filter("themes_bars", "pick", "label", "theme", {v: k for k, v in labels.items()}),
)

PARTS = {  # tab label -> its word in the URL (part=compare)
    "Overlap": "overlap",
    "Distinctive terms": "terms",
    "Compare": "compare",
    "Names": "names",
    "Evidence": "evidence",
}
PART_PARAM = "part"


def overlap() -> None:
    """How often two themes are on the same story."""
    co = coded_counts.theme_cooccurrence(view)
    if co.empty:
        st.caption("No theme matches in the selection.")
        return
    co = co.assign(theme_a=co["theme_a"].map(labels), theme_b=co["theme_b"].map(labels))
    show_chart(
        charts.heatmap(
            co,
            "theme_a",
            "theme_b",
            "articles",
            title="Stories carrying both themes",
            row_title="Theme",
            column_title="Theme",
        ),
        file_stem("stories carrying both themes"),
        key="themes_co",
    )


def terms() -> None:
    """The words that set the selection apart from the rest of the collection."""
    if view.mask.all():
        st.caption(
            "Distinctive terms compare the selection with the rest of the collection: narrow the filters."
        )
        return
    background = collection.derived.get(BACKGROUND)  # counted once at load (components.warm)
    found = view.cached(
        "distinctive_terms",
        lambda mask: distinctive_terms(collection.articles, mask, top=20, background=background),
        "mask",
    )
    show_chart(
        charts.bars(
            found,
            "term",
            "z",
            title="Distinctive terms of the selection vs the rest",
            x_title="Log-odds z-score",
            y_title="Term",
        ),
        file_stem("distinctive terms of the selection"),
        key="themes_terms",
    )


def comparison() -> None:
    """Two themes or queries side by side."""
    st.subheader("Compare two themes or queries", anchor=False)
    st.caption(
        "Two sides, each a theme (theme:huawei) or any search query, within the current filters: how many "
        "stories each has over time (or their share of all the selection's stories), how many they share, "
        "who wrote them and the words typical of each."
    )
    choices = [f"theme:{t.slug}" for t in collection.themes]
    inputs = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
    side_a = inputs[0].text_input(
        "A", key=url_state.text("cmp_a", default=choices[0] if choices else ""), help="A theme or a query"
    )
    side_b = inputs[1].text_input(
        "B",
        key=url_state.text("cmp_b", default=choices[1] if len(choices) > 1 else ""),
        help="A theme or a query",
    )
    period = inputs[2].selectbox(
        "Per", list(PERIODS), key=url_state.choice("cmp_per", list(PERIODS), next(iter(PERIODS)))
    )
    measure = inputs[3].segmented_control(
        "Show",
        ["stories", "share"],
        required=True,
        key=url_state.choice("cmp_show", ["stories", "share"], "stories"),
        help="stories: how many per period; share: the side's stories as a share of all the selection's "
        "stories in the period (a story can be on both sides).",
    )
    try:
        mask_a = side_mask(collection.index, side_a, view.mask, collection.theme_ids)
        mask_b = side_mask(collection.index, side_b, view.mask, collection.theme_ids)
    except QuerySyntaxError as error:
        st.error(f"Comparison not run: {error}")
        st.code(error.pointer(), language=None)
        return
    result = view.cached(
        "compare",
        lambda **_: compare(collection.articles, view.mask, mask_a, mask_b, freq=PERIODS[period]),
        a=side_a,
        b=side_b,
        per=period,
    )
    render_comparison(result, {"A": side_a, "B": side_b}, show=measure or "stories", period=period)


def search_for(key: str) -> None:
    """Pill callback: the clicked name becomes the search (as a phrase)."""
    name = st.session_state.get(key)
    if name:
        st.session_state["q"] = f'"{name}"'
    st.session_state[key] = None


def named_in(positions: np.ndarray) -> dict[str, pd.DataFrame]:
    """``mentions`` of every kind in the selection, in one pass: the stories it samples read from disk,
    not the whole selection."""
    rows = positions[sample_positions(len(positions), MENTION_DOCS)]
    return mentions_of_kinds(collection.rows(rows), top=15, max_docs=MENTION_DOCS)


def names() -> None:
    """The places, organisations and people the selection names, each a click away from a search."""
    st.subheader("Places, organisations and people named", anchor=False)
    st.caption(
        "Found in the body and photo caption of at most 3,000 stories of the selection (a random sample "
        "when it has more): places are countries by their usual names (U.S., Britain, mainland China, "
        "...); organisations are runs of capitalised words with a cue such as Ministry, Bank, Group, Co. "
        "or University; people are two or three capitalised words that are neither. Each story counts "
        "once per name. A rule of thumb, not a named-entity model: expect some misses and strays. Click a "
        "name to search for it."
    )
    found = st.columns(3)
    for column, kind, title in zip(
        found, ("country", "organisation", "person"), ("Places", "Organisations", "People"), strict=True
    ):
        named = view.cached("mentions", named_in, "positions")[kind]
        with column:
            if named.empty:
                st.markdown(f"**{title}**")
                st.caption("None found.")
                continue
            counts_by_name = dict(zip(named["name"], named["articles"], strict=True))
            key = f"mentions_{kind}"
            st.pills(
                title,
                list(counts_by_name),
                format_func=lambda name, counts_by_name=counts_by_name: (
                    f"{plain(name)} · {counts_by_name[name]:,}"
                ),
                key=key,
                on_change=search_for,
                args=(key,),
                help=f"{title} named in the most stories (· how many); click one to search for it.",
            )
            data_button(named, file_stem(title, "named"), key=f"{key}_data", label="Data (CSV)")


def evidence() -> None:
    """Each theme's definition and the stories that carry it, most hits first; a row opens its story."""
    st.subheader("Definitions and evidence", anchor=False)
    slugs = [t.slug for t in collection.themes]
    picked = [slug for slug in view.filters.themes if slug in slugs]
    # the default follows the theme filter; a choice left at the old default follows it too (else clearing
    # the filters would leave evidence_theme=<old default> in the URL as if it had been chosen)
    evidence_default = picked[0] if picked else (slugs[0] if slugs else None)
    previous_default = st.session_state.get("_evidence_default")
    if (
        previous_default is not None
        and previous_default != evidence_default
        and st.session_state.get("evidence_theme") == previous_default
        and not url_state.changed_from_outside("evidence_theme")
    ):
        st.session_state["evidence_theme"] = evidence_default
    st.session_state["_evidence_default"] = evidence_default
    slug = st.selectbox(
        "Theme",
        slugs,
        format_func=lambda s: labels.get(s, s),
        key=url_state.choice("evidence_theme", slugs, evidence_default),
    )
    theme = next((t for t in collection.themes if t.slug == slug), None)
    if theme is None:
        return
    st.text(theme.description)
    st.text("Matches " + theme.definition)
    rows_of = view.cached(
        "evidence",
        lambda members, **_: theme_evidence(members, collection.headlines_by_id(), theme.slug, with_ids=True),
        "memberships",
        theme=theme.slug,
    )
    if rows_of.empty:
        st.caption(f"No story in the selection carries the theme {theme.label}.")
    else:
        start, stop = pager(
            len(rows_of),
            size=EVIDENCE_ROWS,
            key="evidence_page",
            noun="stories",
            hint="Most hits first. Tick a row to read the story in the Reader.",
            scope=(view.filters, theme.slug),
            in_url=True,
        )
        shown = rows_of.iloc[start:stop]
        table_key = f"evidence_table-{theme.slug}-{start}"
        st.dataframe(
            shown.drop(columns=["article_id"]),
            key=table_key,
            on_select="rerun",
            selection_mode="single-row",
            hide_index=True,
            width="stretch",
            column_config={
                "headline": st.column_config.TextColumn("Story", width="large"),
                "hits": st.column_config.NumberColumn("Hits", format="%d"),
                "evidence": st.column_config.TextColumn("Matched terms"),
            },
        )
        rows = st.session_state[table_key].selection.rows
        if rows and rows[0] < len(shown):
            target = str(shown["article_id"].iat[rows[0]])
            carried = {k: v for k, v in url_state.carried().items() if k != "article"}
            pairs = [(k, x) for k, v in carried.items() for x in ([v] if isinstance(v, str) else v)]
            st.switch_page("views/reader.py", query_params=[*pairs, ("article", target)])
        data_button(
            rows_of.drop(columns=["article_id"]),
            file_stem("evidence of", theme.slug),
            key="evidence_data",
            label="Data of this table (CSV)",
        )


parts = st.tabs(
    list(PARTS),
    key=url_state.choice(PART_PARAM, list(PARTS), next(iter(PARTS)), words=PARTS),
    on_change="rerun",  # only the open tab runs: each part is computed when it is opened
)
for tab, draw in zip(parts, (overlap, terms, comparison, names, evidence), strict=True):
    if tab.open:
        with tab:
            draw()
