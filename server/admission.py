"""Which answers a cache admits: those asked for a second time, so that requests that differ every time (a
crawler's walk, a client numbering its queries) cost no entry and push out none of those asked again.

>>> seen = SeenOnce(remembered=2)
>>> seen.first_time("a"), seen.first_time("a"), seen.first_time("b"), seen.first_time("c"), seen.first_time("a")
(True, False, True, True, True)

The last ``"a"`` is new again: past ``remembered`` keys the memory starts over, so that it stays bounded
whatever comes, at the price of a key that comes back after thousands of others being kept one request later.
"""

from __future__ import annotations

from collections.abc import Hashable

#: Keys remembered (as their hashes, a few tens of bytes each) before the memory starts over.
REMEMBERED = 65536


class SeenOnce:
    """The keys offered once (by hash, at most ``remembered`` of them); used from one thread only."""

    def __init__(self, remembered: int = REMEMBERED) -> None:
        self.remembered = remembered
        self._hashes: set[int] = set()

    def first_time(self, key: Hashable) -> bool:
        """Whether ``key`` comes for the first time (since the memory last started over); remembers it."""
        hashed = hash(key)
        if hashed in self._hashes:
            return False
        if len(self._hashes) >= self.remembered:
            self._hashes.clear()
        self._hashes.add(hashed)
        return True

    def clear(self) -> None:
        """Forget every key (the answers they named are gone: a new version of the data)."""
        self._hashes.clear()
