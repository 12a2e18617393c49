"""IRIs as plain strings and the project's CURIE converter, without importing rdflib.

The query path (``calcikg query``) uses only this module, so that a cold query stays fast;
:mod:`calcikg.namespaces` builds rdflib namespaces from the same strings for the build.
"""

from __future__ import annotations

from functools import lru_cache

CKG = "https://w3id.org/calcikg/"
CKD = "https://w3id.org/calcikg/data/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_SUBCLASS_OF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
EXACT_SYNONYM = "http://www.geneontology.org/formats/oboInOwl#hasExactSynonym"

#: Prefixes bound in every file the project writes and accepted in CURIEs.
PREFIXES: dict[str, str] = {
    "ckg": CKG,
    "ckd": CKD,
    "ckgsh": "https://w3id.org/calcikg/shapes/",
    "fabio": "http://purl.org/spar/fabio/",
    "bibo": "http://purl.org/ontology/bibo/",
    "prov": "http://www.w3.org/ns/prov#",
    "obo": "http://purl.obolibrary.org/obo/",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
    "dcterms": "http://purl.org/dc/terms/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sctid": "http://snomed.info/id/",
}



@lru_cache(maxsize=1)
def converter():
    """The project's ``curies`` converter (imported on first use: it costs ~0.25 s through pydantic)."""
    import curies

    return curies.Converter.from_prefix_map(PREFIXES)


_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def compress(iri: str) -> str:
    """``https://w3id.org/calcikg/data/x`` -> ``ckd:x``; an IRI of no known prefix comes back as is.

    The rule of ``curies.Converter.compress(iri, passthrough=True)`` for this prefix map (the
    longest matching namespace wins; tests check both agree on every IRI of the graph), without
    importing curies on the cold query path.
    """
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def expand(curie: str) -> str | None:
    """``ckg:Pamidronate`` -> its IRI, through curies; ``None`` when it is not a known CURIE."""
    try:
        return converter().expand(curie)
    except ValueError:
        return None
