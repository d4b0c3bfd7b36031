"""One version of the ontology, shapes or data, read from a file, a folder or git.

What ``ilrs diff OLD NEW`` and ``ilrs release`` compare. A version is named by:

* a file (``ontology/ilrs.ttl``, ``old.trig``): its graphs;
* a checkout (a folder with ``ontology/ilrs.ttl``, e.g. ``.``): the whole dataset, loaded
  by :func:`ilrs.graph.loader.build_store`, plus the shapes as the graph ``…/shapes``;
* a release (a folder with ``dataset.nq``, written by ``ilrs release``): the same;
* any other folder: every RDF file in it, each Turtle-like file as a graph named by its path;
* ``REV:PATH`` (``HEAD~1:ontology/ilrs.ttl``, ``v0.1.0:shapes``): that file or folder at a
  git revision (``git show`` / ``git archive``);
* ``git:REV``: the whole checkout at a git revision.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from .errors import NotFound, ToolError
from .loader import build_store
from .namespaces import SHAPES_IRI
from .rdfview import DEFAULT_GRAPH, graphs_of, read_shapes
from .settings import Settings
from .store import memory_store

#: The key of the shapes in a snapshot of a checkout or a release.
SHAPES_GRAPH = SHAPES_IRI
RELEASE_DATASET = "dataset.nq"
RELEASE_SHAPES = "shapes.ttl"


@dataclass(frozen=True)
class Snapshot:
    """One version: its name as given, and its graphs keyed by graph IRI (or file path, or ``""``)."""

    label: str
    graphs: dict[str, Graph]


def load_snapshot(spec: str, settings: Settings) -> Snapshot:
    """Read the version ``spec`` names (see the module docstring).

    The repository's layout (where ``ontology/``, ``shapes/`` and the data folder are) and
    its git repository are taken from ``settings``. Raises :class:`NotFound` for a path
    or revision that does not exist, :class:`~ilrs.graph.errors.ParseError` for a file that
    does not parse and :class:`ToolError` when git fails.
    """
    path = Path(spec)
    if spec.startswith("git:"):
        return _at_revision(spec, spec[4:], None, settings)
    if path.exists():
        return Snapshot(spec, read_path(path, settings))
    if ":" in spec and not spec.startswith(("http:", "https:", "file:")):
        revision, _, inner = spec.partition(":")
        return _at_revision(spec, revision, inner, settings)
    raise NotFound(f"{spec}: no such file or folder, and not a git revision (REV:PATH or git:REV)")


def read_path(path: Path, settings: Settings) -> dict[str, Graph]:
    """The graphs of a file or folder on disk."""
    if path.is_file():
        return _load_files([path], path.parent)
    layout = _layout(settings)
    if (path / layout["ontology"] / "ilrs.ttl").is_file():
        return read_checkout(path, settings)
    if (path / RELEASE_DATASET).is_file():
        graphs = _load_files([path / RELEASE_DATASET], path)
        if (path / RELEASE_SHAPES).is_file():
            graphs[SHAPES_GRAPH] = _load_files([path / RELEASE_SHAPES], path)[DEFAULT_GRAPH]
        return graphs
    files = sorted(p for p in path.rglob("*") if _is_rdf(p))
    return _load_files(files, path)


def read_checkout(root: Path, settings: Settings) -> dict[str, Graph]:
    """The whole dataset of the checkout at ``root`` (laid out like ``settings``'), with the shapes."""
    layout = _layout(settings)
    local = settings.model_copy(
        update={
            "ontology_dir": root / layout["ontology"],
            "shapes_dir": root / layout["shapes"],
            "data_dir": root / layout["data"],
            "store_dir": None,
            "extra_files": [],
        }
    )
    graphs = graphs_of(build_store(local, derived=False))
    graphs[SHAPES_GRAPH] = read_shapes(local.shapes_dir)
    return graphs


def _load_files(files: list[Path], root: Path) -> dict[str, Graph]:
    """Load each file into its own store; quads keep their graph, triples go to a graph named by the file's path."""
    graphs: dict[str, Graph] = {}
    single = len(files) == 1
    for path in files:
        store = memory_store()
        store.load_file(path)
        for name, graph in graphs_of(store).items():
            key = name if name != DEFAULT_GRAPH or single else str(path.relative_to(root))
            if key in graphs:
                graphs[key] += graph
            else:
                graphs[key] = graph
    return graphs


def _layout(settings: Settings) -> dict[str, Path]:
    """Where ontology, shapes and data sit relative to the checkout's root (``ontology``, ``shapes``, …)."""
    root = settings.ontology_dir.parent
    layout = {"ontology": Path("ontology"), "shapes": Path("shapes"), "data": Path("graph/data")}
    for key, folder in (("shapes", settings.shapes_dir), ("data", settings.data_dir)):
        with contextlib.suppress(ValueError):  # a folder outside the checkout: git has it in the usual place
            layout[key] = folder.relative_to(root)
    return layout


# --- git -------------------------------------------------------------------------------


def run_git(settings: Settings, *args: str) -> bytes:
    """Run git in the repository holding the ontology folder; :class:`ToolError` with git's message if it fails."""
    where = settings.ontology_dir.parent
    try:
        done = subprocess.run(["git", "-C", str(where), *args], capture_output=True, check=False, timeout=120)
    except FileNotFoundError as err:
        raise ToolError("git is not installed") from err
    if done.returncode != 0:
        raise ToolError(done.stderr.decode(errors="replace").strip() or f"git {' '.join(args)} failed")
    return done.stdout


def _at_revision(spec: str, revision: str, inner: str | None, settings: Settings) -> Snapshot:
    """The file or folder ``inner`` (or, with ``None``, the whole checkout) at git ``revision``."""
    settings.project_dir(f"ilrs diff {spec}")  # the installed package's copy has no git history
    try:
        run_git(settings, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except ToolError as err:
        raise NotFound(f"{spec}: unknown git revision {revision!r}") from err
    toplevel = Path(run_git(settings, "rev-parse", "--show-toplevel").decode().strip())
    root = settings.ontology_dir.parent.resolve().relative_to(toplevel.resolve())
    with tempfile.TemporaryDirectory(prefix="ilrs-snapshot-") as tmp:
        target = Path(tmp)
        if inner is None:
            layout = _layout(settings)
            folders = [str(root / layout[k]) for k in ("ontology", "shapes", "data")]
            present = [
                f for f in folders if run_git(settings, "ls-tree", "-d", "--name-only", revision, "--", f).strip()
            ]
            if str(root / layout["ontology"]) not in present:
                raise NotFound(f"{spec}: revision {revision} has no {root / layout['ontology']}/")
            _extract(run_git(settings, "archive", "--format=tar", revision, "--", *present), target)
            return Snapshot(spec, read_checkout(target / root, settings))
        inner = inner.lstrip("/")
        kind = _object_type(settings, revision, inner, spec)
        if kind == "blob":
            file = target / Path(inner).name
            file.write_bytes(run_git(settings, "show", f"{revision}:{inner}"))
            return Snapshot(spec, _load_files([file], target))
        _extract(run_git(settings, "archive", "--format=tar", revision, "--", inner), target)
        return Snapshot(spec, read_path(target / inner, settings))


def _object_type(settings: Settings, revision: str, inner: str, spec: str) -> str:
    try:
        return run_git(settings, "cat-file", "-t", f"{revision}:{inner}").decode().strip()
    except ToolError as err:
        raise NotFound(f"{spec}: no {inner} at git revision {revision}") from err


def _extract(tar: bytes, target: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(target, filter="data")


def _is_rdf(path: Path) -> bool:
    """Whether ``path`` is a file pyoxigraph reads by its extension (other files in a folder are skipped)."""
    known = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) is not None
    return known and path.suffix != ".json" and path.is_file()  # .json is more often not JSON-LD
