"""The same answers on the stores teams run: Oxigraph server, Apache Jena and Virtuoso.

One server per engine for the module, each on free loopback ports with its files under a temporary
folder, stopped by its PID in the fixture's finalizer (tests/store_servers.py). The built graph is
uploaded with ``calcikg load`` (the SPARQL 1.1 Graph Store protocol) into the default named graph;
every stored query then runs with its defaults and with another value for each parameter, and its
rows must equal the embedded Oxigraph rows (numbers by value, IRIs and literals by value, the same
order). What Virtuoso 7.2.5 gets wrong is written round in the queries (queries/README.md): no run is
expected to fail on any engine.

Skipped, with the reason, only when the Debian packages are missing (``make test-deps``).
"""

from __future__ import annotations

import shutil

import pytest
import store_servers as S

from calcikg import paths
from calcikg import query as Q
from calcikg.cli import main
from calcikg.load import DEFAULT_GRAPH

pytestmark = pytest.mark.slow

RUNS = S.runs()
IDS = [f"{n}[{','.join(f'{k}={v}' for k, v in p.items()) or 'defaults'}]" for n, p in RUNS]


def _start(kind: str, tmp_path_factory):
    if kind == "virtuoso" and not S.have_virtuoso():
        pytest.skip("Virtuoso is not installed (Debian package virtuoso-opensource; make test-deps)")
    if kind == "jena" and not S.have_jena():
        pytest.skip("Apache Jena is not installed (Debian package libapache-jena-java and a JDK; make test-deps)")
    starter = {"oxigraph": S.start_oxigraph, "jena": S.start_jena, "virtuoso": S.start_virtuoso}[kind]
    return starter(tmp_path_factory.mktemp(kind))


@pytest.fixture(scope="module", params=["oxigraph", "jena", "virtuoso"])
def engine(request, tmp_path_factory):
    server = _start(request.param, tmp_path_factory)
    request.addfinalizer(server.stop)  # also when loading fails; stop() twice is harmless
    # calcikg load, as a user runs it (capsys is function-scoped: capture by hand)
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    args = ["load", "--endpoint", server.store_url] + (["--user", server.user, "--password", server.password]
                                                        if server.user else [])
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    assert code == 0, err.getvalue()
    assert f"<{DEFAULT_GRAPH}>" in out.getvalue()
    yield server
    server.stop()
    assert server.process.poll() is not None, f"{server.name} still runs after stop()"


@pytest.fixture(scope="module")
def store():
    return Q.load_store(paths.GRAPH_TTL)


def endpoint(server) -> str:
    return f"{server.query_url}?default-graph-uri={DEFAULT_GRAPH}"


@pytest.mark.parametrize(("name", "params"), RUNS, ids=IDS)
def test_same_rows_as_embedded(engine, store, name, params):
    expected = Q.run(name, params, source=store)
    got = Q.run(name, params, endpoint=endpoint(engine), source=store)
    assert got.columns == expected.columns
    assert S.normalise(got) == S.normalise(expected), f"{engine.name}: {name} {params} gives other rows"


def test_query_endpoint_needs_no_local_build(engine, store, monkeypatch, tmp_path, capsys):
    """Term parameters are resolved on the endpoint: the checkout has no kg/calcikg.ttl."""
    for attr in ("GRAPH_TTL", "GRAPH_NT"):
        monkeypatch.setattr(paths, attr, tmp_path / "kg" / f"missing.{attr[-3:].lower()}")
    with pytest.raises(Exception, match="does not exist"):
        Q.load_store()
    asked = [("dose-regimens", {"treatment": "pamidronate"}), ("case-timeline", {"case": "mouaddine2021-case3"}),
             ("case-findings", {"case": "ckd:randhawa2018-case1"})]
    got = []
    for name, params in asked:
        code = main(["query", name, *[f"-p{k}={v}" for k, v in params.items()], "--endpoint", endpoint(engine),
                     "--format", "csv"])
        out, err = capsys.readouterr()
        assert code == 0, err
        got.append(out)
    monkeypatch.undo()
    for (name, params), out in zip(asked, got):
        assert out == Q.format_result(Q.run(name, params, source=store), "csv"), name
        assert out.count("\n") > 1, f"{name}: no rows"


def test_unknown_term_on_the_endpoint_is_one_line(engine, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(paths, "GRAPH_TTL", tmp_path / "missing.ttl")
    assert main(["query", "treatments-effective-in", "-p", "condition=dermatomyosits", "--endpoint",
                 endpoint(engine)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "dermatomyositis" in err, err


# -- refusals -----------------------------------------------------------------------------------
def _one_line_error(args, capsys) -> str:
    code = main(args)
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("calcikg: error: ") and "\n" not in err, err
    assert "Traceback" not in err
    return err


def test_load_refuses_a_wrong_url(capsys):
    port = S.free_port()
    err = _one_line_error(["load", "--endpoint", f"http://127.0.0.1:{port}/store"], capsys)
    assert "cannot reach" in err
    err = _one_line_error(["load", "--endpoint", "not a url"], capsys)
    assert "not an http(s) URL" in err


def test_load_refuses_a_path_that_is_no_graph_store(engine, capsys):
    if engine.name != "oxigraph":
        pytest.skip("one store is enough for a wrong path")
    err = _one_line_error(["load", "--endpoint", engine.store_url.rsplit("/", 1)[0] + "/nothing"], capsys)
    assert "no Graph Store" in err or "HTTP 404" in err


def test_virtuoso_refuses_wrong_credentials(engine, capsys):
    if engine.name != "virtuoso":
        pytest.skip("Virtuoso is the store here that asks for credentials")
    err = _one_line_error(["load", "--endpoint", engine.store_url, "--user", "dba", "--password", "wrong"], capsys)
    assert "refused the credentials" in err and "401" in err
    err = _one_line_error(["load", "--endpoint", engine.store_url], capsys)
    assert "needs credentials" in err
    # the graph loaded by the fixture is still there, whole
    rows = Q.run("sources", {}, endpoint=endpoint(engine)).rows
    assert rows


def test_load_replaces_the_graph(engine, capsys, tmp_path):
    """A second load replaces the graph (PUT), it does not add a second copy."""
    if engine.name == "jena" and not shutil.which("java"):
        pytest.skip("no Java")
    before = Q.run("coverage", {}, endpoint=endpoint(engine)).rows
    args = ["load", "--endpoint", engine.store_url, "--file", str(paths.GRAPH_TTL)]
    if engine.user:
        args += ["--user", engine.user, "--password", engine.password]
    assert main(args) == 0, capsys.readouterr().err
    assert Q.run("coverage", {}, endpoint=endpoint(engine)).rows == before
