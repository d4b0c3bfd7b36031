"""The example queries (``*.rq``) of the query UI, shipped as the package ``ilrs.queries`` (see ``ilrs.graph.settings``)."""
