"""caixin-dashboard: loads the collection through the core cache and shows the article table."""

from __future__ import annotations

import os

import streamlit as st

from core.ingest import ingest

st.set_page_config(page_title="Caixin Global dashboard", layout="wide")

DATA = os.environ.get("CAIXIN_DATA", "data/pages").split(os.pathsep)


@st.cache_resource(show_spinner="Reading saved pages…")
def load_corpus(paths: tuple[str, ...]):  # type: ignore[no-untyped-def]
    return ingest(list(paths))


corpus = load_corpus(tuple(DATA))
for error in corpus.report.errors:
    st.error(error)
st.title("Caixin Global archive")
st.caption(f"{len(corpus.articles)} articles")
st.dataframe(
    corpus.articles[["published_at", "headline", "byline", "agency", "section", "teaser", "truncated"]],
    hide_index=True,
)
