"""Who may see the dashboard: public by default; with an ``[auth]`` section in
``.streamlit/secrets.toml`` every visitor must log in through ``st.login`` (an OIDC provider)."""

from __future__ import annotations

from typing import Any

import streamlit as st


def auth_configured(secrets: Any = None) -> bool:
    """True when the secrets hold an ``[auth]`` section; no secrets file means a public app."""
    try:
        return "auth" in (secrets if secrets is not None else st.secrets)
    except Exception:  # noqa: BLE001 - a missing or unreadable secrets file is "not configured"
        return False


def require_login() -> None:
    """Stop the run with a login screen until the visitor has logged in (only when auth is configured)."""
    if not auth_configured() or st.user.get("is_logged_in"):
        return
    st.title("Caixin Global archive")
    st.write("This dashboard is private. Log in to continue.")
    st.button("Log in", on_click=st.login, type="primary")
    st.stop()


def logout_button() -> None:
    if auth_configured() and st.user.get("is_logged_in"):
        st.sidebar.button("Log out", on_click=st.logout, width="stretch")
