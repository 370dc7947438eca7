"""Smoke test of ``bench.bench_scale`` without a server or a browser: the ingest figures on a small
generated corpus, and a report that names every figure of the issue (measured or not). No timing is
checked."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench import bench_scale


@pytest.mark.timeout(300)  # about 20 s: per way, two ingests and two dashboard loads, each in a new process
def test_ingest_figures_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "scale.json"
    argv = ["--stories", "300", "--corpus", str(tmp_path / "corpus"), "--cache", str(tmp_path / "work")]
    status = bench_scale.main([*argv, "--parts", "ingest,open", "--json", str(out)])

    printed = capsys.readouterr().out
    assert status == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    assert set(results["ways"]) == set(bench_scale.WAYS)  # side by side, in one run
    for way in bench_scale.WAYS:
        figures = results["ways"][way]
        for key in ("cold_ingest_s", "cold_open_s", "incremental_s", "incremental_open_s"):
            assert isinstance(figures[key], float) and figures[key] > 0, (way, key)
        assert figures["details"]["stories added by the incremental step"] == 1
        index, folder = (figures["details"][k] for k in ("search index file (MB)", "cache folder, every file (MB)"))
        assert 0 < index < folder, (way, index, folder)  # the index on disk, one file among the cache's
    for figure in bench_scale.FIGURES:
        assert figure.label in printed, figure.label
    assert "not measured" in printed  # the browser, search and rerun figures of this run
    assert out.with_suffix(".md").read_text(encoding="utf-8").count("\n") > len(bench_scale.FIGURES)


def test_verdicts_and_tiers() -> None:
    assert bench_scale.judge(0.4, 0.5, "s") == "met"
    assert bench_scale.judge(1.5, 0.5, "s") == "missed by 1.00 s (x3.0)"
    assert bench_scale.judge(math.nan, 0.5, "s") == "not measured"
    assert [bench_scale.tier(n) for n in (300, 100_000, 100_001, 5_000_000)] == [
        100_000,
        100_000,
        1_000_000,
        1_000_000,
    ]


def test_browser_helpers_are_the_e2e_ones() -> None:
    """The browser figures start servers and Chromium with the end-to-end tests' helpers (a run once
    failed here when ``bench.load`` changed how it imports them)."""
    load, e2e = bench_scale.browser_helpers()
    assert e2e.__file__.endswith(str(Path("tests", "e2e", "conftest.py")))
    assert callable(e2e._free_port) and callable(e2e.chromium_path) and e2e.CHROMIUM_ARGS
    assert callable(load.start_server) and load.start_server is e2e.start_server


def test_the_trivial_app_shows_what_settled_waits_for() -> None:
    """The one-line app's page must count as settled, or every browser figure waits out its time limit
    (it did once: the app said "1 article" after the pages' noun became "stories")."""
    import re

    load, _ = bench_scale.browser_helpers()
    pattern = re.search(r"/(.+?)/\.test\(main\.innerText\)", load.SETTLED)
    assert pattern is not None, load.SETTLED
    shown = re.search(r'st\.write\("([^"]*)"\)', bench_scale.TRIVIAL_APP)
    assert shown is not None
    assert re.search(pattern.group(1).replace("\\\\", "\\"), shown.group(1))


def test_bytecode_is_compiled_for_the_servers_and_removed_after(tmp_path: Path) -> None:
    """``bytecode``: the folders' modules compiled while the block runs (whatever PYTHONDONTWRITEBYTECODE
    says), the ``__pycache__`` folders it made removed afterwards, one that was there before kept."""
    fresh, kept = tmp_path / "fresh", tmp_path / "kept"
    for folder in (fresh, kept, fresh / "sub"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "module.py").write_text("VALUE = 1\n", encoding="utf-8")
    (kept / "__pycache__").mkdir()
    (kept / "__pycache__" / "old.pyc").write_bytes(b"")
    with bench_scale.bytecode([fresh, kept]):
        made = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pyc"))
        assert [p.split(".")[0] for p in made] == ["fresh/__pycache__/module", "fresh/sub/__pycache__/module",
                                                   "kept/__pycache__/module", "kept/__pycache__/old"]
    assert not list(fresh.rglob("__pycache__"))
    assert (kept / "__pycache__" / "old.pyc").exists()
