"""Every view is a URL: a shared link opened in a fresh browser shows the same page, controls and counts;
the browser's Back and Forward restore the view before; a page switch keeps the filters in one history
entry; and the honest timeline (lines for overlapping themes, a coarser period past 1,500 bars, years on
the axis).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import Server, assert_healthy, context_tab, open_view, settle, shown_count, wait_for_count

pytestmark = pytest.mark.e2e


def params(tab: Any) -> dict[str, list[str]]:
    return parse_qs(urlparse(tab.url).query)


def checked(tab: Any, group: str) -> str:
    """The option checked in the segmented control labelled ``group``."""
    control = tab.get_by_role("radiogroup", name=group)
    return str(control.locator('[role="radio"][aria-checked="true"]').inner_text()).strip()


def wait_for_query(tab: Any, expected: dict[str, list[str]], timeout: float = 30_000) -> None:
    """Wait until the URL's parameters are ``expected`` (after a click, Back or Forward), then settle."""
    tab.wait_for_function(
        """(expected) => {
            const got = {};
            for (const [k, v] of new URLSearchParams(location.search)) (got[k] = got[k] || []).push(v);
            return JSON.stringify(Object.keys(got).sort().map(k => [k, got[k]]))
                === JSON.stringify(Object.keys(expected).sort().map(k => [k, expected[k]]));
        }""",
        arg=expected,
        timeout=timeout,
    )
    settle(tab)


@pytest.fixture()
def fresh(browser: Any) -> Iterator[Any]:
    """A tab in a new browser context: no cookies, cache or history shared with the other tests, like a
    colleague opening a link."""
    yield from context_tab(browser, viewport={"width": 1400, "height": 1000})


@pytest.mark.parametrize(
    ("path", "count", "controls"),
    [
        (
            "/timeline?theme=huawei&period=month&split=theme&show=share",
            5,
            {"Period": "Month", "Split by": "Theme", "Show": "Share of the period's stories"},
        ),
        (
            "/timeline?period=day&split=section",
            20,
            {"Period": "Day", "Split by": "Section", "Show": "Counts"},
        ),
        ("/timeline?split=agency&show=share&kind=agency", 3, {"Split by": "Agency"}),
    ],
)
def test_a_shared_timeline_link_opens_the_same_view(
    fresh: Any, server: Server, path: str, count: int, controls: dict[str, str]
) -> None:
    open_view(fresh, server, path)
    assert shown_count(fresh) == count
    for group, option in controls.items():
        assert checked(fresh, group) == option
    assert params(fresh) == parse_qs(urlparse(path).query)  # the link is kept as it was
    assert_healthy(fresh)


def test_a_shared_reporter_link_opens_the_same_reporter(fresh: Any, server: Server) -> None:
    open_view(fresh, server, "/reporters?who=Bloomberg")
    picker = fresh.get_by_test_id("stSelectbox").filter(has_text="Reporter or agency")
    assert "Bloomberg" in picker.inner_html()
    assert "Stories by Bloomberg per" in fresh.inner_text('[data-testid="stMain"]')
    assert params(fresh) == {"who": ["Bloomberg"]}


def test_back_and_forward_restore_the_timeline_controls(page: Any, server: Server) -> None:
    open_view(page, server, "/timeline?theme=huawei")
    page.get_by_role("radio", name="Month").click()
    wait_for_query(page, {"theme": ["huawei"], "period": ["month"]})
    page.get_by_role("radio", name="Theme").click()
    wait_for_query(page, {"theme": ["huawei"], "period": ["month"], "split": ["theme"]})
    assert "One line per theme" in page.inner_text('[data-testid="stMain"]')

    page.go_back()
    wait_for_query(page, {"theme": ["huawei"], "period": ["month"]})
    assert checked(page, "Split by") == "None" and checked(page, "Period") == "Month"
    page.go_back()
    wait_for_query(page, {"theme": ["huawei"]})
    assert checked(page, "Period") == "Week"
    page.go_forward()
    wait_for_query(page, {"theme": ["huawei"], "period": ["month"]})
    assert checked(page, "Period") == "Month"
    assert shown_count(page) == 5
    assert_healthy(page)


def test_back_undoes_a_filter_change(page: Any, server: Server) -> None:
    open_view(page, server, "/")
    assert shown_count(page) == 20
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stMultiSelect").filter(has_text="Themes").click()
    page.get_by_role("option", name="Huawei (5)").click()
    page.keyboard.press("Escape")
    wait_for_count(page, 5)
    assert params(page) == {"theme": ["huawei"]}

    page.go_back()
    wait_for_count(page, 20)
    assert params(page) == {}
    assert "Huawei" not in sidebar.get_by_test_id("stMultiSelect").filter(has_text="Themes").inner_text()
    page.go_forward()
    wait_for_count(page, 5)
    assert params(page) == {"theme": ["huawei"]}


def test_a_page_switch_keeps_the_filters_and_back_returns_to_the_page_as_it_was(
    page: Any, server: Server
) -> None:
    open_view(page, server, "/timeline?theme=huawei&period=month")
    length = page.evaluate("history.length")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Reader").click()
    page.wait_for_url("**/reader?theme=huawei&period=month")  # the timeline's settings wait in the URL
    settle(page)
    assert shown_count(page) == 5
    assert page.evaluate("history.length") == length + 1  # one entry, not a second one for the URL

    page.go_back()
    wait_for_query(page, {"theme": ["huawei"], "period": ["month"]})
    assert urlparse(page.url).path == "/timeline"
    assert checked(page, "Period") == "Month"


def test_back_restores_the_reporter_picked_for_output_over_time(page: Any, server: Server) -> None:
    open_view(page, server, "/reporters")
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Reporter or agency")
    picker.click()
    page.get_by_role("option", name="Bloomberg").click()
    wait_for_query(page, {"who": ["Bloomberg"]})
    assert "Stories by Bloomberg per" in page.inner_text('[data-testid="stMain"]')
    page.go_back()
    wait_for_query(page, {})
    assert "Stories by Bloomberg per" not in page.inner_text('[data-testid="stMain"]')


def test_the_share_link_names_the_page_controls(page: Any, server: Server) -> None:
    open_view(page, server, "/timeline?theme=huawei")
    page.get_by_role("radio", name="Month").click()
    wait_for_query(page, {"theme": ["huawei"], "period": ["month"]})
    page.get_by_test_id("stSidebar").get_by_role("button", name="Share this view").click()
    link = page.get_by_test_id("stCode").inner_text()
    assert urlparse(link.strip()).path == "/timeline"
    assert parse_qs(urlparse(link.strip()).query) == {"theme": ["huawei"], "period": ["month"]}


def test_a_link_value_the_control_cannot_take_is_dropped_with_a_note(fresh: Any, server: Server) -> None:
    open_view(fresh, server, "/timeline?period=fortnight&split=theme")
    assert "Ignored period=fortnight in the link" in fresh.inner_text('[data-testid="stMain"]')
    assert checked(fresh, "Period") == "Week"
    assert params(fresh) == {"split": ["theme"]}


def test_theme_split_draws_the_filtered_themes_as_lines(page: Any, server: Server) -> None:
    open_view(page, server, "/timeline?split=theme&theme=huawei&theme=trade-war&show=share")
    text = page.inner_text('[data-testid="stMain"]')
    assert "One line per theme (the filtered themes)" in text
    assert "shares add up to more than 100%" in text
    page.get_by_text("Figures").click()
    page.wait_for_timeout(500)
    table = page.get_by_test_id("stDataFrame").last
    rows = int(table.locator("table[role=grid]").get_attribute("aria-rowcount")) - 1
    weeks = 23  # 3 Jun 2019 to 4 Nov 2019, two themes each
    assert rows == 2 * weeks


def test_themes_tab_is_in_the_url_and_back_returns_to_it(page: Any, fresh: Any, server: Server) -> None:
    """Only the open tab of the Themes page is drawn; the tab is a URL parameter and a history entry."""
    open_view(page, server, "/themes?theme=huawei")
    main = page.locator('[data-testid="stMain"]')
    assert page.get_by_role("tab", name="Overlap").get_attribute("aria-selected") == "true"
    assert "Compare two themes or queries" not in main.inner_text()
    page.get_by_role("tab", name="Compare").click()
    wait_for_query(page, {"theme": ["huawei"], "part": ["compare"]})
    assert "Compare two themes or queries" in main.inner_text()
    page.get_by_role("tab", name="Names").click()
    wait_for_query(page, {"theme": ["huawei"], "part": ["names"]})
    assert "Places, organisations and people named" in main.inner_text()

    page.go_back()
    wait_for_query(page, {"theme": ["huawei"], "part": ["compare"]})
    assert page.get_by_role("tab", name="Compare").get_attribute("aria-selected") == "true"
    assert "Compare two themes or queries" in main.inner_text()
    page.go_back()
    wait_for_query(page, {"theme": ["huawei"]})
    assert page.get_by_role("tab", name="Overlap").get_attribute("aria-selected") == "true"
    assert_healthy(page)

    open_view(fresh, server, "/themes?theme=huawei&part=evidence")  # a shared link opens the tab
    assert fresh.get_by_role("tab", name="Evidence").get_attribute("aria-selected") == "true"
    assert "Definitions and evidence" in fresh.inner_text('[data-testid="stMain"]')
    assert_healthy(fresh)


@pytest.mark.parametrize(
    ("field", "typed", "param", "count"),
    [("From", "20190901", "from", 11), ("To", "20190831", "to", 9)],
)
def test_a_typed_date_applies_on_enter_and_back_undoes_it(
    page: Any, server: Server, field: str, typed: str, param: str, count: int
) -> None:
    """A date typed into From or To applies on Enter (not only when the field is left): the page shows
    the new selection, the URL has it, and Back returns to the view before."""
    open_view(page, server, "/timeline")
    assert shown_count(page) == 20
    page.get_by_role("spinbutton", name=f"year, {field}").click()
    page.keyboard.type(typed)  # the field moves on from year to month to day by itself
    page.keyboard.press("Enter")
    expected = f"{typed[:4]}-{typed[4:6]}-{typed[6:]}"
    wait_for_query(page, {param: [expected]})
    assert shown_count(page) == count
    sidebar = page.get_by_test_id("stSidebar")
    assert sidebar.get_by_role("spinbutton", name=f"day, {field}").inner_text() == typed[6:]
    assert page.get_by_test_id("stDateInputCalendar").count() == 0  # Enter closed the calendar
    chip = "From" if param == "from" else "To"
    assert page.get_by_test_id("stMain").get_by_role("button", name=f"{chip} ").count() == 1

    page.go_back()
    wait_for_query(page, {})
    assert shown_count(page) == 20
    assert sidebar.get_by_role("spinbutton", name=f"year, {field}").inner_text() != typed[:4]
    page.go_forward()
    wait_for_query(page, {param: [expected]})
    assert shown_count(page) == count
    assert_healthy(page)
