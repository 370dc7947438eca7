"""Charts with their data: every chart on the research pages can be downloaded as the table it draws, and
a Plotly chart's "Download plot as a png" names the file after what it shows.

Streamlit's own toolbar names every Altair PNG ``<time>_chart.png``; Plotly's modebar takes a file name
(``toImageButtonOptions``), so the charts drawn here name theirs.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
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
    )


def show_figure(figure: Any, data: pd.DataFrame, stem: str, *, key: str, alt: str) -> None:
    """A Plotly figure at full width whose PNG download is named ``<stem>.png``, with the download of
    ``data`` (the table it draws) below it. ``alt`` describes the chart to screen readers."""
    st.plotly_chart(
        figure,
        width="stretch",
        key=key,
        alt=alt,
        config={
            "displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": stem, "scale": 2},
        },
    )
    data_button(data, stem, key=f"{key}-data")
