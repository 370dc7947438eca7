"""Search figures: index build, theme matching, query latency beside a regex scan, dashboard aggregations.

    python -m bench.bench_search --stories 100000

Loads the synthetic corpus (``bench/corpus/stories-<n>``, generated when missing) through the cache in
``bench/out/cache-search`` (never ``data/cache``). Then times ``SearchIndex.open`` on an empty folder,
``match_themes`` with the shipped ``data/themes.toml``, and for each query of ``QUERIES`` the latency of
``SearchIndex.mask(query, collection.theme_ids)`` (``--repeat`` runs after one warm-up) side by side with
a reference evaluator that scans the text with pandas ``str.contains`` (``--scan-repeat`` runs). Both must
select the same rows; a mismatch is printed loudly and makes the exit status 1. Also times the
aggregations a dashboard view needs (``core.analysing.analytics``). Targets: every query p50 < 50 ms and at least
20x faster than the scan; each aggregation p50 < 100 ms. Writes ``bench/out/search.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import (
    OUT,
    ROOT,
    ensure_corpus,
    load_average,
    machine,
    markdown_table,
    percentile,
    table,
    verdict,
    write_json,
)
from core.analysing.query import And, Field, Node, Not, Or, Term, parse_query
from core.analysing.themes import ThemeBook, match_themes
from core.storing.collection import Collection
from core.storing.ingest import ingest
from core.storing.search import SearchIndex, fold, term_pattern

TARGETS = {"query_p50_ms": 50.0, "query_speedup": 20.0, "aggregation_p50_ms": 100.0}
QUERIES = [
    "huawei",
    '"trade war"',
    "tariff*",
    "huawei AND 5g",
    "huawei NOT canada",
    "(tiktok OR bytedance) AND security",
    'author:"Matthew Walsh"',
    "section:finance AND bank*",
    "-china",
    "agency:bloomberg huawei",
    '"meng wanzhou"',
    "theme:huawei AND 5g",
    '"trade war" OR tariff*',
    "huawei AND 5g NOT canada",
]
TEXT_COLUMNS = ("headline", "body", "photo_caption")


class ScanEvaluator:
    """The reference: every query answered by scanning the frame, no index.

    Words, phrases and prefixes: ``str.contains(term_pattern(term).pattern, regex=True, case=False)`` on
    each text column (folded as the index folds accents), OR-ed. Fields: the frame logic of
    ``SearchIndex.field_rows`` written again with pandas, without its cached author lookup.
    """

    def __init__(self, frame: pd.DataFrame, themes: Callable[[str], set[str] | None]) -> None:
        self.frame = frame
        self.themes = themes
        # Prepared once, outside the timings (this favours the scan).
        self.texts = [frame[c].fillna("").astype(str).map(fold).astype("string") for c in TEXT_COLUMNS]

    def mask(self, query: str) -> np.ndarray:
        return self.evaluate(parse_query(query))

    def evaluate(self, node: Node) -> np.ndarray:
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Field):
            return self.field(node)
        if isinstance(node, Not):
            return ~self.evaluate(node.operand)
        if isinstance(node, And):
            mask = np.ones(len(self.frame), dtype=bool)
            for operand in node.operands:
                mask &= self.evaluate(operand)
            return mask
        assert isinstance(node, Or)
        mask = np.zeros(len(self.frame), dtype=bool)
        for operand in node.operands:
            mask |= self.evaluate(operand)
        return mask

    def term(self, term: Term) -> np.ndarray:
        pattern = term_pattern(term).pattern
        mask = np.zeros(len(self.frame), dtype=bool)
        for text in self.texts:
            found = text.str.contains(pattern, regex=True, case=False)
            mask |= found.to_numpy(dtype=bool, na_value=False)
        return mask

    def field(self, field: Field) -> np.ndarray:
        value = field.value.lower().strip()
        frame = self.frame
        if field.name == "author":
            names = frame["authors"].map(lambda authors: [a.lower() for a in authors])
            whole = " ".join(value.split())
            exact = names.map(lambda lowered: whole in lowered).to_numpy(dtype=bool)
            if exact.any():
                return exact
            words = value.split()
            if not words:
                return np.zeros(len(frame), dtype=bool)
            mask = np.ones(len(frame), dtype=bool)
            for word in words:
                mask &= names.map(lambda lowered, w=word: any(w in n.split() for n in lowered)).to_numpy(bool)
            return mask
        if field.name == "section":
            section = frame["section"].astype(str).str.lower()
            return ((section == value) | section.str.startswith(value)).to_numpy(dtype=bool)
        if field.name == "agency":
            agency = frame["agency"].astype(object)
            if value in ("any", "*", "yes"):
                return agency.notna().to_numpy(dtype=bool)
            if value in ("none", "no", "staff"):
                return agency.isna().to_numpy(dtype=bool)
            wires = agency.fillna("").astype(str).str.lower().str.split(r",\s*")
            return wires.map(lambda names: value in names).to_numpy(dtype=bool)
        ids = self.themes(value)
        if ids is None:
            return np.zeros(len(frame), dtype=bool)
        return frame["article_id"].isin(list(ids)).to_numpy(dtype=bool)


def timed(call: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Milliseconds of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def latency(times: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "max_ms": max(times)}


def bench_queries(
    collection: Collection, scan: ScanEvaluator, repeat: int, scan_repeat: int
) -> list[dict[str, Any]]:
    rows = []
    for query in QUERIES:
        warm_up = time.perf_counter()
        expected = collection.index.mask(query, collection.theme_ids)
        first_ms = (time.perf_counter() - warm_up) * 1000
        index_times, got = timed(lambda q=query: collection.index.mask(q, collection.theme_ids), repeat)
        scan_times, scanned = timed(lambda q=query: scan.mask(q), scan_repeat)
        index, scanned_latency = latency(index_times), latency(scan_times)
        same = bool(np.array_equal(got, scanned)) and bool(np.array_equal(got, expected))
        row = {
            "query": query,
            "rows_index": int(got.sum()),
            "rows_scan": int(scanned.sum()),
            "same_rows": same,
            "index_first_ms": first_ms,
            "index": index | {"runs": len(index_times)},
            "scan": scanned_latency | {"runs": len(scan_times)},
            "speedup_p50": scanned_latency["p50_ms"] / index["p50_ms"],
        }
        row["pass"] = (
            same
            and index["p50_ms"] < TARGETS["query_p50_ms"]
            and row["speedup_p50"] >= TARGETS["query_speedup"]
        )
        if not same:
            differ = int(np.count_nonzero(got != scanned))
            print(
                f"!!! MISMATCH for {query!r}: index {row['rows_index']:,} rows, scan {row['rows_scan']:,} rows, "
                f"{differ:,} rows differ",
                file=sys.stderr,
                flush=True,
            )
        print(
            f"  {query:40s} index p50 {index['p50_ms']:8.2f} ms  scan p50 {scanned_latency['p50_ms']:9.1f} ms"
            f"  x{row['speedup_p50']:7.1f}  rows {row['rows_index']:,}{'' if same else '  MISMATCH'}",
            flush=True,
        )
        rows.append(row)
    return rows


def bench_aggregations(frame: pd.DataFrame, memberships: pd.DataFrame, repeat: int) -> dict[str, Any]:
    if importlib.util.find_spec("core.analysing.analytics") is None:
        return {"skipped": "core/analysing/analytics.py is not there"}
    from core.analysing import analytics

    calls: dict[str, Callable[[], Any]] = {
        'timeline(frame, "W")': lambda: analytics.timeline(frame, "W"),
        'timeline(frame, "M", by="theme", memberships=...)': lambda: analytics.timeline(
            frame, "M", by="theme", memberships=memberships
        ),
        "reporter_counts(frame)": lambda: analytics.reporter_counts(frame),
    }
    out: dict[str, Any] = {}
    for name, call in calls.items():
        warm_up = time.perf_counter()
        call()
        first_ms = (time.perf_counter() - warm_up) * 1000
        times, result = timed(call, repeat)
        figures = latency(times)
        out[name] = figures | {
            "first_ms": first_ms,
            "runs": repeat,
            "result_rows": len(result),
            "pass": figures["p50_ms"] < TARGETS["aggregation_p50_ms"],
        }
        print(f"  {name:52s} p50 {figures['p50_ms']:8.2f} ms  p95 {figures['p95_ms']:8.2f} ms", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_search", description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat", type=int, default=20, help="timed runs of each index query and aggregation"
    )
    parser.add_argument("--scan-repeat", type=int, default=3, help="timed runs of each reference scan")
    parser.add_argument("--build-repeat", type=int, default=1, help="index builds, each on an empty folder")
    parser.add_argument("--out", type=Path, default=OUT / "search.json")
    args = parser.parse_args(argv)

    corpus_folder = ensure_corpus(args.stories, args.seed)
    facts = machine()
    print(
        f"corpus {corpus_folder.relative_to(ROOT)}; load average {facts['load_average_at_start']}", flush=True
    )
    started = time.perf_counter()
    corpus = ingest([corpus_folder], cache_dir=OUT / "cache-search", workers=2)
    load_s = time.perf_counter() - started
    frame = corpus.articles
    print(f"{len(frame):,} stories loaded in {load_s:.1f} s (from cache: {corpus.from_cache})", flush=True)

    builds: list[float] = []
    with tempfile.TemporaryDirectory(prefix="index-", dir=OUT) as scratch:
        for number in range(args.build_repeat):
            folder = Path(scratch) / f"build-{number}"
            started = time.perf_counter()
            index = SearchIndex.open(frame, folder)
            builds.append(time.perf_counter() - started)
            print(f"  index build {number + 1}: {builds[-1]:.1f} s", flush=True)
        index_bytes = sum(p.stat().st_size for p in folder.glob("fts-*.sqlite"))
        started = time.perf_counter()
        SearchIndex.open(frame, folder)
        reopen_s = time.perf_counter() - started

        book = ThemeBook()
        started = time.perf_counter()
        memberships = match_themes(index, book.themes)
        themes_s = time.perf_counter() - started
        print(
            f"  match_themes ({len(book.themes)} themes): {themes_s:.1f} s, {len(memberships):,} memberships"
        )
        collection = Collection(corpus, index, book, memberships)

        print("queries (index vs scan) ...", flush=True)
        scan = ScanEvaluator(frame, collection.theme_ids)
        queries = bench_queries(collection, scan, args.repeat, args.scan_repeat)

    print("aggregations ...", flush=True)
    aggregations = bench_aggregations(frame, memberships, args.repeat)

    mismatches = [q["query"] for q in queries if not q["same_rows"]]
    command = "python -m bench.bench_search " + " ".join(argv if argv is not None else sys.argv[1:])
    results = {
        "benchmark": "search",
        "command": command.strip(),
        "machine": facts,
        "load_average_at_end": load_average(),
        "corpus": {
            "folder": str(corpus_folder.relative_to(ROOT)),
            "stories": len(frame),
            "load_s": load_s,
            "from_cache": corpus.from_cache,
        },
        "targets": TARGETS,
        "index_build": {
            "runs_s": builds,
            "median_s": statistics.median(builds),
            "bytes": index_bytes,
            "reopen_s": reopen_s,
        },
        "match_themes": {"seconds": themes_s, "themes": len(book.themes), "memberships": len(memberships)},
        "queries": queries,
        "mismatches": mismatches,
        "aggregations": aggregations,
    }
    query_headers = [
        "query",
        "rows",
        "index p50 ms",
        "index p95 ms",
        "scan p50 ms",
        "scan/index",
        "same rows",
        "verdict",
    ]
    query_rows = [
        [
            q["query"],
            q["rows_index"],
            q["index"]["p50_ms"],
            q["index"]["p95_ms"],
            q["scan"]["p50_ms"],
            q["speedup_p50"],
            "yes" if q["same_rows"] else "NO",
            verdict(q["pass"]),
        ]
        for q in queries
    ]
    print()
    print(table(query_headers, query_rows))
    markdown = [markdown_table(query_headers, query_rows)]
    if "skipped" not in aggregations:
        aggregation_headers = ["aggregation", "p50 ms", "p95 ms", "verdict"]
        aggregation_rows = [
            [name, a["p50_ms"], a["p95_ms"], verdict(a["pass"])] for name, a in aggregations.items()
        ]
        print()
        print(table(aggregation_headers, aggregation_rows))
        markdown.append(markdown_table(aggregation_headers, aggregation_rows))
    print(f"\nindex build {statistics.median(builds):.1f} s; match_themes {themes_s:.1f} s")
    write_json(args.out, results)
    args.out.with_suffix(".md").write_text("\n\n".join(markdown) + "\n", encoding="utf-8")
    if mismatches:
        print(
            f"!!! {len(mismatches)} queries select different rows in the index and the scan: {mismatches}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
