"""The stored sums of the page reports (``state["summary"]``) after an ingest that read a few files again:
moved by the changed files' reports (``core.storing.cache.summary_moved``) they equal the sums of every
report (``summarise_reports``), the errors in the files' order."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from core.model import ROLES
from core.storing.cache import summarise_reports, summary_moved

NAMES = [f"{n}.txt" for n in "abcdefgh"]
ROLE_NAMES = [*ROLES, "a role no parser has"]

reports = st.fixed_dictionaries(
    {
        "lines": st.integers(0, 500),
        "blank": st.integers(0, 100),
        "roles": st.dictionaries(st.sampled_from(ROLE_NAMES), st.integers(1, 50), max_size=4),
        "error": st.sampled_from(["", "", "cannot be read", "not UTF-8"]),
    }
)
collections = st.dictionaries(st.sampled_from(NAMES), reports, max_size=len(NAMES))


def in_order(found: dict[str, Any]) -> dict[str, Any]:
    return {**found, "errors": list(found["errors"].items())}


@given(before=collections, after=collections, kept=st.sets(st.sampled_from(NAMES)))
def test_the_moved_summary_equals_the_sums_of_every_report(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]], kept: set[str]
) -> None:
    # the files kept as they were have their reports of before; the others of ``after`` were read now
    now = {n: before[n] if n in kept and n in before else report for n, report in after.items()}
    now.update({n: before[n] for n in kept if n in before and n not in now})
    names = sorted(now)
    stored = {n: now[n] for n in names}
    unchanged = {n for n in names if n in before and now[n] is before[n]}
    moved = summary_moved(
        summarise_reports(before),
        {n: r for n, r in before.items() if n not in unchanged},
        {n: stored[n] for n in names if n not in unchanged},
        names,
    )
    assert in_order(moved) == in_order(summarise_reports(stored))
