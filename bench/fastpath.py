"""The FAST path measured by ``bench/run.py``: per-report build, an Oxigraph store, per-report SHACL.

Nothing here changes the library: it uses the library's own record loader, term index, graph
builder and shapes, and adds the few hooks a corpus of thousands of reports needs. Each hook is a
candidate to move into ``src/calcikg`` (see ``bench/README.md``, "What should move into the
library").

1. Loading (``use_libyaml_loader``): :func:`calcikg.records.load_record` unchanged, but its YAML
   loader runs on libyaml (``yaml.CSafeLoader``) with the same line-keeping constructors, so the
   file/line of every field is kept. The JSON-schema check is unchanged.
2. Building (:func:`record_triples`): the library's ``_RecordBuilder`` writing into a plain set of
   triples (:class:`TripleSink`) instead of an rdflib ``Graph``, serialised to N-Triples per
   report (:func:`ntriples`), all reports bulk-loaded into a pyoxigraph ``Store``. Reports are
   built in worker processes (one per core).
3. Validating (:class:`ReportValidator`): a report's triples only depend on its own record, so the
   shapes are checked per report, on the report's triples plus the slice of the ontology the
   shapes read (every ``rdf:type`` and ``rdfs:subClassOf`` triple of it):
   - core constraints (everything but ``sh:sparql``) with pyrudof (or pySHACL) on that subgraph;
   - the SPARQL-based constraints (uniqueness of labels and source files, cross-node agreement,
     patient names) translated once into Oxigraph queries and run on the store restricted to the
     new report's focus nodes (``VALUES ?this``), so that a clash with any of the other reports
     is found without re-validating them. Over the whole corpus the same queries run once each,
     unrestricted.
4. Querying: :func:`run_stored` runs a stored query on the store with pyoxigraph
   ``substitutions`` (SEP-0007 pre-binding), the parameters resolved through the term index.

Also here: :func:`patch_pyshacl`, a prepared-query cache for pySHACL's SPARQL constraints (pySHACL
re-parses each constraint's query text for every focus node; parsing is ~95% of its time on the
CalciKG shapes). It does not change any result: same text, same pre-bound ``$this``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_SUBCLASS_OF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
SH = "http://www.w3.org/ns/shacl#"


def vm_hwm_kb() -> int:
    """This process's peak resident memory (VmHWM), in KiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- 1. loading ----------------------------------------------------------------------------------
def use_libyaml_loader() -> bool:
    """Make :func:`calcikg.records.load_record` parse with libyaml, keeping its line-number constructors.

    Returns whether libyaml is available (otherwise nothing changes).
    """
    import yaml

    from calcikg import records

    if not getattr(yaml, "__with_libyaml__", False):
        return False
    if getattr(records._Loader, "_bench_libyaml", False):
        return True

    class _CLoader(yaml.CSafeLoader):
        _bench_libyaml = True

    # the same constructors the library registers on its pure-Python loader
    for tag, ctor in records._Loader.yaml_constructors.items():
        if records._Loader.yaml_constructors.get(tag) is not yaml.SafeLoader.yaml_constructors.get(tag):
            _CLoader.add_constructor(tag, ctor)
    records._Loader = _CLoader
    return True


# -- 2. building ---------------------------------------------------------------------------------
class TripleSink:
    """What ``_RecordBuilder`` needs of a graph (``add`` and ``value``), over a plain set."""

    __slots__ = ("triples", "_first")

    def __init__(self):
        self.triples: set = set()
        self._first: dict = {}

    def add(self, triple) -> None:
        self.triples.add(triple)
        self._first.setdefault((triple[0], triple[1]), triple[2])

    def value(self, subject=None, predicate=None, object=None, default=None, any=True):  # noqa: A002 - rdflib's names
        return self._first.get((subject, predicate), default)

    def __len__(self) -> int:
        return len(self.triples)

    def __iter__(self):
        return iter(self.triples)


def record_triples(record, terms) -> set:
    """The triples :func:`calcikg.graph.build_data` makes for one record (without the graph header)."""
    from calcikg import graph

    sink = TripleSink()
    graph._RecordBuilder(sink, terms, record).build()
    return sink.triples


def header_triples() -> set:
    """The ``owl:Ontology`` header :func:`calcikg.graph.build_data` puts on the data graph."""
    from calcikg.graph import build_data

    return set(build_data([], None))


def ntriples(triples: Iterable) -> str:
    """rdflib terms -> N-Triples text (``n3()`` of IRIs and literals is valid N-Triples)."""
    return "".join(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in triples)


@lru_cache(maxsize=1)
def ontology_graph():
    """The ontology as the build sees it: the edit file plus the SSSOM mappings (rdflib)."""
    from calcikg.build import load_ontology
    from calcikg.mappings import mapping_triples

    g = load_ontology()
    g += mapping_triples()
    return g


def term_index(graph=None):
    from calcikg.terms import TermIndex

    graph = graph if graph is not None else ontology_graph()
    return TermIndex.from_graph(graph) if hasattr(TermIndex, "from_graph") else TermIndex(graph)


def ontology_slice_nt(graph=None) -> str:
    """The part of the ontology the shapes read: every rdf:type and rdfs:subClassOf triple."""
    from rdflib import URIRef

    graph = graph if graph is not None else ontology_graph()
    keep = (URIRef(RDF_TYPE), URIRef(RDFS_SUBCLASS_OF))
    return ntriples(t for t in graph if t[1] in keep)


# worker-process state (set by _init_worker)
_W: dict = {}


def _init_worker(libyaml: bool) -> None:
    if libyaml:
        use_libyaml_loader()
    _W["terms"] = term_index()


def build_report_file(path: str) -> tuple[str, str, int]:
    """Load one record file (YAML + schema), build its triples: (report id, N-Triples, triple count)."""
    from calcikg.records import load_record

    record = load_record(Path(path))
    triples = record_triples(record, _W["terms"])
    return record.data["report"]["id"], ntriples(triples), len(triples)


def _build_chunk(paths: list[str]) -> tuple[list[tuple[str, str, int]], int, int]:
    out = [build_report_file(p) for p in paths]
    return out, os.getpid(), vm_hwm_kb()


@dataclass
class Corpus:
    """A corpus built by :func:`build_store`: the store, each report's N-Triples, and memory of workers."""

    store: object
    report_nt: dict[str, str]
    triples: int
    worker_hwm_kb: dict[int, int] = field(default_factory=dict)


def chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def build_store(files: list[Path], *, workers: int = 2, libyaml: bool = True, chunk: int = 50) -> Corpus:
    """Every record file -> one pyoxigraph Store holding the ontology, mappings and all reports."""
    from pyoxigraph import RdfFormat, Store

    paths = [str(p) for p in files]
    report_nt: dict[str, str] = {}
    worker_hwm: dict[int, int] = {}
    if workers > 1 and len(paths) > chunk:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        with ctx.Pool(workers, initializer=_init_worker, initargs=(libyaml,)) as pool:
            for results, pid, hwm in pool.imap(_build_chunk, chunks(paths, chunk)):
                worker_hwm[pid] = max(worker_hwm.get(pid, 0), hwm)
                for rid, nt, _n in results:
                    if rid in report_nt:
                        raise ValueError(f"report id {rid!r} is used by two records")
                    report_nt[rid] = nt
    else:
        _init_worker(libyaml)
        for rid, nt, _n in (build_report_file(p) for p in paths):
            if rid in report_nt:
                raise ValueError(f"report id {rid!r} is used by two records")
            report_nt[rid] = nt
    store = Store()
    store.bulk_load(ntriples(ontology_graph()).encode(), format=RdfFormat.N_TRIPLES)
    # no owl:Ontology header of the data graph: the store holds what kg/calcikg.ttl holds
    # one bulk load of everything: per-report loads cost a transaction each
    store.bulk_load("".join(report_nt.values()).encode(), format=RdfFormat.N_TRIPLES)
    return Corpus(store, report_nt, len(store), worker_hwm)


# -- 3. validating -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SparqlCheck:
    """One SPARQL-based constraint of the shapes, as an Oxigraph query over the whole store."""

    shape: str
    constraint: str
    message: str
    target_classes: tuple[str, ...]
    target_subjects_of: tuple[str, ...]
    target_objects_of: tuple[str, ...]
    target_nodes: tuple[str, ...]
    target_selects: tuple[str, ...]  # sh:target [ a sh:SPARQLTarget ; sh:select ... ] (SHACL-AF)
    select: str  # with prefixes, $this renamed ?this, the target pattern and a {VALUES} slot


def _prefix_block(shapes, node) -> str:
    from rdflib import URIRef

    lines = []
    for pnode in shapes.objects(node, URIRef(SH + "prefixes")):
        for decl in shapes.objects(pnode, URIRef(SH + "declare")):
            prefix = shapes.value(decl, URIRef(SH + "prefix"))
            ns = shapes.value(decl, URIRef(SH + "namespace"))
            lines.append(f"PREFIX {prefix}: <{ns}>")
    return "\n".join(lines)


def sparql_checks(shapes_path: Path) -> list[SparqlCheck]:
    """Every ``sh:sparql`` constraint of a node shape, with that shape's targets."""
    from rdflib import Graph, URIRef

    shapes = Graph().parse(shapes_path, format="turtle")
    S = lambda name: URIRef(SH + name)  # noqa: E731
    out = []
    for shape, constraint in sorted(shapes.subject_objects(S("sparql"))):
        if shapes.value(shape, S("path")) is not None:
            raise NotImplementedError(f"sh:sparql on a property shape ({shape}) is not translated")
        if shapes.value(constraint, S("deactivated")) is not None and shapes.value(constraint, S("deactivated")).toPython():
            continue
        select = str(shapes.value(constraint, S("select")))
        if re.search(r"\$(PATH|currentShape|shapesGraph)\b", select):
            raise NotImplementedError(f"{constraint}: $PATH/$currentShape/$shapesGraph are not translated")
        select = re.sub(r"\$this\b", "?this", select)
        m = re.search(r"\bWHERE\s*\{", select, flags=re.IGNORECASE)
        select = select[: m.end()] + "\n{VALUES}{TARGET}\n" + select[m.end():]
        prefixes = set(_prefix_block(shapes, constraint).splitlines())
        target_selects = []
        for target in shapes.objects(shape, S("target")):
            if (target, URIRef(RDF_TYPE), S("SPARQLTarget")) not in shapes:
                raise NotImplementedError(f"{shape}: only SPARQL targets are translated among sh:target")
            prefixes |= set(_prefix_block(shapes, target).splitlines())
            target_selects.append(str(shapes.value(target, S("select"))))
        out.append(SparqlCheck(
            str(shape), str(constraint), str(shapes.value(constraint, S("message")) or ""),
            tuple(sorted(str(c) for c in shapes.objects(shape, S("targetClass")))),
            tuple(sorted(str(p) for p in shapes.objects(shape, S("targetSubjectsOf")))),
            tuple(sorted(str(p) for p in shapes.objects(shape, S("targetObjectsOf")))),
            tuple(sorted(str(n) for n in shapes.objects(shape, S("targetNode")))),
            tuple(target_selects),
            "\n".join(sorted(prefixes)) + "\n" + select,
        ))
    return out


def core_shapes_ttl(shapes_path: Path) -> str:
    """The shapes without their ``sh:sparql`` constraints (those run on the store instead)."""
    from rdflib import Graph, URIRef

    shapes = Graph().parse(shapes_path, format="turtle")
    for shape, constraint in list(shapes.subject_objects(URIRef(SH + "sparql"))):
        shapes.remove((shape, URIRef(SH + "sparql"), constraint))
        for t in list(shapes.triples((constraint, None, None))):
            shapes.remove(t)
    return shapes.serialize(format="turtle")


@dataclass(frozen=True)
class Problem:
    """A validation result reduced to what two engines can be compared on."""

    focus: str
    component: str  # e.g. MinCountConstraintComponent, or SPARQL:<constraint IRI>
    path: str = ""


class ReportValidator:
    """Per-report SHACL: core constraints on the report's subgraph, SPARQL constraints on the store."""

    def __init__(self, shapes_path: Path, engine: str = "pyrudof", ontology=None):
        self.shapes_path = Path(shapes_path)
        self.engine = engine
        self.slice_nt = ontology_slice_nt(ontology)
        self.core_ttl = core_shapes_ttl(self.shapes_path)
        self.checks = sparql_checks(self.shapes_path)
        self._closure: dict[str, tuple[str, ...]] = {}
        self._rudof = None
        self._shapes_graph = None

    # core constraints ----------------------------------------------------------------------------
    def core(self, report_nt: str) -> list[Problem]:
        """Core constraints on one report's (or several reports') N-Triples plus the ontology slice."""
        data = report_nt + self.slice_nt
        if self.engine == "pyrudof":
            return self._core_rudof(data)
        return self._core_pyshacl(data)

    def _core_rudof(self, data: str) -> list[Problem]:
        import pyrudof

        if self._rudof is None:
            self._rudof = pyrudof.Rudof(pyrudof.RudofConfig())
            self._rudof.read_shacl(self.core_ttl, format=pyrudof.ShaclFormat.Turtle)
        self._rudof.read_data(data, format=pyrudof.RDFFormat.NTriples, merge=False)
        report = self._rudof.validate_shacl()
        if report.conforms:
            return []
        return [Problem(v.focus_node, str(v.constraint_component).rsplit("#", 1)[-1]) for v in report.violations]

    def _core_pyshacl(self, data: str) -> list[Problem]:
        from pyshacl import validate
        from rdflib import Graph
        from rdflib.namespace import SH as RSH

        if self._shapes_graph is None:
            self._shapes_graph = Graph().parse(data=self.core_ttl, format="turtle")
        g = Graph().parse(data=data, format="nt")
        conforms, results, _ = validate(g, shacl_graph=self._shapes_graph, inference="none",
                                        advanced=True, allow_warnings=False)
        if conforms:
            return []
        return [Problem(str(results.value(r, RSH.focusNode)),
                        str(results.value(r, RSH.sourceConstraintComponent)).rsplit("#", 1)[-1])
                for r in results.subjects(RSH.resultSeverity, None)]

    # SPARQL constraints on the store ----------------------------------------------------------------
    def _classes_under(self, store, cls: str) -> tuple[str, ...]:
        if cls not in self._closure:
            rows = store.query(f"SELECT ?c WHERE {{ ?c <{RDFS_SUBCLASS_OF}>* <{cls}> }}")
            self._closure[cls] = tuple(sorted({r["c"].value for r in rows} | {cls}))
        return self._closure[cls]

    def _target(self, store, check: SparqlCheck) -> str:
        parts = []
        classes = sorted({c for t in check.target_classes for c in self._classes_under(store, t)})
        if classes:
            parts.append("{ VALUES ?bench_cls { " + " ".join(f"<{c}>" for c in classes)
                         + f" }} ?this <{RDF_TYPE}> ?bench_cls }}")
        parts += [f"{{ ?this <{p}> ?bench_o }}" for p in check.target_subjects_of]
        parts += [f"{{ ?bench_s <{p}> ?this }}" for p in check.target_objects_of]
        if check.target_nodes:
            parts.append("{ VALUES ?this { " + " ".join(f"<{n}>" for n in check.target_nodes) + " } }")
        parts += ["{ " + re.sub(r"\$this\b", "?this", sel) + " }" for sel in check.target_selects]
        if not parts:
            return "FILTER(false)"
        # DISTINCT focus nodes: a node typed with two target classes is one focus node
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"

    def sparql(self, store, focus: Iterable[str] | None = None) -> list[Problem]:
        """Every SPARQL constraint over the store; only for the ``focus`` nodes when given."""
        values = ""
        if focus is not None:
            focus = sorted(set(focus))
            if not focus:
                return []
            values = "VALUES ?this { " + " ".join(f"<{n}>" for n in focus) + " }\n"
        out = []
        for check in self.checks:
            text = check.select.replace("{VALUES}", values).replace("{TARGET}", self._target(store, check))
            for row in store.query(text):
                out.append(Problem(row["this"].value, "SPARQL:" + check.constraint))
        return out

    # both --------------------------------------------------------------------------------------------
    def validate_report(self, store, report_nt: str) -> list[Problem]:
        """One report already in ``store`` (e.g. just added): its subgraph + its focus nodes on the store."""
        problems = self.core(report_nt)
        problems += self.sparql(store, subjects_of(report_nt))
        return problems


_SUBJECT = re.compile(r"^<([^>]*)>", re.M)


def subjects_of(nt: str) -> set[str]:
    """Subject IRIs of N-Triples text (the report's own nodes, plus punned ontology classes)."""
    return set(_SUBJECT.findall(nt))


# worker state for parallel core validation
def _init_validator(shapes_path: str, engine: str) -> None:
    _W["validator"] = ReportValidator(Path(shapes_path), engine)


def _validate_chunk(nts: list[str]) -> tuple[list[Problem], int, int]:
    v = _W["validator"]
    return v.core("".join(nts)), os.getpid(), vm_hwm_kb()


def validate_corpus(corpus: Corpus, shapes_path: Path, *, engine: str = "pyrudof", workers: int = 2,
                    chunk: int = 200) -> tuple[list[Problem], dict[int, int], dict[str, float]]:
    """All reports: core constraints per chunk of reports (in parallel), SPARQL constraints on the store.

    Reports are independent (each one's triples come from its own record), so validating a chunk
    of reports together gives the same results as validating them one by one, with fewer calls.
    """
    import time

    t0 = time.perf_counter()
    nts = list(corpus.report_nt.values())
    problems: list[Problem] = []
    hwm: dict[int, int] = {}
    if workers > 1 and len(nts) > chunk:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        with ctx.Pool(workers, initializer=_init_validator, initargs=(str(shapes_path), engine)) as pool:
            for found, pid, h in pool.imap_unordered(_validate_chunk, chunks(nts, chunk)):
                problems += found
                hwm[pid] = max(hwm.get(pid, 0), h)
    else:
        _init_validator(str(shapes_path), engine)
        for part in chunks(nts, chunk):
            problems += _validate_chunk(part)[0]
    t1 = time.perf_counter()
    validator = _W.get("validator") or ReportValidator(Path(shapes_path), engine)
    problems += validator.sparql(corpus.store)
    t2 = time.perf_counter()
    return problems, hwm, {"core": t1 - t0, "sparql": t2 - t1}


# -- 4. querying ---------------------------------------------------------------------------------
def _blank_comments(text: str) -> str:
    return "\n".join(" " * len(line) if line.lstrip().startswith("#") else line for line in text.split("\n"))


def with_values(text: str, bindings: dict[str, str]) -> str:
    """``text`` with ``VALUES ?p { <iri> }`` opening its outer WHERE group (as calcikg.query.with_values)."""
    if not bindings:
        return text
    m = re.search(r"\bWHERE\s*\{", _blank_comments(text), flags=re.IGNORECASE)
    values = "".join(f"\n  VALUES ?{k} {{ <{v}> }}" for k, v in sorted(bindings.items()))
    return text[: m.end()] + values + text[m.end():]


def with_values_everywhere(text: str, bindings: dict[str, str]) -> str:
    """``VALUES ?p { <iri> }`` in the outer WHERE group AND in every sub-SELECT that projects ``?p``.

    A sub-SELECT is evaluated on its own and joined on the variables it projects, so restricting
    it to the bound value first gives the same rows; Oxigraph otherwise computes an aggregate
    subquery (COUNT ... GROUP BY ?report) over the whole corpus to answer for one report.
    A sub-SELECT that does not project ``?p`` has its own, unrelated ``?p``: left alone.
    """
    if not bindings:
        return text
    blank = _blank_comments(text)
    inserts = []
    for m in re.finditer(r"\bSELECT\b", blank, flags=re.IGNORECASE):
        w = re.compile(r"\bWHERE\s*\{", re.IGNORECASE).search(blank, m.end())
        if not w:
            continue
        outer = not inserts and blank[: m.start()].count("{") == 0
        projected = _projected(blank[m.start(): w.end()])
        names = sorted(k for k in bindings if outer or k in projected)
        if names:
            inserts.append((w.end(), "".join(f"\n  VALUES ?{k} {{ <{bindings[k]}> }}" for k in names)))
    for pos, block in sorted(inserts, reverse=True):
        text = text[:pos] + block + text[pos:]
    return text


def run_stored(store, text: str, bindings: dict[str, str]) -> list[tuple[str, ...]]:
    """A stored query on the store with IRI parameters bound; rows as tuples of strings.

    pyoxigraph's ``substitutions`` (SEP-0007) refuse a variable the SELECT does not project
    ("does not contains variable ?condition in its SELECT projection"), and the stored queries
    bind unprojected ones (?condition), so parameters go in VALUES blocks
    (:func:`with_values_everywhere`).
    """
    from pyoxigraph import NamedNode, Variable

    projected = _projected(text)
    if bindings and all(k in projected for k in bindings) and not re.search(r"\bSELECT\b.*\bSELECT\b", text, re.S | re.I):
        res = store.query(text, substitutions={Variable(k): NamedNode(v) for k, v in bindings.items()})
    else:
        res = store.query(with_values_everywhere(text, bindings))
    names = [v.value for v in res.variables]
    return [tuple("" if row[n] is None else row[n].value for n in names) for row in res]


def _projected(text: str) -> set[str]:
    """Variables a SELECT projects (bare ``?x`` and ``(... AS ?x)``)."""
    m = re.search(r"\bSELECT\b(.*?)\bWHERE\b", _blank_comments(text), flags=re.IGNORECASE | re.S)
    head = m.group(1) if m else ""
    names = set(re.findall(r"\bAS\s+[?$](\w+)", head, flags=re.IGNORECASE))
    while re.search(r"\([^()]*\)", head):
        head = re.sub(r"\([^()]*\)", " ", head)
    return names | set(re.findall(r"[?$](\w+)", head))


# -- pySHACL prepared-query cache ---------------------------------------------------------------
def patch_pyshacl() -> None:
    """Let pySHACL parse each SPARQL constraint once instead of once per focus node."""
    from pyshacl.constraints.sparql import sparql_based_constraints as sbc
    from rdflib.plugins.sparql import prepareQuery

    cls = sbc.SPARQLBasedConstraint
    if getattr(cls, "_bench_patched", False):
        return
    cache: dict[str, object] = {}
    original = cls._validate_sparql_query

    def _validate_sparql_query(self, query, init_binds, target_graph):
        prepared = cache.get(query)
        if prepared is None:
            prepared = cache[query] = prepareQuery(query)
        return original(self, prepared, init_binds, target_graph)

    cls._validate_sparql_query = _validate_sparql_query
    cls._bench_patched = True
