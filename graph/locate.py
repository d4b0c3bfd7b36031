"""Find where a term is written in the repository's Turtle and TriG files (``file:line``).

The store keeps no positions, so the editors' reports find them again in the
text: an IRI is written either in full (``<https://…>``) or as a prefixed name
whose prefix the file declares (``@prefix country: <…/id/country/> .``).

Each file is read once, in one pass that indexes every IRI it writes by the lines mentioning it, so a
lookup is a dictionary access and a few binary searches rather than a scan of every line: a report of
thousands of findings over generated files of a million lines stays linear in their size.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_PREFIX = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([\w\-.]*):\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE)
#: An IRI written in full, or a prefixed name. A prefixed name is not continued by ``[\w\-:%/]``
#: (``ilrs:Agreement`` is not a mention of ``ilrs:AgreementShape``) but may be by a dot: ``ex:a.b``
#: mentions ``ex:a`` and ``ex:a.b``.
_TOKEN = re.compile(r"<([^<>\s]*)>|(?<![\w\-])([\w\-.]*):([\w\-:%/.]*)")
#: A trailing ``# comment`` (a crude cut: ``#`` inside IRIs and strings is kept).
_COMMENT = re.compile(r"(?<![<\w\"'])#\s.*$")


@dataclass
class _File:
    """One file, read once: its text and lines, its prefixes, and the lines that write each IRI."""

    path: Path
    text: str
    lines: list[str]
    prefixes: dict[str, str]
    #: Where each line starts in ``text``.
    offsets: array[int] = field(default_factory=lambda: array("q"))
    #: IRI → the lines whose code (without a trailing comment) mentions it.
    mentions: dict[str, array[int]] = field(default_factory=dict)
    #: IRI → the lines whose whole text (comment included) mentions it.
    raw_mentions: dict[str, array[int]] = field(default_factory=dict)
    #: IRI → the first line whose code begins with it.
    starts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def index(cls, path: Path, text: str) -> _File:
        """``text`` (of ``path``) indexed in one pass over its lines."""
        prefixes = {m.group(1): m.group(2) for m in _PREFIX.finditer(text)}
        found = cls(path, text, [], prefixes)
        offset = 0
        for number, kept in enumerate(text.splitlines(keepends=True), start=1):
            found.offsets.append(offset)
            offset += len(kept)
            line = kept.splitlines()[0]  # without its line break
            found.lines.append(line)
            code = _code(line)
            first = True
            for start, iris in found._tokens(code):
                begins = first and not code[:start].strip()
                first = False
                for iri in iris:
                    _note(found.mentions, iri, number)
                    if begins:
                        found.starts.setdefault(iri, number)
            for _, iris in found._tokens(line) if code != line else found._tokens(code):
                for iri in iris:
                    _note(found.raw_mentions, iri, number)
        return found

    def _tokens(self, code: str) -> Iterator[tuple[int, list[str]]]:
        """Each token of ``code`` that writes IRIs: where it starts, and the IRIs it writes."""
        for match in _TOKEN.finditer(code):
            full, prefix, local = match.groups()
            if full is not None:
                yield match.start(), [full]
                continue
            ns = self.prefixes.get(prefix)
            if not ns:
                continue
            names = [local[:i] for i, c in enumerate(local) if c == "." and i > 0]
            if local and not local.endswith("."):
                names.append(local)
            if names:
                yield match.start(), [ns + name for name in dict.fromkeys(names)]

    def lines_with(self, text: str) -> Iterator[int]:
        """The lines (ascending, each once) on which ``text`` occurs."""
        last, at = 0, self.text.find(text) if text else -1
        while at >= 0:
            number = bisect_left(self.offsets, at + 1)  # the line starting at or before ``at``
            if number != last:
                yield number
                last = number
            at = self.text.find(text, at + 1)


def _note(index: dict[str, array[int]], iri: str, number: int) -> None:
    lines = index.get(iri)
    if lines is None:
        index[iri] = array("q", [number])
    elif lines[-1] != number:
        lines.append(number)


@dataclass
class Locator:
    """Looks terms up in ``files`` (each read and indexed once, lazily), answering ``path:line`` relative to
    ``root``."""

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
        if starts:
            return text.starts.get(iri)
        lines = text.mentions.get(iri)
        return lines[0] if lines else None

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
        description (lines from one mention of the subject to the next); failing that, the subject's first
        mention. ``prefer`` files are searched first.
        """
        order = [*(prefer or []), *(f for f in self.files if f not in (prefer or []))]
        for path in order:
            text = self._read(path)
            if text is None:
                continue
            # A literal is looked for in the whole line: the crude comment cut may fall inside a string.
            index = text.mentions if obj is not None else text.raw_mentions
            subjects, predicates = index.get(subject), index.get(predicate)
            if not subjects or not predicates:
                continue
            if obj is not None:
                objects: Sequence[int] = index.get(obj) or array("q")
            elif not literal:  # any object: the predicate's own line
                objects = predicates
            else:
                needle = _quoted(literal)
                pattern = re.compile(r"(?:[\"']|(?<![\w\-.:]))" + re.escape(needle))
                objects = [n for n in text.lines_with(needle) if pattern.search(text.lines[n - 1])]
            found = _statement(subjects, predicates, objects)
            if found is not None:
                return f"{self.display(path)}:{found}"
        return self.find(subject, prefer)

    def _read(self, path: Path) -> _File | None:
        if path not in self._cache:
            try:
                content = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._cache[path] = None
            else:
                self._cache[path] = _File.index(path, content)
        return self._cache[path]

    def display(self, path: Path) -> str:
        """``path`` as the reports write it: relative to the repository's root where it lies inside."""
        if self.root is not None:
            try:
                return str(path.resolve().relative_to(self.root.resolve()))
            except ValueError:
                pass
        return str(path)


def _statement(subjects: Sequence[int], predicates: Sequence[int], objects: Sequence[int]) -> int | None:
    """The first line mentioning the object at or after a line mentioning the predicate, itself at or after a
    mention of the subject, all before the subject's next mention (which starts another description)."""
    for k, start in enumerate(subjects):
        end = subjects[k + 1] if k + 1 < len(subjects) else None
        p = bisect_left(predicates, start)
        if p == len(predicates) or (end is not None and predicates[p] >= end):
            continue
        o = bisect_left(objects, predicates[p])
        if o < len(objects) and (end is None or objects[o] < end):
            return objects[o]
    return None


def _quoted(lexical: str) -> str:
    """How a literal's lexical form starts in Turtle: after its opening quote (escapes as Turtle writes them)."""
    return lexical.replace("\\", "\\\\").replace('"', '\\"').split("\n", 1)[0]


def _code(line: str) -> str:
    """The line without a trailing ``# comment``."""
    return _COMMENT.sub("", line) if not line.lstrip().startswith("#") else ""
