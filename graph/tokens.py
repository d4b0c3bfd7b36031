"""Write tokens: each has a name (edits are attributed to it); only a salted hash of it is kept.

The tokens file (``ilrs token add NAME --file FILE``, read by ``ilrs serve --tokens FILE``) has
one line per token, ``name<TAB>salt<TAB>sha256(salt + token)``, both hex. A token is random (256
bits), so one salted SHA-256 is as hard to reverse as guessing the token itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, NotFound

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class TokenEntry:
    """One stored token: its name, salt and digest."""

    name: str
    salt: bytes
    digest: bytes


def _digest(salt: bytes, token: str) -> bytes:
    return hashlib.sha256(salt + token.encode("utf-8")).digest()


def add_token(path: Path, name: str) -> str:
    """Create a token named ``name`` in the tokens file ``path`` (created if absent); returns the token.

    :class:`InputError` if the name is malformed or already taken.
    """
    if not NAME.match(name):
        raise InputError(f"token name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-'")
    entries = read_tokens(path) if path.exists() else []
    if any(e.name == name for e in entries):
        raise InputError(f"{path}: a token named {name!r} exists already")
    token = secrets.token_urlsafe(32)
    salt = os.urandom(16)
    line = f"{name}\t{salt.hex()}\t{_digest(salt, token).hex()}\n"
    # Created readable by its owner only: the digests are not secrets, but nobody else needs them.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(line)
    return token


def read_tokens(path: Path) -> list[TokenEntry]:
    """The entries of a tokens file; :class:`NotFound` if absent, :class:`InputError` on a malformed line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise NotFound(f"{path}: no such tokens file") from err
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        try:
            name, salt, digest = parts
            entries.append(TokenEntry(name, bytes.fromhex(salt), bytes.fromhex(digest)))
        except ValueError as err:
            raise InputError(f"{path}:{number}: expected name, salt and digest separated by tabs") from err
    return entries


class TokenRegistry:
    """The tokens that may write; :meth:`identify` names the holder of a token."""

    def __init__(self, entries: list[TokenEntry]) -> None:
        self._entries = entries

    @classmethod
    def from_file(cls, path: Path | None) -> TokenRegistry:
        """The tokens of ``path``; none (writes off) without a file."""
        return cls(read_tokens(path) if path is not None else [])

    @property
    def enabled(self) -> bool:
        """Whether any token is configured (else every write is refused)."""
        return bool(self._entries)

    def identify(self, token: str) -> str | None:
        """The name of ``token``'s entry, or ``None``.

        Every entry is compared, in constant time each, whatever matches: the time taken does not
        tell which entry, or how much of a digest, matched.
        """
        found = None
        for entry in self._entries:
            if hmac.compare_digest(_digest(entry.salt, token), entry.digest):
                found = entry.name
        return found
