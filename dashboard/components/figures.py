"""Charts with their data: every chart on the research pages can be downloaded as the table it draws and
as a PNG named after what it shows.

The Themes page's charts, the comparison's too, are Vega-Lite (``components.charts``), like the other
pages'. Streamlit's own
menu names every Vega-Lite PNG ``<time>_chart.png`` (Streamlit 1.67 passes a chart's
``usermeta.embedOptions`` on to Vega-Embed only for its theme, renderer and padding, so
``downloadFileName`` is dropped), so ``chart_downloads`` adds a "Chart as PNG" download named after the
chart, drawn from the same spec by Vega-Lite's own renderer (vl-convert) when it is clicked, in a process
of its own. They were Plotly figures, whose modebar names the file: Plotly's script made the Themes
page's load in Chromium about 1 s slower (docs/performance.md, "The Reader's list and the Themes
charts").
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from typing import Any

import pandas as pd
import streamlit as st

from components import charts


def file_stem(*parts: str) -> str:
    """``caixin-compare-theme-huawei-vs-trade-war``: words of ``parts`` joined for a file name."""
    words = [w for part in parts for w in re.split(r"[^0-9A-Za-z]+", part.lower()) if w]
    return "-".join(["caixin", *words])[:120]


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~$:<>])")
#: where GitHub-flavoured Markdown makes a link of plain text by itself (remark-gfm's autolink literals,
#: found in the text after its escapes are read, so escaping cannot stop them): between a scheme's letters
#: and "://", between "www" and ".", and before the "@" of an address
_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(?=://)|(?<=www)(?=\.)|(?=@)")
WORD_JOINER = "\u2060"  # invisible, and no character a link or an address can hold


def plain(text: str) -> str:
    """``text`` for a label that Streamlit reads as Markdown (radio options, pills, buttons, captions): its
    Markdown characters escaped and a word joiner where Markdown would make a link of a web or e-mail
    address, so a name or a headline from a story is shown as written and never formats or links
    anything."""
    return _MARKDOWN.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, text))


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


#: the width of a chart's PNG in CSS pixels (drawn at twice that): Streamlit draws charts at the page's width
PNG_WIDTH = 720
#: PNGs drawn at once by this server (each process takes about 100 MB while it runs); more clicks wait
DRAWING = threading.BoundedSemaphore(2)
#: vl-convert's JavaScript engine (about 90 MB) runs in a process of its own, so it does not stay in the
#: server after a download
PNG_SCRIPT = (
    "import json, sys, vl_convert; "
    "sys.stdout.buffer.write(vl_convert.vegalite_to_png(json.load(sys.stdin), vl_version='6.4', scale=2))"
)


def png_spec(chart: charts.Chart) -> dict[str, Any]:
    """``chart``'s spec with its data written in and a fixed width: what a PNG of it is drawn from."""
    values = json.loads(chart.data.to_json(orient="records", date_format="iso"))
    return {**chart.spec, "data": {"values": values}, "width": PNG_WIDTH}


def png_of(chart: charts.Chart, timeout: float = 60) -> bytes:
    """``chart`` drawn as a PNG by Vega-Lite's own renderer (vl-convert), in a new process."""
    with DRAWING:
        done = subprocess.run(
            [sys.executable, "-c", PNG_SCRIPT],
            input=json.dumps(png_spec(chart)).encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"the chart's PNG was not drawn: {lines[-1] if lines else done.returncode}")
    return done.stdout


def chart_downloads(chart: charts.Chart, stem: str, *, key: str) -> None:
    """Below a chart: its data as ``<stem>.csv`` and the chart as ``<stem>.png``, each made when clicked."""
    with st.container(horizontal=True, gap="small"):
        data_button(chart.data, stem, key=f"{key}-data")
        st.download_button(
            "Chart as PNG",
            lambda: png_of(chart),
            f"{stem}.png",
            "image/png",
            key=f"{key}-png",
            icon=":material/image:",
            type="tertiary",
            on_click="ignore",  # no rerun to race the deferred file: see dashboard/views/data.py
        )


def show_chart(chart: charts.Chart, stem: str, *, key: str, on_select: Any = "ignore") -> None:
    """A Vega-Lite chart at full width (``components.charts.show``) with its data and PNG downloads below
    it; ``on_select`` (a callback) makes a click on a mark select it."""
    charts.show(chart, key=key, on_select=on_select)
    chart_downloads(chart, stem, key=key)
