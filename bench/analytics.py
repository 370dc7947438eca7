"""Timings of ``core.analysing.analytics`` on a large corpus: the best wall-clock and CPU time of each call.

Theme memberships are synthetic (every story joins each of 8 themes with probability 0.15, seed 0), so
the theme functions see realistic volumes without depending on a themes file.

Usage: ``python -m bench.corpus /tmp/c --stories 100000`` then ``python -m bench.analytics /tmp/c``
(``--repeat N``, ``--slow`` to include the text functions: terms, mentions, story threads).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.analysing import analytics as A
from core.storing.ingest import ingest

THEMES = ["trade", "tech", "covid", "property", "energy", "finance", "diplomacy", "sport"]


def synthetic_memberships(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """``article_id``, ``theme``, ``hits``: each story in each theme with probability 0.15."""
    rng = np.random.default_rng(seed)
    rows, themes = np.nonzero(rng.random((len(frame), len(THEMES))) < 0.15)
    ids = frame["article_id"].astype(str).to_numpy()
    return pd.DataFrame(
        {
            "article_id": pd.array(ids[rows], dtype="string"),
            "theme": pd.array(np.array(THEMES)[themes], dtype="string"),
            "hits": np.ones(len(rows), dtype="int32"),
        }
    )


def best_of(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best wall-clock and CPU seconds of ``repeat`` runs."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - cpu_started)
    return wall, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", help="folder of saved pages (e.g. made by bench.corpus)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--slow", action="store_true", help="also time terms, mentions and story threads")
    args = parser.parse_args(argv)
    frame = ingest([args.pages], cache_dir=Path(__file__).resolve().parent / "out" / "cache-analytics").articles
    memberships = synthetic_memberships(frame)
    huawei = frame["body"].str.contains("Huawei", regex=False).fillna(False)
    print(f"{len(frame):,} stories, {len(memberships):,} theme memberships")
    calls: dict[str, Callable[[], Any]] = {
        "timeline W": lambda: A.timeline(frame, "W"),
        "timeline D by section, share": lambda: A.timeline(frame, "D", by="section", share=True),
        "timeline W by agency, share": lambda: A.timeline(frame, "W", by="agency", share=True),
        "timeline W by theme, share": lambda: A.timeline(frame, "W", "theme", memberships, share=True),
        "timeline_headlines W": lambda: A.timeline_headlines(frame, "W"),
        "reporter_counts": lambda: A.reporter_counts(frame),
        "reporter_timeline M": lambda: A.reporter_timeline(frame, "Bloomberg", "M"),
        "reporter_theme_matrix": lambda: A.reporter_theme_matrix(frame, memberships),
        "cobyline_pairs": lambda: A.cobyline_pairs(frame),
        "theme_counts": lambda: A.theme_counts(memberships, frame),
        "theme_cooccurrence": lambda: A.theme_cooccurrence(memberships, frame),
        "selection_summary": lambda: A.selection_summary(frame),
    }
    if args.slow:
        calls |= {
            "distinctive_terms (3000 + 3000 docs)": lambda: A.distinctive_terms(frame, huawei),
            "compare_terms": lambda: A.compare_terms(frame, huawei, ~huawei),
            "mentions country": lambda: A.mentions(frame, "country"),
            "mentions organisation": lambda: A.mentions(frame, "organisation"),
            "mentions person": lambda: A.mentions(frame, "person"),
            "story_threads": lambda: A.story_threads(frame),
        }
    for name, call in calls.items():
        wall, cpu = best_of(call, 1 if name == "story_threads" else args.repeat)
        print(f"{name:40s} {wall * 1000:9.1f} ms wall {cpu * 1000:9.1f} ms CPU")


if __name__ == "__main__":
    main()
