"""What the pages show, read from the graph with SPARQL page queries that follow ``docs/model.md``.

The stored questions (``queries/*.rq``) are only run through :func:`calcikg.query.run_query`
(:meth:`Source.run`), never read or rewritten here.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict

from calcikg import paths, query
from calcikg.errors import CalciKGError
from calcikg.prefixes import CKD, CKG, PREFIXES, compress
from calcikg.web.source import Catalog, Evidence, Source, local

__all__ = ["Catalog", "Evidence", "NotFound", "Source", "case", "check_known", "coverage", "levels", "local",
           "map_statements", "report", "term"]

OUTCOME_CLASSES = {CKG + "FavourableOutcome": "favourable", CKG + "UnfavourableOutcome": "unfavourable",
                   CKG + "IndeterminateOutcome": "indeterminate"}
#: Where an external code's page is, by the code's IRI namespace (otherwise its IRI is its page).
BROWSERS = {"http://snomed.info/id/": "https://browser.ihtsdotools.org/?perspective=full&conceptId1={id}",
            "http://purl.obolibrary.org/obo/HP_": "https://hpo.jax.org/browse/term/HP:{id}"}


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
