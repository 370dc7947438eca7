"""Analytics over the article frame: hand-counted expectations on the shipped sample page and on tiny frames.

Sample page facts (counted by hand from ``data/pages/000_6a6401b8027f1b55.txt``, Beijing dates): 20 stories
from Mon 2019-06-03 to Thu 2019-11-07; Bloomberg signs 3 (06-10, 09-11, 10-25), Matthew Walsh 3 (09-06,
09-23, 10-25), one story is unsigned (06-17); five stories mention Huawei in their body.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.analysing import analytics
from core.analysing.analytics import (
    STAFF,
    UNSIGNED,
    cobyline_pairs,
    compare_terms,
    distinctive_terms,
    mentions,
    period_starts,
    reporter_counts,
    reporter_theme_matrix,
    reporter_timeline,
    selection_summary,
    story_threads,
    theme_cooccurrence,
    theme_counts,
    theme_evidence,
    thread_of,
    timeline,
    timeline_headlines,
)
from core.analysing.terms import STOPWORDS, _term_counts, article_texts, term_sample, tokenize
from core.model import Article, make_article_id
from core.storing.frame import articles_to_frame, empty_frame
from core.storing.ingest import ingest

SAMPLE_PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"

# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return ingest([SAMPLE_PAGES], use_cache=False).articles


def story(
    when: str | None,
    body: str,
    *,
    authors: tuple[str, ...] = (),
    agency: str | None = None,
    section: str = "World",
    headline: str | None = None,
    related: tuple[str, ...] = (),
    caption: str | None = None,
) -> Article:
    """One hand-made story; ``when`` is Beijing time ``"2019-06-03 09:00"``; no headline = inferred."""
    published = datetime.fromisoformat(when + "+08:00") if when else None
    return Article(
        article_id=make_article_id(published, body),
        published_at=published,
        section=section,
        byline=" and ".join(authors) or (agency or ""),
        authors=authors,
        agency=agency,
        headline=headline or " ".join(body.split()[:8]),
        headline_inferred=headline is None,
        photo_credit=None,
        photo_caption=caption,
        body=body,
        paragraphs=1,
        word_count=len(body.split()),
        teaser=False,
        truncated=False,
        related=related,
    )


def frame_of(*stories: Article) -> pd.DataFrame:
    return articles_to_frame(list(stories))


def memberships_of(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "article_id": pd.array([a for a, _ in rows], dtype="string"),
            "theme": pd.array([t for _, t in rows], dtype="string"),
            "hits": np.ones(len(rows), dtype="int32"),
        }
    )


def counts_by_period(out: pd.DataFrame) -> dict[str, int]:
    """Non-zero rows of a timeline as {"YYYY-MM-DD": articles}."""
    nonzero = out[out["articles"] > 0]
    return {str(p.date()): int(n) for p, n in zip(nonzero["period_start"], nonzero["articles"], strict=True)}


# ------------------------------------------------------------------------------------------------ timeline

SAMPLE_WEEKS = {  # Monday of the week -> stories, from the byline dates
    "2019-06-03": 4,
    "2019-06-10": 1,
    "2019-06-17": 1,
    "2019-07-01": 1,
    "2019-07-29": 1,
    "2019-08-12": 1,
    "2019-09-02": 1,
    "2019-09-09": 2,
    "2019-09-16": 2,
    "2019-09-23": 2,
    "2019-10-21": 3,
    "2019-11-04": 1,
}
SAMPLE_MONTHS = {
    "2019-06-01": 6,
    "2019-07-01": 2,
    "2019-08-01": 1,
    "2019-09-01": 7,
    "2019-10-01": 3,
    "2019-11-01": 1,
}


def test_weekly_timeline_of_the_sample(sample: pd.DataFrame) -> None:
    out = timeline(sample, "W")
    assert list(out.columns) == ["period_start", "articles"]
    assert counts_by_period(out) == SAMPLE_WEEKS
    # Every Monday from 2019-06-03 to 2019-11-04 (22 weeks later) is present, the empty ones with 0.
    assert len(out) == 23
    assert (out["period_start"].diff().dropna() == pd.Timedelta(days=7)).all()
    assert (out["period_start"].dt.day_of_week == 0).all()
    assert out["period_start"].dt.tz is None
    assert out["articles"].sum() == 20


def test_monthly_and_daily_timeline_of_the_sample(sample: pd.DataFrame) -> None:
    assert counts_by_period(timeline(sample, "M")) == SAMPLE_MONTHS
    daily = timeline(sample, "D")
    assert len(daily) == 158  # 2019-06-03 .. 2019-11-07
    assert counts_by_period(daily)["2019-06-03"] == 2
    assert counts_by_period(daily)["2019-10-25"] == 3
    assert daily["articles"].sum() == 20


def test_periods_follow_beijing_time_not_utc() -> None:
    # 2019-06-10 00:30 in Beijing is still Sunday 2019-06-09 in UTC: it belongs to the week of 06-10.
    frame = frame_of(
        story("2019-06-09 23:30", "Sunday night story."),
        story("2019-06-10 00:30", "Monday morning story."),
        story("2019-06-30 23:59", "Last minute of June."),
        story("2019-07-01 00:01", "First minute of July."),
    )
    assert counts_by_period(timeline(frame, "W")) == {
        "2019-06-03": 1,
        "2019-06-10": 1,
        "2019-06-24": 1,
        "2019-07-01": 1,
    }
    assert counts_by_period(timeline(frame, "M")) == {"2019-06-01": 3, "2019-07-01": 1}
    starts = period_starts(frame["published_at"], "D")
    assert [str(s.date()) for s in starts] == ["2019-06-09", "2019-06-10", "2019-06-30", "2019-07-01"]


def test_undated_stories_are_left_out() -> None:
    frame = frame_of(story("2019-06-03 10:00", "Dated."), story(None, "Undated story."))
    out = timeline(frame, "D", by="section", share=True)
    assert out["articles"].sum() == 1
    assert timeline(frame_of(story(None, "Undated story.")), "W").empty


def test_share_by_section_sums_to_one_per_period() -> None:
    frame = frame_of(
        story("2019-06-03 10:00", "One.", section="Economy"),
        story("2019-06-04 10:00", "Two.", section="Economy"),
        story("2019-06-05 10:00", "Three.", section="World"),
        story("2019-06-20 10:00", "Four.", section=""),
    )
    out = timeline(frame, "W", by="section", share=True)
    assert list(out.columns) == ["period_start", "group", "articles", "share"]
    first_week = out[out["period_start"] == pd.Timestamp("2019-06-03")].set_index("group")
    assert first_week.loc["Economy", "articles"] == 2
    assert first_week.loc["Economy", "share"] == pytest.approx(2 / 3)
    assert first_week.loc["No section", "articles"] == 0
    sums = out.groupby("period_start")["share"].sum()
    assert sums.to_dict() == {
        pd.Timestamp("2019-06-03"): pytest.approx(1.0),
        pd.Timestamp("2019-06-10"): 0.0,  # a week with no stories: every group 0, share 0
        pd.Timestamp("2019-06-17"): pytest.approx(1.0),
    }
    # 3 weeks x 3 groups, each group in each week.
    assert len(out) == 9
    assert out["group"].tolist()[:3] == ["Economy", "No section", "World"]


def test_share_by_section_on_the_sample(sample: pd.DataFrame) -> None:
    out = timeline(sample, "M", by="section", share=True)
    assert set(out["group"]) == {"World"}
    assert out["share"].tolist() == [1.0] * 6


def test_timeline_by_agency(sample: pd.DataFrame) -> None:
    out = timeline(sample, "M", by="agency")
    table = out.pivot(index="period_start", columns="group", values="articles")
    assert list(table.columns) == ["Bloomberg", STAFF, UNSIGNED]
    assert table["Bloomberg"].tolist() == [1, 0, 0, 1, 1, 0]
    assert table[UNSIGNED].tolist() == [1, 0, 0, 0, 0, 0]
    assert table[STAFF].tolist() == [4, 2, 1, 6, 2, 1]
    assert table.sum(axis=1).tolist() == list(SAMPLE_MONTHS.values())


def test_timeline_by_theme_counts_a_story_in_each_of_its_themes() -> None:
    a = story("2019-06-03 10:00", "Tariffs and chips.")
    b = story("2019-06-04 10:00", "Chips only.")
    c = story("2019-06-12 10:00", "Nothing themed.")
    frame = frame_of(a, b, c)
    memberships = memberships_of(
        [(a.article_id, "trade"), (a.article_id, "tech"), (b.article_id, "tech"), (b.article_id, "tech")]
        + [("not-in-frame", "trade")]
    )
    out = timeline(frame, "W", by="theme", memberships=memberships, share=True)
    cells = {(str(p.date()), g): (n, s) for p, g, n, s in out.itertuples(index=False)}
    assert cells == {
        ("2019-06-03", "tech"): (2, 1.0),
        ("2019-06-03", "trade"): (1, 0.5),
        ("2019-06-10", "tech"): (0, 0.0),
        ("2019-06-10", "trade"): (0, 0.0),
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"freq": "Y"}, "freq"),
        ({"by": "reporter"}, "by must be"),
        ({"by": "theme"}, "memberships"),
    ],
)
def test_timeline_rejects_bad_arguments(sample: pd.DataFrame, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        timeline(sample, **kwargs)


def _timeline_headlines_reference(frame: pd.DataFrame, freq: str, max_per_period: int) -> pd.DataFrame:
    """``timeline_headlines`` as it was written first: every story's headline in a sorted table."""
    starts = analytics._start_days(frame["published_at"], freq)
    table = pd.DataFrame(
        {
            "period_start": starts.astype("datetime64[ns]"),
            "published_at": frame["published_at"].to_numpy(dtype="datetime64[ns]"),
            "headline": frame["headline"].fillna("").astype(str).to_numpy(dtype=object),
        }
    ).dropna(subset=["period_start"])
    table = table.sort_values(["period_start", "published_at"], ascending=[True, False], kind="stable")
    newest = table[table.groupby("period_start").cumcount() < max_per_period]
    joined = newest.groupby("period_start", sort=True)["headline"].agg("\n".join)
    return joined.rename("headlines").reset_index().astype({"headlines": "string"})


@given(
    st.lists(st.one_of(st.none(), st.integers(0, 40)), max_size=40),
    st.sampled_from(["D", "W", "M"]),
    st.integers(1, 4),
)
def test_timeline_headlines_reads_only_the_headlines_it_shows_and_answers_as_before(
    hours: list[int | None], freq: str, most: int
) -> None:
    base = pd.Timestamp("2019-12-28 20:00", tz="Asia/Shanghai")
    stamps = pd.Series([pd.NaT if h is None else base + pd.Timedelta(hours=7 * h) for h in hours], dtype="datetime64[ns, Asia/Shanghai]")
    frame = pd.DataFrame(
        {"published_at": stamps, "headline": pd.Series([None if n % 5 == 4 else f"story {n}" for n in range(len(hours))], dtype="string")}
    )
    got = timeline_headlines(frame, freq, max_per_period=most)
    pd.testing.assert_frame_equal(got, _timeline_headlines_reference(frame, freq, most))


def test_timeline_headlines_newest_first(sample: pd.DataFrame) -> None:
    out = timeline_headlines(sample, "M", max_per_period=2)
    assert list(out.columns) == ["period_start", "headlines"]
    assert len(out) == 6  # only months with stories
    october = out.set_index("period_start").loc[pd.Timestamp("2019-10-01"), "headlines"].split("\n")
    assert len(october) == 2
    assert october[0].startswith("FIFA, world soccer")  # 16:07
    assert october[1].startswith("The 39 people found dead")  # 13:45; the 11:11 Bloomberg story is cut
    november = out.set_index("period_start").loc[pd.Timestamp("2019-11-01"), "headlines"]
    assert "\n" not in november


# ----------------------------------------------------------------------------------------------- reporters


def test_reporter_counts_of_the_sample(sample: pd.DataFrame) -> None:
    out = reporter_counts(sample)
    assert list(out.columns) == ["name", "kind", "articles", "first", "last"]
    rows = out.set_index("name")
    assert rows.loc["Bloomberg", "kind"] == "agency"
    assert rows.loc["Bloomberg", "articles"] == 3
    assert rows.loc["Matthew Walsh", "kind"] == "reporter"
    assert rows.loc["Matthew Walsh", "articles"] == 3
    assert rows.loc["Matthew Walsh", "first"] == pd.Timestamp("2019-09-06")
    assert rows.loc["Matthew Walsh", "last"] == pd.Timestamp("2019-10-25")
    assert rows.loc[UNSIGNED, "kind"] == "unsigned"
    assert rows.loc[UNSIGNED, "articles"] == 1
    assert rows.loc[UNSIGNED, "first"] == pd.Timestamp("2019-06-17")
    assert rows.loc["Tang Ziyi", "articles"] == 2
    assert rows.loc["Zhao Runhua", "articles"] == 2
    assert "Bloomberg" not in set(out.loc[out["kind"] == "reporter", "name"])
    # 16 reporters, one agency, the unsigned; author credits add up to 20 (co-bylines count for each).
    assert len(out) == 18
    assert out.loc[out["kind"] == "reporter", "articles"].sum() == 20
    assert out["name"].tolist()[:4] == ["Bloomberg", "Matthew Walsh", "Tang Ziyi", "Zhao Runhua"]
    assert out["articles"].is_monotonic_decreasing


def test_reporter_counts_wires_mixed_bylines_and_repeats() -> None:
    frame = frame_of(
        story("2019-06-03 10:00", "Staff and wire.", authors=("Wang Jing",), agency="Reuters"),
        story("2019-06-04 10:00", "Two wires.", agency="Bloomberg, Reuters"),
        story("2019-06-05 10:00", "Name twice.", authors=("Ding Yi", "Ding Yi")),
        story(None, "Undated and unsigned."),
    )
    out = reporter_counts(frame)
    assert out[["name", "kind", "articles"]].values.tolist() == [
        ["Reuters", "agency", 2],
        ["Bloomberg", "agency", 1],
        ["Ding Yi", "reporter", 1],
        [UNSIGNED, "unsigned", 1],
        ["Wang Jing", "reporter", 1],
    ]
    assert out.set_index("name").loc[UNSIGNED, ["first", "last"]].isna().all()


def test_reporter_timeline(sample: pd.DataFrame) -> None:
    walsh = reporter_timeline(sample, "Matthew Walsh", "M")
    assert list(walsh.columns) == ["period_start", "articles"]
    assert walsh["articles"].tolist() == [0, 0, 0, 2, 1, 0]  # Jun..Nov: the whole sample's range
    assert reporter_timeline(sample, "Bloomberg", "M")["articles"].tolist() == [1, 0, 0, 1, 1, 0]
    assert reporter_timeline(sample, UNSIGNED, "M")["articles"].tolist() == [1, 0, 0, 0, 0, 0]
    assert reporter_timeline(sample, "Nobody", "M")["articles"].sum() == 0


def test_cobyline_pairs_of_the_sample(sample: pd.DataFrame) -> None:
    out = cobyline_pairs(sample)
    assert list(out.columns) == ["a", "b", "articles"]
    assert out.values.tolist() == [
        ["Huang Kaixi", "Tang Ziyi", 1],
        ["Huang Kaixi", "Zhou Meilin", 1],
        ["Qing Ying", "Ren Qiuyu", 1],
        ["Tang Ziyi", "Zhou Meilin", 1],
        ["Teng Jing Xuan", "Zhao Runhua", 1],
    ]


def test_cobyline_pairs_count_stories() -> None:
    frame = frame_of(
        story("2019-06-03 10:00", "One.", authors=("Zhou Xinda", "Ding Yi")),
        story("2019-06-04 10:00", "Two.", authors=("Ding Yi", "Zhou Xinda", "Wang Jing")),
        story("2019-06-05 10:00", "Three.", authors=("Ding Yi",)),
    )
    assert cobyline_pairs(frame).values.tolist() == [
        ["Ding Yi", "Zhou Xinda", 2],
        ["Ding Yi", "Wang Jing", 1],
        ["Wang Jing", "Zhou Xinda", 1],
    ]


def test_reporter_theme_matrix() -> None:
    a = story("2019-06-03 10:00", "One.", authors=("Ding Yi", "Wang Jing"))
    b = story("2019-06-04 10:00", "Two.", authors=("Ding Yi",))
    c = story("2019-06-05 10:00", "Three.", agency="Reuters")
    memberships = memberships_of([(a.article_id, "trade"), (b.article_id, "trade"), (b.article_id, "tech")])
    memberships = pd.concat([memberships, memberships_of([(c.article_id, "tech")])])
    out = reporter_theme_matrix(frame_of(a, b, c), memberships, top=20)
    assert list(out.columns) == ["name", "theme", "articles"]
    assert out.values.tolist() == [
        ["Ding Yi", "tech", 1],
        ["Ding Yi", "trade", 2],
        ["Wang Jing", "tech", 0],
        ["Wang Jing", "trade", 1],
    ]
    assert reporter_theme_matrix(frame_of(a, b, c), memberships, top=1)["name"].unique().tolist() == [
        "Ding Yi"
    ]


# -------------------------------------------------------------------------------------------------- themes


def test_theme_counts_and_cooccurrence() -> None:
    a = story("2019-06-03 10:00", "One.")
    b = story("2019-06-04 10:00", "Two.")
    c = story("2019-06-05 10:00", "Three.")
    d = story("2019-06-06 10:00", "Four.")
    frame = frame_of(a, b, c, d)
    memberships = memberships_of(
        [
            (a.article_id, "trade"),
            (a.article_id, "tech"),
            (b.article_id, "tech"),
            (c.article_id, "tech"),
            (c.article_id, "tech"),  # a repeated row counts once
            ("0123456789abcdef", "covid"),  # not in the frame: ignored
        ]
    )
    counts = theme_counts(memberships, frame)
    assert counts.values.tolist() == [["tech", 3, 0.75], ["trade", 1, 0.25]]
    both = theme_cooccurrence(memberships, frame)
    assert both.values.tolist() == [
        ["tech", "tech", 3],
        ["tech", "trade", 1],
        ["trade", "tech", 1],
        ["trade", "trade", 1],
    ]


def test_theme_evidence_lists_a_themes_stories_most_hits_first() -> None:
    memberships = pd.DataFrame(
        {
            "article_id": ["a1", "a2", "a3", "a4"],
            "theme": ["tech", "trade", "tech", "tech"],
            "hits": [1, 9, 4, 1],
            "evidence": ["chip", "tariff x9", "chip, 5G", "5G"],
        }
    )
    evidence = theme_evidence(memberships, {"a1": "One", "a3": "Three"}, "tech")
    # most hits first; equal hits keep the memberships' order; an unknown id has an empty headline
    assert evidence.values.tolist() == [["Three", 4, "chip, 5G"], ["One", 1, "chip"], ["", 1, "5G"]]
    assert list(evidence.columns) == ["headline", "hits", "evidence"]
    assert theme_evidence(memberships, {}, "covid").empty
    with_ids = theme_evidence(memberships, {}, "tech", with_ids=True)
    assert list(with_ids.columns) == ["article_id", "headline", "hits", "evidence"]
    assert with_ids["article_id"].tolist() == ["a3", "a1", "a4"]


def test_theme_counts_on_a_selection_shares_of_the_selection() -> None:
    a = story("2019-06-03 10:00", "One.")
    b = story("2019-06-04 10:00", "Two.")
    frame = frame_of(a, b)
    memberships = memberships_of([(a.article_id, "trade"), (b.article_id, "trade")])
    selection = frame[frame["article_id"] == b.article_id]
    assert theme_counts(memberships, selection).values.tolist() == [["trade", 1, 1.0]]


# --------------------------------------------------------------------------------------------------- terms


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Huawei’s 5G roll-out", ["huawei", "5g", "roll", "out"]),
        ("The U.S. and China", ["the", "u.s.", "and", "china"]),
        ("A b cd", ["cd"]),
        ("Dual circulation (双循环) in 2020", ["dual", "circulation", "双循环", "in", "2020"]),
        ("ÉLYSÉE Palace", ["élysée", "palace"]),
        ("snake_case don't", ["snake", "case", "don't"]),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_stopwords_hold_function_words_and_boilerplate() -> None:
    assert {"the", "and", "said", "caixin", "global", "photo"} <= STOPWORDS
    assert "huawei" not in STOPWORDS


def test_distinctive_terms_of_the_huawei_stories(sample: pd.DataFrame) -> None:
    huawei = sample["body"].str.contains("Huawei", regex=False)
    assert huawei.sum() == 5
    out = distinctive_terms(sample, huawei)
    assert list(out.columns) == ["term", "z", "count_selected", "count_rest"]
    assert out["term"].iloc[0] == "huawei"
    assert out["count_rest"].iloc[0] == 0
    assert out["z"].is_monotonic_decreasing
    assert len(out) == 20
    assert not set(out["term"]) & STOPWORDS
    # A list of bools works as well as a Series; a Series is aligned on the index.
    assert distinctive_terms(sample, huawei.tolist()).equals(out)
    assert distinctive_terms(sample, huawei.iloc[::-1]).equals(out)


def test_distinctive_counts_are_tokenize_counts(sample: pd.DataFrame) -> None:
    huawei = sample["body"].str.contains("Huawei", regex=False)
    out = distinctive_terms(sample, huawei, top=50)
    manual = Counter(t for text in article_texts(sample[huawei]) for t in tokenize(text))
    rest = Counter(t for text in article_texts(sample[~huawei]) for t in tokenize(text))
    assert out["count_selected"].tolist() == [manual[t] for t in out["term"]]
    assert out["count_rest"].tolist() == [rest[t] for t in out["term"]]


@given(st.lists(st.text(max_size=40), max_size=4))
def test_fast_term_counts_agree_with_tokenize(texts: list[str]) -> None:
    expected = Counter(t for text in texts for t in tokenize("\n".join([text])) if t not in STOPWORDS)
    assert _term_counts(texts).to_dict() == {t: float(n) for t, n in expected.items()}


def test_distinctive_terms_sample_deterministically(sample: pd.DataFrame) -> None:
    huawei = sample["body"].str.contains("Huawei", regex=False)
    first = distinctive_terms(sample, huawei, max_docs=3, seed=7)
    assert first.equals(distinctive_terms(sample, huawei, max_docs=3, seed=7))
    assert first["count_selected"].sum() < distinctive_terms(sample, huawei)["count_selected"].sum()


def test_a_background_sample_stands_for_the_rest(sample: pd.DataFrame) -> None:
    huawei = sample["body"].str.contains("Huawei", regex=False)
    # A background of every row: the rest is exactly the unselected rows, as without a background.
    whole = term_sample(sample, max_docs=len(sample))
    assert distinctive_terms(sample, huawei, top=50, background=whole).equals(
        distinctive_terms(sample, huawei, top=50)
    )
    # A background of 7 rows: the rest is those of the 7 that are not selected, counted as tokenize counts.
    seven = term_sample(sample, max_docs=7, seed=3)
    assert len(seven.rows) == 7
    out = distinctive_terms(sample, huawei, top=50, background=seven)
    outside = [row for row in seven.rows if not huawei.iloc[row]]
    rest = Counter(
        t for text in article_texts(sample.iloc[outside]) for t in tokenize(text) if t not in STOPWORDS
    )
    assert out["count_rest"].tolist() == [rest[t] for t in out["term"]]
    assert out["count_rest"].tolist() != distinctive_terms(sample, huawei, top=50)["count_rest"].tolist()
    # A background of another frame is not used.
    other = term_sample(sample.iloc[:10], max_docs=10)
    assert distinctive_terms(sample, huawei, background=other).equals(distinctive_terms(sample, huawei))


def test_distinctive_terms_edge_selections(sample: pd.DataFrame) -> None:
    nothing = distinctive_terms(sample, [False] * len(sample))
    assert nothing.empty
    assert list(nothing.columns) == ["term", "z", "count_selected", "count_rest"]
    everything = distinctive_terms(sample, [True] * len(sample))  # against the whole corpus
    assert len(everything) > 0
    with pytest.raises(ValueError, match="mask"):
        distinctive_terms(sample, [True, False])


def test_distinctive_terms_on_a_small_corpus() -> None:
    frame = frame_of(
        *[
            story(f"2019-06-0{i} 10:00", f"Tariff talks stall as tariff deadline nears {i}.")
            for i in range(1, 4)
        ],
        *[story(f"2019-07-0{i} 10:00", f"Vaccine trial enrols patients {i}.") for i in range(1, 4)],
    )
    tariffs = frame["body"].str.contains("Tariff")
    assert distinctive_terms(frame, tariffs, top=1)[
        ["term", "count_selected", "count_rest"]
    ].values.tolist() == [["tariff", 6, 0]]


def test_compare_terms(sample: pd.DataFrame) -> None:
    huawei = sample["body"].str.contains("Huawei", regex=False)
    bloomberg = sample["agency"].eq("Bloomberg").fillna(False)
    out = compare_terms(sample, huawei, ~huawei, top=5)
    assert list(out.columns) == ["term", "z", "side", "count_a", "count_b"]
    assert out["side"].tolist() == ["a"] * 5 + ["b"] * 5
    assert out["term"].iloc[0] == "huawei"
    assert (out["z"] > 0).all()
    assert not set(out.loc[out["side"] == "a", "term"]) & set(out.loc[out["side"] == "b", "term"])
    assert compare_terms(sample, huawei, [False] * len(sample)).empty
    assert len(compare_terms(sample, huawei, bloomberg, top=3)) == 6


# ------------------------------------------------------------------------------------------------ mentions


def test_country_mentions_of_the_sample(sample: pd.DataFrame) -> None:
    out = mentions(sample, "country", top=50)
    assert list(out.columns) == ["name", "articles"]
    counts = dict(zip(out["name"], out["articles"], strict=True))
    assert counts["Canada"] == 2
    assert counts["United States"] == 13
    assert counts["United Kingdom"] == 1  # "U.K." and "England" in one story
    assert out["name"].iloc[0] == "China"


def test_country_mentions_count_each_story_once() -> None:
    frame = frame_of(
        story("2019-06-03 10:00", "The U.S. and the United States of America, as America says."),
        story(
            "2019-06-04 10:00", "Latin America and Britain's Bank of America branch; North Korea and Russia."
        ),
        story("2019-06-05 10:00", "China’s mainland China and South Korea’s exports."),
    )
    counts = dict(mentions(frame, "country").values.tolist())
    assert counts == {
        "United States": 1,
        "United Kingdom": 1,
        "North Korea": 1,
        "Russia": 1,
        "China": 1,
        "South Korea": 1,
    }


def test_people_and_organisation_mentions(sample: pd.DataFrame) -> None:
    people = set(mentions(sample, "person", top=100)["name"])
    assert {"Meng Wanzhou", "Geng Shuang", "Justin Trudeau", "Tom Cotton", "Xi Jinping"} <= people
    assert not people & {"World Bank", "Foreign Ministry", "Hong Kong", "United States", "Prime Minister"}
    organisations = set(mentions(sample, "organisation", top=100)["name"])
    assert {"World Bank", "Foreign Ministry", "HSBC Holdings", "Liberal Party"} <= organisations
    assert not organisations & {"Meng Wanzhou", "Geng Shuang"}


@pytest.mark.parametrize(
    "kinds", [("country", "organisation", "person"), ("person", "country"), ("organisation",)]
)
def test_mentions_of_several_kinds_in_one_pass_are_those_of_each_kind(
    sample: pd.DataFrame, kinds: tuple[str, ...]
) -> None:
    from core.analysing.terms import mentions_of_kinds

    together = mentions_of_kinds(sample, kinds, top=50, max_docs=7, seed=3)
    assert list(together) == list(kinds)
    for kind in kinds:
        alone = mentions(sample, kind, top=50, max_docs=7, seed=3)
        assert not alone.empty or kind == "organisation"
        pd.testing.assert_frame_equal(together[kind], alone)


def test_person_mentions_split_titles_and_sentence_words() -> None:
    frame = frame_of(
        story(
            "2019-06-03 10:00",
            "Foreign Ministry spokesperson Geng Shuang said on Thursday. President Xi Jinping met "
            "Canadian Prime Minister Justin Trudeau’s aides. In October Meng Wanzhou left.",
        ),
        story("2019-06-04 10:00", "Meng Wanzhou and Geng Shuang again."),
    )
    assert mentions(frame, "person").values.tolist() == [
        ["Geng Shuang", 2],
        ["Meng Wanzhou", 2],
        ["Justin Trudeau", 1],
        ["Xi Jinping", 1],
    ]
    assert mentions(frame, "organisation").values.tolist() == [["Foreign Ministry", 1]]
    with pytest.raises(ValueError, match="kind"):
        mentions(frame, "city")


# ------------------------------------------------------------------------------------------------- threads

CHIPS = story(
    "2019-06-03 10:00",
    "Huawei Technologies Co. reported record smartphone shipments in Europe despite the U.S. ban.",
)
FOLLOW_UP = story(
    "2019-06-05 10:00",
    "European carriers are testing Huawei 5G gear again.",
    related=("Huawei Reports Record Smartphone Shipments in Europe",),
)
THIRD = story(
    "2019-06-07 10:00",
    "Carriers in Europe finish tests of Huawei 5G gear.",
    related=("European Carriers Testing Huawei 5G Gear", "Nothing About Anything Here"),
)
LONE = story("2019-06-08 10:00", "Vaccine maker posts profit.")


def test_story_threads_link_related_headlines_to_stories() -> None:
    frame = frame_of(THIRD, FOLLOW_UP, CHIPS, LONE)
    out = story_threads(frame)
    assert list(out.columns) == ["article_id", "related", "target_id", "score"]
    rows = out.values.tolist()
    # Content words huawei, reports, record, smartphone, shipments, europe: 5 of 6 in CHIPS ("reported").
    assert rows[2] == [FOLLOW_UP.article_id, FOLLOW_UP.related[0], CHIPS.article_id, pytest.approx(5 / 6)]
    # european, carriers, testing, huawei, 5g, gear: all 6 in FOLLOW_UP, 3 of 6 in THIRD (itself, excluded).
    assert rows[0] == [THIRD.article_id, THIRD.related[0], FOLLOW_UP.article_id, 1.0]
    assert rows[1][2] is pd.NA and rows[1][3] == 0.0
    assert len(rows) == 3


def test_story_threads_thresholds() -> None:
    frame = frame_of(FOLLOW_UP, CHIPS)
    assert story_threads(frame, min_score=0.9)["target_id"].isna().all()
    two_words = story("2019-06-06 10:00", "Something else.", related=("Huawei Smartphone",))
    assert story_threads(frame_of(two_words, CHIPS))["target_id"].isna().all()  # fewer than 3 shared
    assert story_threads(frame_of(LONE)).empty


def test_story_threads_never_point_a_story_at_itself() -> None:
    selfish = story(
        "2019-06-06 10:00",
        "Huawei ships record smartphones to Europe.",
        related=("Huawei Ships Record Smartphones",),
    )
    out = story_threads(frame_of(selfish))
    assert out["target_id"].isna().all()


def test_thread_of_follows_links_both_ways() -> None:
    frame = frame_of(THIRD, FOLLOW_UP, CHIPS, LONE)
    threads = story_threads(frame)
    chain = [CHIPS.article_id, FOLLOW_UP.article_id, THIRD.article_id]
    for member in chain:
        assert thread_of(frame, threads, member)["article_id"].tolist() == chain  # oldest first
    assert thread_of(frame, threads, LONE.article_id)["article_id"].tolist() == [LONE.article_id]
    assert thread_of(frame, threads, "no-such-story").empty


# ------------------------------------------------------------------------------------------------- summary


def test_selection_summary(sample: pd.DataFrame) -> None:
    assert selection_summary(sample) == {
        "articles": 20,
        "first": date(2019, 6, 3),
        "last": date(2019, 11, 7),
        "reporters": 16,
        "agencies": 1,
    }
    assert selection_summary(sample[sample["agency"].eq("Bloomberg").fillna(False)]) == {
        "articles": 3,
        "first": date(2019, 6, 10),
        "last": date(2019, 10, 25),
        "reporters": 0,
        "agencies": 1,
    }


# ----------------------------------------------------------------------------------------------- contracts


@pytest.mark.parametrize(
    "call",
    [
        lambda f: timeline(f, "W"),
        lambda f: timeline(f, "D", by="section", share=True),
        lambda f: timeline(f, "M", by="agency"),
        lambda f: timeline(f, "W", by="theme", memberships=memberships_of([])),
        lambda f: timeline_headlines(f),
        reporter_counts,
        lambda f: reporter_timeline(f, "Ding Yi"),
        lambda f: reporter_theme_matrix(f, memberships_of([])),
        cobyline_pairs,
        lambda f: theme_counts(memberships_of([]), f),
        lambda f: theme_cooccurrence(memberships_of([]), f),
        lambda f: distinctive_terms(f, [True] * len(f)),
        lambda f: mentions(f, "country"),
        story_threads,
    ],
)
def test_empty_frame_gives_empty_results(call: Any) -> None:
    out = call(empty_frame())
    assert isinstance(out, pd.DataFrame)
    assert out.empty


def test_empty_selection_summary() -> None:
    assert selection_summary(empty_frame()) == {
        "articles": 0,
        "first": None,
        "last": None,
        "reporters": 0,
        "agencies": 0,
    }


def test_filtered_frames_with_gaps_in_the_index_work(sample: pd.DataFrame) -> None:
    world = sample.iloc[::2]
    assert (
        reporter_counts(world)["articles"].sum()
        == reporter_counts(sample.iloc[::2].reset_index(drop=True))["articles"].sum()
    )
    assert timeline(world, "M")["articles"].sum() == 10
    assert selection_summary(world)["articles"] == 10


def test_all_names_are_exported() -> None:
    wanted = {
        "timeline", "timeline_headlines", "reporter_counts", "reporter_timeline", "reporter_theme_matrix",
        "cobyline_pairs", "theme_counts", "theme_cooccurrence", "tokenize", "STOPWORDS", "distinctive_terms",
        "compare_terms", "mentions", "story_threads", "thread_of", "selection_summary",
    }  # fmt: skip
    assert wanted <= set(analytics.__all__)
    assert all(hasattr(analytics, name) for name in analytics.__all__)
    for name in wanted - {"STOPWORDS"}:
        assert getattr(analytics, name).__doc__, name


@given(st.lists(st.integers(-3, 3_000_000), max_size=60), st.sampled_from(["int64", "int32", "float64"]))
def test_distinct_counts_as_np_unique(values: list[int], dtype: str) -> None:
    codes = np.array(values, dtype=dtype)
    assert analytics._distinct(codes) == len(np.unique(codes))
