"""The quote audit: every quote of the source graphs is restated by structured triples, and the table says so."""

from __future__ import annotations

import subprocess
import sys

import pytest
from checkout import PROJECT_ROOT

from ilrs.graph.loader import build_store
from ilrs.graph.quotes import Quote, audit
from ilrs.graph.settings import get_settings
from ilrs.graph.store import memory_store

ID = "https://w3id.org/ilrs/id/"
ILRS = "https://w3id.org/ilrs/ontology#"
SCRIPT = PROJECT_ROOT / "graph" / "scripts" / "build_quotes_table.py"

#: The two sentences of 004 that the model cannot state yet: MoUs with unnamed, uncounted parties, and the
#: article's own inference of a delay. They stay in the table's "Not restated" list until it can.
KNOWN_GAPS = {
    ("004", "program/ilrs", "Meanwhile a series of universities, companies, institutes and regional organizations"),
    ("004", "program/ilrs", "The continued diplomatic push does suggest a delay to earlier plans"),
}


@pytest.fixture(scope="module")
def quotes() -> list[Quote]:
    return audit(build_store(get_settings(), derived=False).quads())


def restating(quotes: list[Quote], subject: str, start: str) -> set[tuple[str, str]]:
    (quote,) = [q for q in quotes if q.subject == ID + subject and q.text.startswith(start)]
    return {
        (t.predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1], t.object.value.removeprefix(ID))
        for t in quote.restated_by
    }


def test_every_quote_is_restated_but_the_known_gaps(quotes: list[Quote]) -> None:
    assert len(quotes) > 100
    missing = [(q.graph[-3:], q.subject.removeprefix(ID), q.text) for q in quotes if not q.restated]
    assert len(missing) == len(KNOWN_GAPS), missing
    for source, subject, start in KNOWN_GAPS:
        assert any(m[:2] == (source, subject) and m[2].startswith(start) for m in missing), start


def test_the_issue_examples_are_restated(quotes: list[Quote]) -> None:
    apsco = restating(quotes, "agreement/cnsa-apsco-joint-statement-2023", "The two parties will conduct")
    assert {("cooperationStage", "activity/demonstration"), ("cooperationField", "activity/data-analysis"),
            ("cooperationField", "activity/education-and-training")} <= apsco  # fmt: skip
    stages = restating(quotes, "agreement/cnsa-roscosmos-joint-statement-2021", "ILRS will be open")
    assert {("cooperationStage", f"activity/{s}") for s in ("planning", "substantiating", "operation")} <= stages
    assert ("supports", "activity/crewed-lunar-landing") in restating(quotes, "mission/queqiao-2", "The Queqiao-2")
    assert ("aim", "activity/isru-testing") in restating(quotes, "mission/change-8", "China is preparing a pair")
    assert ("preparedBy", "organization/lunar-exploration-and-space-program-center") in restating(
        quotes, "organization/ilrsco", "The preparation work"
    )
    assert ("deadline", "2023") in restating(quotes, "goal/004-ilrsco-establishment", "Chinese officials")
    assert {("countValue", "5"), ("counts", "counted/missions"), ("aim", "activity/power-supply")} <= restating(
        quotes, "target/004-base-missions", "China aims to construct"
    )
    assert {("deadline", "2030"), ("goal", "activity/crewed-lunar-landing")} <= restating(
        quotes, "goal/004-crewed-lunar-landing", "China also aims"
    )
    assert ("date", "--07-20") in restating(quotes, "event/international-moon-day", "ahead of International Moon Day")


def test_a_quote_that_nothing_restates_is_flagged() -> None:
    store = memory_store()
    trig = f"""
        GRAPH <https://w3id.org/ilrs/graph/source/900> {{
          <{ID}agreement/x> a <{ILRS}Agreement> ; <{ILRS}quote> "Utopia signed with Atlantis in 2030." .
          <{ID}agreement/y> a <{ILRS}Agreement> ; <{ILRS}quote> "Utopia signed with Atlantis." ;
              <{ILRS}party> <{ID}country/AQ> .
        }}
        GRAPH <https://w3id.org/ilrs/graph/curated> {{
          <{ID}country/AQ> <http://www.w3.org/2000/01/rdf-schema#label> "Atlantis"@en .
        }}"""
    store.load(trig.encode(), "application/trig")
    found = {q.subject.rsplit("/", 1)[1]: q for q in audit(store.quads())}
    assert not found["x"].restated  # typed, but nothing it says is a triple
    assert [str(t.object.value) for t in found["y"].restated_by] == [f"{ID}country/AQ"]  # named in the quote
    dated = f'<{ID}agreement/x> <http://purl.org/dc/terms/date> "2030"^^<http://www.w3.org/2001/XMLSchema#gYear>'
    store.load(f"GRAPH <https://w3id.org/ilrs/graph/source/900> {{ {dated} }}".encode(), "application/trig")
    assert next(q for q in audit(store.quads()) if q.subject.endswith("/x")).restated


def test_the_table_in_docs_is_current() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr
    table = (PROJECT_ROOT / "docs" / "quotes.md").read_text(encoding="utf-8")
    assert "`goal:004-crewed-lunar-landing` | “China also aims to send astronauts to the moon before 2030.”" in table
    assert table.count("| “") == sum(1 for _ in table.splitlines() if _.startswith("| `"))
