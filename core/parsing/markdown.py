"""Markdown copies (FORMAT.md section 3): the markup is removed before any line is classified.

Read-later tools and copy-as-Markdown extensions wrap the lines of the other shapes in Markdown: list
markers (``- LATEST``, ``* <headline>``), heading markers (``## ECONOMY``), emphasis (``**ECONOMY**``,
``_text_``), links (``[text](url)``), images (``![alt](url)``), quotes (``> ``) and escapes (``1\\.``).
``read_markdown`` turns such a page, line by line, into the plain page the parsers know:

- a list, heading or quote marker at the start of a line is removed, except a list marker in front of a
  date line (``- Jul 11, 2019 07:40 PM``), which is a gallery listing's bullet date;
- a heading closed by ``#`` (``# Finance #``) is left as it is: it is a digest's group marker as the
  page prints it (FORMAT.md section 2), not Markdown;
- a link becomes its text, an image its alt text, emphasis its text, an escaped character itself;
- a line that is markup alone (an image without alt text, ``---``, an empty list item) is given to the
  parsers as a blank line and counted afterwards: ``image_artifact`` for an image, ``furniture`` for the
  rest.

Every line stays on its own line number. A page is a Markdown copy when its file name ends in ``.md`` or
``.markdown``, or when one of its lines starts with a list, heading or quote marker, or is wholly
emphasised or wholly a link (``is_markdown_copy``): inline link syntax alone in a plain page is text the
page carries, and stays. Plain text pays one cheap check (``may_have_markup``: does any line start
with a character markup starts with) and nothing else.

Unknown lines are reported with the text of the file (markup included), so that a person finds them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.parsing import common as c
from core.parsing.report import PageReport

__all__ = [
    "MARKDOWN_SUFFIXES",
    "MarkdownPage",
    "is_markdown_copy",
    "may_have_markup",
    "read_markdown",
    "strip_line",
]

#: File names read as Markdown copies whatever their text.
MARKDOWN_SUFFIXES = (".md", ".markdown")

#: The first character of every line ``is_markdown_copy`` looks for (after white space), and of every
#: line ``strip_line`` changes at its start.
_START_CHARS = "-*+>#_[!="
#: A line that may start with markup. Each pattern starts with one literal character, which the regex
#: engine finds by a fast scan (a class such as ``[\n\r]`` would make it test every character: eight
#: times slower, 11 % of ``parse_page`` on plain pages).
_MARKUP_START = r"[ \t]*[-*+>#_\[!=]"
_FIRST_LINE = re.compile(r"[ \t\ufeff]*[-*+>#_\[!=]")
_AFTER_LF = re.compile("\n" + _MARKUP_START)
_AFTER_CR = re.compile("\r" + _MARKUP_START)
#: An escaped ordered-list number at a line start (``1\.``), looked for only in text holding a backslash.
_ESCAPED_NUMBER = re.compile(r"(?:^|[\n\r])[ \t\ufeff]*\d{1,3}\\")

_QUOTE = re.compile(r"^(?:>[ \t]?)+")
_LIST = re.compile(r"^[-*+][ \t]+(?=\S)")
_HEADING = re.compile(r"^#{1,6}[ \t]+(?=\S)")
_ORDERED_ESCAPE = re.compile(r"^\d{1,3}\\\.")
#: A line of markup alone: a rule or a setext underline, an empty list item.
_RULE = re.compile(r"^(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}|=+|[-*+])$")
#: A link's target: an address (brackets in it balanced once, ``a_(b).html``) and an optional title.
_TARGET = r"\((?:[^()\s]|\([^()\s]*\))*(?:[ \t]+\"[^\"]*\")?[ \t]*\)"
_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]" + _TARGET)
_LINK = re.compile(r"\[(?P<text>[^\]]*)\]" + _TARGET)
_STRONG = re.compile(r"(?<![\\*])\*\*(?=[^\s*])(?P<text>.*?[^\s\\*])\*\*(?!\*)|(?<![\w\\])__(?=[^\s_])(?P<u>.*?[^\s\\_])__(?![\w])")
_EMPHASIS = re.compile(r"(?<![\\*])\*(?=[^\s*])(?P<text>[^*]*?[^\s\\*])\*(?!\*)|(?<![\w\\])_(?=[^\s_])(?P<u>[^_]*?[^\s\\_])_(?![\w])")
_ESCAPE = re.compile(r"\\(?P<char>[!-/:-@\[-`{-~])")
#: A line wholly emphasised, wholly a link or wholly an image (``is_markdown_copy``).
_WHOLE = re.compile(r"^(?:\*\*?|__?)\S(?:.*\S)?(?:\*\*?|__?)$|^!?\[[^\]]*\]" + _TARGET + "$")
_PIPES = re.compile(r"^[|\s]*$")


def may_have_markup(text: str) -> bool:
    """A cheap check: does any line start (after spaces) with a character Markdown block markup, emphasis
    or a link can start with? False for most plain pages, which then skip the per-line pass."""
    if _FIRST_LINE.match(text) or _AFTER_LF.search(text):
        return True
    if "\r" in text and _AFTER_CR.search(text):
        return True
    return "\\" in text and _ESCAPED_NUMBER.search(text) is not None


def _is_bullet_date(rest: str) -> bool:
    date = c.parse_date_line(rest)
    return date is not None


def _trigger(line: str) -> bool:
    """One line that makes a page a Markdown copy (see the module docstring)."""
    first = line[:1]
    if not first or not (first in _START_CHARS or first.isdigit()):
        return False
    listed = _LIST.match(line)
    if listed:
        return not _is_bullet_date(line[listed.end() :])
    if first == "#":
        return _HEADING.match(line) is not None and not line.endswith("#")
    if first == ">":
        return line.startswith("> ")
    if first.isdigit():
        return _ORDERED_ESCAPE.match(line) is not None
    return _WHOLE.match(line) is not None


def is_markdown_copy(stripped: Sequence[str]) -> bool:
    """Whether a page given as stripped lines is a Markdown copy by its text (the module docstring)."""
    return any(map(_trigger, stripped))


def _inline(text: str) -> str:
    if "\\" in text:
        text = _ESCAPE.sub(lambda m: "\x00" + str(ord(m["char"])) + "\x01", text)
    if "](" in text:
        text = _IMAGE.sub(lambda m: m["alt"], text)
        text = _LINK.sub(lambda m: m["text"], text)
    if "*" in text or "_" in text:
        text = _STRONG.sub(lambda m: m["text"] if m["text"] is not None else m["u"], text)
        text = _EMPHASIS.sub(lambda m: m["text"] if m["text"] is not None else m["u"], text)
    if "\x00" in text:
        text = re.sub(r"\x00(\d+)\x01", lambda m: chr(int(m[1])), text)
    return text


def strip_line(line: str) -> str:
    """A stripped line of a Markdown copy without its markup ("" when it is markup alone)."""
    if not line:
        return line
    first = line[0]
    if first in _START_CHARS:
        if _RULE.match(line):
            return ""
        if first == ">":
            line = _QUOTE.sub("", line).lstrip()
        listed = _LIST.match(line)
        if listed and not _is_bullet_date(line[listed.end() :]):
            line = line[listed.end() :]
        if line[:1] == "#" and not line.endswith("#"):
            heading = _HEADING.match(line)
            if heading:
                line = line[heading.end() :]
    if "\\" in line or "](" in line or "*" in line or "_" in line:
        line = _inline(line).strip()
        if _PIPES.match(line):
            return ""
    return line


@dataclass(slots=True)
class MarkdownPage:
    """A Markdown copy read as plain lines: ``lines`` for the parsers (markup-only lines blank), and the
    roles of the lines that were markup alone (0-based index -> role)."""

    lines: list[str]
    raw: list[str]
    masked: dict[int, str]

    def restore(self, report: PageReport, first_line: int = 1) -> None:
        """Count the markup-only lines in ``report`` and report unknown lines with the file's text."""
        for role in self.masked.values():
            report.roles[role] += 1
        if report.unknown:
            report.unknown = [(n, self.raw[n - first_line]) for n, _ in report.unknown]


def read_markdown(text: str, stripped: list[str], source: str = "") -> MarkdownPage | None:
    """The page as plain lines when it is a Markdown copy (``source`` ends in ``.md`` or ``.markdown``, or
    ``is_markdown_copy``), else None. ``stripped`` are the page's lines, stripped."""
    named = source.lower().endswith(MARKDOWN_SUFFIXES)
    if not named and not (may_have_markup(text) and is_markdown_copy(stripped)):
        return None
    lines: list[str] = []
    masked: dict[int, str] = {}
    for index, line in enumerate(stripped):
        plain = strip_line(line)
        if line and not plain:
            masked[index] = "image_artifact" if "![" in line else "furniture"
        lines.append(plain)
    return MarkdownPage(lines, stripped, masked)
