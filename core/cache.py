"""The on-disk cache: Parquet files and a JSON state under ``data/cache/``.

Layout of one cache folder (one per set of inputs)::

    state.json                 files (size, mtime, sha256), page reports, headline lists, generation
    records-<generation>.parquet   every story as read from every file, before de-duplication
    articles-<generation>.parquet  the merged article frame the dashboard loads

Every write goes to a temporary file that is then renamed over the target, and ``state.json`` is written
last, so a process killed midway leaves the previous generation complete and in use. A file that cannot
be read raises ``CacheError``; the caller rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.config import DATA_DIR
from core.errors import CacheError
from core.frame import as_list, conform
from core.model import LIST_COLUMNS, PARSER_VERSION

CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    """``$CAIXIN_CACHE`` if set, else ``data/cache`` in the project."""
    return Path(os.environ.get("CAIXIN_CACHE") or DATA_DIR / "cache")


def cache_key(inputs: Iterable[str]) -> str:
    """One folder per set of inputs, so two collections never overwrite each other's cache."""
    joined = "\n".join(sorted(str(Path(i).resolve()) for i in inputs))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_frame(path: Path) -> pd.DataFrame:
    """Read a cached frame; list columns come back as Python lists. ``CacheError`` if unreadable."""
    return _read_frame(path)[0]


def _read_frame(path: Path) -> tuple[pd.DataFrame, bool]:
    """The frame, and whether every list column came back as lists of ``str`` (no nulls anywhere)."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        raise CacheError(f"{path}: cache file unreadable ({error}); rebuilding") from None
    names = [name for name in LIST_COLUMNS if name in table.column_names]
    clean = all(_only_strings(table.column(name)) for name in names)
    lists = {name: table.column(name).to_pylist() for name in names}
    table = table.drop_columns(names)
    frame = table.to_pandas()
    for name, values in lists.items():
        frame[name] = pd.Series(values, index=frame.index, dtype=object)
    return frame, clean


def _only_strings(column: pa.ChunkedArray) -> bool:
    """A list-of-string column with no null list and no null item."""
    kind = column.type
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
        return False
    if not (pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)):
        return False
    return column.null_count == 0 and all(chunk.values.null_count == 0 for chunk in column.chunks)


class CacheStore:
    """The cache folder of one set of inputs."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    def records_path(self, generation: str) -> Path:
        return self.root / f"records-{generation}.parquet"

    def articles_path(self, generation: str) -> Path:
        return self.root / f"articles-{generation}.parquet"

    def load_state(self) -> dict[str, Any] | None:
        """The state of the last complete write, or ``None`` when there is none.

        Raises ``CacheError`` when the state exists but is corrupt or from another cache format.
        """
        try:
            raw = self.state_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise CacheError(f"{self.state_path}: cannot be read ({error}); rebuilding") from None
        try:
            state = json.loads(raw)
            if not isinstance(state, dict) or state.get("format") != CACHE_FORMAT:
                raise ValueError("unknown cache format")
            for key in ("generation", "files", "reports", "headlines", "parser", "config"):
                if key not in state:
                    raise ValueError(f"missing {key!r}")
        except ValueError as error:
            raise CacheError(f"{self.state_path}: corrupt cache state ({error}); rebuilding") from None
        return state

    def is_current(self, state: dict[str, Any], config: str) -> bool:
        return bool(state.get("parser") == PARSER_VERSION and state.get("config") == config)

    def read_articles(self, state: dict[str, Any]) -> pd.DataFrame:
        frame, clean = _read_frame(self.articles_path(state["generation"]))
        return conform(frame, fresh_lists=clean)  # lists just built from Arrow are not copied again

    def read_records(self, state: dict[str, Any]) -> pd.DataFrame:
        """The records; their list cells are always lists of ``str`` (``ingest`` hands them on uncopied)."""
        frame, clean = _read_frame(self.records_path(state["generation"]))
        if not clean:
            for name in LIST_COLUMNS:
                if name in frame:
                    frame[name] = frame[name].map(as_list).astype(object)
        return frame

    def write(self, state: dict[str, Any], records: pd.DataFrame, articles: pd.DataFrame) -> None:
        """Write a new generation, then the state that points at it, then drop older generations."""
        generation = state["generation"]
        atomic_write_parquet(self.records_path(generation), records)
        atomic_write_parquet(self.articles_path(generation), articles)
        state = {**state, "format": CACHE_FORMAT, "parser": PARSER_VERSION}
        atomic_write_bytes(self.state_path, json.dumps(state, ensure_ascii=False).encode())
        for old in self.root.glob("*.parquet"):
            if generation not in old.name:
                old.unlink(missing_ok=True)
