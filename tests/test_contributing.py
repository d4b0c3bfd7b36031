"""Run every example of docs/CONTRIBUTING.md against a copy of the repository's files, so the guide cannot rot.

Fenced blocks: ``append=PATH`` appends to a file, ``file=PATH`` writes one, ``scratch``
marks an edit undone after the next ``console`` block. A ``console`` block's ``$ ilrs …``
(and ``$ cp FROM TO``, inside the copy) lines are run (with ``ILRS_*_DIR`` pointing at the
copy); the lines below each are the expected output, whitespace-insensitive, where ``...``
stands for any lines or, inside a line, any text; ``exit=N`` is the expected exit status
(default 0).
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

from ilrs.graph.settings import PROJECT_ROOT, get_settings

GUIDE = PROJECT_ROOT / "docs" / "CONTRIBUTING.md"
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
    """A copy of ontology/, shapes/ and graph/data/ laid out as in the repository."""

    root: Path
    backups: dict[Path, str | None] = field(default_factory=dict)

    def edit(self, block: Block) -> None:
        target = self.root / (block.options.get("append") or block.options["file"])
        if "scratch" in block.options and target not in self.backups:
            self.backups[target] = target.read_text(encoding="utf-8") if target.exists() else None
        target.parent.mkdir(parents=True, exist_ok=True)
        if "append" in block.options:
            with target.open("a", encoding="utf-8") as f:
                f.write("\n" + block.body)
        else:
            target.write_text(block.body, encoding="utf-8")

    def undo_scratch(self) -> None:
        for path, content in self.backups.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(content, encoding="utf-8")
        self.backups.clear()

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        args = shlex.split(command)
        if args[0] == "cp":  # committing an exported file: a copy inside the workspace
            source, target = (self.root / a for a in args[1:])
            shutil.copyfile(source, target)
            return subprocess.CompletedProcess(args, 0, "")
        assert args[0] == "ilrs", f"the guide may only run ilrs and cp commands: {command}"
        env = {
            **os.environ,
            "ILRS_ONTOLOGY_DIR": str(self.root / "ontology"),
            "ILRS_SHAPES_DIR": str(self.root / "shapes"),
            "ILRS_DATA_DIR": str(self.root / "graph" / "data"),
        }
        return subprocess.run(
            [sys.executable, "-m", "ilrs.graph.cli", *args[1:]],
            cwd=self.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )


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


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    settings = get_settings()
    root = tmp_path / "repo"
    shutil.copytree(settings.ontology_dir, root / "ontology")
    shutil.copytree(settings.shapes_dir, root / "shapes")
    shutil.copytree(settings.data_dir, root / "graph" / "data")
    return Workspace(root)


def test_output_patterns() -> None:
    assert matches(["a", "...", "d ... f"], "a\nb\nc\nd  e   f\n")
    assert matches(["...", "0 errors, ..."], "x\n0 errors, 1 warning\n")
    assert not matches(["a", "c"], "a\nb\nc\n")


def test_every_example_of_the_guide(workspace: Workspace) -> None:
    guide = blocks(GUIDE.read_text(encoding="utf-8"))
    executed = 0
    for block in guide:
        if "append" in block.options or "file" in block.options:
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
