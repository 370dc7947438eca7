"""Parse reports: how every input line was read, per page and for a whole ingest."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(slots=True)
class CorpusReport:
    """All page reports of one ingest, plus what de-duplication merged."""

    pages: list[PageReport] = field(default_factory=list)
    duplicates_merged: int = 0
    reporter_merges: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        return [p.error for p in self.pages if p.error]

    @property
    def warnings(self) -> list[str]:
        return [w for p in self.pages for w in p.warnings]

    def line_accounting(self) -> dict[str, Any]:
        roles: Counter[str] = Counter()
        for page in self.pages:
            roles.update(page.roles)
        lines = sum(p.lines for p in self.pages)
        blank = sum(p.blank for p in self.pages)
        return {
            "files": len(self.pages),
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
