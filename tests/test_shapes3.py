"""FORMAT.md section 3: business digests, rankings, Markdown copies, syndicated copies, byline and contact
variants, a listing's own title line.

The oracle is ``tests/fixtures/pages3/expectations.py`` (written from the pages); golden files are in
``tests/fixtures/golden3/`` (regenerate with ``pytest tests/test_shapes3.py --update-golden`` and review the
diff). The property tests check that a page wrapped in Markdown (list markers, emphasis, links around its
lines) gives the same records as the plain page.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import check_golden
from hypothesis import assume, given
from hypothesis import strategies as st
from test_properties import FRAGMENTS as LIVE_FEED_FRAGMENTS
from test_shapes import page_json
from test_shapes_properties import SHAPE_FRAGMENTS

from core.model import ROLES
from core.parsing import SHAPES, ParseResult, detect_shape, parse_page, split_lines
from core.parsing import common as c
from core.parsing.markdown import is_markdown_copy, may_have_markup, read_markdown, strip_line
from core.reading.files import PAGE_SUFFIXES, expand_inputs, read_page
from core.reading.uploads import safe_name

TESTS = Path(__file__).resolve().parent
PAGES3 = TESTS / "fixtures" / "pages3"
GOLDEN3 = TESTS / "fixtures" / "golden3"
INPUTS3 = sorted(p for p in PAGES3.iterdir() if p.name != "expectations.py" and p.is_file())


def load_oracle() -> ModuleType:
    spec = importlib.util.spec_from_file_location("expectations_pages3", PAGES3 / "expectations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ORACLE = load_oracle()
EXPECTED: dict[str, dict[str, Any]] = ORACLE.EXPECTED
_cache: dict[str, ParseResult] = {}


def parsed(name: str) -> ParseResult:
    if name not in _cache:
        _cache[name] = parse_page(read_page(PAGES3 / name).text, name)
    return _cache[name]


# -- the oracle -----------------------------------------------------------------------------------------


def test_oracle_covers_every_page() -> None:
    assert {p.name for p in INPUTS3} == set(EXPECTED)
    assert {f["shape"] for f in EXPECTED.values()} >= {"business-digest", "ranking", "syndicated", "live-feed"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shape_reason_and_counts(name: str) -> None:
    result, facts = parsed(name), EXPECTED[name]
    report = result.report
    assert report.shape == facts["shape"] and report.shape in SHAPES
    for words in facts["reason_contains"]:
        assert words in report.shape_reason, report.shape_reason
    assert len(result.articles) == report.stories == facts["stories"]
    assert len(result.listings) == report.entries == facts["entries"]
    assert len(report.unknown) == report.roles["unknown"] == facts["unknown"]
    for role, count in facts["roles"].items():
        assert role in ROLES
        assert report.roles[role] == count, role


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_line_has_one_role(name: str) -> None:
    report = parsed(name).report
    text = read_page(PAGES3 / name).text
    assert report.balanced and set(report.roles) <= set(ROLES)
    assert report.nonblank == sum(1 for line in text.splitlines() if line.strip())


def story_cases() -> list[Any]:
    return [
        pytest.param(name, index, key, id=f"{name}-{index}-{key}")
        for name, facts in sorted(EXPECTED.items())
        for index, detail in enumerate(facts.get("stories_detail", []))
        for key in detail
    ]


@pytest.mark.parametrize(("name", "index", "key"), story_cases())
def test_story(name: str, index: int, key: str) -> None:
    articles = parsed(name).articles
    assert len(articles) == len(EXPECTED[name]["stories_detail"])
    record = articles[index].to_json_dict()
    expected = EXPECTED[name]["stories_detail"][index][key]
    if key == "body_must_not_contain":
        fields = [record["body"], record["headline"], record["byline"], *record["authors"], *record["related"],
                  *record["contacts"], record["photo_caption"] or "", record["photo_credit"] or ""]
        assert not [(frag, f) for frag in expected for f in fields if frag in f]
    else:
        assert record[key] == expected


@pytest.mark.parametrize("name", sorted(n for n, f in EXPECTED.items() if "entries_detail" in f))
def test_entries(name: str) -> None:
    entries = parsed(name).listings
    expected = EXPECTED[name]["entries_detail"]
    lines = split_lines(read_page(PAGES3 / name).text)
    assert len(entries) == len(expected)
    for entry, (headline, published_at, group, summary_start) in zip(entries, expected, strict=True):
        record = entry.to_json_dict()
        assert (record["headline"], record["published_at"], record["group"]) == (headline, published_at, group)
        assert entry.summary.startswith(summary_start) and bool(entry.summary) == bool(summary_start)
        assert c.digest_group(lines[entry.line - 1]) is None
        assert headline in lines[entry.line - 1].replace("**", ""), "an entry's line is its headline's"
    for index, paragraphs in EXPECTED[name].get("summary_paragraphs", {}).items():
        assert len(entries[index].summary.split("\n\n")) == paragraphs


def test_digest_and_ranking_stories_are_their_own_first_entry() -> None:
    for name in ("business_digest.txt", "ranking.txt"):
        (article,) = parsed(name).articles
        own = parsed(name).listings[0]
        assert (own.headline, own.article_id, own.published_at) == (
            article.headline,
            article.article_id,
            article.published_at,
        )
        assert all(entry.article_id is None for entry in parsed(name).listings[1:])


def test_markdown_headline_list_is_the_plain_one() -> None:
    assert [text for _, text in parsed("live_feed.md").headlines] == EXPECTED["live_feed.md"]["headlines"]


def test_markdown_unknown_lines_keep_the_file_text() -> None:
    result = parse_page("- LATEST\n\n**Shopping list**\n\n- eggs and [milk](https://example.com)\n", "notes.md")
    assert result.report.shape == "unrecognised"
    assert [text for _, text in result.report.unknown] == [
        "**Shopping list**",
        "- eggs and [milk](https://example.com)",
    ]


# -- golden files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", INPUTS3, ids=[p.name for p in INPUTS3])
def test_golden3(path: Path, update_golden: bool) -> None:
    check_golden(GOLDEN3 / f"{path.name}.json", page_json(path), path, update_golden)


def test_every_golden3_file_has_its_page() -> None:
    assert {g.name for g in GOLDEN3.glob("*.json")} == {f"{p.name}.json" for p in INPUTS3}


# -- detection and the variants, one line at a time -------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "shape", "reason"),
    [
        (["China Business Digest: Rates Hold", "Lede here.", "— By Ma Li (mali@caixin.com)"], "business-digest",
         "digest headline at line 1 and signature at line 3"),
        (["Some Headline Here", "Lede.", "— By Ma Li (mali@caixin.com)", "** ECONOMY"], "business-digest",
         "signature '— By <name> (<e-mail>)' at line 3"),
        (["Sep 15, 2021 08:00 PM", "Top 10 Stories of the Week", "1. One Headline Here", "Text.",
          "2. Two Headline Here"], "ranking", "2 numbered items"),
        # An article whose body holds a numbered list but no word naming a ranking stays an article.
        (["Sep 15, 2021 08:00 PM", "Five Lessons From the Crash", "1. Sell Early", "2. Buy Late"], "article", ""),
        (["Notes", "Source: Caixin Global"], "syndicated", "credit naming Caixin at line 2"),
        (["Read all of Caixin's coverage of Huawei here.", "Text"], "unrecognised", "no byline"),
    ],
)
def test_detect_new_shapes(lines: list[str], shape: str, reason: str) -> None:
    detected, why = detect_shape(lines)
    assert (detected, reason in why) == (shape, True), why


@pytest.mark.parametrize(
    ("byline", "authors"),
    [
        ("Bu Hu Shuli / Jan 19, 2020 07:10 PM / World", ["Hu Shuli"]),
        ("BY Hu Shuli / Jan 19, 2020 07:10 PM / World", ["Hu Shuli"]),
        ("By: Hu Shuli / Jan 19, 2020 07:10 PM / World", ["Hu Shuli"]),
        ("by : Hu Shuli and Ding Yi / Jan 19, 2020 07:10 PM / World", ["Hu Shuli", "Ding Yi"]),
        ("Bu Xiaolin / Jan 19, 2020 07:10 PM / World", ["Bu Xiaolin"]),
        ("Bu Xiaolin and Ding Yi / Jan 19, 2020 07:10 PM / World", ["Bu Xiaolin", "Ding Yi"]),
    ],
)
def test_byline_variants(byline: str, authors: list[str]) -> None:
    (article,) = parse_page(f"{byline}\n\nThe body.\n").articles
    assert list(article.authors) == authors


@pytest.mark.parametrize(
    ("line", "contacts"),
    [
        ("Contact: Mo Yelin (", ["Mo Yelin"]),
        ("Contact editor: Michael Bellart (", ["Michael Bellart"]),
        ("Contact:Mo Yelin (mo@caixin.com)", ["Mo Yelin"]),
        ("Contact reporter Dave Yin (", ["Dave Yin"]),
    ],
)
def test_contact_variants(line: str, contacts: list[str]) -> None:
    result = parse_page(f"By Dave Yin / Nov 07, 2019 05:09 PM / World\n\nThe body.\n\n{line}\n")
    (article,) = result.articles
    assert (list(article.contacts), result.report.roles["contact"], article.body) == (contacts, 1, "The body.")


def test_listing_title_line_is_no_entry_but_a_lone_headline_is() -> None:
    entries = parsed("listing_topic_title.txt").listings
    assert "Trade War" not in [e.headline for e in entries]
    # A headline above the page title that is not the title's topic stays an (undated) entry, as before.
    page = (
        "Trade Talks Resume in Beijing\n\nChina Trade War News - Caixin Global\n\n"
        "Tariffs Bite as Talks Stall\nJul 11, 2019 19:40 PM\n\nU.S. Delays Tariffs\nJul 12, 2019 19:40 PM\n"
    )
    headlines = [(e.headline, e.published_at is None) for e in parse_page(page).listings]
    assert headlines[0] == ("Trade Talks Resume in Beijing", True) and len(headlines) == 3


# -- Markdown stripping, line by line ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "plain"),
    [
        ("- LATEST", "LATEST"),
        ("* Huawei Bets on Chips", "Huawei Bets on Chips"),
        ("+ Huawei Bets on Chips", "Huawei Bets on Chips"),
        ("## ECONOMY", "ECONOMY"),
        ("**ECONOMY**", "ECONOMY"),
        ("__ECONOMY__", "ECONOMY"),
        ("_The surplus widened._", "The surplus widened."),
        ("- By Huang Kaixi / Sep 18, 2019 04:41 PM / World", "By Huang Kaixi / Sep 18, 2019 04:41 PM / World"),
        ("Related: [TSMC Denies Pressure](https://x.test/a_(b).html)", "Related: TSMC Denies Pressure"),
        ("![Photo: VCG](https://img.test/x.jpg)", "Photo: VCG"),
        ("[![Photo: VCG](https://img.test/x.jpg)](https://x.test/)", "Photo: VCG"),
        ("> “We will not depend on anyone,” he said.", "“We will not depend on anyone,” he said."),
        ("1\\. Evergrande Misses", "1. Evergrande Misses"),
        ("snake_case and a_b stay", "snake_case and a_b stay"),
        ("\\*not emphasis\\*", "*not emphasis*"),
        # kept: a digest's marker as the page prints it, a gallery's bullet date, a business digest marker
        ("# Finance #", "# Finance #"),
        ("- Jul 11, 2019 07:40 PM", "- Jul 11, 2019 07:40 PM"),
        ("** TOP STORIES OF THE DAY", "** TOP STORIES OF THE DAY"),
        # markup alone
        ("![]() |", ""),
        ("![](https://img.test/x.jpg)", ""),
        ("---", ""),
        ("* * *", ""),
        ("-", ""),
    ],
)
def test_strip_line(line: str, plain: str) -> None:
    assert strip_line(line) == plain


def test_plain_pages_skip_the_markdown_pass() -> None:
    sample = (TESTS.parent / "data" / "pages" / "000_6a6401b8027f1b55.txt").read_text(encoding="utf-8")
    assert not may_have_markup(sample)
    assert read_markdown(sample, [ln.strip() for ln in split_lines(sample)]) is None
    # Link syntax inside a plain line is text the page carries (the page is no Markdown copy).
    text = "By A B / Sep 18, 2019 04:41 PM / World\n\nHe said [x](javascript:alert(1)) twice.\n"
    assert may_have_markup("x\n- y") and not is_markdown_copy(split_lines(text))
    assert parse_page(text).articles[0].body == "He said [x](javascript:alert(1)) twice."


def test_md_name_reads_as_markdown_whatever_its_text() -> None:
    text = "By A B / Sep 18, 2019 04:41 PM / World\n\nHe said [x](https://x.test) twice.\n"
    assert parse_page(text, "copy.md").articles[0].body == "He said x twice."
    assert parse_page(text, "copy.MARKDOWN").articles[0].body == "He said x twice."


# -- suffixes: .md and .markdown are read like .txt everywhere --------------------------------------------


def test_md_and_markdown_files_are_page_files(tmp_path: Path) -> None:
    assert {".md", ".markdown", ".txt"} <= PAGE_SUFFIXES
    for name in ("a.md", "b.markdown", "c.MD", "d.txt", "e.png"):
        (tmp_path / name).write_text("By A B / Sep 18, 2019 04:41 PM / World\n\nBody.\n", encoding="utf-8")
    files, errors = expand_inputs([tmp_path])
    assert sorted(p.name for p in files) == ["a.md", "b.markdown", "c.MD", "d.txt"] and errors == []
    assert safe_name("copy.markdown") == "copy.markdown" and safe_name("copy.md") == "copy.md"


# -- property: Markdown-wrapping a page gives the records of the plain page ------------------------------

#: Characters Markdown markup is made of: plain generated text holds none of them, so the plain page is
#: no Markdown copy and every difference comes from the wrapping. (A byte-order mark is left out too: it
#: is dropped only at the very start of a page, where a list marker would no longer let it be.)
_MARKUP_CHARS = "*_[]\\#>+-=!|<`~\ufeff"
PLAIN_FRAGMENTS = [
    f for f in LIVE_FEED_FRAGMENTS + SHAPE_FRAGMENTS
    if not any(ch in f for ch in "*_[]\\#<|`\ufeff") and f.lstrip()[:1] not in ("-", "+", ">", "!", "=", "•")
]
_plain_text = st.text(
    alphabet=st.characters(blacklist_characters=_MARKUP_CHARS, blacklist_categories=("Cs",)), max_size=40
)
plain_fragment = st.one_of(
    st.sampled_from(PLAIN_FRAGMENTS),
    _plain_text,
    st.builds(lambda a, b: a + b, st.sampled_from(PLAIN_FRAGMENTS), _plain_text.map(lambda t: t[:8])),
    st.builds(lambda a, n: a[:n], st.sampled_from(PLAIN_FRAGMENTS), st.integers(0, 80)),
)
_WRAPS = ["none", "- ", "* ", "+ ", "**", "*", "_", "__", "link", "- **", "* link"]
_SEPARATORS = ["\n", "\n\n", "\n\n\n", "\r\n", "  \n", "\n \n"]


def _wrap(core: str, how: str) -> str:
    if how == "none":
        return core
    if how == "link":
        return f"[{core}](https://example.test/a_(b))"
    if how in ("- ", "* ", "+ "):
        if c.parse_date_line(core) is not None:
            return core  # a list marker before a date is a gallery's bullet date (FORMAT.md section 2)
        return how + core
    if how == "- **":
        return _wrap(_wrap(core, "**"), "- ")
    if how == "* link":
        return _wrap(_wrap(core, "link"), "* ")
    return how + core + how


@st.composite
def plain_and_wrapped(draw: st.DrawFn) -> tuple[str, str]:
    """A plain page of fragments and the same page with Markdown wrapped around some of its lines."""
    parts = draw(st.lists(plain_fragment, max_size=30))
    plain_lines: list[str] = []
    wrapped_lines: list[str] = []
    for part in parts:
        sep = draw(st.sampled_from(_SEPARATORS))
        for line in re.split(r"\r\n|\r|\n", part):
            core = line.strip()
            lead, trail = line[: len(line) - len(line.lstrip())], line[len(line.rstrip()) :]
            how = draw(st.sampled_from(_WRAPS)) if core else "none"
            plain_lines.append(line + sep)
            wrapped_lines.append(lead + _wrap(core, how) + trail + sep)
    return "".join(plain_lines), "".join(wrapped_lines)


def records(result: ParseResult) -> dict[str, Any]:
    """What a page gave, its warnings without the file name."""
    report = result.report
    return {
        "articles": [a.to_json_dict() for a in result.articles],
        "listings": [e.to_json_dict() for e in result.listings],
        "headlines": list(result.headlines),
        "shape": report.shape,
        "roles": {role: report.roles[role] for role in ROLES},
        "unknown_lines": [number for number, _ in report.unknown],
        "warnings": [w.removeprefix(report.source) for w in report.warnings],
    }


@given(plain_and_wrapped())
def test_markdown_wrapping_gives_the_plain_records(pages: tuple[str, str]) -> None:
    plain, wrapped = pages
    assume(read_markdown(plain, [ln.strip() for ln in split_lines(plain)]) is None)
    plain_result, wrapped_result = parse_page(plain, "page.txt"), parse_page(wrapped, "page.txt")
    assert wrapped_result.report.balanced
    assert records(wrapped_result) == records(plain_result)
    # the same page named .md reads alike
    assert records(parse_page(wrapped, "page.md")) == records(parse_page(plain, "page.md"))
