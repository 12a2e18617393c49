"""One-line errors for damaged inputs (issue #19), and output people can read and programs parse."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calcikg import paths
from calcikg.cli import main


def _one_line(capsys, argv, fragment, code=2):
    assert main(argv) == code
    cap = capsys.readouterr()
    err = cap.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("calcikg: error:") and fragment in err[0], err
    assert "Traceback" not in cap.err
    return err[0]


# ------------------------------------------------------------------------------- damaged inputs
def test_a_record_that_is_not_utf8(tmp_path, capsys):
    record = tmp_path / "latin1.yaml"
    record.write_bytes((paths.RECORDS_DIR / "randhawa2018.yaml").read_bytes().replace(b"report:", b"report: # caf\xe9\n", 1)[:4000])
    _one_line(capsys, ["validate", "--record", str(record)], "latin1.yaml:11: not UTF-8")


def test_a_yml_record_is_refused_not_ignored(tmp_path):
    from calcikg.errors import RecordError
    from calcikg.records import load_records

    (tmp_path / "randhawa2018.yml").write_bytes((paths.RECORDS_DIR / "randhawa2018.yaml").read_bytes())
    (tmp_path / "mouaddine2021.yaml").write_bytes((paths.RECORDS_DIR / "mouaddine2021.yaml").read_bytes())
    with pytest.raises(RecordError, match="rename it to randhawa2018.yaml"):
        load_records(tmp_path)


@pytest.mark.parametrize("argv", [["query", "subtypes"], ["query", "subtypes", "--engine", "rdflib"],
                                  ["export", "--format", "turtle"], ["export", "--format", "ntriples"],
                                  ["validate", "--no-reasoner", "--exact"]])  # plain validate reads the records
def test_a_truncated_graph(project_copy, capsys, argv):
    ttl = project_copy / "kg" / "calcikg.ttl"
    ttl.write_bytes(ttl.read_bytes()[: len(ttl.read_bytes()) // 2])
    line = _one_line(capsys, argv, "calcikg.ttl")
    assert "build" in line
    assert capsys.readouterr().out == ""


@pytest.mark.slow
def test_serve_refuses_a_truncated_graph(tmp_path):
    ttl = tmp_path / "cut.ttl"
    ttl.write_bytes(paths.GRAPH_TTL.read_bytes()[:50_000])
    run = subprocess.run([sys.executable, "-m", "calcikg", "serve", "--port", "0", "--graph", str(ttl)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "serving" not in run.stdout
    err = run.stderr.strip().splitlines()
    assert len(err) == 1 and "not a readable graph" in err[0], err


@pytest.mark.parametrize("url", ["notaurl", "ftp://x/y", "http://", "http://127.0.0.1:notaport/query"])
def test_endpoint_that_is_not_a_url(capsys, url):
    _one_line(capsys, ["query", "subtypes", "--endpoint", url], "--endpoint")


class _Err(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.send_response(int(self.path.strip("/")))
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html>" + b"x" * 5000 + b"</html>")

    do_GET = do_POST

    def log_message(self, *a):
        pass


@pytest.mark.parametrize("status", [400, 404, 500, 200])
def test_endpoint_answering_an_error(capsys, status):
    remote = http.server.HTTPServer(("127.0.0.1", 0), _Err)
    threading.Thread(target=remote.serve_forever, daemon=True).start()
    try:
        line = _one_line(capsys, ["query", "evidence-for-treatment", "--endpoint",
                                  f"http://127.0.0.1:{remote.server_address[1]}/{status}"], "endpoint")
    finally:
        remote.shutdown()
    assert len(line) < 400 and "SELECT" not in line


def test_export_to_a_folder(tmp_path, capsys):
    _one_line(capsys, ["export", "--format", "turtle", "-o", str(tmp_path)], "is a folder")
    assert list(tmp_path.iterdir()) == []


def test_export_writes_whole_files(tmp_path, capsys):
    out = tmp_path / "g.ttl"
    assert main(["export", "--format", "turtle", "-o", str(out)]) == 0
    assert out.read_bytes() == paths.GRAPH_TTL.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["g.ttl"]


# ------------------------------------------------------------------------------------- output
def test_table_fits_80_columns_and_says_what_was_shortened(capsys):
    from calcikg.query import format_result, run

    for name in ("treatments-effective-in", "subtypes", "sources", "cohort-summary"):
        text = format_result(run(name, {}), "table", 80)
        assert all(len(line) <= 80 for line in text.splitlines()), name
    short = format_result(run("subtypes", {}), "table", 80, max_lines=1)
    assert all(len(line) <= 80 for line in short.splitlines())
    assert "shortened" in short.splitlines()[-1] and "--wide" in short.splitlines()[-1]
    wide = format_result(run("treatments-effective-in", {"condition": "JDM"}), "table", 80, wide=True)
    assert "shortened" not in wide and max(len(x) for x in wide.splitlines()) > 80


def test_columns_and_limit(capsys):
    assert main(["query", "subtypes", "-c", "subtype,parent", "-n", "2", "-f", "tsv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "subtype\tparent" and len(lines) == 3
    assert main(["query", "subtypes", "-n", "2"]) == 0
    assert "2 shown (--limit)" in capsys.readouterr().out


def test_json_shape(capsys):
    assert main(["query", "cohort-summary", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["query"] == "cohort-summary" and doc["parameters"] == {"report": "mouaddine2021"}
    assert doc["graph_version"].startswith("https://w3id.org/calcikg/releases/")
    assert doc["rows"] == len(doc["results"]) == doc["total_rows"]
    row = doc["results"][0]
    assert isinstance(row["based_on_cases"], int)
    assert row["statement_iri"].startswith("https://w3id.org/calcikg/data/") and row["statement"].startswith("ckd:")
    assert any(v is None for r in doc["results"] for v in r.values()), "an unbound cell should be null"


def test_jsonl(capsys):
    assert main(["query", "subtypes", "-f", "jsonl"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["query"] == "subtypes" and lines[0]["rows"] == len(lines) - 1


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    out = capsys.readouterr().out
    assert out.startswith("calcikg ") and "releases/" in out


def test_adhoc_file(tmp_path, capsys):
    q = tmp_path / "my.rq"
    q.write_text("PREFIX owl: <http://www.w3.org/2002/07/owl#>\nSELECT ?v WHERE { ?o owl:versionIRI ?v }\n")
    assert main(["query", "--file", str(q), "-f", "csv"]) == 0
    assert "releases/" in capsys.readouterr().out
    q.write_text("DELETE WHERE { ?s ?p ?o }")
    _one_line(capsys, ["query", "--file", str(q)], "read-only")


def test_completion(capsys):
    assert main(["completion", "bash"]) == 0
    out = capsys.readouterr().out
    assert "complete -F _calcikg calcikg" in out and "treatments-effective-in" in out


# -------------------------------------------------------------------- property-based: records
BASE = yaml.safe_load((paths.RECORDS_DIR / "randhawa2018.yaml").read_text(encoding="utf-8"))


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, prefix + (i,))


PATHS = [p for p in _paths(BASE) if p]
WEIRD = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
                  st.floats(allow_nan=False), st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
                  st.just("ckg:NoSuchTerm"), st.just("no such term at all"), st.just("x" * 100_000),
                  st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


@st.composite
def mutated(draw):
    import copy

    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent = data
        try:
            for step in path[:-1]:
                parent = parent[step]
            kind = draw(st.sampled_from(["replace", "delete", "extra"]))
            if kind == "delete":
                del parent[path[-1]]
            elif kind == "extra" and isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=8))] = draw(WEIRD)
            else:
                parent[path[-1]] = draw(WEIRD)
        except (KeyError, IndexError, TypeError):
            continue
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    raw = draw(st.sampled_from(["none", "none", "none", "truncate", "bytes"]))
    blob = text.encode("utf-8")
    if raw == "truncate":
        blob = blob[: draw(st.integers(0, len(blob)))]
    elif raw == "bytes":
        at = draw(st.integers(0, len(blob)))
        blob = blob[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\t", b"\xed\xa0\x80"])) + blob[at:]
    return blob


@pytest.fixture(scope="module")
def build_cache(tmp_path_factory):
    """A build cache of its own: the ontology's entry is made once, the examples reuse it."""
    return tmp_path_factory.mktemp("cache")


class _Valid(Exception):
    pass


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(blob=mutated())
def test_mutated_records_fail_in_one_line(blob, build_cache, tmp_path_factory, capsys):
    """`calcikg build` on a mutated record: one line naming the file and exit 2, or (a mutation that
    left a valid record) the release step is reached; never a traceback, never a release file touched."""
    import io
    from contextlib import redirect_stderr, redirect_stdout
    from unittest import mock

    from calcikg import release

    folder = tmp_path_factory.mktemp("rec")
    (folder / "randhawa2018.yaml").write_bytes(blob)
    before = {p: p.stat().st_mtime_ns for p in (paths.GRAPH_TTL, paths.DATA_TTL, paths.GRAPH_OWL)}
    err, out = io.StringIO(), io.StringIO()

    def reached_the_release(*a, **k):
        raise _Valid()

    with mock.patch.object(release, "write_releases", reached_the_release), \
            mock.patch.object(paths, "RECORDS_DIR", folder), mock.patch.object(paths, "CACHE_DIR", build_cache), \
            redirect_stderr(err), redirect_stdout(out):
        try:
            code = main(["build", "--quiet"])
        except _Valid:
            code = None
    assert {p: p.stat().st_mtime_ns for p in before} == before, "a release file was touched"
    if code is None:  # the mutation left a valid record
        return
    lines = err.getvalue().strip().splitlines()
    assert code == 2, err.getvalue()
    assert len(lines) == 1 and "randhawa2018.yaml" in lines[0] and "Traceback" not in err.getvalue(), lines


@pytest.mark.slow
def test_owl_dl_check_fails_on_a_truncated_file(tmp_path):
    import shutil as sh

    if not sh.which("javac"):
        pytest.skip("needs a JDK")
    cut = tmp_path / "cut.owl"
    cut.write_bytes((paths.ROOT / "ontology" / "calcikg.owl").read_bytes()[:20_000])
    run = subprocess.run([str(paths.ROOT / "tools" / "owl-dl-check" / "run.sh"), str(cut)], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode != 0 and "in profile" not in run.stdout.replace("NOT in profile", "")
