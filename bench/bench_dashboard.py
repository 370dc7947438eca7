"""Dashboard rerun time at scale: AppTest runs of every page on the synthetic corpus.

    python -m bench.bench_dashboard --stories 100000

Loads the corpus once (through the core cache, as the server does), then for each page measures the
script time of a rerun after a filter change (a theme, a query, a reporter, a date range, clearing), cold
(first time that view is computed in this process) and warm (the same view again, as a second session or
a rerun would see it). Target: < 300 ms per rerun at 100,000 stories. Writes bench/out/dashboard.json.

The Themes page computes only its open part (``part`` in the URL): ``themes`` is the page as it opens
(the overlap part), ``themes:compare`` and the like the same changes with that part open, measured after
``themes`` (so "cold" is what opening that part costs). ``--pages`` picks some of them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["overview", "timeline", "reporters", "themes", "reader", "data"]
THEMES_PARTS = ["themes:terms", "themes:compare", "themes:names", "themes:evidence"]
CHANGES: list[tuple[str, object]] = [
    ("theme", ["huawei"]),
    ("q", '"trade war" OR tariff*'),
    ("theme", ["trade-war", "energy"]),
    ("from", date(2019, 1, 1)),
    ("q", "huawei AND 5g NOT canada"),
    ("theme", []),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--pages",
        nargs="+",
        default=[*PAGES, *THEMES_PARTS],
        metavar="PAGE",
        help=f"pages to measure, in order (default: all of {', '.join([*PAGES, *THEMES_PARTS])})",
    )
    args = parser.parse_args()

    corpus_dir = ROOT / "bench" / "corpus" / f"stories-{args.stories}"
    if not corpus_dir.exists() or not any(corpus_dir.iterdir()):
        from bench.corpus import generate_corpus

        generate_corpus(corpus_dir, args.stories, seed=args.seed)
    os.environ["CAIXIN_DATA"] = str(corpus_dir)
    os.environ["CAIXIN_CACHE"] = str(ROOT / "bench" / "out" / "cache-dashboard")
    os.environ["CAIXIN_UPLOADS"] = str(ROOT / "bench" / "out" / "uploads-none")

    from streamlit.testing.v1 import AppTest

    started = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=900)
    at.run()
    first_load = time.perf_counter() - started
    if at.exception:
        sys.exit(f"first run failed: {at.exception[0].value}")
    header = at.markdown[0].value if at.markdown else "?"

    results: dict[str, dict[str, float]] = {}
    for page in args.pages:
        name, _, part = page.partition(":")
        at.switch_page(f"views/{name}.py")
        if part:
            at.query_params["part"] = part  # as a link opens it
        at.run()
        cold: list[float] = []
        warm: list[float] = []
        for key, value in CHANGES:
            for bucket in (cold, warm):
                at.session_state[key] = value
                t0 = time.perf_counter()
                at.run()
                bucket.append(time.perf_counter() - t0)
                if at.exception:
                    sys.exit(f"{page}: {at.exception[0].value}")
            at.session_state["from"] = None
        results[page] = {
            "cold_p50_ms": 1000 * statistics.median(cold),
            "cold_max_ms": 1000 * max(cold),
            "warm_p50_ms": 1000 * statistics.median(warm),
            "warm_max_ms": 1000 * max(warm),
        }
        print(
            f"{page:<10} cold p50 {results[page]['cold_p50_ms']:7.0f} ms  max {results[page]['cold_max_ms']:7.0f} ms"
            f"   warm p50 {results[page]['warm_p50_ms']:7.0f} ms  max {results[page]['warm_max_ms']:7.0f} ms"
        )
    out = {
        "stories": args.stories,
        "header": header,
        "first_load_s": first_load,
        "pages": results,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "out" / "dashboard.json").write_text(json.dumps(out, indent=2))
    print(f"first load (ingest via cache, index, themes): {first_load:.1f} s; {header}")


if __name__ == "__main__":
    main()
