"""Which files' bytes have parsed without an error before, so that loading them again can skip validation.

pyoxigraph's lenient parsing (``lenient=True``) does not validate every IRI and language tag, about a
quarter of the time of loading N-Quads, and assumes the data valid: given the very bytes that the same
parser, in the same format, parsed strictly before, it gives the same quads. So the first load of a
file's bytes is strict, and a record of them is kept; a later load of the same bytes — a restart on
unchanged files — is lenient. The record is an empty file in ``cache_dir/parsed/`` named by a digest of
the parser's version, the format and the bytes' SHA-256: a changed byte, another format or another
pyoxigraph makes another name, and so a strict parse. Files that do not parse leave no record.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pyoxigraph as ox

log = logging.getLogger("ilrs.graph.parsed_before")


class ParsedBefore:
    """The records of ``folder`` (``cache_dir/parsed``); with ``None`` nothing is known or kept."""

    def __init__(self, cache_dir: Path | None) -> None:
        self._folder = cache_dir / "parsed" if cache_dir is not None else None

    def key(self, content: bytes, fmt: ox.RdfFormat) -> str:
        """The name of the record of the bytes whose SHA-256 is ``content`` (``hashlib.sha256(payload).digest()``,
        which the loader computes once for this and the dataset's version), parsed as ``fmt`` by this pyoxigraph."""
        return hashlib.sha256(f"{ox.__version__}\0{fmt.media_type}\0".encode() + content).hexdigest()

    def __contains__(self, key: str) -> bool:
        return self._folder is not None and (self._folder / key).is_file()

    def remember(self, key: str) -> None:
        """Record that the bytes of ``key`` parsed strictly. A folder that cannot be written only costs the
        next load its speed: the failure is logged, never raised."""
        if self._folder is None:
            return
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            (self._folder / key).touch()  # an empty file: made whole or not at all
        except OSError as err:
            log.info("could not record a parsed file in %s: %s", self._folder, err)
