"""Property tests over every page shape: ``parse_page`` never raises, on copied text or HTML-ish text, and
every non-blank line of the text it read has exactly one role.

Pages are built from fragments of all shapes (live-feed bylines, article date lines, listing dates in every
form, digest titles and markers, signatures, image artifacts, tags) mixed with arbitrary text. Example
counts come from the Hypothesis profile of ``conftest.py``.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from test_properties import FRAGMENTS as LIVE_FEED_FRAGMENTS
from test_properties import fragments_of, pages_of

from core.model import ROLES
from core.parsing import SHAPES, ParseResult, html_to_text, looks_like_html, parse_page, split_lines

SHAPE_FRAGMENTS = [
    "Aug 10, 2018 03:05 PM",
    "Aug 10, 2018 03:05 PM / Economy",
    "01 11, 2021 15:11 PM",
    "12 10, 2020 04:25 AM",
    "Jul 11, 2019 19:40 PM",
    "• Jul 11, 2019 07:40 PM",
    "- 01 11, 2021 15:11 PM",
    "13 10, 2020 04:25 AM",
    "Feb 30, 2020 01:00 PM",
    "Jan 16, 2021",
    "Saturday, Feb. 15, 9:00 p.m.",
    "Huawei Bets on In-House Chips as Smartphone Sales Surge",
    "The company plans to double the output of its unit within two years, executives said.",
    "By Li Xiang and Mo Yelin",
    "By Timmy Shen / Feb 15, 2020 09:48 PM",
    "China Belt & Road News - Caixin Global",
    "Home > Belt & Road",
    "BELT & ROAD",
    "Load More",
    "1 2 3 Next >",
    "The Best Reads of the Week From Caixin",
    "Weekly Must-Read: Ant’s Overhaul",
    "CX Daily: Evergrande’s Debt Woes Deepen",
    "# Finance #",
    "## Tech",
    "Finance /",
    "Topic / Economy",
    "![]() |",
    "![](https://img.caixin.com/a.jpg) |",
    "Ant Group’s headquarters in Hangzhou. Photo: VCG |",
    "1. Ant Group Reshuffle Puts Regulators First",
    "**China’s Exports Hit Record High**",
    "[Evergrande Warns of Default](https://www.caixinglobal.com/x.html)",
    "Doug Young",
    "Managing Editor",
    "Doug Young, Managing Editor",
    "— Doug Young",
    "Unsubscribe",
    "<p>",
    "</p>",
    "<!DOCTYPE html>",
    "<html><body>",
    "<div class='x'>text</div>",
    "<script>var a = '<p>';</script>",
    "&amp; &nbsp; &#8217; &bogus;",
    "<br>",
    "</html>",
]
FRAGMENTS = LIVE_FEED_FRAGMENTS + SHAPE_FRAGMENTS

fragment = fragments_of(FRAGMENTS)


def pages() -> st.SearchStrategy[str]:
    """Pages of every shape's fragments; a separator may be empty (two fragments on one line)."""
    return pages_of(fragment, ["\n", "\n\n", "\n\n\n", "\r\n", "\r", "  \n", "\n \n", ""], may_strip_end=False)


@st.composite
def html_pages(draw: st.DrawFn) -> str:
    """HTML-ish text: a doctype or not, blocks holding fragments, stray and unclosed tags."""
    tags = st.sampled_from(["p", "div", "li", "h1", "span", "b", "td", "header", "nav", "article", "script"])
    blocks = draw(
        st.lists(
            st.builds(
                lambda tag, body, close: f"<{tag}>{body}" + (f"</{tag}>" if close else ""),
                tags,
                fragment,
                st.booleans(),
            ),
            max_size=30,
        )
    )
    head = draw(st.sampled_from(["<!DOCTYPE html><html><body>", "<html>", "", "<?xml version='1.0'?><html>"]))
    return head + draw(st.sampled_from(["\n", "", " "])).join(blocks)


def check(text: str, result: ParseResult) -> None:
    report = result.report
    assert report.shape in SHAPES
    assert report.balanced
    assert set(report.roles) <= set(ROLES)
    assert all(count >= 0 for count in report.roles.values())
    assert report.roles["unknown"] == len(report.unknown)
    assert len(result.articles) == report.stories
    assert len(result.listings) == report.entries
    read = html_to_text(text) if looks_like_html(text) else text
    lines = split_lines(read)
    assert report.lines == len(lines)
    assert report.nonblank == sum(1 for line in lines if line.strip())
    for number, line in report.unknown:
        assert lines[number - 1].strip() == line
    if report.shape == "unrecognised":
        assert result.articles == () and result.listings == () and result.headlines == ()
    if report.shape in {"listing", "digest"}:
        assert result.articles == ()
    if report.shape == "article":
        assert len(result.articles) <= 1 and all(not a.headline_inferred for a in result.articles)
    for entry in result.listings:
        assert entry.headline and entry.headline == entry.headline.strip()
        assert 1 <= entry.line <= len(lines)
        # as the line is, or, in a Markdown copy, with links made their text and images their alt text (maybe empty)
        line = lines[entry.line - 1]
        assert entry.headline in line or entry.headline in re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", line)
        stamp = entry.to_json_dict()["published_at"]
        assert stamp is None or stamp.endswith("+08:00")


@given(pages())
def test_any_page_of_fragments(text: str) -> None:
    check(text, parse_page(text, "fuzz.txt"))


@given(st.text())
def test_any_text(text: str) -> None:
    check(text, parse_page(text))


@given(html_pages())
def test_html_ish_text(text: str) -> None:
    check(text, parse_page(text, "fuzz.html"))
