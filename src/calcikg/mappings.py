"""External-vocabulary mappings: the SSSOM mapping set (``mappings/calcikg.sssom.tsv``) -> SKOS.

The SSSOM file is the source of truth. For every row the build adds the row's SKOS predicate
(``skos:exactMatch`` only where the row says exact) from the CalciKG class to the external IRI,
plus, for exact and close matches, an ``oboInOwl:hasDbXref`` CURIE so that Protégé shows the code
(broad and related matches get no xref: tools commonly read an xref as an equivalence).
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef

from calcikg import paths
from calcikg.errors import CalciKGError
from calcikg.namespaces import OBOINOWL

#: Only mappings this close also become ``oboInOwl:hasDbXref`` (what Protégé shows as a code).
XREF_PREDICATES = {"skos:exactMatch", "skos:closeMatch"}
SKOS_PREDICATES = {
    "skos:exactMatch", "skos:closeMatch", "skos:broadMatch", "skos:narrowMatch", "skos:relatedMatch",
}


def load_mapping_set(path: Path | None = None):
    """The mapping set as an ``sssom`` MappingSetDataFrame (parsed and checked by sssom-py)."""
    from sssom.parsers import parse_sssom_table  # heavy import: only when the build needs it

    path = path or paths.MAPPINGS
    try:
        return parse_sssom_table(path)
    except Exception as exc:  # sssom-py raises many kinds; all mean "fix the file"
        raise CalciKGError(f"{path}: not a valid SSSOM mapping set ({exc}); run 'sssom validate {path}'") from exc


def mapping_triples(path: Path | None = None) -> Graph:
    """SKOS and hasDbXref triples for every mapping row (an empty graph if there is no mapping set)."""
    path = path or paths.MAPPINGS
    graph = Graph()
    if not path.exists():
        return graph
    msdf = load_mapping_set(path)
    for i, row in enumerate(msdf.df.to_dict("records"), start=1):
        predicate = row["predicate_id"]
        if predicate not in SKOS_PREDICATES:
            raise CalciKGError(f"{path}: mapping row {i}: predicate {predicate!r} is not one of {sorted(SKOS_PREDICATES)}")
        subject = URIRef(msdf.converter.expand_strict(row["subject_id"]))
        obj = URIRef(msdf.converter.expand_strict(row["object_id"]))
        graph.add((subject, URIRef(msdf.converter.expand_strict(predicate)), obj))
        if predicate in XREF_PREDICATES:  # many tools read an xref as "the same thing"
            graph.add((subject, OBOINOWL.hasDbXref, Literal(row["object_id"])))
    return graph
