"""Where the tests run: the source checkout, and ``../shared`` beside it.

The package finds its files through ``importlib.resources`` (``ilrs.graph.settings``); the
tests, which exercise the checkout itself (its scripts, its guide, its git history), name
it here.
"""

from __future__ import annotations

from ilrs.graph.settings import package_folder

#: The checkout installed in editable mode (``make install-test``), whose ``graph/`` is ``ilrs.graph``: the
#: tests of a copy of the tests (tests/test_contributing.py) still look at the checkout's scripts and data.
PROJECT_ROOT = package_folder("ilrs.graph").parent
#: The W3C test manifests and the source articles, beside the checkout (absent from a user's clone).
SHARED = PROJECT_ROOT.parent / "shared"
