"""Two small browser scripts for what Streamlit 1.67 has no API for: a typed date applies on Enter, and
on a narrow screen the sidebar closes after a filter changed.

Streamlit's date input applies a typed date when the field loses the focus or its calendar closes, not
on Enter. ``dates_apply_on_enter`` listens for Enter in a date field and does what a click beside the
field does: it closes the calendar (a ``pointerdown`` outside it, the event Streamlit's popover listens
for) and takes the focus out of the field; Streamlit then applies the date as it does on a click.

On a screen up to ``OVERLAY_MAX_PX`` wide the sidebar lies over the page, and Streamlit closes it only
after a page link. ``close_sidebar_on_phone`` (drawn by the sidebar on the run after a filter changed)
clicks the sidebar's own "Collapse sidebar" button there when the sidebar is open (after taking the focus
out of the field, so that no list of options is left open over the page); wider screens keep it.

The scripts are fixed text: nothing from a story, a URL or a user goes into them but a run counter.
"""

from __future__ import annotations

import streamlit as st

#: Streamlit shows the sidebar over the page below this width (its "md" breakpoint).
OVERLAY_MAX_PX = 767
CLOSE_KEY = "caixin_sidebar_close"

_DATES_ON_ENTER = """<script>
(() => {
  if (window.caixinDatesOnEnter) return;
  window.caixinDatesOnEnter = true;
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.isComposing || !(event.target instanceof Element)) return;
    const field = event.target.closest('[data-testid="stDateInputField"]');
    if (!field) return;
    event.preventDefault();
    document.body.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true, cancelable: true}));
    requestAnimationFrame(() => {
      if (field.contains(document.activeElement)) document.activeElement.blur();
    });
  }, true);
})();
</script>"""


def dates_apply_on_enter() -> None:
    """Install the Enter handler of the date inputs (once per browser tab; draw it on every run)."""
    st.html(_DATES_ON_ENTER, unsafe_allow_javascript=True)


def close_sidebar_on_phone(run: int) -> None:
    """On a narrow screen, close the sidebar if it is open. ``run`` (a counter) makes each request a new
    element, so the script runs once per request."""
    st.html(
        f"""<span hidden data-close-run="{int(run)}"></span><script>
(() => {{
  if (!window.matchMedia('(max-width: {OVERLAY_MAX_PX}px)').matches) return;
  let tries = 0;
  const close = () => {{
    const sidebar = document.querySelector('[data-testid="stSidebar"]');
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (sidebar && button) {{
      if (sidebar.getAttribute('data-collapsed') === 'true') return;
      // a list left open (the themes' options) would float over the page: the field lets go first
      if (sidebar.contains(document.activeElement)) document.activeElement.blur();
      button.click();
      return;
    }}
    if (++tries < 50) setTimeout(close, 100);
  }};
  close();
}})();
</script>""",
        unsafe_allow_javascript=True,
    )
