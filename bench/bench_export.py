"""What a Data-page export costs the server: the file's size, the time to build it and the memory it takes,
for selections of several sizes and the three ways the page has had of building it, each run in a new
process, beside the size the page estimated beforehand.

    python -m bench.bench_export --pages DIR --cache DIR [--sizes 2000,20000,100000] [--format csv]
        [--ways whole,joined,streamed]

Opens the collection from its cache as the dashboard does and exports its first N stories with the research
columns and the full text:

- ``whole``: the selection's stories read whole (the Data page's ``view.stories``), then
  ``export.export_bytes`` (the Download button before the export streamed);
- ``joined``: ``components.exports.pieces`` joined into one file (the Download button where the server has
  no export route: ``streamlit run dashboard/main.py``);
- ``streamed``: the same pieces, each dropped once made (what the server's export route does: it sends a
  piece and makes the next).

Measures the build's wall time and the process's RSS before and after, and its peak during the build
(sampled every 10 ms). The estimate is the one the page shows (``export.estimate_size`` from
``export.size_sample``). Prints a table; writes ``bench/out/export.json``.
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


WAYS = ("whole", "joined", "streamed")


def child(pages: str, cache: str, stories: int, fmt: str, way: str = "whole") -> dict[str, Any]:
    """One export of the first ``stories`` stories, built ``way`` (``WAYS``), in this (new) process."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "dashboard"))
    from components.exports import chunk_memberships, pieces
    from components.paths import names_for
    from core.analysing import export
    from core.storing.collection import open_collection

    collection = open_collection([pages], cache_dir=Path(cache))
    names = names_for(collection)

    def research(rows: np.ndarray) -> export.ResearchColumns:  # the memberships of those rows, as the page
        return export.ResearchColumns(chunk_memberships(collection, rows))

    positions = np.arange(min(stories, len(collection.articles)))
    sampled = positions[export.size_sample(len(positions))]
    estimate = export.estimate_size(
        collection.rows(sampled), fmt, research(sampled), total=len(positions), prepare=names.sources
    )
    before = _rss_mb()
    highest = [before]
    done = threading.Event()

    def sample() -> None:  # the build's own peak (ru_maxrss would include the open's)
        while not done.wait(0.01):
            highest[0] = max(highest[0], _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    if way == "whole":
        size = len(
            export.export_bytes(
                collection.rows(positions), fmt, research(positions), body=True, prepare=names.sources
            )
        )
    else:
        made = pieces(collection, positions, fmt, body=True, terms=(), labels={}, names=names)
        size = len(b"".join(made)) if way == "joined" else sum(len(piece) for piece in made)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return {
        "way": way,
        "stories": len(positions),
        "bytes": size,
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
    parser.add_argument("--ways", default=",".join(WAYS), help=f"comma-separated, of {', '.join(WAYS)}")
    parser.add_argument("--way", choices=WAYS, default="whole", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=OUT / "export.json")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.pages, args.cache, args.child, args.format, args.way)))
        return 0
    runs = []
    for size in (int(s) for s in args.sizes.split(",")):
        for way in args.ways.split(","):  # side by side, each size's ways one after another
            command = [*python_command(), "-m", "bench.bench_export", "--pages", args.pages, "--cache", args.cache]
            out = subprocess.run(
                [*command, "--format", args.format, "--way", way, "--child", str(size)],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
    rows = [
        [
            r["way"],
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
    headers = ["way", "stories", "MB", "estimate / size", "bytes a story", "build (s)", "RSS after (MB)", "peak (MB)"]
    print(table(headers, rows))
    sys.path.insert(0, str(ROOT / "dashboard"))
    from components.data import EXPORT_MAX_MB

    per_story = max(r["bytes"] / r["stories"] for r in runs)
    print(
        f"{args.format} with the text and research columns: {per_story:,.0f} bytes a story; built in the "
        f"session, the default limit ({EXPORT_MAX_MB:g} MB) is reached at about "
        f"{EXPORT_MAX_MB * 1e6 / per_story:,.0f} stories (streamed: no limit)"
    )
    write_json(args.json, {"format": args.format, "runs": runs, "load_average": load_average()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
