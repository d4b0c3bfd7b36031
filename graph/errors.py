"""Every error the project reports, as one tree of exceptions.

The command line and the server catch :class:`IlrsError` once: the command line prints
its message on one line, the server maps its class to an HTTP status (only
:mod:`ilrs.server.problems` knows HTTP). Messages are written for the person who caused
the error: they name the problem and, where known, its position (``file:line:col`` for a
data file, ``line L, column C`` for a query). Anything else that escapes is a bug.

* :class:`IlrsError` — the base class.

  * :class:`InputError` — the input (a query, a data file, a parameter, a request) is wrong;
    correcting it and trying again will work. ``line``/``column`` give its position where known.

    * :class:`QuerySyntaxError` — a SPARQL query does not parse.
    * :class:`ParseError` — an RDF file or document does not parse; ``path`` names the file.
    * :class:`ParameterError` — a parameter or option has a value that is malformed or names nothing.

      * :class:`UnknownFormat` — a format name that names no format.

    * :class:`QueryRefused` — a well-formed query that may not run here.

      * :class:`UnsupportedQuery` — a SPARQL Update sent as a query.
      * :class:`ForbiddenService` — a ``SERVICE`` call to an endpoint not on the allow-list.
      * :class:`QueryTooComplex` — brackets nested deeper than the query engine can take.

    * :class:`LimitExceeded` — the input is larger than accepted (a query, a request body).
    * :class:`UnsupportedMediaType` — input in a media type, charset or encoding that cannot be read.
    * :class:`UnsupportedOperation` — an operation (a request method) that is not offered; ``allowed``
      lists those that are.
    * :class:`UnsupportedWrite` — a write the dataset's store cannot carry out as asked.
    * :class:`InputTimeout` — the input did not arrive within its deadline.
    * :class:`NoCheckout` — an editors' command that works on a source checkout was run on the
      copy of the files installed with the package.

  * :class:`NotFound` — nothing by that name: a resource, a named graph, a file, a git revision, a representation.
  * :class:`NotAcceptable` — no available format is acceptable; ``available`` lists the media types there are.
  * :class:`ResourceLimit` — the work was stopped or refused because it needed more than one request may use.

    * :class:`QueryTimeout` — the query did not finish before its deadline.
    * :class:`MemoryLimitExceeded` — the query needed more memory than one query may use.
    * :class:`Busy` — every query slot is taken; retry after ``retry_after`` seconds.
    * :class:`ResultTooLarge` — the result has more rows or bytes than one result may have.

  * :class:`ValidationError` — the data does not conform to the shapes, or fails the project's checks.
  * :class:`StoreError` — the store itself failed: evaluating a valid query, or the process evaluating it.
  * :class:`ToolError` — an external program the project runs (``git``, Graphviz's ``dot``) is missing or failed.

Private exceptions that only signal control flow — a query being stopped, a client that went
away — are not errors and stay out of this tree.

Every error carries keyword fields beside its message (:meth:`IlrsError.fields`), so it can
cross a process boundary as data and be rebuilt with :func:`rebuild_error`:

>>> err = QuerySyntaxError("invalid query: error at 1:8: expected a variable", line=1, column=8)
>>> err.fields()
{'line': 1, 'column': 8}
>>> again = rebuild_error(type(err).__name__, str(err), err.fields())
>>> type(again).__name__, again.line, isinstance(again, InputError)
('QuerySyntaxError', 1, True)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class IlrsError(Exception):
    """The base of every error the project reports; ``str(err)`` is the message for the user."""

    #: A short, constant summary of the kind of problem (the ``title`` of a problem-details body).
    title = "Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def fields(self) -> dict[str, Any]:
        """The error's structured fields: the keyword arguments that rebuild it with its message."""
        return {}


class InputError(IlrsError):
    """The input — a query, a data file, a parameter, a request — is wrong; correcting it will work.

    ``line`` and ``column`` (from 1) locate the problem in the input where that is known.
    """

    title = "Invalid input"

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column

    def fields(self) -> dict[str, Any]:
        return {k: v for k, v in (("line", self.line), ("column", self.column)) if v is not None}


class QuerySyntaxError(InputError):
    """A SPARQL query does not parse; the message quotes the parser and its position."""

    title = "Invalid SPARQL query"

    @classmethod
    def from_engine(cls, message: str, *, prefix: str = "invalid query: ", line_offset: int = 0) -> QuerySyntaxError:
        """The error for a message of the query engine (``error at L:C: …``), its position read off it.

        ``line_offset`` lines are taken off the position: those of a prologue the caller put before the
        user's text.

        >>> err = QuerySyntaxError.from_engine("error at 12:3: expected '}'", line_offset=10)
        >>> str(err), err.line, err.column
        ("invalid query: error at 2:3: expected '}'", 2, 3)
        """
        message = re.sub(r"\s*\n\s*", " ", message)  # the engine lists expected tokens over several lines
        found = re.search(r"error at (\d+):(\d+)", message)
        if found is None:
            return cls(prefix + message)
        line, column = int(found.group(1)) - line_offset, int(found.group(2))
        shifted = message[: found.start()] + f"error at {line}:{column}" + message[found.end() :]
        return cls(prefix + shifted, line=line, column=column)


class ParseError(InputError):
    """An RDF file or document does not parse; the message starts with ``path:line:column`` where known."""

    title = "Invalid RDF data"

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message, line=line, column=column)
        self.path = path

    def fields(self) -> dict[str, Any]:
        return {**({"path": self.path} if self.path is not None else {}), **super().fields()}


class ParameterError(InputError):
    """A parameter or option has a value that is malformed, repeated, unknown or that names nothing in the data."""

    title = "Invalid parameter"


class UnknownFormat(ParameterError):
    """A format name (``format=``, ``--format``, a media type) that names no format the project writes or reads."""

    title = "Unknown format"


class QueryRefused(InputError):
    """A query that may be well-formed but may not run here; the message says why and what to do."""

    title = "Query refused"


class UnsupportedQuery(QueryRefused):
    """A SPARQL Update (``INSERT``, ``DELETE``, ``LOAD``…) sent as a query (``query=``), which is read-only."""

    title = "Updates are not accepted"


class ForbiddenService(QueryRefused):
    """A ``SERVICE`` call to an endpoint not on the allow-list (``Settings.service_allowlist``), or to a variable."""

    title = "Service not allowed"


class QueryTooComplex(QueryRefused):
    """A query nesting brackets deeper than the query engine can take; the position is the first too deep."""

    title = "Query nested too deeply"


class ForbiddenLoad(QueryRefused):
    """A ``LOAD`` of a URL not on the allow-list (``Settings.load_allowlist``)."""

    title = "Load not allowed"


class LimitExceeded(InputError):
    """The input is larger than accepted (a query's length, a request body's size); the message gives the limit."""

    title = "Input too large"


class UnsupportedMediaType(InputError):
    """Input in a media type, charset or content encoding that cannot be read; the message names what can be."""

    title = "Unsupported media type"


class UnsupportedOperation(InputError):
    """An operation (a request method) this interface does not offer; ``allowed`` lists those it does."""

    title = "Operation not supported"

    def __init__(self, message: str, *, allowed: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.allowed = list(allowed)

    def fields(self) -> dict[str, Any]:
        return {"allowed": self.allowed}


class UnsupportedWrite(InputError):
    """A write the dataset's store cannot carry out as asked (an external store cannot name a stored blank
    node); the message says what to do instead. Nothing was written."""

    title = "Write not supported by the store"


class InputTimeout(InputError):
    """The input (a request body) did not arrive within its deadline."""

    title = "Input did not arrive in time"


class NoCheckout(InputError):
    """An editors' command that writes into the project or reads its git history (``ilrs docs``,
    ``ilrs release``, ``ilrs diff git:REV``) was run on the files installed with the package; it works
    in a source checkout (an editable install) or on the folders the settings name."""

    title = "No source checkout"


class NotFound(IlrsError):
    """Nothing by that name: a resource, a named graph, a file, a git revision, or a representation."""

    title = "Not found"


class NotAcceptable(IlrsError):
    """No available format is acceptable to the client; ``available`` lists the media types there are."""

    title = "Not acceptable"

    def __init__(self, message: str, *, available: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.available = list(available)

    def fields(self) -> dict[str, Any]:
        return {"available": self.available}


class ResourceLimit(IlrsError):
    """The work was stopped, or refused, because it needed more than one request may use."""

    title = "Resource limit reached"


class QueryTimeout(ResourceLimit):
    """The query did not finish before its deadline (``seconds``), and was stopped."""

    title = "Query timed out"

    def __init__(self, message: str | None = None, *, seconds: float) -> None:
        super().__init__(message or f"the query was stopped: it did not finish within its deadline of {seconds:g} s")
        self.seconds = seconds

    def fields(self) -> dict[str, Any]:
        return {"seconds": self.seconds}


class MemoryLimitExceeded(ResourceLimit):
    """The query needed more memory than one query may use (``limit_mib``), and was stopped."""

    title = "Query used too much memory"

    def __init__(self, message: str | None = None, *, limit_mib: int) -> None:
        super().__init__(
            message
            or f"the query was stopped: it needed more than the {limit_mib} MiB of memory a query may use here; "
            "simplify or narrow it"
        )
        self.limit_mib = limit_mib

    def fields(self) -> dict[str, Any]:
        return {"limit_mib": self.limit_mib}


class Busy(ResourceLimit):
    """Every query slot (``slots`` of them) is taken, or a query waited its whole deadline for its turn; the client
    should retry after ``retry_after`` seconds."""

    title = "Server busy"

    def __init__(self, message: str | None = None, *, slots: int, retry_after: int) -> None:
        super().__init__(
            message
            or f"the server already has {slots} queries in progress (evaluated or waiting), its limit; "
            f"retry in {retry_after} s"
        )
        self.slots = slots
        self.retry_after = retry_after

    def fields(self) -> dict[str, Any]:
        return {"slots": self.slots, "retry_after": self.retry_after}


class ResultTooLarge(ResourceLimit):
    """The query's result has more rows or bytes than one result may have; it is cut short there."""

    title = "Result too large"


class ValidationError(IlrsError):
    """The data does not conform to the SHACL shapes, or fails the project's checks; the message holds the report."""

    title = "Validation failed"


class ShapeViolation(ValidationError):
    """A write that would leave the data not conforming to the shapes; nothing was written.

    ``report`` is the validation report (:meth:`ilrs.graph.validate.Report.to_dict`).
    """

    title = "The write does not conform to the shapes"

    def __init__(self, message: str, *, report: dict[str, Any], turtle: str = "") -> None:
        super().__init__(message)
        self.report = report
        #: The SHACL validation report graph, as Turtle.
        self.turtle = turtle

    def fields(self) -> dict[str, Any]:
        return {"report": self.report, "turtle": self.turtle}


class Unauthenticated(IlrsError):
    """A write without credentials (``Authorization: Bearer …``)."""

    title = "Authentication required"


class Forbidden(IlrsError):
    """A write that may not happen: writes are off, the token is wrong, or the graph is not writable."""

    title = "Forbidden"


class StoreError(IlrsError):
    """The store itself failed: evaluating a valid query (a ``SERVICE`` call that failed, the process
    evaluating it that ended), or it holds a term that cannot be used."""

    title = "Store error"


class ToolError(IlrsError):
    """An external program the project runs (``git``, Graphviz's ``dot``) is missing or failed."""

    title = "External tool failed"


def located(path: str | Path, line: int | None = None, column: int | None = None) -> str:
    """``path:line:column``, or as much of it as is known (the prefix of a :class:`ParseError`'s message).

    >>> located("ontology/ilrs.ttl", 3, 14), located("shapes/")
    ('ontology/ilrs.ttl:3:14', 'shapes/')
    """
    return ":".join(str(part) for part in (path, line, column if line is not None else None) if part is not None)


def error_classes() -> dict[str, type[IlrsError]]:
    """Every error class by name: those above, and any subclass defined elsewhere."""
    found: dict[str, type[IlrsError]] = {}
    pending: list[type[IlrsError]] = [IlrsError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending += cls.__subclasses__()
    return found


def rebuild_error(name: str, message: str, fields: dict[str, Any]) -> IlrsError:
    """The error named ``name`` (a class of this tree) with ``message`` and ``fields``, as sent across a process.

    An unknown name or field gives a plain :class:`IlrsError` with the message, never a crash.
    """
    cls = error_classes().get(name)
    if cls is None:
        return IlrsError(message)
    try:
        return cls(message, **fields)
    except TypeError:  # fields this version does not know
        return IlrsError(message)
