"""``caixin search`` and ``caixin themes`` through ``core.cli.main``: output formats, exit codes and messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core.analysing.query import parse_query, positive_terms
from core.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE, main
from core.storing.collection import open_collection
from core.storing.search import term_pattern

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PAGES = PROJECT_ROOT / "data" / "pages"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-cache")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def search(
    capsys: pytest.CaptureFixture[str], cache_dir: Path, query: str, *extra: str
) -> tuple[int, str, str]:
    """Options first, then ``--``, so a query starting with ``-`` is not read as an option."""
    return run(capsys, "search", "--cache-dir", str(cache_dir), *extra, "--", query, str(SAMPLE_PAGES))


def themes(capsys: pytest.CaptureFixture[str], cache_dir: Path, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "themes", str(SAMPLE_PAGES), "--cache-dir", str(cache_dir), *extra)


# -- search ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("theme:huawei", 5),
        ("huawei AND 5G", 3),
        ("huawei NOT 5G", 2),
        ('"trade war"', 2),
        ("tariff*", 2),
        ('author:"Matthew Walsh"', 3),
        ("canada OR tiktok", 3),
        ("agency:bloomberg", 3),
        ("section:world", 20),
        ("-huawei", 15),
        ("huawe", 0),
    ],
)
def test_search_jsonl_counts(
    capsys: pytest.CaptureFixture[str], cache_dir: Path, query: str, count: int
) -> None:
    code, out, err = search(capsys, cache_dir, query, "--format", "jsonl", "--limit", "100")
    assert code == EXIT_OK, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == count
    assert len({r["article_id"] for r in rows}) == count


def test_search_table(capsys: pytest.CaptureFixture[str], cache_dir: Path) -> None:
    code, out, err = search(capsys, cache_dir, "huawei AND 5G")
    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert lines[0] == "3 stories match 'huawei AND 5G'"
    stories = [line for line in lines if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d  ", line)]
    assert len(stories) == 3
    assert stories[0].startswith("2019-11-07 17:09  The Chinese government has again asked")
    assert stories[0].endswith("[Dave Yin]  381e806db8932254")
    assert "[Bloomberg]" in stories[2]
    snippets = [line.strip() for line in lines if line.startswith("    ")]
    assert 3 <= len(snippets) <= 9
    assert all("[" in s and "]" in s for s in snippets)
    assert "detained [Huawei] chief financial officer Meng Wanzhou" in out


def test_search_plain_argument_order(capsys: pytest.CaptureFixture[str], cache_dir: Path) -> None:
    code, out, err = run(capsys, "search", "tiktok", str(SAMPLE_PAGES), "--cache-dir", str(cache_dir))
    assert code == EXIT_OK, err
    assert out.splitlines()[0] == "1 story matches 'tiktok'"
    assert "[TikTok]" in out


def test_search_table_limit(capsys: pytest.CaptureFixture[str], cache_dir: Path) -> None:
    code, out, _ = search(capsys, cache_dir, "huawei", "--limit", "2")
    assert code == EXIT_OK
    assert out.splitlines()[0] == "5 stories match 'huawei' (showing 2)"
    assert len(re.findall(r"^\d{4}-\d\d-\d\d ", out, flags=re.MULTILINE)) == 2


def test_search_table_unsigned_story(capsys: pytest.CaptureFixture[str], cache_dir: Path) -> None:
    code, out, _ = search(capsys, cache_dir, '"north korea"')
    assert code == EXIT_OK
    assert out.splitlines()[0] == "1 story matches '\"north korea\"'"
    assert "[unsigned]" in out


def test_search_jsonl_rows_carry_hits(capsys: pytest.CaptureFixture[str], cache_dir: Path) -> None:
    query = '"meng wanzhou" OR tariff* OR 5g'
    code, out, err = search(capsys, cache_dir, query, "--format", "jsonl")
    assert code == EXIT_OK, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 5  # meng; oi and vought (5G); guo and gao (tariffs)
    collection = open_collection([SAMPLE_PAGES], cache_dir=cache_dir)
    stories = collection.articles.set_index("article_id")
    terms = {str(t): t for t in positive_terms(parse_query(query))}
    for row in rows:
        assert set(row) >= {"article_id", "published_at", "headline", "byline", "section", "themes", "hits"}
        assert row["published_at"].endswith("+08:00")
        assert row["hits"], row["article_id"]
        for hit in row["hits"]:
            assert set(hit) == {"field", "start", "end", "term", "snippet"}
            text = str(stories.loc[row["article_id"], hit["field"]])
            matched = text[hit["start"] : hit["end"]]
            assert term_pattern(terms[hit["term"]]).fullmatch(matched)
            assert f"[{' '.join(matched.split())}]" in hit["snippet"]
    meng = next(r for r in rows if r["byline"] == "Dave Yin")
    assert [h["term"] for h in meng["hits"]] == ['"meng wanzhou"', '"meng wanzhou"', "5g"]
    assert {"huawei", "canada-china"} <= set(meng["themes"])


def test_search_jsonl_nothing_found(capsys: pytest.CaptureFixture[str], cache_dir: Path) -> None:
    code, out, _ = search(capsys, cache_dir, "TSMC", "--format", "jsonl")  # only in a Related line
    assert (code, out) == (EXIT_OK, "")


SYNTAX_ERRORS = [
    # (query, 1-based position in the message, message)
    ("huawei AND (5G", 12, "unclosed '('"),  # the example of docs/query-syntax.md
    ('"trade war', 1, "unclosed quote"),
    ("huawei)", 7, "unmatched ')'"),
    ("()", 1, "empty parentheses"),
    ("huawei AND", 8, "AND needs a term on both sides"),
    ("OR canada", 1, "OR needs a term before it"),
    ("huawei NOT", 8, "NOT needs a term after it"),
    ("foo:bar", 1, "unknown field 'foo:'"),
    ("author:", 1, "'author:' needs a value"),
    ('"!!"', 1, "phrase '!!' has no letters or digits"),
    ("", 1, "empty query"),
]


@pytest.mark.parametrize(("query", "position", "message"), SYNTAX_ERRORS)
def test_search_syntax_error(
    capsys: pytest.CaptureFixture[str], cache_dir: Path, query: str, position: int, message: str
) -> None:
    code, out, err = search(capsys, cache_dir, query)
    assert code == EXIT_USAGE
    assert out == ""
    assert "Traceback" not in err
    assert err.split("\n") == [
        f"error: query position {position}: {message}"
        + ("; fields are author, section, theme, agency" if "field" in message else ""),
        query,
        " " * (position - 1) + "^",
        "",
    ]


def test_search_syntax_error_example_from_the_docs(
    capsys: pytest.CaptureFixture[str], cache_dir: Path
) -> None:
    _, _, err = search(capsys, cache_dir, "huawei AND (5G")
    assert err == "error: query position 12: unclosed '('\nhuawei AND (5G\n           ^\n"


def test_search_deeply_nested_query_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], cache_dir: Path
) -> None:
    code, _, err = search(capsys, cache_dir, "(" * 400)
    assert code == EXIT_USAGE
    assert "Traceback" not in err


# -- themes ----------------------------------------------------------------------------------------------


def _counts(out: str) -> dict[str, int]:
    return {m[1]: int(m[2].replace(",", "")) for m in re.finditer(r"^(\S+)\s+([\d,]+) stor(?:y|ies) \(", out, flags=re.MULTILINE)}


def test_themes_counts(capsys: pytest.CaptureFixture[str], cache_dir: Path) -> None:
    code, out, err = themes(capsys, cache_dir)
    assert code == EXIT_OK, err
    counts = _counts(out)
    assert counts["huawei"] == 5
    assert counts["sports"] == 1
    assert counts["trade-war"] == 6
    assert counts["tiktok-apps"] == 1
    assert {"5g-telecom", "canada-china", "diplomacy", "energy", "science-tech"} <= set(counts)
    assert re.search(r"^huawei\s+5 stories \(25\.0%\)  Huawei$", out, flags=re.MULTILINE)
    assert "×" not in out  # no evidence without --evidence


def test_themes_evidence(capsys: pytest.CaptureFixture[str], cache_dir: Path) -> None:
    code, out, err = themes(capsys, cache_dir, "--evidence")
    assert code == EXIT_OK, err
    assert _counts(out)["huawei"] == 5
    assert 'huawei ×3, "meng wanzhou" ×2' in out
    assert '"trade war" ×2, tariff* ×2' in out
    assert '"world cup" ×4, fifa ×4, soccer ×3, tournament* ×2, football ×1' in out
    huawei_block = out.split("\nhuawei ")[1].split("\n5g-telecom ")[0]
    assert len(re.findall(r"^    [0-9a-f]{16}  ", huawei_block, flags=re.MULTILINE)) == 5
    assert len(re.findall(r"^        \S.* ×\d+", huawei_block, flags=re.MULTILINE)) == 5


def test_themes_with_own_file(capsys: pytest.CaptureFixture[str], cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "themes.toml"
    path.write_text(
        '[themes.pandas]\nlabel = "Pandas"\nterms = ["panda*"]\n\n'
        '[themes.huawei-5g]\nlabel = "Huawei and 5G"\nquery = "huawei AND 5g"\n',
        encoding="utf-8",
    )
    code, out, err = themes(capsys, cache_dir, "--themes", str(path))
    assert code == EXIT_OK, err
    assert _counts(out) == {"pandas": 1, "huawei-5g": 3}


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ('[themes.x]\nlabel = "X"\ncolour = "red"\nterms = ["a"]\n', 3, "themes.x.colour"),
        ('[themes.x]\nlabel = "X"\ntrems = ["a"]\n', 3, "themes.x.trems"),
        ('[themes.x]\nlabel = "X"\nterms = ["a"]\nmin_hits = 0\n', 4, "themes.x.min_hits"),
        ('[themes.x]\nlabel = "X"\nterms = ["a"\n\n[themes.y]\nlabel = "Y"\n', 5, None),
    ],
    ids=["colour", "unknown-key", "min-hits", "toml-syntax"],
)
@pytest.mark.parametrize("command", ["themes", "search"])
def test_broken_themes_file(
    capsys: pytest.CaptureFixture[str],
    cache_dir: Path,
    tmp_path: Path,
    command: str,
    text: str,
    line: int,
    key: str | None,
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    argv = ["huawei"] if command == "search" else []
    code, out, err = run(
        capsys, command, *argv, str(SAMPLE_PAGES), "--cache-dir", str(cache_dir), "--themes", str(path)
    )
    assert code == EXIT_INPUT
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert f"bad.toml:{line}" in lines[0]
    if key:
        assert f"[{key}]" in lines[0]


def test_missing_themes_file(capsys: pytest.CaptureFixture[str], cache_dir: Path, tmp_path: Path) -> None:
    code, out, err = themes(capsys, cache_dir, "--themes", str(tmp_path / "absent.toml"))
    assert code == EXIT_INPUT
    assert out == ""
    assert err.startswith("error: ") and "absent.toml" in err and "cannot be read" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("command", ["search", "themes"])
def test_commands_have_help(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "--themes" in out and "--cache-dir" in out
    assert ("--evidence" in out) == (command == "themes")
    assert ("--format" in out) == (command == "search")
