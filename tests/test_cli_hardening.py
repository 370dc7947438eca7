"""The ``caixin`` command on bad options and bad paths: the documented exit code, one line on stderr naming
the option or path, the good inputs still read, and never a traceback (in-process and as real processes).

Exit codes (``core/cli.py``): 0 every input read, 1 some input failed (the others still processed),
2 usage errors (bad options, an ``--out`` that cannot be written, a query that does not parse).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core import cli
from core.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE, main

TESTS = Path(__file__).resolve().parent
PAGES = TESTS / "fixtures" / "pages"
STORIES = 2 + 3  # latin1.txt and crlf_bom.txt


@dataclass(frozen=True)
class Case:
    argv: list[str]  # {root}, {pages} and {broken} are filled in
    code: int
    first_line: list[str]  # the first line of stderr holds each of these
    err_lines: int | None = 1  # how many lines stderr has (None: not checked, argparse prints its usage)
    stories: int | None = None  # records on stdout
    env: dict[str, str] = field(default_factory=dict)


CASES = {
    "out-missing-folder": Case(
        ["parse", "{pages}", "--out", "{root}/nowhere/x.jsonl"],
        EXIT_USAGE,
        ["error: --out {root}/nowhere/x.jsonl: ", "no such folder"],
    ),
    "out-is-a-folder": Case(
        ["parse", "{pages}", "--out", "{root}/out-folder"],
        EXIT_USAGE,
        ["error: --out {root}/out-folder: ", "is a folder"],
    ),
    "out-parquet-missing-folder": Case(
        ["parse", "{pages}", "--format", "parquet", "--out", "{root}/nowhere/x.parquet"],
        EXIT_USAGE,
        ["error: --out {root}/nowhere/x.parquet: ", "no such folder"],
    ),
    "out-listings-parquet-folder": Case(
        ["parse", "{pages}", "--listings", "--format", "parquet", "--out", "{root}/out-folder"],
        EXIT_USAGE,
        ["error: --out {root}/out-folder: ", "is a folder"],
    ),
    "out-under-a-file": Case(
        ["parse", "{pages}", "--out", "{pages}/latin1.txt/x.jsonl"],
        EXIT_USAGE,
        ["error: --out {pages}/latin1.txt/x.jsonl: ", "not a folder"],
    ),
    "symlink-loop-given": Case(
        ["parse", "{root}/loop.txt", "{pages}"],
        EXIT_INPUT,
        ["error: {root}/loop.txt: symlink loop"],
        stories=STORIES,
    ),
    "broken-entries-in-a-folder": Case(
        ["parse", "{broken}"],
        EXIT_INPUT,
        ["error: {broken}/gone.txt: dangling symlink"],
        err_lines=3,
        stories=STORIES,
    ),
    "limit-negative": Case(["search", "huawei", "{pages}", "--limit", "-1"], EXIT_USAGE, [], err_lines=None),
    "limit-not-a-number": Case(
        ["search", "huawei", "{pages}", "--limit", "ten"], EXIT_USAGE, [], err_lines=None
    ),
    "unknown-theme": Case(
        ["search", "theme:nosuch", "{pages}"],
        EXIT_USAGE,
        ["error: query position 1: unknown theme 'nosuch'; themes are ", "huawei"],
        err_lines=3,  # the message, the query and a caret under the position
    ),
    "stream-mb-inf": Case(
        ["parse", "{pages}"], EXIT_OK, [], err_lines=0, stories=STORIES, env={"CAIXIN_STREAM_MB": "inf"}
    ),
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """``pages`` (two good pages, one in a subfolder), ``broken`` (the same with a dangling link, a self
    loop and a link back to its folder), ``loop.txt`` (a symlink to itself), an empty ``out-folder``."""
    root = tmp_path / "root"
    for folder in ("pages", "broken"):
        (root / folder / "sub").mkdir(parents=True)
        shutil.copy(PAGES / "latin1.txt", root / folder / "latin1.txt")
        shutil.copy(PAGES / "crlf_bom.txt", root / folder / "sub" / "crlf_bom.txt")
    (root / "broken" / "gone.txt").symlink_to("missing.txt")
    (root / "broken" / "sub" / "loop").symlink_to("loop")
    (root / "broken" / "sub" / "up").symlink_to("..")
    (root / "loop.txt").symlink_to("loop.txt")
    (root / "out-folder").mkdir()
    return root


def fill(text: str, root: Path) -> str:
    return text.format(root=root, pages=root / "pages", broken=root / "broken")


def check(case: Case, root: Path, code: int, out: str, err: str) -> None:
    assert "Traceback" not in err and "Traceback" not in out, err
    assert code == case.code, err
    lines = err.splitlines()
    if case.err_lines is not None:
        assert len(lines) == case.err_lines, err
    if case.first_line:
        for part in case.first_line:
            assert fill(part, root) in lines[0], err
    if case.code == EXIT_USAGE and case.err_lines is None:  # argparse: usage, then one error line
        assert lines[-1].startswith("caixin search: error: argument --limit: "), err
    if case.stories is not None:
        records = [json.loads(line) for line in out.splitlines()]
        assert len(records) == case.stories
    elif case.code == EXIT_USAGE:
        assert out == ""
    # nothing written beside the output, nothing left half-written
    assert list((root / "out-folder").iterdir()) == []
    assert not (root / "nowhere").exists()
    assert sorted(p.name for p in root.iterdir()) == ["broken", "loop.txt", "out-folder", "pages"]


PARAMS = [pytest.param(name, case, id=name) for name, case in CASES.items()]


@pytest.mark.parametrize(("name", "case"), PARAMS)
def test_in_process(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
    tmp_path: Path,
    name: str,
    case: Case,
) -> None:
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    argv = [fill(a, root) for a in case.argv] + ["--cache-dir", str(tmp_path / "cache")]
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    check(case, root, code, out, err)


@pytest.mark.parametrize(("name", "case"), PARAMS)
def test_as_a_process(root: Path, tmp_path: Path, name: str, case: Case) -> None:
    argv = [fill(a, root) for a in case.argv] + ["--cache-dir", str(tmp_path / "cache")]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", **case.env}
    done = subprocess.run(
        [sys.executable, "-m", "core", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=TESTS.parent,
        timeout=120,
    )
    check(case, root, done.returncode, done.stdout, done.stderr)


# -- --limit -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("limit", "shown"), [("0", 0), ("1", 1), ("3", 3)])
def test_limit_zero_or_more(
    capsys: pytest.CaptureFixture[str], root: Path, tmp_path: Path, limit: str, shown: int
) -> None:
    code = main(
        [
            "search",
            "--format",
            "jsonl",
            "--limit",
            limit,
            "--cache-dir",
            str(tmp_path / "c"),
            "--",
            "-huawei",
            str(root / "pages"),
        ]
    )
    out, err = capsys.readouterr()
    assert (code, err) == (EXIT_OK, "")
    assert len(out.splitlines()) == shown


# -- --out is written whole or not at all ----------------------------------------------------------------


def _out(root: Path, tmp_path: Path, target: Path, *extra: str) -> list[str]:
    return [
        "parse",
        str(root / "pages"),
        "--out",
        str(target),
        "--cache-dir",
        str(tmp_path / "cache"),
        *extra,
    ]


def test_out_replaces_a_file_whole_and_keeps_its_mode(
    capsys: pytest.CaptureFixture[str], root: Path, tmp_path: Path
) -> None:
    target = root / "out-folder" / "stories.jsonl"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    assert main(_out(root, tmp_path, target)) == EXIT_OK
    assert capsys.readouterr() == ("", "")
    assert len(target.read_text(encoding="utf-8").splitlines()) == STORIES
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["stories.jsonl"]  # no temporary file left


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_a_new_out_file_has_the_usual_mode(
    capsys: pytest.CaptureFixture[str], root: Path, tmp_path: Path, fmt: str
) -> None:
    target = root / "out-folder" / f"stories.{fmt}"
    assert main(_out(root, tmp_path, target, "--format", fmt)) == EXIT_OK
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_an_interrupted_write_leaves_the_old_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, root: Path, tmp_path: Path
) -> None:
    target = root / "out-folder" / "stories.jsonl"
    target.write_text("old\n", encoding="utf-8")

    def interrupted(frame: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.export, "to_jsonl", interrupted)
    assert main(_out(root, tmp_path, target)) == 130
    assert capsys.readouterr().err == "interrupted\n"
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in target.parent.iterdir()] == ["stories.jsonl"]


def test_a_failed_write_leaves_the_old_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, root: Path, tmp_path: Path
) -> None:
    target = root / "out-folder" / "stories.jsonl"
    target.write_text("old\n", encoding="utf-8")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli.os, "fsync", disk_full)
    assert main(_out(root, tmp_path, target, "--no-cache")) == EXIT_INPUT
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"error: --out {target}: cannot be written (No space left on device)\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in target.parent.iterdir()] == ["stories.jsonl"]


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs a folder no one can write: /sys")
def test_out_in_a_folder_that_cannot_be_written(
    capsys: pytest.CaptureFixture[str], root: Path, tmp_path: Path
) -> None:
    code = main(_out(root, tmp_path, Path("/sys/stories.jsonl")))
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE and out == ""
    assert err.startswith("error: --out /sys/stories.jsonl: cannot be written (") and err.count("\n") == 1


def test_an_unforeseen_file_system_error_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, root: Path, tmp_path: Path
) -> None:
    def ingest(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", "/some/file")

    monkeypatch.setattr(cli, "ingest", ingest)
    assert main(["stats", str(root / "pages"), "--cache-dir", str(tmp_path / "c")]) == EXIT_INPUT
    assert capsys.readouterr() == ("", "error: /some/file: Permission denied\n")


def test_a_broken_themes_file_is_named_once(
    capsys: pytest.CaptureFixture[str], root: Path, tmp_path: Path
) -> None:
    code = main(
        [
            "themes",
            str(root / "pages"),
            "--themes",
            str(root / "out-folder"),
            "--cache-dir",
            str(tmp_path / "c"),
        ]
    )
    _, err = capsys.readouterr()
    assert code == EXIT_INPUT
    assert err == f"error: {root / 'out-folder'}: cannot be read (Is a directory)\n"
