"""Parse reports: how every input line was read, per page and for a whole ingest."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.model import ROLES


@dataclass(slots=True)
class PageReport:
    """What one file gave: its shape, the role of every non-blank line, unknown lines, warnings.

    ``roles`` counts non-blank lines per role, so ``sum(roles.values()) == lines - blank`` always holds.
    """

    source: str
    shape: str = "live-feed"
    shape_reason: str = ""
    lines: int = 0
    blank: int = 0
    roles: Counter[str] = field(default_factory=Counter)
    unknown: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    stories: int = 0
    #: Listing entries the page gave (items of a listing or digest; an article page's own headline).
    entries: int = 0

    def count(self, role: str, n: int = 1) -> None:
        self.roles[role] += n

    def unknown_line(self, number: int, text: str) -> None:
        self.roles["unknown"] += 1
        self.unknown.append((number, text))

    def warn(self, line: int | None, message: str) -> None:
        self.warnings.append(f"{self.source}:{line}: {message}" if line else f"{self.source}: {message}")

    @property
    def nonblank(self) -> int:
        return self.lines - self.blank

    @property
    def balanced(self) -> bool:
        """Every non-blank line has exactly one role."""
        return sum(self.roles.values()) == self.nonblank

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "shape": self.shape,
            "shape_reason": self.shape_reason,
            "lines": self.lines,
            "blank": self.blank,
            "roles": {role: self.roles.get(role, 0) for role in ROLES},
            "unknown": [{"line": n, "text": t} for n, t in self.unknown],
            "warnings": list(self.warnings),
            "error": self.error,
            "stories": self.stories,
            "entries": self.entries,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PageReport:
        report = cls(
            source=data["source"],
            shape=data.get("shape", "live-feed"),
            shape_reason=data.get("shape_reason", ""),
            lines=data["lines"],
            blank=data["blank"],
            roles=Counter({k: v for k, v in data["roles"].items() if v}),
            unknown=[(u["line"], u["text"]) for u in data["unknown"]],
            warnings=list(data["warnings"]),
            error=data.get("error"),
            stories=data.get("stories", 0),
            entries=data.get("entries", 0),
        )
        return report


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """What a first page shows of the page reports without reading them (stored with the cache): how
    many pages, the sums of the line accounting, and the errors in page order."""

    pages: int
    lines: int
    blank: int
    roles: dict[str, int]
    errors: tuple[str, ...]


#: The columns of ``CorpusReport.page_frame``: one row per page, in page order.
PAGE_FRAME_COLUMNS = ("source", "shape", "stories", "lines", "unknown", "warnings", "error")


@dataclass(frozen=True, slots=True)
class ReportColumns:
    """What a table of the page reports shows, as columns (a cache reads them from its reports part without
    making a ``PageReport`` per page): ``pages`` (``PAGE_FRAME_COLUMNS``: counts of unknown lines and of
    warnings, the error or None), ``unknown`` (``source``, ``line``, ``text``: every unknown line) and
    ``warnings``, all in page order. A page without an error has None in ``error``."""

    pages: pd.DataFrame
    unknown: pd.DataFrame
    warnings: list[str]

    @classmethod
    def of(cls, pages: list[PageReport]) -> ReportColumns:
        return cls(page_table(pages), unknown_table(pages), [w for p in pages for w in p.warnings])

    @classmethod
    def typed(cls, pages: pd.DataFrame, unknown: pd.DataFrame, warnings: list[str]) -> ReportColumns:
        """The columns with the dtypes every ``ReportColumns`` has (counts ``int64``, texts ``object``)."""
        return cls(_typed_pages(pages), _typed_unknown(unknown), warnings)

    def __add__(self, other: ReportColumns) -> ReportColumns:
        if not len(other.pages):
            return self
        return ReportColumns.typed(
            pd.concat([self.pages, other.pages], ignore_index=True),
            pd.concat([self.unknown, other.unknown], ignore_index=True),
            [*self.warnings, *other.warnings],
        )


def page_table(pages: list[PageReport]) -> pd.DataFrame:
    """``ReportColumns.pages`` of ``pages``."""
    return _typed_pages(
        pd.DataFrame(
            [
                (p.source, p.shape, p.stories, p.lines, p.roles.get("unknown", 0), len(p.warnings), p.error)
                for p in pages
            ],
            columns=list(PAGE_FRAME_COLUMNS),
        )
    )


def unknown_table(pages: list[PageReport]) -> pd.DataFrame:
    """``ReportColumns.unknown`` of ``pages``."""
    return _typed_unknown(
        pd.DataFrame([(p.source, n, t) for p in pages for n, t in p.unknown], columns=["source", "line", "text"])
    )


def _typed_pages(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype(
        {
            "source": object,
            "shape": object,
            "stories": "int64",
            "lines": "int64",
            "unknown": "int64",
            "warnings": "int64",
            "error": object,
        }
    )
    errors = [error if isinstance(error, str) else None for error in frame["error"].tolist()]
    frame["error"] = pd.Series(errors, index=frame.index, dtype=object)
    return frame


def _typed_unknown(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({"source": object, "line": "int64", "text": object})


class CorpusReport:
    """All page reports of one ingest, plus what de-duplication merged.

    The pages may be read when first used (``deferred``): a warm start from the cache then answers the
    line accounting and the errors from a ``ReportSummary`` and reads the page reports only for what
    needs them (``pages``, ``warnings``, ``unknown_lines``). Once read, everything comes from ``pages``.
    """

    __slots__ = (
        "_columns",
        "_extra",
        "_load",
        "_lock",
        "_pages",
        "_read_columns",
        "_summary",
        "duplicates_merged",
        "reporter_merges",
    )

    def __init__(
        self,
        pages: list[PageReport] | None = None,
        duplicates_merged: int = 0,
        reporter_merges: dict[str, str] | None = None,
    ) -> None:
        self._pages: list[PageReport] | None = [] if pages is None else pages
        self._load: Callable[[], list[PageReport]] | None = None
        self._summary: ReportSummary | None = None
        self._extra: list[PageReport] = []
        self._read_columns: Callable[[], ReportColumns | None] | None = None
        self._columns: ReportColumns | None = None
        self._lock = threading.Lock()
        self.duplicates_merged = duplicates_merged
        self.reporter_merges: dict[str, str] = {} if reporter_merges is None else reporter_merges

    @classmethod
    def deferred(
        cls,
        load: Callable[[], list[PageReport]],
        summary: ReportSummary,
        extra: list[PageReport],
        duplicates_merged: int = 0,
        reporter_merges: dict[str, str] | None = None,
        columns: Callable[[], ReportColumns | None] | None = None,
    ) -> CorpusReport:
        """A report whose pages are ``load()`` followed by ``extra``, read the first time they are used;
        ``summary`` describes what ``load()`` gives. ``columns()``, when given, reads what ``load()`` would
        give as ``ReportColumns`` (``page_frame``, ``unknown_frame`` and ``warnings`` then read no page
        report); None from it: read the pages instead."""
        report = cls(None, duplicates_merged, reporter_merges)
        report._pages, report._load, report._summary, report._extra = None, load, summary, list(extra)
        report._read_columns = columns
        return report

    @property
    def loaded(self) -> bool:
        """Whether the page reports are in memory."""
        return self._pages is not None

    @property
    def pages(self) -> list[PageReport]:
        pages = self._pages
        if pages is None:
            with self._lock:
                if self._pages is None:
                    assert self._load is not None
                    self._pages = [*self._load(), *self._extra]
                    self._load = None
                pages = self._pages
        return pages

    @pages.setter
    def pages(self, pages: list[PageReport]) -> None:
        self._pages, self._load = pages, None

    @property
    def page_count(self) -> int:
        """``len(pages)``, without reading the page reports of a deferred report."""
        if self._pages is None and self._summary is not None:
            return self._summary.pages + len(self._extra)
        return len(self.pages)

    @property
    def errors(self) -> list[str]:
        if self._pages is None and self._summary is not None:
            return [*self._summary.errors, *(p.error for p in self._extra if p.error)]
        return [p.error for p in self.pages if p.error]

    @property
    def warnings(self) -> list[str]:
        columns = self._columns_read()
        if columns is not None:
            return list(columns.warnings)
        return [w for p in self.pages for w in p.warnings]

    def _columns_read(self) -> ReportColumns | None:
        """The report as columns, when the pages are not in memory and ``deferred``'s ``columns`` gives
        them (read once); else None."""
        if self._pages is not None:
            return None
        with self._lock:
            if self._columns is None and self._read_columns is not None and self._pages is None:
                read, self._read_columns = self._read_columns, None
                stored = read()
                if stored is not None:
                    self._columns = stored + ReportColumns.of(self._extra)
            return self._columns

    def page_frame(self) -> pd.DataFrame:
        """One row per page (``PAGE_FRAME_COLUMNS``), in page order."""
        columns = self._columns_read()
        return columns.pages if columns is not None else page_table(self.pages)

    def unknown_frame(self) -> pd.DataFrame:
        """Every unknown line (``source``, ``line``, ``text``), in page order."""
        columns = self._columns_read()
        return columns.unknown if columns is not None else unknown_table(self.pages)

    def line_accounting(self) -> dict[str, Any]:
        summary = self._summary
        if self._pages is None and summary is not None:
            roles: Counter[str] = Counter(summary.roles)
            pages, lines, blank = summary.pages, summary.lines, summary.blank
            for page in self._extra:
                roles.update(page.roles)
                lines, blank = lines + page.lines, blank + page.blank
            pages += len(self._extra)
        else:
            roles = Counter()
            for page in self.pages:
                roles.update(page.roles)
            pages = len(self.pages)
            lines = sum(p.lines for p in self.pages)
            blank = sum(p.blank for p in self.pages)
        return {
            "files": pages,
            "lines": lines,
            "blank": blank,
            "nonblank": lines - blank,
            "roles": {role: roles.get(role, 0) for role in ROLES},
            "unknown": roles.get("unknown", 0),
        }

    def unknown_lines(self) -> list[dict[str, Any]]:
        return [{"source": p.source, "line": n, "text": t} for p in self.pages for n, t in p.unknown]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pages": [p.to_dict() for p in self.pages],
            "duplicates_merged": self.duplicates_merged,
            "reporter_merges": dict(self.reporter_merges),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CorpusReport:
        return cls(
            pages=[PageReport.from_dict(p) for p in data["pages"]],
            duplicates_merged=data.get("duplicates_merged", 0),
            reporter_merges=dict(data.get("reporter_merges", {})),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CorpusReport):
            return NotImplemented
        return (self.pages, self.duplicates_merged, self.reporter_merges) == (
            other.pages,
            other.duplicates_merged,
            other.reporter_merges,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        pages = f"{len(self._pages)} pages" if self._pages is not None else "pages not read yet"
        return f"CorpusReport({pages}, duplicates_merged={self.duplicates_merged}, reporter_merges={self.reporter_merges!r})"
