"""The significant tokens of a query, read with its prologue's tokens remembered, are those of a whole scan."""

from __future__ import annotations

import random
import re

import pytest
from checkout import PROJECT_ROOT

from ilrs.graph.sparql_tokens import INSIGNIFICANT, significant_tokens, tokens

PIECES = [
    "PREFIX ilrs: <https://w3id.org/ilrs/ontology#>",
    "prefix : <http://x/>",
    "PrEfIx é.x: <http://x/é>",
    "PREFIX x:<http://x/>",
    "PREFIX a: <http://x/\\u0041>",
    "PREFIX:<http://x/>",
    "PREFIXED",
    "BASE <http://base/>",
    "BASE<rel/>",
    "BASE:x",
    "# a comment { ?s ?p ?o }",
    "#",
    " ",
    "\r\n",
    "\t",
    "<http://x/a b>",
    '"PREFIX s: <http://x/>"',
    "'''",
    "SELECT * WHERE { ?s ?p ?o }",
    "ASK {}",
    "x:y",
    ":",
]


def _whole(text: str) -> list[object]:
    return [t for t in tokens(text) if t.kind not in ("ws", "comment")]


def test_the_same_tokens_as_a_whole_scan() -> None:
    rng = random.Random(12)
    texts = [p.read_text() for p in sorted((PROJECT_ROOT / "queries").rglob("*.rq"))]
    texts += [
        "".join(rng.choice(PIECES) + rng.choice(["", " ", "\n"]) for _ in range(rng.randrange(1, 12)))
        for _ in range(3000)
    ]
    for text in texts:
        assert significant_tokens(text) == _whole(text), text


@pytest.mark.parametrize("layout", ["{prologue}ASK {{ ?s ?p ?o }}", "{prologue}\n# end\nSELECT * {{ ?x ?y ?z }}"])
def test_a_remembered_prologue_keeps_the_positions_of_what_follows(layout: str) -> None:
    prologue = "PREFIX ilrs: <https://w3id.org/ilrs/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    for _ in range(2):  # scanned, then remembered
        text = layout.format(prologue=prologue)
        found = significant_tokens(text)
        assert found == _whole(text)
        assert all(text[t.start : t.start + len(t.text)] == t.text for t in found)


def test_a_long_prologue_is_not_remembered() -> None:
    """Only a client's usual prefixes are remembered: a prologue of hundreds of KiB (comments, say) is scanned
    each time, so that queries sent to fill memory cannot."""
    from ilrs.graph.sparql_tokens import _prologue_tokens

    usual = "PREFIX ex: <http://example.org/>\nPREFIX ilrs: <https://w3id.org/ilrs/ontology#>\n"
    assert significant_tokens(usual + "ASK {}") == [t for t in tokens(usual + "ASK {}") if t.kind not in INSIGNIFICANT]
    before = _prologue_tokens.cache_info().currsize
    for n in range(3):
        text = f"# comment {n}\n" * 20_000 + "ASK {}"
        assert significant_tokens(text) == [t for t in tokens(text) if t.kind not in INSIGNIFICANT]
    assert _prologue_tokens.cache_info().currsize == before


#: Pieces of text around the tokens whose spelling the scanner writes its own way (prefixed names, IRIs, words,
#: punctuation, numbers): escapes, dots, colons and characters beyond ASCII, where the spellings could part.
TRICKY = [
    *["ex:a", "ex:a.", "ex:a\\.", "ex:a.b", "ex:%41", "ex:%4", "ex:\\", "a.b:c", "a.:b", "é.x:y", "·", ":x", ":"],
    *["_:b", "_:b.", "_:b.c", "<x>", "<a\\u0041b>", "<a\\u00>", "<a b>", "<\\U0001F600>", "<", ">", "<>"],
    *["SELECT", "a", "_", "x1", "Ab_", "FROM", "?v", "$w", "?", "@en-GB", "@", "0", "0.5", ".5", "1e3", "1.", "."],
    *["{", "}", "(", ")", "[", "]", ",", ";", "=", "!=", "&&", "||", "^^", "^", "*", "+", "/", "-", "|"],
    *['"s"', "'s'", '"""long"""', "'''", '"', "#c\n", "#c", " ", "\n", "\t", "\r\n", "\f", "\\"],
]


def _grammar_scanner() -> re.Pattern[str]:
    """The scanner as the SPARQL grammar spells its tokens, an alternation per character (the module's scanner
    spells IRIs, prefixed names and words its own, faster way, and reads some tokens before others)."""
    from ilrs.graph import sparql_tokens as st

    spelled = {a.split(">", 1)[0] + ">": a for a in st._ALTERNATIVES}  # by "(?P<name>"
    iri = rf"(?P<iri><(?:[^<>\"{{}}|^`\\\x00-\x20]|{st._UCHAR})*>)"
    pname = f"(?P<pname>(?:{st._PN_PREFIX})?:(?:{st._PN_LOCAL})?)"
    order = ["ws", "comment", "iri", "long", "open_long", "short", "open_short", "var", "langtag", "bnode"]
    order += ["pname", "number", "word", "other"]
    written = {"iri": iri, "pname": pname}
    return re.compile("|".join(written.get(name) or spelled[f"(?P<{name}>"] for name in order))


def test_the_scanner_reads_what_the_grammar_spells() -> None:
    """Every token the scanner reads, of every kind and at every place, is the one the grammar's spelling reads."""
    grammar = _grammar_scanner()
    kinds = {"long": "string", "short": "string", "open_long": "unterminated", "open_short": "unterminated"}
    rng = random.Random(31)
    for _ in range(20_000):
        text = "".join(rng.choice(TRICKY) for _ in range(rng.randrange(1, 10)))
        expected = []
        for match in grammar.finditer(text):
            kind = kinds.get(match.lastgroup or "", match.lastgroup)
            if kind == "unterminated":
                expected.append((kind, text[match.start() :], match.start()))
                break
            expected.append((kind, match.group(), match.start()))
        assert [tuple(t) for t in tokens(text)] == expected, text
        assert significant_tokens(text) == _whole(text), text
