"""Reader: the selected stories as a table, a page at a time, and the reading pane of the open story."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from components.article import byline_text, render
from components.paging import pager, show_page_of
from components.paths import names_for
from components.view import get_view, header
from core.analysing.highlight import markdown_code

PAGE_ROWS = 100  # the table sends one page of the selection to the browser, never all of it
PAGE_KEY = "reader_page"
TABLE_KEY = "reader_table"
OPENED_KEY = "_reader_opened"

view = get_view()
collection = view.collection
everything = collection.articles
header(view, "Reader")

positions = view.positions  # the selection, in the table's order
total = len(positions)
article_id = st.query_params.get("article")
position = collection.position_of(article_id) if article_id else None
here = int(np.searchsorted(positions, position)) if position is not None and view.mask[position] else None
if article_id != st.session_state.get(OPENED_KEY):
    # a story opened by a link, a row or Newer/Older: the table turns to the page that lists it
    st.session_state[OPENED_KEY] = article_id
    if here is not None:
        show_page_of(here // PAGE_ROWS + 1, key=PAGE_KEY)


def open_story(target: str | None) -> None:
    if target:
        st.query_params["article"] = target
    elif "article" in st.query_params:
        del st.query_params["article"]


def page_table(rows: np.ndarray) -> pd.DataFrame:
    """The table of the stories at ``rows`` (positions in ``articles``), as shown."""
    shown = everything.iloc[rows]
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
    )[["article_id", "date", "headline", "by", "section", "themes", "flags"]]


start, stop = pager(
    total,
    size=PAGE_ROWS,
    key=PAGE_KEY,
    noun="stories",
    hint="Turn the pages, narrow the filters, or export the whole selection on the Data page.",
    scope=view.filters,
)
table = view.cached(
    "reader_table", lambda positions, **_: page_table(positions[start:stop]), "positions", start=start
)
ids = table["article_id"].tolist()
table_key = f"{TABLE_KEY}-{start}"  # a row ticked on one page is not ticked on the next


def on_table_select() -> None:
    rows = st.session_state[table_key].selection.rows
    if rows and rows[0] < len(ids):
        open_story(ids[rows[0]])


st.dataframe(
    table.drop(columns=["article_id"]),
    key=table_key,
    on_select=on_table_select,
    selection_mode="single-row",
    hide_index=True,
    width="stretch",
    height=min(420, 38 + 35 * max(1, len(table))),
    column_config={
        "date": st.column_config.DatetimeColumn("Date (Beijing)", format="YYYY-MM-DD HH:mm", width="small"),
        "headline": st.column_config.TextColumn("Headline", width="large"),
        "by": st.column_config.TextColumn("By"),
        "section": st.column_config.TextColumn("Section", width="small"),
        "themes": st.column_config.ListColumn("Themes"),
        "flags": st.column_config.TextColumn(
            "Copy",
            width="small",
            help="teaser: only the opening was saved; truncated: the page ends inside the story",
        ),
    },
)

if not article_id:
    st.info("Select a row to read the story.")
    st.stop()
if position is None:
    st.warning(
        f"No story with id {markdown_code(article_id)} in this collection; "
        "the link may come from another collection."
    )
    st.stop()
row = everything.iloc[position].to_dict()
st.divider()
nav = st.columns([1, 1, 4])
if here is not None:
    story_ids = everything["article_id"]
    previous_id = str(story_ids.iat[positions[here - 1]]) if here > 0 else None
    next_id = str(story_ids.iat[positions[here + 1]]) if here + 1 < total else None
    nav[0].button(
        "← Newer", on_click=open_story, args=(previous_id,), disabled=previous_id is None, width="stretch"
    )
    nav[1].button("Older →", on_click=open_story, args=(next_id,), disabled=next_id is None, width="stretch")
    nav[2].caption(f"Story {here + 1:,} of {total:,} in the selection")
else:
    nav[2].caption("This story is outside the current filters.")

story_themes = [t for t in collection.themes if t.slug in collection.themes_by_article().get(article_id, [])]
targets = collection.related_targets(article_id)
render(row, view.filters.q, story_themes, targets, open_story, names_for(collection))
