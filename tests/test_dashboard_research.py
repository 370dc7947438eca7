"""The research controls of the Reader, Themes and Data pages through Streamlit's AppTest: every control
read from a shared link, and what it changes on the page (the sample, 20 stories, is the oracle)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from related import related_story
from streamlit.testing.v1 import AppTest
from test_dashboard_apptest import (  # noqa: F401 - dashboard_env is an autouse fixture
    APP,
    SAMPLE,
    dashboard_env,
    open_page,
    shown_count,
    texts,
)

from core.analysing.ranking import order_positions, ranked_positions, relevance_terms
from core.storing.collection import Collection, open_collection


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    return open_collection([SAMPLE], cache_dir=tmp_path_factory.mktemp("research-cache"))


@pytest.fixture(scope="module")
def story_ids(sample: Collection) -> dict[str, str]:
    """Ids of the sample: the newest story (Dave Yin's) and a story whose Related line names another."""
    source, number, target = related_story(sample)
    return {
        "dave_yin": str(sample.articles["article_id"].iat[0]),
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
    at.text_input(key="q").set_value("graphene").run()
    assert "This story is outside the current filters." in texts(at.caption)
    assert ticked_ids(at, sample) == []


def story_list(at: AppTest) -> Any:
    """The Reader's list of the page's stories (a phone's view of the table): one radio group."""
    return at.radio(key="reader_list")


def test_reader_list_is_the_page_of_stories_and_opens_one(sample: Collection) -> None:
    """The list a phone shows: one option per row of the page, in the table's order, the headline the
    label and date · byline · section below it; choosing one opens it and marks it "Reading"."""
    at = open_page("reader", {"theme": "huawei"})
    stories = story_list(at)
    table = at.dataframe[0].value
    ids = [str(sample.articles["article_id"].iat[i]) for i in table.index]
    assert stories.value is None  # no story open
    assert [o.replace("\\", "") for o in stories.options] == table["headline"].tolist()
    captions = list(stories.proto.captions)
    assert len(captions) == len(ids) and all(" · " in c for c in captions)
    assert not any(c.startswith("Reading") for c in captions)
    stories.set_value(ids[2]).run()
    assert not at.exception
    assert at.query_params["article"] in (ids[2], [ids[2]])
    stories = story_list(at)
    assert stories.value == ids[2]
    assert [i for i, c in enumerate(stories.proto.captions) if c.startswith("Reading · ")] == [2]
    next(b for b in at.button if b.label == "Older →").click().run()  # another story opened: it is chosen
    assert story_list(at).value == ids[3]


def card_styles(at: object) -> int:
    """How many times the run sent the CSS that shows one of the table and the cards (the rule that hides
    the table on a narrow screen)."""
    return sum("st-key-reader_wide" in h.proto.body for h in at.get("html"))  # type: ignore[attr-defined]


def hidden_cards_styles(at: object) -> int:
    """How many times the run sent the rule that hides cards on a wide screen."""
    return sum("st-key-reader_cards { display: none" in h.proto.body for h in at.get("html"))  # type: ignore[attr-defined]


def test_reader_draws_the_table_and_the_cards_and_css_shows_one() -> None:
    """Both are drawn on every run (the server does not know the screen's width), with the CSS that shows
    the cards on a narrow screen and the table on a wide one; again when the Reader is opened again."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["theme"] = "huawei"
    at.run()
    at.switch_page("views/reader.py").run()
    assert not at.exception
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 5  # the table
    assert len(story_list(at).options) == 5
    assert card_styles(at) == 1 and hidden_cards_styles(at) == 1
    at.switch_page("views/overview.py").run()
    at.switch_page("views/reader.py").run()
    assert len(story_list(at).options) == 5 and card_styles(at) == 1


def scroll_requests(at: object) -> list[str]:
    found = re.findall(r'data-scroll-token="([^"]*)"', " ".join(h.proto.body for h in at.get("html")))  # type: ignore[attr-defined]
    return list(found)


def test_no_story_no_list() -> None:
    """A selection without stories shows no empty list on a phone (and no table row)."""
    at = open_page("reader", {"q": "zzzqqqxx"})
    assert not at.radio and len(at.dataframe[0].value) == 0


def test_a_picked_story_asks_once_to_be_scrolled_to(sample: Collection) -> None:
    at = open_page("reader", {"theme": "huawei"})
    assert scroll_requests(at) == []
    assert any('id="caixin-updating"' in h.proto.body for h in at.get("html"))  # on every page
    picked = str(sample.articles["article_id"].iat[at.dataframe[0].value.index[1]])
    story_list(at).set_value(picked).run()
    assert scroll_requests(at) == [picked]
    at.run()  # a rerun that picks nothing does not scroll again
    assert scroll_requests(at) == []
    next(b for b in at.button if b.label == "Older →").click().run()
    article = at.query_params["article"]
    assert scroll_requests(at) == [article[-1] if isinstance(article, list) else article]


def test_card_text_is_escaped_never_markdown() -> None:
    import sys

    import pandas as pd

    sys.path.insert(0, str(SAMPLE.parents[1] / "dashboard"))
    from components.figures import plain
    from components.story_cards import card_line

    hostile = "**Bold** [link](javascript:alert(1)) <b>tag</b> `code`"
    escaped = plain(hostile)
    assert escaped.replace("\\", "") == hostile  # the same text once the escapes are read
    assert not re.search(r"(?<!\\)[*\[\]()<>`]", escaped)  # no Markdown character left unescaped
    # addresses GFM would make links of by itself, after reading the escapes: shown as written (a word
    # joiner, invisible, breaks each), never a link
    addresses = "![x](http://127.0.0.1:9/t.png) HTTPS://a.b www.example.com WWW.x.org mailto:a.b+c@d.org"
    shown = plain(addresses).replace("\\", "")
    assert shown.replace("\u2060", "") == addresses
    assert not re.search(r"(?i)[a-z]://|www\.|[\w.+-]@", shown)  # no scheme, www. or address left whole
    row = pd.Series({"date": pd.Timestamp("2019-09-30 14:05"), "by": "Dave Yin", "section": "World"})
    assert card_line(row) == "2019-09-30 14:05 · Dave Yin · World"
    assert card_line(pd.Series({"date": pd.NaT, "by": "", "section": None})) == "no date · Unsigned"


# ------------------------------------------------------------------------------------------------- themes


def computed(at: object) -> set[str]:
    """Labels of what the session's view has computed and remembered (``View.cached``) for its filters."""
    view = at.session_state["_view"]  # type: ignore[attr-defined]
    memo = view.collection.derived.get("memo", {})
    return {key[0] for key in memo if isinstance(key, tuple) and len(key) == 4 and key[1] == view.filters}


def test_themes_opens_on_the_overlap_part_and_computes_no_other() -> None:
    at = open_page("themes", {"q": "china AND trade"})  # a view no other test computes
    assert [t.label for t in at.tabs] == ["Overlap", "Distinctive terms", "Compare", "Names", "Evidence"]
    assert not at.metric and not at.get("button_group")  # no comparison, no names
    assert {"compare", "mentions", "distinctive_terms", "evidence"}.isdisjoint(computed(at))
    assert "theme_cooccurrence" in computed(at)
    assert "part" not in at.query_params


@pytest.mark.parametrize(
    ("word", "label", "made"),
    [
        ("terms", "Distinctive terms", "distinctive_terms"),
        ("compare", "Compare", "compare"),
        ("Names", "Names", "mentions"),  # the tab's label works too, in any case
        ("evidence", "Evidence", "evidence"),
    ],
)
def test_themes_part_from_the_link_computes_that_part_only(word: str, label: str, made: str) -> None:
    at = open_page("themes", {"q": f"china NOT unseen{word.lower()}", "part": word})  # a view of its own
    assert at.session_state["part"] == label
    assert made in computed(at)
    others = {"compare", "mentions", "distinctive_terms", "evidence"} - {made}
    assert others.isdisjoint(computed(at))
    assert [open_tab.label for open_tab in at.tabs if open_tab.children] == [label]


def test_themes_part_chosen_goes_into_the_url_and_back() -> None:
    at = open_page("themes")
    at.session_state["part"] = "Compare"
    at.run()
    assert not at.exception
    assert at.query_params["part"] == ["compare"] or at.query_params["part"] == "compare"
    assert {m.label for m in at.metric} == {"A: stories", "B: stories", "In both"}
    at.session_state["part"] = "Overlap"  # the default part leaves the URL
    at.run()
    assert "part" not in at.query_params
    assert not at.metric


def test_themes_unknown_part_in_the_link_opens_the_overlap_with_a_note() -> None:
    at = open_page("themes", {"part": "sentiment"})
    assert at.session_state["part"] == "Overlap"
    assert any("Ignored part=`sentiment` in the link" in w.value for w in at.warning)


@pytest.mark.parametrize(
    ("part", "charts"),
    [("overlap", ["themes_bars", "themes_co"]), ("terms", ["themes_bars", "themes_terms"])],
)
def test_themes_charts_have_their_png_and_describe_themselves(part: str, charts: list[str]) -> None:
    """Each Themes chart is Vega-Lite, described for screen readers, with its data as CSV and the chart as
    a PNG (tests/e2e/test_research.py downloads it and checks the name), each built when clicked."""
    import json

    at = open_page("themes", {"part": part, "theme": "huawei"})
    shown = at.get("vega_lite_chart")
    assert len(shown) == 2 and not at.get("plotly_chart")
    assert all(json.loads(c.proto.spec)["description"].startswith("Chart: ") for c in shown)
    buttons = {b.proto.label: [] for b in at.get("download_button")}
    for b in at.get("download_button"):
        buttons[b.proto.label].append(b)
    assert len(buttons["Chart as PNG"]) == len(buttons["Data of this chart (CSV)"]) == 2
    assert all(b.proto.ignore_rerun for b in buttons["Chart as PNG"])
    assert [b.key for b in buttons["Chart as PNG"]] == [f"{key}-png" for key in charts]


def test_compare_from_the_link_with_an_empty_side() -> None:
    at = open_page(
        "themes",
        {
            "part": "compare",
            "cmp_a": "theme:huawei",
            "cmp_b": "graphene AND tariffs",
            "cmp_per": "week",
            "cmp_show": "share",
        },
    )
    assert at.text_input(key="cmp_a").value == "theme:huawei"
    assert at.text_input(key="cmp_b").value == "graphene AND tariffs"
    assert at.selectbox(key="cmp_per").value == "week"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"A: stories": "5", "B: stories": "0", "In both": "0"}
    assert any(i.value.startswith("B (`graphene AND tariffs`) matches no story") for i in at.info)
    assert "Distinctive terms need stories on both sides." in texts(at.caption)


def test_compare_counts_follow_the_inputs_and_the_filters(sample: Collection) -> None:
    at = open_page("themes", {"part": "compare", "cmp_a": "huawei", "cmp_b": "tariff*"})
    a, b = (int(sample.index.mask(q).sum()) for q in ("huawei", "tariff*"))
    both = int((sample.index.mask("huawei") & sample.index.mask("tariff*")).sum())
    assert {m.label: m.value for m in at.metric} == {
        "A: stories": str(a),
        "B: stories": str(b),
        "In both": str(both),
    }
    at.text_input(key="cmp_b").set_value("theme:trade-war").run()
    assert {m.label: m.value for m in at.metric}["B: stories"] == str(
        len(sample.theme_ids("trade-war") or ())
    )
    at = open_page("themes", {"part": "compare", "cmp_a": "huawei", "cmp_b": "tariff*", "kind": "agency"})
    within = sample.index.mask("agency:any")
    assert {m.label: m.value for m in at.metric}["A: stories"] == str(
        int((sample.index.mask("huawei") & within).sum())
    )


def test_compare_with_an_unknown_theme_says_which() -> None:
    at = open_page("themes", {"part": "compare", "cmp_a": "theme:weather", "cmp_b": "huawei"})
    assert any("Comparison not run" in e.value and "unknown theme 'weather'" in e.value for e in at.error)
    assert not at.exception


def test_a_mention_click_becomes_the_search() -> None:
    at = open_page("themes", {"part": "names"})
    people = next(g for g in at.get("button_group") if g.label == "People")
    assert "Donald Trump" in people.options[0]
    people.set_value("Donald Trump").run()
    assert not at.exception
    assert at.text_input(key="q").value == '"Donald Trump"'
    assert shown_count(at) == 3


def test_evidence_theme_from_the_link() -> None:
    at = open_page("themes", {"part": "evidence", "evidence_theme": "Trade war"})
    assert at.selectbox(key="evidence_theme").value == "trade-war"


# --------------------------------------------------------------------------------------------------- data


def export_caption(at: object) -> str:
    return next(c.value for c in at.caption if " as " in c.value and "about" in c.value)  # type: ignore[attr-defined]


def test_export_settings_from_the_link_and_the_size_before_the_download() -> None:
    at = open_page("data", {"export": "jsonl", "export_body": "false", "reporter": "Dave Yin"})
    assert at.toggle(key="export_body").value is False
    assert at.toggle(key="export_research").value is True
    caption = export_caption(at)
    assert caption.startswith("1 story · about ") and " as jsonl (22 columns;" in caption
    (button,) = at.get("download_button")
    assert button.proto.label == "Download 1 story (jsonl)"


def disabled(at: AppTest) -> list[bool]:
    """Whether each download button is disabled."""
    return [b.proto.disabled for b in at.get("download_button")]


def test_an_export_larger_than_the_limit_is_not_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """CAIXIN_EXPORT_MAX_MB: an export estimated larger is refused before it is built, with what to do
    instead; a smaller selection under the same limit downloads; 0 is no limit."""
    whole = open_page("data")
    size = float(re.search(r"about ([\d.]+) kB", export_caption(whole)).group(1))  # type: ignore[union-attr]
    assert disabled(whole) == [False]
    monkeypatch.setenv("CAIXIN_EXPORT_MAX_MB", str(size / 2 / 1000))
    refused = open_page("data")
    assert disabled(refused) == [True]
    (warning,) = [w.value for w in refused.warning if "more than this dashboard builds" in w.value]
    assert f"About {size:g} kB" in warning or f"About {size:.1f} kB" in warning
    assert "caixin parse" in warning
    one = open_page("data", {"reporter": "Dave Yin"})  # one story: far below half of twenty
    assert disabled(one) == [False]
    assert not [w for w in one.warning if "more than this dashboard builds" in w.value]
    for unlimited in ("0", "not a number"):  # no limit; the default (256 MB)
        monkeypatch.setenv("CAIXIN_EXPORT_MAX_MB", unlimited)
        assert disabled(open_page("data")) == [False]


def test_export_toggles_change_the_columns_and_the_size() -> None:
    at = open_page("data")
    full = export_caption(at)
    assert full.startswith("20 stories · about ") and "(23 columns;" in full
    at.toggle(key="export_research").set_value(False).run()
    at.toggle(key="export_body").set_value(False).run()
    small = export_caption(at)
    assert "(19 columns;" in small
    size = re.compile(r"about ([\d.]+) kB")
    assert float(size.search(small).group(1)) < float(size.search(full).group(1)) / 2  # type: ignore[union-attr]
