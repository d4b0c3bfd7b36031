"""What each SPARQL Update operation changes when it names the default graph, or no graph.

A ``WHERE`` reads the union of all graphs, as queries do; but the default graph that ``INSERT DATA``
and ``DELETE DATA`` without ``GRAPH`` write to, and that ``DEFAULT`` names in ``CLEAR``, ``DROP``,
``ADD``, ``COPY`` and ``MOVE``, is the store's own default graph alone. Each update is evaluated on
a staged view of a real store (:func:`~ilrs.graph.updates.stage_update`), and its delta compared
with what SPARQL 1.1 Update says it changes.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

import ilrs.graph
from ilrs.graph.staging import to_ox_quad
from ilrs.graph.store import Store, memory_store
from ilrs.graph.updates import stage_update

DEFAULT = "default"
#: The triples of the store: the same subject and predicate, the object telling where each is.
START = {("named", "urn:g"), ("default", DEFAULT), ("other", "urn:h")}


def store() -> Store:
    s = memory_store()
    for value, graph in START:
        data = f'<urn:s> <urn:p> "{value}" .'.encode()
        s.load(data, "text/turtle", graph=None if graph == DEFAULT else graph)
    return s


def changes(update: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(object, graph) of each triple the update adds and removes."""
    delta = stage_update(store(), update).delta

    def named(quads: set) -> set[tuple[str, str]]:  # type: ignore[type-arg]
        return {(str(q[2]), DEFAULT if q[3] == DATASET_DEFAULT_GRAPH_ID else str(q[3])) for q in quads}

    return named(delta.added), named(delta.removed)


@pytest.mark.parametrize(
    ("update", "added", "removed"),
    [
        ('INSERT DATA { <urn:s> <urn:p> "new" }', {("new", DEFAULT)}, set()),
        ('DELETE DATA { <urn:s> <urn:p> "default" }', set(), {("default", DEFAULT)}),
        # Only the default graph's triple is deleted: the same triple in a named graph stays.
        ('DELETE DATA { <urn:s> <urn:p> "named" }', set(), set()),
        ("CLEAR DEFAULT", set(), {("default", DEFAULT)}),
        ("DROP DEFAULT", set(), {("default", DEFAULT)}),
        ("CLEAR NAMED", set(), {("named", "urn:g"), ("other", "urn:h")}),
        ("CLEAR ALL", set(), {("named", "urn:g"), ("other", "urn:h"), ("default", DEFAULT)}),
        ("COPY DEFAULT TO <urn:new>", {("default", "urn:new")}, set()),
        ("COPY <urn:g> TO DEFAULT", {("named", DEFAULT)}, {("default", DEFAULT)}),
        ("MOVE DEFAULT TO <urn:new>", {("default", "urn:new")}, {("default", DEFAULT)}),
        ("ADD <urn:g> TO DEFAULT", {("named", DEFAULT)}, set()),
        # The WHERE reads every graph; the template without GRAPH writes to the default graph.
        ('INSERT { ?s ?p "found" } WHERE { ?s ?p "other" }', {("found", DEFAULT)}, set()),
        ('DELETE WHERE { ?s ?p "default" }', set(), {("default", DEFAULT)}),
    ],
)
def test_the_default_graph_is_the_stores_own(update: str, added: set[str], removed: set[str]) -> None:
    assert changes(update) == (added, removed)


def test_no_update_uses_an_rdflib_api_that_is_deprecated() -> None:
    """rdflib's own code still warns about itself; the project's code must not be the caller."""
    package = str(Path(ilrs.graph.__file__).parent)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for update in ('INSERT { ?s ?p "x" } WHERE { ?s ?p "named" }', "CLEAR DEFAULT", "COPY <urn:g> TO DEFAULT"):
            stage_update(store(), update)
    ours = [w for w in caught if issubclass(w.category, DeprecationWarning) and w.filename.startswith(package)]
    assert ours == [], [f"{w.filename}:{w.lineno}: {w.message}" for w in ours]


def test_later_operations_see_what_earlier_ones_added_and_removed() -> None:
    """The staged view finds the quads an update added by subject, by object or by neither, and no longer finds
    those it removed again."""
    inserts = " ".join(f'<urn:x{i}> <urn:q> <urn:o{i % 3}> . <urn:x{i}> <urn:r> "{i}" .' for i in range(30))
    update = (
        f"INSERT DATA {{ GRAPH <urn:n> {{ {inserts} }} }} ;\n"
        "DELETE WHERE { GRAPH <urn:n> { <urn:x0> ?p ?o } } ;\n"  # by subject
        "DELETE WHERE { GRAPH <urn:n> { ?s <urn:q> <urn:o1> } } ;\n"  # by object
        'DELETE DATA { GRAPH <urn:n> { <urn:x3> <urn:r> "3" } } ;\n'
        'INSERT { GRAPH <urn:n> { ?s <urn:seen> "yes" } } WHERE { GRAPH <urn:n> { ?s <urn:r> ?v } } ;\n'  # by neither
        # by subject, after its triple was removed: nothing
        "INSERT { GRAPH <urn:n> { <urn:x3> <urn:had> ?v } } WHERE { GRAPH <urn:n> { <urn:x3> <urn:r> ?v } }"
    )
    added, removed = changes(update)
    assert removed == set()
    kept = {i for i in range(30) if i != 0}
    expected = {(f"urn:o{i % 3}", "urn:n") for i in kept if i % 3 != 1}
    expected |= {(str(i), "urn:n") for i in kept if i != 3}
    expected |= {("yes", "urn:n")}
    assert added == expected
    seen = stage_update(store(), update).delta.added
    subjects = {str(q[0]) for q in seen if str(q[1]) == "urn:seen"}
    assert subjects == {f"urn:x{i}" for i in kept if i != 3}


def test_insert_data_is_read_as_pyoxigraph_reads_it() -> None:
    """Prefixed names, relative IRIs, typed and tagged literals, lists of objects and GRAPH blocks of data:
    the quads an INSERT DATA adds are those pyoxigraph's own engine adds for the same text."""
    text = """
        BASE <https://example.org/base/>
        PREFIX ex: <https://example.org/ns#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        INSERT DATA {
          ex:a ex:p "1"^^xsd:integer , "x"@fr , <relative> ; ex:q ex:b .
          GRAPH ex:g { ex:b ex:p 2.5 , true ; ex:r <other#frag> }
          GRAPH <g2> { <s> ex:p "plain" }
        }"""
    reference = ox.Store()
    reference.update(text)
    expected = set(reference.quads_for_pattern(None, None, None, None))
    assert {to_ox_quad(q) for q in stage_update(store(), text).delta.added} == expected
    assert len(expected) == 8
