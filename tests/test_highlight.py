"""Safe rendering helpers: escaped highlight HTML and Markdown code spans for untrusted values."""

from __future__ import annotations

import re

import pytest

from core.analysing.highlight import Span, highlight_html, markdown_code, merge_spans, text_block


def test_highlight_escapes_everything_and_marks_the_spans() -> None:
    text = "<script>alert(1)</script> Huawei & 5G"
    out = highlight_html(text, [Span(26, 32, "#112233", 'a "label"')])
    assert "<script>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert re.search(r'<mark style="[^"]*#112233[^"]*" title="a &quot;label&quot;">Huawei</mark>', out)
    assert "&amp; 5G" in out


def test_overlapping_spans_keep_the_earlier_one() -> None:
    spans = merge_spans([Span(0, 5), Span(3, 8), Span(10, 99)], length=12)
    assert [(s.start, s.end) for s in spans] == [(0, 5), (5, 8), (10, 12)]


def test_a_bad_colour_falls_back_to_the_default() -> None:
    out = highlight_html("abc", [Span(0, 1, 'red;background:url(x)"')])
    assert "url(x)" not in out
    assert "#ffe066" in out


def test_text_block_keeps_line_breaks_by_css() -> None:
    assert "white-space:pre-wrap" in text_block("a\n\nb")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("![x](http://127.0.0.1:9/t.png)", "`![x](http://127.0.0.1:9/t.png)`"),
        ("a `b` c", "``a `b` c``"),
        ("`x", "`` `x ``"),
        ("two\nlines", "`two lines`"),
        ("", "` `"),
    ],
)
def test_markdown_code_spans(value: str, expected: str) -> None:
    assert markdown_code(value) == expected
