"""The build: ontology + mappings + records -> the released files (``calcikg build``).

The stages: the ontology (:func:`load_ontology`), every record built and validated into the build
cache and store (:mod:`calcikg.corpus`), the releases written from them (:mod:`calcikg.release`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from calcikg import paths
from calcikg.errors import CalciKGError
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
    """What a build wrote: each file with its size, triple counts, and what the run did."""

    files: dict[Path, int]
    ontology_triples: int
    data_triples: int
    reports: int = 0
    built: int = 0  # records built and validated by this run (the others came from the cache)
    problems: int = 0
    seconds: float = 0.0


def build(records_dir: Path | None = None, *, write: bool = True, jobs: int | None = None,
          quiet: bool = True) -> BuildResult:
    """Bring the build cache up to date with the records and write the releases from it.

    Only records that changed since the last build (or whose ontology, templates, mappings or
    shapes changed) are built and validated again (:func:`calcikg.corpus.build_corpus`). The
    releases are written only when every stage succeeded, all of them or none.
    """
    import time

    from calcikg.corpus import build_corpus, without_gc
    from calcikg.release import read_ahead, write_releases

    t0 = time.perf_counter()
    files = sorted(Path(records_dir).glob("*.yaml")) if records_dir else None
    with without_gc():  # see without_gc: 0.6 s of a one-record build at 10,000 reports went to the collector
        layouts = read_ahead() if write else None
        corpus = build_corpus(files, jobs=jobs, quiet=quiet)
        try:
            sizes = write_releases(corpus, layouts()) if layouts else {}
            return BuildResult(sizes, len(corpus.ontology), corpus.data_triples, len(corpus.entries), corpus.built,
                               len(corpus.problems), time.perf_counter() - t0)
        finally:
            corpus.close()
