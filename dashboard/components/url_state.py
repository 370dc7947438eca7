"""Controls bound to the URL: a widget's key is the name of its URL parameter.

Use one of the binders as the widget's ``key``; it puts the URL's value into ``st.session_state[name]``
when it should, and registers the parameter so that ``write()`` puts the widget's value back::

    period = st.segmented_control("Period", ["day", "week", "month"], key=choice("period", ...))
    page = st.number_input("Page", min_value=1, key=number("page", default=1))

``text``, ``choice``, ``many`` (a list, repeated parameter), ``day`` (ISO date), ``number`` and ``flag``
differ only in how the value is written in the URL and checked. Do not pass the widget a default
(``value=``, ``index=``, ``default=``): the binder sets it.

The rules, which make the browser's Back and Forward buttons work:

- The URL wins when it changed from outside: on the session's first run (a shared link), after Back or
  Forward, after a link inside the app. A value the widget cannot take is dropped with a note on the page.
- Otherwise the widget wins (the user just changed it, or a callback set ``st.session_state[name]``).
- ``write()`` (``app.py`` calls it once the page has run) rewrites the URL from every bound widget in one
  step, so each change is one entry in the browser's history; values equal to the default are left out.
- A parameter stays in the URL while its widget is not drawn (another page, a page that stopped early),
  so a page switch keeps every setting and adds one history entry (Streamlit's page change carries the
  URL's parameters; dropping some would add a second entry). Parameters no binder knows (``article``)
  are left as they are, unless ``put`` sets them for the next ``write()``. ``everywhere=True`` marks the sidebar's controls: their notes go to the top of
  the page instead of beside the widget.

Streamlit's own ``bind="query-params"`` is not used: it writes a multiselect's *labels* into the URL (the
theme filter must keep slugs; labels carry counts), it cannot report a dropped value, and parameters it
binds cannot be written by ``write()`` in the same step. Do not bind a parameter both ways.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st

from core.analysing.highlight import markdown_code

#: ``st.session_state`` keys of this module.
NOTES_KEY = "_url_notes"  # notes on values dropped from the URL; app.py shows them until the URL changes
_WRITTEN = "_url_written"  # parameter -> values this session last wrote to the URL
_BINDINGS = "_url_bindings"  # parameter -> how to write it and the page it belongs to
_LIVE = "_url_live"  # parameters bound (seeded and drawn) in this run
_PUT = "_url_put"  # parameters no binder knows (article) set for the next write(): name -> value or None

Values = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Binding:
    encode: Callable[[Any], Values]
    default: Values


def begin() -> None:
    """Start a run: forget which widgets the previous run bound, and the notes on an earlier link once
    the URL changed from outside."""
    st.session_state[_LIVE] = set()
    written: dict[str, Values] = _state(_WRITTEN, {})
    if any(changed_from_outside(name) for name in written):
        st.session_state[NOTES_KEY] = []
    _state(_BINDINGS, {})
    _state(NOTES_KEY, [])


def _state(key: str, empty: Any) -> Any:
    if key not in st.session_state:
        st.session_state[key] = empty
    return st.session_state[key]


def url_values(name: str) -> Values:
    """The values of ``name`` in the URL now (several for a repeated parameter)."""
    return tuple(v for v in st.query_params.get_all(name) if v.strip())


def changed_from_outside(name: str) -> bool:
    """True when the URL's ``name`` is not what this session last wrote (a link, Back, Forward)."""
    written: dict[str, Values] = _state(_WRITTEN, {})
    return name not in written or url_values(name) != written[name]


def _bind(
    name: str,
    decode: Callable[[Values], tuple[Any, str | None]],
    encode: Callable[[Any], Values],
    default: Any,
    everywhere: bool,
) -> str:
    """Seed ``st.session_state[name]`` from the URL when the URL should win; register the binding."""
    if name not in st.session_state or changed_from_outside(name):
        raw = url_values(name)
        value, problem = decode(raw) if raw else (default, None)
        if problem:
            note(problem, here=not everywhere)
        st.session_state[name] = value
    bindings: dict[str, _Binding] = _state(_BINDINGS, {})
    bindings[name] = _Binding(encode, encode(default))
    _state(_LIVE, set()).add(name)
    return name


def note(text: str, *, here: bool = False) -> None:
    """A note about the link: ``app.py`` shows the notes at the top of every run until the URL next
    changes from outside; ``here`` also shows it now, where the caller is (a page's own control, drawn
    after ``app.py`` showed the notes)."""
    notes: list[str] = _state(NOTES_KEY, [])
    if text not in notes:
        notes.append(text)
    if here:
        st.warning(text, icon=":material/warning:")


def _shown(values: Sequence[str]) -> str:
    return ", ".join(markdown_code(v) for v in values)


def _matcher(options: Sequence[str], aliases: Mapping[str, str] | None) -> dict[str, str]:
    """Lower-cased spelling -> option: the options themselves in any case, then the aliases."""
    valid = {str(o).lower(): str(o) for o in options}
    for alias, option in (aliases or {}).items():
        valid.setdefault(alias.lower(), option)
    return valid


def text(name: str, *, default: str = "", everywhere: bool = False) -> str:
    """A free text (``q=huawei``)."""
    return _bind(
        name,
        lambda raw: (raw[-1], None),
        lambda value: (str(value),) if value else (),
        default,
        everywhere,
    )


def choice(
    name: str,
    options: Sequence[str],
    default: str | None = None,
    *,
    aliases: Mapping[str, str] | None = None,
    words: Mapping[str, str] | None = None,
    everywhere: bool = False,
) -> str:
    """One of ``options`` (``period=month``), matched in any case; ``aliases`` map other spellings.

    ``words`` (option -> word) write an option as a shorter word in the URL (the tab "Distinctive
    terms" as ``part=terms``), and read the word back; options without a word are written as they are.
    """
    spelled = dict(words or {})
    read_back = {**{word: option for option, word in spelled.items()}, **(aliases or {})}

    def decode(raw: Values) -> tuple[Any, str | None]:
        found = _matcher(options, read_back).get(raw[-1].strip().lower())
        if found is None:
            shown = [spelled.get(o, o) for o in options]
            return default, f"Ignored {name}={markdown_code(raw[-1])} in the link: not one of {_shown(shown)}"
        return found, None

    def encode(value: Any) -> Values:
        return (spelled.get(str(value), str(value)),) if value is not None else ()

    return _bind(name, decode, encode, default, everywhere)


def many(
    name: str,
    options: Sequence[str],
    *,
    aliases: Mapping[str, str] | None = None,
    everywhere: bool = False,
) -> str:
    """Any of ``options``, repeated in the URL (``theme=huawei&theme=trade-war``)."""

    def decode(raw: Values) -> tuple[Any, str | None]:
        valid = _matcher(options, aliases)
        kept = [valid[v.strip().lower()] for v in raw if v.strip().lower() in valid]
        dropped = [v for v in raw if v.strip().lower() not in valid]
        problem = f"Ignored unknown {name} value(s) in the link: {_shown(dropped)}" if dropped else None
        return list(dict.fromkeys(kept)), problem

    return _bind(name, decode, lambda value: tuple(str(v) for v in value or ()), [], everywhere)


def day(name: str, *, everywhere: bool = False) -> str:
    """A date as ``2019-09-30`` (empty by default)."""

    def decode(raw: Values) -> tuple[Any, str | None]:
        try:
            return date.fromisoformat(raw[-1].strip()), None
        except ValueError:
            return None, f"Ignored {name}={markdown_code(raw[-1])} in the link: not a date like 2019-09-30"

    return _bind(name, decode, lambda value: (value.isoformat(),) if value else (), None, everywhere)


def number(
    name: str, *, default: int = 1, low: int = 1, high: int | None = None, everywhere: bool = False
) -> str:
    """A whole number from ``low`` to ``high`` (``page=3``); out of range, it is brought inside."""

    def decode(raw: Values) -> tuple[Any, str | None]:
        try:
            value = int(raw[-1].strip())
        except ValueError:
            return default, f"Ignored {name}={markdown_code(raw[-1])} in the link: not a whole number"
        return max(low, value if high is None else min(high, value)), None

    return _bind(
        name, decode, lambda value: (str(int(value)),) if value is not None else (), default, everywhere
    )


def flag(name: str, *, default: bool = False, everywhere: bool = False) -> str:
    """On or off (``listings=1``, ``export_body=0``); only the value other than ``default`` is written."""

    def decode(raw: Values) -> tuple[Any, str | None]:
        word = raw[-1].strip().lower()
        if word in ("1", "true", "yes", "on"):
            return True, None
        if word in ("0", "false", "no", "off"):
            return False, None
        return default, f"Ignored {name}={markdown_code(raw[-1])} in the link: use {name}=1 or {name}=0"

    return _bind(name, decode, lambda value: ("1",) if value else ("0",), default, everywhere)


def put(name: str, value: str | None) -> None:
    """Set (or, with None, remove) a parameter no binder knows, such as ``article``, in the next
    ``write()``: together with the bound widgets' values, so that opening a story and turning the table
    to its page is one history entry, not two. Safe in a widget callback."""
    _state(_PUT, {})[name] = value


def current(name: str) -> str | None:
    """The value ``name`` has in the URL after the next ``write()`` (``put`` or the URL's own)."""
    put_values: dict[str, str | None] = _state(_PUT, {})
    if name in put_values:
        return put_values[name]
    return st.query_params.get(name)


def _wanted() -> dict[str, Values]:
    """The URL parameters as they should be now, in the URL's order, then new ones.

    A parameter bound in this run takes its widget's value. One bound in an earlier run takes its
    widget's value too, unless the URL changed it from outside (the page seeds the widget from the URL
    when it draws it) or the widget is gone (not drawn on this page); then the URL's value stays. One no
    binder knows (``article``) stays. Default values are left out.
    """
    bindings: dict[str, _Binding] = _state(_BINDINGS, {})
    live: set[str] = _state(_LIVE, set())
    put_values: dict[str, str | None] = _state(_PUT, {})
    wanted: dict[str, Values] = {}
    names = [*st.query_params, *(n for n in [*bindings, *put_values] if n not in st.query_params)]
    for name in dict.fromkeys(names):
        binding = bindings.get(name)
        if binding is None and name in put_values:
            value = (put_values[name],) if put_values[name] else ()
        elif binding is None:
            value = tuple(st.query_params.get_all(name))
        elif name in live or (name in st.session_state and not changed_from_outside(name)):
            value = binding.encode(st.session_state.get(name))
            value = () if value == binding.default else value
        else:
            value = url_values(name)
        if value:
            wanted[name] = value
    return wanted


def carried() -> dict[str, str | list[str]]:
    """The parameters a link to another page carries: all of them (the filters, ``article``, every
    page's settings), as the URL will have them after this run."""
    return _as_query(_wanted())


def _as_query(params: Mapping[str, Values]) -> dict[str, str | list[str]]:
    return {k: (list(v) if len(v) > 1 else v[0]) for k, v in params.items()}


def query() -> dict[str, str | list[str]]:
    """The URL parameters of the current view (as ``write()`` leaves them)."""
    return _as_query(_wanted())


def write() -> None:
    """Rewrite the URL from the bound widgets in one step (one history entry), when it differs.

    ``app.py`` calls it before the page runs (so a page that stops early, ``st.stop()``, still has the
    URL of its view) and again after (for what the page's own controls changed in this run)."""
    wanted = _wanted()
    live: set[str] = _state(_LIVE, set())
    # a parameter the URL changed and no widget has taken up yet stays "changed from outside"
    bindings: dict[str, _Binding] = _state(_BINDINGS, {})
    pending = {name for name in bindings if name not in live and changed_from_outside(name)}
    in_url = {name: tuple(st.query_params.get_all(name)) for name in st.query_params}
    if wanted != in_url:
        st.query_params.from_dict(_as_query(wanted))
    st.session_state[_PUT] = {}
    written: dict[str, Values] = _state(_WRITTEN, {})
    for name in bindings:
        if name not in pending:
            written[name] = wanted.get(name, ())
