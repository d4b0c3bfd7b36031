"""The SHACL shapes: a conforming example, and for every shape deliberately broken examples.

``tests/shapes_cases/valid.ttl`` conforms and has an instance of every class. Each
:class:`Case` below adds a few resources of its own to it, broken in one way, and names
the result the shapes must report: focus node, result path, message and the node shape
the result comes from. All cases are validated together in ONE pyshacl run (their
resources are disjoint, which a test checks), so the suite stays fast.

pyshacl runs as the project's validator does (``graph/validate.py``): the data graph is
the union of the ontology, the vocabularies and the data, the ontology is also passed as
``ont_graph``, with ``inference="none"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, SH
from rdflib.term import Node

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "ilrs.ttl"
VOCABULARIES = ROOT / "ontology" / "vocabularies.ttl"
SHAPES_DIR = ROOT / "shapes"
VALID = Path(__file__).resolve().parent / "shapes_cases" / "valid.ttl"

BASE = "https://w3id.org/ilrs/"
ILRS = BASE + "ontology#"
SHAPES = BASE + "shapes#"
KINDS = [
    "agency", "agreement", "announcement", "application", "count", "counted", "country", "event", "facility",
    "mission", "organization", "payload", "person", "phase", "place", "position", "program", "source",
    "status", "target", "activity", "goal",
]  # fmt: skip
PREFIXES = {
    "ilrs": ILRS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "sourcegraph": BASE + "graph/source/",
    **{kind: f"{BASE}id/{kind}/" for kind in KINDS},
}
PROLOGUE = "".join(f"@prefix {prefix}: <{iri}> .\n" for prefix, iri in PREFIXES.items())
PYSHACL = {"inference": "none", "advanced": True, "meta_shacl": False, "allow_warnings": False}


def expand(term: str) -> str:
    """``agency:cnsa`` → its IRI; ``<…>`` → the IRI inside."""
    if term.startswith("<"):
        return term[1:-1]
    prefix, local = term.split(":", 1)
    return PREFIXES[prefix] + local


@dataclass(frozen=True)
class Case:
    """A broken example and the result the shapes must report for it."""

    shape: str  #: local name of the node shape, e.g. ``AgreementShape``
    name: str
    turtle: str
    focus: str  #: CURIE or ``<IRI>``; ``_:`` for "a blank node"
    path: str | None  #: CURIE, ``^CURIE`` for an inverse path, None for a node-level constraint
    message: str

    @property
    def id(self) -> str:
        return f"{self.shape}-{self.name}"


L = 'rdfs:label "case"@en'  # a label, for resources whose label is not the point
HELD = 'ilrs:positionTitle "director" ; ilrs:positionIn organization:dsel'


def holder(position: str) -> str:
    """A person holding ``position`` (so that only the intended defect remains)."""
    key = position.split(":", 1)[1]
    return f"person:holder-of-{key} a ilrs:Person ; {L} ; ilrs:holdsPosition {position} .\n"


def claim(subject: str, cls: str, parts: list[str], drop: tuple[str, ...] = (), extra: tuple[str, ...] = ()) -> str:
    """A reported count or stated target made of ``parts``, minus ``drop``, plus ``extra``."""
    kept = [p for p in parts if p not in drop] + list(extra)
    return f"{subject} a {cls} ; " + " ; ".join(kept) + " ."


TARGET = [L, "ilrs:countValue 5", "ilrs:counts counted:countries", "ilrs:concerns program:ilrs",
          "ilrs:statedBy person:wu-weiren"]  # fmt: skip
COUNT = TARGET[:4]


def concept(iri: str, scheme: str, **overrides: str | None) -> str:
    """A partner status or counted kind, with parts replaced (or dropped when None)."""
    cls = "ilrs:PartnerStatus" if scheme == "status" else "ilrs:CountedKind"
    parts = {
        "type": f"a skos:Concept , {cls}",
        "label": L,
        "prefLabel": 'skos:prefLabel "case"@en',
        "definition": 'skos:definition "A case."@en',
        "inScheme": f"skos:inScheme <{BASE}id/{scheme}>",
        "notation": 'skos:notation "case"',
    }
    parts.update(overrides)
    return f"{iri} " + " ; ".join(p for p in parts.values() if p is not None) + " ."


def source_document(iri: str, **overrides: str | None) -> str:
    parts = {
        "type": "a ilrs:SourceDocument",
        "title": 'dcterms:title "A case"@en',
        "fileName": 'ilrs:fileName "999_case.txt"',
    }
    parts.update(overrides)
    return f"{iri} " + " ; ".join(p for p in parts.values() if p is not None) + " ."


M_ORG_IRI = (
    "An organization must be named by an IRI https://w3id.org/ilrs/id/organization/{key}, or "
    "https://w3id.org/ilrs/id/agency/{key} for a space agency, where {key} is a lower-case slug."
)
M_DATE = "must be an xsd:date, xsd:gYearMonth or xsd:gYear between 1950 and 2100."
M_EVENT_DATE = (
    "An event's dcterms:date must be an xsd:date, xsd:gYearMonth or xsd:gYear between 1950 and 2100, "
    "or an xsd:gMonthDay for a yearly day."
)


def iri_message(article_and_class: str, kind: str) -> str:
    return (
        f"{article_and_class} must be named by an IRI https://w3id.org/ilrs/id/{kind}/{{key}}, "
        "where {key} is a lower-case slug."
    )


def label_message(article_and_class: str) -> str:
    return f"{article_and_class} must have at least one rdfs:label, each a non-blank string."


CASES: list[Case] = [
    # --- organizations ----------------------------------------------------------------
    Case("OrganizationShape", "iri-not-a-slug",
         f"<{BASE}id/organization/Bad_Key> a ilrs:Organization ; {L} .",
         f"<{BASE}id/organization/Bad_Key>", None, M_ORG_IRI),
    Case("OrganizationShape", "iri-wrong-kind",
         f"person:case-organization a ilrs:Organization ; {L} .",
         "person:case-organization", None, M_ORG_IRI),
    Case("OrganizationShape", "label-missing",
         "organization:case-unlabelled a ilrs:Organization .",
         "organization:case-unlabelled", "rdfs:label", label_message("An organization")),
    Case("OrganizationShape", "label-blank",
         'organization:case-blank-label a ilrs:Organization ; rdfs:label " "@en .',
         "organization:case-blank-label", "rdfs:label", label_message("An organization")),
    Case("OrganizationShape", "label-not-text",
         "organization:case-numeric-label a ilrs:Organization ; rdfs:label 42 .",
         "organization:case-numeric-label", "rdfs:label", label_message("An organization")),
    Case("OrganizationShape", "based-in-a-place",
         f"organization:case-based-in-place a ilrs:Organization ; {L} ; ilrs:basedIn place:hefei .",
         "organization:case-based-in-place", "ilrs:basedIn",
         "An organization's ilrs:basedIn must be an ilrs:Country."),
    Case("OrganizationShape", "member-of-a-country",
         f"organization:case-member-of-country a ilrs:Organization ; {L} ; ilrs:memberOf country:CN .",
         "organization:case-member-of-country", "ilrs:memberOf",
         "An organization's ilrs:memberOf must be an ilrs:Organization."),
    Case("OrganizationShape", "status-not-a-partner-status",
         f"organization:case-status a ilrs:Organization ; {L} ; ilrs:partnerStatus counted:countries .",
         "organization:case-status", "ilrs:partnerStatus",
         "An organization's ilrs:partnerStatus must be an ilrs:PartnerStatus concept."),
    Case("OrganizationShape", "status-reason-empty",
         f'organization:case-reason a ilrs:Organization ; {L} ; ilrs:statusReason "" .',
         "organization:case-reason", "ilrs:statusReason",
         "An organization's ilrs:statusReason must be a non-blank string."),
    Case("SpaceAgencyShape", "iri-not-agency",
         f"organization:case-agency a ilrs:SpaceAgency ; {L} .",
         "organization:case-agency", None, iri_message("A space agency", "agency")),
    Case("SpaceAgencyShape", "agency-of-a-place",
         f"agency:case-agency-of-place a ilrs:SpaceAgency ; {L} ; ilrs:agencyOf place:hefei .",
         "agency:case-agency-of-place", "ilrs:agencyOf", "A space agency's ilrs:agencyOf must be an ilrs:Country."),
    Case("SpaceAgencyShape", "also-a-company",
         f"agency:case-agency-company a ilrs:SpaceAgency , ilrs:Company ; {L} .",
         "agency:case-agency-company", "rdf:type",
         "A space agency cannot also be a research institution, laboratory, company or foundation."),
    Case("ResearchInstitutionShape", "iri-agency",
         f"agency:case-institution a ilrs:ResearchInstitution ; {L} .",
         "agency:case-institution", None, iri_message("A research institution", "organization")),
    Case("ResearchInstitutionShape", "also-a-foundation",
         f"organization:case-institution-foundation a ilrs:ResearchInstitution , ilrs:Foundation ; {L} .",
         "organization:case-institution-foundation", "rdf:type",
         "A research institution cannot also be a space agency, company or foundation."),
    Case("LaboratoryShape", "iri-agency",
         f"agency:case-laboratory a ilrs:Laboratory ; {L} .",
         "agency:case-laboratory", None, iri_message("A laboratory", "organization")),
    Case("InternationalOrganizationShape", "also-a-company",
         f"organization:case-io-company a ilrs:InternationalOrganization , ilrs:Company ; {L} .",
         "organization:case-io-company", "rdf:type",
         "An international organization cannot also be a company or foundation."),
    Case("FoundationShape", "iri-agency",
         f"agency:case-foundation a ilrs:Foundation ; {L} .",
         "agency:case-foundation", None, iri_message("A foundation", "organization")),
    Case("FoundationShape", "also-an-international-organization",
         f"organization:case-foundation-io a ilrs:Foundation , ilrs:InternationalOrganization ; {L} .",
         "organization:case-foundation-io", "rdf:type",
         "A foundation cannot also be a space agency, research institution, laboratory, company or "
         "international organization."),
    Case("CompanyShape", "iri-agency",
         f"agency:case-company a ilrs:Company ; {L} .",
         "agency:case-company", None, iri_message("A company", "organization")),
    Case("CompanyShape", "also-a-laboratory",
         f"organization:case-company-laboratory a ilrs:Company , ilrs:Laboratory ; {L} .",
         "organization:case-company-laboratory", "rdf:type",
         "A company cannot also be a space agency, research institution, laboratory, foundation or "
         "international organization."),
    # --- countries ------------------------------------------------------------------------
    Case("CountryShape", "iri-lower-case",
         f'<{BASE}id/country/xa> a ilrs:Country ; {L} ; ilrs:isoAlpha2 "XA" .',
         f"<{BASE}id/country/xa>", None,
         "A country must be named by an IRI https://w3id.org/ilrs/id/country/{code}, where {code} is its "
         "ISO 3166-1 alpha-2 code."),
    Case("CountryShape", "label-missing",
         'country:XB a ilrs:Country ; ilrs:isoAlpha2 "XB" .',
         "country:XB", "rdfs:label", label_message("A country")),
    *[
        Case("CountryShape", name, f"country:{code} a ilrs:Country ; {L} {triples} .", f"country:{code}",
             "ilrs:isoAlpha2",
             "A country must have exactly one ilrs:isoAlpha2, an xsd:string of two upper-case letters "
             "(ISO 3166-1 alpha-2).")
        for name, code, triples in [
            ("alpha2-missing", "XC", ""),
            ("alpha2-lower-case", "XD", '; ilrs:isoAlpha2 "xd"'),
            ("alpha2-two", "XE", '; ilrs:isoAlpha2 "XE" , "XF"'),
            ("alpha2-language-tagged", "XG", '; ilrs:isoAlpha2 "XG"@en'),
        ]
    ],
    Case("CountryShape", "alpha3-two-letters",
         f'country:XH a ilrs:Country ; {L} ; ilrs:isoAlpha2 "XH" ; ilrs:isoAlpha3 "XH" .',
         "country:XH", "ilrs:isoAlpha3",
         "A country may have one ilrs:isoAlpha3, an xsd:string of three upper-case letters (ISO 3166-1 alpha-3)."),
    *[
        Case("CountryShape", name, f'country:{code} a ilrs:Country ; {L} ; ilrs:isoAlpha2 "{code}" ; {triples} .',
             f"country:{code}", "ilrs:isoNumeric",
             "A country may have one ilrs:isoNumeric, an xsd:string of three digits (ISO 3166-1 numeric).")
        for name, code, triples in [
            ("numeric-two-digits", "XI", 'ilrs:isoNumeric "99"'),
            ("numeric-an-integer", "XJ", "ilrs:isoNumeric 900"),
        ]
    ],
    Case("CountryShape", "member-of-a-country",
         f'country:XK a ilrs:Country ; {L} ; ilrs:isoAlpha2 "XK" ; ilrs:memberOf country:CN .',
         "country:XK", "ilrs:memberOf", "A country's ilrs:memberOf must be an ilrs:Organization."),
    Case("CountryShape", "status-is-the-scheme",
         f'country:XL a ilrs:Country ; {L} ; ilrs:isoAlpha2 "XL" ; ilrs:partnerStatus <{BASE}id/status> .',
         "country:XL", "ilrs:partnerStatus", "A country's ilrs:partnerStatus must be an ilrs:PartnerStatus concept."),
    Case("CountryShape", "status-reason-a-number",
         f'country:XM a ilrs:Country ; {L} ; ilrs:isoAlpha2 "XM" ; ilrs:statusReason 5 .',
         "country:XM", "ilrs:statusReason", "A country's ilrs:statusReason must be a non-blank string."),
    # --- people -------------------------------------------------------------------------------
    Case("PersonShape", "iri-not-a-slug",
         f"<{BASE}id/person/Wu_Weiren> a ilrs:Person ; {L} .",
         f"<{BASE}id/person/Wu_Weiren>", None, iri_message("A person", "person")),
    Case("PersonShape", "label-missing",
         "person:case-unlabelled a ilrs:Person .",
         "person:case-unlabelled", "rdfs:label", label_message("A person")),
    Case("PersonShape", "holds-a-person",
         f"person:case-holds-person a ilrs:Person ; {L} ; ilrs:holdsPosition person:wu-weiren .",
         "person:case-holds-person", "ilrs:holdsPosition", "A person's ilrs:holdsPosition must be an ilrs:Position."),
    Case("PositionShape", "iri-wrong-kind",
         f"organization:case-position a ilrs:Position ; {L} ; {HELD} .\n" + holder("organization:case-position"),
         "organization:case-position", None, iri_message("A position", "position")),
    Case("PositionShape", "label-missing",
         f"position:case-unlabelled a ilrs:Position ; {HELD} .\n" + holder("position:case-unlabelled"),
         "position:case-unlabelled", "rdfs:label", label_message("A position")),
    Case("PositionShape", "title-missing",
         f"position:case-untitled a ilrs:Position ; {L} ; ilrs:positionIn organization:dsel .\n"
         + holder("position:case-untitled"),
         "position:case-untitled", "ilrs:positionTitle",
         "A position must have at least one ilrs:positionTitle, each a non-blank string."),
    *[
        Case("PositionShape", name,
             f'position:{key} a ilrs:Position ; {L} ; ilrs:positionTitle "director" {triples} .\n'
             + holder(f"position:{key}"),
             f"position:{key}", "ilrs:positionIn",
             "A position must have exactly one ilrs:positionIn, an ilrs:Organization or an ilrs:Program.")
        for name, key, triples in [
            ("in-missing", "case-nowhere", ""),
            ("in-two", "case-in-two", "; ilrs:positionIn organization:dsel , organization:cae"),
            ("in-a-place", "case-in-place", "; ilrs:positionIn place:hefei"),
        ]
    ],
    Case("PositionShape", "not-held",
         f"position:case-unheld a ilrs:Position ; {L} ; {HELD} .",
         "position:case-unheld", "^ilrs:holdsPosition",
         "A position must be held by at least one ilrs:Person (ilrs:holdsPosition)."),
    # --- agreements -------------------------------------------------------------------------------
    Case("AgreementShape", "iri-not-a-slug",
         f"<{BASE}id/agreement/Bad> a ilrs:Agreement ; {L} ; ilrs:party country:CN , country:RU .",
         f"<{BASE}id/agreement/Bad>", None, iri_message("An agreement", "agreement")),
    Case("AgreementShape", "label-missing",
         "agreement:case-unlabelled a ilrs:Agreement ; ilrs:party country:CN , country:RU .",
         "agreement:case-unlabelled", "rdfs:label", label_message("An agreement")),
    Case("AgreementShape", "party-missing",
         f"agreement:case-no-party a ilrs:Agreement ; {L} .",
         "agreement:case-no-party", "ilrs:party",
         "An agreement must have at least one ilrs:party, each an ilrs:Organization or an ilrs:Country."),
    Case("AgreementShape", "party-a-place",
         f"agreement:case-party-place a ilrs:Agreement ; {L} ; ilrs:party country:CN , place:hefei .",
         "agreement:case-party-place", "ilrs:party",
         "An agreement must have at least one ilrs:party, each an ilrs:Organization or an ilrs:Country."),
    Case("AgreementShape", "one-party-no-counterpart",
         f"agreement:case-one-party a ilrs:Agreement ; {L} ; ilrs:party country:CN .",
         "agreement:case-one-party", "ilrs:party",
         "An agreement must name at least two parties (ilrs:party), or one party and its counterparts "
         "(ilrs:counterpartCount or ilrs:counterpartCountry)."),
    *[
        Case("AgreementShape", name,
             f"agreement:{key} a ilrs:Agreement ; {L} ; ilrs:party organization:dsel ; ilrs:counterpartCount {v} .",
             f"agreement:{key}", "ilrs:counterpartCount",
             "An agreement's ilrs:counterpartCount must be a positive xsd:integer.")
        for name, key, v in [("counterparts-zero", "case-zero", "0"), ("counterparts-words", "case-ten", '"ten"')]
    ],
    *[
        Case("AgreementShape", name,
             f"agreement:{key} a ilrs:Agreement ; {L} ; ilrs:party country:CN , country:RU ; {prop} {value} .",
             f"agreement:{key}", prop, message)
        for name, key, prop, value, message in [
            ("counterpart-country-an-organization", "case-counterpart-org", "ilrs:counterpartCountry",
             "organization:apsco", "An agreement's ilrs:counterpartCountry must be an ilrs:Country."),
            ("concerns-an-agency", "case-concerns-agency", "ilrs:concerns", "agency:cnsa",
             "An agreement's ilrs:concerns must be an ilrs:Program."),
            ("signed-at-a-place", "case-signed-at-place", "ilrs:signedAt", "place:tunxi",
             "An agreement's ilrs:signedAt must be an ilrs:Event."),
            ("date-too-early", "case-date-1900", "dcterms:date", '"1900-01-01"^^xsd:date',
             f"An agreement's dcterms:date {M_DATE}"),
            ("date-year-too-late", "case-date-2150", "dcterms:date", '"2150"^^xsd:gYear',
             f"An agreement's dcterms:date {M_DATE}"),
            ("date-month-13", "case-date-month-13", "dcterms:date", '"2021-13"^^xsd:gYearMonth',
             f"An agreement's dcterms:date {M_DATE}"),
            ("date-month-too-early", "case-date-1949-12", "dcterms:date", '"1949-12"^^xsd:gYearMonth',
             f"An agreement's dcterms:date {M_DATE}"),
            ("date-untyped", "case-date-untyped", "dcterms:date", '"2021-04-25"',
             f"An agreement's dcterms:date {M_DATE}"),
            ("date-with-time", "case-date-time", "dcterms:date", '"2021-04-25T10:00:00"^^xsd:dateTime',
             f"An agreement's dcterms:date {M_DATE}"),
            ("date-wording-blank", "case-wording-blank", "ilrs:dateWording", '"  "',
             "An agreement's ilrs:dateWording must be a non-blank string."),
        ]
    ],
    *[
        Case(f"{cls}Shape", "also-" + other.lower(),
             f"agreement:case-{cls.lower()} a ilrs:{cls} , ilrs:{other} ; {L} ; ilrs:party country:CN , country:RU .",
             f"agreement:case-{cls.lower()}", "rdf:type", message)
        for cls, other, message in [
            ("JointStatement", "MemorandumOfUnderstanding",
             "A joint statement cannot also be a cooperation agreement, memorandum of understanding or "
             "document release."),
            ("CooperationAgreement", "DocumentRelease",
             "A cooperation agreement cannot also be a joint statement, memorandum of understanding or "
             "document release."),
            ("MemorandumOfUnderstanding", "CooperationAgreement",
             "A memorandum of understanding cannot also be a joint statement, cooperation agreement or "
             "document release."),
            ("DocumentRelease", "JointStatement",
             "A document release cannot also be a joint statement, cooperation agreement or memorandum of "
             "understanding."),
        ]
    ],
    # --- applications -------------------------------------------------------------------------------
    Case("ApplicationToJoinShape", "iri-wrong-kind",
         f"agreement:case-application a ilrs:ApplicationToJoin ; {L} ; ilrs:applicant country:TR ; "
         "ilrs:concerns program:ilrs .",
         "agreement:case-application", None, iri_message("An application to join", "application")),
    Case("ApplicationToJoinShape", "label-missing",
         "application:case-unlabelled a ilrs:ApplicationToJoin ; ilrs:applicant country:TR ; "
         "ilrs:concerns program:ilrs .",
         "application:case-unlabelled", "rdfs:label", label_message("An application to join")),
    *[
        Case("ApplicationToJoinShape", name, f"application:{key} a ilrs:ApplicationToJoin ; {L} {triples} .",
             f"application:{key}", prop, message)
        for name, key, triples, prop, message in [
            ("applicant-missing", "case-no-applicant", "; ilrs:concerns program:ilrs", "ilrs:applicant",
             "An application to join must have at least one ilrs:applicant, each an ilrs:Country or an "
             "ilrs:Organization."),
            ("applicant-a-person", "case-person-applicant",
             "; ilrs:applicant person:wu-weiren ; ilrs:concerns program:ilrs", "ilrs:applicant",
             "An application to join must have at least one ilrs:applicant, each an ilrs:Country or an "
             "ilrs:Organization."),
            ("concerns-missing", "case-no-program", "; ilrs:applicant country:TR", "ilrs:concerns",
             "An application to join must name the ilrs:Program it concerns (ilrs:concerns)."),
            ("concerns-a-mission", "case-concerns-mission",
             "; ilrs:applicant country:TR ; ilrs:concerns mission:change-7", "ilrs:concerns",
             "An application to join must name the ilrs:Program it concerns (ilrs:concerns)."),
            ("date-a-year-as-integer", "case-date-integer",
             "; ilrs:applicant country:TR ; ilrs:concerns program:ilrs ; dcterms:date 2024", "dcterms:date",
             f"An application to join's dcterms:date {M_DATE}"),
            ("date-wording-a-number", "case-wording-number",
             "; ilrs:applicant country:TR ; ilrs:concerns program:ilrs ; ilrs:dateWording 2024",
             "ilrs:dateWording", "An application to join's ilrs:dateWording must be a non-blank string."),
        ]
    ],
    # --- program, phases, missions, facilities, payloads, places --------------------------------------
    Case("ProgramShape", "iri-wrong-kind",
         f"mission:case-program a ilrs:Program ; {L} .",
         "mission:case-program", None, iri_message("A program", "program")),
    Case("ProgramShape", "label-missing",
         "program:case-unlabelled a ilrs:Program .",
         "program:case-unlabelled", "rdfs:label", label_message("A program")),
    *[
        Case("ProgramShape", name, f"program:{key} a ilrs:Program ; {L} ; {prop} {value} .",
             f"program:{key}", prop, message)
        for name, key, prop, value, message in [
            ("component-a-place", "case-component", "ilrs:hasComponent", "place:lunar-south-pole",
             "A program's ilrs:hasComponent must be an ilrs:FacilityComponent."),
            ("location-a-country", "case-location", "ilrs:location", "country:CN",
             "A program's ilrs:location must be an ilrs:Place."),
            ("initiated-by-a-place", "case-initiated", "ilrs:initiatedBy", "place:hefei",
             "A program's ilrs:initiatedBy must be an ilrs:Organization, an ilrs:Country or an ilrs:Person."),
        ]
    ],
    Case("PhaseShape", "iri-wrong-kind",
         f"program:case-phase a ilrs:Phase ; {L} ; ilrs:phaseOf program:ilrs ; ilrs:phaseOrder 3 .",
         "program:case-phase", None, iri_message("A phase", "phase")),
    Case("PhaseShape", "label-missing",
         "phase:case-unlabelled a ilrs:Phase ; ilrs:phaseOf program:ilrs ; ilrs:phaseOrder 3 .",
         "phase:case-unlabelled", "rdfs:label", label_message("A phase")),
    *[
        Case("PhaseShape", name, f"phase:{key} a ilrs:Phase ; {L} ; {triples} .", f"phase:{key}", prop, message)
        for name, key, triples, prop, message in [
            ("program-missing", "case-no-program", "ilrs:phaseOrder 3", "ilrs:phaseOf",
             "A phase must belong to exactly one ilrs:Program (ilrs:phaseOf)."),
            ("program-two", "case-two-programs", "ilrs:phaseOf program:ilrs , program:clep ; ilrs:phaseOrder 3",
             "ilrs:phaseOf", "A phase must belong to exactly one ilrs:Program (ilrs:phaseOf)."),
            ("program-a-mission", "case-phase-of-mission", "ilrs:phaseOf mission:change-7 ; ilrs:phaseOrder 3",
             "ilrs:phaseOf", "A phase must belong to exactly one ilrs:Program (ilrs:phaseOf)."),
            ("order-missing", "case-no-order", "ilrs:phaseOf program:ilrs", "ilrs:phaseOrder",
             "A phase must have exactly one ilrs:phaseOrder, an xsd:integer of at least 1."),
            ("order-zero", "case-order-zero", "ilrs:phaseOf program:ilrs ; ilrs:phaseOrder 0", "ilrs:phaseOrder",
             "A phase must have exactly one ilrs:phaseOrder, an xsd:integer of at least 1."),
            ("order-a-string", "case-order-string", 'ilrs:phaseOf program:ilrs ; ilrs:phaseOrder "3"',
             "ilrs:phaseOrder", "A phase must have exactly one ilrs:phaseOrder, an xsd:integer of at least 1."),
            ("target-year-an-integer", "case-year-integer",
             "ilrs:phaseOf program:ilrs ; ilrs:phaseOrder 3 ; ilrs:targetYear 2050", "ilrs:targetYear",
             "A phase's ilrs:targetYear must be an xsd:gYear between 1950 and 2100."),
            ("target-year-too-early", "case-year-1949",
             'ilrs:phaseOf program:ilrs ; ilrs:phaseOrder 3 ; ilrs:targetYear "1949"^^xsd:gYear', "ilrs:targetYear",
             "A phase's ilrs:targetYear must be an xsd:gYear between 1950 and 2100."),
            ("target-year-a-date", "case-year-date",
             'ilrs:phaseOf program:ilrs ; ilrs:phaseOrder 3 ; ilrs:targetYear "2050-01-01"^^xsd:date',
             "ilrs:targetYear", "A phase's ilrs:targetYear must be an xsd:gYear between 1950 and 2100."),
            ("target-wording-blank", "case-target-wording",
             'ilrs:phaseOf program:ilrs ; ilrs:phaseOrder 3 ; ilrs:targetWording ""', "ilrs:targetWording",
             "A phase's ilrs:targetWording must be a non-blank string."),
            ("goal-a-number", "case-goal",
             "ilrs:phaseOf program:ilrs ; ilrs:phaseOrder 3 ; ilrs:phaseGoal 1", "ilrs:phaseGoal",
             "A phase's ilrs:phaseGoal must be a non-blank string."),
        ]
    ],
    Case("MissionShape", "iri-not-a-slug",
         f"<{BASE}id/mission/Chang'e-7> a ilrs:Mission ; {L} .".replace("'", "%27"),
         f"<{BASE}id/mission/Chang%27e-7>", None, iri_message("A mission", "mission")),
    Case("MissionShape", "label-missing",
         "mission:case-unlabelled a ilrs:Mission .",
         "mission:case-unlabelled", "rdfs:label", label_message("A mission")),
    *[
        Case("MissionShape", name, f"mission:{key} a ilrs:Mission ; {L} ; {prop} {value} .",
             f"mission:{key}", prop, message)
        for name, key, prop, value, message in [
            ("phase-a-program", "case-in-program", "ilrs:inPhase", "program:ilrs",
             "A mission's ilrs:inPhase must be an ilrs:Phase."),
            ("program-a-phase", "case-part-of-phase", "ilrs:partOfProgram", "phase:ilrs-1",
             "A mission's ilrs:partOfProgram must be an ilrs:Program."),
            ("launch-year-a-date", "case-launch-date", "ilrs:launchYear", '"2026-01-01"^^xsd:date',
             "A mission's ilrs:launchYear must be an xsd:gYear between 1950 and 2100."),
            ("launch-year-too-late", "case-launch-2101", "ilrs:launchYear", '"2101"^^xsd:gYear',
             "A mission's ilrs:launchYear must be an xsd:gYear between 1950 and 2100."),
            ("launch-wording-blank", "case-launch-wording", "ilrs:launchWording", '" "@en',
             "A mission's ilrs:launchWording must be a non-blank string."),
            ("status-a-number", "case-status", "ilrs:missionStatus", "1",
             "A mission's ilrs:missionStatus must be a non-blank string."),
            ("payload-a-mission", "case-payload", "ilrs:carriesPayload", "mission:change-6",
             "A mission's ilrs:carriesPayload must be an ilrs:Payload."),
            ("location-a-country", "case-location", "ilrs:location", "country:CN",
             "A mission's ilrs:location must be an ilrs:Place."),
        ]
    ],
    *[
        Case(f"{cls}Shape", "also-" + other.lower(), f"mission:case-{cls.lower()} a ilrs:{cls} , ilrs:{other} ; {L} .",
             f"mission:case-{cls.lower()}", "rdf:type", message)
        for cls, other, message in [
            ("LanderMission", "SatelliteConstellation", "A lander mission cannot also be a satellite constellation."),
            ("RoverMission", "SatelliteConstellation", "A rover mission cannot also be a satellite constellation."),
            ("SatelliteConstellation", "RoverMission",
             "A satellite constellation cannot also be a lander mission or rover mission."),
        ]
    ],
    Case("PrecursorMissionShape", "neither-program-nor-phase",
         f"mission:case-precursor a ilrs:PrecursorMission ; {L} .",
         "mission:case-precursor", None,
         "A precursor mission must name the program it prepares (ilrs:partOfProgram) or the phase it belongs to "
         "(ilrs:inPhase)."),
    Case("FacilityComponentShape", "iri-wrong-kind",
         f"place:case-facility a ilrs:FacilityComponent ; {L} .",
         "place:case-facility", None, iri_message("A facility component", "facility")),
    Case("FacilityComponentShape", "label-missing",
         "facility:case-unlabelled a ilrs:FacilityComponent .",
         "facility:case-unlabelled", "rdfs:label", label_message("A facility component")),
    Case("FacilityComponentShape", "location-a-country",
         f"facility:case-location a ilrs:GroundFacility ; {L} ; ilrs:location country:CN .",
         "facility:case-location", "ilrs:location", "A facility component's ilrs:location must be an ilrs:Place."),
    *[
        Case(f"{cls}Shape", "also-" + other.lower(),
             f"facility:case-{cls.lower()} a ilrs:{cls} , ilrs:{other} ; {L} .",
             f"facility:case-{cls.lower()}", "rdf:type", message)
        for cls, other, message in [
            ("LunarSurfaceStation", "OrbitalStation",
             "A lunar surface station cannot also be an orbital station or ground facility."),
            ("OrbitalStation", "GroundFacility",
             "An orbital station cannot also be a lunar surface station or ground facility."),
            ("GroundFacility", "LunarSurfaceStation",
             "A ground facility cannot also be a lunar surface station or orbital station."),
        ]
    ],
    Case("PayloadShape", "iri-wrong-kind",
         f"mission:case-payload-iri a ilrs:Payload ; {L} .",
         "mission:case-payload-iri", None, iri_message("A payload", "payload")),
    Case("PayloadShape", "label-missing",
         "payload:case-unlabelled a ilrs:Payload .",
         "payload:case-unlabelled", "rdfs:label", label_message("A payload")),
    Case("PayloadShape", "developed-by-a-person",
         f"payload:case-developer a ilrs:Payload ; {L} ; ilrs:developedBy person:wu-weiren .",
         "payload:case-developer", "ilrs:developedBy",
         "A payload's ilrs:developedBy must be an ilrs:Organization or an ilrs:Country."),
    Case("PlaceShape", "blank-node",
         f"[] a ilrs:Place ; {L} .",
         "_:", None, iri_message("A place", "place")),
    Case("PlaceShape", "label-missing",
         "place:case-unlabelled a ilrs:Place .",
         "place:case-unlabelled", "rdfs:label", label_message("A place")),
    # --- events ------------------------------------------------------------------------------------
    Case("EventShape", "iri-wrong-kind",
         f"mission:case-event a ilrs:Event ; {L} .",
         "mission:case-event", None,
         "An event must be named by an IRI https://w3id.org/ilrs/id/event/{key}, or "
         "https://w3id.org/ilrs/id/announcement/{key} for an announcement, where {key} is a lower-case slug."),
    Case("EventShape", "label-missing",
         "event:case-unlabelled a ilrs:Event .",
         "event:case-unlabelled", "rdfs:label", label_message("An event")),
    *[
        Case("EventShape", name, f"event:{key} a ilrs:Event ; {L} ; {prop} {value} .", f"event:{key}", prop, message)
        for name, key, prop, value, message in [
            ("date-too-early", "case-date-1949", "dcterms:date", '"1949"^^xsd:gYear', M_EVENT_DATE),
            ("date-a-string", "case-date-string", "dcterms:date", '"Thursday"@en', M_EVENT_DATE),
            ("day-of-year-malformed", "case-day-of-year", "dcterms:date", '"--13-20"^^xsd:gMonthDay', M_EVENT_DATE),
            ("date-wording-an-iri", "case-wording-iri", "ilrs:dateWording", "place:tunxi",
             "An event's ilrs:dateWording must be a non-blank string."),
            ("location-a-country", "case-location", "ilrs:location", "country:CN",
             "An event's ilrs:location must be an ilrs:Place."),
        ]
    ],
    Case("AnnouncementShape", "iri-event",
         f"event:case-announcement a ilrs:Announcement ; {L} ; ilrs:announces program:ilrs .",
         "event:case-announcement", None, iri_message("An announcement", "announcement")),
    *[
        Case("AnnouncementShape", name, f"announcement:{key} a ilrs:Announcement ; {L} {triples} .",
             f"announcement:{key}", prop, message)
        for name, key, triples, prop, message in [
            ("program-missing", "case-nothing", "", "ilrs:announces",
             "An announcement must name the ilrs:Program it announces (ilrs:announces)."),
            ("announced-by-a-place", "case-by-place", "; ilrs:announces program:ilrs ; ilrs:announcedBy place:hefei",
             "ilrs:announcedBy",
             "An announcement's ilrs:announcedBy must be an ilrs:Organization, an ilrs:Country or an ilrs:Person."),
            ("two-dates", "case-two-dates",
             '; ilrs:announces program:ilrs ; dcterms:date "2021"^^xsd:gYear , "2021-03-09"^^xsd:date',
             "dcterms:date", "An announcement is one source's claim and may have at most one dcterms:date."),
            ("two-wordings", "case-two-wordings",
             '; ilrs:announces program:ilrs ; ilrs:dateWording "in 2021" , "in June 2021"',
             "ilrs:dateWording", "An announcement is one source's claim and may have at most one ilrs:dateWording."),
        ]
    ],
    # --- numbers -----------------------------------------------------------------------------------
    Case("StatedTargetShape", "iri-wrong-kind",
         f"count:case-target a ilrs:StatedTarget ; {L} ; ilrs:countValue 5 ; ilrs:counts counted:countries ; "
         "ilrs:concerns program:ilrs ; ilrs:statedBy person:wu-weiren .",
         "count:case-target", None, iri_message("A stated target", "target")),
    *[
        Case("StatedTargetShape", name, claim(f"target:{key}", "ilrs:StatedTarget", TARGET, drop, extra),
             f"target:{key}", prop, message)
        for name, key, drop, extra, prop, message in [
            ("label-missing", "case-unlabelled", (L,), (), "rdfs:label", label_message("A stated target")),
            ("value-missing", "case-no-value", ("ilrs:countValue 5",), (), "ilrs:countValue",
             "A stated target must have exactly one ilrs:countValue, a non-negative xsd:integer."),
            ("value-negative", "case-negative", ("ilrs:countValue 5",), ("ilrs:countValue -5",), "ilrs:countValue",
             "A stated target must have exactly one ilrs:countValue, a non-negative xsd:integer."),
            ("value-two", "case-two-values", (), ("ilrs:countValue 6",), "ilrs:countValue",
             "A stated target must have exactly one ilrs:countValue, a non-negative xsd:integer."),
            ("value-a-decimal", "case-decimal", ("ilrs:countValue 5",), ("ilrs:countValue 5.5",), "ilrs:countValue",
             "A stated target must have exactly one ilrs:countValue, a non-negative xsd:integer."),
            ("counts-missing", "case-no-kind", ("ilrs:counts counted:countries",), (), "ilrs:counts",
             "A stated target must name exactly one ilrs:CountedKind (ilrs:counts)."),
            ("counts-a-status", "case-kind-status", ("ilrs:counts counted:countries",), ("ilrs:counts status:signed",),
             "ilrs:counts", "A stated target must name exactly one ilrs:CountedKind (ilrs:counts)."),
            ("concerns-missing", "case-no-program", ("ilrs:concerns program:ilrs",), (), "ilrs:concerns",
             "A stated target must concern exactly one ilrs:Program (ilrs:concerns)."),
            ("concerns-two", "case-two-programs", (), ("ilrs:concerns program:clep",), "ilrs:concerns",
             "A stated target must concern exactly one ilrs:Program (ilrs:concerns)."),
            ("stated-by-missing", "case-nobody", ("ilrs:statedBy person:wu-weiren",), (), "ilrs:statedBy",
             "A stated target must be stated by at least one ilrs:Organization, ilrs:Country or ilrs:Person "
             "(ilrs:statedBy)."),
            ("stated-by-a-place", "case-by-place", ("ilrs:statedBy person:wu-weiren",), ("ilrs:statedBy place:hefei",),
             "ilrs:statedBy",
             "A stated target must be stated by at least one ilrs:Organization, ilrs:Country or ilrs:Person "
             "(ilrs:statedBy)."),
            ("status-a-kind", "case-status-kind", (), ("ilrs:countStatus counted:countries",), "ilrs:countStatus",
             "A stated target may have one ilrs:countStatus, an ilrs:PartnerStatus concept."),
            ("qualifier-two", "case-two-qualifiers", (), ('ilrs:countQualifier "over" , "nearly"',),
             "ilrs:countQualifier", "A stated target may have one ilrs:countQualifier, a non-blank string."),
            ("as-of-two", "case-two-dates", (), ('ilrs:asOf "2024"^^xsd:gYear , "2023"^^xsd:gYear',), "ilrs:asOf",
             "A stated target may have one ilrs:asOf, an xsd:date, xsd:gYearMonth or xsd:gYear between 1950 and "
             "2100."),
        ]
    ],
    Case("ReportedCountShape", "iri-wrong-kind",
         f"target:case-count a ilrs:ReportedCount ; {L} ; ilrs:countValue 5 ; ilrs:counts counted:countries ; "
         "ilrs:concerns program:ilrs .",
         "target:case-count", None, iri_message("A reported count", "count")),
    *[
        Case("ReportedCountShape", name, claim(f"count:{key}", "ilrs:ReportedCount", COUNT, drop, extra),
             f"count:{key}", prop, message)
        for name, key, drop, extra, prop, message in [
            ("label-missing", "case-unlabelled", (L,), (), "rdfs:label", label_message("A reported count")),
            ("value-a-string", "case-value-string", ("ilrs:countValue 5",), ('ilrs:countValue "17"',),
             "ilrs:countValue", "A reported count must have exactly one ilrs:countValue, a non-negative xsd:integer."),
            ("counts-missing", "case-no-kind", ("ilrs:counts counted:countries",), (), "ilrs:counts",
             "A reported count must name exactly one ilrs:CountedKind (ilrs:counts)."),
            ("concerns-an-agreement", "case-concerns-agreement", ("ilrs:concerns program:ilrs",),
             ("ilrs:concerns agreement:pakistan-ilrs",), "ilrs:concerns",
             "A reported count must concern exactly one ilrs:Program (ilrs:concerns)."),
            ("stated-by-a-place", "case-by-place", (), ("ilrs:statedBy place:hefei",), "ilrs:statedBy",
             "A reported count's ilrs:statedBy must be an ilrs:Organization, an ilrs:Country or an ilrs:Person."),
            ("status-two", "case-two-statuses", (), ("ilrs:countStatus status:signed , status:committed",),
             "ilrs:countStatus", "A reported count may have one ilrs:countStatus, an ilrs:PartnerStatus concept."),
            ("qualifier-a-number", "case-qualifier", (), ("ilrs:countQualifier 1",), "ilrs:countQualifier",
             "A reported count may have one ilrs:countQualifier, a non-blank string."),
            ("as-of-too-early", "case-as-of-1900", (), ('ilrs:asOf "1900"^^xsd:gYear',), "ilrs:asOf",
             "A reported count may have one ilrs:asOf, an xsd:date, xsd:gYearMonth or xsd:gYear between 1950 and "
             "2100."),
        ]
    ],
    # --- concepts --------------------------------------------------------------------------------------
    Case("PartnerStatusShape", "iri-not-a-slug",
         concept(f"<{BASE}id/status/Signed_By>", "status"),
         f"<{BASE}id/status/Signed_By>", None, iri_message("A partner status", "status")),
    *[
        Case("PartnerStatusShape", name, concept(f"status:{key}", "status", **overrides), f"status:{key}", prop,
             message)
        for name, key, overrides, prop, message in [
            ("label-missing", "case-unlabelled", {"label": None}, "rdfs:label", label_message("A partner status")),
            ("pref-label-missing", "case-no-pref-label", {"prefLabel": None}, "skos:prefLabel",
             "A partner status must have a skos:prefLabel, at most one per language."),
            ("pref-label-two-in-english", "case-two-pref-labels", {"prefLabel": 'skos:prefLabel "a"@en , "b"@en'},
             "skos:prefLabel", "A partner status must have a skos:prefLabel, at most one per language."),
            ("definition-missing", "case-undefined", {"definition": None}, "skos:definition",
             "A partner status must have a skos:definition."),
            ("scheme-wrong", "case-wrong-scheme", {"inScheme": f"skos:inScheme <{BASE}id/counted>"}, "skos:inScheme",
             "A partner status must be in the concept scheme https://w3id.org/ilrs/id/status (skos:inScheme)."),
            ("notation-missing", "case-no-notation", {"notation": None}, "skos:notation",
             "A partner status must have exactly one skos:notation, a lower-case slug."),
            ("notation-upper-case", "case-upper-notation", {"notation": 'skos:notation "SIGNED"'}, "skos:notation",
             "A partner status must have exactly one skos:notation, a lower-case slug."),
        ]
    ],
    Case("CountedKindShape", "iri-wrong-kind",
         concept("status:case-counted-kind", "counted"),
         "status:case-counted-kind", None, iri_message("A counted kind", "counted")),
    *[
        Case("CountedKindShape", name, concept(f"counted:{key}", "counted", **overrides), f"counted:{key}", prop,
             message)
        for name, key, overrides, prop, message in [
            ("label-missing", "case-unlabelled", {"label": None}, "rdfs:label", label_message("A counted kind")),
            ("pref-label-missing", "case-no-pref-label", {"prefLabel": None}, "skos:prefLabel",
             "A counted kind must have a skos:prefLabel, at most one per language."),
            ("definition-blank", "case-blank-definition", {"definition": 'skos:definition " "@en'}, "skos:definition",
             "A counted kind must have a skos:definition."),
            ("scheme-missing", "case-no-scheme", {"inScheme": None}, "skos:inScheme",
             "A counted kind must be in the concept scheme https://w3id.org/ilrs/id/counted (skos:inScheme)."),
            ("notation-two", "case-two-notations", {"notation": 'skos:notation "a" , "b"'}, "skos:notation",
             "A counted kind must have exactly one skos:notation, a lower-case slug."),
        ]
    ],
    # --- provenance -------------------------------------------------------------------------------------
    Case("SourceDocumentShape", "iri-not-a-number",
         source_document("source:case-document"),
         "source:case-document", None,
         "A source document must be named by an IRI https://w3id.org/ilrs/id/source/{NNN}, where {NNN} is the "
         "number that prefixes its file name."),
    *[
        Case("SourceDocumentShape", name, source_document(f"source:{key}", **overrides), f"source:{key}", prop,
             message)
        for name, key, overrides, prop, message in [
            ("title-missing", "901", {"title": None}, "dcterms:title",
             "A source document must have exactly one dcterms:title, a non-blank string."),
            ("title-two", "902", {"title": 'dcterms:title "One"@en , "Two"@en'}, "dcterms:title",
             "A source document must have exactly one dcterms:title, a non-blank string."),
            ("file-name-missing", "903", {"fileName": None}, "ilrs:fileName",
             "A source document must have exactly one ilrs:fileName, an xsd:string without a directory."),
            ("file-name-with-directory", "904", {"fileName": 'ilrs:fileName "sources/904_case.txt"'},
             "ilrs:fileName",
             "A source document must have exactly one ilrs:fileName, an xsd:string without a directory."),
            ("issued-too-early", "905", {"issued": 'dcterms:issued "1900-01-01"^^xsd:date'}, "dcterms:issued",
             "A source document may have one dcterms:issued, an xsd:dateTime, xsd:date, xsd:gYearMonth or "
             "xsd:gYear between 1950 and 2100."),
            ("issued-date-time-too-late", "906", {"issued": 'dcterms:issued "2101-01-01T00:00:00"^^xsd:dateTime'},
             "dcterms:issued",
             "A source document may have one dcterms:issued, an xsd:dateTime, xsd:date, xsd:gYearMonth or "
             "xsd:gYear between 1950 and 2100."),
            ("issued-two", "907", {"issued": 'dcterms:issued "2021"^^xsd:gYear , "2022"^^xsd:gYear'},
             "dcterms:issued",
             "A source document may have one dcterms:issued, an xsd:dateTime, xsd:date, xsd:gYearMonth or "
             "xsd:gYear between 1950 and 2100."),
        ]
    ],
    Case("SourceGraphShape", "iri-not-a-source-graph",
         f"<{BASE}graph/reference/case> a ilrs:SourceGraph ; prov:wasDerivedFrom source:000 .",
         f"<{BASE}graph/reference/case>", None,
         "A source graph must be named https://w3id.org/ilrs/graph/source/{NNN}, where {NNN} is its source "
         "document's number."),
    *[
        Case("SourceGraphShape", name, f"sourcegraph:{key} a ilrs:SourceGraph {triples} .", f"sourcegraph:{key}",
             "prov:wasDerivedFrom", message)
        for name, key, triples, message in [
            ("derived-from-nothing", "911", "",
             "A source graph must be derived from exactly one ilrs:SourceDocument (prov:wasDerivedFrom)."),
            ("derived-from-two", "912", "; prov:wasDerivedFrom source:000 , source:003",
             "A source graph must be derived from exactly one ilrs:SourceDocument (prov:wasDerivedFrom)."),
            ("derived-from-a-person", "913", "; prov:wasDerivedFrom person:wu-weiren",
             "A source graph must be derived from exactly one ilrs:SourceDocument (prov:wasDerivedFrom)."),
            ("derived-from-another-number", "914", "; prov:wasDerivedFrom source:000",
             "A source graph must be derived from the source document with the same number, not "
             "https://w3id.org/ilrs/id/source/000."),
        ]
    ],
    # --- quotes --------------------------------------------------------------------------------------------
    Case("QuoteShape", "blank",
         f'place:case-quote a ilrs:Place ; {L} ; ilrs:quote "   " .',
         "place:case-quote", "ilrs:quote", "An ilrs:quote must be a non-blank string."),
    Case("QuoteShape", "an-iri",
         f"program:case-quote a ilrs:Program ; {L} ; ilrs:quote place:hefei .",
         "program:case-quote", "ilrs:quote", "An ilrs:quote must be a non-blank string."),
    # --- domains: a property used on a resource of another class -----------------------------------------------
    *[
        Case(shape, name, f"{subject} {typed}{triple} .", subject, None, message)
        for shape, name, subject, typed, triple, message in [
            ("AgreementDomainShape", "party-on-an-event", "event:case-party", f"a ilrs:Event ; {L} ; ",
             "ilrs:party country:CN",
             "Only an instance of ilrs:Agreement may have ilrs:party, ilrs:counterpartCount, "
             "ilrs:counterpartCountry or ilrs:signedAt."),
            ("ConcernsDomainShape", "on-an-event", "event:case-concerns", f"a ilrs:Event ; {L} ; ",
             "ilrs:concerns program:ilrs",
             "Only an instance of ilrs:Agreement, ilrs:ApplicationToJoin, ilrs:ReportedCount or ilrs:StatedTarget "
             "may have ilrs:concerns."),
            ("DateWordingDomainShape", "on-a-mission", "mission:case-date-wording", f"a ilrs:Mission ; {L} ; ",
             'ilrs:dateWording "in 2026"',
             "Only an instance of ilrs:Agreement, ilrs:Event or ilrs:ApplicationToJoin may have ilrs:dateWording."),
            ("ApplicationToJoinDomainShape", "on-an-agreement", "agreement:case-applicant",
             f"a ilrs:Agreement ; {L} ; ilrs:party country:CN , country:TR ; ", "ilrs:applicant country:TR",
             "Only an instance of ilrs:ApplicationToJoin may have ilrs:applicant."),
            ("PartnerDomainShape", "on-a-person", "person:case-partner", f"a ilrs:Person ; {L} ; ",
             "ilrs:partnerStatus status:signed",
             "Only an instance of ilrs:Country or ilrs:Organization may have ilrs:partnerStatus, "
             "ilrs:statusReason or ilrs:memberOf."),
            ("PartnerDomainShape", "untyped", "country:ZZ", "", "ilrs:partnerStatus status:signed",
             "Only an instance of ilrs:Country or ilrs:Organization may have ilrs:partnerStatus, "
             "ilrs:statusReason or ilrs:memberOf."),
            ("SpaceAgencyDomainShape", "on-an-organization", "organization:case-agency-of",
             f"a ilrs:Organization ; {L} ; ", "ilrs:agencyOf country:CN",
             "Only an instance of ilrs:SpaceAgency may have ilrs:agencyOf."),
            ("OrganizationDomainShape", "on-a-person", "person:case-based-in", f"a ilrs:Person ; {L} ; ",
             "ilrs:basedIn country:CN", "Only an instance of ilrs:Organization may have ilrs:basedIn."),
            ("PhaseDomainShape", "on-a-mission", "mission:case-target-year", f"a ilrs:Mission ; {L} ; ",
             'ilrs:targetYear "2030"^^xsd:gYear',
             "Only an instance of ilrs:Phase may have ilrs:phaseOf, ilrs:phaseOrder, ilrs:targetYear, "
             "ilrs:targetWording or ilrs:phaseGoal."),
            ("MissionDomainShape", "on-a-program", "program:case-launch-year", f"a ilrs:Program ; {L} ; ",
             'ilrs:launchYear "2030"^^xsd:gYear',
             "Only an instance of ilrs:Mission may have ilrs:inPhase, ilrs:partOfProgram, ilrs:launchYear, "
             "ilrs:launchWording, ilrs:missionStatus or ilrs:carriesPayload."),
            ("PayloadDomainShape", "on-a-mission", "mission:case-developed-by", f"a ilrs:Mission ; {L} ; ",
             "ilrs:developedBy country:CN", "Only an instance of ilrs:Payload may have ilrs:developedBy."),
            ("LocationDomainShape", "on-an-organization", "organization:case-location",
             f"a ilrs:Organization ; {L} ; ", "ilrs:location place:hefei",
             "Only an instance of ilrs:Program, ilrs:Mission, ilrs:FacilityComponent or ilrs:Event may have "
             "ilrs:location."),
            ("ProgramDomainShape", "on-a-mission", "mission:case-component", f"a ilrs:Mission ; {L} ; ",
             "ilrs:hasComponent facility:orbital-station",
             "Only an instance of ilrs:Program may have ilrs:hasComponent or ilrs:initiatedBy."),
            ("AnnouncementDomainShape", "on-an-event", "event:case-announces", f"a ilrs:Event ; {L} ; ",
             "ilrs:announces program:ilrs",
             "Only an instance of ilrs:Announcement may have ilrs:announcedBy or ilrs:announces."),
            ("PersonDomainShape", "on-an-organization", "organization:case-holds", f"a ilrs:Organization ; {L} ; ",
             "ilrs:holdsPosition position:003-wu-weiren-dsel-director-general",
             "Only an instance of ilrs:Person may have ilrs:holdsPosition."),
            ("PositionDomainShape", "on-a-person", "person:case-title", f"a ilrs:Person ; {L} ; ",
             'ilrs:positionTitle "director"',
             "Only an instance of ilrs:Position may have ilrs:positionTitle or ilrs:positionIn."),
            ("CountOrTargetDomainShape", "on-an-agreement", "agreement:case-count",
             f"a ilrs:Agreement ; {L} ; ilrs:party country:CN , country:RU ; ", "ilrs:countValue 3",
             "Only an instance of ilrs:ReportedCount or ilrs:StatedTarget may have ilrs:countValue, "
             "ilrs:countQualifier, ilrs:counts, ilrs:countStatus, ilrs:asOf or ilrs:statedBy."),
            ("SourceDocumentDomainShape", "on-a-place", "place:case-file-name", f"a ilrs:Place ; {L} ; ",
             'ilrs:fileName "000_x.txt"', "Only an instance of ilrs:SourceDocument may have ilrs:fileName."),
            ("CountryDomainShape", "on-an-organization", "organization:case-iso", f"a ilrs:Organization ; {L} ; ",
             'ilrs:isoAlpha2 "XZ"',
             "Only an instance of ilrs:Country may have ilrs:isoAlpha2, ilrs:isoAlpha3 or ilrs:isoNumeric."),
        ]
    ],
    # --- aims, cooperation and goals ---------------------------------------------------------------
    Case("ActivityShape", "iri-wrong-kind",
         'status:case-activity a skos:Concept , ilrs:Activity ; rdfs:label "case"@en ; skos:prefLabel "case"@en ; '
         'skos:definition "A case."@en ; skos:inScheme <https://w3id.org/ilrs/id/activity> ; skos:notation "case" .',
         "status:case-activity", None, iri_message("An activity", "activity")),
    Case("ActivityShape", "no-scheme",
         'activity:case-no-scheme a skos:Concept , ilrs:Activity ; rdfs:label "case"@en ; skos:prefLabel "case"@en ; '
         'skos:definition "A case."@en ; skos:notation "case-no-scheme" .',
         "activity:case-no-scheme", "skos:inScheme",
         "An activity must be in the concept scheme https://w3id.org/ilrs/id/activity (skos:inScheme)."),
    Case("StatedGoalShape", "goal-missing",
         f'goal:case-no-goal a ilrs:StatedGoal ; {L} ; ilrs:goalOf country:CN .',
         "goal:case-no-goal", "ilrs:goal", "A stated goal must name exactly one ilrs:Activity (ilrs:goal)."),
    Case("StatedGoalShape", "nobody's-goal",
         f'goal:case-nobody a ilrs:StatedGoal ; {L} ; ilrs:goal activity:crewed-lunar-landing .',
         "goal:case-nobody", "ilrs:goalOf",
         "A stated goal must be the goal of at least one ilrs:Organization, ilrs:Country or ilrs:Person "
         "(ilrs:goalOf)."),
    Case("StatedGoalShape", "deadline-a-string",
         f'goal:case-deadline a ilrs:StatedGoal ; {L} ; ilrs:goal activity:crewed-lunar-landing ; '
         'ilrs:goalOf country:CN ; ilrs:deadline "soon" .',
         "goal:case-deadline", "ilrs:deadline",
         "A stated goal may have one ilrs:deadline, an xsd:date, xsd:gYearMonth or xsd:gYear between 1950 and 2100."),
    Case("StatedGoalShape", "iri-wrong-kind",
         f"target:case-goal a ilrs:StatedGoal ; {L} ; ilrs:goal activity:crewed-lunar-landing ; "
         "ilrs:goalOf country:CN .",
         "target:case-goal", None, iri_message("A stated goal", "goal")),
    Case("CooperationDomainShape", "on-a-program",
         f"program:case-stage a ilrs:Program ; {L} ; ilrs:cooperationStage activity:planning .",
         "program:case-stage", None,
         "Only an instance of ilrs:Agreement may have ilrs:cooperationStage or ilrs:cooperationField."),
    Case("CooperationDomainShape", "field-not-an-activity",
         f"agreement:case-field a ilrs:Agreement ; {L} ; ilrs:party country:CN , country:RU ; "
         "ilrs:cooperationField counted:countries .",
         "agreement:case-field", "ilrs:cooperationField",
         "An agreement's ilrs:cooperationField must be an ilrs:Activity."),
    Case("AimDomainShape", "on-an-event",
         f"event:case-aim a ilrs:Event ; {L} ; ilrs:aim activity:planning .",
         "event:case-aim", None,
         "Only an instance of ilrs:Program, ilrs:Phase, ilrs:Mission, ilrs:Payload, ilrs:Organization or "
         "ilrs:StatedTarget may have ilrs:aim."),
    Case("AimDomainShape", "aim-a-place",
         f"program:case-aim-place a ilrs:Program ; {L} ; ilrs:aim place:hefei .",
         "program:case-aim-place", "ilrs:aim", "An ilrs:aim must be an ilrs:Activity."),
    Case("SupportsDomainShape", "on-a-program",
         f"program:case-supports a ilrs:Program ; {L} ; ilrs:supports activity:mars-exploration .",
         "program:case-supports", None, "Only an instance of ilrs:Mission may have ilrs:supports."),
    Case("PreparedByDomainShape", "on-a-person",
         f"person:case-prepared a ilrs:Person ; {L} ; ilrs:preparedBy organization:dsel .",
         "person:case-prepared", None, "Only an instance of ilrs:Organization may have ilrs:preparedBy."),
    Case("PreparedByDomainShape", "by-a-person",
         f"organization:case-prepared-by-person a ilrs:Organization ; {L} ; ilrs:preparedBy person:wu-weiren .",
         "organization:case-prepared-by-person", "ilrs:preparedBy",
         "An organization's ilrs:preparedBy must be an ilrs:Organization."),
    Case("StatedGoalDomainShape", "on-a-target",
         claim("target:case-deadline", "ilrs:StatedTarget", TARGET, (), ('ilrs:deadline "2030"^^xsd:gYear',)),
         "target:case-deadline", None,
         "Only an instance of ilrs:StatedGoal may have ilrs:goal, ilrs:goalObject, ilrs:goalOf, ilrs:deadline or "
         "ilrs:deadlineWording."),
]  # fmt: skip


# --- running pyshacl ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    focus: Node
    path: str | None
    message: str
    shape: str  #: local name of the node shape the constraint belongs to
    severity: str


def parse_case(case: Case) -> Graph:
    return Graph().parse(data=PROLOGUE + case.turtle, format="turtle")


@pytest.fixture(scope="module")
def valid() -> Graph:
    return Graph().parse(VALID, format="turtle")


@pytest.fixture(scope="module")
def base(ontology: Graph, valid: Graph) -> Graph:
    """Ontology, vocabularies and the conforming example, as one union graph."""
    graph = Graph()
    graph += ontology
    graph.parse(VOCABULARIES, format="turtle")
    graph += valid
    return graph


def run(data: Graph, shapes: Graph, ontology: Graph) -> tuple[bool, Graph, str]:
    conforms, report, text = validate(data, shacl_graph=shapes, ont_graph=ontology, **PYSHACL)
    return bool(conforms), report, text


def render_path(graph: Graph, path: Node | None) -> str | None:
    if path is None:
        return None
    if isinstance(path, BNode):
        inverse = graph.value(path, SH.inversePath)
        assert inverse is not None, f"unexpected complex path {path}"
        return "^" + graph.namespace_manager.curie(inverse)
    return graph.namespace_manager.curie(path)


def owner(shapes: Graph, source_shape: Node) -> str:
    """The node shape a property shape (or the node shape itself) belongs to."""
    node = next(iter(shapes.subjects(SH.property, source_shape)), source_shape)
    return str(node).removeprefix(SHAPES)


def results(report: Graph, shapes: Graph) -> list[Result]:
    for prefix, iri in PREFIXES.items():
        report.bind(prefix, iri, override=True, replace=True)
    found = []
    for result in report.objects(None, SH.result):
        found.append(
            Result(
                focus=report.value(result, SH.focusNode),
                path=render_path(report, report.value(result, SH.resultPath)),
                message=str(report.value(result, SH.resultMessage)),
                shape=owner(shapes, report.value(result, SH.sourceShape)),
                severity=str(report.value(result, SH.resultSeverity)).removeprefix(str(SH)),
            )
        )
    return found


@pytest.fixture(scope="module")
def negative_report(base: Graph, shapes: Graph, ontology: Graph) -> Graph:
    """ONE validation of the conforming example plus every broken case."""
    data = Graph()
    data += base
    for case in CASES:
        data += parse_case(case)
    conforms, report, _ = run(data, shapes, ontology)
    assert not conforms
    return report


@pytest.fixture(scope="module")
def negative_results(negative_report: Graph, shapes: Graph) -> list[Result]:
    return results(negative_report, shapes)


def node_shapes(shapes: Graph) -> set[str]:
    return {str(s).removeprefix(SHAPES) for s in shapes.subjects(RDF.type, SH.NodeShape) if str(s).startswith(SHAPES)}


# --- the positive example -----------------------------------------------------------------------------


def test_valid_example_conforms(base: Graph, shapes: Graph, ontology: Graph) -> None:
    conforms, _, text = run(base, shapes, ontology)
    assert conforms, text


def test_valid_example_has_an_instance_of_every_class(ontology: Graph, valid: Graph) -> None:
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef) and c.startswith(ILRS)}
    instantiated = set(valid.objects(None, RDF.type))
    vocabulary_classes = {URIRef(ILRS + n) for n in ("PartnerStatus", "CountedKind", "Activity")}  # vocabularies.ttl
    assert classes - instantiated - vocabulary_classes == set()


# --- the negative cases ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_broken_example_is_rejected(case: Case, negative_results: list[Result]) -> None:
    focus: Node | None = None if case.focus == "_:" else URIRef(expand(case.focus))

    def focus_matches(result: Result) -> bool:
        return isinstance(result.focus, BNode) if focus is None else result.focus == focus

    expected = (case.path, case.message, case.shape, "Violation")
    about_focus = [r for r in negative_results if focus_matches(r)]
    assert expected in {(r.path, r.message, r.shape, r.severity) for r in about_focus}, (
        f"no {expected} for {case.focus}; results about it: "
        + "".join(f"\n  {r.shape} {r.path}: {r.message}" for r in about_focus)
    )


def test_every_shape_has_a_negative_case(shapes: Graph) -> None:
    covered = {case.shape for case in CASES}
    assert node_shapes(shapes) - covered == set(), "add a broken example for these shapes"
    assert covered - node_shapes(shapes) == set(), "these cases name no shape"


def test_cases_are_independent(valid: Graph) -> None:
    """Distinct ids; each case describes only new resources, so one run can hold them all."""
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    seen = {s for s in valid.subjects() if not isinstance(s, BNode)}
    for case in CASES:
        subjects = {s for s in parse_case(case).subjects() if not isinstance(s, BNode)}
        assert not subjects & seen, f"{case.id} describes resources described elsewhere: {subjects & seen}"
        seen |= subjects


def test_each_result_has_one_message(negative_report: Graph) -> None:
    for result in negative_report.objects(None, SH.result):
        messages = list(negative_report.objects(result, SH.resultMessage))
        assert len(messages) == 1, messages
        assert str(messages[0]).strip()


def test_no_nested_results(negative_report: Graph) -> None:
    """Value checks are inline, so a report has no sh:detail results to confuse its readers."""
    assert not list(negative_report.objects(None, SH.detail))


# --- the shapes themselves ----------------------------------------------------------------------------------

CONSTRAINT_PARAMETERS = {
    SH["class"], SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, SH.minInclusive, SH.maxInclusive,
    SH.pattern, SH["in"], SH.hasValue, SH["not"], SH["or"], SH["and"], SH.node, SH.uniqueLang,
    SH.qualifiedValueShape, SH.equals, SH.disjoint,
}  # fmt: skip


def english(graph: Graph, node: Node, predicate: URIRef) -> list[Literal]:
    return [m for m in graph.objects(node, predicate) if isinstance(m, Literal) and m.language == "en"]


def test_every_constraint_has_an_english_message(shapes: Graph) -> None:
    for name in node_shapes(shapes):
        shape = URIRef(SHAPES + name)
        own = {p for _, p, _ in shapes.triples((shape, None, None))} & CONSTRAINT_PARAMETERS
        if own:
            assert len(english(shapes, shape, SH.message)) == 1, name
        for prop in shapes.objects(shape, SH.property):
            if {p for _, p, _ in shapes.triples((prop, None, None))} & CONSTRAINT_PARAMETERS:
                assert len(english(shapes, prop, SH.message)) == 1, (name, shapes.value(prop, SH.path))
            for sparql in shapes.objects(prop, SH.sparql):
                assert len(english(shapes, sparql, SH.message)) == 1, (name, "sparql")
                assert not list(shapes.objects(prop, SH.message)), "the SPARQL message would be doubled"
        for sparql in shapes.objects(shape, SH.sparql):
            assert len(english(shapes, sparql, SH.message)) == 1, (name, "sparql")


def test_every_shape_is_labelled_and_targeted(shapes: Graph) -> None:
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    for name in node_shapes(shapes):
        shape = URIRef(SHAPES + name)
        assert english(shapes, shape, URIRef("http://www.w3.org/2000/01/rdf-schema#label")), name
        assert any(shapes.objects(shape, t) for t in targets), f"{name} has no target"


def test_sh_or_lists_are_well_formed(shapes: Graph) -> None:
    for _, _, head in shapes.triples((None, SH["or"], None)):
        members = list(Collection(shapes, head))
        assert len(members) >= 2, head


def test_shapes_header(shapes: Graph) -> None:
    header = URIRef(BASE + "shapes")
    assert (header, RDF.type, OWL.Ontology) in shapes
    assert str(shapes.value(header, OWL.versionIRI)).endswith("/" + str(shapes.value(header, OWL.versionInfo)))
    assert english(shapes, header, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))


# --- the project's validator ------------------------------------------------------------------------------------


def test_project_validator_reports_the_same(base: Graph, shapes: Graph, ontology: Graph) -> None:
    """``graph/validate.py`` (written elsewhere) sees the valid example conform and a broken one fail."""
    validate_module = pytest.importorskip("ilrs.graph.validate")
    assert validate_module.validate_graph(base, shapes, ontology).conforms
    case = next(c for c in CASES if c.id == "AgreementShape-one-party-no-counterpart")
    broken = Graph()
    broken += base
    broken += parse_case(case)
    report = validate_module.validate_graph(broken, shapes, ontology)
    assert not report.conforms
    assert [(v.focus, v.path, v.message) for v in report.violations] == [
        (expand(case.focus), expand(case.path or ""), case.message)
    ]
