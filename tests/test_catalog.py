"""The headline catalog: which headlines must be matched to a story, which must not, and how fast."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.model import BEIJING, COLUMNS, LISTING_COLUMNS
from core.parsing import ParseResult, parse_page
from core.reading.files import read_page
from core.storing.catalog import (
    ADJACENT_DAY,
    KINDS,
    MATCH_COLUMNS,
    UNDATED,
    _index_of_keys,
    apply_catalog,
    catalog_entries,
    listings_to_frame,
    match_catalog,
    match_headline,
)
from core.storing.frame import articles_to_frame

TESTS = Path(__file__).resolve().parent
PAGES2 = TESTS / "fixtures" / "pages2"

POLICY_BANKS = (
    "China Development Bank and the Export-Import Bank of China, the country’s two policy banks, scaled back "
    "overseas lending for a third year in a row, according to data compiled by Boston University."
)
LAOS = (
    "A railway linking Kunming in southwest China with Vientiane, the capital of Laos, opened to passengers on "
    "Monday after five years of construction work on the 1,035-kilometer line."
)
FILLER = [
    "The central bank kept its benchmark lending rate unchanged for the ninth month, the People’s Bank said.",
    "Shares of electric-car makers rallied in Shanghai after the cabinet extended purchase subsidies.",
    "Flooding in Henan province displaced more than 200,000 people, state media reported on Thursday.",
]


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=BEIJING)


def stories(*rows: tuple[str, str | None, str]) -> pd.DataFrame:
    """An article frame with the columns the matcher reads: (article_id, published_at, body)."""
    return pd.DataFrame(
        {
            "article_id": [r[0] for r in rows],
            "published_at": pd.Series([at(r[1]) if isinstance(r[1], str) else r[1] for r in rows],
                                      dtype="datetime64[ns, UTC+08:00]"),
            "body": [r[2] for r in rows],
        }
    )


CORPUS = stories(
    ("banks", "2020-12-10 04:25", POLICY_BANKS),
    ("laos", "2021-01-11 15:11", LAOS),
    ("rate", "2021-01-11 09:00", FILLER[0]),
    ("cars", "2020-12-10 11:00", FILLER[1]),
    ("flood", None, FILLER[2]),
)


# -- must match -------------------------------------------------------------------------------------------


def test_listing_headline_matches_its_story_on_the_same_day() -> None:
    match = match_headline("Chinese Policy Banks Scale Back Overseas Lending", at("2020-12-10 04:25"), CORPUS)
    assert match is not None
    article_id, score = match
    assert article_id == "banks"
    assert score == pytest.approx(5 / 6, abs=1e-4)  # policy, banks, scale, overseas, lending; not "Chinese"


def test_a_day_apart_matches_with_a_lower_score() -> None:
    same = match_headline("China, Laos Open Kunming-Vientiane Railway After Five Years of Work", at("2021-01-11 20:00"), CORPUS)
    next_day = match_headline("China, Laos Open Kunming-Vientiane Railway After Five Years of Work", at("2021-01-12 08:00"), CORPUS)
    undated = match_headline("China, Laos Open Kunming-Vientiane Railway After Five Years of Work", None, CORPUS)
    assert same is not None and next_day is not None and undated is not None
    assert same[0] == next_day[0] == undated[0] == "laos"
    assert next_day[1] == pytest.approx(same[1] * ADJACENT_DAY, abs=1e-4)
    assert undated[1] == pytest.approx(same[1] * UNDATED, abs=1e-4)


def test_undated_story_can_match_a_dated_entry() -> None:
    match = match_headline("Henan Flooding Displaced 200,000 People", at("2021-07-22 10:00"), CORPUS)
    assert match == ("flood", pytest.approx(UNDATED * 4 / 4))


def test_related_headline_matches_a_story_of_the_sample(sample_result: ParseResult) -> None:
    frame = articles_to_frame(sample_result.articles)
    matches = match_catalog(frame, catalog_entries([sample_result]))
    related = matches[matches["kind"] == "related"]
    assert len(related) == 13
    linked = related[related["article_id"].notna()]
    # The 2019-06-04 story's "Related: China Issues Warning Over U.S. Student Visa ‘Risks’" names the
    # 2019-06-03 17:53 story ("China is urging citizens to be wary of heightened “risks” when studying in
    # the U.S."); every other Related line names a story the page does not hold.
    assert linked["headline"].tolist() == ["China Issues Warning Over U.S. Student Visa ‘Risks’"]
    target = frame.set_index("article_id").loc[linked["article_id"].iloc[0]]
    assert target["published_at"] == at("2019-06-03 17:53")
    assert target["body"].startswith("China is urging citizens to be wary")


def test_article_page_gives_its_headline_to_the_live_feed_copy(sample_result: ParseResult) -> None:
    article_page = parse_page(read_page(PAGES2 / "article.txt").text, "article.txt")
    (article,) = article_page.articles
    paragraphs = article.body.split("\n\n")
    feed = parse_page(
        "By Li Xiang and Mo Yelin / Aug 10, 2018 03:09 PM / Business & Tech\n\nPhoto: VCG\n\nPhoto: VCG\n\n"
        + paragraphs[0] + "\n\nRead the full story later on Caixin Global.\n",
        "feed.txt",
    )
    (copy,) = feed.articles
    assert copy.article_id != article.article_id  # four minutes apart: not merged as duplicates
    frame = articles_to_frame([*sample_result.articles, *feed.articles, *article_page.articles])
    matches = match_catalog(frame, catalog_entries([article_page, feed]))
    own = matches[matches["kind"] == "article"].iloc[0]
    assert own["article_id"] == copy.article_id  # never the article page's own story
    named = apply_catalog(frame, matches).set_index("article_id")
    assert named.loc[copy.article_id, "headline"] == article.headline
    assert not named.loc[copy.article_id, "headline_inferred"]
    assert named.loc[copy.article_id, "headline_match"] == pytest.approx(own["score"])
    assert np.isnan(named.loc[article.article_id, "headline_match"])


# -- must not match ---------------------------------------------------------------------------------------


def test_same_words_on_a_day_far_apart_never_match() -> None:
    assert match_headline("Chinese Policy Banks Scale Back Overseas Lending", at("2020-12-12 09:00"), CORPUS) is None
    assert match_headline("Chinese Policy Banks Scale Back Overseas Lending", at("2020-12-07 23:00"), CORPUS) is None


def test_generic_headline_is_refused(sample_result: ParseResult) -> None:
    economy = [
        f"China’s economy grew {rate}% in the {quarter} quarter, the statistics bureau said, as growth picked up "
        f"and the economy recovered{extra}."
        for rate, quarter, extra in [
            (4.9, "third", ""), (3.2, "second", ""), (6.5, "fourth", ""), (6.8, "first", ""),
            (7.9, "second", ", helped by mortgage lending and property investment by developers"),
            (4.0, "fourth", ""),
        ]
    ]
    background = articles_to_frame(sample_result.articles)[["article_id", "published_at", "body"]]
    corpus = pd.concat(
        [background, CORPUS, stories(*[(f"economy{i}", None, body) for i, body in enumerate(economy)])],
        ignore_index=True,
    )
    # every word of it is in six leads: no single story can be picked
    assert match_headline("China’s Economy Growth Picks Up", None, corpus) is None
    assert match_headline("China’s Economy Grew as Growth Picked Up", at("2019-06-03 12:00"), corpus) is None
    # words only one lead holds still single it out
    assert match_headline("Mortgage Lending, Property Investment Lift China’s Economy", None, corpus) == (
        "economy4", pytest.approx(6 / 7 * UNDATED, abs=1e-4))  # all but "lift"


def test_too_few_shared_words_or_a_weak_share_never_match() -> None:
    assert match_headline("Laos Railway", None, CORPUS) is None  # two content words
    weak = "Laos Railway Kunming Tourism Boom Lifts Hotel Bookings"  # 3 of 8 words in the lead
    assert match_headline(weak, at("2021-01-11 12:00"), CORPUS) is None
    assert match_headline("", None, CORPUS) is None
    assert match_headline("The of and in to", None, CORPUS) is None


def test_two_shared_words_are_never_enough(sample_result: ParseResult) -> None:
    background = articles_to_frame(sample_result.articles)[["article_id", "published_at", "body"]]
    corpus = pd.concat([background, CORPUS], ignore_index=True)
    when = at("2021-01-11 16:00")
    assert match_headline("Laos Railway Bonanza", when, corpus) is None  # 2 of 3 words: a share of 0.67
    assert match_headline("Laos Railway Kunming Bonanza", when, corpus) == ("laos", pytest.approx(0.75, abs=1e-4))


def test_entry_never_matches_the_story_it_comes_from() -> None:
    entries = pd.DataFrame(
        {"headline": ["Chinese Policy Banks Scale Back Overseas Lending"], "published_at": [pd.NaT],
         "source": ["a.txt"], "line": [3], "kind": ["related"], "exclude_article_id": ["banks"]}
    )
    assert match_catalog(CORPUS, entries)["article_id"].isna().all()


# -- shape of the answer ----------------------------------------------------------------------------------


def test_match_frame_columns_order_and_ties(sample_result: ParseResult) -> None:
    background = articles_to_frame(sample_result.articles)[["article_id", "published_at", "body"]]
    twins = pd.concat(
        [
            background,
            stories(
                ("b-later", "2021-01-11 18:00", LAOS),
                ("a-later", "2021-01-11 18:00", LAOS),
                ("z-closest", "2021-01-11 15:30", LAOS),
                ("banks", "2020-12-10 04:25", POLICY_BANKS),
            ),
        ],
        ignore_index=True,
    )
    entries = pd.DataFrame(
        {
            "headline": ["Nothing Here At All Today", "China, Laos Open Kunming-Vientiane Railway",
                         "China, Laos Open Kunming-Vientiane Railway", "Policy Banks Scale Back Overseas Lending"],
            "published_at": [at("2021-01-11 15:11"), at("2021-01-11 15:11"), pd.NaT, at("2020-12-10 08:00")],
            "source": ["l.txt"] * 4,
            "line": [1, 5, 9, 13],
            "kind": ["listing", "listing", "digest", "listing"],
        },
        index=[10, 20, 30, 40],
    )
    matches = match_catalog(twins, entries)
    assert list(matches.columns) == list(MATCH_COLUMNS)
    assert matches["line"].tolist() == [1, 5, 9, 13]
    assert str(matches["published_at"].dtype) == "datetime64[ns, UTC+08:00]"
    # closest in time wins a tie; with no date to compare, the smallest id
    assert matches["article_id"].fillna("-").tolist() == ["-", "z-closest", "a-later", "banks"]
    assert np.isnan(matches["score"].iloc[0])
    # the same entries twice give the same answer
    assert match_catalog(twins, entries).equals(matches)


def test_empty_inputs() -> None:
    empty_entries = pd.DataFrame({c: [] for c in ("headline", "published_at", "source", "line", "kind")})
    assert list(match_catalog(CORPUS, empty_entries).columns) == list(MATCH_COLUMNS)
    assert len(match_catalog(CORPUS, empty_entries)) == 0
    none = match_catalog(CORPUS.iloc[:0], catalog_entries([]))
    assert len(none) == 0
    entries = pd.DataFrame({"headline": ["Policy Banks Scale Back Overseas Lending"], "published_at": [pd.NaT],
                            "source": ["x"], "line": [1], "kind": ["listing"]})
    assert match_catalog(CORPUS.iloc[:0], entries)["article_id"].isna().all()


def test_catalog_entries_kinds() -> None:
    results = [parse_page(read_page(PAGES2 / name).text, name) for name in
               ("article.txt", "listing_gallery.txt", "digest_cx_daily.txt", "unrelated.txt")]
    feed = parse_page((TESTS / "fixtures" / "pages" / "headline_list.txt").read_text(encoding="utf-8"), "hl.txt")
    entries = catalog_entries([*results, feed])
    counts = entries["kind"].value_counts().to_dict()
    assert counts == {"article": 1, "listing": 4, "digest": 3, "headline_list": len(feed.headlines),
                      "related": sum(len(a.related) for a in [*results[0].articles, *feed.articles])}
    assert set(entries["kind"]) <= set(KINDS)
    article_row = entries[entries["kind"] == "article"].iloc[0]
    assert article_row["exclude_article_id"] == results[0].articles[0].article_id
    assert entries[entries["kind"] == "listing"]["published_at"].notna().all()
    assert entries[entries["kind"] == "related"]["published_at"].isna().all()


def test_apply_catalog_changes_only_strong_matches_of_inferred_headlines(sample_result: ParseResult) -> None:
    frame = articles_to_frame(sample_result.articles)
    first, second = frame["article_id"].iloc[0], frame["article_id"].iloc[1]
    matches = pd.DataFrame(
        {
            "headline": ["Weak Listing Headline", "Trusted Article Headline", "Listing Headline", "Digest Headline"],
            "published_at": [pd.NaT] * 4,
            "source": ["a", "b", "c", "d"],
            "line": [1, 1, 1, 1],
            "kind": ["listing", "article", "listing", "digest"],
            "article_id": pd.array([pd.NA, first, first, second], dtype="string"),
            "score": [np.nan, 0.9, 0.9, 0.7],
        }
    )
    out = apply_catalog(frame, matches)
    assert list(out.columns) == list(COLUMNS)
    assert out.loc[0, "headline"] == "Trusted Article Headline"  # same score: the more trusted kind wins
    assert out.loc[1, "headline"] == "Digest Headline"
    assert not out.loc[0, "headline_inferred"] and out.loc[1, "headline_match"] == pytest.approx(0.7)
    untouched = out.iloc[2:]
    assert untouched[["headline", "headline_inferred"]].equals(frame.iloc[2:][["headline", "headline_inferred"]])
    assert untouched["headline_match"].isna().all()
    assert frame["headline_inferred"].all(), "the input frame is not changed"
    # a story whose headline was printed on its own page keeps it
    real = frame.assign(headline_inferred=False)
    assert apply_catalog(real, matches)["headline"].equals(real["headline"])


# -- speed ------------------------------------------------------------------------------------------------


def synthetic(n_stories: int, n_entries: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Stories of 100 Zipf-distributed words over two years; half the entries are 8 words of one story's
    lead dated on its day (their story is returned), half are 8 random words, undated."""
    rng = np.random.default_rng(seed)
    vocabulary = np.array([f"w{i}x" for i in range(20_000)])
    weights = 1 / np.arange(1, len(vocabulary) + 1) ** 1.05
    weights /= weights.sum()
    words = rng.choice(len(vocabulary), size=(n_stories, 100), p=weights)
    bodies = [" ".join(vocabulary[row]) for row in words]
    stamps = at("2019-01-01") + pd.to_timedelta(rng.integers(0, 730 * 24 * 60, n_stories), unit="min")
    frame = pd.DataFrame({"article_id": [f"s{i:06d}" for i in range(n_stories)], "published_at": stamps,
                          "body": bodies})
    truth = np.full(n_entries, -1)
    headlines, dates = [], []
    for k in range(n_entries):
        if k % 2 == 0:
            story = int(rng.integers(n_stories))
            truth[k] = story
            headlines.append(" ".join(vocabulary[rng.choice(words[story][:60], 8, replace=False)]).title())
            dates.append(stamps[story])
        else:
            headlines.append(" ".join(vocabulary[rng.choice(len(vocabulary), 8, p=weights)]).title())
            dates.append(pd.NaT)
    entries = pd.DataFrame({"headline": headlines, "published_at": dates, "source": "x.txt",
                            "line": np.arange(n_entries), "kind": "listing"})
    return frame, entries, truth


def test_speed_and_accuracy_at_20000_stories_by_10000_entries() -> None:
    frame, entries, truth = synthetic(20_000, 10_000)
    started = time.process_time()
    matches = match_catalog(frame, entries)
    seconds = time.process_time() - started
    assert seconds < 6, f"{seconds:.1f} s of CPU"  # about 2.5 s on the development machine
    found = matches["article_id"].fillna("").to_numpy(dtype=object)
    planted = truth >= 0
    right = sum(found[k] == f"s{truth[k]:06d}" for k in np.flatnonzero(planted))
    # a planted headline may also fit another story as well as its own (a tie is lost to time order), so
    # not every one comes back to its story; random headlines must almost never match
    assert right / planted.sum() >= 0.9
    assert (found[~planted] == "").mean() >= 0.98


def test_listings_frame_schema() -> None:
    results = [parse_page(read_page(PAGES2 / name).text, name) for name in ("listing_home_undated.txt", "article.txt")]
    frame = listings_to_frame(e for r in results for e in r.listings)
    assert list(frame.columns) == list(LISTING_COLUMNS)
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == LISTING_COLUMNS
    assert len(frame) == 8
    assert frame["published_at"].isna().sum() == 3
    assert frame["article_id"].notna().sum() == 1  # the article page's own entry
    assert listings_to_frame([]).dtypes.to_dict() == frame.dtypes.to_dict()


@given(
    vocab_size=st.integers(0, 12),
    n=st.integers(0, 9),
    pairs=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 8)), max_size=60),
)
def test_index_of_keys_counts_and_signs_as_one_pass_over_the_keys(
    vocab_size: int, n: int, pairs: list[tuple[int, int]]
) -> None:
    """Word counts, starts and signatures (to the bit) as ``np.bincount`` over the keys in order makes
    them: the signature of a story is its words' numbers added in word order (with a dozen words, another
    order gives other bits for many word sets)."""
    words = np.array([w for w, s in pairs if w < vocab_size and s < n], dtype=np.int64)
    stories = np.array([s for w, s in pairs if w < vocab_size and s < n], dtype=np.int64)
    shift = max(n - 1, 0).bit_length()
    keys = np.unique((words << shift) + stories)
    vocab = {f"w{code}": code for code in range(vocab_size)}
    column = np.zeros(n, dtype=np.int64)
    ids = np.array([str(i) for i in range(n)], dtype=object)
    index = _index_of_keys(vocab, keys, column, ids, column, column, n)
    key_words = keys >> shift
    pairs_back = list(zip(key_words.tolist(), (keys & ((1 << shift) - 1)).tolist(), strict=True))
    assert pairs_back == sorted(set(zip(words.tolist(), stories.tolist(), strict=True)))
    df = np.bincount(key_words, minlength=vocab_size).astype(np.int64)
    word_values = np.random.default_rng(0).random(vocab_size)
    signatures = np.bincount(keys - (key_words << shift), weights=word_values[key_words], minlength=n).astype(float)
    assert index.df.dtype == np.int64 and np.array_equal(index.df, df)
    assert index.starts.dtype == np.int64 and np.array_equal(index.starts, np.concatenate([[0], np.cumsum(df)]))
    assert index.signatures.dtype == signatures.dtype and index.signatures.tobytes() == signatures.tobytes()
