"""The per-file parts carried from one generation to the next as Arrow tables (``core.storing.parts.PartTables``).

An incremental ingest keeps the earlier generation's reports, headline-list lines and listing entries of
the files it did not read again by filtering their tables, and puts the rows of the files it read in
their place, in input order. These tests check that against the same parts made from Python values (what
a full ingest writes), including a file name that is not UTF-8, and that the ingest makes a Python value
only for the reports of the files that changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.storing.parts as parts_module
from core.parsing.report import PageReport
from core.storing.frame import arrow_backed
from core.storing.ingest import _headline_frame, _headline_lines, _texts_then
from core.storing.parts import (
    _BINARY,
    FILE_PARTS,
    SCHEMAS,
    FileTable,
    PartTables,
    file_part_rows,
    files_rows,
    part_table,
)
from tests.test_cache_validation import assert_same, change_a_file, make_inputs, run, store_of

NAMES = ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "odd-\udce9.txt"]


def _values(name: str, version: int, lines: int, entries: int) -> dict[str, Any]:
    """A file's values in each part: a report, ``lines`` headline-list lines, ``entries`` listing entries."""
    report = PageReport(name, lines=10 * version + lines, shape="listing" if entries else "unknown").to_dict()
    headlines = [[number, f"{name} line {number} v{version}"] for number in range(1, lines + 1)]
    listings = [
        {
            "headline": f"{name} entry {number} v{version}",
            "summary": "",
            "published_at": "2020-01-02T03:04:00+08:00" if number % 2 else None,
            "group": "",
            "source": name,
            "line": number,
            "article_id": None,
        }
        for number in range(entries)
    ]
    return {"reports": report, "headlines": headlines, "listings": listings}


def _tables(files: dict[str, dict[str, Any]]) -> PartTables:
    return PartTables.of({part: {name: values[part] for name, values in files.items()} for part in FILE_PARTS})


def _rows(tables: PartTables) -> list[list[dict[str, Any]]]:
    return [table.to_pylist() for table in tables.tables()]


file_shape = st.tuples(st.integers(0, 3), st.integers(0, 3))


@settings(max_examples=60, deadline=None)
@given(
    old=st.dictionaries(st.sampled_from(NAMES), file_shape),
    fresh=st.dictionaries(st.sampled_from(NAMES), file_shape),
    kept=st.sets(st.sampled_from(NAMES)),
    names=st.permutations(NAMES).flatmap(lambda order: st.integers(0, len(order)).map(lambda n: order[:n])),
)
def test_kept_rows_and_fresh_ones_in_input_order_as_if_made_from_values(
    old: dict[str, tuple[int, int]],
    fresh: dict[str, tuple[int, int]],
    kept: set[str],
    names: list[str],
) -> None:
    """``old.only(kept).joined(fresh, names)`` has, for each of ``names`` in turn, the old rows of a kept
    file and then the fresh rows of it: the rows made from those values in that order (a name that is not
    UTF-8 among them or not)."""
    old_values = {name: _values(name, 1, *shape) for name, shape in old.items()}
    fresh_values = {name: _values(name, 2, *shape) for name, shape in fresh.items()}

    joined = _tables(old_values).only(kept).joined(_tables(fresh_values), names)

    for part, table in zip(FILE_PARTS, joined.tables(), strict=True):
        wanted = [
            row
            for name in names
            for values, taken in ((old_values, name in kept), (fresh_values, True))
            if taken and name in values
            for row in file_part_rows(part, {name: values[name][part]})
        ]
        assert [_decoded(row) for row in table.to_pylist()] == wanted, part
        assert table.schema in (SCHEMAS[part], _BINARY[part])


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    """A row of either form with its bytes as ``str``, as ``part_rows`` gives them."""
    return parts_module._decoded(row)  # type: ignore[no-any-return]


def test_an_incremental_ingest_makes_python_values_of_the_changed_files_reports_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After one page changed, the ingest reads the earlier reports as a table and makes a Python dict of
    one report only (the changed page's, taken out of the sums); the parts it writes are those of an
    ingest from scratch, and what it returns is the same."""
    folder = make_inputs(tmp_path)
    for number in range(12):  # more pages than the fixtures: the count below must not be all of them
        shutil.copy(folder / "latin1.txt", folder / f"copy-{number:02d}.txt")
    cache = tmp_path / "cache"
    run(folder, cache)
    change_a_file(folder)
    reports_made: list[int] = []
    real = parts_module.part_rows

    def counted(path: Path, table: Any) -> list[dict[str, Any]]:
        if "shape" in table.schema.names:
            reports_made.append(table.num_rows)
        return real(path, table)

    monkeypatch.setattr(parts_module, "part_rows", counted)
    corpus = run(folder, cache)
    monkeypatch.setattr(parts_module, "part_rows", real)

    assert not corpus.from_cache and corpus.cache_warnings == []
    assert sum(reports_made) == 1, reports_made
    clean_cache = tmp_path / "clean"
    clean = run(folder, clean_cache)
    assert_same(corpus, clean)
    for part in FILE_PARTS:
        written, fresh = (_part_file(store_of(folder, where), part) for where in (cache, clean_cache))
        assert pq.read_table(written).to_pylist() == pq.read_table(fresh).to_pylist(), part
    assert [page.to_dict() for page in corpus.report.pages] == [page.to_dict() for page in clean.report.pages]


def _part_file(store: Any, part: str) -> Path:
    state = store.load_state()
    return Path(store.part_path(part, state["generation"]))


@pytest.mark.parametrize(
    ("first", "rest", "arrow"),
    [
        (["Listing headline"], pa.array(["line one", "line two"], pa.string()), True),
        ([], pa.array(["line one"], pa.string()), True),
        (["caf\udce9.txt"], pa.array(["b.txt"], pa.string()), False),  # a name that is not UTF-8 first
        (["a.txt"], pa.array(["caf\udce9.txt".encode("utf-8", "surrogatepass")], pa.binary()), False),
    ],
)
def test_the_catalog_entries_texts_in_arrow_unless_a_name_is_not_utf8(first: list[str], rest: Any, arrow: bool) -> None:
    """The catalog's entries take the listing entries' texts and then the headline-list lines' as one
    column: in Arrow (pandas' ``str``) when all are UTF-8 text, else as Python strings; the same values."""
    column = _texts_then(first, rest)
    values = pd.Series(column)
    assert arrow_backed(values) == arrow
    expected = first + [v.decode("utf-8", "surrogatepass") if isinstance(v, bytes) else v for v in rest.to_pylist()]
    assert values.tolist() == expected


entries_of = st.fixed_dictionaries(
    {"size": st.integers(0, 10**9), "mtime_ns": st.integers(-(2**62), 2**62), "sha256": st.sampled_from(["", "ab", "cd"])}
)


@settings(max_examples=60, deadline=None)
@given(
    earlier=st.dictionaries(st.sampled_from(NAMES), entries_of),
    changes=st.dictionaries(st.sampled_from(NAMES), entries_of),
    keep=st.sets(st.sampled_from(NAMES)),
    names=st.permutations(NAMES),
    as_table=st.booleans(),
)
def test_the_files_table_carried_by_column_is_the_one_made_of_entries(
    earlier: dict[str, dict[str, Any]],
    changes: dict[str, dict[str, Any]],
    keep: set[str],
    names: list[str],
    as_table: bool,
) -> None:
    """The new generation's files table made by column from the earlier one (or from entries) lists, in
    input order, each changed file with its new entry and each other kept file with its earlier one, and
    writes the table the entries would."""
    keep = {name for name in keep if name in earlier}  # an ingest keeps only files the earlier table lists
    source: Any = earlier
    if as_table:
        listed = list(earlier)
        source = FileTable(
            listed,
            np.array([earlier[n]["size"] for n in listed], dtype=np.int64),
            np.array([earlier[n]["mtime_ns"] for n in listed], dtype=np.int64),
            [earlier[n]["sha256"] for n in listed],
        )
    expected = {name: changes.get(name) or earlier[name] for name in names if name in changes or name in keep}

    carried = FileTable.carried(source, names, keep, changes)

    assert list(carried) == list(expected)
    assert {name: carried[name] for name in carried} == expected
    made = part_table("files", files_rows(expected))
    assert carried.table().schema == made.schema
    assert [_decoded(row) for row in carried.table().to_pylist()] == [_decoded(row) for row in made.to_pylist()]


@pytest.mark.parametrize("lines", [{}, {"a.txt": [[3, "One"], [5, "Two"]], "c.txt": [[1, "Three"]]}])
def test_the_headline_lines_frame_is_the_one_made_from_the_states_values(lines: dict[str, Any]) -> None:
    """``Corpus.headlines`` of an ingest (from the parts' tables) and of a warm start (from the state's
    values) are one frame, dtypes too, also when no page has a headline list."""
    names = ["a.txt", "b.txt", "c.txt"]
    parts = PartTables.of({"reports": {}, "headlines": lines, "listings": {}})
    pd.testing.assert_frame_equal(_headline_lines(parts), _headline_frame(lines, names))
