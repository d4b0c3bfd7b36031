"""The ILRS knowledge-graph core: load, validate, store and export the graph.

Nothing in this package speaks HTTP; the server lives in :mod:`ilrs.server`.
"""

__version__ = "0.1.0"
