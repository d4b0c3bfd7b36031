"""A query's facts are the same whether its prologue's tokens and facts were remembered or read anew."""

from __future__ import annotations

import random

import pytest

from ilrs.graph import query_analysis
from ilrs.graph.sparql_tokens import query_tokens

#: Prologues long enough to be remembered, with prefixes whose names read as keywords of the analysis.
PROLOGUES = [
    "PREFIX ilrs: <https://w3id.org/ilrs/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n",
    "PREFIX from: <http://a/> PREFIX service: <http://allowed/> BASE <http://b/> # note\n PREFIX x: <http://x/>",
    "BASE <http://b/> PREFIX fromage: <http://a/> PREFIX now: <http://n/>   PREFIX a: <http://aaaaaaaaaaaaaa/>",
]
BODY = [
    *["SELECT * ", "ASK ", "CONSTRUCT ", "DESCRIBE ", "WHERE ", "{", "}", "(", ")", "FILTER", "1", ">=", "0", "true"],
    *["?s ", "<http://x/> ", "ilrs:p ", "service:x {", "SERVICE <http://allowed/> {", "SERVICE service: {", "now:x "],
    *["FROM <http://g/> ", "NAMED ", "NOW()", "RAND()", "PREFIX p: <http://p/> ", ". ", '"a" ', "#c\n", "\\u0041"],
]


def _facts(query: str) -> object:
    try:
        return query_analysis.analyse(query, ["http://allowed/"]).__dict__
    except Exception as err:  # the same refusal, with the same message, is the same outcome
        return type(err).__name__, str(err)


def test_a_remembered_prologue_says_what_reading_it_anew_says(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(17)
    queries = [rng.choice(PROLOGUES) + "".join(rng.choice(BODY) for _ in range(rng.randrange(12))) for _ in range(3000)]
    remembered = [_facts(query) for query in queries]
    monkeypatch.setattr(query_analysis, "split_query_tokens", lambda query: ((), query_tokens(query)))
    assert [_facts(query) for query in queries] == remembered
