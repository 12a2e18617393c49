"""Stage 3b (validate) pinned down on small graphs: the verdict and the words of each problem
(node, label, field as a SHACL path, message, value, record file and line), and the one-line errors
for a graph that is missing or broken.

Written to kill the mutants mutmut makes of ``calcikg/validate.py`` (``make mutation``). The whole
pipeline (``validate()`` through the corpus, HermiT) is exercised by the slower tests in
tests/test_shapes.py and tests/test_mutation_survivors.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from calcikg import paths
from calcikg.errors import CalciKGError, NotBuiltError
from calcikg.validate import (Problem, Report, _current_owl, _graph_source_files, _order, _path_text, _short,
                              attach_origins, shacl_problems, source_text_problems, validate_exact,
                              violation_query_problems)

PREFIXES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ckg: <https://w3id.org/calcikg/> .
@prefix ckd: <https://w3id.org/calcikg/data/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

SHAPES = PREFIXES + """
ckg:CaseShape a sh:NodeShape ;
    sh:targetClass ckg:PatientCase ;
    sh:property [ sh:path ckg:sex ; sh:minCount 1 ; sh:message "a case needs its sex" ] ;
    sh:property [ sh:path ( ckg:hasDiagnosis ckg:condition ) ; sh:minCount 1 ; sh:message "a diagnosed condition" ] ;
    sh:property [ sh:path ckg:caseNumber ; sh:datatype xsd:integer ; sh:message "a whole number" ] .
"""

DATA = PREFIXES + """
ckd:r-case1 a ckg:PatientCase ; rdfs:label "case 1 of R" ; ckg:caseNumber "one" .
ckd:r-case2 a ckg:PatientCase ; ckg:sex ckg:Female ; ckg:caseNumber 2 ;
    ckg:hasDiagnosis ckd:r-case2-dx1 .
ckd:r-case2-dx1 ckg:condition ckg:X .
"""


def _graph(text: str) -> Graph:
    return Graph().parse(data=text, format="turtle")


# -- the report ---------------------------------------------------------------------------------------
def test_an_empty_report_conforms():
    report = Report(checks=["a", "b"])
    assert report.conforms and report.as_dicts() == []
    assert report.text() == "checks run: a, b\nconforms: yes"


def test_report_text_names_each_problem_and_counts_them():
    report = Report(checks=["SHACL"], problems=[
        Problem("shacl", "ckd:x-case1", "case 1 of X", "ckg:sex", "a case needs its sex", record="kg/records/x.yaml", line=12),
        Problem("shacl", "ckd:y", "", "", "bad", value="ckg:Z", record="kg/records/y.yaml"),
        Problem("hermit", "calcikg.owl", "", "", "inconsistent"),
    ])
    assert not report.conforms
    assert report.text().split("\n") == [
        "checks run: SHACL",
        "- [shacl] kg/records/x.yaml:12: case 1 of X (ckd:x-case1), field ckg:sex: a case needs its sex",
        "- [shacl] kg/records/y.yaml: ckd:y: bad (value: ckg:Z)",
        "- [hermit] the built graph: calcikg.owl: inconsistent",
        "conforms: no, 3 problem(s)",
    ]
    assert report.as_dicts()[0] == {"check": "shacl", "focus": "ckd:x-case1", "label": "case 1 of X",
                                     "field": "ckg:sex", "message": "a case needs its sex", "value": "",
                                     "shape": "", "record": "kg/records/x.yaml", "line": 12}


def test_problems_sort_by_file_then_line():
    a = Problem("c", "f", "", "", "m", record="a.yaml", line=9)
    b = Problem("c", "f", "", "", "m", record="a.yaml", line=10)
    c = Problem("c", "f", "", "", "m", record="b.yaml", line=1)
    d = Problem("c", "f", "", "", "m", record="a.yaml", line=None)
    assert sorted([c, b, a, d], key=_order) == [d, a, b, c]
    assert _order(a) == ("a.yaml", 9, "f", "", "m", "", "")


def test_short_names():
    assert _short(URIRef("https://w3id.org/calcikg/data/x")) == "ckd:x"
    assert _short(Literal("text")) == "text"


# -- SHACL paths as people write them ------------------------------------------------------------------
@pytest.mark.parametrize("path,text", [
    ("ckg:a", "ckg:a"),
    ("( ckg:a ckg:b )", "ckg:a/ckg:b"),
    ("[ sh:inversePath ckg:a ]", "^ckg:a"),
    ("[ sh:zeroOrMorePath ckg:a ]", "ckg:a*"),
    ("[ sh:oneOrMorePath ckg:a ]", "ckg:a+"),
    ("[ sh:zeroOrOnePath ckg:a ]", "ckg:a?"),
    ("[ sh:alternativePath ( ckg:a ckg:b ) ]", "(ckg:a|ckg:b)"),
    ("( [ sh:inversePath ckg:a ] [ sh:zeroOrMorePath rdfs:subClassOf ] )", "^ckg:a/rdfs:subClassOf*"),
    ("[ rdfs:label \"x\" ]", "?"),
    ("[ sh:inversePath ( ckg:a ckg:b ) ]", "^ckg:a/ckg:b"),
    ("[ sh:alternativePath ( [ sh:inversePath ckg:a ] ckg:b ) ]", "(^ckg:a|ckg:b)"),
])
def test_path_text(path, text):
    g = _graph(PREFIXES + f"ckg:s ckg:p {path} .")
    assert _path_text(g, g.value(URIRef("https://w3id.org/calcikg/s"), URIRef("https://w3id.org/calcikg/p"))) == text


def test_path_text_of_nothing():
    assert _path_text(Graph(), None) == ""


# -- SHACL results ---------------------------------------------------------------------------------
def test_shacl_problems_in_a_curators_terms():
    problems = shacl_problems(_graph(DATA), _graph(SHAPES))
    assert [(p.check, p.focus, p.label, p.field, p.message, p.value) for p in problems] == [
        ("shacl", "ckd:r-case1", "case 1 of R", "ckg:caseNumber", "a whole number", "one"),
        ("shacl", "ckd:r-case1", "case 1 of R", "ckg:hasDiagnosis/ckg:condition", "a diagnosed condition", ""),
        ("shacl", "ckd:r-case1", "case 1 of R", "ckg:sex", "a case needs its sex", ""),
    ]
    assert all(p.shape and p.record == "" and p.line is None for p in problems)


def test_a_conforming_graph_has_no_shacl_problem():
    data = _graph(DATA.replace('rdfs:label "case 1 of R" ; ckg:caseNumber "one" .', "ckg:sex ckg:Male ; "
                               "ckg:caseNumber 1 ; ckg:hasDiagnosis ckd:r-case2-dx1 ."))
    assert shacl_problems(data, _graph(SHAPES)) == []


def test_a_focus_node_value_is_not_repeated_as_the_value():
    shapes = PREFIXES + """
ckg:S a sh:NodeShape ; sh:targetClass ckg:PatientCase ; sh:nodeKind sh:Literal ; sh:message "not a literal" ."""
    problems = shacl_problems(_graph(DATA), _graph(shapes))
    assert {(p.focus, p.field, p.value) for p in problems} == {("ckd:r-case1", "", ""), ("ckd:r-case2", "", "")}


# -- violation queries ------------------------------------------------------------------------------
def test_each_row_of_a_violation_query_is_a_problem(tmp_path):
    (tmp_path / "case-without-sex-violation.rq").write_text(
        "#+ summary: A case without its sex\n"
        "PREFIX ckg: <https://w3id.org/calcikg/>\n"
        "SELECT ?case WHERE { ?case a ckg:PatientCase . FILTER NOT EXISTS { ?case ckg:sex ?s } }\n", encoding="utf-8")
    (tmp_path / "not-a-check.rq").write_text("#+ summary: x\nSELECT ?x WHERE { ?x ?p ?o }\n", encoding="utf-8")
    problems = violation_query_problems(_graph(DATA), tmp_path)
    assert [(p.check, p.focus, p.label, p.field, p.message) for p in problems] == [
        ("query case-without-sex-violation", "ckd:r-case1", "case 1 of R", "", "A case without its sex")]


def test_the_projects_violation_queries_are_the_default(tmp_path):
    assert violation_query_problems(Graph()) == []


# -- source texts ------------------------------------------------------------------------------------
def test_source_texts_without_a_reports_folder_are_not_checked(tmp_path):
    problems, name = source_text_problems([("ckd:r", "R 2020", "r.txt")], [tmp_path / "none"])
    assert problems == []
    assert name == (f"source texts: not checked (no reports folder: {tmp_path / 'none'}; name one with --reports DIR "
                    "or CALCIKG_REPORTS)")


def test_a_source_text_in_no_folder_is_a_problem(tmp_path):
    held = tmp_path / "texts"
    held.mkdir()
    (held / "here.txt").write_text("x")
    problems, name = source_text_problems([("ckd:a", "A 2020", "here.txt"), ("ckd:b", "B 2021", "gone.txt")],
                                          [tmp_path / "none", held])
    assert name == f"source texts in {held}"
    assert len(problems) == 1
    p = problems[0]
    assert (p.check, p.focus, p.label, p.field, p.value) == ("source text", "ckd:b", "B 2021", "ckg:sourceFile", "gone.txt")
    assert p.message == (f"the report text 'gone.txt' is in none of {held}: correct 'source_file' in the 'report' "
                         "block, or name the folder that holds it with --reports DIR")


def test_the_default_reports_folders(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "REPORTS_DIRS", [tmp_path])
    problems, name = source_text_problems([("ckd:b", "B", "gone.txt")])
    assert name == f"source texts in {tmp_path}" and [p.value for p in problems] == ["gone.txt"]


def test_graph_source_files():
    g = _graph(PREFIXES + 'ckd:b ckg:sourceFile "b.txt" ; rdfs:label "B 2021" .\nckd:a ckg:sourceFile "a.txt" .')
    assert _graph_source_files(g) == [("ckd:a", "", "a.txt"), ("ckd:b", "B 2021", "b.txt")]


# -- record file and line ---------------------------------------------------------------------------
def test_origins_of_a_node_and_of_the_nodes_it_owns():
    origins = {URIRef("https://w3id.org/calcikg/data/r-case1"): ("kg/records/r.yaml", 40),
               URIRef("https://w3id.org/calcikg/data/r"): ("kg/records/r.yaml", 2)}
    problems = [Problem("hermit", "calcikg.owl", "", "", "m"),  # not a node of the graph
                Problem("shacl", "ckd:r-case1-ep2-dose1", "", "", "m"),  # a dose: its case's place
                Problem("shacl", "ckd:r-case1", "", "", "m"),
                Problem("shacl", "ckd:r", "", "", "m"),
                Problem("shacl", "ckd:other-case1", "", "", "m"),  # not from these records
                Problem("shacl", "https://example.org/x", "", "", "m")]
    attach_origins(problems, origins)
    assert [(p.record, p.line) for p in problems] == [
        ("", None), ("kg/records/r.yaml", 40), ("kg/records/r.yaml", 40), ("kg/records/r.yaml", 2), ("", None), ("", None)]


# -- a graph that is missing or broken -------------------------------------------------------------
def test_validate_exact_of_a_missing_graph(tmp_path):
    with pytest.raises(NotBuiltError) as err:
        validate_exact(tmp_path / "calcikg.ttl")
    assert str(err.value) == f"{tmp_path / 'calcikg.ttl'} does not exist: run 'calcikg build' first"


def test_validate_exact_of_a_truncated_graph(tmp_path):
    graph = tmp_path / "calcikg.ttl"
    graph.write_text(PREFIXES + "ckd:a ckg:b ", encoding="utf-8")
    with pytest.raises(CalciKGError) as err:
        validate_exact(graph, reasoner=False)
    message = str(err.value)
    assert "\n" not in message and str(graph) in message
    assert message.endswith(" (truncated or corrupt? run 'calcikg build')")
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_validate_exact_without_shapes(tmp_path):
    graph = tmp_path / "calcikg.ttl"
    graph.write_text(DATA, encoding="utf-8")
    with pytest.raises(CalciKGError) as err:
        validate_exact(graph, reasoner=False, shapes_file=tmp_path / "shapes.ttl")
    assert str(err.value) == f"{tmp_path / 'shapes.ttl'}: the shapes file is missing"


class _Corpus:
    """What validate reads of the one pipeline's build cache: each report's record file and node lines."""

    closed = False
    entries = {"r": {"record": "kg/records/r.yaml", "origins": {"https://w3id.org/calcikg/data/r-case1": ("kg/records/r.yaml", 7)}}}

    def close(self):
        type(self).closed = True


def test_validate_exact_of_a_small_broken_graph(tmp_path, monkeypatch):
    import calcikg.corpus

    monkeypatch.setattr(paths, "REPORTS_DIRS", [tmp_path / "no-texts"])
    monkeypatch.setattr(calcikg.corpus, "build_corpus", lambda **kw: _Corpus())
    graph = tmp_path / "calcikg.ttl"
    graph.write_text(DATA + 'ckd:r ckg:sourceFile "r.txt" .\n', encoding="utf-8")
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(SHAPES, encoding="utf-8")
    report = validate_exact(graph, reasoner=False, shapes_file=shapes)
    assert report.checks == ["SHACL shapes (whole graph, pySHACL)", "violation queries", "no patient names",
                             f"source texts: not checked (no reports folder: {tmp_path / 'no-texts'}; name one "
                             "with --reports DIR or CALCIKG_REPORTS)"]
    assert not report.conforms
    assert [(p.focus, p.field, p.record, p.line) for p in report.problems] == [
        ("ckd:r-case1", "ckg:caseNumber", "kg/records/r.yaml", 7),
        ("ckd:r-case1", "ckg:hasDiagnosis/ckg:condition", "kg/records/r.yaml", 7),
        ("ckd:r-case1", "ckg:sex", "kg/records/r.yaml", 7)]
    assert _Corpus.closed
    with pytest.raises(NotBuiltError) as err:
        validate_exact(graph, reasoner=True, shapes_file=shapes)
    assert str(err.value) == f"{tmp_path / 'calcikg.owl'} does not exist: run 'calcikg build' first"


def test_validate_exact_of_a_good_graph_conforms(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "REPORTS_DIRS", [tmp_path / "no-texts"])
    graph = tmp_path / "calcikg.ttl"
    graph.write_text(PREFIXES + 'ckd:r-case1 a ckg:PatientCase ; ckg:sex ckg:Male ; ckg:caseNumber 1 ; '
                     "ckg:hasDiagnosis [ ckg:condition ckg:X ] .\n", encoding="utf-8")
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(SHAPES, encoding="utf-8")
    report = validate_exact(graph, reasoner=False, shapes_file=shapes)
    assert report.conforms and report.text().endswith("\nconforms: yes")


def test_hermit_needs_a_built_owl_file(tmp_path):
    with pytest.raises(NotBuiltError) as err:
        _current_owl(tmp_path / "calcikg.ttl")
    assert str(err.value) == f"{tmp_path / 'calcikg.owl'} does not exist: run 'calcikg build' first"


def test_a_literal_of_a_problem_node_keeps_its_label():
    data = _graph(DATA)
    assert str(data.value(URIRef("https://w3id.org/calcikg/data/r-case1"), RDFS.label)) == "case 1 of R"


def test_origins_are_best_effort_when_the_records_are_broken(tmp_path, monkeypatch):
    import calcikg.corpus
    from calcikg.validate import _attach_origins

    def broken(**kw):
        raise CalciKGError("kg/records/r.yaml:3: broken")

    monkeypatch.setattr(calcikg.corpus, "build_corpus", broken)
    report = Report(problems=[Problem("shacl", "ckd:r-case1", "", "", "m")])
    _attach_origins(report)
    assert (report.problems[0].record, report.problems[0].line) == ("", None)
    _attach_origins(Report())  # nothing to place: the records are not even read


def test_a_problem_keeps_a_record_it_already_names(monkeypatch):
    from calcikg.validate import _attach_corpus_origins

    problems = [Problem("source text", "ckd:r", "", "", "m", record="given.yaml"),
                Problem("shacl", "ckd:r-case1-dx1", "", "", "m")]
    _attach_corpus_origins(problems, _Corpus())
    assert [(p.record, p.line) for p in problems] == [("given.yaml", None), ("kg/records/r.yaml", 7)]


# -- patient names (an invented word stands for a name: the project never writes the real ones) ------
@pytest.fixture()
def fake_name(monkeypatch):
    import calcikg.privacy

    hashes = frozenset({calcikg.privacy.word_hash("zorblax")})
    monkeypatch.setattr(calcikg.privacy, "name_hashes", lambda path=None: hashes)
    return "Zorblax"


NAME_MESSAGE = ("this text holds a patient's first name as a report prints it: name patients only as 'case N' of "
                "their report; rewrite the text")


def test_a_name_in_a_text_is_a_problem_that_does_not_repeat_it(fake_name):
    from calcikg.validate import privacy_problems

    problems = privacy_problems([("ckd:r-case1", "case 1 of R", "rdfs:comment", f"{fake_name} was seen"),
                                 ("ckd:r-case2", "case 2 of R", "rdfs:comment", "nobody named")], "kg/records/r.yaml")
    assert problems == [Problem("privacy", "ckd:r-case1", "case 1 of R", "rdfs:comment", NAME_MESSAGE,
                                record="kg/records/r.yaml")]
    assert fake_name not in problems[0].message
    assert privacy_problems([("f", "l", "x", fake_name)])[0].record == ""


def test_without_the_list_of_names_nothing_is_refused(monkeypatch):
    import calcikg.privacy
    from calcikg.validate import privacy_problems

    monkeypatch.setattr(calcikg.privacy, "name_hashes", lambda path=None: frozenset())
    assert privacy_problems([("f", "l", "x", "any text")]) == []


def test_names_in_the_graphs_instances(fake_name):
    from calcikg.validate import graph_privacy_problems

    g = _graph(PREFIXES + f'''
ckd:r-case1 rdfs:label "case 1 of R" ; rdfs:comment "{fake_name} came back" ; ckg:sex ckg:Female .
ckd:r-case2 rdfs:comment "{fake_name} too" .
ckg:Term rdfs:comment "{fake_name} in the ontology is not checked" .
ckd:r-case3 ckg:sees ckd:{fake_name} .
''')
    problems = sorted(graph_privacy_problems(g), key=_order)
    assert [(p.check, p.focus, p.label, p.field, p.message) for p in problems] == [
        ("privacy", "ckd:r-case1", "case 1 of R", "rdfs:comment", NAME_MESSAGE),
        ("privacy", "ckd:r-case2", "", "rdfs:comment", NAME_MESSAGE)]


# -- more about the pieces of validate_exact ----------------------------------------------------------
def test_line_none_sorts_before_line_one():
    first = Problem("c", "z", "", "", "m", record="a.yaml", line=None)
    second = Problem("c", "a", "", "", "m", record="a.yaml", line=1)
    assert sorted([second, first], key=_order) == [first, second]


def test_several_reports_folders_are_named_in_full(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    problems, name = source_text_problems([("ckd:x", "X", "x.txt")], [a, b])
    assert name == f"source texts in {a}, {b}"
    assert f"is in none of {a}, {b}: correct" in problems[0].message
    _problems, name = source_text_problems([], [tmp_path / "n1", tmp_path / "n2"])
    assert f"(no reports folder: {tmp_path / 'n1'}, {tmp_path / 'n2'}; name one" in name


def test_hermit_needs_a_current_owl_file(tmp_path, monkeypatch):
    import calcikg.release

    (tmp_path / "calcikg.owl").write_text("", encoding="utf-8")
    monkeypatch.setattr(calcikg.release, "stale_sources", lambda graph_file=None: [Path("kg/records/x.yaml"),
                                                                                   Path("kg/records/y.yaml")])
    with pytest.raises(NotBuiltError) as err:
        _current_owl(tmp_path / "calcikg.ttl")
    assert str(err.value) == (f"{tmp_path / 'calcikg.owl'} is older than kg/records/x.yaml: run 'calcikg build' first "
                              "(HermiT reads the built file), or validate with --no-reasoner")
    seen = []
    monkeypatch.setattr(calcikg.release, "stale_sources", lambda graph_file=None: seen.append(graph_file) or [])
    assert _current_owl(tmp_path / "calcikg.ttl") == tmp_path / "calcikg.owl"
    assert seen == [tmp_path / "calcikg.ttl"]


def test_validate_exact_runs_every_check_and_keeps_every_problem(tmp_path, monkeypatch):
    """SHACL, the violation queries, names, source texts and HermiT: each adds its problems."""
    import calcikg.corpus
    import calcikg.validate as V

    texts = tmp_path / "texts"
    texts.mkdir()
    monkeypatch.setattr(paths, "REPORTS_DIRS", [tmp_path / "elsewhere"])
    monkeypatch.setattr(calcikg.corpus, "build_corpus", lambda **kw: _Corpus())
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "no-sex-violation.rq").write_text(
        "#+ summary: A case without its sex\nPREFIX ckg: <https://w3id.org/calcikg/>\n"
        "SELECT ?case WHERE { ?case a ckg:PatientCase . FILTER NOT EXISTS { ?case ckg:sex ?s } }\n", encoding="utf-8")
    monkeypatch.setattr(paths, "QUERIES_DIR", queries)
    monkeypatch.setattr(V, "hermit_problems", lambda owl: [Problem("hermit", owl.name, "", "", "unsatisfiable class")])
    graph = tmp_path / "calcikg.ttl"
    graph.write_text(DATA + 'ckd:r ckg:sourceFile "r.txt" .\n', encoding="utf-8")
    (tmp_path / "calcikg.owl").write_text("", encoding="utf-8")
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(SHAPES, encoding="utf-8")
    report = validate_exact(graph, reasoner=True, shapes_file=shapes, reports_dirs=[texts])
    assert report.checks == ["SHACL shapes (whole graph, pySHACL)", "violation queries", "no patient names",
                             f"source texts in {texts}", "HermiT consistency"]
    assert sorted((p.check, p.focus) for p in report.problems) == [
        ("hermit", "calcikg.owl"), ("query no-sex-violation", "ckd:r-case1"), ("shacl", "ckd:r-case1"),
        ("shacl", "ckd:r-case1"), ("shacl", "ckd:r-case1"), ("source text", "ckd:r")]


def test_a_graph_file_is_read_as_turtle_whatever_its_name(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "REPORTS_DIRS", [tmp_path / "no-texts"])
    graph = tmp_path / "calcikg.data"
    graph.write_text(PREFIXES + "ckd:a ckg:b ckd:c .\n", encoding="utf-8")
    shapes = tmp_path / "shapes.data"
    shapes.write_text(SHAPES, encoding="utf-8")
    assert validate_exact(graph, reasoner=False, shapes_file=shapes).conforms


def test_every_result_is_reported_with_its_shape_and_a_node_without_label():
    shapes = SHAPES + """
ckg:NumberShape a sh:NodeShape ; sh:targetClass ckg:PatientCase ;
    sh:property ckg:NumberRule .
ckg:NumberRule sh:path ckg:caseNumber ; sh:maxInclusive 1 ; sh:message "at most one" .
"""
    problems = shacl_problems(_graph(DATA), _graph(shapes))
    number = [p for p in problems if p.message == "at most one"]
    assert [(p.focus, p.label, p.value, p.shape) for p in number] == [
        ("ckd:r-case1", "case 1 of R", "one", "ckg:NumberRule"), ("ckd:r-case2", "", "2", "ckg:NumberRule")]
    assert len(problems) == 5


def test_a_violation_row_without_label(tmp_path):
    (tmp_path / "all-cases-violation.rq").write_text(
        "#+ summary: Every case\nPREFIX ckg: <https://w3id.org/calcikg/>\n"
        "SELECT ?case WHERE { ?case a ckg:PatientCase } ORDER BY ?case\n", encoding="utf-8")
    problems = violation_query_problems(_graph(DATA), tmp_path)
    assert [(p.focus, p.label) for p in problems] == [("ckd:r-case1", "case 1 of R"), ("ckd:r-case2", "")]


def test_a_broken_graph_names_line_and_reason(tmp_path):
    graph = tmp_path / "calcikg.ttl"
    graph.write_text(PREFIXES + "ckd:a ckg:b ", encoding="utf-8")
    with pytest.raises(CalciKGError) as err:
        validate_exact(graph, reasoner=False)
    assert str(err.value).startswith(f"{graph}:") and ": not valid Turtle: " in str(err.value)
    assert "not valid Turtle: None" not in str(err.value)
