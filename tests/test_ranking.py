"""Reading orders of a selection (``core.analysing.ranking``): newest, oldest, longest, and relevance by the real
FTS5 index's BM25, on hand-made frames whose expected order is worked out by hand, and on the sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analysing.query import parse_query, positive_terms
from core.analysing.ranking import SORTS, order_positions, ranked_positions, relevance_terms
from core.analysing.themes import Theme, parse_term, query_theme
from core.storing.collection import Collection, open_collection
from core.storing.search import SearchIndex

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "pages"


def frame_of(stories: list[tuple[str, str, str | None, int]]) -> pd.DataFrame:
    """(headline, body, Beijing time or None, word count) per story; ids ``s0``, ``s1``, ..."""
    n = len(stories)
    return pd.DataFrame(
        {
            "article_id": [f"s{i}" for i in range(n)],
            "headline": [s[0] for s in stories],
            "body": [s[1] for s in stories],
            "photo_caption": [None] * n,
            "headline_inferred": [False] * n,
            "authors": [[] for _ in range(n)],
            "agency": pd.array([None] * n, dtype="string"),
            "section": ["World"] * n,
            "published_at": pd.to_datetime([s[2] for s in stories]).tz_localize("Asia/Shanghai"),
            "word_count": np.array([s[3] for s in stories], dtype=np.int32),
        }
    )


# s0..s5: dates with a tie (s1, s2) and an undated story (s5); lengths with a tie (s0, s3)
STORIES = [
    ("Tariffs rise", "Tariff talk.", "2019-06-03 10:00", 300),
    ("Port news", "Ships and ports.", "2019-09-01 08:00", 120),
    ("Port news again", "Ships.", "2019-09-01 08:00", 900),
    ("Huawei and tariffs", "Huawei Huawei Huawei said tariffs.", "2019-07-15 12:00", 300),
    ("Weather", "Rain in the south.", "2018-01-01 00:00", 50),
    ("Undated", "Huawei once, among many other words about markets and trade.", None, 1000),
]


@pytest.fixture(scope="module")
def hand() -> SearchIndex:
    return SearchIndex.open(frame_of(STORIES), None)


ALL = np.arange(len(STORIES))


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # ties on the date (s1, s2) keep row order; the undated story is last in both date orders
        ("newest", [1, 2, 3, 0, 4, 5]),
        ("oldest", [4, 0, 3, 1, 2, 5]),
        # 1000, 900, then the tie at 300 newest first (s3 in July before s0 in June), 120, 50
        ("longest", [5, 2, 3, 0, 1, 4]),
    ],
)
def test_orders_without_the_index(hand: SearchIndex, sort: str, expected: list[int]) -> None:
    assert order_positions(hand.frame, ALL, sort).tolist() == expected


def test_only_the_given_positions_come_back(hand: SearchIndex) -> None:
    assert order_positions(hand.frame, np.array([4, 0, 5]), "oldest").tolist() == [4, 0, 5]
    assert order_positions(hand.frame, np.array([], dtype=np.intp), "newest").tolist() == []


def test_relevance_ranks_by_bm25_and_puts_non_matching_stories_last(hand: SearchIndex) -> None:
    terms = positive_terms(parse_query("huawei"))
    order = ranked_positions(hand, ALL, "relevance", terms).tolist()
    # s3 has huawei in its headline (weighted) and three times in a short body; s5 once in a long body;
    # the others do not mention it and follow newest first
    assert order == [3, 5, 1, 2, 0, 4]


def test_relevance_scores_come_from_the_index(hand: SearchIndex) -> None:
    rows, scores = hand.bm25(positive_terms(parse_query("huawei")))
    by_row = dict(zip(rows.tolist(), scores.tolist(), strict=True))
    assert set(by_row) == {3, 5}
    assert by_row[3] > by_row[5] > 0


def test_relevance_of_a_prefix_and_a_phrase(hand: SearchIndex) -> None:
    # tariff* matches "Tariffs"/"Tariff" (s0: headline and body) and "tariffs" (s3); "ports" only s1
    order = ranked_positions(hand, ALL, "relevance", positive_terms(parse_query('tariff* OR "and ports"')))
    assert set(order[:3].tolist()) == {0, 1, 3}
    assert order[3:].tolist() == [2, 4, 5]


def test_relevance_ties_go_newest_first() -> None:
    same = [("Same", "Huawei news.", "2019-01-01", 3), ("Same", "Huawei news.", "2019-05-01", 3)]
    index = SearchIndex.open(frame_of(same), None)
    order = ranked_positions(index, np.arange(2), "relevance", positive_terms(parse_query("huawei")))
    assert order.tolist() == [1, 0]


def test_relevance_without_terms_is_newest_first(hand: SearchIndex) -> None:
    assert ranked_positions(hand, ALL, "relevance", []).tolist() == [1, 2, 3, 0, 4, 5]


def test_relevance_with_terms_no_story_contains_is_newest_first(hand: SearchIndex) -> None:
    order = ranked_positions(hand, ALL, "relevance", positive_terms(parse_query("graphene")))
    assert order.tolist() == [1, 2, 3, 0, 4, 5]


def test_unknown_sort_and_missing_scores_are_refused(hand: SearchIndex) -> None:
    with pytest.raises(ValueError, match="unknown sort 'popular'; the sorts are newest, oldest"):
        order_positions(hand.frame, ALL, "popular")
    with pytest.raises(ValueError, match="one score per position"):
        order_positions(hand.frame, ALL, "relevance")


def test_relevance_terms_of_query_and_themes() -> None:
    theme = Theme("trade", "Trade", "#000000", terms=(parse_term("tariff*"), parse_term("Huawei")))
    saved = query_theme("ports", "Ports", "ports AND NOT weather")
    terms = relevance_terms("huawei -canada OR author:x", [theme, saved])
    # negated words and fields are not scored; "Huawei" from the theme is the query's "huawei" again
    assert [str(t) for t in terms] == ["huawei", "tariff*", "ports"]
    assert relevance_terms('"unclosed', [theme]) == list(theme.terms)
    assert relevance_terms("") == []


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    return open_collection([SAMPLE], cache_dir=tmp_path_factory.mktemp("ranking-cache"))


def test_sample_relevance_puts_every_huawei_story_first(sample: Collection) -> None:
    everything = np.arange(len(sample.articles))
    terms = relevance_terms("huawei")
    order = ranked_positions(sample.index, everything, "relevance", terms)
    matching = np.flatnonzero(sample.index.mask("huawei"))
    assert sorted(order.tolist()) == everything.tolist()
    assert set(order[: len(matching)].tolist()) == set(matching.tolist())
    rest = order[len(matching) :]
    assert rest.tolist() == [
        r for r in order_positions(sample.articles, everything, "newest") if r in set(rest)
    ]


def test_every_sort_is_a_permutation_of_the_selection(sample: Collection) -> None:
    chosen = np.flatnonzero(sample.index.mask("china OR trade"))
    for sort in SORTS:
        order = ranked_positions(sample.index, chosen, sort, relevance_terms("china OR trade"))
        assert sorted(order.tolist()) == chosen.tolist()
