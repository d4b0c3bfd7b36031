"""One store interface that is really used: only graph/store.py knows the embedded store's class,
and the routes take their dependencies (store, shapes, settings, executor) from server/deps.py alone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ilrs.graph.loader import build_dataset
from ilrs.graph.settings import get_settings
from ilrs.graph.store import Store, memory_store, open_store

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for folder in ("graph", "server", "bench") for p in (ROOT / folder).rglob("*.py"))


def _mentions(pattern: str, allowed: set[str]) -> list[str]:
    found = []
    for path in SOURCES:
        relative = path.relative_to(ROOT).as_posix()
        if relative in allowed:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(pattern, line):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_sources_are_scanned() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in SOURCES}
    assert {"graph/store.py", "graph/loader.py", "server/deps.py", "server/routes/resources.py"} <= names


def test_only_the_store_module_names_the_embedded_store() -> None:
    assert _mentions(r"\bOxigraphStore\b", {"graph/store.py"}) == []


def test_only_the_deps_module_defines_route_dependencies() -> None:
    assert _mentions(r"\bDepends\(", {"server/deps.py"}) == []


def _in_memory() -> Store:
    return open_store(get_settings().model_copy(update={"store_dir": None}))


def _on_disk(tmp_path: Path) -> Store:
    return open_store(get_settings().model_copy(update={"store_dir": tmp_path / "store"}))


@pytest.mark.parametrize("make", [lambda _: memory_store(), lambda _: _in_memory(), _on_disk])
def test_factories_give_a_store_that_answers_queries(make: Callable[[Path], Store], tmp_path: Path) -> None:
    store = make(tmp_path)
    assert store.load(b"<urn:a> <urn:b> <urn:c> .", "application/n-triples", graph="urn:g") == 1
    assert store.graphs() == ["urn:g"] and store.count("urn:g") == 1
    assert bool(store.query("ASK { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }"))


def test_loader_builds_the_dataset_with_its_shapes() -> None:
    settings = get_settings()
    dataset = build_dataset(settings)
    shape_files = sorted(settings.shapes_dir.glob("*.ttl"))
    assert shape_files and dataset.shapes.graphs() == ["https://w3id.org/ilrs/shapes"]
    assert dataset.store.count() > dataset.shapes.count() > 0
    assert "https://w3id.org/ilrs/shapes" not in dataset.store.graphs()  # the shapes are not data


@pytest.mark.parametrize("make", [lambda _: memory_store(), _on_disk])
def test_a_commit_is_atomic_and_changes_the_version_after_the_data(
    make: Callable[[Path], Store], tmp_path: Path
) -> None:
    import pyoxigraph as ox

    store = make(tmp_path)
    a = ox.Quad(ox.BlankNode("b1"), ox.NamedNode("urn:p"), ox.Literal("x"), ox.NamedNode("urn:g"))
    b = ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.BlankNode("b1"), ox.DefaultGraph())
    store.apply([], [a, b], "v1")
    assert store.version == "v1" and set(store.quads()) == {a, b}
    c = ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("y"), ox.NamedNode("urn:g"))
    store.apply([a, b], [c], "v2")  # stored blank nodes are removed as they are
    assert store.version == "v2" and list(store.quads()) == [c]


def test_consistent_reads_again_when_a_write_commits_meanwhile() -> None:
    import pyoxigraph as ox

    store = memory_store()
    seen: list[str] = []
    quad = ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("x"), ox.NamedNode("urn:g"))

    def read() -> int:
        seen.append(store.version)
        if len(seen) == 1:
            store.apply([], [quad], "after")  # a commit while the first read runs
        return store.count()

    assert store.consistent(read) == 1
    assert seen[1:] == ["after"]  # read again, as of the new version alone
