"""Namespaces and the project's CURIE converter (see docs/model.md)."""

from __future__ import annotations

import curies
from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

CKG = Namespace("https://w3id.org/calcikg/")
CKD = Namespace("https://w3id.org/calcikg/data/")
FABIO = Namespace("http://purl.org/spar/fabio/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
PROV = Namespace("http://www.w3.org/ns/prov#")
OBO = Namespace("http://purl.obolibrary.org/obo/")
OBOINOWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")

ONTOLOGY_IRI = "https://w3id.org/calcikg/calcikg.owl"
DATA_GRAPH_IRI = "https://w3id.org/calcikg/data/calcikg-kg"

#: Prefixes bound in every file the project writes and accepted in CURIEs.
PREFIXES: dict[str, str] = {
    "ckg": str(CKG),
    "ckd": str(CKD),
    "fabio": str(FABIO),
    "bibo": str(BIBO),
    "prov": str(PROV),
    "obo": str(OBO),
    "oboInOwl": str(OBOINOWL),
    "dcterms": str(DCTERMS),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "xsd": str(XSD),
    "sctid": "http://snomed.info/id/",
}

converter = curies.Converter.from_prefix_map(PREFIXES)
