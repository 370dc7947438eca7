"""bench/bench_preload.py: the server figures it reads from /proc are this process's own."""

from __future__ import annotations

import os
import resource

from bench import bench_preload


def test_server_usage_reads_cpu_and_rss_of_a_process() -> None:
    sum(range(3_000_000))  # some CPU time of our own
    cpu, rss = bench_preload.server_usage(os.getpid())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    assert 0 < cpu <= usage.ru_utime + usage.ru_stime + 0.05
    peak = usage.ru_maxrss * 1024 / 1e6  # ru_maxrss: the peak, in KiB
    assert 10 < rss and abs(rss - peak) < 0.1 * peak  # this test allocates little: now is near the peak


def test_both_visitors_are_measured_with_preload_on_and_off() -> None:
    assert bench_preload.VISITORS == ("at once", "after a deploy")
