"""CalciKG: a clinical knowledge graph of calcinosis cutis.

The library is a chain of small stages, each in its own module:

- :mod:`calcikg.records`  load and check the curated YAML records (``kg/records/``)
- :mod:`calcikg.terms`    resolve labels, synonyms and CURIEs against the ontology
- :mod:`calcikg.graph`    records + ontology + mappings -> one RDF graph
- :mod:`calcikg.release`  deterministic, atomic writing of the released files
- :mod:`calcikg.validate` SHACL shapes and the HermiT consistency check
- :mod:`calcikg.query`    stored SPARQL queries, embedded or on an endpoint
- :mod:`calcikg.serve`    a read-only Oxigraph SPARQL server
- :mod:`calcikg.export`   other formats (SSSOM, N-Triples, ...)

:mod:`calcikg.cli` is a thin command line over them.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
