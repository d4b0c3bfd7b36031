"""The SHACL shapes' Turtle files, shipped as the package ``ilrs.shapes`` (see ``ilrs.graph.settings``)."""
