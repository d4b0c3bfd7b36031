"""Queries rewritten so that Virtuoso 7 answers them as SPARQL 1.1 says, and its answers read back.

Virtuoso evaluates a few constructs wrongly. :class:`~ilrs.graph.remote_store.SparqlStore` with
``dialect="virtuoso"`` sends every query through :func:`rewrite`, which gives a query equivalent under
SPARQL 1.1's semantics that Virtuoso answers right, and reads the answer with :func:`boolean_variables`
and :func:`is_distinct`. Each rewrite works on the query's tokens (:mod:`graph.sparql_tokens`): comments,
strings and IRIs are never touched, and a construct the rewrite does not recognise is sent as written.

* A zero-length step in a path sequence (``ilrs:party/ilrs:agencyOf?``, ``a/rdfs:subClassOf*``) joined
  with other patterns loses solutions: the sequence is sent as the alternatives of its forms without a
  zero-length step (``(ilrs:party|ilrs:party/ilrs:agencyOf)``, ``(a|a/rdfs:subClassOf+)``).
* A group with a ``BIND`` followed by an ``OPTIONAL`` loses bindings (an ``OPTIONAL`` after it comes back
  with some of its variables unbound), and applies the group's ``FILTER`` to the ``OPTIONAL`` alone (the
  solutions it should remove come back, the optional part unbound): what precedes the ``BIND`` is sent as
  a sub-select, ``{ { SELECT * WHERE { … } LIMIT n } BIND(…) OPTIONAL {…} }``, and, if the group has
  filters, that as another, with the filters after it: ``{ { SELECT * WHERE { … } LIMIT n } FILTER(…) }``.
* A ``SELECT`` that is sorted, grouped or aggregated may drop a ``FILTER EXISTS`` (seen with one beside a
  ``UNION``): the ``WHERE`` pattern of such a query with ``EXISTS`` is sent as a sub-select,
  ``{ { SELECT * WHERE { … } LIMIT n } }``. (The sub-selects have a :data:`SUBSELECT_LIMIT` no answer reaches:
  Virtuoso merges one without a LIMIT back into the query, and evaluates that as written.)
* Blank nodes are held as skolem IRIs (INSERT DATA refuses blank nodes): ``isIRI``/``isURI`` and
  ``isBlank`` are sent testing the skolem prefix too, so that they answer as for the blank node (never as
  ``isIRI(x) && STRSTARTS(STR(x), …)``, for which Virtuoso answers no row beside an ``EXISTS`` with a path).
* ``STRLEN`` of a stored literal fails (SR586): ``STRLEN(STR(x))`` is sent, the same for a string.
* A computed boolean comes back as the integer 1 or 0: :func:`boolean_variables` names the variables
  bound to a boolean-valued expression, whose values the store turns back into ``xsd:boolean``; a boolean
  that ``IF`` or ``COALESCE`` returns is sent cast, ``xsd:boolean(…)``, whose type Virtuoso keeps.
* A path repeated by ``*``, ``+`` or ``?`` gives a pair of its ends once per route: such a path is sent as
  Virtuoso's transitive sub-select with ``T_DISTINCT``, and a sequence with such a step as its chain of
  triple patterns (:func:`_whole_path_repeats`, :func:`_repeated_steps_apart`).
* Inside an ``OPTIONAL`` such a path loses the solutions it does not match: the ``OPTIONAL``'s patterns are
  sent as a ``UNION`` with a branch that matches nothing (:func:`_optional_repeats_united`); inside ``MINUS`` or
  ``NOT EXISTS`` such a path to a resource removes nothing: the resource's end is sent as a variable compared
  by its string (:func:`_negated_path_ends`), as in an ``OPTIONAL``.
* Inside ``GRAPH ?g`` a path repeated by ``+`` gives a pair once per route: refused where the repeats would show
  (:func:`_check_graph_variable_repeats`).
* ``SELECT DISTINCT`` may repeat a solution: :func:`is_distinct` tells the store to drop the repeats.
"""

from __future__ import annotations

import itertools
import re

from .errors import QueryRefused
from .query_analysis import query_form, wrap_arguments
from .sparql_tokens import Token, query_tokens

#: Zero-length steps in one sequence rewritten at most (each doubles the alternatives sent); a sequence with
#: more is refused.
MAX_ZERO_LENGTH_STEPS = 4
#: Virtuoso's options of a transitive sub-select for a path repeated as a whole by each modifier: every pair
#: of ends once (``T_DISTINCT``: such a path's solutions are a set in SPARQL), and the number of steps.
_TRANSITIVE_STEPS = {"*": "T_MIN(0)", "+": "T_MIN(1)", "?": "T_MIN(0), T_MAX(1)"}
#: Functions whose value is a boolean.
_BOOLEAN_FUNCTIONS = frozenset(
    {
        "BOUND", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC", "REGEX", "CONTAINS", "STRSTARTS",
        "STRENDS", "SAMETERM", "LANGMATCHES", "EXISTS", "NOT",
    }
)  # fmt: skip
#: The LIMIT of a sub-select the rewrites add: no answer reaches it, and Virtuoso does not merge a sub-select
#: that has one back into the query around it (it would then evaluate the query as written).
SUBSELECT_LIMIT = 1_000_000_000
#: Words that make a SELECT sorted, grouped or aggregated.
_MODIFIERS = frozenset({"ORDER", "GROUP", "HAVING", "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"})


def rewrite(query: str, skolem_base: str) -> str:
    """``query`` as Virtuoso answers it as SPARQL 1.1 says (see the module's documentation);
    ``skolem_base`` is the prefix of the IRIs that stand for blank nodes in the store.

    >>> rewrite("SELECT * { ?a <p>/<q>? ?c }", "http://x/genid/")
    'SELECT * { ?a (<p>/<q>|<p>) ?c }'
    """
    sent = wrap_arguments(query, "STRLEN", "STR")
    sent = _boolean_arguments(sent)
    sent = _skolem_tests(sent, skolem_base)
    sent = _optional_repeats_united(sent)
    sent = _negated_path_ends(sent)
    sent = _repeated_steps_apart(sent)
    sent = _whole_path_repeats(sent)
    sent = _without_zero_length_steps(sent)
    _check_graph_variable_repeats(sent, set_valued=is_distinct(query) or query_form(query) in ("boolean", "graph"))
    sent = _bind_groups_isolated(sent)
    return _exists_under_modifiers(sent)


def boolean_variables(query: str) -> frozenset[str]:
    """The variables (without ``?``) ``query`` binds to a boolean-valued expression, with ``(expr AS ?v)``
    or ``BIND(expr AS ?v)``: a comparison, ``&&``, ``||``, ``!``, ``IN``, a boolean function, ``true`` or
    ``false``, or such a variable.

    >>> sorted(boolean_variables("SELECT (?a > 1 AS ?b) (IF(?a > 1, 1, 0) AS ?n) { BIND(BOUND(?a) AS ?c) }"))
    ['b', 'c']
    """
    significant = query_tokens(query)
    closing = {close: open_ for open_, close in _pairs(significant).items()}
    bound: dict[str, list[list[Token]]] = {}
    for index, token in enumerate(significant[:-2]):
        after, end = significant[index + 1], significant[index + 2]
        if _is_word(token, "AS") and after.kind == "var" and end.text == ")" and index + 2 in closing:
            bound.setdefault(after.text[1:], []).append(significant[closing[index + 2] + 1 : index])
    found: set[str] = set()
    while True:
        # A name bound in several places is boolean only if each of its expressions is.
        more = {n for n, exprs in bound.items() if n not in found and all(_is_boolean(e, found) for e in exprs)}
        if not more:
            return frozenset(found)
        found |= more


def is_distinct(query: str) -> bool:
    """Whether ``query`` is a ``SELECT DISTINCT`` or ``SELECT REDUCED`` (after its prologue).

    >>> is_distinct("PREFIX s: <x:> SELECT DISTINCT ?s {}"), is_distinct("SELECT ?distinct {}")
    (True, False)
    """
    significant = query_tokens(query)
    for index, token in enumerate(significant[:-1]):
        if _is_word(token, "SELECT"):
            return _is_word(significant[index + 1], "DISTINCT") or _is_word(significant[index + 1], "REDUCED")
    return False


_XSD = "http://www.w3.org/2001/XMLSchema#"
_RESULT = re.compile(rb"<result>.*?</result>", re.DOTALL)


def xml_results_read_back(body: bytes, booleans: frozenset[str], *, distinct: bool) -> bytes:
    """Virtuoso's SPARQL XML results with the integers 1 and 0 bound to a variable of ``booleans`` (from
    :func:`boolean_variables`) as ``xsd:boolean``, and, if ``distinct`` (:func:`is_distinct`), each
    ``<result>`` once (a repeated solution is written the same way each time)."""
    for name in booleans:
        for number, value in ((b"1", b"true"), (b"0", b"false")):
            body = body.replace(
                b'<binding name="' + name.encode() + b'"><literal datatype="' + _XSD.encode() + b'integer">'
                + number + b"</literal>",
                b'<binding name="' + name.encode() + b'"><literal datatype="' + _XSD.encode() + b'boolean">'
                + value + b"</literal>",
            )  # fmt: skip
    if distinct:
        seen: set[bytes] = set()

        def once(match: re.Match[bytes]) -> bytes:
            row = match.group(0)
            if row in seen:
                return b""
            seen.add(row)
            return row

        body = _RESULT.sub(once, body)
    return body


# -- the rewrites --


def _boolean_arguments(query: str) -> str:
    """Each boolean-valued value argument of ``IF`` (its second and third) and ``COALESCE`` cast with
    ``xsd:boolean(…)``, which gives the same value: Virtuoso makes a boolean such a function returns the
    integer 1 or 0, but keeps the type of a cast."""
    significant = query_tokens(query)
    pairs = _pairs(significant)
    booleans = set(boolean_variables(query))
    inserts: list[tuple[int, str]] = []
    for index, token in enumerate(significant[:-1]):
        name = token.text.upper() if token.kind == "word" else ""
        if name not in ("IF", "COALESCE") or index + 1 not in pairs:
            continue
        arguments = _arguments(significant, index + 1, pairs[index + 1], pairs)
        for start, end in arguments[1:] if name == "IF" else arguments:
            if start < end and _is_boolean(significant[start:end], booleans):
                inserts += [(significant[start].start, f"<{_XSD}boolean>("), (_end(significant[end - 1]), ")")]
    for position, text in sorted(inserts, key=lambda insert: insert[0], reverse=True):
        query = query[:position] + text + query[position:]
    return query


def _arguments(significant: list[Token], open_: int, close: int, pairs: dict[int, int]) -> list[tuple[int, int]]:
    """The (start, end) tokens of each argument of the call whose brackets are at ``open_`` and ``close``."""
    arguments: list[tuple[int, int]] = []
    start = index = open_ + 1
    while index < close:
        if significant[index].text == ",":
            arguments.append((start, index))
            start = index + 1
        index = pairs.get(index, index) + 1
    return [*arguments, (start, close)]


def _skolem_tests(query: str, skolem_base: str) -> str:
    """``isIRI``/``isURI``/``isBlank`` calls that answer for a skolem IRI as for the blank node it stands for."""
    significant = query_tokens(query)
    pairs = _pairs(significant)
    edits: list[tuple[int, int, str]] = []
    done = -1
    prefix = f'"{skolem_base}"'
    for index, token in enumerate(significant[:-1]):
        name = token.text.upper() if token.kind == "word" else ""
        if index <= done or name not in ("ISIRI", "ISURI", "ISBLANK") or index + 1 not in pairs:
            continue
        done = pairs[index + 1]
        call = query[token.start : significant[done].start + 1]
        argument = query[significant[index + 1].start + 1 : significant[done].start]
        skolem = f"STRSTARTS(STR({argument}), {prefix})"
        # Not isIRI(x) && STRSTARTS(STR(x), …): beside an EXISTS with a repeated path Virtuoso answers no row
        # for a filter of that shape. A term that is neither a blank node nor a literal is an IRI.
        not_literal = f"!isLiteral({argument})"
        if name == "ISBLANK":
            replacement = f"({call} || ({not_literal} && {skolem}))"
        else:
            replacement = f"(!isBlank({argument}) && {not_literal} && !{skolem})"
        edits.append((token.start, significant[done].start + 1, replacement))
    return _edited(query, edits)


def _optional_repeats_united(query: str) -> str:
    """Each ``OPTIONAL`` whose group holds a repeated path (``p*``, ``p+``, ``p?``), its patterns as one branch of a
    ``UNION`` with a branch that matches nothing: ``OPTIONAL { { ?c p+ ?s } UNION { FILTER(false) } FILTER(…) }``.

    The same solutions (a union with nothing), but Virtuoso then keeps the solutions the optional part does not
    match, which it loses when the path (as written or as its transitive sub-select) is the ``OPTIONAL``'s own
    pattern. The group's filters stay outside the ``UNION`` (they are the left join's condition, which sees the
    variables bound before the ``OPTIONAL`` too): a filter between two patterns is moved after them.
    """
    significant, pairs, _, enclosing = _bracketed(query)
    edits: list[tuple[int, int, str]] = []
    for index, token in enumerate(significant[:-1]):
        open_ = index + 1
        if not _is_word(token, "OPTIONAL") or significant[open_].text != "{" or open_ not in pairs:
            continue
        close = pairs[open_]
        if not any(_is_repeat(significant, i, enclosing) for i in range(open_ + 1, close)):
            continue
        elements = _group_elements(significant, open_, close, pairs)
        patterns = [(start, end) for start, end, kind in elements or [] if kind != "FILTER"]
        if elements is None or not patterns:
            continue
        first, last = patterns[0][0], patterns[-1][1]
        between = [(start, end) for start, end, kind in elements if kind == "FILTER" and first < start < last]
        if any(_is_word(t, "OPTIONAL") for start, end in between for t in significant[start:end]):
            continue  # (its own OPTIONAL would be rewritten inside the text moved)
        moved = "".join(f" {_text(query, significant, start, end)}" for start, end in between)
        edits.append((significant[first].start, significant[first].start, "{ "))
        edits += [(significant[start].start, significant[end].start, "") for start, end in between]
        end = _end(significant[last - 1])
        edits.append((end, end, f" }} UNION {{ FILTER(false) }}{moved}"))
    return _edited(query, edits)


def _is_repeat(significant: list[Token], index: int, enclosing: list[int | None]) -> bool:
    """Whether the token at ``index`` is the ``*``, ``+`` or ``?`` of a repeated path step, at any depth of a
    bracketed path: not arithmetic, whose brackets are a call's (after ``FILTER``, ``BIND`` or a function)."""
    if index == 0 or not _is_modifier(significant[index], "?*+"):
        return False
    if not (_is_primary(significant[index - 1]) or significant[index - 1].text == ")"):
        return False
    outer = enclosing[index]
    while outer is not None and significant[outer].text == "(":
        if outer > 0 and significant[outer - 1].kind in ("word", "pname", "iri"):
            return False  # the brackets of a call: an expression
        outer = enclosing[outer]
    return outer is not None and significant[outer].text in "{["


def _negated_path_ends(query: str) -> str:
    """Inside ``NOT EXISTS`` or ``MINUS``, each triple pattern whose path has a repeated step, a resource at one end
    and a variable at the other, with a new variable at the resource's end compared to it by its string:
    ``MINUS { ?c rdfs:subClassOf* ?ilrs_negated_end1 FILTER(isIRI(?ilrs_negated_end1) &&
    STR(?ilrs_negated_end1) = STR(org:Organization)) }`` for ``MINUS { ?c rdfs:subClassOf* org:Organization }``.

    Virtuoso removes nothing with such a path to a resource there (compared with ``=`` or ``sameTerm`` it finds
    the same); ``EXISTS`` (not negated) answers right as written, and so does a path to a literal there, which is
    sent as written.
    """
    significant, pairs, opening, enclosing = _bracketed(query)
    edits: list[tuple[int, int, str]] = []
    covered = -1
    for index, _token in enumerate(significant):
        if index <= covered or not _is_repeat(significant, index, enclosing):
            continue
        outer = enclosing[index]
        start, end = _path_span(significant, index, pairs, opening)
        covered = end - 1
        if not _in_negation(significant, outer, enclosing):
            continue
        triple = _triple_around(significant, start, end, opening)
        if triple is None:
            continue
        first, last, subject, obj, continues = triple
        resources = [t.kind in ("iri", "pname") for t in (subject, obj)]
        variables = [t.kind == "var" for t in (subject, obj)]
        if sorted(resources) != [False, True] or sorted(variables) != [False, True]:
            continue
        name = f"?ilrs_negated_end{len(edits) + 1}"
        resource = subject if resources[0] else obj
        ends = (name, obj.text) if resources[0] else (subject.text, name)
        text = f"{ends[0]} {_text(query, significant, start, end)} {ends[1]} FILTER({_same_resource(name, resource)})"
        follows_others = significant[first].text == ";"
        text = (". " if follows_others else "") + text + (f" {subject.text}" if continues else "")
        edits.append((significant[first].start, _end(significant[last - 1]), text))
    return _edited(query, edits)


def _in_optional(significant: list[Token], group: int | None, enclosing: list[int | None]) -> bool:
    """Whether the group opening at ``group`` is inside ``OPTIONAL { … }`` (at any depth)."""
    while group is not None:
        if group >= 1 and _is_word(significant[group - 1], "OPTIONAL"):
            return True
        group = enclosing[group]
    return False


def _in_negation(significant: list[Token], group: int | None, enclosing: list[int | None]) -> bool:
    """Whether the innermost ``EXISTS`` or ``MINUS`` group around the group at ``group`` is ``NOT EXISTS``,
    ``!EXISTS`` or ``MINUS``."""
    while group is not None:
        if group >= 1 and _is_word(significant[group - 1], "MINUS"):
            return True
        if group >= 1 and _is_word(significant[group - 1], "EXISTS"):
            before = significant[group - 2] if group >= 2 else None
            return before is not None and (_is_word(before, "NOT") or before.text == "!")
        group = enclosing[group]
    return False


def _check_graph_variable_repeats(query: str, *, set_valued: bool) -> None:
    """:class:`QueryRefused` for a path repeated by ``+`` or ``*`` inside ``GRAPH ?g`` (outside ``EXISTS`` and
    ``MINUS``) of a query whose solutions are not a set (``set_valued``: ``SELECT DISTINCT`` or ``REDUCED``,
    ``ASK``, ``CONSTRUCT``, ``DESCRIBE``): Virtuoso gives such a path's pair once per route there, and the
    transitive sub-select that gives it once reads every graph."""
    if set_valued:
        return
    significant, pairs, opening, enclosing = _bracketed(query)
    for index, token in enumerate(significant):
        if not _is_repeat(significant, index, enclosing) or token.text == "?":
            continue
        outer = enclosing[index]
        if not _in_graph_variable(significant, outer, enclosing) or _in_exists_or_minus(significant, outer, enclosing):
            continue
        start, end = _path_span(significant, index, pairs, opening)
        while start > 0 and significant[start - 1].text == "(" and pairs.get(start - 1) == end:
            start, end = start - 1, end + 1  # the brackets around the whole path
        raise QueryRefused(
            f"the SPARQL store (Virtuoso) gives each pair of the path {_text(query, significant, start, end)} (a path "
            "repeated with + or * inside GRAPH with a variable) once per route that links them: ask for SELECT "
            "DISTINCT (or REDUCED), name the graph, or move the path out of the GRAPH"
        )


def _repeated_steps_apart(query: str) -> str:
    """Each triple pattern whose path is a sequence with a step repeated by ``*`` or ``+`` (``?x a/rdfs:subClassOf*
    ?c``) as the chain of triple patterns that SPARQL 1.1 defines it to be, in a sub-select that projects its
    ends: ``{ SELECT ?x ?c WHERE { ?x a ?ilrs_step1 . ?ilrs_step1 rdfs:subClassOf* ?c } }`` (Virtuoso repeats a
    pair of such a step's ends once per route; :func:`_whole_path_repeats` then rewrites the repeated step).

    Left as written: a sequence inside a bracketed path or among alternatives (``|``), inside ``GRAPH ?g``
    (where Virtuoso's sub-selects read every graph) or inside ``EXISTS`` or ``MINUS``, and the triple patterns
    :func:`_triple_around` does not read.
    """
    significant, pairs, opening, enclosing = _bracketed(query)
    edits: list[tuple[int, int, str]] = []
    covered = -1
    for index, token in enumerate(significant):
        if index <= covered or index == 0 or not _is_modifier(token, "*+"):
            continue
        if not (_is_primary(significant[index - 1]) or significant[index - 1].text == ")"):
            continue
        outer = enclosing[index]
        if outer is None or significant[outer].text != "{" or _in_graph_variable(significant, outer, enclosing):
            continue
        start, end = _path_span(significant, index, pairs, opening)
        if _in_exists_or_minus(significant, outer, enclosing):
            covered = end - 1
            continue
        covered = end - 1
        steps = _steps(significant, start, end, pairs)
        triple = _triple_around(significant, start, end, opening)
        if steps is None or len(steps) < 2 or triple is None:
            continue
        first, last, subject, obj, continues = triple
        ends = list(dict.fromkeys(t.text for t in (subject, obj) if t.kind == "var"))
        if not ends:
            continue
        nodes = [subject.text, *(f"?ilrs_step{n}" for n in range(1, len(steps))), obj.text]
        chain = " . ".join(
            f"{nodes[n]} {_text(query, significant, s, e)} {nodes[n + 1]}" for n, (s, e) in enumerate(steps)
        )
        text = f"{{ SELECT {' '.join(ends)} WHERE {{ {chain} }} }}"
        follows_others = significant[first].text == ";"  # of its subject: their block ends before it
        text = (". " if follows_others else "") + text + (f" {subject.text}" if continues else "")
        edits.append((significant[first].start, _end(significant[last - 1]), text))
    return _edited(query, edits)


def _steps(significant: list[Token], start: int, end: int, pairs: dict[int, int]) -> list[tuple[int, int]] | None:
    """The (start, end) tokens of each step of the sequence path between tokens ``start`` and ``end``;
    ``None`` if it is not one sequence (alternatives, or a step that cannot be read)."""
    steps: list[tuple[int, int]] = []
    index = start
    while index < end:
        after = _step_end(significant, index, pairs)
        if after is None or after > end or (after < end and significant[after].text != "/"):
            return None
        steps.append((index, after))
        index = after + 1
    return steps


def _whole_path_repeats(query: str) -> str:
    """Each triple pattern whose whole path is one step repeated (``?a p* ?b``, ``(p/q?)+``, ``^p?``) as
    Virtuoso's transitive sub-select of the step, which gives each pair of ends once, as SPARQL 1.1 does
    (Virtuoso repeats a pair once per route and per graph of the default graph that holds it):
    ``{ SELECT ?a ?b WHERE { ?a p ?b } } OPTION (TRANSITIVE, T_DISTINCT, T_IN(?a), T_OUT(?b), T_MIN(0))``
    (see :func:`_transitive`).

    Inside ``GRAPH ?g`` Virtuoso loses the zero-length solutions of such a path, and its sub-selects there read
    every graph: a ``*`` or ``?`` path there is refused (:class:`QueryRefused`), a ``+`` path sent as written
    (a pair may come more than once). A path with a blank node, a literal or the same variable at both ends, a
    triple pattern in an object list (``,``), and one inside ``EXISTS`` or ``MINUS`` (where a pair counts once
    however often it comes, and Virtuoso would lose the outer bindings of a sub-select) are sent as written.
    """
    significant, pairs, opening, enclosing = _bracketed(query)
    edits: list[tuple[int, int, str]] = []
    for index, token in enumerate(significant):
        if index == 0 or not _is_modifier(token, "?*+"):
            continue
        if not (_is_primary(significant[index - 1]) or significant[index - 1].text == ")"):
            continue
        outer = enclosing[index]
        if outer is None or significant[outer].text != "{" or _in_exists_or_minus(significant, outer, enclosing):
            continue
        start = _step_start(significant, index, opening)
        if _is_path_joint(significant, start - 1) or _is_path_joint(significant, index + 1):
            continue  # a step of a sequence or of alternatives
        triple = _triple_around(significant, start, index + 1, opening)
        if triple is None:
            continue
        first, last, subject, obj, continues = triple
        if _in_graph_variable(significant, outer, enclosing):
            if token.text == "+":
                continue  # repeats a pair at worst: its sub-select would read every graph
            raise QueryRefused(
                f"the SPARQL store (Virtuoso) cannot evaluate the path {_text(query, significant, start, index + 1)} "
                "(a path repeated as a whole with * or ?) inside GRAPH with a variable: it loses its zero-length "
                "solutions there; name the graph, move the path out of the GRAPH, or write it with + and the "
                "zero-length case apart"
            )
        step = _text(query, significant, start, index)
        if step.startswith("(") and pairs.get(start) == index - 1:
            step = step[1:-1]  # the bracketed path alone: its own steps are rewritten then
        repeated = _transitive(subject, step, obj, token.text, optional=_in_optional(significant, outer, enclosing))
        if repeated is None:
            continue
        follows_others = significant[first].text == ";"  # of its subject: their block ends before it
        text = (". " if follows_others else "") + repeated + (f" {subject.text}" if continues else "")
        edits.append((significant[first].start, _end(significant[last - 1]), text))
    return _edited(query, edits)


#: The variable that stands for a resource at one end of a transitive sub-select; the sub-select around it
#: does not project it, so the query's own variable of that name, if any, is another.
_END = "?ilrs_path_end"


def _transitive(subject: Token, step: str, obj: Token, modifier: str, *, optional: bool = False) -> str | None:
    """``subject step obj`` repeated by ``modifier`` (``*``, ``+``, ``?``) as a transitive sub-select of
    ``step``; a resource at one end becomes :data:`_END`, compared to it in a ``FILTER`` inside a sub-select
    that projects only the other end (inside an ``OPTIONAL``, an IRI by its string: :func:`_same_resource`).
    ``None`` for ends that are the same variable, or two resources."""
    variables = [subject.kind == "var", obj.kind == "var"]
    if variables == [False, False] or subject.text == obj.text:
        return None
    start, end = (subject.text if variables[0] else _END), (obj.text if variables[1] else _END)
    sub = (
        f"{{ SELECT {start} {end} WHERE {{ {start} {step} {end} }} }} "
        f"OPTION (TRANSITIVE, T_DISTINCT, T_IN({start}), T_OUT({end}), {_TRANSITIVE_STEPS[modifier]})"
    )
    if all(variables):
        return sub
    resource, kept = (obj, subject) if variables[0] else (subject, obj)
    same = _same_resource(_END, resource) if optional else f"{_END} = {resource.text}"
    return f"{{ SELECT {kept.text} WHERE {{ {sub} FILTER({same}) }} }}"


def _same_resource(variable: str, resource: Token) -> str:
    """A filter that ``variable`` is ``resource``, an IRI compared by its string. Virtuoso turns ``?v = <x>`` into
    the path's end, and then loses solutions in an ``OPTIONAL``, ``MINUS`` or ``NOT EXISTS``; elsewhere it needs
    it so (from a path's two variable ends it cannot start)."""
    if resource.kind in ("iri", "pname"):
        return f"isIRI({variable}) && STR({variable}) = STR({resource.text})"
    return f"{variable} = {resource.text}"


def _triple_around(
    significant: list[Token], start: int, end: int, opening: dict[int, int]
) -> tuple[int, int, Token, Token, bool] | None:
    """The triple pattern whose path spans tokens ``start`` to ``end``, with one subject and one object that
    are single tokens: (the first token to replace, the token after the last, the subject, the object, whether
    the subject's predicate-object list goes on after it). The first token is the subject if the pattern starts
    its triples block, else the ``;`` before the path; the last tokens include the ``;`` after the object if
    the list goes on. ``None`` for any other shape."""
    if end >= len(significant) or significant[end].kind not in ("var", "iri", "pname"):
        return None
    obj = significant[end]
    after = end + 1
    while after < len(significant) and significant[after].text == ";":
        after += 1
    continues = after > end + 1 and after < len(significant) and _starts_predicate(significant[after])
    if after == end + 1 and after < len(significant) and significant[after].text == ",":
        return None  # an object list: the other objects share the path
    if start < 2:
        return None
    if significant[start - 1].text == ";":
        first = start - 1
        index = start - 2
        while index >= 0 and not _ends_block(significant, index, opening):
            index = opening.get(index, index) - 1  # a bracketed object is skipped whole
        subject = significant[index + 1]
    elif _ends_block(significant, start - 2, opening):
        first = start - 1
        subject = significant[start - 1]
    else:
        return None
    if subject.kind not in ("var", "iri", "pname"):
        return None
    return first, after if continues else end + 1, subject, obj, continues


def _ends_block(significant: list[Token], index: int, opening: dict[int, int]) -> bool:
    """Whether the token at ``index`` ends what comes before a triples block: ``.``, ``{``, ``}``, or the ``)``
    of a call (``FILTER(…)``, ``BIND(…)``), not that of a collection."""
    if index < 0:
        return True
    token = significant[index]
    if token.kind != "other":
        return False
    if token.text in ".{}":
        return True
    return (
        token.text == ")" and index in opening and opening[index] > 0 and significant[opening[index] - 1].kind == "word"
    )


def _starts_predicate(token: Token) -> bool:
    return _is_primary(token) or token.kind == "var" or (token.kind == "other" and token.text in "(^!")


def _is_path_joint(significant: list[Token], index: int) -> bool:
    return 0 <= index < len(significant) and significant[index].kind == "other" and significant[index].text in "/|"


def _in_graph_variable(significant: list[Token], group: int | None, enclosing: list[int | None]) -> bool:
    """Whether the group opening at ``group`` is inside ``GRAPH ?g { … }`` (at any depth)."""
    while group is not None:
        if group >= 2 and significant[group - 1].kind == "var" and _is_word(significant[group - 2], "GRAPH"):
            return True
        group = enclosing[group]
    return False


def _in_exists_or_minus(significant: list[Token], group: int | None, enclosing: list[int | None]) -> bool:
    """Whether the group opening at ``group`` is inside ``EXISTS { … }`` or ``MINUS { … }`` (at any depth), where
    a solution counts once however often it comes: Virtuoso loses the outer bindings of a sub-select there."""
    while group is not None:
        if group >= 1 and (_is_word(significant[group - 1], "EXISTS") or _is_word(significant[group - 1], "MINUS")):
            return True
        group = enclosing[group]
    return False


def _text(query: str, significant: list[Token], start: int, end: int) -> str:
    """The query's text from token ``start`` to token ``end`` (excluded)."""
    return query[significant[start].start : _end(significant[end - 1])]


def _without_zero_length_steps(query: str) -> str:
    """Each path sequence with a zero-length step (``p?``, ``p*``) and a step that is not, as the alternatives
    of its forms without zero-length steps (``p?`` left out or as ``p``, ``p*`` left out or as ``p+``).

    A path whose every step may be zero-length, or a step inside a bracketed path, are sent as written; more
    than :data:`MAX_ZERO_LENGTH_STEPS` such steps in one sequence are refused (:class:`QueryRefused`).
    """
    significant, pairs, opening, enclosing = _bracketed(query)
    edits: list[tuple[int, int, str]] = []
    covered = -1
    for index, token in enumerate(significant):
        if index <= covered or not _is_modifier(token, "?*") or index == 0:
            continue
        before = significant[index - 1]
        if not (_is_primary(before) or before.text == ")"):
            continue
        outer = enclosing[index]
        if outer is None or significant[outer].text not in "{[":
            continue
        start, end = _path_span(significant, index, pairs, opening)
        covered = end - 1
        replacement = _path_alternatives(query, significant, start, end, pairs)
        if replacement is not None:
            edits.append((significant[start].start, _end(significant[end - 1]), replacement))
    return _edited(query, edits)


def _bind_groups_isolated(query: str) -> str:
    """``query`` with each group that has a ``BIND`` followed by an ``OPTIONAL`` written as
    ``{ { SELECT * WHERE { what precedes the BIND } LIMIT n } the BIND and what follows it }`` (for each such
    BIND in turn) and, if the group has filters, that inside ``{ { SELECT * WHERE { … } LIMIT n } its filters }``:
    the same solutions, as a BIND ends the group's pattern so far and a group's filters apply to all of it. A
    group with a sub-select, an ``OPTIONAL`` and filters (Virtuoso applies the filters to the ``OPTIONAL``
    alone there too) gets its filters after a sub-select of the rest the same way.

    One pass over the tokens, each group rewritten after the groups inside it.
    """
    significant = query_tokens(query)
    pairs = _pairs(significant)

    def text(start: int, end: int) -> str:
        """The query's text from token ``start`` to token ``end`` (excluded), its groups rewritten."""
        out: list[str] = []
        position = significant[start].start
        index = start
        while index < end:
            token = significant[index]
            if token.text == "{" and index in pairs and pairs[index] < end:
                out.append(query[position : token.start] + group(index, pairs[index]))
                index = pairs[index] + 1
                position = _end(significant[index - 1])
            else:
                index += 1
        return "".join(out) + query[position : _end(significant[end - 1])]

    def group(open_: int, close: int) -> str:
        elements = _group_elements(significant, open_, close, pairs)
        kinds = [kind for _, _, kind in elements or []]
        bind_before_optional = any(kind == "BIND" and "OPTIONAL" in kinds[i:] for i, kind in enumerate(kinds))
        filtered_subselect = {"FILTER", "OPTIONAL", "SUBSELECT"} <= set(kinds)
        if elements is None or "SELECT" in kinds or not (bind_before_optional or filtered_subselect):
            if close == open_ + 1:
                return query[significant[open_].start : _end(significant[close])]
            before = query[_end(significant[open_]) : significant[open_ + 1].start]
            after = query[_end(significant[close - 1]) : significant[close].start]
            return "{" + before + text(open_ + 1, close) + after + "}"
        parts: list[str] = []
        filters: list[str] = []
        for index, (start, end, kind) in enumerate(elements):
            following = elements[index + 1][0] if index + 1 < len(elements) else close
            gap = query[_end(significant[end - 1]) : significant[following].start]  # may end a comment: kept
            if kind == "FILTER":
                filters.append(text(start, end) + gap)
                continue
            if kind == "BIND" and "OPTIONAL" in kinds[index:] and parts:  # (of nothing, Virtuoso invents a column)
                parts = [_subselect("".join(parts)) + "\n"]
            parts.append(text(start, end) + gap)
        body = "".join(parts)
        if filters:
            return "{ " + _subselect(body) + "\n" + "".join(filters) + "}"
        return "{ " + body + "}"

    if not significant:
        return query
    return query[: significant[0].start] + text(0, len(significant)) + query[_end(significant[-1]) :]


def _group_elements(
    significant: list[Token], open_: int, close: int, pairs: dict[int, int]
) -> list[tuple[int, int, str]] | None:
    """The top-level parts of the group between ``open_`` and ``close``: (first, after-last, keyword) with the
    keyword ``FILTER``, ``BIND``, ``OPTIONAL``, ``SELECT``, ``SUBSELECT`` (a ``{ SELECT … }``) or ``""`` for any
    other token or bracketed part; ``None`` if a ``FILTER`` cannot be read."""
    elements: list[tuple[int, int, str]] = []
    index = open_ + 1
    while index < close:
        token = significant[index]
        word = token.text.upper() if token.kind == "word" else ""
        if word == "FILTER":
            end = _filter_end(significant, index, pairs)
            if end is None:
                return None
        elif word == "BIND" and index + 1 in pairs:
            end = pairs[index + 1] + 1
        else:
            end = pairs.get(index, index) + 1
            word = word if word in ("OPTIONAL", "SELECT") else ""
            if token.text == "{" and index + 1 < close and _is_word(significant[index + 1], "SELECT"):
                word = "SUBSELECT"
        elements.append((index, end, word))
        index = end
    return elements


def _subselect(pattern: str) -> str:
    """``pattern`` (a group's content) as a sub-select of all its variables that Virtuoso keeps apart."""
    return f"{{ SELECT * WHERE {{ {pattern} }} LIMIT {SUBSELECT_LIMIT} }}"


def _exists_under_modifiers(query: str) -> str:
    """A ``SELECT`` with ``EXISTS`` that is sorted, grouped or aggregated, its ``WHERE`` pattern a sub-select."""
    significant = query_tokens(query)
    words = {t.text.upper() for t in significant if t.kind == "word"}
    if "EXISTS" not in words or not words & _MODIFIERS or not _is_select(significant):
        return query
    pairs = _pairs(significant)
    where = next((i for i, t in enumerate(significant) if t.text == "{" and i in pairs), None)
    if where is None:
        return query
    inner = query[significant[where].start + 1 : significant[pairs[where]].start]
    return _edited(
        query,
        [
            (
                significant[where].start,
                _end(significant[pairs[where]]),
                f"{{ {_subselect(inner)} }}",
            )
        ],
    )


# -- paths --


def _path_span(
    significant: list[Token], modifier: int, pairs: dict[int, int], opening: dict[int, int]
) -> tuple[int, int]:
    """The token span (start, end) of the whole path holding the step that ends with ``modifier``."""
    start = _step_start(significant, modifier, opening)
    while start >= 2 and significant[start - 1].kind == "other" and significant[start - 1].text in "/|":
        last = start - 2  # the last token of the step before: its modifier, its primary or its ")"
        core = last - 1 if _is_modifier(significant[last], "?*+") else last
        if core < 0 or not (_is_primary(significant[core]) or significant[core].text == ")"):
            break
        start = _step_start(significant, last, opening)
    end = modifier + 1
    while end < len(significant) and significant[end].kind == "other" and significant[end].text in "/|":
        after = _step_end(significant, end + 1, pairs)
        if after is None:
            break
        end = after
    return start, end


def _step_start(significant: list[Token], last: int, opening: dict[int, int]) -> int:
    """The first token of the path step whose last token (its modifier, or its primary) is at ``last``."""
    index = last - 1 if _is_modifier(significant[last], "?*+") else last
    index = opening.get(index, index)
    for prefix in ("!", "^"):
        if index > 0 and significant[index - 1].kind == "other" and significant[index - 1].text == prefix:
            index -= 1
    return index


def _step_end(significant: list[Token], start: int, pairs: dict[int, int]) -> int | None:
    """The index after the path step starting at ``start`` (``^``, ``!``, a primary or bracketed path, a
    modifier), or ``None`` if none starts there."""
    index = start
    for prefix in ("^", "!"):
        if index < len(significant) and significant[index].kind == "other" and significant[index].text == prefix:
            index += 1
    if index >= len(significant):
        return None
    if _is_primary(significant[index]):
        index += 1
    elif significant[index].text == "(" and index in pairs:
        index = pairs[index] + 1
    else:
        return None
    if index < len(significant) and _is_modifier(significant[index], "?*+"):
        index += 1
    return index


def _path_alternatives(query: str, significant: list[Token], start: int, end: int, pairs: dict[int, int]) -> str | None:
    """The path between tokens ``start`` and ``end`` without zero-length steps, or ``None`` if it cannot be."""
    sequences: list[list[tuple[int, int]]] = [[]]
    index = start
    while index < end:
        after = _step_end(significant, index, pairs)
        if after is None or after > end:
            return None
        sequences[-1].append((index, after))
        if after < end and significant[after].text == "|":
            sequences.append([])
        index = after + 1
    alternatives: list[str] = []
    for steps in sequences:
        optional = [i for i, (_, e) in enumerate(steps) if _is_modifier(significant[e - 1], "?*")]
        if len(optional) == len(steps):
            return None
        if len(optional) > MAX_ZERO_LENGTH_STEPS:
            raise QueryRefused(
                f"the SPARQL store (Virtuoso) loses solutions of a path sequence with a zero-length step (p? or "
                f"p*), and at most {MAX_ZERO_LENGTH_STEPS} such steps in one sequence are rewritten for it; "
                f"{query[significant[start].start : _end(significant[end - 1])]} has {len(optional)}: split the "
                "path into triple patterns joined by variables"
            )
        for present in itertools.product((True, False), repeat=len(optional)):
            chosen = dict(zip(optional, present, strict=True))
            parts = []
            for i, (s, e) in enumerate(steps):
                text = query[significant[s].start : _end(significant[e - 1])]
                if i in chosen:
                    if not chosen[i]:
                        continue
                    bare = query[significant[s].start : _end(significant[e - 2])]
                    text = bare + ("+" if significant[e - 1].text == "*" else "")
                parts.append(text)
            alternatives.append("/".join(parts))
    return "(" + "|".join(dict.fromkeys(alternatives)) + ")"


# -- tokens --


def _is_select(significant: list[Token]) -> bool:
    """Whether the first keyword after the prologue is ``SELECT``."""
    index = 0
    while index < len(significant):
        word = significant[index].text.upper() if significant[index].kind == "word" else ""
        if word == "BASE":
            index += 2
        elif word == "PREFIX":
            index += 3
        else:
            return word == "SELECT"
    return False


def _bracketed(query: str) -> tuple[list[Token], dict[int, int], dict[int, int], list[int | None]]:
    """The query's tokens, with the index of each opening bracket to its closing one, of each closing bracket to
    its opening one, and of each token to the innermost bracket open around it: what the path rewrites walk."""
    significant = query_tokens(query)
    pairs = _pairs(significant)
    return significant, pairs, {close: open_ for open_, close in pairs.items()}, _enclosing(significant)


def _pairs(significant: list[Token]) -> dict[int, int]:
    """The index of each opening bracket to that of the bracket closing it (unmatched ones left out)."""
    stack: list[int] = []
    pairs: dict[int, int] = {}
    for index, token in enumerate(significant):
        if token.kind != "other":
            continue
        if token.text in "{([":
            stack.append(index)
        elif token.text in "})]" and stack:
            pairs[stack.pop()] = index
    return pairs


def _enclosing(significant: list[Token]) -> list[int | None]:
    """For each token, the index of the innermost bracket open around it (``None`` at the top level)."""
    stack: list[int] = []
    out: list[int | None] = []
    for index, token in enumerate(significant):
        if token.kind == "other" and token.text in "})]" and stack:
            stack.pop()
        out.append(stack[-1] if stack else None)
        if token.kind == "other" and token.text in "{([":
            stack.append(index)
    return out


def _filter_end(significant: list[Token], index: int, pairs: dict[int, int]) -> int | None:
    """The index after the constraint of the ``FILTER`` at ``index``: ``(…)``, ``[NOT] EXISTS {…}`` or a call."""
    at = index + 1
    if at < len(significant) and _is_word(significant[at], "NOT"):
        at += 1
    if at < len(significant) and _is_word(significant[at], "EXISTS"):
        at += 1
    if at < len(significant) and significant[at].text in "({" and at in pairs:
        return pairs[at] + 1
    if at + 1 < len(significant) and significant[at + 1].text == "(" and at + 1 in pairs:
        return pairs[at + 1] + 1
    return None


def _is_boolean(expression: list[Token], boolean: set[str]) -> bool:
    """Whether the tokens of an expression (between its bracket and ``AS``) make a boolean value."""
    depth = 0
    top: list[Token] = []
    for token in expression:
        if token.kind == "other" and token.text in ")]}":
            depth -= 1
        elif depth == 0:
            top.append(token)
        if token.kind == "other" and token.text in "([{":
            depth += 1
    if any(t.kind == "other" and t.text in "=<>!&|" for t in top) or any(_is_word(t, "IN") for t in top):
        return True  # a comparison, a logical operator, IN or NOT IN (they bind more loosely than the rest)
    shape = [t.text.upper() if t.kind in ("word", "other") else t.kind for t in top]
    if len(top) == 1:
        return shape[0] in ("TRUE", "FALSE") or (top[0].kind == "var" and top[0].text[1:] in boolean)
    return (len(top) == 2 and shape[0] in _BOOLEAN_FUNCTIONS and shape[1] in "({") or shape == ["NOT", "EXISTS", "{"]


def _is_primary(token: Token) -> bool:
    return token.kind in ("iri", "pname") or (token.kind == "word" and token.text == "a")


def _is_modifier(token: Token, modifiers: str) -> bool:
    return token.kind == "other" and token.text in modifiers


def _is_word(token: Token, word: str) -> bool:
    return token.kind == "word" and token.text.upper() == word


def _end(token: Token) -> int:
    return token.start + len(token.text)


def _edited(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with each span ``[start, end)`` replaced (the spans do not overlap)."""
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text
