"""The store: the one narrow interface through which the dashboard, the CLI and the analytics reach the
stored stories, whatever lies on disk behind it.

``open_store`` opens (ingesting what changed first) and returns a ``Store``; today that is a
``core.storing.collection.Collection`` over one cache folder (Parquet frames, the mapped text file,
the FTS5 index, stored theme memberships and lookups; docs/cache.md). The interface:

- ``select(filters)``: a boolean mask over the stories that pass the filters;
- ``columns(names)``: the compact columns for filtering, counting and charts, for every story;
- ``text(rows, names)``: the text columns of the given rows only, read from disk;
- ``rows(rows)`` and ``batches(mask, size)``: whole stories for given rows, or streamed in batches (exports);
- ``update_store(store)``: read the inputs again; only changed files are parsed, and only their index
  rows and theme memberships are redone.

A store built elsewhere (a dataset written by a cluster) fits behind the same interface.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from core.storing.collection import Collection, Filters, open_collection
from core.storing.ingest import Progress
from core.storing.text import TEXT_COLUMNS


@runtime_checkable
class Store(Protocol):
    """What every part of the project may ask of the stored stories."""

    def select(self, filters: Filters) -> np.ndarray: ...

    def columns(self, names: Sequence[str] | None = None) -> pd.DataFrame: ...

    def text(self, rows: Sequence[int] | np.ndarray, names: Sequence[str] = TEXT_COLUMNS) -> pd.DataFrame: ...

    def rows(self, rows: Sequence[int] | np.ndarray) -> pd.DataFrame: ...

    def batches(self, mask: np.ndarray, size: int = 5_000) -> Iterator[pd.DataFrame]: ...


def open_store(
    inputs: Sequence[str | Path],
    *,
    cache_dir: Path | None = None,
    themes_file: Path | None = None,
    progress: Progress | None = None,
    use_cache: bool = True,
) -> Collection:
    """The store of ``inputs``: ingested through the cache (only changed files parsed), then opened."""
    return open_collection(
        list(inputs), cache_dir=cache_dir, themes_file=themes_file, progress=progress, use_cache=use_cache
    )


def update_store(store: Collection, *, progress: Progress | None = None) -> Collection:
    """The store of the same inputs read again (after pages changed on disk), through the same cache."""
    root = store.corpus.cache_root
    return open_store(
        store.inputs,
        cache_dir=root.parent if root is not None else None,
        themes_file=store.book.path,
        progress=progress,
        use_cache=root is not None,
    )


__all__ = ["Store", "open_store", "update_store"]
