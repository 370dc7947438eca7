"""The chart builders make valid Vega-Lite: the pages send their specs unchecked (``charts.Built``), so every
builder's charts are checked against the schema here, and the unchecked spec is the checked one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "dashboard") not in sys.path:
    sys.path.insert(0, str(ROOT / "dashboard"))

from components import charts  # noqa: E402  # the module the app imports (same sys.path)

PERIODS = pd.DataFrame(
    {
        "period_start": pd.to_datetime(["2019-06-03", "2019-06-10", "2019-06-17"] * 2),
        "group": ["Huawei"] * 3 + ["Trade war"] * 3,
        "articles": [3, 0, 2, 1, 4, 0],
        "headlines": ["One\nTwo", "", "Three", "Four", "Five", ""],
    }
)
BARS = pd.DataFrame({"label": ["Huawei", "Trade war"], "articles": [7, 3]})
CELLS = pd.DataFrame(
    {
        "name": ["Ding Yi", "Ding Yi", "Wang Jing", "Wang Jing"],
        "theme": ["Huawei", "Tech"] * 2,
        "articles": [2, 0, 1, 5],
    }
)
SCALE = charts.theme_scale(
    {"huawei": "#c00", "trade-war": "#00c"}, {"huawei": "Huawei", "trade-war": "Trade war"}
)

BUILT: list[tuple[str, Any]] = [
    ("timeline", lambda: charts.timeline(PERIODS[PERIODS["group"] == "Huawei"], "W", brush=False)),
    ("timeline brushed", lambda: charts.timeline(PERIODS, "W", group="group", scale=SCALE)),
    ("timeline lines", lambda: charts.timeline(PERIODS, "M", group="group", stacked=False, value="articles")),
    ("timeline empty", lambda: charts.timeline(PERIODS.iloc[:0], "D", brush=False)),
    (
        "bars",
        lambda: charts.bars(
            BARS,
            "label",
            "articles",
            title="Top",
            x_title="Stories",
            y_title="Theme",
            colour="label",
            scale=SCALE,
            select_name="pick",
        ),
    ),  # fmt: skip
    (
        "heatmap",
        lambda: charts.heatmap(
            CELLS, "name", "theme", "articles", title="Cells", row_title="Reporter", column_title="Theme"
        ),
    ),
]


@pytest.mark.parametrize(("name", "build"), BUILT, ids=[name for name, _ in BUILT])
def test_each_builder_makes_valid_vega_lite_and_sends_it_unchanged(name: str, build: Any) -> None:
    chart = build()
    checked = chart.to_dict()  # raises when the spec does not fit the schema
    assert charts.Built(chart).to_dict() == checked


def test_an_invalid_chart_is_caught_by_the_check_not_by_built() -> None:
    broken = alt.Chart(BARS).mark_bar().encode(x=alt.X("articles:Q", bin="not a bin"))
    with pytest.raises(Exception, match="bin"):
        broken.to_dict()
    assert charts.Built(broken).to_dict()["encoding"]["x"]["bin"] == "not a bin"
