"""``SearchIndex.term_counts`` (occurrences per story of a word, phrase or prefix, read as numpy keys
from the index) against the counts made one occurrence at a time from the index's rows, as before.

Random stories from a small vocabulary (repeats make phrases occur; accents fold), words, phrases and
prefixes, inferred headlines not counted, and an index updated in place (docids that are not rows).
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.analysing.query import Term, parse_query
from core.analysing.themes import MEMBERSHIP_COLUMNS, Theme, load_themes, match_themes, parse_term
from core.storing.search import Earlier, SearchIndex, fold

VOCABULARY = ["trade", "war", "Huawei", "huaweis", "tariff", "tariffs", "café", "cafe", "5G", "china"]
TERMS = ["trade", "trade war", "war trade", "tariff*", "huawei", "café", "caf*", "5g", "trade war tariff", "zzz"]


def story(rng: random.Random) -> tuple[str, str, str | None]:
    def text(low: int, high: int) -> str:
        return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(low, high)))

    return text(0, 6), text(0, 40), text(1, 5) if rng.random() < 0.5 else None


def frame_of(
    stories: list[tuple[str, str, str | None]], inferred: list[bool], ids: list[str] | None = None
) -> pd.DataFrame:
    n = len(stories)
    return pd.DataFrame(
        {
            "article_id": pd.array(ids or [f"s{i:03d}" for i in range(n)], dtype="string"),
            "headline": pd.array([s[0] for s in stories], dtype="string"),
            "headline_inferred": inferred,
            "body": pd.array([s[1] for s in stories], dtype="string"),
            "photo_caption": pd.array([s[2] for s in stories], dtype="string"),
            "authors": [[] for _ in range(n)],
            "agency": pd.array([None] * n, dtype="string"),
        }
    )


def random_frame(seed: int, size: int) -> pd.DataFrame:
    """``size`` random stories, about 40 % of them with an inferred headline."""
    rng = random.Random(seed)
    stories = [story(rng) for _ in range(size)]
    return frame_of(stories, [rng.random() < 0.4 for _ in stories])


def reference(index: SearchIndex, term: Term, skip_headline: frozenset[int]) -> dict[int, int]:
    """The counts as ``term_counts`` made them before: every occurrence a Python tuple."""

    def instances(word: str, prefix: bool) -> list[tuple[int, str, int]]:
        token = fold(word.lower())
        if prefix:
            sql, args = "SELECT doc, col, offset FROM vocab WHERE term >= ? AND term < ?", (token, token + "\U0010ffff")
        else:
            sql, args = "SELECT doc, col, offset FROM vocab WHERE term = ?", (token,)
        return index._db.execute(sql, args).fetchall()  # noqa: SLF001 - the reference reads the same rows

    words, last = term.words, len(term.words) - 1
    first = instances(words[0], term.prefix and last == 0)
    following = [set(instances(w, term.prefix and i == last)) for i, w in enumerate(words[1:], start=1)]
    first = [(d, c, o) for d, c, o in first if all((d, c, o + s) in p for s, p in enumerate(following, start=1))]
    counts: dict[int, int] = {}
    for doc, col, _ in first:
        row = doc if index.row_of_doc is None else int(index.row_of_doc[doc])
        if not (col == "headline" and row in skip_headline):
            counts[row] = counts.get(row, 0) + 1
    return counts


def check(index: SearchIndex, frame: pd.DataFrame) -> int:
    skip = frozenset(i for i, flag in enumerate(frame["headline_inferred"]) if flag)
    found = 0
    for text in TERMS:
        term = parse_term(text)
        for skipped in (frozenset(), skip):
            got = index.term_counts(term, skipped)
            assert got == reference(index, term, skipped), (text, skipped)
            found += sum(got.values())
    return found


@settings(max_examples=min(settings.default.max_examples, 60), deadline=None)
@given(seed=st.integers(0, 10**6), size=st.integers(1, 30))
def test_term_counts_equal_the_occurrences_counted_one_by_one(seed: int, size: int) -> None:
    frame = random_frame(seed, size)
    check(SearchIndex.open(frame, None), frame)


@pytest.mark.parametrize("seed", range(4))
def test_term_counts_of_an_index_updated_in_place(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    stories = [story(rng) for _ in range(60)]
    inferred = [rng.random() < 0.4 for _ in stories]
    ids = [f"s{i:03d}" for i in range(60)]
    before = frame_of(stories, inferred, ids)
    SearchIndex.open(before, tmp_path)
    stories.insert(7, story(rng))  # one new story moves the rows after it
    inferred.insert(7, True)
    ids.insert(7, "new")
    for changed in (stories, inferred, ids):
        del changed[40]
    frame = frame_of(stories, inferred, ids)
    index = SearchIndex.open(frame, tmp_path, earlier=[Earlier(before)])  # the removed story's text
    assert index.how == "updated" and index.row_of_doc is not None  # docids are not rows: the mapping is exercised
    assert check(index, frame) > 0
    # and the memberships they make equal those of an index built from scratch
    themes = load_themes()
    pd.testing.assert_frame_equal(match_themes(index, themes), match_themes(SearchIndex.open(frame, None), themes))


def test_a_built_index_merges_its_segments_again_on_later_updates(tmp_path: Path) -> None:
    """The build turns FTS5's automerge off while the documents go in; an updated index must merge as by
    default, or its segments would pile up with every incremental ingest."""
    rng = random.Random(3)
    stories = [story(rng) for _ in range(40)]
    index = SearchIndex.open(frame_of(stories, [False] * 40), tmp_path)
    config = dict(index._db.execute("SELECT k, v FROM docs_config").fetchall())  # noqa: SLF001
    assert config.get("automerge", 4) == 4


def reference_memberships(index: SearchIndex, themes: list[Theme]) -> pd.DataFrame:
    """``match_themes`` as it was: a dict of counts per term, a Python loop per row."""
    frame = index.frame
    ids = frame["article_id"].astype(str).tolist()
    inferred = frozenset(i for i, flag in enumerate(frame["headline_inferred"]) if flag)
    out: list[tuple[str, str, int, str]] = []
    for theme in themes:
        per_term = {str(t): reference(index, Term(t.words, t.prefix), inferred) for t in theme.highlight_terms()}
        if theme.query:
            selected = index.evaluate(parse_query(theme.query), lambda slug: None)
        else:
            selected = set().union(*(c.keys() for c in per_term.values()))
            for term in theme.exclude:
                selected -= index.term_rows(term)
        for row in sorted(selected):
            found = {name: c[row] for name, c in per_term.items() if row in c}
            hits = sum(found.values())
            if theme.query or hits >= theme.min_hits:
                evidence = ", ".join(f"{t} ×{n}" for t, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
                out.append((ids[row], theme.slug, hits, evidence))
    result = pd.DataFrame(out, columns=MEMBERSHIP_COLUMNS)
    return result.astype({"article_id": "string", "theme": "string", "hits": "int32", "evidence": "string"})


THEMES = [
    Theme("trade", "Trade", "#000", terms=(parse_term("trade war"), parse_term("tariff*"), parse_term("trade"))),
    Theme("huawei", "Huawei", "#000", terms=(parse_term("huawei"), parse_term("5g")), exclude=(parse_term("café"),)),
    Theme("busy", "Busy", "#000", terms=(parse_term("war"), parse_term("china")), min_hits=3),
    Theme("twice", "Twice", "#000", terms=(parse_term("cafe"), parse_term("café"), parse_term("caf*"))),
    Theme("asked", "Asked", "#000", query='huawei OR "trade war"'),
    Theme("none", "None", "#000", terms=(parse_term("zzz"),)),
]


@settings(max_examples=min(settings.default.max_examples, 60), deadline=None)
@given(seed=st.integers(0, 10**6), size=st.integers(0, 30))
def test_memberships_equal_the_row_by_row_match(seed: int, size: int) -> None:
    index = SearchIndex.open(random_frame(seed, size), None)
    pd.testing.assert_frame_equal(match_themes(index, THEMES), reference_memberships(index, THEMES))
    pd.testing.assert_frame_equal(match_themes(index, []), reference_memberships(index, []))
