"""The ``ilrs`` command: validate, query, export, describe and serve the graph.

Every failure the user can cause (a missing file, a syntax error in a data file,
an invalid query) raises an :class:`~ilrs.graph.errors.IlrsError`, reported once,
in :func:`main`, as ``ilrs: error: …`` with its position (``file:line:col``) where
known, and exit status 1; never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox

from . import __version__, cli_writes
from .errors import IlrsError, InputError, NotFound, ParameterError, QuerySyntaxError, UnknownFormat
from .export import EXPORT_FORMATS, export
from .formats import OFFERS, RESULT_FORMATS, Format, by_name, form_of, result_of
from .loader import build_dataset, build_store
from .namespaces import sparql_prologue
from .query_analysis import analyse
from .settings import Settings, get_settings, store_url_problem
from .stats import compute_stats
from .store import Store
from .validate import validate_store

#: ``ilrs query --format``: a table (Turtle for CONSTRUCT/DESCRIBE), or any result format by name or alias.
TABLE = "table"
#: The SPARQL results formats, for SELECT and ASK alike.
_SPARQL_RESULTS = tuple(f for f in RESULT_FORMATS if isinstance(f.writer, ox.QueryResultsFormat))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ilrs`` console script."""
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except IlrsError as err:
        print(f"ilrs: error: {err}", file=sys.stderr)
        for violation in getattr(err, "report", {}).get("violations", []):  # a refused write: every violation
            path = f" {violation['path']}" if violation["path"] else ""
            print(f"  {violation['focus']}{path}: {violation['message']}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--store",
        metavar="DIR|URL",
        help="keep the store on disk in DIR, or use the external SPARQL store whose query endpoint is URL "
        "(credentials: ILRS_STORE_USER, ILRS_STORE_PASSWORD); default: memory",
    )
    common.add_argument(
        "--reload", action="store_true", help="with --store: empty the store and reload the files even if it has data"
    )
    common.add_argument("--quiet", "-q", action="store_true", help="no progress lines")

    parser = argparse.ArgumentParser(prog="ilrs", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"ilrs {__version__}")
    sub = parser.add_subparsers(required=True, metavar="COMMAND", dest="command")

    scratch = argparse.ArgumentParser(add_help=False)
    scratch.add_argument(
        "--load",
        type=_loaded_file,
        nargs="+",
        default=[],
        metavar="FILE[=IRI]",
        help="also load these RDF files, each as its own named graph: IRI, or "
        "https://w3id.org/ilrs/graph/loaded/<file stem> (never part of the dataset's files)",
    )

    p = sub.add_parser("validate", parents=[common, scratch], help="check ontology, shapes and data with SHACL")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(run=_validate)

    p = sub.add_parser("query", parents=[common], help="run a SPARQL query (a string or a .rq file)")
    p.add_argument("query", help="the query text, or the path of a file holding it")
    p.add_argument(
        "--format",
        type=_format_name([TABLE], RESULT_FORMATS),
        default=TABLE,
        metavar="{" + "|".join([TABLE, *(f.name for f in RESULT_FORMATS)]) + "}",
        help="output format (default: a table for SELECT, Turtle for CONSTRUCT/DESCRIBE)",
    )
    p.add_argument("--graph", action="append", metavar="IRI", help="query only this named graph (repeatable)")
    p.set_defaults(run=_query)

    p = sub.add_parser("export", parents=[common], help="write the dataset or one graph as RDF")
    p.add_argument(
        "--format",
        type=_format_name([], EXPORT_FORMATS),
        default="trig",
        metavar="{" + "|".join(f.name for f in EXPORT_FORMATS) + "}",
    )
    p.add_argument("--graph", metavar="IRI", help="only this named graph")
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="write to FILE (default: standard output)")
    p.add_argument(
        "--changed-since",
        metavar="VERSION",
        help="write each graph changed by the writes after VERSION ('loaded': since the store was loaded from "
        "the files) as a file in the layout of graph/data/, under --output DIR",
    )
    p.set_defaults(run=_export)

    p = sub.add_parser("stats", parents=[common], help="triples per graph and instances per class")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(run=_stats)

    p = sub.add_parser("serve", parents=[common, scratch], help="run the HTTP server")
    p.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8000)")
    p.add_argument("--public-url", metavar="URL", help="the server's public URL (default http://HOST:PORT)")
    p.add_argument("--query-timeout", type=float, metavar="SECONDS", help="query deadline (default 30)")
    p.add_argument(
        "--max-result-rows", type=_positive, metavar="N", help="most rows one result may have (default 1000000)"
    )
    p.add_argument(
        "--max-result-bytes", type=_positive, metavar="N", help="most bytes one result may have (default 100 MiB)"
    )
    p.add_argument("--watch", action="store_true", help="rebuild and swap the graph when its files change")
    p.add_argument("--tokens", type=Path, metavar="FILE", help="accept writes with these tokens (ilrs token add)")
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="server processes sharing the port and one copy of the data (0: one per core; default 1)",
    )
    p.set_defaults(run=_serve)
    cli_writes.add_parsers(sub, common)

    p = sub.add_parser("check", parents=[common, scratch], help="quality report over ontology, shapes and data")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.set_defaults(run=_check)

    p = sub.add_parser(
        "reason", parents=[common], help="OWL 2 DL reasoning (HermiT): consistency, unsatisfiable classes"
    )
    p.add_argument("--data", action="store_true", help="reason over the ontology and all the data (default: ontology)")
    p.set_defaults(run=_reason)

    p = sub.add_parser("diff", help="semantic diff of two versions: files, folders, REV:PATH or git:REV")
    p.add_argument("old", metavar="OLD", help="e.g. HEAD~1:ontology/ilrs.ttl, git:v0.1.0, release/0.1.0, old.ttl")
    p.add_argument("new", metavar="NEW", nargs="?", default=".", help="default: the working tree (.)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--exit-code", action="store_true", help="exit with status 1 if the versions differ")
    p.set_defaults(run=_diff)

    p = sub.add_parser("docs", help="generate docs/ontology/ (pyLODE page, class and instance diagrams)")
    p.add_argument("--output", "-o", type=Path, metavar="DIR", help="write here (default: docs/ontology)")
    p.add_argument("--check", action="store_true", help="only tell whether the committed docs are up to date")
    p.set_defaults(run=_docs)

    p = sub.add_parser("release", help="write release/<version>/ and its CHANGELOG entry")
    p.add_argument("--since", metavar="REV", help="compare with this version (default: the previous release)")
    p.add_argument("--force", action="store_true", help="overwrite an existing release of this version")
    p.set_defaults(run=_release)
    return parser


def _positive(value: str) -> int:
    """An argparse ``type``: a whole number above 0."""
    if not value.isdigit() or int(value) == 0:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, not {value!r}")
    return int(value)


def _format_name(extra: list[str], offers: tuple[Format, ...]):  # type: ignore[no-untyped-def]
    """An argparse ``type``: the canonical name of the format a name or alias selects (``ttl`` → ``turtle``)."""

    def convert(value: str) -> str:
        if value in extra:
            return value
        try:
            return by_name(value, offers).name
        except UnknownFormat as err:
            raise argparse.ArgumentTypeError(str(err)) from err

    return convert


def _settings(args: argparse.Namespace, **overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if args.store is not None:
        if args.store.startswith(("http://", "https://")):
            problem = store_url_problem(args.store)
            if problem:
                raise ParameterError(f"--store: {problem}")
            values["store_url"] = args.store
        else:
            values["store_dir"] = Path(args.store)
    if getattr(args, "reload", False):
        values["reload_store"] = True
    return get_settings().model_copy(update=values)


def _progress(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    if args.quiet:
        return None
    return lambda line: print(line, file=sys.stderr)


def _load(args: argparse.Namespace, settings: Settings | None = None) -> Store:
    settings = settings or _settings(args)
    started = time.perf_counter()
    store = build_store(settings, _progress(args))
    if not args.quiet:
        print(f"loaded {store.count()} quads in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return store


def _validate(args: argparse.Namespace) -> int:
    settings = _settings(args, **_loaded(args))
    report = validate_store(_load(args, settings), settings)
    print(report.to_json() if args.format == "json" else report.to_text())
    return 0 if report.conforms else 1


def _query(args: argparse.Namespace) -> int:
    text = _query_text(args.query)
    settings = _settings(args)
    # The default graph is the merge of all graphs, unless the query names its own dataset with FROM.
    facts = analyse(text, settings.service_allowlist)
    store = _load(args, settings)
    try:
        result = store.query(
            sparql_prologue() + text, default_graphs=args.graph, union_default_graph=not facts.declares_dataset
        )
    except QuerySyntaxError as err:
        # Positions in the user's own text, not in the text with the prologue put before it.
        lines = sparql_prologue().count("\n")
        raise QuerySyntaxError.from_engine(str(err), prefix="", line_offset=lines) from err
    out = sys.stdout.buffer
    form = form_of(result)
    if args.format == TABLE and not isinstance(result, ox.QueryTriples):
        out.write(_table(result).encode())
    else:
        # A boolean is written in CSV or TSV too (as the bare word), which the endpoint does not offer.
        offers = OFFERS["graph"] if form == "graph" else _SPARQL_RESULTS
        try:
            fmt = by_name("turtle" if args.format == TABLE else args.format, offers)
        except UnknownFormat:
            raise ParameterError(f"{result_of(form)} cannot be written as {args.format}") from None
        fmt.write(result, out)
    out.flush()
    return 0


def _query_text(arg: str) -> str:
    path = Path(arg)
    looks_like_file = arg.endswith((".rq", ".sparql")) or ("\n" not in arg and path.suffix and "{" not in arg)
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(f"{path}: cannot read: {err}") from err
    if looks_like_file:
        raise NotFound(f"{arg}: no such query file")
    return arg


def _table(result: ox.QuerySolutions | ox.QueryBoolean) -> str:
    if isinstance(result, ox.QueryBoolean):
        return f"{bool(result)}\n"
    names = [v.value for v in result.variables]
    rows = [[_cell(s[n]) for n in names] for s in result]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    body = [line(names), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    return "\n".join(body) + f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})\n"


def _cell(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    return str(getattr(term, "value", term))


def _export(args: argparse.Namespace) -> int:
    if args.changed_since is not None:
        if args.output is None:
            raise ParameterError("--changed-since writes files: give the folder with --output DIR")
        written = cli_writes.open_written_store(args.store)
        for path in cli_writes.export_changed(written, args.changed_since, args.output):
            print(path)
        return 0
    store = _load(args)
    if args.output is None:
        export(store, sys.stdout.buffer, by_name(args.format, EXPORT_FORMATS), args.graph)
        return 0
    try:
        with args.output.open("wb") as out:
            export(store, out, by_name(args.format, EXPORT_FORMATS), args.graph)
    except OSError as err:
        raise ParameterError(f"{args.output}: {err.strerror}") from err
    if not args.quiet:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _stats(args: argparse.Namespace) -> int:
    stats = compute_stats(_load(args))
    if args.format == "json":
        print(json.dumps({"total": stats.total, "graphs": stats.graphs, "classes": stats.classes}, indent=2))
        return 0
    print(f"{stats.total} quads\n\ntriples per named graph:")
    for name, n in stats.graphs.items():
        print(f"  {n:>7}  {name}")
    print("\ninstances per class:")
    for name, n in stats.classes.items():
        print(f"  {n:>7}  {name}")
    return 0


def _loaded_file(arg: str) -> tuple[Path, str | None]:
    """``FILE`` or ``FILE=IRI`` (split at the last ``=`` followed by an absolute IRI, so paths may hold ``=``)."""
    path, sep, iri = arg.rpartition("=")
    if sep and re.match(r"[A-Za-z][A-Za-z0-9+.-]*:\S+$", iri):
        if not path:
            raise argparse.ArgumentTypeError(f"{arg!r}: no file before '='")
        return Path(path), iri
    return Path(arg), None


def _loaded(args: argparse.Namespace) -> dict[str, object]:
    """The settings for ``--load FILE[=IRI]…``: the files, and the graph names chosen for some."""
    loads: list[tuple[Path, str | None]] = args.load
    return {
        "extra_files": [path for path, _ in loads] or None,
        "extra_graph_names": {str(path): iri for path, iri in loads if iri} or None,
    }


def _serve(args: argparse.Namespace) -> int:
    settings = _settings(
        args,
        host=args.host,
        port=args.port,
        public_base_url=args.public_url,
        query_timeout=args.query_timeout,
        max_result_rows=args.max_result_rows,
        max_result_bytes=args.max_result_bytes,
        **_loaded(args),
        tokens_file=args.tokens,
    )
    if args.watch and settings.tokens_file is not None:
        raise ParameterError(
            "--watch rebuilds the graph from its files, which would drop the writes: use one or the other"
        )
    workers = args.workers if args.workers is not None else settings.workers
    if workers != 1 and settings.tokens_file is not None:
        # Each process would hold its own copy of the data (or fail to lock the store on disk) and its
        # own writer: writes would neither be serialized nor seen by the other processes.
        raise ParameterError("writes (--tokens) are served by one process: use --workers 1")
    if workers != 1 and settings.store_dir is not None:
        raise ParameterError("a store on disk (--store) is opened by one process only: use --workers 1")
    if workers != 1:
        from ilrs.server.workers import supervise, worker_count

        supervise(settings, worker_count(workers), watch=args.watch, progress=_progress(args))
        return 0
    from ilrs.server.lifecycle import Stopper, configure_logging

    # Before the load: a stop signal while the data loads ends the process at once (the load cannot be stopped),
    # or once it is loaded into a store that outlives the process.
    stopper = Stopper.installed(settings)
    configure_logging(settings)
    with ThreadPoolExecutor(1, thread_name_prefix="ilrs-load") as pool:
        # The engine parses and derives without holding the GIL: the HTTP stack is imported meanwhile.
        loading = pool.submit(build_dataset, settings, _progress(args))
        from ilrs.server.app import run  # the HTTP stack is imported only when serving

        served = loading.result()
    if stopper.requested:
        return 0
    run(settings, watch=args.watch, served=served, stopper=stopper)
    return 0


def _check(args: argparse.Namespace) -> int:
    from .check import run_checks

    report = run_checks(_settings(args, **_loaded(args)))
    print(report.to_json() if args.format == "json" else report.to_table())
    return 1 if report.failed(strict=args.strict) else 0


def _reason(args: argparse.Namespace) -> int:
    from .reasoner import reason

    report = reason(_settings(args), with_data=args.data)
    print(report.to_text())
    return 0 if report.ok else 1


def _diff(args: argparse.Namespace) -> int:
    from .diff import diff_snapshots
    from .snapshot import load_snapshot

    settings = get_settings()
    result = diff_snapshots(load_snapshot(args.old, settings), load_snapshot(args.new, settings))
    print(result.to_json() if args.format == "json" else result.to_text())
    return 1 if args.exit_code and not result.empty else 0


def _docs(args: argparse.Namespace) -> int:
    from .docs import generate_docs, stale_files

    settings = get_settings()
    if args.check:
        stale = stale_files(settings)
        for name in stale:
            print(f"out of date: {settings.docs_dir / name}  (run: ilrs docs)")
        return 1 if stale else 0
    for path in generate_docs(settings, args.output):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _release(args: argparse.Namespace) -> int:
    from .release import make_release

    release = make_release(get_settings(), since=args.since, force=args.force)
    for path in release.files:
        print(f"wrote {path}", file=sys.stderr)
    print(release.entry)
    return 0


if __name__ == "__main__":
    sys.exit(main())
