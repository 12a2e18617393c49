"""Cases, episodes, doses and statements drafted from the paragraphs of a report.

Everything here is a first guess for a curator: values are written only where the wording is
plain, and the locator of each item says where to check it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from calcikg.draft.concepts import GENERIC, Concept, Matcher
from calcikg.draft.text import Paragraph, citations, clauses, normalise_citations, sentences

TODO_SUMMARY = "TODO curator: one sentence in your own words"
OUTCOME_TODO = "curator: grade the outcome (docs/curating.md table)"
WORDNUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18, "twenty": 20, "a": 1, "an": 1}
_NUM = r"(\d+(?:[.,]\d+)?|" + "|".join(k for k in WORDNUM if len(k) > 2) + r")"


def number(s: str) -> float | int:
    s = s.strip().casefold()
    if s in WORDNUM:
        return WORDNUM[s]
    value = float(s.replace(",", "."))
    return int(value) if value.is_integer() else value


@dataclass
class Note:
    """A value with a comment for the curator (written as ``key: value  # comment``)."""

    value: Any
    comment: str


# ------------------------------------------------------------------------------------ ages, sex
AGE = re.compile(r"\b" + _NUM + r"(\s+and\s+a\s+half)?[\s-]+(year|month|week|day)s?[\s-]+old\b", re.IGNORECASE)
AGED = re.compile(r"\baged?\s+(?:of\s+)?" + _NUM + r"(\s+and\s+a\s+half)?\s+(year|month|week|day)s?\b", re.IGNORECASE)
#: "a man in his 20s", "a woman in her early sixties" is not read (no digits): only "in his/her NNs".
DECADE = re.compile(r"\bin (?:his|her|their) (?:early |mid-?|late )?(\d)0'?s\b", re.IGNORECASE)
_FEMALE = re.compile(r"\b(girl|woman|female|lady|daughter)\b", re.IGNORECASE)
_MALE = re.compile(r"\b(boy|man|male|gentleman|son)\b", re.IGNORECASE)
_SHE = re.compile(r"\b(she|her|hers|herself)\b", re.IGNORECASE)
_HE = re.compile(r"\b(he|his|him|himself)\b", re.IGNORECASE)


def age_of(text: str) -> dict[str, Any] | None:
    m = AGE.search(text) or AGED.search(text)
    if not m:
        decade = DECADE.search(text)
        if decade:  # "in his 20s": the decade as a range
            low = int(decade.group(1)) * 10
            return {"min": low, "max": low + 9, "unit": "year"}
        return None
    value = number(m.group(1))
    if m.group(2):
        value = value + 0.5
    return {"value": value, "unit": m.group(3).casefold()}


def sex_of(text: str) -> str:
    f, m = _FEMALE.search(text), _MALE.search(text)
    if f and (not m or f.start() < m.start()):
        return "female"
    if m:
        return "male"
    she, he = len(_SHE.findall(text)), len(_HE.findall(text))
    if she > he:
        return "female"
    if he > she:
        return "male"
    return "not stated"


# ------------------------------------------------------------------------------------ doses
_UNITS = [
    (r"g\s*/\s*1[.,]73\s*m\s*2?\s*(?:/\s*(?:day|d)\b|\s*per\s+day|\s*daily)", "g/1.73 m2/day"),
    (r"g\s*/\s*1[.,]73\s*m\s*2?", "g/1.73 m2"),
    (r"mg\s*/\s*kg\s*/\s*(?:day|d)\b|mg\s*/\s*kg\s+(?:per\s+day|daily)", "mg/kg/day"),
    (r"mg\s*/\s*kg\s*/\s*(?:year|yr)\b|mg\s*/\s*kg\s+per\s+year", "mg/kg/year"),
    (r"mg\s*/\s*kg\b", "mg/kg"),
    (r"mg\s*/\s*(?:day|d)\b|mg\s+per\s+day|mg\s+daily|mg\s+a\s+day", "mg/day"),
    (r"(?:µg|mcg)\b", "µg"),
    (r"mg\b", "mg"),
    (r"g\b", "g"),
    (r"%", "%"),
    (r"(?:IU|UI)\b", "IU"),
    (r"m[lL]\b", "mL"),
]
DOSE = re.compile(r"(?<![\w.])" + r"(\d+(?:[.,]\d+)?)(?:\s*(?:-|–|to)\s*(\d+(?:[.,]\d+)?))?\s*(" +
                  "|".join(f"(?:{u})" for u, _ in _UNITS) + ")", re.IGNORECASE)
FREQUENCY = re.compile(
    r"\b((?:once|twice|thrice|\w+\s+times)\s+(?:a|per|every)\s+(?:\w+\s+)?(?:day|week|month|year)s?"
    r"|(?:once|twice|thrice|\w+\s+times)\s+(?:daily|weekly|monthly)"
    r"|every\s+\w+\s+(?:hours?|days?|weeks?|months?)|per\s+day|daily|weekly|monthly|occasionally)\b", re.IGNORECASE)
DURATION = re.compile(r"\b(?:for|over|during)\s+(?:the\s+)?(?:next\s+|following\s+|first\s+)?" + _NUM +
                      r"(?:\s+to\s+\d+)?\s+(day|week|month|year)s?\b", re.IGNORECASE)
_DOSES_OF = re.compile(r"\b(\d+|" + "|".join(k for k in WORDNUM if len(k) > 2) + r")\s+doses\s+of\s*$", re.IGNORECASE)


def _unit(printed: str) -> str:
    for pattern, unit in _UNITS:
        if re.fullmatch(pattern, printed.strip(), re.IGNORECASE):
            return unit
    return printed


def doses_in(segment: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Dose phases printed in ``segment`` (the text after an agent up to the next one), and a duration."""
    out: list[dict[str, Any]] = []
    durations = list(DURATION.finditer(segment))
    for m in DOSE.finditer(segment):
        after = segment[m.end():m.end() + 12]
        if re.match(r"\s*(?:years?|months?|weeks?|days?|patients?|cases?)\b", after, re.IGNORECASE):
            continue
        dose: dict[str, Any] = {}
        if m.group(2):
            dose["min"], dose["max"] = number(m.group(1)), number(m.group(2))
        else:
            dose["value"] = number(m.group(1))
        dose["unit"] = _unit(m.group(3))
        if dose["unit"] == "%" and not re.search(r"solution|cream|ointment|gel|topical", segment, re.IGNORECASE):
            continue
        before = _DOSES_OF.search(segment[:m.start()])
        if before:
            dose["frequency"] = f"{before.group(1)} doses"
        tail = segment[m.end():]
        nxt = DOSE.search(tail)
        window = tail[:nxt.start()] if nxt else tail
        f = FREQUENCY.search(window[:60])
        if f and "frequency" not in dose:
            dose["frequency"] = f.group(1)
        d = next((d for d in durations if d.start() >= m.end() and (not nxt or d.start() < m.end() + nxt.start())), None)
        if d:
            dose["duration"] = {"value": number(d.group(1)), "unit": d.group(2).casefold()}
        out.append(dose)
        then = re.search(r"\bthen\s+(" + FREQUENCY.pattern[3:-3] + r")", window, re.IGNORECASE)
        if then and f and then.start(1) > f.start():
            out.append({k: v for k, v in dose.items() if k != "duration"} | {"frequency": then.group(1)})
        raised = re.search(r"\b(?:increased|raised|titrated|escalated|reduced|decreased|tapered)\b[^.;]*?\bto\s+" +
                           r"(\d+(?:[.,]\d+)?)\s*(" + "|".join(f"(?:{u})" for u, _ in _UNITS) + ")", tail, re.IGNORECASE)
        if raised and "value" in dose and _unit(raised.group(2)) == dose["unit"]:
            lo, hi = sorted([dose.pop("value"), number(raised.group(1))])
            dose["min"], dose["max"] = lo, hi
            dur = DURATION.search(tail[:raised.end()])
            if dur and "duration" not in dose:
                dose["duration"] = {"value": number(dur.group(1)), "unit": dur.group(2).casefold()}
            break
    if re.search(r"\blow[- ]dose\b|\blow doses?\b", segment[:80], re.IGNORECASE) and not out:
        out.append({"note": Note("TODO curator: described only as a low dose", "no figure printed")})
    episode_duration = None
    if durations and not any("duration" in d for d in out):
        d = durations[0]
        episode_duration = {"value": number(d.group(1)), "unit": d.group(2).casefold()}
    return out, episode_duration


# ------------------------------------------------------------------------------------ outcomes
OUTCOMES = [
    (r"\b(?:complete(?:ly)?\s+(?:regression|resolution|resolved|disappear\w*|remission of (?:the )?calcinosis)"
     r"|disappearance|disappeared|resolved completely|cleared completely)\b", "complete regression"),
    (r"\b(?:near[- ]complete|almost complete|practically disappeared|almost disappeared|nearly disappeared)\b",
     "near-complete regression"),
    (r"\bpartial(?:ly)?\s+(?:improvement|improved|response|regression)\b", "partial improvement"),
    (r"\b(?:without (?:any |significant |notable )?improvement|no (?:significant |notable )?(?:improvement|effect|response)"
     r"|had no effect|ineffective|not effective|without (?:any |significant )?effect)\b", "no significant improvement"),
    (r"\b(?:worsen\w*|deteriorat\w*|progressed)\b", "worsening"),
    (r"\bfollow[- ]up (?:is |was )?(?:still )?ongoing\b", "unknown, follow-up ongoing"),
]


def outcome_in(text: str) -> str | None:
    """The controlled outcome value when the wording is unambiguous (one value only)."""
    found = {value for pattern, value in OUTCOMES if re.search(pattern, text, re.IGNORECASE)}
    if "near-complete regression" in found:
        found.discard("complete regression")
    return found.pop() if len(found) == 1 else None


HEDGE = re.compile(r"\b(seems?|seemed|may|might|could|possibly|probably|appears?\s+to|likely|suggest\w*)\b", re.IGNORECASE)
DIFFERENTIAL = re.compile(r"\b(mimic\w*|differential diagnos\w*|differentials?|confused\s+\w*\s*with|to be distinguished from"
                          r"|resembl\w*)\b", re.IGNORECASE)
UNDERLYING = re.compile(r"\b(secondary to|complicating|complicated by|associated with|in the setting of|due to|caused by"
                        r"|in the context of|related to)\b", re.IGNORECASE)
SUSPECTED = re.compile(r"\b(suspected|probable|possible|presumed|presumptive|likely)\b", re.IGNORECASE)
LESION = re.compile(r"\b(calcin\w*|calcif\w*|nodul\w*|deposit\w*|lesions?|swellings?|mass(?:es)?|tumou?r\w*)\b", re.IGNORECASE)
ASSOCIATION = re.compile(r"\b(associated|association|secondary to|complicat\w*|caused by|occurs? in|seen in|linked|due to"
                         r"|in the presence of|related to|complication of|after|following)\b", re.IGNORECASE)
CLASSIFICATION = re.compile(r"\b(types?|subgroups?|forms?|variants?|varieties|variety|classified|subtypes?|includes?)\b",
                            re.IGNORECASE)
OWN = re.compile(r"\b(our (?:study|series|patients?|cases?|case)|in this (?:study|series)|we (?:report|treated|observed))\b",
                 re.IGNORECASE)
ANAPHOR = re.compile(r"^\W*(?:\w+\s+){0,5}(it|its)\b|\b(this|the same) (molecule|drug|agent|treatment|therapy|product)\b",
                     re.IGNORECASE)
CAUSE = re.compile(r"\b(?:after|following|due to|caused by|secondary to)\s+(?:an?\s+|the\s+)?"
                   r"((?:(?:extravasation|injection|infusion|administration|application)\s+of\s+)?[^,.;()]{3,60}?)"
                   r"(?=[,.;()]|\s+(?:at|in|on|into|with|and|was|were)\b|$)", re.IGNORECASE)
_CAUSE_WORDS = re.compile(r"calcium|phosph|extravasation|injection|infusion|trauma|surgery|procedure|catheter|heparin"
                          r"|vaccin|tattoo|electrode|burn|transfusion", re.IGNORECASE)


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return s[:40].strip("-") or "x"


@dataclass
class Context:
    """What the extraction needs: the matcher, the number of references, the term index."""

    matcher: Matcher
    max_ref: int
    candidates: list[tuple[str, str, str]] = field(default_factory=list)  # (phrase, kind, locator)
    title: str = ""  # the report's title: a calcinosis type it names is the case's when the case names none
    hpo_used: dict[str, str] = field(default_factory=dict)  # label -> HPO id

    def concepts(self, text: str) -> list[Concept]:
        found = self.matcher.find(text)
        for c in found:
            if c.kind == "hpo":
                self.hpo_used[c.label] = c.source
        return found

    def ancestors(self, iri: str) -> set[str]:
        return self.matcher.index.ancestors(iri) if iri else set()


def _where(p: Paragraph, with_paragraph: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"section": p.section}
    if with_paragraph and p.number and not (p.case and p.section == f"Case {p.case}" and p.number == 0):
        out["paragraph"] = p.number
    return out


def _adjective_types(ctx: Context, sentence: str) -> list[Concept]:
    """Bare type words in a classification sentence ("dystrophic, metastatic, ...") as calcinosis types."""
    firsts: dict[str, tuple[str, str]] = {}
    for iri, label in ctx.matcher.index.labels.items():
        if ctx.matcher.index.is_kind(iri, "calcinosis") and label != "calcinosis cutis":
            firsts.setdefault(label.split()[0].casefold(), (label, iri))
            if len(label.split()) == 1:
                firsts[label.casefold()] = (label, iri)
    out = []
    for m in re.finditer(r"\b([A-Za-z]+)\b", sentence):
        word = m.group(1).casefold()
        if word in firsts and word not in {"benign", "calcinosis"}:
            label, iri = firsts[word]
            out.append(Concept(m.start(), m.end(), m.group(1), label, "calcinosis", "ontology", iri))
    return out


# ------------------------------------------------------------------------------------ cases
def draft_case(ctx: Context, number_: int, paragraphs: list[Paragraph], whole_section: bool) -> tuple[dict, list]:
    """One case from its paragraphs; returns the case and the differential statements seen in it."""
    text = " ".join(p.text for p in paragraphs)
    case: dict[str, Any] = {"number": number_}
    age = age_of(text)
    if age:
        case["age_at_presentation"] = age
    else:
        case["# age"] = "no age found in the case text: add age_at_presentation if the report prints one"
    sex = sex_of(text)
    case["sex"] = Note(sex, "no sex word or pronoun found") if sex == "not stated" else sex
    diagnoses: list[dict[str, Any]] = []
    sites: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    episodes: list[dict[str, Any]] = []
    causes: list[dict[str, Any]] = []
    differentials: list[dict[str, Any]] = []
    for p in paragraphs:
        where = _where(p, with_paragraph=not whole_section)
        for sentence in sentences(p.text):
            found = ctx.concepts(sentence)
            differential = DIFFERENTIAL.search(sentence)
            _case_diagnoses(ctx, sentence, found, differential, diagnoses, differentials, where)
            _case_sites(sentence, found, sites)
            _case_findings(ctx, sentence, found, findings, where)
            _case_episodes(ctx, sentence, found, episodes, where)
            _case_causes(ctx, sentence, found, causes, where)
            for phrase, kind in _candidates(ctx, sentence, found):
                ctx.candidates.append((phrase, kind, _locator(where)))
    # a general term is dropped when a narrower one of the same case says more
    iris = {d["_iri"] for d in diagnoses}
    diagnoses = [d for d in diagnoses if not any(d["_iri"] in ctx.ancestors(o) and o != d["_iri"] for o in iris)]
    if not any(d["_kind"] == "calcinosis" for d in diagnoses):
        titled = [c for c in ctx.concepts(ctx.title) if c.kind == "calcinosis" and c.label != "calcinosis cutis"]
        if titled:
            diagnoses.insert(0, {"condition": Note(titled[0].label, "named in the title, not in the case text: check"),
                                 "_iri": titled[0].iri, "_kind": "calcinosis"})
        else:
            diagnoses.insert(0, {"condition": Note("calcinosis cutis", "the case text names no type: curator to choose"),
                                 "_iri": "", "_kind": "calcinosis"})
    case["diagnoses"] = [{k: v for k, v in d.items() if not k.startswith("_")} for d in diagnoses]
    if sites:
        case["sites"] = sites
    if findings:
        case["findings"] = [{k: v for k, v in f.items() if not k.startswith("_")} for f in findings]
    if causes:
        case["causes"] = causes
    if episodes:
        for k, e in enumerate(episodes, start=1):
            e["number"] = k
        case["episodes"] = [_order_episode(e) for e in episodes]
    case["evidence"] = {"where": {"section": paragraphs[0].section}, "kind": "own patient observation", "level": "C",
                        "summary": TODO_SUMMARY}
    return case, differentials


def _locator(where: dict[str, Any]) -> str:
    return where["section"] + (f" ¶{where['paragraph']}" if "paragraph" in where else "")


def _case_diagnoses(ctx, sentence, found, differential, diagnoses, differentials, where) -> None:
    for c in found + _type_words(ctx, sentence, found):
        if c.kind not in ("calcinosis", "diagnosis") or c.source != "ontology":
            continue
        if differential and c.kind == "diagnosis" and c.start > differential.start():
            differentials.append({"of": "calcinosis cutis", "differential": c.label, "where": where})
            continue
        if any(d["_iri"] == c.iri for d in diagnoses):
            continue
        if c.label in GENERIC and c.label != "calcinosis cutis":
            continue
        d: dict[str, Any] = {"condition": c.label, "_iri": c.iri, "_kind": c.kind}
        if SUSPECTED.search(sentence):
            d["certainty"] = "suspected"
        if c.kind == "diagnosis":
            d["role"] = Note("underlying" if UNDERLYING.search(sentence) else None,
                             "underlying (the report ties the calcinosis to it) or coexisting: curator to decide")
        diagnoses.append(d)


def _type_words(ctx, sentence, found) -> list[Concept]:
    """"the idiopathic type", "dystrophic form": a calcinosis type named by its adjective."""
    out = []
    for c in _adjective_types(ctx, sentence):
        after = sentence[c.end:c.end + 12]
        if re.match(r"\s+(type|form|variety|variant|calcification)\b", after, re.IGNORECASE) and \
                not any(f.start <= c.start < f.end for f in found):
            out.append(c)
    return out


def _case_sites(sentence, found, sites) -> None:
    if not LESION.search(sentence):
        return
    for c in found:
        if c.kind != "site" or c.label in GENERIC:
            continue
        if re.search(r"(ous|al|ar|ic)$", c.text.casefold()):  # an adjective ("subcutaneous nodules")
            continue
        before = sentence[max(0, c.start - 25):c.start]
        lat = re.search(r"\b(right|left|both|bilateral|two)\s+(?:\w+\s+)?$", before, re.IGNORECASE)
        laterality = None
        if lat:
            word = lat.group(1).casefold()
            laterality = word if word in ("right", "left") else "bilateral"
        elif re.sub(r"e?s$", "", c.text.casefold().split()[-1]) == c.label.casefold().split()[-1] != c.text.casefold().split()[-1]:
            laterality = Note("bilateral", "plural in the text: check")
        existing = next((s for s in sites if s["site"] == c.label), None)
        if existing:
            if laterality and "laterality" not in existing:
                existing["laterality"] = laterality
            continue
        site: dict[str, Any] = {"site": c.label}
        if laterality:
            site["laterality"] = laterality
        sites.append(site)


_NORMAL = r"\b(?:were|was|are|is|remained|came back)?\s*(?:normal|unremarkable|within (?:the )?(?:normal )?range|negative|positive)\b"
_CUES = [
    (re.compile(r"\b(normal|unremarkable|within (?:the )?(?:normal )?range|normali[sz]ation)\b", re.I), "normal"),
    (re.compile(r"\bnegative\b", re.I), "negative"),
    (re.compile(r"\bpositive\b", re.I), "positive"),
    (re.compile(r"\b(elevated|high|raised|increased?)\b", re.I), "elevated"),
    (re.compile(r"\b(low|decreased|reduced)\b", re.I), "decreased"),
]


def _result(sentence: str, c: Concept, is_test: bool) -> str | None:
    clause_start = max(sentence.rfind(";", 0, c.start), sentence.rfind(":", 0, c.start)) + 1
    before = sentence[clause_start:c.start]
    if re.search(r"\b(no|without|absence of|absent|free of|denied)\b[^.;]*$", before, re.IGNORECASE) and \
            not re.search(r"\b(showed|revealed|but)\b", before, re.IGNORECASE):
        return "negative"
    near_before = before[-30:]
    if re.search(r"\b(increase in|elevated|high|raised)\s+(?:\w+\s+)?$", near_before, re.IGNORECASE):
        return "elevated"
    if re.search(r"\bpositive\s+(?:\w+\s+)?$", near_before, re.IGNORECASE):
        return "positive"
    end = min([i for i in (sentence.find(";", c.end), sentence.find(":", c.end)) if i >= 0] or [len(sentence)])
    after = sentence[c.end:end]
    best = None
    for regex, value in _CUES:
        m = regex.search(after)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), value)
    if best and (value := best[1]) in ("normal", "negative", "positive") or best and best[0] < 40:
        return best[1]
    if is_test and re.search(r"^\W*(?:\w+\W+){0,6}(showed|revealed|demonstrated|found|disclosed)\b", after, re.IGNORECASE):
        return "abnormal"
    return None


def _case_findings(ctx, sentence, found, findings, where) -> None:
    for m in re.finditer(r"\b([a-z]{3,})less\b", sentence, re.IGNORECASE):  # "painless": pain, negative
        for c in ctx.concepts(m.group(1)):
            if c.kind in ("finding", "hpo") and c.end == len(m.group(1)) and \
                    not any(f["_label"] == c.label for f in findings):
                findings.append({"type": c.label if c.kind == "finding" else Note(c.label, c.source),
                                 "_label": c.label, "result": "negative", "where": where})
    for c in found:
        if c.kind not in ("finding", "hpo"):
            continue
        if c.kind == "hpo" and re.search(r"calcinos|calcif", c.text, re.IGNORECASE):
            continue  # the calcinosis itself is the case's diagnosis, not a finding
        if any(f["_label"] == c.label for f in findings):
            continue
        is_test = c.kind == "finding" and any(a.endswith("/DiagnosticTest") for a in ctx.ancestors(c.iri))
        finding: dict[str, Any] = {"type": Note(c.label, c.source) if c.kind == "hpo" else c.label, "_label": c.label}
        result = _result(sentence, c, is_test)
        if result:
            finding["result"] = result
        site = next((s for s in found if s.kind == "site" and s.start >= c.end and
                     re.fullmatch(r"\s+(?:of|in|on|at|over)\s+(?:the\s+)?(?:(?:right|left)\s+)?", sentence[c.end:s.start])),
                    None)
        if site:
            finding["site"] = site.label
        finding["where"] = where
        findings.append(finding)


def _agents(found: list[Concept], sentence: str) -> list[Concept]:
    """Treatment mentions, without a class named just before its member ("bisphosphonates: pamidronate")."""
    treatments = [c for c in found if c.kind == "treatment" and c.label not in GENERIC]
    out = []
    for i, c in enumerate(treatments):
        nxt = treatments[i + 1] if i + 1 < len(treatments) else None
        if nxt and re.fullmatch(r"\s*:\s*(?:[\w-]+\s+){0,3}", sentence[c.end:nxt.start]):
            continue
        out.append(c)
    return out


def _route_before(sentence: str, c: Concept, found: list[Concept]) -> list[str]:
    """Routes printed just before an agent: "IV pamidronate", "intravenous, intralesional and topical STS"."""
    routes = [r for r in found if r.kind == "route" and r.end <= c.start]
    out: list[str] = []
    pos = c.start
    for r in reversed(routes):
        gap = sentence[r.end:pos]
        if re.fullmatch(r"\s*(?:,|and|or|,\s*and|,\s*or)?\s*", gap):
            out.insert(0, r.label)
            pos = r.start
        else:
            break
    return out


def _segment_routes(segment: str, found: list[Concept], start: int, end: int) -> list[str]:
    return [r.label for r in found if r.kind == "route" and start <= r.start < end]


def _case_episodes(ctx, sentence, found, episodes, where) -> None:
    agents = _agents(found, sentence)
    pending_concomitant: list[str] = []
    for i, c in enumerate(agents):
        end = agents[i + 1].start if i + 1 < len(agents) else len(sentence)
        segment = sentence[c.end:end]
        before = sentence[max(0, c.start - 30):c.start]
        same = [e for e in episodes if e["intervention"] == c.label]
        joined = re.search(r"\b(in association with|associated (?:with|to)|along with|together with|with|plus)\s+"
                           r"(?:\w+\s+){0,2}$", before, re.IGNORECASE)
        doses, duration = doses_in(segment)
        if same and joined and episodes and episodes[-1] is not same[-1]:
            target = episodes[-1] if i > 0 and episodes[-1]["_sentence"] == sentence else None
            if target is not None:
                target.setdefault("concomitant", []).append(c.label)
            else:
                pending_concomitant.append(c.label)
            continue
        if same and episodes and episodes[-1] is same[-1] and episodes[-1]["_where"] == where or \
                same and episodes and episodes[-1] is same[-1] and doses:
            episode = same[-1]
        else:
            episode = {"number": 0, "intervention": c.label, "_sentence": sentence, "_where": where,
                       "evidence": {"where": where, "kind": "own patient observation", "level": "C",
                                    "summary": TODO_SUMMARY}}
            if pending_concomitant:
                episode["concomitant"] = pending_concomitant
                pending_concomitant = []
            episodes.append(episode)
        routes = _route_before(sentence, c, found) or _segment_routes(segment, found, c.end, end)
        if not routes and re.search(r"\bsubcutaneous(?:ly)?\b", segment[:40], re.IGNORECASE):
            routes = ["subcutaneous"]
        if routes and "route" not in episode:
            episode["route"] = routes[0]
            for route in routes[1:]:  # "intralesionally and intravenously": one episode per route
                episodes.append({**{k: v for k, v in episode.items() if k not in ("route", "evidence")},
                                 "route": route, "evidence": dict(episode["evidence"])})
        if doses:
            episode.setdefault("doses", []).extend(doses)
        if duration and "duration" not in episode:
            episode["duration"] = duration
        freq = FREQUENCY.search(sentence[max(0, c.start - 20):c.start] + segment[:30])
        if freq and not doses and "frequency" not in episode:
            episode["frequency"] = freq.group(1)
    if pending_concomitant and episodes:
        episodes[-1].setdefault("concomitant", []).extend(pending_concomitant)
    # the outcome: a plain wording after the agents of this sentence (or in the next sentence)
    if agents:
        tail = sentence[agents[0].start:]
        value = outcome_in(tail)
        for e in episodes:
            if e["_sentence"] == sentence and value and "calcinosis_outcome" not in e:
                e["calcinosis_outcome"] = value
        for e in episodes:
            e.setdefault("_open", True)
        for e in episodes:
            if e["_sentence"] == sentence and not value:
                e["_open"] = True
            elif e["_sentence"] == sentence:
                e["_open"] = False
    else:
        value = outcome_in(sentence)
        for e in episodes:
            if e.get("_open") and e["_where"] == where:
                if value and "calcinosis_outcome" not in e:
                    e["calcinosis_outcome"] = value
                e["_open"] = False


def _order_episode(e: dict[str, Any]) -> dict[str, Any]:
    order = ["number", "intervention", "route", "doses", "frequency", "duration", "concomitant",
             "calcinosis_outcome", "evidence"]
    out = {k: e[k] for k in order if k in e}
    if "calcinosis_outcome" not in out:
        out["calcinosis_outcome"] = Note(None, OUTCOME_TODO)
        out = {k: out[k] for k in order if k in out}
    return out


def _case_causes(ctx, sentence, found, causes, where) -> None:
    if not re.search(r"calci", sentence, re.IGNORECASE):
        return
    for m in CAUSE.finditer(sentence):
        phrase = m.group(1).strip()
        if not _CAUSE_WORDS.search(phrase):
            continue
        inside = [c for c in found if m.start(1) <= c.start < m.end(1)]
        if any(c.kind in ("diagnosis", "calcinosis") for c in inside):
            continue
        agent = next((c.label for c in inside if c.kind == "treatment"), None)
        bare = re.sub(r"^(?:extravasation|injection|infusion|administration|application)\s+of\s+", "", phrase,
                      flags=re.IGNORECASE)
        if agent is None:
            agent = bare
            ctx.candidates.append((bare, "cause agent?", _locator(where)))
        cause: dict[str, Any] = {"agent": agent}
        if bare != phrase:
            cause["note"] = Note("TODO curator: how the agent reached the tissue, in your own words",
                                 phrase.split()[0].casefold())
        cause["evidence"] = {"where": where, "kind": "own patient observation", "level": "C",
                             "summary": TODO_SUMMARY}
        if all(c["agent"] != agent for c in causes):
            causes.append(cause)


def _candidates(ctx, sentence, found) -> list[tuple[str, str]]:
    from calcikg.draft.concepts import term_candidates

    return term_candidates(sentence, found)


# ------------------------------------------------------------------------------------ statements
def draft_statements(ctx: Context, paragraphs: list[Paragraph]) -> list[dict[str, Any]]:
    """Treatment, differential, association and classification statements of the non-case text."""
    out: list[dict[str, Any]] = []
    seen_claims: set[tuple] = set()
    for p in paragraphs:
        heading_agent = _heading_agent(ctx, p.section)
        text = normalise_citations(p.text, ctx.max_ref)
        sents = sentences(text)
        where = _where(p)
        last_agent: str | None = heading_agent
        for sentence in sents:
            # only the sentence's own citations: a sentence without one is an author statement, never
            # attributed to the reference that closes a later sentence (docs/curating.md, Citations)
            cites = citations(sentence, ctx.max_ref)
            own = bool(OWN.search(sentence))
            evidence = plain = _evidence(where, cites, own)
            found = ctx.concepts(sentence)
            for phrase, kind in _candidates(ctx, sentence, found):
                ctx.candidates.append((phrase, kind, _locator(where)))
            if DIFFERENTIAL.search(sentence):
                of = next((c.label for c in found if c.kind == "calcinosis"), "calcinosis cutis")
                for c in found:
                    if c.kind == "diagnosis" and c.start > DIFFERENTIAL.search(sentence).start():
                        out.append({"id": f"differential-{slug(c.label)}", "kind": "differential", "of": of,
                                    "differential": c.label, "evidence": dict(plain)})
                continue
            offset = 0
            for clause in clauses(sentence):
                start = sentence.find(clause, offset)
                offset = start + len(clause)
                in_clause = [Concept(c.start - start, c.end - start, c.text, c.label, c.kind, c.source, c.iri)
                             for c in found if start <= c.start < start + len(clause)]
                agents = _agents(in_clause, clause)
                if not agents and (cites or own) and (ANAPHOR.search(clause) or clause[:1].islower()
                                                       or re.match(r"(Has|Have|Is|Was|Were)\b", clause)):
                    if last_agent:
                        agents = [Concept(0, 0, "", last_agent, "treatment", "ontology", "")]
                named = ("calcinosis", "diagnosis")
                conditions = [c.label for c in in_clause if c.kind in named and c.label not in GENERIC - {"calcinosis cutis"}]
                if not conditions:
                    conditions = [c.label for c in found if c.kind in named and c.label not in GENERIC - {"calcinosis cutis"}]
                conditions = list(dict.fromkeys(conditions))
                for c in agents:
                    routes = _route_before(clause, c, in_clause) if c.end else []
                    for route in routes or [None]:
                        statement = _treatment_statement(c.label, route, clause, c, conditions, evidence)
                        out.append(statement)
                    if c.label not in GENERIC:
                        last_agent = c.label
            for s in _association_statements(ctx, sentence, found, plain):
                key = (s["kind"], s.get("subtype"), s.get("parent"), s.get("calcinosis"), s.get("condition"), p.section,
                       p.number)
                if key not in seen_claims:
                    seen_claims.add(key)
                    out.append(s)
    _unique_ids(out)
    return out


def _heading_agent(ctx: Context, section: str) -> str | None:
    if " > " not in section:
        return None
    agents = [c for c in ctx.concepts(section.split(" > ", 1)[1]) if c.kind == "treatment" and c.label not in GENERIC]
    return agents[0].label if len(agents) == 1 else None


def _evidence(where, cites, own) -> dict[str, Any]:
    if cites:
        ev: dict[str, Any] = {"where": where, "kind": "cited literature claim", "cites": cites, "level": "E"}
    elif own:
        ev = {"where": where, "kind": "own patient observation", "level": "C"}
    else:
        ev = {"where": where, "kind": "author statement", "level": "E"}
    ev["summary"] = TODO_SUMMARY
    return ev


def _treatment_statement(agent, route, clause, c, conditions, evidence) -> dict[str, Any]:
    s: dict[str, Any] = {"id": f"treatment-{slug(agent)}", "kind": "treatment", "intervention": agent}
    if route:
        s["route"] = route
    segment = clause[c.end:] if c.end else clause
    doses, _ = doses_in(segment)
    doses = [d for d in doses if "note" not in d]
    if doses:
        s["doses"] = doses
    value = outcome_in(clause)
    if value:
        s["calcinosis_outcome"] = value
    else:
        s["calcinosis_outcome"] = Note(None, OUTCOME_TODO)
    if HEDGE.search(clause):
        s["hedged"] = True
    s["population"] = {"conditions": conditions} if conditions else Note({}, "no condition named in the sentence: "
                                                                          "curator to fill or remove")
    s["evidence"] = dict(evidence)
    return s


def _association_statements(ctx, sentence, found, evidence) -> list[dict[str, Any]]:
    out = []
    types = [c for c in found if c.kind == "calcinosis"]
    if CLASSIFICATION.search(sentence):
        adjectives = [c for c in _adjective_types(ctx, sentence) if not any(f.start <= c.start < f.end for f in found)]
        subtypes = [c for c in types + adjectives if c.label != "calcinosis cutis"]
        if len({c.label for c in subtypes}) >= 2:
            parent = "calcinosis cutis"
            cue = re.search(r"\b(includes?|including|such as|namely|comprises?|consists? of)\b", sentence, re.IGNORECASE)
            if cue:
                heads = [c for c in types + adjectives if c.end <= cue.start()]
                if heads:
                    parent = heads[-1].label
                subtypes = [c for c in subtypes if c.start >= cue.end() and c.label != parent]
            for c in dict((c.label, c) for c in subtypes).values():
                out.append({"id": f"type-{slug(c.label)}", "kind": "classification", "subtype": c.label,
                            "parent": parent, "evidence": dict(evidence)})
        types = types + [c for c in adjectives if re.match(r"\s+(type|form|variety|variant)\b",
                                                           sentence[c.end:c.end + 10], re.IGNORECASE)]
    types = types + [c for c in _adjective_types(ctx, sentence)
                     if re.match(r"\s+(calcification|calcinosis|type|form|variety|variant)\b", sentence[c.end:c.end + 14],
                                 re.IGNORECASE) and not any(f.start <= c.start < f.end for f in found)]
    if not types and re.search(r"\bcalcinosis\b", sentence, re.IGNORECASE):
        at = re.search(r"\bcalcinosis\b", sentence, re.IGNORECASE).start()
        types = [Concept(at, at, "calcinosis", "calcinosis cutis", "calcinosis", "ontology", "")]
    offset = 0
    for clause in clauses(sentence):
        start = sentence.find(clause, offset)
        offset, end = start + len(clause), start + len(clause)
        if not ASSOCIATION.search(clause):
            continue
        here = [c for c in types if start <= c.start <= end] or types
        diseases = [c for c in found if start <= c.start < end and c.kind in ("diagnosis", "finding")
                    and c.label not in GENERIC and not any(a.endswith("/DiagnosticTest") for a in ctx.ancestors(c.iri))]
        if not here:  # about another term (a differential): the term before the cue, the diseases after it
            cue = start + ASSOCIATION.search(clause).start()
            subjects = [c for c in diseases if c.end <= cue]
            for s in subjects[:1]:
                for d in dict((c.label, c) for c in diseases if c.start >= cue).values():
                    out.append({"id": f"association-{slug(s.label)}-{slug(d.label)}", "kind": "association",
                                "subject": s.label, "condition": d.label, "evidence": dict(evidence)})
            continue
        for d in dict((c.label, c) for c in diseases).values():
            specific = [t for t in here if t.label != "calcinosis cutis"] or here
            if not specific:
                continue
            calcinosis = min(specific, key=lambda t: abs(t.start - d.start)).label
            out.append({"id": f"association-{slug(d.label)}", "kind": "association", "calcinosis": calcinosis,
                        "condition": d.label, "evidence": dict(evidence)})
    return out


def _unique_ids(statements: list[dict[str, Any]]) -> None:
    seen: dict[str, int] = {}
    for s in statements:
        base = s["id"]
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            s["id"] = f"{base}-{seen[base]}"
