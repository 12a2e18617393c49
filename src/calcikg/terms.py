"""Resolve what a curator or a user types (a label, an exact synonym, a CURIE or an IRI) to a term.

The index holds IRIs as plain strings and is filled from any source of the ontology's labels,
synonyms, ``rdfs:subClassOf`` and ``rdf:type`` triples: an rdflib graph at build time
(:meth:`TermIndex.from_graph`), an Oxigraph store at query time (:meth:`TermIndex.from_store`). So
the same rules apply to records and to query parameters, and the query path needs no rdflib.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from calcikg.prefixes import CKD, CKG, EXACT_SYNONYM, RDF_TYPE, RDFS_LABEL, RDFS_SUBCLASS_OF, compress, expand

#: What a field may name: a subclass of one of these roots, or an individual of one of these classes.
_DOMAIN = ("CalcinosisCutis", "Disease", "ClinicalFinding", "DiagnosticTest", "Treatment", "AnatomicalSite",
           "DifferentialDiagnosisCondition", "CausalExposure")
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "calcinosis": ("class", ("CalcinosisCutis",)),
    "condition": ("class", ("CalcinosisCutis", "Disease", "ClinicalFinding", "DifferentialDiagnosisCondition")),
    "treatment": ("class", ("Treatment",)),
    "site": ("class", ("AnatomicalSite",)),
    "diagnosis": ("class", ("CalcinosisCutis", "Disease")),
    "finding": ("class", ("ClinicalFinding", "DiagnosticTest")),
    "cause": ("class", ("Treatment", "CausalExposure")),
    "publication kind": ("class", ("Publication",)),
    "domain term": ("class", _DOMAIN),
    "unit": ("individual", ("Unit",)),
    "route": ("individual", ("Route",)),
    "outcome": ("individual", ("OutcomeValue",)),
    "cohort measure": ("individual", ("CohortMeasure",)),
    "aspect": ("individual", ("Aspect",)),
    "case": ("individual", ("PatientCase",)),
    "report": ("individual", ("CuratedReport",)),
}
KINDS = {k: (how, tuple(CKG + r for r in roots)) for k, (how, roots) in KINDS.items()}


@dataclass(frozen=True)
class Term:
    """A resolved term: its IRI and label."""

    iri: str
    label: str


class UnknownTerm(LookupError):
    """Raised with a message that lists near matches of the right kind."""


class TermIndex:
    """Labels and exact synonyms of an ontology, with the class hierarchy to check kinds."""

    def __init__(self, labels: Iterable[tuple[str, str]], synonyms: Iterable[tuple[str, str]],
                 subclass_of: Iterable[tuple[str, str]], types: Iterable[tuple[str, str]]):
        self.labels: dict[str, str] = {}
        self._by_name: dict[str, set[str]] = defaultdict(set)
        for s, label in labels:
            self.labels.setdefault(s, label)
            self._by_name[label.casefold()].add(s)
        for s, syn in synonyms:
            self._by_name[syn.casefold()].add(s)
        self._parents: dict[str, set[str]] = defaultdict(set)
        for s, o in subclass_of:
            self._parents[s].add(o)
        self._types: dict[str, set[str]] = defaultdict(set)
        for s, o in types:
            self._types[s].add(o)

    @classmethod
    def from_graph(cls, graph) -> TermIndex:
        """From an rdflib graph (IRIs only: blank nodes and literals are skipped)."""
        from rdflib import URIRef

        def pairs(p: str, literal_objects: bool):
            for s, o in graph.subject_objects(URIRef(p)):
                if isinstance(s, URIRef) and (literal_objects or isinstance(o, URIRef)):
                    yield str(s), str(o)

        return cls(pairs(RDFS_LABEL, True), pairs(EXACT_SYNONYM, True), pairs(RDFS_SUBCLASS_OF, False),
                   pairs(RDF_TYPE, False))

    @classmethod
    def from_store(cls, store) -> TermIndex:
        """From a pyoxigraph store."""
        from pyoxigraph import NamedNode

        def pairs(p: str, literal_objects: bool):
            for q in store.quads_for_pattern(None, NamedNode(p), None):
                if isinstance(q.subject, NamedNode) and (literal_objects or isinstance(q.object, NamedNode)):
                    yield q.subject.value, q.object.value

        return cls(pairs(RDFS_LABEL, True), pairs(EXACT_SYNONYM, True), pairs(RDFS_SUBCLASS_OF, False),
                   pairs(RDF_TYPE, False))

    def label(self, iri: str) -> str:
        """The label of ``iri`` (its CURIE when it has none)."""
        return self.labels.get(str(iri)) or compress(str(iri))

    def ancestors(self, iri: str) -> set[str]:
        """``iri`` and every class above it."""
        seen, todo = {str(iri)}, [str(iri)]
        while todo:
            for parent in self._parents.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    def classes_of(self, individual: str) -> set[str]:
        """Every class ``individual`` is a member of, directly or through a superclass."""
        out: set[str] = set()
        for t in self._types.get(str(individual), ()):
            out |= self.ancestors(t)
        return out

    def is_kind(self, iri: str, kind: str) -> bool:
        """Whether ``iri`` is a term of ``kind`` (see :data:`KINDS`)."""
        how, roots = KINDS[kind]
        found = self.ancestors(iri) if how == "class" else self.classes_of(iri)
        return not found.isdisjoint(roots)

    def members(self, kind: str) -> list[str]:
        """Every term of ``kind``."""
        return sorted(i for i in self.labels if self.is_kind(i, kind))

    @staticmethod
    def _iri(text: str) -> str | None:
        if text.startswith(("http://", "https://")):
            return text
        if ":" in text and " " not in text:
            return expand(text)
        return None

    def resolve(self, text: str, kind: str) -> Term:
        """The term ``text`` names, of ``kind``; :class:`UnknownTerm` with near matches otherwise."""
        text = str(text).strip()
        if KINDS[kind][0] == "individual" and text and text.replace("-", "").isalnum() and text.islower():
            candidates = {CKD + text} & set(self.labels)  # a bare record id: mouaddine2021-case3
        else:
            candidates = set()
        iri = self._iri(text)
        if not candidates:
            candidates = {iri} if iri is not None and iri in self.labels else self._by_name.get(text.casefold(), set())
        if not candidates and CKG + "CalcinosisCutis" in KINDS[kind][1]:
            candidates = self._short_calcinosis_name(text)
        fitting = sorted(c for c in candidates if self.is_kind(c, kind))
        if len(fitting) == 1:
            return Term(fitting[0], self.labels[fitting[0]])
        if len(fitting) > 1:
            names = ", ".join(f"{self.labels[c]} ({compress(c)})" for c in fitting)
            raise UnknownTerm(f"{text!r} is ambiguous: it names {names}; use the label or CURIE of one")
        if candidates:
            found = ", ".join(self.label(c) for c in sorted(candidates))
            raise UnknownTerm(f"{text!r} ({found}) is not a {kind}; {self._hint(text, kind)}")
        raise UnknownTerm(f"unknown {kind} {text!r}; {self._hint(text, kind)}")

    def _short_calcinosis_name(self, text: str) -> set[str]:
        """``idiopathic`` -> idiopathic calcinosis cutis, ``tumoral`` -> tumoral calcinosis: the short names
        people type for the calcinosis types."""
        for suffix in (" calcinosis cutis", " calcinosis"):
            found = self._by_name.get(text.casefold() + suffix, set())
            if found:
                return found
        return set()

    def _hint(self, text: str, kind: str) -> str:
        names = {name: self.labels[i] for name, iris in self._by_name.items() for i in iris if self.is_kind(i, kind)}
        near = difflib.get_close_matches(text.casefold(), list(names), n=5, cutoff=0.6)
        near_labels = sorted({names[n] for n in near})
        if near_labels:
            return "did you mean: " + ", ".join(repr(n) for n in near_labels) + "?"
        if len(set(names.values())) <= 25:
            return "known: " + ", ".join(sorted(set(names.values())))
        return "see the ontology (ontology/calcikg-edit.ttl) for the known labels"
