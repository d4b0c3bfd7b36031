"""Measurements of the ILRS Knowledge Graph. Run as modules: ``python -m bench.load``."""
