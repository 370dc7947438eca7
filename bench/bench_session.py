"""What a new dashboard session costs the server: CPU seconds per shared link opened, against a rerun.

    python -m bench.bench_session --stories 100000
    python -m bench.bench_session --stories 100000 --tree /tmp/base --tree . --rounds 3
    python -m bench.bench_session --stories 100000 --watcher none --watcher auto

Starts one ``streamlit run dashboard/app.py`` per server asked for (each ``--tree``, a checkout of this
project, with each ``--watcher``, Streamlit's ``server.fileWatcherType``; ``config`` passes none and so
takes the tree's own ``.streamlit/config.toml``) in hosted mode on the corpus, each with its own copy of
one warm cache, and opens every link once on each (the collection loaded, the views' shared results
remembered). Then, ``--rounds`` times, for every link and on each server in turn (the order alternating
from round to round, so that a change in the machine's load falls on both): a new session opens the link
(a protocol visitor of ``bench.load``: the page's HTTP requests, a new WebSocket, the first script run),
the same session runs the page again (a rerun with the browser's message cache), and the session closes.
Each step's server CPU is read from ``/proc`` before and after (after a pause of ``SETTLE_SECONDS``, for
the work a server does after the script has finished: its garbage collection), whole and for the main
thread alone (Tornado's event loop: HTTP, the WebSocket, sending the messages); the script runs in
threads of their own.

Reports, per server: CPU s per new session, per rerun and per closing (mean and median), the event
loop's share, kB sent for a new page and for a rerun, the time to a finished script, and each server's
new-session CPU as a ratio of the first server's. CPU seconds, not wall time: the machine is shared.
Only 127.0.0.1 is contacted. Writes bench/out/session.json and the table to session.md (``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import OUT, ROOT, ensure_corpus, load_average
from bench.load import CLOCK, LINKS, ProtocolTab, cpu_seconds, page_name

#: after a step, the server's work that follows the script (Streamlit's post-run garbage collection)
SETTLE_SECONDS = 0.4
WATCHERS = ("config", "none", "auto", "watchdog", "poll")


def main_thread_cpu(pid: int) -> float:
    """CPU seconds of a process's main thread (a Streamlit server's event loop)."""
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK


@dataclass
class Server:
    """One server measured: where it runs and what each kind of step cost it."""

    label: str
    tree: Path
    watcher: str
    url: str = ""
    pid: int = 0
    steps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, kind: str, link: str, total: float, loop: float, size: int, seconds: float) -> None:
        self.steps.setdefault(kind, []).append(
            {"page": page_name(link), "cpu_s": total, "loop_cpu_s": loop, "bytes": size, "seconds": seconds}
        )


@contextmanager
def serving(server: Server, corpus: Path, cache: Path, work: Path) -> Iterator[Server]:
    """``streamlit run`` of ``server.tree``'s dashboard (its own folder as the working folder, so its
    ``core`` and its config are the ones used), healthy; its process group stopped on the way out."""
    # the end-to-end tests' helpers (bench.load put tests/ on the path, as e2e.conftest)
    conftest = importlib.import_module("e2e.conftest")
    port = conftest._free_port()
    options = {
        "server.port": port, "server.address": "127.0.0.1", "server.headless": "true",
        "browser.gatherUsageStats": "false",
    }  # fmt: skip
    if server.watcher != "config":
        options["server.fileWatcherType"] = server.watcher
    env = {
        **os.environ,
        "CAIXIN_DATA": str(corpus),
        "CAIXIN_CACHE": str(cache),
        "CAIXIN_UPLOADS": str(work / "uploads"),
        "CAIXIN_READONLY": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (str(server.tree), os.environ.get("PYTHONPATH", "")) if p),
    }
    command = [
        sys.executable, "-m", "streamlit", "run", str(server.tree / "dashboard" / "app.py"),
        *(f"--{name}={value}" for name, value in options.items()),
    ]  # fmt: skip
    with (work / "streamlit.log").open("wb") as log:
        process = subprocess.Popen(
            command, cwd=server.tree, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        server.url, server.pid = f"http://127.0.0.1:{port}", process.pid
        conftest._wait_healthy(server.url, process, timeout=120)
        yield server
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=10)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue


async def measured(server: Server, kind: str, link: str, step: Any) -> dict[str, Any]:
    """Run ``step()`` (a coroutine function) and book the server's CPU over it as ``kind`` of ``link``."""
    total, loop = cpu_seconds(server.pid), main_thread_cpu(server.pid)
    started = time.perf_counter()
    result: dict[str, Any] = await step() or {}
    seconds = time.perf_counter() - started
    await asyncio.sleep(SETTLE_SECONDS)
    server.add(
        kind,
        link,
        cpu_seconds(server.pid) - total,
        main_thread_cpu(server.pid) - loop,
        int(result.get("bytes", 0)),
        seconds,
    )
    return result


async def one_session(server: Server, link: str, timeout: float) -> None:
    """A new session opens ``link``, runs it again, and closes: three steps, each booked."""
    tab = ProtocolTab(server.url)
    try:
        await measured(server, "new session", link, lambda: tab.visit(link, timeout))
        await measured(server, "rerun", link, lambda: tab.rerun(timeout))
        await measured(server, "closing", link, tab.close_page)
    finally:
        await tab.close()


async def warm(server: Server, links: Sequence[str], timeout: float) -> None:
    """Every link once, unmeasured: the collection loaded, the views' shared results remembered."""
    for link in links:
        tab = ProtocolTab(server.url)
        try:
            await tab.visit(link, timeout)
        finally:
            await tab.close()


def summary(server: Server, first: Server) -> dict[str, Any]:
    figures: dict[str, Any] = {"label": server.label, "tree": str(server.tree), "watcher": server.watcher}
    for kind, steps in server.steps.items():
        cpu = [s["cpu_s"] for s in steps]
        figures[kind] = {
            "steps": len(steps),
            "cpu_s_mean": round(statistics.fmean(cpu), 3),
            "cpu_s_median": round(statistics.median(cpu), 3),
            "loop_cpu_s_mean": round(statistics.fmean(s["loop_cpu_s"] for s in steps), 3),
            "kb_median": round(statistics.median(s["bytes"] for s in steps) / 1024, 1),
            "seconds_median": round(statistics.median(s["seconds"] for s in steps), 3),
            "cpu_s_median_by_page": {
                page: round(statistics.median(s["cpu_s"] for s in steps if s["page"] == page), 3)
                for page in sorted({s["page"] for s in steps})
            },
        }
    ours = figures.get("new session", {}).get("cpu_s_mean")
    base = statistics.fmean(s["cpu_s"] for s in first.steps.get("new session", [{"cpu_s": 0.0}]))
    figures["new_session_cpu_ratio_to_first"] = round(ours / base, 2) if ours and base else None
    return figures


def table(results: Sequence[dict[str, Any]]) -> str:
    head = (
        "| server | new session CPU s (mean / median) | of which event loop | rerun CPU s | closing CPU s "
        "| kB new / rerun | script s new / rerun | new session vs first |"
    )
    rows = [head, "|" + "---|" * 8]
    for r in results:
        new, rerun, closing = r["new session"], r["rerun"], r["closing"]
        rows.append(
            f"| {r['label']} | {new['cpu_s_mean']:.3f} / {new['cpu_s_median']:.3f} | "
            f"{new['loop_cpu_s_mean']:.3f} | {rerun['cpu_s_mean']:.3f} | {closing['cpu_s_mean']:.3f} | "
            f"{new['kb_median']} / {rerun['kb_median']} | {new['seconds_median']} / {rerun['seconds_median']} | "
            f"{r['new_session_cpu_ratio_to_first']} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument(
        "--tree",
        action="append",
        type=Path,
        help="a checkout of this project to serve (repeat; default: this one)",
    )
    parser.add_argument(
        "--watcher",
        action="append",
        choices=WATCHERS,
        help="server.fileWatcherType (repeat; default: config)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="times every link is opened on each server")
    parser.add_argument("--cache", type=Path, help="a warm cache of the corpus to copy (default: built here)")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--out", default="session", help="writes bench/out/<out>.json")
    args = parser.parse_args(argv)
    trees = [tree.resolve() for tree in args.tree or [ROOT]]
    watchers = args.watcher or ["config"]
    corpus = ensure_corpus(args.stories)
    cache = args.cache or OUT / "cache-session"
    frame_ids = _article_ids(cache, corpus)  # builds the cache when it is missing
    links = [*LINKS, *(f"/reader?article={urllib.parse.quote(i)}" for i in frame_ids)]
    servers = [
        Server(f"{tree.name or tree}/{watcher}", tree, watcher) for tree in trees for watcher in watchers
    ]
    work = Path(tempfile.mkdtemp(prefix="caixin-session-"))
    load_start = load_average()
    try:
        with ExitStack() as stack:
            for number, server in enumerate(servers):
                folder = work / f"server-{number}"
                shutil.copytree(cache, folder / "cache")
                stack.enter_context(serving(server, corpus, folder / "cache", folder))
                print(f"{server.label}: pid {server.pid} at {server.url}", flush=True)
            for server in servers:
                asyncio.run(warm(server, links, args.timeout))
            for round_number in range(args.rounds):
                order = servers if round_number % 2 == 0 else servers[::-1]
                for link in links:
                    for server in order:
                        asyncio.run(one_session(server, link, args.timeout))
                print(f"round {round_number + 1} of {args.rounds} done", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = [summary(server, servers[0]) for server in servers]
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "stories": args.stories,
        "rounds": args.rounds,
        "links": links,
        "settle_s": SETTLE_SECONDS,
        "load_average_start": load_start,
        "load_average_end": load_average(),
        "servers": results,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.out}.json").write_text(json.dumps(report, indent=2))
    (OUT / f"{args.out}.md").write_text(table(results) + "\n")
    print(table(results))
    print(f"load average {load_start} -> {report['load_average_end']}")
    return 0


def _article_ids(cache: Path, corpus: Path, count: int = 2) -> list[str]:
    """A few story ids of the corpus, for links that open a story in the reader (the cache is built
    first when it is missing)."""
    from core.storing.ingest import ingest

    frame = ingest([str(corpus)], cache_dir=cache).articles
    return [str(i) for i in frame["article_id"].sample(count, random_state=0)]


if __name__ == "__main__":
    sys.exit(main())
