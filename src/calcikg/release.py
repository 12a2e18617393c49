"""Stage 3: write the released files, deterministically and atomically.

Deterministic: triples are added to a fresh graph in sorted order and serialised without blank
nodes, so the same sources give byte-identical files. Atomic: every file is first written next to
its target and renamed only when all of them were written, so a failed build leaves the previous
release in place.
"""

from __future__ import annotations

import os
from pathlib import Path

from rdflib import BNode, Graph, URIRef

from calcikg import paths
from calcikg.errors import CalciKGError
from calcikg.namespaces import DATA_GRAPH_IRI, ONTOLOGY_IRI, PREFIXES


def sorted_graph(*graphs: Graph) -> Graph:
    """One graph holding every triple of ``graphs``, inserted in sorted order, project prefixes bound."""
    triples = set()
    for g in graphs:
        for t in g:
            if any(isinstance(x, BNode) for x in t):
                raise CalciKGError(f"blank node in {t}: give every node an IRI so builds stay deterministic")
            triples.add(t)
    out = Graph(bind_namespaces="none")
    for prefix, iri in PREFIXES.items():
        out.bind(prefix, iri)
    for t in sorted(triples, key=lambda t: tuple(x.n3() for x in t)):
        out.add(t)
    return out


def turtle(graph: Graph) -> bytes:
    return sorted_graph(graph).serialize(format="turtle", encoding="utf-8")


class _OrderedGraph(Graph):
    """A graph whose subjects, predicates and predicate-object pairs come out sorted.

    rdflib's RDF/XML serializer walks these iterators, whose order otherwise depends on the hash
    seed of the process; sorting them makes the RDF/XML release byte-identical across builds.
    """

    @staticmethod
    def _key(x) -> str:
        return x.n3() if hasattr(x, "n3") else str(x)

    def subjects(self, predicate=None, object=None, unique=False):  # noqa: A002 - rdflib's name
        return iter(sorted(set(super().subjects(predicate, object)), key=self._key))

    def predicates(self, subject=None, object=None, unique=False):  # noqa: A002
        return iter(sorted(set(super().predicates(subject, object)), key=self._key))

    def predicate_objects(self, subject=None, unique=False):
        return iter(sorted(set(super().predicate_objects(subject)), key=lambda po: (self._key(po[0]), self._key(po[1]))))


def rdfxml(graph: Graph) -> bytes:
    ordered = _OrderedGraph(bind_namespaces="none")
    for prefix, iri in PREFIXES.items():
        ordered.bind(prefix, iri)
    for t in sorted_graph(graph):
        ordered.add(t)
    return ordered.serialize(format="xml", encoding="utf-8")


def catalog(ontology_release: Path, catalog_path: Path) -> bytes:
    """An OASIS XML catalog (what Protégé reads) resolving the ontology IRI to the local release."""
    rel = os.path.relpath(ontology_release, catalog_path.parent).replace(os.sep, "/")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<catalog prefer="public" xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">\n'
        f'    <uri id="CalciKG ontology" name="{ONTOLOGY_IRI}" uri="{rel}"/>\n'
        "</catalog>\n"
    ).encode()


def write_all(files: dict[Path, bytes]) -> None:
    """Write every file to a temporary sibling, then rename them all into place."""
    temps: list[tuple[Path, Path]] = []
    try:
        for target, content in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            temps.append((tmp, target))  # before writing: a write failing half-way is removed too
            tmp.write_bytes(content)
    except OSError:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise
    try:
        for tmp, target in temps:
            os.replace(tmp, target)
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)


COVERAGE_START = "<!-- coverage: written by `calcikg build` from queries/coverage.rq; do not edit by hand -->"
COVERAGE_END = "<!-- /coverage -->"


def coverage_block(full: Graph) -> str:
    """What the graph covers, in Markdown, from the stored query ``coverage`` run on ``full``."""
    from calcikg.query import get_query, run_rdflib

    rows = run_rdflib(get_query("coverage"), {}, full).rows
    by_kind: dict[str, list[dict]] = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r)
    graph = {r["item"]: r for r in by_kind.get("graph", [])}

    def items(kind: str) -> str:
        found = by_kind.get(kind, [])
        return "; ".join(f"{r['item']} {r['cases']} / {r['reports']}" for r in found) or "none"

    reports = graph.get("curated reports", {}).get("reports", "0")
    cases = graph.get("patient cases", {}).get("cases", "0")
    ages = ", ".join(f"{r['cases']} {r['item']}" for r in by_kind.get("age group", []))
    return "\n".join([
        COVERAGE_START,
        f"**What the graph holds** (this build; cases / reports for each item): {reports} curated reports, "
        f"{cases} patient cases ({ages or 'none'}).",
        "",
        f"- **Calcinosis types** of the cases: {items('calcinosis type')}.",
        f"- **Underlying diseases** the reports give: {items('underlying disease')}.",
        f"- **Treatments given** to the patients: {items('treatment given')}.",
        COVERAGE_END,
    ])


def with_coverage(readme: str, block: str) -> str:
    """``readme`` with its coverage block replaced by ``block`` (unchanged when it has no block)."""
    start, end = readme.find(COVERAGE_START), readme.find(COVERAGE_END)
    if start == -1 or end == -1:
        return readme
    return readme[:start] + block + readme[end + len(COVERAGE_END):]


def release_files(ontology: Graph, data: Graph) -> dict[Path, bytes]:
    """Every released file's path and content.

    The released ontology is ``ontology`` plus the HPO classes ``data`` uses, imported with their
    parents (:func:`calcikg.hpo.imported_terms`; nothing when the records use no HPO term).
    """
    from calcikg.hpo import imported_terms

    imports = imported_terms(ontology, data)
    if len(imports):
        ontology = ontology + imports
    full = Graph()
    for t in ontology:
        full.add(t)
    for t in data:
        if not (t[0] == URIRef(DATA_GRAPH_IRI)):  # one owl:Ontology header per file
            full.add(t)
    files = {
        paths.ONTOLOGY_RELEASE: rdfxml(ontology),
        paths.DATA_TTL: turtle(data),
        paths.GRAPH_TTL: turtle(full),
        paths.GRAPH_OWL: rdfxml(full),
        paths.CATALOG: catalog(paths.ONTOLOGY_RELEASE, paths.CATALOG),
    }
    if paths.README.exists():  # the README's coverage block, computed from the graph
        readme = paths.README.read_text(encoding="utf-8")
        files[paths.README] = with_coverage(readme, coverage_block(full)).encode("utf-8")
    return files


