"""Load: many concurrent browser sessions on one dashboard server with the synthetic corpus.

    python -m bench.load --stories 100000 --sessions 20 --seconds 120

Starts ``streamlit run dashboard/app.py`` on a free localhost port with the corpus, loads it once, then
opens ``--sessions`` Playwright browser contexts in Debian's Chromium. Each session, for a bounded time,
opens shared links (filters, queries, pages) and stories in the reader. Reports errors (target 0), p50 and
p95 time from navigation to a settled page, and the server's memory before and after (the corpus must be
held once, not once per session). Only 127.0.0.1 is contacted. Writes bench/out/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from conftest import CHROMIUM_ARGS, start_server  # noqa: E402

SETTLED = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    return main && /\\d[\\d,]* articles?/.test(main.innerText)
        && !document.querySelector('[data-testid="stStatusWidget"]')
        && !document.querySelector('[data-testid="stSkeleton"]');
}"""

LINKS = [
    "/",
    "/?theme=huawei",
    "/?q=%22trade%20war%22",
    "/timeline?theme=trade-war",
    "/timeline?q=tariff*&from=2018-01-01&to=2019-12-31",
    "/reporters",
    "/reporters?kind=agency",
    "/themes?theme=energy",
    "/reader?theme=huawei",
    "/reader?q=huawei%20AND%205g%20NOT%20canada",
    "/reader?section=Finance&from=2020-01-01",
    "/data",
]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


async def session(browser: object, base: str, seconds: float, seed: int, timings: list[float], errors: list[str], article_ids: list[str]) -> None:
    rng = random.Random(seed)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = await context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if article_ids and rng.random() < 0.3:
            link = f"/reader?article={urllib.parse.quote(rng.choice(article_ids))}"
        else:
            link = rng.choice(LINKS)
        started = time.perf_counter()
        try:
            await page.goto(base + link, wait_until="domcontentloaded", timeout=60_000)
            await page.wait_for_function(SETTLED, timeout=60_000)
            timings.append(time.perf_counter() - started)
            if await page.locator('[data-testid="stException"]').count():
                errors.append(f"exception shown on {link}")
        except Exception as error:  # noqa: BLE001 - every failure is counted, the run goes on
            errors.append(f"{link}: {type(error).__name__}: {str(error)[:120]}")
        if page_errors:
            errors.extend(f"{link}: page error {e[:120]}" for e in page_errors)
            page_errors.clear()
    await context.close()


async def run(base: str, sessions: int, seconds: float, article_ids: list[str]) -> tuple[list[float], list[str]]:
    from playwright.async_api import async_playwright

    timings: list[float] = []
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        await asyncio.gather(*(session(browser, base, seconds, n, timings, errors, article_ids) for n in range(sessions)))
        await browser.close()
    return timings, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()

    corpus_dir = ROOT / "bench" / "corpus" / f"stories-{args.stories}"
    if not corpus_dir.exists() or not any(corpus_dir.iterdir()):
        from bench.corpus import generate_corpus

        generate_corpus(corpus_dir, args.stories)
    os.environ["CAIXIN_READONLY"] = "1"
    tmp = Path(tempfile.mkdtemp(prefix="caixin-load-"))
    cache = ROOT / "bench" / "out" / "cache-load"
    server, process = start_server(tmp, corpus_dir, {"CAIXIN_CACHE": str(cache), "CAIXIN_READONLY": "1"})
    try:
        # one warm-up visit loads the corpus into the server (the first load is not what we measure)
        started = time.perf_counter()
        asyncio.run(run(server.url, 1, 1, []))
        warm_up = time.perf_counter() - started
        from core.ingest import ingest

        frame = ingest([str(corpus_dir)], cache_dir=cache).articles
        article_ids = frame["article_id"].astype(str).sample(200, random_state=0).tolist()
        del frame
        before = rss_mb(process.pid)
        timings, errors = asyncio.run(run(server.url, args.sessions, args.seconds, article_ids))
        after = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)
    quantiles = statistics.quantiles(timings, n=20) if len(timings) >= 20 else [max(timings or [0])] * 19
    result = {
        "stories": args.stories,
        "sessions": args.sessions,
        "seconds": args.seconds,
        "page_loads": len(timings),
        "errors": len(errors),
        "error_samples": errors[:10],
        "settled_p50_s": statistics.median(timings) if timings else None,
        "settled_p95_s": quantiles[18],
        "server_rss_before_mb": round(before, 1),
        "server_rss_after_mb": round(after, 1),
        "warm_up_s": round(warm_up, 1),
    }
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "out" / "load.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
