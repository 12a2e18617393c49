"""The build: ontology + mappings + records -> the released files (``calcikg build``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from calcikg import paths
from calcikg.errors import CalciKGError
from calcikg.graph import build_data
from calcikg.mappings import mapping_triples
from calcikg.records import load_records
from calcikg.release import release_files, write_all
from calcikg.templates import load_templates, template_graph
from calcikg.terms import TermIndex


def load_edit_file(path: Path | None = None) -> Graph:
    """The hand-edited ontology (Turtle) alone; a syntax error is one line with its line number."""
    path = path or paths.ONTOLOGY_EDIT
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except FileNotFoundError as exc:
        raise CalciKGError(f"{path}: the ontology file is missing") from exc
    except Exception as exc:  # rdflib's BadSyntax carries the line (0-based) and the reason
        raise CalciKGError(turtle_error(path, exc)) from None
    return graph


def turtle_error(path: Path, exc: Exception) -> str:
    """``ontology/calcikg-edit.ttl:1500: not valid Turtle: newline found in string literal`` (one line)."""
    from calcikg.templates import _rel

    line = getattr(exc, "lines", None)
    why = getattr(exc, "_why", None) or next((s for s in str(exc).splitlines() if s.strip()), type(exc).__name__)
    where = f"{_rel(Path(path))}:{line + 1}" if isinstance(line, int) else _rel(Path(path))
    return f"{where}: not valid Turtle: {' '.join(str(why).split())}"


def load_ontology(path: Path | None = None, templates_dir: Path | None = None) -> Graph:
    """The ontology the build releases: the hand-edited file plus the term templates (checked)."""
    graph = load_edit_file(path)
    terms = load_templates(TermIndex.from_graph(graph), templates_dir)
    for t in template_graph(terms):
        graph.add(t)
    return graph


@dataclass
class BuildResult:
    """What a build wrote: each file with its size, and triple counts."""

    files: dict[Path, int]
    ontology_triples: int
    data_triples: int


def build(records_dir: Path | None = None, *, write: bool = True) -> BuildResult:
    """Build everything; write the release only when every stage succeeded."""
    ontology = load_ontology()
    ontology += mapping_triples()
    records = load_records(records_dir)
    data = build_data(records, TermIndex.from_graph(ontology))
    files = release_files(ontology, data)
    if write:
        write_all(files)
    return BuildResult({p: len(c) for p, c in files.items()}, len(ontology), len(data))
