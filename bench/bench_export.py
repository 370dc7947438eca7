"""What a Data-page export costs the server: the file's size, the time to build it and the memory it takes,
for selections of several sizes, each in a new process, beside the size the page estimated beforehand.

    python -m bench.bench_export --pages DIR --cache DIR [--sizes 2000,20000,100000] [--format csv]

Opens the collection from its cache as the dashboard does, takes the first N stories (with their text, as
the Data page's ``view.stories``), builds the export with the research columns and the full text
(``export.export_bytes``, what the Download button runs) and measures the build's wall time and the
process's RSS before and after, and its peak during the build (sampled every 10 ms). The estimate is the one the page shows
(``export.estimate_size`` from ``export.size_sample``). Prints a table and the selection that reaches
``CAIXIN_EXPORT_MAX_MB`` (``components.data.EXPORT_MAX_MB``); writes ``bench/out/export.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import OUT, ROOT, load_average, python_command, table, write_json


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 1e6


def child(pages: str, cache: str, stories: int, fmt: str) -> dict[str, Any]:
    """One export of the first ``stories`` stories in this (new) process."""
    import numpy as np

    from core.analysing import export
    from core.storing.collection import open_collection

    collection = open_collection([pages], cache_dir=Path(cache))

    def research(rows: np.ndarray) -> export.ResearchColumns:  # the memberships of those rows, as the page
        return export.ResearchColumns(collection.memberships[np.isin(collection.member_rows(), rows)])

    positions = np.arange(min(stories, len(collection.articles)))
    frame = collection.rows(positions)
    members = research(positions)
    sampled = positions[export.size_sample(len(positions))]
    estimate = export.estimate_size(collection.rows(sampled), fmt, research(sampled), total=len(positions))
    before = _rss_mb()
    highest = [before]
    done = threading.Event()

    def sample() -> None:  # the build's own peak (ru_maxrss would include the open's)
        while not done.wait(0.01):
            highest[0] = max(highest[0], _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    data = export.export_bytes(frame, fmt, members, body=True)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return {
        "stories": len(positions),
        "bytes": len(data),
        "estimate": estimate,
        "seconds": seconds,
        "rss_before_mb": before,
        "rss_after_mb": _rss_mb(),
        "peak_mb": max(highest[0], _rss_mb()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", required=True)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--sizes", default="2000,20000,100000", help="stories per export, comma-separated")
    parser.add_argument("--format", default="csv", choices=["csv", "jsonl", "json", "parquet"])
    parser.add_argument("--json", type=Path, default=OUT / "export.json")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.pages, args.cache, args.child, args.format)))
        return 0
    runs = []
    for size in (int(s) for s in args.sizes.split(",")):
        command = [*python_command(), "-m", "bench.bench_export", "--pages", args.pages, "--cache", args.cache]
        out = subprocess.run(
            [*command, "--format", args.format, "--child", str(size)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    rows = [
        [
            f"{r['stories']:,}",
            f"{r['bytes'] / 1e6:,.1f}",
            f"{r['estimate'] / r['bytes']:.3f}",
            f"{r['bytes'] / r['stories']:,.0f}",
            f"{r['seconds']:.1f}",
            f"{r['rss_after_mb'] - r['rss_before_mb']:+,.0f}",
            f"{r['peak_mb'] - r['rss_before_mb']:+,.0f}",
        ]
        for r in runs
    ]
    headers = ["stories", "MB", "estimate / size", "bytes a story", "build (s)", "RSS after (MB)", "peak (MB)"]
    print(table(headers, rows))
    sys.path.insert(0, str(ROOT / "dashboard"))
    from components.data import EXPORT_MAX_MB

    per_story = max(r["bytes"] / r["stories"] for r in runs)
    print(
        f"{args.format} with the text and research columns: {per_story:,.0f} bytes a story; the default limit "
        f"({EXPORT_MAX_MB:g} MB) is reached at about {EXPORT_MAX_MB * 1e6 / per_story:,.0f} stories"
    )
    write_json(args.json, {"format": args.format, "runs": runs, "load_average": load_average()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
