"""Where the tests run: the source checkout, and ``../shared`` beside it.

The package finds its files through ``importlib.resources`` (``ilrs.graph.settings``); the
tests, which exercise the checkout itself (its scripts, its guide, its git history), name
it here.
"""

from __future__ import annotations

from pathlib import Path

#: The checkout the tests belong to.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The W3C test manifests and the source articles, beside the checkout (absent from a user's clone).
SHARED = PROJECT_ROOT.parent / "shared"
