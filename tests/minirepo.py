"""A throw-away copy of the miniature repository in tests/fixtures/mini, for the editors' tools' tests."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ilrs.graph.settings import Settings, get_settings

MINI = Path(__file__).parent / "fixtures" / "mini"


@dataclass
class MiniRepo:
    """A copy of the miniature ontology, shapes and data under ``root``, editable by the test."""

    root: Path

    @property
    def settings(self) -> Settings:
        return get_settings().model_copy(
            update={
                "ontology_dir": self.root / "ontology",
                "shapes_dir": self.root / "shapes",
                "data_dir": self.root / "data",
                "docs_dir": self.root / "docs",
                "release_dir": self.root / "release",
                "queries_dir": self.root / "queries",
                "context_file": self.root / "context.jsonld",
                "shape_cases_dir": self.root / "shapes_cases",
                "store_dir": None,
                "extra_files": [],
            }
        )

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point ``ilrs`` at this copy."""
        return {
            "ILRS_ONTOLOGY_DIR": str(self.root / "ontology"),
            "ILRS_SHAPES_DIR": str(self.root / "shapes"),
            "ILRS_DATA_DIR": str(self.root / "data"),
            "ILRS_DOCS_DIR": str(self.root / "docs"),
            "ILRS_QUERIES_DIR": str(self.root / "queries"),
            "ILRS_CONTEXT_FILE": str(self.root / "context.jsonld"),
            "ILRS_SHAPE_CASES_DIR": str(self.root / "shapes_cases"),
        }

    def path(self, relative: str) -> Path:
        return self.root / relative

    def append(self, relative: str, text: str) -> None:
        with self.path(relative).open("a", encoding="utf-8") as f:
            f.write("\n" + text + "\n")

    def replace(self, relative: str, old: str, new: str) -> None:
        path = self.path(relative)
        content = path.read_text(encoding="utf-8")
        assert old in content, f"{old!r} not in {relative}"
        path.write_text(content.replace(old, new), encoding="utf-8")

    def write(self, relative: str, text: str) -> None:
        path = self.path(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def copy_mini(destination: Path) -> MiniRepo:
    """Copy the miniature repository to ``destination`` (created) and return it."""
    shutil.copytree(MINI, destination, dirs_exist_ok=True)
    return MiniRepo(destination)


#: Prefix lines for Turtle and TriG snippets the tests append.
PREFIXES = """\
@prefix ilrs: <https://w3id.org/ilrs/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix shapes: <https://w3id.org/ilrs/shapes#> .
@prefix agency: <https://w3id.org/ilrs/id/agency/> .
@prefix agreement: <https://w3id.org/ilrs/id/agreement/> .
@prefix country: <https://w3id.org/ilrs/id/country/> .
"""
