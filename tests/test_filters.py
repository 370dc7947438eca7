"""The shared filters (``core.storing.collection.Filters`` and ``select``) on the sample, counted by hand.

The sample's 20 stories, newest first (Beijing time), with the story keys used below::

    meng 11-07 Dave Yin          fifa 10-25 16:07 Matthew Walsh   essex 10-25 Qing Ying, Ren Qiuyu
    tiktok 10-25 Bloomberg       zoellick 09-25 Timmy Shen        oi 09-23 Matthew Walsh
    refiners 09-18 Huang Kaixi, Zhou Meilin, Tang Ziyi            lu-trade-war 09-16 Lu Zhenhua
    purdy 09-11 Bloomberg        imf 09-10 04:55 Han Wei          graphene 09-06 Matthew Walsh
    guo-debt 08-16 Guo Yingzhe   morocco 07-31 Tanner Brown       gao-tariffs 07-04 Tianyu M. Fang
    xi-north-korea 06-17 unsigned                                 vought 06-10 Bloomberg
    pandas 06-06 Yang Ge         travel-alerts 06-04 Zhao Runhua, Teng Jing Xuan
    study-warning 06-03 Zhao Runhua                               ieee 06-03 Tang Ziyi

All are in section World. ``imf`` was published 2019-09-10 04:55 in Beijing, which is still 09-09 in UTC.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from expectations import SAMPLE_STORIES

from core.errors import QuerySyntaxError
from core.storing.collection import KINDS, Collection, Filters, open_collection, select

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PAGES = PROJECT_ROOT / "data" / "pages"

STORIES = SAMPLE_STORIES
ALL = set(STORIES)
HUAWEI = {"meng", "oi", "purdy", "vought", "ieee"}
TRADE_WAR = {"zoellick", "lu-trade-war", "purdy", "guo-debt", "gao-tariffs", "travel-alerts"}
WALSH = {"fifa", "oi", "graphene"}
BLOOMBERG = {"tiktok", "purdy", "vought"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    return open_collection([SAMPLE_PAGES], cache_dir=tmp_path_factory.mktemp("filters-cache"))


@pytest.fixture(scope="module")
def keys(sample: Collection) -> list[str]:
    """The story key of each row of the frame."""
    out = []
    for body in sample.articles["body"]:
        matching = [key for key, phrase in STORIES.items() if phrase in body]
        assert len(matching) == 1, body[:60]
        out.append(matching[0])
    assert set(out) == ALL
    return out


def selected(sample: Collection, keys: list[str], filters: Filters) -> set[str]:
    mask = select(sample, filters)
    assert isinstance(mask, np.ndarray) and mask.dtype == bool and mask.shape == (20,)
    return {key for key, keep in zip(keys, mask, strict=True) if keep}


CASES = [
    # (id, filters, stories)
    ("none", Filters(), ALL),
    # themes: alternatives are OR-ed; slug or label, any case
    ("theme-huawei", Filters(themes=("huawei",)), HUAWEI),
    ("theme-label", Filters(themes=("Huawei",)), HUAWEI),
    ("theme-label-trade", Filters(themes=("Trade war",)), TRADE_WAR),
    ("theme-sports", Filters(themes=("sports",)), {"fifa"}),
    ("themes-or", Filters(themes=("sports", "tiktok-apps")), {"fifa", "tiktok"}),
    ("themes-or-overlap", Filters(themes=("huawei", "canada-china")), HUAWEI | {"guo-debt"}),
    ("themes-same-set", Filters(themes=("huawei", "5g-telecom")), HUAWEI),
    ("theme-unknown", Filters(themes=("no-such-theme",)), set()),
    # reporters: staff names, agency names and "Unsigned", any case, OR-ed
    ("reporter-walsh", Filters(reporters=("Matthew Walsh",)), WALSH),
    ("reporter-lower", Filters(reporters=("matthew walsh",)), WALSH),
    ("reporter-co-author", Filters(reporters=("Tang Ziyi",)), {"refiners", "ieee"}),
    ("reporter-zhao", Filters(reporters=("Zhao Runhua",)), {"travel-alerts", "study-warning"}),
    ("reporter-agency", Filters(reporters=("Bloomberg",)), BLOOMBERG),
    ("reporter-unsigned", Filters(reporters=("Unsigned",)), {"xi-north-korea"}),
    ("reporters-or", Filters(reporters=("Matthew Walsh", "Bloomberg")), WALSH | BLOOMBERG),
    (
        "reporters-mixed",
        Filters(reporters=("Unsigned", "bloomberg", "Tang Ziyi")),
        {"xi-north-korea", "refiners", "ieee"} | BLOOMBERG,
    ),
    ("reporter-unknown", Filters(reporters=("Nobody",)), set()),
    ("reporter-part-of-name", Filters(reporters=("Walsh",)), set()),
    # sections: case-insensitive
    ("section-world", Filters(sections=("World",)), ALL),
    ("section-lower", Filters(sections=("world",)), ALL),
    ("section-upper-or", Filters(sections=("WORLD", "Economy")), ALL),
    ("section-other", Filters(sections=("Economy",)), set()),
    # kinds
    ("kind-agency", Filters(kinds=("agency",)), BLOOMBERG),
    ("kind-unsigned", Filters(kinds=("unsigned",)), {"xi-north-korea"}),
    ("kind-staff", Filters(kinds=("staff",)), ALL - BLOOMBERG - {"xi-north-korea"}),
    ("kinds-staff-agency", Filters(kinds=("staff", "agency")), ALL - {"xi-north-korea"}),
    ("kinds-all", Filters(kinds=KINDS), ALL),
    # dates: both ends inclusive, in Beijing time
    ("from", Filters(date_from=date(2019, 10, 25)), {"meng", "fifa", "essex", "tiktok"}),
    ("to", Filters(date_to=date(2019, 6, 3)), {"study-warning", "ieee"}),
    ("one-day", Filters(date_from=date(2019, 6, 3), date_to=date(2019, 6, 3)), {"study-warning", "ieee"}),
    (
        "one-busy-day",
        Filters(date_from=date(2019, 10, 25), date_to=date(2019, 10, 25)),
        {"fifa", "essex", "tiktok"},
    ),
    ("beijing-day", Filters(date_from=date(2019, 9, 10), date_to=date(2019, 9, 10)), {"imf"}),
    (
        "to-before-beijing-day",
        Filters(date_to=date(2019, 9, 9)),
        {"graphene", "guo-debt", "morocco", "gao-tariffs", "xi-north-korea", "vought", "pandas"}
        | {"travel-alerts", "study-warning", "ieee"},
    ),
    (
        "from-beijing-day",
        Filters(date_from=date(2019, 9, 10)),
        {"meng", "fifa", "essex", "tiktok", "zoellick", "oi", "refiners", "lu-trade-war", "purdy", "imf"},
    ),
    (
        "range",
        Filters(date_from=date(2019, 6, 4), date_to=date(2019, 6, 17)),
        {"xi-north-korea", "vought", "pandas", "travel-alerts"},
    ),
    ("after-the-last", Filters(date_from=date(2019, 11, 8)), set()),
    ("from-after-to", Filters(date_from=date(2019, 10, 1), date_to=date(2019, 9, 1)), set()),
    # query
    ("query", Filters(q="huawei AND 5G"), {"meng", "oi", "vought"}),
    ("query-blank", Filters(q="   "), ALL),
    # combinations: AND between filters
    ("q-kind", Filters(q="huawei", kinds=("agency",)), {"purdy", "vought"}),
    ("q-negative-kind", Filters(q="-huawei", kinds=("agency",)), {"tiktok"}),
    ("theme-reporter", Filters(themes=("huawei",), reporters=("Matthew Walsh",)), {"oi"}),
    (
        "theme-date",
        Filters(themes=("trade-war",), date_from=date(2019, 9, 1)),
        {"zoellick", "lu-trade-war", "purdy"},
    ),
    ("reporter-kind-contradiction", Filters(reporters=("Bloomberg",), kinds=("staff",)), set()),
    ("section-kind", Filters(sections=("world",), kinds=("unsigned",)), {"xi-north-korea"}),
    ("q-reporter", Filters(q='"trade war"', reporters=("Lu Zhenhua",)), {"lu-trade-war"}),
    (
        "everything",
        Filters(
            q="huawei OR tiktok",
            themes=("huawei", "tiktok-apps"),
            reporters=("Bloomberg", "Tang Ziyi"),
            sections=("World",),
            kinds=("agency", "staff"),
            date_from=date(2019, 6, 3),
            date_to=date(2019, 10, 25),
        ),
        {"tiktok", "purdy", "vought", "ieee"},
    ),
]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [pytest.param(f, e, id=i) for i, f, e in CASES],
)
def test_select(sample: Collection, keys: list[str], filters: Filters, expected: set[str]) -> None:
    assert selected(sample, keys, filters) == expected


def test_kinds_partition_the_sample(sample: Collection, keys: list[str]) -> None:
    parts = [selected(sample, keys, Filters(kinds=(kind,))) for kind in KINDS]
    assert [len(p) for p in parts] == [16, 3, 1]
    assert sum(len(p) for p in parts) == 20
    assert set().union(*parts) == ALL


def test_filters_combine_with_and(sample: Collection, keys: list[str]) -> None:
    one = Filters(themes=("trade-war",))
    two = Filters(kinds=("agency",))
    both = Filters(themes=("trade-war",), kinds=("agency",))
    assert (
        selected(sample, keys, both) == selected(sample, keys, one) & selected(sample, keys, two) == {"purdy"}
    )


def test_empty_filters() -> None:
    assert Filters().empty
    assert not Filters(q="x").empty
    assert not Filters(kinds=("staff",)).empty
    assert not Filters(date_to=date(2020, 1, 1)).empty


def test_bad_query_raises_syntax_error(sample: Collection) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        select(sample, Filters(q="huawei AND", kinds=("staff",)))
    assert caught.value.position == 7
