"""What the pages show, read from the graph with SPARQL (embedded Oxigraph, or an endpoint).

The page queries here follow ``docs/model.md``; the stored questions (``queries/*.rq``) are only
run through :func:`calcikg.query.run_query`, never read or rewritten here. A :class:`Catalog`,
made once per graph, knows every labelled node and where its page is, so that any IRI or label a
stored query returns can be linked to its page without knowing that query.
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
from calcikg.errors import CalciKGError
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
OUTCOME_CLASSES = {CKG + "FavourableOutcome": "favourable", CKG + "UnfavourableOutcome": "unfavourable",
                   CKG + "IndeterminateOutcome": "indeterminate"}
#: Where an external code's page is, by the code's IRI namespace (otherwise its IRI is its page).
_TERM_TYPES = {"http://www.w3.org/2002/07/owl#Class", "http://www.w3.org/2002/07/owl#NamedIndividual"}
BROWSERS = {"http://snomed.info/id/": "https://browser.ihtsdotools.org/?perspective=full&conceptId1={id}",
            "http://purl.obolibrary.org/obo/HP_": "https://hpo.jax.org/browse/term/HP:{id}"}


class Source:
    """The graph pages read: the built graph in embedded Oxigraph, or an endpoint for the queries.

    Term parameters are resolved against the built graph in both cases, as ``calcikg query`` does.
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
        for r in source.select("SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(isIRI(?s)) }"):
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
        for r in source.select("""SELECT ?s ?ev ?report ?locator ?kind ?level ?summary WHERE {
              ?s ckg:hasEvidence ?ev . ?ev prov:wasDerivedFrom ?report .
              OPTIONAL { ?ev ckg:locator ?locator } OPTIONAL { ?ev ckg:evidenceKind/rdfs:label ?kind }
              OPTIONAL { ?ev ckg:evidenceLevel/rdfs:label ?level } OPTIONAL { ?ev ckg:curatorSummary ?summary }
            } ORDER BY ?s ?ev"""):
            self.report_of.setdefault(r["s"], r["report"])
            self.evidence[r["s"]].append(Evidence(r["report"], r["locator"] or "", r["kind"] or "", r["level"] or "",
                                                  r["summary"] or ""))
        cited = defaultdict(list)
        for r in source.select("SELECT ?s ?ev ?src WHERE { ?s ckg:hasEvidence ?ev . ?ev prov:hadPrimarySource ?src } "
                               "ORDER BY ?s ?ev ?src"):
            cited[r["s"]].append(r["src"])
        for s, evs in self.evidence.items():
            for ev in evs:
                ev.sources = cited.get(s, [])
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


# -- pages -----------------------------------------------------------------------------------------
def _one(rows: list[dict], key: str) -> str | None:
    return rows[0][key] if rows and rows[0].get(key) is not None else None


def _sparql_iri(iri: str) -> str:
    """An IRI from the catalog in SPARQL syntax (checked: it goes into page query text)."""
    return query.Value(iri, is_iri=True).sparql()


def coverage(source: Source) -> list[tuple[str, int, int | None]]:
    """``(what, in the records, in the ontology)``: reports, cases and statements, and the calcinosis
    types, diseases and treatments the records name beside those the ontology defines."""
    c = source.catalog
    rows: list[tuple[str, int, int | None]] = [("curated reports", len(c.reports), None),
                                               ("patient cases", len(c.cases), None),
                                               ("statements", len(c.statements), None)]
    named = {r["o"] for r in source.select(f"""SELECT DISTINCT ?o WHERE {{ ?s ?p ?o
                FILTER(isIRI(?o) && STRSTARTS(STR(?s), "{CKD}") && ?p != rdf:type) }}""")}
    for name, root in (("calcinosis types", "CalcinosisCutis"), ("diseases", "Disease"), ("treatments", "Treatment")):
        terms = {i for i in c.below(CKG + root) if i in c.labels} - {CKG + root}
        rows.append((name, len(terms & named), len(terms)))
    return rows


def term(source: Source, iri: str) -> dict:
    c = source.catalog
    t = _sparql_iri(iri)
    values = defaultdict(list)
    for r in source.select(f"""SELECT ?p ?o WHERE {{ {t} ?p ?o FILTER(?p IN (obo:IAO_0000115, obo:IAO_0000119,
            oio:hasExactSynonym, oio:hasRelatedSynonym, oio:hasDbXref, rdfs:comment, skos:exactMatch, skos:closeMatch,
            skos:broadMatch, skos:narrowMatch, skos:relatedMatch)) }} ORDER BY ?p ?o"""):
        values[r["p"].rsplit("#", 1)[-1].rsplit("/", 1)[-1]].append(r["o"])
    codes = []
    for predicate in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch"):
        found = [{"predicate": predicate, "code": external_curie(code), "iri": code, "href": browser(code)}
                 for code in values.get(predicate, [])]
        codes += sorted(found, key=lambda x: x["code"].casefold())
    mapped = {x["code"] for x in codes}
    values["hasDbXref"] = [x for x in values.get("hasDbXref", []) if x not in mapped]  # the same code, once
    kinds = sorted(c.label(x) for x in c.types.get(iri, ()) if x in c.labels)
    statement_kinds = c.below(CKG + "ClinicalStatement")
    groups: dict[str, list[dict]] = defaultdict(list)
    seen = set()
    rows = source.select(f"""SELECT DISTINCT ?s ?p WHERE {{
          {{ ?s ?p {t} }} UNION {{ ?s ?p0 ?x . ?x ?p {t} FILTER(STRSTARTS(STR(?x), "{CKD}")) }}
        }} ORDER BY ?s ?p""")
    for r in rows:
        s = r["s"]
        if s in c.statements:
            kind = _most_specific(c, c.types[s] & statement_kinds)
        elif s in c.cases:
            kind = "patient case"
        else:
            continue
        if (s, kind) in seen:
            continue
        seen.add((s, kind))
        groups[kind].append({"iri": s, "label": c.label(s), "how": c.label(r["p"]),
                             "evidence": c.evidence.get(s, [])})
    return {"iri": iri, "curie": compress(iri), "label": c.label(iri), "kinds": kinds,
            "definition": (values.get("IAO_0000115") or [None])[0],
            "definition_source": (values.get("IAO_0000119") or [None])[0],
            "exact_synonyms": values.get("hasExactSynonym", []), "related_synonyms": values.get("hasRelatedSynonym", []),
            "comments": values.get("comment", []), "xrefs": values.get("hasDbXref", []), "codes": codes,
            "parents": sorted((p for p in c.parents.get(iri, ()) if p in c.labels), key=c.label),
            "children": sorted((x for x in c.children.get(iri, ()) if x in c.labels), key=c.label),
            "groups": dict(sorted(groups.items()))}


def _most_specific(c: Catalog, classes: set[str]) -> str:
    best = max(classes, key=lambda x: (len(c.ancestors(x)), x)) if classes else None
    return c.label(best) if best else "statement"


def external_curie(iri: str) -> str:
    for prefix, namespace in _sssom_prefixes().items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return compress(iri)


def browser(iri: str) -> str:
    for namespace, pattern in BROWSERS.items():
        if iri.startswith(namespace):
            return pattern.format(id=iri[len(namespace):])
    return iri


_PREFIX_CACHE: dict[str, dict[str, str]] = {}


def _sssom_prefixes() -> dict[str, str]:
    """The mapping set's own prefix names (SCTID, MESH, ICD10WHO...), from its ``curie_map`` header."""
    if "map" not in _PREFIX_CACHE:
        out = {}
        try:
            text = paths.MAPPINGS.read_text(encoding="utf-8")
        except OSError:
            text = ""
        for m in re.finditer(r'^#\s+([A-Za-z0-9]+): "?(https?://[^\s"]+)"?', text, flags=re.MULTILINE):
            if m.group(1) not in ("ckg", "skos", "semapv"):
                out[m.group(1)] = m.group(2)
        _PREFIX_CACHE["map"] = dict(sorted(out.items(), key=lambda kv: -len(kv[1])))
    return _PREFIX_CACHE["map"]


def case(source: Source, iri: str) -> dict:
    c = source.catalog
    t = _sparql_iri(iri)
    facts = source.select(f"""SELECT ?number ?age ?onset ?sex WHERE {{ OPTIONAL {{ {t} ckg:caseNumber ?number }}
        OPTIONAL {{ {t} ckg:ageAtPresentation/rdfs:label ?age }} OPTIONAL {{ {t} ckg:ageAtOnset/rdfs:label ?onset }}
        OPTIONAL {{ {t} ckg:sex/rdfs:label ?sex }} }}""")
    diagnoses = source.select(f"""SELECT ?dx ?condition ?role ?certainty ?comment WHERE {{ {t} ckg:hasDiagnosis ?dx .
        ?dx ckg:condition ?condition . OPTIONAL {{ ?dx ckg:diagnosisRole/rdfs:label ?role }}
        OPTIONAL {{ ?dx ckg:certainty/rdfs:label ?certainty }} OPTIONAL {{ ?dx rdfs:comment ?comment }} }} ORDER BY ?dx""")
    calcinosis = c.below(CKG + "CalcinosisCutis")
    sites = source.select(f"""SELECT ?x ?site ?side WHERE {{ {t} ckg:hasLesionSite ?x . ?x ckg:site ?site .
        OPTIONAL {{ ?x ckg:laterality/rdfs:label ?side }} }} ORDER BY ?x""")
    findings = source.select(f"""SELECT ?f ?type ?interpretation ?value ?site ?comment ?locator WHERE {{
        {t} ckg:hasFinding ?f . ?f ckg:findingType ?type . OPTIONAL {{ ?f ckg:interpretation/rdfs:label ?interpretation }}
        OPTIONAL {{ ?f ckg:measuredValue/rdfs:label ?value }} OPTIONAL {{ ?f ckg:site ?site }}
        OPTIONAL {{ ?f rdfs:comment ?comment }} OPTIONAL {{ ?f ckg:locator ?locator }} }} ORDER BY ?f""")
    causes = source.select(f"""SELECT ?s ?agent WHERE {{ ?s ckg:ofCase {t} ; ckg:causalAgent ?agent }} ORDER BY ?s""")
    episodes = source.select(f"""SELECT ?e ?n ?agent ?dose ?route ?frequency ?duration ?months ?outcome ?outcome_class
        ?disease_outcome ?stop ?note WHERE {{
        ?e ckg:ofCase {t} ; ckg:episodeNumber ?n ; ckg:intervention ?agent .
        OPTIONAL {{ ?e ckg:doseSummary ?dose }} OPTIONAL {{ ?e ckg:route/rdfs:label ?route }}
        OPTIONAL {{ ?e ckg:frequency ?frequency }} OPTIONAL {{ ?e ckg:duration/rdfs:label ?duration }}
        OPTIONAL {{ ?e ckg:duration ?q . ?q ckg:unit ?unit . {{ ?q ckg:numericValue ?v }} UNION {{ ?q ckg:maxValue ?v }}
                   VALUES (?unit ?per) {{ (ckg:Day 0.0329) (ckg:Week 0.23) (ckg:Month 1.0) (ckg:Year 12.0) }}
                   BIND(?v * ?per AS ?months) }}
        OPTIONAL {{ ?e ckg:calcinosisOutcome ?o . ?o rdfs:label ?outcome . OPTIONAL {{ ?o a ?outcome_class
                   FILTER(?outcome_class IN (ckg:FavourableOutcome, ckg:UnfavourableOutcome, ckg:IndeterminateOutcome)) }} }}
        OPTIONAL {{ ?e ckg:diseaseOutcome/rdfs:label ?disease_outcome }} OPTIONAL {{ ?e ckg:stopReason ?stop }}
        OPTIONAL {{ ?e ckg:outcomeNote ?note }}
        }} ORDER BY ?n ?e""")
    eps, done = [], set()
    for r in episodes:
        if r["e"] in done:  # one row per episode (a range gives two duration values: its upper bound kept)
            continue
        done.add(r["e"])
        ev = c.evidence.get(r["e"], [])
        eps.append({**r, "id": local(r["e"]), "n": int(r["n"]), "months": float(r["months"]) if r["months"] else None,
                    "direction": OUTCOME_CLASSES.get(r["outcome_class"] or "", "none"),
                    "locator": ev[0].locator if ev else "", "level": ev[0].level if ev else ""})
    return {"iri": iri, "id": local(iri), "label": c.label(iri), "report": c.report_of.get(iri),
            "number": _one(facts, "number"), "age": _one(facts, "age"), "onset": _one(facts, "onset"),
            "sex": _one(facts, "sex"),
            "types": [d for d in diagnoses if d["condition"] in calcinosis],
            "diseases": [d for d in diagnoses if d["condition"] not in calcinosis],
            "sites": sites, "findings": findings, "causes": causes, "episodes": eps,
            "evidence": c.evidence.get(iri, [])}


def report(source: Source, iri: str) -> dict:
    c = source.catalog
    t = _sparql_iri(iri)
    fields = ("title", "authorList", "journal", "hasPublicationYear", "volume", "issue", "pages", "doi", "url",
              "license", "studyPeriod", "curationNote")
    bib: dict[str, str | None] = dict.fromkeys(fields)
    for r in source.select(f"""SELECT ?p ?o WHERE {{ {t} ?p ?o FILTER(?p IN (dcterms:title, ckg:authorList,
            ckg:journal, fabio:hasPublicationYear, bibo:volume, bibo:issue, bibo:pages, bibo:doi, ckg:url,
            dcterms:license, ckg:studyPeriod, ckg:curationNote)) }} ORDER BY DESC(?p) DESC(?o)"""):
        bib[r["p"].rsplit("#", 1)[-1].rsplit("/", 1)[-1]] = r["o"]
    extent = source.select(f"SELECT ?extent WHERE {{ {t} ckg:curationExtent/rdfs:label ?extent }}")
    kinds = sorted(c.label(x) for x in c.types.get(iri, ()) if x.startswith(PREFIXES["fabio"]))
    statement_kinds = c.below(CKG + "ClinicalStatement")
    statements = []
    for s in sorted(x for x in c.statements if c.report_of.get(x) == iri):
        statements.append({"iri": s, "id": local(s), "label": c.label(s),
                           "kind": _most_specific(c, c.types[s] & statement_kinds),
                           "case": c.case_of.get(s), "evidence": [e for e in c.evidence[s] if e.report == iri]})
    statements.sort(key=lambda x: (x["evidence"][0].locator if x["evidence"] else "", x["id"]))
    refs = source.select(f"""SELECT ?ref ?n ?title WHERE {{ ?ref ckg:inReferenceListOf {t} .
        OPTIONAL {{ ?ref ckg:referenceNumber ?n }} OPTIONAL {{ ?ref dcterms:title ?title }} }}""")
    supports = defaultdict(list)
    for s in statements:
        for e in s["evidence"]:
            for src in e.sources:
                if s["iri"] not in supports[src]:
                    supports[src].append(s["iri"])
    references = sorted(({"iri": r["ref"], "id": local(r["ref"]), "n": int(r["n"]) if r["n"] else None,
                          "label": c.label(r["ref"]), "title": r["title"], "doi": c.doi.get(r["ref"]),
                          "supports": supports.get(r["ref"], [])} for r in refs),
                        key=lambda x: (x["n"] is None, x["n"] or 0, x["id"]))
    return {"iri": iri, "id": local(iri), "label": c.label(iri), "bib": bib,
            "kinds": kinds, "extent": _one(extent, "extent"),
            "cases": [x for x in c.cases if c.report_of.get(x) == iri],
            "statements": statements, "references": references}


def map_statements(source: Source) -> list[dict]:
    """Every treatment statement with what the evidence map needs: treatment, conditions, outcome, level."""
    c = source.catalog
    rows = source.select("""SELECT ?s ?t ?outcome ?oc ?n ?level WHERE {
        ?s ckg:intervention ?t ; ckg:hasEvidence/ckg:evidenceLevel ?level .
        OPTIONAL { ?s ckg:calcinosisOutcome ?o . ?o rdfs:label ?outcome . OPTIONAL { ?o a ?oc
                   FILTER(?oc IN (ckg:FavourableOutcome, ckg:UnfavourableOutcome, ckg:IndeterminateOutcome)) } }
        OPTIONAL { ?s ckg:population/ckg:numberOfPatients ?n }
        } ORDER BY ?s ?level""")
    conditions = defaultdict(set)
    for r in source.select("""SELECT ?s ?cond WHERE { ?s ckg:intervention ?t .
          { ?s ckg:population/ckg:populationCondition ?cond }
          UNION { ?s ckg:ofCase|ckg:aboutCase ?case . ?case ckg:hasDiagnosis/ckg:condition ?cond } }"""):
        conditions[r["s"]].add(r["cond"])
    cases = defaultdict(set)
    for r in source.select("SELECT ?s ?case WHERE { ?s ckg:intervention ?t ; ckg:ofCase|ckg:aboutCase ?case }"):
        cases[r["s"]].add(r["case"])
    out: dict[str, dict] = {}
    for r in rows:
        s = out.setdefault(r["s"], {
            "iri": r["s"], "treatment": r["t"], "outcome": r["outcome"] or "",
            "direction": OUTCOME_CLASSES.get(r["oc"] or "", "none" if not r["outcome"] else "indeterminate"),
            "patients": int(r["n"]) if r["n"] else (len(cases[r["s"]]) or None),
            "conditions": sorted(conditions[r["s"]]), "levels": set()})
        s["levels"].add(c.label(r["level"]).rsplit(" ", 1)[-1])
        if OUTCOME_CLASSES.get(r["oc"] or ""):
            s["direction"] = OUTCOME_CLASSES[r["oc"]]
    for s in out.values():
        s["levels"] = sorted(s["levels"])
    return [out[k] for k in sorted(out)]


def levels(source: Source) -> list[str]:
    """The evidence levels the graph uses, by their letter (A..E)."""
    rows = source.select("SELECT DISTINCT ?l WHERE { ?ev ckg:evidenceLevel ?l }")
    return sorted({source.catalog.label(r["l"]).rsplit(" ", 1)[-1] for r in rows})


def check_known(kind: str, key: str, source: Source) -> str:
    """The IRI of a case or report page's key; a :class:`CalciKGError` naming near keys otherwise."""
    c = source.catalog
    pool = c.cases if kind == "case" else c.reports
    iri = CKD + key
    if iri in pool:
        return iri
    near = difflib.get_close_matches(key, [local(x) for x in pool], n=5, cutoff=0.5) if len(key) <= 200 else []
    raise NotFound(f"no {kind} {key!r} in the graph", [CKD + x for x in near])


class NotFound(CalciKGError):
    """A page that does not exist; carries the near matches the 404 page offers."""

    def __init__(self, message: str, near: list[str]):
        super().__init__(message)
        self.near = near
