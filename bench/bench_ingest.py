"""Ingest figures: parse_page throughput, cold ingest, warm reload, incremental ingest and peak memory.

    python -m bench.bench_ingest --stories 100000

Generates (or reuses) the synthetic corpus in ``bench/corpus/stories-<n>`` and works on a hard-linked copy
of it, so the shared corpus is never modified. Every ingest runs in a fresh Python process (nothing is
memoised) with its own cache folder under ``bench/out`` (never ``data/cache``). Targets at 100,000
stories: ``parse_page`` >= 30 MB/s on one core; cold ingest with two workers < 10 s; warm reload < 1 s;
an incremental ingest after one file changed near the reload time (taken as at most twice the reload
time of the same run). Verdicts use the median of the runs. Writes ``bench/out/ingest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.common import (
    OUT,
    ROOT,
    ensure_corpus,
    load_average,
    machine,
    markdown_table,
    page_files,
    python_command,
    table,
    verdict,
    write_json,
)

TARGETS = {"parse_mb_per_s": 30.0, "cold_s": 10.0, "warm_s": 1.0, "incremental_to_warm": 2.0}


# -- child process: one ingest, measured from the inside ---------------------------------------------
def child(pages: Path, cache: Path, workers: int, trace: bool) -> dict[str, Any]:
    """Run one ingest in this (fresh) process; returns seconds, counts and memory as JSON-ready data."""
    started = time.perf_counter()
    if trace:
        tracemalloc.start()
    from core.storing.ingest import ingest

    imported = time.perf_counter()
    handled: list[str] = []
    corpus = ingest(
        [pages], cache_dir=cache, workers=workers, progress=lambda done, total, name: handled.append(name)
    )
    finished = time.perf_counter()
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, Any] = {
        "import_s": imported - started,
        "ingest_s": finished - imported,
        "from_cache": corpus.from_cache,
        "files_parsed_or_hashed": len(handled),
        "articles": len(corpus.articles),
        "cache_warnings": corpus.cache_warnings,
        "cpu_s": own.ru_utime + own.ru_stime,
        "workers_cpu_s": workers_usage.ru_utime + workers_usage.ru_stime,
        "maxrss_mb": own.ru_maxrss / 1024,  # Linux reports KiB
        "workers_maxrss_mb": workers_usage.ru_maxrss / 1024,
    }
    if trace:
        result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        import pyarrow as pa

        result["arrow_allocated_mb"] = pa.total_allocated_bytes() / 2**20
    return result


def run_child(pages: Path, cache: Path, workers: int = 2, trace: bool = False) -> dict[str, Any]:
    """One ingest in a new interpreter; adds the process wall time (start-up and imports included)."""
    command = [*python_command(), "-m", "bench.bench_ingest", "--child", "--pages", str(pages)]
    command += ["--cache", str(cache), "--workers", str(workers)] + (["--trace"] if trace else [])
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"child ingest failed ({done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    return result


# -- parse_page on one core ---------------------------------------------------------------------------
def bench_parse(files: list[Path], repeat: int) -> dict[str, Any]:
    """``parse_page`` over every page's text, already decoded in memory (no I/O), in this process."""
    try:  # the stage layout (core/parsing, core/reading); a baseline tree from before it has the flat one
        from core.parsing import parse_page
        from core.reading.files import read_page
    except ImportError:
        from core.parse import parse_page  # type: ignore[no-redef]
        from core.read import read_page  # type: ignore[no-redef]

    pages = [read_page(path) for path in files]
    megabytes = sum(page.size for page in pages) / 1e6
    runs = []
    stories = 0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        stories = sum(len(parse_page(page.text, page.path).articles) for page in pages)
        runs.append({"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu})
    largest = max(pages, key=lambda page: page.size)
    tracemalloc.start()
    parse_page(largest.text, largest.path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    median_wall = statistics.median(r["wall_s"] for r in runs)
    best_wall = min(r["wall_s"] for r in runs)
    median_cpu = statistics.median(r["cpu_s"] for r in runs)
    return {
        "runs": runs,
        "megabytes": megabytes,
        "stories_read": stories,
        "mb_per_s": megabytes / median_wall,
        "mb_per_s_best": megabytes / best_wall,
        "mb_per_s_cpu": megabytes / median_cpu,
        "stories_per_s": stories / median_wall,
        "largest_page_kb": largest.size / 1024,
        "largest_page_tracemalloc_peak_mb": peak / 2**20,
        "target_mb_per_s": TARGETS["parse_mb_per_s"],
        "pass": megabytes / median_wall >= TARGETS["parse_mb_per_s"],
    }


def parse_child(tree: Path | None, files: list[Path], repeat: int) -> dict[str, Any]:
    """``bench_parse`` with the ``core`` package of ``tree`` (a source tree of another commit, e.g. from
    ``git archive <commit> | tar -x -C <tree>``) when given, else of this tree; in this (fresh) process."""
    if tree is not None:
        sys.path.insert(0, str(tree.resolve()))
    import core

    result = bench_parse(files, repeat)
    result["core"] = str(Path(core.__file__).resolve().parent)
    return result


def compare_parse(files: list[Path], baseline: Path, rounds: int, repeat: int) -> dict[str, Any]:
    """``parse_page`` of ``baseline``'s tree against this tree's on the same pages, each round one fresh
    process of each, in alternating order, so that both see the same load on a shared machine. The
    speed-up of a round is the ratio of its two CPU-second figures; the verdict uses their median."""
    runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "current": []}
    ratios = []
    for number in range(rounds):
        order = ["baseline", "current"] if number % 2 == 0 else ["current", "baseline"]
        for name in order:
            command = [*python_command(), "-m", "bench.bench_ingest", "--parse-child"]
            command += ["--parse-repeat", str(repeat), "--parse-files", str(len(files)), "--pages"]
            command += [str(files[0].parent)] + (["--tree", str(baseline)] if name == "baseline" else [])
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                sys.exit(f"parse child failed ({done.returncode}):\n{done.stderr}")
            runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
        ratios.append(runs["current"][-1]["mb_per_s_cpu"] / runs["baseline"][-1]["mb_per_s_cpu"])
        print(
            f"  round {number + 1}: baseline {runs['baseline'][-1]['mb_per_s_cpu']:.1f} MB/s, "
            f"current {runs['current'][-1]['mb_per_s_cpu']:.1f} MB/s (per CPU second), "
            f"x{ratios[-1]:.2f}; load average {load_average()}",
            flush=True,
        )
    figures = {}
    for name, measured in runs.items():
        figures[name] = {
            "core": measured[0]["core"],
            "mb_per_s": statistics.median(r["mb_per_s"] for r in measured),
            "mb_per_s_best": max(r["mb_per_s_best"] for r in measured),
            "mb_per_s_cpu": statistics.median(r["mb_per_s_cpu"] for r in measured),
            "stories_per_s": statistics.median(r["stories_per_s"] for r in measured),
        }
    return {
        "rounds": rounds,
        "megabytes": runs["current"][0]["megabytes"],
        "files": len(files),
        "runs": runs,
        "baseline": figures["baseline"],
        "current": figures["current"],
        "speedup_per_cpu_s": ratios,
        "speedup_median": statistics.median(ratios),
    }


# -- ingests in child processes -----------------------------------------------------------------------
def hard_linked_copy(source: Path, target: Path) -> None:
    """The corpus under another name at almost no cost (a copy when links are not possible)."""
    try:
        shutil.copytree(source, target, copy_function=os.link)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)


def change_page(path: Path, version: int) -> None:
    """Edit one story of one page (a new file, so the hard-linked original is untouched)."""
    data = path.read_bytes()
    changed = data.replace(b" said ", b" said (%d) " % version, 1)
    path.unlink()
    path.write_bytes(changed if changed != data else data + b"\nEdited (%d).\n" % version)


def summary(runs: list[dict[str, Any]], key: str = "ingest_s") -> dict[str, Any]:
    values = [r[key] for r in runs]
    return {
        "runs": runs,
        "best_s": min(values),
        "median_s": statistics.median(values),
        "process_median_s": statistics.median(r["process_s"] for r in runs),
        "maxrss_mb": max(r["maxrss_mb"] for r in runs),
        "workers_maxrss_mb": max(r["workers_maxrss_mb"] for r in runs),
    }


def bench_ingests(corpus: Path, work: Path, repeat: dict[str, int], compare_workers: bool) -> dict[str, Any]:
    pages = work / "pages"
    hard_linked_copy(corpus, pages)
    files = page_files(pages)
    changed = files[len(files) // 2]  # the page edited for the incremental ingest
    out: dict[str, Any] = {}

    cold_runs = []
    for number in range(repeat["cold"]):
        cold_runs.append(run_child(pages, work / f"cache-cold-{number}", workers=2))
        print(f"  cold ingest {number + 1}: {cold_runs[-1]['ingest_s']:.2f} s", flush=True)
    cold = summary(cold_runs)
    cold |= {"workers": 2, "target_s": TARGETS["cold_s"], "pass": cold["median_s"] < TARGETS["cold_s"]}
    out["cold"] = cold
    cache = work / "cache-cold-0"

    if compare_workers:
        single = run_child(pages, work / "cache-cold-1-worker", workers=1)
        print(f"  cold ingest, 1 worker: {single['ingest_s']:.2f} s", flush=True)
        out["cold_1_worker"] = summary([single]) | {"workers": 1}
        out["cold_speedup_2_workers"] = single["ingest_s"] / cold_runs[0]["ingest_s"]

    warm_runs = []
    for number in range(repeat["warm"]):
        warm_runs.append(run_child(pages, cache))
        print(f"  warm reload {number + 1}: {warm_runs[-1]['ingest_s']:.3f} s", flush=True)
    warm = summary(warm_runs)
    warm |= {"target_s": TARGETS["warm_s"], "pass": warm["median_s"] < TARGETS["warm_s"]}
    warm["all_from_cache"] = all(r["from_cache"] for r in warm_runs)
    traced = run_child(pages, cache, trace=True)
    warm["traced_run"] = {k: traced[k] for k in ("tracemalloc_peak_mb", "arrow_allocated_mb", "maxrss_mb")}
    out["warm"] = warm

    incremental_runs = []
    for number in range(repeat["incremental"]):
        change_page(changed, number + 1)
        incremental_runs.append(run_child(pages, cache))
        print(f"  incremental ingest {number + 1}: {incremental_runs[-1]['ingest_s']:.3f} s", flush=True)
    incremental = summary(incremental_runs)
    ratio = incremental["median_s"] / warm["median_s"]
    incremental |= {
        "changed_file": changed.name,
        "files_parsed": [r["files_parsed_or_hashed"] for r in incremental_runs],
        "ratio_to_warm": ratio,
        "target_ratio_to_warm": TARGETS["incremental_to_warm"],
        "pass": ratio <= TARGETS["incremental_to_warm"],
    }
    out["incremental"] = incremental
    after = run_child(pages, cache)
    out["warm_after_incremental"] = {"ingest_s": after["ingest_s"], "from_cache": after["from_cache"]}
    return out


def report(results: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The headline figures: headers and rows for ``table`` and ``markdown_table``."""
    parse, ingests = results["parse_page"], results["ingests"]
    cold, warm, incremental = ingests["cold"], ingests["warm"], ingests["incremental"]
    rows: list[list[Any]] = [
        [
            "parse_page, 1 core (MB/s)",
            parse["mb_per_s"],
            parse["mb_per_s_best"],
            ">= 30",
            verdict(parse["pass"]),
        ],
        ["parse_page, 1 core, per CPU second (MB/s)", parse["mb_per_s_cpu"], float("nan"), "", ""],
        ["parse_page, 1 core (stories/s)", parse["stories_per_s"], float("nan"), "", ""],
        ["cold ingest, 2 workers (s)", cold["median_s"], cold["best_s"], "< 10", verdict(cold["pass"])],
    ]
    cold_cpu = statistics.median(r["cpu_s"] + r["workers_cpu_s"] for r in cold["runs"])
    rows.append(["cold ingest, CPU s (main + workers)", cold_cpu, float("nan"), "", ""])
    if "cold_1_worker" in ingests:
        rows.append(["cold ingest, 1 worker (s)", ingests["cold_1_worker"]["median_s"], float("nan"), "", ""])
    rows += [
        ["warm reload (s)", warm["median_s"], warm["best_s"], "< 1", verdict(warm["pass"])],
        ["warm reload, whole process (s)", warm["process_median_s"], float("nan"), "", ""],
        ["incremental, 1 file changed (s)", incremental["median_s"], incremental["best_s"], "", ""],
        [
            "incremental / warm reload",
            incremental["ratio_to_warm"],
            float("nan"),
            "<= 2",
            verdict(incremental["pass"]),
        ],
        ["peak RSS, cold ingest main (MB)", cold["maxrss_mb"], float("nan"), "", ""],
        ["peak RSS, cold ingest worker (MB)", cold["workers_maxrss_mb"], float("nan"), "", ""],
        ["peak RSS, warm reload (MB)", warm["maxrss_mb"], float("nan"), "", ""],
    ]
    if "cold_speedup_2_workers" in ingests:
        rows.append(["speed-up, 2 workers vs 1", ingests["cold_speedup_2_workers"], float("nan"), "", ""])
    return ["figure", "median", "best", "target", "verdict"], rows


def parse_only(args: argparse.Namespace, files: list[Path], facts: dict[str, Any], command: str) -> int:
    """``--parse-only``: parse_page on one core, alone or against ``--baseline``; prints and writes
    ``bench/out/ingest-parse.json`` (the ``--out`` default is left to the full benchmark)."""
    out = args.out if args.out != OUT / "ingest.json" else OUT / "ingest-parse.json"
    results: dict[str, Any] = {
        "benchmark": "ingest --parse-only",
        "command": command,
        "machine": facts,
        "stories_generated": args.stories,
        "seed": args.seed,
    }
    target = TARGETS["parse_mb_per_s"]
    if args.baseline is None:
        print("parse_page on one core ...", flush=True)
        parse = bench_parse(files, args.parse_repeat)
        results["parse_page"] = parse
        headers = ["figure", "median", "best", "target", "verdict"]
        rows: list[list[Any]] = [
            [
                "parse_page, 1 core (MB/s)",
                parse["mb_per_s"],
                parse["mb_per_s_best"],
                f">= {target:g}",
                verdict(parse["pass"]),
            ],
            ["parse_page, 1 core, per CPU second (MB/s)", parse["mb_per_s_cpu"], float("nan"), "", ""],
            ["parse_page, 1 core (stories/s)", parse["stories_per_s"], float("nan"), "", ""],
        ]
    else:
        print(
            f"parse_page on one core: {args.baseline} against this tree, {args.rounds} rounds ...", flush=True
        )
        compared = compare_parse(files, args.baseline, args.rounds, args.parse_repeat)
        results["parse_page_compared"] = compared
        base, current = compared["baseline"], compared["current"]
        headers = ["figure", "baseline", "current", "target", "verdict"]
        rows = [
            [
                "parse_page, 1 core (MB/s)",
                base["mb_per_s"],
                current["mb_per_s"],
                f">= {target:g}",
                verdict(current["mb_per_s"] >= target),
            ],
            ["parse_page, 1 core, best run (MB/s)", base["mb_per_s_best"], current["mb_per_s_best"], "", ""],
            [
                "parse_page, 1 core, per CPU second (MB/s)",
                base["mb_per_s_cpu"],
                current["mb_per_s_cpu"],
                f">= {target:g}",
                verdict(current["mb_per_s_cpu"] >= target),
            ],
            ["parse_page, 1 core (stories/s)", base["stories_per_s"], current["stories_per_s"], "", ""],
            ["speed-up per CPU second (median of rounds)", 1.0, compared["speedup_median"], "", ""],
        ]
    results["load_average_at_end"] = load_average()
    print()
    print(table(headers, rows))
    write_json(out, results)
    out.with_suffix(".md").write_text(markdown_table(headers, rows) + "\n", encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parse-repeat", type=int, default=3, help="runs of parse_page over all pages")
    parser.add_argument("--cold-repeat", type=int, default=2, help="cold ingests (each in a new cache)")
    parser.add_argument("--warm-repeat", type=int, default=5)
    parser.add_argument("--incremental-repeat", type=int, default=3)
    parser.add_argument("--no-compare-workers", action="store_true", help="skip the one-worker cold ingest")
    parser.add_argument("--keep", action="store_true", help="keep the working copy and caches")
    parser.add_argument("--out", type=Path, default=OUT / "ingest.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pages", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--parse-only", action="store_true", help="measure parse_page only (no ingests)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="with --parse-only: a source tree of another commit whose parse_page is measured against this "
        "tree's, alternating fresh processes (git archive <commit> | tar -x -C <tree>)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="with --baseline: processes of each tree")
    parser.add_argument("--parse-files", type=int, help="measure parse_page on the first N pages only")
    parser.add_argument("--parse-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.pages, args.cache, args.workers, args.trace)))
        return 0
    if args.parse_child:
        files = page_files(args.pages)[: args.parse_files]
        print(json.dumps(parse_child(args.tree, files, args.parse_repeat)))
        return 0

    corpus = ensure_corpus(args.stories, args.seed)
    files = page_files(corpus)[: args.parse_files]
    facts = machine()
    print(
        f"corpus {corpus.relative_to(ROOT)}: {len(files):,} files; load average {facts['load_average_at_start']}"
    )
    if args.parse_only:
        command = "python -m bench.bench_ingest " + " ".join(argv if argv is not None else sys.argv[1:])
        return parse_only(args, files, facts, command.strip())
    print("parse_page on one core ...", flush=True)
    parse = bench_parse(files, args.parse_repeat)
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="work-ingest-", dir=OUT))
    try:
        print("ingests in fresh processes ...", flush=True)
        repeat = {"cold": args.cold_repeat, "warm": args.warm_repeat, "incremental": args.incremental_repeat}
        ingests = bench_ingests(corpus, work, repeat, not args.no_compare_workers)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    command = "python -m bench.bench_ingest " + " ".join(argv if argv is not None else sys.argv[1:])
    results = {
        "benchmark": "ingest",
        "command": command.strip(),
        "machine": facts,
        "load_average_at_end": load_average(),
        "corpus": {
            "folder": str(corpus.relative_to(ROOT)),
            "stories_generated": args.stories,
            "seed": args.seed,
            "files": len(files),
            "megabytes": parse["megabytes"],
            "articles_after_merge": ingests["cold"]["runs"][0]["articles"],
        },
        "targets": TARGETS,
        "parse_page": parse,
        "ingests": ingests,
    }
    headers, rows = report(results)
    print()
    print(table(headers, rows))
    write_json(args.out, results)
    args.out.with_suffix(".md").write_text(markdown_table(headers, rows) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
