"""Story text kept on disk: the bodies and photo captions of one cache generation, memory-mapped.

``text-<generation>.arrow`` beside the generation's articles file is an uncompressed Arrow IPC (Feather
v2) file with three columns in the article frame's row order: ``body``, ``photo_caption`` and
``content_hash`` (``core.storing.search.content_hashes`` of each row, which the full-text index and the
theme memberships are keyed by). A warm start reads every other column from the Parquet articles file
and maps this one: the frame's ``body`` and ``photo_caption`` columns are then views of the mapped file
(pandas' Arrow-backed ``string`` dtype, the same dtype as a frame built in memory), so the text of a
story is read from disk when something reads it (a page that shows it, an export, a re-index), and the
operating system may drop those pages again. A million bodies no longer sit in the server's memory.

A file that is missing, cut short or not as written raises ``CacheError`` (the caller rebuilds the
generation, as for any damaged cache file). The mapped file may be unlinked while a frame still maps it
(a newer generation replaced it): the mapping stays valid until the frame is gone.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc

from core.errors import CacheError

#: The article columns kept in the text file (and left out of the Parquet read on a warm start).
TEXT_COLUMNS: tuple[str, ...] = ("body", "photo_caption")
SCHEMA = pa.schema(
    [("body", pa.large_string()), ("photo_caption", pa.large_string()), ("content_hash", pa.uint64())]
)


def write_text(path: Path, articles: pd.DataFrame, hashes: np.ndarray) -> None:
    """Write ``articles``' text columns and ``hashes`` (one per row) to ``path`` atomically."""
    if len(hashes) != len(articles):
        raise ValueError(f"{len(hashes)} content hashes for {len(articles)} stories")
    columns = [_arrow_text(articles[name]) for name in TEXT_COLUMNS]
    # one record batch: Arrow's ``take`` over a column of several chunks joins them into one first, so
    # picking 3,000 stories from a mapped column of several would copy every story's text into memory
    table = pa.Table.from_arrays([*columns, pa.array(hashes, type=pa.uint64())], schema=SCHEMA).combine_chunks()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with pa.OSFile(tmp, "wb") as sink, ipc.new_file(sink, SCHEMA) as writer:
            writer.write_table(table)
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
    if table.column("body").null_count:  # a story always has a body (the caption may be missing)
        raise CacheError(f"{path}: text file not as written (column body has empty cells); rebuilding")
    return table


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def attach_text(frame: pd.DataFrame, table: pa.Table, order: list[str]) -> pd.DataFrame:
    """``frame`` (the other article columns) with the text columns of ``table`` as zero-copy views, its
    columns in ``order``."""
    views = {
        name: pd.Series(pd.arrays.ArrowStringArray(table.column(name)), index=frame.index)
        for name in TEXT_COLUMNS
    }
    return pd.DataFrame(
        {name: views[name] if name in views else frame[name] for name in order}, index=frame.index
    )


def hashes_of(table: pa.Table) -> np.ndarray:
    """The ``content_hash`` column as a numpy array (copied: 8 bytes a story)."""
    hashes: np.ndarray = table.column("content_hash").to_numpy()
    return hashes


__all__ = ["SCHEMA", "TEXT_COLUMNS", "attach_text", "hashes_of", "open_text", "write_text"]
