"""The dashboard's counts on integer codes (``core.analysing.coded``) are the counts of ``analytics`` on the
filtered frame: the same tables, dtypes and order, on the shipped sample and on generated collections
(repeated names in a byline, wires credited together, undated stories, memberships of stories not in the
collection, empty selections)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.analysing import analytics, coded
from core.model import Article, make_article_id
from core.storing.collection import Filters, open_collection
from core.storing.frame import ARROW_LIST, articles_to_frame, with_arrow_lists

SAMPLE_PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"
NAMES = ["Ding Yi", "Wang Jing", "Zhou Xinda", "Dave Yin", "Reuters", "Bloomberg", "Unsigned"]
WIRES = [None, None, "Reuters", "Bloomberg", "Bloomberg, Reuters", "Xinhua"]
THEMES = ["trade", "tech", "covid", "energy"]
START = datetime.fromisoformat("2019-06-03 09:00+08:00")


def assert_same(
    mask: np.ndarray,
    frame: pd.DataFrame,
    memberships: pd.DataFrame,
    codes: coded.Coded,
    freqs: tuple[str, ...] = ("D", "W", "M"),
    names: tuple[str, ...] = ("Ding Yi", "Reuters", "Unsigned", "Nobody"),
) -> None:
    """Every coded count of ``mask`` equals the analytics count of ``frame[mask]``."""
    part = frame[mask]
    pairs: list[tuple[Any, Any]] = [
        (coded.reporter_counts(codes, mask), analytics.reporter_counts(part)),
        (coded.cobyline_pairs(codes, mask), analytics.cobyline_pairs(part)),
        (coded.theme_counts(codes, mask), analytics.theme_counts(memberships, part)),
        (coded.theme_cooccurrence(codes, mask), analytics.theme_cooccurrence(memberships, part)),
        (coded.reporter_theme_matrix(codes, mask, 2), analytics.reporter_theme_matrix(part, memberships, 2)),
    ]
    for freq in freqs:
        pairs.append((coded.timeline(codes, mask, freq), analytics.timeline(part, freq)))
        for name in names:
            pairs.append(
                (
                    coded.reporter_timeline(codes, mask, name, freq),
                    analytics.reporter_timeline(part, name, freq),
                )
            )
    for mine, theirs in pairs:
        pd.testing.assert_frame_equal(mine, theirs)
    assert coded.selection_summary(codes, mask) == analytics.selection_summary(part)
    assert coded.copy_flags(codes, mask) == {
        "teaser": int(part["teaser"].sum()),
        "truncated": int(part["truncated"].sum()),
    }


def test_the_counts_of_the_sample_collection(tmp_path: Path) -> None:
    collection = open_collection([SAMPLE_PAGES], cache_dir=tmp_path)
    codes = collection.coded()
    assert codes is not None
    frame, members = collection.articles, collection.memberships
    rng = np.random.default_rng(7)
    masks = [np.ones(len(frame), dtype=bool), np.zeros(len(frame), dtype=bool)]
    masks += [rng.random(len(frame)) < share for share in (0.2, 0.5, 0.8)]
    masks.append(collection.select(Filters(themes=("huawei",))))
    for mask in masks:
        assert_same(mask, frame, members, codes)


def test_the_codes_are_built_once_and_dropped_with_the_themes(tmp_path: Path) -> None:
    collection = open_collection([SAMPLE_PAGES], cache_dir=tmp_path)
    assert collection.coded() is collection.coded()
    collection.derived.clear()  # what a change of the themes file does
    assert collection.coded() is not None


def test_a_collection_with_a_repeated_id_has_no_codes(tmp_path: Path) -> None:
    collection = open_collection([SAMPLE_PAGES], cache_dir=tmp_path)
    articles = collection.corpus.articles
    collection.corpus.articles = pd.concat([articles, articles.iloc[:1]], ignore_index=True)
    assert collection.coded() is None


stories = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(min_value=0, max_value=400)),  # days after START, None undated
        st.lists(st.sampled_from(NAMES[:5]), max_size=4),  # authors, repeats allowed
        st.sampled_from(WIRES),
        st.booleans(),  # teaser
        st.lists(st.sampled_from(THEMES), max_size=3),  # themes, repeats allowed
    ),
    max_size=25,
)


@settings(max_examples=50, deadline=None)
@given(stories, st.data())
def test_the_counts_of_generated_collections(drawn: list[Any], data: st.DataObject) -> None:
    made: list[Article] = []
    rows: list[tuple[str, str]] = []
    for number, (days, authors, wire, teaser, themes) in enumerate(drawn):
        published = START + timedelta(days=days, hours=number % 24) if days is not None else None
        body = f"Story number {number}."
        article_id = make_article_id(published, body)
        made.append(
            Article(
                article_id=article_id,
                published_at=published,
                section="World",
                byline=" and ".join(authors) or (wire or ""),
                authors=tuple(authors),
                agency=wire,
                headline=body,
                headline_inferred=False,
                photo_credit=None,
                photo_caption=None,
                body=body,
                paragraphs=1,
                word_count=3,
                teaser=teaser,
                truncated=not teaser and number % 3 == 0,
            )
        )
        rows += [(article_id, theme) for theme in themes]
    rows.append(("0123456789abcdef", "trade"))  # a story not in the collection
    frame = articles_to_frame(made)
    order = data.draw(st.permutations(range(len(rows))))
    memberships = pd.DataFrame(
        {
            "article_id": pd.array([rows[i][0] for i in order], dtype="string"),
            "theme": pd.array([rows[i][1] for i in order], dtype="string"),
            "hits": np.ones(len(rows), dtype="int32"),
        }
    )
    ids = pd.Index(frame["article_id"].astype(str))
    member_rows = np.asarray(ids.get_indexer(memberships["article_id"].astype(str)), dtype=np.int64)
    codes = coded.Coded.build(frame, memberships, member_rows)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(frame), max_size=len(frame))), dtype=bool)
    freq = data.draw(st.sampled_from(["D", "W", "M"]))
    name = data.draw(st.sampled_from([*NAMES, "Xinhua", "Nobody"]))
    assert_same(mask, frame, memberships, codes, (freq,), (name,))
    mine, theirs = coded.option_counts(codes, frame), analytics.option_counts(frame, memberships)
    assert mine == theirs
    assert [list(values) for values in mine.values()] == [list(values) for values in theirs.values()]  # order


@pytest.mark.parametrize("name", coded.__all__)
def test_every_count_is_documented(name: str) -> None:
    assert getattr(coded, name).__doc__


@pytest.mark.parametrize(("themes", "forced"), [(64, False), (65, False), (12, True)])
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_theme_cooccurrence_with_many_themes(themes: int, forced: bool, seed: int) -> None:
    """Up to ``SET_BITS`` themes, a story's themes are one integer's bits, the 64th theme its top bit; past
    that (or with ``SET_BITS`` forced to 0), every story's entries are paired. Both are pandas' counts."""
    rng = np.random.default_rng(seed)
    slugs = [f"theme{number:02d}" for number in range(themes)]
    made = []
    rows: list[tuple[str, str]] = []
    for number in range(themes + int(rng.integers(0, 30))):  # every theme on some story
        published = START + timedelta(hours=number)
        body = f"Story number {number}."
        article_id = make_article_id(published, body)
        made.append(
            Article(
                article_id=article_id, published_at=published, section="World", byline="", authors=(),
                agency=None, headline=body, headline_inferred=False, photo_credit=None, photo_caption=None,
                body=body, paragraphs=1, word_count=3, teaser=False, truncated=False,
            )
        )  # fmt: skip
        # the last theme (the top bit) more often than the others
        chosen = {number % themes, *rng.choice(themes, size=int(rng.integers(0, 6)))}
        chosen |= {themes - 1} if number % 2 else set()
        rows += [(article_id, slugs[int(code)]) for code in chosen]
    frame = articles_to_frame(made)
    memberships = pd.DataFrame(
        {
            "article_id": pd.array([r[0] for r in rows], dtype="string"),
            "theme": pd.array([r[1] for r in rows], dtype="string"),
            "hits": np.ones(len(rows), dtype="int32"),
        }
    )
    ids = pd.Index(frame["article_id"].astype(str))
    codes = coded.Coded.build(frame, memberships, np.asarray(ids.get_indexer(memberships["article_id"].astype(str))))
    assert len(codes.themes) == themes
    mask = rng.random(len(frame)) < 0.7
    theirs = analytics.theme_cooccurrence(memberships, frame[mask])
    if forced:
        original = coded.SET_BITS
        coded.SET_BITS = 0
        try:
            mine = coded.theme_cooccurrence(codes, mask)
        finally:
            coded.SET_BITS = original
    else:
        mine = coded.theme_cooccurrence(codes, mask)
    pd.testing.assert_frame_equal(mine, theirs)


# days from the first to the last a datetime64[ns] time can fall on (1677-09-21 .. 2262-04-11), and NaT
DAYS = st.one_of(st.integers(min_value=-106_751, max_value=106_750), st.none())


@settings(max_examples=200, deadline=None)
@given(st.lists(DAYS, max_size=60), st.sampled_from(["D", "W", "M"]))
def test_period_totals_count_what_the_period_numbers_count(days: list[int | None], freq: str) -> None:
    """``coded.period_totals`` (days counted per day, then per period) against the period of each day
    (``analytics._periods_of_days``) counted: the same periods, the same totals, NaT left out; over
    spans from one day to the whole range a time can have."""
    values = np.array([np.datetime64("NaT") if d is None else np.datetime64(d, "D") for d in days], dtype="datetime64[D]")
    periods, number = analytics._periods_of_days(values, freq)
    expected = np.bincount(number[number >= 0], minlength=len(periods))
    got_periods, totals = coded.period_totals(values, freq)
    np.testing.assert_array_equal(got_periods, periods)
    assert got_periods.dtype == periods.dtype
    np.testing.assert_array_equal(totals, expected)
    assert totals.dtype == np.int64 and int(totals.sum()) == sum(d is not None for d in days)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["trade", "tech", "Covid", "énergie", "a b"])), max_size=30),
    st.data(),
)
def test_theme_codes_from_a_categorical_as_through_the_text(themes: list[str | None], data: st.DataObject) -> None:
    """The memberships' theme codes read from a categorical's codes (its categories sorted, as a collection
    holds them) or from any other column equal those of the text (``analytics._codes``), kept rows only."""
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=len(themes), max_size=len(themes))), dtype=bool)
    keep &= np.array([theme is not None for theme in themes], dtype=bool)
    column = pd.Series(themes, dtype=object)
    expected_codes, expected_names = analytics._codes(column.astype("string"), keep)
    extra = data.draw(st.lists(st.sampled_from(["zzz", "unused"]), max_size=2))  # categories no row has
    categories = sorted({t for t in themes if t is not None} | set(extra))
    for values in (
        column,
        column.astype(pd.CategoricalDtype(categories)),
        column.astype(pd.CategoricalDtype(list(reversed(categories)))),  # not sorted: through the text
    ):
        codes, names = coded._theme_codes(values, keep)
        assert codes.tolist() == list(expected_codes) and names == expected_names


def _credits_by_pandas(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The credits as ``analytics._credits`` made them before it coded each part on its own: one Python
    string per credit factorized, the repeats found by a hash table of every key."""
    author_rows, authors = analytics.list_items(frame["authors"])
    wire_rows, wires = analytics._wires(frame)
    unsigned = np.flatnonzero((np.bincount(author_rows, minlength=len(frame)) == 0) & frame["agency"].isna())
    rows = np.concatenate([author_rows, wire_rows, unsigned])
    kinds = np.repeat([0, 1, 2], [len(author_rows), len(wire_rows), len(unsigned)])
    every = np.concatenate([authors, wires, np.full(len(unsigned), analytics.UNSIGNED, dtype=object)])
    codes, names = analytics._codes(every)
    once = ~pd.Index((codes * 3 + kinds) * max(len(frame), 1) + rows).duplicated()
    return rows[once], codes[once], kinds[once], names


def _pairs_by_merge(rows: np.ndarray, codes: np.ndarray, kinds: np.ndarray, names: int) -> tuple[np.ndarray, ...]:
    """``coded._author_pairs`` as it was: a self-join of the authors on their row in pandas."""
    authors = kinds == 0
    several = np.bincount(rows[authors], minlength=int(rows.max()) + 1 if len(rows) else 0) >= 2
    long = pd.DataFrame({"row": rows[authors], "code": codes[authors]})
    long = long[several[long["row"].to_numpy()]]
    pairs = long.merge(long, on="row", suffixes=("_a", "_b"))
    pairs = pairs[pairs["code_a"] < pairs["code_b"]]
    keys = pairs["code_a"].to_numpy(dtype=np.int64) * max(names, 1) + pairs["code_b"].to_numpy(dtype=np.int64)
    distinct, ids = np.unique(keys, return_inverse=True)
    return pairs["row"].to_numpy(dtype=np.int64), ids.astype(np.int64).ravel(), distinct


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.sampled_from(NAMES), max_size=5), st.sampled_from([*WIRES, "Reuters, Reuters"])),
        max_size=30,
    ),
    st.booleans(),
)
def test_credits_and_pairs_as_made_through_pandas(drawn: list[Any], arrow: bool) -> None:
    """The credits (each part coded on its own, repeats found by a sort) and the co-byline pairs (made in
    numpy) are, array for array and in the same order, those made through a Python string per credit and
    a pandas self-join: repeated names in a byline, an author called "Unsigned", a wire named twice, lists
    held in Arrow or as Python lists."""
    authors = pd.Series([list(a) for a, _ in drawn], dtype=object)
    frame = pd.DataFrame({"authors": authors, "agency": pd.array([w for _, w in drawn], dtype="string")})
    if arrow:
        frame = with_arrow_lists(frame)
        assert frame["authors"].dtype == ARROW_LIST
    found = analytics._credits(frame)
    rows, codes, kinds, names = _credits_by_pandas(frame)
    assert found.names == names
    for mine, theirs in ((found.rows, rows), (found.codes, codes), (found.kinds, kinds)):
        np.testing.assert_array_equal(mine, theirs)
    pairs = coded._author_pairs(found.rows, found.codes, found.kinds, len(found.names))
    expected = _pairs_by_merge(found.rows, found.codes, found.kinds, len(found.names))
    for mine, theirs in zip(pairs, expected, strict=True):
        assert mine.dtype == np.int64
        np.testing.assert_array_equal(mine, theirs)


@given(st.lists(st.integers(0, 9), max_size=40), st.integers(0, 5))
def test_theme_starts_as_a_search(rows: list[int], more: int) -> None:
    """Each row's first entry among rows in order, by a count of each row, as a binary search finds it."""
    ordered = np.sort(np.array(rows, dtype=np.int64))
    count = 10 + more
    np.testing.assert_array_equal(coded._starts(ordered, count), np.searchsorted(ordered, np.arange(count + 1)))
