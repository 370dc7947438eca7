"""Full-text search (``core.storing.search``): acceptance counts on the shipped sample, what is and is not searched,
the FTS5 index file, highlight offsets and snippets, and a differential check against a brute-force scan.

Stories of the sample are named by words of their body (``STORIES``), never by row number, so the tests
say which story they mean and keep working if the frame is reordered.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from expectations import SAMPLE_STORIES
from hypothesis import given
from hypothesis import strategies as st

from core.analysing.query import And, Field, Node, Not, Or, Term, parse_query, positive_terms
from core.storing.collection import Collection, open_collection
from core.storing.search import SearchIndex, fold, kwic, query_hits, term_pattern

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PAGES = PROJECT_ROOT / "data" / "pages"
SAMPLE_PAGE = SAMPLE_PAGES / "000_6a6401b8027f1b55.txt"

STORIES = SAMPLE_STORIES
HUAWEI = {"meng", "oi", "purdy", "vought", "ieee"}
NOT_HUAWEI_OR_TRADE = {"fifa", "essex", "tiktok", "graphene", "xi-north-korea", "pandas"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    return open_collection([SAMPLE_PAGES], cache_dir=tmp_path_factory.mktemp("search-cache"))


@pytest.fixture(scope="module")
def story_ids(sample: Collection) -> dict[str, str]:
    """Story key -> article id, each found by its unique body phrase."""
    frame = sample.articles
    ids = {}
    for key, phrase in STORIES.items():
        found = frame.loc[frame["body"].str.contains(phrase, regex=False), "article_id"].tolist()
        assert len(found) == 1, f"{phrase!r} should be in exactly one story, found {len(found)}"
        ids[key] = str(found[0])
    return ids


def found_keys(sample: Collection, story_ids: dict[str, str], query: str) -> set[str]:
    found = set(sample.index.search(query, sample.theme_ids)["article_id"].astype(str))
    by_id = {v: k for k, v in story_ids.items()}
    return {by_id[i] for i in found}


def test_sample_has_the_twenty_stories(sample: Collection, story_ids: dict[str, str]) -> None:
    assert len(sample.articles) == 20
    assert len(set(story_ids.values())) == 20


# -- the acceptance counts -----------------------------------------------------------------------------

ACCEPTANCE = [
    # (query, the stories it finds: exact set)
    ("theme:huawei", HUAWEI),
    ("huawei AND 5G", {"meng", "oi", "vought"}),
    ("huawei NOT 5G", {"purdy", "ieee"}),
    ('"trade war"', {"lu-trade-war", "guo-debt"}),
    ("tariff*", {"guo-debt", "gao-tariffs"}),
    ('author:"Matthew Walsh"', {"fifa", "oi", "graphene"}),
    ("canada OR tiktok", {"meng", "tiktok", "guo-debt"}),
    ("agency:bloomberg", {"tiktok", "purdy", "vought"}),
    ("section:world", set(STORIES)),
    ("-huawei", set(STORIES) - HUAWEI),
    # the same, spelled differently
    ("Huawei", HUAWEI),
    ("HUAWEI", HUAWEI),
    ("huawei 5g", {"meng", "oi", "vought"}),
    ("huawei -5g", {"purdy", "ieee"}),
    ("huawei AND NOT 5g", {"purdy", "ieee"}),
    ("NOT huawei", set(STORIES) - HUAWEI),
    ("theme:Huawei", HUAWEI),
    ('theme:"Trade war"', {"zoellick", "lu-trade-war", "purdy", "guo-debt", "gao-tariffs", "travel-alerts"}),
    ("theme:trade-war", {"zoellick", "lu-trade-war", "purdy", "guo-debt", "gao-tariffs", "travel-alerts"}),
    ("author:walsh", {"fifa", "oi", "graphene"}),
    ('author:"matthew walsh"', {"fifa", "oi", "graphene"}),
    ("agency:Bloomberg", {"tiktok", "purdy", "vought"}),
    ("section:WORLD", set(STORIES)),
    ("TikTok OR Canada", {"meng", "tiktok", "guo-debt"}),
    ("tarif*", {"guo-debt", "gao-tariffs"}),
    ("tariffs", {"guo-debt", "gao-tariffs"}),
    # combinations
    ("theme:huawei -agency:bloomberg", {"meng", "oi", "ieee"}),
    ("(canada OR tiktok) -huawei", {"tiktok", "guo-debt"}),
    ("agency:bloomberg OR author:walsh", {"tiktok", "purdy", "vought", "fifa", "oi", "graphene"}),
    ('"meng wanzhou"', {"meng"}),
    ('"trade tension"*', {"travel-alerts"}),
    ("pandas", {"pandas"}),
    ("panda", {"pandas"}),  # "panda diplomacy"
    # documented in docs/query-syntax.md: a section prefix is enough; agency:any / agency:none
    ("section:wor", set(STORIES)),
    ("section:business", set()),
    ("agency:any", {"tiktok", "purdy", "vought"}),
    ("agency:none", set(STORIES) - {"tiktok", "purdy", "vought"}),
    ("agency:reuters", set()),
    ("author:nobody", set()),
]


@pytest.mark.parametrize(("query", "expected"), ACCEPTANCE)
def test_acceptance(sample: Collection, story_ids: dict[str, str], query: str, expected: set[str]) -> None:
    assert found_keys(sample, story_ids, query) == expected


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("theme:huawei", 5),
        ("huawei AND 5G", 3),
        ("huawei NOT 5G", 2),
        ('"trade war"', 2),
        ("tariff*", 2),
        ('author:"Matthew Walsh"', 3),
        ("canada OR tiktok", 3),
        ("agency:bloomberg", 3),
        ("section:world", 20),
        ("-huawei", 15),
    ],
)
def test_acceptance_counts(sample: Collection, query: str, count: int) -> None:
    assert len(sample.index.search(query, sample.theme_ids)) == count
    assert int(sample.index.mask(query, sample.theme_ids).sum()) == count


@pytest.mark.parametrize("query", ["theme:huawei", "huawei", "trade war", "theme:trade-war", "tariff*"])
def test_huawei_and_trade_queries_miss_the_unrelated_stories(
    sample: Collection, story_ids: dict[str, str], query: str
) -> None:
    assert found_keys(sample, story_ids, query).isdisjoint(NOT_HUAWEI_OR_TRADE)


def test_search_returns_newest_first(sample: Collection) -> None:
    stamps = sample.index.search("huawei OR canada OR tiktok", sample.theme_ids)["published_at"].tolist()
    assert len(stamps) == 7
    assert stamps == sorted(stamps, reverse=True)


# -- whole words ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["huawe", "huaw", "tariff", "uawei", "wanzho", "5", "tik"])
def test_words_match_whole_words_only(sample: Collection, query: str) -> None:
    assert len(sample.index.search(query)) == 0


# -- what is searched ------------------------------------------------------------------------------------

RELATED_ONLY = ["TSMC", "Naturalized", "Venezuela", "Algeria", "Phosphate", "Overrated", "Limbo"]


@pytest.mark.parametrize("word", RELATED_ONLY)
def test_related_headlines_are_not_searched(sample: Collection, word: str) -> None:
    pattern = re.compile(rf"\b{word}\b", re.IGNORECASE)
    lines = [line for line in SAMPLE_PAGE.read_text(encoding="utf-8").splitlines() if pattern.search(line)]
    assert lines, f"{word} should occur in the sample page"
    assert all(line.startswith("Related:") for line in lines), f"{word} occurs outside a Related line"
    # the parser did read the Related line into the story ...
    related = [title for titles in sample.articles["related"] for title in titles if pattern.search(title)]
    assert related
    # ... but the index does not search it
    assert len(sample.index.search(word)) == 0
    assert len(sample.index.search(word.lower() + "*")) == 0


@pytest.mark.parametrize(
    ("word", "story", "caption_only"),
    [("Monaco", "morocco", True), ("riviera", "morocco", True), ("Vought", "vought", False)],
)
def test_photo_captions_are_searched(
    sample: Collection, story_ids: dict[str, str], word: str, story: str, caption_only: bool
) -> None:
    row = sample.articles.set_index("article_id").loc[story_ids[story]]
    assert word in str(row["photo_caption"])
    assert (word not in str(row["body"]) and word not in str(row["headline"])) == caption_only
    assert found_keys(sample, story_ids, word) == {story}
    hits = query_hits(
        sample.articles[sample.articles["article_id"] == story_ids[story]].iloc[0].to_dict(), word
    )
    assert "photo_caption" in {h.field for h in hits}


# -- the index file --------------------------------------------------------------------------------------


def _index_file(collection: Collection) -> Path:
    files = list(collection.corpus.cache_root.glob("fts-*.sqlite"))
    assert len(files) == 1
    return files[0]


def test_index_is_a_real_fts5_sqlite_file_beside_the_cache(tmp_path: Path) -> None:
    collection = open_collection([SAMPLE_PAGES], cache_dir=tmp_path)
    path = _index_file(collection)
    assert path.parent == collection.corpus.cache_root
    assert path.is_relative_to(tmp_path)
    assert list(path.parent.glob("articles-*.parquet")), "the index lives beside the frame cache"
    assert path.read_bytes()[:16] == b"SQLite format 3\x00"
    with closing(sqlite3.connect(path)) as db:
        (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'docs'").fetchone()
        assert "fts5" in sql.lower()
        assert db.execute("SELECT count(*) FROM docs").fetchone() == (20,)
        assert db.execute("SELECT count(*) FROM docs WHERE docs MATCH 'huawei'").fetchone() == (5,)


def test_index_is_reused_on_a_second_open(tmp_path: Path) -> None:
    first = open_collection([SAMPLE_PAGES], cache_dir=tmp_path)
    path = _index_file(first)
    before = path.stat()
    second = open_collection([SAMPLE_PAGES], cache_dir=tmp_path)
    assert _index_file(second) == path
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert len(second.index.search("huawei AND 5G")) == 3


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"this is not a database" * 50,
        lambda data: b"",
        lambda data: data[: len(data) // 2],
        lambda data: data[:100],
        lambda data: data[:100] + b"\xff" * (len(data) - 100),
    ],
    ids=["garbage", "empty", "truncated", "header-only", "header-then-garbage"],
)
def test_damaged_index_is_rebuilt(tmp_path: Path, damage: object) -> None:
    first = open_collection([SAMPLE_PAGES], cache_dir=tmp_path)
    queries = ["huawei AND 5G", '"trade war"', "tariff*", "-huawei", "Monaco"]
    expected = [list(first.index.search(q)["article_id"]) for q in queries]
    path = _index_file(first)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    second = open_collection([SAMPLE_PAGES], cache_dir=tmp_path)
    assert [list(second.index.search(q)["article_id"]) for q in queries] == expected
    rebuilt = _index_file(second)
    assert rebuilt.read_bytes()[:16] == b"SQLite format 3\x00"
    with closing(sqlite3.connect(rebuilt)) as db:
        assert db.execute("SELECT count(*) FROM docs").fetchone() == (20,)


def test_index_for_another_frame_is_never_used(tmp_path: Path) -> None:
    first = hand_frame([("", "alpha story", None), ("", "beta story", None)])
    second = hand_frame([("", "gamma story", None), ("", "alpha again", None), ("", "delta", None)])
    SearchIndex.open(first, tmp_path)
    index = SearchIndex.open(second, tmp_path)
    assert index.evaluate(parse_query("alpha")) == {1}
    assert index.evaluate(parse_query("beta")) == set()
    assert len(list(tmp_path.glob("fts-*.sqlite"))) == 1  # the old one is removed


def test_in_memory_index_writes_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    index = SearchIndex.open(hand_frame([("", "alpha", None)]), None)
    assert index.evaluate(parse_query("alpha")) == {0}
    assert list(tmp_path.rglob("*.sqlite")) == []


# -- highlights and snippets -----------------------------------------------------------------------------

HIGHLIGHT_QUERIES = [
    "huawei",
    '"trade war"',
    "tariff*",
    "huawei AND 5G",
    '"trade tension"*',
    "canada OR tiktok",
    "Monaco",
    "Vought -canada",
    '"meng wanzhou" OR ren*',
    "graphene scientist*",
    "(IMF OR bank) -huawei",
]


@pytest.mark.parametrize("query", HIGHLIGHT_QUERIES)
def test_hit_offsets_point_at_the_matched_text(sample: Collection, query: str) -> None:
    terms = {str(t): t for t in positive_terms(parse_query(query))}
    found = sample.index.search(query)
    assert len(found) > 0
    for row in found.to_dict("records"):
        hits = query_hits(row, query)
        assert hits, f"no highlight in {row['article_id']} for {query!r}"
        for hit in hits:
            text = str(row[hit.field])
            matched = text[hit.start : hit.end]
            term = terms[hit.term]
            assert term_pattern(term).fullmatch(matched), (matched, hit)
            if not term.prefix and not term.is_phrase:
                assert matched.lower() == term.words[0]
            if term.prefix:
                assert matched.lower().startswith(term.words[-1]) or term.is_phrase
            assert f"[{' '.join(matched.split())}]" in hit.snippet
            assert "\n" not in hit.snippet


@pytest.mark.parametrize("query", HIGHLIGHT_QUERIES)
def test_every_term_that_selects_a_story_is_highlighted_in_it(sample: Collection, query: str) -> None:
    terms = positive_terms(parse_query(query))
    for position, row in enumerate(sample.index.search(query).to_dict("records")):
        row_number = int(sample.articles.index[sample.articles["article_id"] == row["article_id"]][0])
        selecting = {str(t) for t in terms if row_number in sample.index.term_rows(t)}
        assert {h.term for h in query_hits(row, query)} == selecting, (position, row["article_id"])


@pytest.mark.parametrize(
    ("story", "count"),
    # counted by hand in the body (and caption); Related and "coverage of Huawei" lines do not count
    [("meng", 3), ("oi", 8), ("purdy", 8), ("vought", 4), ("ieee", 5)],
)
def test_huawei_hits_per_story(sample: Collection, story_ids: dict[str, str], story: str, count: int) -> None:
    row = sample.articles[sample.articles["article_id"] == story_ids[story]].iloc[0].to_dict()
    hits = query_hits(row, "huawei")
    assert len(hits) == count
    assert [(h.field, h.start) for h in hits] == sorted(
        ((h.field, h.start) for h in hits), key=lambda fs: ({"body": 1, "photo_caption": 2}[fs[0]], fs[1])
    )


def test_negated_terms_are_not_highlighted(sample: Collection) -> None:
    for row in sample.index.search("tiktok -huawei").to_dict("records"):
        assert {h.term for h in query_hits(row, "tiktok -huawei")} == {"tiktok"}


@pytest.mark.parametrize(
    ("text", "start", "end", "context", "expected"),
    [
        ("one two three four five", 8, 13, 60, "one two [three] four five"),
        ("aaa bbb ccc ddd eee fff", 8, 11, 5, "…bbb [ccc] ddd…"),
        ("line one\nline  two", 9, 13, 60, "line one [line] two"),
        ("x", 0, 1, 60, "[x]"),
    ],
)
def test_kwic_snippets(text: str, start: int, end: int, context: int, expected: str) -> None:
    assert kwic(text, start, end, context) == expected


# -- hand-made frames and a brute-force reference -------------------------------------------------------


def hand_frame(stories: list[tuple[str, str, str | None]], **columns: list[object]) -> pd.DataFrame:
    """A minimal article frame: (headline, body, caption) per story, plus any extra columns."""
    n = len(stories)
    frame = pd.DataFrame(
        {
            "article_id": [f"id{i:03d}" for i in range(n)],
            "headline": [s[0] for s in stories],
            "body": [s[1] for s in stories],
            "photo_caption": [s[2] for s in stories],
            "headline_inferred": [False] * n,
            "authors": columns.pop("authors", [[] for _ in range(n)]),
            "agency": pd.array(columns.pop("agency", [None] * n), dtype="string"),
            "section": columns.pop("section", ["World"] * n),
        }
    )
    assert not columns
    return frame


def reference(frame: pd.DataFrame, node: Node) -> set[int]:
    """Rows matching ``node`` by a regex scan of headline, body and caption (text terms only)."""
    if isinstance(node, Term):
        mask = pd.Series(False, index=frame.index)
        for column in ("headline", "body", "photo_caption"):
            text = frame[column].fillna("").astype(str).map(fold)  # the pattern is defined on folded text
            mask |= text.str.contains(term_pattern(node).pattern, flags=re.IGNORECASE, regex=True)
        return set(mask.to_numpy().nonzero()[0].tolist())
    if isinstance(node, Not):
        return set(range(len(frame))) - reference(frame, node.operand)
    if isinstance(node, And):
        result = set(range(len(frame)))
        for operand in node.operands:
            result &= reference(frame, operand)
        return result
    if isinstance(node, Or):
        union: set[int] = set()
        for operand in node.operands:
            union |= reference(frame, operand)
        return union
    assert not isinstance(node, Field)
    raise AssertionError(node)


HAND = hand_frame(
    [
        ("Tariffs bite as trade war drags on", "The trade war escalated. New tariffs hit soybeans.", None),
        (
            "Huawei unveils 5G-enabled phone",
            "Huawei said its 5G gear is ready. Trade talks go on.",
            "A Huawei booth.",
        ),
        (
            "A tariff on steel",
            "The tariff was raised; a tariffed good costs more. Trader groups complained.",
            None,
        ),
        ("Canadian canola", "Canada and China trade barbs over canola.", "Fields in Saskatchewan."),
        ("", "", None),
        ("TRADE-WAR fears", "Markets fell on trade-war fears; the trade, war and peace.", ""),
        ("Huawei’s chief", "Meng Wanzhou’s case; HUAWEI denies it.", "Ren Zhengfei. Photo: VCG"),
    ],
    authors=[["Matthew Walsh"], ["Dave Yin"], [], ["Matthew Walsh", "Han Wei"], [], [], ["Han Wei"]],
    agency=[None, None, "Bloomberg", None, "Reuters, Bloomberg", None, None],
    section=["World", "Business & Tech", "World", "Economy", "World", "Finance", "Business & Tech"],
)

HAND_QUERIES = [
    # (query, rows counted by hand)
    ("tariff", {2}),
    ("tariffs", {0}),
    ("tariffed", {2}),
    ("tariff*", {0, 2}),
    ("trade", {0, 1, 3, 5}),
    ("trader", {2}),
    ("trade*", {0, 1, 2, 3, 5}),
    ('"trade war"', {0, 5}),  # "trade-war" and "trade, war" are the same phrase
    ('"war trade"', set()),
    ('"trade war"*', {0, 5}),
    ("huawei", {1, 6}),
    ("5g", {1}),
    ("5G-enabled", {1}),
    ('"meng wanzhou"', {6}),
    ("saskatchewan", {3}),  # caption only
    ("zhengfei", {6}),  # caption only
    ("huawei -5g", {6}),
    ("huawei OR canada", {1, 3, 6}),
    ("-trade", {2, 4, 6}),  # "Trader" is another word
    ("NOT (trade OR huawei)", {2, 4}),
    ("trade -war", {1, 3}),
    ("(trade OR huawei) -(tariff* OR 5g)", {3, 5, 6}),
    ("canadian OR canada", {3}),
    ("canad*", {3}),
    ("peace war", {5}),
    ("a", {1, 2}),
    ("the", {0, 2, 5}),
    ("nothing", set()),
]


@pytest.fixture(scope="module")
def hand_index() -> SearchIndex:
    return SearchIndex.open(HAND, None)


@pytest.mark.parametrize(("query", "rows"), HAND_QUERIES)
def test_hand_made_frame_hand_counted(hand_index: SearchIndex, query: str, rows: set[int]) -> None:
    assert hand_index.evaluate(parse_query(query)) == rows


@pytest.mark.parametrize(("query", "rows"), HAND_QUERIES)
def test_hand_made_frame_agrees_with_regex_scan(hand_index: SearchIndex, query: str, rows: set[int]) -> None:
    node = parse_query(query)
    assert hand_index.evaluate(node) == reference(HAND, node) == rows


@pytest.mark.parametrize(("query", "rows"), HAND_QUERIES)
def test_the_two_references_agree(query: str, rows: set[int]) -> None:
    captions = [None if pd.isna(c) else str(c) for c in HAND["photo_caption"]]
    stories = list(zip(HAND["headline"], HAND["body"], captions, strict=True))
    assert reference_rows(stories, parse_query(query)) == rows


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ('author:"Matthew Walsh"', {0, 3}),
        ("author:walsh", {0, 3}),
        ('author:"han wei"', {3, 6}),
        ("author:nobody", set()),
        ("agency:bloomberg", {2, 4}),
        ("agency:reuters", {4}),
        ("section:world", {0, 2, 4}),
        ('section:"business & tech"', {1, 6}),
        ("section:finance", {5}),
        ("author:walsh trade", {0, 3}),
        ("author:walsh -canada", {0}),
        ("agency:bloomberg OR author:yin", {1, 2, 4}),
    ],
)
def test_hand_made_frame_fields(hand_index: SearchIndex, query: str, rows: set[int]) -> None:
    assert hand_index.evaluate(parse_query(query)) == rows


def test_theme_field_uses_the_lookup(hand_index: SearchIndex) -> None:
    themes = {"mine": {"id001", "id003"}}
    assert hand_index.evaluate(parse_query("theme:mine"), themes.get) == {1, 3}
    assert hand_index.evaluate(parse_query("theme:mine huawei"), themes.get) == {1}
    assert hand_index.evaluate(parse_query("theme:other"), themes.get) == set()
    assert hand_index.evaluate(parse_query("theme:mine"), None) == set()


# Generated stories and queries over a small vocabulary: the index and the regex scan must agree.
VOCAB = ["trade", "trader", "war", "tariff", "tariffs", "huawei", "5g", "canada", "talks", "deal"]
SEPARATORS = [" ", " ", ", ", ". ", "-", "’s ", " (", ") ", "\n", " — ", "/"]


@st.composite
def _text(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(VOCAB), max_size=8))
    out = ""
    for word in words:
        cased = draw(st.sampled_from([word, word.upper(), word.title()]))
        out += cased + draw(st.sampled_from(SEPARATORS))
    return out


_STORIES = st.lists(st.tuples(_text(), _text(), st.none() | _text()), min_size=1, max_size=6)


@st.composite
def _term(draw: st.DrawFn) -> str:
    word = draw(st.sampled_from(VOCAB))
    kind = draw(st.sampled_from(["word", "word", "prefix", "phrase", "phrase_prefix"]))
    if kind == "word":
        return word
    if kind == "prefix":
        return word[: draw(st.integers(1, len(word)))] + "*"
    other = draw(st.sampled_from(VOCAB))
    if kind == "phrase":
        return f'"{word} {other}"'
    return f'"{word} {other[: draw(st.integers(1, len(other)))]}"*'


_TEXT_QUERIES = st.recursive(
    _term(),
    lambda children: st.one_of(
        st.tuples(children, children).map(lambda p: f"({p[0]}) ({p[1]})"),
        st.tuples(children, children).map(lambda p: f"({p[0]}) OR ({p[1]})"),
        children.map(lambda c: f"-({c})"),
        children.map(lambda c: f"NOT {c}" if not c.startswith("-") else c),
    ),
    max_leaves=6,
)


def reference_rows(stories: list[tuple[str, str, str | None]], node: Node) -> set[int]:
    """The same reference as ``reference``, with plain ``re`` over the story tuples (fast enough for Hypothesis)."""
    if isinstance(node, Term):
        pattern = term_pattern(node)
        return {i for i, texts in enumerate(stories) if any(pattern.search(t or "") for t in texts)}
    if isinstance(node, Not):
        return set(range(len(stories))) - reference_rows(stories, node.operand)
    assert isinstance(node, And | Or), node
    parts = [reference_rows(stories, o) for o in node.operands]
    return set.intersection(*parts) if isinstance(node, And) else set.union(*parts)


@given(_STORIES, st.lists(_TEXT_QUERIES, min_size=1, max_size=5))
def test_index_agrees_with_regex_scan_on_generated_stories(
    stories: list[tuple[str, str, str | None]], queries: list[str]
) -> None:
    frame = hand_frame(stories)
    index = SearchIndex.open(frame, None)
    for query in queries:
        node = parse_query(query)
        assert index.evaluate(node) == reference_rows(stories, node), query


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Nestlé shares rose", "nestle"),
        ("Nestle shares rose", "nestlé"),
        ("the Pokémon craze", "pokemon"),
        ("a config_file flag", "file"),
    ],
)
def test_index_and_regex_agree_on_accents_and_underscores(text: str, query: str) -> None:
    frame = hand_frame([("", text, None), ("", "unrelated", None)])
    node = parse_query(query)
    assert SearchIndex.open(frame, None).evaluate(node) == reference(frame, node)
