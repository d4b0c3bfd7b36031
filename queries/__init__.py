"""The query UI's example queries (``*.rq``), shipped as the package ``ilrs.queries`` (see ``ilrs.graph.settings``)."""
