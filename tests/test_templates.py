"""Term templates (ontology/templates/*.tsv): a new row builds, is found and released; each bad row is one line."""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from calcikg import paths
from calcikg.namespaces import CKG, OBO, OBOINOWL
from calcikg.templates import COLUMNS, KINDS, REQUIRED, read_template

RELEASES = ("kg/calcikg.ttl", "kg/calcikg-data.ttl", "kg/calcikg.owl", "kg/catalog-v001.xml", "ontology/calcikg.owl")
NEW_ROW = {"id": "ckg:SkinTightness", "label": "skin tightness", "kind": "finding", "parent": "clinical finding",
           "definition": "A feeling or finding of skin that is taut and hard to move over the tissue beneath.",
           "definition source": "curator", "exact synonyms": "tight skin|taut skin", "related synonyms": "skin induration",
           "xrefs": "", "comment": ""}


def _run(root, *args):
    env = {**os.environ, "CALCIKG_HOME": str(root)}
    return subprocess.run([sys.executable, "-m", "calcikg", *args], env=env, capture_output=True, text=True)


def _digest(root):
    return {rel: hashlib.sha256((root / rel).read_bytes()).hexdigest() for rel in RELEASES}


def _append(path, row: dict) -> int:
    """Append a row (cells in the file's column order); returns its line number."""
    header = path.read_text(encoding="utf-8").splitlines()[0].split("\t")
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\t".join(row.get(h, "") for h in header) + "\n", encoding="utf-8")
    return len(text.splitlines()) + 1


# -- the committed templates ------------------------------------------------------------------------
def test_templates_exist_with_robot_header():
    files = sorted(paths.TEMPLATES_DIR.glob("*.tsv"))
    assert {f.name for f in files} >= {"diseases.tsv", "findings.tsv", "tests.tsv", "drugs.tsv", "procedures.tsv",
                                       "sites.tsv"}
    for f in files:
        with f.open(newline="", encoding="utf-8") as fh:
            header, robot = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))[:2]
        assert set(REQUIRED) <= set(header), f.name
        assert [COLUMNS[h] for h in header] == robot + [""] * (len(header) - len(robot)), f.name
        assert read_template(f), f"{f.name} has no rows"


def test_template_terms_are_in_the_ontology(ontology):
    for f in sorted(paths.TEMPLATES_DIR.glob("*.tsv")):
        for t in read_template(f):
            assert (URIRef(t.iri), RDFS.label, Literal(t.label)) in ontology, t.where
            assert (URIRef(t.iri), OBO.IAO_0000115, Literal(t.definition)) in ontology, t.where
            assert t.kind in KINDS


def test_edit_file_keeps_the_upper_ontology_only():
    text = paths.ONTOLOGY_EDIT.read_text(encoding="utf-8")
    for moved in ("ckg:Pamidronate a", "ckg:Arthralgia a", "ckg:Skin a", "ckg:CreatineKinase a", "ckg:Dermatomyositis a"):
        assert moved not in text
    for kept in ("ckg:ClinicalFinding a", "ckg:Treatment a", "ckg:DrugTreatment a", "ckg:AnatomicalSite a",
                 "ckg:CalcinosisCutis a", "ckg:Female a", "ckg:hasDose a"):
        assert kept in text


# -- a new row --------------------------------------------------------------------------------------
def test_new_template_term_builds_is_found_and_released(project_copy):
    line = _append(project_copy / "ontology" / "templates" / "findings.tsv", NEW_ROW)
    run = _run(project_copy, "build")
    assert run.returncode == 0, run.stderr
    onto = Graph().parse(project_copy / "ontology" / "calcikg.owl", format="xml")
    term = CKG.SkinTightness
    assert (term, RDFS.label, Literal("skin tightness")) in onto
    assert (term, RDFS.subClassOf, CKG.ClinicalFinding) in onto
    assert (term, OBO.IAO_0000119, Literal("curator")) in onto
    assert {str(o) for o in onto.objects(term, OBOINOWL.hasExactSynonym)} == {"tight skin", "taut skin"}
    assert (term, OBOINOWL.hasRelatedSynonym, Literal("skin induration")) in onto
    assert "ckg:SkinTightness" in (project_copy / "kg" / "calcikg.ttl").read_text(encoding="utf-8")

    found = _run(project_copy, "terms", "taut skin", "--format", "json")
    assert found.returncode == 0, found.stderr
    import json

    hits = json.loads(found.stdout)
    assert hits[0]["curie"] == "ckg:SkinTightness" and hits[0]["kind"] == "finding"
    assert hits[0]["defined_in"] == f"ontology/templates/findings.tsv:{line}"
    assert hits[0]["matched"] == {"text": "taut skin", "field": "exact synonym", "how": "exact"}


# -- each error: one line, file and line, exit 2, releases untouched ----------------------------------
ERRORS = {
    "label used twice": ("findings.tsv", {**NEW_ROW, "label": "Anemia"},
                         "column 'label': 'Anemia' is already a label or exact synonym of ckg:Anemia "
                         "(ontology/templates/findings.tsv:"),
    "exact synonym of an edit-file term": ("findings.tsv", {**NEW_ROW, "exact synonyms": "Cutaneous Calcinosis"},
                                           "column 'exact synonyms': 'Cutaneous Calcinosis' is already a label or "
                                           "exact synonym of ckg:CalcinosisCutis (ontology/calcikg-edit.ttl)"),
    "missing definition": ("findings.tsv", {**NEW_ROW, "definition": ""}, "column 'definition': missing definition"),
    "unknown parent": ("findings.tsv", {**NEW_ROW, "parent": "clinical findng"},
                       "column 'parent': unknown parent 'clinical findng'; did you mean 'clinical finding'?"),
    "parent of the wrong kind": ("drugs.tsv", {**NEW_ROW, "id": "ckg:Skinomab", "label": "skinomab", "kind": "drug",
                                               "exact synonyms": "", "related synonyms": "", "parent": "skin"},
                                 "column 'parent': 'skin' is a site, not a drug"),
    "malformed id": ("findings.tsv", {**NEW_ROW, "id": "ckg:skin tightness"}, "column 'id': malformed id"),
    "unknown kind": ("findings.tsv", {**NEW_ROW, "kind": "symptom"}, "column 'kind': unknown kind 'symptom'"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_template_error_is_one_line(project_copy, case):
    name, row, expected = ERRORS[case]
    before = _digest(project_copy)
    line = _append(project_copy / "ontology" / "templates" / name, row)
    run = _run(project_copy, "build")
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert lines[0].startswith(f"calcikg: error: ontology/templates/{name}:{line}: "), lines[0]
    assert expected in lines[0], lines[0]
    assert _digest(project_copy) == before


def test_unknown_column_is_one_line(project_copy):
    path = project_copy / "ontology" / "templates" / "sites.tsv"
    rows = path.read_text(encoding="utf-8").split("\n")
    rows[0] = rows[0].replace("exact synonyms", "synonyms")
    path.write_text("\n".join(rows), encoding="utf-8")
    run = _run(project_copy, "build")
    assert run.returncode == 2
    assert run.stderr.strip() == ("calcikg: error: ontology/templates/sites.tsv:1: column 7 'synonyms': unknown column; "
                                  "did you mean 'exact synonyms'?")


def test_turtle_syntax_error_is_one_line_with_its_line(project_copy):
    edit = project_copy / "ontology" / "calcikg-edit.ttl"
    lines = edit.read_text(encoding="utf-8").split("\n")
    n = next(i for i, line in enumerate(lines) if line.startswith("ckg:Female a ")) + 2  # the label line
    lines[n - 1] = lines[n - 1].replace('"female"', '"female')
    edit.write_text("\n".join(lines), encoding="utf-8")
    before = _digest(project_copy)
    for command in ("build", "terms"):
        run = _run(project_copy, command, *(["female"] if command == "terms" else []))
        assert run.returncode == 2
        err = run.stderr.strip().splitlines()
        assert len(err) == 1 and "Traceback" not in run.stderr, run.stderr
        assert err[0].startswith(f"calcikg: error: ontology/calcikg-edit.ttl:{n}: not valid Turtle: "), err[0]
    assert _digest(project_copy) == before
