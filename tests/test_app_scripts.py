"""The page-wide browser scripts (``dashboard/components/scripts.py``) through AppTest: the Enter handler
of the date inputs is on every page, the sidebar is asked to close (on a phone) once per filter change
and only then, and nothing from a link goes into a script. What the scripts do in a browser is tested in
``tests/e2e`` (test_url_state.py, test_phone.py)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from test_dashboard_apptest import (  # noqa: F401 - dashboard_env is an autouse fixture
    PAGES,
    clear_button,
    dashboard_env,
    open_page,
    shown_count,
)


def html_bodies(at: object) -> list[str]:
    return [str(h.proto.body) for h in at.get("html")]  # type: ignore[attr-defined]


def close_requests(at: object) -> list[int]:
    """The run counters of the sidebar-closing scripts drawn in this run."""
    return [int(n) for n in re.findall(r'data-close-run="(\d+)"', " ".join(html_bodies(at)))]


@pytest.mark.parametrize("page", PAGES)
def test_dates_apply_on_enter_on_every_page(page: str) -> None:
    at = open_page(page)
    assert sum("caixinDatesOnEnter" in body for body in html_bodies(at)) == 1


def test_the_sidebar_is_asked_to_close_once_per_filter_change() -> None:
    at = open_page("overview")
    assert close_requests(at) == []  # a link opened: nothing was chosen
    at.multiselect(key="theme").set_value(["huawei"]).run()
    assert shown_count(at) == 5
    first = close_requests(at)
    assert len(first) == 1
    at.run()  # a rerun that changes no filter
    assert close_requests(at) == []
    at.date_input(key="from").set_value(date(2019, 9, 1)).run()
    assert close_requests(at) == [first[0] + 1]
    at.switch_page("views/timeline.py").run()  # another page, the same filters
    assert close_requests(at) == []
    clear_button(at).click().run()
    assert close_requests(at) == [first[0] + 2]
    assert shown_count(at) == 20


def test_nothing_from_a_link_goes_into_a_script() -> None:
    hostile = "</script><script>alert(1)</script>"
    at = open_page("reader", {"q": hostile, "theme": hostile})
    at.text_input(key="q").input(hostile + " again").run()
    assert close_requests(at)
    scripts = [body for body in html_bodies(at) if "<script>" in body]
    assert scripts
    assert not any("alert(1)" in body for body in scripts)
