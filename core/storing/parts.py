"""The per-file parts of a cache generation: Parquet tables beside a small ``state.json`` (format 4).

A warm start needs, of everything an ingest remembers per input file, only the size, modification time
and content hash of each file (to compare with ``os.stat``). The page reports, headline-list lines and
listing entries are needed by the data page, the CLI, the export and an incremental ingest, not by a first
page. So each is a Parquet file of the generation, one row per file (or per line, per entry)::

    files-<generation>.parquet         file, size, mtime_ns, sha256          read at every start
    reports-<generation>.parquet       file and the keys of PageReport.to_dict()   read when first used
    headlines-<generation>.parquet     file, line, text                            read when first used
    listings-<generation>.parquet      file and the keys of ListingEntry.to_json_dict()  (incremental)
    listing-rows-<generation>.parquet  the listing entries frame as returned, as ListingEntry.to_json_dict()

Values go in and come out as the JSON-like values the state held before (``PageReport.to_dict()``,
``[line, text]`` pairs, ``ListingEntry.to_json_dict()``), so what an ingest returns from them is what it
returned from the JSON state. Texts are Arrow ``string``; a table with a text that is not UTF-8 (a file
name with a lone surrogate) is written with every text as ``binary`` (UTF-8, surrogates passed) instead.

At a start, the files table is read and checked whole (its values are used at once); the other parts are
opened and only their footer read: the schema must be exactly as written and the row count the state's.
They stay open, so that a part read later is this generation's even when a newer generation has replaced
it meanwhile. Their values are checked when they are first read (``LazySection``): each row as
``validate_state`` checked the JSON state, and the files each part names against the files table.
Anything else raises ``CacheError``.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.errors import CacheError
from core.model import ROLES

T = TypeVar("T")

_ENTRY = [
    ("headline", pa.string()),
    ("summary", pa.string()),
    ("published_at", pa.string()),
    ("group", pa.string()),
    ("source", pa.string()),
    ("line", pa.int64()),
    ("article_id", pa.string()),
]

#: The schema of each part (the ``string`` form; see ``_binary_form``).
SCHEMAS: dict[str, pa.Schema] = {
    "files": pa.schema(
        [("file", pa.string()), ("size", pa.int64()), ("mtime_ns", pa.int64()), ("sha256", pa.string())]
    ),
    "reports": pa.schema(
        [
            ("file", pa.string()),
            ("source", pa.string()),
            ("shape", pa.string()),
            ("shape_reason", pa.string()),
            ("lines", pa.int64()),
            ("blank", pa.int64()),
            ("roles", pa.struct([(role, pa.int64()) for role in ROLES])),
            ("unknown", pa.list_(pa.struct([("line", pa.int64()), ("text", pa.string())]))),
            ("warnings", pa.list_(pa.string())),
            ("error", pa.string()),
            ("stories", pa.int64()),
            ("entries", pa.int64()),
        ]
    ),
    "headlines": pa.schema([("file", pa.string()), ("line", pa.int64()), ("text", pa.string())]),
    "listings": pa.schema([("file", pa.string()), *_ENTRY]),
    "listing-rows": pa.schema(_ENTRY),
}
PARTS: tuple[str, ...] = tuple(SCHEMAS)


def _binary_type(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_string(kind):
        return pa.binary()
    if pa.types.is_list(kind):
        return pa.list_(_binary_type(kind.value_type))
    if pa.types.is_struct(kind):
        return pa.struct([(kind.field(i).name, _binary_type(kind.field(i).type)) for i in range(kind.num_fields)])
    return kind


def _binary_form(schema: pa.Schema) -> pa.Schema:
    """``schema`` with every text as ``binary``: the form of a table holding a text that is not UTF-8."""
    return pa.schema([(field.name, _binary_type(field.type)) for field in schema])


_BINARY = {part: _binary_form(schema) for part, schema in SCHEMAS.items()}


def _each(value: Any, kind: type, convert: Callable[[Any], Any]) -> Any:
    """``value`` (a row: dicts and lists of cells) with every cell of type ``kind`` converted."""
    if isinstance(value, kind):
        return convert(value)
    if isinstance(value, dict):
        return {key: _each(item, kind, convert) for key, item in value.items()}
    if isinstance(value, list):
        return [_each(item, kind, convert) for item in value]
    return value


def _encoded(value: Any) -> Any:
    return _each(value, str, lambda text: text.encode("utf-8", "surrogatepass"))


def _decoded(value: Any) -> Any:
    return _each(value, bytes, lambda data: data.decode("utf-8", "surrogatepass"))


def part_table(part: str, rows: list[dict[str, Any]]) -> pa.Table:
    """The rows of a part (dicts of the part's columns) as a table of its schema."""
    try:
        return pa.Table.from_pylist(rows, schema=SCHEMAS[part])
    except (UnicodeEncodeError, pa.ArrowException):  # a text with a lone surrogate: every text as bytes
        return pa.Table.from_pylist([_encoded(row) for row in rows], schema=_BINARY[part])


#: The parts that hold rows by input file, which an ingest carries from one generation to the next.
FILE_PARTS: tuple[str, ...] = ("reports", "headlines", "listings")


def file_part_rows(part: str, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of the per-file part ``part`` from its values by file as the state holds them: a page
    report dict, ``[line, text]`` pairs, listing entry dicts (``ListingEntry.to_json_dict()``)."""
    if part == "reports":
        return [{"file": name, **report} for name, report in values.items()]
    if part == "headlines":
        return [{"file": name, "line": line, "text": text} for name, rows in values.items() for line, text in rows]
    return [{"file": name, **entry} for name, rows in values.items() for entry in rows]


def name_bytes(names: Iterable[str]) -> pa.Array:
    """File names as UTF-8 ``binary`` (a lone surrogate passed): comparable with either form's column."""
    return pa.array([name.encode("utf-8", "surrogatepass") for name in names], pa.binary())


def file_bytes(table: pa.Table) -> pa.ChunkedArray:
    """A part's ``file`` column as ``binary`` (either form), to compare with ``name_bytes``."""
    return table.column("file").cast(pa.binary())


class PartTables:
    """The per-file parts of a generation (``FILE_PARTS``) as tables of their schemas (either form), held
    as Arrow: an ingest after one page changed carries the other files' rows from the generation before
    by file, without a Python value per report, line or entry (at 50,000 files, making those values and
    the tables again took about a second of each incremental ingest)."""

    __slots__ = ("headlines", "listings", "reports")

    def __init__(self, reports: pa.Table, headlines: pa.Table, listings: pa.Table) -> None:
        self.reports = reports
        self.headlines = headlines
        self.listings = listings

    @classmethod
    def of(cls, values: Mapping[str, Mapping[str, Any]]) -> PartTables:
        """From Python values: part -> file -> its value as the state holds it (``file_part_rows``)."""
        return cls(*(part_table(part, file_part_rows(part, values[part])) for part in FILE_PARTS))

    @classmethod
    def empty(cls) -> PartTables:
        return cls(*(SCHEMAS[part].empty_table() for part in FILE_PARTS))

    def tables(self) -> tuple[pa.Table, pa.Table, pa.Table]:
        """The tables in the order of ``FILE_PARTS``."""
        return self.reports, self.headlines, self.listings

    def only(self, files: Iterable[str]) -> PartTables:
        """The rows of ``files`` only."""
        wanted = name_bytes(files)
        return PartTables(*(table.filter(pc.is_in(file_bytes(table), value_set=wanted)) for table in self.tables()))

    def joined(self, other: PartTables, names: Sequence[str]) -> PartTables:
        """This one's rows and ``other``'s, in the order of ``names`` (a file's rows in their order, this
        one's before ``other``'s); the rows of a file not in ``names`` are left out. A table with a text
        that is not UTF-8 makes its part's table ``binary`` throughout."""
        order = name_bytes(names)
        joined = []
        for part, mine, theirs in zip(FILE_PARTS, self.tables(), other.tables(), strict=True):
            pieces = [mine, theirs]
            if any(not piece.schema.equals(SCHEMAS[part]) for piece in pieces):
                pieces = [piece.cast(_BINARY[part]) for piece in pieces]
            both = pa.concat_tables(pieces)
            rank = pc.fill_null(pc.index_in(file_bytes(both), value_set=order), -1).to_numpy()
            rows = np.flatnonzero(rank >= 0)
            rows = rows[np.argsort(rank[rows], kind="stable")]
            joined.append(both.take(pa.array(rows)).combine_chunks())
        return PartTables(*joined)

    def report_dicts(self) -> dict[str, dict[str, Any]]:
        """Each file's page report (``PageReport.to_dict()``)."""
        return report_dicts(self.reports)

    def shapes(self, files: Iterable[str]) -> dict[str, str]:
        """The page shape of each of ``files`` (``PageReport.shape``)."""
        reports = self.only(files).reports
        return dict(zip(text_values(reports.column("file")), text_values(reports.column("shape")), strict=True))

    def headline_columns(self) -> tuple[list[str], list[int], list[str]]:
        """The headline-list lines: the file, line number and text of each."""
        table = self.headlines
        return text_values(table.column("file")), table.column("line").to_pylist(), text_values(table.column("text"))

    def headline_arrays(self) -> tuple[pa.Array, np.ndarray, pa.Array]:
        """The headline-list lines as arrays: file, line number, text (Arrow ``string``, or ``binary`` when
        the part is)."""
        table = self.headlines
        file, text = (table.column(name).combine_chunks() for name in ("file", "text"))
        return file, table.column("line").to_numpy(), text

    def listing_rows(self) -> list[dict[str, Any]]:
        """The listing entries, each ``ListingEntry.to_json_dict()`` with its ``file``."""
        return part_rows(Path("listings"), self.listings)


def report_dicts(table: pa.Table) -> dict[str, dict[str, Any]]:
    """Each file's page report (``PageReport.to_dict()``) in a reports part's table."""
    found = {}
    for row in part_rows(Path("reports"), table):
        found[row.pop("file")] = row
    return found


def write_part(path: Path, table: pa.Table) -> None:
    """Write ``table`` to ``path`` atomically (a temporary file in the folder, renamed)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def open_part(path: Path, part: str, rows: int) -> pq.ParquetFile:
    """The part file at ``path``, open, after the cheap check of a start: it exists, its footer reads, its
    schema is exactly the part's (either form) and it has ``rows`` rows. ``CacheError`` otherwise.

    The file stays open until the returned object is gone: read later (``read_opened``), it gives this
    generation's values even when a newer generation has replaced the file meanwhile."""
    try:
        handle = pa.OSFile(str(path), "rb")
        opened = pq.ParquetFile(handle)
        schema = opened.schema_arrow
        count = opened.metadata.num_rows
    except FileNotFoundError:
        raise CacheError(f"{path}: cache file missing; rebuilding") from None
    except (OSError, pa.ArrowException) as error:
        raise CacheError(f"{path}: cache file unreadable ({_one_line(error)}); rebuilding") from None
    if not (schema.equals(SCHEMAS[part]) or schema.equals(_BINARY[part])):
        raise CacheError(f"{path}: cache file not as written (columns {schema.names} of other types); rebuilding")
    if count != rows:
        raise CacheError(f"{path}: cache file not as written ({count} rows, not {rows}); rebuilding")
    return opened


def read_opened(path: Path, opened: pq.ParquetFile) -> pa.Table:
    """The whole table of a part opened by ``open_part``; ``CacheError`` if its data cannot be read."""
    try:
        return opened.read()
    except (OSError, pa.ArrowException) as error:
        raise CacheError(f"{path}: cache file unreadable ({_one_line(error)}); rebuilding") from None


def read_part(path: Path, part: str, rows: int) -> pa.Table:
    """The whole table of a part, checked as ``open_part`` does (its values are the caller's to check)."""
    return read_opened(path, open_part(path, part, rows))


def part_rows(path: Path, table: pa.Table) -> list[dict[str, Any]]:
    """The rows of a part's table as dicts, texts as ``str``."""
    rows: list[dict[str, Any]] = table.to_pylist()
    if table.schema.field(0).type == pa.binary():
        try:
            return [_decoded(row) for row in rows]
        except UnicodeDecodeError as error:
            raise CacheError(f"{path}: cache file not as written ({_one_line(error)}); rebuilding") from None
    return rows


def text_values(column: pa.ChunkedArray) -> list[Any]:
    """A text column as ``str`` values (``binary`` decoded)."""
    values: list[Any] = column.to_pylist()
    if pa.types.is_binary(column.type):
        return [None if value is None else value.decode("utf-8", "surrogatepass") for value in values]
    return values


class FileTable(Mapping[str, dict[str, Any]]):
    """The files table of a generation: file name -> ``{"size", "mtime_ns", "sha256"}``, held as columns
    (the entry dict of a file is made when it is asked for)."""

    __slots__ = ("_index", "_mtimes", "_names", "_shas", "_sizes")

    def __init__(self, names: list[str], sizes: np.ndarray, mtimes: np.ndarray, shas: list[str]) -> None:
        self._names = names
        self._sizes = sizes
        self._mtimes = mtimes
        self._shas = shas
        self._index = {name: position for position, name in enumerate(names)}

    @classmethod
    def read(cls, path: Path, rows: int) -> FileTable:
        """The files table at ``path``, its values checked: one row per file, each name once, no empty
        cell, sizes not negative, the hash a text. ``CacheError`` otherwise."""
        table = read_part(path, "files", rows)
        problem = None
        for name in ("file", "size", "mtime_ns", "sha256"):
            if table.column(name).null_count:
                problem = f"column {name} has empty cells"
        if problem is None and rows and pc.min(table.column("size")).as_py() < 0:
            problem = "a negative size"
        try:
            names = text_values(table.column("file"))
            shas = text_values(table.column("sha256"))
        except UnicodeDecodeError as error:
            problem = problem or _one_line(error)
            names, shas = [], []
        found = cls(
            names,
            table.column("size").to_numpy(),
            table.column("mtime_ns").to_numpy(),
            shas,
        )
        if problem is None and len(found._index) != len(names):
            problem = "a file twice"
        if problem:
            raise CacheError(f"{path}: cache file not as written ({problem}); rebuilding")
        return found

    @classmethod
    def carried(
        cls,
        earlier: Mapping[str, Mapping[str, Any]],
        names: Sequence[str],
        keep: Collection[str],
        changes: Mapping[str, Mapping[str, Any]],
    ) -> FileTable:
        """The files table of a new generation, in the order of ``names``: each file of ``changes`` with
        that entry, each other file of ``keep`` with its entry in ``earlier`` (a files table, or file ->
        entry), no other file. From a ``FileTable`` by column: no entry dict per file (50,000 of them, and
        the table made of them again, took 0.3-0.4 s of each incremental ingest)."""
        listed = [name for name in names if name in changes or name in keep]
        count = len(listed)
        positions: Iterable[int]  # the files whose entry is set one by one below
        if isinstance(earlier, FileTable) and len(earlier):
            places = np.array(earlier.places(listed), dtype=np.int64)
            changed = np.fromiter((name in changes for name in listed), dtype=bool, count=count)
            missing = (places < 0) & ~changed
            if missing.any():  # a kept file the earlier table does not list
                raise KeyError(listed[int(np.argmax(missing))])
            places = np.maximum(places, 0)  # a changed file's place: its values are set below
            sizes = earlier._sizes[places].astype(np.int64)
            mtimes = earlier._mtimes[places].astype(np.int64)
            shas = [earlier._shas[place] for place in places.tolist()]
            positions = np.flatnonzero(changed).tolist()  # only the changed ones (a few of 50,000)
        else:
            sizes, mtimes, shas = np.zeros(count, np.int64), np.zeros(count, np.int64), [""] * count
            positions = range(count)
        for position in positions:
            name = listed[position]
            entry = changes.get(name)
            if entry is None:
                entry = earlier[name]
            sizes[position], mtimes[position], shas[position] = entry["size"], entry["mtime_ns"], entry["sha256"]
        return cls(listed, sizes, mtimes, shas)

    def table(self) -> pa.Table:
        """The files part's table of this files table."""
        try:
            columns = [pa.array(self._names, pa.string()), self._sizes, self._mtimes, pa.array(self._shas, pa.string())]
            return pa.Table.from_arrays(columns, schema=SCHEMAS["files"])
        except (UnicodeEncodeError, pa.ArrowException):  # a name with a lone surrogate: every text as bytes
            return part_table("files", files_rows(self))

    @property
    def sizes(self) -> list[int]:
        """Each file's size, in the table's order (Python ints)."""
        return self._sizes.tolist()  # type: ignore[no-any-return]

    @property
    def mtimes(self) -> list[int]:
        """Each file's modification time in nanoseconds, in the table's order (Python ints)."""
        return self._mtimes.tolist()  # type: ignore[no-any-return]

    def places(self, names: list[str]) -> list[int]:
        """The place of each of ``names`` in the table, -1 for a name not in it."""
        index = self._index
        return [index.get(name, -1) for name in names]

    def shas(self, names: Iterable[str]) -> dict[str, str]:
        """The content hash of each of ``names`` (no entry dict made per file)."""
        index, shas = self._index, self._shas
        return {name: shas[index[name]] for name in names}

    def __getitem__(self, name: str) -> dict[str, Any]:
        position = self._index[name]
        return {
            "size": int(self._sizes[position]),
            "mtime_ns": int(self._mtimes[position]),
            "sha256": self._shas[position],
        }

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def files_rows(files: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the files table of ``files`` (name -> entry)."""
    return [{"file": name, **entry} for name, entry in files.items()]


class Deferred(Generic[T]):
    """A value made by ``load()`` the first time it is asked for, once whatever the threads (a server's
    sessions share one collection)."""

    __slots__ = ("_load", "_lock", "_value")

    def __init__(self, load: Callable[[], T]) -> None:
        self._load: Callable[[], T] | None = load
        self._lock = threading.Lock()
        self._value: T | None = None

    @classmethod
    def of(cls, value: T) -> Deferred[T]:
        made: Deferred[T] = cls(lambda: value)
        made._value, made._load = value, None
        return made

    @property
    def loaded(self) -> bool:
        return self._load is None

    def get(self) -> T:
        if self._load is None:
            return cast(T, self._value)
        with self._lock:
            load = self._load
            if load is not None:
                value = load()
                self._value, self._load = value, None
                return value
            return cast(T, self._value)


class LazySection(Mapping[str, Any]):
    """A per-file section of the state (file name -> its JSON-like value), read from its part file the
    first time it is used; ``CacheError`` then if the part is not as written."""

    __slots__ = ("_data",)

    def __init__(self, load: Callable[[], dict[str, Any]]) -> None:
        self._data = Deferred(load)

    @classmethod
    def of(cls, data: dict[str, Any]) -> LazySection:
        section = cls(lambda: data)
        section._data = Deferred.of(data)
        return section

    def load(self) -> dict[str, Any]:
        return self._data.get()

    def __getitem__(self, name: str) -> Any:
        return self._data.get()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data.get())

    def __len__(self) -> int:
        return len(self._data.get())
