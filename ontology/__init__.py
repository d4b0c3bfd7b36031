"""The ontology's Turtle files, shipped as the package ``ilrs.ontology`` (see ``ilrs.graph.settings``)."""
