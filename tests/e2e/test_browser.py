"""The dashboard in a real browser: shared links, clicks that open stories, navigation that keeps the
filters, the share link, the search box, and a screenshot of every page (``test-artifacts/``).

One server on the shipped sample (20 stories) serves the whole module; each test gets a fresh tab.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from core.storing.collection import Filters, select

from .conftest import (
    Server,
    assert_healthy,
    expect,
    open_view,
    screenshot,
    settle,
    shown_count,
    title_gap,
    wait_for_count,
)

pytestmark = pytest.mark.e2e

ROW_HEIGHT = (
    35  # px: Streamlit's dataframe rows and header row; the grid is a canvas, so rows are found by position
)


def url_params(tab: Any) -> dict[str, list[str]]:
    return parse_qs(urlparse(tab.url).query)


def url_path(tab: Any) -> str:
    return urlparse(tab.url).path


def main_text(tab: Any) -> str:
    return str(tab.inner_text('[data-testid="stMain"]'))


def table_rows(table: Any) -> int:
    """Data rows of an ``st.dataframe``, from the accessible grid the canvas keeps beside it."""
    return int(table.locator("table[role=grid]").get_attribute("aria-rowcount")) - 1


def click_row_checkbox(tab: Any, table: Any, row: int) -> None:
    """Tick the selection checkbox of data row ``row`` (0-based): the row-marker column is the first
    column of the canvas grid, one header row above the data."""
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    tab.mouse.click(box["x"] + 15, box["y"] + ROW_HEIGHT * (row + 1) + ROW_HEIGHT / 2)


def wait_for_drawn(tab: Any) -> None:
    """Every Vega-Lite chart has drawn (an svg or canvas inside it) and every visible table its rows."""
    tab.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                   .every(chart => chart.querySelector('svg, canvas'))
              && [...document.querySelectorAll('[data-testid="stDataFrame"]')]
                   .filter(table => table.getBoundingClientRect().height > 0
                                    && !table.closest('details:not([open])'))
                   .every(table => {
                       const grid = table.querySelector('table[role=grid]');
                       return grid && (grid.querySelector('tbody tr')
                                       || grid.getAttribute('aria-rowcount') === '1');
                   })""",
        timeout=30_000,
    )


def story_id(sample: Any, authors: tuple[str, ...]) -> str:
    frame = sample.articles
    (found,) = [
        str(i) for i, a in zip(frame["article_id"], frame["authors"], strict=True) if tuple(a) == authors
    ]
    return found


def lead(sample: Any, article_id: str, chars: int = 60) -> str:
    """The opening words of a story's body, as the reading pane shows them."""
    frame = sample.articles
    body = str(frame.loc[frame["article_id"] == article_id, "body"].iloc[0])
    return body[:chars]


# ------------------------------------------------------------------------------------------ shared links


def test_theme_link_on_the_reader_lists_its_five_stories(page: Any, server: Server) -> None:
    open_view(page, server, "/reader?theme=huawei")
    assert "5 stories" in main_text(page)
    assert shown_count(page) == 5
    table = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]')
    expect(table).to_have_count(1)
    expect(table.locator("table[role=grid] tbody tr")).to_have_count(5)
    assert table_rows(table) == 5
    assert "Select a story to read it." in main_text(page)
    assert_healthy(page)


def test_quoted_phrase_link_counts_two(page: Any, server: Server) -> None:
    open_view(page, server, "/?q=%22trade%20war%22")
    assert "2 stories" in main_text(page)
    search = page.locator('[data-testid="stSidebar"] input[aria-label="Search"]')
    assert search.input_value() == '"trade war"'
    assert_healthy(page)


def test_reporters_page_keeps_agencies_apart(page: Any, server: Server) -> None:
    open_view(page, server, "/reporters")
    staff = page.locator('[data-testid="stColumn"]').filter(has_text="Staff reporters")
    agencies = page.locator('[data-testid="stColumn"]').filter(has_text="Agencies and unsigned")
    staff_grid = staff.locator('[data-testid="stDataFrame"] table[role=grid]')
    agency_grid = agencies.locator('[data-testid="stDataFrame"] table[role=grid]')
    expect(agency_grid).to_contain_text("Bloomberg")  # the grids fill in after the run has finished
    expect(agency_grid).to_contain_text("Unsigned")
    expect(staff_grid).to_contain_text("Matthew Walsh")
    # the grid draws only the rows in view; the AppTest checks the whole staff table
    assert "Bloomberg" not in staff_grid.text_content()
    assert "Unsigned" not in staff_grid.text_content()
    assert_healthy(page)


def test_article_link_opens_the_reading_pane(page: Any, server: Server, sample: Any) -> None:
    dave_yin = story_id(sample, ("Dave Yin",))
    open_view(page, server, f"/reader?article={dave_yin}")
    text = main_text(page)
    assert lead(sample, dave_yin) in text
    assert "Headline inferred from the lead" in text
    assert "Dave Yin" in text
    assert_healthy(page)


# ------------------------------------------------------------------------------------------ clicks


def test_clicking_a_row_checkbox_opens_that_story(page: Any, server: Server, sample: Any) -> None:
    selected = sample.articles[select(sample, Filters(themes=("huawei",)))]
    second = str(selected["article_id"].iloc[1])  # the table lists the selection newest first
    open_view(page, server, "/reader?theme=huawei")
    table = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first
    expect(table.locator("table[role=grid] tbody tr")).to_have_count(5)  # the grid has drawn its rows
    click_row_checkbox(page, table, 1)
    page.wait_for_url(lambda url: "article=" in url, timeout=15_000)
    settle(page)
    assert url_params(page)["article"] == [second]
    assert url_params(page)["theme"] == ["huawei"]
    text = main_text(page)
    assert "Story 2 of 5 in the selection" in text
    assert lead(sample, second) in text
    assert_healthy(page)


def test_related_link_opens_the_story_it_names(page: Any, server: Server, sample: Any) -> None:
    links = [
        (str(source), headline, target)
        for source in sample.articles["article_id"]
        for headline, target in sample.related_targets(str(source)).items()
    ]
    matched = [link for link in links if link[2]]
    if not matched:  # no Related headline is in the collection: the reader must say so
        source, headline, _ = links[0]
        open_view(page, server, f"/reader?article={source}")
        assert "not in collection" in main_text(page)
        return
    source, headline, target = matched[0]
    open_view(page, server, f"/reader?article={source}")
    row = page.locator('[data-testid="stMain"] [data-testid="stHorizontalBlock"]').filter(has_text=headline)
    row.get_by_role("button", name="Open", exact=True).click()
    page.wait_for_url(lambda url: f"article={target}" in url, timeout=15_000)
    settle(page)
    assert lead(sample, target) in main_text(page)
    assert_healthy(page)


def test_navigation_keeps_the_filters(page: Any, server: Server) -> None:
    open_view(page, server, "/?theme=huawei")
    assert shown_count(page) == 5
    for title, path in (("Timeline", "/timeline"), ("Reporters", "/reporters"), ("Overview", "/")):
        page.get_by_test_id("stSidebar").get_by_role("link", name=title, exact=True).click()
        page.wait_for_url(lambda url, path=path: urlparse(url).path == path, timeout=15_000)
        wait_for_count(page, 5)
        assert url_params(page) == {"theme": ["huawei"]}, page.url
        assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip()
    assert_healthy(page)


def test_share_popover_links_to_the_current_view(page: Any, server: Server) -> None:
    open_view(page, server, "/timeline?theme=huawei&q=tariff*")
    page.get_by_role("button", name="Share this view").click()
    code = page.locator('[data-testid="stPopoverBody"] code')
    code.wait_for()
    link = code.text_content().strip()
    parsed = urlparse(link)
    assert link.startswith(server.url)
    assert parsed.path == "/timeline"
    assert parse_qs(parsed.query) == {"q": ["tariff*"], "theme": ["huawei"]}
    assert_healthy(page)


def test_typing_a_search_updates_the_url(page: Any, server: Server) -> None:
    open_view(page, server, "/")
    assert shown_count(page) == 20
    search = page.locator('[data-testid="stSidebar"] input[aria-label="Search"]')
    search.fill("tariff*")
    search.press("Enter")
    page.wait_for_url(lambda url: "q=" in url, timeout=15_000)
    wait_for_count(page, 2)
    assert url_params(page) == {"q": ["tariff*"]}
    assert_healthy(page)


def test_clear_filters_empties_the_url(page: Any, server: Server) -> None:
    open_view(page, server, "/themes?theme=huawei&kind=agency")
    assert shown_count(page) == 2
    page.get_by_role("button", name="Clear filters").click()
    wait_for_count(page, 20)
    page.wait_for_url(lambda url: not urlparse(url).query, timeout=15_000)
    assert url_path(page) == "/themes"
    assert_healthy(page)


# ------------------------------------------------------------------------------------------ every page


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("overview", "/"),
        ("timeline", "/timeline"),
        ("reporters", "/reporters"),
        ("themes", "/themes"),
        ("reader", "/reader?theme=huawei&article={dave_yin}"),
        ("data", "/data"),
    ],
)
def test_every_page_renders_without_errors(
    page: Any, server: Server, sample: Any, name: str, path: str
) -> None:
    open_view(page, server, path.format(dave_yin=story_id(sample, ("Dave Yin",))))
    wait_for_drawn(page)
    page.wait_for_timeout(500)  # chart transitions
    assert_healthy(page)
    assert page.locator('[data-testid="stMain"] h1').count() == 1
    screenshot(page, name, docs=name != "data")


@pytest.mark.parametrize(
    "path",
    ["/", "/timeline", "/reporters", "/themes", "/reader?theme=huawei", "/data", "/?q=%22no+such+phrase%22"],
)
def test_the_page_title_is_at_the_top(page: Any, server: Server, path: str) -> None:
    """The page scripts (the "Updating…" sign, the Enter handler of the dates) take no room: no empty
    row of 16 px above the title."""
    open_view(page, server, path)
    assert abs(title_gap(page)) < 2, title_gap(page)
    assert page.locator("#caixin-updating").count() == 1  # the sign is still there
