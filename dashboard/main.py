"""caixin-dashboard's script: navigation, the shared filters bound to the URL, and data loading.

Run with ``streamlit run dashboard/app.py`` (optionally ``-- --data PATH``): that app runs this script for
every visitor and adds the streamed export route (``components.exports``). Each page file under ``views/``
holds layout only and reads the current view with ``components.view.get_view()``.

Every control that changes what a page shows is bound to a URL parameter (``components.url_state``); the
URL is written once per run, after the page, so each change is one entry in the browser's history. The
page links in the sidebar (Streamlit's own navigation is hidden) carry the filters to the next page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components import url_state
from components.access import logout_button, require_login
from components.data import REREAD_KEY, load_collection, read_only
from components.filters import NOTES_KEY, share_box, sidebar
from components.paths import names_for
from components.scripts import dates_apply_on_enter
from components.status import STATUS_KEY, updating_sign
from components.view import build_view
from components.warm import ready, settle
from core.analysing.highlight import markdown_code

HERE = Path(__file__).parent

st.set_page_config(
    page_title="Caixin Global dashboard", page_icon=str(HERE / "assets" / "icon.png"), layout="wide"
)

PAGES = [
    st.Page(HERE / "views" / "overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page(
        HERE / "views" / "timeline.py", title="Timeline", icon=":material/bar_chart:", url_path="timeline"
    ),
    st.Page(
        HERE / "views" / "reporters.py", title="Reporters", icon=":material/edit_note:", url_path="reporters"
    ),
    st.Page(HERE / "views" / "themes.py", title="Themes", icon=":material/sell:", url_path="themes"),
    st.Page(HERE / "views" / "reader.py", title="Reader", icon=":material/menu_book:", url_path="reader"),
    st.Page(HERE / "views" / "data.py", title="Data", icon=":material/folder_open:", url_path="data"),
]
# the sidebar's collapsed toggle (an unlabelled >> on a phone) says what it opens
st.html(
    """<style>
    [data-testid="stExpandSidebarButton"]::after { content: "Filters"; margin-left: 0.35rem; font-size: 0.95rem; }
    [data-testid="stExpandSidebarButton"] { width: auto; padding: 0 0.5rem; }
    </style>"""
)
with st.container(key=STATUS_KEY):  # out of the page's flow (components.status)
    updating_sign()  # "Updating…" at the top of the window while a page reruns
    dates_apply_on_enter()  # a typed date applies on Enter too
require_login()
page = st.navigation(PAGES, position="hidden")
url_state.begin()

# a re-read asked for on the last run (the Data page's button, an upload) happens here, before any page
reread = bool(st.session_state.pop(REREAD_KEY, False)) and not read_only()
collection = load_collection(force=reread)
if collection is None:  # nothing could be read: the error is on the page, the app keeps running
    logout_button()
    st.stop()
ready(collection)
filters = sidebar(collection, PAGES, collection.option_counts())
view = build_view(collection, filters)

for note in st.session_state.get(NOTES_KEY, []):
    st.warning(note, icon=":material/warning:")
if collection.book.error:
    problem = names_for(collection).text(collection.book.error)
    st.warning(f"Themes file problem: {markdown_code(problem)}", icon=":material/warning:")

url_state.write()  # the view's URL even when the page stops early (st.stop)
share_box()
logout_button()
try:
    page.run()
finally:
    view.release()
# the modules and lookups of the page's first run in this process out of the collector's way
settle(collection, page.url_path)
# what the page's own controls changed in this run (a page that calls st.stop() after drawing its own
# controls calls url_state.write() itself first: the run ends at st.stop())
url_state.write()
