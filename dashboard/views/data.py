"""Data: upload saved pages, export the filtered stories, and the parse report of the whole collection."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import numpy as np
import pandas as pd
import streamlit as st

from components import counts, exports, url_state
from components.data import ask_reread, export_limit, read_only, upload_dir
from components.paging import paged_table, pager
from components.paths import names_for
from components.routes import ROUTE, route_served
from components.view import get_view, header, remember
from core.analysing import export
from core.analysing.highlight import markdown_code
from core.analysing.ranking import relevance_terms
from core.reading.files import PAGE_SUFFIXES
from core.reading.uploads import UploadResult, add_uploads

TABLE_ROWS = 200  # rows of a report table sent at a time
WARNING_LINES = 200
RESULTS_KEY = "_upload_results"  # what the last upload did, shown on the run after it
UPLOADER_KEY = "_uploader_generation"


def show_upload_results(results: list[UploadResult] | None, sources: Callable[[], Iterable[str]]) -> None:
    """Which files were added, which were there already and which were refused, each with its reason.
    ``sources()`` are the files the collection in use was read from (to say whether it holds the new ones:
    asked only when there are results)."""
    if not results:
        return
    read = set(sources())
    added = [r for r in results if r.status == "added"]
    same = [r for r in results if r.status == "unchanged"]
    if added:
        stories = sum(r.stories for r in added)
        included = all(str(upload_dir() / str(r.saved_as)) in read for r in added)
        st.success(
            f"Added {len(added):,} file{'s' if len(added) != 1 else ''} ({stories:,} stories): "
            + ", ".join(markdown_code(r.name) for r in added)
            + (
                ". The collection was read again; the figures on every page include them."
                if included
                else ". They are saved; the collection will include them once it can be read again."
            ),
            icon=":material/check_circle:",
        )
    if same:
        st.info(
            "Already in the collection (the same file was added before): "
            + ", ".join(markdown_code(r.name) for r in same),
            icon=":material/info:",
        )
    for refused in (r for r in results if r.status == "refused"):
        st.error(f"Not added: {markdown_code(refused.name)} — {refused.problem}", icon=":material/block:")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "file": r.name,
                    "result": r.status,
                    "saved as": r.saved_as or "",
                    "stories": r.stories,
                    "unknown lines": r.unknown,
                    "problem": r.problem,
                }
                for r in results
            ]
        ),
        hide_index=True,
        width="stretch",
    )


view = get_view()
collection = view.collection
corpus = collection.corpus
names = names_for(collection)
counts.summary(view)  # the header's line, counted on the codes (no filtered copy of the frame)
header(view, "Data")
stamp = datetime.now().strftime("%Y%m%d-%H%M")

st.subheader("Export the selected stories", anchor=False)
fmt = st.segmented_control(  # a row of its own: in a column its four choices were cut off on a laptop
    "Format",
    list(export.FORMATS),
    required=True,
    key=url_state.choice("export", list(export.FORMATS), "csv"),
    help="csv: one row per story, lists joined with '; '. jsonl: one JSON record per line. json: one "
    "array. parquet: lists stay lists and times keep their zone. docs/export.md lists every column.",
)
fmt = fmt or "csv"
options = st.columns(2)
with_body = options[0].toggle(
    "Full text of each story",
    key=url_state.flag("export_body", default=True),
    help="Off: every field but the story text (body), a file a fraction of the size.",
)
with_research = options[1].toggle(
    "Themes, matched terms and a snippet",
    key=url_state.flag("export_research", default=True),
    help="themes: the slugs of the story's themes; matched_terms: the terms that matched each theme and how often; "
    "snippet: the text around the first hit of the search or theme terms (the opening when none).",
)
filtered_themes = [t for t in collection.themes if t.slug in view.filters.themes]
terms = relevance_terms(view.filters.q if view.query_error is None else "", filtered_themes)
research_names = export.RESEARCH_COLUMNS if with_research else ()


def research(members: pd.DataFrame) -> export.ResearchColumns | None:
    """The research columns of the selection (its theme memberships looked up when asked, not per run)."""
    return export.ResearchColumns(members, terms, view.theme_labels) if with_research else None


def sampled_size(positions: np.ndarray, **_: object) -> int:
    """The export's size estimated from the stories ``export.size_sample`` picks: their text read from
    disk and their memberships looked up, not the whole selection's."""
    sampled = positions[export.size_sample(len(positions))]
    return export.estimate_size(
        collection.rows(sampled),
        fmt,
        research(exports.chunk_memberships(collection, sampled)) if with_research else None,
        body=with_body,
        prepare=names.sources,
        total=len(positions),
    )


size = view.cached(
    "export_size",
    sampled_size,
    "positions",
    fmt=fmt,
    body=with_body,
    research=with_research,
    names=names.key,
)
suffix, mime = export.FORMATS[fmt]
file_name = f"caixin-{view.count}-{'story' if view.count == 1 else 'stories'}-{stamp}.{suffix}"
label = f"Download {export.story_count(view.count)} ({fmt})"
streamed = route_served() and view.count > 0
st.caption(
    f"{export.story_count(view.count)} · about {export.file_size(size)} as {fmt} "
    f"({len(export.export_columns(research_names, with_body))} columns; sources "
    "are named relative to the data folder). "
    + (
        "The file is sent as it is built, 2,000 stories at a time: a large selection downloads for a while."
        if streamed
        else "The file is built when you click, which takes a while for a large selection."
    )
)

if streamed:
    # the server's export route sends the file a chunk at a time (components.exports): no size limit
    token = exports.ticket(
        collection,
        exports.Export(
            filters=view.filters,
            themes_key=collection.themes_key,
            fmt=fmt,
            body=with_body,
            research=with_research,
            terms=tuple(terms),
            labels=tuple(sorted(view.theme_labels.items())),
            file_name=file_name,
        ),
    )
    exports.download_link(f"{ROUTE}/{token}/{file_name}", file_name, label)
else:
    limit = export_limit()
    too_large = limit is not None and size > limit
    if too_large:
        st.warning(
            f"About {export.file_size(size)} is more than this dashboard builds in one file "
            f"({export.file_size(limit or 0)}). Narrow the filters, turn off the full text, or choose parquet "
            "(compressed). The command line writes the whole collection outside the server: `caixin parse` "
            "(docs/cli.md).",
            icon=":material/block:",
        )

    def exported() -> bytes:
        """The selection in the chosen format, built on click, a chunk of stories at a time."""
        return b"".join(
            exports.pieces(
                collection,
                view.positions,
                fmt,
                body=with_body,
                terms=terms if with_research else None,
                labels=view.theme_labels,
                names=names,
            )
        )

    st.download_button(
        label,
        exported,
        file_name,
        mime,
        icon=":material/download:",
        disabled=not view.count or too_large,
        # no rerun on click: a rerun started with the download replaces the button's deferred file, and a
        # request that reaches the server after it finds no file and downloads nothing
        on_click="ignore",
    )

st.subheader("Add saved pages", anchor=False)
if read_only():
    st.info("This dashboard is hosted read-only: uploads and changes to the collection are turned off.")
else:
    limit = st.get_option("server.maxUploadSize")
    suffixes = sorted(s.lstrip(".") for s in PAGE_SUFFIXES)
    # a new key empties the uploader once its files are added
    uploader_key = f"uploads-{st.session_state.get(UPLOADER_KEY, 0)}"
    files = st.file_uploader(
        f"Saved Caixin Global pages ({', '.join('.' + s for s in suffixes)}; at most {limit} MB each)",
        type=suffixes,
        accept_multiple_files=True,
        key=uploader_key,
    )
    if files and st.button("Add to the collection", type="primary"):
        with st.spinner("Checking and saving the uploads…"):
            # checked, parsed and stored in this session, before the re-read that swaps the collection in
            results = add_uploads(((upload.name, upload.getvalue()) for upload in files), upload_dir())
        st.session_state[RESULTS_KEY] = results
        st.session_state[UPLOADER_KEY] = st.session_state.get(UPLOADER_KEY, 0) + 1
        if any(r.status == "added" for r in results):
            ask_reread()  # the next run reads the data again, with the new pages
        st.rerun()
    show_upload_results(
        st.session_state.pop(RESULTS_KEY, None), lambda: corpus.report.page_frame()["source"].tolist()
    )

st.subheader("Parse report of the collection", anchor=False)
accounting = remember(collection, "line_accounting", corpus.report.line_accounting)
cols = st.columns(4)
cols[0].metric("Files", f"{accounting['files']:,}")
cols[1].metric(
    "Lines read", f"{accounting['nonblank']:,}", help="Non-blank lines; every one has exactly one role."
)
cols[2].metric("Unknown lines", f"{accounting['unknown']:,}")
cols[3].metric("Duplicate copies merged", f"{corpus.report.duplicates_merged:,}")
roles = pd.DataFrame([{"role": role, "lines": n} for role, n in accounting["roles"].items()])
st.dataframe(
    roles,
    hide_index=True,
    column_config={"role": "Line role", "lines": st.column_config.NumberColumn("Lines", format="%d")},
)


def report_pages() -> pd.DataFrame:
    pages = corpus.report.page_frame()
    return pd.DataFrame(
        {
            "file": [names.file(source) for source in pages["source"].tolist()],
            "shape": pages["shape"],
            "stories": pages["stories"],
            "lines": pages["lines"],
            "unknown": pages["unknown"],
            "warnings": pages["warnings"],
            "error": [names.text(error) if isinstance(error, str) else "" for error in pages["error"].tolist()],
        },
        columns=["file", "shape", "stories", "lines", "unknown", "warnings", "error"],
    )


REPORT_HINT = "`caixin report` on the command line lists them all."
pages = remember(collection, ("report_pages", names.key), report_pages)
paged_table(
    pages,
    size=TABLE_ROWS,
    key="data_files_page",
    noun="files",
    hint=REPORT_HINT,
    column_config={"file": st.column_config.TextColumn("File", width="large")},
)

listings = corpus.listings
if len(listings):
    listings = remember(
        collection,
        ("listings", names.key),
        lambda: listings.assign(source=[names.file(str(s)) for s in listings["source"]]),
    )
    matched = int(listings["article_id"].notna().sum())
    with st.expander(
        f"Listing entries ({len(listings):,}; {matched:,} matched to a story, the rest known from listings only)"
    ):
        paged_table(
            listings,
            size=TABLE_ROWS,
            key="data_listings_page",
            noun="entries",
            hint="`caixin parse --listings` writes them all.",
            column_config={
                "headline": st.column_config.TextColumn("Headline", width="large"),
                "published_at": st.column_config.DatetimeColumn("Date (Beijing)", format="YYYY-MM-DD HH:mm"),
                "article_id": st.column_config.TextColumn("Matched story"),
            },
        )


def unknown_lines() -> pd.DataFrame:
    lines = corpus.report.unknown_frame()
    return lines.assign(source=[names.file(source) for source in lines["source"].tolist()])


unknown = remember(
    collection,
    ("unknown_lines", names.key),
    unknown_lines,
)
with st.expander(f"Unknown lines ({accounting['unknown']:,})"):
    if unknown.empty:
        st.text("Every line was recognised.")
    else:
        paged_table(unknown, size=TABLE_ROWS, key="data_unknown_page", noun="lines", hint=REPORT_HINT)
warnings = corpus.report.warnings + corpus.cache_warnings
with st.expander(f"Warnings ({len(warnings):,})"):
    if not warnings:
        st.text("None.")
    else:
        start, stop = pager(
            len(warnings), size=WARNING_LINES, key="data_warnings_page", noun="warnings", hint=REPORT_HINT
        )
        st.text("\n".join(names.text(w) for w in warnings[start:stop]))
if corpus.report.reporter_merges:
    with st.expander("Reporter names merged"):
        st.dataframe(
            pd.DataFrame(sorted(corpus.report.reporter_merges.items()), columns=["variant", "merged into"]),
            hide_index=True,
        )
st.caption("Data read from: " + " · ".join(names.folders()))
if not read_only():
    st.button(
        "Re-read the data files",
        on_click=ask_reread,
        help="Picks up files added, changed or removed since the server started.",
    )
