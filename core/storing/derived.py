"""What is derived from a collection's article frame, stored once beside its cache and read back at start.

A server start opens files; it does not recompute. The lookups ``Collection.prepare`` needs that cost
seconds at a million stories (story threads, filter options, the rows of the theme memberships) are
written into the cache folder the first time they are computed, named by the cache generation of the
frame (``derived-<generation>.arrow`` / ``.json``), and read back by every later start of the same
generation. The cheap ones are compact views instead of Python dicts: row positions are a binary search
over the ids in sorted order (the order stored too, ``derived-<generation>.order.npy``), headlines are
read through it, and the themes of a story are a slice of the counts' theme codes by row.

Everything here is an optimisation: a missing, stale or unreadable file is computed again and rewritten
(under the cache folder's lock, only by its exclusive holder), and a folder that cannot be written (a
read-only cache) is computed in memory, never an error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from core.analysing.coded import Coded
from core.analysing.terms import TermSample
from core.analysing.threads import Links
from core.storing.cache import CacheStore, atomic_write_bytes, atomic_write_with
from core.storing.frame import arrow_backed, arrow_text

#: Bumped when a stored file's content changes meaning: older files are then recomputed.
DERIVED_VERSION = "1"
T = TypeVar("T")
_DERIVED = re.compile(r"derived-([0-9A-Za-z_-]{1,64})\.(arrow|json|terms\.json|links\.arrow|order\.npy|coded-[0-9a-f]{1,64}\.arrow|counts-[0-9a-f]{1,64}\.json)")
#: a themes key as it may appear in a file name (``Collection.themes_key``: hex digits)
_THEMES_KEY = re.compile(r"[0-9a-f]{1,64}")
#: the fields of ``Coded`` stored as arrays (the rest, ``names``, ``themes`` and ``name_codes``, are lists)
_CODED_ARRAYS = tuple(
    f.name for f in dataclasses.fields(Coded) if f.name not in ("names", "name_codes", "themes")
)
THREAD_COLUMNS = {"article_id": "string", "related": "string", "target_id": "string", "score": "float64"}


def ids_digest(frame: pd.DataFrame) -> str:
    """A digest of the ``article_id`` column in row order, from its Arrow buffers (no Python string per
    row): what a stored lookup checks it was made for."""
    array = pa.array(frame["article_id"].astype("string").fillna("").array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(pa.large_string())
    digest = hashlib.sha256(f"{DERIVED_VERSION}|{len(array)}|".encode())
    _, offsets_buffer, data_buffer = array.buffers()
    if len(array) and offsets_buffer is not None:
        offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[array.offset : array.offset + len(array) + 1]
        digest.update((offsets - offsets[0]).tobytes())
        if data_buffer is not None:
            digest.update(memoryview(data_buffer)[int(offsets[0]) : int(offsets[-1])])
    return digest.hexdigest()[:20]


class DerivedFiles:
    """The derived files of one generation of one cache folder (``folder`` None: nothing stored)."""

    def __init__(self, folder: Path | None, generation: str | None, frame: pd.DataFrame) -> None:
        self.folder = folder if generation else None
        self.generation = generation or ""
        self._frame = frame
        self._ids: str | None = None
        #: what was read back from a file instead of computed, for tests and benchmarks
        self.loaded: set[str] = set()
        #: what was updated from an earlier generation's file (only the changed stories computed)
        self.updated: set[str] = set()
        self._positions: Positions | None = None
        self._positions_lock = threading.Lock()

    @property
    def frame(self) -> pd.DataFrame:
        """The frame whose lookups these are."""
        return self._frame

    @property
    def ids(self) -> str:
        if self._ids is None:
            self._ids = ids_digest(self._frame)
        return self._ids

    def positions(self) -> Positions:
        """article_id -> row of the frame (``Positions``, over the id order stored for the generation:
        ``id_order``), made once for every lookup that asks, whatever the thread: the collection's
        positions, and whether the ids are unique for the theme memberships, the counts' codes and the story
        threads (asked of the same million ids, each ask cost 0.2-0.7 s at 1,000,000 stories)."""
        with self._positions_lock:
            if self._positions is None:
                ids = self._frame["article_id"]
                keys = id_keys(ids)
                order = None if keys is None else self.id_order(lambda: sort_order(keys))
                self._positions = Positions(ids, keys, order)
            return self._positions

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def path(self, suffix: str) -> Path:
        assert self.folder is not None
        return self.folder / f"derived-{self.generation}.{suffix}"

    # -- reading ----------------------------------------------------------------------------------
    def threads(self, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """The story threads of the frame: read from ``derived-<generation>.arrow``, else computed and
        stored."""
        if self.folder is not None:
            try:
                with pa.memory_map(str(self.path("arrow"))) as source:
                    table = pa.ipc.open_file(source).read_all()
                meta = table.schema.metadata or {}
                if meta.get(b"version") == DERIVED_VERSION.encode() and meta.get(b"ids") == self.ids.encode():
                    frame = table.to_pandas()
                    if list(frame.columns) == list(THREAD_COLUMNS):
                        self.loaded.add("threads")
                        return frame.astype(THREAD_COLUMNS)
            except (OSError, pa.ArrowException, ValueError, TypeError):
                pass
        threads = compute()
        if self.folder is not None:
            table = pa.Table.from_pandas(threads, preserve_index=False)
            table = table.replace_schema_metadata(
                {"version": DERIVED_VERSION, "ids": self.ids, "generation": self.generation}
            )
            self._write(self.path("arrow"), write_arrow_file(table))
        return threads

    def previous_links(self) -> Links | None:
        """The thread links (``core.analysing.threads.Links``) stored for another generation of this
        folder (the newest), which ``updated_thread_links`` updates; None when there are none readable."""
        if self.folder is None:
            return None
        try:
            candidates = [
                entry
                for entry in os.scandir(self.folder)
                if entry.name.endswith(".links.arrow") and entry.name != self.path("links.arrow").name
            ]
        except OSError:
            return None
        for entry in sorted(candidates, key=lambda e: e.stat().st_mtime_ns, reverse=True):
            try:
                with pa.memory_map(entry.path) as source:
                    table = pa.ipc.open_file(source).read_all()
                meta = table.schema.metadata or {}
                if meta.get(b"version") != DERIVED_VERSION.encode():
                    continue
                stored = json.loads(meta[b"best"])
                best = {
                    str(text): [(str(article_id), int(shared)) for article_id, shared in found]
                    for text, found in stored["best"].items()
                }
                ids = table.column("article_id").to_numpy(zero_copy_only=False).astype(object)
                keys = table.column("key").to_numpy()
                generation = meta.get(b"generation", b"").decode()
                return Links(ids, keys, best, frozenset(stored["complete"]), float(stored["min_score"]), generation)
            except (OSError, pa.ArrowException, ValueError, TypeError, KeyError):
                continue
        return None

    def store_links(self, links: Links | None) -> None:
        """Keep ``links`` as ``derived-<generation>.links.arrow`` (the next generation's update reads them)."""
        if self.folder is None or links is None:
            return
        best = {"best": links.best, "complete": sorted(links.complete), "min_score": links.min_score}
        table = pa.table(
            {"article_id": pa.array(links.ids, pa.string()), "key": pa.array(links.keys, pa.int64())}
        ).replace_schema_metadata(
            {"version": DERIVED_VERSION, "generation": self.generation, "best": json.dumps(best)}
        )
        self._write(self.path("links.arrow"), write_arrow_file(table))

    def options(self, compute: Callable[[], dict[str, list[str]]]) -> dict[str, list[str]]:
        """The filter options that come from the frame (``reporter``, ``section``): read from
        ``derived-<generation>.json``, else computed and stored."""

        def decode(stored: dict[str, Any]) -> dict[str, list[str]] | None:
            if not _lists_of_text(stored.get("options")):
                return None
            return {key: list(value) for key, value in stored["options"].items()}

        return self._stored_json("json", "options", decode, compute, lambda options: {"options": options})

    def terms(self, compute: Callable[[], TermSample]) -> TermSample:
        """The terms background of the frame (``core.analysing.terms.term_sample``): read from
        ``derived-<generation>.terms.json``, else computed (reading the sampled stories' text) and stored."""

        def decode(stored: dict[str, Any]) -> TermSample | None:
            if not isinstance(stored.get("frame_rows"), int) or len(stored["terms"]) != len(stored["counts"]):
                return None
            counts = pd.Series(dict(zip(stored["terms"], stored["counts"], strict=True)), dtype="float64")
            return TermSample(np.asarray(stored["rows"], dtype=np.int64), counts, stored["frame_rows"])

        def encode(sample: TermSample) -> dict[str, Any]:
            return {
                "rows": sample.rows.tolist(),
                "frame_rows": int(sample.frame_rows),
                "terms": [str(term) for term in sample.counts.index],
                "counts": sample.counts.tolist(),
            }

        return self._stored_json("terms.json", "terms", decode, compute, encode)

    def id_order(self, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The order that sorts the frame's ids (``sort_order`` of ``id_keys``): read from
        ``derived-<generation>.order.npy``, memory-mapped, else computed and stored. ``Positions`` checks
        what it is given (a permutation that sorts the ids) and sorts again when it does not."""
        if self.folder is not None:
            try:
                stored = np.load(self.path("order.npy"), mmap_mode="r", allow_pickle=False)
                if stored.dtype == np.int64 and stored.shape == (len(self._frame),):
                    self.loaded.add("order")
                    return np.asarray(stored)
            except (OSError, ValueError):
                pass
        order = compute()
        if self.folder is not None:
            buffer = io.BytesIO()
            np.save(buffer, np.ascontiguousarray(order, dtype=np.int64), allow_pickle=False)
            self._write(self.path("order.npy"), buffer.getvalue())
        return order

    def coded(self, themes_key: str, compute: Callable[[], Coded | None]) -> Coded | None:
        """The counts' integer codes (``core.analysing.coded.Coded``) of the frame and its theme
        memberships (``themes_key``, ``Collection.themes_key``): read from
        ``derived-<generation>.coded-<themes_key>.arrow``, memory-mapped (the arrays are views of the
        file: no copy, pages shared with every process that maps it), else computed and stored."""
        if self.folder is None or not _THEMES_KEY.fullmatch(themes_key):
            return compute()
        path = self.path(f"coded-{themes_key}.arrow")
        try:
            stored = _read_coded(path, self.ids, len(self._frame))
            if stored is not None:
                self.loaded.add("coded")
                return stored
        except (OSError, pa.ArrowException, ValueError, TypeError, KeyError):
            pass
        coded = compute()
        if coded is not None:
            data = write_arrow_file(_coded_table(coded, self.ids, self.generation))
            self._write(path, data, other=lambda name: name.startswith(f"derived-{self.generation}.coded-"))
        return coded

    def option_counts(
        self, themes_key: str, compute: Callable[[], dict[str, dict[str, int]]]
    ) -> dict[str, dict[str, int]]:
        """Stories per value of each list filter over the whole frame (``analytics.option_counts``), which
        depend on the theme memberships too (``themes_key``): read from
        ``derived-<generation>.counts-<themes_key>.json``, else computed and stored."""
        if not _THEMES_KEY.fullmatch(themes_key):
            return compute()

        def decode(stored: dict[str, Any]) -> dict[str, dict[str, int]] | None:
            counts = stored.get("counts")
            if not isinstance(counts, dict) or not all(
                isinstance(values, dict) and all(type(n) is int for n in values.values())
                for values in counts.values()
            ):
                return None
            return {str(key): dict(values) for key, values in counts.items()}

        prefix = f"derived-{self.generation}.counts-"
        return self._stored_json(
            f"counts-{themes_key}.json",
            "counts",
            decode,
            compute,
            lambda counts: {"counts": counts},
            other=lambda name: name.startswith(prefix),
        )

    def _stored_json(
        self,
        suffix: str,
        label: str,
        decode: Callable[[dict[str, Any]], T | None],
        compute: Callable[[], T],
        encode: Callable[[T], dict[str, Any]],
        other: Callable[[str], bool] | None = None,
    ) -> T:
        """A lookup stored as ``derived-<generation>.<suffix>``: read back (``decode`` of the stored
        object, None when it is not as written) when its version and ids are this frame's, else computed
        and stored (``encode``; then the files of this generation that ``other`` names are removed)."""
        if self.folder is not None:
            try:
                stored = json.loads(self.path(suffix).read_bytes())
                if (
                    isinstance(stored, dict)
                    and stored.get("version") == DERIVED_VERSION
                    and stored.get("ids") == self.ids
                ):
                    value = decode(stored)
                    if value is not None:
                        self.loaded.add(label)
                        return value
            except (OSError, ValueError, TypeError, KeyError):
                pass
        value = compute()
        if self.folder is not None:
            data = {"version": DERIVED_VERSION, "ids": self.ids, **encode(value)}
            self._write(self.path(suffix), json.dumps(data).encode(), other)
        return value

    # -- writing ----------------------------------------------------------------------------------
    def _write(
        self, path: Path, data: bytes | Callable[[Path], None], other: Callable[[str], bool] | None = None
    ) -> None:
        """Write one derived file (atomically) under the folder's exclusive lock, then remove the derived
        files of other generations (and those of this one that ``other`` names, but ``path``); a folder
        that cannot be written keeps what is in memory."""
        write_locked(path, data, lambda: self._tidy(other, path.name), self.is_current)

    def is_current(self) -> bool:
        """The generation is still the folder's (its articles file is there): a process still holding an
        older one neither writes its files nor removes the newer ones."""
        return self.folder is not None and (self.folder / f"articles-{self.generation}.parquet").exists()

    def _tidy(self, other: Callable[[str], bool] | None = None, keep: str = "") -> None:
        assert self.folder is not None
        try:
            for entry in os.scandir(self.folder):
                match = _DERIVED.fullmatch(entry.name)
                if not match or entry.name == keep:
                    continue
                if match.group(1) != self.generation or (other is not None and other(entry.name)):
                    os.unlink(entry.path)
        except OSError:
            pass


def _coded_table(coded: Coded, ids: str, generation: str) -> pa.Table:
    """``coded`` as an Arrow table of one row, each array one binary value of its raw bytes (its dtype in
    the schema metadata), so that a reader maps the file and views each array in place. The values are
    the arrays' own buffers (no copy: 100 MB at 1,000,000 stories)."""
    arrays = {name: np.ascontiguousarray(getattr(coded, name)) for name in _CODED_ARRAYS}
    meta = {
        "version": DERIVED_VERSION,
        "ids": ids,
        "generation": generation,
        "rows": str(len(coded.teaser)),
        "dtypes": json.dumps({name: array.dtype.str for name, array in arrays.items()}),
        "names": json.dumps(list(coded.names)),
        "themes": json.dumps(list(coded.themes)),
    }
    columns = {
        name: pa.Array.from_buffers(
            pa.large_binary(),
            1,
            [None, pa.py_buffer(np.array([0, array.nbytes], dtype=np.int64)), pa.py_buffer(array.view(np.uint8))],
        )
        for name, array in arrays.items()
    }
    return pa.table(columns).replace_schema_metadata(meta)


def write_arrow_file(table: pa.Table) -> Callable[[Path], None]:
    """A writer of ``table`` as an Arrow IPC file at a path (``write_locked``), streamed to a temporary
    file and renamed (``atomic_write_with``)."""

    def write(tmp: str) -> None:
        with pa.OSFile(tmp, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)

    return lambda path: atomic_write_with(path, write)


def _read_coded(path: Path, ids: str, rows: int) -> Coded | None:
    """The ``Coded`` of ``_coded_table`` at ``path``, its arrays read-only views of the mapped file; None
    when it was made for another frame (``ids``, ``rows``) or another version."""
    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    meta = table.schema.metadata or {}
    if meta.get(b"version") != DERIVED_VERSION.encode() or meta.get(b"ids") != ids.encode():
        return None
    if meta.get(b"rows") != str(rows).encode() or table.num_rows != 1:
        return None
    dtypes = json.loads(meta[b"dtypes"])
    if sorted(dtypes) != sorted(_CODED_ARRAYS):
        return None
    arrays = {}
    for name in _CODED_ARRAYS:
        chunks = table.column(name).chunks
        if len(chunks) != 1:  # as written; joining chunks would copy them out of the map
            return None
        chunk = chunks[0]
        data = chunk.buffers()[2]
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)[chunk.offset : chunk.offset + 2]
        view = memoryview(data)[int(offsets[0]) : int(offsets[1])] if data is not None else b""
        arrays[name] = np.frombuffer(view, dtype=np.dtype(dtypes[name]))
    names = [str(name) for name in json.loads(meta[b"names"])]
    themes = [str(theme) for theme in json.loads(meta[b"themes"])]
    if len(arrays["teaser"]) != rows or len(arrays["theme_starts"]) != rows + 1:
        return None
    return Coded(
        **arrays, names=names, name_codes={name: code for code, name in enumerate(names)}, themes=themes
    )


def write_locked(
    path: Path,
    data: bytes | Callable[[Path], None],
    then: Callable[[], None] | None = None,
    guard: Callable[[], bool] | None = None,
) -> bool:
    """Write ``path`` in a cache folder (``atomic_write_bytes``, or ``data(path)`` for a writer of its own)
    holding the folder's exclusive lock (``CacheStore.lock``), then ``then()``; nothing when the lock is
    only shared or none (a read-only cache), ``guard()`` is false or the write fails. Returns whether it
    was written."""
    store = CacheStore(path.parent)
    try:
        with store.lock() as lock:
            if not lock.exclusive or (guard is not None and not guard()):
                return False
            if callable(data):
                data(path)
            else:
                atomic_write_bytes(path, data)
            if then is not None:
                then()
            return True
    except OSError:
        return False


def _lists_of_text(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
        for k, v in value.items()
    )


# -- compact lookups ------------------------------------------------------------------------------------


#: Ids longer than this (in UTF-8 bytes) are looked up through a pandas ``Index`` (``Positions``).
MAX_KEY_BYTES = 64


def id_keys(ids: pd.Series) -> np.ndarray | None:
    """The ``article_id`` column as one NumPy array of fixed-width byte strings viewing its Arrow buffer
    (no copy, no Python string per id), when every id has the same UTF-8 length (1 to ``MAX_KEY_BYTES``
    bytes) and none holds a NUL byte (NumPy drops trailing NULs when it compares); else None."""
    array = arrow_text(ids) if len(ids) else None  # the column's buffers, no copy
    if array is None or array.null_count:
        return None
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    kind = np.int32 if pa.types.is_string(array.type) else np.int64
    offsets = np.frombuffer(array.buffers()[1], dtype=kind)[array.offset : array.offset + len(array) + 1]
    width = int(offsets[1] - offsets[0])
    if not 0 < width <= MAX_KEY_BYTES or int(offsets[-1] - offsets[0]) != width * len(array):
        return None
    if len(array) > 1 and not (np.diff(offsets) == width).all():
        return None
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]
    if not data.all():  # a NUL byte
        return None
    return data.view(f"S{width}")


def sort_order(keys: np.ndarray) -> np.ndarray:
    """The positions that sort ``keys`` (``id_keys``): what ``Positions`` looks ids up in, stored per
    cache generation (``DerivedFiles.id_order``)."""
    return np.argsort(keys, kind="stable").astype(np.int64)


class Positions(Mapping[str, int]):
    """article_id -> row position. When the ids are of one width (``id_keys``: the ingest's ids are), a
    binary search over the ids in sorted order (``order``: ``sort_order`` of the keys, stored per cache
    generation, else computed), with no Python string per story; otherwise over a pandas ``Index`` of the
    id column (its hash table built in C on first use). When an id is on several rows, the last row wins,
    as in a dict built row by row."""

    def __init__(self, ids: pd.Series, keys: np.ndarray | None = None, order: np.ndarray | None = None) -> None:
        self._ids = ids
        self._sorted: np.ndarray | None = None
        self._order: np.ndarray | None = None
        self._index: pd.Index | None = None
        self._last: dict[str, int] | None = None
        if keys is not None and len(keys) == len(ids):
            ordered = _permuted(keys, order)
            if ordered is None or not _increasing(ordered):  # not given, or not an order that sorts them
                order = sort_order(keys)
                ordered = keys[order]
            if _increasing(ordered):  # sorted, each id once
                self._sorted, self._order = ordered, np.asarray(order, dtype=np.int64)
                return
        self._index = pd.Index(ids.astype(str).to_numpy(dtype=object), dtype=object)
        if not self._index.is_unique:
            self._last = {str(i): n for n, i in enumerate(self._index)}

    @property
    def unique(self) -> bool:
        """Whether every id is on one row."""
        return self._last is None

    def ids_at(self, rows: np.ndarray) -> list[str]:
        """The ids of the rows at ``rows``."""
        return [str(i) for i in self._ids.iloc[rows].tolist()]

    def _search(self, keys: np.ndarray) -> np.ndarray:
        """The rows of ``keys`` (bytes of the sorted array's width), -1 for one not there."""
        assert self._sorted is not None and self._order is not None
        at = np.searchsorted(self._sorted, keys)
        inside = at < len(self._sorted)
        found = np.zeros(len(keys), dtype=bool)
        found[inside] = self._sorted[at[inside]] == keys[inside]
        return np.where(found, self._order[np.minimum(at, len(self._order) - 1)], -1)

    def _encoded(self, values: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``values`` as bytes of the sorted array's width, and which of them have that width."""
        assert self._sorted is not None
        width = self._sorted.dtype.itemsize
        encoded = [value.encode("utf-8", "surrogatepass") for value in values]
        fits = np.fromiter((len(e) == width and b"\0" not in e for e in encoded), dtype=bool, count=len(encoded))
        return np.array([e if f else b"" for e, f in zip(encoded, fits.tolist(), strict=True)], dtype=f"S{width}"), fits

    def __getitem__(self, key: str) -> int:
        if not isinstance(key, str):
            raise KeyError(key)
        if self._sorted is not None:
            keys, fits = self._encoded([key])
            row = int(self._search(keys)[0]) if fits[0] else -1
            if row < 0:
                raise KeyError(key)
            return row
        if self._last is not None:
            return self._last[key]
        assert self._index is not None
        location = self._index.get_loc(key)
        assert isinstance(location, int)
        return location

    def get_indexer(self, ids: Any) -> np.ndarray:
        """Row positions of many ids at once (-1 for an id not in the frame)."""
        values = pd.Series(ids).astype(str).tolist()
        if self._sorted is not None:
            keys, fits = self._encoded(values)
            return np.where(fits, self._search(keys), -1).astype(np.int64)
        if self._last is not None:
            last = self._last
            return np.fromiter((last.get(i, -1) for i in values), dtype=np.int64, count=len(values))
        assert self._index is not None
        return np.asarray(self._index.get_indexer(pd.Index(values, dtype=object)), dtype=np.int64)

    def __iter__(self) -> Iterator[str]:
        if self._last is not None:
            return iter(self._last)
        return (str(i) for i in self._ids.tolist())

    def __len__(self) -> int:
        return len(self._last) if self._last is not None else len(self._ids)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self[key]
        except KeyError:
            return False
        return True


def _permuted(keys: np.ndarray, order: np.ndarray | None) -> np.ndarray | None:
    """``keys`` in ``order`` when ``order`` is a permutation of their rows, else None."""
    if order is None or order.ndim != 1 or len(order) != len(keys) or not np.issubdtype(order.dtype, np.integer):
        return None
    if len(order) and (order.min() < 0 or order.max() >= len(keys)):
        return None
    seen = np.zeros(len(keys), dtype=bool)
    seen[order] = True
    return keys[order] if seen.all() else None


def _increasing(ordered: np.ndarray) -> bool:
    """Whether ``ordered`` is strictly increasing (sorted, no value twice)."""
    return len(ordered) < 2 or bool((ordered[1:] > ordered[:-1]).all())


class ColumnById(Mapping[str, str]):
    """article_id -> one text column's value (headlines), read through ``Positions``. The values stay in
    one Arrow array, each turned into a Python string when asked for (100,000 headlines as Python strings
    held 14.5 MB); a column with a missing value is held as Python objects, as before (its ``nan``)."""

    def __init__(self, positions: Positions, values: pd.Series) -> None:
        self._positions = positions
        text = values.astype(str)
        arrow = pa.array(text.array) if arrow_backed(text) else None  # the column's buffers, no copy
        self._arrow: pa.Array | None = arrow if arrow is not None and arrow.null_count == 0 else None
        self._values: np.ndarray | None = None if self._arrow is not None else text.to_numpy(dtype=object)

    def __getitem__(self, key: str) -> str:
        row = self._positions[key]
        if self._arrow is not None:
            return str(self._arrow[row].as_py())
        assert self._values is not None
        return str(self._values[row])

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)


class ThemesByArticle(Mapping[str, list[str]]):
    """article_id -> slugs of its themes in membership order (the themes file's order), with no Python list
    per story until one is asked for. Read from the counts' codes (``Coded``: each story's theme codes by
    row, stored per generation) when they hold every membership and ``slugs`` (the themes in file order)
    names each of their themes once; else from the memberships grouped by story row (``member_rows``)."""

    def __init__(
        self,
        memberships: pd.DataFrame,
        member_rows: np.ndarray,
        positions: Positions,
        coded: Coded | None = None,
        slugs: list[str] | None = None,
    ) -> None:
        self._positions = positions
        self._member_rows = member_rows
        self._keys: list[str] | None = None
        self._fallback: dict[str, list[str]] | None = None
        self._coded: Coded | None = None
        if not bool((member_rows >= 0).all()) or not positions.unique:
            # an id the frame lacks (or an id on several rows): as ``themes_of`` builds it
            fallback: dict[str, list[str]] = {}
            for article_id, slug in zip(memberships["article_id"], memberships["theme"], strict=True):
                fallback.setdefault(str(article_id), []).append(str(slug))
            self._fallback = fallback
            return
        if coded is not None and slugs is not None and self._of_coded(coded, slugs, len(memberships)):
            return
        order = np.argsort(member_rows, kind="stable")
        self._rows = member_rows[order]
        # each membership's theme as a code into the few slugs (not a Python string per membership: 240,000
        # of them took 14 MB at 100,000 stories); a missing slug reads "nan", as ``astype(str)`` gave it
        codes, names = pd.factorize(memberships["theme"], use_na_sentinel=True)
        self._names = [*(str(s) for s in pd.Series(names).astype(str).to_numpy(dtype=object)), "nan"]
        self._codes = np.where(codes < 0, len(self._names) - 1, codes).astype(np.int32)[order]

    def _of_coded(self, coded: Coded, slugs: list[str], memberships: int) -> bool:
        """Use ``coded``'s theme codes when they are the memberships (one per story and theme, none
        missing) and their themes are among ``slugs``, each once."""
        rank = {slug: n for n, slug in enumerate(slugs)}
        if len(rank) != len(slugs) or len(coded.theme_rows) != memberships or not set(coded.themes) <= rank.keys():
            return False
        self._coded = coded
        self._names = list(coded.themes)
        self._rank = np.array([rank[slug] for slug in coded.themes], dtype=np.int64)
        return True

    def __getitem__(self, key: str) -> list[str]:
        if self._fallback is not None:
            return self._fallback[key]
        row = self._positions.get(key)
        if row is None:
            raise KeyError(key)
        names = self._names
        if self._coded is not None:
            starts = self._coded.theme_starts
            codes = self._coded.theme_codes[starts[row] : starts[row + 1]]
            if not len(codes):
                raise KeyError(key)
            return [names[code] for code in codes[np.argsort(self._rank[codes], kind="stable")].tolist()]
        start, end = np.searchsorted(self._rows, [row, row + 1])
        if start == end:
            raise KeyError(key)
        return [names[code] for code in self._codes[start:end].tolist()]

    def _story_keys(self) -> list[str]:
        """The ids of the stories with a theme, in first-appearance order (as a dict filled membership by
        membership has them); made when first asked for."""
        if self._keys is None:
            first = np.unique(self._member_rows, return_index=True)[1]
            self._keys = self._positions.ids_at(self._member_rows[np.sort(first)])
        return self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._fallback) if self._fallback is not None else iter(self._story_keys())

    def __len__(self) -> int:
        if self._fallback is not None:
            return len(self._fallback)
        if self._coded is not None:
            return int(np.count_nonzero(np.diff(self._coded.theme_starts)))
        return len(self._story_keys())


__all__ = [
    "DERIVED_VERSION",
    "MAX_KEY_BYTES",
    "ColumnById",
    "DerivedFiles",
    "Positions",
    "ThemesByArticle",
    "id_keys",
    "ids_digest",
    "sort_order",
    "write_locked",
]
