"""Stage 3b: validate the graph (``calcikg validate``).

The checks, one report:

1. SHACL with ``shapes/calcikg-shapes.ttl``, inference mode ``none``: the builder types every node
   explicitly and the shapes climb the class hierarchy themselves (``rdfs:subClassOf*`` paths), so
   nothing is inferred into the data and the verdict does not depend on an entailment regime. By
   default through the one pipeline (:mod:`calcikg.corpus`): each report on its own triples plus
   the ontology, the rules across reports on the store; ``--exact``: pySHACL over the whole built
   graph (:func:`validate_exact`, the reference; the tests check both give the same verdicts).
2. Every ``queries/*-violation.rq`` (ODK convention): each row it returns is a violation.
3. No patient name in any literal (:mod:`calcikg.privacy`), and each report's text in a reports
   folder when there is one.
4. OWL consistency with HermiT (owlready2, needs Java) over ``kg/calcikg.owl``.

Each problem names the node, its label, the field, the shape's message, and the record file and
line the node was built from (kept in the build cache).
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

from calcikg import paths
from calcikg.errors import CalciKGError, NotBuiltError
from calcikg.prefixes import compress, expand


@dataclass
class Problem:
    """One validation result, in a curator's terms."""

    check: str
    focus: str
    label: str
    field: str
    message: str
    value: str = ""
    shape: str = ""
    record: str = ""
    line: int | None = None


@dataclass
class Report:
    """The outcome of :func:`validate`: conforms when there is no problem."""

    problems: list[Problem] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.problems

    def as_dicts(self) -> list[dict]:
        return [asdict(p) for p in self.problems]

    def text(self) -> str:
        lines = [f"checks run: {', '.join(self.checks)}"]
        for p in self.problems:
            where = f"{p.record}:{p.line}" if p.record and p.line else (p.record or "the built graph")
            lines.append(f"- [{p.check}] {where}: " + (f"{p.label} ({p.focus})" if p.label else p.focus)
                         + (f", field {p.field}" if p.field else "") + f": {p.message}"
                         + (f" (value: {p.value})" if p.value else ""))
        lines.append("conforms: yes" if self.conforms else f"conforms: no, {len(self.problems)} problem(s)")
        return "\n".join(lines)


def _short(node) -> str:
    return compress(str(node)) if isinstance(node, URIRef) else str(node)


def _path_text(g: Graph, path) -> str:
    """A SHACL property path as people write it: ``ckg:a/ckg:b``, ``^ckg:a``, ``ckg:a|ckg:b``, ``ckg:a*``."""
    if isinstance(path, URIRef):
        return _short(path)
    if path is None:
        return ""
    if (path, RDF.first, None) in g:
        return "/".join(_path_text(g, p) for p in Collection(g, path))
    for prop, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"),
                      (SH.zeroOrOnePath, "{}?")):
        inner = g.value(path, prop)
        if inner is not None:
            return fmt.format(_path_text(g, inner))
    alternatives = g.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path_text(g, p) for p in Collection(g, alternatives)) + ")"
    return "?"


def shacl_problems(data: Graph, shapes: Graph) -> list[Problem]:
    """pySHACL's top-level results as :class:`Problem` s (the data graph already holds the ontology)."""
    from pyshacl import validate as pyshacl_validate

    _conforms, results, _text = pyshacl_validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False, allow_warnings=False,
        advanced=True,
    )
    problems = []
    for report in results.subjects(RDF.type, SH.ValidationReport):
        for r in results.objects(report, SH.result):  # not the nested sh:detail results
            focus = results.value(r, SH.focusNode)
            value = results.value(r, SH.value)
            problems.append(Problem(
                "shacl", _short(focus), str(data.value(focus, RDFS.label) or ""),
                _path_text(results, results.value(r, SH.resultPath)),
                str(results.value(r, SH.resultMessage) or "constraint violated"),
                _short(value) if value is not None and value != focus else "",
                _short(results.value(r, SH.sourceShape)),
            ))
    return sorted(problems, key=lambda p: (p.focus, p.field, p.message))


def violation_query_problems(data: Graph, directory: Path | None = None) -> list[Problem]:
    """Rows of every ``*-violation.rq`` stored query."""
    from calcikg.query import parse_query_file

    problems = []
    for path in sorted((directory or paths.QUERIES_DIR).glob("*-violation.rq")):
        q = parse_query_file(path)
        for row in data.query(q.text):
            focus = row[0]
            problems.append(Problem(f"query {q.name}", _short(focus), str(data.value(focus, RDFS.label) or ""),
                                    "", q.summary))
    return problems


def hermit_problems(owl_file: Path) -> list[Problem]:
    """HermiT's verdict on ``owl_file`` (ontology + graph, RDF/XML): inconsistency or unsatisfiable classes."""
    if shutil.which("java") is None:
        raise CalciKGError("HermiT needs Java: install a Java runtime (Debian: apt-get install -y default-jre-headless)"
                           " or run 'make setup'")
    import owlready2

    world = owlready2.World()
    onto = world.get_ontology(owl_file.resolve().as_uri()).load()
    try:
        with onto:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as exc:
        return [Problem("hermit", owl_file.name, "", "", f"the ontology with the graph is inconsistent: {exc}")]
    return [Problem("hermit", _short(c.iri), str(c.label.first() or c.name), "", "unsatisfiable class")
            for c in world.inconsistent_classes() if c is not owlready2.Nothing]


def privacy_problems(texts, where: str = "") -> list[Problem]:
    """A problem for each text (``(focus, label, field, text)``) holding a patient's first name.

    The name is never repeated in the message: the problem says which node and field hold it.
    """
    from calcikg.privacy import name_hashes, names_in

    hashes = name_hashes()
    return [Problem("privacy", focus, label, field,
                    "this text holds a patient's first name as a report prints it: name patients only as "
                    "'case N' of their report; rewrite the text", record=where)
            for focus, label, field, text in texts if hashes and names_in(text, hashes)]


def graph_privacy_problems(data: Graph) -> list[Problem]:
    """:func:`privacy_problems` over every literal of the graph's instances (``ckd:`` nodes)."""
    from rdflib import Literal

    from calcikg.namespaces import CKD

    texts = ((_short(s), str(data.value(s, RDFS.label) or ""), _short(p), str(o))
             for s, p, o in data if isinstance(o, Literal) and str(s).startswith(str(CKD)))
    return privacy_problems(texts)


def source_text_problems(reports: list[tuple[str, str, str]],
                         reports_dirs: list[Path] | None = None) -> tuple[list[Problem], str]:
    """Each ``(report, label, source file)`` whose text is in none of the reports folders; and the
    check's name.

    Users who do not hold the texts have no reports folder: then nothing is checked, and the check's
    name says so (it is not a failure).
    """
    folders = [Path(d) for d in (reports_dirs or paths.REPORTS_DIRS)]
    held = [d for d in folders if d.is_dir()]
    shown = ", ".join(map(str, folders))
    if not held:
        return [], (f"source texts: not checked (no reports folder: {shown}; name one with --reports DIR "
                    "or CALCIKG_REPORTS)")
    problems = [Problem("source text", report, label, "ckg:sourceFile",
                        f"the report text {name!r} is in none of {', '.join(map(str, held))}: correct 'source_file' "
                        "in the 'report' block, or name the folder that holds it with --reports DIR", value=name)
                for report, label, name in reports if paths.report_text(name, held) is None]
    return problems, f"source texts in {', '.join(map(str, held))}"


def _graph_source_files(data: Graph) -> list[tuple[str, str, str]]:
    from calcikg.namespaces import CKG

    return sorted((_short(s), str(data.value(s, RDFS.label) or ""), str(o))
                  for s, o in data.subject_objects(CKG.sourceFile))


def validate(graph_file: Path | None = None, *, reasoner: bool = True, shapes_file: Path | None = None,
             reports_dirs: list[Path] | None = None, exact: bool = False, jobs: int | None = None,
             quiet: bool = True, engine: str = "pyrudof") -> Report:
    """Validate the graph the records give; problems are mapped back to the record file and line.

    The one pipeline (:func:`calcikg.corpus.build_corpus`): each report on its own triples (cached:
    an unchanged record is not validated again), the rules across reports and the violation queries
    on the store, patient names in every literal, the source texts; HermiT on ``kg/calcikg.owl``,
    which must then be built from the current sources. ``exact``: whole-graph pySHACL over the
    built ``kg/calcikg.ttl`` instead (:func:`validate_exact`), the reference the tests compare with.
    """
    if exact:
        return validate_exact(graph_file, reasoner=reasoner, shapes_file=shapes_file, reports_dirs=reports_dirs)
    from calcikg.corpus import build_corpus

    shapes_file = shapes_file or paths.SHAPES
    if not Path(shapes_file).exists():
        raise CalciKGError(f"{shapes_file}: the shapes file is missing")
    corpus = build_corpus(jobs=jobs, quiet=quiet, shapes_file=shapes_file, engine=engine)
    try:
        report = Report(checks=[f"SHACL shapes (each report, {engine}; rules across reports on the store)",
                                "violation queries", "no patient names"])
        report.problems += corpus.problems
        sources = sorted(tuple(m["source"]) for m in corpus.entries.values() if m["source"])
        missing, checked = source_text_problems(sources, reports_dirs)
        _attach_corpus_origins(missing, corpus)
        report.checks.append(checked)
        report.problems += missing
    finally:
        corpus.close()
    if reasoner:
        report.checks.append("HermiT consistency")
        report.problems += hermit_problems(_current_owl(graph_file))
    report.problems.sort(key=_order)
    return report


def _order(p: Problem):
    return (p.record, p.line or 0, p.focus, p.field, p.message, p.value, p.shape)


def _current_owl(graph_file: Path | None) -> Path:
    """kg/calcikg.owl, refused when it does not exist or is older than the sources."""
    from calcikg.release import stale_sources

    graph_file = graph_file or paths.GRAPH_TTL
    owl_file = graph_file.with_suffix(".owl")
    if not owl_file.exists():
        raise NotBuiltError(f"{owl_file} does not exist: run 'calcikg build' first")
    stale = stale_sources(graph_file)
    if stale:
        raise NotBuiltError(f"{owl_file} is older than {stale[0]}: run 'calcikg build' first (HermiT reads the "
                            "built file), or validate with --no-reasoner")
    return owl_file


def validate_exact(graph_file: Path | None = None, *, reasoner: bool = True, shapes_file: Path | None = None,
                   reports_dirs: list[Path] | None = None) -> Report:
    """Whole-graph pySHACL over the built graph (the reference), with the same other checks."""
    graph_file = graph_file or paths.GRAPH_TTL
    if not graph_file.exists():
        raise NotBuiltError(f"{graph_file} does not exist: run 'calcikg build' first")
    data = Graph()
    try:
        data.parse(graph_file, format="turtle")
    except Exception as exc:  # a truncated or corrupt release: one line, not a traceback
        from calcikg.build import turtle_error

        raise CalciKGError(turtle_error(graph_file, exc) + " (truncated or corrupt? run 'calcikg build')") from None
    shapes = Graph()
    shapes_file = shapes_file or paths.SHAPES
    try:
        shapes.parse(shapes_file, format="turtle")
    except FileNotFoundError as exc:
        raise CalciKGError(f"{shapes_file}: the shapes file is missing") from exc
    report = Report(checks=["SHACL shapes (whole graph, pySHACL)", "violation queries", "no patient names"])
    report.problems += shacl_problems(data, shapes)
    report.problems += violation_query_problems(data)
    report.problems += graph_privacy_problems(data)
    missing, checked = source_text_problems(_graph_source_files(data), reports_dirs)
    report.checks.append(checked)
    report.problems += missing
    if reasoner:
        report.checks.append("HermiT consistency")
        owl_file = graph_file.with_suffix(".owl")
        if not owl_file.exists():
            raise NotBuiltError(f"{owl_file} does not exist: run 'calcikg build' first")
        report.problems += hermit_problems(owl_file)
    _attach_origins(report)
    report.problems.sort(key=_order)
    return report


def _attach_origins(report: Report) -> None:
    """Fill in the record file and line of each problem's node, from the build cache (best effort:
    records may be broken)."""
    if not report.problems:
        return
    from calcikg.corpus import build_corpus

    try:
        corpus = build_corpus()
    except CalciKGError:
        return
    try:
        _attach_corpus_origins(report.problems, corpus)
    finally:
        corpus.close()


def _attach_corpus_origins(problems: list[Problem], corpus) -> None:
    from calcikg.corpus import report_of

    for p in problems:
        rid = report_of(expand(p.focus) or p.focus, corpus.entries)
        if rid:
            attach_origins([p], corpus.entries[rid]["origins"])
            p.record = p.record or corpus.entries[rid]["record"]


def attach_origins(problems: list[Problem], origins: dict) -> None:
    """Set each problem's record file and line from the builder's ``origins`` (node -> file, line)."""
    origins = {str(k): v for k, v in origins.items()}
    for p in problems:
        iri = expand(p.focus) or p.focus
        # a node without its own record entry (a dose, a quantity) inherits its owner's place
        while iri and iri not in origins and "-" in iri.rsplit("/", 1)[-1]:
            iri = iri.rsplit("-", 1)[0]
        if iri and iri in origins:
            p.record, p.line = origins[iri]
