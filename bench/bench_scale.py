"""Scale figures of the issue "A million stories on one machine", each against its target.

    python -m bench.bench_scale --stories 100000 [--corpus DIR] [--cache DIR] [--skip-browser] [--json OUT]
    python -m bench.bench_scale --stories 300 --parts ingest,open      # the figures without a server

Measures, on ``python -m bench.corpus --stories N`` (generated when missing), for each loading path
(``WAYS``; today only ``current``, the code as it is, a column of the table):

1. cold ingest: ``core.storing.ingest.ingest`` with two workers into an empty cache, in a new process (its peak RSS
   and its workers' from ``getrusage``); and the dashboard's own first load (``read_collection``: ingest,
   full-text index, theme memberships and the lookups made ready for many sessions) into another;
2. incremental ingest: one story added at the top of one page file, then the same two again;
3. warm start: ``streamlit run`` on the warm cache, from the new process to the first page settled in
   Chromium, beside the same for a one-line Streamlit app on the same port (so the browser holds
   Streamlit's scripts in both cases). The servers run with ``core`` and the app's folder compiled to
   bytecode first (``compileall``, into their ``__pycache__`` folders, removed afterwards when the run
   made them), as a deployed server has them: the image compiles them at build, and Python writes them
   itself at a checkout's first start, unless ``PYTHONDONTWRITEBYTECODE`` is set, as it is for every
   process on the machine these figures come from. The warm start without them is measured too, once,
   before, and given in the details;
4. the server's RSS (``/proc``: the server process and its children) after every page has been opened once;
5. page load of every page in Chromium (median of ``--loads`` loads) less a page of the one-line app;
6. rerun p50 of every page after a filter change: ``streamlit.testing.v1.AppTest`` script time (no
   browser), with the filter changes of ``bench.bench_dashboard``;
7. the queries of ``bench.bench_search``, p50 of each, on the collection the dashboard holds.

"Settled" is what ``bench.load`` and ``tests/e2e`` mean: the script has finished, the page shows
"N stories" and no status widget or skeleton is left. Every measurement runs in its own process with a
time limit; every server is stopped (its process group) whatever happens. Prints figure | <way> ... |
target | verdict; writes the figures to ``bench/out/scale.json`` (``--json``) and the table as Markdown
beside it.

A new loading path is one more ``Way`` in ``WAYS`` (how to ingest, how the dashboard opens the
collection, which app file and environment the server runs with): every figure is then measured for it
too, side by side in the same run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
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
    write_json,
)

# ------------------------------------------------------------------------------------------- targets
STORY_TIERS = (100_000, 1_000_000)  # the issue gives targets for these corpus sizes


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure of the issue: its key in the results, its name, unit and target (at most) per tier."""

    key: str
    label: str
    unit: str
    targets: Mapping[int, float]


FIGURES = [
    Figure("warm_start_s", "warm start: new server process to first page settled", "s", {1_000_000: 3, 100_000: 1.5}),
    Figure("server_rss_mb", "server RSS after every page opened once", "MB", {1_000_000: 1024, 100_000: 400}),
    Figure("rerun_p50_ms", "rerun p50 with filters changed, slowest page", "ms", {1_000_000: 500, 100_000: 200}),
    Figure("page_load_extra_s", "page load beyond a trivial page's, slowest page", "s", {1_000_000: 1, 100_000: 0.5}),
    Figure("search_p50_ms", "bench_search queries p50, slowest query", "ms", {1_000_000: 100, 100_000: 20}),
    Figure("cold_ingest_s", "cold ingest, 2 workers", "s", {1_000_000: 120, 100_000: 12}),
    Figure("cold_open_s", "cold ingest as the dashboard's first load", "s", {1_000_000: 120, 100_000: 12}),
    Figure("incremental_s", "incremental ingest, one page changed", "s", {1_000_000: 3, 100_000: 1}),
    Figure("incremental_open_s", "incremental, as the dashboard's re-read", "s", {1_000_000: 3, 100_000: 1}),
]  # fmt: skip
PARTS = ("ingest", "open", "search", "rerun", "browser")  # the last three need the cache "open" leaves


def tier(stories: int) -> int:
    """The corpus size whose targets apply: the smallest tier at least ``stories`` (the largest beyond)."""
    return next((t for t in STORY_TIERS if stories <= t), STORY_TIERS[-1])


def judge(value: float | None, target: float, unit: str) -> str:
    """``met``, ``missed by <excess> (x<ratio>)``, or ``not measured``."""
    if value is None or math.isnan(value):
        return "not measured"
    if value <= target:
        return "met"
    excess = f"{value - target:,.0f}" if unit in ("ms", "MB") else f"{value - target:,.2f}"
    return f"missed by {excess} {unit} (x{value / target:.1f})"


# ---------------------------------------------------------------------------------------------- ways
def current_ingest(pages: Path, cache: Path, workers: int) -> int:
    """Today's ingest into ``cache``; returns the number of stories."""
    from core.storing.ingest import ingest

    return len(ingest([pages], cache_dir=cache, workers=workers).articles)


def current_open(pages: Path) -> Any:
    """What the dashboard does when a server first needs the data (``components.data.read_collection``:
    ingest, index and themes through the cache in ``$CAIXIN_CACHE``, then ``ready``)."""
    from components.data import read_collection

    key = (str(pages),)
    return read_collection(key)


def index_mask(collection: Any, query: str) -> Any:
    """A query answered as the dashboard answers it (``select`` with only ``q``)."""
    return collection.index.mask(query, collection.theme_ids)


@dataclass(frozen=True, slots=True)
class Way:
    """One way of loading and serving the corpus: one column of the report.

    ``ingest(pages, cache, workers)`` ingests into a cache folder (in a child process) and returns the
    number of stories; ``open(pages)`` loads what a dashboard server holds (the cache folder in
    ``$CAIXIN_CACHE``); ``search(opened, query)`` answers a query on it; the server runs ``streamlit run
    app`` with ``env`` added to the environment (so do the child processes). ``ingest_modules`` and
    ``open_modules`` are imported before the clock starts (a server has them loaded when its first
    visitor comes).
    """

    name: str
    ingest: Callable[[Path, Path, int], int] = current_ingest
    open: Callable[[Path], Any] = current_open
    search: Callable[[Any, str], Any] = index_mask
    app: Path = ROOT / "dashboard" / "app.py"
    env: Mapping[str, str] = field(default_factory=dict)
    ingest_modules: tuple[str, ...] = ("core.storing.ingest",)
    open_modules: tuple[str, ...] = ("core.storing.ingest", "core.storing.collection", "components.data", "streamlit")


WAYS = {
    way.name: way
    for way in [
        # story text read into memory and every story hashed at each start: the path before text-<gen>.arrow
        Way("text-in-memory", env={"CAIXIN_TEXT_IN_MEMORY": "1"}),
        Way("current"),
    ]
}


# ------------------------------------------------------------------------------------ child processes
def _usage() -> dict[str, float]:
    """CPU seconds and peak RSS (MB) of this process, and of its children that have ended (the largest)."""
    figures = {}
    for prefix, who in (("", resource.RUSAGE_SELF), ("workers_", resource.RUSAGE_CHILDREN)):
        usage = resource.getrusage(who)
        figures[f"{prefix}cpu_s"] = usage.ru_utime + usage.ru_stime
        figures[f"{prefix}maxrss_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB
    return figures


def child(kind: str, way: Way, pages: Path, cache: Path, repeat: int) -> dict[str, Any]:
    """One measurement in this (new) process: ``ingest``, ``open`` (plus, with ``repeat``, the search
    queries on what was opened) or ``rerun``."""
    sys.path.insert(0, str(ROOT / "dashboard"))  # the dashboard's ``components``, as streamlit sets it
    for module in way.ingest_modules if kind == "ingest" else way.open_modules:
        importlib.import_module(module)
    if kind == "rerun":
        return child_reruns(way)
    started = time.perf_counter()
    if kind == "ingest":
        stories = way.ingest(pages, cache, 2)
        return {"seconds": time.perf_counter() - started, "stories": stories, **_usage()}
    opened = way.open(pages)
    result: dict[str, Any] = {"seconds": time.perf_counter() - started, "stories": len(opened.articles)}
    result |= _usage()
    if repeat:
        result["queries"] = child_queries(way, opened, repeat)
    return result


def child_queries(way: Way, opened: Any, repeat: int) -> dict[str, dict[str, float]]:
    """Latency of each query of ``bench.bench_search`` (one untimed run, then ``repeat`` timed)."""
    from bench.bench_search import QUERIES, latency, timed

    out = {}
    for query in QUERIES:
        way.search(opened, query)
        times, mask = timed(lambda q=query: way.search(opened, q), repeat)
        out[query] = latency(times) | {"rows": int(mask.sum())}
    return out


def child_reruns(way: Way) -> dict[str, Any]:
    """Script time of a rerun after each filter change of ``bench.bench_dashboard``, on every page,
    the first time each view is computed (AppTest: the script alone, no browser)."""
    from streamlit.testing.v1 import AppTest

    from bench.bench_dashboard import CHANGES, PAGES

    started = time.perf_counter()
    script = way.app.with_name("main.py")  # the script the server's app runs (an older tree: app.py itself)
    app = AppTest.from_file(
        str(script if script.exists() else way.app),
        default_timeout=float(os.environ.get("BENCH_SCALE_TIMEOUT", "600")),
    )
    app.run()
    first = time.perf_counter() - started
    if app.exception:
        raise RuntimeError(f"first run: {app.exception[0].value}")
    pages: dict[str, list[float]] = {}
    for name in PAGES:
        app.switch_page(f"views/{name}.py")
        app.run()
        runs = pages.setdefault(name, [])
        for key, value in CHANGES:
            app.session_state[key] = value
            began = time.perf_counter()
            app.run()
            runs.append((time.perf_counter() - began) * 1000)
            if app.exception:
                raise RuntimeError(f"{name}, {key}={value!r}: {app.exception[0].value}")
        app.session_state["from"] = None
    return {"first_run_s": first, "pages_ms": pages, **_usage()}


def run_child(
    kind: str, way: Way, pages: Path, cache: Path, timeout: float, repeat: int = 0
) -> dict[str, Any]:
    """``child`` in a new interpreter, with the way's environment; adds the whole process's seconds."""
    command = [*python_command(), "-m", "bench.bench_scale", "--child", kind, "--way", way.name]
    command += ["--corpus", str(pages), "--cache", str(cache), "--repeat", str(repeat)]
    env = {**os.environ, **way.env, "CAIXIN_DATA": str(pages), "CAIXIN_CACHE": str(cache)}
    env |= {"CAIXIN_UPLOADS": str(cache / "no-uploads"), "BENCH_SCALE_TIMEOUT": str(timeout)}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{kind} ({way.name}) took more than {timeout:.0f} s") from None
    if done.returncode != 0:
        raise RuntimeError(f"{kind} ({way.name}) failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - started
    return result


# ------------------------------------------------------------------------------------- the corpus copy
def add_story(path: Path, number: int) -> None:
    """A new story at the top of one page file, as a live feed grows (a new file: a hard-linked
    original is left as it was)."""
    from bench.corpus import generate_page

    when = datetime(2024, 12, 31, 23, 0)
    generated = generate_page(random.Random(10_000 + number), 1, when)
    byline = re.compile(r"^.*/ [A-Z][a-z]{2} \d{2}, \d{4} \d{2}:\d{2} [AP]M /.*$", re.MULTILINE)
    start = byline.search(generated)
    if start is None:
        raise RuntimeError("the generated page has no byline")
    story = generated[start.start() :].split("\n\n\n")[0].strip()
    text = path.read_text(encoding="utf-8")
    first = byline.search(text)
    at = first.start() if first else len(text)
    path.unlink()
    path.write_text(text[:at] + story + "\n\n\n" + text[at:], encoding="utf-8")


# -------------------------------------------------------------------------------------------- measures
def measure_ingest(way: Way, pages: Path, work: Path, kinds: Sequence[str], timeout: float) -> dict[str, Any]:
    """Cold, then incremental (one story added to one page): ``ingest`` is ``way.ingest`` with two
    workers, ``open`` the dashboard's first load and re-read (``way.open``); each in a new process, on
    an empty cache folder, then on that cache again."""
    from bench.bench_ingest import hard_linked_copy

    corpus = work / "pages"
    hard_linked_copy(pages, corpus)
    files = page_files(corpus)
    caches = {"ingest": work / "cache-ingest", "open": work / "cache"}
    names = {"ingest": ("cold_ingest_s", "incremental_s"), "open": ("cold_open_s", "incremental_open_s")}
    runs: dict[str, dict[str, Any]] = {}
    for step in ("cold", "incremental"):
        if step == "incremental":
            add_story(files[len(files) // 2], 1)
        for kind in kinds:
            runs[f"{step} {kind}"] = run = run_child(kind, way, corpus, caches[kind], timeout)
            print(
                f"  {way.name}: {step} {kind} {run['seconds']:.2f} s, {run['stories']:,} stories", flush=True
            )
    out: dict[str, Any] = {"runs": runs, "changed_file": files[len(files) // 2].name, "details": {}}
    for kind in kinds:
        cold, incremental = runs[f"cold {kind}"], runs[f"incremental {kind}"]
        out[names[kind][0]], out[names[kind][1]] = cold["seconds"], incremental["seconds"]
        what, again = (
            ("cold ingest", "incremental ingest")
            if kind == "ingest"
            else ("dashboard first load", "dashboard re-read")
        )
        out["details"] |= {
            "stories after duplicates merge": cold["stories"],
            "stories added by the incremental step": incremental["stories"] - cold["stories"],
            f"{what}, whole process (s)": cold["process_s"],
            f"{what}, CPU s (main + workers)": cold["cpu_s"] + cold["workers_cpu_s"],
            f"{again}, CPU s (main + workers)": incremental["cpu_s"] + incremental["workers_cpu_s"],
            f"peak RSS, {what}, main process (MB)": cold["maxrss_mb"],
            f"peak RSS, {what}, each worker (MB)": cold["workers_maxrss_mb"],
            f"peak RSS, {again}, main process (MB)": incremental["maxrss_mb"],
        }
    if "open" in kinds:  # what the dashboard's cache holds on disk after the re-read
        index = sum(path.stat().st_size for path in caches["open"].rglob("fts-*.sqlite"))
        folder = sum(path.stat().st_size for path in caches["open"].rglob("*") if path.is_file())
        out["details"] |= {"search index file (MB)": index / 1e6, "cache folder, every file (MB)": folder / 1e6}
    return out


def measure_search(way: Way, work: Path, repeat: int, timeout: float) -> dict[str, Any]:
    """Each query of ``bench.bench_search`` on what ``way.open`` loads from the warm cache."""
    opened = run_child("open", way, work / "pages", work / "cache", timeout, repeat=repeat)
    p50s = {query: figures["p50_ms"] for query, figures in opened["queries"].items()}
    slowest = max(p50s, key=p50s.__getitem__)
    print(f"  {way.name}: slowest query p50 {p50s[slowest]:.1f} ms ({slowest})", flush=True)
    return {
        "search_p50_ms": p50s[slowest],
        "details": {
            "warm open in one process, with lookups (s)": opened["seconds"],
            "peak RSS, warm open (MB)": opened["maxrss_mb"],
            "query p50, median of the queries (ms)": statistics.median(p50s.values()),
            f"slowest query: {slowest}": p50s[slowest],
        },
        "queries": opened["queries"],
    }


def measure_reruns(way: Way, work: Path, timeout: float) -> dict[str, Any]:
    """Rerun script time of every page after each filter change (AppTest, on the warm cache)."""
    runs = run_child("rerun", way, work / "pages", work / "cache", timeout)
    p50 = {name: statistics.median(times) for name, times in runs["pages_ms"].items()}
    slowest = max(p50, key=p50.__getitem__)
    print(f"  {way.name}: slowest rerun p50 {p50[slowest]:.0f} ms ({slowest})", flush=True)
    return {
        "rerun_p50_ms": p50[slowest],
        "details": {
            "AppTest first run on the warm cache (s)": runs["first_run_s"],
            **{f"rerun p50, {name} (ms)": value for name, value in p50.items()},
        },
        "reruns_ms": runs["pages_ms"],
    }


# ------------------------------------------------------------------------------------ server, browser
STREAMLIT_OPTIONS = {
    "server.address": "127.0.0.1",
    "server.headless": "true",
    "browser.gatherUsageStats": "false",
    "server.fileWatcherType": "none",
}
TRIVIAL_APP = 'import streamlit as st; st.write("1 story")\n'  # shows what "settled" looks for (bench.load.SETTLED)
VIEWS = ["/", "/timeline", "/reporters", "/themes", "/reader", "/data"]


@contextmanager
def serving(
    app: Path, env: Mapping[str, str], port: int, log: Path, timeout: float, cwd: Path = ROOT
) -> Iterator[Any]:
    """``streamlit run app`` (from ``cwd``) on ``port`` in a process group of its own, healthy; stopped
    (the whole group) on the way out, whatever happened."""
    load, conftest = browser_helpers()
    options = [f"--{name}={value}" for name, value in {**STREAMLIT_OPTIONS, "server.port": port}.items()]
    command = [*python_command(), "-m", "streamlit", "run", str(app), *options]
    with log.open("wb") as handle:
        process = subprocess.Popen(
            command, cwd=cwd, env={**os.environ, **env}, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        conftest._wait_healthy(f"http://127.0.0.1:{port}", process, timeout)
        yield process
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group, SIGKILL after 10 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=10)
            break
        except subprocess.TimeoutExpired:
            continue


def browser_helpers() -> tuple[Any, Any]:
    """``bench.load`` (settled check, RSS) and the end-to-end tests' ``conftest`` (Chromium flags, free
    port, health check); imported late: ``bench.load`` puts ``tests`` on the path (``e2e.conftest``, the
    module pytest knows as ``tests/e2e/conftest.py``)."""
    import bench.load as load

    return load, importlib.import_module("e2e.conftest")


def open_page(tab: Any, url: str, timeout: float) -> float:
    """Seconds from navigation to a settled page."""
    load, _ = browser_helpers()
    started = time.perf_counter()
    tab.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
    tab.wait_for_function(load.SETTLED, timeout=timeout * 1000)
    return time.perf_counter() - started


@contextmanager
def start_and_open(
    app: Path, env: Mapping[str, str], port: int, tab: Any, log: Path, timeout: float
) -> Iterator[tuple[float, Any]]:
    """Start a server and open its first page in ``tab``: yields (seconds from the new process to the
    first page settled, the server process) while the server runs."""
    started = time.perf_counter()
    with serving(app, env, port, log, timeout) as process:
        open_page(tab, f"http://127.0.0.1:{port}/", timeout)
        yield time.perf_counter() - started, process


def measure_browser(
    ways: Sequence[Way], works: Mapping[str, Path], tmp: Path, loads: int, timeout: float
) -> dict[str, Any]:
    """Warm start, RSS after every page and page loads of each way, beside a one-line Streamlit app.

    All servers use one port and one browser context, so Streamlit's scripts are in the browser's cache
    for every measured start (the one-line app is started once before, to put them there).
    """
    from playwright.sync_api import sync_playwright

    _, conftest = browser_helpers()
    trivial = tmp / "trivial_app.py"
    trivial.write_text(TRIVIAL_APP, encoding="utf-8")
    port = conftest._free_port()
    out: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=conftest.chromium_path(), args=conftest.CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
            tab = context.new_page()
            with start_and_open(trivial, {}, port, tab, tmp / "trivial-first.log", timeout) as (first, _):
                pass
            with start_and_open(trivial, {}, port, tab, tmp / "trivial.log", timeout) as (start, _):
                url = f"http://127.0.0.1:{port}/"
                page = statistics.median(open_page(tab, url, timeout) for _ in range(max(loads, 3)))
            out["trivial"] = {"warm_start_s": start, "page_load_s": page, "empty_cache_start_s": first}
            print(f"  trivial app: warm start {start:.2f} s, page load {page:.2f} s", flush=True)
            from_source: dict[str, float] = {}
            for way in ways:
                env = server_env(way, works[way.name], tmp)
                with start_and_open(way.app, env, port, tab, tmp / f"{way.name}-source.log", timeout) as (seconds, _):
                    from_source[way.name] = seconds
            with bytecode(sorted({ROOT / "core", *(way.app.parent for way in ways)})):
                browsed = {way.name: browse_way(way, works[way.name], tab, port, tmp, loads, timeout) for way in ways}
            for way in ways:
                figures = browsed[way.name]
                figures["details"]["warm start without bytecode, once, before (s)"] = from_source[way.name]
                figures["page_load_extra_s"] = figures.pop("slowest_page_load_s") - page
                figures["details"]["warm start beyond the trivial app's (s)"] = (
                    figures["warm_start_s"] - start
                )
                out[way.name] = figures
        finally:
            browser.close()
    return out


@contextmanager
def bytecode(folders: Sequence[Path]) -> Iterator[None]:
    """``folders`` compiled to bytecode in their ``__pycache__`` folders while the block runs; the
    ``__pycache__`` folders this made are removed afterwards (the checkout is left as it was found)."""
    def caches() -> set[Path]:
        return {cache for folder in folders for cache in folder.rglob("__pycache__")}

    before = caches()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    try:
        subprocess.run(
            [*python_command(), "-m", "compileall", "-q", *map(str, folders)], env=env, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        yield
    finally:
        for made in caches() - before:
            shutil.rmtree(made, ignore_errors=True)


def server_env(way: Way, work: Path, tmp: Path) -> dict[str, str]:
    """What a way's server runs with: its own settings and the warm cache of ``work``."""
    env = {**way.env, "CAIXIN_DATA": str(work / "pages"), "CAIXIN_CACHE": str(work / "cache")}
    env["CAIXIN_UPLOADS"] = str(tmp / "no-uploads")
    return env


def browse_way(
    way: Way, work: Path, tab: Any, port: int, tmp: Path, loads: int, timeout: float
) -> dict[str, Any]:
    """One way's server on its warm cache: warm start, every page opened once (then the RSS), and
    ``loads - 1`` times more."""
    load, _ = browser_helpers()
    env = server_env(way, work, tmp)
    times: dict[str, list[float]] = {view: [] for view in VIEWS}
    with start_and_open(way.app, env, port, tab, tmp / f"{way.name}.log", timeout) as (start, process):
        cpu_first, rss_first = load.cpu_seconds(process.pid), load.rss_mb(process.pid)
        for view in VIEWS:
            times[view].append(open_page(tab, f"http://127.0.0.1:{port}{view}", timeout))
        rss = load.rss_mb(process.pid)
        processes = 1 + len(load.descendants(process.pid))
        for _ in range(max(loads, 1) - 1):
            for view in VIEWS:
                times[view].append(open_page(tab, f"http://127.0.0.1:{port}{view}", timeout))
    medians = {view: statistics.median(values) for view, values in times.items()}
    slowest = max(medians, key=medians.__getitem__)
    print(
        f"  {way.name}: warm start {start:.2f} s, RSS {rss:,.0f} MB, slowest page {slowest} "
        f"{medians[slowest]:.2f} s",
        flush=True,
    )
    return {
        "warm_start_s": start,
        "server_rss_mb": rss,
        "slowest_page_load_s": medians[slowest],
        "details": {
            "warm start, server CPU s": cpu_first,
            "server RSS after the first page (MB)": rss_first,
            "server processes (the server and its children)": processes,
            f"slowest page load: {slowest} (s)": medians[slowest],
            **{f"page load {view}, first open (s)": values[0] for view, values in times.items()},
            **{f"page load {view}, median (s)": medians[view] for view in VIEWS},
        },
        "page_loads_s": times,
    }


# ------------------------------------------------------------------------------------------------ report
def report(results: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows: every figure of the issue (value per way, target, verdict per way), then the
    details the ways measured (no target)."""
    names = list(results["ways"])
    stories = tier(results["corpus"]["stories_generated"])
    headers = ["figure", *names, f"target ({stories:,} stories)", *[f"verdict ({n})" for n in names]]
    rows: list[list[Any]] = []
    trivial = results.get("trivial", {})
    for figure in FIGURES:
        target = figure.targets[stories]
        values = [results["ways"][n].get(figure.key, math.nan) for n in names]
        label = f"{figure.label} ({figure.unit})"
        rows.append(
            [
                label,
                *values,
                f"<= {target:,g} {figure.unit}",
                *[judge(v, target, figure.unit) for v in values],
            ]
        )
    details: dict[str, list[Any]] = {}
    for number, name in enumerate(names):
        for label, value in results["ways"][name].get("details", {}).items():
            details.setdefault(label, [math.nan] * len(names))[number] = value
    for label, value in [
        ("trivial app: warm start (s)", trivial.get("warm_start_s")),
        ("trivial app: page load (s)", trivial.get("page_load_s")),
        ("trivial app: first start, empty browser cache (s)", trivial.get("empty_cache_start_s")),
    ]:
        if value is not None:
            details[label] = [value] * len(names)
    rows += [[label, *values, "", *[""] * len(names)] for label, values in details.items()]
    return headers, rows


# -------------------------------------------------------------------------------------------------- main
def measure(args: argparse.Namespace, ways: Sequence[Way], corpus: Path, work: Path) -> dict[str, Any]:
    """Every chosen part for every way; a part that fails is reported and the others still run."""
    results: dict[str, Any] = {"ways": {way.name: {"details": {}} for way in ways}, "errors": []}
    results["load_average"] = {}  # at the start of each part
    works = {way.name: work / way.name for way in ways}

    def keep(way: Way, figures: Mapping[str, Any]) -> None:
        into = results["ways"][way.name]
        into["details"].update(figures.get("details", {}))
        into.update({k: v for k, v in figures.items() if k != "details"})

    kinds = [kind for kind in ("ingest", "open") if kind in args.parts]
    for way in ways:
        shutil.rmtree(works[way.name], ignore_errors=True)
        works[way.name].mkdir(parents=True)
        steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("ingest", lambda w=way: measure_ingest(w, corpus, works[w.name], kinds, args.timeout)),
            ("search", lambda w=way: measure_search(w, works[w.name], args.repeat, args.timeout)),
            ("rerun", lambda w=way: measure_reruns(w, works[w.name], args.timeout)),
        ]
        for part, step in steps:
            if (part == "ingest" and not kinds) or (part != "ingest" and part not in args.parts):
                continue
            results["load_average"][f"{way.name} {part}"] = load_average()
            try:
                keep(way, step())
            except Exception as error:  # noqa: BLE001 - one failed part leaves the others measured
                results["errors"].append(f"{way.name} {part}: {type(error).__name__}: {error}")
                print(f"!!! {results['errors'][-1]}", file=sys.stderr, flush=True)
    if "browser" in args.parts:
        results["load_average"]["browser"] = load_average()
        tmp = Path(tempfile.mkdtemp(prefix="browser-", dir=work))
        try:
            browsed = measure_browser(ways, works, tmp, args.loads, args.timeout)
            results["trivial"] = browsed.pop("trivial")
            for way in ways:
                keep(way, browsed[way.name])
        except Exception as error:  # noqa: BLE001
            results["errors"].append(f"browser: {type(error).__name__}: {error}")
            print(f"!!! {results['errors'][-1]}", file=sys.stderr, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus", type=Path, help="the corpus folder (default bench/corpus/stories-<n>)")
    parser.add_argument(
        "--cache", type=Path, help="working folder for the page copies and caches (kept; default: a new "
        "folder under bench/out, removed afterwards)"
    )  # fmt: skip
    parser.add_argument("--way", action="append", choices=sorted(WAYS), help="loading paths (default: all)")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument(
        "--skip-browser", action="store_true", help="no Chromium: no warm start, RSS, page load"
    )
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each search query")
    parser.add_argument("--loads", type=int, default=3, help="loads of each page in Chromium")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed to each measurement")
    parser.add_argument("--json", type=Path, default=OUT / "scale.json")
    parser.add_argument("--child", choices=["ingest", "open", "rerun"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, WAYS[args.way[0]], args.corpus, args.cache, args.repeat)))
        return 0
    args.parts = {p.strip() for p in args.parts.split(",") if p.strip()} - (
        {"browser"} if args.skip_browser else set()
    )
    if args.parts - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(args.parts - set(PARTS)))}")
    if args.parts & {"search", "rerun", "browser"} and "open" not in args.parts:
        parser.error("search, rerun and browser work on the cache that the part 'open' leaves")
    ways = [WAYS[name] for name in (args.way or WAYS)]

    corpus = ensure_corpus(args.stories, args.seed, args.corpus)
    files = page_files(corpus)
    facts = machine()
    commit = _commit()  # the code measured: at the start, as the working tree may change meanwhile
    print(f"corpus {corpus}: {len(files):,} files; code {commit}", flush=True)
    print(f"load average {facts['load_average_at_start']}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    work = args.cache or Path(tempfile.mkdtemp(prefix="work-scale-", dir=OUT))
    work.mkdir(parents=True, exist_ok=True)
    try:
        results = measure(args, ways, corpus, work)
    finally:
        if args.cache is None:
            shutil.rmtree(work, ignore_errors=True)
    results |= {
        "benchmark": "scale",
        "command": (
            "python -m bench.bench_scale " + " ".join(argv if argv is not None else sys.argv[1:])
        ).strip(),
        "commit": commit,
        "machine": facts,
        "load_average_at_end": load_average(),
        "corpus": {
            "folder": str(corpus),
            "stories_generated": args.stories,
            "seed": args.seed,
            "files": len(files),
            "megabytes": sum(p.stat().st_size for p in files) / 1e6,
        },
        "targets_for_stories": tier(args.stories),
        "targets": {f.key: f.targets[tier(args.stories)] for f in FIGURES},
        "parts": sorted(args.parts),
        "rerun_method": "AppTest script time (no browser), the filter changes of bench.bench_dashboard",
    }
    headers, rows = report(results)
    print()
    print(table(headers, rows))
    print(
        f"load average at the start {facts['load_average_at_start']}, at the end {results['load_average_at_end']}"
    )
    if results["errors"]:
        print("\nerrors:\n" + "\n".join(results["errors"]), file=sys.stderr)
    write_json(args.json, results)
    args.json.with_suffix(".md").write_text(markdown_table(headers, rows) + "\n", encoding="utf-8")
    return 1 if results["errors"] else 0


def _commit() -> str:
    """The commit measured, with ``+ modified: <files>`` when tracked files differ from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    )
    modified = [line[3:] for line in status.stdout.splitlines()]
    return head.stdout.strip() + (f" + modified: {', '.join(modified)}" if modified else "")


if __name__ == "__main__":
    sys.exit(main())
