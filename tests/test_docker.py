"""The container for real: ``docker build`` the Dockerfile, ``docker run`` it on a mounted data folder, wait
for its HEALTHCHECK to report ``healthy``, and check what it serves and how it runs.

Without a Docker engine (``docker info`` fails) these tests skip with the reason; ``CAIXIN_REQUIRE_DOCKER=1``
(set by ``.ci/run`` when it has a running dockerd) turns the skip into a failure. Select them with
``pytest -m docker``, leave them out with ``-m 'not docker'``.

The base image is ``CAIXIN_DOCKER_BASE``, else ``caixin-base:local`` when it exists (the Docker-Hub-free
stand-in that ``.ci/docker-base`` builds), else the Dockerfile's default ``python:3.11-slim``. The run
shortens the health interval to 1 s (``--health-interval``) so ``healthy`` is reported at the first
passing probe instead of 30 s after the start; the image's own HEALTHCHECK settings are checked apart.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from docker_helpers import ROOT, build_image, docker, free_port, require_docker

IMAGE = os.environ.get("CAIXIN_DOCKER_IMAGE", "caixin-dashboard:test")
MOUNTED_NAME = "mounted-sample.txt"  # not the name baked into the image's /data: proves the mount is served

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def image() -> str:
    require_docker()
    return build_image(IMAGE)


@dataclass
class Container:
    id: str
    url: str
    seconds_to_healthy: float

    def exec(
        self, *command: str, timeout: float = 60, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return docker("exec", self.id, *command, timeout=timeout, check=check)


@pytest.fixture(scope="module")
def container(image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    data = tmp_path_factory.mktemp("docker-data")
    (sample,) = (ROOT / "data" / "pages").glob("*.txt")
    shutil.copyfile(sample, data / MOUNTED_NAME)
    data.chmod(0o755)  # the container's user (uid 10001) reads the folder
    (data / MOUNTED_NAME).chmod(0o644)
    port = free_port()
    started = time.monotonic()
    run = docker(
        "run", "-d",
        "-p", f"127.0.0.1:{port}:8501",
        "-v", f"{data}:/data:ro",
        "--health-interval=1s", "--health-start-period=60s",
        image,
    )  # fmt: skip
    container_id = run.stdout.strip()
    try:
        status = ""
        while time.monotonic() - started < 120:
            state = json.loads(docker("inspect", "-f", "{{json .State}}", container_id).stdout)
            status = state.get("Health", {}).get("Status", "")
            if status == "healthy" or not state.get("Running"):
                break
            time.sleep(0.5)
        seconds = time.monotonic() - started
        logs = docker("logs", "--tail", "40", container_id, check=False)
        assert status == "healthy", (
            f"container {status or 'stopped'} after {seconds:.0f} s:\n{logs.stdout}{logs.stderr}"
        )
        print(f"docker run -> healthy: {seconds:.1f} s")
        yield Container(container_id, f"http://127.0.0.1:{port}", seconds)
    finally:
        docker("rm", "-f", "-v", container_id, check=False)


def test_the_image_keeps_the_dockerfile_healthcheck_user_and_port(image: str) -> None:
    config = json.loads(docker("image", "inspect", "-f", "{{json .Config}}", image).stdout)
    check = config["Healthcheck"]
    assert any("_stcore/health" in part for part in check["Test"])
    seconds = {key: check[key] / 1e9 for key in ("Interval", "Timeout", "StartPeriod")}
    assert seconds == {"Interval": 30, "Timeout": 5, "StartPeriod": 60} and check["Retries"] == 3
    assert config["User"] == "10001:10001"
    assert "8501/tcp" in config["ExposedPorts"]
    assert "/cache" in config["Volumes"]
    assert "CAIXIN_READONLY=1" in config["Env"]


def test_the_container_becomes_healthy_and_serves_the_app(container: Container) -> None:
    assert container.seconds_to_healthy < 120
    with urllib.request.urlopen(f"{container.url}/_stcore/health", timeout=5) as response:
        assert response.status == 200
        assert response.read().strip() == b"ok"
    for path in ("/", "/reader"):
        with urllib.request.urlopen(f"{container.url}{path}", timeout=10) as response:
            assert response.status == 200
            page = response.read().decode()
            assert "<title>Streamlit</title>" in page and '<div id="root">' in page


def test_the_container_runs_as_uid_10001_in_read_only_mode(container: Container) -> None:
    assert container.exec("id", "-u").stdout.strip() == "10001"
    assert container.exec("printenv", "CAIXIN_READONLY").stdout.strip() == "1"
    assert container.exec("printenv", "CAIXIN_DATA").stdout.strip() == "/data"
    assert container.exec("stat", "-c", "%u", "/proc/1").stdout.strip() == "10001"  # the server process too


def test_the_code_is_imported_from_bytecode_compiled_in_the_image(container: Container) -> None:
    """The server cannot write /app (and PYTHONDONTWRITEBYTECODE is set): without the bytecode compiled
    at build, every start compiled core and the dashboard's modules again. Each module the dashboard
    imports has its current bytecode file, and Python loads it instead of compiling the source."""
    script = """
import importlib.util, os, sys
sys.path.insert(0, '/app/dashboard')
import components.counts, components.charts
def current(path):  # a bytecode file Python loads: this Python's magic, the source's mtime and size
    try:
        head = open(importlib.util.cache_from_source(path), 'rb').read(16)
    except OSError:
        return False
    source = os.stat(path)
    return head[:4] == importlib.util.MAGIC_NUMBER and head[8:16] == (
        (int(source.st_mtime) & 0xFFFFFFFF).to_bytes(4, 'little') + (source.st_size & 0xFFFFFFFF).to_bytes(4, 'little'))
ours = [m for m in list(sys.modules.values()) if (getattr(m, '__file__', '') or '').startswith('/app/')]
print(len(ours), [m.__name__ for m in ours if not current(m.__file__)])
"""
    out = container.exec("python", "-c", script, timeout=120).stdout.split(maxsplit=1)
    assert int(out[0]) > 20 and out[1].strip() == "[]", out


def test_the_mounted_data_folder_is_read_only_and_served(container: Container) -> None:
    assert container.exec("ls", "/data").stdout.split() == [MOUNTED_NAME]
    touch = container.exec("touch", "/data/written", check=False)
    assert touch.returncode != 0 and "Read-only file system" in touch.stderr
    # the app, with the container's settings, opens the mounted page and writes its cache in the /cache volume
    script = (
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('/app/dashboard/main.py', default_timeout=90)\n"
        "at.run()\n"
        "assert not at.exception, at.exception\n"
        "print([m.value for m in at.markdown if ' stories' in m.value][0])\n"
    )
    rendered = container.exec("python", "-c", script, timeout=120)
    assert "20 stories" in rendered.stdout, rendered.stdout + rendered.stderr
    cache = container.exec("find", "/cache", "-type", "f", "-user", "10001").stdout.split()
    assert any(name.endswith(".parquet") for name in cache), cache
