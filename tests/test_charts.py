"""The chart builders make the Vega-Lite specs Altair made for them (tests/fixtures/charts, written by the
Altair builders before they were replaced by dicts) and valid Vega-Lite: the pages send the specs without
checking them."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import altair as alt
import jsonschema
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "charts"
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


SCHEMA = alt.vegalite.v6.schema.core.load_schema()
VEGA_LITE = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)  # one validator: the schema is checked once


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{re.sub(r'[^0-9A-Za-z]+', '-', name)}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("name", "build"), BUILT, ids=[name for name, _ in BUILT])
def test_each_builder_makes_the_spec_and_data_altair_made(name: str, build: Any) -> None:
    chart = build()
    expected = fixture(name)
    assert chart.spec == expected["spec"]
    assert alt.to_values(chart.data)["values"] == expected["values"]  # the rows, serialised as Altair did


@pytest.mark.parametrize(("name", "build"), BUILT, ids=[name for name, _ in BUILT])
def test_each_builder_makes_valid_vega_lite(name: str, build: Any) -> None:
    chart = build()
    spec = {**chart.spec, "data": {"values": alt.to_values(chart.data)["values"]}}
    VEGA_LITE.validate(spec)


def test_the_schema_check_catches_a_wrong_spec() -> None:
    broken = charts.bars(BARS, "label", "articles", title="Top", x_title="Stories", y_title="Theme")
    broken.spec["encoding"]["x"]["bin"] = "not a bin"
    with pytest.raises(jsonschema.ValidationError):
        VEGA_LITE.validate(broken.spec)


def test_heights_and_the_room_around_them() -> None:
    assert BUILT[0][1]().height == 320
    assert BUILT[5][1]().height == 120  # the layered heatmap's own, 24 px a row at the least 120
    assert charts.Chart({"mark": "bar"}, BARS).height == 300  # Vega-Lite's default


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_a_chart_png_is_drawn_from_its_spec_and_data() -> None:
    """``figures.png_of``: the Themes charts' PNG download, drawn by Vega-Lite's renderer (vl-convert) in
    a process of its own, at twice ``PNG_WIDTH``; taller with more bars."""
    from components import figures

    def bars(n: int) -> charts.Chart:
        data = pd.DataFrame({"label": [f"Theme {i}" for i in range(n)], "articles": list(range(n, 0, -1))})
        return charts.bars(data, "label", "articles", title="Stories per theme", x_title="Stories", y_title="Theme")

    spec = figures.png_spec(bars(3))
    values = [{"label": f"Theme {i}", "articles": 3 - i} for i in range(3)]
    assert spec["data"] == {"values": values}
    assert spec["width"] == figures.PNG_WIDTH and spec["mark"] == bars(3).spec["mark"]
    few, many = png_size(figures.png_of(bars(3))), png_size(figures.png_of(bars(12)))
    assert few[0] >= 2 * figures.PNG_WIDTH and abs(many[0] - few[0]) < 100  # the plot's width, fixed
    assert many[1] > few[1]


def test_a_chart_png_that_cannot_be_drawn_is_one_line_of_error() -> None:
    from components import figures

    broken = charts.Chart({"mark": "no-such-mark", "encoding": {}}, pd.DataFrame({"a": [1]}))
    with pytest.raises(RuntimeError, match=r"^the chart's PNG was not drawn: [^\n]+$"):
        figures.png_of(broken)
