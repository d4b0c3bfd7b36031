"""Short, readable SPARQL syntax-error messages from pyoxigraph's parser messages.

pyoxigraph reports ``error at L:C: expected one of …`` followed by every terminal the
grammar allows there, character classes included (``['A' ..= 'Z' | '\\u{00C0}'..=…]``).
:func:`explain` keeps the position, names what stands there, and says in one sentence
what was expected: the keywords and punctuation, never the character ranges; an
undeclared prefix or a ``/`` inside a prefixed name is named as such.

>>> explain("error at 1:27: expected one of Prefix not found, ['%'], ['.']", "SELECT * WHERE { ?s nope:x ?o }")
'error at 1:21: the prefix nope: is not declared (add PREFIX nope: <…> first)'
"""

from __future__ import annotations

import re

from .sparql_tokens import Token, line_and_column, tokens

_POSITION = re.compile(r"^error at (\d+):(\d+): (.*)$", re.DOTALL)
#: The parser's items: a quoted punctuation, a bracketed character class, or a bare word or phrase.
_ITEM = re.compile(r"\"(?:[^\"\\]|\\.)*\"|\[(?:[^\[\]'\"]|'(?:[^'\\]|\\.)*'|\"[^\"]*\")*\]|[^,\[\]\"]+")
#: At most this many expected items are listed.
MAX_EXPECTED = 8


def explain(message: str, query: str) -> str:
    """A one-sentence message for pyoxigraph's syntax error ``message`` about ``query``; others unchanged.

    The parser reports where it gave up, which for an undeclared prefix or a ``/`` in a
    prefixed name may be far from the cause (or name something else); those two are found
    in the query's tokens and reported at their own position.
    """
    match = _POSITION.match(message.strip())
    if not match:
        return message
    line, column, rest = int(match.group(1)), int(match.group(2)), match.group(3)
    cause = _prefix_problem(query)
    if cause is not None:
        return cause
    near = _near(query, _offset(query, line, column))
    if "IRI parsing failed" in rest:
        return f"error at {line}:{column}: invalid IRI {near}".rstrip()
    words = [e for e in _expected(rest) if e not in {"Prefix not found", "IRI parsing failed"}]
    found = f"unexpected {near}" if near else "unexpected end of query"
    if not words:
        return f"error at {line}:{column}: {found}"
    return f"error at {line}:{column}: {found}; expected {_one_of(words)}"


def _one_of(words: list[str]) -> str:
    """``X``, ``X or Y``, ``one of X, Y or Z``, ``one of X, Y, … or N other terms``."""
    if len(words) > MAX_EXPECTED:
        return f"one of {', '.join(words[:MAX_EXPECTED])} or {len(words) - MAX_EXPECTED} other terms"
    if len(words) <= 2:
        return " or ".join(words)
    return f"one of {', '.join(words[:-1])} or {words[-1]}"


def _expected(rest: str) -> list[str]:
    """The expected terminals named in the message, without character classes, in their order."""
    rest = re.sub(r"^expected (one of )?", "", rest.strip())
    return [item.strip() for item in _ITEM.findall(rest) if item.strip() and not item.strip().startswith("[")]


def _offset(query: str, line: int, column: int) -> int:
    """The character offset of 1-based ``line`` and ``column`` (columns count characters)."""
    lines = query.split("\n")
    before = sum(len(text) + 1 for text in lines[: max(line - 1, 0)])
    return min(before + max(column - 1, 0), len(query))


def _near(query: str, offset: int) -> str:
    """What stands at ``offset``: the word or character there, quoted; empty at the end."""
    rest = query[offset:].lstrip()
    if not rest:
        return ""
    token = re.match(r"\S+", rest)
    text = token.group(0) if token else rest[:1]
    return f"“{text[:20]}{'…' if len(text) > 20 else ''}”"


def _prefix_problem(query: str) -> str | None:
    """The message for the first undeclared prefix, or prefixed name with a ``/``, in ``query``; else ``None``."""
    significant = [t for t in tokens(query) if t.kind not in ("ws", "comment")]
    declared: set[str] = set()
    for i, token in enumerate(significant):
        if token.kind != "pname":
            continue
        prefix = token.text.partition(":")[0]
        before = significant[i - 1] if i else None
        if before is not None and before.kind == "word" and before.text.upper() == "PREFIX":
            declared.add(prefix)
            continue
        line, column = line_and_column(query, token.start)
        if prefix not in declared:
            return f"error at {line}:{column}: the prefix {prefix}: is not declared (add PREFIX {prefix}: <…> first)"
        if _slash_follows(token, significant[i + 1 : i + 3]):
            written = token.text + "".join(t.text for t in significant[i + 1 : i + 3])
            return (
                f"error at {line}:{column}: “{written}” is not a prefixed name: a local name cannot contain “/”; "
                "write the full IRI in <…>, or use a prefix whose namespace ends with “/” (such as country:PK)"
            )
    return None


def _slash_follows(pname: Token, after: list[Token]) -> bool:
    """Whether ``pname`` is glued to ``/`` and a bare word (``id:country/PK``), not a property path (``a:p/a:q``)."""
    if len(after) < 2 or after[0].text != "/" or after[1].kind not in ("word", "number"):
        return False
    return after[0].start == pname.start + len(pname.text) and after[1].start == after[0].start + 1
