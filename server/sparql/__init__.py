"""The SPARQL 1.1 Protocol endpoint (queries only; the dataset is read-only).

One job per module:

* :mod:`.protocol` — turn an HTTP request into a :class:`~.protocol.SparqlRequest` (or a 4xx);
* :mod:`ilrs.graph.query_analysis` — what a query's text says before it runs (its form, ``SERVICE``, ``FROM``, nesting);
* :mod:`ilrs.graph.formats` — the result and graph formats, chosen by ``Accept`` or ``format=``;
* :mod:`.evaluate` — evaluate one query and serialize its result into chunks (no I/O of its own);
* :mod:`.result_limits` — count a result's rows and bytes against the limits of one result;
* :mod:`.executor` — the :class:`~.executor.QueryExecutor` interface, deadlines, streaming, query slots;
* :mod:`.process_executor` and :mod:`.worker` — the default executor: killable worker processes;
* :mod:`.thread_executor` — the alternative: a thread per query;
* :mod:`.inline` — a query that reads no data (``ASK {}``), answered on the event loop without an executor;
* :mod:`.service_description` — the SPARQL 1.1 Service Description served at ``GET /sparql``.

The HTTP route that ties them together is :mod:`ilrs.server.routes.sparql`. This package
is imported by the worker processes too, so it must stay light: no FastAPI, no rdflib here.
"""
