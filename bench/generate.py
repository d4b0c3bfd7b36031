"""A seeded generator of ILRS-shaped data in the project's own ontology, at a scale factor.

Scale 1 is about 10,000 triples, scale 100 about a million. The data is made of *source graphs*,
as the shipped graph is: each ``…/graph/source/bNNNNN`` holds what one imaginary article states —
partner statuses of countries with their reasons, agreements between space agencies and countries
(with dates, wordings and quotes), missions placed in the ILRS phases with launch years, and the
people who announced them — and the graph ``…/graph/sources`` says which article each graph comes
from. Countries, phases, statuses and the program are the shipped graph's own IRIs, so the shipped
competency queries find the generated facts beside the real ones.

    python -m bench.generate --scale 10 --out bench-data/scale-10.nq
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

BASE = "https://w3id.org/ilrs/"
ILRS = BASE + "ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DCT = "http://purl.org/dc/terms/"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
XSD = "http://www.w3.org/2001/XMLSchema#"
SOURCES_GRAPH = BASE + "graph/sources"
PROGRAM = BASE + "id/program/ilrs"
#: The shipped graph's partner statuses and phases.
STATUSES = ["signed", "committed", "applied", "negotiating", "declined", "restricted", "indirect"]
PHASES = ["ilrs-1", "ilrs-2", "ilrs-3"]
AGREEMENT_KINDS = ["Agreement", "JointStatement", "CooperationAgreement", "MemorandumOfUnderstanding"]
MISSION_KINDS = ["Mission", "LanderMission", "RoverMission", "PrecursorMission"]
#: ISO 3166 codes of the countries the shipped reference graph names.
COUNTRIES = [
    "AE",
    "AR",
    "AT",
    "AU",
    "AZ",
    "BE",
    "BH",
    "BO",
    "BR",
    "BY",
    "CA",
    "CH",
    "CL",
    "CN",
    "CO",
    "CZ",
    "DE",
    "DJ",
    "DK",
    "EG",
    "ES",
    "ET",
    "FI",
    "FR",
    "GB",
    "GR",
    "HU",
    "ID",
    "IN",
    "IR",
    "IT",
    "JP",
    "KE",
    "KR",
    "KZ",
    "LK",
    "MA",
    "MN",
    "MX",
    "MY",
    "NG",
    "NI",
    "NL",
    "NO",
    "NZ",
    "PE",
    "PH",
    "PK",
    "PL",
    "PT",
    "RS",
    "RU",
    "SA",
    "SE",
    "SG",
    "SN",
    "TH",
    "TR",
    "UA",
    "US",
    "UY",
    "VE",
    "VN",
    "ZA",
]
WORDS = [
    "lunar",
    "station",
    "research",
    "robotic",
    "orbit",
    "south",
    "pole",
    "crew",
    "sample",
    "return",
    "cooperation",
    "partner",
    "launch",
    "payload",
    "power",
    "relay",
    "rover",
    "lander",
    "habitat",
    "module",
    "science",
    "instrument",
    "agency",
    "program",
    "phase",
    "mission",
    "ground",
    "network",
]
#: Triples in one source graph, on average (with the one source's provenance triples).
TRIPLES_PER_SOURCE = 86


def iri(path: str) -> str:
    return f"<{BASE}{path}>"


def literal(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    if lang:
        return f'"{escaped}"@{lang}'
    if datatype:
        return f'"{escaped}"^^<{XSD}{datatype}>'
    return f'"{escaped}"'


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def source_quads(rng: random.Random, n: int) -> Iterator[str]:
    """The N-Quads lines of source ``n``: its provenance and the facts of its graph."""
    name = f"b{n:05d}"
    graph = iri(f"graph/source/{name}")
    source = iri(f"id/source/{name}")
    g_sources = f"<{SOURCES_GRAPH}>"
    year = rng.randint(2019, 2026)
    yield f"{source} <{RDF_TYPE}> <{ILRS}SourceDocument> {g_sources} ."
    yield f"{source} <{DCT}title> {literal(sentence(rng, 6), 'en')} {g_sources} ."
    issued = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    yield f"{source} <{DCT}issued> {literal(issued, datatype='date')} {g_sources} ."
    yield f"{graph} <{RDF_TYPE}> <{ILRS}SourceGraph> {g_sources} ."
    yield f"{graph} <{PROV_DERIVED}> {source} {g_sources} ."

    def fact(subject: str, predicate: str, obj: str) -> str:
        return f"{subject} <{predicate}> {obj} {graph} ."

    countries = rng.sample(COUNTRIES, 4)
    for code in countries:
        country = iri(f"id/country/{code}")
        yield fact(country, RDF_TYPE, f"<{ILRS}Country>")
        yield fact(country, ILRS + "partnerStatus", iri(f"id/status/{rng.choice(STATUSES)}"))
        yield fact(country, ILRS + "statusReason", literal(sentence(rng, 10)))
    agency = iri(f"id/agency/{name}-agency")
    yield fact(agency, RDF_TYPE, f"<{ILRS}SpaceAgency>")
    yield fact(agency, LABEL, literal(f"Space agency {name}", "en"))
    yield fact(agency, ILRS + "agencyOf", iri(f"id/country/{countries[0]}"))
    for a in range(3):
        agreement = iri(f"id/agreement/{name}-{a}")
        yield fact(agreement, RDF_TYPE, f"<{ILRS}{rng.choice(AGREEMENT_KINDS)}>")
        yield fact(agreement, LABEL, literal(f"Agreement {name}-{a}: {sentence(rng, 5)}", "en"))
        yield fact(agreement, ILRS + "party", agency if a == 0 else iri(f"id/country/{countries[a]}"))
        yield fact(agreement, ILRS + "party", iri("id/country/CN"))
        yield fact(agreement, ILRS + "concerns", f"<{PROGRAM}>")
        date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        yield fact(agreement, DCT + "date", literal(date, datatype="date"))
        yield fact(agreement, ILRS + "dateWording", literal(f"in {year}"))
        for _ in range(rng.randint(1, 3)):
            yield fact(agreement, ILRS + "quote", literal(sentence(rng, 18)))
    for m in range(4):
        mission = iri(f"id/mission/{name}-{m}")
        yield fact(mission, RDF_TYPE, f"<{ILRS}{rng.choice(MISSION_KINDS)}>")
        yield fact(mission, LABEL, literal(f"Mission {name}-{m} {rng.choice(WORDS)}", "en"))
        yield fact(mission, ILRS + "inPhase", iri(f"id/phase/{rng.choice(PHASES)}"))
        yield fact(mission, ILRS + "partOfProgram", f"<{PROGRAM}>")
        yield fact(mission, ILRS + "launchYear", literal(str(rng.randint(2024, 2040)), datatype="gYear"))
        yield fact(mission, ILRS + "launchWording", literal(f"around {rng.randint(2024, 2040)}"))
        yield fact(mission, ILRS + "quote", literal(sentence(rng, 14)))
    person = iri(f"id/person/{name}")
    yield fact(person, RDF_TYPE, f"<{ILRS}Person>")
    yield fact(person, LABEL, literal(f"Person {name}", "en"))
    yield fact(person, ILRS + "holdsPosition", iri(f"id/position/{name}"))
    position = iri(f"id/position/{name}")
    yield fact(position, RDF_TYPE, f"<{ILRS}Position>")
    yield fact(position, LABEL, literal(f"Position of person {name}", "en"))
    yield fact(position, ILRS + "positionIn", agency)
    announcement = iri(f"id/announcement/{name}")
    yield fact(announcement, RDF_TYPE, f"<{ILRS}Announcement>")
    yield fact(announcement, LABEL, literal(f"Announcement {name}", "en"))
    yield fact(announcement, ILRS + "announces", f"<{PROGRAM}>")
    yield fact(announcement, ILRS + "announcedBy", iri(f"id/country/{countries[1]}"))
    yield fact(announcement, ILRS + "announcedBy", person)
    yield fact(announcement, DCT + "date", literal(str(year), datatype="gYear"))


def sources_for(scale: float) -> int:
    """How many source graphs make ``scale`` (1 ≈ 10k triples)."""
    return max(1, round(scale * 10_000 / TRIPLES_PER_SOURCE))


def generate(scale: float, out: Path, seed: int = 12, progress: bool = True) -> int:
    """Write the data of ``scale`` to ``out`` (N-Quads); the number of quads written."""
    rng = random.Random(seed)
    count = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for n in tqdm(
            range(sources_for(scale)), desc=f"generating scale {scale:g}", unit=" sources", disable=not progress
        ):
            lines = list(source_quads(rng, n))
            count += len(lines)
            f.write("\n".join(lines) + "\n")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 ≈ 10k triples, 100 ≈ 1M")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    count = generate(args.scale, args.out, args.seed)
    print(f"{count} quads written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
