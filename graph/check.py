"""``ilrs check``: a quality report over the ontology, the shapes, their examples, the data and the queries.

In the spirit of ``robot report``: every finding has a level (``error``,
``warning``, ``info``), a rule id, the term it is about, a message, a fix hint and,
where it is written in a file, ``file:line`` (of the statement itself when the finding
is about one). Errors make the command fail; warnings only with ``--strict``. The
rules are in :mod:`ilrs.graph.check_rules` (terms, references, domains and ranges,
provenance), :mod:`ilrs.graph.check_schema` (what the test suite demands of a schema
change) and :mod:`ilrs.graph.check_usage` (deprecated terms, the queries' terms);
this module loads the inputs, runs the rules and formats the report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from rdflib import Graph

from . import check_schema, check_usage  # noqa: F401  (register their rules)
from .check_rules import RULES, CheckContext, Finding
from .derived import is_derived
from .loader import build_store, dataset_files, loaded_graphs
from .locate import Locator
from .namespaces import ONTOLOGY_GRAPH
from .rdfview import graphs_of, read_shapes
from .settings import Settings
from .store import Store

LEVELS = ("error", "warning", "info")


@dataclass(frozen=True)
class CheckReport:
    """The findings of one run, errors first."""

    findings: list[Finding]
    terms: int
    triples: int

    def count(self, level: str) -> int:
        """How many findings have ``level``."""
        return sum(1 for f in self.findings if f.level == level)

    def failed(self, strict: bool = False) -> bool:
        """Whether the run fails: any error, or with ``strict`` any warning."""
        return self.count("error") > 0 or (strict and self.count("warning") > 0)

    def summary(self) -> str:
        """One line: how many findings of each level, over what."""
        counts = ", ".join(_plural(self.count(level), level) for level in LEVELS)
        return f"{counts} ({len(RULES)} rules over {self.terms} terms and {self.triples} triples)"

    def errors(self) -> CheckReport:
        """The same report with its errors only."""
        return CheckReport([f for f in self.findings if f.level == "error"], self.terms, self.triples)

    def to_table(self) -> str:
        """A fixed-width table, one finding per row with its fix hint beneath, and the summary."""
        if not self.findings:
            return f"no findings: {self.summary()}"
        header = ("LEVEL", "RULE", "TERM", "WHERE", "MESSAGE")
        rows = [(f.level, f.rule, f.term, f.where or "-", f.message) for f in self.findings]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        indent = " " * (sum(widths) + 2 * len(widths))
        lines = []
        for row, finding in zip([header, *rows], [None, *self.findings], strict=True):
            cells = [c.ljust(w) for c, w in zip(row, widths, strict=False)]
            lines.append("  ".join([*cells, row[4]]).rstrip())
            if finding is not None and finding.fix:
                lines.append(f"{indent}fix: {finding.fix}")
        return "\n".join([*lines, "", self.summary()])

    def to_json(self) -> str:
        """The findings and the counts as JSON."""
        data = {
            "errors": self.count("error"),
            "warnings": self.count("warning"),
            "infos": self.count("info"),
            "terms": self.terms,
            "triples": self.triples,
            "findings": [asdict(f) for f in self.findings],
        }
        return json.dumps(data, indent=2, ensure_ascii=False)


def run_checks(settings: Settings, store: Store | None = None) -> CheckReport:
    """Load the dataset (unless ``store`` already holds it) and the shapes as ``settings`` says; run every rule.

    Raises :class:`~ilrs.graph.errors.NotFound` when a file is missing and
    :class:`~ilrs.graph.errors.ParseError` (naming ``file:line:col``) when one does not parse.
    """
    store = store or build_store(settings.model_copy(update={"store_dir": None}), derived=False)
    graphs = {name: g for name, g in graphs_of(store).items() if not is_derived(name)}  # (a served store has them)
    shapes = read_shapes(settings.shapes_dir)
    ontology = graphs.pop(str(ONTOLOGY_GRAPH), None) or Graph()  # an empty ilrs.ttl loads no graph
    files = [f.path for f in dataset_files(settings)] + sorted(settings.shapes_dir.glob("*.ttl"))
    root = settings.ontology_dir.parent
    ctx = CheckContext(
        ontology=ontology,
        shapes=shapes,
        data=graphs,
        locator=Locator(files, root=root),
        ontology_file=settings.ontology_dir / "ilrs.ttl",
        shapes_files=sorted(settings.shapes_dir.glob("*.ttl")),
        queries_dir=settings.queries_dir,
        scratch_graphs=frozenset(loaded_graphs(settings).values()),
        context_file=settings.context_file,
        shape_cases_dir=settings.shape_cases_dir,
    )
    findings = [finding for rule in RULES.values() for finding in rule.run(ctx)]
    findings.sort(key=lambda f: (LEVELS.index(f.level), f.rule, f.term, f.message))
    triples = len(ctx.ontology) + sum(len(g) for g in graphs.values())
    return CheckReport(findings, terms=len(ctx.terms), triples=triples)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
