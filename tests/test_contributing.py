r"""Run every example of docs/CONTRIBUTING.md against a copy of the repository's files, so the guide cannot rot.

Fenced blocks: ``append=PATH`` appends to a file, ``file=PATH`` writes one, ``edit=PATH``
replaces its ``-`` lines by its ``+`` lines (once, exactly), ``scratch`` marks an edit undone
after the next ``console`` block. A ``console`` block's ``$ …`` commands (``ilrs``, ``cp`` and
``curl``; a line ending in ``\`` or inside an open quote goes on) are run by bash in the copy,
with ``ILRS_*_DIR`` pointing at it and the ``ilrs`` of the environment running the tests; the
lines below each are the expected output (standard output and error), whitespace-insensitive,
where ``...`` stands for any lines or, inside a line, any text; ``exit=N`` is the expected exit
status (default 0). As in a shell, ``NAME=$(command)`` keeps the command's output for the later
commands' ``$NAME``, ``command &`` runs in the background (here: until its server answers on
127.0.0.1) and ``kill %1`` stops it. The one liberty taken: the server's port is a free one,
not the default 8000 the guide shows (``ILRS_PORT``, and ``127.0.0.1:8000`` in the commands).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from checkout import PROJECT_ROOT
from servers import free_port

from ilrs.graph.settings import get_settings

GUIDE = PROJECT_ROOT / "docs" / "CONTRIBUTING.md"
EDITS = {"append", "file", "edit"}
#: The programs the guide's commands may run.
PROGRAMS = {"ilrs", "cp", "curl"}
_CAPTURE = re.compile(r"^(\w+)=\$\((.*)\)$", re.DOTALL)
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
    """A copy of the files an editor changes, laid out as in the repository (see :data:`EDITED`), and the
    shell state of the guide's commands (variables, background servers)."""

    root: Path
    backups: dict[Path, str | None] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    variables: dict[str, str] = field(default_factory=dict)
    background: list[subprocess.Popen[bytes]] = field(default_factory=list)

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

    @property
    def shell_env(self) -> dict[str, str]:
        """The environment of the guide's commands: :attr:`env`, the port, the variables, ``ilrs`` on the path."""
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        return {**os.environ, **self.env, "ILRS_PORT": str(self.port), "PATH": path, **self.variables}

    def undo_scratch(self) -> None:
        for path, content in self.backups.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(content, encoding="utf-8")
        self.backups.clear()

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        """Run one of the guide's commands as bash would (see the module documentation)."""
        command = command.replace("127.0.0.1:8000", f"127.0.0.1:{self.port}")
        capture = _CAPTURE.match(command)
        program = shlex.split(capture.group(2) if capture else command)[0]
        assert program in PROGRAMS or command == "kill %1", f"the guide may only run {sorted(PROGRAMS)}: {command}"
        if command == "kill %1":
            self.stop_background()
            return subprocess.CompletedProcess(command, 0, "")
        if command.endswith("&"):
            return self._serve(command.rstrip("& "))
        done = subprocess.run(
            ["bash", "-c", capture.group(2) if capture else command],
            cwd=self.root,
            env=self.shell_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if capture else subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        if capture:  # the terminal shows only what the command writes to standard error
            self.variables[capture.group(1)] = done.stdout.strip()
            return subprocess.CompletedProcess(command, done.returncode, done.stderr)
        return done

    def _serve(self, command: str) -> subprocess.CompletedProcess[str]:
        """Start ``command`` in the background and wait until it answers on its port."""
        log = self.root / f"background-{len(self.background)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["bash", "-c", f"exec {command}"], cwd=self.root, env=self.shell_env, stdout=out, stderr=out
            )
        self.background.append(process)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, f"`{command}` exited with {process.returncode}:\n{log.read_text()}"
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2).status_code == 200:
                    return subprocess.CompletedProcess(command, 0, "")
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"`{command}` did not answer on port {self.port}:\n{log.read_text()}")

    def stop_background(self) -> None:
        for process in self.background:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.background.clear()


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
    """``$ command`` lines of a console block, each with the expected output lines below it.

    A command goes on over the next lines while its line ends in ``\\`` or a quote is open."""
    runs: list[tuple[str, list[str]]] = []
    open_command = False
    for line in body.splitlines():
        if open_command:
            runs[-1] = (runs[-1][0] + "\n" + line, [])
        elif line.startswith("$ "):
            runs.append((line[2:], []))
        elif runs:
            runs[-1][1].append(line)
            continue
        else:
            continue
        open_command = runs[-1][0].endswith("\\") or not _complete(runs[-1][0])
    return runs


def _complete(command: str) -> bool:
    try:
        shlex.split(command)
    except ValueError:  # a quote still open
        return False
    return True


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
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    copy = copy_edited_files(tmp_path / "repo")
    yield copy
    copy.stop_background()


def test_output_patterns() -> None:
    assert commands("$ a \\\n  b\nout\n$ c 'd\ne'\n$ f") == [("a \\\n  b", ["out"]), ("c 'd\ne'", []), ("f", [])]
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
