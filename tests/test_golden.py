"""Golden files: every fixture page and the sample, parsed to JSON and compared with a reviewed copy.

Regenerate with ``pytest tests/test_golden.py --update-golden`` and review the diff before committing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import check_golden

from core.parsing import parse_page
from core.reading.files import decode_bytes

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


@pytest.mark.parametrize("path", INPUTS, ids=[p.name for p in INPUTS])
def test_golden(path: Path, update_golden: bool) -> None:
    check_golden(GOLDEN / f"{path.stem}.json", page_json(path), path, update_golden)


def test_golden_holds_no_absolute_paths() -> None:
    for golden in GOLDEN.glob("*.json"):
        text = golden.read_text(encoding="utf-8")
        assert str(TESTS.parent) not in text, golden.name
        assert '"file": "/' not in text, golden.name


def test_every_golden_file_has_its_page() -> None:
    stems = {p.stem for p in INPUTS}
    assert {g.stem for g in GOLDEN.glob("*.json")} <= stems
