"""Accessibility: axe-core on every page state the browser tests reach (``settle`` runs it; see
conftest.py), plus the states only this file visits, and the keyboard route to what chart clicks do.

axe-core comes from ``tests/e2e/package.json`` (``cd tests/e2e && npm install``; ``.ci/run`` installs it).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from .conftest import AXE_FAILING, Server, axe_available, check_accessibility, open_view, wait_for_count

pytestmark = pytest.mark.e2e


def test_axe_core_is_installed() -> None:
    if not axe_available():
        message = "axe-core is not installed (cd tests/e2e && npm install): the accessibility check is off"
        if os.environ.get("CAIXIN_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/timeline?split=theme&show=share",
        "/timeline?split=section&period=month",
        "/reporters?reporter=Matthew%20Walsh",
        "/themes",
        "/themes?theme=huawei&part=terms",
        "/themes?part=compare&cmp_a=huawei&cmp_b=tariff*",
        "/themes?part=names",
        "/themes?part=evidence&evidence_theme=huawei",
        "/reader?theme=huawei",
        "/data",
        "/?kind=agency&reporter=Matthew%20Walsh",  # no story: the empty states
    ],
)
def test_page_has_no_serious_accessibility_violation(page: Any, server: Server, path: str) -> None:
    if not axe_available():
        pytest.skip("axe-core is not installed")
    open_view(page, server, path)  # settle() runs axe-core and fails on a serious or critical violation
    violations = check_accessibility(page)
    assert all(v["impact"] not in AXE_FAILING for v in violations)


def test_axe_finds_a_violation_it_should(page: Any, server: Server) -> None:
    """The check can fail: an unlabelled image put into the page is reported as serious or critical."""
    if not axe_available():
        pytest.skip("axe-core is not installed")
    open_view(page, server, "/")
    page.evaluate(
        """() => { const img = document.createElement('img'); img.src = 'data:,';
                   document.querySelector('[data-testid="stMain"]').appendChild(img); }"""
    )
    with pytest.raises(AssertionError, match="image-alt"):
        check_accessibility(page)


def test_charts_carry_a_text_alternative(page: Any, server: Server) -> None:
    open_view(page, server, "/timeline?split=theme")
    labels = page.eval_on_selector_all(
        '[data-testid="stMain"] [role="graphics-document"]', "els => els.map(e => e.ariaLabel)"
    )
    assert labels and all(label.startswith("Chart: ") for label in labels), labels
    assert "Stories per week by theme" in labels[0]


def test_the_date_filter_works_from_the_keyboard(page: Any, server: Server) -> None:
    """Drag-to-filter on the timeline has a keyboard route: the sidebar's From date, typed, then Tab past
    the calendar button (Streamlit applies a date when the field loses focus)."""
    open_view(page, server, "/timeline")
    page.get_by_role("spinbutton", name="year, From").focus()
    page.keyboard.type("20190901")  # the field moves on from year to month to day by itself
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    # Streamlit's calendar pop-up can open on the way; its month and year buttons fail axe-core's
    # label-content-name-mismatch (Streamlit's own markup), so it is closed before the page is checked
    page.keyboard.press("Escape")
    page.wait_for_function("() => location.search.includes('from=2019-09-01')", timeout=30_000)
    wait_for_count(page, 11)  # the sample stories from 1 September 2019 on
