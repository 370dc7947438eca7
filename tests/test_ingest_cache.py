"""Ingest of several pages into one frame: de-duplication, reporter names, and the Parquet cache."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from expectations import EXPECTED

import core.storing.ingest
from core.config import Reporters, load_reporters
from core.errors import ConfigError
from core.model import parse_source_span
from core.storing.cache import CacheStore, cache_key
from core.storing.ingest import Corpus, ingest
from core.storing.parts import PARTS

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "pages" / "000_6a6401b8027f1b55.txt"
NO_ALIASES = Reporters()

LEAD = ("China’s biggest banks are preparing to absorb losses on crude-oil-linked investment products sold to "
        "retail investors after U.S. oil futures plunged below zero.")
SECOND = "Bank of China Ltd. said it is studying ways to compensate clients who bought its product."
THIRD = "More than 3,000 investors lost their entire principal, according to people who bought the product."
BYLINE = "By {} / Apr 22, 2020 05:40 PM / Finance"
OTHER = "By Qing Ying / Apr 20, 2020 12:30 PM / China\n\nThe Beijing city government will let students return.\n\nRelated: Students Head Back\n"


def write(path: Path, *blocks: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


def run(inputs: list[Any], cache: Path, reporters: Reporters = NO_ALIASES, **kwargs: Any) -> Corpus:
    return ingest(inputs, cache_dir=cache, reporters=reporters, workers=1, **kwargs)


@pytest.fixture
def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sources ``core.storing.ingest`` parses, in order (a counting wrapper around ``parse_page``)."""
    calls: list[str] = []
    real = core.storing.ingest.parse_page

    def counting(text: str, source: str = "<string>", *args: Any, **kwargs: Any) -> Any:
        calls.append(Path(source).name)
        return real(text, source, *args, **kwargs)

    monkeypatch.setattr(core.storing.ingest, "parse_page", counting)
    return calls


# -- several files into one frame --------------------------------------------------------------------


def test_several_files_one_frame(tmp_path: Path) -> None:
    names = ["bylines_and_sections.txt", "agency_and_photos.txt", "latin1.txt", "ends_mid_byline.txt"]
    corpus = run([PAGES / n for n in names], tmp_path / "cache")
    assert len(corpus.articles) == sum(EXPECTED[n]["stories"] for n in names) == 22
    assert corpus.report.duplicates_merged == 0
    assert [Path(p.source).name for p in corpus.report.pages] == names
    files = {Path(parse_source_span(s).file).name for lst in corpus.articles["sources"] for s in lst}
    assert files == set(names)
    assert not corpus.failed and not corpus.from_cache
    assert corpus.articles["published_at"].is_monotonic_decreasing


def test_frame_is_newest_first(tmp_path: Path) -> None:
    corpus = run([PAGES / "latin1.txt", PAGES / "bylines_and_sections.txt"], tmp_path / "cache")
    stamps = corpus.articles["published_at"].tolist()
    assert stamps == sorted(stamps, reverse=True)


def test_whole_folder_with_sample(tmp_path: Path) -> None:
    corpus = run([PAGES, SAMPLE], tmp_path / "cache")
    stories = sum(f["stories"] for f in EXPECTED.values()) + 20
    assert corpus.report.duplicates_merged == 1
    assert len(corpus.articles) == stories - 1
    accounting = corpus.report.line_accounting()
    assert sum(accounting["roles"].values()) == accounting["nonblank"]
    assert accounting["files"] == len(EXPECTED) + 1


def test_headline_list_lines_are_kept(tmp_path: Path) -> None:
    """The lines are kept, and an ingest makes their frame only when it is asked for (a re-read does not)."""
    corpus = run([PAGES / "headline_list.txt"], tmp_path / "cache")
    assert not corpus._headlines.loaded
    assert len(corpus.headlines) == 20
    assert corpus.headlines["line"].tolist() == list(range(14, 34))
    assert corpus.headlines["text"].iloc[1] == "More Chinese Provinces Cut Growth Targets"
    again = run([PAGES / "headline_list.txt"], tmp_path / "cache")
    assert again.from_cache
    pd.testing.assert_frame_equal(again.headlines, corpus.headlines)


# -- duplicates --------------------------------------------------------------------------------------


def test_most_complete_copy_wins(tmp_path: Path) -> None:
    teaser = write(tmp_path / "p1.txt", BYLINE.format("Wang Jing and Denise Jia"), "Photo: VCG", "Photo: VCG", LEAD,
                   SECOND, "Read the full story on Caixin Global later today.", "Contact reporter Wang Jing (")
    full = write(tmp_path / "p2.txt", BYLINE.format("Denise Jia and Wang Jing"), LEAD.replace("’", "'"), SECOND, THIRD,
                 "Contact reporter Denise Jia (", "Related: Bank of China Investors Demand Answers")
    cut = write(tmp_path / "p3.txt", OTHER, BYLINE.format("Wang Jing"), LEAD, "Bank of China Ltd. said it is")
    corpus = run([teaser, cut, full], tmp_path / "cache")
    rows = corpus.articles[corpus.articles["published_at"] == pd.Timestamp("2020-04-22T17:40:00+08:00")]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert not row["teaser"] and not row["truncated"]
    assert row["paragraphs"] == 3
    assert row["byline"] == "Denise Jia and Wang Jing"
    assert row["related"] == ["Bank of China Investors Demand Answers"]
    assert [Path(parse_source_span(s).file).name for s in row["sources"]] == ["p1.txt", "p2.txt", "p3.txt"]
    assert corpus.report.duplicates_merged == 2
    assert len(corpus.articles) == 2


def test_longest_body_wins_between_full_copies(tmp_path: Path) -> None:
    short = write(tmp_path / "a.txt", BYLINE.format("Wang Jing"), LEAD, SECOND, "Related: X Y")
    long = write(tmp_path / "b.txt", BYLINE.format("Wang Jing"), LEAD, SECOND, THIRD, "Related: X Y")
    corpus = run([short, long], tmp_path / "cache")
    assert len(corpus.articles) == 1
    assert corpus.articles.iloc[0]["paragraphs"] == 3
    assert len(corpus.articles.iloc[0]["sources"]) == 2


def test_teaser_loses_even_when_longer(tmp_path: Path) -> None:
    teaser = write(tmp_path / "a.txt", BYLINE.format("Wang Jing"), LEAD, SECOND, THIRD,
                   "Read the full story later on Caixin Global.")
    full = write(tmp_path / "b.txt", BYLINE.format("Wang Jing"), LEAD, SECOND, "Related: X Y")
    corpus = run([teaser, full], tmp_path / "cache")
    assert len(corpus.articles) == 1
    assert not corpus.articles.iloc[0]["teaser"]


def test_different_stories_of_the_same_minute_stay_apart(tmp_path: Path) -> None:
    page = write(tmp_path / "a.txt", BYLINE.format("Wang Jing"), LEAD, "Related: X Y",
                 BYLINE.format("Dave Yin"), "Huawei said its revenue grew in the first quarter of the year.", "Related: Z")
    corpus = run([page], tmp_path / "cache")
    assert len(corpus.articles) == 2
    assert corpus.report.duplicates_merged == 0


def test_same_file_twice_is_read_once(tmp_path: Path) -> None:
    corpus = run([PAGES / "latin1.txt", str(PAGES / "latin1.txt")], tmp_path / "cache")
    assert len(corpus.articles) == 2
    assert corpus.report.duplicates_merged == 0


# -- reporter names ----------------------------------------------------------------------------------


def test_reporter_aliases_from_a_toml_file(tmp_path: Path) -> None:
    toml = tmp_path / "reporters.toml"
    toml.write_text('[aliases]\n"Zhao Runhua" = ["Runhua Zhao"]\n"Tang Ziyi" = "T. Ziyi"\n\n[agencies]\nnames = ["Caixin Wire"]\n')
    reporters = load_reporters(toml)
    assert reporters.canonical("Runhua Zhao") == "Zhao Runhua"
    assert reporters.canonical("T. Ziyi") == "Tang Ziyi"
    assert "caixin wire" in reporters.agencies and "bloomberg" in reporters.agencies
    corpus = run([PAGES / "ends_mid_byline.txt"], tmp_path / "cache", reporters)
    authors = {a for lst in corpus.articles["authors"] for a in lst}
    contacts = {c for lst in corpus.articles["contacts"] for c in lst}
    assert "Zhao Runhua" in authors and "Runhua Zhao" not in authors
    assert "Zhao Runhua" in contacts and "Runhua Zhao" not in contacts
    assert corpus.report.reporter_merges == {"Runhua Zhao": "Zhao Runhua"}
    # The byline keeps what the page says; only the author list is rewritten.
    assert "Runhua Zhao" in set(corpus.articles["byline"])


def test_extra_agency_from_the_toml_file(tmp_path: Path) -> None:
    toml = tmp_path / "reporters.toml"
    toml.write_text('[agencies]\nnames = ["Caixin Wire"]\n')
    page = write(tmp_path / "p.txt", "By Caixin Wire / Apr 20, 2020 12:30 PM / China", "Text of the story.", "Related: A B")
    corpus = run([page], tmp_path / "cache", load_reporters(toml))
    row = corpus.articles.iloc[0]
    assert row["authors"] == [] and row["agency"] == "Caixin Wire"


@pytest.mark.parametrize(
    ("inputs", "winner", "loser"),
    [
        # One each: the alphabetically first spelling wins.
        (["bylines_and_sections.txt", "ends_mid_byline.txt"], "Runhua Zhao", "Zhao Runhua"),
        # The sample credits "Zhao Runhua" twice more: the more frequent spelling wins.
        (["bylines_and_sections.txt", "ends_mid_byline.txt", "SAMPLE"], "Zhao Runhua", "Runhua Zhao"),
    ],
)
def test_name_order_variants_merge_automatically(tmp_path: Path, inputs: list[str], winner: str, loser: str) -> None:
    paths = [SAMPLE if n == "SAMPLE" else PAGES / n for n in inputs]
    corpus = run(paths, tmp_path / "cache")
    authors = [a for lst in corpus.articles["authors"] for a in lst]
    assert winner in authors and loser not in authors
    assert corpus.report.reporter_merges == {loser: winner}
    contacts = {c for lst in corpus.articles["contacts"] for c in lst}
    assert loser not in contacts


def test_no_merge_when_only_one_order_occurs(tmp_path: Path) -> None:
    corpus = run([PAGES / "ends_mid_byline.txt"], tmp_path / "cache")
    assert corpus.report.reporter_merges == {}
    assert "Runhua Zhao" in {a for lst in corpus.articles["authors"] for a in lst}


@pytest.mark.parametrize(
    ("content", "line", "key"),
    [
        ('[aliases]\n"Zhao Runhua" = ["Runhua Zhao",, ]\n', 2, None),
        ('# names\n[aliases]\n"Zhao Runhua" = 3\n', 3, "Zhao Runhua"),
        ('[aliases]\n"Zhao Runhua" = ["Runhua Zhao", 7]\n', 2, "Zhao Runhua"),
        ('aliases = 5\n', 1, "aliases"),
        ('[agencies]\n\nnames = "Reuters"\n', 3, "agencies.names"),
        ('[aliases]\nZhao Runhua = ["Runhua Zhao"]\n', 2, None),
    ],
)
def test_broken_reporters_file_names_the_line(tmp_path: Path, content: str, line: int, key: str | None) -> None:
    toml = tmp_path / "reporters.toml"
    toml.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_reporters(toml)
    error = caught.value
    assert error.line == line
    assert str(error).startswith(f"{toml}:{line}")
    assert "\n" not in str(error)
    if key:
        assert error.key == key


def test_toml_error_at_end_of_file_names_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "reporters.toml"
    toml.write_text('[aliases]\n"Zhao Runhua" = ["Runhua Zhao"\n')
    with pytest.raises(ConfigError) as caught:
        load_reporters(toml)
    assert str(caught.value).startswith(str(toml))
    assert "TOML" in str(caught.value) and "\n" not in str(caught.value)


def test_missing_reporters_file_named_explicitly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_reporters(tmp_path / "nope.toml")


# -- the cache ---------------------------------------------------------------------------------------


def test_second_ingest_reads_the_cache(tmp_path: Path) -> None:
    inputs = [PAGES / "trailers.txt", PAGES / "crlf_bom.txt", SAMPLE]
    first = run(inputs, tmp_path / "cache")
    second = run(inputs, tmp_path / "cache")
    assert not first.from_cache and second.from_cache
    pd.testing.assert_frame_equal(first.articles, second.articles)
    assert second.report.to_dict() == first.report.to_dict()
    assert second.cache_warnings == []


def test_default_cache_dir_is_caixin_cache(isolated_cache: Path) -> None:
    corpus = ingest([PAGES / "latin1.txt"], reporters=NO_ALIASES, workers=1)
    assert not corpus.from_cache
    written = list(isolated_cache.rglob("state.json"))
    assert len(written) == 1
    assert ingest([PAGES / "latin1.txt"], reporters=NO_ALIASES, workers=1).from_cache


def test_no_cache_reads_and_writes_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run([PAGES / "latin1.txt"], cache, use_cache=False)
    assert not cache.exists() or not any(cache.rglob("*"))


def copy_pages(tmp_path: Path, *names: str) -> list[Path]:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    out = []
    for name in names:
        target = folder / name
        target.write_bytes((PAGES / name).read_bytes())
        out.append(target)
    return out


def test_only_a_changed_file_is_parsed_again(tmp_path: Path, count_parses: list[str]) -> None:
    files = copy_pages(tmp_path, "latin1.txt", "trailers.txt", "crlf_bom.txt")
    cache = tmp_path / "cache"
    first = run(files, cache)
    assert sorted(count_parses) == ["crlf_bom.txt", "latin1.txt", "trailers.txt"]
    count_parses.clear()

    text = files[0].read_bytes().replace(b"Luckin Coffee opened", b"Luckin Coffee has opened")
    files[0].write_bytes(text)
    second = run(files, cache)
    assert count_parses == ["latin1.txt"]
    assert not second.from_cache
    assert len(second.articles) == len(first.articles)
    bodies = second.articles["body"].tolist()
    assert any(b.startswith("Luckin Coffee has opened") for b in bodies)
    assert not any(b.startswith("Luckin Coffee opened") for b in bodies)

    count_parses.clear()
    third = run(files, cache)
    assert count_parses == [] and third.from_cache
    pd.testing.assert_frame_equal(third.articles, second.articles)


def test_touching_a_file_reuses_its_records(tmp_path: Path, count_parses: list[str]) -> None:
    files = copy_pages(tmp_path, "latin1.txt", "trailers.txt")
    cache = tmp_path / "cache"
    first = run(files, cache)
    count_parses.clear()
    stat = files[1].stat()
    os.utime(files[1], ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    second = run(files, cache)
    assert count_parses == []
    pd.testing.assert_frame_equal(first.articles, second.articles)
    assert second.report.to_dict()["pages"][1]["stories"] == EXPECTED["trailers.txt"]["stories"]
    third = run(files, cache)
    assert third.from_cache and count_parses == []


def test_adding_and_removing_a_file(tmp_path: Path, count_parses: list[str]) -> None:
    folder = tmp_path / "in"
    files = copy_pages(tmp_path, "latin1.txt")
    cache = tmp_path / "cache"
    assert len(run([folder], cache).articles) == 2
    extra = copy_pages(tmp_path, "crlf_bom.txt")[0]
    count_parses.clear()
    assert len(run([folder], cache).articles) == 5
    assert count_parses == ["crlf_bom.txt"]
    extra.unlink()
    count_parses.clear()
    corpus = run([folder], cache)
    assert len(corpus.articles) == 2 and count_parses == []
    assert files[0].exists()


def store_for(cache: Path, inputs: list[Path]) -> CacheStore:
    return CacheStore(cache / cache_key(os.fspath(i) for i in inputs))


def test_state_is_valid_after_an_ingest(tmp_path: Path) -> None:
    inputs = [PAGES / "trailers.txt", PAGES / "latin1.txt"]
    cache = tmp_path / "cache"
    corpus = run(inputs, cache)
    store = store_for(cache, inputs)
    state = store.load_state()
    assert state is not None
    assert set(state["files"]) == {str(p) for p in inputs}
    for name, entry in state["files"].items():
        assert entry["size"] == Path(name).stat().st_size
        assert len(entry["sha256"]) == 64
    assert store.articles_path(state["generation"]).is_file()
    assert all(path.is_file() for path in store.segment_paths(state)) and state["segments"]
    assert sorted(p.name for p in store.root.iterdir()) == sorted(
        [
            "state.json",
            f"articles-{state['generation']}.parquet",
            *(path.name for path in store.segment_paths(state)),
            f"text-{state['generation']}.arrow",
            *(f"{part}-{state['generation']}.parquet" for part in PARTS),
            f"bodies-{state['generation']}.npy",
            f"merge-{state['generation']}.npz",
        ]
    )
    pd.testing.assert_frame_equal(store.read_articles(state)[0], corpus.articles)
    json.loads(store.state_path.read_text())  # plain JSON


def test_second_run_leaves_one_generation(tmp_path: Path) -> None:
    files = copy_pages(tmp_path, "latin1.txt")
    cache = tmp_path / "cache"
    run(files, cache)
    files[0].write_bytes(files[0].read_bytes() + b"\nBy Mo Yelin / Aug 01, 2019 05:50 PM / Economy\n\nText.\n")
    run(files, cache)
    store = store_for(cache, files)
    state = store.load_state()
    assert state is not None
    segments = {path.name for path in store.segment_paths(state)}
    assert {p.name for p in store.root.glob("segment-*.parquet")} == segments
    parquet = sorted(p.name for p in store.root.glob("*.parquet") if p.name not in segments)
    assert len(parquet) == 1 + len(PARTS)
    assert len({name.rsplit("-", 1)[1] for name in parquet}) == 1  # of one generation


CORRUPTIONS: dict[str, Callable[[CacheStore, dict[str, Any]], None]] = {
    "state-garbage": lambda s, st: s.state_path.write_bytes(b"\x00\xffnot json"),
    "state-truncated": lambda s, st: s.state_path.write_text(s.state_path.read_text()[:40]),
    "state-wrong-shape": lambda s, st: s.state_path.write_text('["a list"]'),
    "state-missing-key": lambda s, st: s.state_path.write_text(
        json.dumps({k: v for k, v in json.loads(s.state_path.read_text()).items() if k != "summary"})
    ),
    "state-other-format": lambda s, st: s.state_path.write_text(
        json.dumps({**json.loads(s.state_path.read_text()), "format": 999})
    ),
    "files-table-missing": lambda s, st: s.part_path("files", st["generation"]).unlink(),
    "reports-garbage": lambda s, st: s.part_path("reports", st["generation"]).write_bytes(b"PAR1 garbage PAR1"),
    "articles-garbage": lambda s, st: s.articles_path(st["generation"]).write_bytes(b"PAR1 garbage PAR1"),
    "articles-empty": lambda s, st: s.articles_path(st["generation"]).write_bytes(b""),
    "articles-missing": lambda s, st: s.articles_path(st["generation"]).unlink(),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_corrupt_cache_is_rebuilt_with_a_warning(tmp_path: Path, corruption: str) -> None:
    inputs = [PAGES / "trailers.txt", PAGES / "latin1.txt"]
    cache = tmp_path / "cache"
    first = run(inputs, cache)
    store = store_for(cache, inputs)
    state = store.load_state()
    assert state is not None
    CORRUPTIONS[corruption](store, state)
    second = run(inputs, cache)
    assert not second.from_cache
    assert len(second.cache_warnings) == 1
    assert "rebuilding" in second.cache_warnings[0]
    assert "\n" not in second.cache_warnings[0]
    pd.testing.assert_frame_equal(first.articles, second.articles)
    third = run(inputs, cache)
    assert third.from_cache and third.cache_warnings == []


@pytest.mark.parametrize("target", ["records", "articles"])
def test_corrupt_parquet_with_a_changed_file(tmp_path: Path, target: str) -> None:
    files = copy_pages(tmp_path, "latin1.txt", "crlf_bom.txt")
    cache = tmp_path / "cache"
    run(files, cache)
    store = store_for(cache, files)
    state = store.load_state()
    assert state is not None
    path = store.segment_paths(state)[0] if target == "records" else store.articles_path(state["generation"])
    path.write_bytes(b"garbage")
    files[0].write_bytes(files[0].read_bytes().replace(b"Luckin Coffee opened", b"Luckin opened"))
    corpus = run(files, cache)
    assert len(corpus.articles) == 5
    assert any(b.startswith("Luckin opened") for b in corpus.articles["body"])
    # once: the articles are also read early, while the files are compared, and that failure is not
    # reported again
    assert len(corpus.cache_warnings) == 1 and "rebuilding" in corpus.cache_warnings[0]
    assert run(files, cache).from_cache


def test_changed_reporters_file_invalidates_the_cache(tmp_path: Path) -> None:
    toml = tmp_path / "reporters.toml"
    toml.write_text('[aliases]\n"Zhao Runhua" = ["Runhua Zhao"]\n')
    inputs = [PAGES / "ends_mid_byline.txt"]
    cache = tmp_path / "cache"
    run(inputs, cache, load_reporters(toml))
    assert run(inputs, cache, load_reporters(toml)).from_cache
    toml.write_text('[aliases]\n"Runhua Zhao" = ["Zhao Runhua"]\n')
    corpus = run(inputs, cache, load_reporters(toml))
    assert not corpus.from_cache
    assert "Runhua Zhao" in {a for lst in corpus.articles["authors"] for a in lst}


def test_unwritable_cache_still_loads(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    corpus = run([PAGES / "latin1.txt"], blocker)
    assert len(corpus.articles) == 2
    assert any("cache not written" in w for w in corpus.cache_warnings)
    assert all("\n" not in w for w in corpus.cache_warnings)


def test_a_bad_file_still_fails_when_read_from_the_cache(tmp_path: Path) -> None:
    binary = tmp_path / "in" / "scan.txt"
    binary.parent.mkdir()
    binary.write_bytes(b"\x89PNG\x00\x00")
    inputs = [PAGES / "latin1.txt", binary]
    first = run(inputs, tmp_path / "cache")
    second = run(inputs, tmp_path / "cache")
    for corpus in (first, second):
        assert corpus.failed
        assert len(corpus.report.errors) == 1 and str(binary) in corpus.report.errors[0]
        assert len(corpus.articles) == 2
    binary.write_text("By Mo Yelin / Aug 01, 2019 05:50 PM / Economy\n\nFixed text.\n\nRelated: A B\n")
    third = run(inputs, tmp_path / "cache")
    assert not third.failed and len(third.articles) == 3


def test_touched_files_keep_the_generation_and_its_derived_files(tmp_path: Path) -> None:
    """A file whose time changed but whose content did not (a touch, a copy that kept the content) leaves
    the cache's generation, and so its index and theme memberships, as they were."""
    from core.storing.collection import open_collection

    pages = tmp_path / "pages"
    pages.mkdir()
    for name in ("a.txt", "b.txt"):
        (pages / name).write_bytes((PAGES / ("latin1.txt" if name == "a.txt" else "crlf_bom.txt")).read_bytes())
    first = open_collection([pages], cache_dir=tmp_path / "cache")
    first.prepare()
    store = CacheStore(tmp_path / "cache" / cache_key([str(pages)]))
    generation = store.load_state()["generation"]
    before = sorted(p.name for p in store.root.iterdir())
    stamp = os.stat(pages / "a.txt").st_mtime_ns + 5_000_000_000
    os.utime(pages / "a.txt", ns=(stamp, stamp))
    touched = ingest([pages], cache_dir=tmp_path / "cache")
    assert touched.from_cache
    state = store.load_state()
    assert state["generation"] == generation
    assert state["files"][str(pages / "a.txt")]["mtime_ns"] == stamp
    assert sorted(p.name for p in store.root.iterdir()) == before
    pd.testing.assert_frame_equal(touched.articles, first.articles)
    assert ingest([pages], cache_dir=tmp_path / "cache").from_cache  # and the next run reads no file


def test_the_files_are_compared_with_the_state_alike_as_columns_and_as_dicts(tmp_path: Path) -> None:
    """``_compare_files`` of a ``FileTable`` (columns) and of the same entries as a dict: the same files
    unchanged, the same to read (with the stored hash of a changed file, None for a new or missing one)."""
    import numpy as np

    from core.storing.ingest import _compare_files
    from core.storing.parts import FileTable

    files = [tmp_path / f"page_{n}.txt" for n in range(6)]
    for n, path in enumerate(files):
        path.write_text("x" * (n + 1), encoding="utf-8")
    stats = [path.stat() for path in files]
    entries = {
        str(path): {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": f"sha{n}"}
        for n, (path, stat) in enumerate(zip(files, stats, strict=True))
    }
    entries[str(files[1])]["size"] += 1  # changed size
    entries[str(files[2])]["mtime_ns"] += 1  # touched
    del entries[str(files[3])]  # new since the state
    entries[str(tmp_path / "gone.txt")] = {"size": 1, "mtime_ns": 1, "sha256": "gone"}  # removed since
    names = [str(p) for p in files] + [str(tmp_path / "missing.txt")]
    table = FileTable(
        list(entries),
        np.array([e["size"] for e in entries.values()], dtype=np.int64),
        np.array([e["mtime_ns"] for e in entries.values()], dtype=np.int64),
        [str(e["sha256"]) for e in entries.values()],
    )
    as_dicts = _compare_files(names, entries)
    assert _compare_files(names, table) == as_dicts
    unchanged, jobs, seen = as_dicts
    assert unchanged == [str(files[n]) for n in (0, 4, 5)]
    assert jobs == [(str(files[1]), "sha1"), (str(files[2]), "sha2"), (str(files[3]), None), (names[-1], None)]
    assert set(seen) == {str(p) for p in files}


def test_a_warm_ingest_reads_the_articles_while_it_compares_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored articles are read on a thread of their own, begun before the files are listed, and the
    warm start takes that read: the same frame as a read on the caller's thread."""
    import threading

    cache = tmp_path / "cache"
    first = run([SAMPLE], cache)
    events: list[str] = []
    original_read, original_names = CacheStore.read_articles, core.storing.ingest.input_names

    def read_articles(self: CacheStore, state: dict[str, Any]) -> Any:
        events.append(f"read on {threading.current_thread().name}")
        return original_read(self, state)

    def input_names(inputs: Any) -> Any:
        events.append("files listed")
        return original_names(inputs)

    monkeypatch.setattr(CacheStore, "read_articles", read_articles)
    monkeypatch.setattr(core.storing.ingest, "input_names", input_names)
    warm = run([SAMPLE], cache)
    assert warm.from_cache
    assert sorted(events) == ["files listed", "read on caixin-early-read_0"]
    pd.testing.assert_frame_equal(warm.articles, first.articles)


def _articles_files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.rglob("articles-*.parquet"))


def test_the_articles_file_is_written_early_and_a_failed_write_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new generation's articles file is written on the ingest's own thread as soon as the articles
    are final; when that write fails, the ingest still loads with a warning, the previous generation
    stays the cache's, and the next ingest writes a whole generation."""
    folder = tmp_path / "pages"
    folder.mkdir()
    for name in ("ends_mid_byline.txt", "latin1.txt"):
        (folder / name).write_bytes((PAGES / name).read_bytes())
    cache = tmp_path / "cache"
    threads: list[str] = []
    write_articles = CacheStore.write_articles

    def watched(self: CacheStore, generation: str, articles: pd.DataFrame) -> None:
        threads.append(threading.current_thread().name)
        write_articles(self, generation, articles)

    monkeypatch.setattr(CacheStore, "write_articles", watched)
    first = run([folder], cache)
    assert threads and all(name.startswith("caixin-articles") for name in threads)
    store = CacheStore(cache / cache_key([os.fspath(folder)]))
    before = store.load_state()
    assert before is not None and _articles_files(cache) == [f"articles-{before['generation']}.parquet"]

    def failing(self: CacheStore, generation: str, articles: pd.DataFrame) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(CacheStore, "write_articles", failing)
    (folder / "latin1.txt").write_bytes((PAGES / "latin1.txt").read_bytes() + b"\n")
    failed = run([folder], cache)
    assert any("cache not written" in w and "No space left" in w for w in failed.cache_warnings)
    pd.testing.assert_frame_equal(
        failed.articles[["article_id", "headline"]], first.articles[["article_id", "headline"]]
    )
    state = store.load_state()
    assert state is not None and state["generation"] == before["generation"]
    monkeypatch.setattr(CacheStore, "write_articles", write_articles)
    again = run([folder], cache)
    assert again.cache_warnings == [] and not again.from_cache
    state = store.load_state()
    assert state is not None and state["generation"] != before["generation"]
    assert _articles_files(cache) == [f"articles-{state['generation']}.parquet"]
    assert run([folder], cache).from_cache
