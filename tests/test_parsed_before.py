"""Bytes that parsed strictly before are parsed again without validation (graph/parsed_before.py): the
same quads, the same version and blank-node labels; a change of a byte, of the format or no cache at all
means a strict parse again, and a file that does not parse leaves no record."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox
import pytest

from ilrs.graph.errors import ParseError
from ilrs.graph.loader import build_store
from ilrs.graph.parsed_before import ParsedBefore
from ilrs.graph.settings import get_settings
from ilrs.graph.store import load_file_into, memory_store

GRAPH = "https://example.org/graph"
#: A blank node, so the relabelling path is taken too.
TURTLE = b'@prefix ex: <http://example.org/> .\nex:a ex:p "x"@en ; ex:q [ ex:r 1 ] .\n'
#: An IRI with a character IRIs may not hold: a strict parse refuses it, a lenient one takes it as it is.
INVALID = b'<http://example.org/a|b> <http://example.org/p> "x" .\n'


def _records(cache: Path) -> list[Path]:
    folder = cache / "parsed"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_second_load_of_the_same_bytes_gives_the_same_quads(tmp_path: Path) -> None:
    path = tmp_path / "data.ttl"
    path.write_bytes(TURTLE)
    parsed = ParsedBefore(tmp_path / "cache")
    first, second = memory_store(), memory_store()
    assert load_file_into(first, path, graph=GRAPH, parsed=parsed) == 3
    assert len(_records(tmp_path / "cache")) == 1
    assert load_file_into(second, path, graph=GRAPH, parsed=parsed) == 3
    assert set(first.quads()) == set(second.quads())  # blank-node labels included
    assert first.version == second.version
    assert len(_records(tmp_path / "cache")) == 1


def test_only_the_recorded_bytes_skip_validation(tmp_path: Path) -> None:
    path = tmp_path / "bad.nt"
    path.write_bytes(INVALID)
    parsed = ParsedBefore(tmp_path / "cache")
    with pytest.raises(ParseError, match=r"bad\.nt:1:1: .*'\|'"):
        load_file_into(memory_store(), path, parsed=parsed)
    assert _records(tmp_path / "cache") == []  # a file that does not parse is never taken as checked
    # The record of these very bytes, and nothing else, lets the parser skip the check.
    parsed.remember(parsed.key(hashlib.sha256(INVALID).digest(), ox.RdfFormat.N_TRIPLES))
    assert load_file_into(memory_store(), path, parsed=parsed) == 1
    # The same bytes in another format, or other bytes, are checked again.
    as_quads = path.with_suffix(".nq")
    as_quads.write_bytes(INVALID)
    with pytest.raises(ParseError):
        load_file_into(memory_store(), as_quads, parsed=parsed)
    path.write_bytes(INVALID + b"# one byte more\n")
    with pytest.raises(ParseError):
        load_file_into(memory_store(), path, parsed=parsed)


def test_without_a_cache_every_load_is_strict(tmp_path: Path) -> None:
    path = tmp_path / "bad.nt"
    path.write_bytes(INVALID)
    parsed = ParsedBefore(None)
    parsed.remember(parsed.key(hashlib.sha256(INVALID).digest(), ox.RdfFormat.N_TRIPLES))  # kept nowhere
    with pytest.raises(ParseError):
        load_file_into(memory_store(), path, parsed=parsed)


def test_the_loader_records_its_files_and_a_cache_it_cannot_write_costs_nothing_but_speed(tmp_path: Path) -> None:
    extra = tmp_path / "mine.ttl"
    extra.write_bytes(TURTLE)
    settings = get_settings().model_copy(update={"extra_files": [extra], "cache_dir": tmp_path / "cache"})
    first = build_store(settings, derived=False)
    files = len(_records(tmp_path / "cache"))
    assert files >= 2  # the shipped files and the researcher's
    again = build_store(settings, derived=False)
    assert len(_records(tmp_path / "cache")) == files
    assert set(again.quads()) == set(first.quads())
    assert again.version == first.version
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache's folder would be")
    unwritable = build_store(settings.model_copy(update={"cache_dir": blocked}), derived=False)
    assert set(unwritable.quads()) == set(first.quads())


def _lines(n: int) -> bytes:
    return b"".join(b'<http://example.org/s%d> <http://example.org/p> "v%d"@en .\n' % (i, i) for i in range(n))


@pytest.mark.parametrize(
    ("bad", "found"),
    [
        (INVALID, r"'\|'"),  # only a strict parse refuses it
        (b"<http://example.org/a> <http://example.org/p> .\n", "object of a triple"),  # both refuse it
    ],
)
def test_bytes_not_parsed_before_are_validated_strictly(tmp_path: Path, bad: bytes, found: str) -> None:
    """A file never parsed before is parsed strictly: an error far into it is reported at its line, and no record
    is kept; the valid lines give the quads the engine's strict load gives."""
    valid = _lines(20_000)
    path = tmp_path / "big.nt"
    path.write_bytes(valid + bad + valid)
    parsed = ParsedBefore(tmp_path / "cache")
    with pytest.raises(ParseError, match=rf"big\.nt:20001:\d+: .*{found}"):
        load_file_into(memory_store(), path, parsed=parsed)
    assert _records(tmp_path / "cache") == []
    path.write_bytes(valid)
    store = memory_store()
    assert load_file_into(store, path, graph=GRAPH, parsed=parsed) == 20_000
    expected = ox.Store()
    expected.load(valid, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(GRAPH))
    assert set(store.quads()) == set(expected)
    assert len(_records(tmp_path / "cache")) == 1


@pytest.mark.parametrize(
    "text", [b"_:x <http://example.org/p> _:y .\n", b"<http://example.org/a_b> <http://example.org/p> _:y .\n"]
)
def test_blank_node_labels_in_line_based_files_are_relabelled_stably(tmp_path: Path, text: bytes) -> None:
    """A blank node's label found in N-Triples (with underscores elsewhere or not) is relabelled from the file's
    bytes: the same labels on every load, not the file's own."""
    path = tmp_path / "blank.nt"
    path.write_bytes(text)
    first, second = memory_store(), memory_store()
    load_file_into(first, path, graph=GRAPH, parsed=ParsedBefore(None))
    load_file_into(second, path, graph=GRAPH, parsed=ParsedBefore(None))
    assert set(first.quads()) == set(second.quads())
    labels = {t.value for q in first.quads() for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}
    assert labels and not labels & {"x", "y"}, labels
