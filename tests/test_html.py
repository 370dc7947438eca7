"""Saved HTML: the text extracted from it, HTML detection by content, and text-versus-HTML agreement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.parsing import html_to_text, looks_like_html, parse_page
from core.reading.files import read_page

TESTS = Path(__file__).resolve().parent
PAGES2 = TESTS / "fixtures" / "pages2"
SAMPLE = TESTS.parent / "data" / "pages" / "000_6a6401b8027f1b55.txt"

HTML_COPIES = {
    "article.html": "article.txt",
    "listing_belt_and_road.html": "listing_belt_and_road.txt",
    "digest_best_reads.html": "digest_best_reads.txt",
}


def without_lines(record: dict[str, Any]) -> dict[str, Any]:
    """A record with the fields that name file and line left out (they differ between the two copies)."""
    return {k: v for k, v in record.items() if k not in {"sources", "source", "line"}}


@pytest.mark.parametrize(("html_name", "text_name"), sorted(HTML_COPIES.items()))
def test_html_and_text_copies_agree(html_name: str, text_name: str) -> None:
    html = parse_page(read_page(PAGES2 / html_name).text, html_name)
    text = parse_page(read_page(PAGES2 / text_name).text, text_name)
    assert html.report.shape == text.report.shape != "unrecognised"
    assert html.report.shape_reason.startswith(f"saved HTML, read as {text.report.shape} (")
    assert [without_lines(a.to_json_dict()) for a in html.articles] == [
        without_lines(a.to_json_dict()) for a in text.articles
    ]
    assert [without_lines(e.to_json_dict()) for e in html.listings] == [
        without_lines(e.to_json_dict()) for e in text.listings
    ]
    assert len(html.articles) + len(html.listings) > 0
    assert html.report.unknown == []


def test_every_html_fixture_has_a_text_copy() -> None:
    assert set(HTML_COPIES) == {p.name for p in PAGES2.glob("*.html")}


def test_sample_page_as_html_gives_the_same_stories() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    paragraphs = "\n".join(f"<p>{line}</p>" for line in text.splitlines() if line.strip())
    html = f"<!DOCTYPE html><html><head><title>World</title></head><body>{paragraphs}</body></html>"
    from_html = parse_page(html, "sample.html")
    from_text = parse_page(text, "sample.txt")
    assert from_html.report.shape == "live-feed"
    assert [without_lines(a.to_json_dict()) for a in from_html.articles] == [
        without_lines(a.to_json_dict()) for a in from_text.articles
    ]


def test_line_numbers_refer_to_the_extracted_text() -> None:
    page = read_page(PAGES2 / "listing_belt_and_road.html").text
    lines = html_to_text(page).splitlines()
    for entry in parse_page(page, "x.html").listings:
        assert lines[entry.line - 1] == entry.headline


def test_scripts_styles_navigation_chrome_and_forms_are_dropped() -> None:
    text = html_to_text(read_page(PAGES2 / "article.html").text)
    for gone in ("dataLayer", "font-family", "datePublished", "By Li Xiang / Aug", "Economy\n", "Search",
                 "enable JavaScript", "Most Read", "All rights reserved", "ABOUT US", "WeChat", "body starts here"):
        assert gone not in text, gone
    assert "Aug 10, 2018 03:05 PM" in text  # the article's own <header> stays


def test_navigation_scripts_and_forms_inside_the_content_are_dropped_too() -> None:
    html = (
        "<html><body><main><nav><a>Economy</a> <a>Finance</a></nav><script>track('x')</script>"
        "<style>p { color: red }</style><form><label>Email</label><button>Go</button></form>"
        "<p>Body.</p></main></body></html>"
    )
    assert html_to_text(html) == "Body.\n"


def test_entities_decoded_ascii_whitespace_collapsed_no_break_space_kept() -> None:
    html = (
        "<html><body><p>Xu&nbsp;Zhijun &mdash; &#8220;We cannot rely&#8221; on&#x20;AT&amp;T&#8217;s   chips"
        "\n   today</p><p>&lt;b&gt; is not a tag</p></body></html>"
    )
    assert html_to_text(html) == "Xu\u00a0Zhijun — “We cannot rely” on AT&T’s chips today\n\n<b> is not a tag\n"


def test_blocks_become_lines_separated_by_blank_lines() -> None:
    html = "<!doctype html><div>One <b>bold</b> line<br>after a break</div><ul><li>First</li><li>Second</li></ul>"
    assert html_to_text(html) == "One bold line\n\nafter a break\n\nFirst\n\nSecond\n"


def test_figure_images_give_their_alt_text_other_images_do_not() -> None:
    html = (
        '<html><body><a href="/x"><img alt="Thumbnail headline"></a><figure><img alt="Photo: VCG">'
        "<figcaption>Photo: VCG</figcaption></figure></body></html>"
    )
    assert html_to_text(html) == "Photo: VCG\n\nPhoto: VCG\n"


def test_article_header_kept_page_header_dropped() -> None:
    html = (
        "<html><body><header>Site Menu</header><main><article><header><h1>Real Headline</h1></header>"
        "<p>Body.</p></article></main><footer>Copyright</footer></body></html>"
    )
    assert html_to_text(html) == "Real Headline\n\nBody.\n"


@pytest.mark.parametrize(
    "text",
    [
        "<!DOCTYPE html><html><body>x</body></html>",
        "  \n<!doctype HTML>\n<p>x</p>",
        "<html lang=en><p>x",
        "<?xml version='1.0'?>\n<!-- saved -->\n<html><body></body></html>",
        "\n".join(f"<p>Paragraph {i}</p>" for i in range(10)),  # a fragment pasted into a .txt file
    ],
)
def test_html_is_detected_by_content(text: str) -> None:
    assert looks_like_html(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "By Dave Yin / Nov 07, 2019 05:09 PM / World\n\nThe <b> tag and <p> tag are HTML.",
        SAMPLE.read_text(encoding="utf-8"),
        "a < b and c > d\n" * 20,
        "Line one\n" * 50 + "<p>one</p><p>two</p><p>three</p><p>four</p><p>5</p><p>6</p><p>7</p><p>8</p>\n",
    ],
)
def test_copied_text_is_not_html(text: str) -> None:
    assert not looks_like_html(text)


def test_html_pasted_into_a_txt_file_is_read_as_html(tmp_path: Path) -> None:
    source = read_page(PAGES2 / "digest_best_reads.html").text
    pasted = tmp_path / "pasted.txt"
    pasted.write_text(source, encoding="utf-8")
    result = parse_page(read_page(pasted).text, pasted.name)
    assert result.report.shape == "digest"
    assert result.report.shape_reason.startswith("saved HTML, read as digest")
    assert len(result.listings) == 5


def test_html_with_no_text_is_unrecognised() -> None:
    result = parse_page("<!DOCTYPE html><html><head><script>x()</script></head><body></body></html>", "blank.html")
    assert result.report.shape == "unrecognised"
    assert result.report.shape_reason == "saved HTML with no text"
    assert result.articles == () and result.listings == ()


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><p>unclosed <b>bold <i>italic</p></div></span>",
        "<html>" + "<div>" * 5000 + "deep" + "</div>" * 5000 + "</html>",
        "<!DOCTYPE html><html><body><table><tr><td>cell<td>cell 2</table><p>&bogus; &#xZZ; &#99999999;</p>",
        "<!DOCTYPE html>\x00<html>\ud800</html>".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "<html><body><script>unclosed script",
    ],
)
def test_malformed_html_never_raises(html: str) -> None:
    text = html_to_text(html)
    assert isinstance(text, str)
    assert parse_page(html).report.balanced
