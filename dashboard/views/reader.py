"""Reader: the selected stories as a table, newest first, and the reading pane of the open story."""

from __future__ import annotations

import streamlit as st

from components.article import byline_text, render
from components.view import get_view, header
from core.highlight import markdown_code

MAX_ROWS = 1000  # the table never sends more rows than this to the browser
TABLE_KEY = "reader_table"

view = get_view()
collection = view.collection
header(view, "Reader")

frame = view.frame
shown = frame.head(MAX_ROWS)
ids = shown["article_id"].astype(str).tolist()
themes_by_id = collection.themes_by_article()
labels = view.theme_labels


def open_story(article_id: str | None) -> None:
    if article_id:
        st.query_params["article"] = article_id
    elif "article" in st.query_params:
        del st.query_params["article"]


def on_table_select() -> None:
    rows = st.session_state[TABLE_KEY].selection.rows
    if rows and rows[0] < len(ids):
        open_story(ids[rows[0]])


table = shown.assign(
    date=shown["published_at"].dt.tz_localize(None),
    by=[byline_text(r) for r in shown[["authors", "agency"]].to_dict("records")],
    themes=[[labels.get(s, s) for s in themes_by_id.get(i, [])] for i in ids],
    flags=[
        "teaser" if t else ("truncated" if c else "")
        for t, c in zip(shown["teaser"], shown["truncated"], strict=True)
    ],
)[["date", "headline", "by", "section", "themes", "flags"]]

if len(frame) > MAX_ROWS:
    st.caption(
        f"Showing the {MAX_ROWS:,} newest of {len(frame):,} stories; narrow the filters to see the others."
    )
st.dataframe(
    table,
    key=TABLE_KEY,
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

article_id = st.query_params.get("article")
if not article_id:
    st.info("Select a row to read the story.")
    st.stop()

everything = collection.articles
match = everything.index[everything["article_id"] == article_id]
if len(match) == 0:
    st.warning(
        f"No story with id {markdown_code(article_id)} in this collection; "
        "the link may come from another collection."
    )
    st.stop()
position = int(match[0])
row = everything.iloc[position].to_dict()
in_selection = article_id in set(frame["article_id"].astype(str))
st.divider()
nav = st.columns([1, 1, 4])
selected_ids = frame["article_id"].astype(str).tolist()
if in_selection:
    here = selected_ids.index(article_id)
    previous_id = selected_ids[here - 1] if here > 0 else None
    next_id = selected_ids[here + 1] if here + 1 < len(selected_ids) else None
    nav[0].button(
        "← Newer", on_click=open_story, args=(previous_id,), disabled=previous_id is None, width="stretch"
    )
    nav[1].button("Older →", on_click=open_story, args=(next_id,), disabled=next_id is None, width="stretch")
    nav[2].caption(f"Story {here + 1:,} of {len(selected_ids):,} in the selection")
else:
    nav[2].caption("This story is outside the current filters.")

story_themes = [t for t in collection.themes if t.slug in themes_by_id.get(article_id, [])]
targets = collection.related_targets(article_id)
render(row, view.filters.q, story_themes, targets, open_story)
