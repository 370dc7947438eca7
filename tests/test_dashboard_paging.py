"""What keeps the dashboard light with many stories and many sessions: tables send one page of rows (with
a note and a page picker that reaches every row), per-process memos computed once however many sessions
ask, collection lookups built once, and the collection kept out of the garbage collector's way.

The AppTests run ``dashboard/main.py`` on a generated collection of 246 stories in 250 files (more than a
page of the reader and of the data page's file table); the oracle is the same collection opened by core.
"""

from __future__ import annotations

import gc
import re
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.storing.collection import Collection, Filters, open_collection, select

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "main.py"
SAMPLE = ROOT / "data" / "pages"
if str(ROOT / "dashboard") not in sys.path:
    sys.path.insert(0, str(ROOT / "dashboard"))

from components.view import MEMO_SIZE, remember  # noqa: E402
from components.warm import READY, ready  # noqa: E402

READER_PAGE = 100  # dashboard/views/reader.py PAGE_ROWS
FILES_PAGE = 200  # dashboard/views/data.py TABLE_ROWS


@pytest.fixture(scope="module")
def oracle(many_collection: Collection) -> Collection:
    return many_collection


@pytest.fixture(autouse=True)
def dashboard_env(many_pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIXIN_DATA", str(many_pages))
    monkeypatch.setenv("CAIXIN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CAIXIN_UPLOADS", str(tmp_path / "uploads"))
    monkeypatch.setenv("CAIXIN_READONLY", "1")


def open_page(page: str, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def captions(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def selected_ids(oracle: Collection, filters: Filters | None = None) -> list[str]:
    """The reader's order: the selection in the frame's order."""
    frame = oracle.articles[select(oracle, filters or Filters())]
    return frame["article_id"].astype(str).tolist()


# ------------------------------------------------------------------------------------------ reader


def test_reader_sends_one_page_and_says_so(oracle: Collection) -> None:
    ids = selected_ids(oracle)
    assert len(ids) > 2 * READER_PAGE  # the generated collection spans three pages
    at = open_page("reader")
    (table,) = at.dataframe
    assert len(table.value) == READER_PAGE
    assert f"Showing stories 1–{READER_PAGE} of {len(ids):,} ({READER_PAGE} a page)" in captions(at)
    assert "export the whole selection on the Data page" in captions(at)
    picker = at.number_input(key="reader_page")
    assert picker.value == 1
    assert picker.label == "Page (of 3)"


def test_reader_page_picker_reaches_the_last_stories(oracle: Collection) -> None:
    ids = selected_ids(oracle)
    at = open_page("reader")
    at.number_input(key="reader_page").set_value(3).run()
    assert not at.exception
    (table,) = at.dataframe
    assert len(table.value) == len(ids) - 2 * READER_PAGE
    assert f"Showing stories {2 * READER_PAGE + 1}–{len(ids)} of {len(ids)}" in captions(at)
    headlines = oracle.articles.set_index("article_id").loc[ids[2 * READER_PAGE :], "headline"]
    assert table.value["headline"].tolist() == headlines.astype(str).tolist()


def test_story_link_turns_the_table_to_its_page(oracle: Collection) -> None:
    ids = selected_ids(oracle)
    at = open_page("reader", {"article": ids[230]})
    assert at.number_input(key="reader_page").value == 3
    assert "Story 231 of 246 in the selection" in captions(at)


def test_older_across_a_page_boundary_turns_the_table(oracle: Collection) -> None:
    ids = selected_ids(oracle)
    at = open_page("reader", {"article": ids[READER_PAGE - 1]})
    assert at.number_input(key="reader_page").value == 1
    next(b for b in at.button if b.label == "Older →").click().run()
    assert not at.exception
    assert at.query_params["article"] == ids[READER_PAGE]
    assert at.number_input(key="reader_page").value == 2
    assert f"Story {READER_PAGE + 1} of" in captions(at)


def test_reader_goes_back_to_the_first_page_when_the_filters_change(oracle: Collection) -> None:
    at = open_page("reader")
    at.number_input(key="reader_page").set_value(3).run()
    at.multiselect(key="theme").set_value(["diplomacy", "finance-markets"]).run()
    assert not at.exception
    ids = selected_ids(oracle, Filters(themes=("diplomacy", "finance-markets")))
    assert len(ids) > READER_PAGE
    assert at.number_input(key="reader_page").value == 1
    assert at.dataframe[0].value["headline"].iloc[0] == str(
        oracle.articles.set_index("article_id").loc[ids[0], "headline"]
    )


def url_page(at: AppTest, name: str = "reader_page") -> str | None:
    value = at.query_params.get(name)
    return str(value[-1] if isinstance(value, list) else value) if value else None


def test_reader_page_from_the_link_and_into_the_url(oracle: Collection) -> None:
    ids = selected_ids(oracle)
    at = open_page("reader", {"reader_page": "2"})
    assert at.number_input(key="reader_page").value == 2
    assert f"Showing stories {READER_PAGE + 1}–{2 * READER_PAGE} of" in captions(at)
    at.number_input(key="reader_page").set_value(3).run()
    assert url_page(at) == "3"
    assert at.dataframe[0].value["headline"].iloc[0] == str(
        oracle.articles.set_index("article_id").loc[ids[2 * READER_PAGE], "headline"]
    )
    at.number_input(key="reader_page").set_value(1).run()  # the default page leaves the URL
    assert url_page(at) is None
    at = open_page("reader", {"reader_page": "99"})  # past the last page: the last page
    assert at.number_input(key="reader_page").value == 3


@pytest.mark.parametrize(("story", "linked_page", "shown_page"), [(230, "1", 3), (5, "3", 1), (150, "", 2)])
def test_a_linked_story_wins_over_the_linked_page(
    oracle: Collection, story: int, linked_page: str, shown_page: int
) -> None:
    """A link with ``article`` opens the page that holds that story, whatever ``reader_page`` says."""
    ids = selected_ids(oracle)
    params = {"article": ids[story], **({"reader_page": linked_page} if linked_page else {})}
    at = open_page("reader", params)
    assert at.number_input(key="reader_page").value == shown_page
    assert url_page(at) == (str(shown_page) if shown_page > 1 else None)
    start = (shown_page - 1) * READER_PAGE
    assert list(at.session_state[f"reader_table-{start}"]["selection"]["rows"]) == [story - start]


LIST_ROWS = 25  # dashboard/components/story_cards.py: stories listed at a time on a phone



def test_the_phone_list_shows_a_part_of_the_page_in_the_url(oracle: Collection) -> None:
    """The list a phone shows of the page's 100 stories: 25 at a time, the part chosen above it and in the
    URL (``list_part``); a linked story opens its part; another page or order starts at the first part."""
    ids = selected_ids(oracle)
    at = open_page("reader")
    parts = at.segmented_control(key="list_part")
    assert parts.options == ["1–25", "26–50", "51–75", "76–100"]
    stories = at.radio(key="reader_list")
    assert len(stories.options) == LIST_ROWS and stories.label == "Stories 1–25 of this page"
    parts.set_value(3).run()
    assert not at.exception
    assert url_page(at, "list_part") == "3"
    assert at.radio(key="reader_list").label == "Stories 51–75 of this page"
    at.radio(key="reader_list").set_value(ids[60]).run()  # a story picked in that part stays listed
    assert at.query_params["article"] in (ids[60], [ids[60]])
    assert at.segmented_control(key="list_part").value == 3 and at.radio(key="reader_list").value == ids[60]
    at.number_input(key="reader_page").set_value(2).run()  # another page: its first part
    assert at.segmented_control(key="list_part").value == 1 and url_page(at, "list_part") is None

    at = open_page("reader", {"article": ids[READER_PAGE + 80]})  # a link: the part of its story
    assert at.segmented_control(key="list_part").value == 4
    assert at.radio(key="reader_list").value == ids[READER_PAGE + 80]
    at = open_page("reader", {"list_part": "2"})
    assert at.radio(key="reader_list").label == "Stories 26–50 of this page"


def test_turning_the_page_keeps_the_story_open_and_back_restores_the_page(oracle: Collection) -> None:
    ids = selected_ids(oracle)
    at = open_page("reader", {"article": ids[5]})
    at.number_input(key="reader_page").set_value(2).run()
    assert not at.exception
    assert url_page(at) == "2" and at.query_params["article"] == ids[5]
    assert f"Story 6 of {len(ids)} in the selection" in captions(at)  # still open below the table
    at.query_params["reader_page"] = "3"  # Back/Forward to an entry that differs in the page only
    at.run()
    assert at.number_input(key="reader_page").value == 3
    assert at.query_params["article"] == ids[5]


def test_older_across_a_page_boundary_writes_the_new_page(oracle: Collection) -> None:
    ids = selected_ids(oracle)
    at = open_page("reader", {"article": ids[2 * READER_PAGE - 1]})
    assert url_page(at) == "2"
    next(b for b in at.button if b.label == "Older →").click().run()
    assert at.query_params["article"] == ids[2 * READER_PAGE]
    assert url_page(at) == "3"
    next(b for b in at.button if b.label == "← Newer").click().run()
    assert url_page(at) == "2"


def test_evidence_page_in_the_url(oracle: Collection) -> None:
    members = oracle.memberships[oracle.memberships["theme"] == "diplomacy"]
    assert len(members) > 50, "the generated collection should hold two pages of diplomacy evidence"
    at = open_page("themes", {"part": "evidence", "evidence_theme": "diplomacy", "evidence_page": "2"})
    assert at.number_input(key="evidence_page").value == 2
    assert "Showing stories 51–" in captions(at)
    at.number_input(key="evidence_page").set_value(1).run()
    assert url_page(at, "evidence_page") is None
    at.number_input(key="evidence_page").set_value(2).run()
    assert url_page(at, "evidence_page") == "2"
    at.selectbox(key="evidence_theme").set_value("finance-markets").run()  # another theme: its page 1
    assert at.number_input(key="evidence_page").value == 1
    assert url_page(at, "evidence_page") is None


def test_a_selection_of_one_page_has_no_picker() -> None:
    at = open_page("reader", {"theme": "human-rights"})
    assert not at.get("number_input")
    assert "Showing stories" not in captions(at)


# ------------------------------------------------------------------------------------------ data, themes


def test_data_page_lists_every_file_a_page_at_a_time(oracle: Collection) -> None:
    files = len(oracle.corpus.report.pages)
    assert files > FILES_PAGE
    at = open_page("data")
    table = next(d.value for d in at.dataframe if "stories" in d.value.columns)
    assert len(table) == FILES_PAGE
    assert f"Showing files 1–{FILES_PAGE} of {files}" in captions(at)
    assert "`caixin report`" in captions(at)
    at.number_input(key="data_files_page").set_value(2).run()
    table = next(d.value for d in at.dataframe if "stories" in d.value.columns)
    assert len(table) == files - FILES_PAGE
    # named relative to the data folder (hosted mode shows no server path)
    last = oracle.corpus.report.pages[-1].source
    assert table["file"].iloc[-1] == Path(last).name
    assert not any(str(name).startswith("/") for name in table["file"])


def test_theme_evidence_shows_the_linked_theme_most_hits_first(oracle: Collection) -> None:
    at = open_page("themes", {"theme": "huawei", "part": "evidence"})
    assert at.selectbox(key="evidence_theme").value == "huawei"
    evidence = next(d.value for d in at.dataframe if "evidence" in d.value.columns)
    members = oracle.memberships[oracle.memberships["theme"] == "huawei"]
    assert len(evidence) == min(len(members), 50)
    assert evidence["hits"].tolist() == sorted(evidence["hits"].tolist(), reverse=True)
    at.selectbox(key="evidence_theme").set_value("trade-war").run()
    evidence = next(d.value for d in at.dataframe if "evidence" in d.value.columns)
    huawei_only = oracle.memberships[oracle.memberships["theme"] == "trade-war"]
    in_selection = set(selected_ids(oracle, Filters(themes=("huawei",))))
    assert len(evidence) == int(huawei_only["article_id"].astype(str).isin(in_selection).sum())


# ------------------------------------------------------------------------------------------ the pager alone


def _pager_app(total: int, size: int) -> None:
    import streamlit as st

    from components.paging import pager

    start, stop = pager(total, size=size, key="p", noun="rows", hint="Narrow the filters.")
    st.text(f"rows {start} {stop}")


@pytest.mark.parametrize(
    ("total", "size", "page", "shown", "note"),
    [
        (0, 10, None, "rows 0 0", None),
        (10, 10, None, "rows 0 10", None),
        (11, 10, 1, "rows 0 10", "Showing rows 1–10 of 11 (10 a page). Narrow the filters."),
        (25, 10, 3, "rows 20 25", "Showing rows 21–25 of 25 (10 a page). Narrow the filters."),
    ],
)
def test_pager_bounds_and_note(total: int, size: int, page: int | None, shown: str, note: str | None) -> None:
    at = AppTest.from_function(_pager_app, args=(total, size))
    at.run()
    if page is not None and page > 1:
        at.number_input(key="p").set_value(page).run()
    assert not at.exception
    assert at.text[0].value == shown
    if note is None:
        assert not at.get("number_input") and not at.caption
    else:
        assert at.caption[0].value == note


def test_pager_clamps_a_page_that_no_longer_exists() -> None:
    at = AppTest.from_function(_pager_app, args=(95, 10))
    at.run()
    at.number_input(key="p").set_value(10).run()
    assert at.text[0].value == "rows 90 95"
    at = AppTest.from_function(_pager_app, args=(25, 10))
    at.session_state["p"] = 10  # as left by a larger table under the same key
    at.run()
    assert not at.exception
    assert at.text[0].value == "rows 20 25"


# ------------------------------------------------------------------------------------------ once per process


def test_remember_computes_once_for_concurrent_sessions(oracle: Collection) -> None:
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        time.sleep(0.2)
        return "value"

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(remember(oracle, ("test", "slow"), slow)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["value"] * 8
    assert len(calls) == 1


def test_remember_keeps_at_most_memo_size_values(oracle: Collection) -> None:
    for n in range(MEMO_SIZE + 10):
        remember(oracle, ("test", "bound", n), lambda n=n: n)
    memo = oracle.derived["memo"]
    assert len(memo) <= MEMO_SIZE
    assert ("test", "bound", MEMO_SIZE + 9) in memo
    assert ("test", "bound", 0) not in memo


def test_collection_lookups_are_built_once_and_read_only(many_pages: Path, tmp_path: Path) -> None:
    collection = open_collection([many_pages], cache_dir=tmp_path / "cache")
    threads = [threading.Thread(target=collection.threads) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first = collection.threads()
    assert collection.threads() is first
    collection.prepare()
    for key in ("positions", "member_rows", "themes_by_article", "headlines", "threads", "options"):
        assert key in collection.derived, key
    ids = collection.articles["article_id"].astype(str)
    assert collection.position_of(ids.iloc[7]) == 7
    assert collection.position_of("0000000000000000") is None
    with pytest.raises(TypeError):
        collection.themes_by_article()["x"] = []  # type: ignore[index]


def test_ready_prepares_once_and_freezes_the_heap(many_pages: Path, tmp_path: Path) -> None:
    collection = open_collection([many_pages], cache_dir=tmp_path / "cache")
    try:
        ready(collection)
        assert collection.derived[READY] is True
        assert "threads" in collection.derived
        frozen = gc.get_freeze_count()
        assert frozen > 0
        ready(collection)  # a second session: nothing to do
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_views_with_the_same_filters_share_one_read_only_mask() -> None:
    at = open_page("reader", {"theme": "huawei"})
    first = at.session_state["_view"].mask
    again = open_page("overview", {"theme": "huawei"}).session_state["_view"].mask
    assert first is again
    assert not first.flags.writeable
    assert re.search(r"\d+ stor(?:y|ies)", at.markdown[0].value)
    assert int(np.count_nonzero(first)) == int(
        re.search(r"(\d+) stor(?:y|ies)", at.markdown[0].value).group(1)
    )  # type: ignore[union-attr]


def test_a_session_keeps_no_copy_of_its_selection_between_runs() -> None:
    # filters no other test uses: the page builds the selection's copy on this run (memo misses)
    at = open_page("reporters", {"theme": "energy", "kind": "staff", "from": "2016-01-01"})
    view = at.session_state["_view"]
    assert view.count > 0
    assert view._frame is None and view._memberships is None
    assert len(view.frame) == view.count  # built again on demand (a deferred export)
