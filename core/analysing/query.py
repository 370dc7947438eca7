"""The query language: parse a query string into a small tree; ``core.storing.search`` evaluates it.

Grammar (``NOT`` binds tighter than ``AND``, ``AND`` tighter than ``OR``; ``AND`` is implied between
terms)::

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*
    unary   := ("NOT" | "-") unary | primary
    primary := "(" or ")" | FIELD ":" value | "phrase" | "phrase"* | word | prefix*

Words are case-insensitive and match whole words; ``tariff*`` matches words that start with ``tariff``.
Fields: ``author:``, ``section:``, ``theme:``, ``agency:``; values may be quoted (``author:"Matthew Walsh"``).
A query that does not parse raises ``QuerySyntaxError`` with the 0-based position of the problem; so does a
``theme:`` naming no known theme, once the themes are known (``check_themes``, called by ``core.storing.search``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.errors import QuerySyntaxError

FIELDS = ("author", "section", "theme", "agency")
MAX_DEPTH = 64  # nesting of parentheses and NOT; deeper queries are refused, not a RecursionError
_WORD_CHARS = re.compile(r"[^\W_]+")  # as the index splits words: "_" separates


@dataclass(frozen=True, slots=True)
class Term:
    """A word, a phrase (several words in a row) or a prefix (one word followed by ``*``)."""

    words: tuple[str, ...]
    prefix: bool = False
    position: int = 0

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1

    def __str__(self) -> str:
        text = " ".join(self.words)
        return (f'"{text}"' if self.is_phrase else text) + ("*" if self.prefix else "")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    position: int = 0

    def __str__(self) -> str:
        return f'{self.name}:"{self.value}"'


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]


Node = Term | Field | Not | And | Or


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # WORD PHRASE PHRASE_PREFIX PREFIX FIELD AND OR NOT LPAREN RPAREN
    text: str
    position: int
    field: str = ""


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "(":
            tokens.append(_Token("LPAREN", ch, i))
            i += 1
            continue
        if ch == ")":
            tokens.append(_Token("RPAREN", ch, i))
            i += 1
            continue
        if ch == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError(query, i, "unclosed quote")
            if end + 1 < n and query[end + 1] == "*":
                tokens.append(_Token("PHRASE_PREFIX", query[i + 1 : end], i))
                i = end + 2
            else:
                tokens.append(_Token("PHRASE", query[i + 1 : end], i))
                i = end + 1
            continue
        if (
            ch == "-"
            and (i + 1 < n and not query[i + 1].isspace())
            and (not tokens or _starts_operand(query, i))
        ):
            tokens.append(_Token("NOT", ch, i))
            i += 1
            continue
        start = i
        while i < n and not query[i].isspace() and query[i] not in '()"':
            if query[i] == ":" and query[start:i].isalpha():
                break
            i += 1
        word = query[start:i]
        if i < n and query[i] == ":" and word.isalpha():
            name = word.lower()
            if name not in FIELDS:
                raise QuerySyntaxError(
                    query, start, f"unknown field '{word}:'; fields are {', '.join(FIELDS)}"
                )
            i += 1
            if i < n and query[i] == '"':
                end = query.find('"', i + 1)
                if end < 0:
                    raise QuerySyntaxError(query, i, "unclosed quote")
                value = query[i + 1 : end]
                i = end + 1
            else:
                value_start = i
                while i < n and not query[i].isspace() and query[i] not in "()":
                    if query[i] == '"':
                        raise QuerySyntaxError(
                            query, i, f"quote inside the value of '{word}:'; quote the whole value"
                        )
                    i += 1
                value = query[value_start:i]
            if not value.strip():
                raise QuerySyntaxError(query, start, f"'{word}:' needs a value")
            tokens.append(_Token("FIELD", value.strip(), start, name))
            continue
        if word in ("AND", "OR", "NOT"):
            tokens.append(_Token(word, word, start))
        elif word.endswith("*") and len(word) > 1:
            tokens.append(_Token("PREFIX", word[:-1], start))
        else:
            tokens.append(_Token("WORD", word, start))
    return tokens


def _starts_operand(query: str, i: int) -> bool:
    """A ``-`` is negation at the start of a term (after space or an opening parenthesis)."""
    return i == 0 or query[i - 1].isspace() or query[i - 1] == "("


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokenize(query)
        self.i = 0
        self.depth = 0

    def error(self, position: int, message: str) -> QuerySyntaxError:
        return QuerySyntaxError(self.query, position, message)

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> Node:
        if not self.tokens:
            raise self.error(0, "empty query")
        node = self.parse_or()
        token = self.peek()
        if token is not None:
            raise self.error(
                token.position, "unmatched ')'" if token.kind == "RPAREN" else f"unexpected '{token.text}'"
            )
        return node

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.i += 1
            if self.peek() is None or self.peek().kind in ("OR", "AND", "RPAREN"):  # type: ignore[union-attr]
                raise self.error(token.position, "OR needs a term on both sides")
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_unary()]
        while (token := self.peek()) is not None and token.kind not in ("OR", "RPAREN"):
            if token.kind == "AND":
                self.i += 1
                following = self.peek()
                if following is None or following.kind in ("OR", "AND", "RPAREN"):
                    raise self.error(token.position, "AND needs a term on both sides")
            operands.append(self.parse_unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_unary(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "NOT":
            self.i += 1
            following = self.peek()
            if following is None or following.kind in ("OR", "AND", "RPAREN"):
                raise self.error(token.position, f"{token.text} needs a term after it")
            return Not(self._nested(token, self.parse_unary))
        return self.parse_primary()

    def _nested(self, token: _Token, parse: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(token.position, f"query nested more than {MAX_DEPTH} levels deep")
        try:
            return parse()
        finally:
            self.depth -= 1

    def parse_primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise self.error(len(self.query), "query ends where a term was expected")
        self.i += 1
        if token.kind == "LPAREN":
            if (following := self.peek()) is not None and following.kind == "RPAREN":
                raise self.error(token.position, "empty parentheses")
            node = self._nested(token, self.parse_or)
            closing = self.peek()
            if closing is None or closing.kind != "RPAREN":
                raise self.error(token.position, "unclosed '('")
            self.i += 1
            return node
        if token.kind == "FIELD":
            return Field(token.field, token.text, token.position)
        if token.kind in ("WORD", "PHRASE", "PREFIX", "PHRASE_PREFIX"):
            words = tuple(w.lower() for w in _WORD_CHARS.findall(token.text))
            if not words:
                what = "phrase" if token.kind.startswith("PHRASE") else "term"
                raise self.error(token.position, f"{what} '{token.text}' has no letters or digits")
            prefix = token.kind in ("PREFIX", "PHRASE_PREFIX")
            return Term(words, prefix=prefix, position=token.position)
        if token.kind == "RPAREN":
            raise self.error(token.position, "unmatched ')'")
        raise self.error(token.position, f"{token.text} needs a term before it")


def parse_query(query: str) -> Node:
    """Parse ``query`` into a tree of ``Term``, ``Field``, ``Not``, ``And`` and ``Or`` nodes.

    Raises ``QuerySyntaxError`` (with ``.position``) when the query does not parse.
    """
    return _Parser(query).parse()


def positive_terms(node: Node, negated: bool = False) -> list[Term]:
    """The text terms that select stories (not under a ``NOT``): the ones to highlight."""
    if isinstance(node, Term):
        return [] if negated else [node]
    if isinstance(node, Field):
        return []
    if isinstance(node, Not):
        return positive_terms(node.operand, not negated)
    out: list[Term] = []
    for operand in node.operands:
        out.extend(positive_terms(operand, negated))
    return out


def fields_of(node: Node, name: str) -> list[Field]:
    """The ``name:`` fields of a query, in the order they are written (under a ``NOT`` too)."""
    if isinstance(node, Field):
        return [node] if node.name == name else []
    if isinstance(node, Term):
        return []
    if isinstance(node, Not):
        return fields_of(node.operand, name)
    return [field for operand in node.operands for field in fields_of(operand, name)]


def check_themes(query: str, node: Node, known: Callable[[str], bool], slugs: Sequence[str]) -> None:
    """Raise ``QuerySyntaxError`` at the first ``theme:`` whose value (lower-cased, as it is looked up)
    is not ``known``, listing the theme ``slugs``: an unknown theme is a mistake, as an unknown field is,
    not a theme that no story carries."""
    for field in sorted(fields_of(node, "theme"), key=lambda f: f.position):
        if not known(field.value.lower().strip()):
            listed = f"themes are {', '.join(slugs)}" if slugs else "no themes are defined"
            raise QuerySyntaxError(query, field.position, f"unknown theme '{field.value}'; {listed}")


def to_string(node: Node) -> str:
    """A normalised, fully parenthesised rendering, for tests and for showing how a query was read."""
    if isinstance(node, Term | Field):
        return str(node)
    if isinstance(node, Not):
        return f"NOT {to_string(node.operand)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(to_string(o) for o in node.operands) + ")"
