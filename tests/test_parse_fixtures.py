"""The hand-made fixture pages against the hand-counted oracle in ``tests/fixtures/expectations.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from expectations import DUPLICATES, EXPECTED

from core.config import Reporters
from core.model import Article, parse_source_span
from core.parsing import ParseResult, parse_page
from core.reading.files import read_page
from core.storing.ingest import ingest

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"

#: Keys of a ``stories_detail`` entry that are compared with ``Article.to_json_dict()`` as they are.
PLAIN_KEYS = ("published_at", "section", "byline", "authors", "agency", "photo_credit", "photo_caption",
              "teaser", "truncated", "contacts", "related", "coverage_links", "paragraphs")
BODY_KEYS = ("body_starts", "body_ends", "body_must_not_contain")

_cache: dict[str, ParseResult] = {}


def parsed(name: str) -> ParseResult:
    if name not in _cache:
        page = read_page(PAGES / name)
        _cache[name] = parse_page(page.text, name)
    return _cache[name]


def detail_cases() -> list[Any]:
    cases = []
    for name, facts in EXPECTED.items():
        for index, detail in enumerate(facts.get("stories_detail", [])):
            for key in detail:
                cases.append(pytest.param(name, index, key, id=f"{name}-{index}-{key}"))
    return cases


def test_oracle_is_not_empty() -> None:
    assert len(EXPECTED) >= 5
    assert all((PAGES / name).is_file() for name in EXPECTED)
    assert sum(len(f.get("stories_detail", [])) for f in EXPECTED.values()) >= 20


def test_every_fixture_page_has_an_oracle_entry() -> None:
    assert {p.name for p in PAGES.glob("*.txt")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_story_count(name: str) -> None:
    result = parsed(name)
    assert len(result.articles) == EXPECTED[name]["stories"]
    assert result.report.stories == EXPECTED[name]["stories"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_teaser_count(name: str) -> None:
    assert sum(a.teaser for a in parsed(name).articles) == EXPECTED[name]["teasers"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_truncated_count(name: str) -> None:
    assert sum(a.truncated for a in parsed(name).articles) == EXPECTED[name]["truncated"]


@pytest.mark.parametrize("name", sorted(n for n, f in EXPECTED.items() if "unknown_lines" in f))
def test_unknown_line_count(name: str) -> None:
    report = parsed(name).report
    assert report.roles.get("unknown", 0) == EXPECTED[name]["unknown_lines"]
    assert len(report.unknown) == EXPECTED[name]["unknown_lines"]


@pytest.mark.parametrize(
    ("name", "role"),
    [pytest.param(n, r, id=f"{n}-{r}") for n, f in sorted(EXPECTED.items()) for r in f.get("roles", {})],
)
def test_role_count(name: str, role: str) -> None:
    assert parsed(name).report.roles.get(role, 0) == EXPECTED[name]["roles"][role]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_roles_balance(name: str) -> None:
    report = parsed(name).report
    assert report.balanced
    text = read_page(PAGES / name).text
    nonblank = sum(1 for line in text.lstrip("\ufeff").splitlines() if line.strip())
    assert sum(report.roles.values()) == nonblank


@pytest.mark.parametrize("name", sorted(n for n, f in EXPECTED.items() if "stories_detail" in f))
def test_detail_list_covers_every_story(name: str) -> None:
    assert len(EXPECTED[name]["stories_detail"]) == len(parsed(name).articles)


@pytest.mark.parametrize(("name", "index", "key"), detail_cases())
def test_story_detail(name: str, index: int, key: str) -> None:
    articles = parsed(name).articles
    assert index < len(articles), f"{name}: no story #{index}"
    article: Article = articles[index]
    expected = EXPECTED[name]["stories_detail"][index][key]
    record = article.to_json_dict()
    if key in PLAIN_KEYS:
        assert record[key] == expected
    elif key == "body_starts":
        assert article.body.startswith(expected), article.body[:120]
    elif key == "body_ends":
        assert article.body.endswith(expected), article.body[-120:]
    elif key == "body_must_not_contain":
        for fragment in expected:
            assert fragment not in article.body, fragment
    else:
        pytest.fail(f"the oracle uses a key this test does not know: {key!r}")


@pytest.mark.parametrize("name", sorted(n for n, f in EXPECTED.items() if f["stories"] == 0))
def test_pages_without_stories_say_so(name: str) -> None:
    result = parsed(name)
    assert result.articles == ()
    assert result.report.shape in {"empty", "unrecognised"}
    assert result.report.warnings, "a page with no stories must carry a warning"


def test_duplicate_across_pages_merges_to_one_row(tmp_path: Path) -> None:
    files = [PAGES / name for name in DUPLICATES["files"]]
    corpus = ingest(files, cache_dir=tmp_path / "cache", reporters=Reporters(), workers=1)
    stamp = DUPLICATES["published_at"]
    rows = corpus.articles[corpus.articles["published_at"] == pd.Timestamp(stamp)]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert bool(row["teaser"]) is DUPLICATES["winner_is_teaser"]
    assert sorted(Path(parse_source_span(s).file).name for s in row["sources"]) == sorted(DUPLICATES["files"])
    assert len(row["sources"]) == 2
    copies = [a for n in DUPLICATES["files"] for a in parsed(n).articles if a.to_json_dict()["published_at"] == stamp]
    assert len(copies) == 2
    assert row["word_count"] == max(a.word_count for a in copies)
    assert not row["truncated"]
    assert corpus.report.duplicates_merged == 1
    total = sum(EXPECTED[n]["stories"] for n in DUPLICATES["files"])
    assert len(corpus.articles) == total - 1


def test_duplicate_copies_have_the_same_id() -> None:
    first, second = (parsed(n) for n in DUPLICATES["files"])
    stamp = DUPLICATES["published_at"]
    ids = {a.article_id for r in (first, second) for a in r.articles if a.to_json_dict()["published_at"] == stamp}
    assert len(ids) == 1
