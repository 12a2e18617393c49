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
from calcikg.terms import TermIndex


def load_ontology(path: Path | None = None) -> Graph:
    """The hand-edited ontology (Turtle)."""
    path = path or paths.ONTOLOGY_EDIT
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except FileNotFoundError as exc:
        raise CalciKGError(f"{path}: the ontology file is missing") from exc
    except Exception as exc:  # rdflib's parser errors carry the line in their text
        raise CalciKGError(f"{path}: not valid Turtle: {exc}") from exc
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
