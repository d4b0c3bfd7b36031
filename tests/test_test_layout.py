"""How the test suite is laid out: fixtures in ``conftest.py``, helpers in plain modules.

pytest loads ``conftest.py`` itself; a test module importing it as a module as well
would load a second copy, whose fixtures and classes are not pytest's.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """The top-level names of every module ``path`` imports (``from a.b import c`` gives ``a``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_module_imports_conftest() -> None:
    offenders = [p.name for p in sorted(TESTS.rglob("*.py")) if "conftest" in imported_modules(p)]
    assert offenders == [], f"import helpers from servers.py (or another plain module), not conftest: {offenders}"


def test_the_check_sees_every_form_of_import(tmp_path: Path) -> None:
    forms = ["from conftest import LiveServer", "import conftest", "import conftest as c", "from conftest.x import y"]
    for form in forms:
        module = tmp_path / "test_example.py"
        module.write_text(f"def f():\n    {form}\n", encoding="utf-8")
        assert "conftest" in imported_modules(module), form
