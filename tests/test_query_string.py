"""A query string or form body is read into the pairs the standard library reads, whatever its text."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl, quote

import pytest

from ilrs.server.query_string import parse_pairs, percent_decode

#: Pieces of a query string: escapes whole and cut, UTF-8 whole and invalid, the characters the fast decoder
#: rewrites (backslash, %), separators, and text that is not ASCII (read by the standard library).
PIECES = [
    *["%41", "%7B", "%7b", "%C3%A9", "%C3", "%A9", "%E2%82%AC", "%E2%82", "%FF", "%00", "%", "%4", "%zz", "%%41"],
    *["\\", "\\x41", "\\u0041", "\\N{DIGIT ONE}", "\\%41", "+", "&", "=", "&&", "==", "a", "query", "é", " ", ";"],
]


def test_the_pairs_are_the_standard_librarys() -> None:
    rng = random.Random(5)
    for _ in range(50_000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randrange(12)))
        assert parse_pairs(text) == parse_qsl(text, keep_blank_values=True), text


@pytest.mark.parametrize(
    "query",
    ['PREFIX ex: <http://example.org/> SELECT * { ?s ex:p "caf\\u00e9 \\\\ 100% é € 𝄞" }', "ASK {}", ""],
)
def test_a_query_written_by_a_client_comes_back_whole(query: str) -> None:
    """What clients send: the query percent-encoded (every reserved character, spaces as %20 or +)."""
    for encoded in (quote(query, safe=""), quote(query, safe="").replace("%20", "+")):
        assert parse_pairs(f"query={encoded}&format=json") == [("query", query), ("format", "json")]
    assert percent_decode(quote(query, safe="")) == query
