"""Stage 2: curated records + ontology -> the populated RDF graph (see docs/model.md).

Every node gets a named IRI derived from the record (no blank nodes), so the same records always
give the same triples. Terms are resolved through :class:`calcikg.terms.TermIndex`; anything the
ontology does not know, any dangling reference (a cited reference number, an episode number) is a
:class:`calcikg.errors.RecordError` naming file, line and field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

from calcikg.namespaces import BIBO, CKD, CKG, DATA_GRAPH_IRI, FABIO, ONTOLOGY_IRI, PROV
from calcikg.records import Record, line_of
from calcikg.terms import KINDS, TermIndex, UnknownTerm

SEX = {"female": CKG.Female, "male": CKG.Male, "not stated": CKG.SexNotStated, "mixed": CKG.FemaleAndMale}
CERTAINTY = {"confirmed": CKG.Confirmed, "suspected": CKG.Suspected}
ROLE = {"underlying": CKG.UnderlyingCondition, "coexisting": CKG.CoexistingCondition}
READ = {"full text": CKG.FullTextCurated, "abstract only": CKG.AbstractOnlyCurated, "partial": CKG.PartialTextCurated}
LATERALITY = {"left": CKG.Left, "right": CKG.Right, "bilateral": CKG.Bilateral}
INTERPRETATION = {
    "normal": CKG.Normal, "abnormal": CKG.Abnormal, "elevated": CKG.Elevated,
    "decreased": CKG.Decreased, "positive": CKG.Positive, "negative": CKG.Negative,
}
EVIDENCE_KIND = {
    "own patient observation": CKG.OwnPatientObservation,
    "cited literature claim": CKG.CitedLiteratureClaim,
    "author statement": CKG.AuthorStatement,
}
#: Statements that relate two terms: (record field, term kind, property) for each side, and a label.
PAIR_STATEMENTS = {
    "association": (("calcinosis", "calcinosis", CKG.calcinosisType),
                    ("condition", "domain term", CKG.associatedCondition), "{a} with {b}"),
    "classification": (("subtype", "domain term", CKG.subtype),
                       ("parent", "domain term", CKG.parentType), "{a} as a kind of {b}"),
    "differential": (("of", "domain term", CKG.differentialOf),
                     ("differential", "domain term", CKG.differentialDiagnosis), "{b} as a differential of {a}"),
    "cause": (("calcinosis", "calcinosis", CKG.calcinosisType), ("agent", "cause", CKG.causalAgent),
              "{b} as a cause of {a}"),
    "characteristic": (("about", "domain term", CKG.aboutTerm), ("aspect", "aspect", CKG.statementAspect),
                       "{b} of {a}"),
}
STATEMENT_CLASS = {
    "treatment": CKG.TreatmentClaim,
    "association": CKG.AssociationStatement,
    "classification": CKG.ClassificationStatement,
    "differential": CKG.DifferentialDiagnosisStatement,
    "cohort": CKG.CohortStatement,
    "cause": CKG.CauseStatement,
    "characteristic": CKG.CharacteristicStatement,
}


def locator_text(where: dict) -> str:
    """``Case 3, paragraph 2``: the section and, when given, the paragraph."""
    return where["section"] + (f", paragraph {where['paragraph']}" if "paragraph" in where else "")


def _decimal(value: Any) -> Literal:
    return Literal(Decimal(str(value)), datatype=XSD.decimal)


def _number(value: Any) -> str:
    """``2`` -> ``2``, ``2.50`` -> ``2.5``: numbers as people write them."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def quantity_text(q: dict, unit_label: str) -> str:
    """``30 mg/day``, ``2-4 mg/kg/day``, ``at least 5 month``: the numbers as the record gives them."""
    if "value" in q:
        number = _number(q["value"])
    elif "min" in q and "max" in q:
        number = f"{_number(q['min'])}-{_number(q['max'])}"
    elif "min" in q:
        number = f"at least {_number(q['min'])}"
    elif "max" in q:
        number = f"up to {_number(q['max'])}"
    else:
        return ""
    one = number.split()[-1] == "1"  # "1 year", "up to 1 year", "at least 1 year"; but "0.5-1 years"
    if unit_label in {"year", "month", "week", "day"} and not one:
        unit_label += "s"  # "3 years", as people write it; the unit itself stays ckg:Year
    elif unit_label == "patients" and one:
        unit_label = "patient"
    return f"{number} {unit_label}".strip()


def dose_text(dose: dict, unit_label: str, duration_label: str) -> str:
    """One dose phase in words: amount, frequency, duration, and the curator's note."""
    parts = [quantity_text(dose, unit_label)]
    parts += [dose.get("frequency", ""), f"for {duration_label}" if duration_label else ""]
    text = ", ".join(p for p in parts if p)
    if dose.get("note"):
        text = f"{text} ({dose['note']})" if text else dose["note"]
    return text


def report_label(report: dict) -> str:
    """``Mouaddine et al. 2021``: first author's surname (initials dropped) and the year (``n.d.``
    when none is printed, as for a web case letter)."""
    words = report["authors"][0].split()
    if len(words) > 1 and words[-1].replace(".", "").isupper():
        words = words[:-1]  # "Marco Puche M" -> "Marco Puche"
    many = len(report["authors"]) > 1 or report.get("et_al", False)
    return f"{' '.join(words)}{' et al.' if many else ''} {report.get('year', 'n.d.')}"


class _RecordBuilder:
    """Adds one record's triples to a graph."""

    def __init__(self, graph: Graph, terms: TermIndex, record: Record):
        self.g, self.terms, self.record = graph, terms, record
        report = record.data["report"]
        self.rid = report["id"]
        self.report = CKD[self.rid]
        self.label = report_label(report)
        self.references: dict[int, URIRef] = {}
        self.origins: dict[URIRef, tuple[str, int | None]] = {}

    # -- helpers -------------------------------------------------------------------------------
    def add(self, s, p, o) -> None:
        if o is not None:
            self.g.add((s, p, o if isinstance(o, (URIRef, Literal)) else Literal(o)))

    def term(self, text: str, kind: str, path: list, *, punned: bool = True) -> URIRef:
        try:
            iri = URIRef(self.terms.resolve(text, kind).iri)
        except UnknownTerm as exc:
            raise self.record.error(path, str(exc)) from None
        if punned and KINDS[kind][0] == "class":
            # A class used as a value: OWL 2 punning, declared so Protégé and the DL profile see it.
            self.g.add((iri, RDF.type, OWL.NamedIndividual))
        return iri

    def node(self, local: str, cls: URIRef, label: str | None = None, path: list | None = None) -> URIRef:
        iri = CKD[local]
        if path is not None:
            self.origins[iri] = (self.record.name, line_of(self.record.data, path))
        self.g.add((iri, RDF.type, cls))
        self.g.add((iri, RDF.type, OWL.NamedIndividual))
        if label:
            self.g.add((iri, RDFS.label, Literal(label)))
        return iri

    def quantity(self, owner: str, field: str, q: dict | None, path: list, cls: URIRef = CKG.Quantity) -> URIRef | None:
        """A quantity node with its numbers, unit and a display label such as ``2-4 mg/kg/day``."""
        if not q:
            return None
        iri = self.node(f"{owner}-{field}", cls, path=path)
        for key, prop in (("value", CKG.numericValue), ("min", CKG.minValue), ("max", CKG.maxValue)):
            if key in q:
                self.g.add((iri, prop, _decimal(q[key])))
        unit = self.term(q["unit"], "unit", path + ["unit"]) if "unit" in q else None
        self.add(iri, CKG.unit, unit)
        self.add(iri, RDFS.comment, q.get("note"))
        label = quantity_text(q, self.terms.label(unit) if unit else "")
        if label:
            self.add(iri, RDFS.label, label)
        return iri

    def evidence(self, owner: str, ev: dict, path: list, *, default_where: dict | None = None,
                 default_kind: str | None = None, direction: URIRef | None = None) -> URIRef:
        iri = self.node(f"{owner}-evidence", CKG.Evidence, path=path)
        where = ev.get("where") or default_where
        if not where:
            raise self.record.error(path, "evidence needs 'where' (section and paragraph of the report)")
        kind = ev.get("kind") or ("cited literature claim" if ev.get("cites") else default_kind)
        if not kind:
            raise self.record.error(path, "evidence needs 'kind' (own patient observation, cited literature claim or author statement)")
        if kind == "cited literature claim" and not ev.get("cites"):
            raise self.record.error(path + ["kind"], "a cited literature claim needs 'cites' (the reference numbers)")
        self.add(iri, PROV.wasDerivedFrom, self.report)
        self.add(iri, CKG.locator, locator_text(where))
        self.add(iri, CKG.section, where["section"])
        if "paragraph" in where:
            self.add(iri, CKG.paragraph, Literal(where["paragraph"], datatype=XSD.integer))
        self.add(iri, CKG.evidenceKind, EVIDENCE_KIND[kind])
        for i, number in enumerate(ev.get("cites", [])):
            if number not in self.references:
                raise self.record.error(path + ["cites", i], f"reference {number} is not in this report's reference list")
            self.add(iri, PROV.hadPrimarySource, self.references[number])
        level = ev.get("level") or ("E" if kind == "author statement" else "C")
        self.add(iri, CKG.evidenceLevel, CKG[f"Level{level}"])
        self.add(iri, CKG.direction, direction)
        self.add(iri, CKG.curatorSummary, ev["summary"])
        return iri

    def direction(self, outcome: URIRef | None) -> URIRef | None:
        if outcome is None:
            return None
        types = self.terms.classes_of(outcome)
        if str(CKG.FavourableOutcome) in types:
            return CKG.Supports
        if str(CKG.UnfavourableOutcome) in types:
            return CKG.DoesNotSupport
        return None

    # -- record parts --------------------------------------------------------------------------
    def build(self) -> None:
        data = self.record.data
        self.bibliography(data["report"], self.report, ["report"], curated=True)
        numbers: set[int] = set()
        for i, ref in enumerate(data.get("references", [])):
            if ref["number"] in numbers:
                raise self.record.error(["references", i, "number"], f"reference number {ref['number']} appears twice")
            numbers.add(ref["number"])
            iri = CKD[f"{self.rid}-ref{ref['number']}"]
            self.references[ref["number"]] = iri
            self.bibliography(ref, iri, ["references", i], curated=False)
        seen_cases: set[int] = set()
        for i, case in enumerate(data.get("cases", [])):
            if case["number"] in seen_cases:
                raise self.record.error(["cases", i, "number"], f"case number {case['number']} appears twice")
            seen_cases.add(case["number"])
            self.case(case, ["cases", i])
        self.case_numbers = seen_cases
        seen_ids: set[str] = set()
        for i, st in enumerate(data.get("statements", [])):
            if st["id"] in seen_ids:
                raise self.record.error(["statements", i, "id"], f"statement id {st['id']!r} appears twice")
            seen_ids.add(st["id"])
            self.statement(st, ["statements", i])

    def bibliography(self, bib: dict, iri: URIRef, path: list, *, curated: bool) -> None:
        self.g.add((iri, RDF.type, OWL.NamedIndividual))
        self.g.add((iri, RDF.type, CKG.CuratedReport if curated else CKG.Publication))
        self.origins[iri] = (self.record.name, line_of(self.record.data, path))
        if "publication_kind" in bib:
            kind = self.term(bib["publication_kind"], "publication kind", path + ["publication_kind"], punned=False)
            self.add(iri, RDF.type, kind)
        label = self.label if curated else f"{self.label}, ref. {bib['number']}" + (
            f" ({report_label(bib)})" if bib.get("authors") and bib.get("year") else "")
        self.add(iri, RDFS.label, label)
        self.add(iri, DCTERMS.title, bib.get("title"))
        if bib.get("authors"):
            self.add(iri, CKG.authorList, "; ".join(bib["authors"]))
        self.add(iri, CKG.journal, bib.get("journal"))
        if "year" in bib:
            self.add(iri, FABIO.hasPublicationYear, Literal(str(bib["year"]), datatype=XSD.gYear))
        for key, prop in (("volume", BIBO.volume), ("issue", BIBO.issue), ("pages", BIBO.pages), ("doi", BIBO.doi)):
            self.add(iri, prop, bib.get(key))
        self.add(iri, DCTERMS.license, bib.get("license"))
        self.add(iri, CKG.url, bib.get("url"))
        if curated:
            self.add(iri, CKG.sourceFile, bib.get("source_file"))
            self.add(iri, CKG.curationExtent, READ[bib["read"]])
            self.add(iri, CKG.curationNote, bib.get("read_note"))
            self.add(iri, CKG.studyPeriod, bib.get("study_period"))
        else:
            self.add(iri, CKG.referenceNumber, Literal(bib["number"], datatype=XSD.integer))
            self.add(iri, CKG.inReferenceListOf, self.report)

    def case(self, case: dict, path: list) -> None:
        n = case["number"]
        local = f"{self.rid}-case{n}"
        c = self.node(local, CKG.PatientCase, f"case {n} of {self.label}", path=path)
        self.add(c, CKG.describedIn, self.report)
        self.add(c, CKG.caseNumber, Literal(n, datatype=XSD.integer))
        self.add(c, CKG.sex, SEX[case["sex"]])
        self.add(c, CKG.ageAtPresentation, self.quantity(local, "age", case.get("age_at_presentation"), path + ["age_at_presentation"], CKG.Age))
        self.add(c, CKG.ageAtOnset, self.quantity(local, "onset-age", case.get("age_at_onset"), path + ["age_at_onset"], CKG.Age))
        for k, dx in enumerate(case["diagnoses"], start=1):
            p = path + ["diagnoses", k - 1]
            d = self.node(f"{local}-dx{k}", CKG.Diagnosis, path=p)
            condition = self.term(dx["condition"], "diagnosis", p + ["condition"])
            self.add(d, CKG.condition, condition)
            self.add(d, CKG.diagnosisRole, self.diagnosis_role(condition, dx, p))
            self.add(d, CKG.certainty, CERTAINTY.get(dx.get("certainty", "")))  # unstated stays unstated
            self.add(d, RDFS.comment, dx.get("note"))
            self.add(c, CKG.hasDiagnosis, d)
        for k, cause in enumerate(case.get("causes", []), start=1):
            self.cause(c, f"{local}-cause{k}", cause, path + ["causes", k - 1], n)
        if "onset_context" in case:
            self.onset_context(c, local, case["onset_context"], path + ["onset_context"])
        for k, site in enumerate(case.get("sites", []), start=1):
            p = path + ["sites", k - 1]
            s = self.node(f"{local}-site{k}", CKG.LesionSite, path=p)
            self.add(s, CKG.site, self.term(site["site"], "site", p + ["site"]))
            self.add(s, CKG.laterality, LATERALITY.get(site.get("laterality", "")))
            self.add(s, RDFS.comment, site.get("note"))
            self.add(c, CKG.hasLesionSite, s)
        default_where = {"section": f"Case {n}"}
        for k, f in enumerate(case.get("findings", []), start=1):
            p = path + ["findings", k - 1]
            fl = f"{local}-f{k}"
            node = self.node(fl, CKG.Finding, path=p)
            self.add(node, CKG.findingType, self.term(f["type"], "finding", p + ["type"]))
            self.add(node, CKG.interpretation, INTERPRETATION.get(f.get("result", "")))
            self.add(node, CKG.measuredValue, self.quantity(fl, "value", f.get("value"), p + ["value"]))
            if "site" in f:
                self.add(node, CKG.site, self.term(f["site"], "site", p + ["site"]))
            self.add(node, RDFS.comment, f.get("note"))
            if "where" in f:
                self.add(node, CKG.locator, locator_text(f["where"]))
            self.add(c, CKG.hasFinding, node)
        case_where = case["evidence"].get("where") or default_where
        self.add(c, CKG.hasEvidence, self.evidence(local, case["evidence"], path + ["evidence"],
                                                   default_where=default_where, default_kind="own patient observation"))
        episodes = case.get("episodes", [])
        numbers = [e["number"] for e in episodes]
        for k, ep in enumerate(episodes):
            p = path + ["episodes", k]
            if numbers.count(ep["number"]) > 1:
                raise self.record.error(p + ["number"], f"episode number {ep['number']} appears twice in case {n}")
            e = self.node(f"{local}-ep{ep['number']}", CKG.TreatmentEpisode, path=p)
            self.add(e, CKG.ofCase, c)
            self.add(e, CKG.episodeNumber, Literal(ep["number"], datatype=XSD.integer))
            for j, other in enumerate(ep.get("combined_with", [])):
                if other not in numbers or other == ep["number"]:
                    raise self.record.error(p + ["combined_with", j], f"case {n} has no other episode {other}")
                self.add(e, CKG.combinedWith, CKD[f"{local}-ep{other}"])
            outcome = self.treatment(e, f"{local}-ep{ep['number']}", ep, p)
            self.hedge(e, ep)
            intervention = self.terms.resolve(ep["intervention"], "treatment").label
            self.add(e, RDFS.label, f"{intervention}, episode {ep['number']} of case {n} of {self.label}")
            self.add(e, CKG.hasEvidence, self.evidence(f"{local}-ep{ep['number']}", ep["evidence"], p + ["evidence"],
                                                       default_where=case_where, default_kind="own patient observation",
                                                       direction=self.direction(outcome)))

    def diagnosis_role(self, condition: URIRef, dx: dict, path: list) -> URIRef | None:
        """A disease needs its role for the calcinosis; a calcinosis type has none."""
        is_calcinosis = self.terms.is_kind(condition, "calcinosis")
        if is_calcinosis and "role" in dx:
            raise self.record.error(path + ["role"], "a calcinosis type has no role: 'role' is for a disease "
                                                     "(underlying or coexisting); remove it")
        if not is_calcinosis and "role" not in dx:
            raise self.record.error(path, "say what this disease is to the calcinosis: 'role: underlying' when the "
                                          "report says the calcinosis is due to it or occurs in it, 'role: coexisting' "
                                          "when the patient merely also has it")
        return ROLE.get(dx.get("role", ""))

    def cause(self, case: URIRef, local: str, cause: dict, path: list, n: int) -> None:
        """What the report names as the cause or trigger of this case's calcinosis (not a treatment of it)."""
        s = self.node(local, CKG.CauseStatement, path=path)
        agent = self.term(cause["agent"], "cause", path + ["agent"])
        self.add(s, CKG.ofCase, case)
        self.add(s, CKG.causalAgent, agent)
        self.hedge(s, cause)
        self.add(s, RDFS.comment, cause.get("note"))
        self.add(s, RDFS.label, f"{self.terms.label(agent)} as the cause of the calcinosis of case {n} of {self.label}")
        self.add(s, CKG.hasEvidence, self.evidence(local, cause["evidence"], path + ["evidence"],
                                                   default_where={"section": f"Case {n}"},
                                                   default_kind="own patient observation", direction=CKG.Supports))

    def onset_context(self, case: URIRef, local: str, onset: dict, path: list) -> None:
        """When the calcinosis appeared (e.g. while a drug was tapered): timing, not a treatment outcome."""
        o = self.node(f"{local}-onset", CKG.OnsetContext, path=path)
        for j, t in enumerate(onset.get("during", [])):
            self.add(o, CKG.duringTreatment, self.term(t, "treatment", path + ["during", j]))
        self.add(o, RDFS.comment, onset["note"])
        self.add(o, CKG.locator, locator_text(onset["where"]))
        self.add(case, CKG.onsetContext, o)

    def hedge(self, node: URIRef, fields: dict) -> None:
        if fields.get("hedged"):
            self.add(node, CKG.hedged, Literal(True))

    def treatment(self, node: URIRef, local: str, t: dict, path: list) -> URIRef | None:
        """Fields shared by case episodes and literature claims; returns the calcinosis outcome."""
        self.add(node, CKG.intervention, self.term(t["intervention"], "treatment", path + ["intervention"]))
        if "route" in t:
            self.add(node, CKG.route, self.term(t["route"], "route", path + ["route"]))
        summaries = []
        for k, dose in enumerate(t.get("doses", []), start=1):
            p = path + ["doses", k - 1]
            d = self.quantity(local, f"dose{k}", dose, p, CKG.Dose)
            self.add(d, CKG.phase, Literal(k, datatype=XSD.integer))
            self.add(d, CKG.frequency, dose.get("frequency"))
            duration = self.quantity(f"{local}-dose{k}", "duration", dose.get("duration"), p + ["duration"])
            self.add(d, CKG.duration, duration)
            self.add(node, CKG.hasDose, d)
            unit = self.terms.resolve(dose["unit"], "unit").label if "unit" in dose else ""
            summaries.append(dose_text(dose, unit,
                                       str(self.g.value(duration, RDFS.label) or "") if duration else ""))
        if summaries:
            self.add(node, CKG.doseSummary, "; then ".join(summaries))
        self.add(node, CKG.frequency, t.get("frequency"))
        self.add(node, CKG.duration, self.quantity(local, "duration", t.get("duration"), path + ["duration"]))
        outcome = None
        if "calcinosis_outcome" in t:
            outcome = self.term(t["calcinosis_outcome"], "outcome", path + ["calcinosis_outcome"])
            self.add(node, CKG.calcinosisOutcome, outcome)
        if "disease_outcome" in t:
            self.add(node, CKG.diseaseOutcome, self.term(t["disease_outcome"], "outcome", path + ["disease_outcome"]))
        self.add(node, CKG.outcomeNote, t.get("outcome_note"))
        self.add(node, CKG.stopReason, t.get("stop_reason"))
        for j, other in enumerate(t.get("concomitant", [])):
            self.add(node, CKG.concomitantTreatment, self.term(other, "treatment", path + ["concomitant", j]))
        return outcome

    def statement(self, st: dict, path: list) -> None:
        local = f"{self.rid}-{st['id']}"
        kind = st["kind"]
        s = self.node(local, STATEMENT_CLASS[kind], path=path)
        direction: URIRef | None = CKG.Supports
        if kind == "treatment":
            outcome = self.treatment(s, local, st, path)
            direction = self.direction(outcome)
            self.population(s, local, st["population"], path + ["population"])
            what = self.terms.resolve(st["intervention"], "treatment").label
        elif kind in PAIR_STATEMENTS:
            (field_a, kind_a, prop_a), (field_b, kind_b, prop_b), wording = PAIR_STATEMENTS[kind]
            if kind == "association" and "subject" in st:  # about a term that is not a calcinosis type
                field_a, kind_a, prop_a = "subject", "domain term", CKG.subjectTerm
            a = self.term(st[field_a], kind_a, path + [field_a])
            b = self.term(st[field_b], kind_b, path + [field_b])
            self.add(s, prop_a, a)
            self.add(s, prop_b, b)
            what = wording.format(a=self.terms.label(a), b=self.terms.label(b))
        else:  # cohort
            direction = None
            self.add(s, CKG.cohortOf, self.report)
            measure = self.term(st["measure"], "cohort measure", path + ["measure"])
            self.add(s, CKG.cohortMeasure, measure)
            self.add(s, CKG.statedValue, self.quantity(local, "value", st.get("value"), path + ["value"]))
            if "about" in st:
                self.add(s, CKG.aboutTerm, self.term(st["about"], "domain term", path + ["about"]))
            if "calcinosis_outcome" in st:
                self.add(s, CKG.calcinosisOutcome, self.term(st["calcinosis_outcome"], "outcome", path + ["calcinosis_outcome"]))
            self.about_cases(s, st.get("cases", []), path + ["cases"])
            what = self.terms.label(measure)
        self.hedge(s, st)
        self.add(s, RDFS.comment, st.get("note"))
        self.add(s, RDFS.label, f"{what} ({self.label}, statement {st['id']})")
        self.add(s, CKG.hasEvidence, self.evidence(local, st["evidence"], path + ["evidence"], direction=direction))

    def about_cases(self, s: URIRef, cases: list, path: list) -> None:
        for j, n in enumerate(cases):
            if n not in self.case_numbers:
                raise self.record.error(path + [j], f"this report has no case {n}")
            self.add(s, CKG.aboutCase, CKD[f"{self.rid}-case{n}"])

    def population_label(self, pop: dict, local: str) -> str:
        """``2 patients with juvenile dermatomyositis, 10-12 year (Mouaddine et al. 2021, statement x)``."""
        conditions = [self.terms.resolve(c, "domain term").label for c in pop.get("conditions", [])]
        count = pop.get("patients")
        who = f"{count} patient{'s' if count != 1 else ''}" if count else "patients"
        if pop.get("cases"):
            who = "case" + ("s " if len(pop["cases"]) > 1 else " ") + ", ".join(map(str, pop["cases"])) + f" of {self.label}"
        text = who + (f" with {', '.join(conditions)}" if conditions else "")
        age = self.g.value(CKD[f"{local}-population-age"], RDFS.label)
        if age:
            text += f", aged {age}"
        sex = {"female": "female", "male": "male", "mixed": "female and male"}.get(pop.get("sex", ""))
        if sex:
            text += f", {sex}"
        return f"{text} ({self.label}, statement {local.removeprefix(self.rid + '-')})"

    def population(self, s: URIRef, local: str, pop: dict, path: list) -> None:
        p = self.node(f"{local}-population", CKG.Population, path=path)
        for j, cond in enumerate(pop.get("conditions", [])):
            self.add(p, CKG.populationCondition, self.term(cond, "domain term", path + ["conditions", j]))
        if "patients" in pop:
            self.add(p, CKG.numberOfPatients, Literal(pop["patients"], datatype=XSD.integer))
        if "sex" in pop:
            self.add(p, CKG.sex, SEX[pop["sex"]])
        self.add(p, CKG.age, self.quantity(f"{local}-population", "age", pop.get("age"), path + ["age"], CKG.Age))
        self.add(p, RDFS.comment, pop.get("note"))
        self.add(p, RDFS.label, self.population_label(pop, local))
        self.about_cases(s, pop.get("cases", []), path + ["cases"])
        self.add(s, CKG.population, p)


class TripleSet(set):
    """What the builder needs of a graph (``add``, ``value``) over a plain set of triples.

    Building one record into a set is some 3x faster than into an rdflib ``Graph``: the corpus
    path (:mod:`calcikg.corpus`) builds thousands of records this way.
    """

    def __init__(self):
        super().__init__()
        self._first: dict = {}

    def add(self, triple) -> None:
        super().add(triple)
        self._first.setdefault(triple[:2], triple[2])

    def value(self, subject=None, predicate=None, default=None):
        return self._first.get((subject, predicate), default)


def record_triples(record: Record, terms: TermIndex,
                   origins: dict[URIRef, tuple[str, int | None]] | None = None) -> set:
    """The triples of one record (what :func:`build_data` adds for it), as a set.

    When ``origins`` is given, it is filled with the record file and line each node comes from.
    """
    sink = TripleSet()
    builder = _RecordBuilder(sink, terms, record)
    builder.build()
    if origins is not None:
        origins.update(builder.origins)
    return sink


def build_data(records: list[Record], terms: TermIndex,
               origins: dict[URIRef, tuple[str, int | None]] | None = None) -> Graph:
    """The instance graph of ``records`` (no ontology triples), with its ontology header.

    When ``origins`` is given, it is filled with the record file and line each node comes from.
    """
    graph = Graph()
    header = URIRef(DATA_GRAPH_IRI)
    graph.add((header, RDF.type, OWL.Ontology))
    graph.add((header, OWL.imports, URIRef(ONTOLOGY_IRI)))
    graph.add((header, DCTERMS.title, Literal("CalciKG populated graph: calcinosis cutis case reports")))
    graph.add((header, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")))
    for record in records:
        builder = _RecordBuilder(graph, terms, record)
        builder.build()
        if origins is not None:
            origins.update(builder.origins)
    return graph
