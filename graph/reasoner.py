"""``ilrs reason``: an OWL 2 DL reasoner (HermiT) over the ontology, alone or with the data.

HermiT is the jar that the ``owlready2`` package ships; it runs on the machine's Java
(``java`` on the ``PATH``; ``.ci/run`` installs Debian's ``default-jre-headless`` where it is
missing). The ontology is given with its import modules (``ontology/imports/*.ttl``, the
declarations of the reused terms) as RDF/XML.

* The ontology alone is reasoned over strictly: a datatype outside the OWL 2 datatype map
  (``xsd:gYear``, ``rdf:langString``…) is an error, so the ontology stays in OWL 2 DL.
* With the data, literals of such datatypes (the data's ``xsd:gYear`` years) are ignored by
  the reasoner; the SHACL shapes check them.

Fails on an inconsistent ontology or dataset, and on any unsatisfiable class.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from .errors import ToolError
from .loader import build_store
from .namespaces import ONTOLOGY_GRAPH
from .rdfview import compact, graphs_of, union
from .settings import Settings

HERMIT_MAIN = "org.semanticweb.HermiT.cli.CommandLine"
_EXCEPTION = re.compile(r"^Exception in thread \"main\" ([\w.$]+): (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class ReasonerReport:
    """What HermiT concluded: consistency, the unsatisfiable classes, or the construct it refused."""

    scope: str
    triples: int
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    refused: str | None = None

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable and self.refused is None

    def to_text(self) -> str:
        head = f"HermiT over {self.scope} ({self.triples} triples): "
        if self.refused:
            return head + f"refused: {self.refused}"
        if not self.consistent:
            return head + "INCONSISTENT: some individual belongs to disjoint classes, or breaks a functional property"
        if self.unsatisfiable:
            return head + "unsatisfiable classes (no instance can exist): " + ", ".join(self.unsatisfiable)
        return head + "consistent, every class satisfiable"


def ontology_graph(settings: Settings) -> Graph:
    """The ontology with its import modules (``ontology/imports/*.ttl``), as one graph."""
    graph = Graph().parse(settings.ontology_dir / "ilrs.ttl", format="turtle")
    for path in sorted((settings.ontology_dir / "imports").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def reason(settings: Settings, *, with_data: bool = False, extra: Graph | None = None) -> ReasonerReport:
    """Run HermiT over the ontology (and, ``with_data``, every graph of the dataset, merged).

    ``extra`` triples are added (a test's deliberate mistake). Raises :class:`ToolError`
    when Java or HermiT is missing.
    """
    graph = ontology_graph(settings)
    if with_data:
        graphs = graphs_of(build_store(settings.model_copy(update={"store_dir": None}), derived=False))
        graphs.pop(str(ONTOLOGY_GRAPH), None)
        graph = union([graph, *graphs.values()])
    if extra is not None:
        graph = union([graph, extra])
    scope = "the ontology and the data" if with_data else "the ontology"
    return run_hermit(graph, scope, ignore_unsupported_datatypes=with_data)


def run_hermit(graph: Graph, scope: str, *, ignore_unsupported_datatypes: bool) -> ReasonerReport:
    """Check ``graph`` for consistency and unsatisfiable classes with HermiT's command line."""
    java, classpath = _java(), _hermit_classpath()
    with tempfile.TemporaryDirectory(prefix="ilrs-reason-") as tmp:
        owl = Path(tmp) / "input.owl"
        graph.serialize(owl, format="xml")
        command = [java, "-Xmx1500M", "-cp", classpath, HERMIT_MAIN, "-k", "-U", owl.as_uri()]
        if ignore_unsupported_datatypes:
            command.insert(-1, "--ignoreUnsupportedDatatypes")
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired as err:
            raise ToolError(f"HermiT did not finish within {err.timeout} s") from err
    exception = _EXCEPTION.search(done.stderr)
    if exception is not None:
        kind, message = exception.group(1).rsplit(".", 1)[-1], " ".join(exception.group(2).split())
        if kind == "InconsistentOntologyException":
            return ReasonerReport(scope, len(graph), consistent=False)
        if kind == "UnsupportedDatatypeException":
            return ReasonerReport(scope, len(graph), consistent=True, refused=_datatype_message(done.stderr, message))
        raise ToolError(f"HermiT failed: {kind}: {message}")
    if done.returncode != 0:
        raise ToolError(f"HermiT exited with {done.returncode}: {done.stderr.strip()[-500:]}")
    return ReasonerReport(scope, len(graph), consistent=True, unsatisfiable=_unsatisfiable(done.stdout))


def _unsatisfiable(output: str) -> list[str]:
    """The classes HermiT lists as equivalent to ``owl:Nothing`` (besides ``owl:Nothing`` itself)."""
    _, _, listed = output.partition("Classes equivalent to 'owl:Nothing':")
    found = []
    for line in listed.splitlines():
        name = line.strip()
        if name.startswith("<") and name.endswith(">"):
            found.append(compact(name[1:-1]))
    return sorted(found)


def _datatype_message(stderr: str, message: str) -> str:
    datatype = re.search(r"The datatype '([^']+)'", stderr)
    if datatype is None:
        return message
    return (
        f"{compact(datatype.group(1))} is not in the OWL 2 datatype map, so the ontology is not OWL 2 DL: use "
        "rdf:PlainLiteral for text, rdfs:Literal for dates and years, and check the exact datatype in the shapes"
    )


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise ToolError("no java on the PATH: install a Java runtime (apt-get install default-jre-headless)")
    return java


def _hermit_classpath() -> str:
    spec = importlib.util.find_spec("owlready2")
    if spec is None or spec.origin is None:
        raise ToolError("HermiT comes with the owlready2 package: pip install owlready2 (make install-test)")
    hermit = Path(spec.origin).parent / "hermit"
    return f"{hermit}:{hermit / 'HermiT.jar'}"
