"""The headline catalog's keys renumbered after one story was added: the way before 2026-12-03 against now.

An incremental ingest takes over the catalog index of the last match (``core.storing.rematch``): every one of
its keys (``word << shift | position``, some 28 million at 1,000,000 stories) gets its story's new position.
Until 2026-12-03 that made four arrays of the keys' size (positions, new positions, word bits, kept keys) and
a fifth to insert the new story's keys; now ``_renumbered_keys`` renumbers a chunk at a time into the one
array of the result. This benchmark runs both on the keys file of a real cache, each in a new process,
alternating, with one story added in the middle of the collection, and prints wall and system seconds, page
faults and peak RSS side by side; both must give the same keys.

    python -m bench.bench_renumber --cache CACHE_DIR [--rounds 4]

``CACHE_DIR`` is a cache folder (``caixin ingest --cache``); its newest ``catalog-*.keys.arrow`` is used.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import OUT, ROOT, load_average, machine, markdown_table, table, write_json

WAYS = ("before", "now")


def keys_file(cache: Path) -> Path:
    """The newest catalog keys file under ``cache``."""
    found = sorted(cache.rglob("catalog-*.keys.arrow"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit(f"{cache}: no catalog-*.keys.arrow (run an ingest into it first)")
    return found[-1]


def _before(keys: Any, new_of_old: Any, old_shift: int, shift: int, fresh_keys: Any) -> Any:
    """The renumbering as ``rematch._updated_index`` did it before 2026-12-03 (kept stories in order)."""
    import numpy as np

    old_mask = (1 << old_shift) - 1
    old_positions = keys & old_mask
    mapped = new_of_old[old_positions]
    kept = mapped >= 0
    del old_positions
    gone_keys = keys[~kept]
    high = keys & ~old_mask if shift == old_shift else (keys >> old_shift) << shift
    if len(gone_keys):
        kept_keys = high[kept]
        kept_keys += mapped[kept]
    else:
        kept_keys = high
        kept_keys += mapped
    del high, mapped
    return np.insert(kept_keys, np.searchsorted(kept_keys, fresh_keys), fresh_keys)


def child(path: Path, way: str) -> dict[str, Any]:
    """One renumbering in this fresh process: the keys of ``path`` with one story added in the middle."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.ipc as ipc

    from core.storing.catalog import key_shift
    from core.storing.rematch import _renumbered_keys

    keys = ipc.open_file(pa.memory_map(str(path))).read_all().column("key").to_numpy()
    # the stories the keys number: the rows of the memo's map file beside the keys (the earlier stories the
    # keys were made for; ``CatalogMemo.key_map``)
    stories = path.with_name(path.name.replace(".keys.arrow", ".map.arrow"))
    n_old = ipc.open_file(pa.memory_map(str(stories))).read_all().num_rows
    n = n_old + 1
    middle = n_old // 2
    new_of_old = np.arange(n_old, dtype=np.int64)
    new_of_old[middle:] += 1
    old_shift, shift = key_shift(n_old), key_shift(n)
    # the new story's keys: three words of the collection's and one after the last (merged at the end)
    last_word = int(keys.max() >> old_shift) if len(keys) else 0
    fresh_keys = np.sort((np.array([1, 5, 9, last_word + 1], dtype=np.int64) << shift) + middle)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if way == "now":
        renumbered, _ = _renumbered_keys(keys, new_of_old, old_shift, shift, fresh_keys)
    else:
        renumbered = _before(keys, new_of_old, old_shift, shift, fresh_keys)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "way": way,
        "keys": len(keys),
        "wall_s": wall,
        "sys_s": after.ru_stime - before.ru_stime,
        "faults": after.ru_minflt - before.ru_minflt,
        "maxrss_mb": after.ru_maxrss / 1024,
        "digest": hashlib.sha256(np.ascontiguousarray(renumbered).tobytes()).hexdigest()[:16],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_renumber", description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="a cache folder with a catalog memo")
    parser.add_argument("--rounds", type=int, default=4, help="processes of each way, alternating")
    parser.add_argument("--out", type=Path, default=OUT / "renumber.json")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--way", choices=WAYS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.way)))
        return 0
    if args.cache is None:
        parser.error("--cache is required")
    path = keys_file(args.cache)
    print(f"keys file {path} ({path.stat().st_size / 2**20:,.1f} MB); load average {load_average()}", flush=True)
    runs: dict[str, list[dict[str, Any]]] = {way: [] for way in WAYS}
    for number in range(args.rounds):
        for way in WAYS if number % 2 == 0 else tuple(reversed(WAYS)):
            command = [sys.executable, "-m", "bench.bench_renumber", "--child", str(path), "--way", way]
            done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            runs[way].append(result)
            print(f"  round {number + 1}, {way}: {result['wall_s']:.3f} s, {result['faults']:,} faults", flush=True)
    same = len({r["digest"] for rs in runs.values() for r in rs}) == 1
    print(f"the same keys both ways: {same}")
    headers = ["renumbering, one story added (median)", *WAYS]
    rows = [
        [label, *(statistics.median(r[field] for r in runs[way]) for way in WAYS)]
        for label, field in (
            ("wall (s)", "wall_s"),
            ("system CPU (s)", "sys_s"),
            ("page faults", "faults"),
            ("peak RSS of the process (MB)", "maxrss_mb"),
        )
    ]
    rows.insert(0, ["keys", *(runs[way][0]["keys"] for way in WAYS)])
    print()
    print(table(headers, rows))
    write_json(args.out, {"benchmark": "renumber", "machine": machine(), "keys_file": str(path), "runs": runs})
    args.out.with_suffix(".md").write_text(markdown_table(headers, rows) + "\n", encoding="utf-8")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
