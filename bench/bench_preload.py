"""The data read when the server starts (``CAIXIN_PRELOAD``, ``dashboard/app.py``), on and off alternated in
one run: what the first visitor after a restart waits for.

    python -m bench.bench_preload --pages DIR --cache DIR [--rounds 3] [--idle 15]

Each start is a new ``streamlit run dashboard/app.py`` on a warm cache, with one of two visitors in
Chromium:

- **at once**: the page opened as soon as the server answers its health check (``bench_scale``'s warm
  start: new process to first page settled);
- **after a deploy**: the page opened ``--idle`` seconds after the health check, as the first visitor after
  a restart usually comes (the seconds from that visitor's navigation to the page settled).

Also the server's CPU seconds at that moment (``/proc``) and its RSS. Prints medians and ranges; writes
``bench/out/preload.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_scale import browser_helpers, open_page, serving
from bench.common import OUT, ROOT, load_average, machine, table, write_json

VISITORS = ("at once", "after a deploy")


def server_usage(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) and RSS (MB) of process ``pid`` now."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    return cpu, rss


def one_start(
    browser: Any, env: dict[str, str], preload: bool, visitor: str, idle: float, log: Path, timeout: float
) -> dict[str, Any]:
    """One new server and its first visitor: seconds to the health check and to the page settled."""
    _, conftest = browser_helpers()
    port = conftest._free_port()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    tab = context.new_page()
    started = time.perf_counter()
    try:
        with serving(
            ROOT / "dashboard" / "app.py", {**env, "CAIXIN_PRELOAD": "1" if preload else "0"}, port, log, timeout
        ) as process:
            healthy = time.perf_counter() - started
            if visitor == "after a deploy":
                time.sleep(idle)
            arrived = time.perf_counter()
            open_page(tab, f"http://127.0.0.1:{port}/", timeout)
            settled = time.perf_counter()
            cpu, rss = server_usage(process.pid)
    finally:
        context.close()
    page = settled - (started if visitor == "at once" else arrived)
    return {"preload": preload, "visitor": visitor, "healthy_s": healthy, "page_s": page, "cpu_s": cpu, "rss_mb": rss}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", required=True, help="the saved pages (CAIXIN_DATA)")
    parser.add_argument("--cache", required=True, help="a warm cache of them (CAIXIN_CACHE)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=float, default=15.0, help="seconds between health and visitor")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--json", type=Path, default=OUT / "preload.json")
    args = parser.parse_args(argv)
    _, conftest = browser_helpers()
    from playwright.sync_api import sync_playwright

    env = {"CAIXIN_DATA": args.pages, "CAIXIN_CACHE": args.cache}
    runs: list[dict[str, Any]] = []
    started_load = load_average()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        env["CAIXIN_UPLOADS"] = str(Path(tmp) / "uploads")
        browser = playwright.chromium.launch(executable_path=conftest.chromium_path(), args=conftest.CHROMIUM_ARGS)
        try:
            for number in range(args.rounds):
                for visitor in VISITORS:
                    order = (True, False) if number % 2 == 0 else (False, True)  # alternated
                    for preload in order:
                        run = one_start(browser, env, preload, visitor, args.idle, Path(tmp) / "server.log", args.timeout)
                        runs.append(run)
                        print(
                            f"  preload {'on ' if preload else 'off'} · {visitor}: healthy {run['healthy_s']:.2f} s, "
                            f"page {run['page_s']:.2f} s, server CPU {run['cpu_s']:.2f} s",
                            flush=True,
                        )
        finally:
            browser.close()
    rows = []
    for visitor in VISITORS:
        for preload in (False, True):
            chosen = [r for r in runs if r["visitor"] == visitor and r["preload"] == preload]
            pages = [r["page_s"] for r in chosen]
            rows.append(
                [
                    visitor,
                    "on" if preload else "off",
                    f"{statistics.median(pages):.2f} ({min(pages):.2f}–{max(pages):.2f})",
                    f"{statistics.median(r['healthy_s'] for r in chosen):.2f}",
                    f"{statistics.median(r['cpu_s'] for r in chosen):.2f}",
                    f"{statistics.median(r['rss_mb'] for r in chosen):,.0f}",
                ]
            )
    headers = ["visitor", "preload", "page settled (s), median (range)", "healthy (s)", "server CPU s", "RSS (MB)"]
    print(table(headers, rows))
    write_json(
        args.json,
        {
            "benchmark": "preload",
            "machine": machine(),
            "load_average_at_start": started_load,
            "load_average_at_end": load_average(),
            "idle_s": args.idle,
            "runs": runs,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
