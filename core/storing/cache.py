"""The on-disk cache: Parquet files and a JSON state under ``data/cache/``.

Layout of one cache folder (one per set of inputs; ``docs/cache.md``)::

    <key>.lock                     beside the folder: the lock concurrent ingests take turns on
    <key>/state.json               the generation, the row count of each file, what the merge did and
                                   the sums of the page reports (format 4: a few hundred bytes)
    <key>/files-<generation>.parquet     each input file's size, mtime and sha256 (read at every start)
    <key>/reports-… headlines-… listings-… listing-rows-<generation>.parquet
                                         the page reports, headline lists and listing entries
                                         (``core.storing.parts``; read when first used)
    <key>/segment-<key>.parquet          every story as read from the files of one segment of the inputs,
                                         before de-duplication (``core.storing.segments``), kept from one
                                         generation to the next while its files are unchanged
    <key>/articles-<generation>.parquet  the merged article frame the dashboard loads, but its text
    <key>/text-<generation>.arrow        its text columns and content hashes, memory-mapped on read; after
                                         an incremental ingest only the new stories', the rest read from
                                         runs of earlier generations' files the state names
                                         (``core.storing.text.TextLayout``)

Every write goes to a temporary file that is then renamed over the target, and ``state.json`` is written
last, so a process killed midway leaves the previous generation complete and in use. Only the holder of
the exclusive lock writes, and it removes what a killed writer left (temporary files, a generation the
state never named) first. Everything read is validated (the state's shape, each frame's columns, types and
row count): a file that cannot be read or is not as written raises ``CacheError``; the caller rebuilds.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from core.config import DATA_DIR
from core.errors import CacheError
from core.model import COLUMNS, LIST_COLUMNS, PARSER_VERSION, ROLES, holdable
from core.parsing.report import ReportColumns
from core.storing.frame import (
    ARROW_LIST,
    ARROW_LIST_COLUMNS,
    ARROW_THREADS,
    arrow_table,
    as_list,
    conform,
    dictionary_codes,
    empty_frame,
)
from core.storing.parts import (
    FILE_PARTS,
    PARTS,
    Deferred,
    FileTable,
    LazySection,
    PartTables,
    file_part_rows,
    files_rows,
    name_bytes,
    open_part,
    part_rows,
    part_table,
    read_opened,
    text_values,
    write_part,
)
from core.storing.removal import remove_later
from core.storing.segments import Segment
from core.storing.text import (
    MAPPED_COLUMNS,
    TextLayout,
    attach_text,
    hashes_of,
    open_layout,
    write_text,
    write_text_after,
)

#: 2: the state records the row count of each frame (``rows``); 3: each generation has its text file;
#: 4: the per-file parts of the state are Parquet files of the generation (``core.storing.parts``);
#: 5: the records are segments of input files (``core.storing.segments``), listed in the state;
#: 6: the articles file leaves out the text columns (the text file holds them); 7: and the columns shown
#: story by story (``core.storing.text.SHOWN_COLUMNS``), which the text file holds too.
CACHE_FORMAT = 7
#: Formats of earlier versions: their cache is rebuilt without a warning, like one of another parser.
OLDER_FORMATS = frozenset({1, 2, 3, 4, 5, 6})

#: A temporary file in a cache folder that no ingest wrote (the search index, the theme memberships,
#: written after the ingest and outside its lock) is removed once it is this old.
STALE_SECONDS = 3600

#: Columns of the articles file: the article columns but those of the text file (``MAPPED_COLUMNS``: the
#: text and the columns only shown story by story).
ARTICLE_FILE_COLUMNS: dict[str, str] = {name: kind for name, kind in COLUMNS.items() if name not in MAPPED_COLUMNS}
#: Columns of the records frame: the article columns and the file each story was read from.
RECORD_COLUMNS: dict[str, str] = {**COLUMNS, "_file": "string"}
#: Columns a story always has; a null in one of them is a damaged file (the others may be null).
REQUIRED_COLUMNS = frozenset(
    {
        "article_id",
        "section",
        "byline",
        "headline",
        "body",
        "headline_inferred",
        "paragraphs",
        "word_count",
        "teaser",
        "truncated",
        "_file",
    }
)

#: The files of a generation's catalog memo (``CacheStore.write_catalog``).
CATALOG_PARTS = ("stories", "words", "keys", "map", "fresh", "entries")

_GENERATION = re.compile(r"[0-9A-Za-z_-]{1,64}")
_SEGMENT_KEY = re.compile(r"[0-9a-f]{24}")
# The temporary files of the ingest's own writes (``atomic_write_*`` of the state and the two frames).
_PARQUET_FILES = "records|articles|files|reports|headlines|listings|listing-rows|segment"
_OWN_TEMPORARY = re.compile(rf"\.(state\.json|({_PARQUET_FILES})-[^/]*\.parquet)\..*\.tmp")
_FRAME_FILE = re.compile(r"(records|articles|files|reports|headlines|listings|listing-rows)-(.+)\.parquet|(text)-(.+)\.arrow")
_SEGMENT_FILE = re.compile(r"segment-(.+)\.parquet")
_CATALOG_FILE = re.compile(rf"catalog-(.+)\.(?:{'|'.join(CATALOG_PARTS)})\.arrow")


def text_in_memory() -> bool:
    """``CAIXIN_TEXT_IN_MEMORY=1``: read the story text file into memory instead of mapping it, and hash
    every story for the index, as before the text file existed (``bench/bench_scale.py`` measures both
    ways)."""
    return os.environ.get("CAIXIN_TEXT_IN_MEMORY", "").strip().lower() in ("1", "true", "yes", "on")


def segment_context(config: str) -> str:
    """What a segment's records depend on besides its files (``core.storing.segments.segment_key``): the
    cache format, the parser and the reporters file (its fingerprint ``config``)."""
    return f"format {CACHE_FORMAT}, parser {PARSER_VERSION}, reporters {config}"


def default_cache_dir() -> Path:
    """``$CAIXIN_CACHE`` if set, else ``data/cache`` in the project."""
    return Path(os.environ.get("CAIXIN_CACHE") or DATA_DIR / "cache")


def cache_key(inputs: Iterable[str]) -> str:
    """One folder per set of inputs, so two collections never overwrite each other's cache."""
    # realpath, not Path.resolve: a symlink loop among the inputs is reported by the reader, not raised here
    joined = "\n".join(sorted(os.path.realpath(i) for i in inputs))
    return hashlib.sha256(os.fsencode(joined)).hexdigest()[:16]  # a name that is not UTF-8: its own bytes


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    atomic_write_with(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_with(path: Path, write: Callable[[str], object]) -> None:
    """Write ``path`` by ``write(temporary path)`` (a file in the same folder: a writer that streams, such
    as Arrow's or Parquet's, needs no copy of the whole file in memory), synced to disk, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: Columns written plain (no dictionary, compression or statistics) where a frame has them: each value
#: nearly its own (a story's id, its time), a dictionary built then given up and zstd cost more than they
#: save. The articles file at 1,000,000 stories: 0.15 and 0.07 s of its 0.64 s write (0.03 and 0.01 s
#: plain), 14 of its 19 MB (28 plain), read in 0.05 s less.
PLAIN_COLUMNS = frozenset({"article_id", "published_at"})


def parquet_options(
    table: pa.Table,
    plain: Collection[str] = PLAIN_COLUMNS,
    delta: Collection[str] = (),
    dictionary: Collection[str] | None = None,
    statistics: bool = True,
) -> dict[str, Any]:
    """``pq.write_table``'s options for ``table``: zstd, dictionaries (only of the columns ``dictionary``
    when given) and statistics, but for the columns ``plain`` (none of the three) and ``delta`` (integers,
    delta-encoded, no dictionary). The options name Parquet's leaf columns (``authors.list.element``).
    ``statistics=False``: none at all, for a file no reader checks by them (the segments' are checked
    for empty cells): the smallest and largest of a million texts cost 15 % of the articles file's write,
    and a third of the memberships file's."""
    leaves = _leaf_paths(table.schema)
    tops = {leaf: leaf.split(".")[0] for leaf in leaves}
    if not any(tops[leaf] in plain or tops[leaf] in delta for leaf in leaves) and dictionary is None and statistics:
        return {"compression": "zstd"}
    coded = [leaf for leaf in leaves if tops[leaf] not in plain and tops[leaf] not in delta]
    return {
        "compression": {leaf: "none" if tops[leaf] in plain else "zstd" for leaf in leaves},
        "use_dictionary": coded if dictionary is None else [leaf for leaf in coded if tops[leaf] in dictionary],
        "write_statistics": [leaf for leaf in leaves if tops[leaf] not in plain] if statistics else False,
        "column_encoding": {leaf: "DELTA_BINARY_PACKED" for leaf in leaves if tops[leaf] in delta},
    }


def _leaf_paths(schema: pa.Schema) -> list[str]:
    """The Parquet leaf columns of ``schema``, as a file written with it names them."""
    sink = pa.BufferOutputStream()
    pq.write_table(schema.empty_table(), sink)
    written = pq.read_metadata(pa.BufferReader(sink.getvalue())).schema
    return [written.column(i).path for i in range(len(written))]


def atomic_write_parquet(path: Path, frame: pd.DataFrame, statistics: bool = True) -> None:
    """``frame`` as a Parquet file (``parquet_options``) at ``path``, through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        table = arrow_table(frame)
        pq.write_table(table, tmp, **parquet_options(table, statistics=statistics))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_frame(path: Path) -> pd.DataFrame:
    """Read a cached frame; list columns come back as Python lists. ``CacheError`` if unreadable."""
    return _read_frame(path)[0]


def read_memberships(path: Path) -> pd.DataFrame:
    """A stored theme memberships file (``themes-<key>.parquet``) as a frame, its ``theme`` and ``evidence``
    columns read as dictionaries (pandas categoricals: no Python or Arrow string per membership).
    ``CacheError`` if unreadable."""
    try:
        names = pq.read_schema(path).names
        table = pq.read_table(path, read_dictionary=[n for n in ("theme", "evidence") if n in names])
        return table.to_pandas(types_mapper=_STRING_TYPES.get)
    except (OSError, pa.ArrowException) as error:
        raise CacheError(f"{path}: cache file unreadable ({_one_line(error)}); rebuilding") from None


#: Arrow text types read as pandas' Arrow-backed strings (no Python string per value).
_STRING_TYPES = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}


def _read_frame(
    path: Path,
    schema: Mapping[str, str] | None = None,
    rows: int | None = None,
    files: Collection[str] | None = None,
    skip: Collection[str] = (),
    arrow_lists: Collection[str] = (),
) -> tuple[pd.DataFrame, bool]:
    """The frame, and whether every list column came back as lists of ``str`` (no nulls anywhere); the
    list columns named in ``arrow_lists`` stay Arrow lists when they hold lists of ``str`` only.

    With ``schema`` (column -> dtype of ``core.model.COLUMNS``) the file must have exactly those columns,
    of Arrow types that are those dtypes, no null where a story always has a value, ``rows`` rows and, with
    ``files``, only stories of those files in ``_file``; else ``CacheError``. Columns in ``skip`` are
    checked in the file's schema but not read.
    """
    table = _read_table(path, schema, rows, skip)
    if schema is not None and files is not None:
        _check_files(path, table, files)
    return _table_frame(table, arrow_lists)


def _read_table(
    path: Path, schema: Mapping[str, str] | None, rows: int | None, skip: Collection[str] = (), threads: bool = True
) -> pa.Table:
    """The Arrow table of a cached frame, checked as ``_read_frame`` says (but for ``_file``). A small file
    (a segment of the records) is read without threads, which cost more than they save there."""
    meta: pq.FileMetaData | None = None
    try:
        if threads:
            file_names = pq.read_schema(path).names if skip else []
            _no_skipped_missing(path, schema, skip, file_names)
            table = pq.read_table(path, columns=[n for n in file_names if n not in skip] if skip else None)
        else:  # one open of the file: its footer gives the columns, the skipped ones' types and statistics
            with pq.ParquetFile(path) as opened:
                meta = opened.metadata
                file_names = opened.schema_arrow.names if skip else []
                _no_skipped_missing(path, schema, skip, file_names)
                columns = [n for n in file_names if n not in skip] if skip else None
                table = opened.read(columns=columns, use_threads=False)
    except (OSError, pa.ArrowException) as error:
        raise CacheError(f"{path}: cache file unreadable ({_one_line(error)}); rebuilding") from None
    if schema is not None:
        problem = _skipped_problem(path, schema, skip, meta) if skip else None
        schema = {name: dtype for name, dtype in schema.items() if name not in skip}
        problem = problem or _schema_problem(table, schema, rows)
        if problem:
            raise CacheError(f"{path}: cache file not as written ({problem}); rebuilding")
    return table


def _check_files(path: Path, table: pa.Table, files: Collection[str]) -> None:
    """``CacheError`` when a record of ``table`` names a file not in ``files``."""
    if table.num_rows:
        _no_strays(path, pc.unique(table.column("_file")).to_pylist(), files)


def _no_strays(path: Path, distinct: list[str | None], files: Collection[str]) -> None:
    """``CacheError`` when one of the ``distinct`` files of a table's records is not in ``files``."""
    strays = set(distinct).difference(files)
    if strays:
        problem = f"stories of {len(strays)} file(s) the state does not list"
        raise CacheError(f"{path}: cache file not as written ({problem}); rebuilding")


def _no_skipped_missing(path: Path, schema: Mapping[str, str] | None, skip: Collection[str], names: list[str]) -> None:
    """``CacheError`` when a column checked but not read (``skip``) is not in the file (``names``)."""
    if skip and schema is not None and not set(skip) <= set(names):
        missing = ", ".join(sorted(set(skip) - set(names)))
        raise CacheError(f"{path}: cache file not as written (no column {missing}); rebuilding")


def _check_segment_files(path: Path, table: pa.Table, files: Collection[str], place_of: Mapping[str, int], last: int) -> int:
    """``CacheError`` when a record of the segment ``table`` names a file not in ``files``, or unless its
    records are in the order of the files table (``place_of``: ``_file_places``) and begin with a file
    after ``last`` (the place of the previous segment's last file: the records of one file are in one
    segment); returns the place of its last file. The segment's few distinct file names (one dictionary
    of its ``_file`` column, made once for both checks) are looked up, not each record's."""
    if not table.num_rows:
        return last
    encoded = pc.dictionary_encode(table.column("_file").combine_chunks())
    distinct = encoded.dictionary.to_pylist()
    # a record of no file counts as a stray too, as ``unique`` of the column lists the null
    _no_strays(path, distinct + [None] if encoded.null_count else distinct, files)
    lookup = np.array([place_of.get(name, -1) for name in distinct] + [-1], dtype=np.int64)
    places = lookup[encoded.indices.fill_null(len(lookup) - 1).to_numpy(zero_copy_only=False)]
    if places[0] <= last or (len(places) > 1 and (np.diff(places) < 0).any()):
        raise CacheError(f"{path}: cache file not as written (records out of the files' order); rebuilding")
    return int(places[-1])


def _file_places(state: Mapping[str, Any]) -> dict[str, int]:
    """Each name of the state's files table -> its place (the first, for a name listed twice), as
    ``_check_order`` takes them: a name that is not UTF-8 has no records (``core.storing.ingest``)."""
    places: dict[str, int] = {}
    for place, name in enumerate(state["files"]):
        if _is_utf8(name):
            places.setdefault(name, place)
    return places


def _records_frame(table: pa.Table) -> pd.DataFrame:
    """Checked records as a frame whose list cells are lists of ``str``."""
    frame, clean = _table_frame(table)
    if not clean:
        for name in LIST_COLUMNS:
            if name in frame:
                frame[name] = frame[name].map(as_list).astype(object)
    return frame


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: List columns whose values repeat across stories (a reporter's name, a contact line, a related headline, a
#: coverage link): their lists share one Python string per distinct value. 100,000 stories hold 277,000
#: such values but 1,035 distinct ones: 18 MB of strings, for 0.03 CPU s more at a warm start. ``sources``
#: (one address per story) are as many strings as before.
SHARED_VALUES = frozenset({"authors", "contacts", "related", "coverage_links"})


def _python_lists(column: pa.ChunkedArray, shared: bool) -> list[Any]:
    """A list column as Python lists (``to_pylist``); with ``shared``, the equal strings of its lists are
    one object (the same lists, compared by value)."""
    plain: list[Any]
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not shared or array.null_count or not pa.types.is_list(array.type):
        plain = column.to_pylist()
        return plain
    flat = array.flatten()
    if flat.null_count or not (pa.types.is_string(flat.type) or pa.types.is_large_string(flat.type)):
        plain = column.to_pylist()
        return plain
    codes, distinct = dictionary_codes(flat)
    items = distinct[codes].tolist()
    offsets = array.offsets.to_numpy()
    bounds = (offsets - offsets[0]).tolist()
    return [items[start:stop] for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]


def _table_frame(table: pa.Table, arrow_lists: Collection[str] = ()) -> tuple[pd.DataFrame, bool]:
    """A checked table as a frame (list columns as Python lists, but those named in ``arrow_lists``: kept
    as Arrow lists, ``ARROW_LIST``), and whether every list column held lists of ``str`` only."""
    names = [name for name in LIST_COLUMNS if name in table.column_names]
    clean = all(_only_strings(table.column(name)) for name in names)
    lists: dict[str, Any] = {}
    for name in names:
        column = table.column(name)
        if name in arrow_lists and clean and column.null_count == 0:
            lists[name] = pd.arrays.ArrowExtensionArray(column.cast(ARROW_LIST.pyarrow_dtype))
        else:
            lists[name] = pd.Series(_python_lists(column, name in SHARED_VALUES), dtype=object).array
    table = table.drop_columns(names)
    frame = table.to_pandas()
    for name, values in lists.items():
        frame[name] = pd.Series(values, index=frame.index)
    return frame, clean


def _skipped_problem(
    path: Path, schema: Mapping[str, str], skip: Collection[str], meta: pq.FileMetaData | None = None
) -> str | None:
    """What is wrong with the columns of ``path`` that are checked but not read: their type in the
    file's schema, and empty cells where a story always has a value (from the row groups' statistics).
    ``meta``: the file's footer, when read already."""
    if meta is None:
        meta = pq.ParquetFile(path).metadata
    arrow = meta.schema.to_arrow_schema()
    for name in skip:
        kind = arrow.field(name).type
        if not _holds(kind, schema[name], name in LIST_COLUMNS):
            return f"column {name} is {kind}, not {schema[name]}"
        if name in REQUIRED_COLUMNS:
            column = meta.schema.names.index(name) if name in meta.schema.names else -1
            for group in range(meta.num_row_groups):
                stats = meta.row_group(group).column(column).statistics if column >= 0 else None
                if stats is not None and stats.has_null_count and stats.null_count:
                    return f"column {name} has empty cells"
    return None


def _schema_problem(table: pa.Table, schema: Mapping[str, str], rows: int | None) -> str | None:
    """What makes ``table`` other than a frame of ``schema`` with ``rows`` rows, or None."""
    names = table.column_names
    missing = [name for name in schema if name not in names]
    if missing:
        return f"no column {', '.join(missing)}"
    extra = [name for name in names if name not in schema]
    if extra:
        return f"unknown column {', '.join(extra)}"
    if len(set(names)) != len(names):
        return "a column twice"
    for name, dtype in schema.items():
        kind = table.schema.field(name).type
        if not _holds(kind, dtype, name in LIST_COLUMNS):
            return f"column {name} is {kind}, not {dtype}"
        if name in REQUIRED_COLUMNS and table.column(name).null_count:
            return f"column {name} has empty cells"
    if rows is not None and table.num_rows != rows:
        return f"{table.num_rows} rows where the state has {rows}"
    return None


def _holds(kind: pa.DataType, dtype: str, is_list: bool) -> bool:
    """Whether an Arrow column of type ``kind`` is what ``conform`` makes a column of ``dtype`` from."""
    if pa.types.is_null(kind):  # a column with no value at all (no rows, or every cell empty)
        return True
    if is_list:
        if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
            return False
        value = kind.value_type
        return bool(pa.types.is_string(value) or pa.types.is_large_string(value) or pa.types.is_null(value))
    if dtype == "string":
        return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))
    if dtype.startswith("datetime64"):
        return bool(pa.types.is_timestamp(kind) and kind.tz is not None)
    if dtype == "bool":
        return bool(pa.types.is_boolean(kind))
    if dtype == "int32":
        return bool(pa.types.is_int32(kind))
    if dtype == "float64":
        return bool(pa.types.is_float64(kind))
    return False


def _only_strings(column: pa.ChunkedArray) -> bool:
    """A list-of-string column with no null list and no null item."""
    kind = column.type
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
        return False
    if not (pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)):
        return False
    return column.null_count == 0 and all(chunk.values.null_count == 0 for chunk in column.chunks)


def _one_line(error: BaseException | str) -> str:
    return " ".join(str(error).split())


# -- the state's shape ----------------------------------------------------------------------------------
#
# Each check takes a value and its place in the state as a tuple of keys, made into text only for the
# message of a value that fails (formatting every place cost more than the checks themselves).

_Place = tuple[Any, ...]


class _Bad(Exception):
    """A state that is not as written: the message names the key."""


def _place(where: _Place) -> str:
    parts = []
    for key in where[1:]:
        text = repr(key) if not isinstance(key, str) or len(key) <= 60 else repr("…" + key[-59:])
        parts.append(f"[{text}]")
    return str(where[0]) + "".join(parts)


def _fail(where: _Place, value: Any, wanted: str) -> _Bad:
    return _Bad(f"{_place(where)} is {type(value).__name__}, not {wanted}")


def _dict(value: Any, where: _Place) -> dict[str, Any]:
    if type(value) is not dict:
        raise _fail(where, value, "an object")
    return value


def _list(value: Any, where: _Place) -> list[Any]:
    if type(value) is not list:
        raise _fail(where, value, "a list")
    return value


def _count(value: Any, where: _Place) -> None:
    if type(value) is not int or value < 0:  # ``type``, not ``isinstance``: a bool is no count
        raise _fail(where, value, "a count")


def _integer(value: Any, where: _Place) -> None:
    if type(value) is not int:
        raise _fail(where, value, "an integer")


def _text(value: Any, where: _Place) -> None:
    if type(value) is not str:
        raise _fail(where, value, "text")


def _text_or_none(value: Any, where: _Place) -> None:
    if value is not None and type(value) is not str:
        raise _fail(where, value, "text or null")


def _fields(value: Any, where: _Place, checks: Mapping[str, Callable[[Any, _Place], object]]) -> None:
    data = _dict(value, where)
    for key, check in checks.items():
        if key not in data:
            raise _Bad(f"{_place(where)} has no {key!r}")
        check(data[key], (*where, key))


_FILE_FIELDS: dict[str, Callable[[Any, _Place], object]] = {
    "size": _count,
    "mtime_ns": _integer,
    "sha256": _text,
}


def _check_roles(value: Any, where: _Place) -> None:
    for role, count in _dict(value, where).items():
        if type(count) is not int or count < 0:
            _count(count, (*where, role))


def _check_unknown(value: Any, where: _Place) -> None:
    rows = _list(value, where)
    if all(
        type(row) is dict
        and type(row.get("line")) is int
        and row["line"] >= 0
        and type(row.get("text")) is str
        for row in rows
    ):
        return  # the usual case, in one pass; the loop below names the first row that is not
    for number, row in enumerate(rows):
        _fields(row, (*where, number), {"line": _count, "text": _text})


def _check_texts(value: Any, where: _Place) -> None:
    for number, text in enumerate(_list(value, where)):
        if type(text) is not str:
            _text(text, (*where, number))


_REPORT_FIELDS: dict[str, Callable[[Any, _Place], object]] = {
    "source": _text,
    "shape": _text,
    "shape_reason": _text,
    "lines": _count,
    "blank": _count,
    "roles": _check_roles,
    "unknown": _check_unknown,
    "warnings": _check_texts,
    "error": _text_or_none,
    "stories": _count,
    "entries": _count,
}


def _check_time(value: Any, where: _Place) -> None:
    if value is None:
        return
    _text(value, where)
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(f"{_place(where)} is no ISO 8601 time") from None
    if stamp.tzinfo is None:
        raise _Bad(f"{_place(where)} has no time zone")
    if not holdable(stamp):
        raise _Bad(f"{_place(where)} is a time no record can hold")


_ENTRY_FIELDS: dict[str, Callable[[Any, _Place], object]] = {
    "headline": _text,
    "summary": _text,
    "published_at": _check_time,
    "group": _text,
    "source": _text,
    "line": _count,
    "article_id": _text_or_none,
}


def _check_entries(value: Any, where: _Place) -> None:
    """A list of ``ListingEntry.to_json_dict()``."""
    for number, row in enumerate(_list(value, where)):
        _fields(row, (*where, number), _ENTRY_FIELDS)


def _check_merges(value: Any, where: _Place) -> None:
    for name, canonical in _dict(value, where).items():
        _text(canonical, (*where, name))


def _check_generation(value: Any, where: _Place) -> None:
    if type(value) is not str or not _GENERATION.fullmatch(value):
        raise _fail(where, value, "a generation name")


def _check_rows(value: Any, where: _Place) -> None:
    _fields(value, where, {name: _count for name in ("records", "articles", *PARTS)})


def _check_segments(value: Any, where: _Place) -> None:
    for number, segment in enumerate(_list(value, where)):
        place = (*where, number)
        if type(segment) is not list or len(segment) != 2:
            raise _fail(place, segment, "a [key, rows] pair")
        if type(segment[0]) is not str or not _SEGMENT_KEY.fullmatch(segment[0]):
            raise _fail((*place, 0), segment[0], "a segment key")
        _count(segment[1], (*place, 1))


def _in_generation(frame: re.Match[str], generation: str | None, layout: TextLayout | None) -> bool:
    """Whether the frame file ``frame`` (``_FRAME_FILE``) is one of ``generation``: its own, or a text
    file of an earlier generation its ``layout`` reads runs of."""
    if frame.group(3):
        return layout is not None and frame.group(4) in layout.files
    return frame.group(2) == generation


def _check_text(value: Any, where: _Place) -> None:
    """The optional ``text`` of a state (``core.storing.text.TextLayout``): its files' row counts and its
    runs; that they fit together is checked against the articles' row count in ``validate_state``."""
    _fields(value, where, {"files": _dict, "runs": _list})
    for name, rows in value["files"].items():
        _check_generation(name, (*where, "files"))
        _count(rows, (*where, "files", name))
    for number, run in enumerate(value["runs"]):
        place = (*where, "runs", number)
        if type(run) is not list or len(run) != 3 or type(run[0]) is not str:
            raise _fail(place, run, "a [generation, start, stop] run")
        _count(run[1], (*place, 1))
        _count(run[2], (*place, 2))


def _check_summary(value: Any, where: _Place) -> None:
    _fields(value, where, {"lines": _count, "blank": _count, "roles": _check_roles, "errors": _check_merges})


_STATE_FIELDS: dict[str, Callable[[Any, _Place], object]] = {
    "generation": _check_generation,
    "config": _text,
    "parser": _text,
    "duplicates_merged": _count,
    "reporter_merges": _check_merges,
    "rows": _check_rows,
    "segments": _check_segments,
    "summary": _check_summary,
}
#: The keys of ``state.json`` (the rest of the state is in the generation's part files).
STATE_KEYS: tuple[str, ...] = ("format", *_STATE_FIELDS)
#: Keys a state may have: ``text`` where the generation's text is runs of several files.
OPTIONAL_STATE_KEYS: tuple[str, ...] = ("text",)


def validate_state(state: Any) -> None:
    """Raise ``ValueError`` naming the first key of ``state`` (the decoded ``state.json``) that is not as
    ``ingest`` writes it: every key, with the type of its value. The per-file parts are checked by
    ``CacheStore.load_state`` (their schemas) and when they are read (their values)."""
    try:
        _fields(state, ("state",), _STATE_FIELDS)
        segments = state["segments"]
        if sum(rows for _, rows in segments) != state["rows"]["records"]:
            raise _Bad("state['segments'] do not add up to the records' row count")
        if len({key for key, _ in segments}) != len(segments):
            raise _Bad("state['segments'] names a segment twice")
        if "text" in state:
            _check_text(state["text"], ("state", "text"))
            problem = TextLayout.of_state(state).problem(state["rows"]["articles"])
            if problem:
                raise _Bad(f"state['text'] does not fit: {problem}")
    except _Bad as problem:
        raise ValueError(str(problem)) from None


def summarise_reports(reports: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The figures of the page reports a first page shows without reading them: the line accounting's
    sums and the error of each file that has one."""
    roles = dict.fromkeys(ROLES, 0)
    lines = blank = 0
    errors: dict[str, str] = {}
    for name, report in reports.items():
        lines += report["lines"]
        blank += report["blank"]
        for role, count in report["roles"].items():
            roles[role] = roles.get(role, 0) + count
        if report["error"]:
            errors[name] = report["error"]
    return {"lines": lines, "blank": blank, "roles": roles, "errors": errors}


def summary_moved(
    previous: Mapping[str, Any],
    gone: Mapping[str, Mapping[str, Any]],
    fresh: Mapping[str, Mapping[str, Any]],
    names: Sequence[str],
) -> dict[str, Any]:
    """``summarise_reports`` of a generation's reports from the ``previous`` generation's summary: the
    reports of ``gone`` files (changed or removed) taken out, those of ``fresh`` files (changed or new)
    added, the errors in the order of ``names``. Summing 50,000 reports again took 0.8 s of an ingest
    after one page changed."""
    roles = dict(previous["roles"])
    lines, blank = int(previous["lines"]), int(previous["blank"])
    errors = dict(previous["errors"])
    for sign, reports in ((-1, gone), (1, fresh)):
        for name, report in reports.items():
            lines += sign * report["lines"]
            blank += sign * report["blank"]
            for role, count in report["roles"].items():
                roles[role] = roles.get(role, 0) + sign * count
            errors.pop(name, None)
            if sign > 0 and report["error"]:
                errors[name] = report["error"]
    return {
        "lines": lines,
        "blank": blank,
        "roles": {role: count for role, count in roles.items() if role in ROLES or count},
        "errors": {name: errors[name] for name in names if name in errors},
    }


def _bad_part(path: Path, problem: str) -> CacheError:
    return CacheError(f"{path}: cache file not as written ({problem}); rebuilding")


def _by_file(
    path: Path, rows: list[dict[str, Any]], files: Collection[str], check: Callable[[dict[str, Any], _Place], None]
) -> dict[str, list[dict[str, Any]]]:
    """The rows of a part grouped by their ``file`` (in order), each checked; every file one of ``files``."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    try:
        for number, row in enumerate(rows):
            name = row.pop("file")
            if name not in files:
                raise _Bad(f"row {number} names a file the files table does not list")
            check(row, (path.name, name, number))
            grouped.setdefault(name, []).append(row)
    except _Bad as problem:
        raise _bad_part(path, str(problem)) from None
    return grouped


def _check_report(row: dict[str, Any], where: _Place) -> None:
    _fields(row, where, _REPORT_FIELDS)


def _check_entry(row: dict[str, Any], where: _Place) -> None:
    _fields(row, where, _ENTRY_FIELDS)


def _no_check(row: dict[str, Any], where: _Place) -> None:
    """For rows whose values were checked by column already (``_reports_sound``)."""


def _counts_sound(column: pa.Array | pa.ChunkedArray) -> bool:
    """No empty cell and no negative value in an integer column."""
    return column.null_count == 0 and (len(column) == 0 or pc.min(column).as_py() >= 0)


def _reports_sound(table: pa.Table) -> bool:
    """Whether every row of a reports part passes ``_check_report``, found by column (a per-row check of
    50,000 reports took 0.24-0.27 s of each incremental ingest). The part's schema is checked already
    (``open_part``), so the types are; what is left is empty cells and negative counts. False also for the
    ``binary`` form: the rows are then checked one by one, as they are when this finds a fault (that check
    names the first bad row)."""
    if not pa.types.is_string(table.schema.field("source").type):
        return False
    if any(table.column(name).null_count for name in ("source", "shape", "shape_reason", "roles", "unknown", "warnings")):
        return False
    if not all(_counts_sound(table.column(name)) for name in ("lines", "blank", "stories", "entries")):
        return False
    # ``flatten``: each field's values as the struct's rows (its offset applied), unlike ``field``
    if not all(_counts_sound(role) for role in table.column("roles").combine_chunks().flatten()):
        return False
    unknown = pc.list_flatten(table.column("unknown")).combine_chunks()
    line, text = unknown.flatten()  # the fields of SCHEMAS["reports"]: line, text
    if unknown.null_count or text.null_count or not _counts_sound(line):
        return False
    return bool(pc.list_flatten(table.column("warnings")).null_count == 0)


def _reports(path: Path, opened: pq.ParquetFile, files: FileTable) -> dict[str, Any]:
    """The page report of each file (``PageReport.to_dict()``), from the reports part."""
    table = read_opened(path, opened)
    check = _no_check if _reports_sound(table) else _check_report
    grouped = _by_file(path, part_rows(path, table), files, check)
    if len(grouped) != len(files) or any(len(reports) != 1 for reports in grouped.values()):
        raise _bad_part(path, "not one report for each file of the files table")
    return {name: grouped[name][0] for name in files}


#: The columns of the reports part ``report_columns`` reads.
_REPORT_COLUMNS = ["file", "source", "shape", "stories", "lines", "roles", "unknown", "warnings", "error"]


def report_columns(path: Path, opened: pq.ParquetFile, names: Sequence[str]) -> ReportColumns | None:
    """What the reports part says of the pages ``names`` (in that order), read by column: no
    ``PageReport`` per page. None when the part stores its texts as bytes or does not hold each of
    ``names`` once (the page reports are read instead); ``CacheError`` when a value is not as written
    (an empty cell, a negative count)."""
    try:
        table = opened.read(columns=_REPORT_COLUMNS)
    except (OSError, pa.ArrowException) as error:
        raise CacheError(f"{path}: cache file unreadable ({_one_line(error)}); rebuilding") from None
    if not pa.types.is_string(table.schema.field("file").type):
        return None
    unknown = pc.list_flatten(table.column("unknown"))
    warnings = pc.list_flatten(table.column("warnings"))
    roles = [pc.struct_field(table.column("roles"), role) for role in ROLES]
    cells = [table.column(name) for name in _REPORT_COLUMNS if name != "error"]
    cells += [*roles, pc.struct_field(unknown, "line"), pc.struct_field(unknown, "text"), warnings]
    if any(cell.null_count for cell in cells):
        raise _bad_part(path, "an empty cell")
    counts = [table.column("stories"), table.column("lines"), *roles, pc.struct_field(unknown, "line")]
    if any(len(count) and pc.min(count).as_py() < 0 for count in counts):
        raise _bad_part(path, "a negative count")
    files = pd.Index(table.column("file").to_pylist())
    if not files.is_unique:
        raise _bad_part(path, "not one report for each file of the files table")
    order = files.get_indexer(list(names))
    if (order < 0).any():
        return None
    table = table.take(pa.array(order))
    unknown_list = table.column("unknown")
    sources = table.column("source")
    pages = pd.DataFrame(
        {
            "source": sources.to_pylist(),
            "shape": table.column("shape").to_pylist(),
            "stories": table.column("stories").to_numpy(),
            "lines": table.column("lines").to_numpy(),
            "unknown": pc.struct_field(table.column("roles"), "unknown").to_numpy(),
            "warnings": pc.list_value_length(table.column("warnings")).to_numpy(),
            "error": table.column("error").to_pylist(),
        }
    )
    flat = pc.list_flatten(unknown_list)
    lines = pd.DataFrame(
        {
            "source": pc.take(sources, pc.list_parent_indices(unknown_list)).to_pylist(),
            "line": pc.struct_field(flat, "line").to_numpy(),
            "text": pc.struct_field(flat, "text").to_pylist(),
        },
        columns=["source", "line", "text"],
    )
    return ReportColumns.typed(pages, lines, pc.list_flatten(table.column("warnings")).to_pylist())


def _check_headlines(path: Path, table: pa.Table) -> None:
    """The headline-list part's values checked by column: no empty cell, no negative line, texts that
    decode (``binary`` ones: a ``string`` column is UTF-8 when read)."""
    lines = table.column("line")
    for name in ("file", "line", "text"):
        if table.column(name).null_count:
            raise _bad_part(path, f"column {name} has empty cells")
    if len(lines) and pc.min(lines).as_py() < 0:
        raise _bad_part(path, "a negative line number")
    try:
        for name in ("file", "text"):
            if pa.types.is_binary(table.column(name).type):
                text_values(table.column(name))
    except UnicodeDecodeError as error:
        raise _bad_part(path, _one_line(error)) from None


def _headlines(path: Path, opened: pq.ParquetFile, files: FileTable) -> dict[str, Any]:
    """The headline-list lines of each file that has some, as ``[line, text]`` pairs. Checked by column
    (a collection has lines by the ten thousand, and a dict per line cost ten times more)."""
    table = read_opened(path, opened)
    _check_headlines(path, table)
    lines = table.column("line")
    names, texts = text_values(table.column("file")), text_values(table.column("text"))
    grouped: dict[str, list[list[Any]]] = {}
    for name, line, text in zip(names, lines.to_pylist(), texts, strict=True):
        if name not in files:
            raise _bad_part(path, "a row names a file the files table does not list")
        grouped.setdefault(name, []).append([line, text])
    return grouped


def _part_tables(opened: Mapping[str, tuple[Path, pq.ParquetFile]], files: FileTable) -> PartTables:
    """The per-file parts as tables, checked as when they are read as values: by column where that is
    enough (``_reports_sound``, ``_check_headlines``), by row otherwise (the listing entries, whose times
    are parsed); every row names a file of the files table, and each file has one report."""
    tables = {part: read_opened(*opened[part]) for part in FILE_PARTS}
    known = name_bytes(files)
    for part, table in tables.items():
        column = table.column("file")
        if column.null_count:
            raise _bad_part(opened[part][0], "column file has empty cells")
        if len(column) and not pc.all(pc.is_in(column.cast(pa.binary()), value_set=known)).as_py():
            raise _bad_part(opened[part][0], "a row names a file the files table does not list")
    path, reports = opened["reports"][0], tables["reports"]
    if len(reports) != len(files) or pc.count_distinct(reports.column("file")).as_py() != len(files):
        raise _bad_part(path, "not one report for each file of the files table")
    if not _reports_sound(reports):
        _by_file(path, part_rows(path, reports), files, _check_report)
    _check_headlines(opened["headlines"][0], tables["headlines"])
    path = opened["listings"][0]
    _by_file(path, part_rows(path, tables["listings"]), files, _check_entry)
    return PartTables(tables["reports"], tables["headlines"], tables["listings"])


def _listings(path: Path, opened: pq.ParquetFile, files: FileTable) -> dict[str, Any]:
    """The listing entries of each file that has some (``ListingEntry.to_json_dict()``)."""
    return _by_file(path, part_rows(path, read_opened(path, opened)), files, _check_entry)


def _listing_rows(path: Path, opened: pq.ParquetFile) -> list[dict[str, Any]]:
    """The listing entries frame as returned, as ``ListingEntry.to_json_dict()`` rows."""
    entries = part_rows(path, read_opened(path, opened))
    try:
        _check_entries(entries, (path.name,))
    except _Bad as problem:
        raise _bad_part(path, str(problem)) from None
    return entries


# -- the lock -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CacheLock:
    """The lock an ingest holds on a cache folder: ``exclusive`` (it may write and tidy the folder), or
    shared or none at all, when the lock file cannot be opened for writing (``note`` says why)."""

    exclusive: bool
    note: str = ""


# -- the store ------------------------------------------------------------------------------------------


class CacheStore:
    """The cache folder of one set of inputs."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    @property
    def lock_path(self) -> Path:
        """Beside the folder, not in it: the folder holds only what the state names."""
        return self.root.parent / f"{self.root.name}.lock"

    def segment_path(self, key: str) -> Path:
        """The records of one segment of input files (``core.storing.segments``)."""
        return self.root / f"segment-{key}.parquet"

    def segment_paths(self, state: Mapping[str, Any]) -> list[Path]:
        """The segment files of ``state``'s records, in order."""
        return [self.segment_path(key) for key, _ in state["segments"]]

    def articles_path(self, generation: str) -> Path:
        return self.root / f"articles-{generation}.parquet"

    @contextmanager
    def lock(self) -> Iterator[CacheLock]:
        """Take the folder's lock (``fcntl.flock`` on ``lock_path``), waiting for another holder.

        Exclusive when the lock file can be opened for writing: an ingest that may write takes turns with
        every other one. When it cannot (a read-only cache folder, another owner), a lock file that can be
        read is locked shared: this process only reads, and waits for a writer to finish its generation.
        When the lock file cannot be opened at all (there is none, and none can be made), the folder is
        read without a lock. Only an exclusive holder may write.
        """
        fd, note = self._writable_lock()
        exclusive = fd is not None
        if fd is None:
            try:
                fd = os.open(self.lock_path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                fd = None
        if fd is None:
            yield CacheLock(False, note)
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            except OSError as error:  # a file system without locks: read, but never write
                exclusive, note = False, f"lock file {self.lock_path} cannot be locked ({error.strerror})"
            try:
                yield CacheLock(exclusive, note)
            finally:
                # unlocked explicitly: a process forked meanwhile may share the open file
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _writable_lock(self) -> tuple[int | None, str]:
        """The lock file opened for writing (created when missing, with the folders above it), or None and
        why it cannot be."""
        try:
            self.root.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass  # then the lock file cannot be created either; said below
        try:
            return os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666), ""
        except OSError as error:
            return None, f"lock file {self.lock_path} not writable ({error.strerror or error})"

    def write_problem(self) -> str:
        """Why an ingest could not write this folder (``lock`` could not take the exclusive lock: its lock
        file cannot be opened for writing), or "" when it could. Does not wait for another holder."""
        fd, note = self._writable_lock()
        if fd is not None:
            os.close(fd)
        return note

    def tidy(self, state: dict[str, Any] | None) -> None:
        """Remove what a writer killed midway left: its temporary files and any generation other than
        the state's. Only under the exclusive lock, when no other ingest can be writing. Temporary files
        of other writers (the search index, the theme memberships) are removed once ``STALE_SECONDS``
        old."""
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return
        generation = state["generation"] if state else None
        layout = TextLayout.of_state(state) if state else None
        segments = {key for key, _ in state["segments"]} if state else set()
        now = time.time()
        for entry in entries:
            name = entry.name
            frame = _FRAME_FILE.fullmatch(name)
            segment = _SEGMENT_FILE.fullmatch(name)
            try:
                if (
                    _OWN_TEMPORARY.fullmatch(name)
                    or (frame and not _in_generation(frame, generation, layout))
                    or (segment and segment.group(1) not in segments)
                ):
                    os.unlink(entry.path)
                elif name.startswith(".") and ".tmp" in name and now - entry.stat().st_mtime > STALE_SECONDS:
                    os.unlink(entry.path)
            except OSError:
                pass  # gone already, or not ours to remove; the next ingest tries again

    def part_path(self, part: str, generation: str) -> Path:
        """The Parquet file of one per-file part of a generation (``core.storing.parts``)."""
        return self.root / f"{part}-{generation}.parquet"

    def load_state(self) -> dict[str, Any] | None:
        """The state of the last complete write, or ``None`` when there is none (or one of an earlier
        cache format, rebuilt quietly).

        ``state.json`` is read and checked, the files table of its generation read and checked, and of
        the other part files only their schema and row count (``core.storing.parts.open_part``, which
        keeps them open: read later, they are this generation's even if a newer one replaced them); the
        state's ``reports``, ``headlines``, ``listings`` (file name -> the JSON-like value it had in
        format 3) and ``listing_rows`` (a ``Deferred`` list) read their part when first used, and raise
        ``CacheError`` then if it is not as written.

        Raises ``CacheError`` when the state exists but is corrupt, of another shape than ingest writes
        (``validate_state``), from an unknown cache format, or names part files that are missing or not
        as written.
        """
        try:
            raw = self.state_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise CacheError(f"{self.state_path}: cannot be read ({error}); rebuilding") from None
        try:
            state = json.loads(raw)
            if isinstance(state, dict) and state.get("format") in OLDER_FORMATS:
                return None
            if not isinstance(state, dict) or state.get("format") != CACHE_FORMAT:
                raise ValueError("unknown cache format")
            validate_state(state)
        except (ValueError, RecursionError) as error:
            raise CacheError(
                f"{self.state_path}: corrupt cache state ({_one_line(error)}); rebuilding"
            ) from None
        generation, rows = state["generation"], state["rows"]
        files = FileTable.read(self.part_path("files", generation), rows["files"])
        opened = {
            part: (self.part_path(part, generation), open_part(self.part_path(part, generation), part, rows[part]))
            for part in PARTS[1:]
        }
        if any(name not in files for name in state["summary"]["errors"]):
            raise CacheError(
                f"{self.state_path}: corrupt cache state (summary names a file not in the files table); rebuilding"
            )
        return {
            **state,
            "files": files,
            "reports": LazySection(lambda: _reports(*opened["reports"], files)),
            "report_columns": lambda names: report_columns(*opened["reports"], names),
            "headlines": LazySection(lambda: _headlines(*opened["headlines"], files)),
            "listings": LazySection(lambda: _listings(*opened["listings"], files)),
            "listing_rows": Deferred(lambda: _listing_rows(*opened["listing-rows"])),
            "part_tables": lambda: _part_tables(opened, files),
        }

    def part_tables(self, state: Mapping[str, Any]) -> PartTables:
        """The per-file parts of ``state`` as tables (``PartTables``), their values checked as when they
        are read as values: ``CacheError`` if one is not as written."""
        read = state.get("part_tables")
        if read is not None:
            return read()  # type: ignore[no-any-return]
        return PartTables.of({part: state[part] for part in FILE_PARTS})

    def is_current(self, state: dict[str, Any], config: str) -> bool:
        return bool(state.get("parser") == PARSER_VERSION and state.get("config") == config)

    def text_path(self, generation: str) -> Path:
        return self.root / f"text-{generation}.arrow"

    def open_text(self, state: Mapping[str, Any], mapped: bool = True) -> pa.Table:
        """The text of the state's generation (``core.storing.text.open_layout``)."""
        return open_layout(self.text_path, TextLayout.of_state(state), state["rows"]["articles"], mapped)

    def read_articles(self, state: dict[str, Any]) -> tuple[pd.DataFrame, np.ndarray | None]:
        """The article frame of the state's generation and the content hash of each story: every column
        but the text read from the Parquet articles file (which holds no other), the text mapped from the
        text file (``core.storing.text``), so a story's body is read from disk when something reads it.

        With ``CAIXIN_TEXT_IN_MEMORY=1`` (the loading path from before the text file, for comparison) the
        text file is read into memory instead of mapped, and the hashes are None: the index hashes every
        story, as it did then."""
        generation, rows = state["generation"], state["rows"]["articles"]
        in_memory = text_in_memory()
        text = self.open_text(state, mapped=not in_memory)
        frame, clean = _read_frame(
            self.articles_path(generation), ARTICLE_FILE_COLUMNS, rows, arrow_lists=ARROW_LIST_COLUMNS
        )
        frame = attach_text(frame, text, list(COLUMNS))
        # lists just built are not copied again
        return conform(frame, fresh_lists=clean), None if in_memory else hashes_of(text)

    def read_records(self, state: dict[str, Any]) -> pd.DataFrame:
        """The records; their list cells are always lists of ``str`` (``ingest`` hands them on uncopied).
        Every record names a file of the state."""
        tables = []
        names = _file_places(state)
        last = -1  # the place in the files table of the file of the last record so far
        known = set(state["files"])
        for key, rows in state["segments"]:
            path = self.segment_path(key)
            table = _read_table(path, RECORD_COLUMNS, rows, threads=False)
            last = _check_segment_files(path, table, known, names, last)
            tables.append(table)
        if not tables:
            return empty_frame().assign(_file=pd.Series(dtype="string"))
        # a column without a value in one segment is of the null type there (the ingest joins the chunks
        # of each text column once, after it has put the records in input order)
        return _records_frame(pa.concat_tables(tables, promote_options="permissive"))

    def check_segments(self, state: dict[str, Any]) -> None:
        """Check every segment of the state as ``read_records`` does (the schema, from the file's footer
        where not read; the row count; the files of its records and their order), reading only the
        ``_file`` column: ``CacheError`` if one is not as written. An ingest that reads only some of the
        segments (``core.storing.remerge``) still finds a damaged one, and rebuilds."""
        names, known = _file_places(state), set(state["files"])
        skip = [name for name in RECORD_COLUMNS if name != "_file"]
        last = -1
        for key, rows in state["segments"]:
            path = self.segment_path(key)
            table = _read_table(path, RECORD_COLUMNS, rows, skip, threads=False)
            last = _check_segment_files(path, table, known, names, last)

    def read_segments(self, state: dict[str, Any], numbers: Iterable[int]) -> dict[int, pd.DataFrame]:
        """Some of the state's segments of records (their places in ``state["segments"]``), each checked as
        ``read_records`` checks it (its schema, row count, files and their order); ``CacheError`` if one is
        not as written. Their list cells are lists of ``str``."""
        names, known = _file_places(state), set(state["files"])
        frames = {}
        for number in sorted(set(numbers)):
            key, rows = state["segments"][number]
            path = self.segment_path(key)
            table = _read_table(path, RECORD_COLUMNS, rows, threads=False)
            _check_segment_files(path, table, known, names, -1)
            frames[number] = _records_frame(table)
        return frames

    def merge_path(self, generation: str) -> Path:
        """What the merge of ``generation`` leaves for the next ingest (``core.storing.remerge``)."""
        return self.root / f"merge-{generation}.npz"

    def read_merge(self, generation: str) -> dict[str, np.ndarray] | None:
        """The arrays of the merge memo of ``generation``; None when missing or unreadable."""
        try:
            with np.load(self.merge_path(generation), allow_pickle=False) as opened:
                return {name: np.asarray(opened[name]) for name in opened.files}
        except (OSError, ValueError, EOFError, KeyError):
            return None

    def write_merge(self, generation: str, arrays: Mapping[str, np.ndarray]) -> None:
        """Write the merge memo of ``generation`` (temporary file and rename), then remove those of other
        generations. Only under the exclusive lock."""
        self._write_numpy(self.merge_path(generation), "merge-*.npz", lambda h: np.savez(h, allow_pickle=False, **arrays))

    def catalog_path(self, generation: str, part: str) -> Path:
        """One of the files of the generation's catalog memo (``core.storing.rematch``)."""
        return self.root / f"catalog-{generation}.{part}.arrow"

    def read_catalog(self, generation: str) -> dict[str, pa.Table] | None:
        """The tables of the generation's catalog memo, memory-mapped; None when one is missing or cannot
        be read (the catalog is then matched in full)."""
        tables: dict[str, pa.Table] = {}
        for part in CATALOG_PARTS:
            try:
                tables[part] = ipc.open_file(pa.memory_map(str(self.catalog_path(generation, part)))).read_all()
            except (OSError, pa.ArrowException):
                return None
        return tables

    def write_catalog(
        self, generation: str, tables: Mapping[str, pa.Table], same_as: Mapping[str, str] | None = None
    ) -> None:
        """Write the catalog memo of ``generation`` (Arrow IPC files, each through a temporary file and a
        rename). Only under the exclusive lock. The memos of other generations are removed once the state
        names this one (``write``), in a thread.

        ``same_as``: parts whose table is, as it is, the one in the memo file of another generation (read
        from it in this ingest): that file is linked, not written again (written when it cannot be linked)."""
        for part in CATALOG_PARTS:
            path = self.catalog_path(generation, part)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{path.name}.", suffix=".tmp")
            os.close(fd)
            try:
                source = (same_as or {}).get(part)
                if source is not None and self._linked(self.catalog_path(source, part), tmp):
                    os.replace(tmp, path)
                    continue
                with pa.OSFile(tmp, "wb") as sink, ipc.new_file(sink, tables[part].schema) as writer:
                    writer.write_table(tables[part])
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    @staticmethod
    def _linked(source: Path, tmp: str) -> bool:
        """Has ``tmp`` (an empty temporary file) been made a hard link of ``source``?"""
        try:
            os.unlink(tmp)
            os.link(source, tmp)
        except OSError:
            Path(tmp).touch()  # written instead, as any other part
            return False
        return True

    def bodies_path(self, generation: str) -> Path:
        """The hash of each record's body (``core.storing.search.body_hashes``), in the records' order."""
        return self.root / f"bodies-{generation}.npy"

    def read_bodies(self, generation: str, rows: int) -> np.ndarray | None:
        """The records' body hashes of ``generation``; None when missing, unreadable or not one per row."""
        try:
            hashes = np.load(self.bodies_path(generation), mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return None
        if hashes.dtype != np.uint64 or hashes.shape != (rows,):
            return None
        return np.asarray(hashes)

    def write_bodies(self, generation: str, hashes: np.ndarray) -> None:
        """Write the records' body hashes of ``generation`` (temporary file and rename), then remove those
        of other generations. Only under the exclusive lock."""
        values = np.ascontiguousarray(hashes, dtype=np.uint64)
        self._write_numpy(self.bodies_path(generation), "bodies-*.npy", lambda h: np.save(h, values, allow_pickle=False))

    def _write_numpy(self, path: Path, pattern: str, write: Callable[[IO[bytes]], None]) -> None:
        """``write`` into a temporary file renamed to ``path``, then remove the files of ``pattern`` (those
        of other generations)."""
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for old in self.root.glob(pattern):
            if old.name != path.name:
                old.unlink(missing_ok=True)

    def write_state(self, state: dict[str, Any]) -> None:
        """Rewrite the files table and the state of the current generation (file times changed, content
        did not): its frames, its other parts and every file derived from them stay as they are. Only
        under the exclusive lock."""
        generation = state["generation"]
        write_part(self.part_path("files", generation), part_table("files", files_rows(state["files"])))
        small = {key: state[key] for key in STATE_KEYS if key != "format"}
        small.update({key: state[key] for key in OPTIONAL_STATE_KEYS if key in state})
        atomic_write_bytes(self.state_path, json.dumps({"format": CACHE_FORMAT, **small}).encode())

    def write_articles(self, generation: str, articles: pd.DataFrame) -> None:
        """The articles file of ``generation``: every column but those of the text file (compressing the
        text into the articles file too was most of the write). Only under the exclusive lock."""
        self.root.mkdir(parents=True, exist_ok=True)
        # no statistics: the articles file is read whole, and checked by its values
        atomic_write_parquet(
            self.articles_path(generation), articles.drop(columns=list(MAPPED_COLUMNS)), statistics=False
        )

    def write(
        self,
        state: dict[str, Any],
        records: pd.DataFrame | Mapping[str, pd.DataFrame],
        segments: Sequence[Segment],
        articles: pd.DataFrame,
        hashes: np.ndarray,
        kept: Collection[str] = (),
        text_from: tuple[TextLayout, np.ndarray] | None = None,
        also: Callable[[], None] | None = None,
        articles_written: Future[None] | None = None,
    ) -> TextLayout:
        """Write a new generation (the segments of the records, articles, the articles' text file with
        ``hashes``, their content hashes, and the part files of the state's per-file sections), then the
        state that points at it, then drop older generations and the segments the state does not list.
        Returns where the generation's text is.

        ``text_from`` is the previous generation's text layout and, for each story, its row there when its
        text columns and content hash are the same, -1 when not: the text file then holds only the others
        and the state names runs of the previous files (``core.storing.text.write_text_after``), which are
        kept.

        ``segments`` cut ``records`` (``core.storing.segments.plan_segments``); a segment whose key is in
        ``kept`` (the previous generation's, read by this ingest) is already on disk and not written again.
        ``records`` may instead be the rows of each segment to write, by key (an ingest that merged only
        the stories its changed files touch has no other records in memory).

        ``state`` holds ``files``, ``reports``, ``headlines`` and ``listings`` (file name -> entry, page
        report dict, ``[line, text]`` pairs, listing entry dicts, as the JSON state of format 3 did; or,
        for the last three, the part's table itself, as ``PartTables`` holds it) and ``listing_rows``
        (entry dicts); they go to the part files, the rest to ``state.json``.
        ``also`` writes more of the generation (what the next ingest reuses), beside these files and before
        the state.

        ``articles_written``: the articles file already being written (``write_articles``, the same
        generation and articles), waited for with the rest instead of written here.

        Only under the exclusive lock (``lock``): another writer would remove this generation's files.
        """
        generation = state["generation"]
        tables = {
            "files": state["files"].table() if isinstance(state["files"], FileTable) else part_table("files", files_rows(state["files"])),
            **{
                part: state[part] if isinstance(state[part], pa.Table) else part_table(part, file_part_rows(part, state[part]))
                for part in FILE_PARTS
            },
            "listing-rows": part_table("listing-rows", list(state["listing_rows"])),
        }

        def text() -> TextLayout:
            if text_from is None:
                write_text(self.text_path(generation), articles, hashes)
                return TextLayout.whole(generation, len(articles))
            return write_text_after(self.text_path, generation, articles, hashes, *text_from)

        # the files of the generation are written on threads (Parquet and Arrow write without the GIL: at
        # 1,000,000 stories, 13 s one after another); the state that names them is written after all of them
        self.root.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(ARROW_THREADS, thread_name_prefix="caixin-write") as pool:
            layout_written = pool.submit(text)
            written = [
                pool.submit(
                    atomic_write_parquet,
                    self.segment_path(segment.key),
                    records.iloc[segment.start : segment.stop] if isinstance(records, pd.DataFrame) else records[segment.key],
                )
                for segment in segments
                if segment.key not in kept
            ]
            written.append(
                articles_written if articles_written is not None else pool.submit(self.write_articles, generation, articles)
            )
            written += [pool.submit(write_part, self.part_path(part, generation), table) for part, table in tables.items()]
            written += [pool.submit(also)] if also is not None else []
            for job in written:
                job.result()  # the first failure raises, once every write is over
            layout = layout_written.result()
        small = {
            "format": CACHE_FORMAT,
            "parser": PARSER_VERSION,
            "config": state["config"],
            "generation": generation,
            "rows": {
                "records": len(records) if isinstance(records, pd.DataFrame) else sum(s.rows for s in segments),
                "articles": len(articles),
                **{part: table.num_rows for part, table in tables.items()},
            },
            "segments": [[segment.key, segment.rows] for segment in segments],
            "duplicates_merged": state["duplicates_merged"],
            "reporter_merges": state["reporter_merges"],
            "summary": state["summary"] if "summary" in state else summarise_reports(state["reports"]),
        }
        if layout != TextLayout.whole(generation, len(articles)):  # a state without ``text`` has that one
            small["text"] = layout.to_json()
        # ASCII JSON: a file name that is not UTF-8 (a lone surrogate in Python) is written as an escape
        atomic_write_bytes(self.state_path, json.dumps(small).encode())
        listed = {segment.key for segment in segments}
        memos = []  # the catalog memos of other generations, which no ingest reads again
        for old in self.root.iterdir():
            frame = _FRAME_FILE.fullmatch(old.name)
            segment_file = _SEGMENT_FILE.fullmatch(old.name)
            memo = _CATALOG_FILE.fullmatch(old.name)
            if (frame and not _in_generation(frame, generation, layout)) or (
                segment_file and segment_file.group(1) not in listed
            ):
                old.unlink(missing_ok=True)
            elif memo and memo.group(1) != generation:
                memos.append(old)
        # Removed only now that the state names this generation: an ingest whose state cannot be written
        # leaves the memo of the generation the state still names, for the next ingest to use.
        remove_later(memos, ".catalog-old-", "caixin-catalog-remove")
        return layout
