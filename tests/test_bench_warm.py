"""Smoke test of ``bench.bench_warm`` on a small generated corpus: both ways measured on a warm cache, in
new processes. No timing is checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import bench_warm


@pytest.mark.timeout(300)
def test_both_ways_are_measured_side_by_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_warm, "ensure_corpus", lambda stories: _corpus(tmp_path / "corpus", stories))
    out = tmp_path / "warm.json"
    assert (
        bench_warm.main(
            ["--stories", "200", "--rounds", "1", "--cache", str(tmp_path / "cache"), "--json", str(out)]
        )
        == 0
    )
    results = json.loads(out.read_text(encoding="utf-8"))
    assert set(results["medians"]) == set(bench_warm.WAYS)
    for way, runs in results["runs"].items():
        assert len(runs) == 1 and runs[0]["from_cache"], way
        assert runs[0]["stories"] == results["stories"] > 150
        assert runs[0]["cpu_s"] > 0 and runs[0]["VmRSS"] > runs[0]["RssAnon"] > 0
        assert set(runs[0]["parts_cpu_s"]) == {"load_state", "reports", "headlines", "listings", "ingest again"}
        assert 0 < runs[0]["state_bytes"] < 4000  # the state of cache format 4 does not name every file


def _corpus(folder: Path, stories: int) -> Path:
    from bench.corpus import generate_corpus

    generate_corpus(folder, stories=stories, seed=2)
    return folder
