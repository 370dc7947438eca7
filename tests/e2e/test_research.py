"""The dashboard as a researcher uses it, in a real browser: the reader sorted across pages, an evidence row
opened in the reader, the ticked row after a related link and Back, a comparison with an empty side, and
exports whose columns and sources are checked in the downloaded file. Each view's link is then opened in
a fresh browser context (no shared session or storage) and must show the same view.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import pyarrow.parquet as pq
import pytest
from related import related_story

from core.analysing.ranking import ranked_positions
from core.storing.collection import Collection

from .conftest import Server, assert_healthy, expect, open_view, serving, settle
from .test_browser import click_row_checkbox, main_text

pytestmark = pytest.mark.e2e

PAGE = 100  # dashboard/views/reader.py PAGE_ROWS
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def many_server(
    tmp_path_factory: pytest.TempPathFactory, browser_context: Any, many_pages: Path
) -> Iterator[Server]:
    """A server of its own on 246 generated stories (three reader pages)."""
    yield from serving(tmp_path_factory.mktemp("research-many"), browser_context, many_pages)


@pytest.fixture()
def fresh(browser: Any) -> Iterator[Any]:
    """A tab in a new browser context: what someone who was sent the link sees."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.page_errors = []
    tab.on("pageerror", lambda error: tab.page_errors.append(str(error)))
    yield tab
    context.close()


def params(tab: Any) -> dict[str, list[str]]:
    return parse_qs(urlparse(tab.url).query)


def open_link(tab: Any, url: str) -> None:
    tab.goto(url)
    settle(tab, timeout=TIMEOUT)


def reader_grid(tab: Any) -> Any:
    return tab.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first


def first_headline(tab: Any) -> str:
    cell = reader_grid(tab).locator('table[role=grid] tbody tr td[aria-colindex="2"]').first
    return str(cell.inner_text())


def ticked_headlines(tab: Any) -> list[str]:
    """Headlines of the ticked rows of the reader's table (scrolled to its end first: the accessible grid
    lists only the rows in view, and the sample's related stories are near the end)."""
    table = reader_grid(tab)
    box = table.bounding_box()
    tab.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tab.mouse.wheel(0, 5000)
    tab.wait_for_timeout(500)
    return list(
        table.locator("table[role=grid]").evaluate(
            """g => [...g.querySelectorAll('tbody tr[aria-selected="true"]')]
                   .map(r => r.querySelector('td[aria-colindex="2"]').innerText)"""
        )
    )


def same_story(cell: str, headline: str) -> bool:
    """A table cell shows a headline, cut with "…" when long."""
    return headline.startswith(cell.rstrip("…").rstrip())


# ------------------------------------------------------------------------------------------------- reader


def test_reader_sorted_oldest_first_across_pages(
    page: Any, fresh: Any, many_server: Server, many_collection: Collection
) -> None:
    frame = many_collection.articles
    order = ranked_positions(many_collection.index, np.arange(len(frame)), "oldest", [])
    headlines = frame["headline"].iloc[order].astype(str).tolist()
    open_view(page, many_server, "/reader")
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Sort by").click()
    page.get_by_role("option", name="oldest", exact=True).click()
    page.wait_for_function("() => location.search.includes('sort=oldest')", timeout=TIMEOUT)
    settle(page)
    assert same_story(first_headline(page), headlines[0])
    page.locator('[data-testid="stNumberInputStepUp"]').click()  # page 2 of the sorted selection
    page.get_by_text(f"Showing stories {PAGE + 1}–{2 * PAGE} of {len(frame)}").wait_for(timeout=TIMEOUT)
    settle(page)
    assert same_story(first_headline(page), headlines[PAGE])
    assert_healthy(page)
    # the link of the sorted view, opened by someone else
    open_link(fresh, f"{many_server.url}/reader?sort=oldest")
    assert same_story(first_headline(fresh), headlines[0])
    assert params(fresh)["sort"] == ["oldest"]
    assert_healthy(fresh)


# ------------------------------------------------------------------------------------------------- themes


def test_an_evidence_row_opens_its_story_in_the_reader(
    page: Any, fresh: Any, server: Server, sample: Any
) -> None:
    open_view(page, server, "/themes?part=evidence&evidence_theme=Huawei")
    table = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').last
    first = str(table.locator('table[role=grid] tbody tr td[aria-colindex="1"]').first.inner_text())
    click_row_checkbox(page, table, 0)
    page.wait_for_url("**/reader?**", timeout=TIMEOUT)
    settle(page, timeout=TIMEOUT)
    article = params(page)["article"][0]
    headline = sample.headlines_by_id()[article]
    assert same_story(first, headline)
    assert headline[:40] in main_text(page)
    assert_healthy(page)
    open_link(fresh, page.url)
    assert headline[:40] in main_text(fresh)
    assert_healthy(fresh)


def test_the_ticked_row_is_the_open_story_after_a_related_link_and_back(
    page: Any, fresh: Any, server: Server, sample: Any
) -> None:
    source, number, target = related_story(sample)
    headlines = sample.headlines_by_id()
    open_view(page, server, f"/reader?article={source}")
    assert [same_story(h, headlines[source]) for h in ticked_headlines(page)] == [True]
    page.locator(f".st-key-related-{number} button").first.click()
    page.wait_for_function(f"() => location.search.includes('article={target}')", timeout=TIMEOUT)
    settle(page)
    assert [same_story(h, headlines[target]) for h in ticked_headlines(page)] == [True]
    link = page.url
    page.get_by_role("button", name="← Back").click()
    page.wait_for_function(f"() => location.search.includes('article={source}')", timeout=TIMEOUT)
    settle(page)
    assert [same_story(h, headlines[source]) for h in ticked_headlines(page)] == [True]
    assert_healthy(page)
    open_link(fresh, link)
    assert [same_story(h, headlines[target]) for h in ticked_headlines(fresh)] == [True]
    assert_healthy(fresh)


def test_compare_with_an_empty_side(page: Any, fresh: Any, server: Server) -> None:
    open_link(page, f"{server.url}/themes?part=compare&cmp_a=theme:huawei&cmp_b=graphene%20AND%20tariffs")
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("matches no story within the current filters")).to_be_visible()
    page.locator(".st-key-cmp_show button").filter(has_text="share").click()
    page.wait_for_function("() => location.search.includes('cmp_show=share')", timeout=TIMEOUT)
    settle(page)
    expect(page.locator(".st-key-compare_time-png")).to_be_visible()  # the comparison's first chart drawn
    assert params(page)["cmp_b"] == ["graphene AND tariffs"]
    assert_healthy(page)
    open_link(fresh, page.url)
    text = main_text(fresh)
    assert "B (graphene AND tariffs) matches no story" in text
    assert "Share of the selection's stories per month" in text
    assert_healthy(fresh)


# --------------------------------------------------------------------------------------------------- data


def export_link(tab: Any) -> Any:
    """The Data page's export: a link to the server's streamed export route (``dashboard/app.py``)."""
    link = tab.locator("a.caixin-export")
    expect(link).to_have_count(1, timeout=TIMEOUT)
    return link


def download(tab: Any) -> bytes:
    with tab.expect_download(timeout=TIMEOUT) as info:
        export_link(tab).click()
    return Path(info.value.path()).read_bytes()


def test_export_csv_has_the_research_columns_and_relative_sources(
    page: Any, fresh: Any, server: Server
) -> None:
    open_view(page, server, "/data?theme=huawei")
    assert "5 stories · about " in main_text(page)
    rows = list(csv.DictReader(io.StringIO(download(page).decode("utf-8"))))
    assert len(rows) == 5
    assert list(rows[0])[-3:] == ["themes", "matched_terms", "snippet"]
    assert all("huawei" in row["themes"].split("; ") for row in rows)
    assert all(any(m.startswith("Huawei: ") for m in row["matched_terms"].split("; ")) for row in rows)
    assert all("[Huawei]" in row["snippet"] or "[huawei]" in row["snippet"].lower() for row in rows)
    sources = [s for row in rows for s in row["sources"].split("; ")]
    assert sources and all(not s.startswith("/") and str(server.data) not in s for s in sources)
    assert all(s.split(":")[0].endswith(".txt") for s in sources)
    assert_healthy(page)
    # a link to the export settings: JSON Lines without the story text
    open_link(fresh, f"{server.url}/data?theme=huawei&export=jsonl&export_body=false")
    records = [json.loads(line) for line in download(fresh).decode("utf-8").splitlines()]
    assert len(records) == 5 and all("body" not in r and "snippet" in r for r in records)
    assert_healthy(fresh)


def test_the_export_is_streamed_by_the_server_and_an_old_link_says_so(page: Any, server: Server) -> None:
    """The Data page links to the server's export route (``dashboard/app.py``), which sends the file as
    it is built; a link the server no longer knows gets a one-line answer, not a broken file."""
    open_view(page, server, "/data?theme=huawei&export=parquet&export_body=false")
    href = export_link(page).get_attribute("href")
    assert href and href.startswith("export/") and href.endswith(".parquet")
    assert "a large selection downloads for a while" in main_text(page)
    # every format can be read and clicked, on a laptop too: none is cut off by the block it sits in
    for width in (1024, 1400):
        page.set_viewport_size({"width": width, "height": 1000})
        overflow = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stButtonGroup"] button')]
                .filter(b => ['csv', 'jsonl', 'json', 'parquet'].includes(b.innerText.trim())).map(b => {
                const block = b.closest('[data-testid="stColumn"], [data-testid="stElementContainer"]');
                return b.getBoundingClientRect().right - block.getBoundingClientRect().right; })"""
        )
        assert len(overflow) == 4 and max(overflow) <= 0.5, (width, overflow)
    page.set_viewport_size({"width": 1400, "height": 1000})
    table = pq.read_table(io.BytesIO(download(page)))
    assert table.num_rows == 5 and "body" not in table.column_names
    assert table.column_names[-3:] == ["themes", "matched_terms", "snippet"]
    assert all("huawei" in themes for themes in table.column("themes").to_pylist())
    answer = page.request.get(f"{server.url}/{href}")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/vnd.apache.parquet"
    assert answer.headers["content-disposition"] == f'attachment; filename="{href.rsplit("/", 1)[1]}"'
    gone = page.request.get(f"{server.url}/export/not-a-known-token/caixin.csv")
    assert gone.status == 410
    assert gone.text().count("\n") == 0 and "export again from the Data page" in gone.text()
    assert_healthy(page)


def test_a_click_on_a_theme_bar_filters_by_that_theme(page: Any, server: Server) -> None:
    """The Themes page's bars are a Vega-Lite chart: "Chart as PNG" downloads it as a PNG named after what
    it shows, drawn when clicked, and a click on a bar filters by its theme."""
    open_view(page, server, "/themes")
    with page.expect_download(timeout=TIMEOUT) as download:
        page.locator(".st-key-themes_bars-png").get_by_role("button", name="Chart as PNG").click()
    assert download.value.suggested_filename == "caixin-stories-per-theme.png"
    drawn = Path(download.value.path()).read_bytes()
    assert drawn.startswith(b"\x89PNG\r\n\x1a\n") and len(drawn) > 5_000
    assert_healthy(page)  # no rerun, no error
    top = page.locator(".st-key-themes_bars .mark-rect path").first  # the largest theme, drawn first
    box = top.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => location.search.includes('theme=')", timeout=TIMEOUT)
    settle(page, timeout=TIMEOUT)
    assert params(page)["theme"] == ["diplomacy"]  # the sample's largest theme: 7 stories
    assert "Theme: Diplomacy" in main_text(page)  # the filter chip of the clicked theme
    assert "7 stories" in main_text(page)
    assert_healthy(page)
