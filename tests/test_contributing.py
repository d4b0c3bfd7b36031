"""Run every example of docs/CONTRIBUTING.md against a copy of the repository's files, so the guide cannot rot.

Fenced blocks: ``append=PATH`` appends to a file, ``file=PATH`` writes one, ``edit=PATH``
replaces its ``-`` lines by its ``+`` lines (once, exactly), ``scratch`` marks an edit undone
after the next ``console`` block. A ``console`` block's ``$ ilrs …``
lines are run (with ``ILRS_*_DIR`` pointing at the copy); the lines below each are the
expected output, whitespace-insensitive, where ``...`` stands for any lines or, inside a
line, any text; ``exit=N`` is the expected exit status (default 0).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from checkout import PROJECT_ROOT

from ilrs.graph.settings import get_settings

GUIDE = PROJECT_ROOT / "docs" / "CONTRIBUTING.md"
EDITS = {"append", "file", "edit"}
_FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass
class Block:
    language: str
    options: dict[str, str]
    body: str
    line: int

    @property
    def where(self) -> str:
        return f"{GUIDE.name}:{self.line}"


@dataclass
class Workspace:
    """A copy of the files an editor changes, laid out as in the repository (see :data:`EDITED`)."""

    root: Path
    backups: dict[Path, str | None] = field(default_factory=dict)

    def edit(self, block: Block) -> None:
        target = self.root / (block.options.get("append") or block.options.get("edit") or block.options["file"])
        if "scratch" in block.options and target not in self.backups:
            self.backups[target] = target.read_text(encoding="utf-8") if target.exists() else None
        target.parent.mkdir(parents=True, exist_ok=True)
        if "edit" in block.options:
            old, new = diff_sides(block.body)
            content = target.read_text(encoding="utf-8")
            assert content.count(old) == 1, f"{block.where}: the '-' lines must occur once in {target.name}:\n{old}"
            target.write_text(content.replace(old, new), encoding="utf-8")
        elif "append" in block.options:
            with target.open("a", encoding="utf-8") as f:
                f.write("\n" + block.body)
        else:
            target.write_text(block.body, encoding="utf-8")

    @property
    def env(self) -> dict[str, str]:
        """``ILRS_*`` settings that point the tools at this copy."""
        return {
            "ILRS_ONTOLOGY_DIR": str(self.root / "ontology"),
            "ILRS_SHAPES_DIR": str(self.root / "shapes"),
            "ILRS_DATA_DIR": str(self.root / "graph" / "data"),
            "ILRS_CONTEXT_FILE": str(self.root / "graph" / "context.jsonld"),
            "ILRS_SHAPE_CASES_DIR": str(self.root / "tests" / "shapes_cases"),
        }

    def undo_scratch(self) -> None:
        for path, content in self.backups.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(content, encoding="utf-8")
        self.backups.clear()

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        args = shlex.split(command)
        assert args[0] == "ilrs", f"the guide may only run ilrs commands: {command}"
        return subprocess.run(
            [sys.executable, "-m", "ilrs.graph.cli", *args[1:]],
            cwd=self.root,
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )


def diff_sides(body: str) -> tuple[str, str]:
    """The text an ``edit`` block replaces (its ``-`` lines) and the text it puts instead (its ``+`` lines)."""
    old = [line[1:] for line in body.splitlines() if line.startswith("-")]
    new = [line[1:] for line in body.splitlines() if line.startswith("+")]
    return "\n".join(old) + "\n", "\n".join(new) + "\n"


def blocks(text: str) -> list[Block]:
    """The fenced blocks of the guide with their ``key=value`` / flag options."""
    found = []
    for match in _FENCE.finditer(text):
        options = {}
        for token in match.group(2).split():
            key, _, value = token.partition("=")
            options[key] = value
        found.append(Block(match.group(1), options, match.group(3), text.count("\n", 0, match.start()) + 1))
    return found


def commands(body: str) -> list[tuple[str, list[str]]]:
    """``$ command`` lines of a console block, each with the expected output lines below it."""
    runs: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            runs.append((line[2:], []))
        elif runs:
            runs[-1][1].append(line)
    return runs


def _normal(line: str) -> str:
    return " ".join(line.split())


def output_pattern(expected: list[str]) -> re.Pattern[str]:
    """A regular expression over the normalized output: ``...`` lines skip lines, ``...`` in a line skips text."""
    pieces = []
    for line in expected:
        normal = _normal(line)
        if normal == "...":
            pieces.append(r"(?:[^\n]*\n)*?")
        else:
            pieces.append(r"[^\n]*?".join(re.escape(part) for part in normal.split("...")) + r"\n")
    return re.compile("".join(pieces))


def matches(expected: list[str], actual: str) -> bool:
    normalized = "".join(_normal(line) + "\n" for line in actual.splitlines())
    return output_pattern(expected).fullmatch(normalized) is not None


def copy_edited_files(root: Path) -> Workspace:
    """Copy what the guide edits into ``root``, laid out as in the repository."""
    settings = get_settings()
    shutil.copytree(settings.ontology_dir, root / "ontology")
    shutil.copytree(settings.shapes_dir, root / "shapes")
    shutil.copytree(settings.data_dir, root / "graph" / "data")
    shutil.copyfile(settings.context_file, root / "graph" / "context.jsonld")
    shutil.copytree(settings.shape_cases_dir, root / "tests" / "shapes_cases")
    return Workspace(root)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return copy_edited_files(tmp_path / "repo")


def test_output_patterns() -> None:
    assert matches(["a", "...", "d ... f"], "a\nb\nc\nd  e   f\n")
    assert matches(["...", "0 errors, ..."], "x\n0 errors, 1 warning\n")
    assert not matches(["a", "c"], "a\nb\nc\n")


def test_every_example_of_the_guide(workspace: Workspace) -> None:
    guide = blocks(GUIDE.read_text(encoding="utf-8"))
    executed = 0
    for block in guide:
        if EDITS & set(block.options):
            workspace.edit(block)
        elif block.language == "console":
            status = int(block.options.get("exit", "0"))
            for command, expected in commands(block.body):
                done = workspace.run(command)
                assert done.returncode == status, f"{block.where}: `{command}` exited {done.returncode}\n{done.stdout}"
                assert matches(expected, done.stdout), (
                    f"{block.where}: `{command}` printed\n{done.stdout}\n--- but the guide shows ---\n"
                    + "\n".join(expected)
                )
                executed += 1
            workspace.undo_scratch()
    assert executed >= 10, "the guide's console examples were not found"


#: The schema and data test modules that a schema change must keep green.
SCHEMA_AND_DATA_TESTS = ("test_ontology.py", "test_shapes.py", "test_data.py")


def section(guide: list[Block], text: str, heading: str) -> list[Block]:
    """The blocks under the ``## heading`` of the guide (up to the next ``## ``)."""
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    first, last = text.count("\n", 0, start) + 1, text.count("\n", 0, end if end != -1 else len(text)) + 1
    return [b for b in guide if first <= b.line <= last]


def test_the_new_class_example_passes_check_and_the_schema_and_data_tests(tmp_path: Path) -> None:
    """Section 2 applied to a copy of the repository, with no step the guide does not show: all green."""
    text = GUIDE.read_text(encoding="utf-8")
    workspace = copy_edited_files(tmp_path / "repo")
    tests = workspace.root / "tests"
    for module in (PROJECT_ROOT / "tests").glob("*.py"):  # the test modules and the helpers they import
        shutil.copyfile(module, tests / module.name)
    (workspace.root / "docs").mkdir()
    shutil.copyfile(PROJECT_ROOT / "docs" / "model.md", workspace.root / "docs" / "model.md")

    edits = [
        b
        for b in section(blocks(text), text, "2. Add a class")
        if EDITS & set(b.options) and "scratch" not in b.options
    ]
    assert len(edits) >= 5, "the guide's new-class example was not found"
    for block in edits:
        workspace.edit(block)

    check = workspace.run("ilrs check --strict --quiet")
    assert check.returncode == 0, check.stdout
    assert "0 errors, 0 warnings" in check.stdout
    tests_run = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", *SCHEMA_AND_DATA_TESTS],
        cwd=tests,
        env={**os.environ, **workspace.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    assert tests_run.returncode == 0, tests_run.stdout[-5000:]
    # The copy's own examples ran: the new shape's broken examples are among the tests that passed.
    assert re.search(r"test_broken_example_is_rejected\[LaunchVehicleShape-label-missing\] PASSED", tests_run.stdout)
