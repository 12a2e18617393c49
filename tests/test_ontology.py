"""The ontology, checked the way ROBOT's `report` and a reasoner would, and complete for both reports."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter

import pytest
from rdflib import OWL, RDF, RDFS, URIRef
from rdflib.namespace import DCTERMS

from calcikg import paths
from calcikg.namespaces import CKG, OBO, ONTOLOGY_IRI

DEFINITION = OBO.IAO_0000115
ENTITY_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)


def _entities(g, types=ENTITY_TYPES):
    return sorted({s for t in types for s in g.subjects(RDF.type, t) if isinstance(s, URIRef) and str(s).startswith(str(CKG))})


def test_header_has_title_license_and_version(ontology):
    onto = URIRef(ONTOLOGY_IRI)
    for p in (DCTERMS.title, DCTERMS.license, DCTERMS.description, DCTERMS.creator, OWL.versionIRI, OWL.versionInfo):
        assert ontology.value(onto, p) is not None, f"ontology header lacks {p}"


def test_every_entity_has_exactly_one_label(ontology):
    bad = {str(e): len(list(ontology.objects(e, RDFS.label))) for e in _entities(ontology)}
    bad = {e: n for e, n in bad.items() if n != 1}
    assert not bad, f"entities without exactly one rdfs:label: {bad}"


def test_no_two_entities_share_a_label(ontology):
    labels = Counter(str(ontology.value(e, RDFS.label)).casefold() for e in _entities(ontology))
    assert not [lab for lab, n in labels.items() if n > 1]


def test_every_class_and_property_has_a_definition(ontology):
    types = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    missing = [str(e) for e in _entities(ontology, types) if ontology.value(e, DEFINITION) is None]
    assert not missing, f"missing IAO:0000115 definition: {missing}"


def test_exact_synonyms_do_not_clash_with_other_terms(ontology):
    owner = {}
    for e in _entities(ontology):
        owner.setdefault(str(ontology.value(e, RDFS.label)).casefold(), set()).add(e)
    for e, syn in ontology.subject_objects(URIRef("http://www.geneontology.org/formats/oboInOwl#hasExactSynonym")):
        others = owner.get(str(syn).casefold(), set()) - {e}
        assert not others, f"exact synonym {syn!r} of {e} is the label of {others}"


# The reports name these; each must be a class (the completeness rule). Read from the texts.
NAMED_IN_REPORTS = {
    "calcinosis": ["calcinosis cutis", "dystrophic calcinosis cutis", "metastatic calcinosis cutis",
                   "idiopathic calcinosis cutis", "iatrogenic calcinosis cutis", "calciphylaxis",
                   "tumoral calcinosis", "subepidermal calcified nodule", "scrotal calcinosis",
                   "benign calcinosis cutis", "calcinosis universalis",
                   "hyperphosphatemic familial tumoral calcinosis"],
    "condition": ["juvenile dermatomyositis", "dermatomyositis", "systemic sclerosis", "CREST syndrome",
                  "limited cutaneous systemic sclerosis", "systemic lupus erythematosus",
                  "mixed connective tissue disease", "sarcoidosis", "familial hypercholesterolemia",
                  "cutaneous xanthoma", "mycetoma", "myositis ossificans", "osteoma cutis", "neoplasm",
                  "connective tissue disease", "interstitial lung disease"],
    "treatment": ["pamidronate", "bisphosphonate", "diltiazem", "calcium channel blocker", "probenecid",
                  "aluminium hydroxide", "aluminum hydroxide", "sodium thiosulfate", "sodium metabisulfite",
                  "zinc oxide", "colchicine", "warfarin", "infliximab", "rituximab",
                  "intravenous immunoglobulin", "IVIG", "minocycline", "ceftriaxone", "methotrexate",
                  "prednisone", "methylprednisolone", "corticosteroid", "surgical excision", "curettage",
                  "carbon dioxide laser therapy", "CO2 laser", "lithotripsy", "watchful waiting",
                  "non-steroidal anti-inflammatory drug", "TNF-alpha inhibitor"],
}


@pytest.mark.parametrize("kind,name", [(k, n) for k, names in NAMED_IN_REPORTS.items() for n in names])
def test_named_term_exists(terms, kind, name):
    terms.resolve(name, kind)


@pytest.mark.parametrize("child,parent", [
    ("juvenile dermatomyositis", "dermatomyositis"), ("dermatomyositis", "connective tissue disease"),
    ("pamidronate", "bisphosphonate"), ("diltiazem", "calcium channel blocker"),
    ("infliximab", "TNF-alpha inhibitor"), ("prednisone", "corticosteroid"),
    ("methylprednisolone", "corticosteroid"), ("tumoral calcinosis", "calcinosis cutis"),
    ("uremic tumoral calcinosis", "metastatic calcinosis cutis"), ("uremic tumoral calcinosis", "tumoral calcinosis"),
    ("CREST syndrome", "systemic sclerosis"), ("calciphylaxis", "calcinosis cutis"),
])
def test_hierarchy(terms, child, parent):
    c, p = terms.resolve(child, "domain term").iri, terms.resolve(parent, "domain term").iri
    assert p in terms.ancestors(c)


def test_osteomalacia_cutis_is_a_related_synonym_of_osteoma_cutis(ontology, terms):
    oc = URIRef(terms.resolve("osteoma cutis", "condition").iri)
    related = URIRef("http://www.geneontology.org/formats/oboInOwl#hasRelatedSynonym")
    assert "osteomalacia cutis" in {str(s).casefold() for s in ontology.objects(oc, related)}


@pytest.mark.slow
def test_hermit_finds_ontology_and_graph_consistent():
    from calcikg.validate import hermit_problems

    assert hermit_problems(paths.GRAPH_OWL) == []
    assert hermit_problems(paths.ONTOLOGY_RELEASE) == []


@pytest.mark.slow
@pytest.mark.parametrize("owl", [paths.ONTOLOGY_RELEASE, paths.GRAPH_OWL], ids=["ontology", "ontology+graph"])
def test_rdfxml_release_is_owl2_dl(owl):
    if shutil.which("javac") is None:
        pytest.fail("the OWL 2 DL check needs a JDK: run 'make setup'")
    run = subprocess.run([str(paths.ROOT / "tools" / "owl-dl-check" / "run.sh"), str(owl)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "OWL 2 DL profile: in profile" in run.stdout
