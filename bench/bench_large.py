"""One huge page: read in pieces (``core.reading.stream``) against a whole read, memory and time side by side.

    python -m bench.bench_large --megabytes 200

Generates (or reuses) one live-feed page of about ``--megabytes`` MB in ``bench/corpus`` (git-ignored) and
a copy of its first quarter, cut before a byline. Each measurement runs in a fresh Python process, so its
peak resident memory (``ru_maxrss``) is its own:

* ``imports``: the modules loaded and nothing read (the floor every other figure stands on);
* ``pieces``: ``parse_large_page``, the stories as one frame;
* ``whole``: ``read_page`` + ``parse_page`` + ``articles_to_frame``, the path every small page takes;
* ``traced`` (with ``--trace``): ``parse_large_page`` under ``tracemalloc``: the Python memory its result
  holds, and the reader's own transient peak above that;
* ``ingest``: a cold ``ingest`` of the page alone (duplicate merge, headline catalog, Parquet cache write), with progress.

The reader's working memory is the peak less the imports and less the frame of stories it returns (which
any reader must hold). Target: it stays bounded, about the same for the quarter page as for the whole
page, while a whole read grows with the page. Writes ``bench/out/large.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    CORPUS_ROOT,
    OUT,
    ROOT,
    load_average,
    machine,
    markdown_table,
    python_command,
    write_json,
)

#: Stories per megabyte of generated page (about 1.47 KB a story).
STORIES_PER_MB = 680
#: Working memory (MB) the reader may use on top of the imports and the frame it returns, at any size.
WORKING_LIMIT_MB = 256


def page_path(megabytes: int) -> Path:
    return CORPUS_ROOT / f"large-{megabytes}mb.txt"


def ensure_page(megabytes: int) -> tuple[Path, Path]:
    """The big page and its first quarter (cut before a byline), generated once."""
    from bench.corpus import generate_page

    path = page_path(megabytes)
    quarter = CORPUS_ROOT / f"large-{megabytes}mb-quarter.txt"
    if not path.exists():
        print(f"generating a {megabytes} MB page into {path} ...", flush=True)
        text = generate_page(
            random.Random(megabytes), megabytes * STORIES_PER_MB, datetime(2024, 12, 31), timedelta(days=3650)
        )
        CORPUS_ROOT.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    if not quarter.exists():
        data = path.read_bytes()
        cut = data.find(b"\nBy ", len(data) // 4) + 1
        quarter.write_bytes(data[:cut])
    return path, quarter


def frame_bytes(frame: Any) -> int:
    """The frame's memory, list cells included: pandas counts a list cell as the list alone, not the
    strings in it (``sources``, ``authors``, ... hold one or more strings a row)."""
    from core.model import LIST_COLUMNS

    total = int(frame.memory_usage(deep=True).sum())
    for name in LIST_COLUMNS:
        total += sum(sys.getsizeof(item) for cell in frame[name] for item in cell)
    return total


# -- child process: one measurement, from the inside ------------------------------------------------------
def child(mode: str, path: Path) -> dict[str, Any]:
    started = time.perf_counter()
    import pandas as pd

    from core.parsing import parse_page
    from core.reading.files import read_page
    from core.reading.stream import parse_large_page
    from core.storing.frame import articles_to_frame
    from core.storing.ingest import ingest

    result: dict[str, Any] = {"mode": mode, "megabytes": path.stat().st_size / 1e6}
    frame: pd.DataFrame | None = None
    calls: list[int] = []
    began = time.perf_counter()
    if mode == "traced":  # Python allocations only; several times slower
        import tracemalloc

        tracemalloc.start()
        large = parse_large_page(str(path))
        current, peak = tracemalloc.get_traced_memory()
        assert large is not None, "not a live feed"
        result |= {"traced_result_mb": current / 2**20, "traced_transient_mb": (peak - current) / 2**20}
    elif mode == "pieces":
        large = parse_large_page(str(path), on_bytes=calls.append)
        assert large is not None, "not a live feed"
        frame = large.articles
        result |= {"segments": large.segments, "largest_segment_mb": large.largest_segment / 1e6}
    elif mode == "whole":
        page = read_page(path)
        frame = articles_to_frame(parse_page(page.text, str(path)).articles)
        del page
    elif mode == "ingest":
        with tempfile.TemporaryDirectory() as cache:
            corpus = ingest(
                [path], cache_dir=Path(cache), progress=lambda done, total, name: calls.append(done)
            )
            frame = corpus.articles
    result["seconds"] = time.perf_counter() - began
    result["import_s"] = began - started
    result["progress_calls"] = len(calls)
    if frame is not None:
        result["stories"] = len(frame)
        result["frame_mb"] = frame_bytes(frame) / 2**20
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_child(mode: str, path: Path) -> dict[str, Any]:
    command = [*python_command(), "-m", "bench.bench_large", "--child", mode, "--page", str(path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{mode} failed ({done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--child", choices=["imports", "pieces", "whole", "ingest", "traced"])
    parser.add_argument(
        "--trace", action="store_true", help="also trace Python allocations of the reader (slow: minutes)"
    )
    parser.add_argument("--page", type=Path)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.page)))
        return 0
    path, quarter = ensure_page(args.megabytes)
    load_before = load_average()
    runs = [run_child("imports", quarter)]
    for page in (quarter, path):
        runs += [run_child(mode, page) for mode in ("pieces", "whole")]
    runs.append(run_child("ingest", path))
    traced = [run_child("traced", page) for page in (quarter, path)] if args.trace else []
    floor = runs[0]["maxrss_mb"]
    for run in runs[1:]:
        run["working_mb"] = run["maxrss_mb"] - floor - run.get("frame_mb", 0.0)
        run["mb_per_s"] = run["megabytes"] / run["seconds"]
    pieces = [r for r in runs if r["mode"] == "pieces"]
    whole = [r for r in runs if r["mode"] == "whole"]
    bounded = all(r["working_mb"] <= WORKING_LIMIT_MB for r in pieces)
    grows = pieces[1]["working_mb"] - pieces[0]["working_mb"]
    rows = [
        [
            r["mode"],
            f"{r['megabytes']:.0f}",
            f"{r.get('stories', 0):,}",
            f"{r.get('seconds', 0):.1f}",
            f"{r.get('mb_per_s', 0):.1f}",
            f"{r['maxrss_mb']:,.0f}",
            f"{r.get('frame_mb', 0):,.0f}",
            f"{r.get('working_mb', 0):,.0f}",
            r.get("progress_calls", ""),
        ]
        for r in runs
    ]
    headers = [
        "mode",
        "MB",
        "stories",
        "s",
        "MB/s",
        "peak RSS MB",
        "frame MB",
        "working MB",
        "progress calls",
    ]
    print(markdown_table(headers, rows))
    summary = {
        "machine": machine(),
        "load_before": load_before,
        "load_after": load_average(),
        "runs": runs,
        "working_limit_mb": WORKING_LIMIT_MB,
        "pieces_bounded": bounded,
        "pieces_working_growth_mb": grows,
        "whole_to_pieces_peak": whole[1]["maxrss_mb"] / pieces[1]["maxrss_mb"],
        "traced": traced,
    }
    for run in traced:
        print(
            f"traced Python allocations at {run['megabytes']:.0f} MB: the result holds {run['traced_result_mb']:.0f} MB, "
            f"the reader's transient peak above it {run['traced_transient_mb']:.1f} MB"
        )
    print(
        f"\nworking memory in pieces: {pieces[0]['working_mb']:.0f} MB at {pieces[0]['megabytes']:.0f} MB, "
        f"{pieces[1]['working_mb']:.0f} MB at {pieces[1]['megabytes']:.0f} MB "
        f"(limit {WORKING_LIMIT_MB} MB: {'PASS' if bounded else 'MISS'}); "
        f"whole read peak / pieces peak at {pieces[1]['megabytes']:.0f} MB = {summary['whole_to_pieces_peak']:.1f}x"
    )
    write_json(OUT / "large.json", summary)
    return 0 if bounded else 1


if __name__ == "__main__":
    raise SystemExit(main())
