"""Ingest figures: parse_page throughput, cold ingest, warm reload, incremental ingest and peak memory.

    python -m bench.bench_ingest --stories 100000

Generates (or reuses) the synthetic corpus in ``bench/corpus/stories-<n>`` and works on a hard-linked copy
of it, so the shared corpus is never modified. Every ingest runs in a fresh Python process (nothing is
memoised) with its own cache folder under ``bench/out`` (never ``data/cache``). Targets at 100,000
stories: ``parse_page`` >= 30 MB/s on one core; cold ingest with two workers < 10 s; warm reload < 1 s;
an incremental ingest after one file changed near the reload time (taken as at most twice the reload
time of the same run). Verdicts use the median of the runs. Writes ``bench/out/ingest.json``.

    python -m bench.bench_ingest --stories 100000 --parse-only [--baseline TREE --rounds 5] [--parse-files N]

measures only ``parse_page`` on one core, and with ``--baseline`` alternates fresh processes of another
source tree's ``core`` and of this one on the same pages, and checks that both parse every page alike.

    python -m bench.bench_ingest --stories 100000 --incremental-only [--incremental-repeat 3] [--baseline TREE]

measures only the incremental ingest (one story added at the top of one page per round, as
``bench.bench_scale``), with the CPU seconds of each step, and with ``--baseline`` the same for the ``core``
of another source tree, alternating, checking that both return the same. Writes
``bench/out/ingest-incremental.json``. ``--work DIR`` keeps the corpus copy and the caches in DIR for the
next run, which then skips the cold ingests (a minute or more of CPU each at 100,000 stories).

    python -m bench.bench_ingest --stories 100000 --cluster [--cluster-workers 2] [--cluster-repeat 1]

compares instead a cold ``caixin ingest`` in-process (the process pool) with one on a Dask ``LocalCluster``
of 2 worker processes (``core.storing.cluster``), on the same corpus, each in a fresh process: wall time,
CPU seconds per stage (parse on the workers; merge, catalog, cache write, index, themes and derived files on
the driver) and whether the two caches hold the same stories, report, search answers and theme
memberships. Writes ``bench/out/ingest-cluster.json``.
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
#: The steps of an ingest timed apart by ``--stages``: (attribute of ``core.storing.ingest``, or of its
#: ``CacheStore``, step). A name a tree does not have is left out; what no step covers is "other".
STAGES = [
    ("expand_inputs", "list the files"),
    ("CacheStore.load_state", "read and check the state"),
    ("CacheStore.read_records", "read the records"),
    ("_parse_many", "parse the changed file"),
    ("_in_input_order", "records in input order"),
    ("merge_duplicates", "merge duplicates"),
    ("_merge", "merge duplicates"),
    ("apply_reporters", "reporter aliases"),
    ("_reporters_and_counts", "reporter aliases"),
    ("_memo_of", "merge memo of a full merge"),
    ("CacheStore.read_articles", "read the previous articles"),
    ("CacheStore.check_segments", "check every segment (footer, files)"),
    ("CacheStore.read_segments", "read the touched stories' segments"),
    ("_incremental_merge", "incremental merge, the rest"),
    ("apply_headline_catalog", "headline catalog"),
    ("_listing_rows", "listing rows for the state"),
    ("content_hashes", "content hashes"),
    ("CacheStore.write", "write records, articles, text, state"),
    ("_write_derived_at_ingest", "write body hashes and catalog memo"),
    ("attach_text", "map the text file"),
]


def _time_stages(module: Any) -> dict[str, list[float]]:
    """Wrap the ``STAGES`` functions of the ingest module ``module``: CPU and wall seconds per step."""
    stages: dict[str, list[float]] = {}
    for name, stage in STAGES:
        owner, attribute = (module.CacheStore, name.split(".")[1]) if "." in name else (module, name)
        if hasattr(owner, attribute):
            setattr(owner, attribute, _timed(stages, stage, getattr(owner, attribute)))
    return stages


def _digest(corpus: Any) -> str:
    """A digest of what an ingest returns (every column of the stories and listing entries, and the
    report), to check that two trees give the same."""
    import hashlib

    import pandas as pd

    digest = hashlib.sha256()
    for frame in (corpus.articles, corpus.listings):
        digest.update(pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes())
    digest.update(json.dumps(corpus.report.to_dict(), sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def child(
    pages: Path, cache: Path, workers: int, trace: bool, tree: Path | None = None, stages: bool = False
) -> dict[str, Any]:
    """Run one ingest in this (fresh) process; returns seconds, counts and memory as JSON-ready data.
    ``tree``: the ``core`` package of that source tree (another commit) instead of this one's; ``stages``:
    CPU seconds of each step (``STAGES``)."""
    started = time.perf_counter()
    if tree is not None:
        sys.path.insert(0, str(tree.resolve()))
    if trace:
        tracemalloc.start()
    import core
    import core.storing.ingest as ingest_module

    timed = _time_stages(ingest_module) if stages else {}
    imported = time.perf_counter()
    handled: list[str] = []
    cpu = time.process_time()
    corpus = ingest_module.ingest(
        [pages], cache_dir=cache, workers=workers, progress=lambda done, total, name: handled.append(name)
    )
    ingest_cpu = time.process_time() - cpu
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
        "ingest_cpu_s": ingest_cpu,
        "core": str(Path(core.__file__).resolve().parent),
        "stages": {k: _stage_figures(v) for k, v in timed.items()},
        "digest": _digest(corpus) if stages else None,
        "workers_cpu_s": workers_usage.ru_utime + workers_usage.ru_stime,
        "maxrss_mb": own.ru_maxrss / 1024,  # Linux reports KiB
        "workers_maxrss_mb": workers_usage.ru_maxrss / 1024,
    }
    if trace:
        result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        import pyarrow as pa

        result["arrow_allocated_mb"] = pa.total_allocated_bytes() / 2**20
    return result


def run_child(
    pages: Path,
    cache: Path,
    workers: int = 2,
    trace: bool = False,
    tree: Path | None = None,
    stages: bool = False,
) -> dict[str, Any]:
    """One ingest in a new interpreter; adds the process wall time (start-up and imports included)."""
    command = [*python_command(), "-m", "bench.bench_ingest", "--child", "--pages", str(pages)]
    command += ["--cache", str(cache), "--workers", str(workers)] + (["--trace"] if trace else [])
    command += (["--tree", str(tree)] if tree is not None else []) + (["--stages"] if stages else [])
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"child ingest failed ({done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    return result


# -- in-process vs a Dask LocalCluster (--cluster) -----------------------------------------------------
#: Queries whose answers (row masks through the real full-text index) must match between the two caches.
CLUSTER_QUERIES = ("huawei", "bank AND china", '"trade war"', 'author:"Matthew Walsh"', "tariff* NOT beijing")


#: The CPU and wall seconds of the steps called by the step running now, one entry per step running.
_NESTED: list[list[float]] = []


def _usage() -> list[float]:
    """CPU seconds, wall seconds, system CPU seconds and page faults (minor and major) of this process."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return [time.process_time(), time.perf_counter(), own.ru_stime, float(own.ru_minflt + own.ru_majflt)]


#: The figures of ``_usage``, in its order: a stage's as JSON (``_stage_figures``).
_FIGURES = ("cpu_s", "wall_s", "sys_s", "faults")


def _stage_figures(spent: list[float]) -> dict[str, float]:
    """One stage's figures as JSON: CPU and wall seconds, and where measured, system seconds and faults."""
    return dict(zip(_FIGURES, spent, strict=False))


def _timed(stages: dict[str, list[float]], stage: str, func: Any) -> Any:
    """``func`` adding to ``stages[stage]`` its CPU and wall seconds (this process, all its threads), its
    system CPU seconds and its page faults, but for those of the timed steps it calls (counted as theirs):
    each second is counted once. On a virtual machine whose host takes back freed memory, the system
    seconds are mostly the faults of memory touched for the first time."""

    def measured(*args: Any, **kwargs: Any) -> Any:
        before = _usage()
        _NESTED.append([0.0] * len(before))
        try:
            return func(*args, **kwargs)
        finally:
            inner = _NESTED.pop()
            used = [now - then for now, then in zip(_usage(), before, strict=True)]
            spent = stages.setdefault(stage, [0.0] * len(used))
            for i, value in enumerate(used):
                spent[i] += value - inner[i]
                if _NESTED:
                    _NESTED[-1][i] += value

    return measured


def cluster_child(pages: Path, cache: Path, cluster_workers: int) -> dict[str, Any]:
    """One cold ``caixin ingest`` in this fresh process: in-process when ``cluster_workers`` is 0, else on a
    ``LocalCluster`` of that many workers. The driver's global stages are measured by wrapping the
    functions ingest and ``open_collection`` call (nothing in core is changed for it)."""
    import hashlib
    from contextlib import nullcontext

    import pandas as pd

    import core.storing.collection as collection_module
    import core.storing.ingest as ingest_module
    from core.storing.cluster import dask_parser
    from core.storing.search import frame_fingerprint

    stages: dict[str, list[float]] = {}
    for name, stage in [
        ("merge_duplicates", "merge"),
        ("apply_reporters", "merge"),
        ("apply_headline_catalog", "catalog"),
        ("content_hashes", "write"),
    ]:
        setattr(ingest_module, name, _timed(stages, stage, getattr(ingest_module, name)))
    store = ingest_module.CacheStore
    store.write = _timed(stages, "write", store.write)  # type: ignore[method-assign]
    index = collection_module.SearchIndex
    index.open = _timed(stages, "index", index.open)  # type: ignore[method-assign]
    collection_module._memberships = _timed(stages, "themes", collection_module._memberships)

    cpu, wall = time.process_time(), time.perf_counter()
    context: Any = dask_parser(workers=cluster_workers) if cluster_workers else nullcontext(None)
    with context as parser:
        started_cpu, started = time.process_time(), time.perf_counter()
        corpus = ingest_module.ingest([pages], cache_dir=cache, parse_chunks=parser)
        ingest_cpu, ingest_s = time.process_time() - started_cpu, time.perf_counter() - started
        tasks_cpu = parser.worker_cpu_seconds if parser is not None else None
        chunks = parser.chunks if parser is not None else None
    cluster_s = (time.perf_counter() - wall) - ingest_s  # start and close of the cluster
    cluster_cpu = (time.process_time() - cpu) - ingest_cpu
    started_cpu, started = time.process_time(), time.perf_counter()
    collection = collection_module.open_collection([pages], cache_dir=cache)
    open_s = time.perf_counter() - started
    derived_cpu, derived = time.process_time(), time.perf_counter()
    collection.prepare()
    stages["derived"] = [time.process_time() - derived_cpu, time.perf_counter() - derived]
    total = time.perf_counter() - wall
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    in_ingest = sum(stages.get(s, [0.0])[0] for s in ("merge", "catalog", "write"))
    stages["parse_driver"] = [ingest_cpu - in_ingest, float("nan")]

    def digest(frame: pd.DataFrame) -> str:
        hashed = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
        return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]

    reports = json.dumps([p.to_dict() for p in corpus.report.pages], sort_keys=True, default=str)
    return {
        "way": f"LocalCluster({cluster_workers})" if cluster_workers else "in-process",
        "wall_s": total,
        "ingest_s": ingest_s,
        "open_index_themes_s": open_s,
        "cluster_start_close_s": cluster_s if cluster_workers else 0.0,
        "cluster_start_close_cpu_s": cluster_cpu if cluster_workers else 0.0,
        "driver_cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime
        + resource.getrusage(resource.RUSAGE_SELF).ru_stime,
        "worker_tasks_cpu_s": tasks_cpu,
        "worker_processes_cpu_s": children.ru_utime + children.ru_stime,
        "chunks": chunks,
        "stages": {k: _stage_figures(v) for k, v in stages.items()},
        "articles": len(corpus.articles),
        "files": len(corpus.report.pages),
        "same": {
            "articles": frame_fingerprint(collection.articles),
            "report": hashlib.sha256(reports.encode()).hexdigest()[:16],
            "listings": digest(collection.corpus.listings),
            "memberships": digest(collection.memberships.reset_index(drop=True)),
            "queries": {
                q: hashlib.sha256(collection.index.mask(q).tobytes()).hexdigest()[:16] for q in CLUSTER_QUERIES
            },
            "query_counts": {q: int(collection.index.mask(q).sum()) for q in CLUSTER_QUERIES},
        },
    }


def run_cluster_child(pages: Path, cache: Path, cluster_workers: int) -> dict[str, Any]:
    command = [*python_command(), "-m", "bench.bench_ingest", "--cluster-child", "--pages", str(pages)]
    command += ["--cache", str(cache), "--cluster-workers", str(cluster_workers)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"child ingest failed ({done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench_cluster(args: argparse.Namespace, corpus: Path, facts: dict[str, Any]) -> int:
    """In-process and LocalCluster ingests side by side, alternating, each in a fresh process and cache."""
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="work-ingest-cluster-", dir=OUT))
    runs: list[dict[str, Any]] = []
    try:
        for number in range(args.cluster_repeat):
            for workers in (0, args.cluster_workers):
                run = run_cluster_child(corpus, work / f"cache-{workers}-{number}", workers)
                runs.append(run)
                print(f"  {run['way']}: {run['wall_s']:.1f} s (ingest {run['ingest_s']:.1f} s)", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    same = all(r["same"] == runs[0]["same"] for r in runs)
    command = "python -m bench.bench_ingest " + " ".join(sys.argv[1:])
    results = {
        "benchmark": "ingest-cluster",
        "command": command.strip(),
        "machine": facts,
        "load_average_at_end": load_average(),
        "corpus": {"folder": str(corpus.relative_to(ROOT)), "stories_generated": args.stories},
        "same_cache": same,
        "runs": runs,
    }
    headers = ["figure", *[f"{r['way']} #{i // 2 + 1}" for i, r in enumerate(runs)]]
    stage_names = ["parse_driver", "merge", "catalog", "write", "index", "themes", "derived"]
    rows: list[list[Any]] = [
        ["wall, whole command (s)", *[r["wall_s"] for r in runs]],
        ["  cluster start + close (s)", *[r["cluster_start_close_s"] for r in runs]],
        ["  ingest (s)", *[r["ingest_s"] for r in runs]],
        ["  index, themes, derived (s)", *[r["open_index_themes_s"] + r["stages"]["derived"]["wall_s"] for r in runs]],
        ["parse, worker tasks CPU s", *[r["worker_tasks_cpu_s"] or float("nan") for r in runs]],
        ["worker processes CPU s (all)", *[r["worker_processes_cpu_s"] for r in runs]],
        ["driver CPU s (all)", *[r["driver_cpu_s"] for r in runs]],
        *[[f"  driver {s} CPU s", *[r["stages"].get(s, {"cpu_s": 0.0})["cpu_s"] for r in runs]] for s in stage_names],
        ["stories", *[r["articles"] for r in runs]],
    ]
    print()
    print(table(headers, rows))
    print(f"same stories, report, listings, search answers and theme memberships: {same}")
    out = args.out if args.out != OUT / "ingest.json" else OUT / "ingest-cluster.json"
    write_json(out, results)
    out.with_suffix(".md").write_text(markdown_table(headers, rows) + "\n", encoding="utf-8")
    return 0 if same else 1


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


def parse_digest(files: list[Path]) -> str:
    """A hash of everything ``parse_page`` gives for every page of ``files`` (its stories and listing
    entries as JSON, the headline lines and the page report), to check that two trees parse alike."""
    import hashlib

    try:  # the stage layout (core/parsing, core/reading); a baseline tree from before it has the flat one
        from core.parsing import parse_page
        from core.reading.files import read_page
    except ImportError:
        from core.parse import parse_page  # type: ignore[no-redef]
        from core.read import read_page  # type: ignore[no-redef]

    digest = hashlib.sha256()
    for path in files:
        page = read_page(path)
        result = parse_page(page.text, page.path)
        parsed = {
            "articles": [a.to_json_dict() for a in result.articles],
            "headlines": [list(h) for h in result.headlines],
            "listings": [e.to_json_dict() for e in result.listings],
            "report": result.report.to_dict(),
        }
        digest.update(json.dumps(parsed, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
    return digest.hexdigest()[:16]


def parse_child(tree: Path | None, files: list[Path], repeat: int, check: bool = False) -> dict[str, Any]:
    """``bench_parse`` with the ``core`` package of ``tree`` (a source tree of another commit, e.g. from
    ``git archive <commit> | tar -x -C <tree>``) when given, else of this tree; in this (fresh) process.
    ``check``: also ``parse_digest`` of the pages (after the timed runs)."""
    if tree is not None:
        sys.path.insert(0, str(tree.resolve()))
    import core

    result = bench_parse(files, repeat)
    result["core"] = str(Path(core.__file__).resolve().parent)
    result["parse_digest"] = parse_digest(files) if check else None
    return result


def compare_parse(files: list[Path], baseline: Path, rounds: int, repeat: int) -> dict[str, Any]:
    """``parse_page`` of ``baseline``'s tree against this tree's on the same pages, each round one fresh
    process of each, in alternating order, so that both see the same load on a shared machine. The
    speed-up of a round is the ratio of its two CPU-second figures; the verdict uses their median. The
    first round's processes also hash every page's parse (``parse_digest``): ``same_parse`` says whether
    the two trees gave the same stories, entries, headline lines and reports on every page."""
    runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "current": []}
    ratios = []
    for number in range(rounds):
        order = ["baseline", "current"] if number % 2 == 0 else ["current", "baseline"]
        for name in order:
            command = [*python_command(), "-m", "bench.bench_ingest", "--parse-child"]
            command += ["--parse-repeat", str(repeat), "--parse-files", str(len(files)), "--pages"]
            command += [str(files[0].parent)] + (["--tree", str(baseline)] if name == "baseline" else [])
            command += ["--parse-check"] if number == 0 else []
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
        "same_parse": runs["baseline"][0]["parse_digest"] == runs["current"][0]["parse_digest"],
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
            [
                "same parse on every page (records, entries, headline lines, reports)",
                "",
                "yes" if compared["same_parse"] else "NO",
                "yes",
                verdict(compared["same_parse"]),
            ],
        ]
    results["load_average_at_end"] = load_average()
    print()
    print(table(headers, rows))
    write_json(out, results)
    out.with_suffix(".md").write_text(markdown_table(headers, rows) + "\n", encoding="utf-8")
    return 0


def incremental_only(args: argparse.Namespace, corpus: Path, facts: dict[str, Any], command: str) -> int:
    """``--incremental-only``: a cold ingest per tree into its own cache, then ``--incremental-repeat``
    rounds of one story added at the top of one page (as ``bench.bench_scale``) and an incremental ingest
    of each tree, in alternating order; CPU seconds of each step. Writes ``bench/out/ingest-incremental.json``
    and the table as Markdown beside it."""
    from bench.bench_scale import add_story

    trees: dict[str, Path | None] = {"current": None}
    if args.baseline is not None:
        trees = {"baseline": args.baseline, "current": None}
    OUT.mkdir(parents=True, exist_ok=True)
    reuse = args.work is not None
    work = args.work if reuse else Path(tempfile.mkdtemp(prefix="work-incremental-", dir=OUT))
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    cold: dict[str, dict[str, Any]] = {}
    try:
        pages = work / "pages"
        if not pages.exists():
            work.mkdir(parents=True, exist_ok=True)
            hard_linked_copy(corpus, pages)
        changed = page_files(pages)[len(page_files(pages)) // 2]
        for name, tree in trees.items():
            if reuse and (work / f"cache-{name}").exists():
                print(f"  cold ingest, {name}: the cache of an earlier run in {work}", flush=True)
                continue
            cold[name] = run_child(pages, work / f"cache-{name}", tree=tree)
            print(f"  cold ingest, {name}: {cold[name]['ingest_s']:.1f} s ({cold[name]['core']})", flush=True)
        # a new story each round, also after the rounds of an earlier run in the same --work folder
        added = work / "stories-added"
        last = int(added.read_text()) if reuse and added.exists() else 0
        for number in range(args.incremental_repeat):
            last += 1
            while True:  # some seeds generate a page of no story (a listing): the next one then
                try:
                    add_story(changed, last)
                    break
                except RuntimeError:
                    last += 1
            if reuse:
                added.write_text(str(last))
            order = list(trees) if number % 2 == 0 else list(reversed(trees))
            for name in order:
                result = run_child(pages, work / f"cache-{name}", tree=trees[name], stages=True)
                runs[name].append(result)
                print(
                    f"  round {number + 1}, {name}: {result['ingest_s']:.2f} s, {result['ingest_cpu_s']:.2f} CPU s, "
                    f"{result['articles']:,} stories; load average {load_average()}",
                    flush=True,
                )
    finally:
        if not args.keep and not reuse:
            shutil.rmtree(work, ignore_errors=True)
    for name in trees:
        counts = {r["articles"] for r in runs[name]}
        if len(runs[name]) > 1 and len(counts) != len(runs[name]):
            sys.exit(f"{name}: the added stories were not all counted ({sorted(counts)})")
    identical = len(trees) < 2 or [r["digest"] for r in runs["baseline"]] == [r["digest"] for r in runs["current"]]
    print(f"same stories, listing entries and report from both trees after every round: {identical}")
    names = list(trees)
    steps = list(dict.fromkeys(stage for _, stage in STAGES))
    headers = ["incremental ingest, one page changed (median)", *names]
    rows: list[list[Any]] = [
        ["wall (s)", *(statistics.median(r["ingest_s"] for r in runs[n]) for n in names)],
        ["CPU (s)", *(statistics.median(r["ingest_cpu_s"] for r in runs[n]) for n in names)],
        ["peak RSS (MB)", *(statistics.median(r["maxrss_mb"] for r in runs[n]) for n in names)],
    ]
    # system CPU and page faults of the timed steps (a tree's runs that recorded them)
    for label, field in (("system CPU in the steps (s)", "sys_s"), ("page faults in the steps", "faults")):
        rows.append(
            [
                label,
                *(
                    statistics.median(sum(v.get(field, 0.0) for v in r["stages"].values()) for r in runs[n])
                    for n in names
                ),
            ]
        )
    for step in [*steps, "other"]:
        values = []
        for n in names:
            per_run = []
            for r in runs[n]:
                if step == "other":
                    per_run.append(r["ingest_cpu_s"] - sum(v["cpu_s"] for v in r["stages"].values()))
                else:
                    per_run.append(r["stages"].get(step, {}).get("cpu_s", 0.0))
            values.append(statistics.median(per_run))
        rows.append([f"  {step} (CPU s)", *values])
    print()
    print(table(headers, rows))
    results = {
        "benchmark": "ingest-incremental",
        "command": command,
        "machine": facts,
        "load_average_at_end": load_average(),
        "changed_file": changed.name,
        "cold": cold,
        "runs": runs,
        "identical": identical,
    }
    out = OUT / "ingest-incremental.json"
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
        "--incremental-only",
        action="store_true",
        help="measure the incremental ingest only (one story added at the top of one page), with the CPU "
        "seconds of each step; with --baseline, that tree's beside this one's, alternating",
    )
    parser.add_argument("--stages", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--work",
        type=Path,
        help="with --incremental-only: keep the corpus copy and each tree's cache in this folder and reuse them "
        "in a later run (no cold ingest for a tree whose cache is there; remove it after a cache format change)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="with --parse-only or --incremental-only: a source tree of another commit measured against this "
        "tree's, alternating fresh processes (git archive <commit> | tar -x -C <tree>)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="with --baseline: processes of each tree")
    parser.add_argument("--parse-files", type=int, help="measure parse_page on the first N pages only")
    parser.add_argument("--parse-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--parse-check", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--cluster", action="store_true", help="compare in-process and Dask LocalCluster cold ingests instead"
    )
    parser.add_argument("--cluster-workers", type=int, default=2, help="with --cluster: LocalCluster workers")
    parser.add_argument("--cluster-repeat", type=int, default=1, help="with --cluster: runs of each way")
    parser.add_argument("--cluster-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cluster_child:
        print(json.dumps(cluster_child(args.pages, args.cache, args.cluster_workers)))
        return 0
    if args.child:
        print(json.dumps(child(args.pages, args.cache, args.workers, args.trace, args.tree, args.stages)))
        return 0
    if args.parse_child:
        files = page_files(args.pages)[: args.parse_files]
        print(json.dumps(parse_child(args.tree, files, args.parse_repeat, args.parse_check)))
        return 0

    corpus = ensure_corpus(args.stories, args.seed)
    files = page_files(corpus)[: args.parse_files]
    facts = machine()
    print(
        f"corpus {corpus.relative_to(ROOT)}: {len(files):,} files; load average {facts['load_average_at_start']}"
    )
    if args.cluster:
        return bench_cluster(args, corpus, facts)
    if args.parse_only:
        command = "python -m bench.bench_ingest " + " ".join(argv if argv is not None else sys.argv[1:])
        return parse_only(args, files, facts, command.strip())
    if args.incremental_only:
        command = "python -m bench.bench_ingest " + " ".join(argv if argv is not None else sys.argv[1:])
        return incremental_only(args, corpus, facts, command.strip())
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
