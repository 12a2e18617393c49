"""Tests for the bugs a mutation probe put into the code and the suite did not notice (issue #19).

Each test names the bug it catches: two records with one report id; finding locators losing
their paragraph; release files written in place; `validate --no-reasoner` answering "conforms"
on a broken graph; a stored query losing its subclass path; the Nth release write failing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from calcikg import paths
from calcikg import query as Q
from calcikg.errors import CalciKGError, RecordError

#: (parameter type, parent term, child term): the child is narrower than the parent.
PARENT_CHILD = {
    "treatment": ("bisphosphonate", "pamidronate"),
    "condition": ("dermatomyositis", "juvenile dermatomyositis"),
    "calcinosis": ("calcinosis cutis", "dystrophic calcinosis cutis"),
    "term": ("calcinosis cutis", "dystrophic calcinosis cutis"),
}


def test_two_records_with_one_report_id_are_refused(tmp_path):
    from calcikg.records import load_records

    for name in ("randhawa2018.yaml", "copy-of-randhawa.yaml"):
        shutil.copy(paths.RECORDS_DIR / "randhawa2018.yaml", tmp_path / name)
    with pytest.raises(RecordError) as err:
        load_records(tmp_path)
    assert "already used" in str(err.value) and "randhawa2018" in str(err.value)


def _places(data) -> set[tuple[str, str]]:
    """(section, paragraph) of every ``where:`` of a record that names a paragraph."""
    found = set()
    if isinstance(data, dict):
        where = data.get("where")
        if isinstance(where, dict) and "paragraph" in where:
            found.add((str(where.get("section", "")), str(where["paragraph"])))
        for v in data.values():
            found |= _places(v)
    elif isinstance(data, list):
        for v in data:
            found |= _places(v)
    return found


def test_every_paragraph_of_the_records_reaches_the_graph(graph):
    """A locator that lost its paragraph ("Case 3" for "Case 3, paragraph 2") is caught."""
    from rdflib import URIRef

    in_graph = {" ".join(str(o).split()) for o in graph.objects(None, URIRef("https://w3id.org/calcikg/locator"))}
    for record in sorted(paths.RECORDS_DIR.glob("*.yaml")):
        wanted = _places(yaml.safe_load(record.read_text(encoding="utf-8")))
        assert wanted, record
        missing = sorted((sec, par) for sec, par in wanted
                         if not any(sec in loc and loc.endswith(f"paragraph {par}") for loc in in_graph))
        assert not missing, f"{record.name}: places without their paragraph in the graph: {missing[:3]}"


def test_findings_keep_their_paragraph():
    rows = Q.run("case-findings", {}).rows
    located = [r["locator"] for r in rows if r.get("locator")]
    assert located and any("paragraph" in x for x in located)


def test_release_files_go_through_a_temporary_file(tmp_path, monkeypatch):
    """Files are written to a temporary sibling and renamed: never opened in place."""
    import os

    from calcikg.release import write_all

    targets = {tmp_path / f"f{i}.ttl": f"new {i}".encode() for i in range(3)}
    for t in targets:
        t.write_bytes(b"old")
    renamed = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renamed.append((Path(a), Path(b))), real(a, b))[1])
    write_all(targets)
    assert sorted(b for _, b in renamed) == sorted(targets)
    assert all(a.name.startswith(".") and a.name.endswith(".tmp") and a.parent == b.parent for a, b in renamed)
    assert all(t.read_bytes() == c for t, c in targets.items())


@pytest.mark.parametrize("failing", [1, 2, 3])
def test_the_nth_release_write_failing_leaves_the_previous_release(tmp_path, monkeypatch, failing):
    from calcikg.release import write_all

    targets = {tmp_path / f"f{i}.ttl": f"new {i}".encode() * 1000 for i in range(3)}
    for t in targets:
        t.write_bytes(b"old")
    calls = {"n": 0}
    real = Path.write_bytes

    def write_bytes(self, data):
        calls["n"] += 1
        if calls["n"] == failing:
            with open(self, "wb") as f:
                f.write(data[:10])  # half-written, then the disk is full
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    with pytest.raises(OSError):
        write_all(targets)
    assert all(t.read_bytes() == b"old" for t in targets), "a previous release file was changed"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(t.name for t in targets), "a temporary file was left"


def _broken_graph(tmp_path: Path) -> Path:
    """The built graph with one piece of evidence stripped of its locator (a shape violation)."""
    from rdflib import RDF, Graph, URIRef

    g = Graph().parse(paths.GRAPH_TTL)
    locator = URIRef("https://w3id.org/calcikg/locator")
    evidence = sorted(s for s in g.subjects(RDF.type, URIRef("https://w3id.org/calcikg/Evidence"))
                      if (s, locator, None) in g)
    assert evidence, "no evidence with a locator in the graph"
    g.remove((evidence[0], locator, None))
    out = tmp_path / "broken.ttl"
    g.serialize(out, format="turtle")
    g.serialize(out.with_suffix(".owl"), format="xml")  # what HermiT reads
    return out


@pytest.mark.slow
@pytest.mark.parametrize("reasoner", [False, True], ids=["no-reasoner", "reasoner"])
def test_exact_validation_finds_problems_in_a_broken_graph_in_every_mode(tmp_path, reasoner):
    """`validate --exact` (whole-graph pySHACL over the built file) never says "conforms" on a broken
    graph, with or without the reasoner."""
    from calcikg.validate import validate

    report = validate(_broken_graph(tmp_path), reasoner=reasoner, exact=True)
    assert not report.conforms
    assert any("shacl" in str(c).lower() or "shape" in str(c).lower() for c in report.checks), report.checks
    assert "conforms: yes" not in report.text()


def _record_breaking_a_shape(root: Path) -> None:
    """A record the builder accepts and the shapes refuse: a treatment claim's population names nobody."""
    record = root / "kg" / "records" / "randhawa2018.yaml"
    data = yaml.safe_load(record.read_text(encoding="utf-8"))
    claim = next(s for s in data["statements"] if s["id"] == "tumoral-diltiazem")
    claim["population"] = {"patients": 3}
    record.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("args", [["--no-reasoner"], ["--no-reasoner", "--exact"]], ids=["pipeline", "exact"])
def test_validate_no_reasoner_cli_says_no(project_copy, capsys, args):
    """`validate --no-reasoner` still runs SHACL: on the records (the one pipeline) and, with --exact, on
    the built file; neither answers "conforms: yes" when a shape is broken."""
    from calcikg.cli import main

    if "--exact" in args:
        shutil.copy(_broken_graph(project_copy), project_copy / "kg" / "calcikg.ttl")
    else:
        _record_breaking_a_shape(project_copy)
    assert main(["validate", *args]) == 1
    out = capsys.readouterr().out
    assert "conforms: yes" not in out and "shacl" in out.lower()


def test_dose_regimens_follow_the_subclass_path():
    """treatment=bisphosphonate gives the doses of pamidronate and other bisphosphonates."""
    parent = Q.run("dose-regimens", {"treatment": "bisphosphonate"}).rows
    child = Q.run("dose-regimens", {"treatment": "pamidronate"}).rows
    assert child and len(parent) >= len(child)
    assert all(r in parent for r in child)


def _term_queries():
    out = []
    for q in Q.list_queries():
        for name, p in q.params.items():
            if p.type in PARENT_CHILD:
                out.append((q.name, name, p.type))
    return out


@pytest.mark.parametrize("name, param, ptype", _term_queries(), ids=[f"{n}-{p}" for n, p, _ in _term_queries()])
@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_a_parent_term_includes_its_childrens_rows(name, param, ptype, engine):
    """Every stored query that takes a term answers for the term and everything narrower."""
    parent, child = PARENT_CHILD[ptype]
    try:
        child_rows = Q.run(name, {param: child}, engine=engine).rows
    except CalciKGError:
        pytest.skip(f"{child!r} is not a {ptype} this query accepts")
    parent_rows = Q.run(name, {param: parent}, engine=engine).rows
    missing = [r for r in child_rows if r not in parent_rows]
    assert not missing, f"{name}: {param}={parent} lacks {len(missing)} rows of {param}={child}"
