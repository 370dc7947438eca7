"""Building listing entries, shared by the listing and digest parsers.

An entry is a headline with an optional summary and date. ``EntryBuilder`` holds the entry being read and
the dates waiting for one: a plain date line belongs to the entry above it (listings print the date under
the summary, dated digests under the headline), a bullet date (``• Jul 11, 2019 07:40 PM``, gallery
listings) to the entry below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from core.model import ListingEntry

__all__ = ["EntryBuilder", "clean_headline", "is_name", "unlink"]

_NUMBERED = re.compile(r"^\d{1,2}[.)]\s+")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"^(\*\*|__)(.+)\1$")
_NAME_WORD = re.compile(r"^[A-Z][a-z]+(?:[-'’][A-Za-z]+)?\.?$|^[A-Z]\.$")


def unlink(text: str) -> str:
    """Markdown links of copied e-mails as their text: ``[Evergrande](https://...)`` -> ``Evergrande``."""
    return _LINK.sub(r"\1", text) if "](" in text else text


def clean_headline(text: str) -> str:
    """A headline without the markup copied e-mails carry: ``1. ``, ``**...**``, ``[text](link)``."""
    text = _NUMBERED.sub("", unlink(text))
    emphasis = _EMPHASIS.match(text)
    return (emphasis[2] if emphasis else text).strip()


def is_name(text: str) -> bool:
    """A person's name alone on a line: two or three capitalised words (``Doug Young``, ``Tianyu M. Fang``)."""
    words = text.split()
    return 2 <= len(words) <= 3 and all(_NAME_WORD.match(w) for w in words)


@dataclass(slots=True)
class _Item:
    headline: str
    line: int
    group: str
    summary: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    #: Its date line has been read and the page prints dates last: the next line starts a new entry.
    closed: bool = False


@dataclass(slots=True)
class EntryBuilder:
    """The entries of one page, in page order; ``entries()`` turns them into ``ListingEntry`` records."""

    source: str
    #: How summary lines join: ``" "`` for a listing's one-line summary, ``"\n\n"`` for digest paragraphs.
    joiner: str = " "
    group: str = ""
    items: list[_Item] = field(default_factory=list)
    current: _Item | None = None
    forward: tuple[datetime, str] | None = None

    def start(self, number: int, headline: str) -> None:
        """A new entry at line ``number``; a bullet date read just before it is its date."""
        item = _Item(headline, number, self.group)
        if self.forward is not None:
            item.published_at, section = self.forward
            item.group = section or item.group
            self.forward = None
        self.items.append(item)
        self.current = item

    def add_summary(self, text: str) -> None:
        assert self.current is not None
        self.current.summary.append(text)

    def date(self, published_at: datetime, bullet: bool, section: str, closes: bool) -> bool:
        """Give a date line to its entry; False when it belongs to none (the caller reports the line)."""
        if bullet:
            self.close()
            self.forward = (published_at, section)
            return True
        item = self.current
        if item is None or item.published_at is not None or item.closed:
            return False
        item.published_at = published_at
        item.group = section or item.group
        item.closed = closes
        return True

    def close(self) -> None:
        """The current entry is complete (a group marker, a bullet date or the page's end follows)."""
        self.current = None

    def set_group(self, group: str) -> None:
        self.close()
        self.group = group

    def drop_last(self) -> _Item:
        """Take back the last entry (a signature read as a headline-only entry)."""
        item = self.items.pop()
        self.current = None
        return item

    def entries(self) -> list[ListingEntry]:
        return [
            ListingEntry(
                headline=item.headline,
                summary=self.joiner.join(item.summary),
                published_at=item.published_at,
                group=item.group,
                source=self.source,
                line=item.line,
            )
            for item in self.items
        ]
