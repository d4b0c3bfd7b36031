"""Where the package finds its files in the editable install the tests run in (the wheel: test_wheel.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from checkout import PROJECT_ROOT

from ilrs.graph.jsonld import CONTEXT_PATH
from ilrs.graph.settings import Settings, installed_copy
from ilrs.server.representations import TEMPLATES_DIR
from ilrs.server.routes.ui import STATIC_DIR


def test_the_editable_install_reads_the_checkouts_own_folders() -> None:
    settings = Settings()
    assert settings.ontology_dir == PROJECT_ROOT / "ontology"
    assert settings.shapes_dir == PROJECT_ROOT / "shapes"
    assert settings.data_dir == PROJECT_ROOT / "graph" / "data"
    assert settings.queries_dir == PROJECT_ROOT / "queries"
    assert settings.docs_dir == PROJECT_ROOT / "docs" / "ontology"
    assert (STATIC_DIR, TEMPLATES_DIR) == (PROJECT_ROOT / "server" / "static", PROJECT_ROOT / "server" / "templates")
    assert CONTEXT_PATH == PROJECT_ROOT / "graph" / "context.jsonld"


def test_the_editors_commands_work_on_the_checkout() -> None:
    settings = Settings()
    assert not installed_copy(settings.ontology_dir)
    assert settings.project_dir("ilrs release") == PROJECT_ROOT
    assert settings.release_folder() == PROJECT_ROOT / "release"


def test_settings_point_the_package_at_other_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ONTOLOGY", "SHAPES", "DATA", "QUERIES", "DOCS", "RELEASE"):
        monkeypatch.setenv(f"ILRS_{name}_DIR", str(tmp_path / name.lower()))
    settings = Settings()
    assert settings.data_dir == tmp_path / "data" and settings.queries_dir == tmp_path / "queries"
    assert settings.docs_dir == tmp_path / "docs"
    assert settings.project_dir("ilrs diff git:HEAD") == tmp_path  # the folder holding the ontology folder
    assert settings.release_folder() == tmp_path / "release"
