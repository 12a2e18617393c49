"""KGX (Biolink) TSV: ``nodes.tsv`` and ``edges.tsv`` in KGX's column layout, written with the csv module
(the ``kgx`` package validates them in the tests; it is not needed to write them).

Edges, each with Biolink's knowledge level and agent type, its evidence (ECO) and publication where the
graph has a report behind it, and ``xref`` naming the CalciKG statement that carries the locator:
- a case ``biolink:has_phenotype`` an HPO phenotype (``negated`` where the report says it was absent);
- a case ``biolink:related_to`` each diagnosed condition (category ``biolink:CaseToDiseaseAssociation``);
- a treatment ``biolink:applied_to_treat`` the condition a case's episode gave an outcome for;
- a calcinosis type ``biolink:associated_with`` a condition a report associates with it;
- a class ``biolink:subclass_of`` its parent (the ontology: no report, no evidence).
``docs/exchange.md`` lists the choices and what is left out.
"""

from __future__ import annotations

import csv
import io
import json
import uuid

from calcikg.exchange import DRUG_ORDER, HP_PREFIX, PHENOTYPE_ORDER, Kg
from calcikg.exchange.phenopackets import BIBO_DOI, EXCLUDING
from calcikg.prefixes import CKG, RDFS_SUBCLASS_OF, compress

#: The Biolink Model release the files are written for and validated against (the ``biolink-model``
#: package that kgx's toolkit reads offline; ``tests/test_exchange.py`` checks the two agree).
BIOLINK_VERSION = "4.4.3"
PROV = "http://www.w3.org/ns/prov#"
NODE_COLUMNS = ["id", "category", "name", "xref"]
EDGE_COLUMNS = ["id", "subject", "predicate", "object", "category", "negated", "knowledge_level", "agent_type",
                "has_evidence", "publications", "xref"]
#: A disease node's id: Biolink's order of preferred prefixes for biolink:Disease, then the ICD codes
#: (which Biolink 4.4.3 does not list for a disease).
KGX_DISEASE_ORDER = ("MONDO", "DOID", "UMLS", "MESH", "NCIT", "SCTID", "HP", "ICD10CM", "ICD10WHO")
#: Branch roots of the ontology -> (Biolink category, order of vocabularies for the node's id).
ROOTS = [
    (CKG + "CalcinosisCutis", "biolink:Disease", KGX_DISEASE_ORDER),
    (CKG + "Disease", "biolink:Disease", KGX_DISEASE_ORDER),
    (CKG + "ClinicalFinding", "biolink:PhenotypicFeature", PHENOTYPE_ORDER),
    (CKG + "DrugTreatment", "biolink:Drug", DRUG_ORDER),
    (CKG + "Procedure", "biolink:Procedure", ()),
    (CKG + "Treatment", "biolink:Treatment", ()),
]
# SSSOM prefixes that Biolink spells otherwise
_BIOLINK_PREFIX = {"SCTID": "SNOMEDCT"}  # same IRI; ICD10WHO stays (Biolink's ICD10 has another IRI)
_NS = uuid.UUID("6f1b2c9e-4a57-5d0c-9a7e-2f1d3c4b5a69")  # fixed: edge ids are the same on every export


def _biolink_curie(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return f"{_BIOLINK_PREFIX.get(prefix, prefix)}:{local}"


class _Builder:
    def __init__(self, kg: Kg):
        self.kg = kg
        self.nodes: dict[str, dict[str, str]] = {}
        self.edges: list[dict[str, str]] = []
        self.ids: dict[str, str] = {}

    # -------------------------------------------------------------------- nodes
    def category(self, cls: str) -> tuple[str, tuple[str, ...]] | None:
        if cls.startswith(HP_PREFIX):
            return "biolink:PhenotypicFeature", PHENOTYPE_ORDER
        for root, category, order in ROOTS:
            if self.kg.is_a(cls, root):
                return category, order
        return None

    def class_node(self, cls: str) -> str | None:
        """The node of a domain class: id = its exact code (else its CalciKG CURIE), xref = the others."""
        if cls in self.ids:
            return self.ids[cls]
        found = self.category(cls)
        if found is None:
            return None
        category, order = found
        term_id, _ = self.kg.term(cls, order)
        node_id = _biolink_curie(term_id) if not term_id.startswith("ckg:") else term_id
        if node_id in self.nodes and self.nodes[node_id]["_iri"] != cls:  # two classes, one code: keep both apart
            node_id = compress(cls)
        xrefs = {_biolink_curie(c) for c, _ in self.kg.exact.get(cls, [])}
        if not cls.startswith(HP_PREFIX):
            xrefs.add(compress(cls))
        self.nodes[node_id] = {"id": node_id, "category": category, "name": self.kg.label(cls),
                               "xref": "|".join(sorted(xrefs - {node_id})), "_iri": cls}
        self.ids[cls] = node_id
        return node_id

    def publication(self, report: str) -> str:
        """The report's node (its CalciKG CURIE: kgx refuses a '/' in an id, so a DOI is its xref);
        returns what edges cite it by, its DOI where it has one."""
        doi = self.kg.one(report, BIBO_DOI)
        node_id = compress(report)
        self.nodes.setdefault(node_id, {"id": node_id, "category": "biolink:Publication",
                                        "name": self.kg.label(report), "xref": f"doi:{doi}" if doi else "",
                                        "_iri": report})
        return f"doi:{doi}" if doi else node_id

    def case_node(self, case: str) -> str:
        node_id = compress(case)
        self.nodes.setdefault(node_id, {"id": node_id, "category": "biolink:Case", "name": self.kg.label(case),
                                        "xref": "", "_iri": case})
        return node_id

    # -------------------------------------------------------------------- edges
    def edge(self, subject: str | None, predicate: str, obj: str | None, source: str | None = None,
             evidence: str | None = None, publications: tuple[str, ...] = (), negated: bool = False,
             level: str = "knowledge_assertion", category: str = "") -> None:
        if not subject or not obj:
            return
        key = "\t".join([subject, predicate, obj, source or "", str(negated)])
        self.edges.append({
            "id": f"urn:uuid:{uuid.uuid5(_NS, key)}", "subject": subject, "predicate": predicate, "object": obj,
            "category": category, "negated": "True" if negated else "", "knowledge_level": level,
            "agent_type": "manual_agent", "has_evidence": evidence or "",
            "publications": "|".join(sorted(set(publications))), "xref": compress(source) if source else ""})

    def evidence(self, owner: str) -> tuple[str | None, tuple[str, ...]]:
        """ECO code and publications (the report, and a cited work's DOI) of a statement or case."""
        codes, pubs = [], []
        for ev in self.kg.iris(owner, CKG + "hasEvidence"):
            code = self.kg.evidence_code(self.kg.one(ev, CKG + "evidenceKind"))
            if code:
                codes.append(code[0])
            report = self.kg.one(ev, PROV + "wasDerivedFrom")
            if report:
                pubs.append(self.publication(report))
            for cited in self.kg.iris(ev, PROV + "hadPrimarySource"):
                if self.kg.one(cited, BIBO_DOI):
                    pubs.append(f"doi:{self.kg.one(cited, BIBO_DOI)}")
        return (min(codes) if codes else None), tuple(pubs)

    def cases(self) -> None:
        kg = self.kg
        for case in kg.subjects(CKG + "PatientCase"):
            node = self.case_node(case)
            code, pubs = self.evidence(case)
            for f in kg.iris(case, CKG + "hasFinding"):
                finding_type = kg.one(f, CKG + "findingType")
                if kg.hpo_term(finding_type) is not None:
                    self.edge(node, "biolink:has_phenotype", self.class_node(finding_type), f, code, pubs,
                              negated=kg.one(f, CKG + "interpretation") in EXCLUDING, level="observation",
                              category="biolink:CaseToPhenotypicFeatureAssociation")
            conditions = {dx: kg.one(dx, CKG + "condition") for dx in kg.iris(case, CKG + "hasDiagnosis")}
            for dx, condition in conditions.items():
                self.edge(node, "biolink:related_to", self.class_node(condition), dx, code, pubs,
                          level="observation", category="biolink:CaseToDiseaseAssociation")
            types = sorted(c for c in conditions.values() if kg.is_a(c, CKG + "CalcinosisCutis"))
            underlying = sorted({c for dx, c in conditions.items()
                                 if kg.one(dx, CKG + "diagnosisRole") == CKG + "UnderlyingCondition"})
            for episode in kg.episodes.get(case, []):
                if kg.one(episode, CKG + "calcinosisOutcome"):
                    targets = types or [CKG + "CalcinosisCutis"]
                elif kg.one(episode, CKG + "diseaseOutcome") and len(underlying) == 1:
                    targets = underlying
                else:
                    continue  # the graph does not say what the episode was for
                ep_code, ep_pubs = self.evidence(episode)
                for target in targets:
                    self.edge(self.class_node(kg.one(episode, CKG + "intervention")), "biolink:applied_to_treat",
                              self.class_node(target), episode, ep_code, ep_pubs, level="observation")

    def associations(self) -> None:
        kg = self.kg
        for statement in kg.subjects(CKG + "AssociationStatement"):
            subject = kg.one(statement, CKG + "calcinosisType") or kg.one(statement, CKG + "subjectTerm")
            code, pubs = self.evidence(statement)
            negated = any(kg.one(ev, CKG + "direction") == CKG + "DoesNotSupport"
                          for ev in kg.iris(statement, CKG + "hasEvidence"))
            for condition in kg.iris(statement, CKG + "associatedCondition"):
                self.edge(self.class_node(subject), "biolink:associated_with", self.class_node(condition), statement,
                          code, pubs, negated=negated)

    def hierarchy(self) -> None:
        for cls in sorted(self.kg.spo):
            if self.category(cls) is None:
                continue
            for parent in self.kg.iris(cls, RDFS_SUBCLASS_OF):
                if self.category(parent) is not None:
                    self.edge(self.class_node(cls), "biolink:subclass_of", self.class_node(parent))


def _curie_map(kg: Kg, nodes: list[dict[str, str]], edges: list[dict[str, str]]) -> dict[str, str]:
    """Every CURIE prefix the files use, with its IRI (Biolink's spelling of the SSSOM prefixes)."""
    fixed = {"biolink": "https://w3id.org/biolink/vocab/", "doi": "https://doi.org/",
             **{theirs: kg.curie_prefix_iri(ours) for ours, theirs in _BIOLINK_PREFIX.items()}}
    used = set()
    for row in [*nodes, *edges]:
        for column in ("id", "category", "xref", "subject", "predicate", "object", "has_evidence", "publications"):
            for value in filter(None, row.get(column, "").split("|")):
                if not value.startswith("urn:"):
                    used.add(value.split(":", 1)[0])
    return {p: fixed.get(p) or kg.curie_prefix_iri(p) for p in sorted(used)}


def _tsv(rows: list[dict[str, str]], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, delimiter="\t", lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: " ".join(str(row.get(k, "")).split()) for k in columns})
    return out.getvalue().encode("utf-8")


def export(kg: Kg | None = None) -> dict[str, bytes]:
    """``nodes.tsv``, ``edges.tsv`` and ``provenance.json`` (Biolink release, graph version, counts)."""
    builder = _Builder(kg or Kg())
    builder.cases()
    builder.associations()
    builder.hierarchy()
    edges = sorted({e["id"]: e for e in builder.edges}.values(),
                   key=lambda e: (e["predicate"], e["subject"], e["object"], e["id"]))
    nodes = sorted(builder.nodes.values(), key=lambda n: n["id"])
    provenance = {"format": "KGX TSV", "curie_map": _curie_map(builder.kg, nodes, edges), "biolink_version": BIOLINK_VERSION,
                  "source": "https://w3id.org/calcikg/calcikg.owl", "source_version": builder.kg.version,
                  "mappings_version": builder.kg.mapping_header.get("mapping_set_version", ""),
                  "nodes": len(nodes), "edges": len(edges)}
    return {"nodes.tsv": _tsv(nodes, NODE_COLUMNS), "edges.tsv": _tsv(edges, EDGE_COLUMNS),
            "provenance.json": (json.dumps(provenance, indent=2) + "\n").encode("utf-8")}
