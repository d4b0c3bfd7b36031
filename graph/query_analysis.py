"""What a query's text says before it runs: its form, the services it calls, whether it names its
dataset, and whether it nests too deeply to be run.

The form (``SELECT``, ``ASK``, ``CONSTRUCT``, ``DESCRIBE``: the first keyword after the prologue)
lets the server choose the result's format before the query takes a worker; the query engine
still decides what the query is, and its result is written in a format that fits it.

``SERVICE`` makes the query engine send HTTP requests to any address the query names —
a server-side request forgery if left open — so a query may only call the endpoints in
``Settings.service_allowlist``, and never a ``SERVICE ?variable``.

``FROM``/``FROM NAMED`` must be honoured: the endpoint's default graph is the merge of all
graphs only for a query that names no dataset of its own (the store's union switch
would otherwise override the query's ``FROM``).

The query engine's parser recurses once per level of nesting and runs out of stack (the process
dies) on a few thousand levels: :data:`MAX_NESTING` levels of brackets are accepted.

All four are read off the query's tokens (:mod:`graph.sparql_tokens`: one linear scan, no parse
tree, no recursion, whatever the text), so that a comment, a string literal or an IRI can neither
hide a clause nor raise a false alarm. The engine (pyoxigraph) matches a keyword without a word
boundary on either side (``1SERVICE``, ``SERVICESILENT<…>`` and ``SERVICE:x`` call a service), so
every word or prefixed name that contains "service" counts as the keyword where what follows it
reads as a service call: an optional ``SILENT``, an IRI, prefixed name or variable, then ``{``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import urljoin

from .errors import ForbiddenService, QueryTooComplex, UnsupportedQuery
from .formats import Form
from .sparql_tokens import Prologue, Token, line_and_column, split_query_tokens, unescape
from .sparql_tokens import query_tokens as _significant

#: What the endpoint answers when it is sent an update.
READ_ONLY = (
    "a query is read-only: a SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, COPY, MOVE, ADD) is sent "
    "as update=… or as an application/sparql-update body, to /update or /sparql, with a write token"
)
#: Deepest nesting of ``{``, ``(`` and ``[`` accepted (no hand-written or generated query comes close).
MAX_NESTING = 128

# Unicode case-insensitive matching also catches look-alikes such as the long s: a safe superset.
_SERVICE = re.compile(r"service", re.IGNORECASE)
_SILENT = re.compile(r"silent", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Only used to word an error message well, never to decide what runs: see looks_like_update().
_PROLOGUE = re.compile(r"(?:\s|#[^\n]*|BASE\s*<[^>]*>|PREFIX\s*[^\s:]*:\s*<[^>]*>)*", re.IGNORECASE)
_UPDATE_KEYWORD = re.compile(r"(?:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.IGNORECASE)
_OPEN, _CLOSE = "{([", "})]"


@dataclass(frozen=True)
class QueryFacts:
    """What :func:`analyse` found in a query."""

    #: The IRIs the query calls with ``SERVICE`` (each one allowed).
    services: list[str] = field(default_factory=list)
    #: Whether the query has ``FROM`` or ``FROM NAMED`` (its own dataset).
    declares_dataset: bool = False
    #: What the query returns, by its first keyword after the prologue (``None`` if that is no query form).
    form: Form | None = None
    #: The query without comments, its tokens separated by one space: queries that differ only in layout
    #: have the same one (strings and IRIs are kept as written).
    normalised: str = ""
    #: Whether the answer depends only on the query and the data: no ``SERVICE`` and none of the functions
    #: whose value changes from one evaluation to the next (``NOW``, ``RAND``, ``UUID``, ``STRUUID``, ``BNODE``).
    deterministic: bool = True
    #: Whether the query reads no data at all and costs time linear in its text: see :func:`reads_no_data`.
    reads_no_data: bool = False


#: Functions whose value differs from one evaluation of a query to the next.
_VOLATILE = frozenset({"NOW", "RAND", "UUID", "STRUUID", "BNODE"})


def analyse(query: str, allowlist: Collection[str], max_nesting: int = MAX_NESTING) -> QueryFacts:
    """The :class:`QueryFacts` of ``query``, if every ``SERVICE`` IRI is in ``allowlist`` (else
    :class:`ForbiddenService`) and the query nests at most ``max_nesting`` levels deep (else
    :class:`QueryTooComplex`). An update is :class:`UnsupportedQuery`, a string never closed a
    :class:`QuerySyntaxError`.

    A ``SERVICE ?variable`` is always refused (its target is only known at run time), and so is
    a relative service IRI (it would depend on how each parser resolves it).
    """
    if looks_like_update(query):
        raise UnsupportedQuery(READ_ONLY)
    # The tokens of a plain prologue (most of a short query's text) come remembered, with what they say; only
    # the rest is read here. Their prologue holds no bracket, and nothing it holds can be read as the form.
    prologue, body = split_query_tokens(query)
    _check_nesting(query, body, max_nesting)
    called: list[str] = []
    # The engine reads \\u escapes only in strings and IRIs; a query whose keywords are escaped is
    # refused as well, in case another engine expands them everywhere (SPARQL 1.1, section 19.2).
    expanded = unescape(query)
    readings = [(query, [*prologue, *body])] + ([(expanded, _significant(expanded))] if expanded != query else [])
    for text, tokens_read in readings:
        # Every token is a piece of the text: a text without "service" anywhere calls none (the common case).
        targets = list(_service_targets(tokens_read)) if _SERVICE.search(text) else []
        prefixes = _prefixes(tokens_read) if targets else {}  # only a call's prefixed name needs them
        for target in targets:
            for iri in _service_iris(target, prefixes):
                if iri not in allowlist:
                    allowed = ", ".join(f"<{a}>" for a in allowlist) if allowlist else "none"
                    raise ForbiddenService(
                        f"SERVICE <{iri}> is not allowed: this endpoint only calls the services on its allow-list "
                        f"(Settings.service_allowlist; allowed: {allowed})"
                    )
                called.append(iri)
    declared, joined = _prologue_facts(prologue)
    declares, volatile = _dataset_and_volatility(body)
    deterministic = not called and not volatile and expanded == query
    form = _form(body)
    normalised = " ".join(t.text for t in body)
    return QueryFacts(
        services=list(dict.fromkeys(called)),
        declares_dataset=declares or declared,
        form=form,
        normalised=f"{joined} {normalised}" if joined and normalised else joined or normalised,
        deterministic=deterministic,
        reads_no_data=deterministic and form == "boolean" and _reads_no_data(body),
    )


@functools.lru_cache(maxsize=256)
def _prologue_facts(prologue: Prologue) -> tuple[bool, str]:
    """What :func:`analyse` reads off a plain prologue: whether a prefix's name counts as ``FROM`` (see
    :func:`_dataset_and_volatility`; no word of a prologue calls a function), and its normalised text."""
    return _dataset_and_volatility(list(prologue))[0], " ".join(t.text for t in prologue)


#: The tokens a constant expression of :func:`reads_no_data` is made of, besides numbers and strings (with a
#: language tag): brackets, and the operators of comparison, arithmetic and logic.
_CONSTANT_OPERATORS = frozenset("()!=<>+-*/&|")
_CONSTANT_WORDS = frozenset({"true", "false"})
#: The most tokens such a query may have after its prologue. The engine parses and evaluates an expression
#: recursively, a level per operator (brackets aside, ``!!!…!true`` nests as deep as it is long): eight
#: thousand levels take between 4 and 8 MiB of stack, a thread's whole stack, and overflowing it kills the
#: process. A query that reads no data is evaluated in the server's own process, so it stays far from that.
MAX_CONSTANT_TOKENS = 64


def reads_no_data(query: str) -> bool:
    """Whether ``query`` is an ``ASK`` whose pattern is empty or holds only ``FILTER`` s of constant expressions,
    in at most :data:`MAX_CONSTANT_TOKENS` tokens after its prologue.

    Such a query reads no data: no triple pattern, path, ``SERVICE``, function or variable can be written
    without a token this rule refuses (an IRI, a prefixed name, a variable, a blank node, ``[``, ``a`` or any
    other word), and a bracket is only read inside a ``FILTER`` 's expression, where it cannot open a
    collection. Its answer is the same on any dataset, and its evaluation takes time linear in its text, with
    no way to run long: the server may evaluate it without a worker process it could kill.

    >>> reads_no_data("PREFIX x: <http://x/> ASK {}"), reads_no_data('ask where { FILTER(1 >= 0 && "a"@en != "b") }')
    (True, True)
    >>> reads_no_data("ASK { (1 2) }"), reads_no_data("ASK { FILTER(STRLEN('a') > 0) }"), reads_no_data("ASK { 1 a 2 }")
    (False, False, False)
    """
    return _reads_no_data(_significant(query))


def _reads_no_data(significant: list[Token]) -> bool:
    index = _prologue_end(significant)
    if len(significant) - index > MAX_CONSTANT_TOKENS or not _well_formed_prologue(significant[:index]):
        return False
    words = [t.text.lower() if t.kind == "word" else None for t in significant[index : index + 2]]
    if words[:1] != ["ask"]:
        return False
    index += 2 if words[1:] == ["where"] else 1
    if index >= len(significant) or significant[index].text != "{" or significant[-1].text != "}":
        return False
    body = significant[index + 1 : -1]
    position = 0
    while position < len(body):
        token = body[position]
        if token.kind == "other" and token.text == ".":
            position += 1
            continue
        if token.kind != "word" or token.text.lower() != "filter" or position + 1 >= len(body):
            return False
        if body[position + 1].text != "(":
            return False
        position = _constant_expression_end(body, position + 1)
        if position < 0:
            return False
    return True


def _well_formed_prologue(prologue: list[Token]) -> bool:
    """Whether ``prologue`` is a series of ``BASE <iri>`` and ``PREFIX p: <iri>`` declarations, nothing else."""
    index = 0
    while index < len(prologue):
        word = prologue[index].text.lower() if prologue[index].kind == "word" else ""
        if word == "base" and prologue[index + 1 : index + 2] and prologue[index + 1].kind == "iri":
            index += 2
        elif (
            word == "prefix"
            and len(prologue) >= index + 3
            and prologue[index + 1].kind == "pname"
            and prologue[index + 1].text.endswith(":")
            and prologue[index + 2].kind == "iri"
        ):
            index += 3
        else:
            return False
    return True


def _constant_expression_end(body: list[Token], opening: int) -> int:
    """Where the bracketed constant expression that opens at ``opening`` ends (just after its ``)``), or -1."""
    depth = 0
    for position in range(opening, len(body)):
        token = body[position]
        if token.kind in ("number", "string", "langtag"):
            continue
        if token.kind == "word" and token.text.lower() in _CONSTANT_WORDS:
            continue
        if token.kind != "other" or token.text not in _CONSTANT_OPERATORS:
            return -1
        depth += {"(": 1, ")": -1}.get(token.text, 0)
        if depth == 0:
            return position + 1
    return -1


def declares_dataset(query: str) -> bool:
    """Whether ``query`` has ``FROM`` or ``FROM NAMED`` (its own dataset); comments and strings do not count."""
    return _declares_dataset(_significant(query))


def query_form(query: str) -> Form | None:
    """The form of ``query`` (``solutions``, ``boolean``, ``graph``), or ``None``.

    >>> query_form('PREFIX s: <http://x/select#> CONSTRUCT WHERE { ?s s:p "select" }')
    'graph'
    """
    return _form(_significant(query))


def without_dataset(query: str) -> str:
    """``query`` with its ``FROM`` and ``FROM NAMED`` clauses blanked out (same length: positions hold).

    >>> without_dataset('SELECT * FROM <http://g> FROM NAMED <http://n> WHERE { ?s ?p "FROM <x>" }')
    'SELECT *                                       WHERE { ?s ?p "FROM <x>" }'
    """
    significant = _significant(query)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(significant):
        if significant[i].kind == "word" and significant[i].text.lower() == "from":
            j = i + 1
            if j < len(significant) and significant[j].kind == "word" and significant[j].text.lower() == "named":
                j += 1
            if j < len(significant):
                spans.append((significant[i].start, significant[j].start + len(significant[j].text)))
                i = j
        i += 1
    for start, end in reversed(spans):
        query = query[:start] + " " * (end - start) + query[end:]
    return query


def resolve_relative(query: str, base: str) -> str:
    """``query`` with each relative IRI resolved against ``base`` (and against the query's own ``BASE``
    declarations after them), as a ``BASE <base>`` in front of it would: for an engine that refuses one.

    >>> resolve_relative('BASE <sub/> SELECT * { <a> <http://x/p> "<b>" }', "http://h/s/q")
    'BASE <http://h/s/sub/> SELECT * { <http://h/s/sub/a> <http://x/p> "<b>" }'
    """
    out: list[str] = []
    position = 0
    significant = _significant(query)
    for index, token in enumerate(significant):
        if token.kind != "iri":
            continue
        value = token.text[1:-1]
        resolved = value if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value) else urljoin(base, value)
        if index and _word(significant[index - 1]).lower() == "base":
            base = resolved
        if resolved != value:
            out += [query[position : token.start], f"<{resolved}>"]
            position = token.start + len(token.text)
    return "".join(out) + query[position:]


#: Keywords that each add a level to a query's algebra (a chain of BINDs is a chain of nested extensions).
_OPERATORS = frozenset({"bind", "optional", "minus", "union", "filter", "values", "service", "graph"})


#: What joins one triple pattern to the next: ``.``, and ``;`` or ``,`` for the same subject or predicate.
_PATTERN_JOINS = frozenset({".", ";", ","})


def check_operators(query: str, limit: int, patterns: int | None = None) -> None:
    """:class:`QueryTooComplex` if ``query`` has more than ``limit`` graph-pattern operators (``BIND``,
    ``OPTIONAL``, ``FILTER``…), or more than ``patterns`` triple patterns joined one to the next: each nests
    its algebra one level deeper, and an engine that evaluates it on a thread's stack may crash on a few
    hundred or thousand (Oxigraph server dies on about 700 joined triple patterns, or 3500 BINDs). The
    position is the first too many.

    >>> check_operators("SELECT * { BIND(1 AS ?a) BIND(2 AS ?b) }", 1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ilrs.graph.errors.QueryTooComplex: the query has more than 1 graph-pattern operators ... line 1, column 26
    >>> check_operators("SELECT * { ?s ?p 1 . ?s ?p 2 ; ?q 3 }", 10, patterns=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ilrs.graph.errors.QueryTooComplex: the query has more than 2 triple patterns ... line 1, column 30
    """
    operators = joins = 0
    for token in _significant(query):
        if token.kind == "word" and token.text.lower() in _OPERATORS:
            operators += 1
            if operators > limit:
                _too_complex(
                    query, token, f"more than {limit} graph-pattern operators (BIND, OPTIONAL, FILTER, UNION…)"
                )
        elif patterns is not None and token.kind == "other" and token.text in _PATTERN_JOINS:
            joins += 1
            if joins > patterns:
                _too_complex(query, token, f"more than {patterns + 1} triple patterns (joined by '.', ';' or ',')")


def _too_complex(query: str, token: Token, what: str) -> NoReturn:
    line, column = line_and_column(query, token.start)
    raise QueryTooComplex(
        f"the query has {what}, the most the store takes; the first beyond is at line {line}, column {column}",
        line=line,
        column=column,
    )


def wrap_arguments(query: str, function: str, wrapper: str) -> str:
    """``query`` with the argument of every call of ``function`` wrapped in a call of ``wrapper``.

    >>> wrap_arguments('SELECT (strlen(?l) AS ?n) { BIND(STRLEN(CONCAT(?a, ")")) AS ?m) }', "STRLEN", "STR")
    'SELECT (strlen(STR(?l)) AS ?n) { BIND(STRLEN(STR(CONCAT(?a, ")"))) AS ?m) }'
    """
    significant = _significant(query)
    inserts: list[tuple[int, str]] = []
    for i, token in enumerate(significant[:-1]):
        if token.kind != "word" or token.text.upper() != function or significant[i + 1].text != "(":
            continue
        depth = 0
        for closing in significant[i + 1 :]:
            depth += {"(": 1, ")": -1}.get(closing.text, 0) if closing.kind == "other" else 0
            if depth == 0:
                opening = significant[i + 1].start + 1
                inserts += [(opening, f"{wrapper}("), (closing.start, ")")]
                break
    for position, text in sorted(inserts, key=lambda insert: insert[0], reverse=True):
        query = query[:position] + text + query[position:]
    return query


def _declares_dataset(significant: list[Token]) -> bool:
    return _dataset_and_volatility(significant)[0]


def _dataset_and_volatility(significant: list[Token]) -> tuple[bool, bool]:
    """Whether the tokens name a dataset (a keyword, or a prefixed name's prefix, that begins with ``from``:
    the engine reads ``FROM`` without a word boundary after it), and whether they call a function of
    :data:`_VOLATILE`; in one pass, as every query is read for both."""
    declares = volatile = False
    for token in significant:
        kind = token.kind
        if kind == "word":
            text = token.text
            volatile = volatile or text.upper() in _VOLATILE
            declares = declares or text.lower().startswith("from")
        elif kind == "pname":
            declares = declares or token.text.partition(":")[0].lower().startswith("from")
    return declares, volatile


def looks_like_update(query: str) -> bool:
    """Whether ``query``'s first keyword after its prologue is an update operation.

    Used only to explain a refusal or a syntax error; updates are never run, whatever this says.
    """
    prologue = _PROLOGUE.match(query)
    return bool(_UPDATE_KEYWORD.match(query, prologue.end() if prologue else 0))


def _check_nesting(query: str, significant: list[Token], limit: int) -> None:
    depth = 0
    for token in significant:
        if token.kind != "other":
            continue
        if token.text in _OPEN:
            depth += 1
            if depth > limit:
                line, column = line_and_column(query, token.start)
                raise QueryTooComplex(
                    f"the query nests brackets more than {limit} levels deep (at line {line}, column {column}), "
                    "deeper than this endpoint accepts: simplify it",
                    line=line,
                    column=column,
                )
        elif token.text in _CLOSE:
            depth = max(0, depth - 1)


_FORMS: tuple[tuple[str, Form], ...] = (
    ("select", "solutions"),
    ("ask", "boolean"),
    ("construct", "graph"),
    ("describe", "graph"),
)


def _form(significant: list[Token]) -> Form | None:
    """The form named by the first keyword after the prologue."""
    word = _keyword(significant)
    # The engine reads a keyword without a word boundary after it ("SELECT*", "ASK{").
    return next((form for keyword, form in _FORMS if word.startswith(keyword)), None)


def _keyword(significant: list[Token]) -> str:
    """The first keyword after the prologue (``BASE <iri>``, ``PREFIX p: <iri>``), lower case; ``""`` if none."""
    index = _prologue_end(significant)
    return _word(significant[index]).lower() if index < len(significant) else ""


def _prologue_end(significant: list[Token]) -> int:
    """The index of the first token after the prologue (``BASE <iri>``, ``PREFIX p: <iri>``)."""
    index = 0
    while index < len(significant):
        word = _word(significant[index]).lower()
        if word == "base":
            index += 2
        elif word == "prefix":
            index += 3
        else:
            return index
    return index


def is_describe(query: str) -> bool:
    """Whether ``query`` is a ``DESCRIBE``.

    >>> is_describe("PREFIX d: <http://x/describe#> CONSTRUCT WHERE { ?s d:p ?o }"), is_describe("describe <x>")
    (False, True)
    """
    return _keyword(_significant(query)).startswith("describe")


def _word(token: Token) -> str:
    """The keyword-like part of a token: a bare word, or a prefixed name's prefix; else ``""``."""
    if token.kind == "word":
        return token.text
    if token.kind == "pname":
        return token.text.partition(":")[0]
    return ""


def _prefixes(significant: list[Token]) -> dict[str, list[str]]:
    """Every IRI each prefix is declared with (``PREFIX p: <iri>``; all of them, whichever one applies)."""
    declared: dict[str, list[str]] = {}
    for keyword, name, iri in zip(significant, significant[1:], significant[2:], strict=False):
        if keyword.kind == "word" and keyword.text.lower() == "prefix" and name.kind == "pname" and iri.kind == "iri":
            prefix, _, local = name.text.partition(":")
            if not local:
                declared.setdefault(prefix, []).append(iri.text)
    return declared


def _service_targets(significant: list[Token]) -> Iterator[Token]:
    """The target (an IRI, prefixed name or variable token) of every place that reads as a service call."""
    for index, token in enumerate(significant):
        if token.kind not in ("word", "pname"):
            continue
        for match in _SERVICE.finditer(token.text):
            for rest in _without_silent(token.text[match.end() :]):
                # A call reads [SILENT] target { : three tokens at most (a longer slice would copy the rest
                # of the query for every word that contains "service").
                yield from _target(rest, token.start, significant[index + 1 : index + 4])


def _target(rest: str, start: int, after: list[Token]) -> list[Token]:
    """The target of a service keyword followed by ``rest`` (in its own token) and the tokens ``after``.

    Nothing if what follows cannot be a call: a call goes on with its group graph pattern, ``{``.
    """
    if rest:  # the target is glued to the keyword: "SERVICE:x", "SERVICESILENT:x"
        candidates = [Token("pname", rest, start)] if ":" in rest else []
    else:
        if after and after[0].kind == "word" and after[0].text.lower() == "silent":
            after = after[1:]
        if not after or after[0].kind not in ("iri", "var", "pname"):
            return []
        target, after = after[0], after[1:]
        candidates = [target]
        if target.kind == "pname":
            candidates = [Token("pname", text, target.start) for text in _without_silent(target.text)]
    return candidates if after and after[0].text == "{" else []


def _without_silent(text: str) -> list[str]:
    """``text``, and ``text`` without a leading SILENT if it has one (both readings must be allowed)."""
    silent = _SILENT.match(text)
    return [text, text[silent.end() :]] if silent else [text]


def _service_iris(target: Token, prefixes: dict[str, list[str]]) -> list[str]:
    """The absolute IRIs a service target can name; :class:`ForbiddenService` for a variable or a relative IRI."""
    if target.kind == "var":
        raise ForbiddenService(
            f"SERVICE {target.text} is not allowed: a service must be named by an IRI on the allow-list"
        )
    if target.kind == "pname":
        prefix, _, local = target.text.partition(":")
        if prefix not in prefixes:
            raise ForbiddenService(f"SERVICE {target.text} uses an undeclared prefix {prefix}:")
        written = [iri[:-1] + local + ">" for iri in prefixes[prefix]]
    else:
        written = [target.text]
    iris = []
    for text in written:
        try:
            iri = unescape(text[1:-1])
        except (ValueError, OverflowError) as err:
            raise ForbiddenService(f"SERVICE {text} is not allowed: its IRI has an invalid escape") from err
        if not _SCHEME.match(iri):
            raise ForbiddenService(f"SERVICE <{iri}> is not allowed: a service IRI must be absolute")
        iris.append(iri)
    return iris


def limited(query: str, rows: int) -> str:
    """``query`` asked for at most ``rows`` solutions: a ``SELECT`` whose solution modifiers have no ``LIMIT``,
    ``OFFSET`` or trailing ``VALUES`` gets ``LIMIT rows`` after them; any other query is returned as it is.

    The engine stops evaluating at the limit (it does not sort or group less, but it binds no more rows than
    asked): what a page that shows the first rows of an answer needs. A query that bounds itself already, or
    is not a ``SELECT``, is read row by row and left by its reader. (Not ``SELECT * { { query } } LIMIT``:
    that would give the answer's columns in another order.)

    >>> limited("SELECT ?s WHERE { ?s ?p '}' } ORDER BY ?s # last", 13)
    "SELECT ?s WHERE { ?s ?p '}' } ORDER BY ?s # last\\nLIMIT 13\\n"
    >>> limited("SELECT * { ?s ?p ?o } LIMIT 5", 13), limited("ASK { ?s ?p ?o }", 13)
    ('SELECT * { ?s ?p ?o } LIMIT 5', 'ASK { ?s ?p ?o }')
    """
    significant = _significant(query)
    if _form(significant) != "solutions":
        return query
    depth, body_end = 0, None
    for index, token in enumerate(significant):
        if token.kind == "other" and token.text == "{":
            depth += 1
        elif token.kind == "other" and token.text == "}":
            depth -= 1
            if depth == 0:  # the end of the WHERE clause: solution modifiers and VALUES follow
                body_end = index
                break
    if body_end is None:
        return query
    if any(_word(t).lower() in ("limit", "offset", "values") for t in significant[body_end + 1 :]):
        return query
    return f"{query}\nLIMIT {rows}\n"
