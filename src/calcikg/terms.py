"""Resolve what a curator or a user types (a label, an exact synonym, a CURIE or an IRI) to a term.

The index is built from any graph holding the ontology (the edit file at build time, the built
graph at query time), so the same rules apply to records and to query parameters.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS

from calcikg.namespaces import CKG, OBOINOWL, converter

#: What a field may name: a subclass of one of these roots, or an individual of one of these classes.
KINDS: dict[str, tuple[str, tuple[URIRef, ...]]] = {
    "calcinosis": ("class", (CKG.CalcinosisCutis,)),
    "condition": ("class", (CKG.CalcinosisCutis, CKG.Disease, CKG.ClinicalFinding, CKG.DifferentialDiagnosisCondition)),
    "treatment": ("class", (CKG.Treatment,)),
    "site": ("class", (CKG.AnatomicalSite,)),
    "finding": ("class", (CKG.ClinicalFinding, CKG.DiagnosticTest, CKG.Disease)),
    "publication kind": ("class", (CKG.Publication,)),
    "domain term": ("class", (CKG.CalcinosisCutis, CKG.Disease, CKG.ClinicalFinding, CKG.DiagnosticTest,
                              CKG.Treatment, CKG.AnatomicalSite, CKG.DifferentialDiagnosisCondition)),
    "unit": ("individual", (CKG.Unit,)),
    "route": ("individual", (CKG.Route,)),
    "outcome": ("individual", (CKG.OutcomeValue,)),
    "cohort measure": ("individual", (CKG.CohortMeasure,)),
    "case": ("individual", (CKG.PatientCase,)),
    "report": ("individual", (CKG.CuratedReport,)),
}


@dataclass(frozen=True)
class Term:
    """A resolved term: its IRI and label."""

    iri: URIRef
    label: str


class UnknownTerm(LookupError):
    """Raised with a message that lists near matches of the right kind."""


class TermIndex:
    """Labels and exact synonyms of an ontology, with the class hierarchy to check kinds."""

    def __init__(self, graph: Graph):
        self.labels: dict[URIRef, str] = {}
        self._by_name: dict[str, set[URIRef]] = defaultdict(set)
        for s, label in graph.subject_objects(RDFS.label):
            if isinstance(s, URIRef):
                self.labels.setdefault(s, str(label))
                self._by_name[str(label).casefold()].add(s)
        for s, syn in graph.subject_objects(OBOINOWL.hasExactSynonym):
            if isinstance(s, URIRef):
                self._by_name[str(syn).casefold()].add(s)
        self._parents: dict[URIRef, set[URIRef]] = defaultdict(set)
        for s, o in graph.subject_objects(RDFS.subClassOf):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                self._parents[s].add(o)
        self._types: dict[URIRef, set[URIRef]] = defaultdict(set)
        for s, o in graph.subject_objects(RDF.type):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                self._types[s].add(o)

    def ancestors(self, iri: URIRef) -> set[URIRef]:
        """``iri`` and every class above it."""
        seen, todo = {iri}, [iri]
        while todo:
            for parent in self._parents.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    def classes_of(self, individual: URIRef) -> set[URIRef]:
        """Every class ``individual`` is a member of, directly or through a superclass."""
        out: set[URIRef] = set()
        for t in self._types.get(individual, ()):
            out |= self.ancestors(t)
        return out

    def is_kind(self, iri: URIRef, kind: str) -> bool:
        """Whether ``iri`` is a term of ``kind`` (see :data:`KINDS`)."""
        how, roots = KINDS[kind]
        if how == "class":
            return bool(self.ancestors(iri) & set(roots))
        return bool(self.classes_of(iri) & set(roots))

    def members(self, kind: str) -> list[URIRef]:
        """Every term of ``kind``."""
        return sorted(i for i in self.labels if self.is_kind(i, kind))

    def _iri(self, text: str) -> URIRef | None:
        if text.startswith(("http://", "https://")):
            return URIRef(text)
        if ":" in text and " " not in text:
            try:
                expanded = converter.expand(text, strict=False)
            except Exception:  # noqa: BLE001 - any malformed CURIE is simply "not a CURIE"
                expanded = None
            return URIRef(expanded) if expanded else None
        return None

    def resolve(self, text: str, kind: str) -> Term:
        """The term ``text`` names, of ``kind``; :class:`UnknownTerm` with near matches otherwise."""
        text = str(text).strip()
        iri = self._iri(text)
        candidates = {iri} if iri is not None and iri in self.labels else self._by_name.get(text.casefold(), set())
        fitting = sorted(c for c in candidates if self.is_kind(c, kind))
        if len(fitting) == 1:
            return Term(fitting[0], self.labels[fitting[0]])
        if len(fitting) > 1:
            names = ", ".join(f"{self.labels[c]} ({converter.compress(str(c), passthrough=True)})" for c in fitting)
            raise UnknownTerm(f"{text!r} is ambiguous: it names {names}; use the label or CURIE of one")
        if candidates:
            found = ", ".join(self.labels.get(c, str(c)) for c in sorted(candidates))
            raise UnknownTerm(f"{text!r} ({found}) is not a {kind}; {self._hint(text, kind)}")
        raise UnknownTerm(f"unknown {kind} {text!r}; {self._hint(text, kind)}")

    def _hint(self, text: str, kind: str) -> str:
        names = {}
        for name, iris in self._by_name.items():
            for i in iris:
                if self.is_kind(i, kind):
                    names[name] = self.labels[i]
        near = difflib.get_close_matches(text.casefold(), list(names), n=5, cutoff=0.6)
        near_labels = sorted({names[n] for n in near})
        if near_labels:
            return "did you mean: " + ", ".join(repr(n) for n in near_labels) + "?"
        if len(names) <= 25:
            return "known: " + ", ".join(sorted(set(names.values())))
        return "see the ontology (ontology/calcikg-edit.ttl) for the known labels"
