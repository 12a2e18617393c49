"""The build: committed release is fresh, rebuilds are byte-identical, a failed build changes nothing."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from calcikg import paths
from calcikg.errors import RecordError


def test_committed_release_is_fresh(fresh_release):
    stale = [str(p.relative_to(paths.ROOT)) for p, content in fresh_release.items()
             if not p.exists() or p.read_bytes() != content]
    assert not stale, f"stale release files {stale}: run 'calcikg build' (or 'make build') and commit them"


def _digest(root):
    out = {}
    for rel in ("kg/calcikg.ttl", "kg/calcikg-data.ttl", "kg/calcikg.owl", "kg/catalog-v001.xml", "ontology/calcikg.owl"):
        out[rel] = hashlib.sha256((root / rel).read_bytes()).hexdigest()
    return out


def test_rebuild_is_byte_identical_across_processes(project_copy):
    digests = []
    for seed in ("1", "2"):
        env = {**os.environ, "CALCIKG_HOME": str(project_copy), "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "calcikg", "build"], check=True, env=env, capture_output=True)
        digests.append(_digest(project_copy))
    assert digests[0] == digests[1]


def test_failed_build_leaves_previous_release(project_copy):
    from calcikg.build import build

    before = _digest(project_copy)
    record = project_copy / "kg" / "records" / "mouaddine2021.yaml"
    record.write_text(record.read_text().replace("intervention: diltiazem", "intervention: diltiazm", 1))
    with pytest.raises(RecordError):
        build()
    assert _digest(project_copy) == before
    leftovers = [p.name for p in project_copy.rglob(".*.tmp")]
    assert not leftovers


def test_build_cli_reports_bad_record_in_one_line(project_copy):
    record = project_copy / "kg" / "records" / "randhawa2018.yaml"
    record.write_text(record.read_text().replace("sex: not stated", "sex: unknown", 1))
    env = {**os.environ, "CALCIKG_HOME": str(project_copy)}
    run = subprocess.run([sys.executable, "-m", "calcikg", "build"], env=env, capture_output=True, text=True)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "randhawa2018.yaml:" in lines[0] and "Traceback" not in run.stderr


def test_catalog_resolves_ontology_import_locally():
    text = paths.CATALOG.read_text()
    assert 'name="https://w3id.org/calcikg/calcikg.owl"' in text and 'uri="../ontology/calcikg.owl"' in text


def test_no_blank_nodes_in_release(graph):
    from rdflib import BNode

    assert not any(isinstance(x, BNode) for t in graph for x in t)
