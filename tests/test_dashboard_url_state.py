"""Every control bound to the URL (``dashboard/components/url_state.py``), through AppTest: a link sets
the control, changing the control rewrites the link, a value the control cannot take is dropped with a
note, a URL changed from outside (Back, Forward) wins over the widget; and the honest timeline.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from test_dashboard_apptest import SAMPLE, dashboard_env, open_page, rendered, shown_count, texts, url_values

from core.analysing.analytics import fitting_period, groups_partition, period_count, timeline, top_groups

__all__ = ["dashboard_env"]  # the sample data, a throw-away cache: autouse, from the AppTest module

if str(SAMPLE.parents[1] / "dashboard") not in sys.path:  # components/, as app.py imports them
    sys.path.insert(0, str(SAMPLE.parents[1] / "dashboard"))


def chart_spec(at: AppTest, index: int = 0) -> dict[str, Any]:
    """The Vega-Lite spec of the page's ``index``-th chart (its data travels apart, as Arrow)."""
    charts = at.get("vega_lite_chart")
    return json.loads(charts[index].proto.spec)  # type: ignore[no-any-return]


def figures(at: AppTest) -> Any:
    """The timeline's Figures table: what the chart draws."""
    return at.dataframe[-1].value


# ------------------------------------------------------------------------------------------ timeline controls


@pytest.mark.parametrize(
    ("key", "params", "value"),
    [
        ("period", {"period": "month"}, "month"),
        ("period", {"period": "DAY"}, "day"),  # any case
        ("split", {"split": "theme"}, "theme"),
        ("show", {"show": "share"}, "share"),
        ("period", {}, "week"),  # the defaults
        ("split", {}, "none"),
        ("show", {}, "counts"),
    ],
)
def test_a_link_sets_the_timeline_controls(key: str, params: dict[str, str], value: str) -> None:
    at = open_page("timeline", params)
    assert at.button_group(key=key).value == value


@pytest.mark.parametrize(("key", "value"), [("period", "month"), ("split", "section"), ("show", "share")])
def test_changing_a_timeline_control_rewrites_the_link(key: str, value: str) -> None:
    at = open_page("timeline", {"theme": "huawei"})
    at.button_group(key=key).set_value(value).run()
    assert not at.exception
    assert url_values(at, key) == [value]
    assert url_values(at, "theme") == ["huawei"]
    default = {"period": "week", "split": "none", "show": "counts"}[key]
    at.button_group(key=key).set_value(default).run()
    assert key not in at.query_params  # a default is left out of the link


def test_a_timeline_value_it_cannot_take_is_dropped_with_a_note() -> None:
    at = open_page("timeline", {"period": "fortnight", "show": "share"})
    assert "Ignored period=fortnight in the link" in rendered(at.warning)
    assert at.button_group(key="period").value == "week"
    assert "period" not in at.query_params
    assert url_values(at, "show") == ["share"]


def test_a_url_changed_from_outside_wins_over_the_widget() -> None:
    """What Back and Forward do: the browser sends the URL of another history entry."""
    at = open_page("timeline", {"theme": "huawei"})
    at.button_group(key="period").set_value("month").run()
    at.multiselect(key="theme").set_value(["trade-war"]).run()
    assert shown_count(at) == shown_count(open_page("timeline", {"theme": "trade-war"}))
    at.query_params.clear()
    at.query_params["theme"] = "huawei"  # Back, twice
    at.run()
    assert at.button_group(key="period").value == "week"
    assert at.multiselect(key="theme").value == ["huawei"]
    assert shown_count(at) == 5


def test_the_listings_toggle_is_in_the_link(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    pages2 = Path(__file__).parent / "fixtures" / "pages2"  # listing pages with headlines not collected
    monkeypatch.setenv("CAIXIN_DATA", os.pathsep.join([str(SAMPLE), str(pages2)]))
    at = open_page("timeline", {"listings": "1"})
    toggle = at.toggle(key="listings")
    assert toggle.value is True
    chart = at.get("vega_lite_chart")[0].proto
    assert b"Known from listings only" in chart.data.data  # the frame the chart draws (Arrow)
    toggle.set_value(False).run()
    assert "listings" not in at.query_params


def test_reporter_of_output_over_time_is_in_the_link() -> None:
    at = open_page("reporters", {"who": "bloomberg"})
    assert at.selectbox(key="who").value == "Bloomberg"
    at.selectbox(key="who").set_value("Tianyu M. Fang").run()
    assert url_values(at, "who") == ["Tianyu M. Fang"]
    at.selectbox(key="who").set_value("Matthew Walsh").run()  # the top reporter, the default
    assert "who" not in at.query_params
    at = open_page("reporters", {"who": "Nobody at all"})
    assert "Ignored who=Nobody at all in the link" in rendered(at.warning)


def test_settings_of_a_page_wait_in_the_link_on_other_pages() -> None:
    at = open_page("timeline", {"period": "month"})
    at.switch_page("views/reader.py").run()
    assert url_values(at, "period") == ["month"]
    at.switch_page("views/timeline.py").run()
    assert at.button_group(key="period").value == "month"


def test_filter_options_show_their_story_counts() -> None:
    at = open_page("overview")
    themes = at.multiselect(key="theme")
    assert "Huawei (5)" in themes.options
    assert "Bloomberg (3)" in at.multiselect(key="reporter").options
    assert "Wire agency (3)" in at.multiselect(key="kind").options


# ------------------------------------------------------------------------------------------ honest timeline


def test_theme_split_draws_lines_of_the_filtered_themes_only() -> None:
    at = open_page("timeline", {"split": "theme", "theme": ["huawei", "trade-war"]})
    spec = chart_spec(at)
    assert spec["mark"]["type"] == "line"
    assert set(figures(at)["group"]) == {"Huawei", "Trade war"}
    assert set(spec["encoding"]["color"]["scale"]["domain"]) == {"Huawei", "Trade war"}  # the legend too
    assert "One line per theme (the filtered themes)" in texts(at.caption)


def test_theme_split_without_a_theme_filter_draws_the_five_largest() -> None:
    at = open_page("timeline", {"split": "theme", "show": "share"})
    assert chart_spec(at)["mark"]["type"] == "line"
    assert figures(at)["group"].nunique() == 5
    assert "shares add up to more than 100%" in texts(at.caption)


def test_sections_are_stacked_bars() -> None:
    at = open_page("timeline", {"split": "section"})
    spec = chart_spec(at)
    assert spec["mark"]["type"] == "rect"
    assert "y2" in spec["encoding"]


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_time_axis_labels_carry_the_year(period: str) -> None:
    at = open_page("timeline", {"period": period})
    axis = chart_spec(at)["encoding"]["x"]["axis"]
    assert axis["format"] == "%b %Y"  # five months of stories: a label a month
    assert axis["tickCount"]["interval"] == "month"
    narrowed = open_page("timeline", {"period": period, "from": "2019-09-01", "to": "2019-09-30"})
    assert chart_spec(narrowed)["encoding"]["x"]["axis"]["format"] == "%d %b %Y"  # after a drag-to-filter


def test_overview_and_reporter_charts_are_described() -> None:
    at = open_page("overview")
    spec = chart_spec(at)
    assert spec["description"].startswith("Chart: Stories over time. From ")


# ------------------------------------------------------------------------------------------ core


def test_period_count_and_fitting_period() -> None:
    from datetime import date

    first, last = date(1990, 1, 1), date(2019, 3, 1)
    assert period_count(first, last, "D") == 10_652
    assert period_count(date(2019, 9, 4), date(2019, 9, 9), "W") == 2  # a Wednesday to the next Monday
    assert period_count(date(2019, 1, 31), date(2019, 3, 1), "M") == 3
    assert fitting_period(first, last, "D") == "M"  # 1,522 weeks are too many as well
    assert fitting_period(date(2014, 1, 1), date(2019, 1, 1), "D") == "W"
    assert fitting_period(date(2019, 1, 1), date(2019, 6, 1), "D") == "D"
    assert fitting_period(None, None, "D") == "D"


def test_timeline_only_keeps_the_named_themes(sample_frame: Any) -> None:
    frame, memberships = sample_frame
    both = timeline(frame, "M", by="theme", memberships=memberships, only=("huawei", "trade-war"))
    assert set(both["group"]) == {"huawei", "trade-war"}
    full = timeline(frame, "M", by="theme", memberships=memberships)
    assert (
        both.set_index(["period_start", "group"])["articles"]
        == full.set_index(["period_start", "group"]).loc[
            both.set_index(["period_start", "group"]).index, "articles"
        ]
    ).all()


def test_groups_partition_tells_overlap_apart(sample_frame: Any) -> None:
    frame, memberships = sample_frame
    totals = timeline(frame, "M")
    assert groups_partition(timeline(frame, "M", by="section"), totals)
    assert not groups_partition(timeline(frame, "M", by="theme", memberships=memberships), totals)
    top = top_groups(timeline(frame, "M", by="theme", memberships=memberships), 2)
    assert len(top) == 2 and top[0] != top[1]


@pytest.fixture(scope="module")
def sample_frame(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    from core.storing.collection import open_collection

    collection = open_collection([SAMPLE], cache_dir=tmp_path_factory.mktemp("timeline-cache"))
    return collection.articles, collection.memberships


# ------------------------------------------------------------------------------------------ words and states


def test_an_empty_selection_offers_which_filter_to_remove() -> None:
    at = open_page("timeline", {"kind": "agency", "reporter": "Matthew Walsh", "q": "huawei"})
    assert shown_count(at) == 0
    labels = [b.label for b in at.button if b.key and b.key.startswith("relax-")]
    assert labels == [  # most stories first; huawei stories: 2 by agencies, 1 by Matthew Walsh
        "Reporters and agencies: 2 stories without it",
        "Byline: 1 story without it",
        "Search: 0 stories without it",
    ]
    assert "Stories each search term matches with the other filters: “huawei” 0." in rendered(at.caption)
    next(b for b in at.button if b.key == "relax-kinds").click().run()
    assert "kind" not in at.query_params
    assert shown_count(at) == 1


@pytest.mark.parametrize(
    ("first", "last", "text"),
    [
        ((1990, 1, 1), (2019, 2, 28), "29 years 2 months"),
        ((2019, 6, 3), (2019, 11, 7), "5 months"),
        ((2018, 1, 15), (2019, 1, 14), "1 year"),
        ((2019, 1, 31), (2019, 2, 27), "28 days"),
        ((2019, 1, 1), (2019, 1, 1), "1 day"),
    ],
)
def test_spans_read_in_years_and_months(
    first: tuple[int, int, int], last: tuple[int, int, int], text: str
) -> None:
    from datetime import date

    from components.view import span_text

    assert span_text(date(*first), date(*last)) == text


def test_overview_figures_say_stories_and_define_themselves() -> None:
    at = open_page("overview")
    figures = {m.label: m for m in at.metric}
    assert figures["Stories"].value == "20"
    assert figures["Date span"].value == "5 months"
    for metric in at.metric:
        assert metric.help and metric.label.lower() not in metric.help.lower().split(".")[0][:20]
