"""Warm start of a dashboard server's data, side by side: the story text mapped from the cache's text file
(the current way) and read into memory (``CAIXIN_TEXT_IN_MEMORY=1``, the way before it); or, with
``--baseline TREE``, this tree against the source tree of another commit (``git archive <commit> | tar -x
-C TREE``), each on its own cache (``--cache``/baseline and ``--cache``/current: a tree rebuilds a cache of
another cache format).

    python -m bench.bench_warm --stories 100000 [--rounds 3] [--cache DIR] [--json OUT] [--baseline TREE]

Each round starts one new process per way, in alternating order, on the same warm cache (built first
when missing): ``components.data.read_collection``, what a server does for its first visitor (ingest
from the cache, open the FTS5 index, the theme memberships, the lookups of ``Collection.prepare`` and the
terms background). Reports per way the median of the rounds: wall and CPU seconds of that call, and the
process's memory after it: VmRSS, its private part (RssAnon) and its file-backed part (RssFile, the
mapped pages of the text file and libraries, which the kernel can drop and other processes share).

After that call (outside the figures above) each process also times, once: reading the cache state again
(``CacheStore.load_state``), the first use of the parts a first page does not need (the page reports, the
headline lines, the listing entries; read from the cache's part files when first used since cache format
4, already in memory before), and a second warm ``ingest`` of the same inputs alone (the part of the start
the cache format decides, without the index, themes and lookups); and reports the size of ``state.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import OUT, ROOT, ensure_corpus

WAYS = {"text-in-memory": {"CAIXIN_TEXT_IN_MEMORY": "1"}, "text-on-disk": {}}

CHILD = """
import json, resource, sys, time
sys.path.insert(0, "dashboard")
import inspect
from components.data import read_collection
key = (sys.argv[1],)
wall, cpu = time.perf_counter(), time.process_time()
if "fingerprint" in inspect.signature(read_collection).parameters:  # a baseline tree from before 2026-11-30
    from core.reading.files import inputs_fingerprint
    collection = read_collection(key, inputs_fingerprint(key))
else:
    collection = read_collection(key)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
memory = {}
for line in open("/proc/self/status"):
    name = line.split(":")[0]
    if name in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
        memory[name] = int(line.split()[1]) / 1024
corpus = collection.corpus
parts = {}
from core.storing.cache import CacheStore
started = time.process_time()
CacheStore(corpus.cache_root).load_state()
parts["load_state"] = time.process_time() - started
for name, use in (("reports", lambda: corpus.report.pages), ("headlines", lambda: corpus.headlines),
                  ("listings", lambda: corpus.listings)):
    started = time.process_time()
    use()
    parts[name] = time.process_time() - started
from core.storing.ingest import ingest
started = time.process_time()
again = ingest(list(key))
parts["ingest again"] = time.process_time() - started
assert again.from_cache
state_bytes = (corpus.cache_root / "state.json").stat().st_size
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "from_cache": corpus.from_cache,
                  "stories": len(collection.articles), **memory, "parts_cpu_s": parts,
                  "state_bytes": state_bytes}))
"""


def run(pages: Path, cache: Path, env: dict[str, str], tree: Path = ROOT) -> dict[str, Any]:
    """One new process: ``read_collection`` of the source tree ``tree`` on ``pages`` with the cache in
    ``cache``."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(pages.resolve())],
        cwd=tree,
        env={**os.environ, **env, "CAIXIN_CACHE": str(cache), "CAIXIN_UPLOADS": str(cache / "no-uploads")},
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=OUT / "cache-warm")
    parser.add_argument("--json", type=Path, default=OUT / "warm.json")
    parser.add_argument(
        "--baseline", type=Path, help="a source tree of another commit, measured against this one's"
    )
    args = parser.parse_args(argv)
    ways: dict[str, tuple[Path, dict[str, str]]] = (
        {"baseline": (args.baseline, {}), "current": (ROOT, {})}
        if args.baseline
        else {name: (ROOT, env) for name, env in WAYS.items()}
    )
    args.cache = args.cache.resolve()
    caches = {name: args.cache / name if args.baseline else args.cache for name in ways}
    pages = ensure_corpus(args.stories)
    warm_ups = ways if args.baseline else {"current": (ROOT, {})}
    for name, (tree, _) in warm_ups.items():  # builds each cache when missing, then every round is warm
        started = time.perf_counter()
        first = run(pages, caches.get(name, args.cache), {}, tree)
        print(f"{name}: cache ready in {time.perf_counter() - started:.1f} s ({first['stories']:,} stories)", flush=True)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in ways}
    for round_ in range(args.rounds):
        order = list(ways) if round_ % 2 == 0 else list(reversed(ways))
        for name in order:
            tree, env = ways[name]
            result = run(pages, caches[name], env, tree)
            if not result["from_cache"]:
                raise SystemExit(f"{name}: the cache was not warm")
            runs[name].append(result)
            print(
                f"  round {round_ + 1} {name}: {result['wall_s']:.2f} s, CPU {result['cpu_s']:.2f} s, "
                f"RSS {result['VmRSS']:.0f} MB (private {result['RssAnon']:.0f})",
                flush=True,
            )
    keys = ("wall_s", "cpu_s", "VmRSS", "RssAnon", "RssFile", "VmHWM")
    medians = {
        name: {k: statistics.median(r[k] for r in results) for k in keys} for name, results in runs.items()
    }
    print(
        f"\n{'median of ' + str(args.rounds) + ' rounds':<34}"
        + "".join(f"{n:>18}" for n in ways)
        + f"{'ratio':>10}"
    )
    labels = {
        "wall_s": "warm open + ready, wall (s)",
        "cpu_s": "warm open + ready, CPU (s)",
        "VmRSS": "RSS after (MB)",
        "RssAnon": "  private (RssAnon, MB)",
        "RssFile": "  file-backed (RssFile, MB)",
        "VmHWM": "peak RSS (MB)",
    }
    old, new = list(ways)
    for key in keys:
        ratio = medians[new][key] / medians[old][key] if medians[old][key] else float("nan")
        print(f"{labels[key]:<34}" + "".join(f"{medians[n][key]:>18.2f}" for n in ways) + f"{ratio:>10.2f}")
    print(f"\n{'first use, CPU s (median)':<34}" + "".join(f"{n:>18}" for n in ways))
    for part in ("load_state", "reports", "headlines", "listings", "ingest again"):
        row = [statistics.median(r["parts_cpu_s"][part] for r in runs[n]) for n in ways]
        print(f"{'  ' + part:<34}" + "".join(f"{value:>18.3f}" for value in row))
    sizes = [statistics.median(r["state_bytes"] for r in runs[n]) / 1e6 for n in ways]
    print(f"{'state.json (MB)':<34}" + "".join(f"{value:>18.3f}" for value in sizes))
    print(f"load average at the end {os.getloadavg()}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"stories": first["stories"], "runs": runs, "medians": medians}, indent=1)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
