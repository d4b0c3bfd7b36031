"""Find where a term is written in the repository's Turtle and TriG files (``file:line``).

The store keeps no positions, so the editors' reports find them again in the
text: an IRI is written either in full (``<https://…>``) or as a prefixed name
whose prefix the file declares (``@prefix country: <…/id/country/> .``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_PREFIX = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([\w\-.]*):\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE)
#: Characters that may continue a prefixed name: a match must not be followed by one
#: (``ilrs:Agreement`` is not a mention of ``ilrs:AgreementShape``).
_NAME_CHAR = r"[\w\-:%/]"


@dataclass
class _File:
    path: Path
    lines: list[str]
    prefixes: dict[str, str]


@dataclass
class Locator:
    """Looks terms up in ``files`` (read once, lazily), answering ``path:line`` relative to ``root``."""

    files: list[Path]
    root: Path | None = None
    _cache: dict[Path, _File | None] = field(default_factory=dict)

    def find(self, iri: str, prefer: list[Path] | None = None, exclude: list[Path] | None = None) -> str | None:
        """``path:line`` of the first mention of ``iri`` (``prefer`` searched first, ``exclude`` never); ``None`` if
        never written."""
        order = [*(prefer or []), *(f for f in self.files if f not in (prefer or []))]
        order = [f for f in order if f not in (exclude or [])]
        for path in order:
            text = self._read(path)
            if text is None:
                continue
            pattern = _pattern(iri, text.prefixes)
            for number, line in enumerate(text.lines, start=1):
                if pattern.search(_code(line)):
                    return f"{self._display(path)}:{number}"
        return None

    def _read(self, path: Path) -> _File | None:
        if path not in self._cache:
            try:
                content = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._cache[path] = None
            else:
                prefixes = {m.group(1): m.group(2) for m in _PREFIX.finditer(content)}
                self._cache[path] = _File(path, content.splitlines(), prefixes)
        return self._cache[path]

    def _display(self, path: Path) -> str:
        if self.root is not None:
            try:
                return str(path.resolve().relative_to(self.root.resolve()))
            except ValueError:
                pass
        return str(path)


def _pattern(iri: str, prefixes: dict[str, str]) -> re.Pattern[str]:
    forms = [re.escape(f"<{iri}>")]
    for prefix, ns in prefixes.items():
        if ns and iri.startswith(ns) and len(iri) > len(ns):
            forms.append(rf"(?<![\w\-]){re.escape(prefix)}:{re.escape(iri[len(ns) :])}(?!{_NAME_CHAR})")
    return re.compile("|".join(forms))


def _code(line: str) -> str:
    """The line without a trailing ``# comment`` (a crude cut: ``#`` inside IRIs and strings is kept)."""
    return re.sub(r"(?<![<\w\"'])#\s.*$", "", line) if not line.lstrip().startswith("#") else ""
