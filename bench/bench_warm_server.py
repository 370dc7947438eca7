"""Warm start and memory of the dashboard's server, this tree beside another, alternated in one run.

    python -m bench.bench_warm_server --stories 100000 [--baseline TREE] [--rounds 3] [--cache DIR]

``bench.bench_scale``'s browser part measures one tree once, after a cold ingest; this measures only the
server on a warm cache, ``--rounds`` times, with the trees alternated (``--baseline TREE``: a source tree of
another commit, ``git archive <commit> | tar -x -C TREE``), so that both see the same load. Each tree runs
its own server (``streamlit run TREE/dashboard/app.py`` from TREE, so ``core`` is that tree's) on its own
cache folder (``--cache``/<name>, built first by that tree's ``components.data.read_collection`` when
missing). Each round first starts a one-line Streamlit app (Streamlit's own cost), then each tree: from the
new process to the first page settled in Chromium (as ``bench.bench_scale``: same port, same browser
context, the one-line app started once before so the browser holds Streamlit's scripts), the server's CPU
seconds then (``/proc/<pid>/stat``) and its RSS, then every page opened once and the RSS again with its
parts from ``/proc/<pid>/smaps_rollup`` (private anonymous memory, private and shared file pages).

Prints the median (and range) of each figure per tree; writes the rounds to ``--json``
(``bench/out/warm_server.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.bench_scale import (
    TRIVIAL_APP,
    VIEWS,
    browser_helpers,
    open_page,
    serving,
)
from bench.common import OUT, ROOT, ensure_corpus, load_average, python_command, table

SMAPS = ("Rss", "Anonymous", "Private_Clean", "Shared_Clean")
BUILD = """
import sys
sys.path.insert(0, "dashboard")
from components.data import read_collection
print(len(read_collection((sys.argv[1],)).articles))
"""


def smaps_mb(pid: int) -> dict[str, float]:
    """The parts of ``SMAPS`` of a process's ``/proc/<pid>/smaps_rollup``, in MB."""
    return parse_smaps(Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="utf-8"))


def parse_smaps(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in SMAPS and rest.split():
            out[name] = int(rest.split()[0]) / 1024
    return out


def build_cache(tree: Path, corpus: Path, env: Mapping[str, str], timeout: float) -> None:
    """Make ``env``'s cache warm for ``tree`` (its own ``read_collection``, untimed)."""
    subprocess.run(
        [*python_command(), "-c", BUILD, str(corpus)], cwd=tree, env={**os.environ, **env}, check=True,
        capture_output=True, timeout=timeout,
    )  # fmt: skip


def start(
    app: Path, cwd: Path, env: Mapping[str, str], port: int, tab: Any, log: Path, pages: bool, timeout: float
) -> dict[str, Any]:
    """One server from a new process: seconds and CPU to the first page settled, RSS, then (``pages``)
    every page once and the memory again. The server's process group is stopped whatever happens."""
    load, _ = browser_helpers()
    started = time.perf_counter()
    with serving(app, env, port, log, timeout, cwd) as process:
        out: dict[str, Any] = {"healthy_s": time.perf_counter() - started, "healthy_cpu_s": load.cpu_seconds(process.pid)}
        open_page(tab, f"http://127.0.0.1:{port}/", timeout)
        out |= {
            "warm_start_s": time.perf_counter() - started,
            "warm_start_cpu_s": load.cpu_seconds(process.pid),
            "rss_first_mb": load.rss_mb(process.pid),
        }
        if pages:
            for view in VIEWS:
                open_page(tab, f"http://127.0.0.1:{port}{view}", timeout)
            out |= {
                "rss_all_mb": load.rss_mb(process.pid),
                "cpu_all_s": load.cpu_seconds(process.pid),
                **{f"{name}_all_mb": value for name, value in smaps_mb(process.pid).items()},
            }
        return out


def summary(rounds: Mapping[str, Sequence[Mapping[str, Any]]]) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows: each figure's median (min–max) per tree."""
    names = list(rounds)
    keys = list(dict.fromkeys(k for runs in rounds.values() for run in runs for k in run))
    rows = []
    for key in keys:
        row: list[Any] = [key]
        for name in names:
            values = [run[key] for run in rounds[name] if key in run]
            row.append(
                f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})" if values else ""
            )
        rows.append(row)
    return ["figure", *names], rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_warm_server", description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--corpus", type=Path, help="the corpus folder (default bench/corpus/stories-<n>)")
    parser.add_argument("--baseline", type=Path, help="another source tree, measured beside this one")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=OUT / "cache-warm-server", help="one folder per tree in it")
    parser.add_argument("--first-page-only", action="store_true", help="no other page, no memory after them")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", type=Path, default=OUT / "warm_server.json")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    corpus = ensure_corpus(args.stories, 0, args.corpus).absolute()
    trees = {"current": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    envs = {
        name: {
            "CAIXIN_DATA": str(corpus),
            "CAIXIN_CACHE": str((args.cache / name).resolve()),
            "CAIXIN_UPLOADS": str((args.cache / "no-uploads").resolve()),
        }
        for name in trees
    }
    for name, tree in trees.items():
        build_cache(tree, corpus, envs[name], args.timeout)
    _, conftest = browser_helpers()
    work = args.cache / "servers"
    work.mkdir(parents=True, exist_ok=True)
    trivial = work / "trivial_app.py"
    trivial.write_text(TRIVIAL_APP, encoding="utf-8")
    port = conftest._free_port()
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in ["one-line app", *trees]}
    at_start = load_average()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=conftest.chromium_path(), args=conftest.CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
            tab = context.new_page()
            start(trivial, work, {}, port, tab, work / "first.log", False, args.timeout)  # the browser's cache
            for number in range(args.rounds):
                order = list(trees) if number % 2 == 0 else list(reversed(trees))
                run = start(trivial, work, {}, port, tab, work / "trivial.log", False, args.timeout)
                rounds["one-line app"].append(run)
                for name in order:
                    app = trees[name] / "dashboard" / "app.py"
                    run = start(
                        app, trees[name], envs[name], port, tab, work / f"{name}.log", not args.first_page_only,
                        args.timeout,
                    )  # fmt: skip
                    rounds[name].append(run)
                    print(f"round {number + 1} {name}: " + ", ".join(f"{k} {v:.2f}" for k, v in run.items()), flush=True)
        finally:
            browser.close()
    headers, rows = summary(rounds)
    print()
    print(table(headers, rows))
    print(f"load average at the start {at_start}, at the end {load_average()}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"rounds": rounds, "trees": {k: str(v) for k, v in trees.items()}, "corpus": str(corpus),
             "load_average": [at_start, load_average()], "argv": sys.argv[1:] if argv is None else argv},
            indent=1,
        ),
        encoding="utf-8",
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
