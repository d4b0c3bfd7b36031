"""``name=value&…`` text (a query string, a form body) read into its pairs, as :func:`urllib.parse.parse_qsl` reads it.

The SPARQL endpoint reads every query out of such text, most of it percent-encoded (``%20`` for each space,
``%7B`` for each brace: a few hundred escapes in a short query). The standard library decodes escapes in Python,
a run at a time: tens of microseconds per request, a tenth of what the endpoint spends on a small query. Here an
ASCII text, the kind clients send, is decoded by the interpreter's C codecs in a few passes over the whole text;
anything else (a byte that is not ASCII, a ``%`` that begins no escape) goes the standard library's way, so that
the pairs are the same as :func:`~urllib.parse.parse_qsl` 's (``keep_blank_values=True``) whatever the text.

>>> parse_pairs("query=ASK%20%7B%7D&format=json&empty&x=a+b%2Bc")
[('query', 'ASK {}'), ('format', 'json'), ('empty', ''), ('x', 'a b+c')]
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs of ``text``, as ``parse_qsl(text, keep_blank_values=True)`` gives them."""
    if not text.isascii():
        return parse_qsl(text, keep_blank_values=True)
    pairs = []
    for field in text.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        pairs.append((percent_decode(name.replace("+", " ")), percent_decode(value.replace("+", " "))))
    return pairs


def percent_decode(text: str) -> str:
    """``text`` with its ``%XX`` escapes decoded as UTF-8 (an invalid sequence becomes U+FFFD), as
    :func:`~urllib.parse.unquote` decodes it.

    >>> percent_decode("caf%C3%A9%20%5C%41"), percent_decode("100%"), percent_decode("%FF")
    ('café \\\\A', '100%', '�')
    """
    if "%" not in text:
        return text
    if not text.isascii():
        return unquote(text)
    # Each %XX becomes \xXX (a backslash written first becomes \x5c), which the C unicode_escape codec turns into
    # the character U+00XX: a byte per character, read as UTF-8 at the end.
    escaped = text.replace("\\", "\\x5c").replace("%", "\\x")
    try:
        as_bytes = escaped.encode("ascii").decode("unicode_escape").encode("latin-1")
    except UnicodeDecodeError:  # a % that begins no escape ("100%", "%zz"): kept as it is, as unquote keeps it
        return unquote(text)
    return as_bytes.decode("utf-8", "replace")
