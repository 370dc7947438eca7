"""Altair chart builders: titled, labelled axes, tooltips, and one colour per theme on every page.

Tooltips show story text (headlines) as text: Vega's tooltip handler escapes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

FREQ_LABELS = {"D": "day", "W": "week", "M": "month"}
FREQ_OFFSETS = {"D": pd.DateOffset(days=1), "W": pd.DateOffset(weeks=1), "M": pd.DateOffset(months=1)}
COUNT_AXIS = alt.Axis(format="d", tickMinStep=1)


def _plot_height(chart: Any) -> int:
    height = getattr(chart, "height", alt.Undefined)
    if isinstance(height, int):
        return height
    for layer in getattr(chart, "layer", []) or []:
        if isinstance(getattr(layer, "height", None), int):
            return int(layer.height)
    return 300


class Built:
    """An Altair chart as ``st.altair_chart`` reads it (its ``to_dict()``), without checking the spec
    against the Vega-Lite schema on every run: that check (jsonschema over the whole spec) cost more than
    building and sending the chart, 20-80 ms a chart, on every rerun of every page. The builders here
    make the same structure each time, with other data; tests/test_charts.py checks each builder's
    charts against the schema. The spec is the same, checked or not."""

    def __init__(self, chart: alt.TopLevelMixin) -> None:
        self.chart = chart

    def to_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.chart.to_dict(*args, **{**kwargs, "validate": False})  # type: ignore[no-any-return]


def show(chart: Any, height: int | None = None, **kwargs: Any) -> Any:
    """Render a chart at full width; the element gets the chart's plot height plus room for the title
    and axes (Streamlit would otherwise squeeze charts inside columns). The spec is not checked against
    the schema again (``Built``)."""
    kwargs.pop("width", None)
    padding = 190 if isinstance(chart, alt.LayerChart) else 110  # heatmaps: room for slanted labels
    return st.altair_chart(
        Built(chart),  # type: ignore[arg-type]
        width="stretch",
        height=height or _plot_height(chart) + padding,
        **kwargs,
    )


def bars_height(rows: int) -> int:
    return max(140, 60 + 26 * rows)


def theme_scale(
    colours: Mapping[str, str], labels: Mapping[str, str], only: Sequence[str] | None = None
) -> alt.Scale:
    """Colour scale keyed by theme label, so the legend reads well and colours match everywhere;
    ``only`` (slugs) keeps those themes in the legend."""
    slugs = [s for s in colours if only is None or s in only]
    return alt.Scale(domain=[labels[s] for s in slugs], range=[colours[s] for s in slugs])


def time_axis(starts: pd.Series, title: str) -> alt.Axis:
    """A time axis whose labels always carry the year: ticks every few days, months or years, as the span
    needs (Vega's own labels drop the year inside a year, also after a range is brushed)."""
    if len(starts) == 0:
        return alt.Axis(title=title)
    first, last = pd.to_datetime(starts.min()), pd.to_datetime(starts.max())
    days = max(1, (last - first).days)
    if days <= 70:
        interval, step, fmt = "day", max(1, days // 8), "%d %b %Y"
    elif days <= 3 * 366:
        interval, step, fmt = "month", max(1, days // 240), "%b %Y"
    else:
        interval, step, fmt = "year", max(1, days // (366 * 10)), "%Y"
    return alt.Axis(
        title=title, format=fmt, tickCount={"interval": interval, "step": step}, labelOverlap=True
    )


def timeline(
    data: pd.DataFrame,
    freq: str,
    *,
    value: str = "articles",
    group: str | None = None,
    scale: alt.Scale | None = None,
    height: int = 320,
    title: str = "Stories over time",
    brush: bool = True,
    stacked: bool = True,
    group_title: str | None = None,
) -> alt.Chart:
    """Stories per period; ``data`` has ``period_start``, ``value``, optional ``group`` and
    ``headlines``. Groups that partition the stories (``stacked``) are stacked bars; groups that overlap
    (themes) are lines, one per group, never stacked. With ``brush`` the user can drag over a range to
    narrow the dates."""
    unit = FREQ_LABELS.get(freq, "period")
    y_title = "Share of the period's stories" if value == "share" else f"Stories per {unit}"
    tooltip = [alt.Tooltip("period_start:T", title=f"{unit.title()} starting", format="%d %b %Y")]
    if group:
        tooltip.append(alt.Tooltip(f"{group}:N", title=group_title or group.title()))
    tooltip.append(
        alt.Tooltip(
            f"{value}:Q",
            title="Share" if value == "share" else "Stories",
            format=".1%" if value == "share" else ",",
        )
    )
    if "headlines" in data.columns:
        tooltip.append(alt.Tooltip("headlines:N", title="Latest headlines"))
    x_axis = time_axis(data["period_start"], f"{unit.title()} (Beijing time)")
    y_axis = alt.Axis(format="%") if value == "share" else COUNT_AXIS
    described = description(title, data, value, group)
    if group and not stacked:
        chart = alt.Chart(data, title=title, height=height, description=described).mark_line(
            point=len(data) <= 400, strokeWidth=2, aria=False
        )
        encoding: dict[str, Any] = {
            "x": alt.X("period_start:T", title=x_axis.title, axis=x_axis),
            "y": alt.Y(f"{value}:Q", title=y_title, axis=y_axis),
            "color": alt.Color(
                f"{group}:N", title=group_title or group.title(), scale=scale or alt.Undefined
            ),
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
        chart = alt.Chart(data, title=title, height=height, description=described).mark_rect(
            stroke="white", strokeWidth=0.3, aria=False
        )
        encoding = {
            "x": alt.X("period_start:T", title=x_axis.title, axis=x_axis),
            "x2": alt.X2("period_end:T"),
            "y": alt.Y("bar_top:Q", title=y_title, axis=y_axis),
            "y2": alt.Y2("bar_bottom:Q"),
            "tooltip": tooltip,
        }
        if group:
            encoding["color"] = alt.Color(
                f"{group}:N", title=group_title or group.title(), scale=scale or alt.Undefined
            )
    chart = chart.encode(**encoding)
    if brush:
        # Drawn on a canvas: as SVG, Vega-Lite gives the brush's two rectangles an image role and no text
        # (axe-core: svg-img-alt), and Streamlit passes no option that could label them. The container
        # keeps the chart's description as its aria-label; the sidebar's dates do what the brush does.
        chart = chart.add_params(alt.selection_interval(name="dates", encodings=["x"])).properties(
            usermeta={"embedOptions": {"renderer": "canvas"}}
        )
    return chart


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
    scale: alt.Scale | None = None,
    select_name: str | None = None,
    height: int | None = None,
    tooltip_extra: list[alt.Tooltip] | None = None,
) -> alt.Chart:
    """Horizontal bars, largest first; with ``select_name`` a click selects a category."""
    order = data[category].tolist()
    listed = ", ".join(
        f"{name} {amount:,}" for name, amount in zip(order[:5], data[value].head(5), strict=True)
    )
    chart = alt.Chart(
        data,
        title=title,
        height=height or bars_height(len(data)),
        description=f"Chart: {title}. {x_title} per {y_title.lower()}: {listed}"
        + (", …" if len(order) > 5 else "."),
    ).mark_bar(aria=False)
    encoding = {
        "y": alt.Y(f"{category}:N", title=y_title, sort=order),
        "x": alt.X(f"{value}:Q", title=x_title, axis=COUNT_AXIS if value == "articles" else alt.Undefined),
        "tooltip": [
            alt.Tooltip(f"{category}:N", title=y_title),
            alt.Tooltip(f"{value}:Q", title=x_title, format=","),
        ]
        + (tooltip_extra or []),
    }
    if colour:
        encoding["color"] = alt.Color(f"{colour}:N", scale=scale or alt.Undefined, legend=None)
    chart = chart.encode(**encoding)
    if select_name:
        chart = chart.add_params(alt.selection_point(name=select_name, fields=[category]))
    return chart


def heatmap(
    data: pd.DataFrame, row: str, column: str, value: str, *, title: str, row_title: str, column_title: str
) -> alt.Chart:
    """A count matrix as coloured cells with the count written in each."""
    rows = data[row].nunique() if len(data) else 1
    base = alt.Chart(
        data,
        title=title,
        height=max(120, 24 * rows),
        description=f"Chart: {title}. {row_title} by {column_title.lower()}, stories in each cell.",
    ).encode(
        x=alt.X(
            f"{column}:N",
            title=column_title,
            axis=alt.Axis(labelAngle=-40, labelOverlap=False, labelLimit=160),
        ),
        y=alt.Y(f"{row}:N", title=row_title),
        tooltip=[
            alt.Tooltip(f"{row}:N", title=row_title),
            alt.Tooltip(f"{column}:N", title=column_title),
            alt.Tooltip(f"{value}:Q", title="Stories"),
        ],
    )
    cells = base.mark_rect(aria=False).encode(
        color=alt.Color(f"{value}:Q", title="Stories", scale=alt.Scale(scheme="blues"))
    )
    text = base.mark_text(fontSize=10, aria=False).encode(
        text=alt.Text(f"{value}:Q"),
        # the channel made directly: ``alt.condition``'s dict would be checked against the schema as it
        # is turned into one (70 ms); the spec is the same
        color=alt.ColorValue(
            "black",
            condition={
                "test": alt.datum[value] > data[value].max() / 2 if len(data) else 0,
                "value": "white",
            },
        ),
    )
    # the description given to the layer as it is made: ``.properties`` would copy the whole chart
    return alt.layer(
        cells,
        text,
        description=f"Chart: {title}. {row_title} by {column_title.lower()}, stories in each cell.",
    )
