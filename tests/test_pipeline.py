"""The one pipeline end to end (issue #16): releases that are one graph, incremental rebuilds, failed
builds that change nothing, the fast validation against ``--exact``, staleness and progress.

- the release writers (src/calcikg/rdfwrite.py) give rdflib's own bytes, on the real graph and on
  synthetic reports; the Turtle, RDF/XML and N-Triples releases are the same graph;
- a changed record replaces only its own report's graph in the store, and only its cache entry;
- a failed build keeps the previous releases and a usable cache;
- per-report validation and whole-graph pySHACL (``calcikg validate --exact``) agree on the real
  graph, on synthetic reports and on damaged copies.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from calcikg import corpus, paths
from calcikg.errors import CalciKGError

from test_corpus import write_synthetic

RELEASES = ("kg/calcikg.ttl", "kg/calcikg-data.ttl", "kg/calcikg.owl", "kg/calcikg.nt", "kg/catalog-v001.xml",
            "ontology/calcikg.owl")


def _bytes(root: Path) -> dict[str, bytes]:
    return {rel: (root / rel).read_bytes() for rel in RELEASES}


def _triples(path: Path, fmt: str) -> set:
    from rdflib import Graph

    return set(Graph().parse(path, format=fmt))


def _synthetic_project(root: Path, n: int, edit=None) -> list[Path]:
    """The project copy's records replaced by ``n`` synthetic ones."""
    for f in (root / "kg" / "records").glob("*.yaml"):
        f.unlink()
    return write_synthetic(root / "kg" / "records", n, edit)


# ------------------------------------------------------------------------------ releases
def test_writers_give_rdflibs_bytes(fresh_corpus, tmp_path):
    """Turtle and RDF/XML as rdflib's serializers write the same graph (the layout of the releases
    before the fast writers), on the real graph plus synthetic reports."""
    from rdflib import Graph, URIRef

    from calcikg import rdfwrite as W
    from calcikg.prefixes import PREFIXES

    corpus.prepare()
    triples = set(fresh_corpus.ontology)
    for f in write_synthetic(tmp_path, 3):
        triples |= set(corpus.build_report(f).triples)
    g = Graph(bind_namespaces="none")
    for prefix, iri in PREFIXES.items():
        g.bind(prefix, iri)
    for s, p, o in triples:
        g.add((URIRef(s), URIRef(p), W.to_rdflib(o)))
    refs = Counter(o for _s, _p, o in triples if isinstance(o, str))
    names = W.Names()
    r = W.render(triples, refs.__getitem__, names)
    ttl = W.ttl_header(r.prefixes) + "".join(t for *_k, t in r.ttl) + "\n"
    xml = W.xml_header(r.xml_prefixes, names) + "".join(t for _k, t in r.xml) + W.XML_FOOTER
    assert ttl.encode() == g.serialize(format="turtle", encoding="utf-8")

    class Ordered(Graph):  # rdflib's RDF/XML writer, subjects, predicates and objects in n3 order
        def subjects(self, predicate=None, object=None, unique=False):  # noqa: A002
            return iter(sorted(set(super().subjects(predicate, object)), key=lambda x: x.n3()))

        def predicate_objects(self, subject=None, unique=False):
            return iter(sorted(set(super().predicate_objects(subject)), key=lambda po: (po[0].n3(), po[1].n3())))

    ordered = Ordered(bind_namespaces="none")
    for prefix, iri in PREFIXES.items():
        ordered.bind(prefix, iri)
    for t in g:
        ordered.add(t)
    assert xml.encode() == ordered.serialize(format="xml", encoding="utf-8")


def test_releases_are_one_graph(fresh_release, tmp_path):
    """kg/calcikg.ttl, kg/calcikg.owl and kg/calcikg.nt are the same RDF graph (literals in
    canonical form: a decimal always with its point); the data-only Turtle is its data part plus
    the data graph's header, the ontology release its ontology part."""
    for target, content in fresh_release.items():
        (tmp_path / target.name).write_bytes(content)
    ttl = _triples(tmp_path / "calcikg.ttl", "turtle")
    assert _triples(tmp_path / "calcikg.nt", "nt") == ttl
    assert _triples(tmp_path / "calcikg.owl", "xml") == ttl
    nt_lines = (tmp_path / "calcikg.nt").read_text().splitlines()
    assert nt_lines == sorted(nt_lines) and len(nt_lines) == len(ttl)
    data = _triples(tmp_path / "calcikg-data.ttl", "turtle")
    header = {t for t in data if str(t[0]).endswith("/calcikg-kg")}
    assert header and data - header <= ttl
    ontology = _triples(tmp_path / "calcikg.owl", "xml") - (data - header)
    assert _triples(paths.ONTOLOGY_RELEASE, "xml") <= ontology | _triples(tmp_path / "calcikg.owl", "xml")
    decimals = [o for _s, _p, o in ttl if getattr(o, "datatype", None) and str(o.datatype).endswith("#decimal")]
    assert decimals and all("." in str(o) for o in decimals)


def test_build_twice_gives_the_same_bytes(project_copy, tmp_path):
    """Two builds from scratch (own caches, other hash seeds) and a third from the cache: same bytes."""
    digests = []
    for seed, cache in (("1", "a"), ("2", "b"), ("3", "b")):
        env = {**os.environ, "CALCIKG_HOME": str(project_copy), "PYTHONHASHSEED": seed,
               "CALCIKG_BUILD_CACHE": str(tmp_path / cache)}
        subprocess.run([sys.executable, "-m", "calcikg", "build", "--quiet"], check=True, env=env,
                       capture_output=True)
        digests.append(_bytes(project_copy))
    assert digests[0] == digests[1] == digests[2]


# ------------------------------------------------------------------------------ incremental
def _graphs(store) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for q in store:
        out.setdefault(q.graph_name.value, set()).add(str(q.triple))
    return out


def test_changed_record_replaces_only_its_report(project_copy):
    """Change one record of five: one record built again, its graph replaced, every other graph
    and cache entry untouched; then the releases are those of a build from scratch."""
    from calcikg.build import build

    files = _synthetic_project(project_copy, 5)
    first = corpus.build_corpus()
    before, keys = _graphs(first.store), {r: m["key"] for r, m in first.entries.items()}
    entry_files = {f.name: f.stat().st_mtime_ns for f in (paths.CACHE_DIR / "entries").iterdir()}
    first.close()
    text = files[2].read_text()
    files[2].write_text(text.replace("Synthetic report 3", "Synthetic report three", 1))
    second = corpus.build_corpus()
    after = _graphs(second.store)
    assert second.built == 1
    changed = corpus.CKD + "synth-000003"
    assert after[changed] != before[changed] and any("Synthetic report three" in t for t in after[changed])
    assert {g: t for g, t in after.items() if g not in (changed, corpus.STATE_GRAPH)} == \
        {g: t for g, t in before.items() if g not in (changed, corpus.STATE_GRAPH)}
    assert {r: m["key"] for r, m in second.entries.items() if r != "synth-000003"} == \
        {r: k for r, k in keys.items() if r != "synth-000003"}
    for name, mtime in entry_files.items():  # the other entries were not rewritten
        if not name.startswith(keys["synth-000003"]):
            assert (paths.CACHE_DIR / "entries" / name).stat().st_mtime_ns == mtime
    assert not (paths.CACHE_DIR / "entries" / f"{keys['synth-000003']}.json").exists()  # the old entry went
    second.close()
    build()
    incremental = _bytes(project_copy)
    import shutil

    shutil.rmtree(paths.CACHE_DIR)
    build()
    assert _bytes(project_copy) == incremental


def test_failed_build_keeps_releases_and_cache(project_copy):
    """A bad record stops the build: the releases stay, no temporary file is left, and the cache
    still serves the other records (the next build builds only the repaired one)."""
    from calcikg.build import build

    files = _synthetic_project(project_copy, 3)
    build()
    before = _bytes(project_copy)
    good = files[1].read_text()
    files[1].write_text(good + "unknown_field: 1\n")
    with pytest.raises(CalciKGError, match="synth-000002.yaml:"):
        build()
    assert _bytes(project_copy) == before
    assert not [p for p in project_copy.rglob("*.tmp")]
    files[1].write_text(good)
    result = build()
    assert result.built == 0 and _bytes(project_copy) == before


def test_draft_record_is_refused_in_one_line(project_copy):
    record = project_copy / "kg" / "records" / "randhawa2018.yaml"
    record.write_text("status: draft\n" + record.read_text())
    env = {**os.environ, "CALCIKG_HOME": str(project_copy)}
    run = subprocess.run([sys.executable, "-m", "calcikg", "build"], env=env, capture_output=True, text=True)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "randhawa2018.yaml:1: status: this record is an unreviewed draft" in run.stderr


# ------------------------------------------------------------------------------ fast vs exact
def _verdicts(report) -> set[tuple]:
    return {(p.check, p.focus, p.shape, p.message, p.record, p.line) for p in report.problems}


def test_fast_and_exact_agree_on_the_real_graph():
    from calcikg.validate import validate

    fast, exact = validate(reasoner=False), validate(reasoner=False, exact=True)
    assert fast.conforms and exact.conforms


def _damage(records: list[dict]) -> None:
    """Faults within a report and across reports, the way a curator would make them."""
    records[0]["cases"][0]["evidence"]["summary"] = "   "  # an empty summary (a pattern rule)
    records[1]["report"]["source_file"] = records[0]["report"]["source_file"]  # across reports
    records[2]["report"]["title"] = records[3]["report"]["title"]
    records[2]["report"]["authors"] = records[3]["report"]["authors"]
    records[2]["report"]["year"] = records[3]["report"]["year"]  # the same label: across reports


@pytest.mark.parametrize("damaged", [False, True], ids=["synthetic", "damaged"])
def test_fast_and_exact_agree_on_synthetic_reports(project_copy, damaged):
    """Eight synthetic reports, valid or damaged: the same problems (check, node, shape, message,
    record file and line) from the per-report validation and from whole-graph pySHACL."""
    from calcikg.build import build
    from calcikg.validate import validate

    _synthetic_project(project_copy, 8, _damage if damaged else None)
    build()
    fast, exact = validate(reasoner=False), validate(reasoner=False, exact=True)
    shacl = lambda r: {v for v in _verdicts(r) if v[0] == "shacl"}  # noqa: E731
    assert _verdicts(fast) == _verdicts(exact)  # source texts too: the synthetic ones are nowhere
    assert bool(shacl(fast)) == damaged
    if damaged:
        shapes = {v[2] for v in shacl(fast)}
        assert {"ckgsh:CuratedReportShape", "ckgsh:PublicationShape"} <= shapes
        assert all(v[4] and v[5] for v in shacl(fast)), "every problem names its record and line"


# ------------------------------------------------------------------------------ staleness, progress
def test_staleness_warning(project_copy):
    from calcikg.release import stale_sources, staleness_warning

    env = {**os.environ, "CALCIKG_HOME": str(project_copy)}
    subprocess.run([sys.executable, "-m", "calcikg", "build", "-q"], check=True, env=env, capture_output=True)
    assert stale_sources() == [] and staleness_warning() is None
    record = project_copy / "kg" / "records" / "randhawa2018.yaml"
    import time

    now = time.time()
    for f in [*project_copy.rglob("*"), project_copy]:  # file times alone say nothing (a checkout)
        os.utime(f, (now - 100, now - 100))
    os.utime(paths.GRAPH_TTL, (now - 200, now - 200))
    assert stale_sources() == []
    record.write_text(record.read_text(encoding="utf-8") + "# a curator's edit\n", encoding="utf-8")
    assert stale_sources() == [record]
    run = subprocess.run([sys.executable, "-m", "calcikg", "query", "sources"], env=env, capture_output=True,
                         text=True)
    assert run.returncode == 0 and run.stdout
    assert run.stderr.strip().splitlines() == [
        "calcikg: warning: kg/calcikg.ttl is older than kg/records/randhawa2018.yaml: run 'calcikg build' to "
        "bring the graph up to date"]
    subprocess.run([sys.executable, "-m", "calcikg", "build", "-q"], check=True, env=env, capture_output=True)
    assert stale_sources() == []


def test_no_warning_in_a_fresh_checkout_whatever_the_file_times(project_copy):
    """A clone writes files in any order: without a build made here, nothing is called stale."""
    import shutil

    from calcikg.release import stale_sources

    shutil.rmtree(paths.CACHE_DIR, ignore_errors=True)
    os.utime(paths.GRAPH_TTL, (1, 1))  # older than every source
    assert stale_sources() == []


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_only(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    shown = _Tty()
    p = corpus.Progress(100, "records", stream=shown)
    p.add(100)
    p.close()
    assert "records 100 / 100" in shown.getvalue() and "/s" in shown.getvalue() and "left" in shown.getvalue()
    for kwargs, env in (({"quiet": True}, None), ({}, "true")):
        if env:
            monkeypatch.setenv("CI", env)
        quiet = _Tty()
        p = corpus.Progress(100, "records", stream=quiet, **kwargs)
        p.add(100)
        p.close()
        assert quiet.getvalue() == ""
    pipe = io.StringIO()
    monkeypatch.delenv("CI")
    p = corpus.Progress(100, "records", stream=pipe)
    p.add(100)
    assert pipe.getvalue() == ""
