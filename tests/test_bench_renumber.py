"""Smoke test of ``bench.bench_renumber`` on the catalog memo of a small generated collection: both ways
measured in new processes, giving the same keys. No timing is checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import bench_renumber
from bench.corpus import generate_corpus
from core.storing.ingest import ingest


@pytest.mark.timeout(300)
def test_both_ways_renumber_the_keys_of_a_real_memo_alike(tmp_path: Path) -> None:
    pages, cache, out = tmp_path / "pages", tmp_path / "cache", tmp_path / "renumber.json"
    generate_corpus(pages, stories=300, seed=3)
    ingest([pages], cache_dir=cache)
    assert bench_renumber.main(["--cache", str(cache), "--rounds", "2", "--out", str(out)]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    assert set(results["runs"]) == set(bench_renumber.WAYS)
    digests = {run["digest"] for runs in results["runs"].values() for run in runs}
    assert len(digests) == 1
    for way, runs in results["runs"].items():
        assert len(runs) == 2, way
        assert all(run["keys"] > 1000 and run["maxrss_mb"] > 0 and run["wall_s"] > 0 for run in runs), way
    assert out.with_suffix(".md").read_text(encoding="utf-8").count("|") > 10
