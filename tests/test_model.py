"""The data model's fields for what reports say beyond treatments (issue #13), and a third report.

A synthetic record (tests/resources/records/synthetic2099.yaml, an invented report) uses each
field: causes of a case and of a type, an onset context, a disease's role (underlying,
coexisting), an unstated certainty, hedged claims, a characteristic statement, an association
about a differential, and what was read (part of a web page with no year or journal). It is
built into a copy of the project beside the two seed reports, validated, and read back through
the stored queries; records misusing the fields are refused with their line. The last test runs
the corpus-level test modules on that copy, so that they hold for any set of reports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from calcikg import paths
from calcikg.errors import RecordError
from calcikg.graph import build_data
from calcikg.records import load_record

SYNTHETIC = Path(__file__).resolve().parent / "resources" / "records" / "synthetic2099.yaml"
TESTS = Path(__file__).resolve().parent


def _calcikg(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CALCIKG_HOME": str(home),
           "CALCIKG_REPORTS": os.pathsep.join(str(d) for d in paths.REPORTS_DIRS)}
    return subprocess.run([sys.executable, "-m", "calcikg", *args], env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def third(tmp_path_factory) -> Path:
    """A copy of the project's data with the synthetic record added, built."""
    root = tmp_path_factory.mktemp("third") / "project"
    for sub in ("ontology", "kg", "queries", "shapes", "mappings", "reports"):
        shutil.copytree(paths.ROOT / sub, root / sub)
    shutil.copy(SYNTHETIC, root / "kg" / "records" / SYNTHETIC.name)
    run = _calcikg(root, "build")
    assert run.returncode == 0, run.stderr
    return root


def _query(home: Path, name: str, **params: str) -> list[dict]:
    import json

    args = ["query", name, "--format", "json"] + [a for k, v in params.items() for a in ("-p", f"{k}={v}")]
    run = _calcikg(home, *args)
    assert run.returncode == 0, run.stderr
    rows = [{k: "" if v is None else v for k, v in r.items()} for r in json.loads(run.stdout)["results"]]  # null: unbound
    return [r for r in rows if "Testwriter" in json.dumps(r) or "synthetic2099" in json.dumps(r)]


def test_third_report_builds_and_validates(third):
    run = _calcikg(third, "validate", "--no-reasoner")
    assert run.returncode == 0 and "conforms: yes" in run.stdout, run.stdout


def test_cause_of_a_case_and_of_a_type(third):
    rows = _query(third, "reported-causes", subtype="iatrogenic")
    assert {(r["cause"], r["patients"], r["hedged"], r["locator"]) for r in rows} == {
        ("extravasation", "case 1 of Testwriter n.d.", "", "Case 1, paragraph 1"),
        ("extravasation", "", "hedged", "Discussion, paragraph 1"),
    }
    # a cause is never a treatment of the calcinosis
    assert not _query(third, "evidence-for-treatment", treatment="treatment") or all(
        "extravasation" not in r["intervention"] for r in _query(third, "evidence-for-treatment", treatment="treatment"))
    assert not _query(third, "reported-causes", subtype="dystrophic")


def test_coexisting_condition_is_not_an_associated_disease(third):
    rows = _query(third, "associated-diseases")
    assert {(r["calcinosis_type"], r["condition"]) for r in rows} == {
        ("dystrophic calcinosis cutis", "dermatomyositis")}  # not chronic kidney disease (coexisting)
    findings = _query(third, "case-findings", case="synthetic2099-case1")
    ckd = [r for r in findings if r["item"] == "chronic kidney disease"]
    assert ckd and ckd[0]["result"] == "coexisting condition"


def test_unstated_certainty_stays_unstated(third):
    from rdflib import Graph, Namespace

    ckg = Namespace("https://w3id.org/calcikg/")
    g = Graph().parse(third / "kg" / "calcikg-data.ttl")
    dx = [d for d in g.subjects(ckg.condition, None) if "synthetic2099" in str(d)]
    assert len(dx) == 4 and not [d for d in dx if (d, ckg.certainty, None) in g]
    findings = _query(third, "case-findings", case="synthetic2099-case1")
    assert [r["result"] for r in findings if r["item"] == "iatrogenic calcinosis cutis"] == [""]


def test_hedged_claim_is_shown(third):
    rows = _query(third, "treatments-effective-in", condition="dermatomyositis")
    sts = [r for r in rows if r["treatment"] == "sodium thiosulfate"]
    assert [(r["outcome"], r["hedged"], r["route"], r["dose"]) for r in sts] == [
        ("partial improvement", "hedged", "intravenous", "12.5 g, three times weekly")]


def test_onset_context_is_no_treatment_outcome(third):
    rows = _query(third, "treatments-ineffective-in", condition="dermatomyositis")
    assert not rows  # the steroid being tapered is not an ineffective treatment
    findings = _query(third, "case-findings", case="synthetic2099-case2")
    onset = [r for r in findings if r["section"] == "onset, during"]
    assert [(r["item"], r["locator"]) for r in onset] == [("corticosteroid", "Case 2, paragraph 1")]


def test_characteristic_and_association_about_a_differential(third):
    rows = _query(third, "characteristics", term="dystrophic")
    assert [(r["aspect_label"], r["evidence_kind"], r["locator"]) for r in rows] == [
        ("prognosis", "author statement", "Discussion, paragraph 2")]
    claims = _query(third, "literature-claims", condition="cutaneous xanthoma")
    assert [r["kind"] for r in claims] == ["association statement"]


def test_what_was_read_is_listed(third):
    rows = [r for r in _query(third, "sources") if r["role"] == "curated report"]
    assert [(r["publication"], r["year"], r["journal"], r["read"], r["url"]) for r in rows] == [
        ("Testwriter n.d.", "", "", "part of the text read", "https://example.org/calcikg/synthetic-test-report")]
    assert "stops after the second case" in rows[0]["read_note"]


@pytest.mark.parametrize("short, label", [
    ("idiopathic", "idiopathic calcinosis cutis"), ("dystrophic", "dystrophic calcinosis cutis"),
    ("metastatic", "metastatic calcinosis cutis"), ("iatrogenic", "iatrogenic calcinosis cutis"),
    ("calciphylaxis", "calciphylaxis"), ("tumoral", "tumoral calcinosis"), ("Idiopathic", "idiopathic calcinosis cutis"),
])
def test_calcinosis_type_by_its_short_name(terms, short, label):
    assert terms.resolve(short, "calcinosis").label == label


def test_short_name_as_a_query_parameter(both_engines_rows):
    assert both_engines_rows("treatments-for-subtype", {"subtype": "idiopathic"}) == \
        both_engines_rows("treatments-for-subtype", {"subtype": "idiopathic calcinosis cutis"})


@pytest.fixture()
def both_engines_rows():
    from calcikg.query import run

    def rows(name, params):
        out = run(name, params).rows
        assert out == run(name, params, engine="rdflib").rows
        return out
    return rows


# -- misuse is refused with its line ----------------------------------------------------------------
def _edited(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(SYNTHETIC.read_text(encoding="utf-8"))
    edit(data)
    out = tmp_path / SYNTHETIC.name
    out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out


def _line_of(path: Path, text: str, after: int = 0) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if i > after and text in line)


MISUSES = [
    ("a disease without its role", lambda d: d["cases"][0]["diagnoses"][1].pop("role"),
     "- condition: chronic kidney disease", "say what this disease is to the calcinosis"),
    ("a calcinosis type with a role", lambda d: d["cases"][0]["diagnoses"][0].update(role="underlying"),
     "role: underlying", "a calcinosis type has no role"),
    ("a body site as a cause", lambda d: d["cases"][0]["causes"][0].update(agent="hand"),
     "agent: hand", "'hand' (hand) is not a cause"),
    ("a finding as the onset's treatment", lambda d: d["cases"][1]["onset_context"].update(during=["pain"]),
     "- pain", "'pain' (pain) is not a treatment"),
    ("a characteristic of an unknown aspect", lambda d: d["statements"][1].update(aspect="popularity"),
     "aspect: popularity", "'popularity' is not one of"),
    ("an association about two things", lambda d: d["statements"][2].update(calcinosis="calciphylaxis"),
     "- id: xanthoma-example", "give only one of 'calcinosis' or 'subject'"),
    ("a report with nowhere to find it", lambda d: d["report"].pop("url"),
     "id: synthetic2099", "give one of 'source_file' or 'url' or 'doi'"),
]


@pytest.mark.parametrize("name, edit, line_text, message", MISUSES, ids=[m[0] for m in MISUSES])
def test_misuse_is_refused_with_its_line(tmp_path, terms, name, edit, line_text, message):
    path = _edited(tmp_path, edit)
    with pytest.raises(RecordError) as err:
        build_data([load_record(path)], terms)
    assert message in str(err.value) and SYNTHETIC.name in str(err.value)
    assert err.value.line == _line_of(path, line_text), str(err.value)


def test_a_draft_is_refused_by_the_build(project_copy):
    record = project_copy / "kg" / "records" / "synthetic2099.yaml"
    record.write_text("status: draft\n" + SYNTHETIC.read_text(encoding="utf-8"), encoding="utf-8")
    before = (project_copy / "kg" / "calcikg.ttl").read_bytes()
    run = _calcikg(project_copy, "build")
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1 and "Traceback" not in run.stderr
    assert "synthetic2099.yaml:1: status: this record is an unreviewed draft" in lines[0]
    assert (project_copy / "kg" / "calcikg.ttl").read_bytes() == before


# -- the suite holds for any set of reports ----------------------------------------------------------
CORPUS_LEVEL = ["test_queries.py", "test_graph_contents.py", "test_records.py", "test_build.py", "test_privacy.py"]


@pytest.mark.slow
def test_corpus_level_tests_pass_with_a_third_report(third):
    """The corpus-level test modules, run on the copy with the synthetic report present."""
    env = {**os.environ, "CALCIKG_HOME": str(third),
           "CALCIKG_REPORTS": os.pathsep.join(str(d) for d in paths.REPORTS_DIRS)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-m", "not slow", "-p", "no:cacheprovider",
                          *[str(TESTS / m) for m in CORPUS_LEVEL]], env=env, capture_output=True, text=True,
                         cwd=TESTS.parent)
    assert run.returncode == 0, run.stdout[-3000:]
