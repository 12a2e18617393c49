"""JSON-LD: the built graph with CalciKG's published context (``kg/context.jsonld``, also shipped in the
package), so that keys read as plain words (``label``, ``definition``, ``subClassOf``, ``intervention``).

The document is written here, not by a generic compactor, so that it is deterministic (nodes by IRI,
keys by name, values sorted) and exact: a value is written bare only when the context's coercion for
its key gives back the same RDF term; otherwise it is an explicit ``{"@value", "@type"}`` or
``{"@id"}`` object. Its expanded form is the graph (``tests/test_exchange.py`` checks it with pyld).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from calcikg.exchange import Kg
from calcikg.prefixes import PREFIXES, RDF_TYPE, compress

CONTEXT_FILE = Path(__file__).with_name("context.jsonld")
XSD = PREFIXES["xsd"]


@lru_cache(maxsize=1)
def context() -> dict:
    """The published ``@context`` (the file shipped in the package)."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]


def _terms() -> dict[str, tuple[str, str | None]]:
    """Predicate IRI -> (key, coercion: "@id", an XSD datatype IRI, or None)."""
    out: dict[str, tuple[str, str | None]] = {}
    for key, definition in context().items():
        if isinstance(definition, dict):
            iri, coercion = definition["@id"], definition.get("@type")
        elif isinstance(definition, str) and ":" in definition and not definition.startswith("http"):
            iri, coercion = definition, None
        else:
            continue  # keywords, aliases and prefixes
        prefix, local = iri.split(":", 1)
        if coercion and coercion != "@id":
            coercion = PREFIXES[coercion.split(":", 1)[0]] + coercion.split(":", 1)[1]
        out[PREFIXES[prefix] + local] = (key, coercion)
    return out


def _value(term, coercion: str | None):
    """One object in the shortest form that expands back to exactly that RDF term."""
    if type(term).__name__ == "NamedNode":
        return compress(term.value) if coercion == "@id" else {"@id": compress(term.value)}
    datatype = term.datatype.value
    if datatype == coercion or (datatype == XSD + "string" and coercion is None):
        return term.value
    if datatype == XSD + "string":
        return {"@value": term.value}
    return {"@value": term.value, "@type": compress(datatype)}


def document(kg: Kg) -> dict:
    terms = _terms()
    nodes = []
    for subject in sorted(kg.spo):
        props = kg.spo[subject]
        node: dict = {"id": compress(subject)}
        if RDF_TYPE in props:
            node["type"] = sorted(compress(o.value) for o in props[RDF_TYPE])
        keyed = [(*terms.get(p, (compress(p), None)), objects) for p, objects in props.items() if p != RDF_TYPE]
        for key, coercion, objects in sorted(keyed, key=lambda k: k[0]):
            values = sorted((_value(o, coercion) for o in objects), key=lambda v: json.dumps(v, sort_keys=True))
            node[key] = values[0] if len(values) == 1 else values
        nodes.append(node)
    return {"@context": context(), "@graph": nodes}


def export(kg: Kg | None = None) -> bytes:
    """The graph as one JSON-LD document (the context inline, the same as ``kg/context.jsonld``)."""
    return (json.dumps(document(kg or Kg()), indent=1, ensure_ascii=False) + "\n").encode("utf-8")
