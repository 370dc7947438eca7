"""Every dashboard page through Streamlit's AppTest: shared links, filters, warnings and page specifics.

Each test runs ``dashboard/main.py`` (the script ``dashboard/app.py`` serves) headless (no browser, no server): the URL parameters are seeded
before the first run, then the page is opened with ``switch_page``. The sample collection
(``data/pages``, 20 stories) is the oracle: the counts below were checked by hand against it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from core.storing.collection import open_collection

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "main.py"
SAMPLE = ROOT / "data" / "pages"
TOTAL = 20
PAGES = ["overview", "timeline", "reporters", "themes", "reader", "data"]
COUNT = re.compile(r"^\*\*(\d[\d,]*) stor(?:y|ies)\b")

# shared link parameters -> stories selected (hand-checked against data/pages)
LINKS: list[tuple[dict[str, str | list[str]], int]] = [
    ({"theme": "huawei"}, 5),
    ({"q": '"trade war"'}, 2),
    ({"q": "tariff*"}, 2),
    ({"reporter": "Matthew Walsh"}, 3),
    ({"reporter": "Bloomberg"}, 3),
    ({"reporter": "Unsigned"}, 1),
    ({"kind": "agency"}, 3),
    ({"section": "World"}, 20),
    ({"from": "2019-09-01", "to": "2019-09-30"}, 7),
]


def _id(params: dict[str, str | list[str]]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())


@pytest.fixture(autouse=True)
def dashboard_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample data, a throw-away cache and upload folder, and writable (not hosted) mode."""
    monkeypatch.setenv("CAIXIN_DATA", str(SAMPLE))
    monkeypatch.setenv("CAIXIN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CAIXIN_UPLOADS", str(tmp_path / "uploads"))
    monkeypatch.delenv("CAIXIN_READONLY", raising=False)


@pytest.fixture(scope="module")
def sample_ids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Article ids of the sample by a readable name (ids are content hashes, so look them up)."""
    collection = open_collection([SAMPLE], cache_dir=tmp_path_factory.mktemp("ids-cache"))
    frame = collection.articles
    by_author = {tuple(a): str(i) for a, i in zip(frame["authors"], frame["article_id"], strict=True)}
    with_target = [
        (str(row["article_id"]), number, target)
        for row in frame.to_dict("records")
        for number, headline in enumerate(row["related"])
        if (target := collection.related_targets(str(row["article_id"])).get(headline))
    ]
    assert with_target, "the sample should hold a story whose Related headline is in the collection"
    source, number, target = with_target[0]
    return {
        "dave_yin": by_author[("Dave Yin",)],
        "related_source": source,
        "related_button": f"related-{number}",  # the reader's key for the Open button of that line
        "related_target": target,
    }


def open_page(page: str, params: dict[str, str | list[str]] | None = None) -> AppTest:
    """A fresh session that opened a shared link to ``page`` with ``params``."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def shown_count(at: AppTest) -> int:
    """The ``N stories`` of the page header."""
    for element in at.markdown:
        match = COUNT.match(element.value)
        if match:
            return int(match.group(1).replace(",", ""))
    raise AssertionError(f"no '**N stories**' header among {[m.value for m in at.markdown]}")


def url_values(at: AppTest, name: str) -> list[str]:
    """One URL parameter as a list, however the app (or the test) stored it."""
    value = at.query_params.get(name, [])
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def texts(elements: object) -> str:
    return "\n".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def rendered(elements: object) -> str:
    """Markdown sources as read on screen: the code-span fences around values from a link removed."""
    return re.sub(r"`+", "", texts(elements))


# ------------------------------------------------------------------------------------------ every page


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(("params", "expected"), LINKS, ids=[_id(p) for p, _ in LINKS])
def test_shared_link_shows_its_count(page: str, params: dict[str, str | list[str]], expected: int) -> None:
    at = open_page(page, params)
    assert shown_count(at) == expected
    assert not at.warning, texts(at.warning)
    assert not at.error, texts(at.error)
    # the URL is rewritten from the widgets on every run: it still carries what the link said
    for name, value in params.items():
        assert url_values(at, name) == (value if isinstance(value, list) else [value])


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("params", "note"),
    [
        ({"theme": "nonsense"}, "Ignored unknown theme value(s) in the link: nonsense"),
        ({"from": "2019-13-01"}, "Ignored from=2019-13-01 in the link"),
    ],
    ids=["theme=nonsense", "from=2019-13-01"],
)
def test_invalid_link_values_are_dropped_with_a_warning(
    page: str, params: dict[str, str | list[str]], note: str
) -> None:
    at = open_page(page, params)
    assert note in rendered(at.warning)
    assert shown_count(at) == TOTAL
    assert not at.error, texts(at.error)
    # the dropped value is gone from the URL too, so a copied link no longer carries it
    assert not set(params) & set(at.query_params)


@pytest.mark.parametrize("page", PAGES)
def test_query_that_does_not_parse_shows_an_error_not_an_exception(page: str) -> None:
    at = open_page(page, {"q": "huawei AND ("})
    assert "Search not applied" in texts(at.error)
    assert "position 13" in texts(at.error)
    assert shown_count(at) == TOTAL  # the other filters still apply; the query is left out


@pytest.mark.parametrize("page", PAGES)
def test_sidebar_filters_change_what_is_shown_and_clear(page: str) -> None:
    at = open_page(page)
    assert shown_count(at) == TOTAL
    at.multiselect(key="theme").set_value(["huawei"]).run()
    assert not at.exception
    assert shown_count(at) == 5
    assert url_values(at, "theme") == ["huawei"]
    at.text_input(key="q").input("Meng").run()
    assert not at.exception
    assert shown_count(at) == 1
    assert url_values(at, "q") == ["Meng"]
    clear_button(at).click().run()
    assert not at.exception
    assert shown_count(at) == TOTAL
    assert at.multiselect(key="theme").value == []
    assert at.text_input(key="q").value == ""
    assert not at.query_params


@pytest.mark.parametrize(
    ("page", "params", "buttons"),
    [
        ("data", {}, 1),
        ("themes", {}, 2),
        ("themes", {"part": "compare", "cmp_a": "theme:huawei", "cmp_b": "trade war"}, 4),
    ],
    ids=["data", "themes", "compare"],
)
def test_download_buttons_do_not_rerun_the_app(page: str, params: dict[str, str], buttons: int) -> None:
    """Every download button (the export, each chart's data) is built on click and does not rerun the
    app: a rerun started with the click replaces the button's deferred file on the server, and the
    download request that arrives after it finds none, so the click downloads nothing."""
    at = open_page(page, params)
    shown = at.get("download_button")
    assert len(shown) >= buttons
    assert [b.proto.label for b in shown if not b.proto.ignore_rerun] == []


def clear_button(at: AppTest) -> Button:
    (button,) = [b for b in at.sidebar.button if b.label == "Clear filters"]
    return button


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("params", "expected"),
    [({"kind": "agency", "reporter": "Matthew Walsh"}, 0), ({"reporter": "Dave Yin"}, 1)],
    ids=["no-story", "one-story"],
)
def test_tiny_selections_render(page: str, params: dict[str, str | list[str]], expected: int) -> None:
    at = open_page(page, params)
    assert shown_count(at) == expected
    header = next(m.value for m in at.markdown if COUNT.match(m.value))
    assert header.startswith(f"**{expected} stor{'ies' if expected != 1 else 'y'}")
    if expected == 0 and page != "data":  # one message, offering the filters to remove; not said twice
        said = [m.value for m in at.markdown if "No story matches all the filters" in m.value]
        assert len(said) == 1 and not any("match" in text for text in texts(at.info))
        assert any(b.label.startswith(("Reporters and agencies: ", "Byline: ")) for b in at.button)


def test_main_area_keeps_its_layout_from_the_loading_run_to_the_next() -> None:
    st.cache_resource.clear()  # this session must load the collection, as the first after a server start
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    first = [getattr(e, "type", type(e).__name__) for e in at.main.children.values()]
    at.run()
    second = [getattr(e, "type", type(e).__name__) for e in at.main.children.values()]
    assert first == second


# ------------------------------------------------------------------------------------------ links in detail


def test_link_seeds_the_sidebar_widgets() -> None:
    at = open_page(
        "overview",
        {"q": "tariff*", "theme": "trade-war", "reporter": "Tianyu M. Fang", "kind": "staff",
         "from": "2019-07-01", "to": "2019-07-31"},
    )  # fmt: skip
    assert at.text_input(key="q").value == "tariff*"
    assert at.multiselect(key="theme").value == ["trade-war"]
    assert at.multiselect(key="reporter").value == ["Tianyu M. Fang"]
    assert at.multiselect(key="kind").value == ["staff"]
    assert str(at.date_input(key="from").value) == "2019-07-01"
    assert shown_count(at) == 1


def test_link_values_match_labels_and_any_case() -> None:
    at = open_page("overview", {"theme": ["Trade war", "HUAWEI"], "reporter": "bloomberg"})
    assert not at.warning, texts(at.warning)
    assert at.multiselect(key="theme").value == ["trade-war", "huawei"]
    assert at.multiselect(key="reporter").value == ["Bloomberg"]
    assert url_values(at, "theme") == ["trade-war", "huawei"]


def test_link_with_dates_the_wrong_way_round_swaps_them() -> None:
    at = open_page("timeline", {"from": "2019-09-30", "to": "2019-09-01"})
    assert "swapped" in texts(at.warning)
    assert shown_count(at) == 7


def test_filters_survive_a_page_switch() -> None:
    at = open_page("overview", {"theme": "huawei"})
    at.switch_page("views/timeline.py").run()
    assert not at.exception
    assert shown_count(at) == 5
    assert url_values(at, "theme") == ["huawei"]


# ------------------------------------------------------------------------------------------ reader


def test_reader_without_article_asks_to_select_a_row() -> None:
    at = open_page("reader", {"theme": "huawei"})
    (table,) = at.dataframe
    assert len(table.value) == 5
    assert "Select a story to read it." in texts(at.info)


def test_reader_opens_the_story_of_the_link(sample_ids: dict[str, str]) -> None:
    at = open_page("reader", {"article": sample_ids["dave_yin"]})
    html = texts(at.html)
    assert "The Chinese government has again asked for the release of detained" in html
    assert "Dave Yin" in html
    assert any(c.value.startswith("Headline inferred") for c in at.caption)
    assert "Story 1 of 20 in the selection" in texts(at.caption)


def test_reader_highlights_the_query_in_the_story(sample_ids: dict[str, str]) -> None:
    at = open_page("reader", {"article": sample_ids["dave_yin"], "q": "Meng"})
    assert re.search(r"<mark[^>]*>Meng</mark>", texts(at.html))


def test_reader_with_an_unknown_article_warns() -> None:
    at = open_page("reader", {"article": "0000000000000000"})
    assert "No story with id 0000000000000000" in rendered(at.warning)
    assert shown_count(at) == TOTAL


def test_reader_story_outside_the_filters_is_still_shown(sample_ids: dict[str, str]) -> None:
    at = open_page("reader", {"article": sample_ids["dave_yin"], "kind": "agency"})
    assert "This story is outside the current filters." in texts(at.caption)
    assert "The Chinese government has again asked" in texts(at.html)


def test_reader_older_and_newer_buttons_walk_the_selection(sample_ids: dict[str, str]) -> None:
    at = open_page("reader", {"article": sample_ids["dave_yin"]})
    newer = next(b for b in at.button if b.label == "← Newer")
    assert newer.disabled  # the newest story of the sample
    next(b for b in at.button if b.label == "Older →").click().run()
    assert not at.exception
    assert at.query_params["article"] != sample_ids["dave_yin"]
    assert "Story 2 of 20 in the selection" in texts(at.caption)


def test_reader_related_link_opens_the_story_in_the_collection(sample_ids: dict[str, str]) -> None:
    at = open_page("reader", {"article": sample_ids["related_source"]})
    at.button(key=sample_ids["related_button"]).click().run()
    assert not at.exception
    assert at.query_params["article"] == sample_ids["related_target"]


def test_reader_related_headline_not_in_collection_says_so(sample_ids: dict[str, str]) -> None:
    at = open_page("reader", {"article": sample_ids["dave_yin"]})
    assert "not in collection" in texts(at.caption)
    assert not [b for b in at.button if b.label == "Open"]


# ------------------------------------------------------------------------------------------ data


def test_data_page_offers_exports_and_the_parse_report() -> None:
    at = open_page("data")
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download 20 stories (csv)"]
    pages = next(d.value for d in at.dataframe if "stories" in d.value.columns)
    assert int(pages["stories"].sum()) == TOTAL
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Files"] == "1"
    assert metrics["Unknown lines"] == "0"
    assert at.get("file_uploader"), "the uploader should be there when not read-only"


def test_data_page_exports_only_the_selection() -> None:
    at = open_page("data", {"theme": "huawei"})
    assert "5 stories · about " in texts(at.caption)


def test_read_only_data_page_has_no_uploader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIXIN_READONLY", "1")
    at = open_page("data")
    assert not at.get("file_uploader")
    assert "uploads and changes to the collection are turned off" in texts(at.info)
    assert not [b for b in at.button if b.label == "Re-read the data files"]
    assert [b.label for b in at.get("download_button")] == ["Download 20 stories (csv)"]


# ------------------------------------------------------------------------------------------ reporters


def test_agencies_are_counted_apart_from_reporters() -> None:
    at = open_page("reporters")
    staff = next(
        d.value for d in at.dataframe if list(d.value.columns) == ["name", "articles", "first", "last"]
    )
    others = next(d.value for d in at.dataframe if list(d.value.columns) == ["name", "kind", "articles"])
    assert "Bloomberg" in set(others["name"])
    assert "Bloomberg" not in set(staff["name"])
    assert "Unsigned" not in set(staff["name"])
    assert int(others.set_index("name").loc["Bloomberg", "articles"]) == 3
    assert int(staff.set_index("name").loc["Matthew Walsh", "articles"]) == 3


def test_reporter_link_preselects_the_reporter_timeline() -> None:
    at = open_page("reporters", {"reporter": "Matthew Walsh"})
    assert at.selectbox(key="who").value == "Matthew Walsh"


# ------------------------------------------------------------------------------------------ themes


def chart_count(node: object) -> int:
    """Vega-Lite charts under ``node`` (AppTest has no accessor for them)."""
    children = getattr(node, "children", {}).values()
    return sum((getattr(child, "type", "") == "vega_lite_chart") + chart_count(child) for child in children)


def test_themes_compare_reports_both_sides() -> None:
    at = open_page("themes", {"part": "compare"})
    at.text_input(key="cmp_a").set_value("huawei").run()
    at.text_input(key="cmp_b").set_value("tariff*").run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric} == {"A: stories": "5", "B: stories": "2", "In both": "0"}
    pngs = [b.key for b in at.get("download_button") if b.proto.label == "Chart as PNG"]
    compared = ["compare_time", "compare_overlap", "compare_terms_A", "compare_terms_B"]
    assert pngs == ["themes_bars-png", *(f"{key}-png" for key in compared)]
    assert len(at.get("vega_lite_chart")) == 5 and not at.get("plotly_chart")  # stories per theme, then 4


def test_themes_compare_with_a_bad_query_shows_where() -> None:
    at = open_page("themes", {"part": "compare"})
    at.text_input(key="cmp_a").set_value('"trade war').run()
    assert not at.exception
    assert "Comparison not run" in texts(at.error)
    assert [c for c in at.code if "^" in str(c.value)]
