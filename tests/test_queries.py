"""The competency queries in ``queries/``, run against the whole dataset (default graph = union of the
named graphs), each compared with the exact answer read off the source articles by hand."""

from __future__ import annotations

import pycountry
import pyoxigraph as ox
import pytest
from checkout import PROJECT_ROOT

from ilrs.graph.query_analysis import analyse
from ilrs.graph.store import Store

QUERIES = PROJECT_ROOT / "queries"
ID = "https://w3id.org/ilrs/id/"
ILRS = "https://w3id.org/ilrs/ontology#"
SHORT = {
    ID: "",
    ILRS: "ilrs:",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
    "http://www.w3.org/2004/02/skos/core#": "skos:",
    "https://w3id.org/ilrs/graph/": "graph:",
    "http://www.w3.org/ns/prov#": "prov:",
}

Row = tuple[str | None, ...]


def short(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str | None:
    """IRIs without their namespace (``country/TR``, ``ilrs:party``); literals as their lexical form."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        for namespace, prefix in SHORT.items():
            if term.value.startswith(namespace):
                return prefix + term.value[len(namespace) :]
    return term.value


def run(dataset: Store, name: str, *columns: str, text: str | None = None) -> set[Row]:
    """The answer of ``queries/{name}.rq`` projected on ``columns``, as a set of tuples."""
    sparql = text if text is not None else (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    # As the endpoint does: a query that names its dataset (FROM) is not run on the union default graph.
    solutions = dataset.query(sparql, union_default_graph=not analyse(sparql, []).declares_dataset)
    assert isinstance(solutions, ox.QuerySolutions)
    rows = [tuple(short(s[c]) for c in columns) for s in solutions]
    return set(rows)


def run_list(dataset: Store, name: str, *columns: str) -> list[Row]:
    sparql = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    solutions = dataset.query(sparql, union_default_graph=not analyse(sparql, []).declares_dataset)
    return [tuple(short(s[c]) for c in columns) for s in solutions]  # type: ignore[union-attr]


TESTED = {
    "agreements-timeline", "announcements", "applied-not-signed", "change-7-payloads", "declined-or-restricted",
    "entity-by-source", "facility-components", "missions-per-phase", "non-partner-countries",
    "organizations-with-agreements", "partner-statuses", "phases", "positions", "signed-countries", "sources",
    "targets-and-counts", "no-provenance", "by-inference", "cooperation-areas", "mission-aims", "stated-goals",
    "cooperation-organization",
}  # fmt: skip

#: Named in 001 as the countries China "made agreements with" (signed), and in 004 as the ten countries
#: China "attracted ... to join it and Russia in the venture" (committed: 004 does not say each signed).
SIGNED_001_004 = ["VE", "BY", "PK", "AZ", "ZA", "EG", "NI", "TH", "RS", "KZ"]


def test_every_query_is_tested_and_documented() -> None:
    files = sorted(QUERIES.glob("*.rq"))
    assert {p.stem for p in files} == TESTED
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# title: ") and len(lines[0]) > len("# title: ") + 5, path.name
        assert lines[1].startswith("# description: ") and len(lines[1]) > len("# description: ") + 20, path.name
        assert "PREFIX ilrs: <https://w3id.org/ilrs/ontology#>" in lines, path.name


def test_signed_countries(dataset: Store) -> None:
    expected = {(f"country/{c}", None, None, None, "source/001") for c in SIGNED_001_004}
    expected |= {(f"country/{c}", None, None, None, "source/003") for c in ("RU", "PK", "AE")}
    expected |= {
        ("country/SN", "agreement/cnsa-senegal-ilrs-2025", "2025-08-07", "On Thursday", "source/000"),
        ("country/RU", "agreement/cnsa-roscosmos-joint-statement-2021", "2021-04", "Late April", "source/002"),
    }
    assert run(dataset, "signed-countries", "country", "agreement", "date", "dateWording", "source") == expected


def test_organizations_with_agreements(dataset: Store) -> None:
    tunxi, hefei = "event/tunxi-forum-2025", "event/deep-space-exploration-conference-2023-opening"
    cnsa, dsel, apsco = "agency/cnsa", "organization/dsel", "organization/apsco"
    senegal, roscosmos = "agency/senegal-space-agency", "agency/roscosmos"
    hspf = "organization/hungarian-solar-physics-foundation"
    senegal_agreement, mous = "agreement/cnsa-senegal-ilrs-2025", "agreement/dsel-mous-2025"
    russia_statement = "agreement/cnsa-roscosmos-joint-statement-2021"
    apsco_statement = "agreement/cnsa-apsco-joint-statement-2023"
    hungary_mou = "agreement/hungarian-solar-physics-foundation-dsel-mou"
    expected = {
        (senegal_agreement, cnsa, senegal, tunxi, "2025-08-07", "source/000"),
        (senegal_agreement, senegal, cnsa, tunxi, "2025-08-07", "source/000"),
        *{(mous, dsel, f"country/{c}", tunxi, "2025-08-07", "source/000")
          for c in ("RS", "CH", "AE", "ID", "PK", "PA", "ZA")},
        (russia_statement, cnsa, roscosmos, None, "2021-04", "source/002"),
        (russia_statement, roscosmos, cnsa, None, "2021-04", "source/002"),
        (apsco_statement, cnsa, apsco, hefei, "2023-04-25", "source/003"),
        (apsco_statement, apsco, cnsa, hefei, "2023-04-25", "source/003"),
        (hungary_mou, hspf, dsel, None, None, "source/004"),
        (hungary_mou, dsel, hspf, None, None, "source/004"),
    }  # fmt: skip
    columns = ("agreement", "organization", "with", "event", "date", "source")
    assert run(dataset, "organizations-with-agreements", *columns) == expected
    counts = run(dataset, "organizations-with-agreements", "agreement", "counterpartCount")
    assert (mous, "10") in counts


def test_applied_not_signed(dataset: Store) -> None:
    assert run(dataset, "applied-not-signed", "country", "application", "source") == {
        ("country/TR", "application/001-turkey", "source/001"),
        ("country/TR", "application/004-turkey", "source/004"),
    }


def test_phases_show_the_disagreement(dataset: Store) -> None:
    assert run(dataset, "phases", "phase", "order", "targetYear", "targetWording", "source", "yearsClaimed") == {
        ("phase/ilrs-1", "1", "2028", "before 2028", "source/003", "2"),
        ("phase/ilrs-1", "1", "2035", "by 2035", "source/004", "2"),
        ("phase/ilrs-2", "2", "2040", "by 2040", "source/003", "2"),
        ("phase/ilrs-2", "2", "2045", "by 2045", "source/004", "2"),
        ("phase/ilrs-3", "3", None, None, "source/003", "0"),
    }
    goals = run(dataset, "phases", "phase", "goal", "source")
    assert ("phase/ilrs-1", "a basic International Lunar Research Station (ILRS)", "source/004") in goals
    assert ("phase/ilrs-2", "an extended station", "source/004") in goals


def test_missions_per_phase(dataset: Store) -> None:
    columns = ("phase", "mission", "phaseSource", "launchYear", "launchWording", "launchSource")
    assert run(dataset, "missions-per-phase", *columns) == {
        ("phase/ilrs-1", "mission/change-6", "source/003", "2024", "around 2024", "source/003"),
        ("phase/ilrs-1", "mission/change-7", "source/003", "2026", "around 2026", "source/003"),
        ("phase/ilrs-1", "mission/change-7", "source/003", "2026", "set to launch in 2026", "source/004"),
        ("phase/ilrs-1", "mission/change-8", "source/003", "2028", "around 2028", "source/003"),
        ("phase/ilrs-1", "mission/change-8", "source/003", None, "later this decade", "source/004"),
        ("phase/ilrs-2", "mission/queqiao-2", "source/003", None, None, None),
    }


def test_change_7_payloads(dataset: Store) -> None:
    assert run(dataset, "change-7-payloads", "payload", "developer", "source") == {
        ("payload/change-7-hyperspectral-imager", "country/BH", "source/004"),
        ("payload/change-7-hyperspectral-imager", "country/EG", "source/004"),
        ("payload/change-7-small-spacecraft", None, "source/004"),
    }


def test_entity_by_source_wu_weiren(dataset: Store) -> None:
    wu = "person/wu-weiren"

    def about(source: str, *extra: tuple[str, str, str]) -> set[Row]:
        base = {(f"source/{source}", wu, "rdf:type", "ilrs:Person")}
        if source != "001":  # 001 spells the name only "Wu Wieren"
            base.add((f"source/{source}", wu, "rdfs:label", "Wu Weiren"))
        return base | {(f"source/{source}", *e) for e in extra}

    expected = (
        about(
            "001",
            (wu, "skos:altLabel", "Wu Wieren"),
            (wu, "ilrs:holdsPosition", "position/001-wu-weiren-head-clep"),
            ("target/001-countries", "ilrs:statedBy", wu),
            ("target/001-research-institutions", "ilrs:statedBy", wu),
            ("target/001-researchers", "ilrs:statedBy", wu),
            ("event/wu-weiren-cgtn-interview", "prov:wasAssociatedWith", wu),
        )
        | about(
            "003",
            (wu, "ilrs:holdsPosition", "position/003-wu-weiren-dsel"),
            (wu, "ilrs:holdsPosition", "position/003-wu-weiren-cae"),
            ("count/003-countries-and-organizations", "ilrs:statedBy", wu),
            ("goal/003-ilrsco-member-agreements", "ilrs:goalOf", wu),
        )
        | about(
            "004",
            (wu, "ilrs:holdsPosition", "position/004-wu-weiren-chief-designer"),
            (wu, "ilrs:holdsPosition", "position/004-wu-weiren-dsel"),
            ("target/004-countries", "ilrs:statedBy", wu),
            ("target/004-research-institutions", "ilrs:statedBy", wu),
            ("target/004-researchers", "ilrs:statedBy", wu),
            ("count/004-countries", "ilrs:statedBy", wu),
            ("count/004-research-institutions", "ilrs:statedBy", wu),
            ("event/wu-weiren-cgtn-interview", "prov:wasAssociatedWith", wu),
        )
    )
    assert run(dataset, "entity-by-source", "source", "subject", "property", "object") == expected


def test_entity_by_source_with_another_entity(dataset: Store) -> None:
    text = (QUERIES / "entity-by-source.rq").read_text(encoding="utf-8")
    text = text.replace(f"<{ID}person/wu-weiren>", f"<{ID}country/TR>")
    reasons = {
        "001": "Turkey may become the twelfth country because they have submitted a request for cooperation.",
        "004": "Turkey is understood to have applied to join.",
    }
    expected = set()
    for source, reason in reasons.items():
        expected |= {
            (f"source/{source}", "country/TR", "ilrs:partnerStatus", "status/applied"),
            (f"source/{source}", "country/TR", "ilrs:statusReason", reason),
            (f"source/{source}", f"application/{source}-turkey", "ilrs:applicant", "country/TR"),
            (f"source/{source}", "country/TR", "skos:altLabel", "Turkey"),  # the article's name, not "Türkiye"
        }
    assert run(dataset, "", "source", "subject", "property", "object", text=text) == expected


def test_targets_and_counts(dataset: Store) -> None:
    countries, institutions = "counted/countries", "counted/research-institutions"
    researchers, both = "counted/researchers", "counted/countries-and-organizations"
    signed, committed, negotiating = "status/signed", "status/committed", "status/negotiating"
    columns = ("node", "kind", "counted", "qualifier", "value", "status", "asOf", "source")
    assert run(dataset, "targets-and-counts", *columns) == {
        ("target/001-countries", "target", countries, None, "50", None, None, "source/001"),
        ("target/001-research-institutions", "target", institutions, None, "500", None, None, "source/001"),
        ("target/001-researchers", "target", researchers, None, "5000", None, None, "source/001"),
        ("target/004-countries", "target", countries, None, "50", None, None, "source/004"),
        ("target/004-research-institutions", "target", institutions, None, "500", None, None, "source/004"),
        ("target/004-researchers", "target", researchers, None, "5000", None, None, "source/004"),
        ("target/004-base-missions", "target", "counted/missions", None, "5", None, None, "source/004"),
        ("count/000-countries", "reported", countries, None, "17", committed, "2025-08-12", "source/000"),
        ("count/000-research-institutions", "reported", institutions, "over", "40", committed, "2025-08-12",
         "source/000"),
        ("count/001-countries", "reported", countries, None, "11", signed, None, "source/001"),
        ("count/001-research-institutions", "reported", institutions, "nearly", "30", signed, None, "source/001"),
        ("count/003-countries-and-organizations", "reported", both, "over", "10", negotiating, "2023-05-11",
         "source/003"),
        ("count/004-countries", "reported", countries, "more than", "10", signed, None, "source/004"),
        ("count/004-countries-joined", "reported", countries, None, "10", committed, None, "source/004"),
        ("count/004-research-institutions", "reported", institutions, "nearly", "30", signed, None, "source/004"),
    }  # fmt: skip


def test_announcements(dataset: Store) -> None:
    columns = ("announcement", "date", "dateWording", "announcedBy", "source")
    assert run(dataset, "announcements", *columns) == {
        ("announcement/000-proposed", "2017", "back in 2017", "country/CN", "source/000"),
        ("announcement/001-first-announced", "2021", "in 2021", "country/CN", "source/001"),
        ("announcement/001-first-announced", "2021", "in 2021", "country/RU", "source/001"),
        ("announcement/002-formal", "2021-03-09", "on March 9, 2021", None, "source/002"),
        ("announcement/004-joint", "2021-06", "in June 2021", "country/CN", "source/004"),
        ("announcement/004-joint", "2021-06", "in June 2021", "country/RU", "source/004"),
    }


def test_non_partner_countries(dataset: Store) -> None:
    tied = {
        "SN",  # 000: CNSA-Senegal agreement
        *SIGNED_001_004,  # 001, 004
        "RU", "AE",  # 002, 003
        "CH", "ID", "PA",  # 000: countries of the DSEL memoranda's counterparts
        "TR",  # 001, 004: applied
        "HU", "PE",  # 004: by extension, indirect
        "CN",  # party to the document releases; CNSA's and DSEL's country
    }  # fmt: skip
    assert len(tied) == 20
    remarks = {
        "US": ("status/restricted", "source/004"),
        "BH": (None, "source/004"),
    }
    expected = {
        (f"country/{c.alpha_2}", *remarks.get(c.alpha_2, (None, None)))
        for c in pycountry.countries
        if c.alpha_2 not in tied
    }
    assert len(expected) == 229
    assert run(dataset, "non-partner-countries", "country", "status", "source") == expected


def test_partner_statuses(dataset: Store) -> None:
    expected = {(f"country/{c}", "status/signed", "source/001") for c in SIGNED_001_004}
    expected |= {(f"country/{c}", "status/committed", "source/004") for c in SIGNED_001_004}
    expected |= {
        ("country/SN", "status/signed", "source/000"),
        ("country/RU", "status/signed", "source/003"),
        ("country/PK", "status/signed", "source/003"),
        ("country/AE", "status/signed", "source/003"),
        ("organization/apsco", "status/signed", "source/003"),
        ("organization/hungarian-solar-physics-foundation", "status/signed", "source/004"),
        ("country/TR", "status/applied", "source/001"),
        ("country/TR", "status/applied", "source/004"),
        ("country/HU", "status/by-extension", "source/004"),
        ("country/PE", "status/indirect", "source/004"),
        ("agency/esa", "status/declined", "source/004"),
        ("agency/nasa", "status/restricted", "source/004"),
        ("country/US", "status/restricted", "source/004"),
    }
    assert len(expected) == 33
    assert run(dataset, "partner-statuses", "party", "status", "source") == expected


def test_declined_or_restricted(dataset: Store) -> None:
    assert run(dataset, "declined-or-restricted", "party", "status", "reason", "source") == {
        ("agency/esa", "status/declined",
         "The European Space Agency has stated it will not engage in the ILRS project due to Russian participation.",
         "source/004"),
        ("agency/nasa", "status/restricted",
         "Additionally, language present in NASA appropriations bills, known as the Wolf Amendment, puts severe "
         "restrictions on the agency\u2019s ability to engage with Chinese entities.",
         "source/004"),
        ("country/US", "status/restricted",
         "The U.S. similarly has sanctions and policies in place prohibiting cooperation with Russia.",
         "source/004"),
    }  # fmt: skip


def test_positions(dataset: Store) -> None:
    wu, clep, dsel = "person/wu-weiren", "program/chinese-lunar-exploration-program", "organization/dsel"
    assert run(dataset, "positions", "person", "title", "in", "source") == {
        (wu, "Head", clep, "source/001"),
        (wu, "director general", dsel, "source/003"),
        (wu, "academician", "organization/chinese-academy-of-engineering", "source/003"),
        (wu, "chief designer", clep, "source/004"),
        (wu, "head", dsel, "source/004"),
    }


def test_facility_components(dataset: Store) -> None:
    south_pole = "place/lunar-south-pole"
    assert run(dataset, "facility-components", "component", "type", "location", "source") == {
        ("facility/lunar-surface-station", "ilrs:LunarSurfaceStation", None, "source/000"),
        ("facility/orbital-station", "ilrs:OrbitalStation", None, "source/000"),
        ("facility/ground-facilities", "ilrs:GroundFacility", None, "source/000"),
        ("facility/lunar-surface-station", "ilrs:LunarSurfaceStation", south_pole, "source/004"),
        ("facility/orbital-station", "ilrs:OrbitalStation", None, "source/004"),
        ("facility/ground-facilities", "ilrs:GroundFacility", None, "source/004"),
        ("facility/headquarters", "ilrs:GroundFacility", None, "source/004"),
    }


def test_agreements_timeline(dataset: Store) -> None:
    columns = ("date", "dateWording", "agreement", "type", "event", "source")
    rows = run_list(dataset, "agreements-timeline", *columns)
    assert set(rows) == {
        ("2021-04", "Late April", "agreement/cnsa-roscosmos-joint-statement-2021", "ilrs:JointStatement", None,
         "source/002"),
        ("2021-06", "As early as June 2021", "agreement/ilrs-guideline-for-partnership-v1", "ilrs:DocumentRelease",
         None, "source/003"),
        ("2021-06-16", "On June 16", "agreement/ilrs-guideline-for-partnership-v1", "ilrs:DocumentRelease",
         "event/glex-2021-forum", "source/002"),
        ("2021-06-16", "On June 16", "agreement/ilrs-roadmap-v1", "ilrs:DocumentRelease", "event/glex-2021-forum",
         "source/002"),
        ("2023-04-25", "on April 25", "agreement/cnsa-apsco-joint-statement-2023", "ilrs:JointStatement",
         "event/deep-space-exploration-conference-2023-opening", "source/003"),
        ("2025-08-07", "On Thursday", "agreement/cnsa-senegal-ilrs-2025", "ilrs:CooperationAgreement",
         "event/tunxi-forum-2025", "source/000"),
        ("2025-08-07", None, "agreement/dsel-mous-2025", "ilrs:MemorandumOfUnderstanding", "event/tunxi-forum-2025",
         "source/000"),
        (None, "this month", "agreement/hungarian-solar-physics-foundation-dsel-mou",
         "ilrs:MemorandumOfUnderstanding", None, "source/004"),
    }  # fmt: skip
    assert len(rows) == 8
    assert rows[0][0] == "2021-04" and rows[-1][0] is None  # in date order, the undated last


def test_sources(dataset: Store) -> None:
    columns = ("source", "issued", "publisher", "creator", "fileName", "graph")
    assert run(dataset, "sources", *columns) == {
        ("source/000", "2025-08-12", None, None, "000_e04313745358c330.txt", "graph:source/000"),
        ("source/001", None, None, None, "001_721bb1af8c498823.txt", "graph:source/001"),
        ("source/002", "2021-06-20", "agency/cnsa", None, "002_4259f5d10bebf22b.txt", "graph:source/002"),
        ("source/003", "2023-05-11T09:40:43", "organization/science-and-technology-daily", "person/lu-zijian",
         "003_58d84a4c49627179.txt", "graph:source/003"),
        ("source/004", None, None, None, "004_59c2dee4222c211f.txt", "graph:source/004"),
    }  # fmt: skip
    for _, statements in run(dataset, "sources", "source", "statements"):
        assert statements is not None and int(statements) > 0


@pytest.mark.parametrize("name", sorted(TESTED))
def test_query_runs_on_the_union_of_named_graphs_only(dataset: Store, name: str) -> None:
    """Nothing lies in the store's default graph, so every answer comes from the named graphs."""
    assert dataset.count() == sum(dataset.count(g) for g in dataset.graphs())
    assert run(dataset, name, *_first_variable(name))


def _first_variable(name: str) -> tuple[str]:
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    select = next(line for line in text.splitlines() if line.startswith("SELECT"))
    return (select.split("?")[1].split()[0],)


def test_no_provenance_gives_each_party_and_status_once(dataset: Store) -> None:
    """The 33 (party, status, source) claims of :func:`test_partner_statuses` without their sources: PK's
    "signed" (001 and 003) and TR's "applied" (001 and 004) are stated twice, so 31 rows, none repeated."""
    expected = {(f"country/{c}", "status/signed") for c in SIGNED_001_004}
    expected |= {(f"country/{c}", "status/committed") for c in SIGNED_001_004}
    expected |= {
        ("country/SN", "status/signed"), ("country/RU", "status/signed"), ("country/AE", "status/signed"),
        ("organization/apsco", "status/signed"), ("organization/hungarian-solar-physics-foundation", "status/signed"),
        ("country/TR", "status/applied"), ("country/HU", "status/by-extension"), ("country/PE", "status/indirect"),
        ("agency/esa", "status/declined"), ("agency/nasa", "status/restricted"), ("country/US", "status/restricted"),
    }  # fmt: skip
    rows = run_list(dataset, "no-provenance", "party", "status")
    assert len(rows) == len(expected) == 31
    assert set(rows) == expected
    labels = dict(run_list(dataset, "no-provenance", "party", "partyLabel"))
    assert labels["agency/nasa"] == "National Aeronautics and Space Administration"  # from the curated graph
    assert labels["country/TR"] == "Türkiye"  # the ISO name, from the countries graph


def test_by_inference_finds_missions_typed_by_a_subclass(dataset: Store) -> None:
    rows = run_list(dataset, "by-inference", "mission", "missionLabel")
    assert sorted(rows) == sorted(
        [
            ("mission/change-6", "Chang'e-6"),
            ("mission/change-7", "Chang'e-7"),
            ("mission/change-8", "Chang'e-8"),
            ("mission/luna-25", "Luna-25"),
            ("mission/queqiao-2", "Queqiao-2"),  # only an ilrs:SatelliteConstellation in 003
            ("mission/viper", "VIPER"),  # only an ilrs:RoverMission in 004
        ]
    )


def test_cooperation_areas(dataset: Store) -> None:
    """002: the Joint Statement opens "planning, substantiating, engineering, development, implementation and
    operation" and "the construction of ILRS"; 003: CNSA and APSCO cooperate in "the demonstration, construction,
    operation and application of ILRS", "including" six fields."""
    roscosmos, apsco = "agreement/cnsa-roscosmos-joint-statement-2021", "agreement/cnsa-apsco-joint-statement-2023"
    stages_2021 = ["planning", "substantiating", "engineering", "development", "implementation", "operation",
                   "construction"]  # fmt: skip
    stages_2023 = ["demonstration", "construction", "operation", "application"]
    fields_2023 = ["verification-of-science-targets", "spacecraft-design-and-development",
                   "scientific-instrument-payloads", "scientific-and-technological-experiments", "data-analysis",
                   "education-and-training"]  # fmt: skip
    expected = {(roscosmos, "stage", f"activity/{a}", "source/002") for a in stages_2021}
    expected |= {(apsco, "stage", f"activity/{a}", "source/003") for a in stages_2023}
    expected |= {(apsco, "field", f"activity/{a}", "source/003") for a in fields_2023}
    assert run(dataset, "cooperation-areas", "agreement", "kind", "activity", "source") == expected
    labels = dict(run(dataset, "cooperation-areas", "activity", "activityLabel"))
    assert labels["activity/spacecraft-design-and-development"] == "design and development of spacecraft"


def test_mission_aims(dataset: Store) -> None:
    """004: Chang'e-7 and -8 "will map and scout for resources ... and test in-situ resource utilization
    technologies"; VIPER "would have searched for ice"; 003: Queqiao-2 serves "manned lunar landing, Mars and
    Venus exploration"."""
    expected = {
        ("mission/change-7", "aim", "activity/resource-mapping", "source/004"),
        ("mission/change-7", "aim", "activity/isru-testing", "source/004"),
        ("mission/change-8", "aim", "activity/resource-mapping", "source/004"),
        ("mission/change-8", "aim", "activity/isru-testing", "source/004"),
        ("mission/viper", "aim", "activity/searching-for-water-ice", "source/004"),
        ("mission/queqiao-2", "supports", "activity/crewed-lunar-landing", "source/003"),
        ("mission/queqiao-2", "supports", "activity/mars-exploration", "source/003"),
        ("mission/queqiao-2", "supports", "activity/venus-exploration", "source/003"),
    }
    assert run(dataset, "mission-aims", "mission", "relation", "activity", "source") == expected


def test_stated_goals(dataset: Store) -> None:
    """004: "China also aims to send astronauts to the moon before 2030"; "Chinese officials had stated in 2023
    that it aimed to establish the ILRSCO later that year"; 003 (May 2023): Wu "hopes the agreements with member
    countries or organizations could be completed by the end of October"."""
    columns = ("goal", "activity", "goalOf", "about", "deadline", "deadlineWording", "source")
    rows = run_list(dataset, "stated-goals", *columns)
    assert rows == [
        ("goal/004-ilrsco-establishment", "activity/establishment", "country/CN", "organization/ilrsco", "2023",
         "later that year", "source/004"),
        ("goal/003-ilrsco-member-agreements", "activity/completing-member-agreements", "person/wu-weiren",
         "organization/ilrsco", "2023-10", "by the end of October", "source/003"),
        ("goal/004-crewed-lunar-landing", "activity/crewed-lunar-landing", "country/CN", None, "2030",
         "before 2030", "source/004"),
    ]  # fmt: skip


def test_cooperation_organization(dataset: Store) -> None:
    """003: its preparation "will be overseen by CNSA's Lunar Exploration and Space Program Center and the Deep
    Space Exploration Laboratory", to "jointly administer the facilities ... and share research results"; 004: it
    "will coordinate and manage the construction of the ILRS moon base"."""
    assert run(dataset, "cooperation-organization", "property", "value", "source") == {
        ("ilrs:preparedBy", "organization/lunar-exploration-and-space-program-center", "source/003"),
        ("ilrs:preparedBy", "organization/dsel", "source/003"),
        ("ilrs:aim", "activity/administering-facilities", "source/003"),
        ("ilrs:aim", "activity/sharing-research-results", "source/003"),
        ("ilrs:aim", "activity/coordinating-construction", "source/004"),
    }
