"""Words of the article text: tokens, stop words, distinctive terms of a selection, and mentions.

Pure functions over the article frame (``core.model.COLUMNS``). The text of a story is its headline, body
and photo caption; an inferred headline (live-feed stories, ``headline_inferred``) is a copy of the lead, so
it is left out rather than counted twice.

Distinctive terms use the log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn
2008, "Fightin' Words", section 3.5): for word w with counts y_a, y_b in the two groups (totals n_a, n_b)
and prior alpha_w = alpha0 * (corpus count of w / corpus tokens),

    delta_w = log((y_a + alpha_w) / (n_a + alpha0 - y_a - alpha_w))
            - log((y_b + alpha_w) / (n_b + alpha0 - y_b - alpha_w))
    z_w     = delta_w / sqrt(1 / (y_a + alpha_w) + 1 / (y_b + alpha_w))

so rare words are shrunk towards "not distinctive" and frequent ones need a real difference to score.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pycountry

from core.storing.frame import rows_at, take_frame_rows

__all__ = [
    "STOPWORDS",
    "TermSample",
    "article_texts",
    "compare_terms",
    "content_words",
    "distinctive_terms",
    "MENTION_KINDS",
    "mentions",
    "mentions_of_kinds",
    "sample_positions",
    "term_sample",
    "tokenize",
]

# Dotted abbreviations ("U.S."), else letters and digits of any script with inner apostrophes ("don't");
# "_" is not a word character here.
_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W_]+(?:['’][^\W_]+)*")

#: English function words plus the boilerplate of Caixin Global pages and news prose.
STOPWORDS: frozenset[str] = frozenset(
    """a about above after again against all almost along already also although always am among an and
    another any anyone anything are aren't around as at back be became because become been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't done
    down during each either else enough even ever every few for from further get gets got had hadn't has
    hasn't have haven't having he her here hers herself him himself his how however i if in into is isn't
    it it's its itself just least less let like made make many may me might more most much must my myself
    neither no nor not now of off often on once one only onto or other others otherwise our ours ourselves
    out over own per perhaps quite rather really same several shall she should shouldn't since so some
    something still such than that that's the their theirs them themselves then there there's these they
    this those though through thus to together too toward towards under until up upon us very via was
    wasn't we well were weren't what what's whatever when where whether which while who whom whose why will
    with within without won't would wouldn't yet you your yours yourself
    said says say saying told according including include includes included added also mr ms mrs
    caixin global cx photo photos vcg contact reporter editor related read full story stories share
    newsletter subscribe click www com http https html later today last first e.g. i.e.""".split()
)

_POSSESSIVE_END = re.compile(r"['’]s\b")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens of ``text``: letters and digits of any script (``5g`` and ``2019`` are kept),
    dotted abbreviations kept whole (``u.s.``), inner apostrophes kept (``don't``), a trailing possessive
    ``'s`` dropped (``china's`` -> ``china``), one-character tokens dropped.
    """
    text = _POSSESSIVE_END.sub("", text.lower()).replace("’", "'")
    return [token for token in _TOKEN.findall(text) if len(token) > 1]


def content_words(text: str) -> set[str]:
    """The distinct tokens of ``text`` that are not stop words (used to match headlines)."""
    return {t for t in tokenize(text) if t not in STOPWORDS}


def article_texts(frame: pd.DataFrame, headline: bool = True) -> pd.Series:
    """One string per row: headline (unless inferred from the lead, or ``headline=False``), body and photo
    caption, joined by newlines; index as ``frame``."""
    body = frame["body"].fillna("").astype(str)
    caption = frame["photo_caption"].fillna("").astype(str)
    if not headline:
        return body + "\n" + caption
    heads = frame["headline"].fillna("").astype(str).where(~frame["headline_inferred"].astype(bool), "")
    return heads + "\n" + body + "\n" + caption


def sample_positions(n: int, max_docs: int, seed: int = 0) -> np.ndarray:
    """Positions ``0..n-1``, or a sorted random subset of ``max_docs`` of them (same ``seed``, same subset)."""
    if n <= max_docs:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=max_docs, replace=False))


def _as_mask(frame: pd.DataFrame, mask: object) -> np.ndarray:
    """A boolean numpy mask for ``frame`` from a Series (aligned on the index) or any sequence of bools."""
    if isinstance(mask, pd.Series):
        values: np.ndarray = mask.reindex(frame.index, fill_value=False).fillna(False).to_numpy(dtype=bool)
    else:
        values = np.asarray(mask, dtype=bool)
    if values.shape != (len(frame),):
        raise ValueError(f"mask has {values.size} values for a frame of {len(frame)} rows")
    return values


def _term_counts(texts: Iterable[str]) -> pd.Series:
    """Token -> count over ``texts``, stop words left out.

    Same tokens as ``tokenize`` on each text, but fast: the lower-cased text is split at whitespace and
    counted (C speed), then each distinct chunk is tokenized once (tokens never span whitespace).
    """
    chunks = Counter("\n".join(texts).lower().split())
    counts: Counter[str] = Counter()
    for chunk, times in chunks.items():
        for token in _chunk_terms(chunk):
            counts[token] += times
    return pd.Series(counts, dtype="float64")


@lru_cache(maxsize=200_000)  # chunks repeat from one selection to the next: each is tokenized once
def _chunk_terms(chunk: str) -> tuple[str, ...]:
    """The tokens of one whitespace-free chunk of lower-cased text that are not stop words."""
    return tuple(token for token in tokenize(chunk) if token not in STOPWORDS)


def _sampled_counts(frame: pd.DataFrame, rows: np.ndarray, max_docs: int, seed: int) -> pd.Series:
    """Term counts of a sample of ``rows``; only the sampled stories' texts are built."""
    chosen = rows[sample_positions(len(rows), max_docs, seed)]
    return _term_counts(article_texts(rows_at(frame, chosen)))


def _log_odds(counts_a: pd.Series, counts_b: pd.Series, alpha0: float) -> pd.DataFrame:
    """Columns ``z``, ``count_a``, ``count_b`` over the union vocabulary (z > 0 leans to side a)."""
    vocab = counts_a.index.union(counts_b.index)
    y_a = counts_a.reindex(vocab, fill_value=0.0).to_numpy()
    y_b = counts_b.reindex(vocab, fill_value=0.0).to_numpy()
    prior = y_a + y_b
    if prior.sum() == 0:
        return pd.DataFrame({"term": [], "z": [], "count_a": [], "count_b": []})
    alpha = alpha0 * prior / prior.sum()
    n_a, n_b = y_a.sum(), y_b.sum()
    delta = np.log((y_a + alpha) / (n_a + alpha0 - y_a - alpha)) - np.log(
        (y_b + alpha) / (n_b + alpha0 - y_b - alpha)
    )
    z = delta / np.sqrt(1.0 / (y_a + alpha) + 1.0 / (y_b + alpha))
    return pd.DataFrame(
        {"term": vocab.astype(str), "z": z, "count_a": y_a.astype("int64"), "count_b": y_b.astype("int64")}
    )


def _top(scored: pd.DataFrame, column: str, top: int) -> pd.DataFrame:
    return scored[scored[column] > 0].sort_values(["z", "term"], ascending=[False, True]).head(top)


@dataclass(frozen=True, slots=True)
class TermSample:
    """A random sample of a frame's rows and their term counts, counted once (``term_sample``)."""

    rows: np.ndarray
    counts: pd.Series
    frame_rows: int


def term_sample(frame: pd.DataFrame, max_docs: int = 3000, seed: int = 1) -> TermSample:
    """``max_docs`` random rows of ``frame`` (all rows when it has fewer) and their term counts: the
    background ``distinctive_terms`` can take instead of sampling the rest of the collection again for
    every selection (a dashboard counts it once per collection)."""
    rows = sample_positions(len(frame), max_docs, seed)
    return TermSample(rows, _term_counts(article_texts(take_frame_rows(frame, rows))), len(frame))


def distinctive_terms(
    frame: pd.DataFrame,
    mask: object,
    top: int = 20,
    max_docs: int = 3000,
    seed: int = 0,
    alpha0: float = 1000.0,
    background: TermSample | None = None,
) -> pd.DataFrame:
    """The words that set the selected rows apart from the rest of the corpus.

    ``mask`` is a boolean Series aligned with ``frame`` (or a sequence of bools, one per row). Returns
    columns ``term``, ``z`` (z-score of the log-odds ratio with informative Dirichlet prior; the module
    docstring has the formula), ``count_selected``, ``count_rest``, the ``top`` terms with the highest z
    that occur in the selection, sorted by z descending then term. When nothing is selected the result is
    empty; when everything is selected the selection is compared with the whole corpus.

    For speed, at most ``max_docs`` stories of each side are read: a side with more rows is replaced by a
    random sample of ``max_docs`` of its rows drawn with ``numpy.random.default_rng(seed)``, so the same
    frame, mask and seed always give the same answer. The counts are then counts in the sample.

    ``background`` (a ``term_sample`` of this frame) stands for the rest: its rows outside the selection,
    whose counts are the sample's less those of its selected rows. The rest is then a uniform sample of
    about ``len(background.rows) * rest / rows`` stories, counted without reading them again.
    """
    selected = _as_mask(frame, mask)
    columns = ["term", "z", "count_selected", "count_rest"]
    if not selected.any():
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "z" else "int64") for c in columns}).astype(
            {"term": "string"}
        )
    rows_a = np.flatnonzero(selected)
    if selected.all():
        rest = (
            background.counts
            if background is not None
            else _sampled_counts(frame, rows_a, max_docs, seed + 1)
        )
    elif background is not None and background.frame_rows == len(frame):
        inside = background.rows[selected[background.rows]]
        rest = background.counts.sub(_term_counts(article_texts(rows_at(frame, inside))), fill_value=0.0)
        rest = rest[rest > 0]
    else:
        rest = _sampled_counts(frame, np.flatnonzero(~selected), max_docs, seed + 1)
    scored = _log_odds(_sampled_counts(frame, rows_a, max_docs, seed), rest, alpha0)
    out = _top(scored, "count_a", top).rename(columns={"count_a": "count_selected", "count_b": "count_rest"})
    return out.reset_index(drop=True).astype({"term": "string"})[columns]


def compare_terms(
    frame: pd.DataFrame,
    mask_a: object,
    mask_b: object,
    top: int = 20,
    max_docs: int = 3000,
    seed: int = 0,
    alpha0: float = 1000.0,
) -> pd.DataFrame:
    """Two selections side by side: the ``top`` words most typical of selection a against b, and of b
    against a (same statistic and sampling as ``distinctive_terms``; a row in both masks counts on both
    sides).

    Returns columns ``term``, ``z`` (strength towards its own side, > 0), ``side`` (``"a"`` or ``"b"``),
    ``count_a``, ``count_b``; side a first, each side by z descending then term. Empty if either selection
    is empty.
    """
    rows_a = np.flatnonzero(_as_mask(frame, mask_a))
    rows_b = np.flatnonzero(_as_mask(frame, mask_b))
    columns = ["term", "z", "side", "count_a", "count_b"]
    if not len(rows_a) or not len(rows_b):
        empty = {c: pd.Series(dtype="float64" if c == "z" else "int64") for c in columns}
        return pd.DataFrame(empty).astype({"term": "string", "side": "string"})
    scored = _log_odds(
        _sampled_counts(frame, rows_a, max_docs, seed),
        _sampled_counts(frame, rows_b, max_docs, seed + 1),
        alpha0,
    )
    side_a = _top(scored, "count_a", top).assign(side="a")
    flipped = scored.assign(z=-scored["z"])
    side_b = _top(flipped, "count_b", top).assign(side="b")
    out = pd.concat([side_a, side_b], ignore_index=True)
    return out.astype({"term": "string", "side": "string"})[columns]


# ------------------------------------------------------------------------------------------------ mentions

# Display names where pycountry's is an inverted list form ("Korea, Republic of") or not what news use.
_COUNTRY_DISPLAY = {
    "RU": "Russia", "TR": "Turkey", "CD": "DR Congo", "CG": "Republic of the Congo",
    "VG": "British Virgin Islands", "VI": "U.S. Virgin Islands", "CC": "Cocos Islands",
    "FK": "Falkland Islands", "VA": "Vatican City", "BN": "Brunei", "MO": "Macau", "CZ": "Czech Republic",
    "BQ": "Caribbean Netherlands", "SH": "Saint Helena", "CV": "Cape Verde", "CI": "Ivory Coast",
}  # fmt: skip
# More spellings, keyed by ISO alpha-2; names from pycountry are added automatically.
_COUNTRY_ALIASES = {
    "US": ["U.S.", "US", "USA", "U.S.A.", "America", "United States of America"],
    "GB": ["U.K.", "UK", "Britain", "Great Britain", "England", "Scotland", "Wales", "Northern Ireland"],
    "CN": ["mainland China", "Mainland China", "Chinese mainland", "People's Republic of China", "PRC"],
    "KR": ["South Korea", "Republic of Korea"], "KP": ["North Korea", "DPRK"], "RU": ["Russia"],
    "TR": ["Turkey", "Türkiye"], "CZ": ["Czechia"], "MO": ["Macao"], "CI": ["Côte d'Ivoire"],
    "AE": ["UAE", "U.A.E."], "MM": ["Burma"], "SZ": ["Swaziland"], "CV": ["Cabo Verde"],
    "CD": ["Democratic Republic of Congo", "Democratic Republic of the Congo", "DRC"],
    "NL": ["Holland"], "VA": ["Vatican", "Holy See"], "PS": ["Palestine"], "VN": ["Viet Nam"],
}  # fmt: skip
# Phrases that contain a country name but do not mean the country; matched first and then ignored.
_NOT_COUNTRIES = [
    "Latin America", "South America", "North America", "Central America", "Bank of America",
    "New Mexico", "New Jersey", "New Guinea", "South China Morning Post", "China Daily",
]  # fmt: skip


@lru_cache(maxsize=1)
def _country_table() -> dict[str, list[tuple[str, str | None]]]:
    """First word of a spelling -> [(spelling, display name or None to ignore)], longest spelling first."""
    names: dict[str, str | None] = dict.fromkeys(_NOT_COUNTRIES)
    for country in pycountry.countries:
        code = country.alpha_2
        display = _COUNTRY_DISPLAY.get(code) or getattr(country, "common_name", None) or country.name
        spellings = [display, country.name, getattr(country, "common_name", None)]
        spellings += [getattr(country, "official_name", None), *_COUNTRY_ALIASES.get(code, [])]
        for spelling in spellings:
            if not spelling or "," in spelling or "(" in spelling:
                continue
            spelling = spelling.removeprefix("the ")
            for variant in {spelling, spelling.replace("'", "’")}:
                names.setdefault(variant, display)
    table: dict[str, list[tuple[str, str | None]]] = {}
    for spelling in sorted(names, key=lambda n: (-len(n), n)):
        table.setdefault(spelling.split()[0], []).append((spelling, names[spelling]))
    return table


# Capitalised words; "U.S." keeps its dots, a sentence's full stop is stripped before the look-up.
_CAPITALISED = re.compile(r"(?<![\w.])[A-ZÀ-ÖØ-Þ][\w.]*")


def _countries_in(text: str, table: dict[str, list[tuple[str, str | None]]]) -> set[str]:
    """Display names of the countries named in ``text``: each capitalised word is looked up by first word,
    the longest spelling that follows wins and its words are not read again ("Papua New Guinea")."""
    found: set[str] = set()
    consumed = 0
    for match in _CAPITALISED.finditer(text):
        start = match.start()
        if start < consumed:
            continue
        word = match.group()
        spellings = table.get(word) or table.get(word.rstrip("."), [])
        for spelling, display in spellings:
            end = start + len(spelling)
            if text.startswith(spelling, start) and not (
                text[end : end + 1].isalnum() or text[end : end + 1] == "_"
            ):
                consumed = end
                if display:
                    found.add(display)
                break
    return found


_MONTHS_DAYS = set(
    """January February March April May June July August September October November December Jan Feb Mar
    Apr Jun Jul Aug Sep Sept Oct Nov Dec Monday Tuesday Wednesday Thursday Friday Saturday Sunday""".split()
)
# Words that begin sentences or are titles or nationalities: they split a capitalised run.
_BREAKS = _MONTHS_DAYS | set(
    """The A An In On At By For From To With As But And Or If When While After Before Since During Under
    Over This That These Those There Their Its It He She They We I His Her Our However Meanwhile Also
    According Although Despite Last Next Earlier Later Some Many Most Other Such Both Each Every All Among
    Following Related Contact Photo Read Share Incumbent Acting Former Then Now Why How What Where Who
    President Vice Premier Minister Prime Secretary Chairman Chairwoman Chair CEO CFO Chief Executive
    Director Spokesperson Spokesman Spokeswoman Senator Sen Rep Representative Governor Mayor Ambassador
    Leader Minority Majority Mr Mrs Ms Dr Professor Prof Judge King Queen Prince Pope Gen Commissioner
    Founder Head Deputy Analyst Economist Editor Reporter""".split()
)
_NATIONALITIES = set(
    """Chinese American Canadian British English Japanese Korean Russian Indian European African Asian
    French German Italian Spanish Australian Iranian Taiwanese Western Eastern Southern Northern Republican
    Democratic Communist Liberal Conservative""".split()
)
_ORG_CUES = set(
    """Ministry Bank Group Co Inc University Party Commission Council Department Agency Association
    Federation Corp Corporation Holdings Technologies Technology Institute Committee Court Administration
    Fund Organization Organisation Union League Cup Embassy Times Journal News Ltd LLC Company Bureau Office
    Authority Exchange Securities Airlines Motors Foundation Academy School Hospital Police Army Navy Forces
    Board Senate Congress Parliament House Post Daily Press Network Media Telecom Capital Partners Insurance
    Alliance Forum Reserve Nations Energy Industries Electronics Systems Club""".split()
)
# Words of place and market names: such a run is neither a person nor (by these rules) an organisation.
_PLACE_CUES = set(
    "Sea River Province City Street Island Islands Valley Lake Mountain Road District Index".split()
)
_CONNECTORS = {"of", "for", "de", "the"}
_ABBREVIATIONS = {"Co.", "Inc.", "Corp.", "Ltd.", "Jr."}
_CAP = r"[A-ZÀ-ÖØ-Þ][\w&.'’-]*"
_RUN = re.compile(rf"{_CAP}(?: (?:(?:of the|of|for|de) )?{_CAP})*")
_POSSESSIVE = re.compile(r"['’]s\b")
_ADJECTIVE = re.compile(r"-[a-z]")  # "U.S.-based", "China-hosted"


def _clean_word(word: str) -> str:
    """Drop a closing quote and a sentence-final full stop (kept in ``U.S.``, ``Co.`` and initials)."""
    word = word.rstrip("'’")
    if word.endswith(".") and word.count(".") == 1 and len(word) > 2 and word not in _ABBREVIATIONS:
        word = word[:-1]
    return word


def _name_parts(run: str) -> Iterable[list[str]]:
    """Split one capitalised run at possessives, titles, stop and month words; drop edge connectors."""
    for piece in _POSSESSIVE.split(run):
        part: list[str] = []
        for word in [*(_clean_word(w) for w in piece.split()), "The"]:
            if word.rstrip(".") not in _BREAKS and not _ADJECTIVE.search(word):
                part.append(word)
                continue
            while part and part[-1] in _CONNECTORS:
                part.pop()
            while part and part[0] in _CONNECTORS:
                part.pop(0)
            if len(part) >= 2:
                yield part
            part = []


def _classify(words: list[str], countries: set[str]) -> tuple[str, str] | None:
    """(kind, name) for a split run: organisation by cue words, person by shape; None for neither."""
    name = " ".join(words)
    if name in countries or any(w in _PLACE_CUES for w in words):
        return None
    if any(w.rstrip(".") in _ORG_CUES for w in words):
        return "organisation", name
    if any(w in countries for w in words):  # "China Mobile", "Latin America Oi": not people
        return None
    person_shaped = 2 <= len(words) <= 3 and all(
        (w[0].isupper() and (w[1:].islower() or (len(w) == 2 and w[1] == ".")))
        and w not in _NATIONALITIES
        and w not in _MONTHS_DAYS
        for w in words
    )
    return ("person", name) if person_shaped else None


def mentions(
    frame: pd.DataFrame, kind: str, top: int = 20, max_docs: int = 3000, seed: int = 0
) -> pd.DataFrame:
    """Countries, organisations or people named in the stories, by how many stories name them.

    ``kind`` is ``"country"`` (pycountry names plus common spellings: U.S./America, U.K./Britain, mainland
    China, North/South Korea, ...; "Latin America" and the like are not counted), ``"organisation"`` or
    ``"person"`` (runs of two or more capitalised words, split at possessives, titles, sentence-initial and
    month/day words; organisation when a word is a cue such as Ministry, Bank, Group, Co., University;
    person when 2-3 plain capitalised words). Text is body and photo caption (headlines are title case
    or copies of the lead). Each story counts once per name.

    Returns columns ``name``, ``articles``: the ``top`` names by articles descending, then name. At most
    ``max_docs`` stories are read: larger frames are sampled as in ``distinctive_terms`` (``seed``), and
    ``articles`` then counts stories of the sample.
    """
    if kind not in MENTION_KINDS:
        raise ValueError(f"kind must be 'country', 'organisation' or 'person', not {kind!r}")
    return mentions_of_kinds(frame, (kind,), top, max_docs, seed)[kind]


#: The kinds of names ``mentions`` finds.
MENTION_KINDS = ("country", "organisation", "person")


def mentions_of_kinds(
    frame: pd.DataFrame,
    kinds: Sequence[str] = MENTION_KINDS,
    top: int = 20,
    max_docs: int = 3000,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """``mentions`` of each of ``kinds``, the stories read and the names parsed once for all of them."""
    texts = article_texts(rows_at(frame, sample_positions(len(frame), max_docs, seed)), headline=False)
    table = _country_table()
    countries = {spelling for spellings in table.values() for spelling, _ in spellings}
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in kinds}
    names = [kind for kind in kinds if kind != "country"]
    for text in texts:
        if "country" in counts:
            counts["country"].update(n for n in _countries_in(text, table) if n)
        if names:
            found: dict[str, set[str]] = {kind: set() for kind in names}
            for run in _RUN.findall(text):
                for words in _name_parts(run):
                    named = _classify(words, countries)
                    if named and named[0] in found:
                        found[named[0]].add(named[1])
            for kind in names:
                counts[kind].update(n for n in found[kind] if n)
    out = {}
    for kind, counted in counts.items():
        rows = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        out[kind] = pd.DataFrame(rows, columns=["name", "articles"]).astype(
            {"name": "string", "articles": "int64"}
        )
    return out
