"""The corpus path: records -> an Oxigraph store, validated one report at a time.

``calcikg build`` + ``calcikg validate`` hold the whole graph in rdflib and run pySHACL over all
of it: exact and simple, fine for tens of reports, but it grows faster than the corpus
(bench/README.md: 140 s of pySHACL for 100 reports, hours for 10,000). This is the path for
thousands:

- each record is built on its own (its triples depend only on the record and the ontology), in
  worker processes, and bulk-loaded into a pyoxigraph ``Store`` (in memory, or on disk);
- each report is validated on its own triples plus the slice of the ontology the shapes read
  (``rdf:type`` and ``rdfs:subClassOf``), a few reports at a time, as they are built;
- the rules marked ``ckgsh:acrossReports true`` in the shapes (unique labels, unique source files:
  the only ones that compare a node with other reports' nodes) run as queries over the store:
  once over the whole corpus, or for the nodes of one added report.

Why this gives the verdict of whole-graph SHACL: a report's triples link only its own nodes and
ontology terms (:func:`foreign_nodes` refuses anything else), so a rule can only see another
report by comparing values, and the rules that do are the marked ones. ``tests/test_corpus.py``
checks the equality with whole-graph pySHACL on injected faults, a clash across reports included.

Engines for the per-report rules: ``pyshacl`` (the reference, as ``calcikg validate``) or
``pyrudof`` (Rust, several times faster); tests/test_corpus.py checks they agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from calcikg import paths
from calcikg.errors import CalciKGError
from calcikg.validate import Problem, _short, privacy_problems, source_text_problems

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_SUBCLASS_OF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
CKG_SOURCE_FILE = "https://w3id.org/calcikg/sourceFile"
CKD = "https://w3id.org/calcikg/data/"
SH = "http://www.w3.org/ns/shacl#"
CKGSH = "https://w3id.org/calcikg/shapes/"

ENGINES = ("pyrudof", "pyshacl")


# -- build ---------------------------------------------------------------------------------------
def ontology_graph():
    """The ontology as the build sees it: the edit file plus the SSSOM mappings (rdflib)."""
    from calcikg.build import load_ontology
    from calcikg.mappings import mapping_triples

    graph = load_ontology()
    graph += mapping_triples()
    return graph


def ntriples(triples: Iterable) -> str:
    """rdflib triples -> N-Triples text, sorted (``n3()`` of an IRI or a literal is N-Triples)."""
    return "".join(sorted(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in triples))


def report_of(iri: str, report_ids: set[str] | dict) -> str | None:
    """The report a data IRI belongs to: ``ckd:R`` or ``ckd:R-...`` for a known report id R."""
    if not iri.startswith(CKD):
        return None
    local = iri[len(CKD):]
    while True:
        if local in report_ids:
            return local
        if "-" not in local:
            return None
        local = local.rsplit("-", 1)[0]


def foreign_nodes(report_id: str, nt: str) -> list[str]:
    """Data IRIs (subjects, objects) in a report's triples that are not its own (``ckd:<id>``, ``ckd:<id>-...``)."""
    own = CKD + report_id
    nodes = set()
    for line in nt.splitlines():
        s, _p, o = line.split(" ", 2)
        nodes.add(s[1:-1])
        if o.startswith("<"):
            nodes.add(o[1:o.index(">")])
    return sorted(i for i in nodes if i.startswith(CKD) and i != own and not i.startswith(own + "-"))


def clashing_ids(new: Iterable[str], existing: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of report ids where one is the other followed by ``-...`` (``rep``, ``rep-b``).

    Node IRIs are ``ckd:<id>-<local>`` and ids may hold '-', so such two reports can write the same
    node (report ``rep``'s statement ``b-claim-1`` is ``rep-b``'s ``claim-1``), and a report would
    no longer be its own triples: refused, whatever the records say.
    """
    ids = sorted(set(new) | set(existing))
    new = set(new)
    out = []
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            if not b.startswith(a):
                break
            if b.startswith(a + "-") and (a in new or b in new):
                out.append((a, b))
    return out


def _refuse_clashing_ids(new: Iterable[str], existing: Iterable[str], where: str) -> None:
    pairs = clashing_ids(new, existing)
    if pairs:
        a, b = pairs[0]
        raise CalciKGError(f"{where}: report ids {a!r} and {b!r}: one is the other followed by '-', so their nodes"
                           f" can share IRIs; give one of the reports another id")


@dataclass
class BuiltReport:
    """One record built: its id, file, N-Triples, and the problems of its local validation."""

    report_id: str
    record: str
    nt: str
    triples: int
    problems: list[Problem] = field(default_factory=list)
    origins: dict = field(default_factory=dict, repr=False)  # node -> (record file, line)


_WORKER: dict = {}  # per process: the term index (and, in workers, the validator)


def prepare() -> None:
    """Load the ontology and its term index, which :func:`build_report` needs, once per process
    (call it first where the first addition is timed or waited for)."""
    if "terms" not in _WORKER:
        _init_worker(None, "pyrudof")


def _init_worker(shapes_file: str | None, engine: str) -> None:
    from calcikg.terms import TermIndex

    onto = ontology_graph()
    _WORKER["terms"] = TermIndex.from_graph(onto)
    _WORKER["validator"] = ContextValidator(Path(shapes_file), onto, engine) if shapes_file else None


def build_report(path: Path | str) -> BuiltReport:
    """Load a record (YAML + schema) and build its triples (N-Triples)."""
    from calcikg.graph import record_triples
    from calcikg.records import load_record

    prepare()
    record = load_record(Path(path))
    rid = record.data["report"]["id"]
    origins: dict = {}
    triples = record_triples(record, _WORKER["terms"], origins)
    nt = ntriples(triples)
    foreign = foreign_nodes(rid, nt)
    if foreign:  # the per-report argument needs it; the builder never does this
        raise CalciKGError(f"{record.name}: report {rid} links nodes of another report ({', '.join(foreign[:3])}):"
                           " a record may only describe its own report")
    return BuiltReport(rid, record.name, nt, len(triples), origins=origins)


def _build_chunk(chunk: Sequence[str]) -> tuple[list[BuiltReport], int]:
    """Build a few records and validate them together (a union of reports is validated like one)."""
    built = [build_report(p) for p in chunk]
    validator = _WORKER.get("validator")
    if validator is not None:
        records = {b.report_id: b.record for b in built}
        for p in validator.validate("".join(b.nt for b in built)):
            rid = report_of(_long(p.focus), records)
            p.record = records.get(rid, "")
            next((b for b in built if b.report_id == rid), built[0]).problems.append(p)
    return built, peak_rss_kb()


def peak_rss_kb() -> int:
    """This process's peak resident memory (VmHWM), KiB."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@dataclass
class Corpus:
    """A corpus in a store, with the problems found and what each report is."""

    store: object
    reports: dict[str, str]  # report id -> record file
    triples: int
    problems: list[Problem]
    worker_peak_kb: list[int] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def conforms(self) -> bool:
        return not self.problems


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def build_corpus(record_files: Sequence[Path], *, workers: int = 2, store_dir: Path | None = None,
                 validate: bool = True, engine: str = "pyrudof", shapes_file: Path | None = None,
                 chunk: int = 20) -> Corpus:
    """Every record -> one Oxigraph store (ontology, mappings, reports), every report validated.

    Records are built and validated in ``workers`` processes, ``chunk`` at a time, and loaded as
    they come back, so only a few chunks of N-Triples are held at once. Then the rules that
    compare reports run over the store. With ``store_dir``, the store is on disk (RocksDB); a build
    that fails removes it.
    """
    from pyoxigraph import Store

    if engine not in ENGINES:
        raise CalciKGError(f"unknown SHACL engine {engine!r}: use one of {', '.join(ENGINES)}")
    shapes = str(shapes_file or paths.SHAPES)
    files = [str(p) for p in record_files]
    if store_dir is not None:
        store_dir = Path(store_dir)
        if store_dir.exists() and any(store_dir.iterdir()):
            raise CalciKGError(f"{store_dir}: the store directory is not empty; remove it or choose another")
    store = Store(str(store_dir)) if store_dir is not None else Store()
    try:
        return _fill(store, files, workers=workers, validate=validate, engine=engine, shapes=shapes, chunk=chunk)
    except BaseException:
        if store_dir is not None:  # nothing half-written: a failed build leaves no store behind
            del store
            import shutil

            shutil.rmtree(store_dir, ignore_errors=True)
        raise


def _fill(store, files: list[str], *, workers: int, validate: bool, engine: str, shapes: str, chunk: int) -> Corpus:
    """:func:`build_corpus` once its store is open."""
    import time

    from pyoxigraph import RdfFormat

    t0 = time.perf_counter()
    store.bulk_load(ntriples(ontology_graph()).encode(), format=RdfFormat.N_TRIPLES)
    reports: dict[str, str] = {}
    problems: list[Problem] = []
    worker_peak: list[int] = []

    def take(built: list[BuiltReport]) -> None:
        for b in built:
            if b.report_id in reports:
                raise CalciKGError(f"{b.record}: report id {b.report_id!r} is already used by {reports[b.report_id]}")
            reports[b.report_id] = b.record
            problems.extend(b.problems)
        store.bulk_load("".join(b.nt for b in built).encode(), format=RdfFormat.N_TRIPLES)

    init = (shapes if validate else None, engine)
    if workers > 1 and len(files) > chunk:
        import multiprocessing as mp

        # "forkserver", not "fork": a process that has run pyrudof before holds its thread pool
        # (rayon), and workers forked from it wait forever on threads they did not inherit
        with mp.get_context("forkserver").Pool(workers, initializer=_init_worker, initargs=init) as pool:
            for built, peak in pool.imap(_build_chunk, list(_chunks(files, chunk))):
                take(built)
                worker_peak.append(peak)
    else:
        _init_worker(*init)
        for part in _chunks(files, chunk):
            take(_build_chunk(part)[0])
    _refuse_clashing_ids(reports, (), "the records")
    _import_hpo(store)
    t1 = time.perf_counter()
    if validate:
        checks = AcrossReportChecks(Path(shapes))
        for p in checks.problems(store):
            p.record = reports.get(report_of(_long(p.focus), reports) or "", "")
            problems.append(p)
    t2 = time.perf_counter()
    return Corpus(store, reports, len(store), _unique(problems),
                  sorted(set(worker_peak)), {"build and validate reports": t1 - t0, "rules across reports": t2 - t1})


def _import_hpo(store) -> None:
    """The HPO classes the reports use, with their parents, as the whole-graph build imports them."""
    from pyoxigraph import RdfFormat
    from rdflib import Graph, URIRef

    from calcikg.hpo import imported_terms

    # the reports' own triples only (subjects under ckd:), not the mapping set's links to HPO terms
    rows = store.query(f'SELECT DISTINCT ?o WHERE {{ ?s ?p ?o . FILTER(STRSTARTS(STR(?s), "{CKD}") && isIRI(?o) && '
                       'STRSTARTS(STR(?o), "http://purl.obolibrary.org/obo/HP_")) }')
    used = Graph()
    for row in rows:
        used.add((URIRef(CKD + "use"), URIRef(CKD + "use"), URIRef(row["o"].value)))
    if len(used):
        store.bulk_load(ntriples(imported_terms(ontology_graph(), used)).encode(), format=RdfFormat.N_TRIPLES)


def _long(curie: str) -> str:
    from calcikg.prefixes import expand

    return expand(curie) or curie


def _problem_key(p: Problem):
    return (p.record, p.focus, p.field, p.message, p.value, p.shape)


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    """Sorted, each once (a result found by two chunks or two passes)."""
    return sorted({_problem_key(p): p for p in problems}.values(), key=_problem_key)


# -- validate --------------------------------------------------------------------------------------
def _prefixes(shapes, node) -> str:
    from rdflib.namespace import SH as RSH

    return "".join(f"PREFIX {shapes.value(d, RSH.prefix)}: <{shapes.value(d, RSH.namespace)}>\n"
                   for pn in shapes.objects(node, RSH.prefixes) for d in shapes.objects(pn, RSH.declare))


def across_report_constraints(shapes) -> set:
    """The SPARQL-based constraints marked ``ckgsh:acrossReports true``."""
    from rdflib import Literal, URIRef

    return set(shapes.subjects(URIRef(CKGSH + "acrossReports"), Literal(True)))


class ContextValidator:
    """SHACL for one report (or a few) on its own triples plus the ontology slice.

    The rules marked across-reports are left out (:class:`AcrossReportChecks` runs them on the
    store): within a few reports they would only see part of the corpus.
    """

    def __init__(self, shapes_file: Path | None = None, ontology=None, engine: str = "pyrudof"):
        from rdflib import Graph, URIRef
        from rdflib.namespace import SH as RSH

        if engine not in ENGINES:
            raise CalciKGError(f"unknown SHACL engine {engine!r}: use one of {', '.join(ENGINES)}")
        self.engine = engine
        self.shapes_file = Path(shapes_file or paths.SHAPES)
        ontology = ontology if ontology is not None else ontology_graph()
        keep = (URIRef(RDF_TYPE), URIRef(RDFS_SUBCLASS_OF))
        self.slice_nt = ntriples(t for t in ontology if t[1] in keep)
        shapes = Graph().parse(self.shapes_file, format="turtle")
        for c in across_report_constraints(shapes):
            shapes.remove((None, RSH.sparql, c))
        self.shapes = shapes
        self._rudof = None

    def validate(self, report_nt: str) -> list[Problem]:
        """Problems on ``report_nt`` (one report's, or a few reports', triples)."""
        from rdflib import Graph

        from calcikg.validate import shacl_problems

        from calcikg.hpo import subclass_slice_nt

        data = report_nt + self.slice_nt + subclass_slice_nt(report_nt)  # HPO findings not imported yet
        if self.engine == "pyshacl":
            found = shacl_problems(Graph().parse(data=data, format="nt"), self.shapes)
        else:
            found = self._rudof_problems(data)
        return _unique(found)

    def _rudof_problems(self, data: str) -> list[Problem]:
        import pyrudof

        if self._rudof is None:
            self._rudof = pyrudof.Rudof(pyrudof.RudofConfig())
            self._rudof.read_shacl(self.shapes.serialize(format="turtle"), format=pyrudof.ShaclFormat.Turtle)
        self._rudof.read_data(data, format=pyrudof.RDFFormat.NTriples, merge=False)
        report = self._rudof.validate_shacl()
        if report.conforms:
            return []
        out = []
        for v in report.violations:
            message = str(v.message or "constraint violated")
            if len(message) > 1 and message[0] == message[-1] == '"':
                message = message[1:-1]
            value = str(v.value or "")
            out.append(Problem("shacl", _short_iri(v.focus_node), "", _short_iri(v.path or ""), message,
                               "" if value == v.focus_node else _short_iri(value), _short_iri(v.source_shape or "")))
        return out


def _short_iri(text: str) -> str:
    from rdflib import URIRef

    return _short(URIRef(text)) if text.startswith(("http://", "https://")) else text


@dataclass(frozen=True)
class _StoreCheck:
    shape: str
    constraint: str
    message: str
    query: str  # with a {FOCUS} slot for a VALUES block


class AcrossReportChecks:
    """The across-reports rules as queries on a store: the constraint's own SELECT, with ``$this``
    joined to the shape's targets instead of pre-bound one node at a time (the same rows)."""

    def __init__(self, shapes_file: Path | None = None):
        from rdflib import Graph
        from rdflib.namespace import SH as RSH

        shapes = Graph().parse(Path(shapes_file or paths.SHAPES), format="turtle")
        self.checks = []
        for c in sorted(across_report_constraints(shapes)):
            for shape in sorted(shapes.subjects(RSH.sparql, c)):
                select = re.sub(r"\$this\b", "?this", str(shapes.value(c, RSH.select)))
                m = re.search(r"\bWHERE\s*\{", select, flags=re.IGNORECASE)
                target = self._target(shapes, shape)
                query = _prefixes(shapes, c) + select[:m.end()] + "\n{FOCUS}\n" + target + "\n" + select[m.end():]
                self.checks.append(_StoreCheck(str(shape), str(c), str(shapes.value(c, RSH.message) or ""), query))

    @staticmethod
    def _target(shapes, shape) -> str:
        from rdflib.namespace import SH as RSH

        parts = [f"{{ ?this <{RDF_TYPE}>/<{RDFS_SUBCLASS_OF}>* <{c}> }}" for c in shapes.objects(shape, RSH.targetClass)]
        parts += [f"{{ ?this <{p}> [] }}" for p in shapes.objects(shape, RSH.targetSubjectsOf)]
        parts += [f"{{ [] <{p}> ?this }}" for p in shapes.objects(shape, RSH.targetObjectsOf)]
        parts += [f"{{ VALUES ?this {{ <{n}> }} }}" for n in shapes.objects(shape, RSH.targetNode)]
        if not parts or shapes.value(shape, RSH.target) is not None:
            raise CalciKGError(f"{shape}: an across-reports rule needs a class, subjects-of, objects-of or node target")
        # a plain pattern, not a sub-SELECT DISTINCT: Oxigraph 0.5 then joins it with the rule's own
        # patterns (0.01 s instead of 0.5 s at 300 reports); a node reached twice gives the same
        # result twice, and results are kept once each
        return " UNION ".join(parts)

    def problems(self, store, focus: Iterable[str] | None = None) -> list[Problem]:
        """Every across-reports rule over the store; only for the ``focus`` nodes when given."""
        values = ""
        if focus is not None:
            focus = sorted(set(focus))
            if not focus:
                return []
            values = "VALUES ?this { " + " ".join(f"<{n}>" for n in focus) + " }"
        out = []
        for check in self.checks:
            for row in store.query(check.query.replace("{FOCUS}", values)):
                out.append(self._problem(check, row))
        return out

    @staticmethod
    def _problem(check: _StoreCheck, row) -> Problem:
        from pyoxigraph import NamedNode

        value = row["value"]  # every across-reports rule selects the clashing ?value
        shown = "" if value is None else _short_iri(value.value) if isinstance(value, NamedNode) else value.value
        message = check.message.replace("{?value}", shown).replace("{$value}", shown)
        return Problem("shacl", _short_iri(row["this"].value), "", "", message, shown, _short_iri(check.shape))


def validate_added(store, record_file: Path, *, engine: str = "pyshacl", validator: ContextValidator | None = None,
                   checks: AcrossReportChecks | None = None,
                   built: BuiltReport | None = None) -> tuple[BuiltReport, list[Problem]]:
    """A new record against the corpus in ``store``, without validating the corpus again.

    The record is built, its triples are validated on their own, added to ``store``, and the
    across-reports rules run for its nodes only (a clash is reported on the new report's side).
    Each problem carries the record file and line. A report already in the store is refused:
    take it out first (:func:`remove_report`) to check a changed record. ``built``: the record
    already built (:func:`build_report`), not built again.
    """
    from pyoxigraph import RdfFormat

    from calcikg.validate import attach_origins

    built = built or build_report(record_file)
    if any(True for _ in store.quads_for_pattern(_named(CKD + built.report_id), None, None)):
        raise CalciKGError(f"{built.record}: report {built.report_id} is already in the store; remove it first"
                           " to check a changed record")
    _refuse_clashing_ids([built.report_id], report_ids(store), built.record)
    validator = validator or ContextValidator(engine=engine)
    checks = checks or AcrossReportChecks(validator.shapes_file)
    problems = validator.validate(built.nt)
    store.load(built.nt.encode(), format=RdfFormat.N_TRIPLES)
    problems += checks.problems(store, _subjects(built.nt))
    for p in problems:
        p.record = built.record
    attach_origins(problems, {k: v for k, v in built.origins.items()})
    return built, _unique(problems)


def check_record(record_file: Path, graph_file: Path | None = None, *, engine: str = "pyshacl",
                 reports_dirs: list[Path] | None = None):
    """``calcikg validate --record``: one record (new or changed) against the built graph.

    The built graph is loaded into a throwaway Oxigraph store; a report already in it (a changed
    record) is taken out first. Returns the validation :class:`calcikg.validate.Report`.
    """
    from pyoxigraph import RdfFormat, Store

    from calcikg.errors import NotBuiltError
    from calcikg.validate import Report

    graph_file = graph_file or paths.GRAPH_TTL
    if not graph_file.exists():
        raise NotBuiltError(f"{graph_file} does not exist: run 'calcikg build' first")
    store = Store()
    store.bulk_load(path=str(graph_file), format=RdfFormat.TURTLE)
    built = build_report(record_file)
    removed = remove_report(store, built.report_id)
    _, problems = validate_added(store, record_file, engine=engine, built=built)
    checks = [f"SHACL shapes on {Path(record_file).name} ({engine})",
              f"rules across reports against {graph_file.name}"
              + (f" (its previous version, {removed:,} triples, left out)" if removed else ""),
              "no patient names in the record file"]
    problems += _record_text_problems(Path(record_file), built)
    missing, checked = source_text_problems(_record_source_file(Path(record_file), built), reports_dirs)
    checks.append(checked)
    return Report(problems=problems + missing, checks=checks)


def _record_text_problems(record_file: Path, built: BuiltReport) -> list[Problem]:
    """Patient names anywhere in the record file, comments included, each with its line."""
    lines = record_file.read_text(encoding="utf-8").splitlines()
    texts = ((f"ckd:{built.report_id}", "", f"line {n}", line) for n, line in enumerate(lines, 1))
    problems = privacy_problems(texts, where=built.record)
    for p in problems:
        p.line = int(p.field.removeprefix("line "))
        p.field = ""
    return problems


def _record_source_file(record_file: Path, built: BuiltReport) -> list[tuple[str, str, str]]:
    """The report's source file, read from its built triples."""
    found = re.search(rf'^<{re.escape(CKD + built.report_id)}> <https://w3id.org/calcikg/sourceFile> "([^"]*)"',
                      built.nt, re.M)
    return [(f"ckd:{built.report_id}", "", found.group(1))] if found else []


def report_ids(store) -> set[str]:
    """Ids of the curated reports in ``store``."""
    rows = store.query(f"SELECT ?r WHERE {{ ?r <{RDF_TYPE}> <https://w3id.org/calcikg/CuratedReport> }}")
    return {r["r"].value[len(CKD):] for r in rows if r["r"].value.startswith(CKD)}


def remove_report(store, report_id: str) -> int:
    """Take a report's own triples (subjects ``ckd:<id>`` and ``ckd:<id>-...`` that belong to no
    report with a longer id) out of ``store``; how many."""
    own = CKD + report_id
    ids = report_ids(store) | {report_id}
    rows = store.query(f"""SELECT DISTINCT ?s WHERE {{ ?s ?p ?o .
        FILTER(STR(?s) = "{own}" || STRSTARTS(STR(?s), "{own}-")) }}""")
    subjects = [r["s"] for r in rows if report_of(r["s"].value, ids) == report_id]
    quads = [q for s in subjects for q in store.quads_for_pattern(s, None, None)]  # listed before removing
    for q in quads:
        store.remove(q)
    return len(quads)


def _named(iri: str):
    from pyoxigraph import NamedNode

    return NamedNode(iri)


_SUBJECT = re.compile(r"^<([^>]*)>", re.M)


def _subjects(nt: str) -> set[str]:
    return set(_SUBJECT.findall(nt))


