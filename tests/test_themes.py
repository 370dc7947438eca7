"""Themes (``core.analysing.themes``): membership on the sample with evidence, ``min_hits`` and ``exclude`` on hand-made
pages, saved-query themes, highlight offsets, broken themes files, ``ThemeBook`` and the shipped file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from expectations import SAMPLE_STORIES

from core.analysing.query import parse_query
from core.analysing.themes import (
    DEFAULT_THEMES_FILE,
    MEMBERSHIP_COLUMNS,
    Theme,
    ThemeBook,
    load_themes,
    match_themes,
    parse_term,
    query_theme,
    theme_hits,
    themes_of,
)
from core.errors import ConfigError, QuerySyntaxError
from core.storing.collection import Collection, open_collection
from core.storing.search import SearchIndex, term_pattern

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PAGES = PROJECT_ROOT / "data" / "pages"

STORIES = SAMPLE_STORIES
UNRELATED = {"fifa", "essex", "tiktok", "graphene", "xi-north-korea", "pandas"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    return open_collection([SAMPLE_PAGES], cache_dir=tmp_path_factory.mktemp("themes-cache"))


@pytest.fixture(scope="module")
def keys_by_id(sample: Collection) -> dict[str, str]:
    out = {}
    for key, phrase in STORIES.items():
        found = sample.articles.loc[sample.articles["body"].str.contains(phrase, regex=False), "article_id"]
        assert len(found) == 1, phrase
        out[str(found.iloc[0])] = key
    return out


def members(collection: Collection, keys_by_id: dict[str, str], slug: str) -> set[str]:
    rows = collection.memberships[collection.memberships["theme"] == slug]
    return {keys_by_id[str(i)] for i in rows["article_id"]}


def evidence(collection: Collection, keys_by_id: dict[str, str], slug: str) -> dict[str, str]:
    rows = collection.memberships[collection.memberships["theme"] == slug]
    return {keys_by_id[str(i)]: str(e) for i, e in zip(rows["article_id"], rows["evidence"], strict=True)}


# -- membership on the sample ----------------------------------------------------------------------------


def test_huawei_is_exactly_the_five_huawei_stories(sample: Collection, keys_by_id: dict[str, str]) -> None:
    assert members(sample, keys_by_id, "huawei") == {"meng", "oi", "purdy", "vought", "ieee"}


def test_trade_war_theme(sample: Collection, keys_by_id: dict[str, str]) -> None:
    found = members(sample, keys_by_id, "trade-war")
    assert {"lu-trade-war", "guo-debt"} <= found
    assert found.isdisjoint(UNRELATED)


def test_sports_is_only_the_fifa_story(sample: Collection, keys_by_id: dict[str, str]) -> None:
    assert members(sample, keys_by_id, "sports") == {"fifa"}


@pytest.mark.parametrize(
    ("slug", "story", "expected"),
    [
        # counted by hand from the page; Related lines and "coverage of Huawei" lines do not count
        ("huawei", "meng", 'huawei ×3, "meng wanzhou" ×2'),
        ("huawei", "oi", 'huawei ×8, "ren zhengfei" ×1'),
        ("huawei", "vought", "huawei ×4"),
        ("trade-war", "guo-debt", '"trade war" ×2, tariff* ×2'),
        ("trade-war", "lu-trade-war", '"trade deal" ×1, "trade war" ×1'),
        ("sports", "fifa", '"world cup" ×4, fifa ×4, soccer ×3, tournament* ×2, football ×1'),
        ("energy", "refiners", "crude ×6, oil ×2, refiner* ×2"),
    ],
)
def test_evidence_lists_matched_terms_with_counts(
    sample: Collection, keys_by_id: dict[str, str], slug: str, story: str, expected: str
) -> None:
    assert evidence(sample, keys_by_id, slug)[story] == expected


def test_hits_are_the_sum_of_the_evidence(sample: Collection) -> None:
    memberships = sample.memberships
    assert list(memberships.columns) == MEMBERSHIP_COLUMNS
    assert len(memberships) > 0
    for hits, text in zip(memberships["hits"], memberships["evidence"], strict=True):
        counts = [int(n) for n in re.findall(r" ×(\d+)(?:, |$)", str(text))]
        assert counts and sum(counts) == hits, text
        assert counts == sorted(counts, reverse=True)


def test_no_story_carries_a_theme_twice(sample: Collection) -> None:
    assert not sample.memberships.duplicated(["article_id", "theme"]).any()


def test_themes_of_maps_stories_to_slugs(sample: Collection, keys_by_id: dict[str, str]) -> None:
    by_story = {keys_by_id[i]: set(s) for i, s in themes_of(sample.memberships).items()}
    assert {"huawei", "5g-telecom", "canada-china", "diplomacy"} <= by_story["meng"]
    assert by_story["fifa"] >= {"sports"}
    assert "pandas" not in by_story or "huawei" not in by_story["pandas"]


def test_theme_hits_offsets_point_at_the_terms(sample: Collection, keys_by_id: dict[str, str]) -> None:
    themes = sample.book.by_slug()
    rows = sample.articles.set_index("article_id", drop=False)
    checked = 0
    for article_id, slug, evidence_text in sample.memberships[["article_id", "theme", "evidence"]].itertuples(
        index=False
    ):
        theme = themes[str(slug)]
        terms = {str(t): t for t in theme.highlight_terms()}
        row = rows.loc[str(article_id)].to_dict()
        hits = theme_hits(row, theme)
        for hit in hits:
            matched = str(row[hit.field])[hit.start : hit.end]
            assert term_pattern(terms[hit.term]).fullmatch(matched), (slug, hit)
            assert f"[{' '.join(matched.split())}]" in hit.snippet
            checked += 1
        in_evidence = {part.rsplit(" ×", 1)[0] for part in str(evidence_text).split(", ")}
        assert in_evidence <= {h.term for h in hits}
    assert checked > 100


def test_theme_hits_on_one_story_by_hand(sample: Collection, keys_by_id: dict[str, str]) -> None:
    row = next(
        r for r in sample.articles.to_dict("records") if keys_by_id[str(r["article_id"])] == "guo-debt"
    )
    hits = theme_hits(row, sample.book.by_slug()["trade-war"])
    body_hits = [(h.term, row["body"][h.start : h.end]) for h in hits if h.field == "body"]
    assert body_hits == [
        ('"trade war"', "trade war"),
        ("tariff*", "tariffs"),
        ('"trade war"', "trade war"),
        ("tariff*", "tariffs"),
    ]


# -- min_hits, exclude and saved queries on hand-made pages ----------------------------------------------


def story(minute: int, body: str, byline: str = "By Dave Yin", caption: str = "Photo: VCG") -> str:
    return (
        f"{byline} / Nov 07, 2019 05:{minute:02d} PM / World\n\n{caption}\n\n{caption}\n\n{body}\n\n"
        "Contact reporter Dave Yin (\n\n\n"
    )


def page(*stories: str) -> str:
    return "Caixin Global – Latest China News & Headlines\n\nHome >\n\n\n" + "".join(stories)


HAND_STORIES = {
    # key: (minute, body, caption line)
    "oil-and-crude": (50, "Oil prices rose on Monday.\n\nCrude stocks fell, traders said.", "Photo: VCG"),
    "oil-once": (49, "Oil prices rose on Monday after a quiet week in Asia.", "Photo: VCG"),
    "oil-twice": (48, "Prices of oil went up.\n\nAnalysts expect more oil to flow.", "Photo: VCG"),
    "soil-toil": (47, "Boiling soil and endless toil for the oilfield workers.", "Photo: VCG"),
    "oil-in-caption": (46, "Prices of oil went up again.", "An oil tanker. Photo: VCG"),
    "tariff-football": (45, "New tariffs hit imported football shirts.", "Photo: VCG"),
    "tariff-trade-war": (44, "New tariffs bite as the trade war drags on.", "Photo: VCG"),
    "trade-war-sports": (43, "The Trade-War and its impact on sports.", "Photo: VCG"),
    "huawei-5g": (42, "Huawei sells 5G gear.\n\nHuawei says so.", "Photo: VCG"),
    "huawei-only": (41, "Huawei sells phones.", "Photo: VCG"),
    "nothing": (40, "A quiet day in the markets.", "Photo: VCG"),
}

HAND_THEMES = """\
[themes.oil]
label = "Oil"
colour = "#123456"
terms = ["oil", "crude"]
min_hits = 2

[themes.trade]
label = "Trade"
terms = ["tariff*", "trade war"]
exclude = ["sports", "football"]

[themes.huawei-5g]
label = "Huawei and 5G"
query = "huawei AND 5g"

[themes.not-5g]
label = "Huawei without 5G"
query = "huawei -5g"
"""


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> tuple[Collection, dict[str, str]]:
    folder = tmp_path_factory.mktemp("hand-themes")
    (folder / "pages").mkdir()
    (folder / "pages" / "hand.txt").write_text(
        page(*(story(minute, body, caption=caption) for minute, body, caption in HAND_STORIES.values())),
        encoding="utf-8",
    )
    (folder / "themes.toml").write_text(HAND_THEMES, encoding="utf-8")
    collection = open_collection(
        [folder / "pages"], cache_dir=folder / "cache", themes_file=folder / "themes.toml"
    )
    assert collection.book.error is None
    keys = {}
    for key, (_, body, _) in HAND_STORIES.items():
        first = body.split("\n")[0]
        found = collection.articles.loc[collection.articles["body"].str.startswith(first), "article_id"]
        assert len(found) == 1, key
        keys[str(found.iloc[0])] = key
    assert len(keys) == len(HAND_STORIES)
    return collection, keys


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        # oil needs two hits: "oil-once" has one (its inferred headline repeats the lead and is not counted
        # twice); "soil-toil" has none (whole words); the caption counts
        ("oil", {"oil-and-crude", "oil-twice", "oil-in-caption"}),
        # a story with any exclude term never carries the theme, whatever its hits
        ("trade", {"tariff-trade-war"}),
        ("huawei-5g", {"huawei-5g"}),
        ("not-5g", {"huawei-only"}),
    ],
)
def test_hand_made_memberships(
    hand: tuple[Collection, dict[str, str]], slug: str, expected: set[str]
) -> None:
    collection, keys = hand
    assert members(collection, keys, slug) == expected


@pytest.mark.parametrize(
    ("slug", "story", "hits", "expected"),
    [
        ("oil", "oil-and-crude", 2, "crude ×1, oil ×1"),
        ("oil", "oil-twice", 2, "oil ×2"),
        ("oil", "oil-in-caption", 2, "oil ×2"),
        ("trade", "tariff-trade-war", 2, '"trade war" ×1, tariff* ×1'),
        ("huawei-5g", "huawei-5g", 3, "huawei ×2, 5g ×1"),
        ("not-5g", "huawei-only", 1, "huawei ×1"),
    ],
)
def test_hand_made_evidence(
    hand: tuple[Collection, dict[str, str]], slug: str, story: str, hits: int, expected: str
) -> None:
    collection, keys = hand
    rows = collection.memberships[collection.memberships["theme"] == slug]
    row = rows[[keys[str(i)] == story for i in rows["article_id"]]]
    assert len(row) == 1
    assert int(row["hits"].iloc[0]) == hits
    assert str(row["evidence"].iloc[0]) == expected


def test_saved_query_theme_is_searchable_by_theme_field(hand: tuple[Collection, dict[str, str]]) -> None:
    collection, keys = hand
    found = collection.index.search("theme:huawei-5g OR theme:not-5g", collection.theme_ids)
    assert {keys[str(i)] for i in found["article_id"]} == {"huawei-5g", "huawei-only"}


def _hand_frame(rows: list[tuple[str, bool, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "article_id": [f"id{i}" for i in range(len(rows))],
            "headline": [r[0] for r in rows],
            "headline_inferred": [r[1] for r in rows],
            "body": [r[2] for r in rows],
            "photo_caption": [r[3] for r in rows],
            "authors": [[] for _ in rows],
            "agency": pd.array([None] * len(rows), dtype="string"),
            "section": ["World"] * len(rows),
        }
    )


def test_a_real_headline_counts_and_an_inferred_one_does_not() -> None:
    frame = _hand_frame(
        [
            ("Oil shock", False, "Crude rose.", None),  # real headline: oil ×1 + crude ×1
            ("Oil shock", True, "Oil shock hits Asia.", None),  # inferred: only the body's oil counts
            ("", False, "Crude and oil and more oil.", None),
        ]
    )
    theme = Theme("oil", "Oil", "#000000", terms=(parse_term("oil"), parse_term("crude")), min_hits=2)
    result = match_themes(SearchIndex.open(frame, None), [theme])
    assert dict(zip(result["article_id"], result["hits"], strict=True)) == {"id0": 2, "id2": 3}


@pytest.mark.parametrize(("term", "text"), [("nestle", "Nestlé shares rose."), ("café", "A cafe opened.")])
def test_theme_terms_ignore_accents(term: str, text: str) -> None:
    frame = _hand_frame([("", False, text, None), ("", False, "Nothing here.", None)])
    theme = Theme("t", "T", "#000000", terms=(parse_term(term),))
    result = match_themes(SearchIndex.open(frame, None), [theme])
    assert result["article_id"].tolist() == ["id0"]
    assert len(theme_hits(frame.iloc[0].to_dict(), theme)) == 1


def test_query_theme_helper() -> None:
    frame = _hand_frame(
        [("", False, "Huawei 5G", None), ("", False, "Huawei", None), ("", False, "5G", None)]
    )
    theme = query_theme("saved", "Saved", "huawei AND 5g")
    assert theme.query == "huawei AND 5g"
    assert theme.definition == "query: huawei AND 5g"
    result = match_themes(SearchIndex.open(frame, None), [theme])
    assert result["article_id"].tolist() == ["id0"]
    assert result["evidence"].tolist() == ["5g ×1, huawei ×1"]
    with pytest.raises(QuerySyntaxError):
        query_theme("bad", "Bad", "huawei AND")


def test_saved_query_uses_fields_but_not_theme(tmp_path: Path, keys_by_id: dict[str, str]) -> None:
    """docs/themes.md: a saved query carries what it selects, its fields included, except ``theme:``."""
    path = tmp_path / "themes.toml"
    path.write_text(
        '[themes.walsh-huawei]\nlabel = "Walsh on Huawei"\nquery = \'author:"Matthew Walsh" huawei\'\n\n'
        '[themes.wire]\nlabel = "Wire"\nquery = "agency:bloomberg -tiktok"\n\n'
        '[themes.via-theme]\nlabel = "Via theme"\nquery = "canada OR theme:huawei"\n',
        encoding="utf-8",
    )
    collection = open_collection([SAMPLE_PAGES], cache_dir=tmp_path / "cache", themes_file=path)
    assert collection.book.error is None
    assert members(collection, keys_by_id, "walsh-huawei") == {"oi"}
    assert members(collection, keys_by_id, "wire") == {"purdy", "vought"}
    assert members(collection, keys_by_id, "via-theme") == {"meng", "guo-debt"}
    assert evidence(collection, keys_by_id, "wire") == {"purdy": "", "vought": ""}


@pytest.mark.parametrize(
    ("theme", "expected"),
    [
        (
            Theme("a", "A", "#000000", terms=(parse_term("oil"), parse_term("trade war"))),
            'any of: oil, "trade war"',
        ),
        (
            Theme(
                "a", "A", "#000000", terms=(parse_term("tariff*"),), min_hits=3, exclude=(parse_term("nba"),)
            ),
            "any of: tariff* (at least 3 hits); not: nba",
        ),
    ],
)
def test_definition_in_words(theme: Theme, expected: str) -> None:
    assert theme.definition == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("huawei", "huawei"),
        ("Trade War", '"trade war"'),
        ("tariff*", "tariff*"),
        ("trade tension*", '"trade tension"*'),
    ],
)
def test_parse_term(text: str, expected: str) -> None:
    assert str(parse_term(text)) == expected


@pytest.mark.parametrize("text", ["!!", "", "((", 'say "hi"', 'a"b', "*"])
def test_parse_term_refuses_what_is_not_one_term(text: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse_term(text)


# -- broken themes files -------------------------------------------------------------------------------

GOOD_HEAD = """\
# a comment
[themes.fine]
label = "Fine"
terms = ["huawei"]

"""  # five lines: the broken theme starts on line 6

BROKEN = [
    # (id, text after GOOD_HEAD, line, key, message fragment)
    (
        "toml-syntax",
        '[themes.x]\nlabel = "X"\nterms = ["x"]\ncolour = "#zzzzzz\n',
        9,
        None,
        "TOML syntax error",
    ),
    ("toml-duplicate", '[themes.x]\nlabel = "X"\nlabel = "Y"\n', 8, None, "TOML syntax error"),
    ("missing-label", '[themes.x]\nterms = ["x"]\n', 6, "themes.x.label", "label"),
    ("empty-label", '[themes.x]\nlabel = "  "\nterms = ["x"]\n', 7, "themes.x.label", "label"),
    (
        "bad-colour-name",
        '[themes.x]\nlabel = "X"\nterms = ["x"]\ncolour = "red"\n',
        9,
        "themes.x.colour",
        "colour",
    ),
    (
        "bad-colour-short",
        '[themes.x]\nlabel = "X"\ncolour = "#12345"\nterms = ["x"]\n',
        8,
        "themes.x.colour",
        "#1f77b4",
    ),
    (
        "bad-colour-type",
        '[themes.x]\nlabel = "X"\ncolour = 5\nterms = ["x"]\n',
        8,
        "themes.x.colour",
        "colour",
    ),
    ("unknown-key", '[themes.x]\nlabel = "X"\ntrems = ["x"]\n', 8, "themes.x.trems", "unknown key"),
    ("bad-term", '[themes.x]\nlabel = "X"\nterms = ["ok", "!!"]\n', 8, "themes.x.terms", "'!!'"),
    (
        "term-not-string",
        '[themes.x]\nlabel = "X"\nterms = ["ok", 5]\n',
        8,
        "themes.x.terms",
        "list of strings",
    ),
    ("terms-not-list", '[themes.x]\nlabel = "X"\nterms = "huawei"\n', 8, "themes.x.terms", "list of strings"),
    ("no-terms", '[themes.x]\nlabel = "X"\n', 6, "themes.x.terms", "at least one term"),
    (
        "bad-exclude",
        '[themes.x]\nlabel = "X"\nterms = ["a"]\nexclude = ["(("]\n',
        9,
        "themes.x.exclude",
        "'(('",
    ),
    (
        "min-hits-zero",
        '[themes.x]\nlabel = "X"\nterms = ["x"]\nmin_hits = 0\n',
        9,
        "themes.x.min_hits",
        "at least 1",
    ),
    (
        "min-hits-bool",
        '[themes.x]\nlabel = "X"\nterms = ["x"]\nmin_hits = true\n',
        9,
        "themes.x.min_hits",
        "whole",
    ),
    (
        "min-hits-text",
        '[themes.x]\nlabel = "X"\nterms = ["x"]\nmin_hits = "2"\n',
        9,
        "themes.x.min_hits",
        "whole",
    ),
    ("bad-slug-case", '[themes.Bad_Slug]\nlabel = "X"\nterms = ["x"]\n', 6, "themes.Bad_Slug", "slug"),
    ("bad-slug-dash", '[themes."-x"]\nlabel = "X"\nterms = ["x"]\n', 6, "themes.-x", "slug"),
    ("bad-query", '[themes.x]\nlabel = "X"\nquery = "huawei AND"\n', 8, "themes.x.query", "AND needs a term"),
    ("query-not-string", '[themes.x]\nlabel = "X"\nquery = 5\n', 8, "themes.x.query", "string"),
    (
        "bad-description",
        '[themes.x]\nlabel = "X"\ndescription = 5\nterms = ["x"]\n',
        8,
        "themes.x.description",
        "string",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "key", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_broken_themes_file_names_line_and_key(
    tmp_path: Path, text: str, line: int, key: str | None, message: str
) -> None:
    path = tmp_path / "themes.toml"
    path.write_text(GOOD_HEAD + text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_themes(path)
    error = caught.value
    assert error.line == line
    assert error.key == key
    assert message in str(error)
    assert str(error).startswith(f"{path}:{line}")
    if key:
        assert f"[{key}]" in str(error)
    assert "\n" not in str(error)


@pytest.mark.parametrize(
    "text",
    ["", "# nothing here\n", "[other]\nx = 1\n", "themes = 5\n"],
    ids=["empty", "comment", "other", "scalar"],
)
def test_themes_file_without_themes(tmp_path: Path, text: str) -> None:
    path = tmp_path / "themes.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"no \[themes.<slug>\] tables"):
        load_themes(path)


def test_missing_themes_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_themes(tmp_path / "absent.toml")


def test_bad_color_spelled_the_american_way_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "themes.toml"
    path.write_text(GOOD_HEAD + '[themes.x]\nlabel = "X"\nterms = ["x"]\ncolor = "blue"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_themes(path)
    assert caught.value.line == 9


@pytest.mark.parametrize(
    "text", ['terms = ["x"\n', 'colour = "#123456\n'.rstrip("\n")], ids=["open-array", "open-string"]
)
def test_toml_error_at_end_of_document_names_a_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "themes.toml"
    path.write_text('[themes.x]\nlabel = "X"\n' + text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_themes(path)
    assert caught.value.line == 3


def test_themes_file_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "themes.toml"
    path.write_bytes('[themes.x]\nlabel = "Café"\nterms = ["x"]\n'.encode("latin-1"))
    with pytest.raises(ConfigError):
        load_themes(path)


# -- ThemeBook -----------------------------------------------------------------------------------------


def _write(path: Path, text: str, bump: int) -> None:
    """Write ``text`` and set a distinct mtime, so the change is seen whatever the clock resolution."""
    path.write_text(text, encoding="utf-8")
    stamp = 1_700_000_000 + bump
    os.utime(path, (stamp, stamp))


TWO_THEMES = '[themes.a]\nlabel = "A"\nterms = ["a"]\n\n[themes.b]\nlabel = "B"\nterms = ["b"]\n'
BROKEN_EDIT = (
    '[themes.a]\nlabel = "A"\nterms = ["a"]\n\n[themes.b]\nlabel = "B"\ncolour = "nope"\nterms = ["b"]\n'
)
THREE_THEMES = TWO_THEMES + '\n[themes.c]\nlabel = "C"\nterms = ["c"]\n'


def test_theme_book_keeps_last_good_themes_and_picks_up_good_edits(tmp_path: Path) -> None:
    path = tmp_path / "themes.toml"
    _write(path, TWO_THEMES, 0)
    book = ThemeBook(path)
    assert [t.slug for t in book.themes] == ["a", "b"]
    assert book.error is None
    good = list(book.themes)

    _write(path, BROKEN_EDIT, 10)
    assert book.reload() == good
    assert book.themes == good
    assert book.error is not None
    assert f"{path}:7" in book.error and "themes.b.colour" in book.error
    assert "last good themes" in book.error

    _write(path, THREE_THEMES, 20)
    assert [t.slug for t in book.reload()] == ["a", "b", "c"]
    assert book.error is None
    assert set(book.by_slug()) == {"a", "b", "c"}


def test_theme_book_after_toml_syntax_error_and_deletion(tmp_path: Path) -> None:
    path = tmp_path / "themes.toml"
    _write(path, TWO_THEMES, 0)
    book = ThemeBook(path)
    good = list(book.themes)
    _write(path, '[themes.a\nlabel = "A"\n', 10)
    assert book.reload() == good
    assert book.error is not None and f"{path}:1" in book.error
    path.unlink()
    assert book.reload() == good
    assert book.error is not None and "cannot be read" in book.error


def test_theme_book_starting_from_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "themes.toml"
    _write(path, '[themes.x]\nlabel = "X"\nmin_hits = 0\nterms = ["x"]\n', 0)
    book = ThemeBook(path)
    assert book.themes == []
    assert book.error is not None and f"{path}:3" in book.error
    _write(path, TWO_THEMES, 10)
    assert [t.slug for t in book.reload()] == ["a", "b"]
    assert book.error is None


def test_theme_book_rereads_only_when_the_file_changed(tmp_path: Path) -> None:
    path = tmp_path / "themes.toml"
    _write(path, TWO_THEMES, 0)
    book = ThemeBook(path)
    _write(path, THREE_THEMES, 0)  # same mtime: not re-read
    assert [t.slug for t in book.reload()] == ["a", "b"]
    os.utime(path, (1_700_000_005, 1_700_000_005))
    assert [t.slug for t in book.reload()] == ["a", "b", "c"]


# -- the shipped themes file ---------------------------------------------------------------------------

SHIPPED = [
    "trade-war", "huawei", "5g-telecom", "tiktok-apps", "canada-china", "diplomacy", "energy",
    "science-tech", "sports", "finance-markets", "human-rights",
]  # fmt: skip


def test_shipped_themes_file_loads() -> None:
    themes = load_themes()
    assert themes == load_themes(DEFAULT_THEMES_FILE)
    slugs = [t.slug for t in themes]
    assert set(SHIPPED) <= set(slugs)
    assert len(slugs) == len(set(slugs))
    colours = [t.colour.lower() for t in themes]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    assert len(set(colours)) == len(colours)
    for theme in themes:
        assert theme.label.strip()
        assert theme.terms or theme.query
        if theme.query:
            parse_query(theme.query)


@pytest.mark.parametrize("slug", SHIPPED)
def test_each_shipped_theme_has_a_colour_and_terms(slug: str) -> None:
    theme = {t.slug: t for t in load_themes()}[slug]
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", theme.colour)
    assert theme.description
    assert theme.highlight_terms()
