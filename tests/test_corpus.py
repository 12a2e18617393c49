"""The one pipeline (src/calcikg/corpus.py): records built one at a time into an Oxigraph store,
each report validated on its own triples plus the ontology slice, and the rules marked
``ckgsh:acrossReports true`` run as queries over the store.

Its claim is that it gives the verdict of ``calcikg validate`` (whole-graph pySHACL,
:func:`calcikg.validate.shacl_problems`). What is checked here, each time against the real thing:

- the real records give the triples of the committed graph (kg/calcikg.ttl) and conform;
- faults injected into the N-Triples of a few reports (two real, three synthetic), within a report
  and across reports, give the same (focus node, shape) pairs per report + across reports as
  whole-graph pySHACL over all of them, with either engine for the per-report rules;
- one record added to a corpus (:func:`calcikg.corpus.validate_added`) is told its clashes with the
  corpus, on its own nodes, and a report id already in the store is refused;
- a report's triples may only link its own nodes (:func:`calcikg.corpus.foreign_nodes`);
- two worker processes and small chunks give what one process gives; an on-disk store is never
  loaded over an existing one, and a failed build leaves none behind.

Two faults found while writing these tests are guarded in section 7: reports whose ids extend one
another (``rep``, ``rep-b``) could share nodes, so such ids are refused; and workers forked from a
process that had run pyrudof hung in its thread pool, so workers start from a fork server.

The synthetic records come from the benchmark generator (bench/generate.py, ids ``synth-000001``...)
and are written to a scratch folder, never into kg/.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import asdict
from pathlib import Path

import pytest

from calcikg import corpus, paths
from calcikg.errors import CalciKGError
from calcikg.namespaces import DATA_GRAPH_IRI

CKD = "https://w3id.org/calcikg/data/"
CKG = "https://w3id.org/calcikg/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
LABEL = f"<{RDFS}label>"
#: The node shapes holding the across-reports rules (the shape a result of one of them names).
ACROSS_SHAPES = {"ckgsh:PublicationShape", "ckgsh:CuratedReportShape", "ckgsh:PatientCaseShape",
                 "ckgsh:ClinicalStatementShape", "ckgsh:PopulationShape"}


# ------------------------------------------------------------------------------------- helpers
def _generator():
    """bench/generate.py as a module (the bench folder is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_generate", Path(__file__).resolve().parents[1] / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_synthetic(folder: Path, n: int, edit=None) -> list[Path]:
    """Synthetic records 1..n written to ``folder``; ``edit(records)`` may change them first."""
    gen = _generator()
    records = list(gen.generate(n))
    if edit is not None:
        edit(records)
    return gen.write_yaml(records, folder)


def iri(local: str) -> str:
    """A data node in N-Triples syntax."""
    return f"<{CKD}{local}>"


def store_lines(store) -> set[str]:
    """Every triple of a store (all graphs but the build state) as an N-Triples line."""
    return {str(q.triple) for q in store if getattr(q.graph_name, "value", "") != corpus.STATE_GRAPH}


def copy_store(store):
    """An in-memory copy of ``store``'s graph, in its default graph (validate_added adds to it)."""
    from pyoxigraph import RdfFormat, Store

    out = Store()
    out.bulk_load("".join(f"{line} .\n" for line in store_lines(store)).encode(), format=RdfFormat.N_TRIPLES)
    return out


def pairs(problems) -> set[tuple[str, str]]:
    return {(p.focus, p.shape) for p in problems}


class Reports:
    """Per-report N-Triples texts, edited at triple level the way a hand edit or a builder bug would."""

    def __init__(self, nts: dict[str, str]):
        self.nts = dict(nts)

    @staticmethod
    def _pattern(s: str, p: str) -> re.Pattern:
        return re.compile(rf"^{re.escape(s)} {re.escape(p)} .*\n", re.M)

    def value(self, rid: str, s: str, p: str) -> str:
        """The object (N-Triples text) of the first ``s p ?o`` of report ``rid``."""
        found = self._pattern(s, p).search(self.nts[rid])
        assert found, f"report {rid} has no triple {s} {p}"
        return found.group(0).split(" ", 2)[2].rsplit(" .", 1)[0]

    def drop(self, rid: str, s: str, p: str) -> None:
        new = self._pattern(s, p).sub("", self.nts[rid])
        assert new != self.nts[rid], f"report {rid} has no triple {s} {p}"
        self.nts[rid] = new

    def add(self, rid: str, s: str, p: str, o: str) -> None:
        self.nts[rid] += f"{s} {p} {o} .\n"

    def put(self, rid: str, s: str, p: str, o: str) -> None:
        """Replace every value of ``p`` on ``s`` by ``o``."""
        self.drop(rid, s, p)
        self.add(rid, s, p, o)

    def text(self) -> str:
        return "".join(self.nts.values())


# ------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> list[Path]:
    """Five valid synthetic records, in a scratch folder."""
    return write_synthetic(tmp_path_factory.mktemp("synthetic"), 5)


@pytest.fixture(scope="module")
def real_files() -> list[Path]:
    return sorted(paths.RECORDS_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def real_corpus(real_files, tmp_path_factory):
    """The real records through the pipeline (one process, pyrudof for the per-report rules)."""
    c = corpus.build_corpus(real_files, jobs=1, cache_dir=tmp_path_factory.mktemp("cache"))
    yield c
    c.close()


@pytest.fixture(scope="module")
def builder():
    """The module's build state (ontology, term index), as a worker process has it."""
    corpus.prepare()
    return corpus.build_report


# ------------------------------------------------------------------------ 1. the real records
def test_real_records_give_the_committed_graph(real_corpus, real_files):
    """The corpus store holds exactly the triples of kg/calcikg.ttl and conforms.

    kg/calcikg.ttl is the ontology (with the mappings) plus the data graph without its
    owl:Ontology header (src/calcikg/release.py keeps one header per file); the corpus path never
    makes that header, so the two must be equal as they are."""
    from pyoxigraph import DefaultGraph, RdfFormat, Store

    committed = Store()
    committed.load(path=str(paths.GRAPH_TTL), format=RdfFormat.TURTLE)
    assert not any(DATA_GRAPH_IRI in line for line in store_lines(committed))
    assert all(not isinstance(q.graph_name, DefaultGraph) for q in real_corpus.store)  # a graph per report
    built, expected = store_lines(real_corpus.store), store_lines(committed)
    assert built - expected == set(), "triples the corpus path makes and the committed graph lacks"
    assert expected - built == set(), "triples of the committed graph the corpus path does not make"
    assert real_corpus.triples == len(expected)
    assert real_corpus.conforms, [asdict(p) for p in real_corpus.problems]
    assert real_corpus.reports == {f.stem: str(f.relative_to(paths.ROOT)) for f in real_files}


# ------------------------------------------------------------------------ 2. injected faults
#: Each fault: what it breaks and the (focus node, shape) pairs whole-graph pySHACL must report.
FAULTS = {
    "a case evidence loses its curator summary (minCount)":
        {("ckd:synth-000001-case1-evidence", "ckgsh:Evidence-summary")},
    "a second sex on a case (maxCount)":
        {("ckd:synth-000002-case1", "ckgsh:PatientCase-sex")},
    "a case with two labels (maxCount)":
        {("ckd:synth-000003-case1", "ckgsh:PatientCase-label")},
    "two cases of one report with the same number (SPARQL, within a report)":
        {("ckd:mouaddine2021-case1", "ckgsh:PatientCaseShape"), ("ckd:mouaddine2021-case2", "ckgsh:PatientCaseShape")},
    "a case labelled as a case of another report (SPARQL, across reports)":
        {("ckd:synth-000002-case1", "ckgsh:PatientCaseShape"), ("ckd:randhawa2018-case1", "ckgsh:PatientCaseShape")},
    "a curated report with another report's source file (SPARQL, across reports)":
        {("ckd:synth-000003", "ckgsh:CuratedReportShape"), ("ckd:synth-000001", "ckgsh:CuratedReportShape")},
    "a publication labelled as another report (SPARQL, across reports)":
        {("ckd:synth-000001", "ckgsh:PublicationShape"), ("ckd:mouaddine2021", "ckgsh:PublicationShape")},
}


def inject_faults(r: Reports) -> None:
    """The faults of :data:`FAULTS`, in that order, each into one report's triples."""
    sex, number, source = f"<{CKG}sex>", f"<{CKG}caseNumber>", f"<{CKG}sourceFile>"
    r.drop("synth-000001", iri("synth-000001-case1-evidence"), f"<{CKG}curatorSummary>")
    r.add("synth-000002", iri("synth-000002-case1"), sex, f"<{CKG}Male>")
    r.add("synth-000002", iri("synth-000002-case1"), sex, f"<{CKG}Female>")
    r.add("synth-000003", iri("synth-000003-case1"), LABEL, '"a second label"')
    r.put("mouaddine2021", iri("mouaddine2021-case2"), number,
          r.value("mouaddine2021", iri("mouaddine2021-case1"), number))
    r.put("synth-000002", iri("synth-000002-case1"), LABEL, r.value("randhawa2018", iri("randhawa2018-case1"), LABEL))
    r.put("synth-000003", iri("synth-000003"), source, r.value("synth-000001", iri("synth-000001"), source))
    r.put("synth-000001", iri("synth-000001"), LABEL, r.value("mouaddine2021", iri("mouaddine2021"), LABEL))


@pytest.fixture(scope="module")
def faulty(builder, real_files, synthetic, ontology):
    """Two real and three synthetic reports with :data:`FAULTS` injected, and whole-graph pySHACL's
    problems over the ontology plus all of them (as ``calcikg validate`` runs it)."""
    from rdflib import Graph

    from calcikg.validate import shacl_problems

    from calcikg.hpo import imported_terms

    reports = Reports({b.report_id: b.nt for b in map(builder, real_files + synthetic[:3])})
    inject_faults(reports)
    whole = Graph().parse(data=corpus.ntriples(ontology) + reports.text(), format="nt")
    # the HPO terms the records use, as the build imports them
    whole += imported_terms(ontology, Graph().parse(data=reports.text(), format="nt"))
    shapes = Graph().parse(paths.SHAPES, format="turtle")
    return reports, shacl_problems(whole, shapes)


def test_whole_graph_finds_every_injected_fault(faulty):
    """The reference verdict is exactly the injected faults (so the comparison below is not vacuous)."""
    _reports, whole = faulty
    assert pairs(whole) == set().union(*FAULTS.values())


@pytest.fixture(scope="module")
def across_on_faulty(faulty, ontology):
    """The across-reports rules over a store holding the ontology and every faulty report."""
    from pyoxigraph import RdfFormat, Store

    reports, _whole = faulty
    store = Store()
    store.bulk_load((corpus.ntriples(ontology) + reports.text()).encode(), format=RdfFormat.N_TRIPLES)
    return corpus.AcrossReportChecks().problems(store)


@pytest.mark.parametrize("engine", corpus.ENGINES)
def test_faults_same_verdict_as_whole_graph(engine, faulty, across_on_faulty, ontology):
    """Per report (``ContextValidator``) + across reports (``AcrossReportChecks`` on the store)
    gives the (focus node, shape) pairs whole-graph pySHACL gives, with either engine."""
    reports, whole = faulty
    validator = corpus.ContextValidator(engine=engine, ontology=ontology)
    per_report = [p for nt in reports.nts.values() for p in validator.validate(nt)]
    assert pairs(per_report) | pairs(across_on_faulty) == pairs(whole)
    # the across-reports rules are left to the store: no report sees them on its own
    assert {p.message for p in per_report}.isdisjoint({p.message for p in across_on_faulty})


@pytest.mark.parametrize("engine", corpus.ENGINES)
def test_each_report_is_validated_alone(engine, faulty, builder, real_files, ontology):
    """One validator for many reports (pyrudof stages each over the ontology slice, then rolls it
    back): a report's problems are its own, whichever reports came before it."""
    reports, _whole = faulty
    validator = corpus.ContextValidator(engine=engine, ontology=ontology)
    alone = {rid: pairs(corpus.ContextValidator(engine=engine, ontology=ontology).validate(nt))
             for rid, nt in reports.nts.items()}
    assert any(alone.values())
    for rid, nt in list(reports.nts.items()) * 2:
        assert pairs(validator.validate(nt)) == alone[rid]
    clean = builder(real_files[0])
    assert validator.validate(clean.nt) == []


def test_across_report_results_read_like_pyshacl(faulty, across_on_faulty):
    """The store's across-reports results name the node shape holding the SPARQL constraint, as
    pySHACL's sh:sourceShape does, and fill the message's {?value} the same way."""
    _reports, whole = faulty
    assert {p.shape for p in across_on_faulty} <= ACROSS_SHAPES
    reference = {(p.focus, p.shape): (p.message, p.value) for p in whole}
    assert {(p.focus, p.shape): (p.message, p.value) for p in across_on_faulty} == \
        {k: v for k, v in reference.items() if k in pairs(across_on_faulty)}


# ------------------------------------------------------------------------ 3. one added report
@pytest.fixture()
def real_store(real_corpus):
    """A copy of the real corpus's store, for a test to add to."""
    return copy_store(real_corpus.store)


def test_added_copy_of_a_report_clashes_on_its_own_nodes(real_store, tmp_path):
    """A real record copied under a new report id clashes with the original on its source file
    and on every label (publication, references, cases, statements, populations): the problems
    are the across-reports results of the whole store that fall on the NEW report's nodes."""
    original = paths.RECORDS_DIR / "randhawa2018.yaml"
    copy = tmp_path / "randhawa2018bis.yaml"
    text, count = re.subn(r"^(\s+id:) randhawa2018$", r"\1 randhawa2018bis", original.read_text(), flags=re.M)
    assert count == 1
    copy.write_text(text)
    built, problems = corpus.validate_added(real_store, copy)
    assert built.report_id == "randhawa2018bis"

    new = "ckd:randhawa2018bis"
    whole_store = corpus.AcrossReportChecks().problems(real_store)
    expected = {(p.focus, p.shape, p.message) for p in whole_store if p.focus == new or p.focus.startswith(new + "-")}
    assert {(p.focus, p.shape, p.message) for p in problems} == expected
    assert {(new, "ckgsh:CuratedReportShape"), (new, "ckgsh:PublicationShape"),
            (f"{new}-case1", "ckgsh:PatientCaseShape")} <= pairs(problems)
    assert {p.shape for p in problems} == ACROSS_SHAPES
    assert {p.record for p in problems} == {str(copy)}
    assert all(p.line for p in problems), "every problem names the line of the record it comes from"
    # the original's nodes clash too (the whole store says so), but the added report is the one told
    assert any(p.focus.startswith("ckd:randhawa2018-") for p in whole_store)


def test_added_fresh_report_has_no_problem(real_store, synthetic):
    """A valid synthetic report with a new id, added to the real corpus: nothing to report, and
    the store now holds its triples (some, such as a term's owl:NamedIndividual, it had already)."""
    from pyoxigraph import RdfFormat, Store

    built, problems = corpus.validate_added(real_store, synthetic[0])
    assert problems == []
    own = Store()
    own.load(built.nt.encode(), format=RdfFormat.N_TRIPLES)
    assert len(own) == len(built.triples) and all(q in real_store for q in own)


def test_added_report_id_already_in_store_is_refused(real_store):
    with pytest.raises(CalciKGError, match="already in the store"):
        corpus.validate_added(real_store, paths.RECORDS_DIR / "randhawa2018.yaml")


# ------------------------------------------------------------------------ 4. own nodes only
def test_foreign_nodes_are_the_data_nodes_of_other_reports():
    """Only data IRIs that are neither ``ckd:<id>`` nor ``ckd:<id>-...`` are foreign: ontology
    terms and the report's own nodes are not, a report whose id merely starts alike is."""
    nt = "".join(f"{s} {p} {o} .\n" for s, p, o in [
        (iri("rep-a"), LABEL, '"Rep A 2020"'),
        (iri("rep-a-case1"), f"<{CKG}describedIn>", iri("rep-a")),
        (iri("rep-a-case1"), f"<{CKG}sex>", f"<{CKG}Female>"),
        (iri("rep-a-case1-evidence"), "<http://www.w3.org/ns/prov#wasDerivedFrom>", iri("rep-b")),
        (iri("rep-b-case1-ep1"), f"<{CKG}combinedWith>", iri("rep-a-case1-ep1")),
        (iri("rep-ab-case1"), f"<{CKG}describedIn>", iri("rep-a")),
    ])
    assert corpus.foreign_nodes("rep-a", nt) == [CKD + "rep-ab-case1", CKD + "rep-b", CKD + "rep-b-case1-ep1"]
    assert corpus.foreign_nodes("rep-a", nt.replace("rep-b", "rep-a").replace("rep-ab", "rep-a")) == []


def test_build_report_keeps_to_its_own_nodes(builder, real_files):
    """The builder links only a report's own nodes, so every real record builds."""
    for f in real_files:
        built = builder(f)
        assert corpus.foreign_nodes(built.report_id, built.nt) == []
        assert len(built.triples) == built.nt.count("\n") > 0


def test_build_report_refuses_a_link_to_another_report(builder, monkeypatch):
    """Were the builder to link another report's node, the record would be refused."""
    from rdflib import URIRef

    import calcikg.graph

    real = calcikg.graph.record_triples

    def linking(record, terms, *args):
        own = URIRef(CKD + record.data["report"]["id"] + "-case1")
        other = URIRef(CKD + "mouaddine2021-case1-ep1")
        return real(record, terms, *args) | {(own, URIRef(CKG + "combinedWith"), other)}

    monkeypatch.setattr(calcikg.graph, "record_triples", linking)
    with pytest.raises(CalciKGError, match="links nodes of another report .*mouaddine2021-case1-ep1"):
        builder(paths.RECORDS_DIR / "randhawa2018.yaml")


# ------------------------------------------------------------------------ 5. workers and chunks
def _clash(records: list[dict]) -> None:
    """Record 4 takes record 1's source file (a rule across reports)."""
    records[3]["report"]["source_file"] = records[0]["report"]["source_file"]


def test_two_workers_small_chunks_same_as_one_process(tmp_path, monkeypatch):
    """Two worker processes, one or two records a chunk, give the store, the cache entries and the
    problems of one process.

    Engine pySHACL: this process has already run pyrudof (other tests), and forked workers then
    hang in pyrudof (:func:`test_workers_after_pyrudof_in_the_parent_finish`)."""
    files = write_synthetic(tmp_path / "records", 5, _clash)
    one = corpus.build_corpus(files, jobs=1, engine="pyshacl", cache_dir=tmp_path / "one")
    monkeypatch.setattr(corpus, "WORKERS_FROM", 2)
    two = corpus.build_corpus(files, jobs=2, engine="pyshacl", cache_dir=tmp_path / "two")
    assert one.built == two.built == 5
    assert store_lines(two.store) == store_lines(one.store)
    assert two.reports == one.reports
    assert {rid: m["key"] for rid, m in two.entries.items()} == {rid: m["key"] for rid, m in one.entries.items()}
    assert [asdict(p) for p in two.problems] == [asdict(p) for p in one.problems]
    assert {(p.focus, p.shape, Path(p.record).name) for p in one.problems} == {
        ("ckd:synth-000001", "ckgsh:CuratedReportShape", "synth-000001.yaml"),
        ("ckd:synth-000004", "ckgsh:CuratedReportShape", "synth-000004.yaml"),
    }
    one.close()
    two.close()


# ------------------------------------------------------------------------ 6. the store and the cache
def test_store_holds_a_graph_per_report_and_its_state(synthetic, tmp_path):
    """Each report's triples are its own named graph; the state graph names each graph's entry."""
    c = corpus.build_corpus(synthetic, jobs=1, cache_dir=tmp_path)
    from pyoxigraph import NamedNode

    graphs = {g.value for g in c.store.named_graphs()}
    assert graphs == {CKD + f"synth-00000{i}" for i in range(1, 6)} | {corpus.ONTOLOGY_GRAPH, corpus.STATE_GRAPH}
    state = {q.subject.value: q.object.value for q in c.store.quads_for_pattern(None, None, None,
                                                                                 NamedNode(corpus.STATE_GRAPH))}
    assert state[CKD + "synth-000001"] == c.entries["synth-000001"]["key"]
    c.close()


def test_failed_build_leaves_the_store_as_it_was(tmp_path):
    """A build that fails (two reports whose ids clash) changes neither store nor state."""
    files = write_synthetic(tmp_path / "records", 2, _prefix_ids)
    first = corpus.build_corpus(files[1:], jobs=1, cache_dir=tmp_path / "cache")
    before = store_lines(first.store)
    first.close()
    with pytest.raises(CalciKGError):
        corpus.build_corpus(files, jobs=1, cache_dir=tmp_path / "cache")
    again = corpus.build_corpus(files[1:], jobs=1, cache_dir=tmp_path / "cache")
    assert again.built == 0 and store_lines(again.store) == before
    again.close()


# ------------------------------------------------------------------------ 7. report ids, workers
def _prefix_ids(records: list[dict]) -> None:
    """Report ``rep`` and report ``rep-b``; ``rep`` names a statement ``b-claim-1``, so its node
    ``ckd:rep-b-claim-1`` is also report ``rep-b``'s statement ``claim-1`` (ids may hold '-')."""
    for record, rid in zip(records, ("rep", "rep-b")):
        record["report"].update(id=rid, source_file=f"{rid}.txt")
    next(s for s in records[0]["statements"] if s["id"] == "claim-1")["id"] = "b-claim-1"


def test_report_ids_that_extend_one_another_are_refused(tmp_path):
    """Two reports whose ids extend one another could write the same node (whole-graph pySHACL
    then finds two labels on it; validated apart, neither report would show it): the corpus path
    refuses the pair, naming both ids, in a build and when one is added to the other's store."""
    files = write_synthetic(tmp_path, 2, _prefix_ids)
    with pytest.raises(CalciKGError, match=r"'rep' and 'rep-b'"):
        corpus.build_corpus(files, jobs=1, cache_dir=tmp_path / "cache")
    store = copy_store(corpus.build_corpus(files[1:], jobs=1, cache_dir=tmp_path / "cache2").store)
    with pytest.raises(CalciKGError, match=r"'rep' and 'rep-b'"):
        corpus.validate_added(store, files[0])
    assert corpus.clashing_ids(["rep"], ["rep-b", "repb", "other"]) == [("rep", "rep-b")]
    assert corpus.clashing_ids(["repb"], ["rep-b"]) == []


def test_remove_report_keeps_a_report_whose_id_extends_its_own():
    """Taking report ``rep`` out of a store leaves report ``rep-b`` (``calcikg validate --record``
    takes a changed report out of the built graph before checking it again)."""
    from pyoxigraph import RdfFormat, Store

    nt = "".join(f"{iri(node)} {LABEL} \"{node}\" .\n" for node in ("rep", "rep-case1", "rep-b", "rep-b-case1"))
    nt += "".join(f"{iri(r)} <{RDF}type> <https://w3id.org/calcikg/CuratedReport> .\n" for r in ("rep", "rep-b"))
    store = Store()
    store.load(nt.encode(), format=RdfFormat.N_TRIPLES)
    assert corpus.remove_report(store, "rep") == 3
    assert {q.subject.value for q in store} == {CKD + "rep-b", CKD + "rep-b-case1"}


_HANG = """
import sys
from pathlib import Path
from calcikg import corpus
corpus.WORKERS_FROM = 1
cache = Path(sys.argv[1])
files = [Path(f) for f in sys.argv[2:]]
corpus.build_corpus(files[:1], jobs=1, cache_dir=cache / "a").close()   # pyrudof runs once in this process
corpus.build_corpus(files, jobs=2, cache_dir=cache / "b").close()       # then forked workers run it
"""


@pytest.mark.slow
def test_workers_after_pyrudof_in_the_parent_finish(synthetic, tmp_path):
    """build_corpus with workers, engine pyrudof, in a process that has used pyrudof before (one
    corpus built, then another): run apart, with a time limit, and its process group killed."""
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", _HANG, str(tmp_path), *map(str, synthetic[:3])], cwd=paths.ROOT,
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _out, err = proc.communicate(timeout=45)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError("build_corpus(workers=2) did not finish in 45 s") from None
    assert proc.returncode == 0, err
