"""The exception hierarchy of the library.

Every error a user can cause is a ``CaixinError`` whose message is one line naming the file, line or query
position, so the CLI and the dashboard can show it as it is, without a traceback::

    CaixinError
    ├── InputError          a path that cannot be read, or a binary file
    ├── CacheError          a cache file that cannot be read (callers rebuild it)
    ├── ConfigError         a broken data/themes.toml or data/reporters.toml (file, line, key)
    ├── ClusterError        a Dask cluster that cannot parse the pages (names the scheduler)
    └── QuerySyntaxError    a search query that does not parse (position in the query)
"""

from __future__ import annotations


class CaixinError(Exception):
    """Base class: a one-line, user-facing message."""


class InputError(CaixinError):
    """An input path that cannot be read as a page (missing, unreadable, binary)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class CacheError(CaixinError):
    """A cache file that is missing, corrupt or from another version."""


class ConfigError(CaixinError):
    """A configuration file (themes, reporters) that cannot be used."""

    def __init__(self, path: str, message: str, line: int | None = None, key: str | None = None) -> None:
        where = f"{path}:{line}" if line else path
        what = f" [{key}]" if key else ""
        super().__init__(f"{where}{what}: {message}")
        self.path = path
        self.line = line
        self.key = key


class ClusterError(CaixinError):
    """A Dask cluster that could not parse the pages (``core.storing.cluster``): its scheduler cannot be
    reached, no worker is left, a worker died too often, or a worker cannot read the pages. The message
    names the scheduler's address; nothing of the cache was written."""


class QuerySyntaxError(CaixinError):
    """A query that does not parse; ``position`` is the 0-based offset in the query."""

    def __init__(self, query: str, position: int, message: str) -> None:
        super().__init__(f"query position {position + 1}: {message}")
        self.query = query
        self.position = position
        self.message = message

    def pointer(self) -> str:
        """The query with a caret line under the offending position."""
        return f"{self.query}\n{' ' * self.position}^"
