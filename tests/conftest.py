"""Shared fixtures: the shipped sample page, its parse, an isolated cache, and the ``--update-golden`` flag."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from core.parsing import ParseResult, parse_page
from core.storing.collection import Collection, open_collection

TESTS_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = TESTS_DIR.parent
FIXTURES = TESTS_DIR / "fixtures"
PAGES = FIXTURES / "pages"
GOLDEN = FIXTURES / "golden"
SAMPLE_PATH = PROJECT_ROOT / "data" / "pages" / "000_6a6401b8027f1b55.txt"

# The hand-counted oracle lives beside the fixture pages; make it importable as ``expectations``.
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))

settings.register_profile("default", max_examples=300, deadline=None)
settings.register_profile(
    "ci", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile(
    "slow", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# The two pytest workers (``-n 2 --dist loadgroup`` in pyproject.toml) share out the tests, except that the
# files of one heavy kind run together on one worker: the browser tests share one Streamlit server and one
# Chromium per worker, the cluster tests the CPU their workers take. The Docker tests (one image build) run
# on the browser tests' worker, one after the other: each container Docker starts or stops adds or removes a
# network interface, and Chromium then abandons its requests in flight (net::ERR_NETWORK_CHANGED); a page
# whose scripts were abandoned stays blank, and a browser test beside them failed that way.
WORKER_GROUPS = {"e2e": "browser", "docker": "browser", "cluster": "cluster"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        group = next((WORKER_GROUPS[m.name] for m in item.iter_markers() if m.name in WORKER_GROUPS), None)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/fixtures/golden/*.json from the current parser output instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE_PATH


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sample_result(sample_text: str) -> ParseResult:
    return parse_page(sample_text, SAMPLE_PATH.name)


@pytest.fixture
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache folder in ``$CAIXIN_CACHE`` so no test ever writes ``data/cache``."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("CAIXIN_CACHE", str(cache))
    return cache


@pytest.fixture(autouse=True)
def _never_touch_project_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Even a test that forgets ``isolated_cache`` writes its cache under a temporary folder."""
    if "CAIXIN_CACHE" not in os.environ:
        monkeypatch.setenv("CAIXIN_CACHE", str(tmp_path_factory.mktemp("default-cache")))


@pytest.fixture(scope="session")
def many_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """250 generated pages of one story each (246 stories once duplicates merge): more than one page of
    every paged table."""
    from bench.corpus import generate_corpus

    folder = tmp_path_factory.mktemp("many-pages")
    generate_corpus(folder, 250, stories_per_page=1)
    return folder


@pytest.fixture
def many_pages_copy(many_pages: Path, tmp_path: Path) -> Path:
    """A copy of ``many_pages`` that a test may edit."""
    folder = tmp_path / "pages"
    shutil.copytree(many_pages, folder)
    return folder


@pytest.fixture(scope="session")
def many_collection(many_pages: Path, tmp_path_factory: pytest.TempPathFactory) -> Collection:
    """``many_pages`` opened by core: the oracle of what the dashboard shows."""
    return open_collection([many_pages], cache_dir=tmp_path_factory.mktemp("many-cache"))


def golden_dump(data: dict[str, Any]) -> str:
    """A golden file's text: the parse as indented JSON, non-ASCII kept."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def check_golden(golden: Path, actual: dict[str, Any], page: Path, update: bool) -> None:
    """Compare a page's parse with its golden file (``pytest --update-golden`` rewrites it instead); a
    difference fails with a unified diff."""
    if update:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(golden_dump(actual), encoding="utf-8")
        return
    assert golden.is_file(), f"no golden file {golden.name}; run pytest --update-golden and review it"
    expected = json.loads(golden.read_text(encoding="utf-8"))
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                golden_dump(expected).splitlines(keepends=True),
                golden_dump(actual).splitlines(keepends=True),
                fromfile=f"{golden.parent.name}/{golden.name}",
                tofile="parser output",
                n=2,
            )
        )
        pytest.fail(f"parse of {page.name} differs from its golden file:\n{diff[:6000]}")
