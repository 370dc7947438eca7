"""Shared pieces of the benchmarks: the corpus folder, machine facts, percentiles, tables and JSON output.

Benchmarks report figures; they are not tests. The machine they run on is often shared, so every script
records the load average beside its figures and compares alternatives side by side in one run.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS_ROOT = ROOT / "bench" / "corpus"  # git-ignored
OUT = ROOT / "bench" / "out"  # git-ignored
STORIES_PER_PAGE = 20  # bench.corpus default


def corpus_folder(stories: int, seed: int = 0) -> Path:
    """``bench/corpus/stories-<n>`` (seed 0) or ``stories-<n>-seed<k>``: shared by every benchmark."""
    return CORPUS_ROOT / (f"stories-{stories}" if seed == 0 else f"stories-{stories}-seed{seed}")


def ensure_corpus(stories: int, seed: int = 0, folder: Path | None = None) -> Path:
    """The corpus folder, generated first when it is missing or incomplete (the generator is
    deterministic, so a complete folder is reused as it is)."""
    from bench.corpus import generate_corpus

    folder = folder or corpus_folder(stories, seed)
    expected = -(-stories // STORIES_PER_PAGE)
    present = len(list(folder.glob("page_*.txt"))) if folder.is_dir() else 0
    if present != expected:
        print(f"generating {stories:,} stories into {folder} ...", flush=True)
        generate_corpus(folder, stories, seed=seed)
    return folder


def page_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("page_*.txt"))


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import pandas as pd
    import pyarrow as pa

    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": [round(x, 2) for x in load],
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else []


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation, as ``numpy.percentile`` does."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, columns padded, numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in rows) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if n else c.ljust(w) for c, w, n in zip(row, widths, numeric, strict=True)
        )

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths), *(line(r) for r in cells[1:])])


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """The same table as ``table`` in Markdown, for ``docs/performance.md``."""
    numeric = [all(_is_number(row[i]) for row in rows) for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(_cell(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def verdict(passed: bool | None) -> str:
    return "n/a" if passed is None else ("PASS" if passed else "MISS")


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def python_command() -> list[str]:
    """The interpreter running this benchmark, for child processes."""
    return [sys.executable]
