"""Ingest on Dask (core/storing/cluster.py, ``caixin ingest``): real clusters on localhost, no mocks.

A ``LocalCluster`` of 2 worker processes, and a ``dask scheduler`` with two ``dask worker`` processes,
each ingest a generated collection of 2,000 stories; the records, report, listings, search answers
and theme memberships must equal those of the in-process ingest. A worker killed during an ingest loses
or duplicates no page: the ingest finishes with the same results or fails with one line naming the
scheduler, the previous cache intact. The tests that start clusters are marked ``cluster``; the file
took two minutes on this 2-core machine at a load average of 8 (others' test runs beside it), eight at 20.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bench.corpus import generate_corpus
from core.errors import ClusterError
from core.storing.cluster import dask_parser
from core.storing.collection import Collection, open_collection
from core.storing.ingest import ingest

ROOT = Path(__file__).resolve().parent.parent
STORIES = 2_000
#: Queries through the real full-text index; each must match some stories of the generated collection.
QUERIES = ("huawei", "bank AND china", '"trade war"', "author:\"Matthew Walsh\"", "tariff* NOT beijing")

cluster = pytest.mark.cluster


# -- helpers -------------------------------------------------------------------------------------------


def cache_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (the lock file aside) and its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


def assert_same_collection(expected: Collection, actual: Collection) -> None:
    """Records, report, listings, search answers and theme memberships are exactly the same."""
    pd.testing.assert_frame_equal(expected.articles, actual.articles)
    assert [p.to_dict() for p in actual.corpus.report.pages] == [p.to_dict() for p in expected.corpus.report.pages]
    assert actual.corpus.report.duplicates_merged == expected.corpus.report.duplicates_merged
    assert actual.corpus.report.reporter_merges == expected.corpus.report.reporter_merges
    pd.testing.assert_frame_equal(expected.corpus.listings, actual.corpus.listings)
    pd.testing.assert_frame_equal(expected.corpus.headlines, actual.corpus.headlines)
    for query in QUERIES:
        want, got = expected.index.mask(query), actual.index.mask(query)
        assert want.any(), f"{query!r} matches nothing: the comparison would prove nothing"
        np.testing.assert_array_equal(want, got, err_msg=query)
    assert len(expected.memberships), "no theme memberships: the comparison would prove nothing"
    pd.testing.assert_frame_equal(
        expected.memberships.reset_index(drop=True), actual.memberships.reset_index(drop=True)
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worktree_env(**extra: str) -> dict[str, str]:
    """The environment of a subprocess that must import this checkout's ``core`` (not an installed one)."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "PYTHONPATH": path, "PYTHONIOENCODING": "utf-8", **extra}


@dataclass
class SubprocessCluster:
    """``dask scheduler`` and ``dask worker`` processes on localhost ports (workers without a nanny, so
    that killing one is the worker's death)."""

    logs: Path
    port: int = field(default_factory=free_port)
    scheduler: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _start(self, name: str, *argv: str) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "wb")  # the child keeps its own descriptor
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "dask", *argv], stdout=log, stderr=subprocess.STDOUT, env=worktree_env(), cwd=ROOT
            )
        finally:
            log.close()

    def start_scheduler(self) -> None:
        self.scheduler = self._start(
            "scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"
        )

    def start_workers(self, count: int = 2) -> None:
        """``count`` new workers (those of an earlier test are stopped or killed by then)."""
        self.workers = [
            self._start(
                f"worker{number}", "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
                "--no-nanny", "--no-dashboard", "--name", f"worker{number}",
            )
            for number in range(count)
        ]
        self.wait_for_workers(count)

    def wait_for_workers(self, count: int, timeout: float = 60) -> None:
        import distributed

        with distributed.Client(self.address, timeout=timeout, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=timeout)
            deadline = time.monotonic() + timeout
            while len(client.nthreads()) != count:  # the workers of an earlier test still leaving
                assert time.monotonic() < deadline, f"the scheduler does not see {count} workers"
                time.sleep(0.1)

    def kill(self, worker: subprocess.Popen[bytes]) -> None:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)

    def stop(self, scheduler: bool = True) -> None:
        for process in [*self.workers, self.scheduler if scheduler else None]:
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=15)


@pytest.fixture(scope="module")
def dask_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubprocessCluster]:
    started = SubprocessCluster(tmp_path_factory.mktemp("dask-logs"))
    try:
        started.start_scheduler()
        yield started
    finally:
        started.stop()


@pytest.fixture
def subprocess_cluster(dask_scheduler: SubprocessCluster) -> Iterator[SubprocessCluster]:
    """The module's ``dask scheduler`` with two new ``dask worker`` processes, stopped after the test."""
    try:
        dask_scheduler.start_workers(2)
        yield dask_scheduler
    finally:
        dask_scheduler.stop(scheduler=False)


# -- the collection and its in-process ingest ----------------------------------------------------------


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dask-pages") / "pages"
    generate_corpus(folder, STORIES, seed=11)
    return folder


@pytest.fixture(scope="module")
def in_process(pages: Path, tmp_path_factory: pytest.TempPathFactory) -> Collection:
    """The in-process ingest of ``pages`` (the process pool of a laptop), index and themes included."""
    return open_collection([pages], cache_dir=tmp_path_factory.mktemp("in-process-cache"))


@dataclass
class Changed:
    """A copy of the pages with a cache of it, then every page rewritten (another seed): an ingest of the
    copy has every page to parse again, and a previous cache to leave intact when it fails."""

    pages: Path
    previous_cache: Path
    expected: Collection  # the in-process ingest of the rewritten pages (in a cache of its own)

    def cache(self, target: Path) -> Path:
        """A copy of the previous cache for one test (the key is the pages' path, so it is theirs)."""
        shutil.copytree(self.previous_cache, target)
        return target


@pytest.fixture(scope="module")
def changed(pages: Path, tmp_path_factory: pytest.TempPathFactory) -> Changed:
    folder = tmp_path_factory.mktemp("changed")
    copy = folder / "pages"
    shutil.copytree(pages, copy)
    ingest([copy], cache_dir=folder / "previous-cache")
    generate_corpus(copy, STORIES, seed=12)
    return Changed(copy, folder / "previous-cache", open_collection([copy], cache_dir=folder / "expected-cache"))


# -- tests ---------------------------------------------------------------------------------------------


@cluster
def test_local_cluster_ingest_equals_in_process(pages: Path, in_process: Collection, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with dask_parser(workers=2) as parser:
        corpus = ingest([pages], cache_dir=cache, parse_chunks=parser)
        assert parser.workers == 2
        assert parser.chunks > 2 and parser.worker_cpu_seconds > 0  # the pages were parsed on the workers
    assert not corpus.from_cache and corpus.generation is not None
    assert len(corpus.articles) > 0.9 * STORIES
    assert_same_collection(in_process, open_collection([pages], cache_dir=cache))


@cluster
def test_dask_cli_cluster_ingest_equals_in_process(
    pages: Path, in_process: Collection, subprocess_cluster: SubprocessCluster, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    done = subprocess.run(
        [sys.executable, "-m", "core", "ingest", str(pages), "--cache", str(cache), "--scheduler", subprocess_cluster.address],
        capture_output=True, text=True, env=worktree_env(), cwd=ROOT, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    stories = f"{len(in_process.articles):,} stories from {len(in_process.corpus.report.pages):,} files"
    assert done.stdout.startswith(stories), done.stdout
    assert f"parsed on Dask scheduler {subprocess_cluster.address}, 2 workers" in done.stdout
    opened = open_collection([pages], cache_dir=cache)
    assert opened.corpus.from_cache  # the CLI wrote the cache the dashboard opens
    assert_same_collection(in_process, opened)


def _kill_on_first_result(kill: Any) -> tuple[Any, list[int]]:
    """A progress callback that calls ``kill`` once, when the first chunk's results are in; and the list of
    how many progress calls came after it."""
    after: list[int] = []

    def progress(done: int, total: int, path: str) -> None:
        if not after:
            after.append(0)
            kill()
        else:
            after[0] += 1

    return progress, after


@cluster
def test_a_worker_killed_mid_ingest_loses_no_page(
    changed: Changed, subprocess_cluster: SubprocessCluster, tmp_path: Path
) -> None:
    copy, cache = changed.pages, changed.cache(tmp_path / "cache")
    before = cache_bytes(cache)
    victim = subprocess_cluster.workers[0]
    progress, after = _kill_on_first_result(lambda: subprocess_cluster.kill(victim))
    with dask_parser(scheduler=subprocess_cluster.address, timeout=20) as parser:
        try:
            corpus = ingest([copy], cache_dir=cache, parse_chunks=parser, progress=progress)
        except ClusterError as error:  # allowed: one clear line, and the previous cache as it was
            assert victim.poll() is not None
            message = str(error)
            assert message.startswith(f"Dask scheduler {subprocess_cluster.address}: ") and "\n" not in message
            assert cache_bytes(cache) == before
            print("the ingest failed in one line; the previous cache is intact")
            return
        assert victim.poll() is not None, "the worker was not killed"
        assert len(parser.client.nthreads()) == 1  # one worker left, and it finished the ingest
    assert after[0] > parser.workers, "the kill came after the ingest: it tested nothing"
    assert not corpus.report.errors
    assert cache_bytes(cache) != before
    assert_same_collection(changed.expected, open_collection([copy], cache_dir=cache))
    print(f"the ingest finished on the remaining worker ({after[0]} files after the kill)")


@cluster
def test_every_worker_gone_fails_in_one_line_and_keeps_the_cache(
    changed: Changed, subprocess_cluster: SubprocessCluster, tmp_path: Path
) -> None:
    copy, cache = changed.pages, changed.cache(tmp_path / "cache")
    before = cache_bytes(cache)

    def kill_all() -> None:
        for worker in subprocess_cluster.workers:
            subprocess_cluster.kill(worker)

    progress, _ = _kill_on_first_result(kill_all)
    started = time.monotonic()
    with dask_parser(scheduler=subprocess_cluster.address, timeout=2) as parser:
        with pytest.raises(ClusterError) as caught:
            ingest([copy], cache_dir=cache, parse_chunks=parser, progress=progress)
    assert str(caught.value) == (
        f"Dask scheduler {subprocess_cluster.address}: no worker left for 2 s; the cache was not changed"
    )
    assert time.monotonic() - started < 60
    assert cache_bytes(cache) == before


def test_unreachable_scheduler_is_one_line_exit_1_and_keeps_the_cache(changed: Changed, tmp_path: Path) -> None:
    copy, cache = changed.pages, changed.cache(tmp_path / "cache")
    before = cache_bytes(cache)
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    done = subprocess.run(
        [sys.executable, "-m", "core", "ingest", str(copy), "--cache-dir", str(cache)],
        capture_output=True, text=True, env=worktree_env(CAIXIN_DASK_SCHEDULER=address, CAIXIN_DASK_TIMEOUT="2"),
        cwd=ROOT, timeout=120,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: Dask scheduler {address}: cannot be reached"), done.stderr
    assert cache_bytes(cache) == before


def test_ingest_command_in_process_builds_what_the_dashboard_opens(tmp_path: Path) -> None:
    sample = ROOT / "data" / "pages"
    cache = tmp_path / "cache"
    env = {k: v for k, v in worktree_env().items() if k != "CAIXIN_DASK_SCHEDULER"}
    done = subprocess.run(
        [sys.executable, "-m", "core", "ingest", str(sample), "--cache-dir", str(cache)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    opened = open_collection([sample], cache_dir=cache)
    assert opened.corpus.from_cache
    files = len(opened.corpus.report.pages)
    line = f"{len(opened.articles):,} stories from {files:,} {'file' if files == 1 else 'files'} in "
    assert done.stdout.startswith(line) and done.stdout.count("\n") == 1, done.stdout
    assert "Dask" not in done.stdout
    folder = opened.corpus.cache_root
    assert folder is not None
    assert list(folder.glob("fts-*.sqlite")) and list(folder.glob("themes-*.parquet"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workers", "0"], "argument --workers: must be a whole number, 1 or more, not '0'"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not allowed with argument"),
        (["--no-cache"], "unrecognized arguments: --no-cache"),
    ],
)
def test_ingest_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from core.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["ingest", str(tmp_path), *argv])
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


@cluster
def test_a_worker_that_cannot_read_the_pages_stops_the_ingest(
    changed: Changed, subprocess_cluster: SubprocessCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pages by a path relative to this process's folder: the workers, started in another folder, do
    # not find them there (as with pages on a disk that is not shared with the workers).
    cache = changed.cache(tmp_path / "cache")
    before = cache_bytes(cache)
    monkeypatch.chdir(changed.pages.parent)
    with dask_parser(scheduler=subprocess_cluster.address, timeout=20) as parser:
        with pytest.raises(ClusterError) as caught:
            ingest(["pages"], cache_dir=cache, parse_chunks=parser)
    message = str(caught.value)
    assert message.startswith(f"Dask scheduler {subprocess_cluster.address}: a worker cannot read pages/page_")
    assert "a folder every worker reads at the same path" in message
    assert cache_bytes(cache) == before


def test_dask_is_imported_only_when_a_cluster_is_asked_for(tmp_path: Path) -> None:
    # The dashboard and every command without --scheduler/--workers load as before: no Dask import.
    code = (
        "import sys, core.cli, core.storing.collection, core.storing.cluster\n"
        "core.cli.main(['ingest', 'data/pages', '--cache-dir', sys.argv[1]])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "cache")],
        capture_output=True, text=True, env={k: v for k, v in worktree_env().items() if k != "CAIXIN_DASK_SCHEDULER"},
        cwd=ROOT, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
