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

SKOS_EXACT_MATCH = "http://www.w3.org/2004/02/skos/core#exactMatch"
#: Kinds whose names may also be HPO terms (a record's finding): see :meth:`TermIndex.resolve`.
HPO_KINDS = {"finding"}

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
                 subclass_of: Iterable[tuple[str, str]], types: Iterable[tuple[str, str]],
                 exact_matches: Iterable[tuple[str, str]] = (), *, hpo: bool = True):
        #: Whether an unknown finding may be an HPO term (the build); off for query parameters.
        self.hpo = hpo
        #: External IRI -> the CalciKG classes mapped to it with skos:exactMatch.
        self.exact_matches: dict[str, set[str]] = defaultdict(set)
        for s, o in exact_matches:
            self.exact_matches[o].add(s)
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

    def add_term(self, iri: str, label: str, exact_synonyms: Iterable[str] = (), parents: Iterable[str] = ()) -> None:
        """Add a class that is not in the source (a template row being checked)."""
        self.labels.setdefault(iri, label)
        for name in (label, *exact_synonyms):
            self._by_name[name.casefold()].add(iri)
        self._parents[iri].update(parents)

    @classmethod
    def from_graph(cls, graph) -> TermIndex:
        """From an rdflib graph (IRIs only: blank nodes and literals are skipped)."""
        from rdflib import URIRef

        def pairs(p: str, literal_objects: bool):
            for s, o in graph.subject_objects(URIRef(p)):
                if isinstance(s, URIRef) and (literal_objects or isinstance(o, URIRef)):
                    yield str(s), str(o)

        return cls(pairs(RDFS_LABEL, True), pairs(EXACT_SYNONYM, True), pairs(RDFS_SUBCLASS_OF, False),
                   pairs(RDF_TYPE, False), pairs(SKOS_EXACT_MATCH, False))

    @classmethod
    def from_store(cls, store) -> TermIndex:
        """From a pyoxigraph store."""
        from pyoxigraph import NamedNode

        def pairs(p: str, literal_objects: bool):
            for q in store.quads_for_pattern(None, NamedNode(p), None):
                if isinstance(q.subject, NamedNode) and (literal_objects or isinstance(q.object, NamedNode)):
                    yield q.subject.value, q.object.value

        return cls(pairs(RDFS_LABEL, True), pairs(EXACT_SYNONYM, True), pairs(RDFS_SUBCLASS_OF, False),
                   pairs(RDF_TYPE, False), pairs(SKOS_EXACT_MATCH, False), hpo=False)

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
        """The term ``text`` names, of ``kind``; :class:`UnknownTerm` with near matches otherwise.

        A finding the ontology does not know may be an HPO term, named by its label, an exact
        synonym or its ID (``HP:0000989``): when :attr:`hpo` is on, it resolves to the HPO class
        (``obo:HP_0000989``), or to the CalciKG class mapped to it with skos:exactMatch. The build
        then imports the HPO classes the graph uses (:func:`calcikg.hpo.imported_terms`).
        """
        try:
            return self._resolve(text, kind)
        except UnknownTerm as exc:
            if not (self.hpo and kind in HPO_KINDS):
                raise
            term = self._resolve_hpo(str(text).strip(), kind)
            if term is None:
                raise exc from None
            return term

    def _resolve_hpo(self, text: str, kind: str) -> Term | None:
        from calcikg.hpo import hpo_id, load_hpo

        hpo = load_hpo()
        found = hpo.find(text)
        if not found:
            if hpo_id(text) and hpo.get(text) is not None:
                t = hpo.get(text)
                raise UnknownTerm(f"{text!r} is an obsolete HPO term ({t.label})"
                                  + (f"; use {t.replaced_by}" if t.replaced_by else ""))
            return None
        if len(found) > 1:
            names = ", ".join(f"{t.label} ({t.id})" for t in found)
            raise UnknownTerm(f"{text!r} is ambiguous in the HPO ({hpo.version}): it names {names}; use the ID of one")
        t = found[0]
        if not hpo.is_phenotypic_abnormality(t.id):
            raise UnknownTerm(f"{text!r} is the HPO term {t.id} '{t.label}', not a phenotypic abnormality "
                              "(not under HP:0000118), so not a finding")
        mapped = sorted(c for c in self.exact_matches.get(t.iri, ()) if self.is_kind(c, kind))
        if len(mapped) == 1:
            return Term(mapped[0], self.labels[mapped[0]])
        clash = sorted(self._by_name.get(t.label.casefold(), set()) - {t.iri})
        if clash:
            raise UnknownTerm(f"{text!r} is the HPO term {t.id} '{t.label}', whose label is already the name of "
                              f"{', '.join(compress(c) for c in clash)}: use that term, or map it to {t.id} "
                              "(skos:exactMatch in mappings/calcikg.sssom.tsv) if it means the same")
        self.add_term(t.iri, t.label, (), ["http://purl.obolibrary.org/obo/HP_0000118"])
        return Term(t.iri, t.label)

    def _resolve(self, text: str, kind: str) -> Term:
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
