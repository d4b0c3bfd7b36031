"""The examples in the modules' docstrings run, and stay true.

Every module of the installed packages ``ilrs.graph`` and ``ilrs.server`` is imported
by its package name (as the application imports it, so nothing is imported twice
under another name) and its docstring examples are run with :mod:`doctest`.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

import ilrs.graph
import ilrs.server


def module_names() -> list[str]:
    """Every module of ``ilrs.graph`` and ``ilrs.server``, sub-packages included."""
    names = []
    for package in (ilrs.graph, ilrs.server):
        names.append(package.__name__)
        names += [m.name for m in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")]
    return sorted(names)


def run_doctests(module: ModuleType) -> tuple[int, int, str]:
    """Run the examples of ``module``: (examples attempted, examples failed, the failure report)."""
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(module, module.__name__):
        runner.run(test, out=report.write)
    results = runner.summarize(verbose=False)
    return results.attempted, results.failed, report.getvalue()


@pytest.mark.parametrize("name", module_names())
def test_docstring_examples_hold(name: str) -> None:
    attempted, failed, report = run_doctests(importlib.import_module(name))
    assert failed == 0, f"{failed} of {attempted} examples in {name} fail:\n{report}"


def test_the_modules_with_examples_are_found() -> None:
    with_examples = {name for name in module_names() if run_doctests(importlib.import_module(name))[0]}
    # One module of each layer and a sub-package: the walk reaches them all.
    assert {"ilrs.graph.store", "ilrs.server.problems", "ilrs.server.sparql.result_limits"} <= with_examples


def test_a_false_example_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "wrong_example.py").write_text('"""\n>>> 1 + 1\n3\n"""\n', encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        attempted, failed, report = run_doctests(importlib.import_module("wrong_example"))
    finally:
        sys.modules.pop("wrong_example", None)
    assert (attempted, failed) == (1, 1)
    assert "Expected:\n    3\nGot:\n    2" in report
