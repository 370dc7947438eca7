"""What the dashboard's own modules cost to import after Streamlit, pandas and pyarrow, with ``--baseline``
another tree's beside this one's, alternating, each import in a new process.

    python -m bench.bench_imports [--rounds 5] [--baseline TREE] [--modules components.charts,...]

Each round starts one process per tree and module: it imports what every page imports first (Streamlit,
pandas, pyarrow, numpy), then times the import of the module and says which of the heavy libraries
(Altair, Plotly) that import brought in. Prints the median and range per tree and module; writes
``bench/out/imports.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
from pathlib import Path

from bench.common import OUT, ROOT, load_average, python_command, table, write_json

MODULES = ("components.charts", "components.figures", "components.counts", "components.view")
HEAVY = ("altair", "plotly")

CHILD = """
import importlib, json, sys, time
sys.path[:0] = [{tree!r}, {tree!r} + "/dashboard"]
import numpy, pandas, pyarrow, streamlit
before = set(sys.modules)
start = time.perf_counter()
importlib.import_module({module!r})
seconds = time.perf_counter() - start
brought = sorted({{name.split(".")[0] for name in set(sys.modules) - before}} & set({heavy!r}))
print(json.dumps({{"seconds": seconds, "brought": brought}}))
"""


def one(tree: Path, module: str) -> dict[str, object]:
    code = CHILD.format(tree=str(tree), module=module, heavy=list(HEAVY))
    out = subprocess.run(
        [*python_command(), "-c", code], cwd=tree, check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout to measure beside this one")
    parser.add_argument("--modules", default=",".join(MODULES))
    parser.add_argument("--json", type=Path, default=OUT / "imports.json")
    args = parser.parse_args(argv)
    trees = {"this tree": ROOT} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    modules = args.modules.split(",")
    runs: dict[str, dict[str, list[dict[str, object]]]] = {name: {m: [] for m in modules} for name in trees}
    for round_ in range(args.rounds):
        order = list(trees.items()) if round_ % 2 == 0 else list(trees.items())[::-1]
        for module in modules:
            for name, tree in order:
                runs[name][module].append(one(tree, module))
    rows = []
    for module in modules:
        for name in trees:
            seconds = [float(r["seconds"]) for r in runs[name][module]]  # type: ignore[arg-type]
            brought = sorted({b for r in runs[name][module] for b in r["brought"]})  # type: ignore[attr-defined]
            rows.append(
                [
                    module,
                    name,
                    f"{statistics.median(seconds):.3f}",
                    f"{min(seconds):.3f}–{max(seconds):.3f}",
                    ", ".join(brought) or "-",
                ]
            )
    print(table(["module", "tree", "median (s)", "range (s)", "brings in"], rows))
    write_json(
        args.json,
        {"trees": {k: str(v) for k, v in trees.items()}, "runs": runs, "load_average": load_average()},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
