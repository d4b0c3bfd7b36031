"""The SPARQL 1.1 Service Description of the endpoint (``GET /sparql`` without a query).

It says what a client needs before its first query: the endpoint, the language (SPARQL 1.1
Query; no update), every result format, that the default graph is the RDF merge of all
graphs (``sd:UnionDefaultGraph``: each triple once), and the default dataset's named graphs with their sizes (the
derived ones, inferred and merged, with what they hold).
There are no extension functions, so the description lists none. Served as RDF (every graph
format of :mod:`ilrs.graph.formats`) and as an HTML page for people.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache

import jinja2
import pyoxigraph as ox

from ilrs.graph.derived import DESCRIPTIONS, INFERRED_GRAPH, MERGED_GRAPH
from ilrs.graph.formats import FORM_NAMES, OFFERS, RESULT_FORMATS, Format

SD = "http://www.w3.org/ns/sparql-service-description#"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
_RDFS_SEE_ALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
_DCT_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
_VOID_TRIPLES = ox.NamedNode("http://rdfs.org/ns/void#triples")
_SIMPLE_ENTAILMENT = ox.NamedNode("http://www.w3.org/ns/entailment/Simple")

#: Prefixes of the serialized description.
SD_PREFIXES = {
    "sd": SD,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "dcterms": "http://purl.org/dc/terms/",
    "void": "http://rdfs.org/ns/void#",
    "formats": "http://www.w3.org/ns/formats/",
    "ent": "http://www.w3.org/ns/entailment/",
}

UNION_DEFAULT_GRAPH = (
    f"RDF merge of all graphs, each triple once however many graphs state it: {MERGED_GRAPH}, {INFERRED_GRAPH} "
    "and the changelog (unless the request names its own dataset)"
)
READ_ONLY_NOTE = "Read-only: SPARQL 1.1 Query only; updates are refused (no write token is configured)."
WRITABLE_NOTE = (
    "SPARQL 1.1 Update is accepted here and at /update with an Authorization: Bearer token; every update is "
    "validated against the shapes before it is committed. The Graph Store Protocol is at /store."
)
NOTES = (
    f"The default graph is the {UNION_DEFAULT_GRAPH}; GRAPH ?g tells which named graph states a fact.",
    f"FROM <{MERGED_GRAPH}> queries every claim once, without its source, the changelog and the inferred "
    f"triples; add FROM <{INFERRED_GRAPH}> for the types and superproperties RDFS entails (rebuilt with every load).",
    "No prefixes are pre-declared: a query declares every prefix it uses.",
    "Relative IRIs in a query resolve against the endpoint's URL.",
    "No extension functions.",
)


@dataclass(frozen=True)
class Limits:
    """The endpoint's limits, as the description states them."""

    query_timeout: float
    max_query_length: int
    max_concurrent_queries: int
    service_allowlist: Collection[str]
    max_result_rows: int
    max_result_bytes: int
    writes: bool = False
    #: Queries evaluated at once, the other admitted ones waiting their turn (``None``: as many as are admitted).
    query_workers: int | None = None


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def describe_service(
    endpoint: str, graph_sizes: Mapping[str, int], limits: Limits, see_also: Collection[str] = ()
) -> list[ox.Triple]:
    """The service description of the endpoint at ``endpoint`` whose named graphs hold ``graph_sizes`` triples."""
    service = ox.NamedNode(endpoint)
    out = [
        ox.Triple(service, _RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _DCT_TITLE, ox.Literal("ILRS Knowledge Graph SPARQL 1.1 endpoint", language="en")),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(
            service, _RDFS_COMMENT, ox.Literal(WRITABLE_NOTE if limits.writes else READ_ONLY_NOTE, language="en")
        ),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, _sd("defaultEntailmentRegime"), _SIMPLE_ENTAILMENT),
        *(ox.Triple(service, _sd("resultFormat"), ox.NamedNode(f.iri)) for f in RESULT_FORMATS),
        *(ox.Triple(service, _RDFS_COMMENT, ox.Literal(note, language="en")) for note in NOTES),
        *(ox.Triple(service, _RDFS_SEE_ALSO, ox.NamedNode(iri)) for iri in see_also),
    ]
    if limits.service_allowlist:
        out.append(ox.Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    if limits.writes:
        out.append(ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update")))
    # Blank nodes are labelled by what they stand for: the same dataset gives the same bytes (one ETag).
    dataset, default_graph = ox.BlankNode("defaultDataset"), ox.BlankNode("defaultGraph")
    out += [
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, _RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, _RDF_TYPE, _sd("Graph")),
        ox.Triple(default_graph, _RDFS_COMMENT, ox.Literal(f"The {UNION_DEFAULT_GRAPH}.", language="en")),
    ]
    for number, (name, size) in enumerate(graph_sizes.items()):
        named, graph = ox.BlankNode(f"namedGraph{number}"), ox.BlankNode(f"graph{number}")
        out += [
            ox.Triple(dataset, _sd("namedGraph"), named),
            ox.Triple(named, _RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(named, _sd("name"), ox.NamedNode(name)),
            ox.Triple(named, _sd("graph"), graph),
            ox.Triple(graph, _RDF_TYPE, _sd("Graph")),
            ox.Triple(graph, _VOID_TRIPLES, ox.Literal(size)),
        ]
        if name in DESCRIPTIONS:
            title, comment = DESCRIPTIONS[name]
            out.append(ox.Triple(named, _DCT_TITLE, ox.Literal(title, language="en")))
            out.append(ox.Triple(named, _RDFS_COMMENT, ox.Literal(comment, language="en")))
    return out


def serialize_description(triples: list[ox.Triple], fmt: Format) -> bytes:
    """The description in one of the graph formats."""
    out = io.BytesIO()
    fmt.write(triples, out, SD_PREFIXES)
    return out.getvalue()


def service_page(
    env: jinja2.Environment,
    *,
    endpoint: str,
    base: str,
    graph_sizes: Mapping[str, int],
    graph_links: Mapping[str, str | None],
    limits: Limits,
    jsonld: str = "",
) -> str:
    """The HTML page of the description, in the site's layout (``base.html`` of ``env``); ``jsonld`` is its
    schema.org markup, as JSON safe inside ``<script>``."""
    forms = [(FORM_NAMES[form], offers) for form, offers in OFFERS.items()]
    return _page_template(env).render(
        title="SPARQL endpoint",
        base=base,
        endpoint=endpoint,
        notes=NOTES,
        forms=forms,
        graphs=[
            (name, size, graph_links.get(name), DESCRIPTIONS.get(name, ("", ""))[1])
            for name, size in graph_sizes.items()
        ],
        limits=limits,
        description_formats=OFFERS["graph"],
        jsonld=jsonld,
    )


@cache
def _page_template(env: jinja2.Environment) -> jinja2.Template:
    return env.from_string(_PAGE)


_PAGE = """{% extends "base.html" %}
{% block head %}
  <link rel="alternate" type="text/turtle" href="{{ endpoint }}?format=turtle">
  <link rel="alternate" type="application/ld+json" href="{{ endpoint }}?format=jsonld">
{% endblock %}
{% block main %}
<article class="service">
  <h1>SPARQL 1.1 endpoint</h1>
  <p class="iri"><code>{{ endpoint }}</code> · this service description as
    {% for f in description_formats -%}
      <a href="{{ endpoint }}?format={{ f.name }}">{{ f.label }}</a>{{ " · " if not loop.last }}
    {%- endfor %}</p>
  <p>Write and run queries in the <a href="{{ base }}/query">query editor</a>, or send them here with any
    SPARQL 1.1 Protocol client.</p>
  <ul>{% for note in notes %}<li>{{ note }}</li>{% endfor %}</ul>
  <h2>Sending a query</h2>
  <ul>
    <li><code>GET {{ endpoint }}?query=…</code></li>
    <li><code>POST</code> with <code>Content-Type: application/x-www-form-urlencoded</code>
      and <code>query=…</code> in the body</li>
    <li><code>POST</code> with <code>Content-Type: application/sparql-query</code> and the query as the body</li>
  </ul>
  <p>Optional parameters: <code>default-graph-uri</code> and <code>named-graph-uri</code> (repeatable; they replace
    the default dataset, and any <code>FROM</code> of the query), <code>format</code> (or <code>output</code>,
    <code>results</code>: a name below or a media type, instead of <code>Accept</code>; repeatable, the first
    that fits the query wins), <code>timeout</code> (seconds, at most the server's limit).</p>
  <pre>curl {{ endpoint }} -H 'Accept: text/csv' --data-urlencode 'query=SELECT * WHERE { ?s ?p ?o } LIMIT 10'</pre>
  <h2>Result formats</h2>
  <table class="statements">
    <thead><tr><th>Query</th><th>Media type (<code>Accept</code>)</th><th><code>format=</code></th></tr></thead>
    <tbody>{% for form, offers in forms %}{% for f in offers %}
      <tr><td>{{ form if loop.first }}</td><td><code>{{ f.media_type }}</code></td>
        <td><code>{{ f.name }}</code></td></tr>
    {% endfor %}{% endfor %}</tbody>
  </table>
  <h2>Limits</h2>
  <ul>
    <li>A query is stopped after {{ limits.query_timeout }} s (answer 504).</li>
    <li>At most {{ limits.max_concurrent_queries }} queries are taken at once{% if limits.query_workers
      and limits.query_workers < limits.max_concurrent_queries %}, {{ limits.query_workers }} of them evaluated
      while the others wait their turn (within their deadline){% endif %}; more are answered 503 with
      <code>Retry-After</code>.</li>
    <li>A query may be {{ limits.max_query_length }} bytes long (answer 413); send a long one by <code>POST</code>.</li>
    <li>A result may have {{ limits.max_result_rows }} rows (or triples) and {{ limits.max_result_bytes }} bytes:
      one that would have more is refused with 507 or, once it has begun, cut short by ending the response
      unfinished, which every client reports as an incomplete read.</li>
    <li><code>SERVICE</code> may call {% if limits.service_allowlist %}only
      {% for s in limits.service_allowlist %}<code>{{ s }}</code>{{ ", " if not loop.last }}{% endfor %}{% else %}no
      other endpoint{% endif %}.</li>
  </ul>
  <h2>Default dataset: {{ graphs|length }} named graphs</h2>
  <table class="statements stats">
    <thead><tr><th>Named graph</th><th>Triples</th></tr></thead>
    <tbody>{% for name, size, href, about in graphs %}
      <tr><td>{% if href %}<a href="{{ href }}">{{ name }}</a>{% else %}{{ name }}{% endif %}
        {% if about %}<br><small>{{ about }}</small>{% endif %}</td>
        <td class="n">{{ size }}</td></tr>
    {% endfor %}</tbody>
  </table>
</article>
{% endblock %}
"""
