"""``bench.bench_session`` for real: one new session, its rerun and its closing booked against a real
``streamlit run`` of this tree on the shipped sample (no corpus generated)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.bench_session import Server, main_thread_cpu, one_session, serving, summary, warm

ROOT = Path(__file__).resolve().parent.parent


def test_a_session_is_booked_as_three_steps(tmp_path: Path) -> None:
    server = Server("here", ROOT, "config")
    with serving(server, ROOT / "data" / "pages", tmp_path / "cache", tmp_path) as running:
        assert main_thread_cpu(running.pid) > 0  # the server's own main thread, read from /proc

        async def visits() -> None:
            await warm(running, ["/"], 120)
            await one_session(running, "/reader", 120)

        with ThreadPoolExecutor(1) as pool:  # a loop of its own (see test_load_protocol.run_apart)
            pool.submit(asyncio.run, visits()).result()
    assert {kind: len(steps) for kind, steps in server.steps.items()} == {
        "new session": 1,
        "rerun": 1,
        "closing": 1,
    }
    new, rerun = server.steps["new session"][0], server.steps["rerun"][0]
    assert new["page"] == rerun["page"] == "reader"
    assert new["cpu_s"] > 0 and new["bytes"] > 1000
    assert rerun["bytes"] > 1000 and rerun["cpu_s"] >= 0
    figures = summary(server, server)
    assert figures["new_session_cpu_ratio_to_first"] == 1.0
    assert figures["new session"]["cpu_s_median_by_page"]["reader"] == round(new["cpu_s"], 3)
