"""The graph the pages read, and a catalog of its nodes: where each one's page is.

A :class:`Source` is the built graph in embedded Oxigraph (or a SPARQL endpoint for the queries);
a :class:`Catalog`, made once per graph, knows every labelled node and where its page is, so that
any IRI or label a stored query returns can be linked to its page without knowing that query.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from calcikg import paths, query
from calcikg.prefixes import CKD, CKG, PREFIXES, compress

PREFIX = """PREFIX ckg: <https://w3id.org/calcikg/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX obo: <http://purl.obolibrary.org/obo/>
PREFIX oio: <http://www.geneontology.org/formats/oboInOwl#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX fabio: <http://purl.org/spar/fabio/>
"""
_TERM_TYPES = {"http://www.w3.org/2002/07/owl#Class", "http://www.w3.org/2002/07/owl#NamedIndividual"}


class Source:
    """The graph pages read: the built graph in embedded Oxigraph, or an endpoint for the queries.

    Term parameters are resolved against the built graph in both cases: its labels and hierarchy
    are what the search, the term pages and the forms show (``calcikg query --endpoint`` alone
    resolves them on the endpoint, for a checkout with no build).
    """

    def __init__(self, graph_file: Path | None = None, endpoint: str | None = None, store=None):
        if endpoint:
            query.check_endpoint(endpoint)
        self.endpoint = endpoint
        self.graph_file = graph_file or paths.GRAPH_TTL
        self.store = store if store is not None else query.load_store(self.graph_file)
        self._answers: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def select(self, text: str) -> list[dict[str, str | None]]:
        """Rows of a page query: full IRIs and literal values as strings, unbound as None."""
        stored = query.StoredQuery("page", Path("page.rq"), "", "", (), {}, PREFIX + text)
        result = query.run_remote(stored, {}, self.endpoint) if self.endpoint \
            else query.run_oxigraph(stored, {}, self.store)
        return [{c: (cell[c][1] if cell[c] else None) for c in result.columns} for cell in result.cells]

    def run(self, stored: query.StoredQuery, given: dict[str, str]) -> query.Result:
        """A stored query, parameters checked and bound by :func:`calcikg.query.run_query`.

        Answers of the embedded graph are kept (the last 256): it is read-only while served, so an
        answer stays right, and a permalink or a download after the page costs nothing. An
        endpoint's graph may change: its answers are not kept.
        """
        if self.endpoint:
            return query.run_query(stored, given, endpoint=self.endpoint, source=self.store)
        key = (stored.name, stored.text, tuple(sorted(given.items())))
        with self._lock:
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
                return found
        result = query.run_query(stored, given, source=self.store)
        with self._lock:
            self._answers[key] = result
            while len(self._answers) > 256:
                self._answers.popitem(last=False)
        return result

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self)

    @cached_property
    def version(self) -> str:
        return query.graph_version(self.graph_file)


def local(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


@dataclass
class Evidence:
    """One evidence node of a statement or case, as a row's evidence column shows it."""

    report: str
    locator: str = ""
    kind: str = ""
    level: str = ""
    summary: str = ""
    sources: list[str] = field(default_factory=list)   # IRIs of cited works


class Catalog:
    """Every labelled node of the graph and where its page is; made once per graph."""

    def __init__(self, source: Source):
        self.labels: dict[str, str] = {}
        self.types: dict[str, set[str]] = defaultdict(set)
        for r in source.select("SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(isIRI(?s)) } ORDER BY ?s ?label"):
            self.labels.setdefault(r["s"], r["label"])
        for r in source.select("SELECT ?s ?t WHERE { ?s a ?t FILTER(isIRI(?s) && isIRI(?t)) }"):
            self.types[r["s"]].add(r["t"])
        self.parents: dict[str, set[str]] = defaultdict(set)
        for r in source.select("SELECT ?s ?p WHERE { ?s rdfs:subClassOf ?p FILTER(isIRI(?p) && isIRI(?s)) }"):
            self.parents[r["s"]].add(r["p"])
        self.reports = sorted(i for i, ts in self.types.items() if CKG + "CuratedReport" in ts)
        self.cases = sorted(i for i, ts in self.types.items() if CKG + "PatientCase" in ts)
        statement_classes = self.below(CKG + "ClinicalStatement")
        self.statements = {i for i, ts in self.types.items() if ts & statement_classes}
        self.report_of: dict[str, str] = {}
        self.case_of: dict[str, str] = {}
        self.evidence: dict[str, list[Evidence]] = defaultdict(list)
        cited = defaultdict(list)
        for r in source.select("SELECT ?ev ?src WHERE { ?ev prov:hadPrimarySource ?src } ORDER BY ?ev ?src"):
            cited[r["ev"]].append(r["src"])
        seen = set()
        for r in source.select("""SELECT ?s ?ev ?report ?locator ?kind ?level ?summary WHERE {
              ?s ckg:hasEvidence ?ev . ?ev prov:wasDerivedFrom ?report .
              OPTIONAL { ?ev ckg:locator ?locator } OPTIONAL { ?ev ckg:evidenceKind/rdfs:label ?kind }
              OPTIONAL { ?ev ckg:evidenceLevel/rdfs:label ?level } OPTIONAL { ?ev ckg:curatorSummary ?summary }
            } ORDER BY ?s ?ev ?report ?locator ?kind ?level ?summary"""):
            if (r["s"], r["ev"]) in seen:  # one evidence node once, whatever it holds twice
                continue
            seen.add((r["s"], r["ev"]))
            self.report_of.setdefault(r["s"], r["report"])
            self.evidence[r["s"]].append(Evidence(r["report"], r["locator"] or "", r["kind"] or "", r["level"] or "",
                                                  r["summary"] or "", cited.get(r["ev"], [])))
        for r in source.select("SELECT ?e ?c WHERE { ?e ckg:ofCase ?c }"):
            self.case_of[r["e"]] = r["c"]
        for r in source.select("SELECT ?c ?r WHERE { ?c ckg:describedIn ?r }"):
            self.report_of.setdefault(r["c"], r["r"])
        self.doi: dict[str, str] = {r["p"]: r["doi"] for r in source.select("SELECT ?p ?doi WHERE { ?p bibo:doi ?doi }")}
        self.in_list: dict[str, str] = {r["p"]: r["r"] for r in
                                        source.select("SELECT ?p ?r WHERE { ?p ckg:inReferenceListOf ?r }")}
        by_label = defaultdict(set)
        for iri, label in self.labels.items():
            by_label[label].add(iri)
        self.by_label = {label: next(iter(iris)) for label, iris in by_label.items() if len(iris) == 1}

    def below(self, root: str) -> set[str]:
        """``root`` and every class under it."""
        children = defaultdict(set)
        for c, ps in self.parents.items():
            for p in ps:
                children[p].add(c)
        out, todo = set(), [root]
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo.extend(children[c])
        return out

    def ancestors(self, iri: str) -> set[str]:
        out, todo = set(), [iri]
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo.extend(self.parents.get(c, ()))
        return out

    @cached_property
    def children(self) -> dict[str, set[str]]:
        out = defaultdict(set)
        for c, ps in self.parents.items():
            for p in ps:
                out[p].add(c)
        return out

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or compress(iri)

    def is_term(self, iri: str) -> bool:
        """A class or value of the ontology (or an imported HPO class): not data, not a property."""
        return iri in self.labels and not iri.startswith(CKD) and bool(self.types.get(iri, set()) & _TERM_TYPES)

    def page(self, iri: str) -> tuple[str, str, str] | None:
        """``(kind, key, anchor)`` of the page showing ``iri``: a term, case or report page (or a place in one)."""
        if iri in self.cases:
            return ("case", local(iri), "")
        if iri in self.statements:
            report = self.report_of.get(iri)
            return ("report", local(report), local(iri)) if report else None
        if iri in self.in_list:
            return ("report", local(self.in_list[iri]), local(iri))
        if iri in self.labels and CKG + "CuratedReport" in self.types.get(iri, ()):
            return ("report", local(iri), "")
        if self.is_term(iri):
            return ("term", compress(iri), "")
        return None

    def term_iri(self, curie: str) -> str | None:
        """The IRI of a term page's CURIE, or None when the graph has no such term."""
        prefix, sep, rest = curie.partition(":")
        if not sep or prefix not in PREFIXES or prefix == "ckd":
            return None
        iri = PREFIXES[prefix] + rest
        return iri if self.is_term(iri) else None

    def near(self, text: str, n: int = 8) -> list[str]:
        """Terms whose CURIE or label looks like ``text`` (for a 404 page)."""
        names = {}
        for iri, label in self.labels.items():
            if self.is_term(iri):
                names[compress(iri).casefold()] = iri
                names[label.casefold()] = iri
        spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text.split(":", 1)[-1]).casefold()
        out = []
        for key in difflib.get_close_matches(text.casefold(), list(names), n=n, cutoff=0.6) + \
                difflib.get_close_matches(spaced, list(names), n=n, cutoff=0.6):
            if names[key] not in out:
                out.append(names[key])
        return out[:n]
