"""The ``caixin`` command: a thin layer over the library.

Exit codes: 0 when every input was read, 1 when some input failed (the others were still processed) or a
file the command needs is broken, 2 for usage errors (bad options, an ``--out`` that cannot be written, a
query that does not parse). Nothing a user can cause prints a traceback: library errors become one line on
stderr. ``--out`` is checked before any input is read and written whole or not at all (``Output``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from core.analysing import export
from core.analysing.export import story_count
from core.analysing.themes import themes_of
from core.config import load_reporters
from core.errors import CaixinError, QuerySyntaxError
from core.storing.collection import Collection, Filters, open_collection, select
from core.storing.ingest import Corpus, Progress, cache_write_problem, ingest
from core.storing.search import query_hits

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2


class UsageError(CaixinError):
    """Options that do not fit together."""


def megabytes(size: int) -> str:
    """Bytes as megabytes with one decimal, for progress lines: ``12.3``."""
    return f"{size / 1_000_000:,.1f}"


def _progress_bar(stream: TextIO) -> Progress | None:
    """A one-line progress bar on ``stream`` when it is a terminal."""
    if not stream.isatty():
        return None

    def show(done: int, total: int, path: str) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        name = path if len(path) <= 40 else "…" + path[-39:]
        amount = f"{megabytes(done)}/{megabytes(total)} MB"
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {amount} {name:<40}")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def load(args: argparse.Namespace) -> Corpus:
    """Ingest the command's PATHs with its cache options; prints cache warnings and input errors."""
    reporters = load_reporters(Path(args.reporters) if args.reporters else None)
    corpus = ingest(
        args.paths,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        reporters=reporters,
        progress=_progress_bar(sys.stderr),
        use_cache=not args.no_cache,
    )
    for warning in corpus.cache_warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in corpus.report.errors:
        print(f"error: {error}", file=sys.stderr)
    return corpus


class Output:
    """The ``--out`` file: checked, and a temporary file made beside it, before any input is read (a bad
    ``--out`` is a ``UsageError``); ``write`` puts the whole content in place with one rename, so the file
    is never half-written and an existing one is left as it was when the command fails."""

    def __init__(self, out: str) -> None:
        self.out = out
        path = Path(out)
        folder = path.parent
        if path.is_dir():
            raise UsageError(f"--out {out}: is a folder, not a file")
        if not folder.is_dir():
            what = "not a folder" if folder.exists() else "no such folder"
            raise UsageError(f"--out {out}: {what} {folder}")
        try:
            fd, self.tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as error:
            raise UsageError(f"--out {out}: cannot be written ({_reason(error)})") from None
        os.close(fd)
        self.path = path

    def discard(self) -> None:
        """Remove the temporary file (gone already once ``write`` has put it in place)."""
        Path(self.tmp).unlink(missing_ok=True)

    def write(self, data: bytes) -> None:
        """Write ``data`` to the temporary file, give it the mode the file has (or a new file gets) and
        rename it over ``--out``."""
        try:
            try:
                mode = stat.S_IMODE(self.path.stat().st_mode)
            except OSError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            with open(self.tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(self.tmp, mode)
            os.replace(self.tmp, self.path)
        except OSError as error:
            raise CaixinError(f"--out {self.out}: cannot be written ({_reason(error)})") from None


def _reason(error: OSError) -> str:
    return "permission denied" if isinstance(error, PermissionError) else str(error.strerror or error)


def write_records(frame: pd.DataFrame, fmt: str, out: Output | None) -> None:
    """Write article rows as jsonl, csv or parquet to ``out`` (stdout for the text formats)."""
    if fmt == "parquet":
        if out is None:
            raise UsageError("--format parquet needs --out FILE")
        out.write(export.to_parquet(frame))
        return
    text = export.to_jsonl(frame) if fmt == "jsonl" else export.to_csv(frame)
    if out is not None:
        out.write(text.encode("utf-8"))
    else:
        sys.stdout.write(text)


def write_listings(frame: pd.DataFrame, fmt: str, out: Output | None) -> None:
    """Listing entries (headline, summary, published_at, group, source, line, article_id) as jsonl, csv
    or parquet."""
    if fmt == "parquet":
        if out is None:
            raise UsageError("--format parquet needs --out FILE")
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        out.write(buffer.getvalue())
        return
    text = export.listings_to_jsonl(frame) if fmt == "jsonl" else export.listings_to_csv(frame)
    if out is not None:
        out.write(text.encode("utf-8"))
    else:
        sys.stdout.write(text)


def stats(corpus: Corpus) -> dict[str, Any]:
    """The figures ``caixin stats`` prints."""
    frame = corpus.articles
    authors = {a for lst in frame["authors"] for a in lst}
    dates = frame["published_at"].dropna()
    return {
        "articles": len(frame),
        "reporters": len(authors),
        "agencies": sorted(frame["agency"].dropna().unique().tolist()),
        "agency_articles": int(frame["agency"].notna().sum()),
        "unsigned_articles": int(((frame["byline"] == "") & frame["agency"].isna()).sum()),
        "date_range": [dates.min().isoformat(), dates.max().isoformat()] if len(dates) else None,
        "sections": {str(k): int(v) for k, v in frame["section"].value_counts().sort_index().items()},
        "teasers": int(frame["teaser"].sum()),
        "truncated": int(frame["truncated"].sum()),
        "duplicates_merged": corpus.report.duplicates_merged,
        "reporter_merges": corpus.report.reporter_merges,
        "files": len(corpus.report.pages),
        "shapes": {page.source: page.shape for page in corpus.report.pages},
        "listing_entries": len(corpus.listings),
        "listing_entries_matched": int(corpus.listings["article_id"].notna().sum()),
        "failed_inputs": corpus.report.errors,
        "line_accounting": corpus.report.line_accounting(),
    }


def format_report(corpus: Corpus) -> str:
    """The parse report for people: per file its shape, line roles, unknown lines and warnings."""
    out: list[str] = []
    for page in corpus.report.pages:
        if page.error:
            out.append(f"{page.source}: ERROR {page.error}")
            continue
        roles = ", ".join(f"{role} {n}" for role, n in sorted(page.roles.items()) if n)
        entries = f", {page.entries} listing entries" if getattr(page, "entries", 0) else ""
        out.append(
            f"{page.source}: read as {page.shape} ({page.shape_reason}); {page.stories} stories{entries}"
        )
        out.append(f"  {page.lines} lines, {page.blank} blank; {roles or 'no non-blank lines'}")
        for number, text in page.unknown:
            out.append(f"  unknown line {number}: {text[:120]}")
        for warning in page.warnings:
            out.append(f"  warning: {warning}")
    totals = corpus.report.line_accounting()
    out.append("")
    out.append(
        f"{totals['files']:,} {'file' if totals['files'] == 1 else 'files'}, {totals['lines']} lines ({totals['nonblank']} non-blank), "
        f"{story_count(len(corpus.articles))} after merging {corpus.report.duplicates_merged} duplicate copies, "
        f"{totals['unknown']} unknown lines, {len(corpus.report.errors)} failed inputs"
    )
    for variant, canonical in sorted(corpus.report.reporter_merges.items()):
        out.append(f"reporter name merged: {variant} -> {canonical}")
    return "\n".join(out) + "\n"


def cmd_parse(args: argparse.Namespace) -> int:
    if args.format == "parquet" and not args.out:
        raise UsageError("--format parquet needs --out FILE")
    out = Output(args.out) if args.out else None
    try:
        corpus = load(args)
        if args.listings:
            write_listings(corpus.listings, args.format, out)
        else:
            write_records(corpus.articles, args.format, out)
    finally:
        if out is not None:
            out.discard()
    return EXIT_INPUT if corpus.failed else EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    corpus = load(args)
    print(json.dumps(stats(corpus), ensure_ascii=False, indent=2))
    return EXIT_INPUT if corpus.failed else EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    corpus = load(args)
    sys.stdout.write(format_report(corpus))
    return EXIT_INPUT if corpus.failed else EXIT_OK


def _open(args: argparse.Namespace) -> Collection:
    collection = open_collection(
        args.paths,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        themes_file=Path(args.themes) if args.themes else None,
        progress=_progress_bar(sys.stderr),
        use_cache=not args.no_cache,
    )
    for warning in collection.corpus.cache_warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in collection.corpus.report.errors:
        print(f"error: {error}", file=sys.stderr)
    if collection.book.error:  # at the first load there are no "last good themes" to fall back on
        raise CaixinError(collection.book.error.removesuffix("; using the last good themes"))
    return collection


def _cluster_options(args: argparse.Namespace) -> tuple[str | None, int | None]:
    """The scheduler address or the number of local workers ``caixin ingest`` parses on (neither: in this
    process, as every other command). ``CAIXIN_DASK_SCHEDULER`` stands for a ``--scheduler`` not given."""
    if args.scheduler and args.workers:
        raise UsageError("--scheduler and --workers cannot be given together")
    if args.workers:
        return None, int(args.workers)
    from_env = os.environ.get("CAIXIN_DASK_SCHEDULER", "").strip()
    return (args.scheduler or from_env or None), None


def cmd_ingest(args: argparse.Namespace) -> int:
    """Build the cache of PATHs (records, search index, theme memberships, derived files) without starting
    the dashboard; the parsing on a Dask cluster with ``--scheduler`` or ``--workers``."""
    scheduler, workers = _cluster_options(args)
    started = time.perf_counter()
    cache_dir = Path(args.cache_dir) if args.cache_dir else None
    progress = _progress_bar(sys.stderr)
    themes = Path(args.themes) if args.themes else None
    # a cache that cannot be written (a read-only folder) is said at once, before any page is read: the
    # command exists to write it
    problem = cache_write_problem(args.paths, cache_dir)
    if problem:
        raise CaixinError(f"{problem}: the cache cannot be written; nothing ingested")
    # one ingest, then the index, theme memberships and derived files beside the cache, as a server makes
    # them (the index's update reads a changed story's old text from the generation this ingest changed)
    if scheduler is not None or workers is not None:
        from core.storing.cluster import dask_parser  # Dask is imported only when a cluster is asked for

        with dask_parser(scheduler=scheduler, workers=workers) as parser:
            collection = open_collection(
                args.paths, cache_dir=cache_dir, themes_file=themes, progress=progress, parse_chunks=parser
            )
            where = (
                f" (parsed on a local Dask cluster of {workers} workers)"
                if workers
                else f" (parsed on Dask scheduler {parser.address}, {parser.workers} workers)"
            )
    else:
        collection = open_collection(args.paths, cache_dir=cache_dir, themes_file=themes, progress=progress)
        where = ""
    corpus = collection.corpus
    for warning in corpus.cache_warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in corpus.report.errors:
        print(f"error: {error}", file=sys.stderr)
    if collection.book.error:
        raise CaixinError(collection.book.error.removesuffix("; using the last good themes"))
    if corpus.generation is not None:
        collection.prepare()
    stories, files = len(corpus.articles), corpus.report.page_count
    print(
        f"{story_count(stories)} from {files:,} {'file' if files == 1 else 'files'} "
        f"in {time.perf_counter() - started:.1f} s{where}"
    )
    return EXIT_INPUT if corpus.failed else EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    collection = _open(args)
    mask = select(collection, Filters(q=args.query))
    found = collection.articles[mask]
    themes = themes_of(collection.memberships)
    rows = []
    for row in found.head(args.limit).to_dict("records"):
        hits = query_hits(row, args.query)
        rows.append(
            {
                "article_id": row["article_id"],
                "published_at": row["published_at"].isoformat() if pd.notna(row["published_at"]) else None,
                "headline": row["headline"],
                "byline": row["byline"],
                "section": row["section"],
                "themes": themes.get(row["article_id"], []),
                "hits": [
                    {"field": h.field, "start": h.start, "end": h.end, "term": h.term, "snippet": h.snippet}
                    for h in hits
                ],
            }
        )
    if args.format == "jsonl":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        print(
            f"{story_count(len(found))} match{'es' if len(found) == 1 else ''} {args.query!r}"
            + (f" (showing {args.limit})" if len(found) > args.limit else "")
        )
        for row in rows:
            when = (row["published_at"] or "undated")[:16].replace("T", " ")
            print(f"\n{when}  {row['headline']}  [{row['byline'] or 'unsigned'}]  {row['article_id']}")
            for hit in row["hits"][:3]:
                print(f"    {hit['snippet']}")
    return EXIT_INPUT if collection.corpus.failed else EXIT_OK


def cmd_themes(args: argparse.Namespace) -> int:
    collection = _open(args)
    memberships = collection.memberships
    frame = collection.articles
    total = len(frame)
    headlines = dict(zip(frame["article_id"].astype(str), frame["headline"].astype(str), strict=True))
    for theme in collection.themes:
        rows = memberships[memberships["theme"] == theme.slug]
        share = f"{100 * len(rows) / total:.1f}%" if total else "-"
        print(f"{theme.slug:<18} {story_count(len(rows)):>15} ({share})  {theme.label}")
        if args.evidence:
            for row in rows.itertuples():
                print(f"    {row.article_id}  {headlines.get(str(row.article_id), '')[:70]}")
                print(f"        {row.evidence}")
    return EXIT_INPUT if collection.corpus.failed else EXIT_OK


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "ingest": (
        cmd_ingest,
        "build the cache of PATHs without starting the dashboard (optionally parsing on a Dask cluster)",
    ),
    "parse": (cmd_parse, "write the article records of PATHs (jsonl on stdout by default)"),
    "stats": (cmd_stats, "print one JSON object of corpus figures and the line accounting"),
    "report": (cmd_report, "print the parse report: shapes, line roles, unknown lines, warnings"),
    "search": (cmd_search, "print the stories matching QUERY (docs/query-syntax.md) with snippets"),
    "themes": (cmd_themes, "print per-theme story counts; --evidence adds the matched terms per story"),
}


def whole_number(text: str) -> int:
    """An argparse type: a whole number of 0 or more (``--limit``)."""
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number, 0 or more, not {text!r}")
    return number


def positive_number(text: str) -> int:
    """An argparse type: a whole number of 1 or more (``--workers``)."""
    number = whole_number(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, 1 or more, not {text!r}")
    return number


def _add_input_options(parser: argparse.ArgumentParser, builds_cache: bool = False) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="page files, folders or glob patterns")
    if builds_cache:  # ``caixin ingest``: the cache the dashboard opens (its reporters file, a cache always)
        parser.add_argument(
            "--cache-dir", "--cache", help="cache folder (default: $CAIXIN_CACHE or data/cache)"
        )
        return
    parser.add_argument("--cache-dir", help="cache folder (default: $CAIXIN_CACHE or data/cache)")
    parser.add_argument("--no-cache", action="store_true", help="parse everything, read and write no cache")
    parser.add_argument("--reporters", help="reporter aliases file (default: data/reporters.toml)")


def _add_cluster_options(parser: argparse.ArgumentParser) -> None:
    cluster = parser.add_mutually_exclusive_group()
    cluster.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="parse on the Dask cluster of this scheduler, e.g. tcp://HOST:8786 (default: "
        "$CAIXIN_DASK_SCHEDULER; the pages must be in a folder every worker reads at the same path)",
    )
    cluster.add_argument(
        "--workers",
        type=positive_number,
        metavar="N",
        help="parse on a local Dask cluster of N worker processes",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caixin", description="Parse and explore saved Caixin Global pages.", allow_abbrev=False
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if name == "search":
            command.add_argument(
                "query", metavar="QUERY", help="e.g. 'huawei AND 5G NOT canada', 'author:\"Matthew Walsh\"'"
            )
        _add_input_options(command, builds_cache=name == "ingest")
        if name == "ingest":
            _add_cluster_options(command)
        if name in ("search", "themes", "ingest"):
            command.add_argument("--themes", help="themes file (default: data/themes.toml)")
        if name == "search":
            command.add_argument(
                "--format", choices=["jsonl", "table"], default="table", help="output format (default table)"
            )
            command.add_argument(
                "--limit",
                type=whole_number,
                default=50,
                metavar="N",
                help="at most this many stories (default 50; with 0 the table gives only how many match)",
            )
        if name == "themes":
            command.add_argument("--evidence", action="store_true", help="list the matched terms per story")
        if name == "parse":
            command.add_argument(
                "--format",
                choices=["jsonl", "csv", "parquet"],
                default="jsonl",
                help="output format (default jsonl; parquet needs --out)",
            )
            command.add_argument(
                "--listings",
                action="store_true",
                help="write the listing entries (listings, digests, article pages) instead of the stories",
            )
            command.add_argument(
                "--out",
                metavar="FILE",
                help="write to FILE (in a folder that exists) instead of stdout; required for parquet",
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``caixin`` console script and ``python -m core``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", None) or COMMANDS[args.command][0]
    try:
        return handler(args)
    except QuerySyntaxError as error:
        print(f"error: {error}\n{error.pointer()}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except CaixinError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except OSError as error:  # a file the command needs, failing in a way the library did not foresee
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
