"""Story text kept on disk: the bodies and photo captions of one cache generation, and the columns only
shown story by story, memory-mapped.

``text-<generation>.arrow`` beside the generation's articles file is an uncompressed Arrow IPC (Feather
v2) file with nine columns in the article frame's row order: ``body``, ``photo_caption``, the columns
of ``SHOWN_COLUMNS`` (``byline``, ``photo_credit``, ``contacts``, ``related``, ``coverage_links``,
``sources``: the Reader shows them, an export writes them, no count or filter reads them) and
``content_hash`` (``core.storing.search.content_hashes`` of each row, which the full-text index and the
theme memberships are keyed by). A warm start reads every other column from the Parquet articles file
and maps this one: the frame's mapped columns are then views of the mapped file (pandas' Arrow-backed
``string`` dtype and ``ARROW_LIST``, the dtypes of a frame built in memory), so the text of a story is
read from disk when something reads it (a page that shows it, an export, a re-index), and the operating
system may drop those pages again. A million bodies no longer sit in the server's memory.

A file that is missing, cut short or not as written raises ``CacheError`` (the caller rebuilds the
generation, as for any damaged cache file). The mapped file may be unlinked while a frame still maps it
(a newer generation replaced it): the mapping stays valid until the frame is gone.

Some stories' text (a page of the Reader, the 200 stories an export's size is estimated from, a sample
of the Themes page) is read with ``os.pread`` from the file (``take_rows``), not through the mapping: on
this kernel a fault on a mapped file maps the pages around it too (whole large folios), so Arrow's
``take`` of 200 stories spread over the 128 MB text file of 100,000 stories left 89 MB of it in the
server's resident memory (``RssFile``), where the reads leave none. The values are the same.

**Runs of earlier files.** An incremental ingest (one page changed) keeps most stories as the previous
generation had them. Rewriting the whole text file for that took 3.4 s at 1,000,000 stories (1.4 GB), so
the new generation's file holds only the stories that are new or changed, and the state names where every
story's row is (``TextLayout``): runs of rows of the text files of this and earlier generations, in the
frame's row order. The runs are read as slices of those files, mapped as before. When its runs would be
more than ``MOST_RUNS``, the rows of the shortest runs are written to the generation's file again, so that
they join the new rows beside them (a live feed's new stories, one earlier file each, at the top of the
frame), up to ``MOST_REWRITTEN`` of its stories. A generation is written whole again when that is not
enough, or when its files would hold more unused rows (of stories changed since) than ``MOST_UNUSED`` of
its stories: the chunks stay few and the disk does not fill with old text.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc

from core.errors import CacheError
from core.storing.frame import ARROW_LIST, arrow_lists, gather_by_chunk, rows_at, take_frame_rows

#: The story text: what ``Collection.text`` reads for the rows a page shows.
TEXT_COLUMNS: tuple[str, ...] = ("body", "photo_caption")
#: The columns only ever shown or exported story by story (the Reader's byline, photo credit, contacts,
#: related headlines, coverage links and provenance): kept in the text file beside the text, so that a
#: server maps them instead of holding them (144 MB at 1,000,000 stories).
SHOWN_COLUMNS: tuple[str, ...] = ("byline", "photo_credit", "contacts", "related", "coverage_links", "sources")
#: Every article column of the text file (left out of the Parquet articles file).
MAPPED_COLUMNS: tuple[str, ...] = TEXT_COLUMNS + SHOWN_COLUMNS
_LISTS = frozenset({"contacts", "related", "coverage_links", "sources"})
SCHEMA = pa.schema(
    [
        *((name, ARROW_LIST.pyarrow_dtype if name in _LISTS else pa.large_string()) for name in MAPPED_COLUMNS),
        ("content_hash", pa.uint64()),
    ]
)


#: A generation's text is at most this many runs of rows of text files; one that would be more is written
#: whole (each run is a chunk of every mapped column).
MOST_RUNS = 64
#: ... or when its text files would hold more rows no story of it uses than this share of its stories.
MOST_UNUSED = 0.5
#: Past ``MOST_RUNS``, the rows of the shortest runs are written to the generation's own file again (so
#: that they join the new rows beside them), up to this share of its stories; more: written whole.
MOST_REWRITTEN = 0.05
#: A text file is written this many stories at a time, one record batch each (``write_text``).
WRITE_ROWS = 1 << 17
#: Rows that come in more pieces than this (runs of the previous generation's rows, or of new rows) are
#: written whole, without planning their runs one by one.
MOST_PIECES = 8 * MOST_RUNS


@dataclass(frozen=True, slots=True)
class TextLayout:
    """Where a generation's text rows are, in the frame's row order: ``runs`` of rows ``[start, stop)`` of
    the text file of a generation, and the row count of each such file (``files``)."""

    files: Mapping[str, int]
    runs: tuple[tuple[str, int, int], ...]

    @classmethod
    def whole(cls, generation: str, rows: int) -> TextLayout:
        """The layout of a text file that holds every story of its generation, in order."""
        return cls({generation: rows}, ((generation, 0, rows),) if rows else ())

    @classmethod
    def of_state(cls, state: Mapping[str, object]) -> TextLayout:
        """The layout a cache state names (its ``text``), or the whole file of its generation."""
        text = state.get("text")
        if text is None:
            rows = state["rows"]
            assert isinstance(rows, Mapping)
            return cls.whole(str(state["generation"]), int(rows["articles"]))
        assert isinstance(text, Mapping)
        return cls(dict(text["files"]), tuple((str(g), int(a), int(b)) for g, a, b in text["runs"]))

    @property
    def rows(self) -> int:
        return sum(stop - start for _, start, stop in self.runs)

    def is_one_file(self) -> bool:
        """One file holding every row, in order."""
        if len(self.files) != 1:
            return False
        ((generation, rows),) = self.files.items()
        return self.runs == TextLayout.whole(generation, rows).runs

    def to_json(self) -> dict[str, object]:
        return {"files": dict(self.files), "runs": [list(run) for run in self.runs]}

    def problem(self, rows: int) -> str | None:
        """What is wrong with this layout of a generation of ``rows`` stories, or None."""
        if self.rows != rows:
            return f"its runs hold {self.rows} rows, not {rows}"
        for number, (name, start, stop) in enumerate(self.runs):
            if name not in self.files:
                return f"run {number} names a text file it does not list"
            if not 0 <= start < stop <= self.files[name]:
                return f"run {number} is not within its text file's {self.files[name]} rows"
        if {name for name, _, _ in self.runs} != set(self.files):
            return "it lists a text file no run uses"
        return None


def open_layout(path_of: Callable[[str], Path], layout: TextLayout, rows: int, mapped: bool = True) -> pa.Table:
    """The text of a generation of ``rows`` stories laid out as ``layout``: each of its files opened
    (``open_text``, mapped unless ``mapped`` is false) and its runs joined as slices, in order."""
    tables = {name: open_text(path_of(name), count, mapped) for name, count in layout.files.items()}
    if layout.is_one_file():
        return next(iter(tables.values()))
    table = (
        pa.concat_tables([tables[name].slice(start, stop - start) for name, start, stop in layout.runs])
        if layout.runs
        else SCHEMA.empty_table()
    )
    if table.num_rows != rows:  # pragma: no cover - ``TextLayout.problem`` was checked with the state
        raise CacheError(f"{path_of(next(iter(layout.files), ''))}: text runs hold {table.num_rows} rows, not {rows}")
    return table


def layout_after(
    previous: TextLayout, source: np.ndarray, generation: str
) -> tuple[TextLayout, np.ndarray] | None:
    """The layout of a generation whose row ``i`` is the previous generation's row ``source[i]`` (its text
    unchanged), or new where ``source`` is negative, and the rows to write to this generation's file (the
    new ones, in order); None when the generation is to be written whole (``MOST_RUNS``, ``MOST_UNUSED``).

    When the runs would be more than ``MOST_RUNS``, the rows of the shortest runs of earlier files are
    written again too (``_fewer_runs``), up to ``MOST_REWRITTEN`` of the stories: a live feed's new
    stories, one file each at the top of the frame, become one run, and the earlier files' text stays."""
    source = np.asarray(source, dtype=np.int64)
    n = len(source)
    if n == 0 or int(source.max()) >= previous.rows:
        return None
    planned = _runs(previous, source, generation)
    if planned is None:
        return None
    if len(planned[0]) <= MOST_RUNS:
        return _checked(previous, planned[0], planned[2], source, generation)
    return _fewer_runs(previous, source, generation, planned)


def _runs(
    previous: TextLayout, source: np.ndarray, generation: str
) -> tuple[list[tuple[str, int, int]], list[tuple[int, int]], int] | None:
    """The runs of the layout ``layout_after`` plans (file, first row, stop), the rows of the generation
    each holds (first, stop) and how many rows go to the generation's own file; None when the rows come
    in more than ``MOST_PIECES`` pieces (runs of the previous generation's rows, or of new rows)."""
    n = len(source)
    kept = source >= 0
    goes_on = np.zeros(n, dtype=bool)  # row i continues the run of row i - 1
    goes_on[1:] = (kept[1:] & kept[:-1] & (source[1:] == source[:-1] + 1)) | (~kept[1:] & ~kept[:-1])
    starts = np.flatnonzero(~goes_on)
    if len(starts) > MOST_PIECES:
        return None
    bounds = np.cumsum([0, *(stop - start for _, start, stop in previous.runs)])
    runs: list[tuple[str, int, int]] = []
    extents: list[tuple[int, int]] = []

    def add(name: str, start: int, stop: int, row: int) -> None:
        if runs and runs[-1][0] == name and runs[-1][2] == start:
            runs[-1] = (name, runs[-1][1], stop)
            extents[-1] = (extents[-1][0], row + stop - start)
        else:
            runs.append((name, start, stop))
            extents.append((row, row + stop - start))

    written = 0
    for first, last in zip(starts.tolist(), [*starts[1:].tolist(), n], strict=True):
        if source[first] < 0:
            add(generation, written, written + last - first, first)
            written += last - first
            continue
        low, high = int(source[first]), int(source[first]) + last - first
        at = int(np.searchsorted(bounds, low, side="right")) - 1
        row = first
        while low < high:  # the previous rows may span several of its runs
            name, start, _ = previous.runs[at]
            step = min(high, int(bounds[at + 1])) - low
            offset = start + low - int(bounds[at])
            add(name, offset, offset + step, row)
            low += step
            row += step
            at += 1
    return runs, extents, written


def _fewer_runs(
    previous: TextLayout,
    source: np.ndarray,
    generation: str,
    planned: tuple[list[tuple[str, int, int]], list[tuple[int, int]], int] | None,
) -> tuple[TextLayout, np.ndarray] | None:
    """``layout_after`` with the rows of the shortest runs of earlier files written again, runs of at most
    1, 2, 4, ... rows, until the runs are a quarter fewer than ``MOST_RUNS`` (so that the next generations
    do not do it again at once); None when that would write more than ``MOST_REWRITTEN`` of the stories
    again. ``planned``: ``_runs`` of ``source``, already made."""
    n = len(source)
    rewritten = source.copy()
    budget = int(MOST_REWRITTEN * n) + int((source < 0).sum())
    length = 1
    while planned is not None:
        runs, extents, written = planned
        if len(runs) <= MOST_RUNS - max(1, MOST_RUNS // 4):
            return _checked(previous, runs, written, rewritten, generation)
        if length > n:
            return None
        for (name, start, stop), (first, last) in zip(runs, extents, strict=True):
            if name != generation and stop - start <= length:
                rewritten[first:last] = -1
        if int((rewritten < 0).sum()) > budget:
            return None
        length *= 2
        planned = _runs(previous, rewritten, generation)
    return None


def _checked(
    previous: TextLayout, runs: list[tuple[str, int, int]], written: int, source: np.ndarray, generation: str
) -> tuple[TextLayout, np.ndarray] | None:
    """The layout of ``runs`` and the rows to write (``source`` negative), or None when it holds more
    unused rows than ``MOST_UNUSED`` of its stories allows."""
    n = len(source)
    files = {name: previous.files[name] for name, _, _ in runs if name != generation}
    if written:
        files[generation] = written
    if sum(files.values()) - n > MOST_UNUSED * n:
        return None
    return TextLayout(files, tuple(runs)), np.flatnonzero(source < 0)


def write_text_after(
    path_of: Callable[[str], Path],
    generation: str,
    articles: pd.DataFrame,
    hashes: np.ndarray,
    previous: TextLayout,
    source: np.ndarray,
) -> TextLayout:
    """Write the text of ``articles`` (with ``hashes``) as a generation laid out after the ``previous``
    one (``layout_after``): only the rows ``source`` gives no previous row for go to this generation's
    file, or every row when the layout is due to be written whole. Returns the layout written."""
    planned = layout_after(previous, source, generation) if len(source) == len(articles) else None
    if planned is None:
        write_text(path_of(generation), articles, hashes)
        return TextLayout.whole(generation, len(articles))
    layout, fresh = planned
    if len(fresh):
        columns = articles[list(MAPPED_COLUMNS)]
        write_text(path_of(generation), take_frame_rows(columns, fresh), np.asarray(hashes)[fresh])
    return layout


def write_text(path: Path, articles: pd.DataFrame, hashes: np.ndarray) -> None:
    """Write ``articles``' mapped columns (``MAPPED_COLUMNS``) and ``hashes`` (one per row) to ``path``
    atomically."""
    if len(hashes) != len(articles):
        raise ValueError(f"{len(hashes)} content hashes for {len(articles)} stories")
    columns = [
        arrow_lists(articles[name]) if name in _LISTS else _arrow_text(articles[name]) for name in MAPPED_COLUMNS
    ]
    table = pa.Table.from_arrays([*columns, pa.array(hashes, type=pa.uint64())], schema=SCHEMA)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with pa.OSFile(tmp, "wb") as sink, ipc.new_file(sink, SCHEMA) as writer:
            # ``WRITE_ROWS`` stories at a time, each slice one record batch (its chunks joined): the text
            # of a generation written whole is mapped from earlier files, and joined at once it would all
            # be copied into memory (1.3 GB at 1,000,000 stories). A file of several batches is read as
            # several chunks, as the runs of earlier files are (``gather_by_chunk`` reads rows chunk by chunk).
            for start in range(0, max(table.num_rows, 1), WRITE_ROWS):
                writer.write_table(table.slice(start, WRITE_ROWS).combine_chunks())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _arrow_text(column: pd.Series) -> pa.ChunkedArray:
    """A string column as Arrow ``large_string`` (the buffers of an Arrow-backed column as they are)."""
    array = column.array
    chunked = getattr(array, "_pa_array", None)
    if isinstance(chunked, pa.ChunkedArray) and chunked.type == pa.large_string():
        return chunked
    return pa.chunked_array([pa.array(column.astype("string").to_numpy(dtype=object, na_value=None))]).cast(
        pa.large_string()
    )


#: At most this many stories are read with ``pread`` at once; more (a whole selection) go through the
#: mapping as before, rather than into a copy in memory (an export reads ``Collection.batches`` of 5,000).
READ_ROWS = 10_000


def open_text(path: Path, rows: int, mapped: bool = True) -> pa.Table:
    """The text file of a generation of ``rows`` stories, memory-mapped (nothing is read yet), or read
    into memory (``mapped`` false)."""
    try:
        source = pa.memory_map(str(path), "r") if mapped else pa.OSFile(str(path), "rb")
        table = ipc.open_file(source).read_all()
    except FileNotFoundError:
        raise CacheError(f"{path}: text file missing; rebuilding") from None
    except (OSError, pa.ArrowException) as error:
        raise CacheError(f"{path}: text file unreadable ({_first_line(error)}); rebuilding") from None
    if not table.schema.equals(SCHEMA):
        raise CacheError(f"{path}: text file not as written (columns {table.schema.names}); rebuilding")
    if table.num_rows != rows:
        raise CacheError(f"{path}: text file not as written ({table.num_rows} rows, not {rows}); rebuilding")
    for name in ("body", *_LISTS):  # a story always has a body and lists (the caption may be missing)
        if table.column(name).null_count:
            raise CacheError(f"{path}: text file not as written (column {name} has empty cells); rebuilding")
    return table


@dataclass(frozen=True, slots=True)
class _Mapped:
    """The file mapped at an address of this process (``/proc/self/maps``), and where in it."""

    path: str
    offset: int  # the file offset of the address
    device: tuple[int, int]  # major, minor
    inode: int


def _mapped_at(address: int, size: int) -> _Mapped | None:
    """The file the kernel maps at ``address`` now, ``size`` bytes on in one mapping, or None (no file
    there, no ``/proc``)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="surrogateescape") as maps:
            for line in maps:
                fields = line.rstrip("\n").split(maxsplit=5)
                low, high = (int(part, 16) for part in fields[0].split("-"))
                if low <= address < high:
                    if address + size > high or len(fields) < 6 or not fields[5].startswith("/") or fields[4] == "0":
                        return None
                    major, minor = (int(part, 16) for part in fields[3].split(":"))
                    return _Mapped(fields[5], address - low + int(fields[2], 16), (major, minor), int(fields[4]))
    except (OSError, ValueError, IndexError):
        return None
    return None


class _Maps:
    """``_mapped_at`` for the reads of one ``take_rows`` call, each buffer looked up once: the chunks of a
    column of text runs are slices of a few mapped files and share their buffers, so each chunk would look
    the same address up again (a scan of ``/proc/self/maps``). Never kept beyond the call: an address may
    later map another file."""

    def __init__(self) -> None:
        self._found: dict[tuple[int, int], _Mapped | None] = {}

    def at(self, address: int, size: int) -> _Mapped | None:
        key = (address, size)
        if key not in self._found:
            self._found[key] = _mapped_at(address, size)
        return self._found[key]


def take_rows(
    frame: pd.DataFrame, positions: np.ndarray, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """``frame[columns].iloc[positions]`` (every column when ``columns`` is None), the same values and
    dtypes, with the columns mapped from a text file (``MAPPED_COLUMNS``: text and lists) read from it
    with ``os.pread`` rather than through the mapping (see the module's notes), for at most ``READ_ROWS``
    positions. Any other column, or a mapped column whose file cannot be read again as it was mapped, is
    taken as ``iloc`` takes it."""
    names = list(frame.columns if columns is None else columns)
    read: dict[str, pa.ChunkedArray] = {}
    maps = _Maps()
    for name in MAPPED_COLUMNS if len(positions) <= READ_ROWS else ():
        if name in names:
            values = _read_rows(frame[name], positions, maps)
            if values is not None:
                read[name] = values
    if not read:
        return rows_at(frame[names] if columns is not None else frame, positions)
    rest = rows_at(frame[[name for name in names if name not in read]], positions)
    index = rest.index
    taken = pd.DataFrame(
        {
            name: (
                (pd.arrays.ArrowExtensionArray if name in _LISTS else pd.arrays.ArrowStringArray)(read[name])
                if name in read
                else rest[name].array
            )
            for name in names
        },
        index=index,
    )
    taken.attrs = rest.attrs
    return taken


def _read_rows(column: pd.Series, positions: np.ndarray, maps: _Maps | None = None) -> pa.ChunkedArray | None:
    """The values of a mapped text or list column at ``positions`` read from its file, as one chunk of
    the column's type; None when the column's data is not a view of a mapped file (``/proc/self/maps``
    says which file the kernel maps there), that path no longer holds the file mapped (replaced,
    deleted), or a position is out of range (``iloc`` then says so). A column of several chunks (a
    collection merged from slices of the previous text file) is read chunk by chunk."""
    chunked = getattr(column.array, "_pa_array", None)
    if not isinstance(chunked, pa.ChunkedArray) or not chunked.num_chunks:
        return None
    count = len(chunked)
    wanted = np.asarray(positions, dtype=np.int64)
    wanted = np.where(wanted < 0, wanted + count, wanted)
    if len(wanted) and (wanted.min() < 0 or wanted.max() >= count):
        return None
    where = _Maps() if maps is None else maps
    array = gather_by_chunk(chunked, wanted, lambda chunk, rows: _read_chunk(chunk, rows, where))
    return None if array is None else pa.chunked_array([array], type=chunked.type)


def _read_chunk(chunk: pa.Array, wanted: np.ndarray, maps: _Maps) -> pa.Array | None:
    """``_read_rows`` of one chunk, at ``wanted`` (in bounds)."""
    count = len(chunk)
    if chunk.type == pa.large_string():
        texts = _strings_at(maps, chunk, wanted)
        if texts is None:
            return None
        bitmap, nulls = _validity_at(chunk, wanted)
        return pa.Array.from_buffers(pa.large_string(), len(wanted), [bitmap, *texts], null_count=nulls)
    if chunk.type == ARROW_LIST.pyarrow_dtype and not chunk.null_count:
        # the lists' bounds in the child strings (4 bytes a story, through the mapping); each story's
        # strings follow each other in the file, so they are read as one run
        bounds = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset : chunk.offset + count + 1]
        firsts, lasts = bounds[wanted].astype(np.int64), bounds[wanted + 1].astype(np.int64)
        child = chunk.values  # unsliced: the bounds index it
        if child.null_count or child.type != pa.string():
            return None
        texts = _strings_at(maps, child, firsts, lasts)
        if texts is None:
            return None
        offsets = np.zeros(len(wanted) + 1, dtype=np.int32)
        np.cumsum(lasts - firsts, out=offsets[1:])
        items = pa.Array.from_buffers(pa.string(), int(offsets[-1]), [None, *texts], null_count=0)
        return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), items)
    return None


def _validity_at(chunk: pa.Array, wanted: np.ndarray) -> tuple[pa.Buffer | None, int]:
    """The validity bitmap of ``chunk`` at ``wanted`` and its null count (None, 0 when none is null)."""
    if chunk.buffers()[0] is None or not chunk.null_count:
        return None, 0
    valid = chunk.is_valid().to_numpy(zero_copy_only=False)[wanted]
    return pa.py_buffer(np.packbits(valid, bitorder="little")), int(len(valid) - valid.sum())


def _strings_at(
    maps: _Maps, array: pa.Array, firsts: np.ndarray, lasts: np.ndarray | None = None
) -> tuple[pa.Buffer, pa.Buffer] | None:
    """The offsets and data buffers of the strings of ``array`` (``string`` or ``large_string``) at
    ``firsts`` (with ``lasts``: the runs of strings ``firsts[i]`` to ``lasts[i]``, end excluded), in that
    order, the data read with ``pread`` from the file the array's data maps; None when it maps none.
    Strings that are all empty (a record batch of stories without coverage links) have no data to read."""
    _, offsets_buffer, data = array.buffers()
    if offsets_buffer is None:
        return None
    kind = np.int64 if array.type == pa.large_string() else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=kind)[array.offset : array.offset + len(array) + 1]
    runs_end = firsts + 1 if lasts is None else lasts
    starts, ends = offsets[firsts].astype(np.int64), offsets[runs_end].astype(np.int64)
    text = _pread_runs(maps, data, starts, ends) if data is not None and data.size else bytearray()
    if text is None:
        return None
    # each run's string offsets (a single string: a run of one), moved to where the run lands in the text
    sizes = runs_end - firsts
    shift = np.cumsum(ends - starts) - (ends - starts) - starts
    inner = np.repeat(firsts, sizes) + (np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes))
    out = np.empty(int(sizes.sum()) + 1, dtype=kind)
    out[:-1] = offsets[inner] + np.repeat(shift, sizes)
    out[-1] = len(text)
    return pa.py_buffer(out), pa.py_buffer(text)


def _pread_runs(maps: _Maps, data: pa.Buffer, starts: np.ndarray, ends: np.ndarray) -> bytearray | None:
    """The bytes ``starts[i]:ends[i]`` of the buffer ``data``, one after the other, read with ``pread``
    from the file mapped at its address (one read per run of ranges that follow each other there); None
    when no file is mapped there or another file is at that path now."""
    mapped = maps.at(data.address, data.size)  # the text file this buffer is a view of, if it is one
    if mapped is None:
        return None
    out_offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(ends - starts, out=out_offsets[1:])
    text = bytearray(int(out_offsets[-1]))
    if not len(starts):
        return text
    base = mapped.offset  # where the buffer starts in the file
    breaks = np.flatnonzero(starts[1:] != ends[:-1]) + 1
    firsts = np.concatenate([[0], breaks])
    lasts = np.concatenate([breaks, [len(starts)]]) - 1
    try:
        descriptor = os.open(mapped.path, os.O_RDONLY)
    except OSError:
        return None
    try:
        status = os.fstat(descriptor)
        found = ((os.major(status.st_dev), os.minor(status.st_dev)), status.st_ino)
        if found != (mapped.device, mapped.inode):  # another file at that path now (or deleted)
            return None
        view = memoryview(text)
        for first, last in zip(firsts.tolist(), lasts.tolist(), strict=True):
            at, stop = int(out_offsets[first]), int(out_offsets[last + 1])
            where = base + int(starts[first])
            while at < stop:
                got = os.preadv(descriptor, [view[at:stop]], where)
                if got <= 0:
                    return None
                at, where = at + got, where + got
    finally:
        os.close(descriptor)
    return text


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def attach_text(frame: pd.DataFrame, table: pa.Table, order: list[str]) -> pd.DataFrame:
    """``frame`` (the other article columns) with the mapped columns of ``table`` as zero-copy views (text
    as pandas' Arrow strings, lists as ``ARROW_LIST``), its columns in ``order``."""
    views = {
        name: pd.Series(
            pd.arrays.ArrowExtensionArray(table.column(name))
            if name in _LISTS
            else pd.arrays.ArrowStringArray(table.column(name)),
            index=frame.index,
        )
        for name in MAPPED_COLUMNS
    }
    return pd.DataFrame(
        {name: views[name] if name in views else frame[name] for name in order}, index=frame.index
    )


def hashes_of(table: pa.Table) -> np.ndarray:
    """The ``content_hash`` column as a numpy array (copied: 8 bytes a story)."""
    hashes: np.ndarray = table.column("content_hash").to_numpy()
    return hashes


__all__ = [
    "MAPPED_COLUMNS",
    "SCHEMA",
    "SHOWN_COLUMNS",
    "TEXT_COLUMNS",
    "TextLayout",
    "attach_text",
    "hashes_of",
    "layout_after",
    "open_layout",
    "open_text",
    "take_rows",
    "write_text",
    "write_text_after",
]
