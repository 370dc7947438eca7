"""Two themes or queries compared (``core.analysing.compare``): counts and share per period, overlap, reporters and
terms per side, worked out by hand on made-up stories with a real FTS5 index, including an empty side,
ties and an unknown theme."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.analysing.compare import compare, side_mask
from core.errors import QuerySyntaxError
from core.storing.search import SearchIndex

# (Beijing time or None, authors, agency, body)
STORIES = [
    ("2019-06-03 10:00", ["Ann Lee"], None, "Huawei and tariffs on phones."),  # 0: A and B
    ("2019-06-20 10:00", ["Bo Chen"], None, "Huawei phones again."),  # 1: A
    ("2019-06-25 10:00", ["Ann Lee"], None, "Rain and floods in the south."),  # 2: neither
    ("2019-08-01 10:00", [], "Bloomberg", "Tariffs on soybeans rise."),  # 3: B
    ("2019-08-02 10:00", ["Bo Chen"], None, "Tariffs and soybeans, tariffs again."),  # 4: B
    (None, ["Cy Wu"], None, "Huawei undated story."),  # 5: A, no date
]


def frame_of(stories: list[tuple[str | None, list[str], str | None, str]]) -> pd.DataFrame:
    n = len(stories)
    return pd.DataFrame(
        {
            "article_id": [f"s{i}" for i in range(n)],
            "published_at": pd.to_datetime([s[0] for s in stories]).tz_localize("Asia/Shanghai"),
            "authors": [s[1] for s in stories],
            "agency": pd.array([s[2] for s in stories], dtype="string"),
            "headline": [f"Story {i}" for i in range(n)],
            "headline_inferred": [False] * n,
            "body": [s[3] for s in stories],
            "photo_caption": pd.array([None] * n, dtype="string"),
            "section": ["World"] * n,
        }
    )


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.open(frame_of(STORIES), None)


ALL = np.ones(len(STORIES), dtype=bool)
THEMES = {"phones": {"s0", "s1"}}.get


def test_side_mask_is_the_query_inside_the_selection(index: SearchIndex) -> None:
    assert np.flatnonzero(side_mask(index, "huawei", ALL)).tolist() == [0, 1, 5]
    within = np.array([True, False, True, True, True, True])
    assert np.flatnonzero(side_mask(index, "huawei", within)).tolist() == [0, 5]
    assert np.flatnonzero(side_mask(index, "theme:phones", ALL, THEMES)).tolist() == [0, 1]
    assert not side_mask(index, "  ", ALL).any()


def test_side_mask_refuses_an_unknown_theme(index: SearchIndex) -> None:
    with pytest.raises(QuerySyntaxError, match="unknown theme 'weather'") as error:
        side_mask(index, "huawei OR theme:weather", ALL, THEMES)
    assert error.value.position == 10


def test_counts_and_share_per_month(index: SearchIndex) -> None:
    a = side_mask(index, "huawei", ALL)
    b = side_mask(index, "tariff*", ALL)
    result = compare(index.frame, ALL, a, b, freq="M")
    assert result.counts == {"A": 3, "B": 3} and result.empty == ()
    table = result.over_time.pivot(index="period_start", columns="side", values="stories")
    # June 2019: 3 dated stories (A: 0, 1; B: 0); July: none; August: 2 (B: 3, 4); the undated s5 in none
    assert table.index.strftime("%Y-%m").tolist() == ["2019-06", "2019-07", "2019-08"]
    assert table["A"].tolist() == [2, 0, 0]
    assert table["B"].tolist() == [1, 0, 2]
    share = result.over_time.pivot(index="period_start", columns="side", values="share")
    assert share["A"].tolist() == pytest.approx([2 / 3, 0.0, 0.0])
    assert share["B"].tolist() == pytest.approx([1 / 3, 0.0, 1.0])


def test_share_is_of_the_selection_not_of_the_collection(index: SearchIndex) -> None:
    within = np.array([True, True, False, True, True, True])  # s2 (June, neither side) filtered out
    a = side_mask(index, "huawei", within)
    b = side_mask(index, "tariff*", within)
    share = compare(index.frame, within, a, b).over_time
    june = share[share["period_start"] == pd.Timestamp("2019-06-01")].set_index("side")["share"]
    assert june.to_dict() == pytest.approx({"A": 1.0, "B": 0.5})


def test_overlap(index: SearchIndex) -> None:
    result = compare(index.frame, ALL, side_mask(index, "huawei", ALL), side_mask(index, "tariff*", ALL))
    assert dict(zip(result.overlap["part"], result.overlap["stories"], strict=True)) == {
        "A only": 2,
        "both": 1,
        "B only": 2,
    }


def test_top_reporters_per_side_ties_by_name(index: SearchIndex) -> None:
    result = compare(index.frame, ALL, side_mask(index, "huawei", ALL), side_mask(index, "tariff*", ALL))
    rows = [tuple(r) for r in result.reporters[["side", "name", "kind", "stories"]].itertuples(index=False)]
    # A: Ann Lee, Bo Chen and Cy Wu one story each (a tie: by name); B: Ann, Bloomberg, Bo one each
    assert rows == [
        ("A", "Ann Lee", "reporter", 1),
        ("A", "Bo Chen", "reporter", 1),
        ("A", "Cy Wu", "reporter", 1),
        ("B", "Ann Lee", "reporter", 1),
        ("B", "Bloomberg", "agency", 1),
        ("B", "Bo Chen", "reporter", 1),
    ]


def test_distinctive_terms_per_side(index: SearchIndex) -> None:
    result = compare(index.frame, ALL, side_mask(index, "huawei", ALL), side_mask(index, "tariff*", ALL))
    top = result.terms.groupby("side")["term"].first().to_dict()
    assert top == {"a": "huawei", "b": "tariffs"}


def test_an_empty_side(index: SearchIndex) -> None:
    a = side_mask(index, "huawei", ALL)
    b = side_mask(index, "graphene", ALL)
    result = compare(index.frame, ALL, a, b)
    assert result.counts == {"A": 3, "B": 0}
    assert result.empty == ("B",)
    assert result.over_time[result.over_time["side"] == "B"]["stories"].tolist() == [0, 0, 0]
    assert result.overlap["stories"].tolist() == [3, 0, 0]
    assert set(result.reporters["side"]) == {"A"}
    assert result.terms.empty


def test_both_sides_empty_and_an_undated_selection(index: SearchIndex) -> None:
    nothing = np.zeros(len(STORIES), dtype=bool)
    result = compare(index.frame, ALL, nothing, nothing)
    assert result.empty == ("A", "B")
    only_undated = np.array([False] * 5 + [True])
    result = compare(index.frame, only_undated, only_undated, nothing)
    assert result.counts["A"] == 1 and result.over_time.empty


# weeks: the Mondays 3 Jun to 29 Jul; days: 3 Jun to 2 Aug
@pytest.mark.parametrize(("freq", "periods"), [("W", 9), ("D", 61)])
def test_every_period_from_first_to_last_story(index: SearchIndex, freq: str, periods: int) -> None:
    result = compare(
        index.frame, ALL, side_mask(index, "huawei", ALL), side_mask(index, "tariff*", ALL), freq=freq
    )
    assert len(result.over_time) == 2 * periods
    assert result.over_time.groupby("side")["stories"].sum().to_dict() == {"A": 2, "B": 3}
