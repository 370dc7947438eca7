"""Reporters: stories per reporter (agencies and unsigned stories apart), one reporter's output over
time, reporter x theme heatmap, and who writes with whom. Clicking a reporter filters by them (the
sidebar's Reporters filter does the same from the keyboard); the reporter of "output over time" is the URL
parameter ``who``."""

from __future__ import annotations

import streamlit as st

from components import charts, counts, url_state
from components.filters import set_filter
from components.view import get_view, header, stop_when_empty

view = get_view()
summary = counts.summary(view)  # before the header, which shows it
header(view, "Reporters")
stop_when_empty(view)

credited = counts.reporter_counts(view)
people = credited[credited["kind"] == "reporter"]
others = credited[credited["kind"] != "reporter"]
TABLE_KEY = "reporters_table"
shown = people.head(500).reset_index(drop=True)


def on_pick() -> None:
    rows = st.session_state[TABLE_KEY].selection.rows
    if rows:
        set_filter("reporter", [str(shown.loc[rows[0], "name"])])


left, right = st.columns([3, 2])
with left:
    st.header("Staff reporters", anchor=False)
    st.caption("A co-bylined story counts for each of its authors. Select a row to filter by that reporter.")
    st.dataframe(
        shown[["name", "articles", "first", "last"]],
        key=TABLE_KEY,
        on_select=on_pick,
        selection_mode="single-row",
        hide_index=True,
        width="stretch",
        height=min(400, 38 + 35 * max(1, len(shown))),
        column_config={
            "name": st.column_config.TextColumn("Reporter"),
            "articles": st.column_config.ProgressColumn(
                "Stories",
                format="%d",
                min_value=0,
                max_value=int(shown["articles"].max()) if len(shown) else 1,
            ),
            "first": st.column_config.DateColumn("First", format="YYYY-MM-DD"),
            "last": st.column_config.DateColumn("Latest", format="YYYY-MM-DD"),
        },
    )
with right:
    st.header("Agencies and unsigned", anchor=False)
    st.caption("Wire copy and unsigned stories are not reporters' work and are counted apart.")
    st.dataframe(
        others[["name", "kind", "articles"]],
        hide_index=True,
        width="stretch",
        column_config={
            "name": st.column_config.TextColumn("Credited to"),
            "kind": st.column_config.TextColumn("Kind"),
            "articles": st.column_config.NumberColumn("Stories", format="%d"),
        },
    )

st.header("Output over time", anchor=False)
names = credited["name"].tolist()
staff = people["name"].tolist()
chosen = [r for r in view.filters.reporters if r in names]
default = chosen[0] if chosen else (staff[0] if staff else names[0])
WHO_DEFAULT = "_who_default"
who_key = url_state.choice("who", names, default)
if st.session_state.get(who_key) not in names or st.session_state.get(who_key) == st.session_state.get(
    WHO_DEFAULT
):
    st.session_state[who_key] = default  # not picked by the user: follow the filters
st.session_state[WHO_DEFAULT] = default
who = st.selectbox(
    "Reporter or agency",
    names,
    key=who_key,
    help="Whose stories the chart counts: a staff reporter, a wire agency, or Unsigned.",
)
span_days = (summary["last"] - summary["first"]).days if summary["first"] and summary["last"] else 0
freq = "W" if span_days <= 730 else "M"
charts.show(
    charts.timeline(
        counts.reporter_timeline(view, who, freq),
        freq,
        height=220,
        title=f"Stories by {who} per {charts.FREQ_LABELS[freq]}",
        brush=False,
    ),
    width="stretch",
)

st.header("Reporters and themes", anchor=False)
matrix = counts.reporter_theme_matrix(view, top=20)
if matrix.empty:
    st.caption("No theme matches the selected reporters' stories.")
else:
    matrix = matrix.assign(theme=matrix["theme"].map(view.theme_labels).fillna(matrix["theme"]))
    charts.show(
        charts.heatmap(
            matrix,
            "name",
            "theme",
            "articles",
            title="Stories per reporter and theme (top 20 reporters)",
            row_title="Reporter",
            column_title="Theme",
        ),
        width="stretch",
    )

st.header("Who writes with whom", anchor=False)
pairs = counts.cobyline_pairs(view)
if pairs.empty:
    st.caption("No co-bylined stories in the selection.")
else:
    st.dataframe(
        pairs.head(200),
        hide_index=True,
        width="stretch",
        column_config={
            "a": st.column_config.TextColumn("Reporter"),
            "b": st.column_config.TextColumn("With"),
            "articles": st.column_config.NumberColumn("Shared bylines", format="%d"),
        },
    )
