"""Two themes or queries side by side (Media Cloud's comparison): counts and share over time on one scale,
their overlap, top reporters and distinctive terms per side.

``side_mask`` turns what a user typed into the stories it selects (``theme:huawei`` or any query, within
the current filters); ``compare`` computes every part from the two masks. Pure functions over the article
frame; the dashboard only draws the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysing.analytics import _periods, reporter_counts
from core.analysing.terms import compare_terms
from core.storing.search import SearchIndex, ThemeLookup

__all__ = ["SIDES", "Comparison", "compare", "side_mask"]

SIDES = ("A", "B")
OVERLAP_PARTS = ("A only", "both", "B only")


def side_mask(
    index: SearchIndex, query: str, within: np.ndarray, themes: ThemeLookup | None = None
) -> np.ndarray:
    """The stories of ``index.frame`` that ``query`` selects inside ``within`` (a boolean mask): a theme is
    written ``theme:<slug>``. An empty query selects nothing. Raises ``QuerySyntaxError`` (with the
    position) for a query that does not parse or a ``theme:`` that names no theme."""
    if not query.strip():
        return np.zeros(len(index.frame), dtype=bool)
    found: np.ndarray = index.mask(query, themes) & within
    return found


@dataclass(frozen=True, slots=True)
class Comparison:
    """Everything the comparison view shows.

    ``counts``: stories per side. ``empty``: the sides with no story (in order). ``over_time``: columns
    ``period_start`` (tz-naive midnight), ``side``, ``stories`` and ``share`` (of all stories of the
    selection in that period, 0..1), every period from the first to the last dated story of the selection
    for both sides (0 where a side has none). ``overlap``: ``part`` (A only, both, B only) and ``stories``.
    ``reporters``: ``side``, ``name``, ``kind``, ``stories``, the top reporters, agencies or "Unsigned" of
    each side. ``terms``: ``core.analysing.terms.compare_terms`` (empty when a side is empty).
    """

    counts: dict[str, int]
    empty: tuple[str, ...]
    over_time: pd.DataFrame
    overlap: pd.DataFrame
    reporters: pd.DataFrame
    terms: pd.DataFrame


def compare(
    frame: pd.DataFrame,
    within: np.ndarray,
    mask_a: np.ndarray,
    mask_b: np.ndarray,
    *,
    freq: str = "M",
    top_reporters: int = 10,
    top_terms: int = 15,
) -> Comparison:
    """Compare the stories of ``mask_a`` and ``mask_b`` (boolean masks over ``frame``, inside ``within``,
    the current selection) by period ``freq`` (``"D"``, ``"W"`` or ``"M"``). Undated stories count in
    ``counts``, ``overlap``, ``reporters`` and ``terms`` but in no period."""
    masks = {"A": np.asarray(mask_a, dtype=bool), "B": np.asarray(mask_b, dtype=bool)}
    base = np.asarray(within, dtype=bool)
    counts = {side: int(mask.sum()) for side, mask in masks.items()}
    empty = tuple(side for side in SIDES if not counts[side])

    selected = frame[base]
    periods, number = _periods(selected, freq)
    per_period = np.bincount(number[number >= 0], minlength=len(periods))
    parts = []
    for side, mask in masks.items():
        inside = mask[base] & (number >= 0)
        stories = np.bincount(number[inside], minlength=len(periods))
        share = np.divide(stories, per_period, out=np.zeros(len(periods)), where=per_period > 0)
        parts.append(
            pd.DataFrame(
                {
                    "period_start": periods.astype("datetime64[ns]"),
                    "side": side,
                    "stories": stories.astype("int64"),
                    "share": share,
                }
            )
        )
    over_time = pd.concat(parts, ignore_index=True).astype({"side": "string"})

    a, b = masks["A"], masks["B"]
    overlap = pd.DataFrame(
        {
            "part": pd.array(OVERLAP_PARTS, dtype="string"),
            "stories": np.array([(a & ~b).sum(), (a & b).sum(), (~a & b).sum()], dtype="int64"),
        }
    )

    reporters = pd.concat(
        [reporter_counts(frame[mask]).head(top_reporters).assign(side=side) for side, mask in masks.items()],
        ignore_index=True,
    ).rename(columns={"articles": "stories"})
    reporters = reporters.astype({"side": "string"})[["side", "name", "kind", "stories"]]

    terms = compare_terms(frame, a, b, top=top_terms)
    return Comparison(counts, empty, over_time, overlap, reporters, terms)
