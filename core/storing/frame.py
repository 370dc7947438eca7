"""Records to the article DataFrame and back to JSON-ready rows, with the schema of ``core.model``."""

from __future__ import annotations

import itertools
import json
import math
import operator
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.model import (
    BEIJING,
    COLUMNS,
    EARLIEST_HOLDABLE,
    LATEST_HOLDABLE,
    LIST_COLUMNS,
    Article,
    SourceSpan,
    parse_source_span,
)

TIME_DTYPE = pd.DatetimeTZDtype("ns", BEIJING)
#: A list column held as Arrow lists of strings instead of Python lists (``ARROW_LIST_COLUMNS``). Read cell
#: by cell (``iloc``, ``tolist``, ``to_dict``, iteration) a cell is a ``list`` of ``str``, as in a column of
#: Python lists; whole-column NumPy conversions (``to_numpy``, ``astype(object)``) give arrays instead,
#: which ``as_list`` reads the same.
ARROW_LIST = pd.ArrowDtype(pa.list_(pa.string()))
#: The list columns every article frame holds as ``ARROW_LIST`` (``conform``), so a warm start reads them as
#: they are in the file instead of making a million Python lists of each (0.5 GB and 2.4 s at 1,000,000
#: stories). What reads a whole column at once (the reporter counts and filters, the ``author:`` field of a
#: query) reads it by ``list_lengths`` and ``list_items``, in Arrow, not story by story.
ARROW_LIST_COLUMNS: tuple[str, ...] = ("authors", "contacts", "related", "coverage_links", "sources")


def empty_frame() -> pd.DataFrame:
    """A frame with no rows and the article schema."""
    return conform(pd.DataFrame({name: [] for name in COLUMNS}))


def articles_to_frame(articles: Sequence[Article]) -> pd.DataFrame:
    """One row per article, columns and dtypes as ``core.model.COLUMNS``.

    Every column is made at once from the articles' fields (``_typed_frame``) when each holds what the
    parsers put there; otherwise cell by cell through ``conform``, as any frame is. The two give the same
    frame (``tests/test_frame_build.py``); the first took 8-10 µs a story where the second took 19 (the
    stories of 1,000 corpus pages, timed alone)."""
    if articles:
        fields = dict(zip(COLUMNS, map(list, zip(*map(_FIELDS, articles), strict=True)), strict=True))
        try:
            frame = _typed_frame(fields)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            frame = None  # made cell by cell below, which converts what it can and raises as it always did
        if frame is not None:
            return frame
    return _frame_by_cells(articles)


#: An article's fields in ``COLUMNS`` order, as one tuple.
_FIELDS = operator.attrgetter(*COLUMNS)
#: The columns of text (each cell ``str`` or None), of flags (``bool``) and of counts (``int``), as
#: ``_typed_frame`` checks their cells.
_STRING_COLUMNS = tuple(name for name, dtype in COLUMNS.items() if dtype == "string")
_FLAG_COLUMNS = tuple(name for name, dtype in COLUMNS.items() if dtype == "bool")
_COUNT_COLUMNS = tuple(name for name, dtype in COLUMNS.items() if dtype == "int32")


def _only(values: list[Any], kind: type, none: bool = False) -> bool:
    """Whether every one of ``values`` is exactly of type ``kind`` (or None, when ``none``)."""
    kinds = set(map(type, values))
    kinds.discard(kind)
    if none:
        kinds.discard(type(None))
    return not kinds


def _typed_frame(fields: dict[str, list[Any]]) -> pd.DataFrame | None:
    """The frame of ``conform(pd.DataFrame(fields))`` built column by column from the field lists, each
    handed whole to Arrow or NumPy; None when a cell is not of the type the parsers give it, or a time is
    one a record cannot hold (a frame is then made cell by cell). Raises what Arrow or NumPy raise for a
    value they cannot hold."""
    times = fields["published_at"]
    spans = list(itertools.chain.from_iterable(fields["sources"]))
    if not (_only(fields["sources"], tuple) and _only(spans, SourceSpan)):
        return None
    parts = [list(part) for part in zip(*map(_SPAN_PARTS, spans), strict=True)] if spans else [[], [], []]
    plain = (
        all(_only(fields[name], str, none=True) for name in _STRING_COLUMNS)
        and all(_only(fields[name], bool) for name in _FLAG_COLUMNS)
        and all(_only(fields[name], int) for name in _COUNT_COLUMNS)
        and all(_only(fields[name], tuple) for name in LIST_COLUMNS)
        and all(_only(list(itertools.chain.from_iterable(fields[n])), str) for n in LIST_COLUMNS if n != "sources")
        and _only(parts[0], str)
        and _only(parts[1], int)
        and _only(parts[2], int)
        and _only(fields["headline_match"], float, none=True)
        and _only(times, datetime, none=True)
        and set(map(_TIME_ZONE, filter(None, times))) <= {BEIJING}
    )
    if not plain:
        return None
    out: dict[str, Any] = {}
    for name, dtype in COLUMNS.items():
        values = fields[name]
        if name == "published_at":
            column = _typed_times(times)
            if column is None:
                return None
        elif name == "sources":
            column = pd.Series(pd.arrays.ArrowExtensionArray(_span_lists(values, parts)))
        elif name in LIST_COLUMNS:
            column = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values, ARROW_LIST.pyarrow_dtype)))
        elif dtype == "string":
            column = pd.Series(pd.array(pa.array(values, pa.large_string()), dtype="string"))
        elif dtype == "float64":
            column = pd.Series(np.array(values, dtype=np.float64))
        elif dtype == "int32":
            column = pd.Series(np.array(values, dtype=np.int64).astype(np.int32))
        else:
            column = pd.Series(np.array(values, dtype=np.bool_))
        out[name] = column
    return pd.DataFrame(out, index=pd.RangeIndex(len(times)))


_TIME_ZONE = operator.attrgetter("tzinfo")
_SPAN_PARTS = operator.attrgetter("file", "first_line", "last_line")
#: The holdable times (``core.model``, whole seconds) in microseconds since 1970 (UTC).
_HOLDABLE_US = (pd.Timestamp(EARLIEST_HOLDABLE).value // 1000, pd.Timestamp(LATEST_HOLDABLE).value // 1000)


def _typed_times(times: list[datetime | None]) -> pd.Series | None:
    """Beijing times (``TIME_DTYPE``, missing as NaT) of ``times``, each None or a ``datetime`` in Beijing
    time; None when one is outside the times a record can hold (``_nanosecond_times`` makes those NaT)."""
    # Python's datetimes hold microseconds: Arrow takes them to UTC as they are, then NumPy to nanoseconds
    stamps = pa.array(times, pa.timestamp("us", tz="UTC"))
    micro = np.asarray(stamps.fill_null(0).to_numpy(zero_copy_only=False)).view(np.int64)
    missing = np.asarray(stamps.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    held = micro[~missing]
    if len(held) and (held.min() < _HOLDABLE_US[0] or held.max() > _HOLDABLE_US[1]):
        return None
    nanoseconds = micro * 1000
    nanoseconds[missing] = np.iinfo(np.int64).min  # NaT
    utc = pd.arrays.DatetimeArray._from_sequence(nanoseconds.view("M8[ns]"), dtype=pd.DatetimeTZDtype("ns", "UTC"))
    return pd.Series(utc).dt.tz_convert(BEIJING).astype(TIME_DTYPE)


def _span_lists(cells: list[tuple[SourceSpan, ...]], parts: list[list[Any]]) -> pa.Array:
    """The ``sources`` cells as Arrow lists of ``str(span)`` (``file:first-last``), made in Arrow from the
    spans' parts: ``parts`` are the files, first lines and last lines of the cells' spans one after the
    other (``str``, ``int`` and ``int``, as ``str(span)`` writes them)."""
    files, firsts, lasts = parts
    lines = pc.binary_join_element_wise(
        pa.array(firsts, pa.int64()).cast(pa.string()), pa.array(lasts, pa.int64()).cast(pa.string()), "-"
    )
    text = pc.binary_join_element_wise(pa.array(files, pa.string()), lines, ":")
    offsets = np.zeros(len(cells) + 1, dtype=np.int32)
    np.cumsum(np.fromiter(map(len, cells), dtype=np.int32, count=len(cells)), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), text, type=ARROW_LIST.pyarrow_dtype)


def _frame_by_cells(articles: Sequence[Article]) -> pd.DataFrame:
    """``articles_to_frame`` for any field values: each list cell copied as ``str`` items, each column cast
    by ``conform``."""
    data: dict[str, list[Any]] = {name: [getattr(a, name) for a in articles] for name in COLUMNS}
    for name in LIST_COLUMNS:
        if name == "sources":
            data[name] = [[str(span) for span in spans] for spans in data[name]]
        else:
            data[name] = [list(map(str, values)) for values in data[name]]
    return conform(pd.DataFrame(data), fresh_lists=True)


def conform(frame: pd.DataFrame, *, fresh_lists: bool = False) -> pd.DataFrame:
    """Cast a frame to the article schema (column order, dtypes, list columns as lists).

    ``fresh_lists=True`` is the caller's promise that every list column already holds lists of ``str``
    made for this frame alone (as ``articles_to_frame`` and the cache reader build them): they are then
    kept rather than copied, which is most of the cost on a large frame.
    """
    out = {}
    for name, dtype in COLUMNS.items():
        column = frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index)
        if name == "published_at":
            column = _nanosecond_times(column)
        elif name in ARROW_LIST_COLUMNS:
            column = _arrow_lists(column, fresh_lists and name in frame)
        elif name in LIST_COLUMNS:
            if not (fresh_lists and name in frame):
                column = column.map(as_list)
            column = column.astype(object)
        else:
            column = column.astype(dtype)
        out[name] = column
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def with_arrow_lists(frame: pd.DataFrame, like: pd.DataFrame | None = None) -> pd.DataFrame:
    """``frame`` with its ``ARROW_LIST_COLUMNS`` as ``ARROW_LIST`` (a column of Python lists assigned
    since ``conform``, e.g. contacts rewritten through the reporter aliases, is read cell by cell). With
    ``like``, only those that are ``ARROW_LIST`` there, so that joining the two keeps Arrow lists: pandas'
    ``concat`` of an Arrow list column with a column of Python lists makes Python lists of both (a million
    of them, 1 s, after one page changed at 1,000,000 stories)."""
    other = {
        name: _arrow_lists(frame[name], False)
        for name in ARROW_LIST_COLUMNS
        if name in frame
        and frame[name].dtype != ARROW_LIST
        and (like is None or (name in like and like[name].dtype == ARROW_LIST))
    }
    return frame.assign(**other) if other else frame


def _arrow_lists(column: pd.Series, fresh: bool) -> pd.Series:
    """A list column as ``ARROW_LIST`` (kept when it is one already); ``fresh``: its cells are lists of
    ``str`` (else each is read with ``as_list``)."""
    if column.dtype == ARROW_LIST:
        return column
    values = column.tolist() if fresh else [as_list(value) for value in column.tolist()]
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values, ARROW_LIST.pyarrow_dtype)), index=column.index)


def _list_chunks(values: pd.Series) -> pa.ChunkedArray:
    """The Arrow list array of an ``ARROW_LIST`` column (its buffers, no copy)."""
    chunked = values.array._pa_array
    assert isinstance(chunked, pa.ChunkedArray)
    return chunked


def arrow_lists(values: pd.Series) -> pa.ChunkedArray:
    """A list column as Arrow lists of strings (``ARROW_LIST``'s type): its buffers when it is one, else
    built from its cells (each read with ``as_list``)."""
    if values.dtype == ARROW_LIST:
        return _list_chunks(values)
    return pa.chunked_array([pa.array([as_list(v) for v in values.tolist()], ARROW_LIST.pyarrow_dtype)])


#: What joins a list's length and names into its key (``distinct_lists``).
_NAME_JOIN = "\x1f"


def distinct_lists(values: pd.Series) -> tuple[list[tuple[str, ...]], np.ndarray, np.ndarray] | None:
    """The distinct cells of an ``ARROW_LIST`` column, in the order each first appears, the code of each
    cell among them, and how many cells each is: made in Arrow from each cell's signature
    (``list_signatures``), with a Python tuple only per distinct cell (a collection has far fewer bylines
    than stories). None for a column that is not ``ARROW_LIST``, with a missing cell or item, or with a name
    that holds ``_NAME_JOIN`` (a cell's signature would not be its own)."""
    signed = _arrow_signatures(values, _NAME_JOIN)
    if signed is None:
        return None
    lists = _list_chunks(values)
    names = pc.list_flatten(lists)
    if len(names) and pc.any(pc.match_substring(names, _NAME_JOIN)).as_py():
        return None
    encoded = pc.dictionary_encode(signed.combine_chunks() if isinstance(signed, pa.ChunkedArray) else signed)
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    count = len(encoded.dictionary)
    first = np.empty(count, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the first cell of each code: written last
    cells = [tuple(cell) for cell in lists.take(pa.array(first)).to_pylist()]
    return cells, codes, np.bincount(codes, minlength=count)


def lists_of_codes(cells: Sequence[Sequence[str]], codes: np.ndarray, index: pd.Index) -> pd.Series:
    """An ``ARROW_LIST`` column whose row ``i`` is ``cells[codes[i]]`` (``distinct_lists`` turned back)."""
    taken = pa.array(cells, ARROW_LIST.pyarrow_dtype).take(pa.array(codes))
    return pd.Series(pd.arrays.ArrowExtensionArray(taken), index=index)


def list_lengths(values: pd.Series) -> np.ndarray:
    """The number of items of each cell of a list column (``ARROW_LIST`` or Python lists); 0 for a
    missing cell."""
    if values.dtype == ARROW_LIST:
        lengths = pc.list_value_length(_list_chunks(values)).fill_null(0)
        return np.asarray(lengths.to_numpy(), dtype=np.int64)
    return np.fromiter(map(len, values.to_numpy(dtype=object)), dtype=np.int64, count=len(values))


def dictionary_codes(flat: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Arrow strings as (each one's code, the distinct strings as an object array the codes index): equal
    strings become one Python string. A missing string reads None, as in a Python list."""
    encoded = pc.dictionary_encode(flat)
    distinct = np.empty(len(encoded.dictionary), dtype=object)
    distinct[:] = encoded.dictionary.to_pylist()
    codes = np.asarray(encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False), dtype=np.intp)
    if encoded.null_count:
        distinct = np.concatenate((distinct, np.array([None], dtype=object)))
    return codes, distinct


def _python_items(values: pd.Series, lengths: np.ndarray) -> np.ndarray:
    """The items of a column of Python lists (``lengths``: ``list_lengths``), one after the other."""
    lists = values.to_numpy(dtype=object)
    return np.fromiter(itertools.chain.from_iterable(lists), dtype=object, count=int(lengths.sum()))


def list_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A list column (``ARROW_LIST`` or Python lists) as (row position of each item, each item's code,
    the distinct items as an object array the codes index), in row order."""
    lengths = list_lengths(values)
    rows = np.repeat(np.arange(len(values)), lengths)
    if values.dtype == ARROW_LIST:
        return rows, *dictionary_codes(pc.list_flatten(_list_chunks(values)).combine_chunks())
    codes, uniques = pd.factorize(_python_items(values, lengths), use_na_sentinel=False)
    return rows, np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=object)


def list_items(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A list column (``ARROW_LIST`` or Python lists) as (row position of each item, the items as an
    object array), in row order. From Arrow, equal items are one Python string (one per distinct value,
    not one per item)."""
    if values.dtype != ARROW_LIST:
        lengths = list_lengths(values)
        return np.repeat(np.arange(len(values)), lengths), _python_items(values, lengths)
    rows, codes, distinct = list_codes(values)
    return rows, distinct[codes]


def list_texts(values: pd.Series) -> pa.Array | None:
    """The items of an ``ARROW_LIST`` column of text one after the other (as ``list_items`` gives them) as
    one Arrow string array; None for a column of Python lists."""
    if values.dtype != ARROW_LIST:
        return None
    flat = pc.list_flatten(_list_chunks(values))
    flat = flat.combine_chunks() if isinstance(flat, pa.ChunkedArray) else flat
    return flat if pa.types.is_string(flat.type) or pa.types.is_large_string(flat.type) else None


def list_joined(values: pd.Series, separator: str) -> list[str]:
    """Each cell of a list column as its items joined by ``separator`` (``""`` for an empty or missing
    cell)."""
    if values.dtype == ARROW_LIST:
        joined = pc.binary_join(_list_chunks(values), separator).fill_null("")
        return [str(text) for text in joined.to_pylist()]
    return [separator.join(map(str, items)) for items in values.tolist()]


def list_signatures(values: pd.Series, separator: str) -> np.ndarray:
    """Each cell of a list column as one string that tells lists apart, as an object array: its item count,
    then each item, after ``separator`` (``f"{len(items)}{separator}" + separator.join(items)``). Built in
    Arrow for an ``ARROW_LIST`` column with no missing cell or item."""
    signed = _arrow_signatures(values, separator)
    if signed is not None:
        return np.asarray(signed.to_numpy(zero_copy_only=False), dtype=object)
    rows = values.tolist()
    return np.array([f"{len(row)}{separator}" + separator.join(map(str, row)) for row in rows], dtype=object)


def signature_hashes(values: pd.Series, separator: str) -> np.ndarray:
    """``pandas.util.hash_array`` of ``list_signatures(values, separator)`` (uint64, one per cell): in Arrow
    each distinct signature is made a Python string and hashed once (no Python string per cell: 1,000,000
    cells in about a third of the time); the same values as hashing every cell's."""
    signed = _arrow_signatures(values, separator)
    if signed is not None:
        encoded = pc.dictionary_encode(signed.combine_chunks() if isinstance(signed, pa.ChunkedArray) else signed)
        distinct = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
        hashed = pd.util.hash_array(distinct, categorize=False)
        return np.asarray(hashed[encoded.indices.to_numpy()], dtype=np.uint64)
    return np.asarray(pd.util.hash_array(list_signatures(values, separator)), dtype=np.uint64)


def _arrow_signatures(values: pd.Series, separator: str) -> pa.Array | pa.ChunkedArray | None:
    """``list_signatures`` in Arrow, for an ``ARROW_LIST`` column with no missing cell or item; else None."""
    if values.dtype != ARROW_LIST:
        return None
    lists = _list_chunks(values)
    if lists.null_count or pc.list_flatten(lists).null_count:
        return None
    counts = pc.cast(pc.list_value_length(lists), pa.string())
    return pc.binary_join_element_wise(counts, pc.binary_join(lists, separator), separator)


def lists_any_in(values: pd.Series, wanted: Iterable[str]) -> np.ndarray:
    """For each cell of a list column: whether one of its items, lowercased, is in ``wanted`` (lowercase)."""
    mask = np.zeros(len(values), dtype=bool)
    chosen = set(wanted)
    if not chosen or not len(values):
        return mask
    rows, codes, distinct = list_codes(values)
    hit = np.fromiter((isinstance(d, str) and d.lower() in chosen for d in distinct), dtype=bool, count=len(distinct))
    mask[rows[hit[codes]]] = True
    return mask


def arrow_table(frame: pd.DataFrame, schema: pa.Schema | None = None) -> pa.Table:
    """``frame`` as an Arrow table to write (``pa.Table.from_pandas``, no index), its ``ARROW_LIST``
    columns described in the pandas metadata as columns of Python lists: the dtype name pandas writes for
    them (``list<item: string>[pyarrow]``) is one ``pandas.read_parquet`` cannot read back. The data is
    the same either way."""
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    meta = table.schema.metadata or {}
    if b"pandas" not in meta:
        return table
    pandas_meta = json.loads(meta[b"pandas"])
    changed = False
    for column in pandas_meta.get("columns", []):
        if column.get("numpy_type") == str(ARROW_LIST):
            column["numpy_type"], changed = "object", True
    if not changed:
        return table
    return table.replace_schema_metadata({**meta, b"pandas": json.dumps(pandas_meta).encode()})


def _nanosecond_times(column: pd.Series) -> pd.Series:
    """``column`` as Beijing times of nanosecond resolution. The parsers already leave out times a record
    cannot hold (``core.parsing.hold_times``); any other such time (a hand-made frame) becomes NaT here
    rather than an ``OutOfBoundsDatetime`` that would stop a whole ingest."""
    times = pd.to_datetime(column, utc=True, errors="coerce")
    if times.dt.unit != "ns":
        outside = (times < _EARLIEST) | (times > _LATEST)
        if outside.any():
            times = times.mask(outside)
    return times.dt.tz_convert(BEIJING).astype(TIME_DTYPE)


_EARLIEST = pd.Timestamp(EARLIEST_HOLDABLE)
_LATEST = pd.Timestamp(LATEST_HOLDABLE)


def as_list(value: Any) -> list[str]:
    """A list cell as a new list of ``str``; ``None`` or NaN (a missing list) is ``[]``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [str(v) for v in value]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def row_to_json(row: dict[str, Any]) -> dict[str, Any]:
    """One frame row as the JSON record of ``Article.to_json_dict`` (ISO time with ``+08:00``)."""
    out: dict[str, Any] = {}
    for name in COLUMNS:
        value = row.get(name)
        if name == "published_at":
            out[name] = None if value is None or pd.isna(value) else _iso(value)
        elif name == "sources":
            spans = [parse_source_span(s) for s in as_list(value)]
            out[name] = [
                {"file": s.file, "first_line": s.first_line, "last_line": s.last_line} for s in spans
            ]
        elif name in LIST_COLUMNS:
            out[name] = as_list(value)
        else:
            out[name] = _plain(value)
    return out


def _iso(value: Any) -> str:
    stamp: datetime = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return stamp.astimezone(BEIJING).isoformat()


def frame_to_json_records(frame: pd.DataFrame) -> Iterable[dict[str, Any]]:
    """Rows as JSON-ready dicts, in frame order."""
    for row in frame.to_dict(orient="records"):
        yield row_to_json(row)


def sources_of(row: dict[str, Any]) -> list[SourceSpan]:
    """The ``SourceSpan`` list of one frame row."""
    return [parse_source_span(s) for s in as_list(row.get("sources"))]


def isin_mask(values: pd.Series | pa.Array, among: Iterable[str] | pa.Array) -> np.ndarray:
    """``values.isin(among)`` of a text column (or Arrow text array) as a boolean array, by pyarrow:
    ``Series.isin`` on a string column makes a Python scalar of each of its values first (1.3 s for
    100,000 ids)."""
    if not len(values):
        return np.zeros(0, dtype=bool)
    column = _text_array(values)
    found = pc.is_in(column, value_set=_value_set(among, column.type))
    return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


#: Threads for the work Arrow and Parquet do without Python's lock (taking the columns of many rows here,
#: cutting the catalog's leads, writing a generation's files): the machine's cores, at most 4.
ARROW_THREADS = max(1, min(4, os.cpu_count() or 1))
#: ``take_frame_rows`` takes the columns of this many rows or more on ``ARROW_THREADS`` threads (at
#: 1,000,000 stories the merge's take of every column, 2.5 GB of new memory, took 9 s).
THREADED_ROWS = 1 << 16


def take_frame_rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``frame.take(rows).reset_index(drop=True)``, with the Arrow columns of several chunks taken chunk by
    chunk: pyarrow's ``take`` of a chunked array joins its chunks first, which for the text of a collection
    merged from slices of the previous text file (``core.storing.ingest``) copies all of it for a few
    rows (1.4 GB at 1,000,000 stories). ``THREADED_ROWS`` rows or more: the columns are taken on threads."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) and (int(rows.min()) < 0 or int(rows.max()) >= len(frame)):
        raise IndexError(f"rows out of bounds for {len(frame)} rows")

    def column(position: int) -> pd.Series:
        series = frame.iloc[:, position]
        values = series.array
        chunked = getattr(values, "_pa_array", None)
        if isinstance(chunked, pa.ChunkedArray) and chunked.num_chunks > 1:
            taken = chunked_take(chunked, rows)
            array = (
                pd.arrays.ArrowStringArray(taken, dtype=values.dtype)
                if isinstance(values, pd.arrays.ArrowStringArray)
                else pd.arrays.ArrowExtensionArray(taken)
            )
            return pd.Series(array, name=series.name)
        return series.take(rows).reset_index(drop=True)

    positions = range(frame.shape[1])
    if len(rows) >= THREADED_ROWS and frame.shape[1] > 1:
        with ThreadPoolExecutor(ARROW_THREADS, thread_name_prefix="caixin-take") as pool:
            columns = list(pool.map(column, positions))
    else:
        columns = [column(position) for position in positions]
    return pd.DataFrame(dict(zip(frame.columns, columns, strict=True)), columns=frame.columns)


def rows_at(frame: pd.DataFrame, positions: Any) -> pd.DataFrame:
    """``frame.iloc[positions]``, index and attributes kept, with its Arrow columns of several chunks taken
    chunk by chunk (``take_frame_rows``). Positions that are not in-bounds integers go to ``iloc``, which
    reads them (from the end) or says which is out of bounds."""
    wanted = np.asarray(positions)
    if wanted.ndim != 1 or wanted.dtype.kind not in "iu" or frame.shape[1] == 0:
        return frame.iloc[positions]
    if len(wanted) and (int(wanted.min()) < 0 or int(wanted.max()) >= len(frame)):
        return frame.iloc[positions]
    taken = take_frame_rows(frame, wanted)
    taken.index = frame.index[wanted]
    taken.attrs = frame.attrs
    return taken


def chunked_take(chunked: pa.ChunkedArray, rows: np.ndarray) -> pa.ChunkedArray:
    """``chunked.take(rows)`` (rows in bounds) from each chunk that holds some of them: no chunk joined."""
    taken = gather_by_chunk(chunked, rows, lambda chunk, local: chunk.take(pa.array(local)))
    assert taken is not None  # ``take`` answers every chunk
    return pa.chunked_array([taken], type=chunked.type)


def gather_by_chunk(
    chunked: pa.ChunkedArray, rows: np.ndarray, piece: Callable[[pa.Array, np.ndarray], pa.Array | None]
) -> pa.Array | None:
    """The values of ``chunked`` at ``rows`` (in bounds) as one array, each chunk's read by ``piece(chunk,
    rows within it)`` for the chunks that hold some, then put back in the order of ``rows``; None when
    ``piece`` gives None for one. No chunk is joined to another."""
    if chunked.num_chunks == 1:
        return piece(chunked.chunk(0), rows)
    if not len(rows):
        return pa.array([], type=chunked.type)
    starts = np.cumsum([0, *(len(chunk) for chunk in chunked.chunks)])
    which = np.searchsorted(starts, rows, side="right") - 1
    order = np.argsort(which, kind="stable")
    by_chunk, numbers = rows[order], which[order]
    firsts = np.flatnonzero(np.r_[True, numbers[1:] != numbers[:-1]])
    ends = np.r_[firsts[1:], len(rows)]
    pieces = []
    for number, first, end in zip(numbers[firsts].tolist(), firsts.tolist(), ends.tolist(), strict=True):
        got = piece(chunked.chunk(number), by_chunk[first:end] - starts[number])
        if got is None:
            return None
        pieces.append(got)
    back = np.empty_like(order)
    back[order] = np.arange(len(order))  # the rows so gathered, chunk after chunk, back in the order asked
    return pa.concat_arrays(pieces).take(pa.array(back))


def arrow_backed(values: pd.Series) -> bool:
    """Whether a text column's values are held in Arrow buffers (pandas' ``str`` or ``string[pyarrow]``)."""
    return isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"


def arrow_text(values: pd.Series) -> pa.Array | None:
    """A text column held in Arrow (``arrow_backed``) as one Arrow array: its buffers, no copy when it is
    in one chunk (its chunks joined otherwise); None for a column held otherwise."""
    if not arrow_backed(values):
        return None
    array = pa.array(values.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()
    return array


def _text_array(values: pd.Series | pa.Array | Iterable[str]) -> pa.Array | pa.ChunkedArray:
    """Text in Arrow: an Arrow array as it is, a text column's own buffers (no Python string made, no
    copy), else built from the strings."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    if isinstance(values, pd.Series):
        return pa.array(values.astype("string").array)
    return pa.array(list(values), pa.string())


def _value_set(values: pd.Series | pa.Array | Iterable[str], kind: pa.DataType) -> pa.Array:
    """``values`` as the one Arrow array of type ``kind`` a set lookup (``is_in``, ``index_in``) takes."""
    array = _text_array(values)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(kind)


def texts_differ(before: pd.Series, after: pd.Series) -> np.ndarray:
    """Whether each row's text differs between two text columns of the same length (two missing values are
    the same), compared in Arrow: no Python string made (1,000,000 rows: 0.01 s, against 0.44 s as objects)."""
    a, b = _text_array(before), _text_array(after)
    same = pc.or_(pc.fill_null(pc.equal(a, b), False), pc.and_(pc.is_null(a), pc.is_null(b)))
    return ~np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)


#: ``positions_in`` looks each of ``among`` up among the values, not the other way, when ``among`` is at least
#: this many times longer: a set of 1,000,000 ids took 0.13-0.29 s to build for a few values, and looking the
#: million up among a few took 0.005 s.
PROBE_RATIO = 8


def positions_in(values: pd.Series | pa.Array, among: pd.Series | pa.Array | Sequence[str] | np.ndarray) -> np.ndarray:
    """The position of each of ``values`` (a text column, or Arrow text) in ``among`` (its first), -1 for
    one not there or missing."""
    column = _text_array(values)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    lookup = _value_set(among, column.type)
    if len(lookup) >= PROBE_RATIO * max(len(column), 1):
        return _positions_probing(column, lookup)
    found = np.asarray(pc.index_in(column, value_set=lookup).fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    found[np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)] = -1
    return found


def _positions_probing(column: pa.Array, among: pa.Array) -> np.ndarray:
    """``positions_in`` by a set of the distinct values, each of ``among`` looked up in it: for a few values
    in a long ``among``."""
    distinct = pc.unique(column).drop_null()
    if not len(distinct):
        return np.full(len(column), -1, dtype=np.int64)
    hit = np.asarray(pc.index_in(among, value_set=distinct).fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    rows = np.flatnonzero(hit >= 0)
    first = np.full(len(distinct), -1, dtype=np.int64)
    found, at = np.unique(hit[rows], return_index=True)  # the first row of ``among`` of each distinct value
    first[found] = rows[at]
    back = np.asarray(pc.index_in(column, value_set=distinct).fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.where(back >= 0, first[np.maximum(back, 0)], -1).astype(np.int64, copy=False)


#: An incremental ingest's records (and the theme memberships carried over) are put in order by joining
#: slices of the kept and the new rows (no row copied: a slice of a text column is a view). A history that
#: scattered them more than this (the inputs given in another order) takes the rows one by one instead.
MOST_SLICES = 256


def rows_of_two(first: pd.DataFrame, second: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The rows ``rows`` of ``first`` and ``second`` laid end to end (their columns of the same dtypes).
    Few runs of consecutive rows (the kept stories between the few touched ones) are joined as slices: the
    text columns of the kept stories, mapped from the previous text file, are then not copied."""
    crossing = (rows[1:] >= len(first)) != (rows[:-1] >= len(first))
    breaks = np.flatnonzero((np.diff(rows) != 1) | crossing) + 1
    if len(breaks) >= MOST_SLICES:
        return pd.concat([first, second], ignore_index=True).take(rows).reset_index(drop=True)
    parts = []
    for start, stop in zip(np.r_[0, breaks].tolist(), np.r_[breaks, len(rows)].tolist(), strict=True):
        if start == stop:
            continue
        low = int(rows[start])
        frame, offset = (first, 0) if low < len(first) else (second, len(first))
        parts.append(frame.iloc[low - offset : low - offset + stop - start])
    if not parts:
        return first.iloc[:0]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)


def one_chunk(frame: pd.DataFrame, skip: Iterable[str] = ()) -> pd.DataFrame:
    """``frame`` with each Arrow-backed text column in one chunk: joined once here, where Arrow's ``take``
    (the merge takes rows several times) would join the chunks of a column again at every call. Columns
    in ``skip`` are left as they are."""
    joined = {}
    for name in frame.columns.difference(list(skip), sort=False):
        array = frame[name].array
        chunked = getattr(array, "_pa_array", None)
        if isinstance(array, pd.arrays.ArrowStringArray) and isinstance(chunked, pa.ChunkedArray):
            if chunked.num_chunks > 1:
                one = pa.chunked_array([chunked.combine_chunks()], type=chunked.type)
                joined[name] = pd.Series(type(array)(one, dtype=array.dtype), index=frame.index)
    return frame.assign(**joined) if joined else frame
