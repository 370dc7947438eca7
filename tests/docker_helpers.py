"""What the Docker tests share (tests/test_docker.py, tests/test_replicas.py): the ``docker`` client, the
skip-or-fail rule when there is no engine, the base image, image builds and free ports.

Without a Docker engine (``docker info`` fails) the tests skip with the reason; ``CAIXIN_REQUIRE_DOCKER=1``
(set by ``.ci/run`` when it has a running dockerd) turns the skip into a failure. The base image is
``CAIXIN_DOCKER_BASE``, else ``caixin-base:local`` when it exists (the Docker-Hub-free stand-in that
``.ci/docker-base`` builds), else the Dockerfile's default ``python:3.11-slim``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAND_IN_BASE = "caixin-base:local"


def docker(*args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``docker ARGS``; with ``check`` a non-zero exit fails the test with its output."""
    return run_tool("docker", *args, timeout=timeout, check=check)


def run_tool(tool: str, *args: str, timeout: float = 60, check: bool = True, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    executable = shutil.which(tool) or tool
    result = subprocess.run(
        [executable, *args], capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{tool} {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result


def unavailable(reason: str) -> None:
    """Skip with ``reason``, or fail when ``CAIXIN_REQUIRE_DOCKER=1``."""
    if os.environ.get("CAIXIN_REQUIRE_DOCKER") == "1":
        pytest.fail(f"Docker is required (CAIXIN_REQUIRE_DOCKER=1): {reason}")
    pytest.skip(f"{reason} — Docker tests skipped")


def require_docker() -> None:
    if shutil.which("docker") is None:
        reason = "no docker client on PATH"
    else:
        try:
            info = docker("info", "--format", "{{.ServerVersion}}", timeout=30, check=False)
            detail = (info.stderr.strip().splitlines() or ["docker info failed"])[-1]
            reason = "" if info.returncode == 0 else f"no Docker engine: {detail}"
        except subprocess.TimeoutExpired:
            reason = "docker info did not answer within 30 s"
    if reason:
        unavailable(reason)


def base_image() -> str:
    if base := os.environ.get("CAIXIN_DOCKER_BASE"):
        return base
    if docker("image", "inspect", STAND_IN_BASE, check=False).returncode == 0:
        return STAND_IN_BASE
    return "python:3.11-slim"


def build_image(tag: str, context: Path = ROOT, timeout: float = 800) -> str:
    """``docker build`` the Dockerfile in ``context`` on the base image as ``tag``; returns the tag."""
    base = base_image()
    started = time.monotonic()
    build = docker(
        "build", "--network", "host", "--build-arg", f"BASE={base}", "-t", tag, str(context),
        timeout=timeout, check=False,
    )  # fmt: skip
    assert build.returncode == 0, (
        f"docker build of {context.name or context} on {base} failed:\n{build.stdout[-4000:]}{build.stderr[-4000:]}"
    )
    print(f"docker build {tag} on {base}: {time.monotonic() - started:.1f} s")
    return tag


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
