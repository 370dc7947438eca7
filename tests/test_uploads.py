"""Uploaded pages: the name they are stored under (suffix kept, at most 200 bytes, no folders), every
file-system failure as a one-line ``InputError``, and the folder scan finding what was stored."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InputError
from core.reading import uploads
from core.reading.files import PAGE_SUFFIXES, expand_inputs
from core.reading.uploads import MAX_NAME_BYTES, add_uploads, safe_name, save_upload

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "data" / "pages" / "000_6a6401b8027f1b55.txt").read_bytes()
OTHER_PAGE = (ROOT / "tests" / "fixtures" / "pages" / "agency_and_photos.txt").read_bytes()


def scanned(folder: Path) -> list[Path]:
    """What the dashboard's folder scan reads from ``folder``."""
    files, errors = expand_inputs([folder])
    assert not errors, errors
    return files


def assert_fits(name: str) -> None:
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES, (len(name.encode()), name)
    assert Path(name).suffix.lower() in PAGE_SUFFIXES, name
    assert "/" not in name and "\\" not in name and not name.startswith("."), name


# ------------------------------------------------------------------------------------------ safe_name


def test_a_200_character_name_keeps_its_suffix() -> None:
    name = "a" * 196 + ".txt"
    assert len(name) == 200
    cleaned = safe_name(name)
    assert cleaned.endswith(".txt")
    assert_fits(cleaned)


def test_a_long_name_without_suffix_gets_txt_after_the_cut() -> None:
    cleaned = safe_name("b" * 400)
    assert cleaned.endswith(".txt")
    assert cleaned.startswith("b" * 100)
    assert_fits(cleaned)


def test_a_cjk_name_is_limited_in_bytes_and_cut_on_a_character_boundary() -> None:
    name = "新闻报道" * 22 + "新闻.txt"  # 90 characters before the suffix, 274 bytes in UTF-8
    assert len(name.encode("utf-8")) > 255
    cleaned = safe_name(name)
    assert_fits(cleaned)
    assert cleaned.endswith(".txt")
    assert cleaned.startswith("新闻报道")
    cleaned.encode("utf-8").decode("utf-8", errors="strict")
    # the cut drops whole characters only: what is left of the stem is a prefix of the original
    assert name.startswith(cleaned.removesuffix(".txt"))


def test_four_byte_characters_are_never_split() -> None:
    cleaned = safe_name("𠀀" * 100 + ".html")
    assert_fits(cleaned)
    assert set(cleaned.removesuffix(".html")) == {"𠀀"}


@pytest.mark.parametrize("suffix", sorted(PAGE_SUFFIXES) + [".TXT", ".Md"])
def test_every_page_suffix_is_kept(suffix: str) -> None:
    assert safe_name("notes" + suffix) == "notes" + suffix
    assert safe_name("x" * 300 + suffix).endswith(suffix)


def test_other_suffixes_get_txt_added() -> None:
    assert safe_name("notes.pdf") == "notes.pdf.txt"
    assert safe_name("page") == "page.txt"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("folder/sub/page.txt", "page.txt"),
        ("..\\..\\windows\\page.html", "page.html"),
        ("/etc/passwd", "passwd.txt"),
        ("../../..", "page.txt"),
        (".hidden.txt", "hidden.txt"),
        ("", "page.txt"),
        ("a\x00b\nc.txt", "a_b_c.txt"),
    ],
)
def test_folders_and_unsafe_characters_are_dropped(name: str, expected: str) -> None:
    assert safe_name(name) == expected


@given(st.text(max_size=400))
def test_any_name_becomes_a_short_page_name(name: str) -> None:
    assert_fits(safe_name(name))


# ------------------------------------------------------------------------------------------ save_upload


@pytest.mark.parametrize(
    "name",
    [
        "a" * 196 + ".txt",
        "新闻报道" * 22 + "新闻.txt",
        "c" * 300,
        "notes.md",
        "page.text",
        "saved/in/a/folder/page.html",
    ],
    ids=["200-chars", "cjk-274-bytes", "no-suffix", "md", "text", "with-folders"],
)
def test_a_saved_upload_is_seen_by_the_folder_scan(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    saved, report = save_upload(name, PAGE, folder)
    assert saved.parent == folder
    assert saved.read_bytes() == PAGE
    assert_fits(saved.name)
    assert report.stories == 20
    assert scanned(folder) == [saved]


def test_same_name_different_content_keeps_both(tmp_path: Path) -> None:
    name = "新闻" * 60 + ".txt"  # long enough that the second name must be cut to take its hash
    first, _ = save_upload(name, PAGE, tmp_path)
    second, _ = save_upload(name, OTHER_PAGE, tmp_path)
    assert first != second
    assert_fits(first.name)
    assert_fits(second.name)
    assert first.read_bytes() == PAGE and second.read_bytes() == OTHER_PAGE
    assert sorted(scanned(tmp_path)) == sorted([first, second])


def test_same_name_same_content_is_stored_once(tmp_path: Path) -> None:
    first, _ = save_upload("page.txt", PAGE, tmp_path)
    again, _ = save_upload("page.txt", PAGE, tmp_path)
    assert first == again
    assert scanned(tmp_path) == [first]


def test_binary_and_empty_uploads_are_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="binary file"):
        save_upload("image.txt", b"\x89PNG\x00\x00", tmp_path)
    with pytest.raises(InputError, match="empty"):
        save_upload("empty.txt", b"  \n", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_cannot_be_made_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "uploads"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(InputError) as caught:
        save_upload("page.txt", PAGE, blocker / "inner")
    message = str(caught.value)
    assert message.startswith("page.txt: cannot be saved")
    assert str(tmp_path) not in message  # the server's folder is not the visitor's business
    assert "\n" not in message


def test_a_folder_in_the_way_of_the_name_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "page.txt").mkdir()
    with pytest.raises(InputError, match=r"^page\.txt: cannot be saved"):
        save_upload("page.txt", PAGE, tmp_path)


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "No space left"), (errno.ENAMETOOLONG, "too long"), (errno.EACCES, "ermission")],
)
def test_every_write_failure_is_a_one_line_input_error(
    code: int, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_write(path: Path, data: bytes) -> None:
        raise OSError(code, __import__("os").strerror(code), str(path))

    monkeypatch.setattr(uploads, "atomic_write_bytes", failing_write)
    with pytest.raises(InputError) as caught:
        save_upload("page.txt", PAGE, tmp_path)
    message = str(caught.value)
    assert words in message
    assert str(tmp_path) not in message
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------ add_uploads


def test_add_uploads_reports_each_file_added_or_refused_with_its_reason(tmp_path: Path) -> None:
    results = add_uploads(
        [
            ("good.txt", PAGE),
            ("binary.txt", b"\x00\x01"),
            ("新闻" * 60 + ".md", OTHER_PAGE),
            ("empty.txt", b""),
            ("good.txt", PAGE),  # the same file twice: stored once
        ],
        tmp_path,
    )
    assert [r.status for r in results] == ["added", "refused", "added", "refused", "unchanged"]
    assert [r.name for r in results][:2] == ["good.txt", "binary.txt"]
    assert results[0].saved_as == "good.txt" and results[0].stories == 20
    assert "binary file" in results[1].problem and results[1].saved_as is None
    assert "empty" in results[3].problem
    assert results[2].stories == 8
    assert sorted(p.name for p in scanned(tmp_path)) == sorted(
        r.saved_as for r in results if r.saved_as and r.status == "added"
    )
