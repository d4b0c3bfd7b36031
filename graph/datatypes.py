"""The XML Schema datatypes the graph uses: which derive from which, and which lexical forms are valid.

rdflib validates only some datatypes (not ``xsd:gYear``) and logs a traceback
for each bad one, so ``ilrs check`` validates lexical forms here.

>>> lexical_error("2023-02-30", XSD + "date")
'not a valid xsd:date (YYYY-MM-DD)'
>>> datatype_accepts(XSD + "integer", XSD + "nonNegativeInteger")
True
"""

from __future__ import annotations

import re
from datetime import date

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_LITERAL = "http://www.w3.org/2000/01/rdf-schema#Literal"
RDF_PLAIN_LITERAL = RDF + "PlainLiteral"
OWL = "http://www.w3.org/2002/07/owl#"

_OWL2_XSD = """decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int short byte
    unsignedLong unsignedInt unsignedShort unsignedByte double float string normalizedString token language Name NCName
    NMTOKEN boolean hexBinary base64Binary anyURI dateTime dateTimeStamp"""
#: The OWL 2 datatype map (OWL 2 Structural Specification, section 4): the only datatypes an OWL 2 DL
#: ontology may use without defining them. ``xsd:date``, ``xsd:gYear``, ``xsd:gYearMonth`` and
#: ``rdf:langString`` are not among them.
OWL2_DATATYPE_MAP = frozenset(
    {RDFS_LITERAL, RDF_PLAIN_LITERAL, RDF + "XMLLiteral", OWL + "real", OWL + "rational"}
    | {XSD + name for name in _OWL2_XSD.split()}
)

#: Datatype → the datatype it is derived from (XML Schema part 2, the built-in hierarchy).
_BASE = {
    "integer": "decimal",
    "nonPositiveInteger": "integer",
    "negativeInteger": "nonPositiveInteger",
    "long": "integer",
    "int": "long",
    "short": "int",
    "byte": "short",
    "nonNegativeInteger": "integer",
    "unsignedLong": "nonNegativeInteger",
    "unsignedInt": "unsignedLong",
    "unsignedShort": "unsignedInt",
    "unsignedByte": "unsignedShort",
    "positiveInteger": "nonNegativeInteger",
    "normalizedString": "string",
    "token": "normalizedString",
    "language": "token",
    "Name": "token",
    "NCName": "Name",
    "NMTOKEN": "token",
    "dateTimeStamp": "dateTime",
    "dayTimeDuration": "duration",
    "yearMonthDuration": "duration",
}

_TZ = r"(Z|[+-]\d{2}:\d{2})?"
_YEAR = r"-?\d{4,}"
_INTEGER = r"[+-]?\d+"
#: Datatype → the pattern of its lexical space (only the datatypes whose space a regular expression captures).
_PATTERNS: dict[str, tuple[str, str]] = {
    "decimal": (r"[+-]?(\d+(\.\d*)?|\.\d+)", "a decimal number"),
    "double": (r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF)|-INF|NaN", "a floating-point number"),
    "float": (r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF)|-INF|NaN", "a floating-point number"),
    "boolean": (r"true|false|1|0", "true or false"),
    "date": (_YEAR + r"-\d{2}-\d{2}" + _TZ, "YYYY-MM-DD"),
    "dateTime": (_YEAR + r"-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?" + _TZ, "YYYY-MM-DDThh:mm:ss"),
    "gYear": (_YEAR + _TZ, "YYYY"),
    "gYearMonth": (_YEAR + r"-(0[1-9]|1[0-2])" + _TZ, "YYYY-MM"),
    "duration": (r"-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?", "PnYnMnDTnHnMnS"),
}
#: Integer datatypes and the bounds of their value space (``None``: unbounded).
_INTEGER_BOUNDS: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 255),
}


def is_datatype_iri(iri: str) -> bool:
    """Whether ``iri`` names a datatype (an ``xsd:`` one, ``rdfs:Literal``, ``rdf:langString``, …), not a class."""
    return iri.startswith(XSD) or iri in {RDFS_LITERAL, RDF_PLAIN_LITERAL} | {
        RDF + n for n in ("langString", "HTML", "JSON")
    }


def datatype_accepts(expected: str, actual: str, lexical: str | None = None) -> bool:
    """Whether a literal ``lexical`` of datatype ``actual`` belongs to ``expected``.

    It does when the datatypes are equal, ``actual`` derives from ``expected``, ``expected``
    is ``rdfs:Literal`` (or ``rdf:PlainLiteral`` and ``actual`` a string type or ``rdf:langString``), or
    both are integer types and the value lies in ``expected``'s
    bounds: the store keeps ``"3"^^xsd:positiveInteger`` as ``"3"^^xsd:integer``, and
    ``"3"^^xsd:integer`` denotes a non-negative integer all the same.
    """
    if expected in {RDFS_LITERAL, actual}:
        return True
    if expected == RDF_PLAIN_LITERAL:  # text: a string with or without a language tag
        return actual == RDF + "langString" or datatype_accepts(XSD + "string", actual)
    if not (expected.startswith(XSD) and actual.startswith(XSD)):
        return False
    name, target = actual[len(XSD) :], expected[len(XSD) :]
    if lexical is not None and name in _INTEGER_BOUNDS and target in _INTEGER_BOUNDS:
        return lexical_error(lexical, expected) is None
    while name in _BASE:
        name = _BASE[name]
        if name == target:
            return True
    return False


def lexical_error(lexical: str, datatype: str) -> str | None:
    """Why ``lexical`` is not a valid ``datatype`` literal, or ``None`` (also for datatypes not checked here)."""
    if not datatype.startswith(XSD):
        return None
    name = datatype[len(XSD) :]
    if name in _INTEGER_BOUNDS:
        low, high = _INTEGER_BOUNDS[name]
        if not re.fullmatch(_INTEGER, lexical):
            return f"not a valid xsd:{name} (an integer)"
        value = int(lexical)
        if (low is not None and value < low) or (high is not None and value > high):
            return f"not a valid xsd:{name} (out of range)"
        return None
    if name not in _PATTERNS:
        return None
    pattern, form = _PATTERNS[name]
    if not re.fullmatch(pattern, lexical) or (name in {"date", "dateTime"} and not _real_day(lexical)):
        return f"not a valid xsd:{name} ({form})"
    return None


def _real_day(lexical: str) -> bool:
    """Whether the YYYY-MM-DD at the start of ``lexical`` is a day of the calendar (not 2023-02-30)."""
    match = re.match(r"(-?\d{4,})-(\d{2})-(\d{2})", lexical)
    if match is None:
        return False
    year, month, day = (int(g) for g in match.groups())
    try:
        date(max(year, 1), month, day)  # the proleptic calendar: year 0 and BCE years behave like year 1 here
    except ValueError:
        return False
    return True
