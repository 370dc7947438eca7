"""Vega-Lite chart builders: titled, labelled axes, tooltips, and one colour per theme on every page.

Each builder returns a ``Chart``: the Vega-Lite spec as a dict and the frame it draws, shown with
``st.vega_lite_chart``. The specs are the ones Altair made for these charts (tests/test_charts.py compares
them with tests/fixtures/charts and checks them against the Vega-Lite schema), written directly: importing
Altair cost every server's first page 0.35-0.4 s.

Tooltips show story text (headlines) as text: Vega's tooltip handler escapes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

FREQ_LABELS = {"D": "day", "W": "week", "M": "month"}
FREQ_OFFSETS = {"D": pd.DateOffset(days=1), "W": pd.DateOffset(weeks=1), "M": pd.DateOffset(months=1)}
COUNT_AXIS: dict[str, Any] = {"format": "d", "tickMinStep": 1}
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"  # the version the Vega-Lite specs follow
#: what Altair put in every spec (the widths are Streamlit's: charts are shown at full width)
CONFIG: dict[str, Any] = {"view": {"continuousWidth": 300, "continuousHeight": 300}}

Spec = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Chart:
    """A Vega-Lite spec without its data, and the frame it draws (``st.vega_lite_chart(data, spec)``)."""

    spec: Spec
    data: pd.DataFrame

    @property
    def height(self) -> int:
        """The plot's height: the spec's, else its first layer's that has one, else Vega-Lite's 300."""
        for part in (self.spec, *self.spec.get("layer", ())):
            if isinstance(part.get("height"), int):
                return int(part["height"])
        return 300


def _chart(data: pd.DataFrame, **spec: Any) -> Chart:
    """A top-level spec with what Altair added to each: its config and the schema it follows."""
    return Chart({"config": CONFIG, **spec, "$schema": SCHEMA}, data)


TYPES = {"T": "temporal", "Q": "quantitative", "N": "nominal", "O": "ordinal"}


def field(shorthand: str, **options: Any) -> Spec:
    """An encoding channel from Altair's shorthand: ``"period_start:T"`` -> field and type, and
    ``options`` (title, axis, scale, format ...)."""
    name, _, kind = shorthand.partition(":")
    return {"field": name, **options, **({"type": TYPES[kind]} if kind else {})}


def show(chart: Chart, height: int | None = None, **kwargs: Any) -> Any:
    """Render a chart at full width; the element gets the chart's plot height plus room for the title
    and axes (Streamlit would otherwise squeeze charts inside columns)."""
    kwargs.pop("width", None)
    padding = 190 if "layer" in chart.spec else 110  # heatmaps: room for slanted labels
    return st.vega_lite_chart(
        chart.data,
        chart.spec,
        width="stretch",
        height=height or chart.height + padding,
        **kwargs,
    )


def bars_height(rows: int) -> int:
    return max(140, 60 + 26 * rows)


def theme_scale(
    colours: Mapping[str, str], labels: Mapping[str, str], only: Sequence[str] | None = None
) -> Spec:
    """Colour scale keyed by theme label, so the legend reads well and colours match everywhere;
    ``only`` (slugs) keeps those themes in the legend."""
    slugs = [s for s in colours if only is None or s in only]
    return {"domain": [labels[s] for s in slugs], "range": [colours[s] for s in slugs]}


def time_axis(starts: pd.Series, title: str) -> Spec:
    """A time axis whose labels always carry the year: ticks every few days, months or years, as the span
    needs (Vega's own labels drop the year inside a year, also after a range is brushed)."""
    if len(starts) == 0:
        return {"title": title}
    first, last = pd.to_datetime(starts.min()), pd.to_datetime(starts.max())
    days = max(1, (last - first).days)
    if days <= 70:
        interval, step, fmt = "day", max(1, days // 8), "%d %b %Y"
    elif days <= 3 * 366:
        interval, step, fmt = "month", max(1, days // 240), "%b %Y"
    else:
        interval, step, fmt = "year", max(1, days // (366 * 10)), "%Y"
    return {"title": title, "format": fmt, "tickCount": {"interval": interval, "step": step}, "labelOverlap": True}


def timeline(
    data: pd.DataFrame,
    freq: str,
    *,
    value: str = "articles",
    group: str | None = None,
    scale: Spec | None = None,
    height: int = 320,
    title: str = "Stories over time",
    brush: bool = True,
    stacked: bool = True,
    group_title: str | None = None,
) -> Chart:
    """Stories per period; ``data`` has ``period_start``, ``value``, optional ``group`` and
    ``headlines``. Groups that partition the stories (``stacked``) are stacked bars; groups that overlap
    (themes) are lines, one per group, never stacked. With ``brush`` the user can drag over a range to
    narrow the dates."""
    unit = FREQ_LABELS.get(freq, "period")
    y_title = "Share of the period's stories" if value == "share" else f"Stories per {unit}"
    tooltip = [field("period_start:T", title=f"{unit.title()} starting", format="%d %b %Y")]
    if group:
        tooltip.append(field(f"{group}:N", title=group_title or group.title()))
    tooltip.append(
        field(
            f"{value}:Q",
            title="Share" if value == "share" else "Stories",
            format=".1%" if value == "share" else ",",
        )
    )
    if "headlines" in data.columns:
        tooltip.append(field("headlines:N", title="Latest headlines"))
    x_axis = time_axis(data["period_start"], f"{unit.title()} (Beijing time)")
    y_axis = {"format": "%"} if value == "share" else COUNT_AXIS
    colour: Spec = (
        {"color": field(f"{group}:N", title=group_title or group.title(), **({"scale": scale} if scale else {}))}
        if group
        else {}
    )
    if group and not stacked:
        mark: Spec = {"type": "line", "point": len(data) <= 400, "strokeWidth": 2, "aria": False}
        encoding: Spec = {
            "x": field("period_start:T", title=x_axis["title"], axis=x_axis),
            "y": field(f"{value}:Q", title=y_title, axis=y_axis),
            **colour,
            "tooltip": tooltip,
        }
    else:
        # explicit rectangles: each bar spans its whole period on a continuous time axis (so a range can
        # be brushed), stacked by hand so groups sit on top of each other
        data = data.assign(
            period_end=pd.to_datetime(data["period_start"]) + FREQ_OFFSETS.get(freq, pd.DateOffset(days=1))
        )
        if group:
            data = data.sort_values(["period_start", group])
            top = data.groupby("period_start")[value].cumsum()
        else:
            top = data[value]
        data = data.assign(bar_top=top, bar_bottom=top - data[value])
        mark = {"type": "rect", "stroke": "white", "strokeWidth": 0.3, "aria": False}
        encoding = {
            "x": field("period_start:T", title=x_axis["title"], axis=x_axis),
            "x2": field("period_end"),
            "y": field("bar_top:Q", title=y_title, axis=y_axis),
            "y2": field("bar_bottom"),
            "tooltip": tooltip,
            **colour,
        }
    extra: Spec = {}
    if brush:
        # Drawn on a canvas: as SVG, Vega-Lite gives the brush's two rectangles an image role and no text
        # (axe-core: svg-img-alt), and Streamlit passes no option that could label them. The container
        # keeps the chart's description as its aria-label; the sidebar's dates do what the brush does.
        extra = {
            "params": [{"name": "dates", "select": {"type": "interval", "encodings": ["x"]}}],
            "usermeta": {"embedOptions": {"renderer": "canvas"}},
        }
    return _chart(
        data,
        mark=mark,
        description=description(title, data, value, group),
        encoding=encoding,
        height=height,
        title=title,
        **extra,
    )


def description(title: str, data: pd.DataFrame, value: str, group: str | None = None) -> str:
    """The chart's text alternative (its container's ``aria-label``): what it shows, over which dates,
    and the highest value."""
    text = f"Chart: {title}."
    if "period_start" in data.columns and len(data):
        starts = pd.to_datetime(data["period_start"])
        text += f" From {starts.min():%d %b %Y} to {starts.max():%d %b %Y}."
    if value in data.columns and len(data):
        peak = data.loc[data[value].idxmax()]
        amount = f"{peak[value]:.0%}" if value == "share" else f"{int(peak[value]):,} stories"
        where = f" ({peak[group]})" if group and group in data.columns else ""
        when = f" in the period starting {pd.to_datetime(peak['period_start']):%d %b %Y}"
        text += f" Highest: {amount}{where}{when}."
    return text


def bars(
    data: pd.DataFrame,
    category: str,
    value: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    colour: str | None = None,
    scale: Spec | None = None,
    select_name: str | None = None,
    height: int | None = None,
    tooltip_extra: list[Spec] | None = None,
) -> Chart:
    """Horizontal bars, largest first; with ``select_name`` a click selects a category."""
    order = data[category].tolist()
    listed = ", ".join(
        f"{name} {amount:,}" for name, amount in zip(order[:5], data[value].head(5), strict=True)
    )
    encoding: Spec = {
        "y": field(f"{category}:N", title=y_title, sort=order),
        "x": field(f"{value}:Q", title=x_title, **({"axis": COUNT_AXIS} if value in ("articles", "stories") else {})),
        "tooltip": [field(f"{category}:N", title=y_title), field(f"{value}:Q", title=x_title, format=",")]
        + (tooltip_extra or []),
    }
    if colour:
        encoding["color"] = field(f"{colour}:N", **({"scale": scale} if scale else {}), legend=None)
    extra: Spec = {}
    if select_name:
        extra["params"] = [{"name": select_name, "select": {"type": "point", "fields": [category]}}]
    return _chart(
        data,
        mark={"type": "bar", "aria": False},
        description=f"Chart: {title}. {x_title} per {y_title.lower()}: {listed}" + (", …" if len(order) > 5 else "."),
        encoding=encoding,
        height=height or bars_height(len(data)),
        title=title,
        **extra,
    )


def heatmap(
    data: pd.DataFrame, row: str, column: str, value: str, *, title: str, row_title: str, column_title: str
) -> Chart:
    """A count matrix as coloured cells with the count written in each."""
    rows = data[row].nunique() if len(data) else 1
    described = f"Chart: {title}. {row_title} by {column_title.lower()}, stories in each cell."
    shared: Spec = {
        "x": field(
            f"{column}:N", title=column_title, axis={"labelAngle": -40, "labelOverlap": False, "labelLimit": 160}
        ),
        "y": field(f"{row}:N", title=row_title),
        "tooltip": [
            field(f"{row}:N", title=row_title),
            field(f"{column}:N", title=column_title),
            field(f"{value}:Q", title="Stories"),
        ],
    }
    # the count written in white on the darker half of the cells
    test = f"(datum['{value}'] > {data[value].max() / 2})" if len(data) else 0
    cells = {
        "mark": {"type": "rect", "aria": False},
        "description": described,
        "encoding": {**shared, "color": field(f"{value}:Q", title="Stories", scale={"scheme": "blues"})},
        "title": title,
    }
    text = {
        "mark": {"type": "text", "fontSize": 10, "aria": False},
        "description": described,
        "encoding": {
            **shared,
            "text": field(f"{value}:Q"),
            "color": {
                "condition": {"test": test, "value": "white"},
                "value": "black",
            },
        },
        "title": title,
    }
    return _chart(data, layer=[cells, text], description=described, height=max(120, 24 * rows))
