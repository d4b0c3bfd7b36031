"""The writing commands of ``ilrs``: ``token add``, ``load``, ``update`` and ``export --changed-since``.

``ilrs load`` and ``ilrs update`` write to an on-disk store (``--store DIR``) through the same
:class:`~ilrs.graph.writer.Writer` as the server: the same validation, the same refusals, an
activity in the changelog (the editor is ``--as NAME``, by default the login name).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

import pyoxigraph as ox

from .changelog import graphs_changed_since
from .errors import InputError, ParameterError, ParseError, located
from .loader import build_store
from .namespaces import DEFAULT_GRAPH, GRAPH, PREFIXES, SOURCES_GRAPH
from .settings import Settings, get_settings
from .store import Store, read_only_store
from .tokens import add_token
from .updates import parse_quads
from .writer import Commit, Writer


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Register the writing commands."""
    p = sub.add_parser("token", help="manage the tokens allowed to write (ilrs serve --tokens FILE)")
    tokens = p.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    add = tokens.add_parser("add", help="create a token, print it once, store its salted hash under its name")
    add.add_argument("name", help="who holds it: edits are attributed to this name")
    add.add_argument("--file", type=Path, required=True, metavar="FILE", help="the tokens file (created if absent)")
    add.set_defaults(run=_token_add)

    for name, helptext in [
        ("load", "add an RDF file to a named graph of the store in --store DIR, validated"),
        ("update", "run a SPARQL Update on the store in --store DIR, validated"),
    ]:
        p = sub.add_parser(name, parents=[common], help=helptext)
        if name == "load":
            p.add_argument("file", type=Path, metavar="FILE")
            p.add_argument("--graph", required=True, metavar="IRI", help="the named graph the triples go to")
        else:
            p.add_argument("update", metavar="UPDATE", help="the update text, or the path of a file holding it")
        p.add_argument("--as", dest="editor", metavar="NAME", help="the editor named in the changelog")
        p.add_argument("--message", "-m", help="a message for the changelog")
        p.set_defaults(run=_load_file if name == "load" else _update)


def _open(args: argparse.Namespace) -> tuple[Settings, Store]:
    """The settings and the on-disk store of a writing command (``--store DIR`` is required)."""
    if args.store is None:
        raise ParameterError(f"ilrs {args.command} writes to a store on disk: give --store DIR")
    settings = get_settings().model_copy(update={"store_dir": args.store, "reload_store": args.reload})
    return settings, build_store(settings)


def _token_add(args: argparse.Namespace) -> int:
    token = add_token(args.file, args.name)
    print(token)
    print(f"token {args.name!r} added to {args.file}; it is shown only this once", file=sys.stderr)
    return 0


def _editor(args: argparse.Namespace) -> str:
    return str(args.editor or getpass.getuser())


def _report(args: argparse.Namespace, commit: Commit) -> int:
    if not args.quiet:
        if commit.changed:
            print(
                f"committed version {commit.version}: +{commit.added} -{commit.removed} in {', '.join(commit.graphs)}",
                file=sys.stderr,
            )
        else:
            print(f"nothing changed; version {commit.version}", file=sys.stderr)
    return 0


def _load_file(args: argparse.Namespace) -> int:
    """``ilrs load FILE --graph IRI``."""
    settings, store = _open(args)
    try:
        data = args.file.read_bytes()
    except OSError as err:
        raise InputError(f"{args.file}: {err.strerror}") from err
    try:
        ox.NamedNode(args.graph)
    except ValueError as err:
        raise ParameterError(f"--graph {args.graph!r} is not an absolute IRI") from err
    try:
        quads = parse_quads(data, args.file.suffix, base_iri=args.file.resolve().as_uri())
    except ParseError as err:
        raise ParseError(
            f"{located(args.file, err.line, err.column)}: {err}", path=str(args.file), line=err.line, column=err.column
        ) from err
    if any(not isinstance(q.graph_name, ox.DefaultGraph) for q in quads):
        raise ParameterError(f"{args.file} names its own graphs: load a Turtle, N-Triples or RDF/XML file")
    commit = Writer(store, settings).write_graph("merge", args.graph, quads, editor=_editor(args), message=args.message)
    return _report(args, commit)


def _update(args: argparse.Namespace) -> int:
    """``ilrs update 'UPDATE'``."""
    settings, store = _open(args)
    text = args.update
    if text.endswith(".ru") and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8")
    commit = Writer(store, settings).update(text, editor=_editor(args), message=args.message)
    return _report(args, commit)


def open_written_store(path: Path | None) -> Store:
    """The store on disk at ``path``, opened read-only: ``ilrs export --changed-since`` reads the writes of
    a store, also while a server holds it."""
    if path is None:
        raise ParameterError("--changed-since exports the writes of a store on disk: give --store DIR")
    return read_only_store(path)


def export_changed(store: Store, since: str, folder: Path) -> list[Path]:
    """Write each graph changed since version ``since`` as a TriG file under ``folder``, in the layout of
    ``graph/data/`` (``sources/NNN.trig``, ``sources.trig``; the default graph ``default.trig``, its triples
    outside any ``GRAPH`` block, which the loader puts back in the default graph; other graphs under ``other/``)."""
    written = []
    for graph in graphs_changed_since(store, since):
        path = folder / data_file_for(graph)
        path.parent.mkdir(parents=True, exist_ok=True)
        name = ox.DefaultGraph() if graph == str(DEFAULT_GRAPH) else ox.NamedNode(graph)
        quads = store.match(None, None, None, name)
        # A graph emptied since: an empty file, which the curator deletes (ilrs diff shows it emptied).
        path.write_bytes(ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES) or b"")
        written.append(path)
    return written


def data_file_for(graph: str) -> str:
    """Where a graph's file lives in ``graph/data/``; the default graph's (``ilrs:DefaultGraph``): ``default.trig``."""
    if graph == str(DEFAULT_GRAPH):
        return "default.trig"
    source = f"{GRAPH}source/"
    if graph.startswith(source):
        return f"sources/{graph[len(source) :]}.trig"
    if graph == str(SOURCES_GRAPH):
        return "sources.trig"
    slug = "".join(c if c.isalnum() or c in "-." else "-" for c in graph.split("://", 1)[-1]).strip("-")
    return f"other/{slug}.trig"
