"""bench/bench_preload.py: the server figures it reads from /proc are those of the process asked about."""

from __future__ import annotations

import os
import resource
from pathlib import Path

from bench import bench_preload


def test_server_usage_reads_cpu_and_rss_of_a_process() -> None:
    sum(range(3_000_000))  # some CPU time of our own
    cpu, rss = bench_preload.server_usage(os.getpid())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    assert 0 < cpu <= usage.ru_utime + usage.ru_stime + 0.05
    status = Path("/proc/self/status").read_text()
    resident = int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) * 1024 / 1e6
    assert 10 < rss and abs(rss - resident) < 5  # MB: the kernel's own count, read a moment later
    other_cpu, _ = bench_preload.server_usage(1)  # another process: its own figures, not ours
    assert other_cpu != cpu


def test_both_visitors_are_measured_with_preload_on_and_off() -> None:
    assert bench_preload.VISITORS == ("at once", "after a deploy")
