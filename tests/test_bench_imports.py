"""bench/bench_imports.py: each import is timed in a new process and says which heavy library it brought
in; the pages' chart module brings in neither Altair nor Plotly (its specs are dicts)."""

from __future__ import annotations

from pathlib import Path

from bench import bench_imports

ROOT = Path(__file__).resolve().parents[1]


def test_the_chart_module_imports_no_chart_library() -> None:
    charts = bench_imports.one(ROOT, "components.charts")
    assert charts["brought"] == []
    assert 0 < float(charts["seconds"]) < 60  # type: ignore[arg-type]


def test_what_an_import_brings_in_is_seen(tmp_path: Path) -> None:
    """A module that imports Altair (as components/charts.py did) is reported with it, and takes longer
    than the chart module's import."""
    (tmp_path / "dashboard").mkdir()
    (tmp_path / "probe.py").write_text("import altair\n", encoding="utf-8")
    probe = bench_imports.one(tmp_path, "probe")
    assert probe["brought"] == ["altair"]
    assert float(probe["seconds"]) > float(bench_imports.one(ROOT, "components.charts")["seconds"])  # type: ignore[arg-type]
