"""A linear, non-recursive scan of SPARQL text into tokens (the terminals of SPARQL 1.1, section 19.8).

:mod:`graph.query_analysis` reads a query with it before the query engine sees it: where its
comments, strings and IRIs are (nothing inside them is a keyword), which words and prefixed names
it uses, and how deeply its brackets nest. It validates nothing: text the grammar does not allow
becomes one-character ``other`` tokens, and the query engine reports the syntax error. Each token
is found by one regular expression without nested repetition, and no stretch of text is searched
for the same token twice (see :func:`tokens`), so the scan takes time linear in the text whatever
the text is.

>>> [t.text for t in tokens('ASK { ?s <http://a/> "}" } # {') if t.kind != "ws"]
['ASK', '{', '?s', '<http://a/>', '"}"', '}', '# {']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

from .errors import QuerySyntaxError

_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f"
    "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_CHARS_U = _BASE + "_"
_CHARS = _CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = f"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_PN_LOCAL = f"(?:[{_CHARS_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
# The scanner's spelling of a prefixed name, an IRI and a word: the same tokens as the grammar's spelling above,
# without an alternation per character or giving back what a run of characters matched. A prefix runs to its ":"
# (no character of it can be one) and must not end with "."; a local name may end with "." only as an escape.
_PNAME_SCAN = (
    f"(?:[{_BASE}][{_CHARS}.]*+(?<!\\.))?:"
    f"(?:(?:[{_CHARS_U}:0-9]|{_PLX})[{_CHARS}.:]*(?:(?:{_PLX})[{_CHARS}.:]*)*(?:(?<!\\.)|(?<=\\\\\\.)))?"
)
_IRI_CHAR = r'[^<>"{}|^`\\\x00-\x20]'
_IRI_SCAN = f"<{_IRI_CHAR}*+(?:(?:{_UCHAR}){_IRI_CHAR}*+)*+>"

_ALTERNATIVES = [
    r"(?P<ws>[ \t\r\n]+)",
    # A word that nothing after it could make a prefixed name of: most of a query's words, matched here before
    # the scanner tries the prefixed-name alternative on them (the longest to fail). The same token as "word" below.
    f"(?P<bare>[A-Za-z_][A-Za-z0-9_]*+)(?![{_CHARS}.:])",
    # Punctuation that begins no longer token (not "<", "." or ":"): an "other" token, found before the scanner
    # tries every alternative below on it.
    r"(?P<punct>[{}()\[\],;=!&|*+/>^-])",
    # No alternative above or below but "other" matches a digit or a "." (nor, after "number", a ".").
    r"(?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)",
    r"(?P<dot>\.)",
    r"(?P<comment>#[^\r\n]*)",
    f"(?P<iri>{_IRI_SCAN})",
    r"(?P<long>'''(?:(?:'|'')?(?:[^'\\]|\\[\s\S]))*'''|\"\"\"(?:(?:\"|\"\")?(?:[^\"\\]|\\[\s\S]))*\"\"\")",
    r"(?P<open_long>'''|\"\"\")",
    r"(?P<short>'(?:[^'\\\r\n]|\\[^\r\n])*'|\"(?:[^\"\\\r\n]|\\[^\r\n])*\")",
    r"(?P<open_short>['\"])",
    f"(?P<var>[?$][{_CHARS_U}0-9][{_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)",
    r"(?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)",
    f"(?P<bnode>_:[{_CHARS_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)",
    f"(?P<pname>{_PNAME_SCAN})",
    r"(?P<word>[A-Za-z_][A-Za-z0-9_]*)",
    r"(?P<other>[\s\S])",
]
#: The index of the prefixed-name alternative above.
_PNAME = next(i for i, alternative in enumerate(_ALTERNATIVES) if alternative.startswith("(?P<pname>"))
_TOKEN = re.compile("|".join(_ALTERNATIVES))


@cache
def _token_no_pname() -> re.Pattern[str]:
    """The same scanner without prefixed names, for text where none can start (see :func:`tokens`).

    Compiled when the first text is scanned: its character classes take a while to compile, and worker processes,
    which import this module, should start fast.
    """
    return re.compile("|".join(_ALTERNATIVES[:_PNAME] + _ALTERNATIVES[_PNAME + 1 :]))


#: A run of the characters a prefix is made of: a prefixed name inside it can only end with the ``:`` after it.
_PREFIX_RUN = re.compile(f"[{_CHARS}.]*")

#: Group names of the scanner that are not token kinds of their own.
_KINDS = {
    "bare": "word",
    "punct": "other",
    "dot": "other",
    "long": "string",
    "short": "string",
    "open_long": "unterminated",
    "open_short": "unterminated",
}
_ESCAPE = re.compile(_UCHAR)


class Token(NamedTuple):
    """One token: its kind (a group name of the scanner), its text and where it starts in the query.

    A tuple, not a dataclass: a query of a few hundred characters has dozens of tokens, scanned per request.
    """

    kind: str
    text: str
    start: int


def tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text``, whitespace and comments included, in order.

    A quote that opens no complete string ends the scan with one ``unterminated`` token (the rest of
    the text): the query cannot be valid, and stopping there keeps the scan linear. Likewise, a
    prefixed name is looked for at most once in a run of name characters and dots that cannot end
    in one (``a.a.a.…`` with no ``:`` after it): the scanner would otherwise search the rest of the
    run again from each word in it, taking time quadratic in its length.

    A text that is short and has no long run is scanned in one pass of the scanner instead (the same
    tokens: see :func:`_scan_directly`).
    """
    if len(text) <= DIRECT_SCAN_LIMIT and _LONG_RUN.search(text) is None:
        yield from _scan_directly(text)
        return
    position = 0
    no_pname_before = 0
    end = len(text)
    full, partial = _TOKEN.match, _token_no_pname().match
    prefix_run = _PREFIX_RUN.match
    kinds = _KINDS
    while position < end:
        scanned_pname = position >= no_pname_before
        match = full(text, position) if scanned_pname else partial(text, position)
        assert match is not None and match.lastgroup is not None  # "other" matches any character
        kind = kinds.get(match.lastgroup, match.lastgroup)
        if kind == "unterminated":
            yield Token(kind, text[position:], position)
            return
        if scanned_pname and kind != "pname":
            run_end = prefix_run(text, position).end()  # type: ignore[union-attr]  # it matches ""
            # A prefix cannot end with ".": then no name in the run can reach the ":" after it either.
            if not text.startswith(":", run_end) or text[run_end - 1 : run_end] == ".":
                no_pname_before = run_end
        following = match.end()
        yield Token(kind, text[position:following], position)
        position = following


#: Texts up to this many characters, without a run of :data:`LONG_RUN` name characters and dots, are
#: scanned by :func:`_scan_directly`.
DIRECT_SCAN_LIMIT = 8192
LONG_RUN = 64
_LONG_RUN = re.compile(f"[{_CHARS}.]{{{LONG_RUN}}}")


def _scan_directly(text: str) -> list[Token]:
    """The tokens of ``text`` in one pass of the scanner, without the search for prefixed names held back.

    The same tokens as :func:`tokens`' loop: holding the search back only spares time, since where it is
    held back no prefixed name can match. Without a run of :data:`LONG_RUN` characters, searching each run
    again from each word in it costs at most ``LONG_RUN`` steps per character; in a text of at most
    :data:`DIRECT_SCAN_LIMIT` characters, far less than a loop over the tokens in Python.
    """
    found = []
    kinds = _KINDS
    for match in _TOKEN.finditer(text):
        group = match.lastgroup
        assert group is not None  # "other" matches any character
        kind = kinds.get(group, group)
        if kind == "unterminated":
            found.append(Token(kind, text[match.start() :], match.start()))
            break
        found.append(Token(kind, match.group(), match.start()))
    return found


#: Whitespace and comments: the tokens that separate the others.
INSIGNIFICANT = frozenset({"ws", "comment"})
#: A prologue of plain declarations (``PREFIX p: <iri>``, ``BASE <iri>``, whitespace and comments), written
#: so that each of its ends is an end of a token of :func:`tokens` too: a keyword is followed by whitespace (or
#: ``<`` after BASE), a name by ``:`` and then whitespace or ``<``; an IRI and a comment end where the scanner's
#: do. Scanned alone, it gives the tokens that a scan of the whole text gives it.
_PLAIN_PROLOGUE = re.compile(
    rf"(?:[ \t\r\n]+|#[^\r\n]*|(?i:PREFIX)[ \t\r\n]+(?:{_PN_PREFIX})?:[ \t\r\n]*<[^<>\"{{}}|^`\\\x00-\x20]*>"
    rf"|(?i:BASE)[ \t\r\n]*<[^<>\"{{}}|^`\\\x00-\x20]*>)*"
)


#: The lengths of a prologue whose tokens are remembered: a shorter one is not worth it, and a longer one
#: is no client's usual prefixes (256 remembered prologues of 2 MiB each would hold half a gigabyte).
_REMEMBERED_PROLOGUE = (64, 8192)


def significant_tokens(text: str) -> list[Token]:
    """The tokens of ``text`` but whitespace and comments, in order (those of :func:`tokens`).

    The tokens of a plain prologue are remembered: most queries a server is sent begin with one of a few
    prologues (the prefixes a client declares), which are most of their text.
    """
    prologue, rest = split_significant_tokens(text)
    return [*prologue, *rest] if prologue else rest


def split_significant_tokens(text: str) -> tuple[Prologue, list[Token]]:
    """The tokens of :func:`significant_tokens`, in two parts: those of a remembered plain prologue (``PREFIX p:
    <iri>`` and ``BASE <iri>`` declarations, :data:`Prologue`; empty if the text begins with none long enough to
    be remembered), and the rest.

    The same prologue gives the same :data:`Prologue` object back, so that what is read off it can be
    remembered too (:mod:`graph.query_analysis` does).
    """
    prologue = _PLAIN_PROLOGUE.match(text)
    end = prologue.end() if prologue is not None else 0
    if not _REMEMBERED_PROLOGUE[0] <= end <= _REMEMBERED_PROLOGUE[1]:
        return (), _significant(text)
    return _prologue_tokens(text[:end]), _significant(text[end:], end)


def _significant(text: str, offset: int = 0) -> list[Token]:
    """The tokens of :func:`tokens` but whitespace and comments, each ``start`` moved by ``offset``.

    A text that :func:`tokens` scans in one pass (:func:`_scan_directly`) is scanned here in one pass too,
    without making tokens of its whitespace and comments: most of a query's tokens are spaces.
    """
    if len(text) > DIRECT_SCAN_LIMIT or _LONG_RUN.search(text) is not None:
        return [Token(t.kind, t.text, t.start + offset) for t in tokens(text) if t.kind not in INSIGNIFICANT]
    found: list[Token] = []
    kinds, append, new = _KINDS, found.append, tuple.__new__  # a token made without a call of Python code
    for match in _spaced_token().finditer(text):
        group = match.lastgroup
        if group == "comment" or group == "end":
            continue
        assert group is not None
        start = match.start(group)
        kind = kinds.get(group, group)
        if kind == "unterminated":
            append(Token(kind, text[start:], start + offset))
            break
        append(new(Token, (kind, match.group(group), start + offset)))
    return found


@cache
def _spaced_token() -> re.Pattern[str]:
    """The scanner with the whitespace before a token matched with it (the token is the group that matched): half
    as many matches for :func:`_significant`, which has no use for whitespace. Whitespace at the end of the text
    matches alone, as ``end``. Compiled when first used, as :func:`_token_no_pname` is."""
    return re.compile(r"[ \t\r\n]*+(?:" + "|".join(_ALTERNATIVES[1:]) + r"|(?P<end>\Z))")


#: The significant tokens of a plain prologue: only ``PREFIX``, a prefix's name (``p:``) and an IRI, and ``BASE``
#: and an IRI, in that order; no bracket, string or other token.
Prologue = tuple[Token, ...]


@functools.lru_cache(maxsize=256)
def _prologue_tokens(prologue: str) -> Prologue:
    return tuple(t for t in tokens(prologue) if t.kind not in INSIGNIFICANT)


def query_tokens(query: str) -> list[Token]:
    """The tokens of ``query`` but whitespace and comments (:func:`significant_tokens`);
    :class:`~ilrs.graph.errors.QuerySyntaxError` at a string that never ends, naming where it starts."""
    prologue, rest = split_query_tokens(query)
    return [*prologue, *rest] if prologue else rest


def split_query_tokens(query: str) -> tuple[Prologue, list[Token]]:
    """:func:`query_tokens` in the two parts of :func:`split_significant_tokens`."""
    prologue, rest = split_significant_tokens(query)
    if rest and rest[-1].kind == "unterminated":
        line, column = line_and_column(query, rest[-1].start)
        message = f"invalid query: the string that starts at line {line}, column {column} is not closed"
        raise QuerySyntaxError(message, line=line, column=column)
    return prologue, rest


def unescape(text: str) -> str:
    """``text`` with its valid ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes replaced; invalid ones are left as they are."""

    def character(match: re.Match[str]) -> str:
        code = int(match.group()[2:], 16)
        return chr(code) if code <= 0x10FFFF else match.group()

    return _ESCAPE.sub(character, text)


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
