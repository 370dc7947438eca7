"""Data: upload saved pages, export the filtered stories, and the parse report of the whole collection."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from components.data import inputs, load_collection, read_only, upload_dir
from components.paging import paged_table, pager
from components.view import get_view, header, remember
from core import export
from core.errors import CaixinError
from core.uploads import save_upload

TABLE_ROWS = 200  # rows of a report table sent at a time
WARNING_LINES = 200

view = get_view()
collection = view.collection
corpus = collection.corpus
header(view, "Data")

st.subheader("Export the selected stories", anchor=False)
stamp = datetime.now().strftime("%Y%m%d-%H%M")
st.caption(f"{view.count:,} stories with every field of the record (docs/cli.md lists them).")
cols = st.columns(4)
# the exports are built only when a button is clicked (and the selection's copy with them)
cols[0].download_button(
    "CSV", lambda: export.to_csv(view.frame), f"caixin-{stamp}.csv", "text/csv", width="stretch"
)
cols[1].download_button(
    "JSON Lines",
    lambda: export.to_jsonl(view.frame),
    f"caixin-{stamp}.jsonl",
    "application/x-ndjson",
    width="stretch",
)
cols[2].download_button(
    "JSON", lambda: export.to_json(view.frame), f"caixin-{stamp}.json", "application/json", width="stretch"
)
cols[3].download_button(
    "Parquet",
    lambda: export.to_parquet(view.frame),
    f"caixin-{stamp}.parquet",
    "application/vnd.apache.parquet",
    width="stretch",
)

st.subheader("Add saved pages", anchor=False)
if read_only():
    st.info("This dashboard is hosted read-only: uploads and changes to the collection are turned off.")
else:
    limit = st.get_option("server.maxUploadSize")
    files = st.file_uploader(
        f"Saved Caixin Global pages (.txt, .html, .htm; at most {limit} MB each)",
        type=["txt", "html", "htm"],
        accept_multiple_files=True,
        key="uploads",
    )
    if files and st.button("Add to the collection", type="primary"):
        bar = st.progress(0.0, text="Reading uploads…")
        rows = []
        for number, upload in enumerate(files, start=1):
            try:
                saved, report = save_upload(upload.name, upload.getvalue(), upload_dir())
                rows.append(
                    {
                        "file": upload.name,
                        "saved as": saved.name,
                        "stories": report.stories,
                        "unknown lines": report.roles.get("unknown", 0),
                        "problem": "; ".join(report.warnings),
                    }
                )
            except CaixinError as error:
                rows.append(
                    {
                        "file": upload.name,
                        "saved as": "",
                        "stories": 0,
                        "unknown lines": 0,
                        "problem": str(error),
                    }
                )
            bar.progress(number / len(files), text=f"{number}/{len(files)} · {upload.name}")
        bar.empty()
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        load_collection(force=True)
        st.success("Uploads added. The collection was re-read; the figures on every page now include them.")

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
    return pd.DataFrame(
        [
            {
                "file": page.source,
                "shape": page.shape,
                "stories": page.stories,
                "lines": page.lines,
                "unknown": page.roles.get("unknown", 0),
                "warnings": len(page.warnings),
                "error": page.error or "",
            }
            for page in corpus.report.pages
        ],
        columns=["file", "shape", "stories", "lines", "unknown", "warnings", "error"],
    )


REPORT_HINT = "`caixin report` on the command line lists them all."
pages = remember(collection, "report_pages", report_pages)
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
unknown = remember(
    collection,
    "unknown_lines",
    lambda: pd.DataFrame(corpus.report.unknown_lines(), columns=["source", "line", "text"]),
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
        st.text("\n".join(warnings[start:stop]))
if corpus.report.reporter_merges:
    with st.expander("Reporter names merged"):
        st.dataframe(
            pd.DataFrame(sorted(corpus.report.reporter_merges.items()), columns=["variant", "merged into"]),
            hide_index=True,
        )
st.caption("Data read from: " + " · ".join(inputs()))
if not read_only():
    st.button(
        "Re-read the data files",
        on_click=load_collection,
        kwargs={"force": True},
        help="Picks up files added, changed or removed since the server started.",
    )
