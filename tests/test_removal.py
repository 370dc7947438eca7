"""Large cache files removed in a thread (``core.storing.removal.remove_later``): gone from their names at
once, their blocks freed after, nothing left behind; used for the search index and the catalog memo."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.storing.removal import remove_later


def _join(name: str) -> None:
    for thread in threading.enumerate():
        if thread.name == name:
            thread.join(timeout=60)


def test_files_are_gone_from_their_names_at_once_and_removed_after(tmp_path: Path) -> None:
    big = [tmp_path / f"catalog-old.{part}.arrow" for part in ("keys", "stories")]
    for path in big:
        path.write_bytes(b"x" * 100_000)
    kept = tmp_path / "catalog-new.keys.arrow"
    kept.write_bytes(b"new")
    remove_later(big, ".catalog-old-", "test-removal-thread")
    assert not any(path.exists() for path in big)  # renamed (or removed) at once
    _join("test-removal-thread")
    assert sorted(p.name for p in tmp_path.iterdir()) == [kept.name]  # no temporary file left


def test_a_file_that_is_not_there_leaves_nothing(tmp_path: Path) -> None:
    remove_later([tmp_path / "gone.arrow"], ".catalog-old-", "test-removal-missing")
    _join("test-removal-missing")
    assert list(tmp_path.iterdir()) == []


def test_nothing_to_remove_starts_no_thread(tmp_path: Path) -> None:
    before = {t.name for t in threading.enumerate()}
    remove_later([], ".catalog-old-", "test-removal-none")
    assert "test-removal-none" not in {t.name for t in threading.enumerate()} - before


def test_each_file_is_renamed_to_a_name_no_file_has(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Renamed over an existing file (as over one ``mkstemp`` made), a file whose data is not on disk yet
    is written out first by ext4, only to be unlinked: the hidden names are new ones."""
    import os

    big = [tmp_path / f"catalog-old.{part}.arrow" for part in ("stories", "entries")]
    for path in big:
        path.write_bytes(b"x" * 1000)
    renamed: list[tuple[Path, bool]] = []
    real_rename = os.rename

    def rename(source: str | Path, target: str | Path) -> None:
        renamed.append((Path(target), Path(target).exists()))
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(os, "replace", lambda *args: pytest.fail("renamed over a file"))
    remove_later(big, ".catalog-old-", "test-removal-new-names")
    monkeypatch.undo()
    _join("test-removal-new-names")
    assert len(renamed) == 2 and not any(existed for _, existed in renamed)
    assert all(target.name.startswith(".catalog-old-") and target.parent == tmp_path for target, _ in renamed)
    assert list(tmp_path.iterdir()) == []
