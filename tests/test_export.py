"""Exports for research (``core.analysing.export``): every format written a chunk at a time equals the whole, the
research columns (themes, matched terms, snippet) hand-checked on made-up stories and on the sample, the
size estimate, and the words that announce a download."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.analysing import export
from core.analysing.query import Term, parse_query, positive_terms
from core.analysing.ranking import relevance_terms
from core.model import COLUMNS
from core.storing.collection import Collection, open_collection
from core.storing.search import fold, kwic, term_pattern

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "pages"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    return open_collection([SAMPLE], cache_dir=tmp_path_factory.mktemp("export-cache"))


def read_back(data: bytes, fmt: str) -> list[dict[str, object]]:
    """An export's rows as dicts, whatever the format."""
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    if fmt == "jsonl":
        return [json.loads(line) for line in data.decode("utf-8").splitlines()]
    if fmt == "json":
        return list(json.loads(data.decode("utf-8")))
    return list(pq.read_table(io.BytesIO(data)).to_pylist())


def columns_of(data: bytes, fmt: str) -> list[str]:
    if fmt == "csv":
        return data.decode("utf-8").splitlines()[0].split(",")
    if fmt == "parquet":
        return list(pd.read_parquet(io.BytesIO(data)).columns)
    return list(read_back(data, fmt)[0])


@pytest.mark.parametrize("fmt", list(export.FORMATS))
def test_chunks_write_the_same_file_as_one_piece(
    sample: Collection, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    research = export.ResearchColumns(sample.memberships, relevance_terms("huawei"))
    whole = export.export_bytes(sample.articles, fmt, research)
    monkeypatch.setattr(export, "CHUNK_ROWS", 3)  # 20 stories: seven chunks, the last of two
    chunked = export.export_bytes(sample.articles, fmt, research)
    assert read_back(chunked, fmt) == read_back(whole, fmt)
    if fmt != "parquet":  # a Parquet file holds one row group per chunk
        assert chunked == whole


@pytest.mark.parametrize("fmt", list(export.FORMATS))
@pytest.mark.parametrize("body", [True, False])
@pytest.mark.parametrize("research", [True, False])
def test_columns_of_every_export(sample: Collection, fmt: str, body: bool, research: bool) -> None:
    extra = export.ResearchColumns(sample.memberships) if research else None
    data = export.export_bytes(sample.articles, fmt, extra, body=body)
    expected = [c for c in COLUMNS if body or c != "body"] + (
        list(export.RESEARCH_COLUMNS) if research else []
    )
    assert columns_of(data, fmt) == expected
    assert export.export_columns(export.RESEARCH_COLUMNS if research else (), body) == expected
    assert len(read_back(data, fmt)) == len(sample.articles)


@pytest.mark.parametrize("fmt", list(export.FORMATS))
def test_empty_selection_is_a_valid_empty_file(sample: Collection, fmt: str) -> None:
    data = export.export_bytes(sample.articles.iloc[:0], fmt, export.ResearchColumns(sample.memberships))
    assert read_back(data, fmt) == []
    if fmt == "csv":
        assert columns_of(data, fmt) == [*COLUMNS, *export.RESEARCH_COLUMNS]


def test_prepare_changes_each_chunk_before_it_is_written(sample: Collection) -> None:
    def relative(part: pd.DataFrame) -> pd.DataFrame:
        return part.assign(
            sources=[[s.replace(str(SAMPLE) + "/", "") for s in spans] for spans in part["sources"]]
        )

    rows = read_back(export.export_bytes(sample.articles, "jsonl", prepare=relative), "jsonl")
    files = {source["file"] for row in rows for source in row["sources"]}  # type: ignore[attr-defined]
    assert files and all(not f.startswith("/") for f in files)


def test_unknown_format_is_refused(sample: Collection) -> None:
    with pytest.raises(ValueError, match="unknown export format 'xlsx'; the formats are csv, jsonl"):
        export.export_bytes(sample.articles, "xlsx")


def test_extra_columns_must_match_the_rows(sample: Collection) -> None:
    with pytest.raises(ValueError, match="extra columns have 1 rows for 20 stories"):
        export.export_bytes(sample.articles, "csv", lambda part: part.iloc[:1][["headline"]])


# ------------------------------------------------------------------------------------- research columns


def story_frame(stories: list[tuple[str, str, str | None, bool]]) -> pd.DataFrame:
    """(headline, body, caption, headline inferred) per story; ids ``s0``, ``s1``, ..."""
    return pd.DataFrame(
        {
            "article_id": [f"s{i}" for i in range(len(stories))],
            "headline": [s[0] for s in stories],
            "body": [s[1] for s in stories],
            "photo_caption": pd.array([s[2] for s in stories], dtype="string"),
            "headline_inferred": [s[3] for s in stories],
        }
    )


MEMBERS = pd.DataFrame(
    {
        "article_id": ["s0", "s0", "s2", "s9"],
        "theme": ["huawei", "trade-war", "gone", "huawei"],
        "hits": [4, 1, 1, 1],
        "evidence": ["huawei ×3, meng ×1", "tariff* ×1", "x ×1", "huawei ×1"],
    }
)
LABELS = {"huawei": "Huawei", "trade-war": "Trade war"}


def test_themes_and_matched_terms_per_story() -> None:
    frame = story_frame(
        [
            ("Huawei news", "Huawei and tariffs.", None, False),
            ("Rain", "Rain.", None, False),
            ("X", "x.", None, False),
        ]
    )
    out = export.ResearchColumns(MEMBERS, [], LABELS)(frame)
    assert out["themes"].tolist() == [["huawei", "trade-war"], [], ["gone"]]
    # a theme without a label (no longer in the themes file) is named by its slug
    assert out["matched_terms"].tolist() == [
        "Huawei: huawei ×3, meng ×1; Trade war: tariff* ×1",
        "",
        "gone: x ×1",
    ]
    assert list(out.index) == list(frame.index)


def test_snippet_is_the_first_hit_headline_then_body_then_caption() -> None:
    frame = story_frame(
        [
            ("Tariffs bite", "Huawei said nothing about tariffs.", None, False),  # headline first
            ("Rain", "Later, Huawei said it would appeal; tariffs came first? No: Huawei.", None, False),
            ("Inferred Huawei lead", "The lead without the word.", "Huawei logo.", True),  # caption
            ("Rain", "Nothing here at all.", None, False),
        ]
    )
    terms = positive_terms(parse_query("huawei OR tariff*"))
    snippets = export.ResearchColumns(MEMBERS.iloc[:0], terms)(frame)["snippet"].tolist()
    assert snippets[0] == "[Tariffs] bite"
    # the earliest occurrence of any term in the body: "Huawei" at 7 before "tariffs" at 35
    assert snippets[1].startswith("Later, [Huawei] said")
    assert snippets[2] == "[Huawei] logo."  # an inferred headline is a copy of the lead: skipped
    assert snippets[3] == "Nothing here at all."  # no hit: the opening


def test_snippet_without_a_hit_is_the_opening_cut_at_a_word() -> None:
    body = "word " * 100
    frame = story_frame([("H", body, None, False)])
    (snippet,) = export.ResearchColumns(MEMBERS.iloc[:0], [])(frame)["snippet"]
    assert snippet.endswith("word…") and len(snippet) <= export.OPENING_CHARS + 1


def test_research_columns_on_the_sample(sample: Collection) -> None:
    labels = {t.slug: t.label for t in sample.themes}
    frame = sample.articles
    out = export.ResearchColumns(sample.memberships, relevance_terms("meng"), labels)(frame)
    by_id = dict(zip(frame["article_id"].astype(str), out.to_dict("records"), strict=True))
    for article_id, slugs in sample.themes_by_article().items():
        assert by_id[article_id]["themes"] == list(slugs)
    newest = by_id[str(frame["article_id"].iat[0])]  # Dave Yin's story on Meng Wanzhou
    assert newest["matched_terms"].startswith("Huawei: huawei ×3")
    assert "[Meng] Wanzhou" in newest["snippet"]


# ------------------------------------------------------------------------------------------ size and words


@pytest.mark.parametrize("fmt", list(export.FORMATS))
def test_estimate_is_exact_for_a_small_selection(sample: Collection, fmt: str) -> None:
    research = export.ResearchColumns(sample.memberships)
    actual = len(export.export_bytes(sample.articles, fmt, research))
    assert export.estimate_size(sample.articles, fmt, research) == actual


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_estimate_of_a_large_selection_from_a_sample(sample: Collection, fmt: str) -> None:
    many = pd.concat([sample.articles] * 30, ignore_index=True)  # 600 stories
    actual = len(export.export_bytes(many, fmt))
    estimate = export.estimate_size(many, fmt, sample=50)
    assert abs(estimate - actual) / actual < 0.1


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_estimate_from_the_sampled_rows_alone_equals_the_estimate_from_all(
    sample: Collection, fmt: str
) -> None:
    many = pd.concat([sample.articles] * 30, ignore_index=True)  # 600 stories
    rows = export.size_sample(len(many), 50)
    assert len(rows) == 50 and rows[0] == 0 and rows[-1] == len(many) - 1
    from_all = export.estimate_size(many, fmt, sample=50)
    assert export.estimate_size(many.iloc[rows], fmt, sample=50, total=len(many)) == from_all
    assert export.estimate_size(many.iloc[rows[:1]], fmt, sample=1, total=1) > 0
    assert list(export.size_sample(3, 50)) == [0, 1, 2]


@pytest.mark.parametrize(
    ("count", "words"), [(0, "0 stories"), (1, "1 story"), (2, "2 stories"), (148_203, "148,203 stories")]
)
def test_story_count(count: int, words: str) -> None:
    assert export.story_count(count) == words


@pytest.mark.parametrize(
    ("size", "words"),
    [
        (1, "1 byte"),
        (999, "999 bytes"),
        (1000, "1.0 kB"),
        (36_828, "37 kB"),
        (148_000_000, "148 MB"),
        (2_500_000_000, "2.5 GB"),
    ],
)
def test_file_size(size: int, words: str) -> None:
    assert export.file_size(size) == words


def first_hit_term_by_term(texts: dict[str, str], terms: list[Term]) -> str | None:
    """The snippet as it was found before one joined pattern: each term's pattern searched alone."""
    patterns = [term_pattern(term) for term in terms]
    for text in texts.values():
        if not text:
            continue
        found = [m for pattern in patterns if (m := pattern.search(fold(text)))]
        if found:
            match = min(found, key=lambda m: (m.start(), -m.end()))
            return kwic(text, match.start(), match.end(), export.SNIPPET_CONTEXT)
    return None


WORDS = [
    "huawei",
    "Huawei's",
    "tariff",
    "tariffs",
    "trade",
    "war",
    "trade-war",
    "Nestlé",
    "nestle",
    "5G",
    "_x",
]


@example([["the ", "trade", " ", "war"]], [(["trade"], False), (["trade", "war"], False)])  # longest
@example([["tariffs", " ", "huawei"]], [(["huawei"], False), (["tariff"], True)])  # earliest
@given(
    st.lists(st.lists(st.sampled_from([*WORDS, " ", ", ", "—", "\n"]), max_size=30), min_size=1, max_size=3),
    st.lists(
        st.tuples(
            st.lists(
                st.sampled_from(["huawei", "tariff", "trade", "war", "nestle", "5g"]), min_size=1, max_size=2
            ),
            st.booleans(),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_one_scan_for_all_terms_finds_the_hit_each_term_alone_would(
    fields: list[list[str]], drawn: list[tuple[list[str], bool]]
) -> None:
    texts = {
        name: "".join(words)
        for name, words in zip(("headline", "body", "photo_caption"), fields, strict=False)
    }
    terms = [Term(tuple(words), prefix=prefix and len(words) == 1) for words, prefix in drawn]
    assert export.first_hit(texts, terms) == first_hit_term_by_term(texts, terms)
