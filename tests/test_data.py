"""The data files: one graph per source article, provenance for each, the countries graph, and the
disagreements between the sources kept side by side.

Expected values are read off the articles in ``../shared/sources`` by hand.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pycountry
import pyoxigraph as ox
import pytest
import rdflib
from checkout import PROJECT_ROOT

from ilrs.graph.conventions import instance_kinds
from ilrs.graph.settings import get_settings
from ilrs.graph.validate import load_shapes

SETTINGS = get_settings()
DATA = SETTINGS.data_dir
SOURCE_FILES = sorted((DATA / "sources").glob("*.trig"))
SOURCES_TRIG = DATA / "sources.trig"
COUNTRIES_TTL = DATA / "reference" / "countries.ttl"
ONTOLOGY_TTL = SETTINGS.ontology_dir / "ilrs.ttl"

BASE = "https://w3id.org/ilrs/"
ILRS = BASE + "ontology#"
ID = BASE + "id/"
SOURCE_GRAPH = BASE + "graph/source/"
SOURCES_GRAPH = BASE + "graph/sources"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"

SOURCE_IDS = ["000", "001", "002", "003", "004"]
#: The {kind} of …/id/{kind}/{key} that the shapes' IRI patterns allow (a new class's shape adds its own).
KINDS = instance_kinds(load_shapes(SETTINGS.shapes_dir))

#: Properties whose values must be the article's own words.
VERBATIM = ["quote", "statusReason", "dateWording", "targetWording", "launchWording", "phaseGoal", "deadlineWording"]
#: "around 2024, 2026 and 2028 respectively" in 003, distributed over the three missions.
DISTRIBUTED_WORDING = {("003", "around 2026"), ("003", "around 2028")}

#: Page furniture and unrelated news inside the articles, which must stay out of the graph.
UNRELATED = [
    "BCI", "GTCOM", "ITBM", "Human Rights", "brain-computer", "clinical trial", "Book Fair", "Translation",
    "Read These Next", "browser", "浏览器", "Institute of Geology", "lunar sample", "Top News", "Cátedra",
]  # fmt: skip


def load(path: Path) -> ox.Store:
    store = ox.Store()
    fmt = ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.TURTLE
    store.load(path=str(path), format=fmt)
    return store


def source_store(source_id: str) -> ox.Store:
    return load(DATA / "sources" / f"{source_id}.trig")


def values(store: ox.Store, subject: str, predicate: str, graph: str | None = None) -> set[str]:
    g = ox.NamedNode(graph) if graph else None
    return {q.object.value for q in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None, g)}


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- files and graphs ----------------------------------------------------------------------


def test_one_file_per_source_article() -> None:
    assert [p.stem for p in SOURCE_FILES] == SOURCE_IDS


@pytest.mark.parametrize(
    "path", [*SOURCE_FILES, SOURCES_TRIG, DATA / "curated.trig", COUNTRIES_TTL], ids=lambda p: p.name
)
def test_parses_with_rdflib_and_pyoxigraph(path: Path) -> None:
    fmt = "trig" if path.suffix == ".trig" else "turtle"
    dataset = rdflib.Dataset()
    dataset.parse(path, format=fmt)
    assert len(dataset) == len(load(path)) > 0


@pytest.mark.parametrize("path", SOURCE_FILES, ids=lambda p: p.name)
def test_every_triple_of_a_source_file_lies_in_its_graph(path: Path) -> None:
    graphs = {q.graph_name for q in load(path)}
    assert graphs == {ox.NamedNode(SOURCE_GRAPH + path.stem)}


def test_sources_file_holds_only_the_sources_graph() -> None:
    assert {q.graph_name for q in load(SOURCES_TRIG)} == {ox.NamedNode(SOURCES_GRAPH)}


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_every_source_graph_is_described(source_id: str) -> None:
    store = load(SOURCES_TRIG)
    graph, source = SOURCE_GRAPH + source_id, f"{ID}source/{source_id}"
    assert values(store, graph, RDF_TYPE) == {ILRS + "SourceGraph"}
    assert values(store, graph, PROV_DERIVED) == {source}
    assert values(store, graph, DCT + "title")
    assert values(store, source, RDF_TYPE) == {ILRS + "SourceDocument", "https://schema.org/NewsArticle"}
    assert len(values(store, source, DCT + "title")) == 1
    assert values(store, source, DCT + "language") == {"en"}
    (file_name,) = values(store, source, ILRS + "fileName")
    assert re.fullmatch(rf"{source_id}_[0-9a-f]{{16}}\.txt", file_name)


def test_source_metadata() -> None:
    store = load(SOURCES_TRIG)

    def meta(source_id: str, prop: str) -> set[str]:
        return values(store, f"{ID}source/{source_id}", DCT + prop)

    assert {s: meta(s, "issued") for s in SOURCE_IDS} == {
        "000": {"2025-08-12"},
        "001": set(),
        "002": {"2021-06-20"},
        "003": {"2023-05-11T09:40:43"},
        "004": set(),
    }
    assert meta("003", "title") == {"ILRS: Next Frontier"}
    assert meta("003", "publisher") == {f"{ID}organization/science-and-technology-daily"}
    assert meta("002", "publisher") == {f"{ID}agency/cnsa"}
    assert meta("003", "creator") == {f"{ID}person/lu-zijian"}
    # The author is one person with both of the article's spellings of the name.
    assert values(store, f"{ID}person/lu-zijian", RDFS_LABEL) == {"LU Zijian", "卢子建"}
    assert values(store, f"{ID}organization/science-and-technology-daily", RDFS_LABEL) >= {"科技日报"}
    # 004 has no headline: its title is its opening words, and a comment says so.
    (title,) = meta("004", "title")
    assert title.startswith("China is aiming to work with 50 countries")
    (comment,) = values(store, f"{ID}source/004", "http://www.w3.org/2000/01/rdf-schema#comment")
    assert "no headline" in comment


# --- IRIs, terms, dates --------------------------------------------------------------------


def all_data_quads() -> list[ox.Quad]:
    return [q for p in [*SOURCE_FILES, SOURCES_TRIG] for q in load(p)]


def test_instance_iris_follow_the_model() -> None:
    alpha2 = {c.alpha_2 for c in pycountry.countries}
    for quad in all_data_quads():
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(ID):
                kind, _, key = term.value[len(ID) :].partition("/")
                assert kind in KINDS, term
                if kind == "country":
                    assert key in alpha2, term
                else:
                    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key), term


def test_dates_are_typed_and_keep_the_wording() -> None:
    for path in SOURCE_FILES:
        store = load(path)
        for quad in store.quads_for_pattern(None, ox.NamedNode(DCT + "date"), None, None):
            assert quad.object.datatype.value in {XSD + "date", XSD + "gYearMonth", XSD + "gYear", XSD + "gMonthDay"}, (
                quad
            )
            assert values(store, quad.subject.value, ILRS + "dateWording"), quad


def test_every_ilrs_term_is_defined_in_the_ontology() -> None:
    if not ONTOLOGY_TTL.exists():
        pytest.skip("ontology/ilrs.ttl is not there yet")
    ontology = load(ONTOLOGY_TTL)
    defined = {q.subject.value for q in ontology if q.predicate.value == RDF_TYPE}
    used = {
        t.value
        for q in all_data_quads() + list(load(COUNTRIES_TTL))
        for t in (q.predicate, q.object)
        if isinstance(t, ox.NamedNode) and t.value.startswith(ILRS)
    }
    assert used - defined == set()


def test_quotes_and_wordings_are_the_articles_own_words(shared_dir: Path) -> None:
    for source_id in SOURCE_IDS:
        (article,) = (shared_dir / "sources").glob(f"{source_id}_*.txt")
        text = normalize(article.read_text(encoding="utf-8"))
        for quad in source_store(source_id):
            prop = quad.predicate.value.removeprefix(ILRS)
            if prop in VERBATIM and (source_id, quad.object.value) not in DISTRIBUTED_WORDING:
                assert normalize(quad.object.value) in text, (source_id, prop, quad.object.value)


def test_the_source_files_are_the_ones_described(shared_dir: Path) -> None:
    store = load(SOURCES_TRIG)
    for source_id in SOURCE_IDS:
        (file_name,) = values(store, f"{ID}source/{source_id}", ILRS + "fileName")
        assert (shared_dir / "sources" / file_name).is_file()


def test_no_unrelated_news_in_the_data() -> None:
    for path in [*SOURCE_FILES, SOURCES_TRIG]:
        text = path.read_text(encoding="utf-8")
        for word in UNRELATED:
            assert word.lower() not in text.lower(), (path.name, word)


# --- the countries graph ---------------------------------------------------------------


def test_countries_graph_has_every_iso_country_with_valid_codes() -> None:
    store = load(COUNTRIES_TTL)
    countries = {
        q.subject.value
        for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(ILRS + "Country"), None)
    }
    assert len(countries) == len(pycountry.countries) == 249
    for country in pycountry.countries:
        iri = f"{ID}country/{country.alpha_2}"
        assert iri in countries
        assert values(store, iri, ILRS + "isoAlpha2") == {country.alpha_2}
        assert values(store, iri, ILRS + "isoAlpha3") == {country.alpha_3}
        assert values(store, iri, ILRS + "isoNumeric") == {country.numeric}
        labels = {q.object for q in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(RDFS_LABEL), None)}
        assert ox.Literal(country.name, language="en") in labels
        assert len({label.language for label in labels}) == len(labels)  # one label per language
    assert ox.Literal("土耳其", language="zh") in {
        q.object for q in store.quads_for_pattern(ox.NamedNode(f"{ID}country/TR"), ox.NamedNode(RDFS_LABEL), None)
    }
    assert values(store, f"{ID}country/PK", SKOS_ALT) == {"Islamic Republic of Pakistan"}


def test_countries_file_is_up_to_date() -> None:
    script = PROJECT_ROOT / "graph" / "scripts" / "build_countries.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_countries_file_says_it_is_generated() -> None:
    head = COUNTRIES_TTL.read_text(encoding="utf-8").splitlines()[:4]
    assert head[0].startswith("# GENERATED")
    assert any("graph/scripts/build_countries.py" in line for line in head)
    assert any(f"pycountry {pycountry_version()}" in line for line in head)


def pycountry_version() -> str:
    from importlib.metadata import version

    return version("pycountry")


# --- the sources disagree, and the graph keeps every claim -------------------------------------


def claims(prop: str, subject: str) -> set[tuple[str, str]]:
    """``(value, source)`` for every statement of ``subject prop`` in any source graph."""
    found = set()
    for source_id in SOURCE_IDS:
        for value in values(source_store(source_id), ID + subject, ILRS + prop):
            found.add((value, source_id))
    return found


def test_phase_target_years_disagree_and_both_are_kept() -> None:
    assert claims("targetYear", "phase/ilrs-1") == {("2028", "003"), ("2035", "004")}
    assert claims("targetYear", "phase/ilrs-2") == {("2040", "003"), ("2045", "004")}
    assert claims("targetYear", "phase/ilrs-3") == set()
    assert claims("targetWording", "phase/ilrs-1") == {("before 2028", "003"), ("by 2035", "004")}
    assert claims("phaseGoal", "phase/ilrs-2") == {
        (
            "An improved ILRS will be introduced by 2040 for the second phase. Space environment exploration "
            "and scientific experiments will be conducted among the sun, Earth and the moon.",
            "003",
        ),
        ("an extended station", "004"),
    }


def test_each_announcement_claim_is_its_own_node() -> None:
    found = {}
    for source_id in SOURCE_IDS:
        store = source_store(source_id)
        for quad in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(ILRS + "Announcement")):
            node = quad.subject.value
            found[node.removeprefix(ID)] = (
                source_id,
                values(store, node, DCT + "date"),
                values(store, node, ILRS + "dateWording"),
                {v.removeprefix(ID) for v in values(store, node, ILRS + "announcedBy")},
            )
    assert found == {
        "announcement/000-proposed": ("000", {"2017"}, {"back in 2017"}, {"country/CN"}),
        "announcement/001-first-announced": ("001", {"2021"}, {"in 2021"}, {"country/CN", "country/RU"}),
        "announcement/002-formal": ("002", {"2021-03-09"}, {"on March 9, 2021"}, set()),
        "announcement/004-joint": ("004", {"2021-06"}, {"in June 2021"}, {"country/CN", "country/RU"}),
    }


def test_reported_counts_per_source() -> None:
    found = set()
    for source_id in SOURCE_IDS:
        store = source_store(source_id)
        for quad in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(ILRS + "ReportedCount")):
            node = quad.subject.value
            (value,) = values(store, node, ILRS + "countValue")
            (counted,) = values(store, node, ILRS + "counts")
            qualifier = values(store, node, ILRS + "countQualifier")
            found.add((node.removeprefix(ID + "count/"), value, counted.removeprefix(ID), frozenset(qualifier)))
    q = frozenset
    assert found == {
        ("000-countries", "17", "counted/countries", q()),
        ("000-research-institutions", "40", "counted/research-institutions", q({"over"})),
        ("001-countries", "11", "counted/countries", q()),
        ("001-research-institutions", "30", "counted/research-institutions", q({"nearly"})),
        ("003-countries-and-organizations", "10", "counted/countries-and-organizations", q({"over"})),
        ("004-countries", "10", "counted/countries", q({"more than"})),
        ("004-countries-joined", "10", "counted/countries", q()),
        ("004-research-institutions", "30", "counted/research-institutions", q({"nearly"})),
    }


def test_001_says_eleven_but_names_ten() -> None:
    store = source_store("001")
    assert values(store, ID + "count/001-countries", ILRS + "countValue") == {"11"}
    signed = {
        q.subject.value.removeprefix(ID + "country/")
        for q in store.quads_for_pattern(None, ox.NamedNode(ILRS + "partnerStatus"), ox.NamedNode(ID + "status/signed"))
    }
    assert signed == {"VE", "BY", "PK", "AZ", "ZA", "EG", "NI", "TH", "RS", "KZ"}


def test_004_says_the_ten_countries_joined_not_that_each_signed() -> None:
    store = source_store("004")
    ten = {"VE", "BY", "PK", "AZ", "ZA", "EG", "NI", "TH", "RS", "KZ"}
    for code in ten:
        assert values(store, f"{ID}country/{code}", ILRS + "partnerStatus") == {ID + "status/committed"}
    assert values(store, ID + "count/004-countries-joined", ILRS + "countStatus") == {ID + "status/committed"}
    # Wu's own claim of signed agreements stays a separate count.
    assert values(store, ID + "count/004-countries", ILRS + "countStatus") == {ID + "status/signed"}


def test_wu_weiren_is_one_person_with_the_misspelling_kept_in_001() -> None:
    wu = ID + "person/wu-weiren"
    for source_id in ("003", "004"):
        assert values(source_store(source_id), wu, RDFS_LABEL) == {"Wu Weiren"}
    # 001 spells the name only "Wu Wieren": that is its label there, the usual spelling is not.
    assert values(source_store("001"), wu, RDFS_LABEL) == set()
    assert values(source_store("001"), wu, SKOS_ALT) == {"Wu Wieren"}
    assert values(source_store("003"), wu, SKOS_ALT) == set()
    assert not any("wieren" in q.subject.value.lower() for p in SOURCE_FILES for q in load(p))


def test_000_resolves_thursday_against_its_own_date() -> None:
    store = source_store("000")
    agreement = ID + "agreement/cnsa-senegal-ilrs-2025"
    assert values(store, agreement, DCT + "date") == {"2025-08-07"}
    assert values(store, agreement, ILRS + "dateWording") == {"On Thursday"}


def test_undated_sources_keep_relative_dates_as_wording_only() -> None:
    store = source_store("004")
    for node in ("agreement/hungarian-solar-physics-foundation-dsel-mou",
                 "agreement/bahrain-china-lunar-and-deep-space-exploration"):  # fmt: skip
        assert values(store, ID + node, DCT + "date") == set()
        assert values(store, ID + node, ILRS + "dateWording")


def test_bahrain_agreement_is_not_an_ilrs_agreement() -> None:
    store = source_store("004")
    assert values(store, ID + "agreement/bahrain-china-lunar-and-deep-space-exploration", ILRS + "concerns") == set()
    assert values(store, ID + "country/BH", ILRS + "partnerStatus") == set()
    (reason,) = values(store, ID + "country/BH", ILRS + "statusReason")
    assert "An agreement on the ILRS was not explicitly stated." in reason


def test_stated_targets_in_001_and_004() -> None:
    for source_id in ("001", "004"):
        store = source_store(source_id)
        for kind, value in (("countries", "50"), ("research-institutions", "500"), ("researchers", "5000")):
            node = f"{ID}target/{source_id}-{kind}"
            assert values(store, node, RDF_TYPE) == {ILRS + "StatedTarget"}
            assert values(store, node, ILRS + "countValue") == {value}
            assert values(store, node, ILRS + "counts") == {f"{ID}counted/{kind}"}


# --- a source graph holds only what its article states -------------------------------------------

CURATED_TRIG = DATA / "curated.trig"
CURATED_GRAPH = BASE + "graph/curated"
#: Kinds of named things, whose labels are names: each must be a name the article itself uses.
NAMED_KINDS = {"agency", "organization", "person", "program", "mission", "place", "country"}


def _as_written(text: str) -> str:
    """Text compared as a reader sees it: spacing, apostrophes, stray spaces before hyphens and case ignored."""
    text = normalize(text).replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+-", "-", text).casefold()


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_every_name_in_a_source_graph_is_one_its_article_uses(source_id: str, shared_dir: Path) -> None:
    (article,) = (shared_dir / "sources").glob(f"{source_id}_*.txt")
    text = _as_written(article.read_text(encoding="utf-8"))
    for quad in source_store(source_id):
        kind = quad.subject.value.removeprefix(ID).partition("/")[0]
        if quad.predicate.value in (RDFS_LABEL, SKOS_ALT) and kind in NAMED_KINDS:
            assert _as_written(quad.object.value) in text, (source_id, quad.subject.value, quad.object.value)


def test_names_no_article_uses_live_in_the_curated_graph() -> None:
    curated = load(CURATED_TRIG)
    assert {q.graph_name for q in curated} == {ox.NamedNode(CURATED_GRAPH)}
    assert values(curated, ID + "agency/nasa", RDFS_LABEL) == {"National Aeronautics and Space Administration"}
    assert values(curated, ID + "mission/change-7", RDFS_LABEL) == {"嫦娥七号"}
    assert values(curated, ID + "mission/luna-25", RDFS_LABEL) == {"Луна-25"}
    for source_id in SOURCE_IDS:
        store = source_store(source_id)
        assert not [q for q in store if isinstance(q.object, ox.Literal) and q.object.language in ("zh", "ru")]
        assert values(store, ID + "agency/nasa", RDFS_LABEL) == set()
    # Each article's own spelling is kept in its graph, for a reader who searches for it.
    assert values(source_store("001"), ID + "country/TR", SKOS_ALT) == {"Turkey"}
    assert values(source_store("004"), ID + "country/US", SKOS_ALT) == {"U.S."}
    assert values(source_store("002"), ID + "agency/roscosmos", SKOS_ALT) >= {"ROSCOMOS"}


def test_the_curated_graph_is_attributed_to_the_editors() -> None:
    store = load(SOURCES_TRIG)
    editors = ID + "organization/ilrs-editors"
    assert values(store, CURATED_GRAPH, "http://www.w3.org/ns/prov#wasAttributedTo") == {editors}
    countries = BASE + "graph/reference/countries"
    assert values(store, countries, DCT + "source") == {"https://pypi.org/project/pycountry/"}
