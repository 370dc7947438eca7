"""Page weight: what each dashboard page sends to the browser, and who spends the CPU to show it.

    python -m bench.page_weight --stories 100000

Starts ``streamlit run dashboard/app.py`` in hosted mode on the synthetic corpus (as ``bench.load``
does), opens every shared link of ``bench.load`` once in one Chromium tab after a warm-up, and records
per link: the bytes the server sent over the websocket (decoded as Streamlit ``ForwardMsg`` protobufs,
so the largest elements are named with their size), the time to a settled page, and the CPU seconds the
server process and the Chromium processes spent meanwhile. Writes bench/out/page_weight.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from conftest import CHROMIUM_ARGS, start_server  # noqa: E402

from bench.load import LINKS, SETTLED, browser_cpu, cpu_seconds  # noqa: E402


def describe(payload: bytes) -> list[tuple[str, int]]:
    """(element kind, bytes) for each part of one ForwardMsg."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    message = ForwardMsg()
    try:
        message.ParseFromString(payload)
    except Exception:  # noqa: BLE001 - an unknown message is counted as such
        return [("undecoded", len(payload))]
    kind = message.WhichOneof("type") or "?"
    if kind == "delta":
        delta = message.delta
        delta_kind = delta.WhichOneof("type") or "?"
        if delta_kind == "new_element":
            element = delta.new_element.WhichOneof("type") or "?"
            return [(f"element:{element}", len(payload))]
        return [(f"delta:{delta_kind}", len(payload))]
    return [(kind, len(payload))]


def measure(base: str, server_pid: int, links: list[str], repeat: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        frames: list[bytes] = []

        def on_socket(socket: Any) -> None:
            socket.on(
                "framereceived",
                lambda data: frames.append(data if isinstance(data, bytes) else data.encode()),
            )

        page.on("websocket", on_socket)
        page.goto(base + "/", timeout=600_000)
        page.wait_for_function(SETTLED, timeout=600_000)
        for link in links:
            for _ in range(repeat):
                frames.clear()
                server_before = cpu_seconds(server_pid)
                browser_before = browser_cpu(os.getpid(), server_pid)
                started = time.perf_counter()
                page.goto(base + link, timeout=120_000)
                page.wait_for_function(SETTLED, timeout=120_000)
                settled = time.perf_counter() - started
                page.wait_for_timeout(500)  # late deltas and the browser's paint
                kinds: Counter[str] = Counter()
                largest: list[tuple[int, str]] = []
                for payload in frames:
                    for kind, size in describe(payload):
                        kinds[kind] += size
                        largest.append((size, kind))
                largest.sort(reverse=True)
                results.append(
                    {
                        "link": link,
                        "settled_s": round(settled, 2),
                        "sent_kb": round(sum(len(f) for f in frames) / 1024, 1),
                        "messages": len(frames),
                        "largest_kb": [(kind, round(size / 1024, 1)) for size, kind in largest[:4]],
                        "by_kind_kb": {k: round(v / 1024, 1) for k, v in kinds.most_common(6)},
                        "server_cpu_s": round(cpu_seconds(server_pid) - server_before, 2),
                        "browser_cpu_s": round(browser_cpu(os.getpid(), server_pid) - browser_before, 2),
                    }
                )
                print(json.dumps(results[-1]), flush=True)
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="times each link is opened")
    parser.add_argument("--link", action="append", help="only these links (default: all of bench.load)")
    parser.add_argument("--pages", type=Path, help="the page folder to serve (default: bench/corpus/stories-<n>)")
    parser.add_argument(
        "--cache", type=Path, default=ROOT / "bench" / "out" / "cache-load", help="the cache folder (as bench.load's)"
    )
    args = parser.parse_args()

    from bench.common import ensure_corpus

    corpus_dir = args.pages or ensure_corpus(args.stories)
    tmp = Path(tempfile.mkdtemp(prefix="caixin-weight-"))
    cache = args.cache
    server, process = start_server(tmp, corpus_dir, {"CAIXIN_CACHE": str(cache), "CAIXIN_READONLY": "1"})
    try:
        from core.storing.ingest import ingest

        frame = ingest([str(corpus_dir)], cache_dir=cache).articles
        article = str(frame["article_id"].iloc[len(frame) // 2])
        del frame
        links = args.link or [*LINKS, f"/reader?article={article}"]
        results = measure(server.url, process.pid, links, args.repeat)
    finally:
        process.terminate()
        process.wait(timeout=20)
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "page_weight.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
