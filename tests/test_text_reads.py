"""Some stories' text read from the cache's text file with ``pread`` (``core.storing.text.take_rows``):
the same frame as ``iloc`` on the mapped columns, none of the file left mapped in the process, and the
mapping used as before when the file is no longer the one mapped."""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.storing.frame as frame_module
import core.storing.text as text_module
from bench.corpus import generate_corpus
from core.storing.collection import open_collection
from core.storing.frame import ARROW_LIST, rows_at, take_frame_rows
from core.storing.text import (
    MAPPED_COLUMNS,
    READ_ROWS,
    _read_rows,
    attach_text,
    open_text,
    take_rows,
    write_text,
)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pages")
    generate_corpus(folder, stories=400, seed=5)
    return folder


def _mapped_kb(path: Path) -> int:
    """Resident kilobytes of this process's mappings of ``path`` (``/proc/self/smaps``)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and len(fields) >= 5 and fields[0].replace("-", "").isalnum():
            inside = len(fields) >= 6 and fields[5] == str(path)
        elif inside and line.startswith("Rss:"):
            total += int(fields[1])
    return total


def _text_frame(rows: int, size: int) -> pd.DataFrame:
    """Stories with every column of the text file: long bodies, and lists of long items (a story's
    sources, its related headlines), some of them empty."""
    rng = np.random.default_rng(1)
    bodies = [f"story {n} " + "x" * int(rng.integers(size // 2, size)) for n in range(rows)]
    captions = [None if n % 3 else f"caption {n}" for n in range(rows)]
    lists = {
        name: [[f"{name} {n}.{i} " + "y" * (size // 8) for i in range(n % 4)] for n in range(rows)]
        for name in ("contacts", "related", "coverage_links", "sources")
    }
    frame = pd.DataFrame(
        {
            "article_id": [f"a{n}" for n in range(rows)],
            "body": bodies,
            "photo_caption": captions,
            "byline": [f"By Reporter {n}" for n in range(rows)],
            "photo_credit": [None if n % 2 else f"Photo: {n}" for n in range(rows)],
        }
    ).astype({"article_id": "string", "body": "string", "photo_caption": "string", "byline": "string", "photo_credit": "string"})
    for name, values in lists.items():
        frame[name] = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values, ARROW_LIST.pyarrow_dtype)))
    return frame


POSITIONS = [
    [0],
    [5, 5, 4, 0, 300],  # repeated, backwards
    [-1, -300, 17],  # from the end, as iloc reads them
    list(range(30, 90)),  # one run
    list(range(0, 390, 7)),
    [],
]


def test_rows_read_from_the_file_are_the_rows_iloc_gives(pages: Path, tmp_path: Path) -> None:
    open_collection([pages], cache_dir=tmp_path)
    warm = open_collection([pages], cache_dir=tmp_path)  # the text mapped from the cache
    frame = warm.articles
    assert frame["photo_caption"].isna().any() and frame["photo_caption"].notna().any()
    for wanted in POSITIONS:
        positions = np.asarray(wanted, dtype=np.intp)
        for name in MAPPED_COLUMNS:  # read from the file, not the mapping
            assert _read_rows(frame[name], positions) is not None, name
        pd.testing.assert_frame_equal(warm.rows(positions), frame.iloc[positions], check_exact=True)
        pd.testing.assert_frame_equal(
            warm.text(positions), frame[["body", "photo_caption"]].iloc[positions], check_exact=True
        )
        pd.testing.assert_frame_equal(
            warm.text(positions, ["photo_caption"]), frame[["photo_caption"]].iloc[positions]
        )
    one = warm.rows([3]).iloc[0].to_dict()
    assert one.keys() == frame.iloc[3].to_dict().keys()
    assert {k: str(v) for k, v in one.items()} == {k: str(v) for k, v in frame.iloc[3].to_dict().items()}
    with pytest.raises(IndexError):
        warm.rows([len(frame)])
    # text in memory (a cold ingest) is not a file's: taken as iloc takes it
    cold = open_collection([pages], use_cache=False)
    positions = np.asarray(POSITIONS[1], dtype=np.intp)
    assert _read_rows(cold.articles["body"], positions) is None
    pd.testing.assert_frame_equal(cold.rows(positions), frame.iloc[positions])


def test_a_spread_read_leaves_the_text_file_unmapped(tmp_path: Path) -> None:
    rows, size = 2_000, 40_000  # 60 MB of text
    frame = _text_frame(rows, size)
    path = tmp_path / "text.arrow"
    write_text(path, frame, np.arange(rows, dtype=np.uint64))
    mapped = attach_text(frame[["article_id"]], open_text(path, rows), ["article_id", *MAPPED_COLUMNS])
    positions = np.linspace(0, rows - 1, 150).round().astype(np.intp)
    before = _mapped_kb(path)
    taken = take_rows(mapped, positions)
    grown = _mapped_kb(path) - before
    assert grown < 4_096, f"{grown} kB of the text file mapped to read 150 stories"
    expected = frame[["article_id", *MAPPED_COLUMNS]].iloc[positions].reset_index(drop=True)
    pd.testing.assert_frame_equal(taken.reset_index(drop=True), expected)
    # a whole selection still goes through the mapping (no copy of every story's text in memory)
    assert _read_rows(mapped["body"], np.arange(rows)) is not None
    everything = np.arange(rows).repeat(READ_ROWS // rows + 1)
    pd.testing.assert_frame_equal(take_rows(mapped, everything), mapped.iloc[everything])


@pytest.mark.parametrize("change", ["replaced", "removed"])
def test_a_text_file_replaced_after_mapping_is_read_through_the_mapping(tmp_path: Path, change: str) -> None:
    frame = _text_frame(50, 200)
    path = tmp_path / "text.arrow"
    write_text(path, frame, np.arange(50, dtype=np.uint64))
    mapped = attach_text(frame[["article_id"]], open_text(path, 50), ["article_id", "body", "photo_caption"])
    if change == "replaced":  # another file at the path, of the same size: not what was mapped
        other = tmp_path / "other.arrow"
        write_text(other, frame.assign(body=frame["body"].str.upper()), np.arange(50, dtype=np.uint64))
        os.replace(other, path)
    else:
        path.unlink()
    positions = np.array([1, 2, 40])
    assert _read_rows(mapped["body"], positions) is None
    pd.testing.assert_frame_equal(take_rows(mapped, positions), frame[list(mapped.columns)].iloc[positions])


def _sliced(frame: pd.DataFrame, cuts: list[int]) -> pd.DataFrame:
    """``frame`` as an incremental merge lays it out (``core.storing.frame.rows_of_two``): slices of it joined
    end to end, so each Arrow column has a chunk per slice."""
    bounds = [0, *sorted({min(max(c, 0), len(frame)) for c in cuts}), len(frame)]
    return pd.concat([frame.iloc[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a], ignore_index=True)


def test_rows_of_a_merged_text_are_read_from_the_file_chunk_by_chunk(tmp_path: Path) -> None:
    """A text column of several chunks, each a slice of the mapped file (a collection after an incremental
    ingest), is read with ``pread`` chunk by chunk: the rows ``iloc`` gives, and little of the file
    mapped. ``iloc`` itself would join every chunk first: a copy of the whole text."""
    rows, size = 2_000, 40_000  # 60 MB of text
    frame = _text_frame(rows, size)
    path = tmp_path / "text.arrow"
    write_text(path, frame, np.arange(rows, dtype=np.uint64))
    mapped = attach_text(frame[["article_id"]], open_text(path, rows), ["article_id", *MAPPED_COLUMNS])
    merged = _sliced(mapped, [1, 700, 701, 1500])
    assert merged["body"].array._pa_array.num_chunks == 5
    positions = np.array([1999, 0, 700, 700, 1, 1200, -1], dtype=np.intp)
    for name in MAPPED_COLUMNS:
        assert _read_rows(merged[name], positions) is not None, name
    before = _mapped_kb(path)
    taken = take_rows(merged, positions)
    grown = _mapped_kb(path) - before
    assert grown < 4_096, f"{grown} kB of the text file mapped to read 7 stories"
    pd.testing.assert_frame_equal(taken, merged.iloc[positions], check_exact=True)
    pd.testing.assert_frame_equal(take_rows(merged, positions, ["body"]), merged[["body"]].iloc[positions])


_CELLS = st.lists(st.one_of(st.none(), st.text(alphabet="ab é\x1f", max_size=5)), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(_CELLS, st.lists(st.integers(0, 30), max_size=4), st.data())
def test_take_frame_rows_as_take(cells: list[str | None], cuts: list[int], data: st.DataObject) -> None:
    """``take_frame_rows`` of a frame whose Arrow columns (text of both kinds, lists) have several chunks,
    and of plain columns: the frame ``take`` gives, index reset, dtypes kept, the columns taken one after
    another or on threads."""
    n = len(cells)
    frame = pd.DataFrame(
        {
            "text": pd.Series(cells, dtype="string"),
            "str": pd.Series([c if c is not None else None for c in cells], dtype="str"),
            "lists": pd.Series(
                pd.arrays.ArrowExtensionArray(pa.array([[c] if c else [] for c in cells], ARROW_LIST.pyarrow_dtype))
            ),
            "number": np.arange(n, dtype=np.int64),
            "objects": pd.Series([[c] for c in cells], dtype=object),
        }
    )
    merged = _sliced(frame, cuts)
    rows = np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=20)), dtype=np.int64)
    expected = merged.take(rows).reset_index(drop=True)
    for threaded_rows in (frame_module.THREADED_ROWS, 1):  # the columns one after another, then on threads
        with mock.patch.object(frame_module, "THREADED_ROWS", threaded_rows):
            pd.testing.assert_frame_equal(take_frame_rows(merged, rows), expected, check_exact=True)
    with pytest.raises(IndexError):
        take_frame_rows(merged, np.array([n], dtype=np.int64))
    shifted = merged.set_axis(np.arange(len(merged)) * 3 + 7)  # iloc keeps the index labels
    shifted.attrs["kind"] = "shifted"
    for positions in (rows, -1 - rows, rows.tolist()):
        got = rows_at(shifted, positions)
        pd.testing.assert_frame_equal(got, shifted.iloc[positions], check_exact=True)
        assert got.attrs == {"kind": "shifted"}


def test_a_read_of_text_runs_looks_each_mapped_buffer_up_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chunks of a merged column are slices of one mapped file and share its buffers: one ``take_rows``
    scans ``/proc/self/maps`` once per buffer, not once per chunk (five here), and reads the same rows."""
    rows = 2_000
    frame = _text_frame(rows, 1_000)
    path = tmp_path / "text.arrow"
    write_text(path, frame, np.arange(rows, dtype=np.uint64))
    mapped = attach_text(frame[["article_id"]], open_text(path, rows), ["article_id", *MAPPED_COLUMNS])
    merged = _sliced(mapped, [1, 700, 701, 1500])
    positions = np.array([1999, 0, 700, 700, 1, 1200, -1], dtype=np.intp)
    scans: list[int] = []
    scan = text_module._mapped_at
    monkeypatch.setattr(text_module, "_mapped_at", lambda address, size: scans.append(address) or scan(address, size))
    taken = take_rows(merged, positions)
    assert 0 < len(scans) <= len(MAPPED_COLUMNS) and len(set(scans)) == len(scans)
    pd.testing.assert_frame_equal(taken, merged.iloc[positions], check_exact=True)
