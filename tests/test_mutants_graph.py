"""Stage 2 (build graph) pinned down: the words the builder writes (quantities, doses, report
labels), the triples it emits for each record field, and the record errors it raises.

Written to kill the mutants mutmut makes of ``calcikg/graph.py`` (``make mutation``). The first
test is the strongest: the builder, run on the committed records, must give exactly the committed
instance graph (``kg/calcikg-data.ttl``): every released triple comes from the builder and nothing
else does.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from calcikg import paths
from calcikg.errors import RecordError
from calcikg.graph import (TripleSet, build_data, dose_text, locator_text, quantity_text, record_triples,
                           report_label)
from calcikg.namespaces import CKD, CKG, DATA_GRAPH_IRI, ONTOLOGY_IRI, PROV
from calcikg.records import load_record, load_records
from test_mutants_records import MINIMAL, _write


def _ontology_terms():
    from calcikg.build import load_ontology
    from calcikg.mappings import mapping_triples
    from calcikg.terms import TermIndex

    g = load_ontology()
    g += mapping_triples()
    return TermIndex.from_graph(g)


def _canonical(triples) -> set:
    """Triples with decimals compared by value (the release writes ``2.0`` for the builder's ``2``)."""
    out = set()
    for s, p, o in triples:
        if isinstance(o, Literal) and o.datatype == XSD.decimal:
            o = ("decimal", Decimal(str(o)).normalize())
        out.add((s, p, o))
    return out


# Made once, at import: mutmut runs each mutant in a process forked from one that has imported this
# module, so the ontology, the records and the released graph are not read again for every mutant.
TERMS = _ontology_terms()
RECORDS = load_records()
RELEASED = _canonical(Graph().parse(paths.ROOT / "kg" / "calcikg-data.ttl", format="turtle"))


@pytest.fixture(scope="module")
def terms():
    return TERMS


def test_the_committed_records_build_exactly_the_released_instance_graph(terms):
    """Record by record (into plain sets, as the corpus pipeline builds), plus the graph's header."""
    built_set = _canonical(set().union(*(record_triples(r, terms) for r in RECORDS)))
    released_set = {t for t in RELEASED if t[0] != URIRef(DATA_GRAPH_IRI)}
    missing, extra = sorted(released_set - built_set)[:5], sorted(built_set - released_set)[:5]
    assert not missing and not extra, f"released but not built: {missing}; built but not released: {extra}"


def test_build_data_header_and_origins(tmp_path, terms):
    path = _write(tmp_path, MINIMAL)
    origins: dict = {}
    g = build_data([load_record(path)], terms, origins)
    header = URIRef(DATA_GRAPH_IRI)
    assert set(g.predicate_objects(header)) == {
        (RDF.type, OWL.Ontology), (OWL.imports, URIRef(ONTOLOGY_IRI)),
        (URIRef("http://purl.org/dc/terms/title"), Literal("CalciKG populated graph: calcinosis cutis case reports")),
        (URIRef("http://purl.org/dc/terms/license"), URIRef("https://creativecommons.org/licenses/by/4.0/")),
    }
    assert origins[CKD["testrec2020"]] == (str(path), 2)
    assert origins[CKD["testrec2020-ref1"]] == (str(path), 13)
    assert origins[CKD["testrec2020-case1"]] == (str(path), 19)
    assert origins[CKD["testrec2020-case1-dx1"]] == (str(path), 22)
    assert origins[CKD["testrec2020-case1-evidence"]] == (str(path), 24)  # its mapping's first line


def test_record_triples_are_the_build_without_the_header(tmp_path, terms):
    record = load_record(_write(tmp_path, MINIMAL))
    origins: dict = {}
    triples = record_triples(record, terms, origins)
    g = build_data([record], terms)
    assert triples == set(g) - set(g.triples((URIRef(DATA_GRAPH_IRI), None, None)))
    assert origins[CKD["testrec2020-case1"]][1] == 19


def test_minimal_record_triples(tmp_path, terms):
    g = build_data([load_record(_write(tmp_path, MINIMAL))], terms)
    report, ref, case = CKD["testrec2020"], CKD["testrec2020-ref1"], CKD["testrec2020-case1"]
    ev = CKD["testrec2020-case1-evidence"]
    types = set(g.objects(report, RDF.type))
    assert {OWL.NamedIndividual, CKG.CuratedReport} < types and len(types) == 3  # and its publication kind
    assert g.value(report, RDFS.label) == Literal("Ann Example et al. 2020")
    assert g.value(report, CKG.authorList) == Literal("Ann Example B; Other Person")
    assert g.value(report, URIRef("http://purl.org/spar/fabio/hasPublicationYear")) == Literal("2020", datatype=XSD.gYear)
    assert g.value(report, CKG.curationExtent) == CKG.FullTextCurated
    assert g.value(report, CKG.url) == Literal("https://example.org/case")
    assert g.value(report, CKG.sourceFile) is None and g.value(report, CKG.referenceNumber) is None
    assert CKG.Publication in set(g.objects(ref, RDF.type)) and CKG.CuratedReport not in set(g.objects(ref, RDF.type))
    assert g.value(ref, RDFS.label) == Literal("Ann Example et al. 2020, ref. 1 (Someone Else 1999)")
    assert g.value(ref, CKG.referenceNumber) == Literal(1, datatype=XSD.integer)
    assert g.value(ref, CKG.inReferenceListOf) == report
    assert g.value(ref, CKG.curationExtent) is None
    assert set(g.objects(case, RDF.type)) == {CKG.PatientCase, OWL.NamedIndividual}
    assert g.value(case, RDFS.label) == Literal("case 1 of Ann Example et al. 2020")
    assert g.value(case, CKG.describedIn) == report
    assert g.value(case, CKG.caseNumber) == Literal(1, datatype=XSD.integer)
    assert g.value(case, CKG.sex) == CKG.Female
    assert g.value(case, CKG.ageAtPresentation) is None
    dx = g.value(case, CKG.hasDiagnosis)
    assert dx == CKD["testrec2020-case1-dx1"]
    assert g.value(dx, CKG.diagnosisRole) is None and g.value(dx, CKG.certainty) is None
    assert (g.value(dx, CKG.condition), RDF.type, OWL.NamedIndividual) in g  # punned class
    assert g.value(case, CKG.hasEvidence) == ev
    assert g.value(ev, CKG.locator) == Literal("Case, paragraph 2")
    assert g.value(ev, CKG.section) == Literal("Case")
    assert g.value(ev, CKG.paragraph) == Literal(2, datatype=XSD.integer)
    assert g.value(ev, CKG.evidenceKind) == CKG.OwnPatientObservation
    assert g.value(ev, CKG.evidenceLevel) == CKG.LevelC
    assert g.value(ev, PROV.wasDerivedFrom) == report
    assert g.value(ev, CKG.curatorSummary) == Literal("A woman had calcinosis.")
    assert g.value(ev, CKG.direction) is None


# -- words ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("where,text", [
    ({"section": "Case 3", "paragraph": 2}, "Case 3, paragraph 2"),
    ({"section": "Discussion"}, "Discussion"),
])
def test_locator_text(where, text):
    assert locator_text(where) == text


@pytest.mark.parametrize("q,unit,text", [
    ({"value": 30}, "mg/day", "30 mg/day"),
    ({"value": 2.50}, "mg", "2.5 mg"),
    ({"value": 1}, "year", "1 year"),
    ({"value": 3}, "year", "3 years"),
    ({"value": 2}, "month", "2 months"),
    ({"value": 2}, "week", "2 weeks"),
    ({"value": 5}, "day", "5 days"),
    ({"value": 1}, "patients", "1 patient"),
    ({"value": 4}, "patients", "4 patients"),
    ({"min": 2, "max": 4}, "mg/kg/day", "2-4 mg/kg/day"),
    ({"min": 5}, "month", "at least 5 months"),
    ({"max": 1}, "year", "up to 1 year"),
    ({"max": 10}, "mg", "up to 10 mg"),
    ({"min": 1}, "year", "at least 1 year"),
    ({"min": 0.5, "max": 1}, "year", "0.5-1 years"),
    ({"max": 1}, "patients", "up to 1 patient"),
    ({"value": 100}, "", "100"),
    ({"value": 1e3}, "mg", "1000 mg"),
    ({}, "mg", ""),
])
def test_quantity_text(q, unit, text):
    assert quantity_text(q, unit) == text


@pytest.mark.parametrize("dose,unit,duration,text", [
    ({"value": 30}, "mg/day", "", "30 mg/day"),
    ({"value": 30, "frequency": "daily"}, "mg", "3 months", "30 mg, daily, for 3 months"),
    ({"value": 30, "note": "tapered"}, "mg", "", "30 mg (tapered)"),
    ({"note": "as needed"}, "", "", "as needed"),
    ({"frequency": "weekly"}, "", "6 weeks", "weekly, for 6 weeks"),
])
def test_dose_text(dose, unit, duration, text):
    assert dose_text(dose, unit, duration) == text


@pytest.mark.parametrize("report,label", [
    ({"authors": ["Ann Example"], "year": 2020}, "Ann Example 2020"),
    ({"authors": ["Marco Puche M"], "year": 2019}, "Marco Puche 2019"),
    ({"authors": ["Marco Puche M.J."], "year": 2019}, "Marco Puche 2019"),
    ({"authors": ["Puche"], "year": 2019}, "Puche 2019"),
    ({"authors": ["Ann Example", "B C"], "year": 2020}, "Ann Example et al. 2020"),
    ({"authors": ["Ann Example"], "et_al": True}, "Ann Example et al. n.d."),
    ({"authors": ["Ann Example"], "et_al": False, "year": 2001}, "Ann Example 2001"),
    ({"authors": ["Ann de la Example"], "year": 2001}, "Ann de la Example 2001"),
])
def test_report_label(report, label):
    assert report_label(report) == label


def test_triple_set_answers_like_a_graph():
    s = TripleSet()
    s.add((1, 2, 3))
    s.add((1, 2, 4))
    assert s == {(1, 2, 3), (1, 2, 4)}
    assert s.value(1, 2) == 3  # the first value added
    assert s.value(1, 5) is None and s.value(1, 5, default="d") == "d"


# -- every field of a case ---------------------------------------------------------------------------
RICH_CASE = """\
cases:
  - number: 1
    sex: female
    age_at_presentation: {value: 12, unit: year}
    age_at_onset: {min: 2, max: 4, unit: year, note: roughly}
    diagnoses:
      - condition: scrotal calcinosis
        certainty: suspected
        note: a note
      - condition: juvenile dermatomyositis
        role: underlying
    sites:
      - site: scrotum
        laterality: left
        note: site note
    findings:
      - type: lesion enlargement
        result: elevated
        value: {value: 5, unit: mg}
        site: scrotum
        note: finding note
        where: {section: Results, paragraph: 3}
    episodes:
      - number: 1
        intervention: surgical excision
        calcinosis_outcome: complete regression
        disease_outcome: complete regression
        outcome_note: gone
        stop_reason: done
        frequency: once
        duration: {value: 1, unit: day}
        hedged: true
        concomitant: [surgical excision]
        doses:
          - {value: 2, unit: mg, frequency: daily, duration: {value: 3, unit: month}}
          - {min: 1, unit: mg, note: later}
        combined_with: [2]
        evidence: {summary: A treatment was given., cites: [1]}
      - number: 2
        intervention: surgical excision
        evidence: {summary: Another treatment., where: {section: Course}, level: B}
    evidence:
      where: {section: Case, paragraph: 2}
      summary: A woman had calcinosis.
statements: []
"""


def _built(tmp_path, terms, text: str, old: str, new: str):
    """The graph of record ``text`` with its first ``old`` replaced by ``new`` (which must be there)."""
    if old:
        assert old in text, old
        text = text.replace(old, new, 1)
    return build_data([load_record(_write(tmp_path, text))], terms)


def _rich(tmp_path, terms, old: str = "", new: str = ""):
    return _built(tmp_path, terms, MINIMAL[:MINIMAL.index("cases:")] + RICH_CASE, old, new)


def test_every_case_field_reaches_the_graph(tmp_path, terms):
    g = _rich(tmp_path, terms)
    c = CKD["testrec2020-case1"]
    age = g.value(c, CKG.ageAtPresentation)
    assert age == CKD["testrec2020-case1-age"] and CKG.Age in set(g.objects(age, RDF.type))
    assert g.value(age, CKG.numericValue) == Literal(Decimal("12"), datatype=XSD.decimal)
    assert g.value(age, RDFS.label) == Literal("12 years")
    assert g.value(age, CKG.unit) == CKG.Year
    onset = g.value(c, CKG.ageAtOnset)
    assert onset == CKD["testrec2020-case1-onset-age"]
    assert g.value(onset, CKG.minValue) == Literal(Decimal("2"), datatype=XSD.decimal)
    assert g.value(onset, CKG.maxValue) == Literal(Decimal("4"), datatype=XSD.decimal)
    assert g.value(onset, CKG.numericValue) is None
    assert g.value(onset, RDFS.comment) == Literal("roughly") and g.value(onset, RDFS.label) == Literal("2-4 years")
    dx1, dx2 = CKD["testrec2020-case1-dx1"], CKD["testrec2020-case1-dx2"]
    assert set(g.objects(c, CKG.hasDiagnosis)) == {dx1, dx2}
    assert g.value(dx1, CKG.certainty) == CKG.Suspected and g.value(dx1, RDFS.comment) == Literal("a note")
    assert g.value(dx2, CKG.diagnosisRole) == CKG.UnderlyingCondition
    site = g.value(c, CKG.hasLesionSite)
    assert site == CKD["testrec2020-case1-site1"]
    assert g.value(site, CKG.laterality) == CKG.Left and g.value(site, RDFS.comment) == Literal("site note")
    assert g.value(site, CKG.site) is not None
    f = g.value(c, CKG.hasFinding)
    assert f == CKD["testrec2020-case1-f1"]
    assert g.value(f, CKG.interpretation) == CKG.Elevated
    assert g.value(f, CKG.site) == g.value(site, CKG.site)
    assert g.value(f, CKG.locator) == Literal("Results, paragraph 3")
    assert g.value(f, RDFS.comment) == Literal("finding note")
    assert g.value(g.value(f, CKG.measuredValue), RDFS.label) == Literal("5 mg")
    assert g.value(f, CKG.measuredValue) == CKD["testrec2020-case1-f1-value"]


def test_every_episode_field_reaches_the_graph(tmp_path, terms):
    g = _rich(tmp_path, terms)
    c, e, e2 = CKD["testrec2020-case1"], CKD["testrec2020-case1-ep1"], CKD["testrec2020-case1-ep2"]
    assert set(g.objects(e, RDF.type)) == {CKG.TreatmentEpisode, OWL.NamedIndividual}
    assert g.value(e, CKG.ofCase) == c and g.value(e, CKG.episodeNumber) == Literal(1, datatype=XSD.integer)
    assert g.value(e, CKG.combinedWith) == e2 and g.value(e2, CKG.combinedWith) is None
    assert g.value(e, CKG.hedged) == Literal(True) and g.value(e2, CKG.hedged) is None
    assert g.value(e, RDFS.label) == Literal("surgical excision, episode 1 of case 1 of Ann Example et al. 2020")
    assert g.value(e, CKG.outcomeNote) == Literal("gone") and g.value(e, CKG.stopReason) == Literal("done")
    assert g.value(e, CKG.frequency) == Literal("once")
    assert g.value(g.value(e, CKG.duration), RDFS.label) == Literal("1 day")
    assert g.value(e, CKG.duration) == CKD["testrec2020-case1-ep1-duration"]
    assert g.value(e, CKG.calcinosisOutcome) is not None and g.value(e, CKG.diseaseOutcome) is not None
    assert g.value(e, CKG.concomitantTreatment) == g.value(e, CKG.intervention)
    assert g.value(e2, CKG.calcinosisOutcome) is None
    d1, d2 = CKD["testrec2020-case1-ep1-dose1"], CKD["testrec2020-case1-ep1-dose2"]
    assert set(g.objects(e, CKG.hasDose)) == {d1, d2}
    assert CKG.Dose in set(g.objects(d1, RDF.type))
    assert g.value(d1, CKG.phase) == Literal(1, datatype=XSD.integer)
    assert g.value(d2, CKG.phase) == Literal(2, datatype=XSD.integer)
    assert g.value(d1, CKG.frequency) == Literal("daily")
    assert g.value(d1, CKG.duration) == CKD["testrec2020-case1-ep1-dose1-duration"]
    assert g.value(d2, RDFS.comment) == Literal("later")
    assert g.value(e, CKG.doseSummary) == Literal("2 mg, daily, for 3 months; then at least 1 mg (later)")
    ev, ev2 = g.value(e, CKG.hasEvidence), g.value(e2, CKG.hasEvidence)
    assert ev == CKD["testrec2020-case1-ep1-evidence"]
    assert g.value(ev, CKG.locator) == Literal("Case, paragraph 2")  # the case's place by default
    assert g.value(ev, PROV.hadPrimarySource) == CKD["testrec2020-ref1"]
    assert g.value(ev, CKG.evidenceKind) == CKG.CitedLiteratureClaim
    assert g.value(ev, CKG.direction) == CKG.Supports  # a favourable outcome
    assert g.value(ev2, CKG.locator) == Literal("Course") and g.value(ev2, CKG.paragraph) is None
    assert g.value(ev2, CKG.evidenceLevel) == CKG.LevelB and g.value(ev2, CKG.direction) is None
    assert g.value(ev2, CKG.evidenceKind) == CKG.OwnPatientObservation


def test_an_unfavourable_outcome_does_not_support(tmp_path, terms):
    g = _rich(tmp_path, terms, "calcinosis_outcome: complete regression", "calcinosis_outcome: worsening")
    assert g.value(CKD["testrec2020-case1-ep1-evidence"], CKG.direction) == CKG.DoesNotSupport


def test_without_a_case_place_the_evidence_says_the_case_number(tmp_path, terms):
    g = _rich(tmp_path, terms, "      where: {section: Case, paragraph: 2}\n      summary: A woman", "      summary: A woman")
    assert g.value(CKD["testrec2020-case1-evidence"], CKG.locator) == Literal("Case 1")
    assert g.value(CKD["testrec2020-case1-ep1-evidence"], CKG.locator) == Literal("Case 1")


# -- statements --------------------------------------------------------------------------------------
STATEMENTS = """\
statements:
  - id: tx
    kind: treatment
    intervention: surgical excision
    calcinosis_outcome: worsening
    population:
      patients: 2
      conditions: [juvenile dermatomyositis]
      sex: mixed
      age: {min: 10, max: 12, unit: year}
      note: pop note
      cases: [1]
    evidence: {where: {section: Discussion, paragraph: 4}, kind: author statement, summary: Authors say so here.}
  - id: as
    kind: association
    calcinosis: calcinosis cutis
    condition: juvenile dermatomyositis
    hedged: true
    note: st note
    evidence: {where: {section: Discussion}, cites: [1], level: A, summary: A cited claim here.}
  - id: co
    kind: cohort
    measure: number of patients
    value: {value: 1, unit: patients}
    about: juvenile dermatomyositis
    calcinosis_outcome: worsening
    cases: [1]
    evidence: {where: {section: Results}, kind: own patient observation, summary: A count of patients.}
"""


def _statements(tmp_path, terms, old: str = "", new: str = ""):
    return _built(tmp_path, terms, MINIMAL.replace("statements: []\n", STATEMENTS), old, new)


def test_statements_reach_the_graph(tmp_path, terms):
    g = _statements(tmp_path, terms)
    tx, as_, co = CKD["testrec2020-tx"], CKD["testrec2020-as"], CKD["testrec2020-co"]
    assert CKG.TreatmentClaim in set(g.objects(tx, RDF.type))
    assert CKG.AssociationStatement in set(g.objects(as_, RDF.type))
    assert CKG.CohortStatement in set(g.objects(co, RDF.type))
    pop = g.value(tx, CKG.population)
    assert pop == CKD["testrec2020-tx-population"] and CKG.Population in set(g.objects(pop, RDF.type))
    assert g.value(pop, CKG.numberOfPatients) == Literal(2, datatype=XSD.integer)
    assert g.value(pop, CKG.sex) == CKG.FemaleAndMale
    assert g.value(pop, RDFS.comment) == Literal("pop note")
    assert g.value(pop, CKG.populationCondition) is not None
    assert g.value(g.value(pop, CKG.age), RDFS.label) == Literal("10-12 years")
    assert g.value(pop, RDFS.label) == Literal(
        "case 1 of Ann Example et al. 2020 with juvenile dermatomyositis, aged 10-12 years, female and male "
        "(Ann Example et al. 2020, statement tx)")
    assert g.value(tx, CKG.aboutCase) == CKD["testrec2020-case1"]
    assert g.value(tx, RDFS.label) == Literal("surgical excision (Ann Example et al. 2020, statement tx)")
    tx_ev = g.value(tx, CKG.hasEvidence)
    assert tx_ev == CKD["testrec2020-tx-evidence"]
    assert g.value(tx_ev, CKG.direction) == CKG.DoesNotSupport
    assert g.value(tx_ev, CKG.evidenceLevel) == CKG.LevelE  # an author statement's default
    assert g.value(tx_ev, CKG.locator) == Literal("Discussion, paragraph 4")
    assert g.value(as_, CKG.calcinosisType) is not None and g.value(as_, CKG.associatedCondition) is not None
    assert g.value(as_, CKG.hedged) == Literal(True) and g.value(as_, RDFS.comment) == Literal("st note")
    assert str(g.value(as_, RDFS.label)).endswith(" (Ann Example et al. 2020, statement as)")
    assert " with juvenile dermatomyositis (" in str(g.value(as_, RDFS.label))
    as_ev = g.value(as_, CKG.hasEvidence)
    assert g.value(as_ev, CKG.evidenceKind) == CKG.CitedLiteratureClaim
    assert g.value(as_ev, CKG.evidenceLevel) == CKG.LevelA and g.value(as_ev, CKG.direction) == CKG.Supports
    assert g.value(co, CKG.cohortOf) == CKD["testrec2020"]
    assert g.value(co, CKG.cohortMeasure) is not None and g.value(co, CKG.aboutTerm) is not None
    assert g.value(co, CKG.calcinosisOutcome) is not None
    assert g.value(g.value(co, CKG.statedValue), RDFS.label) == Literal("1 patient")
    assert g.value(co, CKG.statedValue) == CKD["testrec2020-co-value"]
    assert g.value(co, CKG.aboutCase) == CKD["testrec2020-case1"]
    assert g.value(g.value(co, CKG.hasEvidence), CKG.direction) is None
    assert g.value(g.value(co, CKG.hasEvidence), CKG.evidenceLevel) == CKG.LevelC


@pytest.mark.parametrize("old,new,label", [
    ("      cases: [1]\n    evidence: {where: {section: Discussion, paragraph: 4}",
     "    evidence: {where: {section: Discussion, paragraph: 4}",
     "2 patients with juvenile dermatomyositis, aged 10-12 years, female and male"),
    ("      patients: 2\n", "      patients: 1\n", "case 1 of Ann Example et al. 2020 with juvenile"),
    ("      sex: mixed\n", "      sex: male\n", "aged 10-12 years, male ("),
    ("      sex: mixed\n", "", "aged 10-12 years ("),
    ("      conditions: [juvenile dermatomyositis]\n", "", "case 1 of Ann Example et al. 2020, aged"),
])
def test_population_labels(tmp_path, terms, old, new, label):
    g = _statements(tmp_path, terms, old, new)
    assert label in str(g.value(CKD["testrec2020-tx-population"], RDFS.label))


def test_population_of_one_patient_and_of_unknown_size(tmp_path, terms):
    no_cases = ("      cases: [1]\n    evidence: {where: {section: Discussion, paragraph: 4}",
                "    evidence: {where: {section: Discussion, paragraph: 4}")
    g = _statements(tmp_path, terms, *no_cases)
    assert str(g.value(CKD["testrec2020-tx-population"], RDFS.label)).startswith("2 patients with")
    text = MINIMAL.replace("statements: []\n", STATEMENTS).replace(*no_cases).replace("patients: 2", "patients: 1")
    g = build_data([load_record(_write(tmp_path, text))], terms)
    assert str(g.value(CKD["testrec2020-tx-population"], RDFS.label)).startswith("1 patient with")
    text = text.replace("      patients: 1\n", "")
    g = build_data([load_record(_write(tmp_path, text))], terms)
    assert str(g.value(CKD["testrec2020-tx-population"], RDFS.label)).startswith("patients with")
    assert g.value(CKD["testrec2020-tx-population"], CKG.numberOfPatients) is None


def test_an_association_about_a_term_that_is_not_a_calcinosis(tmp_path, terms):
    g = _statements(tmp_path, terms, "    calcinosis: calcinosis cutis\n", "    subject: dermatomyositis\n")
    as_ = CKD["testrec2020-as"]
    assert g.value(as_, CKG.subjectTerm) is not None and g.value(as_, CKG.calcinosisType) is None


# -- record errors the builder raises ---------------------------------------------------------------
def _build_error(tmp_path, terms, text: str) -> RecordError:
    path = _write(tmp_path, text)
    with pytest.raises(RecordError) as err:
        build_data([load_record(path)], terms)
    assert err.value.file == str(path)
    return err.value


@pytest.mark.parametrize("old,new,field,message", [
    ("    evidence: {where: {section: Discussion, paragraph: 4}, kind: author statement, summary: Authors",
     "    evidence: {kind: author statement, summary: Authors",
     "statements[0].evidence", "evidence needs 'where' (section and paragraph of the report)"),
    ("where: {section: Results}, kind: own patient observation,", "where: {section: Results},",
     "statements[2].evidence",
     "evidence needs 'kind' (own patient observation, cited literature claim or author statement)"),
    ("kind: author statement, summary: Authors", "kind: cited literature claim, summary: Authors",
     "statements[0].evidence.kind", "a cited literature claim needs 'cites' (the reference numbers)"),
    ("cites: [1]", "cites: [1, 7]", "statements[1].evidence.cites[1]",
     "reference 7 is not in this report's reference list"),
    ("    cases: [1]\n    evidence: {where: {section: Results}", "    cases: [1, 3]\n    evidence: {where: {section: Results}",
     "statements[2].cases[1]", "this report has no case 3"),
    ("  - id: co\n", "  - id: tx\n", "statements[2].id", "statement id 'tx' appears twice"),
    ("measure: number of patients", "measure: nonsense measure", "statements[2].measure", "nonsense measure"),
])
def test_statement_errors(tmp_path, terms, old, new, field, message):
    text = MINIMAL.replace("statements: []\n", STATEMENTS)
    assert old in text, old
    err = _build_error(tmp_path, terms, text.replace(old, new, 1))
    assert err.field == field
    assert message in err.message


@pytest.mark.parametrize("old,new,field,message", [
    ("        combined_with: [2]\n", "        combined_with: [3]\n", "cases[0].episodes[0].combined_with[0]",
     "case 1 has no other episode 3"),
    ("        combined_with: [2]\n", "        combined_with: [1]\n", "cases[0].episodes[0].combined_with[0]",
     "case 1 has no other episode 1"),
    ("      - number: 2\n", "      - number: 1\n", "cases[0].episodes[0].number", "episode number 1 appears twice in case 1"),
    ("        role: underlying\n", "", "cases[0].diagnoses[1]", "say what this disease is to the calcinosis"),
    ("        certainty: suspected\n", "        role: underlying\n", "cases[0].diagnoses[0].role",
     "a calcinosis type has no role"),
    ("        laterality: left\n", "        laterality: left\n      - site: nowhere at all\n", "cases[0].sites[1].site",
     "nowhere at all"),
])
def test_case_errors(tmp_path, terms, old, new, field, message):
    text = MINIMAL[:MINIMAL.index("cases:")] + RICH_CASE
    assert old in text, old
    err = _build_error(tmp_path, terms, text.replace(old, new, 1))
    assert err.field == field
    assert message in err.message


def test_duplicate_reference_and_case_numbers(tmp_path, terms):
    ref = MINIMAL[MINIMAL.index("  - number: 1\n    authors"):MINIMAL.index("cases:")]
    err = _build_error(tmp_path, terms, MINIMAL.replace("cases:", ref + "cases:"))
    assert (err.field, err.line, err.message) == ("references[1].number", 18, "reference number 1 appears twice")
    case = MINIMAL[MINIMAL.index("  - number: 1\n    sex"):MINIMAL.index("statements:")]
    err = _build_error(tmp_path, terms, MINIMAL.replace("statements:", case + "statements:"))
    assert (err.field, err.message) == ("cases[1].number", "case number 1 appears twice")


def test_an_unknown_term_names_its_field_and_line(tmp_path, terms):
    err = _build_error(tmp_path, terms, MINIMAL.replace("condition: scrotal calcinosis", "condition: scrotl calcinosis"))
    assert (err.field, err.line) == ("cases[0].diagnoses[0].condition", 22)
    assert "scrotl calcinosis" in err.message


# -- causes, and the field an unknown term is reported in -------------------------------------------------
CAUSES = """\
    causes:
      - agent: physical trauma
        hedged: true
        note: after an injury
        evidence: {summary: The calcinosis followed an injury.}
      - agent: physical trauma
        evidence: {summary: A second cause here., where: {section: History, paragraph: 1}}
    diagnoses:
"""


def test_causes_reach_the_graph(tmp_path, terms):
    text = MINIMAL.replace("    diagnoses:\n", CAUSES, 1)
    path = _write(tmp_path, text)
    origins: dict = {}
    g = build_data([load_record(path)], terms, origins)
    c1, c2 = CKD["testrec2020-case1-cause1"], CKD["testrec2020-case1-cause2"]
    assert origins[c1] == (str(path), 22) and origins[c2] == (str(path), 26)
    assert CKG.CauseStatement in set(g.objects(c1, RDF.type)) and g.value(c1, CKG.ofCase) == CKD["testrec2020-case1"]
    assert g.value(c1, CKG.hedged) == Literal(True) and g.value(c1, RDFS.comment) == Literal("after an injury")
    assert g.value(c1, RDFS.label) == Literal("physical trauma as the cause of the calcinosis of case 1 of Ann Example et al. 2020")
    ev1, ev2 = g.value(c1, CKG.hasEvidence), g.value(c2, CKG.hasEvidence)
    assert g.value(ev1, CKG.locator) == Literal("Case 1")  # the case, by default
    assert g.value(ev1, CKG.evidenceKind) == CKG.OwnPatientObservation and g.value(ev1, CKG.direction) == CKG.Supports
    assert g.value(ev2, CKG.locator) == Literal("History, paragraph 1")


@pytest.mark.parametrize("text_of,field", [
    (lambda t: t.replace("    diagnoses:\n", CAUSES, 1).replace("agent: physical trauma", "agent: nonsense agent", 1),
     "cases[0].causes[0].agent"),
    (lambda t: t.replace("  publication_kind: clinical case report", "  publication_kind: nonsense kind"),
     "report.publication_kind"),
    (lambda t: t.replace("    evidence:\n      where: {section: Case", "    findings:\n      - type: lesion enlargement\n"
                         "        site: nonsense site\n    evidence:\n      where: {section: Case"),
     "cases[0].findings[0].site"),
    (lambda t: t.replace("statements: []\n", STATEMENTS).replace("conditions: [juvenile dermatomyositis]",
                                                                   "conditions: [nonsense condition]"),
     "statements[0].population.conditions[0]"),
    (lambda t: t.replace("statements: []\n", STATEMENTS).replace("value: {value: 1, unit: patients}",
                                                                   "value: {value: 1, unit: nonsense unit}"),
     "statements[2].value.unit"),
])
def test_an_unknown_term_is_reported_in_its_own_field(tmp_path, terms, text_of, field):
    err = _build_error(tmp_path, terms, text_of(MINIMAL))
    assert err.field == field and "nonsense" in err.message


def test_a_calcinosis_with_a_role_message(tmp_path, terms):
    text = MINIMAL.replace("      - condition: scrotal calcinosis\n", "      - condition: scrotal calcinosis\n        role: underlying\n")
    err = _build_error(tmp_path, terms, text)
    assert err.message == ("a calcinosis type has no role: 'role' is for a disease (underlying or coexisting); "
                           "remove it")


ONSET = """\
    onset_context:
      during: [surgical excision, nonsense drug]
      note: while tapering
      where: {section: Case, paragraph: 1}
    diagnoses:
"""


@pytest.mark.parametrize("text_of,field", [
    (lambda t: t.replace("    diagnoses:\n", ONSET, 1), "cases[0].onset_context.during[1]"),
    (lambda t: t.replace("    diagnoses:\n", CAUSES, 1).replace("evidence: {summary: The calcinosis",
                                                               "evidence: {kind: cited literature claim, summary: The calcinosis"),
     "cases[0].causes[0].evidence.kind"),
    (lambda t: t.replace("statements: []\n", STATEMENTS).replace("calcinosis: calcinosis cutis", "calcinosis: nonsense calcinosis"),
     "statements[1].calcinosis"),
    (lambda t: t.replace("statements: []\n", STATEMENTS).replace("condition: juvenile dermatomyositis", "condition: nonsense condition"),
     "statements[1].condition"),
    (lambda t: t.replace("statements: []\n", STATEMENTS).replace("about: juvenile dermatomyositis", "about: nonsense term"),
     "statements[2].about"),
    (lambda t: t.replace("statements: []\n", STATEMENTS).replace("age: {min: 10, max: 12, unit: year}",
                                                                   "age: {min: 10, max: 12, unit: nonsense unit}"),
     "statements[0].population.age.unit"),
    (lambda t: t.replace("statements: []\n", STATEMENTS).replace("      cases: [1]\n", "      cases: [4]\n", 1),
     "statements[0].population.cases[0]"),
])
def test_more_errors_name_their_field(tmp_path, terms, text_of, field):
    err = _build_error(tmp_path, terms, text_of(MINIMAL))
    assert err.field == field


def test_origins_of_statements_populations_and_onsets(tmp_path, terms):
    text = MINIMAL.replace("statements: []\n", STATEMENTS).replace("    diagnoses:\n", ONSET.replace(", nonsense drug", ""), 1)
    path = _write(tmp_path, text)
    origins: dict = {}
    g = build_data([load_record(path)], terms, origins)
    assert origins[CKD["testrec2020-tx"]] == (str(path), 31)
    assert origins[CKD["testrec2020-tx-population"]] == (str(path), 36)
    assert origins[CKD["testrec2020-case1-onset"]] == (str(path), 22)
    onset = g.value(CKD["testrec2020-case1"], CKG.onsetContext)
    assert onset == CKD["testrec2020-case1-onset"] and g.value(onset, RDFS.comment) == Literal("while tapering")
    assert g.value(onset, CKG.locator) == Literal("Case, paragraph 1") and g.value(onset, CKG.duringTreatment) is not None
