"""bench/bench_export.py on the shipped sample: the figures it reports are those of the real export."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest

from bench import bench_export

ROOT = Path(__file__).resolve().parents[1]


def test_one_export_is_measured_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pages = str(ROOT / "data" / "pages")
    run = bench_export.child(pages, str(tmp_path / "cache"), 12, "csv")
    assert run["stories"] == 12
    assert run["estimate"] == run["bytes"] > 0  # 200 stories or fewer: the estimate is exact
    assert run["seconds"] > 0 and run["peak_mb"] >= run["rss_before_mb"] > 0
    whole = bench_export.child(pages, str(tmp_path / "cache"), 1000, "csv")  # more than there are
    assert whole["stories"] == 20 and whole["bytes"] > run["bytes"]
    for way in ("joined", "streamed"):  # the page's pieces: the same file, however they are kept
        other = bench_export.child(pages, str(tmp_path / "cache"), 1000, "csv", way)
        assert (other["way"], other["bytes"], other["estimate"]) == (way, whole["bytes"], whole["estimate"])
    capsys.readouterr()


def test_the_exported_rows_are_the_stories_asked_for(tmp_path: Path) -> None:
    """The same build the benchmark times gives a file of that many stories (parsed back)."""
    import numpy as np

    from core.analysing import export
    from core.storing.collection import open_collection

    sys.path.insert(0, str(ROOT / "dashboard"))
    from components.paths import names_for

    collection = open_collection([ROOT / "data" / "pages"], cache_dir=tmp_path / "cache")
    positions = np.arange(7)
    members = collection.memberships[np.isin(collection.member_rows(), positions)]
    sources = names_for(collection).sources  # named relative to the data folder, as the page does
    data = export.export_bytes(collection.rows(positions), "csv", export.ResearchColumns(members), prepare=sources)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert len(rows) == 7
    assert len(data) == bench_export.child(str(ROOT / "data" / "pages"), str(tmp_path / "cache"), 7, "csv")["bytes"]
