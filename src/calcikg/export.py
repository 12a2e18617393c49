"""Stage 6: hand the graph and the mappings to other tools (``calcikg export``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from calcikg import paths
from calcikg.errors import CalciKGError, NotBuiltError


def _built(path: Path) -> Path:
    """``path``, checked to exist and to parse whole (a truncated release is refused, not exported)."""
    if not path.exists():
        raise NotBuiltError(f"{path} does not exist: run 'calcikg build' first")
    from pyoxigraph import RdfFormat, parse

    try:
        for _ in parse(path=str(path), format=RdfFormat.RDF_XML if path.suffix == ".owl" else RdfFormat.TURTLE):
            pass
    except (SyntaxError, ValueError) as exc:
        from calcikg.query import unreadable

        raise CalciKGError(unreadable(path, exc)) from None
    return path


def write_output(target: Path, make: Callable[[], bytes]) -> None:
    """Write ``make()`` to ``target`` through a temporary sibling renamed into place; nothing is left
    behind when it fails, and a folder is refused before anything is computed."""
    import os
    import tempfile

    if target.is_dir():
        raise CalciKGError(f"-o {target} is a folder: name a file, e.g. {target / 'calcikg.nt'}")
    if not target.parent.is_dir():
        raise CalciKGError(f"-o {target}: the folder {target.parent} does not exist")
    content = make()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, target)
    except OSError as exc:
        raise CalciKGError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


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
