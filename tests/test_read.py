"""Reading inputs: decoding, binary detection, missing and unreadable paths, folders and globs."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.config import Reporters
from core.errors import CaixinError, InputError
from core.parsing import parse_page
from core.reading.files import PAGE_SUFFIXES, decode_bytes, expand_inputs, input_names, path_order, read_page
from core.storing.ingest import ingest

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
STORY = (
    "By Fran Wang / Aug 12, 2019 02:14 PM / Business & Tech\n\n"
    "Luckin Coffee opened a new café format.\n\n"
    "Contact reporter Fran Wang (\n"
)


# -- decode_bytes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (STORY.encode("utf-8"), STORY),
        (codecs.BOM_UTF8 + STORY.encode("utf-8"), STORY),
        (STORY.replace("\n", "\r\n").encode("utf-8"), STORY.replace("\n", "\r\n")),
        (codecs.BOM_UTF16_LE + STORY.encode("utf-16-le"), STORY),
        (codecs.BOM_UTF16_BE + STORY.encode("utf-16-be"), STORY),
        ("弦子 财新 “quotes” — €".encode(), "弦子 财新 “quotes” — €"),
        (b"", ""),
    ],
)
def test_decode_bytes_text(data: bytes, text: str) -> None:
    decoded, warnings = decode_bytes(data, "page.txt")
    assert decoded == text
    assert warnings == []


@pytest.mark.parametrize(
    ("data", "text", "line"),
    [
        (b"caf\xe9\n", "café\n", 1),
        (b"line one\nline two\nthe caf\xe9 chain\n", "line one\nline two\nthe café chain\n", 3),
        (b"\xef\xbb\xbfok\r\nna\xefve caf\xe9\r\n", "ok\r\nnaïve café\r\n", 2),
        # Valid UTF-8 around the bad bytes is still read as UTF-8.
        ("“ok” — ".encode() + b"\xe9t\xe9\n", "“ok” — été\n", 1),
        # A cut multi-byte sequence: each byte kept as one character.
        (b"abc \xe4\xb8 def", "abc \xe4\xb8 def", 1),
    ],
)
def test_invalid_utf8_falls_back_to_latin1_losslessly(data: bytes, text: str, line: int) -> None:
    decoded, warnings = decode_bytes(data, "old.txt")
    assert decoded == text
    assert len(warnings) == 1
    assert warnings[0].startswith(f"old.txt:{line}:")
    assert "Latin-1" in warnings[0]


def test_latin1_fallback_is_lossless_for_every_byte() -> None:
    data = b"By Fran Wang / Aug 12, 2019 02:14 PM / World\n" + bytes(range(0x80, 0x100)) + b"\n"
    decoded, warnings = decode_bytes(data, "all.txt")
    assert warnings
    assert decoded.encode("latin-1") == data  # every byte came back as exactly one character


@pytest.mark.parametrize(
    "data",
    [b"\x00\x01\x02\x03", b"%PDF-1.4\n\x00binary", b"text then a NUL\x00", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"],
)
def test_binary_data_raises_input_error(data: bytes) -> None:
    with pytest.raises(InputError) as caught:
        decode_bytes(data, "photo.png")
    message = str(caught.value)
    assert message.startswith("photo.png: ")
    assert "binary" in message
    assert "\n" not in message
    assert isinstance(caught.value, CaixinError)
    assert caught.value.path == "photo.png"


def test_broken_utf16_raises_input_error() -> None:
    with pytest.raises(InputError, match="weird.txt"):
        decode_bytes(codecs.BOM_UTF16_LE + b"\x00\xd8", "weird.txt")


# -- read_page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "warned"),
    [
        (STORY.encode(), False),
        (codecs.BOM_UTF8 + STORY.encode(), False),
        (STORY.replace("\n", "\r\n").encode(), False),
        (STORY.encode("latin-1"), True),
    ],
)
def test_read_page_gives_the_same_story(tmp_path: Path, data: bytes, warned: bool) -> None:
    path = tmp_path / "page.txt"
    path.write_bytes(data)
    page = read_page(path)
    assert page.path == str(path)
    assert page.size == len(data)
    assert len(page.sha256) == 64
    assert bool(page.warnings) is warned
    if warned:
        assert str(path) in page.warnings[0] and ":3:" in page.warnings[0]
    (article,) = parse_page(page.text, path.name).articles
    assert article.body == "Luckin Coffee opened a new café format."
    assert article.contacts == ("Fran Wang",)


def test_read_page_fixture_latin1() -> None:
    page = read_page(PAGES / "latin1.txt")
    assert "café" in page.text and "caf\ufffd" not in page.text
    assert len(page.warnings) == 1
    assert "latin1.txt:12:" in page.warnings[0]


def test_read_page_binary(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"GIF89a\x00\x00\x01")
    with pytest.raises(InputError) as caught:
        read_page(path)
    assert str(caught.value).startswith(f"{path}: binary file")
    assert "\n" not in str(caught.value)


def test_read_page_missing(tmp_path: Path) -> None:
    path = tmp_path / "nope.txt"
    with pytest.raises(InputError) as caught:
        read_page(path)
    assert str(caught.value) == f"{path}: no such file"


def test_read_page_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        read_page(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_read_page_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "locked.txt"
    path.write_text(STORY)
    path.chmod(0)
    try:
        with pytest.raises(InputError) as caught:
            read_page(path)
        assert str(caught.value) == f"{path}: permission denied"
    finally:
        path.chmod(0o644)


def test_empty_file_gives_no_stories_and_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    page = read_page(path)
    assert page.text == "" and page.size == 0
    result = parse_page(page.text, path.name)
    assert result.articles == ()
    assert result.report.shape == "empty"
    assert result.report.warnings == ["empty.txt: empty file, no stories"]


@pytest.mark.parametrize("content", ["\n", "\n\n  \n", "\ufeff", "   "])
def test_blank_only_file_gives_no_stories_and_a_warning(content: str) -> None:
    result = parse_page(content, "blank.txt")
    assert result.articles == ()
    assert result.report.warnings
    assert result.report.balanced


# -- expand_inputs -----------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder of pages and other files, nested two deep."""
    root = tmp_path / "pages"
    for name in ["a.txt", "b.html", "c.htm", "d.md", "e.TXT", "f.text", "sub/g.txt", "sub/deeper/h.txt"]:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(STORY)
    for name in ["notes.pdf", "image.png", ".hidden.txt", "sub/data.json", "README"]:
        (root / name).write_bytes(b"\x00")
    return root


def names(files: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in files]


def test_folder_is_searched_recursively_for_page_suffixes(tree: Path) -> None:
    files, errors = expand_inputs([tree])
    assert errors == []
    assert sorted(names(files, tree)) == sorted(
        ["a.txt", "b.html", "c.htm", "d.md", "e.TXT", "f.text", "sub/g.txt", "sub/deeper/h.txt"]
    )
    assert all(p.suffix.lower() in PAGE_SUFFIXES for p in files)


def test_folder_order_is_stable(tree: Path) -> None:
    assert expand_inputs([tree])[0] == expand_inputs([str(tree)])[0]


@pytest.mark.parametrize("spelling", ["{root}", "{root}/", "{root}//sub/..", ".", "./", "pages", "pages/", "./pages//sub"])
def test_file_names_are_the_strings_of_their_paths(
    tree: Path, spelling: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``input_names`` (the ingest's listing, made without a ``Path`` per file) names each file as
    ``str(Path(top) / relative)`` would, in the order of the paths' parts, however the folder is spelled."""
    (tree / "sub" / "Z.txt").write_text(STORY)
    (tree / "sub-a.txt").write_text(STORY)
    (tree / "sub" / "deeper" / "0.md").write_text(STORY)
    monkeypatch.chdir(tree.parent if "pages" in spelling else tree)
    top = spelling.format(root=tree)
    relative = [
        Path(folder, name).relative_to(top)
        for folder, _, files in os.walk(top)
        for name in files
        if not name.startswith(".") and Path(name).suffix.lower() in PAGE_SUFFIXES
    ]
    expected = sorted((Path(top) / rel for rel in relative), key=lambda path: path.parts)
    found, errors = input_names([top])
    assert errors == []
    assert found == [str(path) for path in expected]
    assert expand_inputs([top])[0] == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*.txt", ["a.txt"]),
        ("*.htm*", ["b.html", "c.htm"]),
        ("**/*.txt", ["a.txt", "sub/deeper/h.txt", "sub/g.txt"]),
        ("sub/*.txt", ["sub/g.txt"]),
        ("?.md", ["d.md"]),
    ],
)
def test_glob_patterns(tree: Path, pattern: str, expected: list[str]) -> None:
    files, errors = expand_inputs([f"{tree}/{pattern}"])
    assert errors == []
    assert sorted(names(files, tree)) == sorted(expected)


def test_a_named_file_is_read_whatever_its_suffix(tree: Path) -> None:
    files, errors = expand_inputs([tree / "README"])
    assert errors == [] and names(files, tree) == ["README"]


def test_each_file_once(tree: Path) -> None:
    files, errors = expand_inputs([tree / "a.txt", tree, f"{tree}/*.txt", str(tree / "a.txt")])
    assert errors == []
    assert len(files) == len({p.resolve() for p in files}) == 8
    assert names(files, tree)[0] == "a.txt"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda root: str(root / "missing.txt"), "no such file or folder"),
        (lambda root: f"{root}/*.nothing", "pattern matches no files"),
        (lambda root: str(root / "sub" / "deeper" / "empty-folder"), "folder holds no page files"),
    ],
)
def test_inputs_that_name_nothing_are_errors(tree: Path, make: object, reason: str) -> None:
    (tree / "sub" / "deeper" / "empty-folder").mkdir()
    assert callable(make)
    bad = make(tree)
    files, errors = expand_inputs([tree / "a.txt", bad])
    assert names(files, tree) == ["a.txt"]
    assert len(errors) == 1
    assert errors[0].path == bad
    assert str(errors[0]).startswith(f"{bad}: {reason}")
    assert "\n" not in str(errors[0])


# -- one failing input does not stop the others ------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda d: d / "missing.txt", id="missing"),
        pytest.param(lambda d: d / "binary.txt", id="binary"),
        pytest.param(lambda d: f"{d}/*.nothing", id="empty-glob"),
    ],
)
def test_other_inputs_still_processed(tmp_path: Path, bad: object) -> None:
    (tmp_path / "binary.txt").write_bytes(b"\x7fELF\x00\x00")
    assert callable(bad)
    bad_input = bad(tmp_path)
    good = PAGES / "latin1.txt"
    corpus = ingest([good, bad_input, PAGES / "crlf_bom.txt"], cache_dir=tmp_path / "cache",
                    reporters=Reporters(), workers=1)
    assert corpus.failed
    assert len(corpus.report.errors) == 1
    assert str(bad_input) in corpus.report.errors[0]
    assert len(corpus.articles) == 2 + 3
    assert set(corpus.articles["byline"]) >= {"Fran Wang", "Mo Yelin", "Qing Ying"}


def test_latin1_warning_reaches_the_ingest_report(tmp_path: Path) -> None:
    corpus = ingest([PAGES / "latin1.txt"], cache_dir=tmp_path / "cache", reporters=Reporters(), workers=1)
    assert not corpus.failed
    assert any("latin1.txt:12:" in w and "Latin-1" in w for w in corpus.report.warnings)


_PART = st.text(alphabet=["a", "b", "-", ".", " ", "é", "Z", "0", "_"], max_size=4)


@given(st.lists(st.lists(_PART, min_size=1, max_size=4).map(os.sep.join), max_size=30))
def test_path_order_sorts_as_the_parts_compare(paths: list[str]) -> None:
    """Paths sorted by ``path_order`` are in the order of their parts (``split(os.sep)``, as ``Path.parts``
    compare): names with characters below the separator ("-", ".", " "), empty parts, one path a prefix
    of another."""
    assert sorted(paths, key=path_order) == sorted(paths, key=lambda path: path.split(os.sep))
