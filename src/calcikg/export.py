"""Stage 6: hand the graph and the mappings to other tools (``calcikg export``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from calcikg import paths
from calcikg.errors import CalciKGError, NotBuiltError


def _built(path: Path) -> Path:
    if not path.exists():
        raise NotBuiltError(f"{path} does not exist: run 'calcikg build' first")
    return path


def export_sssom() -> bytes:
    """The SSSOM mapping set (TSV with its YAML header), checked by sssom-py first."""
    from calcikg.mappings import load_mapping_set

    if not paths.MAPPINGS.exists():
        raise CalciKGError(f"{paths.MAPPINGS} does not exist")
    load_mapping_set()
    return paths.MAPPINGS.read_bytes()


def export_ntriples() -> bytes:
    """The built graph as sorted N-Triples (one triple a line: easy to diff, grep and load)."""
    from rdflib import Graph

    graph = Graph()
    graph.parse(_built(paths.GRAPH_TTL), format="turtle")
    lines = graph.serialize(format="nt", encoding="utf-8").decode().splitlines()
    return ("\n".join(sorted(line for line in lines if line.strip())) + "\n").encode()


def export_turtle() -> bytes:
    """The built graph (ontology + mappings + instances) as Turtle."""
    return _built(paths.GRAPH_TTL).read_bytes()


def export_rdfxml() -> bytes:
    """The built graph as RDF/XML (what Protégé opens)."""
    return _built(paths.GRAPH_OWL).read_bytes()


EXPORTERS: dict[str, Callable[[], bytes]] = {
    "sssom": export_sssom,
    "ntriples": export_ntriples,
    "turtle": export_turtle,
    "rdfxml": export_rdfxml,
}
