"""Golden files: every fixture page and the sample, parsed to JSON and compared with a reviewed copy.

Regenerate with ``pytest tests/test_golden.py --update-golden`` and review the diff before committing.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest

from core.parse import parse_page
from core.read import decode_bytes

TESTS = Path(__file__).resolve().parent
PAGES = TESTS / "fixtures" / "pages"
GOLDEN = TESTS / "fixtures" / "golden"
SAMPLE = TESTS.parent / "data" / "pages" / "000_6a6401b8027f1b55.txt"

INPUTS = sorted(PAGES.glob("*.txt")) + [SAMPLE]


def page_json(path: Path) -> dict[str, Any]:
    """The parse of one page as JSON, with the bare file name as source so no absolute path leaks in."""
    text, read_warnings = decode_bytes(path.read_bytes(), path.name)
    result = parse_page(text, path.name)
    return {
        "articles": [a.to_json_dict() for a in result.articles],
        "headlines": [[line, text] for line, text in result.headlines],
        "report": result.report.to_dict(),
        "read_warnings": read_warnings,
    }


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("path", INPUTS, ids=[p.name for p in INPUTS])
def test_golden(path: Path, update_golden: bool) -> None:
    golden = GOLDEN / f"{path.stem}.json"
    actual = page_json(path)
    if update_golden:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        golden.write_text(dump(actual), encoding="utf-8")
        return
    assert golden.is_file(), f"no golden file {golden.name}; run pytest --update-golden and review it"
    expected = json.loads(golden.read_text(encoding="utf-8"))
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                dump(expected).splitlines(keepends=True), dump(actual).splitlines(keepends=True),
                fromfile=f"golden/{golden.name}", tofile="parser output", n=2,
            )
        )
        pytest.fail(f"parse of {path.name} differs from its golden file:\n{diff[:6000]}")


def test_golden_holds_no_absolute_paths() -> None:
    for golden in GOLDEN.glob("*.json"):
        text = golden.read_text(encoding="utf-8")
        assert str(TESTS.parent) not in text, golden.name
        assert '"file": "/' not in text, golden.name


def test_every_golden_file_has_its_page() -> None:
    stems = {p.stem for p in INPUTS}
    assert {g.stem for g in GOLDEN.glob("*.json")} <= stems
