"""What the app is doing, told in the page: "Updating…" while a page reruns, and a scroll to a story just
picked.

Streamlit marks its app element with ``data-test-script-state="running"`` while the script runs (the
browser tests wait on the same attribute). A small script watches it and writes "Updating…" into a
``role="status"`` live region when a run has lasted ``UPDATING_AFTER_MS`` (so screen readers announce
it and quick reruns do not flash), and empties it when the run ends. The containers of these scripts
(their ``stLayoutWrapper``, which the page's 1 rem gap would follow) are taken out of the page's flow,
so the page title is the first thing on the page, at the top. The scripts are fixed text: nothing
from a story or a URL goes into them but an id reduced to letters, digits, ``-`` and ``_``.
"""

from __future__ import annotations

import re

import streamlit as st

from components.scripts import CLOSE_KEY

UPDATING_AFTER_MS = 250
SIGN_ID = "caixin-updating"
STATUS_KEY = "caixin_status"  # the container of the page-wide scripts, out of the page's flow

_UPDATING = f"""<div id="{SIGN_ID}" class="caixin-updating" role="status" aria-live="polite"></div>
<style>
[data-testid="stLayoutWrapper"]:has(> .st-key-{STATUS_KEY}),
[data-testid="stLayoutWrapper"]:has(> .st-key-reader_scroll),
[data-testid="stLayoutWrapper"]:has(> .st-key-{CLOSE_KEY}) {{ position: absolute; width: 0; height: 0; }}
.caixin-updating {{ position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }}
.caixin-updating.on {{
  position: fixed; top: 0.6rem; left: 50%; transform: translateX(-50%); width: auto; height: auto;
  clip-path: none; z-index: 1000000; padding: 0.3rem 0.9rem; border-radius: 1rem;
  background: #1e293b; color: #ffffff; font-size: 0.95rem; box-shadow: 0 2px 6px rgba(0, 0, 0, 0.25);
}}
</style>
<script>
(() => {{
  if (window.caixinUpdating) return;
  window.caixinUpdating = true;
  let timer = null;
  const update = () => {{
    const app = document.querySelector('[data-testid="stApp"]');
    const sign = document.getElementById('{SIGN_ID}');
    if (!app || !sign) return;
    clearTimeout(timer);
    if (app.getAttribute('data-test-script-state') === 'running') {{
      timer = setTimeout(() => {{ sign.textContent = 'Updating…'; sign.classList.add('on'); }},
                         {UPDATING_AFTER_MS});
    }} else {{
      sign.textContent = '';
      sign.classList.remove('on');
    }}
  }};
  const watch = () => {{
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return setTimeout(watch, 100);
    new MutationObserver(update).observe(app, {{attributes: true, attributeFilter: ['data-test-script-state']}});
    update();
  }};
  watch();
}})();
</script>"""


def updating_sign() -> None:
    """The "Updating…" sign (a live region, shown at the top of the window while a run lasts). Draw it
    in ``st.container(key=STATUS_KEY)``, which its style takes out of the page's flow."""
    st.html(_UPDATING, unsafe_allow_javascript=True)


def scroll_to(key: str, token: str) -> None:
    """Once the run has drawn it, scroll the window to the container ``key`` (``st.container(key=...)``)
    and move the keyboard focus to it. ``token`` (the story's id) names the request: the script runs
    when an element with a new token appears, so call this only on the run after a pick."""
    safe_key = re.sub(r"[^0-9A-Za-z_-]", "", key)
    safe_token = re.sub(r"[^0-9A-Za-z_-]", "", token)
    st.html(
        f"""<span hidden data-scroll-token="{safe_token}"></span><script>
(() => {{
  let tries = 0;
  const go = () => {{
    const app = document.querySelector('[data-testid="stApp"]');
    const target = document.querySelector('.st-key-{safe_key}');
    if (target && app && app.getAttribute('data-test-script-state') !== 'running') {{
      target.setAttribute('tabindex', '-1');
      target.scrollIntoView({{block: 'start'}});
      target.focus({{preventScroll: true}});
      return;
    }}
    if (++tries < 150) setTimeout(go, 100);
  }};
  go();
}})();
</script>""",
        unsafe_allow_javascript=True,
    )
