"""Saved HTML against its nesting depth: ``html_to_text`` on a deep page and on a flat page of the same size.

    python -m bench.bench_html_depth                      # depths 100, 1k, 10k, 50k, 200k
    python -m bench.bench_html_depth --old-max 200000     # the old path at every depth (13 minutes)
    python -m bench.bench_html_depth --shape unclosed     # <div> never closed (the 1 MB page of the issue)

For each depth N the deep page is ``<div>`` nested N levels with a paragraph at the bottom (and N ``</div>``,
or none with ``--shape unclosed``), and the flat page is ``<div>w</div>`` repeated to the same size: about
as many tags, no nesting. Each is read by
``html_to_text`` (best of ``--repeat`` runs, wall-clock and CPU), and the deep page also by the old path:
``core.parsing.html._extract`` straight on the page, as ``html_to_text`` read every page before it closed
elements at once past ``MAX_DEPTH`` levels (one run, up to ``--old-max`` levels: it took 42 s at 200,000).
"ms/KB" is per kilobyte of page; "deep/flat" compares the two pages of a size, side by side in one run.
Target: time linear in the page's size whatever its nesting, so ms/KB and deep/flat stay flat as N grows.
Writes ``bench/out/html_depth.json`` (``html_depth_unclosed.json``) and ``.md``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import OUT, load_average, machine, markdown_table, table, write_json
from core.parsing import html as html_module

DEPTHS = (100, 1_000, 10_000, 50_000, 200_000)
HEAD = "<!DOCTYPE html><html><body>"
TAIL = "</body></html>"


def deep_page(depth: int, closed: bool = True) -> str:
    return HEAD + "<div>" * depth + "<p>Text at the bottom.</p>" + "</div>" * depth * closed + TAIL


def flat_page(size: int) -> str:
    """``<div>w</div>`` repeated to ``size`` characters: as many tags as the deep page, none nested."""
    unit = "<div>w</div>"
    body = unit * max(1, (size - len(HEAD) - len(TAIL)) // len(unit))
    return HEAD + body + TAIL


def best(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best wall-clock and CPU seconds of ``repeat`` runs."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - cpu_started)
    return wall, cpu


def measure(depth: int, repeat: int, old_max: int, closed: bool = True) -> dict[str, Any]:
    deep = deep_page(depth, closed)
    flat = flat_page(len(deep))
    kilobytes = len(deep.encode()) / 1024
    deep_wall, deep_cpu = best(lambda: html_module.html_to_text(deep), repeat)
    flat_wall, flat_cpu = best(lambda: html_module.html_to_text(flat), repeat)
    row: dict[str, Any] = {
        "depth": depth,
        "kilobytes": round(kilobytes, 1),
        "tags_closed_at_once": html_module.html_text(deep).flattened,
        "deep_ms": round(deep_wall * 1000, 1),
        "deep_cpu_ms": round(deep_cpu * 1000, 1),
        "flat_ms": round(flat_wall * 1000, 1),
        "flat_cpu_ms": round(flat_cpu * 1000, 1),
        "deep_ms_per_kb": round(deep_wall * 1000 / kilobytes, 3),
        "flat_ms_per_kb": round(flat_wall * 1000 / kilobytes, 3),
        "deep_over_flat": round(deep_wall / flat_wall, 2),
        "old_ms": None,
        "old_ms_per_kb": None,
    }
    if depth <= old_max:
        old_wall, old_cpu = best(lambda: html_module._extract(deep), 1)
        row |= {
            "old_ms": round(old_wall * 1000, 1),
            "old_cpu_ms": round(old_cpu * 1000, 1),
            "old_ms_per_kb": round(old_wall * 1000 / kilobytes, 3),
        }
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_html_depth", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--depths", type=int, nargs="+", default=list(DEPTHS))
    parser.add_argument("--repeat", type=int, default=3, help="runs of html_to_text per page (best kept)")
    parser.add_argument(
        "--old-max",
        type=int,
        default=50_000,
        help="deepest page the old path reads (0: none); it is quadratic",
    )
    parser.add_argument("--shape", choices=["closed", "unclosed"], default="closed", help="end tags or none")
    parser.add_argument("--out", type=Path, default=None, help="default bench/out/html_depth[_unclosed].json")
    args = parser.parse_args(argv)
    closed = args.shape == "closed"
    out: Path = args.out or OUT / ("html_depth.json" if closed else "html_depth_unclosed.json")
    facts = machine()
    print(
        f"MAX_DEPTH {html_module.MAX_DEPTH}; {args.shape} divs; load average {facts['load_average_at_start']}",
        flush=True,
    )
    rows = []
    for depth in args.depths:
        rows.append(measure(depth, args.repeat, args.old_max, closed))
        print(f"  depth {depth:,}: {rows[-1]['deep_ms']} ms deep, {rows[-1]['flat_ms']} ms flat", flush=True)
    headers = [
        "depth",
        "KB",
        "deep ms",
        "deep ms/KB",
        "flat ms",
        "flat ms/KB",
        "deep/flat",
        "old path ms",
        "old ms/KB",
        "closed at once",
    ]
    cells = [
        [
            r["depth"],
            r["kilobytes"],
            r["deep_ms"],
            r["deep_ms_per_kb"],
            r["flat_ms"],
            r["flat_ms_per_kb"],
            r["deep_over_flat"],
            float("nan") if r["old_ms"] is None else r["old_ms"],
            float("nan") if r["old_ms_per_kb"] is None else r["old_ms_per_kb"],
            r["tags_closed_at_once"],
        ]
        for r in rows
    ]
    print()
    print(table(headers, cells))
    end_load = load_average()
    print(f"\nload average at the end {end_load}")
    write_json(
        out,
        {
            "machine": facts,
            "max_depth": html_module.MAX_DEPTH,
            "shape": args.shape,
            "rows": rows,
            "load_average_at_end": end_load,
        },
    )
    out.with_suffix(".md").write_text(markdown_table(headers, cells) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
