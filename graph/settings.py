"""All configuration in one place.

Every setting can be given as an environment variable prefixed ``ILRS_`` (for
example ``ILRS_QUERY_TIMEOUT=10``); the ``ilrs`` command-line flags override
them. Nothing else in the project reads the environment.
"""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import NoCheckout

#: The one canonical base IRI of the ontology, the instances and the named graphs.
BASE_IRI = "https://w3id.org/ilrs/"

#: Listening on every interface says nothing about the name clients use.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


def package_folder(package: str) -> Path:
    """The folder of the installed package ``package`` (``"ilrs.ontology"``, ``"ilrs.server"``, …).

    The project's files are found through the packages that ship them: in an editable
    install (``pip install -e .``) that is the checkout's own folder (``ontology/``), in a
    wheel install its installed copy. Packages are installed as plain folders, never zipped.
    """
    folder = files(package)
    if not isinstance(folder, Path):
        raise RuntimeError(f"the package {package} is not installed as a folder ({folder!r})")
    return folder


def user_cache_dir() -> Path:
    """The user's cache folder: ``$XDG_CACHE_HOME``, else ``~/.cache`` (the XDG base directory rule)."""
    configured = os.environ.get("XDG_CACHE_HOME")
    return Path(configured) if configured and Path(configured).is_absolute() else Path.home() / ".cache"


def installed_copy(folder: Path) -> bool:
    """Whether ``folder`` is inside the copy of the files installed with the package (a wheel install).

    An editable install maps ``ilrs.graph`` onto the checkout's ``graph/``, beside its
    ``pyproject.toml``: its files are the checkout's, not a copy.
    """
    root = package_folder("ilrs.graph").parent
    return not (root / "pyproject.toml").is_file() and folder.resolve().is_relative_to(root.resolve())


class Settings(BaseSettings):
    """Settings of the graph core and the server."""

    model_config = SettingsConfigDict(env_prefix="ILRS_", extra="ignore")

    # --- the graph -------------------------------------------------------------
    base_iri: str = Field(BASE_IRI, description="Canonical base IRI (read-only: IRIs are persistent).")
    # The files shipped in the package by default; each folder can point elsewhere (ILRS_DATA_DIR=…).
    ontology_dir: Path = Field(default_factory=lambda: package_folder("ilrs.ontology"))
    shapes_dir: Path = Field(default_factory=lambda: package_folder("ilrs.shapes"))
    data_dir: Path = Field(default_factory=lambda: package_folder("ilrs.graph") / "data")
    queries_dir: Path = Field(
        default_factory=lambda: package_folder("ilrs.queries"), description="The query UI's examples (*.rq)."
    )
    store_dir: Path | None = Field(None, description="On-disk store; in memory when unset.")
    store_url: str | None = Field(
        None,
        description="SPARQL 1.1 query endpoint of an external store (Oxigraph server, Virtuoso) to use instead "
        "of the embedded one; loaded from the files at start when it holds none of the dataset's graphs, "
        "kept as it is otherwise (unless reload_store), like store_dir.",
    )
    store_update_url: str | None = Field(None, description="The external store's update endpoint (default: store_url).")
    store_user: str | None = Field(None, description="User name for the external store (environment only).")
    store_password: SecretStr | None = Field(None, description="Its password (environment only, never a flag).")
    store_dialect: Literal["standard", "virtuoso"] = Field(
        "standard", description="'virtuoso' works around Virtuoso 7's departures from the standard."
    )
    store_max_rows: int | None = Field(
        None, gt=1, description="The external store's cap on result rows (Virtuoso's ResultSetMaxRows)."
    )
    cache_dir: Path | None = Field(
        default_factory=lambda: user_cache_dir() / "ilrs",
        description="What loading keeps between runs: which files' bytes parsed without an error, so that the "
        "same bytes are parsed again without validating every IRI (the parser takes about a quarter less time). "
        "None: nothing kept.",
    )
    extra_files: list[Path] = Field(default_factory=list, description="Researchers' own RDF files to load.")
    extra_graph_names: dict[str, str] = Field(
        default_factory=dict,
        description="Graph IRIs chosen for some of extra_files (by the path as given); the others are named "
        "<base>graph/loaded/<file stem>.",
    )

    # --- the editors' workflow (ilrs check / docs / diff / release, serve --watch) ---
    docs_dir: Path = Field(
        default_factory=lambda: package_folder("ilrs.docs") / "ontology",
        description="The ontology's documentation: served at /ontology/, written by `ilrs docs`.",
    )
    release_dir: Path | None = Field(
        None, description="Where `ilrs release` writes (default: release/ of the source checkout)."
    )
    docs_example: str | None = Field(
        None, description="IRI of the agreement drawn in docs/ontology/instances.svg (default: the best-connected)."
    )
    context_file: Path = Field(
        default_factory=lambda: package_folder("ilrs.graph") / "context.jsonld",
        description="The JSON-LD context whose term definitions `ilrs check` compares with the ontology.",
    )
    shape_cases_dir: Path = Field(
        # tests/ of the checkout beside graph/ in an editable install; absent from an installed package.
        default_factory=lambda: package_folder("ilrs.graph").parent / "tests" / "shapes_cases",
        description="The shapes' examples (valid.ttl, negative/*.ttl) that `ilrs check` requires for every class "
        "and shape; the rules that need them are skipped where the folder is absent.",
    )
    watch_debounce_ms: int = Field(400, gt=0, description="Quiet time after a file change before a rebuild.")

    # --- the server ------------------------------------------------------------
    host: str = "127.0.0.1"
    workers: int = Field(
        1, ge=0, description="Server processes sharing the port (`ilrs serve --workers`); 0: one per core."
    )
    port: int = 8000
    public_base_url: str | None = Field(
        None,
        description="The server's public URL (scheme, host, port, optional path prefix), the base of every "
        "absolute URL it writes; default http://host:port (127.0.0.1 for a wildcard host). Never taken from "
        "a request's Host or X-Forwarded-* headers.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host header values accepted besides the public URL's host and the loopback names "
        "(a leading '*.' matches subdomains); any other Host is refused with 400.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks of reverse proxies whose X-Forwarded-For/-Proto are believed; "
        "from anyone else these headers are ignored.",
    )
    request_head_timeout: float = Field(
        10.0, gt=0, description="Seconds a client has to send a whole request line and headers; then closed."
    )
    max_connections_per_client: int = Field(
        64, gt=0, description="Open connections one client address may hold; more are refused at once."
    )
    max_queries_per_client: int = Field(
        4, gt=0, description="SPARQL requests one client address may have in progress at once (429 beyond)."
    )
    client_limits_exempt: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Addresses or networks exempt from the per-client limits (and trusted proxies always).",
    )
    query_timeout: float = Field(30.0, gt=0, description="Seconds a query may run before it is stopped.")
    shutdown_grace: float = Field(
        5.0,
        ge=0,
        description="Seconds the requests in progress have to finish once the server is told to stop (SIGTERM, "
        "Ctrl-C); then they are cut (503 for a GET not yet answered), and the process exits with status 0 at most "
        "3 s later, whatever it was doing. A stop while the data loads exits at once.",
    )
    max_query_length: int = Field(
        2 * 1024 * 1024,
        gt=0,
        description="Largest accepted query text, in bytes (a VALUES list of tens of thousands of IRIs fits).",
    )
    max_body_bytes: int = Field(
        8 * 1024 * 1024,
        gt=0,
        description="Largest accepted request body, in bytes: room for the longest query, percent-encoded in a form.",
    )
    max_request_head: int = Field(
        256 * 1024,
        gt=0,
        description="Largest request line and headers, in bytes (larger: 400). It bounds a query sent by GET, "
        "percent-encoded in the URL; longer queries are sent by POST.",
    )
    max_concurrent_queries: int = Field(
        8,
        gt=0,
        description="Queries admitted at the same time: evaluated, or waiting for a query worker (more: 503).",
    )
    query_workers: int | None = Field(
        None,
        gt=0,
        description="Queries evaluated at the same time by worker processes (query_executor 'process'); the other "
        "admitted queries wait for a worker, within their deadline. Each busy worker copies the pages of the data it "
        "reads, so more workers than cores cost memory and gain nothing. Unset: one per CPU core this process may use, "
        "at most max_concurrent_queries.",
    )
    max_result_rows: int = Field(
        1_000_000,
        gt=0,
        description="Most rows (SELECT solutions, CONSTRUCT/DESCRIBE triples) one result may have: a result "
        "that would have more is cut short, unmistakably (507 before it starts, else an unfinished response).",
    )
    max_result_bytes: int = Field(
        100 * 1024 * 1024, gt=0, description="Most bytes one result may have, cut short like max_result_rows."
    )
    max_query_memory: int = Field(
        1024,
        gt=0,
        description="MiB of memory one query may take beyond the dataset's copy (worker processes only; "
        "a query needing more is stopped, 507).",
    )
    result_cache_bytes: int = Field(
        256 * 1024 * 1024,
        ge=0,
        description="Bytes of finished SPARQL results kept to answer the same query again while the data is "
        "unchanged (0: no cache), and as many again of the answers to GET kept as they were sent. One result "
        "larger than an eighth of it is not kept: the default keeps results of up to 32 MiB, as large as the "
        "answers of the shipped queries over a million triples. A result that took 50 ms or more is kept the first "
        "time (in an eighth of the cache until asked for again), a quicker one from the second time its query is "
        "asked. Memory is taken only as results are kept.",
    )
    page_cache_bytes: int = Field(
        32 * 1024 * 1024,
        ge=0,
        description="Bytes of rendered pages (linked data, collections, JSON-LD, HTML) kept to answer the same "
        "request again while the data is unchanged (0: no cache), and as much again of the pages as built, from which "
        "the answers to other encodings and origins are made. One page larger than an eighth of it is not kept.",
    )
    worker_private_memory: int | None = Field(
        None,
        ge=0,
        description="MiB of pages the query workers together may hold of their own: a worker shares the dataset "
        "with the others copy-on-write, but reading the store writes to the pages it reads, which the kernel then "
        "copies for it alone. Past it, the idle workers holding most are replaced by fresh forks that share them "
        "again. Unset: 60% of the memory of the data's copy (one worker reading most of the store copies about "
        "half of it), and at least 64 MiB per query worker (query_workers); 0: never replaced for this.",
    )
    query_executor: Literal["process", "thread"] = Field(
        "process",
        description="Where queries run: worker processes, killed at the deadline (CPU reclaimed at once), "
        "or threads (no extra processes, but an overrunning query keeps its CPU until it ends).",
    )
    service_allowlist: list[str] = Field(
        default_factory=list, description="IRIs that SPARQL SERVICE may call; SERVICE is refused otherwise."
    )
    tokens_file: Path | None = Field(
        None, description="Tokens allowed to write (`ilrs token add`); without it every write is refused (403)."
    )
    load_allowlist: list[str] = Field(
        default_factory=list, description="URLs that SPARQL LOAD may fetch; LOAD is refused otherwise."
    )
    max_write_bytes: int = Field(10_000_000, gt=0, description="Largest accepted write (update or RDF body), bytes.")
    max_edit_message: int = Field(
        2000,
        gt=0,
        description="Longest edit message (X-Edit-Message, message=, --message), characters; a longer one is "
        "refused (413), nothing written.",
    )
    reload_store: bool = Field(
        False,
        description="With store_dir or store_url: empty the store (the dataset's graphs) and reload the files even "
        "if it holds data.",
    )
    page_size: int = Field(50, gt=0, le=1000, description="Default page size of JSON-LD collections.")
    max_page_size: int = Field(1000, gt=0, description="Largest ?limit= a JSON-LD collection accepts.")
    member_statements: int = Field(
        64,
        gt=0,
        description="Statements of one member a JSON-LD collection page embeds at most: a member with more is "
        "abridged (its statements shared out over its properties, each property keeping at least one), and the "
        "page names it and links to its full description.",
    )
    resource_statements: int = Field(
        1000,
        gt=0,
        description="Statements of a resource its HTML page and JSON-LD document show at most (each citing at most "
        "statement_graphs graphs); a resource with more is abridged like a collection's member, and the page says "
        "so and links to its Turtle and N-Triples, which hold every statement.",
    )
    statement_graphs: int = Field(
        8,
        gt=0,
        description="Named graphs (sources) a JSON-LD collection page, or a resource's page, cites for one statement "
        "at most; the page says which statements are stated in more.",
    )
    example_rows: int = Field(
        1000,
        gt=0,
        description="Rows of each example query's answer the front page reads at most: it shows the first 12 and "
        "counts up to this many; an answer with more is said to have more, with a link to run the whole query in "
        "the editor (so the page never evaluates a whole answer of a large graph).",
    )
    front_page_sources: int = Field(
        50,
        gt=0,
        description="Sources the front page lists at most (the first by IRI, with their fact counts); with more it "
        "says how many there are and links to the list of every source.",
    )
    disagreements_per_page: int = Field(
        50,
        gt=0,
        description="Disagreements one page of /disagreements (HTML or JSON-LD) shows; ?page= turns the pages.",
    )
    shown_claims: int = Field(
        20,
        gt=0,
        description="Claims shown of one disagreement, or of one country in the map's partner list, at most (taking "
        "turns among the competing values); one with more says how many it leaves out and links to them all.",
    )
    map_counts: int = Field(
        200,
        gt=0,
        description="Reported counts the map's page lists at most (the latest); with more it says how many there "
        "are and links to the query that lists them all.",
    )
    timeline_entries: int = Field(
        500,
        gt=0,
        description="Entries one page of /timeline shows at most, in date order; ?page= turns the pages.",
    )
    data_license: str = Field(
        "https://creativecommons.org/licenses/by/4.0/", description="License IRI of the data (VoID/DCAT)."
    )
    metrics: bool = Field(False, description="Serve Prometheus metrics at /metrics (to metrics_clients only).")
    metrics_clients: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Addresses or networks that may read /metrics; it is 404 for everyone else.",
    )
    compression_level: int = Field(
        6, ge=0, le=9, description="gzip level of pages, documents, dumps and static files (0: none)."
    )
    sparql_compression_level: int = Field(
        1, ge=0, le=9, description="gzip level of SPARQL results (0: none); see bench/compression.py."
    )
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    log_level: str = "info"

    @field_validator("store_url", "store_update_url")
    @classmethod
    def _no_credentials(cls, url: str | None) -> str | None:
        problem = store_url_problem(url) if url is not None else None
        if problem:
            raise ValueError(problem)
        return url

    @field_validator("trusted_proxies", "client_limits_exempt", "metrics_clients")
    @classmethod
    def _networks(cls, entries: list[str]) -> list[str]:
        """Each entry an IP address or network (a typo must not silently trust or exempt nobody)."""
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as err:
                raise ValueError(f"{entry!r} is not an IP address or network: {err}") from None
        return entries

    @property
    def lasting_store(self) -> str | Path | None:
        """Where the dataset's store outlives the process: ``store_url`` or ``store_dir``; ``None``: in memory."""
        return self.store_url or self.store_dir

    def public_url(self) -> str:
        """The server's public URL without a trailing slash: ``public_base_url``, else ``http://host:port``."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = "127.0.0.1" if self.host in WILDCARD_HOSTS else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def project_dir(self, command: str) -> Path:
        """The root of the project that the editors' ``command`` works on: the folder holding ``ontology_dir``.

        That is the source checkout (``ilrs release`` writes into it, ``ilrs diff git:REV`` reads
        its git history) or the user's own folders (``ILRS_ONTOLOGY_DIR``).
        Raises :class:`NoCheckout` when it is the copy installed with the package.
        """
        if installed_copy(self.ontology_dir):
            raise NoCheckout(
                f"{command} works on a source checkout, and {self.ontology_dir} is the installed package's copy: "
                "run it in a checkout (pip install -e .) or set ILRS_ONTOLOGY_DIR, ILRS_SHAPES_DIR and ILRS_DATA_DIR"
            )
        return self.ontology_dir.parent

    def release_folder(self) -> Path:
        """``release_dir``, else ``release/`` of the project (:meth:`project_dir`)."""
        return self.release_dir or self.project_dir("ilrs release") / "release"


def store_url_problem(url: str) -> str | None:
    """Why ``url`` cannot name an external store, or ``None``: it must be http(s) and carry no credentials
    (they would show in process lists and logs)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http:// or https:// URL"
    if parts.username or parts.password:
        return "the store URL must not carry credentials: set ILRS_STORE_USER and ILRS_STORE_PASSWORD instead"
    return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
