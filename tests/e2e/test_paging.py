"""Tables a page at a time, in a real browser: the reader's table holds one page of the selection, says
which stories it shows, and its page picker (or a story link) reaches the last ones.

A server of its own reads 250 generated pages of one story each (246 stories: three reader pages).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from core.storing.collection import Collection

from .conftest import Server, assert_healthy, expect, open_view, serving, settle
from .test_browser import main_text, table_rows

pytestmark = pytest.mark.e2e

PAGE = 100  # dashboard/views/reader.py PAGE_ROWS


@pytest.fixture(scope="module")
def many_server(
    tmp_path_factory: pytest.TempPathFactory, browser_context: Any, many_pages: Path
) -> Iterator[Server]:
    yield from serving(tmp_path_factory.mktemp("many-server"), browser_context, many_pages)


@pytest.fixture(scope="module")
def many_ids(many_collection: Collection) -> list[str]:
    """Every story id in the reader's order (no filters: the frame's order)."""
    return many_collection.articles["article_id"].astype(str).tolist()


def reader_table(tab: Any) -> Any:
    table = tab.locator('[data-testid="stMain"] [data-testid="stDataFrame"]')
    expect(table).to_have_count(1)
    return table


def test_reader_table_holds_one_page_and_the_picker_reaches_the_rest(
    page: Any, many_server: Server, many_ids: list[str]
) -> None:
    total = len(many_ids)
    assert total > 2 * PAGE
    open_view(page, many_server, "/reader")
    assert f"Showing stories 1–{PAGE} of {total} ({PAGE} a page)" in main_text(page)
    table = reader_table(page)
    expect(table.locator("table[role=grid]")).to_have_attribute("aria-rowcount", str(PAGE + 1))
    assert table_rows(table) == PAGE
    step_up = page.locator('[data-testid="stNumberInputStepUp"]')
    for first, last in ((PAGE + 1, 2 * PAGE), (2 * PAGE + 1, total)):
        step_up.click()
        page.get_by_text(f"Showing stories {first}–{last} of {total}").wait_for(timeout=15_000)
        settle(page)
        grid = reader_table(page).locator("table[role=grid]")
        expect(grid).to_have_attribute("aria-rowcount", str(last - first + 2))
    assert_healthy(page)


def test_story_link_opens_the_table_at_its_page(page: Any, many_server: Server, many_ids: list[str]) -> None:
    total = len(many_ids)
    open_view(page, many_server, f"/reader?article={many_ids[230]}")
    text = main_text(page)
    assert f"Showing stories {2 * PAGE + 1}–{total} of {total}" in text
    assert f"Story 231 of {total} in the selection" in text
    grid = reader_table(page).locator("table[role=grid]")
    expect(grid).to_have_attribute("aria-rowcount", str(total - 2 * PAGE + 1))
    assert_healthy(page)


def page_param(tab: Any) -> list[str]:
    return parse_qs(urlparse(tab.url).query).get("reader_page", [])


def test_reader_page_is_in_the_url_and_back_and_forward_turn_it(
    page: Any, many_server: Server, many_ids: list[str]
) -> None:
    total = len(many_ids)
    open_view(page, many_server, "/reader?reader_page=2")
    assert f"Showing stories {PAGE + 1}–{2 * PAGE} of {total}" in main_text(page)
    page.locator('[data-testid="stNumberInputStepUp"]').click()
    page.wait_for_function("() => location.search.includes('reader_page=3')", timeout=15_000)
    page.get_by_text(f"Showing stories {2 * PAGE + 1}–{total} of {total}").wait_for(timeout=15_000)
    settle(page)
    page.go_back()
    page.get_by_text(f"Showing stories {PAGE + 1}–{2 * PAGE} of {total}").wait_for(timeout=15_000)
    settle(page)
    assert page_param(page) == ["2"]
    page.go_forward()
    page.get_by_text(f"Showing stories {2 * PAGE + 1}–{total} of {total}").wait_for(timeout=15_000)
    settle(page)
    assert page_param(page) == ["3"]
    assert_healthy(page)


def test_a_story_link_wins_over_the_page_in_it(page: Any, many_server: Server, many_ids: list[str]) -> None:
    """``article`` names the story: the table opens at the page that holds it, not the link's page."""
    total = len(many_ids)
    open_view(page, many_server, f"/reader?reader_page=1&article={many_ids[230]}")
    assert f"Showing stories {2 * PAGE + 1}–{total} of {total}" in main_text(page)
    page.wait_for_function("() => location.search.includes('reader_page=3')", timeout=15_000)
    assert f"Story 231 of {total} in the selection" in main_text(page)
    assert_healthy(page)


def test_a_phone_lists_the_page_a_part_at_a_time(page: Any, many_server: Server, many_ids: list[str]) -> None:
    """On a phone the Reader lists 25 of the page's 100 stories at a time: the part is chosen above the
    list and kept in the URL, and a tap in it opens that story."""
    page.set_viewport_size({"width": 390, "height": 844})
    open_view(page, many_server, "/reader")
    stories = page.locator(".st-key-reader_cards [data-testid='stRadioGroup'] > div")
    assert stories.count() == 25
    page.locator(".st-key-list_part").get_by_text("26–50", exact=True).click()
    page.wait_for_function("() => location.search.includes('list_part=2')", timeout=15_000)
    settle(page)
    assert page.get_by_text("Stories 26–50 of this page").is_visible()
    stories.nth(4).locator("[data-testid='stRadioOption']").click()  # the 30th story of the page
    page.wait_for_function(f"() => location.search.includes('article={many_ids[29]}')", timeout=15_000)
    settle(page)
    assert page.get_by_text("Reading · ").first.is_visible()
    assert "list_part=2" in page.url
    assert_healthy(page)
