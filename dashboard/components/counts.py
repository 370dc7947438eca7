"""The counts the pages show, on the collection's integer codes (``core.analysing.coded``), remembered per
filter state (``View.cached``) under the labels every page uses, so a page that asks first serves the
others: ``summary`` is the header's "N stories" line too, so a page asks for it before ``header``.

Nothing here builds the filtered copy of the frame: each count reads the selection's mask. A collection
without codes (two stories with one id) is counted on the frame by ``core.analysing.analytics``, with the
same results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from components.view import Selection, View
from core.analysing import analytics, coded


def _count(
    view: View,
    label: str,
    by_codes: Callable[..., Any],
    by_frame: Callable[..., Any],
    selections: tuple[Selection, ...],
    **kwargs: Any,
) -> Any:
    codes = view.collection.coded()
    if codes is None:
        return view.cached(label, by_frame, *selections, **kwargs)
    return view.cached(label, lambda mask, **given: by_codes(codes, mask, **given), "mask", **kwargs)


def summary(view: View) -> dict[str, Any]:
    """``selection_summary``: stories, first and last day, reporters and agencies of the selection."""
    return _count(view, "summary", coded.selection_summary, analytics.selection_summary, ("frame",))  # type: ignore[no-any-return]


def timeline(view: View, freq: str) -> pd.DataFrame:
    """Stories per period (``freq``: D, W or M)."""
    return _count(  # type: ignore[no-any-return]
        view,
        "timeline",
        coded.timeline,
        lambda frame, freq: analytics.timeline(frame, freq),
        ("frame",),
        freq=freq,
    )


def reporter_counts(view: View) -> pd.DataFrame:
    """Stories per reporter, agency and the unsigned."""
    return _count(view, "reporter_counts", coded.reporter_counts, analytics.reporter_counts, ("frame",))  # type: ignore[no-any-return]


def reporter_timeline(view: View, name: str, freq: str) -> pd.DataFrame:
    """``name``'s stories per period."""
    return _count(  # type: ignore[no-any-return]
        view,
        "reporter_timeline",
        coded.reporter_timeline,
        analytics.reporter_timeline,
        ("frame",),
        name=name,
        freq=freq,
    )


def reporter_theme_matrix(view: View, top: int) -> pd.DataFrame:
    """Stories per (reporter, theme) of the ``top`` reporters."""
    return _count(  # type: ignore[no-any-return]
        view,
        "reporter_theme_matrix",
        coded.reporter_theme_matrix,
        analytics.reporter_theme_matrix,
        ("frame", "memberships"),
        top=top,
    )


def cobyline_pairs(view: View) -> pd.DataFrame:
    """Who writes with whom."""
    return _count(view, "cobyline_pairs", coded.cobyline_pairs, analytics.cobyline_pairs, ("frame",))  # type: ignore[no-any-return]


def theme_counts(view: View) -> pd.DataFrame:
    """Stories per theme, most first."""
    return _count(  # type: ignore[no-any-return]
        view,
        "theme_counts",
        coded.theme_counts,
        lambda memberships, frame: analytics.theme_counts(memberships, frame),
        ("memberships", "frame"),
    )


def copy_flags(view: View) -> dict[str, int]:
    """Teasers and truncated stories of the selection."""
    return _count(  # type: ignore[no-any-return]
        view,
        "copy_flags",
        coded.copy_flags,
        lambda frame: {name: int(frame[name].sum()) for name in ("teaser", "truncated")},
        ("frame",),
    )


def theme_cooccurrence(view: View) -> pd.DataFrame:
    """Stories carrying both of two themes, every ordered pair."""
    return _count(  # type: ignore[no-any-return]
        view,
        "theme_cooccurrence",
        coded.theme_cooccurrence,
        lambda memberships, frame: analytics.theme_cooccurrence(memberships, frame),
        ("memberships", "frame"),
    )
