"""Charts with their data: every chart on the research pages can be downloaded as the table it draws, and
a Plotly chart's "Download plot as a png" names the file after what it shows.

Streamlit's own toolbar names every Altair PNG ``<time>_chart.png`` (Streamlit 1.67 passes a chart's
``usermeta.embedOptions`` on to Vega-Embed only for its theme, renderer and padding, so
``downloadFileName`` is dropped); Plotly's modebar takes a file name (``toImageButtonOptions``), so the
charts drawn here (``bar_figure``, ``heatmap_figure``) name theirs.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st


def file_stem(*parts: str) -> str:
    """``caixin-compare-theme-huawei-vs-trade-war``: words of ``parts`` joined for a file name."""
    words = [w for part in parts for w in re.split(r"[^0-9A-Za-z]+", part.lower()) if w]
    return "-".join(["caixin", *words])[:120]


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~$:<>])")


def plain(text: str) -> str:
    """``text`` for a label that Streamlit reads as Markdown (pills, buttons): its Markdown characters
    escaped, so a name from a story is shown as written and never formats or links anything."""
    return _MARKDOWN.sub(r"\\\1", text)


def data_button(data: pd.DataFrame, stem: str, *, key: str, label: str = "Data of this chart (CSV)") -> None:
    """A download of the table a chart draws, as ``<stem>.csv``; built when clicked."""
    st.download_button(
        label,
        lambda: data.to_csv(index=False).encode("utf-8"),
        f"{stem}.csv",
        "text/csv",
        key=key,
        icon=":material/table_view:",
        type="tertiary",
        on_click="ignore",  # no rerun to race the deferred file: see dashboard/views/data.py
    )


def show_figure(
    figure: Any, data: pd.DataFrame, stem: str, *, key: str, alt: str, on_select: Any = "ignore"
) -> None:
    """A Plotly figure at full width whose PNG download is named ``<stem>.png``, with the download of
    ``data`` (the table it draws) below it. ``alt`` describes the chart to screen readers; ``on_select``
    (a callback) makes a click on a mark select it."""
    st.plotly_chart(
        figure,
        width="stretch",
        key=key,
        alt=alt,
        on_select=on_select,
        selection_mode="points",
        config={
            "displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": stem, "scale": 2},
        },
    )
    data_button(data, stem, key=f"{key}-data")


#: px above the plot: the modebar (always shown on a touch screen) on top, the title below it
TOP_MARGIN = 80


def title_above_plot(title: str) -> dict[str, object]:
    """A figure title set just above the plot area, under the modebar, which would cover its words on
    a phone if the title sat at the top."""
    return {"text": title, "yref": "paper", "y": 1, "yanchor": "bottom", "pad": {"b": 12}}


def bar_figure(
    data: pd.DataFrame,
    category: str,
    value: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    colours: list[str] | None = None,
    number: str = ",",
) -> go.Figure:
    """Horizontal bars of ``value`` per ``category``, in ``data``'s order from the top (one colour per
    bar with ``colours``); ``number`` is the value's d3 format in the hover text."""
    figure = go.Figure(
        go.Bar(
            x=data[value],
            y=data[category],
            orientation="h",
            marker={"color": colours} if colours else {},
            hovertemplate=f"%{{y}}: %{{x:{number}}}<extra></extra>",
        )
    )
    figure.update_layout(
        title=title_above_plot(title),
        xaxis={"title": x_title},
        yaxis={"title": y_title, "autorange": "reversed", "type": "category"},
        height=max(230, 110 + 26 * len(data)),
        margin={"t": TOP_MARGIN, "b": 40},
        clickmode="event+select",
    )
    return figure


def heatmap_figure(
    data: pd.DataFrame, row: str, column: str, value: str, *, title: str, row_title: str, column_title: str
) -> go.Figure:
    """A count matrix (``data`` in long form: ``row``, ``column``, ``value``) as coloured cells with the
    count written in each."""
    matrix = data.pivot_table(index=row, columns=column, values=value, aggfunc="sum", fill_value=0)
    figure = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=list(matrix.columns),
            y=list(matrix.index),
            colorscale="Blues",
            colorbar={"title": {"text": "Stories"}},
            texttemplate="%{z}",
            hovertemplate=f"{row_title}: %{{y}}<br>{column_title}: %{{x}}<br>Stories: %{{z:,}}<extra></extra>",
        )
    )
    figure.update_layout(
        title=title_above_plot(title),
        xaxis={"title": column_title, "tickangle": -40},
        yaxis={"title": row_title, "autorange": "reversed"},
        height=max(290, 170 + 26 * len(matrix)),
        margin={"t": TOP_MARGIN, "b": 40},
    )
    return figure
