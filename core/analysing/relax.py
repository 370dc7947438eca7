"""Ways out of an empty selection: how many stories each filter's removal would bring back, and how many
stories each term of the query matches on its own.

Used by the dashboard when the filters select no story, so the page can say which filter to remove
instead of only "no stories".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.analysing.query import parse_query, positive_terms
from core.errors import QuerySyntaxError
from core.storing.collection import Collection, Filters, select

#: Filters field -> the name the dashboard shows for it.
FILTER_NAMES = {
    "q": "Search",
    "themes": "Themes",
    "reporters": "Reporters and agencies",
    "sections": "Sections",
    "kinds": "Byline",
    "dates": "From / To",
}


@dataclass(frozen=True, slots=True)
class Relaxation:
    """Removing the filter ``field`` (a ``Filters`` field, or ``"dates"`` for both dates) would select
    ``stories`` stories."""

    field: str
    name: str
    stories: int


def _without(filters: Filters, field: str) -> Filters:
    if field == "dates":
        return replace(filters, date_from=None, date_to=None)
    if field == "q":
        return replace(filters, q="")
    if field == "themes":
        return replace(filters, themes=())
    if field == "reporters":
        return replace(filters, reporters=())
    if field == "sections":
        return replace(filters, sections=())
    return replace(filters, kinds=())


def _active(filters: Filters) -> list[str]:
    fields = [f for f in ("q", "themes", "reporters", "sections", "kinds") if getattr(filters, f)]
    if filters.date_from or filters.date_to:
        fields.append("dates")
    return fields


def relaxations(collection: Collection, filters: Filters) -> list[Relaxation]:
    """For every filter in force, the stories selected without it (most first). A query that does not
    parse counts as no query."""
    out = []
    for field in _active(filters):
        try:
            stories = int(select(collection, _without(filters, field)).sum())
        except QuerySyntaxError:
            stories = int(select(collection, _without(_without(filters, field), "q")).sum())
        out.append(Relaxation(field, FILTER_NAMES[field], stories))
    return sorted(out, key=lambda r: -r.stories)


def term_hits(collection: Collection, filters: Filters) -> list[tuple[str, int]]:
    """Each term of the query (words, phrases, prefixes; not the ``NOT`` ones) with the stories it
    matches on its own under the other filters. Empty when there is no query or it does not parse."""
    if not filters.q.strip():
        return []
    try:
        terms = positive_terms(parse_query(filters.q))
    except QuerySyntaxError:
        return []
    others = select(collection, _without(filters, "q"))
    hits = []
    for term in dict.fromkeys(str(t) for t in terms):
        hits.append((term, int((collection.index.mask(term, collection.theme_ids) & others).sum())))
    return hits
