"""Dashboard rerun time at scale: AppTest runs of every page on the synthetic corpus.

    python -m bench.bench_dashboard --stories 100000

Loads the corpus once (through the core cache, as the server does), then for each page measures the
script time of a rerun after a filter change (a theme, a query, a reporter, a date range, clearing), cold
(first time that view is computed in this process) and warm (the same view again, as a second session or
a rerun would see it). Target: < 300 ms per rerun at 100,000 stories. Writes bench/out/dashboard.json.

The Themes page computes only its open part (``part`` in the URL): ``themes`` is the page as it opens
(the overlap part), ``themes:compare`` and the like the same changes with that part open, measured after
``themes`` (so "cold" is what opening that part costs). ``--pages`` picks some of them.

Each rerun's CPU time (``time.process_time``: the script runs in this process, nothing else does) is
recorded beside its wall time, which the shared machine's load inflates. ``reader:cards`` is the cost of
the Reader's phone cards (``components.story_cards``: a button and a caption per story of the page,
drawn on every rerun at every screen width): the Reader's warm reruns with the cards and without them
(``story_cards`` replaced by a no-op), alternated in blocks over the same six filter changes, so both
sides see the same load. The process's CPU includes AppTest's own reading of the elements a run drew (a
server serialises them instead), so the CPU of the script thread inside ``story_cards``
(``time.thread_time``) is reported too: what drawing the cards costs the script itself.

``--profile FILE`` writes a cProfile of the script runs after the
first (``python -m pstats FILE``), for where the time goes: one profiler follows AppTest's script threads,
which it does not always catch (two pages' 26 runs once gave 13), and the page scripts' own functions,
compiled anew on every run, count once; read shares, not totals. ``--out FILE`` writes the JSON there instead of bench/out/dashboard.json.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import statistics
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["overview", "timeline", "reporters", "themes", "reader", "data"]
THEMES_PARTS = ["themes:terms", "themes:compare", "themes:names", "themes:evidence"]
CARDS = "reader:cards"
CARDS_REPEATS = 3  # reruns per side, per filter change
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
        default=[*PAGES, *THEMES_PARTS, CARDS],
        metavar="PAGE",
        help=f"pages to measure, in order (default: all of {', '.join([*PAGES, *THEMES_PARTS, CARDS])})",
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of the measured reruns here")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "dashboard.json")
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
    at = AppTest.from_file(str(ROOT / "dashboard" / "main.py"), default_timeout=900)
    at.run()
    first_load = time.perf_counter() - started
    if at.exception:
        sys.exit(f"first run failed: {at.exception[0].value}")
    header = at.markdown[0].value if at.markdown else "?"

    results: dict[str, dict[str, float]] = {}
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profile_script_threads(profiler)  # every run after the first
    for page in args.pages:
        if page == CARDS:
            results[page] = cards_cost(at)
            print(
                f"{page:<10} with cards CPU p50 {results[page]['with_cpu_p50_ms']:7.0f} ms"
                f"   without CPU p50 {results[page]['without_cpu_p50_ms']:7.0f} ms"
                f"   cards {results[page]['cards_cpu_ms']:+6.0f} ms CPU"
                f" (x{results[page]['cpu_ratio']:.2f}; wall {results[page]['cards_wall_ms']:+.0f} ms;"
                f" inside story_cards {results[page]['in_cards_cpu_p50_ms']:.0f} ms)"
                f"   {results[page]['cards_drawn']:.0f} cards a rerun"
            )
            continue
        name, _, part = page.partition(":")
        at.switch_page(f"views/{name}.py")
        if part:
            at.query_params["part"] = part  # as a link opens it
        at.run()
        cold: list[tuple[float, float]] = []
        warm: list[tuple[float, float]] = []
        for key, value in CHANGES:
            for bucket in (cold, warm):
                at.session_state[key] = value
                bucket.append(timed_run(at))
                if at.exception:
                    sys.exit(f"{page}: {at.exception[0].value}")
            at.session_state["from"] = None
        results[page] = {
            "cold_p50_ms": 1000 * statistics.median(w for w, _ in cold),
            "cold_max_ms": 1000 * max(w for w, _ in cold),
            "warm_p50_ms": 1000 * statistics.median(w for w, _ in warm),
            "warm_max_ms": 1000 * max(w for w, _ in warm),
            "cold_cpu_p50_ms": 1000 * statistics.median(c for _, c in cold),
            "warm_cpu_p50_ms": 1000 * statistics.median(c for _, c in warm),
        }
        print(
            f"{page:<10} cold p50 {results[page]['cold_p50_ms']:7.0f} ms  max {results[page]['cold_max_ms']:7.0f} ms"
            f"   warm p50 {results[page]['warm_p50_ms']:7.0f} ms  max {results[page]['warm_max_ms']:7.0f} ms"
            f"   CPU cold/warm p50 {results[page]['cold_cpu_p50_ms']:5.0f} / {results[page]['warm_cpu_p50_ms']:5.0f} ms"
        )
    out = {
        "stories": args.stories,
        "header": header,
        "first_load_s": first_load,
        "pages": results,
        "load_average": os.getloadavg()[0],
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    if profiler is not None:
        profiler.dump_stats(args.profile)
    print(f"first load (ingest via cache, index, themes): {first_load:.1f} s; {header}")


def profile_script_threads(profiler: cProfile.Profile) -> None:
    """Profile every script run from now on: AppTest runs the script in a new thread each time, which a
    profiler enabled in this thread would not see."""

    def start(*_: Any) -> None:
        sys.setprofile(None)
        profiler.enable()  # in the script's thread

    threading.setprofile(start)


def timed_run(at: Any) -> tuple[float, float]:
    """One rerun of ``at``: (wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    at.run()
    return time.perf_counter() - wall, time.process_time() - cpu


def cards_cost(at: Any) -> dict[str, float]:
    """The Reader's warm reruns with its phone cards and with ``story_cards`` replaced by a no-op, over
    the six filter changes: ``CARDS_REPEATS`` reruns a side per change, the side that goes first
    alternating from one change to the next. Medians of all reruns per side, their difference and ratio."""
    at.switch_page("views/reader.py")
    at.run()
    cards_module: Any = sys.modules["components.story_cards"]  # imported by the page (dashboard/ on the path)
    real = cards_module.story_cards
    sides: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    drawn: list[int] = []
    in_call: list[float] = []  # CPU of the script thread inside story_cards, per call
    calls: list[float] = []  # the same, of the counted reruns

    def timed_cards(*args: Any, **kwargs: Any) -> None:
        started = time.thread_time()
        real(*args, **kwargs)
        in_call.append(time.thread_time() - started)

    try:
        for number, (key, value) in enumerate(CHANGES):
            at.session_state[key] = value
            at.run()  # the view computed once: both sides then rerun it warm
            for with_cards in (True, False) if number % 2 == 0 else (False, True):
                cards_module.story_cards = timed_cards if with_cards else (lambda *_a, **_k: None)
                at.run()  # the first run after a switch adds or removes the cards' widgets: not counted
                del in_call[:]
                for _ in range(CARDS_REPEATS):
                    sides[with_cards].append(timed_run(at))
                    if at.exception:
                        sys.exit(f"{CARDS}: {at.exception[0].value}")
                if with_cards:
                    drawn.append(sum(1 for b in at.button if str(b.key).startswith("card-")))
                    calls.extend(in_call)
            at.session_state["from"] = None
    finally:
        cards_module.story_cards = real
    with_cpu = statistics.median(c for _, c in sides[True])
    without_cpu = statistics.median(c for _, c in sides[False])
    with_wall = statistics.median(w for w, _ in sides[True])
    without_wall = statistics.median(w for w, _ in sides[False])
    return {
        "with_cpu_p50_ms": 1000 * with_cpu,
        "without_cpu_p50_ms": 1000 * without_cpu,
        "cards_cpu_ms": 1000 * (with_cpu - without_cpu),
        "cpu_ratio": with_cpu / without_cpu,
        "with_wall_p50_ms": 1000 * with_wall,
        "without_wall_p50_ms": 1000 * without_wall,
        "cards_wall_ms": 1000 * (with_wall - without_wall),
        "cards_drawn": statistics.median(drawn),
        "in_cards_cpu_p50_ms": 1000 * statistics.median(calls),
    }


if __name__ == "__main__":
    main()
