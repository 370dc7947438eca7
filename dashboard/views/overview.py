"""Overview: key figures, a small timeline, top themes and reporters, and the data quality."""

from __future__ import annotations

import streamlit as st

from components import charts, counts
from components.filters import chart_filter
from components.view import get_view, header, remember, span_text, stop_when_empty

view = get_view()
summary = counts.summary(view)  # before the header, which shows it
header(view, "Caixin Global archive")

# four figures that wrap: one row on a wide screen, two by two on a phone
figures = st.container(horizontal=True, wrap=True, gap="medium")
FIGURE_WIDTH = 160
figures.metric(
    "Stories",
    f"{summary['articles']:,}",
    width=FIGURE_WIDTH,
    help="A story is one saved article page: a news report, an opinion piece or a wire story, counted "
    "once however many times it was saved. Listing and digest pages are not stories.",
)
figures.metric(
    "Reporters",
    f"{summary['reporters']:,}",
    width=FIGURE_WIDTH,
    help="People named in a byline of these stories (a co-written story credits each author). Wire "
    "agencies and unsigned stories are counted apart.",
)
figures.metric(
    "Wire agencies",
    f"{summary['agencies']:,}",
    width=FIGURE_WIDTH,
    help="News agencies (such as Reuters or Bloomberg) whose copy Caixin ran, named in the byline.",
)
if summary["first"] and summary["last"]:
    figures.metric(
        "Date span",
        span_text(summary["first"], summary["last"]),
        width=FIGURE_WIDTH,
        help=f"From the first to the last story, Beijing time: {summary['first']:%d %b %Y} – "
        f"{summary['last']:%d %b %Y}.",
    )
else:
    figures.metric("Date span", "–", width=FIGURE_WIDTH, help="No story in the selection has a date.")

stop_when_empty(view)

span_days = (summary["last"] - summary["first"]).days if summary["first"] and summary["last"] else 0
freq = "D" if span_days <= 60 else ("W" if span_days <= 730 else "M")
charts.show(
    charts.timeline(
        counts.timeline(view, freq),
        freq,
        height=200,
        title="Stories over time",
        brush=False,
    ),
    width="stretch",
)

left, right = st.columns(2)
with left:
    themes = counts.theme_counts(view).head(10)
    themes = themes[themes["articles"] > 0]
    if themes.empty:
        st.caption("No theme matches these stories.")
    else:
        themes = themes.assign(label=themes["theme"].map(view.theme_labels))
        scale = charts.theme_scale(view.theme_colours, view.theme_labels)
        charts.show(
            charts.bars(
                themes,
                "label",
                "articles",
                title="Top themes (click to filter)",
                x_title="Stories",
                y_title="Theme",
                colour="label",
                scale=scale,
                select_name="pick",
            ),
            width="stretch",
            on_select=chart_filter(
                "overview_themes", "pick", "label", "theme", {v: k for k, v in view.theme_labels.items()}
            ),
            key="overview_themes",
        )
with right:
    reporters = counts.reporter_counts(view)
    people = reporters[reporters["kind"] == "reporter"].head(10)
    if people.empty:
        st.caption("No signed staff stories in the selection.")
    else:
        charts.show(
            charts.bars(
                people,
                "name",
                "articles",
                title="Top reporters",
                x_title="Stories (co-bylines count for each author)",
                y_title="Reporter",
            ),
            width="stretch",
        )
    others = reporters[reporters["kind"] != "reporter"]
    if not others.empty:
        st.text(
            "Not counted as reporters: " + ", ".join(f"{r.name} ({r.articles})" for r in others.itertuples())
        )

corpus = view.collection.corpus
accounting = remember(view.collection, "line_accounting", corpus.report.line_accounting)
flags = counts.copy_flags(view)
quality = (
    f"Data quality: {flags['teaser']:,} teasers (only the opening of the story was saved), "
    f"{flags['truncated']:,} truncated stories (the saved page ends inside the story) "
    f"in the selection; {accounting['unknown']:,} unknown lines and {len(corpus.report.errors):,} unreadable "
    f"files in the collection."
)
st.caption(quality)
st.page_link("views/data.py", label="Parse report and unknown lines", icon=":material/folder_open:")
