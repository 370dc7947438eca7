"""Nesting limits for saved HTML: a pre-pass that keeps lexbor's tree shallow, so reading a page takes time
linear in its size whatever its nesting (the docstring of ``core.parsing.html`` explains what a page past the limits reads
like). ``flatten`` is the only entry point.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from html import unescape as html_unescape

__all__ = ["BLOCKS", "MAX_DEPTH", "MAX_OPEN_FORMATTING", "flatten"]

#: Block elements: each starts a line of the reading text (``core.parsing.html``), and past the limits its
#: end tag still ends one.
BLOCKS = frozenset(
    """address article aside blockquote body caption center dd details dialog dir div dl dt fieldset
    figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup hr html li main menu ol p pre section summary
    table tbody td tfoot th thead time tr ul""".split()
)
_BLOCKS = BLOCKS

#: Nesting depth past which a tag no longer opens an element (Blink's HTML parser stops nesting at the same
#: depth). Below it the tree builder's work per tag is bounded, so reading a page is linear in its size.
MAX_DEPTH = 512
#: Formatting elements left open at once (``Noah's Ark`` counted, as the parser does) past which more do
#: not open: each following paragraph would reopen them all.
MAX_OPEN_FORMATTING = 16


# -- Nesting limits ------------------------------------------------------------------------------------------
#
# ``_flatten`` reads the tags once and follows the tree builder of the HTML standard (which lexbor
# implements): the stack of open elements, the list of active formatting elements (which the parser reopens
# after a block closed them), the adoption agency for misnested formatting, tables, foreign (SVG, MathML)
# content, the quirks mode, the form pointer. It closes an element only where the parser certainly closes
# it. Where it cannot be sure what the parser did (an unusual case it does not follow, or one that depends
# on something it does not track) it keeps the elements open and marks them *doubtful*: a doubtful element
# is never taken as the one an end tag closes, so the stack it keeps is always at least the parser's (up to
# the few elements the parser adds by itself). The depth it measures is therefore an upper bound, and the
# tags past the limits are replaced before lexbor reads the page.

#: A tag (group 1 the end tag's ``/``, 2 the name, 3 the attributes, 4 a self-closing ``/``), a comment's
#: start (group 5), or other markup the parser skips (``<!doctype ...>``, ``<?...>``, ``</ ...>``).
_TOKEN = re.compile(
    r"""<(?:(/?)([A-Za-z][^\t\n\f\r />]*+)((?:[\t\n\f\r ]++|/(?!>)|[^\t\n\f\r />][^\t\n\f\r />=]*+"""
    r"""(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:"[^"]*+"|'[^']*+'|[^\t\n\f\r >]*+))?+)*+)(/?)>|(!--)|[!?/])"""
)
#: A comment ends at ``-->``, ``--!>``, or at once for ``<!-->`` and ``<!--->``.
_COMMENT_END = re.compile(r"-?>|.*?--!?>", re.S)
_ATTRIBUTE = re.compile(
    r"""([^\t\n\f\r />][^\t\n\f\r />=]*)(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"|'([^']*)'|([^\t\n\f\r >]*)))?"""
)
_NO_QUIRKS = re.compile(
    r"""[\t\n\f\r ]*(?:<!--.*?-->[\t\n\f\r ]*)*<!doctype[\t\n\f\r ]+html[\t\n\f\r ]*"""
    r"""(?:system[\t\n\f\r ]+(?:"about:legacy-compat"|'about:legacy-compat')[\t\n\f\r ]*)?>""",
    re.I | re.A | re.S,
)
_ANY_DOCTYPE = re.compile(r"[\t\n\f\r ]*(?:<!--.*?-->[\t\n\f\r ]*)*<!doctype", re.I | re.A | re.S)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_WHITESPACE = "\t\n\f\r "

_VOID = frozenset(
    "area base basefont bgsound br col embed frame hr image img input keygen link meta param source track "
    "wbr".split()
)
#: Void elements before which the parser reopens formatting elements.
_VOID_RECONSTRUCTS = frozenset("area br embed image img input keygen wbr".split())
#: Elements whose content is text up to their end tag (``noscript`` is markup: lexbor runs without scripts).
_RAW_TEXT = {
    name: re.compile(rf"</{name}[\t\n\f\r />]", re.I | re.A)
    for name in ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes")
}
_FORMATTING = frozenset("a b big code em font i nobr s small strike strong tt u".split())
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
#: Start tags that close an open ``<p>`` (``table`` too outside quirks mode, ``form`` and ``hr`` apart).
_CLOSES_P = _HEADINGS | frozenset(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption figure footer "
    "header hgroup main menu nav ol p search section summary ul pre listing".split()
)
#: Start tags before which the parser does not reopen formatting elements (it does before any other).
_NO_RECONSTRUCT = (
    _CLOSES_P
    | _VOID - _VOID_RECONSTRUCTS
    | frozenset(
        "html head body frameset form li dd dt plaintext table textarea iframe noembed noframes script style "
        "template title rb rtc rp rt caption colgroup tbody td tfoot th thead tr".split()
    )
)
_TABLE_PARTS = frozenset("caption col colgroup tbody thead tfoot tr td th".split())
_SECTIONS = frozenset({"tbody", "thead", "tfoot"})
#: Where whitespace text is a table's own (the parser reopens no formatting element for it).
_TABLE_TEXT = frozenset({"table", "tbody", "thead", "tfoot", "tr", "template"})
#: Start tags that end foreign (SVG, MathML) content (``font`` too with a color, face or size).
_BREAKOUT = _HEADINGS | frozenset(
    "b big blockquote body br center code dd div dl dt em embed head hr i img li listing menu meta nobr ol p "
    "pre ruby s small span strong strike sub sup table tt u ul var".split()
)
#: End tags that close their element when it is in scope (``p``, ``li`` and headings apart).
_END_IN_SCOPE = frozenset(
    "address article aside blockquote button center details dialog dir div dl fieldset figcaption figure "
    "footer header hgroup listing main menu nav ol pre search section summary ul applet marquee object dd "
    "dt select".split()
)
_END_IN_TABLE_SCOPE = frozenset("table caption tbody thead tfoot tr td th".split())
#: Elements the parser closes by itself before some tags ("generate implied end tags").
_IMPLIED_END = frozenset("dd dt li optgroup option p rb rp rt rtc".split())
#: Tags that may close elements inside a ``<select>`` (whose parsing rules lexbor has revised).
_SELECT_SENSITIVE = frozenset("select option optgroup hr input keygen textarea".split())

# Categories of open elements. Those below _LISTED keep the positions of their open elements, so that a
# question such as "is there a <p> in button scope?" is answered in constant time.
_SCOPE, _BUTTON_SCOPE, _LIST_SCOPE, _TABLE_SCOPE, _SPECIAL, _SPECIAL_LI, _TABLE_CONTEXT, _HEADING = range(8)
_HTML, _FOREIGN, _LISTED = 8, 9, 10
_MARKER = 1 << 10
_MATH = 1 << 11  # a MathML element (else SVG, for a foreign one)
_TEXT_POINT = 1 << 12  # MathML mi, mo, mn, ms, mtext
_HTML_POINT = 1 << 13  # SVG foreignObject, desc, title; MathML annotation-xml holding HTML
_PLAIN_HTML = 1 << _HTML
_PLAIN_FOREIGN = 1 << _FOREIGN
_BOUNDARY = 1 << _SCOPE | 1 << _BUTTON_SCOPE | 1 << _LIST_SCOPE | 1 << _SPECIAL | 1 << _SPECIAL_LI


def _html_masks() -> dict[str, int]:
    masks: dict[str, int] = {}

    def add(names: str, *bits: int) -> None:
        for name in names.split():
            masks[name] = masks.get(name, _PLAIN_HTML) | sum(bits)

    add(
        "address applet area article aside base basefont bgsound blockquote body br button caption center col "
        "colgroup dd details dialog dir div dl dt embed fieldset figcaption figure footer form frame frameset "
        "h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img input keygen li link listing main marquee menu "
        "meta nav noembed noframes noscript object ol p param plaintext pre script search section select source "
        "style summary table tbody td template textarea tfoot th thead title tr track ul wbr xmp",
        1 << _SPECIAL,
    )
    add(" ".join(name for name in masks if name not in {"address", "div", "p"}), 1 << _SPECIAL_LI)
    # A select is no scope boundary in the standard; counting it as one only keeps more elements open.
    add("applet caption html table td th marquee object template select", _BOUNDARY)
    add("button", 1 << _BUTTON_SCOPE)
    add("ol ul", 1 << _LIST_SCOPE)
    add("html table template", 1 << _TABLE_SCOPE)
    add("table tbody thead tfoot tr td th caption template", 1 << _TABLE_CONTEXT)
    add("h1 h2 h3 h4 h5 h6", 1 << _HEADING)
    add("applet caption marquee object td th template", _MARKER)
    return masks


_HTML_MASKS = _html_masks()
#: Start tags with rules of their own (any other: reopen formatting elements, open it).
_START_RULES = (
    dict.fromkeys(_NO_RECONSTRUCT, "no reconstruct")
    | dict.fromkeys(_CLOSES_P, "closes p")
    | dict.fromkeys(_TABLE_PARTS, "table part")
    | dict.fromkeys(_FORMATTING, "formatting")
    | dict.fromkeys(_VOID, "void")
    | dict.fromkeys(["html", "body", "head"], "ignored")
    | dict.fromkeys(["li", "dd", "dt"], "list item")
    | dict.fromkeys(["table", "form", "option", "optgroup", "button", "svg", "math"], "own")
)
_OPTION = frozenset({"option"})
_COLGROUP = frozenset({"colgroup"})
#: End tags with rules of their own (any other closes the latest element of its name, if no special
#: element is open above it).
_END_RULES = dict.fromkeys(_FORMATTING, "formatting") | dict.fromkeys(
    [
        *_END_IN_SCOPE,
        *_END_IN_TABLE_SCOPE,
        *_HEADINGS,
        "p",
        "li",
        "template",
        "form",
        "colgroup",
        "br",
        "body",
        "html",
        "option",
        "optgroup",
    ],
    "own",
)
_SVG_POINTS = frozenset({"foreignobject", "desc", "title"})
_MATH_TEXT_POINTS = frozenset({"mi", "mo", "mn", "ms", "mtext"})


def _attributes(text: str) -> dict[str, str]:
    """A tag's attributes, names in lower case, the first of a repeated name kept."""
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name = match.group(1).translate(_ASCII_LOWER)
        if name not in found:
            value = match.group(2) or match.group(3) or match.group(4) or ""
            found[name] = html_unescape(value) if "&" in value else value
    return found


def _foreign_mask(name: str, math: bool, attributes: str) -> int:
    if not math:
        return _PLAIN_FOREIGN | (_BOUNDARY | _HTML_POINT if name in _SVG_POINTS else 0)
    if name in _MATH_TEXT_POINTS:
        return _PLAIN_FOREIGN | _MATH | _BOUNDARY | _TEXT_POINT
    if name == "annotation-xml":
        encoding = _attributes(attributes).get("encoding", "").translate(_ASCII_LOWER)
        html_point = _HTML_POINT if encoding in ("text/html", "application/xhtml+xml") else 0
        return _PLAIN_FOREIGN | _MATH | _BOUNDARY | html_point
    return _PLAIN_FOREIGN | _MATH


class _Entry:
    """An element in the parser's list of active formatting elements, and its place on the stack."""

    __slots__ = ("name", "raw", "parsed", "index")

    def __init__(self, name: str, raw: str) -> None:
        self.name = name
        self.raw = raw  # its attributes as written
        self.parsed: frozenset[tuple[str, str]] | None = None  # and as read, once needed
        self.index = -1  # position on the stack, -1 once the element is closed

    def alike(self, other: _Entry) -> bool:
        """Same name and attributes: the parser keeps no more than three entries alike ("Noah's Ark")."""
        if self.name != other.name:
            return False
        if self.raw == other.raw:
            return True
        if self.parsed is None:
            self.parsed = frozenset(_attributes(self.raw).items())
        if other.parsed is None:
            other.parsed = frozenset(_attributes(other.raw).items())
        return self.parsed == other.parsed


class _Nesting:
    """The parser's stack of open elements, as far as the tags tell it (see above)."""

    def __init__(self, quirks: bool | None) -> None:
        self.max_depth = MAX_DEPTH
        self.max_formatting = MAX_OPEN_FORMATTING
        self.quirks = quirks  # None: unknown
        self.names: list[str] = []
        self.masks: list[int] = []
        self.entries: list[_Entry | None] = []
        self.html_at: dict[str, list[int]] = {}  # positions of the open HTML elements, by name
        self.foreign_at: dict[str, list[int]] = {}  # the same for SVG and MathML elements
        self.at: list[list[int]] = [[] for _ in range(_LISTED)]  # positions by category
        self.lists: dict[int, tuple[list[int], ...]] = {}
        self.active: list[list[_Entry]] = [[]]  # active formatting elements, one list per marker
        self.unreliable = False  # the parser's list of formatting elements may differ from ``active``
        self.form: int | None = None  # the form element pointer: a position, -1 once closed
        self.lows: list[int] = []  # doubtful elements: positions low <= i < high
        self.highs: list[int] = []
        self.after_pre = False  # the parser skips a newline right after <pre> and <listing>
        self.frameset = False  # a <frameset> was seen: the parser may read no raw text any more
        # Elements closed at once past the limits whose end tags are still to come (by name), and the
        # stack's length when each closed: once the stack is shorter, their parent has closed them.
        self.pending: dict[str, int] = {}
        self.pending_at: list[tuple[int, str]] = []

    # -- the stack ---------------------------------------------------------------------------------------

    def lists_of(self, mask: int) -> tuple[list[int], ...]:
        found = self.lists.get(mask)
        if found is None:
            found = self.lists[mask] = tuple(self.at[c] for c in range(_LISTED) if mask >> c & 1)
        return found

    def push(self, name: str, mask: int, entry: _Entry | None = None, doubtful: bool = False) -> None:
        index = len(self.names)
        self.names.append(name)
        self.masks.append(mask)
        self.entries.append(entry)
        at = self.foreign_at if mask & _PLAIN_FOREIGN else self.html_at
        positions = at.get(name)
        if positions is None:
            at[name] = [index]
        else:
            positions.append(index)
        categories = self.lists.get(mask)
        for positions in self.lists_of(mask) if categories is None else categories:
            positions.append(index)
        if entry is not None:
            entry.index = index
        if mask & _MARKER:
            self.active.append([])
        if doubtful:
            self.doubt(index)

    def pop(self) -> None:
        name = self.names.pop()
        mask = self.masks.pop()
        entry = self.entries.pop()
        index = len(self.names)
        (self.foreign_at if mask & _PLAIN_FOREIGN else self.html_at)[name].pop()
        for positions in self.lists[mask]:
            positions.pop()
        if entry is not None and entry.index == index:
            entry.index = -1
        if mask & _MARKER and len(self.active) > 1:
            self.active.pop()
        if self.form == index and name == "form":
            self.form = -1
        pending_at = self.pending_at
        while pending_at and pending_at[-1][0] > index:
            closed = pending_at.pop()[1]
            if self.pending.get(closed):
                self.pending[closed] -= 1
                if not self.pending[closed]:
                    del self.pending[closed]
        if self.highs and self.highs[-1] > index:
            if self.lows[-1] >= index:
                self.lows.pop()
                self.highs.pop()
            else:
                self.highs[-1] = index

    def pop_to(self, index: int) -> None:
        """Close the element at ``index`` and every element above it."""
        while len(self.names) > index:
            self.pop()

    def top(self, category: int) -> int:
        positions = self.at[category]
        return positions[-1] if positions else -1

    def top_html(self, name: str) -> int:
        positions = self.html_at.get(name)
        return positions[-1] if positions else -1

    # -- doubt -------------------------------------------------------------------------------------------

    def doubtful(self, index: int) -> bool:
        if not self.lows or index < self.lows[0]:
            return False
        j = bisect_right(self.lows, index) - 1
        return index < self.highs[j]

    def doubt(self, index: int) -> None:
        """The parser may have closed the element at ``index`` and those above it, or never opened them."""
        index = max(index, 0)
        end = len(self.names)
        if index >= end:
            return
        lows, highs = self.lows, self.highs
        while lows and lows[-1] >= index:
            lows.pop()
            highs.pop()
        if highs and highs[-1] >= index:
            highs[-1] = end
        else:
            lows.append(index)
            highs.append(end)

    def lowest(self, *lists: list[int] | None) -> int:
        """The lowest place where the parser's latest element of these (by their positions) may be: the
        latest certain one (the parser has it too), else the first of them."""
        certain = first = -1
        for positions in lists:
            if positions:
                first = positions[0] if first < 0 else min(first, positions[0])
                for index in reversed(positions[-8:]):
                    if not self.doubtful(index):
                        certain = max(certain, index)
                        break
        if first < 0:
            return len(self.names)
        return certain if certain >= 0 else first

    def current_doubtful(self) -> bool:
        return bool(self.highs) and self.highs[-1] == len(self.names)

    def close(self, index: int, blocker: int, *positions: list[int] | None) -> None:
        """The parser closes the element at ``index`` and those above it, unless ``blocker`` (the latest
        element that stops it, or -1) is above it. ``positions``: where the elements it may close are."""
        if index < 0:
            return
        if blocker > index:
            if self.doubtful(blocker):
                self.doubt(self.lowest(*positions))
            return
        if self.doubtful(index):
            self.doubt(self.lowest(*positions))
            return
        self.pop_to(index)

    def close_current(self, wanted: frozenset[str]) -> None:
        """The parser closes its current node if it is one of ``wanted``."""
        if not self.names:
            return
        if self.current_doubtful():
            self.doubt(self.lows[-1] - 1)  # its current node is at or above the latest certain element
        elif self.names[-1] in wanted and self.masks[-1] & _PLAIN_HTML:
            self.pop()

    def close_p(self) -> None:
        index = self.top_html("p")
        if index >= 0:
            self.close(index, self.top(_BUTTON_SCOPE), self.html_at.get("p"))

    # -- formatting elements -----------------------------------------------------------------------------

    def reconstruct(self, doubtful: bool = False) -> None:
        """Reopen the formatting elements closed since the last marker (by a block's end, say)."""
        entries = self.active[-1]
        if not entries or entries[-1].index >= 0:
            return
        first = len(entries) - 1
        while first > 0 and entries[first - 1].index < 0:
            first -= 1
        doubtful = doubtful or self.unreliable or bool(self.html_at.get("select"))
        for entry in entries[first:]:
            self.push(entry.name, _HTML_MASKS.get(entry.name, _PLAIN_HTML), entry, doubtful)

    def may_reconstruct(self) -> bool:
        entries = self.active[-1]
        return bool(entries) and entries[-1].index < 0

    def text(self, text: str) -> None:
        if self.after_pre:
            self.after_pre = False
            text = text[2:] if text.startswith("\r\n") else text[1:] if text[:1] in "\r\n" else text
        if not text.strip("\0") or not self.may_reconstruct():
            return
        if self.foreign_dispatch(text=True) is not False:
            return  # no reopening in foreign content (nor, when unsure, here)
        certain = not self.html_at.get("select")
        if not text.strip(_WHITESPACE + "\0"):  # whitespace: reopens nothing straight in a table
            if self.current_doubtful():
                certain = False
            elif self.names and self.names[-1] in _TABLE_TEXT and self.masks[-1] & _PLAIN_HTML:
                return
        self.reconstruct(not certain)

    def push_formatting(self, entry: _Entry) -> None:
        entries = self.active[-1]
        alike = [other for other in entries if other.alike(entry)]
        if len(alike) >= 3:  # "Noah's Ark": the earliest of the three leaves the list, not the stack
            earliest = alike[0]
            entries.remove(earliest)
            if earliest.index >= 0:
                self.entries[earliest.index] = None
            earliest.index = -1
        entries.append(entry)
        self.push(entry.name, _HTML_MASKS.get(entry.name, _PLAIN_HTML), entry)

    def last_entry(self, name: str) -> _Entry | None:
        for entry in reversed(self.active[-1]):
            if entry.name == name:
                return entry
        return None

    def adoption_agency(self, name: str) -> None:
        """A formatting element's end tag (or an ``<a>`` inside an ``<a>``): the standard's adoption agency."""
        names = self.names
        segment = self.active[-1]
        if names and segment and self.entries[-1] is segment[-1] and names[-1] == name:
            if not self.current_doubtful():  # the usual case: the latest formatting element closes
                segment.pop()
                self.pop()
                return
        if names and names[-1] == name and self.masks[-1] & _PLAIN_HTML and self.entries[-1] is None:
            if self.current_doubtful():
                self.doubt(self.lowest(self.html_at.get(name)))
            else:
                self.pop()
            return
        if self.unreliable:
            self.doubt(0)
            return
        for _ in range(8):
            entry = self.last_entry(name)
            if entry is None:
                self.any_other_end_tag(name)
                return
            index = entry.index
            if index < 0:
                self.active[-1].remove(entry)
                return
            if self.doubtful(index):
                self.doubt(index)
                self.unreliable = True
                return
            blocker = self.top(_SCOPE)
            if blocker > index:
                if self.doubtful(blocker):
                    self.doubt(index)
                    self.unreliable = True
                return
            specials = self.at[_SPECIAL]
            after = bisect_right(specials, index)
            if after == len(specials):  # no furthest block: close it and everything above it
                self.pop_to(index)
                self.active[-1].remove(entry)
                return
            if len(names) - index > 64 or (self.highs and self.highs[-1] > index):
                self.doubt(index)
                self.unreliable = True
                return
            self.restructure(entry, index, specials[after])

    def restructure(self, formatting: _Entry, index: int, furthest: int) -> None:
        """The adoption agency's moves, on the few elements above ``index``."""
        entries = self.active[-1]
        above = [(self.names[i], self.masks[i], self.entries[i]) for i in range(index, len(self.names))]
        block = furthest - index
        bookmark: _Entry | None = None  # the new entry goes after this one (None: in the old one's place)
        removed: set[int] = set()
        last_is_block = True
        node = block
        inner = 0
        while True:
            inner += 1
            node -= 1
            if node == 0:
                break
            node_name, node_mask, node_entry = above[node]
            if inner > 3 and node_entry is not None and node_entry in entries:
                entries.remove(node_entry)
                node_entry = None
                above[node] = (node_name, node_mask, None)
            if node_entry is None or node_entry not in entries:
                removed.add(node)
                continue
            if last_is_block:
                bookmark = node_entry
            last_is_block = False
        new = _Entry(formatting.name, formatting.raw)
        new.parsed = formatting.parsed
        if bookmark is None:
            entries[entries.index(formatting)] = new
        else:
            entries.insert(entries.index(bookmark) + 1, new)
            entries.remove(formatting)
        kept = [above[i] for i in range(1, block) if i not in removed]
        kept.append(above[block])
        kept.append((formatting.name, above[0][1], new))
        kept.extend(above[block + 1 :])
        self.pop_to(index)
        for kept_name, kept_mask, kept_entry in kept:
            self.push(kept_name, kept_mask, kept_entry)

    # -- tags --------------------------------------------------------------------------------------------

    def foreign_dispatch(self, name: str = "", text: bool = False) -> bool | None:
        """Whether the parser reads a start tag (or text) by the rules of foreign content; None if unsure."""
        if self.frameset:
            return None
        if not self.at[_FOREIGN] or not self.masks:
            return False
        if self.current_doubtful():
            return None
        mask = self.masks[-1]
        if not mask & _PLAIN_FOREIGN or mask & _HTML_POINT:
            return False
        if mask & _TEXT_POINT:
            return name in ("mglyph", "malignmark")
        if name == "svg" and self.names[-1] == "annotation-xml" and mask & _MATH and not text:
            return False
        return True

    def break_out(self) -> None:
        """Close foreign elements down to an HTML element or an integration point."""
        masks = self.masks
        while masks and masks[-1] & _PLAIN_FOREIGN and not masks[-1] & (_TEXT_POINT | _HTML_POINT):
            self.pop()
        if self.current_doubtful():  # the parser may close more of them
            self.doubt(self.at[_FOREIGN][0] if self.at[_FOREIGN] else len(masks))

    def start_tag(self, name: str, attributes: str, self_closing: bool, limited: bool = True) -> bool:
        """Follow a start tag. True, having done nothing, if its element would be past the limits (and
        ``limited``): it is then closed at once, and followed again with ``limited`` false."""
        foreign = self.foreign_dispatch(name)
        if foreign is None:  # unsure which rules the parser follows: keep it open, doubt everything
            if limited and len(self.names) >= self.max_depth:
                return True
            self.doubt(0)
            self.unreliable = True
            if name not in _VOID:
                self.push(name, _PLAIN_HTML, doubtful=True)
            return False
        if foreign:
            if name in _BREAKOUT or (
                name == "font" and not {"color", "face", "size"}.isdisjoint(_attributes(attributes))
            ):
                self.break_out()
                return self.html_start_tag(name, attributes, self_closing, limited)
            if self_closing:
                return False
            if limited and len(self.names) >= self.max_depth:
                return True
            self.push(name, _foreign_mask(name, bool(self.masks[-1] & _MATH), attributes))
            return False
        return self.html_start_tag(name, attributes, self_closing, limited)

    def html_start_tag(self, name: str, attributes: str, self_closing: bool, limited: bool = True) -> bool:
        """A start tag read by the HTML rules (see ``start_tag``)."""
        names = self.names
        rule = _START_RULES.get(name)
        if name in _SELECT_SENSITIVE and self.html_at.get("select"):
            closes_select = name in ("select", "input", "keygen", "textarea")
            self.doubt(self.lowest(self.html_at["select"]) + (0 if closes_select else 1))
        if rule == "void":
            if name == "hr":
                self.close_p()
            elif name == "col":
                self.table_part(name)
            elif name in _VOID_RECONSTRUCTS:
                if name == "input" and (self.current_doubtful() or names and names[-1] in _TABLE_TEXT):
                    self.reconstruct(doubtful=True)
                else:
                    self.reconstruct()
            return False
        if rule == "ignored":
            return False
        formatting = None
        if rule == "formatting":
            formatting = _Entry(name, attributes.strip(_WHITESPACE + "/"))
            entries = self.active[-1]
            if (
                limited
                and len(entries) >= self.max_formatting
                and sum(o.alike(formatting) for o in entries) < 3
            ):
                return True
        if limited and len(names) >= self.max_depth and name not in ("svg", "math"):
            # (SVG and MathML stay open: what follows is theirs. The stack grows by one at most: inside them
            # no other opens past the limits, and an HTML tag closes them.)
            return True
        if names and names[-1] == "colgroup" and name != "template" and not self.current_doubtful():
            self.pop()  # anything but a column ends a column group
        if rule is None:  # most tags: the parser reopens formatting elements, then opens it
            entries = self.active[-1]
            if entries and entries[-1].index < 0:
                self.reconstruct()
            self.push(name, _HTML_MASKS.get(name, _PLAIN_HTML))
        elif formatting is not None:
            if name == "a":
                self.start_a()
            elif name == "nobr":
                self.reconstruct()
                index = self.top_html("nobr")
                if index >= 0 and self.top(_SCOPE) < index:
                    self.adoption_agency("nobr")
            self.reconstruct()
            self.push_formatting(formatting)
        elif rule == "closes p":
            self.close_p()
            if name in _HEADINGS:
                self.close_current(_HEADINGS)
            elif name in ("pre", "listing"):
                self.after_pre = True
            self.push(name, _HTML_MASKS.get(name, _PLAIN_HTML))
        elif rule == "list item":
            lists: tuple[list[int] | None, ...]
            if name == "li":
                index, lists = self.top_html(name), (self.html_at.get("li"),)
            else:
                index, lists = (
                    max(self.top_html("dd"), self.top_html("dt")),
                    (self.html_at.get("dd"), self.html_at.get("dt")),
                )
            if index >= 0:
                blocker = self.top(_SPECIAL_LI)
                self.close(index, blocker if blocker != index else -1, *lists)
            self.close_p()
            self.push(name, _HTML_MASKS[name])
        elif rule == "table part":
            self.table_part(name)
        elif name == "table":
            self.table()
        elif name == "form":
            self.start_form()
        elif name in ("option", "optgroup"):
            self.close_current(_OPTION)
            self.reconstruct()
            self.push(name, _PLAIN_HTML)
        elif name == "button":
            index = self.top_html("button")
            if index >= 0:
                self.close(index, self.top(_SCOPE), self.html_at.get("button"))
            self.reconstruct()
            self.push(name, _HTML_MASKS[name])
        elif name in ("svg", "math"):
            self.reconstruct()
            if not self_closing:
                self.push(name, _foreign_mask(name, name == "math", attributes))
        else:  # opened without reopening formatting elements
            if name in ("rb", "rtc", "rp", "rt"):
                if self.html_at.get("ruby") and names[-1] in _IMPLIED_END:
                    self.doubt(self.html_at["ruby"][0] + 1)
            elif name == "frameset":
                self.doubt(0)
                self.unreliable = self.frameset = True
            self.push(name, _HTML_MASKS.get(name, _PLAIN_HTML))
        return False

    def start_a(self) -> None:
        entry = self.last_entry("a")
        if entry is None:
            return
        self.adoption_agency("a")
        if entry in self.active[-1]:
            self.active[-1].remove(entry)
        if entry.index >= 0:  # the parser takes it off the stack, wherever it is
            self.entries[entry.index] = None
            if entry.index == len(self.names) - 1 and not self.doubtful(entry.index):
                self.pop()
            else:
                self.doubt(entry.index)
                self.unreliable = True

    def start_form(self) -> None:
        template = bool(self.html_at.get("template"))
        if self.form is not None and not template:
            return  # the parser ignores a form inside a form
        context = self.top(_TABLE_CONTEXT)
        if context >= 0 and self.names[context] in ("table", "tbody", "thead", "tfoot", "tr"):
            if self.doubtful(context):
                self.doubt(self.lowest(self.at[_TABLE_CONTEXT]))
                self.push("form", _HTML_MASKS["form"], doubtful=True)
            elif not template:
                self.form = -1  # opened and closed at once, straight in a table
            return
        self.close_p()
        if not template:
            self.form = len(self.names)
        self.push("form", _HTML_MASKS["form"])

    def table(self) -> None:
        if self.quirks is False:
            self.close_p()
        elif self.quirks is None and self.html_at.get("p"):
            self.doubt(self.lowest(self.html_at["p"]))
        context = self.top(_TABLE_CONTEXT)
        if context >= 0 and self.names[context] in ("table", "tbody", "thead", "tfoot", "tr"):
            if self.doubtful(context):
                self.doubt(self.lowest(self.html_at.get("table")))
            else:  # a table straight in a table ends the first
                self.close(self.top_html("table"), -1, self.html_at.get("table"))
        self.push("table", _HTML_MASKS["table"])

    def table_part(self, name: str) -> None:
        """A caption, column, section, row or cell: where the parser puts it in the open table."""
        while True:
            context = self.top(_TABLE_CONTEXT)
            if context < 0:
                return  # outside a table the parser ignores the tag
            if self.doubtful(context):
                self.doubt(self.lowest(self.at[_TABLE_CONTEXT]))
                if name != "col":
                    self.push(name, _HTML_MASKS[name], doubtful=True)
                return
            kind = self.names[context]
            if kind == "template":
                if name != "col":
                    self.push(name, _HTML_MASKS[name])
                return
            if kind in ("caption", "td", "th"):
                self.pop_to(context)  # the caption or cell ends first
                continue
            self.pop_to(context + 1)  # back to the table, its section or its row
            if kind == "tr":
                if name in ("td", "th"):
                    self.push(name, _HTML_MASKS[name])
                    return
            elif kind in _SECTIONS:
                if name in ("tr", "td", "th"):
                    if name != "tr":
                        self.push("tr", _HTML_MASKS["tr"])
                    self.push(name, _HTML_MASKS[name])
                    return
            else:  # a table
                if name in ("tr", "td", "th"):
                    self.push("tbody", _HTML_MASKS["tbody"])
                    if name != "tr":
                        self.push("tr", _HTML_MASKS["tr"])
                if name != "col":
                    self.push(name, _HTML_MASKS[name])
                return
            self.pop_to(context)  # the row or section ends

    def end_tag(self, name: str) -> None:
        """Follow an end tag."""
        if self.at[_FOREIGN] and self.masks:
            if self.current_doubtful():  # unsure which rules the parser follows
                lowest = [
                    positions[0]
                    for positions in (self.html_at.get(name), self.foreign_at.get(name))
                    if positions
                ]
                if name in ("p", "br"):
                    lowest.append(self.at[_FOREIGN][0])
                if lowest:
                    self.doubt(min(lowest))
                if name in _FORMATTING:
                    self.unreliable = True
                return
            if self.masks[-1] & _PLAIN_FOREIGN:
                if name in ("p", "br"):
                    self.break_out()
                else:
                    positions = self.foreign_at.get(name)
                    index = positions[-1] if positions else -1
                    html = self.top(_HTML)
                    if index > html:
                        self.close(index, -1, positions)
                        return
                    if positions and self.doubtful(html):  # the parser may close the foreign one
                        html_positions = self.html_at.get(name)
                        self.doubt(min(positions[0], html_positions[0]) if html_positions else positions[0])
                        return
        self.html_end_tag(name)

    def html_end_tag(self, name: str) -> None:
        rule = _END_RULES.get(name)
        if rule is None:
            self.any_other_end_tag(name)
            return
        if rule == "formatting":
            self.adoption_agency(name)
            return
        if self.html_at.get("select") and name in ("select", "option", "optgroup"):
            self.doubt(self.lowest(self.html_at["select"]))
            return
        if name == "p":
            self.close_p()
        elif name in _END_IN_SCOPE:
            index = self.top_html(name)
            self.close(index, self.top(_SCOPE), self.html_at.get(name))
        elif name == "li":
            self.close(self.top_html(name), self.top(_LIST_SCOPE), self.html_at.get(name))
        elif name in _HEADINGS:
            self.close(self.top(_HEADING), self.top(_SCOPE), self.at[_HEADING])
        elif name in _END_IN_TABLE_SCOPE:
            self.close(self.top_html(name), self.top(_TABLE_SCOPE), self.html_at.get(name))
        elif name == "template":
            self.close(self.top_html(name), -1, self.html_at.get(name))
        elif name == "form":
            self.end_form()
        elif name == "colgroup":
            self.close_current(_COLGROUP)
        elif name == "br":
            self.reconstruct()  # </br> is read as <br>
        elif name not in ("body", "html"):
            self.any_other_end_tag(name)

    def any_other_end_tag(self, name: str) -> None:
        """The latest element of the name closes, unless a special element is open above it."""
        index = self.top_html(name)
        if index >= 0:
            self.close(index, self.top(_SPECIAL), self.html_at.get(name))

    def end_form(self) -> None:
        if self.html_at.get("template"):
            self.close(self.top_html("form"), self.top(_SCOPE), self.html_at.get("form"))
            return
        index, self.form = self.form, None
        if index is None or index < 0:
            return
        blocker = self.top(_SCOPE)
        if blocker > index:
            if self.doubtful(blocker):
                self.doubt(index)
            return
        if index == len(self.names) - 1 and not self.doubtful(index):
            self.pop()
        else:
            self.doubt(index)  # the parser takes the form off the stack, wherever it is

    def line_break(self) -> str:
        """A line break put in: ``<br>``, which reopens formatting elements (a space in foreign content)."""
        if self.foreign_dispatch("br") is not False:
            return " "
        self.reconstruct()
        return "<br>"


#: Elements that other tags than their own end tag (or an ancestor's) may close: past the limits, their
#: end tags stay (pairing them with the element closed at once could keep another open too long).
_CLOSED_BY_OTHERS = (
    _FORMATTING
    | _HEADINGS
    | _TABLE_PARTS
    | _IMPLIED_END
    | frozenset("table form button select svg math html head body".split())
)


#: End tags that close their element when it is the current node (those of ``_END_RULES`` but forms,
#: whose end tag closes the form element pointer's, and the select's, whose parsing lexbor has revised).
_CLOSES_CURRENT = (_END_IN_SCOPE | _END_IN_TABLE_SCOPE | _HEADINGS) - {"select"} | {
    "p",
    "li",
    "template",
    "colgroup",
}
#: Void and block start tags that go the quick way in ``_flatten`` (void: reopening formatting elements, or
#: nothing; block: closing a <p>).
_QUICK_VOID = _VOID - {"hr", "col", "input"}
_QUICK_BLOCK = _CLOSES_P - _HEADINGS - {"pre", "listing"}


def _quirks(html: str) -> bool | None:
    """Whether the page is read in quirks mode (where a table does not end a paragraph); None if unsure."""
    if _NO_QUIRKS.match(html):
        return False
    if _ANY_DOCTYPE.match(html) or html[:1] == "\ufeff":
        return None
    return True


def _flatten(html: str) -> tuple[str, int]:
    """``html`` with the tags past the nesting limits replaced (a block tag by ``<br>``, an inline tag by
    nothing) and their number; ``html`` itself, and 0, when the page stays within the limits.

    One pass over the tags, constant work for each: linear in the page's size.
    """
    nesting = _Nesting(_quirks(html[:4096]))
    names, masks, entries, active = nesting.names, nesting.masks, nesting.entries, nesting.active
    html_at, lists, lows, pending = nesting.html_at, nesting.lists, nesting.lows, nesting.pending
    foreign, max_depth = nesting.at[_FOREIGN], nesting.max_depth
    pieces: list[str] = []
    last = flattened = 0
    position = text_from = 0
    search = _TOKEN.search
    broke = -64  # where the latest line break put in ends

    def line_break(name: str, start: int) -> str:
        """What a left-out tag leaves: a ``<br>`` for a block's, unless the line just ended."""
        nonlocal broke
        if name not in _BLOCKS:
            return ""
        if start - broke < 64 and not html[broke:start].strip():
            broke = position
            return ""
        broke = position
        return nesting.line_break()

    while True:
        token = search(html, position)
        if token is None:
            break
        start = token.start()
        if start > text_from and (active[-1] and active[-1][-1].index < 0) or nesting.after_pre:
            nesting.text(html[text_from:start])
        end_slash, raw_name, attributes, self_closing, comment = token.groups()
        if raw_name is None:  # a comment, a doctype, or other markup the parser skips
            if comment:
                comment_end = _COMMENT_END.match(html, token.end())
                if comment_end is None:
                    break
                position = comment_end.end()
            else:
                position = html.find(">", token.end()) + 1
                if position == 0:
                    break
            text_from = position
            continue
        position = text_from = token.end()
        name = raw_name.lower() if raw_name.isascii() else raw_name.translate(_ASCII_LOWER)
        # "plain": HTML content, nothing doubtful; there the commonest tags go quickly
        plain = not foreign and not lows and not nesting.frameset
        if end_slash:
            if pending and pending.get(name):  # its element closed at once: the end tag ends the line
                pending[name] -= 1
                if not pending[name]:
                    del pending[name]
                flattened += 1
                pieces += (html[last:start], line_break(name, start))
                last = position
                continue
            if plain:  # quick: the end tag of the current node, closing it (as pop() does)
                rule = _END_RULES.get(name)
                positions = html_at.get(name)
                if (
                    positions
                    and positions[-1] == len(names) - 1
                    and (
                        rule is None
                        or (
                            rule == "formatting"
                            and (entries[-1] is None or active[-1] and entries[-1] is active[-1][-1])
                        )
                        or (rule == "own" and name in _CLOSES_CURRENT)
                    )
                ):
                    if entries[-1] is not None:
                        active[-1].pop()  # the latest formatting element closes
                    mask = masks[-1]
                    if mask & _MARKER:
                        nesting.pop()
                        continue
                    names.pop()
                    masks.pop()
                    entries.pop()
                    positions.pop()
                    for category in lists[mask]:
                        category.pop()
                    continue
            nesting.end_tag(name)
            continue
        elif name in _RAW_TEXT and (plain or nesting.foreign_dispatch(name) is False):
            if name == "xmp":
                nesting.close_p()
                nesting.reconstruct()
            raw_end = _RAW_TEXT[name].search(html, position)
            if raw_end is None:
                break  # text to the end of the page
            position = text_from = raw_end.start()
            continue
        elif name == "plaintext" and (plain or nesting.foreign_dispatch(name) is False):
            break  # the rest of the page is text
        elif foreign or nesting.frameset:
            over = nesting.start_tag(name, attributes, self_closing == "/")
        else:
            rule = _START_RULES.get(name)
            if (
                plain
                and (not names or names[-1] != "colgroup")
                and name not in _SELECT_SENSITIVE
                and (
                    rule is None
                    or (rule == "void" and name in _QUICK_VOID)
                    or (rule == "closes p" and name in _QUICK_BLOCK)
                    or (
                        rule == "formatting"
                        and name != "nobr"
                        and len(active[-1]) < nesting.max_formatting
                        and all(entry.name != name for entry in active[-1])
                    )
                )
            ):  # quick: the commonest start tags, as html_start_tag() follows them
                acts = False  # closes a <p> or reopens formatting elements
                if rule == "closes p":
                    if html_at.get("p"):
                        nesting.close_p()
                        acts = True
                elif rule != "void" or name in _VOID_RECONSTRUCTS:
                    if active[-1] and active[-1][-1].index < 0:
                        nesting.reconstruct()
                        acts = True
                if rule == "void":
                    continue
                if len(names) >= max_depth:  # closed at once: the above is all that <X></X> does
                    flattened += 1
                    if acts:
                        pieces += (html[last:position], f"</{raw_name}>")
                        last = position
                        if name in _BLOCKS:
                            broke = position
                    else:  # it does nothing: a block only ends the line, and only once
                        pieces += (html[last:start], line_break(name, start))
                        last = position
                    if name not in _CLOSED_BY_OTHERS:
                        pending[name] = pending.get(name, 0) + 1
                        nesting.pending_at.append((len(names), name))
                    continue
                mask = _HTML_MASKS.get(name, _PLAIN_HTML)
                entry = None
                if rule == "formatting":  # none alike in the list: nothing for Noah's Ark to remove
                    entry = _Entry(name, attributes.strip(_WHITESPACE + "/"))
                    active[-1].append(entry)
                    entry.index = len(names)
                if mask & _MARKER:
                    nesting.push(name, mask)
                    continue
                index = len(names)  # as push() does
                names.append(name)
                masks.append(mask)
                entries.append(entry)
                positions = html_at.get(name)
                if positions is None:
                    html_at[name] = [index]
                else:
                    positions.append(index)
                categories = lists.get(mask)
                for category in nesting.lists_of(mask) if categories is None else categories:
                    category.append(index)
                continue
            over = nesting.html_start_tag(name, attributes, self_closing == "/")
        if over:  # past the limits: the element closes at once (as in the quick way above)
            nesting.start_tag(name, attributes, self_closing == "/", limited=False)
            nesting.end_tag(name)
            flattened += 1
            pieces += (html[last:position], f"</{raw_name}>")
            last = position
            if name not in _CLOSED_BY_OTHERS:
                pending[name] = pending.get(name, 0) + 1
                nesting.pending_at.append((len(names), name))
    if not flattened:
        return html, 0
    pieces.append(html[last:])
    return "".join(pieces), flattened


flatten = _flatten
