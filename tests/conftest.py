"""Shared fixtures. Paths come from calcikg.paths (anchored to the checkout), never from the cwd."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from calcikg import paths

TESTS = Path(__file__).resolve().parent
RESOURCES = TESTS / "resources"


def patient_names() -> list[str]:
    """The first names the reports print for their patients, found at test time.

    The project never writes the names, not even in its tests: ``kg/privacy/patient-name-hashes.txt``
    keeps salted hashes, and the names are the words of the report texts (the reports folder) whose
    hash is listed. Tests that need a name to inject skip when the texts are not there.
    """
    from calcikg.privacy import names_in

    texts = sorted(t for d in paths.REPORTS_DIRS if d.is_dir() for t in d.glob("*.txt"))
    if not texts:
        pytest.skip(f"no report texts in {paths.REPORTS_DIRS}: the names are read from the report texts")
    found = set()
    for text_file in texts:
        found.update(w.lower() for w in names_in(text_file.read_text(encoding="utf-8")))
    assert found, "no listed name found in the report texts"
    return sorted(found)


#: Prefixes of the SPARQL the graph-content tests write.
SPARQL_PREFIXES = """
PREFIX ckg: <https://w3id.org/calcikg/>
PREFIX ckd: <https://w3id.org/calcikg/data/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
#: The namespace of the graph's instances (reports, cases, statements).
DATA = "https://w3id.org/calcikg/data/"


def rows(graph, body: str) -> list:
    """The rows of a SELECT ``body`` (prefixes added) on an rdflib ``graph``."""
    return list(graph.query(SPARQL_PREFIXES + body))


def local(iri) -> str | None:
    """The local name of an IRI (None stays None)."""
    return None if iri is None else str(iri).rsplit("/", 1)[-1]


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: needs Java (HermiT), the Oxigraph server or a second SHACL engine")


@pytest.fixture(scope="session")
def ontology():
    """The hand-edited ontology with the mappings, as the build sees it."""
    from calcikg.build import load_ontology
    from calcikg.mappings import mapping_triples

    g = load_ontology()
    g += mapping_triples()
    return g


@pytest.fixture(scope="session")
def terms(ontology):
    from calcikg.terms import TermIndex

    return TermIndex.from_graph(ontology)


@pytest.fixture(scope="session")
def records():
    from calcikg.records import load_records

    return load_records()


@pytest.fixture(scope="session")
def fresh_corpus(tmp_path_factory):
    """The real records through the one pipeline, with a fresh build cache of its own."""
    from calcikg.corpus import build_corpus

    corpus = build_corpus(cache_dir=tmp_path_factory.mktemp("cache"))
    yield corpus
    corpus.close()


@pytest.fixture(scope="session")
def fresh_release(fresh_corpus):
    """Every released file as a fresh build makes it (nothing written into the project)."""
    from calcikg.release import release_files

    return release_files(fresh_corpus)


@pytest.fixture(scope="session")
def graph():
    """The committed built graph (ontology + mappings + instances); test_build checks it is fresh."""
    from calcikg.query import load_graph

    return load_graph(paths.GRAPH_TTL)


@pytest.fixture()
def project_copy(tmp_path, monkeypatch):
    """A throw-away copy of the project's data files, with calcikg.paths pointed at it."""
    root = tmp_path / "project"
    for sub in ("ontology", "kg", "queries", "shapes", "mappings", "reports"):  # not .calcikg: each copy builds afresh
        if (paths.ROOT / sub).exists():
            shutil.copytree(paths.ROOT / sub, root / sub)
    for name in dir(paths):
        value = getattr(paths, name)
        if isinstance(value, Path) and paths.ROOT in value.parents:
            monkeypatch.setattr(paths, name, root / value.relative_to(paths.ROOT))
    monkeypatch.setattr(paths, "ROOT", root)
    # subprocesses run on the copy (CALCIKG_HOME) find the report texts where this checkout finds them
    monkeypatch.setenv("CALCIKG_REPORTS", os.pathsep.join(str(d) for d in paths.REPORTS_DIRS))
    return root
