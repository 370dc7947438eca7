"""``bench.bench_warm_server`` without a server or a browser: the memory parts it reads from
``smaps_rollup`` and its summary of the rounds (the runs themselves need Chromium, as ``bench_scale``'s
browser part)."""

from __future__ import annotations

import os

from bench import bench_warm_server

ROLLUP = """55d4c5a6b000-7ffd1c1f9000 ---p 00000000 00:00 0                          [rollup]
Rss:              461336 kB
Pss:              455123 kB
Shared_Clean:      67420 kB
Private_Clean:     11264 kB
Private_Dirty:    382652 kB
Anonymous:        382652 kB
"""


def test_the_memory_parts_of_smaps_rollup() -> None:
    parts = bench_warm_server.parse_smaps(ROLLUP)
    assert parts == {"Rss": 461336 / 1024, "Shared_Clean": 67420 / 1024, "Private_Clean": 11264 / 1024, "Anonymous": 382652 / 1024}
    own = bench_warm_server.smaps_mb(os.getpid())  # this process: the same parts, positive
    assert set(own) == set(bench_warm_server.SMAPS) and own["Rss"] > 0


def test_the_summary_gives_each_trees_median_and_range() -> None:
    rounds = {
        "one-line app": [{"warm_start_cpu_s": 1.7}, {"warm_start_cpu_s": 1.9}, {"warm_start_cpu_s": 1.8}],
        "current": [{"warm_start_cpu_s": 5.0, "rss_all_mb": 450.0}, {"warm_start_cpu_s": 5.4, "rss_all_mb": 460.0}],
    }
    headers, rows = bench_warm_server.summary(rounds)
    assert headers == ["figure", "one-line app", "current"]
    assert rows == [
        ["warm_start_cpu_s", "1.80 (1.70-1.90)", "5.20 (5.00-5.40)"],
        ["rss_all_mb", "", "455.00 (450.00-460.00)"],
    ]
