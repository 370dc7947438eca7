"""A 390 x 844 phone: the filters in force as removable chips above the page, a labelled Filters button
for the sidebar, the four figures two by two, counts beside the filter options; axe-core on each state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import Server, assert_healthy, context_tab, open_view, screenshot, wait_for_count

pytestmark = pytest.mark.e2e


@pytest.fixture()
def phone(browser: Any) -> Iterator[Any]:
    yield from context_tab(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


def test_active_filters_are_chips_that_remove_themselves(phone: Any, server: Server) -> None:
    open_view(phone, server, "/timeline?theme=huawei&kind=agency")
    main = phone.get_by_test_id("stMain")
    chip = main.get_by_role("button", name="Theme: Huawei")
    assert chip.is_visible()
    assert main.get_by_role("button", name="Byline: Wire agency").is_visible()
    chip.click()
    wait_for_count(phone, 3)
    assert parse_qs(urlparse(phone.url).query) == {"kind": ["agency"]}
    assert main.get_by_role("button", name="Theme: Huawei").count() == 0
    assert_healthy(phone)


def test_the_sidebar_button_says_filters_and_opens_them(phone: Any, server: Server) -> None:
    open_view(phone, server, "/")
    button = phone.get_by_test_id("stExpandSidebarButton")
    assert "Filters" in button.evaluate("b => getComputedStyle(b, '::after').content")
    button.click()
    sidebar = phone.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stMultiSelect").filter(has_text="Themes").click()
    assert phone.get_by_role("option", name="Huawei (5)").is_visible()  # counts beside the options


def test_the_four_figures_sit_two_by_two(phone: Any, server: Server) -> None:
    open_view(phone, server, "/")
    boxes = {
        label: phone.get_by_test_id("stMetric").filter(has_text=label).bounding_box()
        for label in ("Stories", "Reporters", "Wire agencies", "Date span")
    }
    assert abs(boxes["Stories"]["y"] - boxes["Reporters"]["y"]) < 5
    assert abs(boxes["Wire agencies"]["y"] - boxes["Date span"]["y"]) < 5
    assert boxes["Wire agencies"]["y"] > boxes["Stories"]["y"] + 20
    assert boxes["Date span"]["y"] < 844  # all four on the first screen


def test_the_reader_lists_stories_as_cards_on_a_phone(phone: Any, page: Any, server: Server) -> None:
    """On a phone the page's stories are cards (headline, date, byline, section), not a cut-off table; a
    tap opens the story. A desktop keeps the table and shows no card."""
    open_view(phone, server, "/reader?theme=huawei")
    cards = phone.locator(".st-key-reader_cards [class*='st-key-story-']")
    assert cards.count() == 5
    assert not phone.locator(".st-key-reader_wide").is_visible()
    first = cards.first
    assert first.is_visible()
    box = first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # the card fits the screen
    assert " · " in first.inner_text()  # date · byline · section
    screenshot(phone, "reader-phone", docs=True)
    headline = first.get_by_role("button").inner_text().strip()
    first.get_by_role("button").click()
    phone.wait_for_function("() => location.search.includes('article=')", timeout=30_000)
    phone.get_by_text("Reading · ").first.wait_for(timeout=30_000)
    wait_for_count(phone, 5)  # settles and runs axe-core on the opened state
    assert headline[:30] in phone.inner_text('[data-testid="stMain"]')
    assert_healthy(phone)

    open_view(page, server, "/reader?theme=huawei")
    assert page.locator(".st-key-reader_wide [data-testid='stDataFrame']").is_visible()
    assert not page.locator(".st-key-reader_cards").is_visible()


def test_a_picked_story_is_scrolled_to_and_focused(phone: Any, server: Server) -> None:
    """Tapping a card opens the story below the list: the window scrolls to it and the keyboard focus
    moves to it (a screen reader continues from the story, not from the list)."""
    open_view(phone, server, "/reader?theme=huawei")
    phone.locator(".st-key-reader_cards [class*='st-key-story-']").nth(3).get_by_role("button").click()
    phone.wait_for_function("() => location.search.includes('article=')", timeout=30_000)
    phone.wait_for_function(
        """() => {
            const story = document.querySelector('.st-key-reader_story');
            if (!story) return false;
            const top = story.getBoundingClientRect().top;
            return top > -5 && top < 120 && document.activeElement === story;
        }""",
        timeout=30_000,
    )
    wait_for_count(phone, 5)  # settled; axe-core on the scrolled state
    assert_healthy(phone)


def test_the_updating_sign_is_a_status_shown_while_a_page_runs(page: Any, server: Server) -> None:
    """ "Updating…" appears in a role=status live region when a run lasts, and goes when it ends. The run
    is simulated with the attribute Streamlit sets on its app element while the script runs (the sample
    reruns too fast to see it)."""
    from .conftest import check_accessibility

    open_view(page, server, "/")
    sign = page.locator("#caixin-updating")
    assert sign.get_attribute("role") == "status" and sign.get_attribute("aria-live") == "polite"
    assert sign.inner_text() == ""
    app = "document.querySelector('[data-testid=\"stApp\"]')"
    page.evaluate(f"() => {app}.setAttribute('data-test-script-state', 'running')")
    page.wait_for_function(
        "() => document.getElementById('caixin-updating').textContent === 'Updating…'", timeout=5_000
    )
    box = sign.bounding_box()
    assert box and box["width"] > 40 and box["y"] < 60  # visible at the top of the window
    check_accessibility(page)
    page.evaluate(f"() => {app}.setAttribute('data-test-script-state', 'notRunning')")
    page.wait_for_function(
        "() => document.getElementById('caixin-updating').textContent === ''", timeout=5_000
    )
