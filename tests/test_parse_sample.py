"""The issue's acceptance facts on the shipped sample page, each counted by hand from the page text.

Line numbers below are those of ``data/pages/000_6a6401b8027f1b55.txt`` as an editor shows them.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from core.model import BEIJING, Article
from core.parsing import ParseResult

TRAILER_STARTS = ("Contact reporter", "Contact writer", "Related:", "Read the full", "Photo:", "Read all of",
                  "View Caixin", "Share this article", "Open WeChat")

# (byline line, published_at) of every story block on the page, counted by hand, newest first.
BYLINE_LINES = [
    (9, "2019-11-07T17:09"), (34, "2019-10-25T16:07"), (55, "2019-10-25T13:45"), (78, "2019-10-25T11:11"),
    (101, "2019-09-25T15:34"), (124, "2019-09-23T16:37"), (146, "2019-09-18T16:41"), (167, "2019-09-16T11:13"),
    (186, "2019-09-11T09:28"), (208, "2019-09-10T04:55"), (227, "2019-09-06T17:09"), (246, "2019-08-16T15:07"),
    (267, "2019-07-31T10:23"), (282, "2019-07-04T18:15"), (299, "2019-06-17T19:42"), (308, "2019-06-10T12:25"),
    (325, "2019-06-06T16:03"), (346, "2019-06-04T18:31"), (367, "2019-06-03T17:53"), (384, "2019-06-03T13:10"),
]


def by_line(result: ParseResult, line: int) -> Article:
    """The story whose byline is on ``line``."""
    matches = [a for a in result.articles if a.sources[0].first_line == line]
    assert len(matches) == 1, f"expected one story with its byline on line {line}, got {len(matches)}"
    return matches[0]


def test_twenty_stories(sample_result: ParseResult) -> None:
    assert len(sample_result.articles) == 20
    assert sample_result.report.stories == 20
    assert sample_result.report.roles["byline"] == 20


@pytest.mark.parametrize(("line", "stamp"), BYLINE_LINES)
def test_every_story_starts_at_its_byline_line(sample_result: ParseResult, line: int, stamp: str) -> None:
    article = by_line(sample_result, line)
    assert article.published_at == datetime.fromisoformat(stamp).replace(tzinfo=BEIJING)
    assert article.sources[0].file == "000_6a6401b8027f1b55.txt"
    assert article.sources[0].first_line == line


def test_sources_point_at_byline_lines_in_page_order(sample_result: ParseResult, sample_text: str) -> None:
    lines = sample_text.splitlines()
    firsts = [a.sources[0].first_line for a in sample_result.articles]
    assert firsts == [line for line, _ in BYLINE_LINES]
    for article in sample_result.articles:
        span = article.sources[0]
        assert ", 2019 " in lines[span.first_line - 1] and " / World" in lines[span.first_line - 1]
        assert span.last_line >= span.first_line
        assert lines[span.last_line - 1].strip(), "a story never ends on a blank line"


@pytest.mark.parametrize(("first", "last"), [(9, 31), (55, 75), (186, 206), (208, 224), (299, 305), (384, 404)])
def test_story_spans_cover_the_whole_block(sample_result: ParseResult, first: int, last: int) -> None:
    span = by_line(sample_result, first).sources[0]
    assert (span.first_line, span.last_line) == (first, last)


def test_three_bloomberg_stories_have_no_authors(sample_result: ParseResult) -> None:
    wire = [a for a in sample_result.articles if a.agency is not None]
    assert [a.sources[0].first_line for a in wire] == [78, 186, 308]
    for article in wire:
        assert article.agency == "Bloomberg"
        assert article.authors == ()
        assert article.byline == "Bloomberg"


def test_exactly_one_unsigned_story(sample_result: ParseResult) -> None:
    unsigned = [a for a in sample_result.articles if a.byline == "" and a.agency is None]
    assert len(unsigned) == 1
    story = unsigned[0]
    assert story.authors == ()
    assert story.published_at == datetime(2019, 6, 17, 19, 42, tzinfo=BEIJING)
    assert story.published_at.isoformat() == "2019-06-17T19:42:00+08:00"
    assert story.section == "World"
    assert story.sources[0].first_line == 299
    assert story.paragraphs == 3
    assert story.body.startswith("President Xi Jinping, who is also the general secretary")
    assert story.body.endswith("according to earlier Xinhua reports (link in Chinese).")


@pytest.mark.parametrize(
    ("line", "authors"),
    [
        (146, ("Huang Kaixi", "Zhou Meilin", "Tang Ziyi")),
        (55, ("Qing Ying", "Ren Qiuyu")),
        (346, ("Zhao Runhua", "Teng Jing Xuan")),
        (282, ("Tianyu M. Fang",)),
        (9, ("Dave Yin",)),
        (367, ("Zhao Runhua",)),
    ],
)
def test_byline_authors(sample_result: ParseResult, line: int, authors: tuple[str, ...]) -> None:
    article = by_line(sample_result, line)
    assert article.authors == authors
    assert article.agency is None


def test_all_authors_on_the_page(sample_result: ParseResult) -> None:
    names = {a for article in sample_result.articles for a in article.authors}
    assert names == {
        "Dave Yin", "Matthew Walsh", "Qing Ying", "Ren Qiuyu", "Timmy Shen", "Huang Kaixi", "Zhou Meilin",
        "Tang Ziyi", "Lu Zhenhua", "Han Wei", "Guo Yingzhe", "Tanner Brown", "Tianyu M. Fang", "Yang Ge",
        "Zhao Runhua", "Teng Jing Xuan",
    }
    assert "Bloomberg" not in names


def test_five_teasers(sample_result: ParseResult) -> None:
    teasers = [a.sources[0].first_line for a in sample_result.articles if a.teaser]
    # Teaser notes on lines 73, 119, 160 ("later on"), 179 ("full piece"), 260.
    assert teasers == [55, 101, 146, 167, 246]
    assert sample_result.report.roles["teaser_note"] == 5


def test_nothing_truncated(sample_result: ParseResult) -> None:
    # The last story ends with a Related: line, so the page is not cut inside it.
    assert not any(a.truncated for a in sample_result.articles)


def test_no_unknown_lines(sample_result: ParseResult) -> None:
    assert sample_result.report.roles["unknown"] == 0
    assert sample_result.report.unknown == []
    assert sample_result.report.warnings == []


def test_report_roles_sum_to_non_blank_lines(sample_result: ParseResult, sample_text: str) -> None:
    lines = sample_text.splitlines()
    nonblank = sum(1 for line in lines if line.strip())
    report = sample_result.report
    assert report.lines == len(lines) == 409
    assert nonblank == 195
    assert report.nonblank == nonblank
    assert sum(report.roles.values()) == nonblank
    assert report.balanced


def test_role_counts_by_hand(sample_result: ParseResult) -> None:
    # Counted on the page: furniture lines 1, 3, 6, 408, 409; every story but the unsigned one has a
    # photo pair; 101 body paragraphs; 11 contact, 13 Related:, 2 coverage lines.
    expected = {
        "furniture": 5, "headline_list": 0, "byline": 20, "photo": 19, "caption": 19, "body": 101,
        "teaser_note": 5, "contact": 11, "related": 13, "coverage_link": 2, "unknown": 0,
    }
    assert {role: sample_result.report.roles.get(role, 0) for role in expected} == expected


@pytest.mark.parametrize(
    ("line", "paragraphs"),
    [(9, 7), (34, 5), (55, 6), (78, 7), (101, 6), (124, 6), (146, 4), (167, 3), (186, 7), (208, 6),
     (227, 5), (246, 4), (267, 3), (282, 4), (299, 3), (308, 4), (325, 5), (346, 5), (367, 4), (384, 7)],
)
def test_paragraph_counts(sample_result: ParseResult, line: int, paragraphs: int) -> None:
    article = by_line(sample_result, line)
    assert article.paragraphs == paragraphs
    assert len(article.body.split("\n\n")) == paragraphs


def test_paragraphs_joined_by_a_blank_line(sample_result: ParseResult) -> None:
    article = by_line(sample_result, 167)
    assert article.body.split("\n\n")[1].startswith("But he’s wrong. In Beijing’s eyes")
    assert "\n\n\n" not in article.body
    for story in sample_result.articles:
        assert all(part == part.strip() and part for part in story.body.split("\n\n"))
        assert story.word_count == len(story.body.split())


def test_initial_in_a_name_kept_whole(sample_result: ParseResult) -> None:
    article = by_line(sample_result, 282)
    assert article.byline == "Tianyu M. Fang"
    assert article.authors == ("Tianyu M. Fang",)


@pytest.mark.parametrize(
    ("line", "caption", "credit"),
    [
        (308, "Russell Vought.", "Andrew Harrer/Bloomberg"),
        (208, "Kristalina Georgieva.", "VCG"),
        (267, "Monaco Monte Carlo harbour french riviera", None),
        (101, None, "Wei Yiyang/Caixin"),
        (9, None, "VCG"),
        (367, "People wait in line to apply for visas outside the U.S. embassy in Beijing on June 26, 2012.", "VCG"),
        (299, None, None),
    ],
)
def test_photo_caption_and_credit(
    sample_result: ParseResult, line: int, caption: str | None, credit: str | None
) -> None:
    article = by_line(sample_result, line)
    assert article.photo_caption == caption
    assert article.photo_credit == credit


def test_caption_pair_without_photo_token_is_not_body(sample_result: ParseResult) -> None:
    article = by_line(sample_result, 267)
    assert "Monaco" not in article.body
    assert article.body.startswith("One of Morocco’s largest banks")
    assert article.paragraphs == 3


@pytest.mark.parametrize(
    ("line", "contacts"),
    [
        (9, ("Dave Yin",)),
        (55, ("Ren Qiuyu",)),
        (101, ("Timmy Shen",)),  # "Contact reporter Timmy Shen (, Twitter: @timmyhmshen)"
        (146, ("Tang Ziyi",)),
        (167, ("Lu Zhenhua",)),  # "Contact writer"
        (246, ("Guo Yingzhe",)),  # "Contact reporter Guo Yingzhe ( " with a trailing space
        (325, ("Yang Ge",)),  # after its Related: line
        (78, ()),
        (208, ()),
        (299, ()),
    ],
)
def test_contacts(sample_result: ParseResult, line: int, contacts: tuple[str, ...]) -> None:
    article = by_line(sample_result, line)
    assert article.contacts == contacts
    assert all("@" not in c and "(" not in c and "Twitter" not in c for c in article.contacts)


def test_related_headlines_in_page_order(sample_result: ParseResult) -> None:
    related = [r for a in sample_result.articles for r in a.related]
    assert related == [
        "TSMC Denies U.S. Pressure to Cut Huawei Chip Sales",
        "In Depth: What China’s Naturalized Athletes Reveal About Its Immigration Policy",
        "After Coming Under Fire in U.S., TikTok Hires Local Law Firm for Policy Advice",
        "China’s Huawei Woos Tech World With $1.5 Billion and 5G Secrets",
        "PetroChina Pulls Back from Venezuela Oil as U.S. Sanctions Tighten",
        "Investors Take Heart From Trump Comment on Possible Trade Deal",
        "Charts of the Day: China No Longer No. 1 for U.S. as Trade Row Bites",
        "Chinese Consortium Signs Up for $6 Billion Algeria Phosphate Project",
        "Xi and Trump Agree to Restart Trade Talks While U.S. Halts Additional Tariffs",
        "The Three Most Overrated China Travel Experiences",
        "China Issues Warning Over U.S. Student Visa ‘Risks’",
        "In Depth: Chinese Students in Limbo as Wait for U.S. Visas Stretches for Months",
        "U.K.’s 5G Launch Gives Huawei Spot of Good News After Recent Setbacks",
    ]
    assert by_line(sample_result, 325).related == ("The Three Most Overrated China Travel Experiences",)


@pytest.mark.parametrize(
    ("line", "links"),
    [
        (186, ("Read all of Caixin's coverage of Huawei here.",)),
        (308, ("View Caixin Global's full coverage of Huawei",)),
        (9, ()),
    ],
)
def test_coverage_links(sample_result: ParseResult, line: int, links: tuple[str, ...]) -> None:
    assert by_line(sample_result, line).coverage_links == links


@pytest.mark.parametrize("line", [line for line, _ in BYLINE_LINES])
def test_bodies_never_hold_trailer_or_photo_lines(sample_result: ParseResult, line: int) -> None:
    article = by_line(sample_result, line)
    assert article.body
    for paragraph in article.body.split("\n\n"):
        assert not paragraph.startswith(TRAILER_STARTS), paragraph
    for marker in ("Contact reporter", "Contact writer", "Related:", "Read the full", "Photo:", "coverage of Huawei",
                   " / World", "Share this article"):
        assert marker not in article.body


def test_wire_dateline_kept_in_body(sample_result: ParseResult) -> None:
    # "Never lose text": the "(Bloomberg) —" dateline stays in the body, only the headline drops it.
    article = by_line(sample_result, 78)
    assert article.body.startswith("(Bloomberg) — The Chinese-owned video application TikTok")
    assert not article.headline.startswith("(Bloomberg)")
    assert article.headline.startswith("The Chinese-owned video application TikTok")


def test_headlines_are_inferred_and_short(sample_result: ParseResult) -> None:
    for article in sample_result.articles:
        assert article.headline_inferred is True
        words = article.headline.rstrip("…").split()
        assert 3 <= len(words) <= 12, article.headline
        assert len(article.headline.split()) <= 13
        # The headline is the opening of the lead (after any wire dateline), cut at a word boundary.
        lead = article.body.split("\n\n")[0].removeprefix("(Bloomberg) — ").lstrip("“")
        # a word cut short ("Co." -> "Co") still starts the lead's same word
        assert lead.startswith(article.headline.rstrip("…")), (article.headline, lead[:100])


@pytest.mark.parametrize(
    ("line", "headline"),
    [
        # Short first sentences are taken whole, without the final period.
        (325, "The budding romance between China and Russia is reaching new heights"),
        (367, "China is urging citizens to be wary of heightened “risks” when studying…"),
    ],
)
def test_headline_examples(sample_result: ParseResult, line: int, headline: str) -> None:
    assert by_line(sample_result, line).headline == headline


def test_sections_canonical(sample_result: ParseResult) -> None:
    assert {a.section for a in sample_result.articles} == {"World"}


def test_no_headline_list_on_this_page(sample_result: ParseResult) -> None:
    assert sample_result.headlines == ()


def test_every_record_field_filled_where_the_page_has_it(sample_result: ParseResult) -> None:
    """Pick one story that has every part (Related:, contact, teaser, photo, several authors) and check all
    fields of the record model are set from it; a new field added to ``Article`` must be added here."""
    article = by_line(sample_result, 146)
    expected = {
        "published_at": datetime(2019, 9, 18, 16, 41, tzinfo=BEIJING),
        "section": "World",
        "byline": "Huang Kaixi, Zhou Meilin and Tang Ziyi",
        "authors": ("Huang Kaixi", "Zhou Meilin", "Tang Ziyi"),
        "agency": None,
        "headline_inferred": True,
        "photo_credit": "VCG",
        "photo_caption": None,
        "paragraphs": 4,
        "teaser": True,
        "truncated": False,
        "contacts": ("Tang Ziyi",),
        "related": ("PetroChina Pulls Back from Venezuela Oil as U.S. Sanctions Tighten",),
        "coverage_links": (),
        "headline_match": None,  # set only by the headline catalog (core.storing.catalog)
    }
    names = {f.name for f in dataclasses.fields(Article)}
    checked_elsewhere = {"article_id", "headline", "body", "word_count", "sources"}
    assert names == set(expected) | checked_elsewhere, "a new Article field needs a check here"
    for name, value in expected.items():
        assert getattr(article, name) == value, name
    assert article.body.startswith("China’s large refiners are facing uncertainties after a drone attack")
    assert article.body.endswith("may face challenges in finding suitable kinds of crude to make up the shortage.")
    assert article.headline.startswith("China’s large refiners are facing uncertainties")
    assert len(article.article_id) == 16 and int(article.article_id, 16) >= 0
    assert article.word_count == len(article.body.split()) > 100
    assert [(s.first_line, s.last_line) for s in article.sources] == [(146, 164)]


def test_article_ids_unique(sample_result: ParseResult) -> None:
    ids = [a.article_id for a in sample_result.articles]
    assert len(set(ids)) == 20
