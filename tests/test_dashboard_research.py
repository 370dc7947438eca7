"""The research controls of the Reader, Themes and Data pages through Streamlit's AppTest: every control
read from a shared link, and what it changes on the page (the sample, 20 stories, is the oracle)."""

from __future__ import annotations

import numpy as np
import pytest
from test_dashboard_apptest import (  # noqa: F401 - dashboard_env is an autouse fixture
    SAMPLE,
    dashboard_env,
    open_page,
    texts,
)

from core.collection import Collection, open_collection
from core.ranking import order_positions, ranked_positions, relevance_terms


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    return open_collection([SAMPLE], cache_dir=tmp_path_factory.mktemp("research-cache"))


@pytest.fixture(scope="module")
def story_ids(sample: Collection) -> dict[str, str]:
    """Ids of the sample: the newest story (Dave Yin's) and a story whose Related line names another."""
    frame = sample.articles
    source, number, target = next(
        (str(row["article_id"]), number, target)
        for row in frame.to_dict("records")
        for number, headline in enumerate(row["related"])
        if (target := sample.related_targets(str(row["article_id"])).get(headline))
    )
    return {
        "dave_yin": str(frame["article_id"].iat[0]),
        "related_source": source,
        "related_button": f"related-{number}",
        "related_target": target,
    }


def headlines(sample: Collection, rows: np.ndarray) -> list[str]:
    return sample.articles["headline"].iloc[rows].astype(str).tolist()


def table_headlines(at: object) -> list[str]:
    return [str(h) for h in at.dataframe[0].value["headline"]]  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------------- reader


@pytest.mark.parametrize("sort", ["newest", "oldest", "longest", "relevance"])
def test_reader_sort_from_the_link_orders_the_whole_selection(sample: Collection, sort: str) -> None:
    at = open_page("reader", {"sort": sort, "q": "china OR huawei"})
    assert at.selectbox(key="sort").value == sort
    chosen = np.flatnonzero(sample.index.mask("china OR huawei"))
    expected = ranked_positions(sample.index, chosen, sort, relevance_terms("china OR huawei"))
    assert table_headlines(at) == headlines(sample, expected)


def test_reader_sort_changes_the_order(sample: Collection) -> None:
    at = open_page("reader", {"theme": "huawei"})
    before = table_headlines(at)
    at.selectbox(key="sort").set_value("oldest").run()
    assert not at.exception
    assert table_headlines(at) == before[::-1]  # the five huawei stories have distinct dates


def test_reader_relevance_without_a_search_says_it_is_newest_first(sample: Collection) -> None:
    at = open_page("reader", {"sort": "relevance"})
    assert "Relevance needs a search or a theme filter" in texts(at.caption)
    newest = order_positions(sample.articles, np.arange(len(sample.articles)), "newest")
    assert table_headlines(at) == headlines(sample, newest)


def test_reader_unknown_sort_in_the_link_falls_back_to_newest() -> None:
    at = open_page("reader", {"sort": "popular"})
    assert at.selectbox(key="sort").value == "newest"


def test_reader_walks_the_selection_in_the_chosen_order(sample: Collection) -> None:
    chosen = np.flatnonzero(sample.index.mask("huawei"))
    order = ranked_positions(sample.index, chosen, "longest", [])
    ids = sample.articles["article_id"].iloc[order].astype(str).tolist()
    at = open_page("reader", {"sort": "longest", "q": "huawei", "article": ids[0]})
    assert "Story 1 of 5 in the selection (longest first)" in texts(at.caption)
    next(b for b in at.button if b.label == "Next →").click().run()
    assert at.query_params["article"] == ids[1]
    assert "Story 2 of 5" in texts(at.caption)


def ticked_ids(at: object, sample: Collection) -> list[str]:
    """The article ids of the ticked rows of the reader's first page (the table's index is the row)."""
    state = at.session_state["reader_table-0"]  # type: ignore[attr-defined]
    rows = at.dataframe[0].value.index  # type: ignore[attr-defined]
    return [str(sample.articles["article_id"].iat[rows[i]]) for i in state["selection"]["rows"]]


def test_reader_ticks_the_open_story_after_a_related_link_and_back(
    sample: Collection, story_ids: dict[str, str]
) -> None:
    source, target = story_ids["related_source"], story_ids["related_target"]
    at = open_page("reader", {"article": source})
    assert ticked_ids(at, sample) == [source]
    at.button(key=story_ids["related_button"]).click().run()
    assert at.query_params["article"] == target
    assert ticked_ids(at, sample) == [target]
    assert f"to: {sample.headlines_by_id()[source]}" in texts(at.text)
    at.button(key="reader_back").click().run()
    assert at.query_params["article"] == source
    assert ticked_ids(at, sample) == [source]
    assert not [b for b in at.button if b.key == "reader_back"]  # the trail is empty again


def test_reader_ticks_nothing_after_a_new_search_leaves_the_story_out(
    sample: Collection, story_ids: dict[str, str]
) -> None:
    at = open_page("reader", {"article": story_ids["dave_yin"]})
    assert ticked_ids(at, sample) == [story_ids["dave_yin"]]
    at.text_input(key="w_q").set_value("graphene").run()
    assert "This story is outside the current filters." in texts(at.caption)
    assert ticked_ids(at, sample) == []
