"""Every stored query on a real SPARQL server (Oxigraph, read-only) gives the embedded rows; updates are refused.

The server is started once for the module on a free port over the built graph (kg/calcikg.ttl),
through the context manager of :func:`calcikg.serve.start`, and the test checks that the process
has ended afterwards. Remote runs bind parameters with a ``VALUES`` block sent over HTTP; the
embedded runs use rdflib's initBindings and an in-memory Oxigraph store.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from calcikg import paths, serve
from calcikg import query as Q
from calcikg.errors import UsageError

pytestmark = pytest.mark.slow

QUERIES = Q.list_queries()
NAMES = [q.name for q in QUERIES]
#: A non-default value for each parameter, and a second value for the optional ones.
OTHER_VALUE = {
    "condition": "dermatomyositis",
    "subtype": "idiopathic calcinosis cutis",
    "treatment": "pamidronate",
    "case": "ckd:mouaddine2021-case2",
    "report": "randhawa2018",
    "vocabulary": "MeSH",
    "term": "idiopathic calcinosis cutis",
    "aspect": "prognosis",
}


def _cases():
    """(query, parameters) pairs: defaults (optional parameters unbound), then each parameter set."""
    out = []
    for q in QUERIES:
        out.append((q.name, {}))
        for name, param in q.params.items():
            out.append((q.name, {name: OTHER_VALUE[name]}))
        optional = [n for n, p in q.params.items() if p.default is None]
        if len(optional) > 1:
            out.append((q.name, {n: OTHER_VALUE[n] for n in optional}))
    return out


CASES = _cases()


@pytest.fixture(scope="module")
def server():
    with serve.start(port=serve.free_port()) as running:
        yield running
    assert running.process.poll() is not None, "the Oxigraph server is still running after stop()"


@pytest.fixture(scope="module")
def embedded():
    return Q.load_graph(paths.GRAPH_TTL), Q.load_store(paths.GRAPH_TTL)


def _count(server) -> int:
    url = server.query_url + "?" + urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(json.load(response)["results"]["bindings"][0]["n"]["value"])


def test_every_query_is_covered():
    assert {name for name, _ in CASES} == set(NAMES)
    assert all(any(name == n and params for n, params in CASES) for name in NAMES
               if Q.get_query(name).params)


@pytest.mark.parametrize("name, params", CASES, ids=[f"{n}{'-' + '-'.join(p) if p else ''}" for n, p in CASES])
def test_remote_rows_equal_embedded_rows(server, embedded, name, params):
    graph, store = embedded
    remote = Q.run(name, params, endpoint=server.query_url)
    by_rdflib = Q.run(name, params, engine="rdflib", source=graph)
    by_oxigraph = Q.run(name, params, engine="oxigraph", source=store)
    assert remote.columns == by_rdflib.columns == by_oxigraph.columns
    assert remote.rows == by_rdflib.rows, f"{name} {params}: the server and rdflib disagree"
    assert remote.rows == by_oxigraph.rows


def test_flagship_on_the_server(server):
    rows = Q.run("treatments-effective-in", {"condition": "JDM"}, endpoint=server.query_url).rows
    treatments = {r["treatment"] for r in rows}
    assert {"diltiazem", "pamidronate", "infliximab", "aluminium hydroxide", "warfarin"} <= treatments
    assert "rituximab" not in treatments


def test_update_is_refused_over_http(server):
    before = _count(server)
    assert before == len(Q.load_graph(paths.GRAPH_TTL))
    for body, content_type in ((urllib.parse.urlencode({"update": "DROP ALL"}).encode(), "application/x-www-form-urlencoded"),
                               (b"DROP ALL", "application/sparql-update"),
                               (b"INSERT DATA { <http://x/s> <http://x/p> <http://x/o> }", "application/sparql-update")):
        request = urllib.request.Request(server.url + "/update", data=body, method="POST",
                                         headers={"Content-Type": content_type})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 403
    # a Graph Store write is refused too
    request = urllib.request.Request(server.url + "/store?default", data=b"<http://x/s> <http://x/p> <http://x/o> .",
                                     method="POST", headers={"Content-Type": "application/n-triples"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code in (403, 405)
    assert _count(server) == before


def test_update_is_refused_through_sparqlwrapper(server):
    from SPARQLWrapper import POST, SPARQLWrapper

    before = _count(server)
    client = SPARQLWrapper(server.query_url, updateEndpoint=server.url + "/update")
    client.setMethod(POST)
    client.setQuery("DELETE WHERE { ?s ?p ?o }")
    assert client.isSparqlUpdateRequest()
    with pytest.raises(Exception) as refused:
        client.query()
    assert "403" in str(refused.value) or getattr(refused.value, "code", None) == 403
    assert _count(server) == before


def test_hostile_parameters_never_reach_the_server(server):
    before = _count(server)
    for name, param, value in (("treatments-effective-in", "condition", 'JDM" } ; DROP ALL ; #'),
                               ("treatments-effective-in", "condition", "<http://x> } DROP ALL {"),
                               ("case-timeline", "case", "mouaddine2021-case3> } DROP ALL {"),
                               ("external-codes", "vocabulary", 'SNOMED CT" } DROP ALL { "'),
                               ("literature-claims", "treatment", "} ; DROP ALL"),
                               ("cohort-summary", "report", "mouaddine2021\\u0022 } DROP ALL {")):
        with pytest.raises(UsageError):
            Q.run(name, {param: value}, endpoint=server.query_url)
    assert _count(server) == before


@pytest.mark.parametrize("text", ['a " } ; DROP ALL ; "', "} ; DROP ALL", "x' } DROP ALL { '", "<http://x> } DROP ALL {",
                                  "a > b", "é ✓"])
def test_hostile_strings_arrive_as_plain_values(server, text):
    """An escaped string literal reaches the server as exactly one value, equal to the text."""
    query = Q.StoredQuery("probe", paths.QUERIES_DIR / "probe.rq", "probe", "", (), {}, "SELECT ?v WHERE { }")
    result = Q.run_remote(query, {"v": Q.Value(text)}, server.query_url)
    assert result.rows == [{"v": text}]
