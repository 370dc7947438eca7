"""Ingest on a Dask cluster: the parsing of pages as Dask tasks (``dask.distributed``).

``dask_parser(scheduler=ADDRESS)`` connects to an existing scheduler; ``dask_parser(workers=N)`` starts a
``LocalCluster`` of N worker processes (one thread each, no web dashboard). Either yields a ``DaskParser``
for ``ingest(parse_chunks=...)``, which sends it the chunks of small files to parse; everything global to the
collection (merging duplicate copies, reporters, the headline catalog, the cache writes, and after the
ingest the full-text index and theme memberships) stays in the calling process, the driver
(docs/cluster.md says why). This is the only module that imports Dask, and only when a cluster is asked for.

Chunks are gathered in order, one at a time, so a chunk's stories land where an in-process ingest puts them.
When a worker dies, the scheduler runs its tasks again on another worker (a task whose workers died
``distributed.scheduler.allowed-failures`` + 1 times is a ``KilledWorker``). When the cluster cannot finish
(the scheduler cannot be reached or went away, no worker is left for ``timeout`` seconds, a
``KilledWorker``, a task that raised, as when a worker cannot import this project, a worker of another
parser version, a worker that cannot read a page this process reads) the ingest raises ``ClusterError``,
one line naming the scheduler, before anything of the cache is written.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from core.errors import ClusterError
from core.model import PARSER_VERSION
from core.storing.ingest import _Outcome, _parse_chunk

#: The scheduler used when no ``--scheduler`` or ``--workers`` is given (``tcp://HOST:8786``).
SCHEDULER_ENV = "CAIXIN_DASK_SCHEDULER"
#: Seconds to wait for the scheduler to answer, and for a worker when none is left (default 30).
TIMEOUT_ENV = "CAIXIN_DASK_TIMEOUT"
DEFAULT_TIMEOUT = 30.0
#: How often the driver checks the cluster while it waits for a chunk.
_POLL_SECONDS = 1.0


def timeout_from_env() -> float:
    """``CAIXIN_DASK_TIMEOUT`` in seconds (a positive number), else ``DEFAULT_TIMEOUT``."""
    text = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(text)
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def parse_chunk_on_worker(
    jobs: list[tuple[str, str | None]], agencies: frozenset[str]
) -> tuple[str, float, list[str], _Outcome]:
    """The Dask task: ``_parse_chunk`` of ``jobs`` on a worker. Returns the worker's parser version, the CPU
    seconds the chunk took there, the paths the worker does not see at all (the driver checks they are not
    pages it reads) and the outcome."""
    started = time.process_time()
    missing = [path for path, _ in jobs if not os.path.lexists(path)]
    outcome = _parse_chunk(jobs, agencies)
    return PARSER_VERSION, time.process_time() - started, missing, outcome


@dataclass(slots=True)
class DaskParser:
    """A ``core.storing.ingest.ChunkParser`` over a Dask ``Client``; counts what the workers did."""

    client: Any  # distributed.Client (typed loosely: Dask is imported only when a cluster is used)
    address: str
    workers: int
    timeout: float
    #: CPU seconds the workers spent parsing (summed over chunks; a chunk run twice counts once).
    worker_cpu_seconds: float = 0.0
    chunks: int = 0

    def __call__(self, work: list[list[tuple[str, str | None]]], agencies: frozenset[str]) -> Iterator[_Outcome]:
        """Submit every chunk, then yield their outcomes in order (see the module's docstring)."""
        futures = self.client.map(parse_chunk_on_worker, work, agencies=agencies, pure=False)
        try:
            for future in futures:
                outcome = self._result(future)
                future.release()
                yield outcome
        finally:  # an early stop (an error here or in the caller): leave nothing running
            pending = [f for f in futures if f.status == "pending"]
            if pending and self.client.status == "running":
                self.client.cancel(pending)

    def _result(self, future: Any) -> _Outcome:
        from distributed import KilledWorker

        no_worker_since: float | None = None
        while True:
            try:
                version, cpu, missing, result = future.result(timeout=_POLL_SECONDS)
            except TimeoutError:
                no_worker_since = self._check(no_worker_since)
                continue
            except KilledWorker as error:
                raise self.error(f"the workers running a task died too often ({error})") from None
            except Exception as error:
                if future.status == "error":  # the task raised: not a page (each page's errors are caught)
                    detail = " ".join(str(error).split())[:200]
                    raise self.error(f"a task failed on a worker ({type(error).__name__}: {detail})") from None
                raise self.error(f"lost ({type(error).__name__})") from None
            break
        if version != PARSER_VERSION:
            raise self.error(f"a worker runs parser version {version}, this process {PARSER_VERSION}")
        unread = [path for path in missing if os.path.lexists(path)]
        if unread:
            raise self.error(
                f"a worker cannot read {unread[0]}: the pages must be in a folder every worker reads "
                "at the same path"
            )
        self.worker_cpu_seconds += cpu
        self.chunks += 1
        outcome: _Outcome = result
        return outcome

    def _check(self, no_worker_since: float | None) -> float | None:
        """While waiting for a chunk: raise when the scheduler went away or no worker has been left for
        ``timeout`` seconds; returns since when no worker is left (None while there is one)."""
        if self.client.status != "running":
            raise self.error("lost (the connection closed)")
        try:
            threads = self.client.nthreads()
        except Exception as error:
            raise self.error(f"lost ({type(error).__name__})") from None
        if threads:
            return None
        now = time.monotonic()
        if no_worker_since is None:
            return now
        if now - no_worker_since > self.timeout:
            raise self.error(f"no worker left for {self.timeout:g} s")
        return no_worker_since

    def error(self, what: str) -> ClusterError:
        """A ``ClusterError`` naming the scheduler."""
        return ClusterError(f"Dask scheduler {self.address}: {what}; the cache was not changed")


@contextmanager
def _quiet_dask_logs() -> Iterator[None]:
    """Dask's own log lines (a worker restarted, a connection closed) off stderr while a command runs: the
    command says what went wrong in one line of its own."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def dask_parser(
    scheduler: str | None = None, workers: int | None = None, timeout: float | None = None
) -> Iterator[DaskParser]:
    """A ``DaskParser`` on the scheduler at ``scheduler`` (``tcp://HOST:8786``), or else on a new
    ``LocalCluster`` of ``workers`` processes; the client (and a local cluster) closed on leaving.

    Raises ``ClusterError`` when the scheduler cannot be reached or has no worker within ``timeout``
    seconds (default ``CAIXIN_DASK_TIMEOUT``, else 30).
    """
    if scheduler is None and not workers:
        raise ValueError("dask_parser needs a scheduler address or a number of workers")
    wait = timeout if timeout is not None else timeout_from_env()
    with _quiet_dask_logs():
        # Typed as Any: distributed's own annotations are partial (strict mypy would flag every call).
        distributed: Any = importlib.import_module("distributed")
        if scheduler is not None:
            try:
                client = distributed.Client(scheduler, timeout=wait, set_as_default=False)
            except Exception as error:
                reason = " ".join(str(error).split())[:200] or type(error).__name__
                raise ClusterError(f"Dask scheduler {scheduler}: cannot be reached ({reason})") from None
            try:
                try:
                    client.wait_for_workers(1, timeout=wait)
                except Exception:
                    raise ClusterError(f"Dask scheduler {scheduler}: no worker within {wait:g} s") from None
                threads = sum(client.nthreads().values())
                yield DaskParser(client, scheduler, max(1, threads), wait)
            finally:
                client.close()
            return
        assert workers is not None
        try:
            cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.CRITICAL,
            )
        except Exception as error:  # e.g. no worker process could be started
            reason = " ".join(str(error).split())[:200] or type(error).__name__
            raise ClusterError(f"a local Dask cluster of {workers} workers could not start ({reason})") from None
        try:
            with distributed.Client(cluster, set_as_default=False) as client:
                yield DaskParser(client, str(cluster.scheduler_address), workers, wait)
        finally:
            cluster.close()
