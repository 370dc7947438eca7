"""Reader: the selected stories in the chosen order as a table, a page at a time, and the reading pane of
the open story. The open story is always the ticked row, and "Back to" returns to the story it was
opened from.

The table's page is in the URL (``reader_page``). When the open story changes (a link, Back or Forward,
a row, Newer/Older, a related story) or the order or the filters change, the table turns to the page that
holds the open story, whatever ``reader_page`` says; ``reader_page`` decides when no story is open, when
the open story is outside the selection, and when only the page was turned."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from components import counts, url_state
from components.article import byline_text, render
from components.paging import pager
from components.paths import names_for
from components.status import scroll_to
from components.story_cards import WIDE_KEY, story_cards
from components.story_trail import back_button, open_story
from components.view import get_view, header
from core.analysing.highlight import markdown_code
from core.analysing.ranking import SORTS, ranked_positions, relevance_terms

PAGE_ROWS = 100  # the table sends one page of the selection to the browser, never all of it
PAGE_KEY = "reader_page"
TABLE_KEY = "reader_table"
OPENED_KEY = "_reader_opened"
PICKED_KEY = "_reader_picked"  # the story picked in this session's last interaction: scroll to it
STORY_KEY = "reader_story"  # the container of the reading pane
SORT_PARAM = "sort"  # URL parameter and widget key of the order

view = get_view()
collection = view.collection
everything = collection.articles
counts.summary(view)  # the header's line, counted on the codes (no filtered copy of the frame)
header(view, "Reader")

sort = st.selectbox(
    "Sort by",
    list(SORTS),
    key=url_state.choice(SORT_PARAM, list(SORTS), next(iter(SORTS))),
    help="The order of the whole selection, before it is cut into pages: newest or oldest first, most "
    "relevant first, or longest first. Relevance ranks the stories by how often and how prominently they use the words of the search and of the filtered "
    "themes (the search index's BM25 score; a word in the headline counts three times).",
)
filtered_themes = [t for t in collection.themes if t.slug in view.filters.themes]
terms = relevance_terms(view.filters.q if view.query_error is None else "", filtered_themes)
if sort == "relevance" and not terms:
    st.caption("Relevance needs a search or a theme filter: without one the stories are newest first.")
positions = view.cached(
    "reader_order",
    lambda positions, **_: ranked_positions(collection.index, positions, sort, terms),
    "positions",
    sort=sort,
)
total = len(positions)
article_id = st.query_params.get("article")
position = collection.position_of(article_id) if article_id else None
found = np.flatnonzero(positions == position) if position is not None else np.zeros(0, dtype=np.intp)
here = int(found[0]) if len(found) else None
turn_to = None
opened_now = (article_id, sort, view.filters) != st.session_state.get(OPENED_KEY)
if opened_now:
    # a story opened (by a link, a row, Newer/Older, a related story, Back) or a new order or selection:
    # the table turns to the page holding the story
    st.session_state[OPENED_KEY] = (article_id, sort, view.filters)
    if here is not None:
        turn_to = here // PAGE_ROWS + 1


def turn_to_page_of(target: str) -> None:
    """``open_story``'s ``opened``: turn the table to the page of ``target`` in the same step as the story
    opens (one URL change, one history entry), and scroll to the story once it is drawn."""
    st.session_state[PICKED_KEY] = target
    target_position = collection.position_of(target)
    at = np.flatnonzero(positions == target_position) if target_position is not None else ()
    if len(at):
        st.session_state[PAGE_KEY] = int(at[0]) // PAGE_ROWS + 1


def page_table(rows: np.ndarray) -> pd.DataFrame:
    """The table of the stories at ``rows`` (positions in ``articles``), as shown."""
    shown = collection.columns().iloc[rows]  # no story text: the table shows none
    themes_by_id = collection.themes_by_article()
    labels = view.theme_labels
    ids = shown["article_id"].astype(str).tolist()
    return shown.assign(
        date=shown["published_at"].dt.tz_localize(None),
        by=[byline_text(r) for r in shown[["authors", "agency"]].to_dict("records")],
        themes=[[labels.get(s, s) for s in themes_by_id.get(i, [])] for i in ids],
        flags=[
            "teaser" if t else ("truncated" if c else "")
            for t, c in zip(shown["teaser"], shown["truncated"], strict=True)
        ],
    )[["article_id", "date", "headline", "by", "section", "word_count", "themes", "flags"]]


start, stop = pager(
    total,
    size=PAGE_ROWS,
    key=PAGE_KEY,
    noun="stories",
    hint="Turn the pages, narrow the filters, or export the whole selection on the Data page.",
    scope=(view.filters, sort),
    in_url=True,
    turn_to=turn_to,
)
table = view.cached("reader_table", lambda **_: page_table(positions[start:stop]), start=start, sort=sort)
ids = table["article_id"].tolist()
table_key = f"{TABLE_KEY}-{start}"
# the ticked row is the open story, whatever the table showed before (another search, another story
# opened by a related link or Back): the selection drawn first, or set before the table is drawn again
ticked = [ids.index(article_id)] if article_id in ids else []
wanted = {"selection": {"rows": ticked, "columns": [], "cells": []}}
shown_before = st.session_state.get(table_key)
if shown_before is not None and list(shown_before["selection"]["rows"]) != ticked:
    st.session_state[table_key] = wanted


def on_table_select() -> None:
    rows = st.session_state[table_key].selection.rows
    if rows and rows[0] < len(ids):
        open_story(ids[rows[0]], came_from=article_id, opened=turn_to_page_of)
    else:  # the open story's row was unticked: close it
        open_story(None)


def open_card(target: str) -> None:
    open_story(target, came_from=article_id, opened=turn_to_page_of)


# a phone shows the page's stories as a list, 25 at a time, a wider screen the table (components.story_cards:
# both are drawn, CSS shows one)
story_cards(table, article_id, open_card, scope=(view.filters, sort, start), follow=opened_now)
st.container(key=WIDE_KEY).dataframe(
    table.drop(columns=["article_id"]),
    key=table_key,
    on_select=on_table_select,
    selection_mode="single-row",
    selection_default=wanted if shown_before is None and ticked else None,
    hide_index=True,
    width="stretch",
    height=min(420, 38 + 35 * max(1, len(table))),
    column_config={
        "date": st.column_config.DatetimeColumn("Date (Beijing)", format="YYYY-MM-DD HH:mm", width="small"),
        "headline": st.column_config.TextColumn("Headline", width="large"),
        "by": st.column_config.TextColumn("By"),
        "section": st.column_config.TextColumn("Section", width="small"),
        "word_count": st.column_config.NumberColumn("Words", format="%d", width="small"),
        "themes": st.column_config.ListColumn("Themes"),
        "flags": st.column_config.TextColumn(
            "Copy",
            width="small",
            help="teaser: only the opening was saved; truncated: the page ends inside the story",
        ),
    },
)

if not article_id:
    st.info("Select a story to read it.")
    url_state.write()  # the page's own controls (the sort) are in the URL though the page stops here
    st.stop()
if position is None:
    st.warning(
        f"No story with id {markdown_code(article_id)} in this collection; "
        "the link may come from another collection."
    )
    url_state.write()
    st.stop()
row = collection.rows([position]).iloc[0].to_dict()  # its text read from the file, not its mapping
st.divider()
story = st.container(key=STORY_KEY)  # scrolled to (and focused) when a story is picked
with story:
    back_button(collection, opened=turn_to_page_of)
nav = story.columns([1, 1, 4])
if here is not None:
    story_ids = everything["article_id"]
    previous_id = str(story_ids.iat[positions[here - 1]]) if here > 0 else None
    next_id = str(story_ids.iat[positions[here + 1]]) if here + 1 < total else None
    labels = ("← Newer", "Older →") if sort == "newest" else ("← Previous", "Next →")
    for column, label, target in zip(nav[:2], labels, (previous_id, next_id), strict=True):
        column.button(
            label,
            on_click=open_story,
            args=(target,),
            kwargs={"came_from": article_id, "opened": turn_to_page_of},
            disabled=target is None,
            width="stretch",
        )
    nav[2].caption(f"Story {here + 1:,} of {total:,} in the selection ({SORTS[sort].lower()})")
else:
    nav[2].caption("This story is outside the current filters.")

story_themes = [t for t in collection.themes if t.slug in collection.themes_by_article().get(article_id, [])]
targets = collection.related_targets(article_id)


def follow_related(target: str | None) -> None:
    open_story(target, came_from=article_id, opened=turn_to_page_of)


with story:
    render(row, view.filters.q, story_themes, targets, follow_related, names_for(collection))
if st.session_state.pop(PICKED_KEY, None) == article_id:
    with st.container(key="reader_scroll"):
        scroll_to(STORY_KEY, article_id)
