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
        """``path:line`` where ``iri`` is described (a line that starts with it), else first mentioned.

        ``prefer`` files are searched first, ``exclude`` files never; ``None`` if ``iri`` is never written.
        """
        order = [*(prefer or []), *(f for f in self.files if f not in (prefer or []))]
        order = [f for f in order if f not in (exclude or [])]
        groups = [[f for f in order if f in (prefer or [])], [f for f in order if f not in (prefer or [])]]
        for group in groups:
            for starts in (True, False):
                for path in group:
                    found = self._first_line(path, iri, starts)
                    if found is not None:
                        return f"{self.display(path)}:{found}"
        return None

    def _first_line(self, path: Path, iri: str, starts: bool) -> int | None:
        """The first line of ``path`` that mentions ``iri`` (with ``starts``: that begins with it)."""
        text = self._read(path)
        if text is None:
            return None
        pattern = _pattern(iri, text.prefixes)
        for number, line in enumerate(text.lines, start=1):
            code = _code(line)
            match = pattern.search(code)
            if match and (not starts or not code[: match.start()].strip()):
                return number
        return None

    def find_triple(
        self,
        subject: str,
        predicate: str,
        obj: str | None,
        literal: str | None = None,
        prefer: list[Path] | None = None,
    ) -> str | None:
        """``path:line`` of the statement ``subject predicate object`` itself (not the subject's first mention).

        The object is an IRI (``obj``), a literal's lexical form (``literal``), or neither (any). The line found
        mentions the object, with the predicate on it or on an earlier line of the same subject's
        description; failing that, the subject's first mention. ``prefer`` files are searched first.
        """
        order = [*(prefer or []), *(f for f in self.files if f not in (prefer or []))]
        for path in order:
            text = self._read(path)
            if text is None:
                continue
            s_pattern, p_pattern = _pattern(subject, text.prefixes), _pattern(predicate, text.prefixes)
            o_pattern = (
                _pattern(obj, text.prefixes)
                if obj is not None
                else re.compile(r"(?:[\"']|(?<![\w\-.:]))" + re.escape(_quoted(literal or "")))
            )
            last_subject = last_predicate = None
            for number, line in enumerate(text.lines, start=1):
                code = _code(line) if obj is not None else line
                if s_pattern.search(code):
                    last_subject, last_predicate = number, None
                if last_subject is not None and p_pattern.search(code):
                    last_predicate = number
                if last_predicate is not None and o_pattern.search(code):
                    return f"{self.display(path)}:{number}"
        return self.find(subject, prefer)

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

    def display(self, path: Path) -> str:
        """``path`` as the reports write it: relative to the repository's root where it lies inside."""
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


def _quoted(lexical: str) -> str:
    """How a literal's lexical form starts in Turtle: after its opening quote (escapes as Turtle writes them)."""
    return lexical.replace("\\", "\\\\").replace('"', '\\"').split("\n", 1)[0]


def _code(line: str) -> str:
    """The line without a trailing ``# comment`` (a crude cut: ``#`` inside IRIs and strings is kept)."""
    return re.sub(r"(?<![<\w\"'])#\s.*$", "", line) if not line.lstrip().startswith("#") else ""
