"""Page shapes (FORMAT.md section 2): detection, the hand-written oracle of ``tests/fixtures/pages2/`` and
golden files in ``tests/fixtures/golden2/``.

Regenerate the golden files with ``pytest tests/test_shapes.py --update-golden`` and review the diff. The
live-feed pages of ``tests/fixtures/pages/`` and the sample keep their own golden files (``test_golden.py``):
detection must leave their parse exactly as it was.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import check_golden

from core.model import ROLES
from core.parsing import ParseResult, detect_shape, parse_page, split_lines
from core.reading.files import decode_bytes, read_page

TESTS = Path(__file__).resolve().parent
PAGES = TESTS / "fixtures" / "pages"
PAGES2 = TESTS / "fixtures" / "pages2"
GOLDEN2 = TESTS / "fixtures" / "golden2"
SAMPLE = TESTS.parent / "data" / "pages" / "000_6a6401b8027f1b55.txt"


def load_oracle() -> ModuleType:
    """``tests/fixtures/pages2/expectations.py`` (its name clashes with the live-feed oracle's module)."""
    spec = importlib.util.spec_from_file_location("expectations_pages2", PAGES2 / "expectations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ORACLE = load_oracle()
EXPECTED: dict[str, dict[str, Any]] = ORACLE.EXPECTED
INPUTS2 = sorted(p for p in PAGES2.iterdir() if p.suffix in {".txt", ".html"})

_cache: dict[str, ParseResult] = {}


def parsed(name: str) -> ParseResult:
    if name not in _cache:
        _cache[name] = parse_page(read_page(PAGES2 / name).text, name)
    return _cache[name]


# -- detection ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(PAGES.glob("*.txt")) + [SAMPLE], ids=lambda p: p.name)
def test_live_feed_pages_stay_live_feed(path: Path) -> None:
    text, _ = decode_bytes(path.read_bytes(), path.name)
    shape, reason = detect_shape(split_lines(text))
    result = parse_page(text, path.name)
    if path.name in {"empty.txt", "no_stories.txt"}:
        assert result.report.shape == ("empty" if path.name == "empty.txt" else "unrecognised")
        assert result.articles == () and result.listings == ()
    else:
        assert (shape, result.report.shape) == ("live-feed", "live-feed")
        assert reason.endswith("story bylines")
        assert result.listings == ()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shape_and_reason(name: str) -> None:
    report = parsed(name).report
    assert report.shape == EXPECTED[name]["shape"]
    for words in EXPECTED[name]["reason_contains"]:
        assert words in report.shape_reason, report.shape_reason


@pytest.mark.parametrize(
    ("lines", "shape", "reason"),
    [
        (["Aug 10, 2018 03:05 PM", "Huawei Bets on Its Own Chips"], "article", "date line then headline at lines 1-2"),
        (["Home >", "", "Aug 10, 2018 03:05 PM", "Economy", "A Real Headline Here"], "article", "lines 3-5"),
        (["A Headline Here", "Jul 11, 2019 19:40 PM", "Another Headline", "01 11, 2021 15:11 PM"], "listing",
         "2 dated items"),
        (["• Jul 11, 2019 07:40 PM", "In Pictures: One", "• Jul 12, 2019 07:40 PM", "In Pictures: Two"], "listing",
         "2 dated items"),
        (["The Best Reads of the Week From Caixin", "# Finance #", "A Headline", "Text."], "digest",
         "digest title 'The Best Reads of the Week From Caixin' and 1 '# Finance #' markers"),
        (["CX Daily: Evergrande’s Woes", "Some Headline"], "digest", "digest title 'CX Daily: Evergrande’s Woes'"),
        (["Weekly Must-Read: Exports", "Finance /", "Headline Words Here"], "digest", "1 'Finance /' markers"),
        (["By Dave Yin / Nov 07, 2019 05:09 PM / World", "Body."], "live-feed", "1 story byline"),
        (["Shopping list", "Eggs / milk"], "unrecognised", "no byline, no dated items"),
        (["Aug 10, 2018 03:05 PM", "the lower-case line is no headline at all"], "unrecognised", "no dated items"),
    ],
)
def test_detect_shape(lines: list[str], shape: str, reason: str) -> None:
    detected, why = detect_shape(lines)
    assert detected == shape
    assert reason in why


def test_two_bylines_win_over_a_digest_title_in_a_headline_list() -> None:
    lines = ["LATEST", "CX Daily: China’s Economy Rebounds", "Another Headline Here", "Third Headline Here", "",
             "By Dave Yin / Nov 07, 2019 05:09 PM / World", "Body one.", "",
             "By Dave Yin / Nov 06, 2019 05:09 PM / World", "Body two."]
    assert detect_shape(lines)[0] == "live-feed"
    result = parse_page("\n".join(lines))
    assert len(result.articles) == 2
    assert [h for _, h in result.headlines][0] == "CX Daily: China’s Economy Rebounds"


def test_unrecognised_page_gives_nothing_and_says_why() -> None:
    result = parsed("unrelated.txt")
    assert result.articles == () and result.listings == () and result.headlines == ()
    assert result.report.shape == "unrecognised"
    assert result.report.warnings
    assert [n for n, _ in result.report.unknown] == [1, 3, 5, 6, 8, 9, 11, 12, 14, 16]


def test_page_cut_inside_its_only_byline_keeps_its_story() -> None:
    result = parse_page("Some furniture line\n\nBy Ren Qiuyu / Mar 16, 2020 10:58 A")
    assert result.report.shape == "live-feed"
    assert len(result.articles) == 1 and result.articles[0].truncated


# -- the oracle -----------------------------------------------------------------------------------------


def test_oracle_covers_every_page() -> None:
    assert {p.name for p in PAGES2.glob("*.txt")} == set(EXPECTED)
    assert set(ORACLE.HTML_COPIES) == {p.name for p in PAGES2.glob("*.html")}
    shapes = {facts["shape"] for facts in EXPECTED.values()}
    assert shapes == {"article", "listing", "digest", "unrecognised"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts(name: str) -> None:
    result, facts = parsed(name), EXPECTED[name]
    assert len(result.articles) == result.report.stories == facts["stories"]
    assert len(result.listings) == result.report.entries == facts["entries"]
    if facts.get("unknown") is not None:
        assert len(result.report.unknown) == result.report.roles["unknown"] == facts["unknown"]


@pytest.mark.parametrize(
    ("name", "role"), [pytest.param(n, r, id=f"{n}-{r}") for n, f in sorted(EXPECTED.items()) for r in f["roles"]]
)
def test_role_count(name: str, role: str) -> None:
    assert role in ROLES
    assert parsed(name).report.roles.get(role, 0) == EXPECTED[name]["roles"][role]


@pytest.mark.parametrize("name", [p.name for p in INPUTS2])
def test_every_line_has_one_role(name: str) -> None:
    result = parsed(name)
    report = result.report
    assert report.balanced
    assert set(report.roles) <= set(ROLES)
    if name.endswith(".txt"):
        text = read_page(PAGES2 / name).text
        assert report.nonblank == sum(1 for line in text.splitlines() if line.strip())


@pytest.mark.parametrize("name", sorted(n for n, f in EXPECTED.items() if "entries_detail" in f))
def test_entries(name: str) -> None:
    entries = parsed(name).listings
    expected = EXPECTED[name]["entries_detail"]
    assert len(entries) == len(expected)
    lines = split_lines(read_page(PAGES2 / name).text)
    for entry, (headline, published_at, group, summary_start) in zip(entries, expected, strict=True):
        record = entry.to_json_dict()
        assert (record["headline"], record["published_at"], record["group"]) == (headline, published_at, group)
        assert entry.summary.startswith(summary_start) and bool(entry.summary) == bool(summary_start)
        assert entry.source == name and entry.article_id is None
        assert "](" not in entry.headline + entry.summary, "markdown links are read as their text"
        assert headline in lines[entry.line - 1], "an entry's line is the line of its headline"
    for index, paragraphs in EXPECTED[name].get("summary_paragraphs", {}).items():
        assert len(entries[index].summary.split("\n\n")) == paragraphs


def article_cases() -> list[Any]:
    return [
        pytest.param(name, key, id=f"{name}-{key}")
        for name, facts in sorted(EXPECTED.items())
        for key in facts.get("article", {})
    ]


@pytest.mark.parametrize(("name", "key"), article_cases())
def test_article(name: str, key: str) -> None:
    result = parsed(name)
    (article,) = result.articles
    expected = EXPECTED[name]["article"][key]
    record = article.to_json_dict()
    assert article.headline_inferred is False
    if key == "body_starts":
        assert article.body.startswith(expected), article.body[:100]
    elif key == "body_ends":
        assert article.body.endswith(expected), article.body[-100:]
    elif key == "body_contains":
        paragraphs = article.body.split("\n\n")
        assert all(stamp in paragraphs for stamp in expected), "update stamps stay in the body as paragraphs"
    elif key == "body_must_not_contain":
        assert not [fragment for fragment in expected if fragment in article.body]
    elif key == "deck":
        (entry,) = result.listings
        assert entry.summary == expected
        assert (entry.headline, entry.article_id) == (article.headline, article.article_id)
        assert entry.published_at == article.published_at and entry.group == article.section
    else:
        assert record[key] == expected


# -- golden files ---------------------------------------------------------------------------------------


def page_json(path: Path) -> dict[str, Any]:
    result = parse_page(read_page(path).text, path.name)
    return {
        "articles": [a.to_json_dict() for a in result.articles],
        "listings": [e.to_json_dict() for e in result.listings],
        "headlines": [[line, text] for line, text in result.headlines],
        "report": result.report.to_dict(),
    }


@pytest.mark.parametrize("path", INPUTS2, ids=[p.name for p in INPUTS2])
def test_golden2(path: Path, update_golden: bool) -> None:
    check_golden(GOLDEN2 / f"{path.name}.json", page_json(path), path, update_golden)


def test_every_golden2_file_has_its_page() -> None:
    assert {g.name for g in GOLDEN2.glob("*.json")} == {f"{p.name}.json" for p in INPUTS2}


@pytest.mark.parametrize(
    ("furniture", "section"),
    [("Home > Economy > Trade War", "Economy"), ("Home > Trade War >", "Trade War"), ("FINANCE", "Finance"),
     ("Caixin Global", "")],
)
def test_article_section_from_breadcrumb_or_label(furniture: str, section: str) -> None:
    text = f"{furniture}\n\nAug 10, 2018 03:05 PM\n\nTariffs Bite as Talks Stall\n\nExporters said orders fell.\n"
    (article,) = parse_page(text).articles
    assert article.section == section
    assert (article.headline, article.body) == ("Tariffs Bite as Talks Stall", "Exporters said orders fell.")
