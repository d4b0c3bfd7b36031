"""The shipped queries that are written for speed give the answers of their plain formulations.

Several queries in ``queries/`` are written so that the engine does little work per row on a large dataset:
labels found once per entity rather than looked up per row, a source graph joined to its source before
anything else is read in it (``GRAPH ?g`` also reaches the merged graph, where an entity is the subject of
every source's statements about it), and a test that starts from the entity (a property path) rather than
from every ILRS agreement. ``tests/fixtures/reference-queries`` keeps their plain formulations, which were
too slow at a million triples; on the shipped graph with generated data beside it (the benchmark's
generator), each shipped query must give exactly the same rows, as a multiset, as its reference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from checkout import PROJECT_ROOT

from bench.generate import generate
from ilrs.graph.loader import build_store
from ilrs.graph.query_analysis import analyse
from ilrs.graph.settings import get_settings
from ilrs.graph.store import Store

QUERIES = PROJECT_ROOT / "queries"
REFERENCES = sorted((PROJECT_ROOT / "tests" / "fixtures" / "reference-queries").glob("*.rq"))


@pytest.fixture(scope="module")
def generated_dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The whole dataset with scale 1 of the benchmark's data (about 10,000 triples) beside it."""
    data = tmp_path_factory.mktemp("formulations") / "generated.nq"
    generate(1, data, seed=12, progress=False)
    settings = get_settings().model_copy(update={"extra_files": [data]})
    yield build_store(settings)


def answer(store: Store, sparql: str) -> tuple[list[str], Counter[tuple[str | None, ...]]]:
    """The projected variables and the rows of ``sparql``, as the endpoint runs it, as a multiset."""
    solutions = store.query(sparql, union_default_graph=not analyse(sparql, []).declares_dataset)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    rows = Counter(tuple(None if s[n] is None else str(s[n]) for n in names) for s in solutions)
    return names, rows


def order_keys(sparql: str) -> str:
    """The ORDER BY clause, spaces normalised."""
    return " ".join(sparql[sparql.rindex("ORDER BY") :].split())


def test_every_reference_has_its_shipped_query() -> None:
    assert REFERENCES, "no reference formulations"
    for reference in REFERENCES:
        assert (QUERIES / reference.name).exists(), reference.name


@pytest.mark.parametrize("reference", REFERENCES, ids=lambda p: p.stem)
def test_shipped_query_answers_as_its_reference(reference: Path, dataset: Store, generated_dataset: Store) -> None:
    plain = reference.read_text(encoding="utf-8")
    shipped = (QUERIES / reference.name).read_text(encoding="utf-8")
    assert shipped.splitlines()[:2] == plain.splitlines()[:2], "the title and description stay the query's"
    assert order_keys(shipped) == order_keys(plain)
    found = 0
    for store in (dataset, generated_dataset):
        columns, rows = answer(store, shipped)
        expected_columns, expected = answer(store, plain)
        assert columns == expected_columns
        assert rows == expected
        found += sum(rows.values())
    assert found, "the query finds something to compare"
