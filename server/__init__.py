"""The ILRS HTTP server: SPARQL protocol, linked-data pages, JSON-LD API and query UI."""
