"""Entries of a folder that cannot be taken (symlink loops, dangling links, unreadable subfolders) are
reported beside the files, never skipped in silence; symlinked folders are walked once, never in a loop.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import Reporters
from core.errors import InputError
from core.reading.files import expand_inputs
from core.storing.ingest import ingest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STORY = (
    "By Fran Wang / Aug 12, 2019 02:14 PM / Business & Tech\n\n"
    "Luckin Coffee opened a new café format.\n\n"
    "Contact reporter Fran Wang (\n"
)
GOOD = ["a.txt", "sub/b.txt", "sub/deeper/c.md", "z.html"]


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    root = tmp_path / "pages"
    for name in GOOD:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(STORY, encoding="utf-8")
    return root


def names(files: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in files]


def reasons(errors: list[InputError], root: Path) -> dict[str, str]:
    """Each error as (path relative to ``root``) -> reason."""
    return {Path(e.path).relative_to(root).as_posix(): e.reason for e in errors}


# -- one broken entry at a time: reported, the good files all read ------------------------------------


BROKEN = [
    pytest.param({"sub/loop.txt": "loop.txt"}, {"sub/loop.txt": "symlink loop"}, id="self-loop"),
    pytest.param(
        {"a-to-b": "b-to-a", "b-to-a": "a-to-b"},
        {"a-to-b": "symlink loop", "b-to-a": "symlink loop"},
        id="two-link-loop",
    ),
    pytest.param({"sub/up": ".."}, {"sub/up": "symlink loop (links back to"}, id="folder-to-parent"),
    pytest.param({"sub/deeper/me": "."}, {"sub/deeper/me": "symlink loop"}, id="folder-to-itself"),
    pytest.param({"gone.txt": "nowhere.txt"}, {"gone.txt": "dangling symlink"}, id="dangling-page"),
    pytest.param({"sub/gone": "/no/such/folder"}, {"sub/gone": "dangling symlink"}, id="dangling-folder"),
]


@pytest.mark.parametrize(("links", "expected"), BROKEN)
def test_a_broken_entry_in_a_folder_is_reported(
    pages: Path, links: dict[str, str], expected: dict[str, str]
) -> None:
    for name, target in links.items():
        (pages / name).symlink_to(target)
    files, errors = expand_inputs([pages])
    assert names(files, pages) == GOOD
    found = reasons(errors, pages)
    assert set(found) == set(expected)
    for where, reason in expected.items():
        assert found[where].startswith(reason), found
    assert all("\n" not in str(e) and str(e).startswith(str(pages)) for e in errors)


def test_every_broken_entry_is_reported_once_in_order(pages: Path) -> None:
    (pages / "loop").symlink_to("loop")
    (pages / "sub" / "up").symlink_to("..")
    (pages / "sub" / "gone.txt").symlink_to("missing.txt")
    files, errors = expand_inputs([pages])
    assert names(files, pages) == GOOD
    assert list(reasons(errors, pages)) == ["loop", "sub/gone.txt", "sub/up"]
    again, errors_again = expand_inputs([pages])  # stable
    assert (again, [str(e) for e in errors_again]) == (files, [str(e) for e in errors])


def test_broken_entries_that_would_not_be_read_are_not_reported(pages: Path) -> None:
    """Like any file that is not a page: a hidden name or a suffix such as ``.png`` is not taken anyway."""
    (pages / ".hidden-loop.txt").symlink_to(".hidden-loop.txt")
    (pages / "photo.png").symlink_to("missing.png")
    (pages / "sub" / ".old").symlink_to("/no/such/folder")
    files, errors = expand_inputs([pages])
    assert names(files, pages) == GOOD
    assert errors == []


# -- symlinked folders ------------------------------------------------------------------------------


def test_a_symlinked_folder_is_walked(tmp_path: Path, pages: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.txt").write_text(STORY, encoding="utf-8")
    (pages / "more").symlink_to(elsewhere)
    files, errors = expand_inputs([pages])
    assert errors == []
    assert names(files, pages) == ["a.txt", "more/x.txt", *GOOD[1:]]


def test_a_folder_reached_twice_is_read_once_by_its_own_path(pages: Path) -> None:
    (pages / "0-link").symlink_to("sub")  # sorts before the folder it names
    files, errors = expand_inputs([pages])
    assert errors == []
    assert names(files, pages) == GOOD


def test_a_given_folder_that_is_a_symlink_is_walked(tmp_path: Path, pages: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(pages)
    files, errors = expand_inputs([link])
    assert errors == []
    assert names(files, link) == GOOD


# -- broken paths given directly ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(lambda d: (d / "self.txt").symlink_to("self.txt"), "symlink loop", id="loop"),
        pytest.param(lambda d: (d / "self.txt").symlink_to("missing.txt"), "dangling symlink", id="dangling"),
    ],
)
def test_a_broken_link_given_as_a_path_is_one_error(
    tmp_path: Path, pages: Path, make: object, reason: str
) -> None:
    assert callable(make)
    make(tmp_path)
    bad = str(tmp_path / "self.txt")
    files, errors = expand_inputs([bad, pages / "a.txt"])
    assert names(files, pages) == ["a.txt"]
    assert [e.path for e in errors] == [bad]
    assert errors[0].reason.startswith(reason)


# -- through ingest: in the report, failed, good files read -------------------------------------------


def test_skipped_entries_reach_the_ingest_report(tmp_path: Path, pages: Path) -> None:
    (pages / "loop").symlink_to("loop")
    (pages / "sub" / "gone.txt").symlink_to("missing.txt")
    corpus = ingest([pages], cache_dir=tmp_path / "cache", reporters=Reporters(), workers=1)
    assert corpus.failed
    assert len(corpus.report.errors) == 2
    assert any("loop: symlink loop" in e for e in corpus.report.errors)
    assert any("gone.txt: dangling symlink" in e for e in corpus.report.errors)
    assert {span.rsplit(":", 1)[0] for spans in corpus.articles["sources"] for span in spans} == {
        str(pages / name) for name in GOOD
    }


# -- an unreadable subfolder ------------------------------------------------------------------------------

_LIST = "import sys; from core.reading.files import expand_inputs; f, e = expand_inputs([sys.argv[1]]); " \
    "print(len(f)); print(*(str(x) for x in e), sep='\\n')"  # fmt: skip


def _without_read_override() -> list[str]:
    """A command prefix that runs a process unable to read what its permissions deny: nothing for a normal
    user; as root, ``setpriv`` dropping the capabilities that let root read any folder."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, where chmod 000 does not stop reading, and setpriv is not installed")
    caps = "-dac_override,-dac_read_search"
    prefix = [setpriv, "--inh-caps", caps, "--bounding-set", caps]
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"running as root, and setpriv cannot drop capabilities here: {probe.stderr!r}")
    return prefix


def test_an_unreadable_subfolder_is_reported(pages: Path) -> None:
    prefix = _without_read_override()
    locked = pages / "sub" / "locked"
    locked.mkdir()
    (locked / "hidden-story.txt").write_text(STORY, encoding="utf-8")
    locked.chmod(0)
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-c", _LIST, str(pages)],
            capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60,
        )  # fmt: skip
    finally:
        locked.chmod(0o755)
    assert done.returncode == 0, done.stderr
    count, *errors = done.stdout.splitlines()
    assert int(count) == len(GOOD)
    assert errors == [f"{locked}: folder cannot be read (permission denied); skipped"]
