"""Large pages read in pieces: bounded memory, progress as the bytes go by, the same records as a whole read.

A saved live feed can be hundreds of megabytes. Read whole, such a page is held several times over (its
bytes, its text, its lines, the stripped lines, the stories as objects). ``parse_large_page`` instead
reads the file a megabyte at a time, cut after a line end, so each piece decodes on its own exactly as it
would inside the whole text. The lines are parsed in segments of about ``SEGMENT_BYTES``, each cut just
before a story's byline, where the live-feed parser starts afresh; each segment's stories become an
Arrow-backed frame at once. What is held at any time is one segment's lines and the frames built so far.

The result equals ``parse_page`` on the whole text: the same stories, line numbers, roles, unknown lines
and warnings (``tests/test_stream.py`` checks this on generated pages cut at every size). A page is read
in pieces only when it is a live feed by its opening (two bylines in its first segment) and not saved HTML;
any other large page (HTML, UTF-16, a listing, a Markdown copy) is read whole, as a small page is. A page
found to be a Markdown copy after its opening is read whole from the start (``parse_large_page`` gives
None).
"""

from __future__ import annotations

import codecs
import hashlib
import math
import os
import sys
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from itertools import chain

import pandas as pd

from core.parsing import common as c
from core.parsing import hold_times, html_to_text, looks_like_html, split_lines, split_more_lines
from core.parsing.live_feed import DEFAULT_AGENCIES, LiveFeedParser
from core.parsing.markdown import MARKDOWN_SUFFIXES, is_markdown_copy, may_have_markup
from core.parsing.report import PageReport
from core.reading.files import binary_error, decode_utf8, open_error, read_page
from core.storing.frame import articles_to_frame

#: Bytes read at a time.
READ_BYTES = 1 << 20
#: About how much page text one parser segment holds before it is cut at the next byline.
SEGMENT_BYTES = 4 << 20
#: How much of a page's opening decides whether it is read in pieces (at least one segment's worth).
OPENING_BYTES = 1 << 20
#: Files at least this large are read in pieces (``CAIXIN_STREAM_MB`` sets it in megabytes).
DEFAULT_STREAM_BYTES = 32 << 20

#: Called with the bytes of the file read so far.
ByteProgress = Callable[[int], None]


def stream_threshold() -> int:
    """Files of at least this many bytes are read in pieces (``CAIXIN_STREAM_MB``, default 32).

    ``inf`` reads every file whole; a value that is no number of megabytes (negative, ``nan``, text) is
    ignored and the default used, so a bad setting never stops an ingest.
    """
    raw = os.environ.get("CAIXIN_STREAM_MB", "").strip()
    try:
        megabytes = float(raw) if raw else math.nan
    except ValueError:
        megabytes = math.nan
    if math.isinf(megabytes) and megabytes > 0:
        return sys.maxsize
    if not (math.isfinite(megabytes) and megabytes >= 0):
        return DEFAULT_STREAM_BYTES
    return int(megabytes * (1 << 20))


class _ReadWhole(Exception):
    """The page cannot be read in pieces (UTF-16); the caller reads it whole."""


class PageReader:
    """The lines of a page file in batches, numbered as ``split_lines`` numbers the whole decoded text.

    ``sha256``, ``size`` and ``warnings`` are complete once ``batches()`` is exhausted. Raises
    ``InputError`` as ``core.reading.files.read_page`` does (a binary file is found when its NUL byte is reached).
    A single line is held whole, however long it is.
    """

    def __init__(self, path: str, *, on_bytes: ByteProgress | None = None, read_bytes: int = READ_BYTES):
        self.path = path
        self.on_bytes = on_bytes
        self.read_bytes = max(4, read_bytes)
        self.hash = hashlib.sha256()
        self.size = 0
        self.warnings: list[str] = []
        self._newlines = 0  # line ends (b"\n") before the next piece, for warnings that name a line
        self._decoded = 0  # bytes before the next piece, not counting a UTF-8 BOM

    @property
    def sha256(self) -> str:
        return self.hash.hexdigest()

    def batches(self) -> Generator[list[str], None, None]:
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 -- held across the generator's yields
        except OSError as error:
            raise open_error(self.path, error) from None
        with handle:
            carry = b""
            opened = first_piece = True
            while True:
                try:
                    chunk = handle.read(self.read_bytes)
                except OSError as error:
                    raise open_error(self.path, error) from None
                if not chunk:
                    break
                if opened and chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    raise _ReadWhole
                nul = chunk.find(b"\x00")
                if nul >= 0:
                    raise binary_error(self.path, self.size + nul)
                self.hash.update(chunk)
                self.size += len(chunk)
                if opened and chunk.startswith(codecs.BOM_UTF8):
                    chunk = chunk[len(codecs.BOM_UTF8) :]  # as ``decode_bytes`` drops it
                opened = False
                data = carry + chunk if carry else chunk
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    carry = data
                    continue
                piece, carry = data[:cut], data[cut:]
                yield self._lines(piece, first_piece)
                first_piece = False
                if self.on_bytes:
                    self.on_bytes(self.size)
            if carry or first_piece:
                yield self._lines(carry, first_piece)
            if self.on_bytes:
                self.on_bytes(self.size)

    def _lines(self, piece: bytes, first: bool) -> list[str]:
        text, warning = decode_utf8(piece, self.path, first_line=self._newlines + 1, first_byte=self._decoded)
        if warning and not self.warnings:  # a whole read reports the first such byte only
            self.warnings.append(warning)
        self._newlines += piece.count(b"\n")
        self._decoded += len(piece)
        return split_lines(text) if first else split_more_lines(text)


@dataclass(slots=True)
class LargePage:
    """What ``parse_large_page`` read: the stories as one frame, the headline-list lines, the report."""

    path: str
    sha256: str
    size: int
    articles: pd.DataFrame
    headlines: list[tuple[int, str]]
    report: PageReport
    segments: int = 0
    #: The most text one segment held, in characters and line ends (what bounds the reader's memory).
    largest_segment: int = 0
    warnings: list[str] = field(default_factory=list)


def _text_bytes(lines: list[str]) -> int:
    return sum(map(len, lines)) + len(lines)


def _opening(batches: Iterator[list[str]], size: int) -> list[str]:
    """The first lines of a page, at least ``size`` characters of them when the page has that many."""
    window: list[str] = []
    held = 0
    for batch in batches:
        window += batch
        held += _text_bytes(batch)
        if held >= size:
            break
    return window


def _markdown(lines: list[str]) -> bool:
    """Some of these lines make the page a Markdown copy (``core.parsing.markdown``), which is read whole."""
    return may_have_markup("\n".join(lines)) and is_markdown_copy([line.strip() for line in lines])


def _streamable(window: list[str]) -> bool:
    """The page is a live feed by its opening (two story bylines), not saved HTML and not a Markdown copy:
    exactly the pages whose whole-text parse is the live-feed parser's on the lines as they are."""
    if looks_like_html("\n".join(window)) or _markdown(window):
        return False
    return c.count_bylines([line.strip() for line in window], stop_at=2) >= 2


def _live_feed_lines(
    path: str, opening_bytes: int, *, on_bytes: ByteProgress | None = None, read_bytes: int = READ_BYTES
) -> tuple[PageReader, Iterator[list[str]]] | None:
    """The reader of a page and its lines in batches when it is one to read in pieces (``_streamable`` by
    its first ``opening_bytes``); None when it is to be read whole (UTF-16 included)."""
    if path.lower().endswith(MARKDOWN_SUFFIXES):
        return None
    reader = PageReader(path, on_bytes=on_bytes, read_bytes=read_bytes)
    batches = reader.batches()
    try:
        window = _opening(batches, opening_bytes)
    except _ReadWhole:
        return None
    if not _streamable(window):
        batches.close()
        return None
    return reader, chain([window], batches)


def parse_large_page(
    path: str,
    agencies: frozenset[str] = DEFAULT_AGENCIES,
    *,
    on_bytes: ByteProgress | None = None,
    segment_bytes: int = SEGMENT_BYTES,
    read_bytes: int = READ_BYTES,
    opening_bytes: int = OPENING_BYTES,
) -> LargePage | None:
    """Parse a live-feed page file in segments (see the module docstring).

    Returns None when the page is not one to read in pieces (saved HTML, UTF-16, not a live feed by its
    opening): the caller reads it whole. Raises ``InputError`` when the file cannot be read as text.
    """
    opened = _live_feed_lines(
        path, max(segment_bytes, opening_bytes), on_bytes=on_bytes, read_bytes=read_bytes
    )
    if opened is None:
        return None
    reader, lines = opened
    report = PageReport(source=path, shape="live-feed")
    frames: list[pd.DataFrame] = []
    headlines: list[tuple[int, str]] = []
    segment: list[str] = []
    held = 0
    first_line = 1
    segments = largest = 0

    def flush(page_end: bool) -> None:
        nonlocal first_line, segments, largest
        parser = LiveFeedParser(segment, path, agencies, first_line=first_line, page_end=page_end)
        stories, listed, part = parser.parse()
        stories = list(hold_times(tuple(stories), part))
        if stories:
            frames.append(articles_to_frame(stories))
        headlines.extend(listed)
        report.roles.update(part.roles)
        report.unknown.extend(part.unknown)
        report.warnings.extend(part.warnings)
        report.stories += part.stories
        report.lines += len(segment)
        report.blank += sum(1 for line in segment if not line.strip())
        segments += 1
        largest = max(largest, held)
        first_line += len(segment)

    for number, batch in enumerate(lines):
        if number and _markdown(batch):
            return None  # Markdown further on: the page is a Markdown copy, read whole
        for line in batch:
            if held >= segment_bytes and "/" in line and c.is_story_byline(line.strip()):
                flush(page_end=False)
                segment, held = [], 0
            segment.append(line)
            held += len(line) + 1
    flush(page_end=True)
    report.shape_reason = f"{report.roles['byline']} story bylines"
    report.warnings[:0] = reader.warnings
    articles = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return LargePage(
        path, reader.sha256, reader.size, articles, headlines, report, segments, largest, reader.warnings
    )


def hash_file(path: str, read_bytes: int = READ_BYTES) -> str:
    """The SHA-256 of a file's bytes, read a piece at a time; ``InputError`` when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(read_bytes):
                digest.update(chunk)
    except OSError as error:
        raise open_error(path, error) from None
    return digest.hexdigest()


def read_lines(path: str | os.PathLike[str], first: int, last: int) -> list[str]:
    """Lines ``first..last`` (1-based, inclusive) of a page as the parser numbered them: lines of the
    text extracted from saved HTML, and for a large live feed read piece by piece up to ``last``.

    Raises ``InputError`` when the file cannot be read any more.
    """
    name = os.fspath(path)
    try:
        size = os.stat(name).st_size
    except OSError as error:
        raise open_error(name, error) from None
    if size >= stream_threshold():
        wanted = _lines_in_pieces(name, first, last)
        if wanted is not None:
            return wanted
    text = read_page(name).text
    if looks_like_html(text):
        text = html_to_text(text)
    return split_lines(text)[max(0, first - 1) : last]


def _lines_in_pieces(path: str, first: int, last: int) -> list[str] | None:
    opened = _live_feed_lines(path, max(SEGMENT_BYTES, OPENING_BYTES))
    if opened is None:
        return None
    wanted: list[str] = []
    number = 0
    for batch in opened[1]:
        if number + len(batch) >= first:
            wanted += batch[max(0, first - 1 - number) : max(0, last - number)]
        number += len(batch)
        if number >= last:
            break
    return wanted
