"""The list columns held as Arrow lists (``core.storing.frame.ARROW_LIST_COLUMNS``): every article frame has
them so (a cold ingest, a warm start, a frame built from records), a cell reads as a list of ``str`` as a
column of Python lists did, and what is written from them reads back with pandas."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.corpus import generate_corpus
from core.analysing import export
from core.model import LIST_COLUMNS
from core.storing.frame import (
    ARROW_LIST,
    ARROW_LIST_COLUMNS,
    conform,
    frame_to_json_records,
    rows_of_two,
    with_arrow_lists,
)
from core.storing.ingest import ingest


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pages")
    generate_corpus(folder, stories=300, seed=5)
    return folder


def test_cold_and_warm_frames_hold_arrow_lists_with_the_same_cells(pages: Path, tmp_path: Path) -> None:
    cold = ingest([pages], use_cache=False).articles
    ingest([pages], cache_dir=tmp_path)
    warm = ingest([pages], cache_dir=tmp_path)
    assert warm.from_cache
    for name in ARROW_LIST_COLUMNS:
        assert cold[name].dtype == ARROW_LIST and warm.articles[name].dtype == ARROW_LIST
        cells = warm.articles[name].tolist()
        assert cells == cold[name].tolist()
        assert all(isinstance(cell, list) and all(isinstance(v, str) for v in cell) for cell in cells)
        assert warm.articles[name].iloc[0] == cells[0] and isinstance(warm.articles[name].iloc[0], list)
    assert any(warm.articles["sources"].tolist()) and any(warm.articles["related"].tolist())
    for name in set(LIST_COLUMNS) - set(ARROW_LIST_COLUMNS):  # counted columns stay Python lists
        assert warm.articles[name].dtype == object


def test_conform_reads_any_list_cells_into_arrow_lists(pages: Path) -> None:
    built = ingest([pages], use_cache=False).articles.head(3)
    cells = pd.Series([["f.txt:1-2"], None, ("g.txt:3-4", "h.txt:5-5")], dtype=object)
    frame = conform(built.assign(sources=cells))
    assert frame["sources"].dtype == ARROW_LIST
    assert frame["sources"].tolist() == [["f.txt:1-2"], [], ["g.txt:3-4", "h.txt:5-5"]]
    assert conform(frame)["sources"].tolist() == frame["sources"].tolist()  # kept as it is


def test_touched_stories_join_the_kept_as_arrow_lists(pages: Path) -> None:
    """The stories an incremental merge touched (Python lists, as the merge rebuilds them) join the kept
    ones (Arrow lists) with their list columns made Arrow lists first: the joined columns stay Arrow lists,
    not a Python list per story, and hold the cells ``conform`` of the plain join gives."""
    built = ingest([pages], use_cache=False).articles
    kept, touched = built.iloc[:40], conform(built.iloc[40:45].reset_index(drop=True)).assign(
        authors=pd.Series([["Ann Li"], [], ("Bo",), None, ["Zhou Xin", "Ann Li"]], dtype=object),
        contacts=pd.Series([[], ["a@b.c"], [], [], []], dtype=object),
    )
    rows = np.array([44, 0, 41, 39, 40, 3, 42, 43], dtype=np.int64)
    joined = rows_of_two(kept, with_arrow_lists(touched, kept), rows)
    plain = conform(rows_of_two(kept, touched, rows))
    for name in ARROW_LIST_COLUMNS:
        assert joined[name].dtype == ARROW_LIST, name
        assert joined[name].tolist() == plain[name].tolist(), name
    assert joined["authors"].tolist()[0] == ["Zhou Xin", "Ann Li"] and joined["authors"].tolist()[4] == ["Ann Li"]
    assert with_arrow_lists(touched, touched) is touched  # Python lists where the other frame has them


def test_exports_of_arrow_lists_read_back_with_pandas(pages: Path) -> None:
    frame = ingest([pages], use_cache=False).articles.head(50)
    table = pd.read_parquet(io.BytesIO(export.to_parquet(frame)))
    for name in ARROW_LIST_COLUMNS:
        assert [list(cell) for cell in table[name]] == frame[name].tolist()
    assert pq.read_schema(io.BytesIO(export.to_parquet(frame))).field("sources").type == pa.list_(pa.string())
    records = list(frame_to_json_records(frame))
    assert [r["related"] for r in records] == frame["related"].tolist()
    assert all(isinstance(r["sources"], list) and "file" in r["sources"][0] for r in records)
