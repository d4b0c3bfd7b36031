"""The competency queries in ``queries/*.rq`` as example objects for the query UI.

Each file opens with comment lines naming it::

    # title: Phases of the ILRS and their target years
    # description: Every phase with the years the sources give for it,
    #   and the source that gives each year.
    SELECT …

A header line ``# key: value`` sets a field; a following comment line without a
key continues the previous field. The header ends at the first line that is not
a comment. Files are read on every call, so a new ``.rq`` file appears in the UI
without a code change or restart.

>>> parse_header("# title: Phases\\n# description: Each phase,\\n#   with its years.\\nSELECT * {}")
{'title': 'Phases', 'description': 'Each phase, with its years.'}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .namespaces import PREFIXES

_FIELD = re.compile(r"#\s*([A-Za-z][\w-]*)\s*:\s?(.*)")
_DECLARED = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Example:
    """One competency query, ready to be offered as a one-click example."""

    id: str
    """The file's stem (``01-phases`` for ``queries/01-phases.rq``): stable, URL-safe."""
    file: str
    """The file name inside ``queries/``."""
    title: str
    """The ``# title:`` header; the stem when the file has none."""
    description: str
    """The ``# description:`` header; empty when the file has none."""
    query: str
    """The file's text with ``PREFIX`` lines added for every known prefix it uses but does not declare."""


def parse_header(text: str) -> dict[str, str]:
    """The ``# key: value`` fields of the comment lines that open ``text`` (keys lower-cased)."""
    fields: dict[str, str] = {}
    last: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            break
        match = _FIELD.fullmatch(line)
        if match:
            last = match.group(1).lower()
            fields[last] = match.group(2).strip()
        elif last is not None:
            # A continuation line: the previous field goes on, joined with one space.
            more = line.lstrip("#").strip()
            fields[last] = f"{fields[last]} {more}".strip() if more else fields[last]
    return fields


def used_prefixes(query: str) -> list[str]:
    """The prefixes of :data:`PREFIXES` that ``query`` uses as ``prefix:name`` but does not declare."""
    declared = {(m.group(1) or "") for m in _DECLARED.finditer(query)}
    body = _strip_iris_strings_comments(query)
    return [p for p in PREFIXES if p not in declared and re.search(rf"(?<![\w.:-]){re.escape(p)}:", body)]


def with_prologue(query: str) -> str:
    """``query`` with ``PREFIX`` lines for the known prefixes it uses, inserted after its opening comments."""
    missing = used_prefixes(query)
    if not missing:
        return query
    lines = query.splitlines(keepends=True)
    at = 0
    while at < len(lines) and lines[at].lstrip().startswith("#"):
        at += 1
    prologue = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in missing)
    return "".join(lines[:at]) + prologue + "".join(lines[at:])


def load_example(path: Path) -> Example:
    """The example held by one ``.rq`` file."""
    text = path.read_text(encoding="utf-8")
    header = parse_header(text)
    return Example(
        id=path.stem,
        file=path.name,
        title=header.get("title") or path.stem,
        description=header.get("description", ""),
        query=with_prologue(text),
    )


def load_examples(queries_dir: Path) -> list[Example]:
    """Every ``*.rq`` file directly in ``queries_dir``, sorted by file name; none if the directory is missing."""
    if not queries_dir.is_dir():
        return []
    return [load_example(p) for p in sorted(queries_dir.glob("*.rq")) if p.is_file()]


def _strip_iris_strings_comments(query: str) -> str:
    """``query`` without ``<IRIs>``, string literals and comments, so that ``http:`` or ``"a:b"`` is not a prefix."""
    pattern = r"""<[^<>"{}|^`\\\s]*>|'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|#[^\n]*"""
    return re.sub(pattern, " ", query, flags=re.DOTALL)
