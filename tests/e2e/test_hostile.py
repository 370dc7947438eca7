"""Hostile story text in a real browser: HTML, Markdown, LaTeX and Streamlit markup in bodies, captions
and Related lines must show as the raw text it is and never act (no script, no dialog, no image, no
request to the address it names).

A second server reads ``bench.corpus.generate_hostile_page()`` beside the shipped sample. Links in the
URL are hostile input too: a shared link's values must not render as Markdown either.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import pytest

from bench.corpus import _HOSTILE as HOSTILE_STRINGS  # the injected strings, defined once beside the page
from bench.corpus import generate_hostile_page
from core.storing.collection import Collection, open_collection

from .conftest import (
    ROOT,
    Server,
    assert_healthy,
    open_expander,
    open_view,
    serving,
    settle,
    shown_count,
    wait_for_count,
)

pytestmark = pytest.mark.e2e

TRAP_HOST, TRAP_PORT = "127.0.0.1", 9  # the address the Markdown image names: nothing may ask for it
HOSTILE_STORIES = len(HOSTILE_STRINGS) + 1  # one story per string, one with all of them


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-data")
    (folder / "hostile.txt").write_text(generate_hostile_page(), encoding="utf-8")
    for page in (ROOT / "data" / "pages").glob("*.txt"):
        (folder / page.name).write_bytes(page.read_bytes())
    return folder


@pytest.fixture(scope="module")
def hostile_server(
    tmp_path_factory: pytest.TempPathFactory, browser_context: Any, hostile_data: Path
) -> Iterator[Server]:
    yield from serving(tmp_path_factory.mktemp("hostile-server"), browser_context, hostile_data)


@pytest.fixture(scope="module")
def hostile_collection(tmp_path_factory: pytest.TempPathFactory, hostile_data: Path) -> Collection:
    return open_collection([hostile_data], cache_dir=tmp_path_factory.mktemp("hostile-cache"))


@pytest.fixture(scope="module")
def hostile_stories(hostile_collection: Collection) -> list[dict[str, Any]]:
    """The stories that carry injected text, newest first, each with the strings it carries."""
    stories = []
    for row in hostile_collection.articles.to_dict("records"):
        text = " ".join([str(row["body"]), str(row["photo_caption"] or ""), *row["related"]])
        carried = [s for s in HOSTILE_STRINGS if s in text]
        if carried:
            stories.append({"id": str(row["article_id"]), "strings": carried})
    if len(stories) != HOSTILE_STORIES:
        page = next(p for p in hostile_collection.corpus.report.pages if Path(p.source).name == "hostile.txt")
        pytest.fail(
            f"the hostile page gave {len(stories)} stories with injected text, not {HOSTILE_STORIES}: "
            f"read as {page.shape!r} ({page.shape_reason}), {page.stories} stories"
        )
    return stories


def trap_requests(tab: Any) -> list[str]:
    return [
        url for url in tab.requests if urlparse(url).hostname == TRAP_HOST and urlparse(url).port == TRAP_PORT
    ]


def injected_scripts(tab: Any) -> list[str]:
    return list(
        tab.eval_on_selector_all(
            "script", "els => els.map(e => e.textContent).filter(t => t.includes('alert('))"
        )
    )


def injected_images(tab: Any) -> list[str]:
    """``img`` elements whose source came from text: ``x`` (the onerror bait) or the trap address."""
    sources = tab.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('src') || '')")
    return [s for s in sources if s == "x" or s.endswith("/x") or f"{TRAP_HOST}:{TRAP_PORT}/" in s]


def injected_links(tab: Any) -> list[str]:
    hrefs = tab.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href') || '')")
    return [h for h in hrefs if h.lower().startswith("javascript:") or f"{TRAP_HOST}:{TRAP_PORT}/" in h]


def assert_inert(tab: Any) -> None:
    """Nothing from the hostile text acted: no script, dialog, image, link or request it asked for."""
    tab.wait_for_timeout(300)  # give an injected image or onerror handler the chance to fire
    assert injected_scripts(tab) == []
    assert tab.dialogs == []
    assert trap_requests(tab) == []
    assert injected_images(tab) == []
    assert injected_links(tab) == []
    assert_healthy(tab)


def test_hostile_stories_read_as_plain_text(
    page: Any, hostile_server: Server, hostile_stories: list[dict[str, Any]]
) -> None:
    """Open the newest hostile story by its link, then walk the others with "Older →" (the hostile page
    is the only one dated 2021, so the date filter selects exactly its stories, newest first)."""
    open_view(page, hostile_server, f"/reader?from=2021-01-01&article={hostile_stories[0]['id']}")
    assert shown_count(page) == HOSTILE_STORIES
    for number, story in enumerate(hostile_stories):
        if number:
            page.get_by_role("button", name="Older →").click()
            page.wait_for_url(lambda url, wanted=story["id"]: f"article={wanted}" in url, timeout=15_000)
            settle(page)
        assert_inert(page)
        text = page.inner_text('[data-testid="stMain"]')
        assert f"Story {number + 1} of {HOSTILE_STORIES} in the selection" in text
        for raw in story["strings"]:
            # in the body, the photo caption and the Related lines; each must show as written
            assert text.count(raw) >= 3, f"story {number}: {raw!r} is not shown as text"


def test_highlighting_a_hostile_story_keeps_it_text(
    page: Any, hostile_server: Server, hostile_stories: list[dict[str, Any]]
) -> None:
    """Query and theme highlights cut the text into pieces: each piece must still be escaped."""
    everything = next(s for s in hostile_stories if len(s["strings"]) == len(HOSTILE_STRINGS))
    query = quote("alert OR onerror OR script OR img OR frac OR red OR png")
    open_view(page, hostile_server, f"/reader?article={everything['id']}&q={query}")
    assert_inert(page)
    assert page.locator('[data-testid="stMain"] mark').count() > 0
    text = page.inner_text('[data-testid="stMain"]')
    for raw in HOSTILE_STRINGS:
        assert raw in text


def test_hostile_raw_lines_show_as_text(
    page: Any, hostile_server: Server, hostile_stories: list[dict[str, Any]]
) -> None:
    everything = next(s for s in hostile_stories if len(s["strings"]) == len(HOSTILE_STRINGS))
    open_view(page, hostile_server, f"/reader?article={everything['id']}")
    open_expander(page.get_by_test_id("stExpander").filter(has_text="Source lines"))
    page.get_by_text("Show the raw lines").first.click()
    page.locator('[data-testid="stMain"] [data-testid="stCode"]').first.wait_for()
    assert_inert(page)
    code = page.locator('[data-testid="stMain"] [data-testid="stCode"]').first.text_content()
    assert "<img src=x onerror=alert(1)>" in code


def test_pages_over_hostile_stories_stay_inert(page: Any, hostile_server: Server) -> None:
    """Every page over the hostile stories alone: charts, tooltips' data, tables and term lists."""
    open_view(page, hostile_server, "/?from=2021-01-01")
    assert shown_count(page) == HOSTILE_STORIES
    assert_inert(page)
    for title, path in [("Themes", "/themes"), ("Timeline", "/timeline"), ("Reporters", "/reporters"),
                        ("Reader", "/reader"), ("Data", "/data")]:  # fmt: skip
        page.get_by_test_id("stSidebar").get_by_role("link", name=title, exact=True).click()
        page.wait_for_url(lambda url, path=path: urlparse(url).path == path, timeout=15_000)
        wait_for_count(page, HOSTILE_STORIES)
        assert_inert(page)


# ------------------------------------------------------------------------------------------ hostile links

LINK_MARKDOWN = "![x](http://127.0.0.1:9/t.png)"


@pytest.mark.parametrize(
    "path",
    [
        f"/?theme={quote(LINK_MARKDOWN)}",
        f"/?from={quote(LINK_MARKDOWN)}",
        f"/reader?article={quote(LINK_MARKDOWN)}",
    ],
    ids=["theme", "from", "article"],
)
def test_link_values_are_shown_as_text_not_markdown(page: Any, server: Server, path: str) -> None:
    open_view(page, server, path)
    assert LINK_MARKDOWN in page.inner_text('[data-testid="stMain"]')
    assert_inert(page)
