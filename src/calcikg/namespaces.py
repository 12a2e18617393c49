"""rdflib namespaces for the build (see docs/model.md); the strings live in :mod:`calcikg.prefixes`."""

from __future__ import annotations

from rdflib import Namespace

from calcikg.prefixes import CKD as _CKD
from calcikg.prefixes import CKG as _CKG
from calcikg.prefixes import PREFIXES

CKG = Namespace(_CKG)
CKD = Namespace(_CKD)
FABIO = Namespace(PREFIXES["fabio"])
BIBO = Namespace(PREFIXES["bibo"])
PROV = Namespace(PREFIXES["prov"])
OBO = Namespace(PREFIXES["obo"])
OBOINOWL = Namespace(PREFIXES["oboInOwl"])

ONTOLOGY_IRI = "https://w3id.org/calcikg/calcikg.owl"
DATA_GRAPH_IRI = "https://w3id.org/calcikg/data/calcikg-kg"

__all__ = ["BIBO", "CKD", "CKG", "DATA_GRAPH_IRI", "FABIO", "OBO", "OBOINOWL", "ONTOLOGY_IRI", "PREFIXES",
           "PROV"]
