"""Stage 4 (query) pinned down: the stored-query header, parameter binding (what is sent, what is
refused and with which words), the rows and cells of each engine, an endpoint's answers, ad-hoc
files, and every output format byte for byte.

Written to kill the mutants mutmut makes of ``calcikg/query.py`` (``make mutation``). Fast: small
graphs in memory, the committed graph in Oxigraph, and a stub SPARQL endpoint on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest

from calcikg import paths
from calcikg import query as Q
from calcikg.errors import CalciKGError, NotBuiltError, UsageError

XSD = "http://www.w3.org/2001/XMLSchema#"
SMALL = """\
@prefix ckg: <https://w3id.org/calcikg/> .
@prefix ckd: <https://w3id.org/calcikg/data/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ckd:a ckg:n 2 ; ckg:note "first" ; ckg:link _:b1 ; rdfs:label "thing a" .
ckd:b ckg:note "second" .
"""
SELECT = """\
#+ summary: Things and their numbers
#+ description: >
#+   A longer text.
#+ tags: [a, b]
#+ params:
#+   thing: {type: string, description: a note}
#+   count: {type: integer, default: 2, required: true, values: [1, 2]}
PREFIX ckg: <https://w3id.org/calcikg/>
SELECT ?thing ?n ?note ?link WHERE {
  ?thing ckg:note ?note .
  OPTIONAL { ?thing ckg:n ?n }
  OPTIONAL { ?thing ckg:link ?link }
  FILTER (!BOUND(?count) || !BOUND(?n) || ?n <= ?count)
} ORDER BY ?thing
"""


def _query(tmp_path: Path, text: str = SELECT, name: str = "things") -> Q.StoredQuery:
    path = tmp_path / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return Q.parse_query_file(path)


@pytest.fixture(scope="module")
def small_store():
    from pyoxigraph import RdfFormat, Store

    store = Store()
    store.load(SMALL.encode(), format=RdfFormat.TURTLE)
    return store


@pytest.fixture(scope="module")
def small_graph():
    from rdflib import Graph

    return Graph().parse(data=SMALL, format="turtle")


# -- the stored-query header ------------------------------------------------------------------------
def test_header(tmp_path):
    q = _query(tmp_path)
    assert (q.name, q.summary, q.description, q.tags) == ("things", "Things and their numbers", "A longer text.", ("a", "b"))
    assert q.params == {
        "thing": Q.Param("thing", "string", None, False, "a note", ()),
        "count": Q.Param("count", "integer", "2", True, "", ("1", "2")),
    }
    assert q.text == SELECT and q.path == tmp_path / "things.rq"


def test_header_ends_at_the_first_other_line(tmp_path):
    q = _query(tmp_path, "#+ summary: S\nSELECT ?x WHERE { ?x ?p ?o }\n#+ tags: [late]\n")
    assert (q.summary, q.tags, q.params, q.description) == ("S", (), {}, "")


@pytest.mark.parametrize("text,message", [
    ("#+ summary: [unclosed\nSELECT ?x WHERE {}\n", "the '#+' decorator header is not valid YAML: "),
    ("SELECT ?x WHERE {}\n", "a stored query must open with '#+ summary: ...' decorator lines"),
    ("#+ tags: [a]\nSELECT ?x WHERE {}\n", "a stored query must open with '#+ summary: ...' decorator lines"),
    ("#+ summary: S\n#+ params:\n#+   x: {type: colour}\nSELECT ?x WHERE {}\n", "parameter 'x' has unknown type 'colour'"),
    ("#+ summary: S\n#+ params:\n#+   xy: {}\nSELECT ?xyz WHERE {}\n", "parameter 'xy' is declared but ?xy is not in the query"),
])
def test_bad_headers(tmp_path, text, message):
    with pytest.raises(CalciKGError) as err:
        _query(tmp_path, text)
    assert str(err.value).startswith(f"{tmp_path / 'things.rq'}: {message}")


def test_a_parameter_without_a_spec_is_a_string(tmp_path):
    q = _query(tmp_path, "#+ summary: S\n#+ params:\n#+   x:\nSELECT ?x WHERE {}\n")
    assert q.params["x"] == Q.Param("x", "string")


def test_stored_queries_by_name():
    names = [q.name for q in Q.list_queries()]
    assert names == sorted(p.stem for p in paths.QUERIES_DIR.glob("*.rq")) and "dose-regimens" in names
    assert Q.get_query("dose-regimens").name == "dose-regimens"


@pytest.mark.parametrize("name", ["no-such-query", "../queries/dose-regimens", "Dose-regimens", "-x"])
def test_an_unknown_query_lists_the_known_ones(name):
    with pytest.raises(UsageError) as err:
        Q.get_query(name)
    assert str(err.value).startswith(f"no stored query {name!r}; known queries: ")
    assert ", dose-regimens, " in str(err.value)


def test_queries_of_another_folder(tmp_path):
    _query(tmp_path)
    assert [q.name for q in Q.list_queries(tmp_path)] == ["things"]
    assert Q.get_query("things", tmp_path).summary == "Things and their numbers"
    with pytest.raises(UsageError) as err:
        Q.get_query("other", tmp_path)
    assert str(err.value) == "no stored query 'other'; known queries: things"


# -- values as sent ---------------------------------------------------------------------------------
@pytest.mark.parametrize("value,text", [
    (Q.Value("https://w3id.org/calcikg/X", is_iri=True), "<https://w3id.org/calcikg/X>"),
    (Q.Value("007", datatype=Q.XSD_INTEGER), "7"),
    (Q.Value('say "hi"'), '"say \\"hi\\""'),
    (Q.Value("plain"), '"plain"'),
])
def test_values_in_sparql(value, text):
    assert value.sparql() == text


@pytest.mark.parametrize("value,message", [
    (Q.Value("http://x/a b", is_iri=True), "refusing to send an IRI with characters not allowed in IRIs: 'http://x/a b'"),
    (Q.Value("http://x/\n", is_iri=True), "refusing to send an IRI with characters not allowed in IRIs: 'http://x/\\n'"),
    (Q.Value("a\\b"), "refusing to send a literal with backslashes or control characters"),
    (Q.Value("a\x1fb"), "refusing to send a literal with backslashes or control characters"),
])
def test_values_refused(value, message):
    with pytest.raises(UsageError) as err:
        value.sparql()
    assert str(err.value) == message


def test_space_and_tilde_are_the_edges_of_a_plain_literal():
    assert Q.Value(" ~").sparql() == '" ~"'


# -- parameters --------------------------------------------------------------------------------------
def test_parameters_bound(tmp_path, small_store):
    q = _query(tmp_path)
    assert Q.resolve_params(q, {}, small_store) == {"count": Q.Value("2", datatype=Q.XSD_INTEGER)}
    assert Q.resolve_params(q, {"thing": "x", "count": "1"}, small_store) == {
        "thing": Q.Value("x"), "count": Q.Value("1", datatype=Q.XSD_INTEGER)}


@pytest.mark.parametrize("given,message", [
    ({"colour": "red"}, "query 'things' has no parameter 'colour' (its parameters: thing, count)"),
    ({"count": "3"}, "count='3' is not one of: 1, 2"),
    ({"thing": "a\\b"}, "thing: backslashes and control characters are not accepted in a value"),
    ({"thing": "a\tb"}, "thing: backslashes and control characters are not accepted in a value"),
])
def test_parameters_refused(tmp_path, small_store, given, message):
    with pytest.raises(UsageError) as err:
        Q.resolve_params(_query(tmp_path), given, small_store)
    assert str(err.value) == message


def test_a_required_parameter_without_a_default(tmp_path, small_store):
    q = _query(tmp_path, SELECT.replace("default: 2, ", ""))
    with pytest.raises(UsageError) as err:
        Q.resolve_params(q, {}, small_store)
    assert str(err.value) == "query 'things' needs --param count=... (integer)"
    q = _query(tmp_path, SELECT.replace("default: 2, ", "description: how many, "))
    with pytest.raises(UsageError) as err:
        Q.resolve_params(q, {}, small_store)
    assert str(err.value) == "query 'things' needs --param count=... (how many)"


def test_a_query_without_parameters(tmp_path, small_store):
    q = _query(tmp_path, "#+ summary: S\nSELECT ?x WHERE { ?x ?p ?o }\n")
    with pytest.raises(UsageError) as err:
        Q.resolve_params(q, {"x": "1"}, small_store)
    assert str(err.value) == "query 'things' has no parameter 'x' (its parameters: none)"


@pytest.mark.parametrize("value,ok", [("12", "12"), ("-3", "-3"), ("0012", "12"), ("999999999999", "999999999999"),
                                      ("1000000000000", None), ("1.5", None), ("", None), ("12\n", None), ("x", None)])
def test_whole_numbers(value, ok):
    param = Q.Param("n", "integer")
    if ok is None:
        with pytest.raises(UsageError) as err:
            Q._value(param, value, None)
        assert str(err.value) == f"n={value!r} is not a whole number"
    else:
        assert Q._value(param, value, None) == Q.Value(ok, datatype=Q.XSD_INTEGER)


def test_a_term_parameter_becomes_the_iri_the_graph_knows():
    store = Q.load_store()
    param = Q.Param("treatment", "treatment")
    assert Q._value(param, "  pamidronate ", store) == Q.Value("https://w3id.org/calcikg/Pamidronate", is_iri=True)
    assert Q._value(param, "ckg:Pamidronate", store).text == "https://w3id.org/calcikg/Pamidronate"
    with pytest.raises(UsageError) as err:
        Q._value(param, "pamidronat", store)
    assert str(err.value).startswith("treatment: ") and "pamidronate" in str(err.value)
    assert err.value.__suppress_context__


def test_the_term_index_is_made_once_per_source():
    store = Q.load_store()
    assert Q._index(store) is Q._index(store)
    assert Q.load_store() is store  # the same file, unchanged: the same store


@pytest.mark.parametrize("ptype,kind", list(Q.TERM_TYPES.items()))
def test_every_term_type_resolves_its_own_kind(ptype, kind, monkeypatch):
    seen = []

    class Index:
        def resolve(self, text, k):
            seen.append((text, k))
            return type("T", (), {"iri": "https://w3id.org/calcikg/X"})()

    monkeypatch.setattr(Q, "_index", lambda source: Index())
    assert Q._value(Q.Param("p", ptype), "x", None) == Q.Value("https://w3id.org/calcikg/X", is_iri=True)
    assert seen == [("x", kind)]


# -- VALUES blocks ----------------------------------------------------------------------------------
B = {"p": Q.Value("v")}


@pytest.mark.parametrize("text,expected", [
    ("SELECT ?x WHERE { ?x ?p ?o }", 'SELECT ?x WHERE {\n  VALUES ?p { "v" } ?x ?p ?o }'),
    ("select ?x where{?x ?p ?o}", 'select ?x where{\n  VALUES ?p { "v" }?x ?p ?o}'),
    ("# SELECT ?p WHERE {\nSELECT ?x WHERE { ?x ?p ?o }", '# SELECT ?p WHERE {\nSELECT ?x WHERE {\n  VALUES ?p { "v" } ?x ?p ?o }'),
    ("SELECT ?x WHERE { { SELECT ?p WHERE { ?p a ?t } } }",
     'SELECT ?x WHERE {\n  VALUES ?p { "v" } { SELECT ?p WHERE {\n  VALUES ?p { "v" } ?p a ?t } } }'),
    ("SELECT ?x WHERE { { SELECT (COUNT(?p) AS ?n) WHERE { ?p a ?t } } }",
     'SELECT ?x WHERE {\n  VALUES ?p { "v" } { SELECT (COUNT(?p) AS ?n) WHERE { ?p a ?t } } }'),
    ("SELECT ?x WHERE { { SELECT (?q AS ?p) WHERE { ?q a ?t } } }",
     'SELECT ?x WHERE {\n  VALUES ?p { "v" } { SELECT (?q AS ?p) WHERE {\n  VALUES ?p { "v" } ?q a ?t } } }'),
    ("SELECT ?x WHERE { { SELECT $p WHERE { ?p a ?t } } }",
     'SELECT ?x WHERE {\n  VALUES ?p { "v" } { SELECT $p WHERE {\n  VALUES ?p { "v" } ?p a ?t } } }'),
])
def test_with_values(text, expected):
    assert Q.with_values(text, B) == expected


def test_with_values_binds_names_in_order():
    out = Q.with_values("SELECT * WHERE { }", {"b": Q.Value("2"), "a": Q.Value("1")})
    assert out == 'SELECT * WHERE {\n  VALUES ?a { "1" }\n  VALUES ?b { "2" } }'


def test_with_values_of_no_bindings_and_of_no_where():
    assert Q.with_values("anything", {}) == "anything"
    with pytest.raises(CalciKGError) as err:
        Q.with_values("ASK { ?p ?q ?r }", B)
    assert str(err.value) == "the stored query has no WHERE group to bind parameters in"
    with pytest.raises(CalciKGError):
        Q.with_values("SELECT ?p {}", B)


def test_projected_and_blanked():
    assert Q._projected("SELECT ?a (COUNT(DISTINCT ?b) AS ?n) (SAMPLE(?c) as $d) WHERE {") == {"a", "n", "d"}
    assert Q._blank_comments("a\n  # b\nc # d") == "a\n     \nc # d"


# -- running ---------------------------------------------------------------------------------------
ROWS = [
    {"thing": "ckd:a", "n": "2", "note": "first", "link": None},
    {"thing": "ckd:b", "n": "", "note": "second", "link": ""},
]


def _check_small(result, string=XSD + "string"):
    assert result.columns == ["thing", "n", "note", "link"]
    assert [{k: v for k, v in r.items() if k != "link"} for r in result.rows] == [
        {k: v for k, v in r.items() if k != "link"} for r in ROWS]
    assert result.rows[1]["link"] == "" and result.rows[0]["link"]
    a, b = result.cells
    assert a["thing"] == ("iri", "https://w3id.org/calcikg/data/a", None)
    assert a["n"] == ("literal", "2", XSD + "integer")
    assert a["note"] == ("literal", "first", string)
    assert a["link"][0] == "bnode" and a["link"][2] is None and a["link"][1] == result.rows[0]["link"]
    assert b["n"] is None and b["link"] is None


def test_run_on_oxigraph(tmp_path, small_store):
    q = _query(tmp_path)
    _check_small(Q.run_oxigraph(q, Q.resolve_params(q, {}, small_store), small_store))
    one = Q.run_oxigraph(q, {"count": Q.Value("1", datatype=Q.XSD_INTEGER)}, small_store)
    assert [r["thing"] for r in one.rows] == ["ckd:b"]


def test_run_on_rdflib(tmp_path, small_graph):
    q = _query(tmp_path)
    result = Q.run_rdflib(q, Q.resolve_params(q, {}, small_graph), small_graph)
    _check_small(result, None)  # rdflib keeps a plain literal without xsd:string
    one = Q.run_rdflib(q, {"count": Q.Value("1", datatype=Q.XSD_INTEGER), "thing": Q.Value("x")}, small_graph)
    assert one.rows == []
    iri = Q.run_rdflib(q, {"thing": Q.Value("https://w3id.org/calcikg/data/b", is_iri=True)}, small_graph)
    assert [r["note"] for r in iri.rows] == ["second"]


def test_invalid_sparql_names_the_file(tmp_path, small_store):
    q = _query(tmp_path, "#+ summary: S\nSELECT ?x WHERE { ?x ?p }\n")
    with pytest.raises(CalciKGError) as err:
        Q.run_oxigraph(q, {}, small_store)
    assert str(err.value).startswith(f"{q.path}: not valid SPARQL: ")


def test_run_a_stored_query_on_the_committed_graph():
    result = Q.run("dose-regimens", {"treatment": "bisphosphonate"})
    assert len(result.rows) == 4
    assert result.query == "dose-regimens" and result.params == {"treatment": "bisphosphonate"}
    assert result.graph_version == Q.graph_version() and result.graph_version.startswith("http")
    default = Q.run("dose-regimens")
    assert default.params == {"treatment": "diltiazem"}
    rdf = Q.run_query(Q.get_query("dose-regimens"), {"treatment": "bisphosphonate"}, source=Q.load_store())
    assert rdf.rows == result.rows


def test_run_refuses_an_unknown_engine_and_a_bad_endpoint():
    with pytest.raises(UsageError) as err:
        Q.run("dose-regimens", engine="sparql")
    assert str(err.value) == "unknown engine 'sparql' (oxigraph, rdflib)"
    with pytest.raises(UsageError):
        Q.run("dose-regimens", endpoint="ftp://x/y")


def test_run_query_parameters_shown_are_the_given_or_default(tmp_path, small_store):
    q = _query(tmp_path)
    result = Q.run_query(q, {"thing": "x"}, source=small_store)
    assert result.params == {"thing": "x", "count": "2"} and result.query == "things"
    assert Q.run_query(q, None, source=small_store).params == {"count": "2"}


def test_graph_version(tmp_path):
    ttl = tmp_path / "g.ttl"
    ttl.write_text("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n<x> a owl:Ontology ;\n"
                   "    owl:versionIRI <https://w3id.org/calcikg/1.2.3> .\n", encoding="utf-8")
    assert Q.graph_version(ttl) == "https://w3id.org/calcikg/1.2.3"
    assert Q.graph_version(tmp_path / "none.ttl") == ""
    ttl.write_text("no version\n", encoding="utf-8")
    assert Q.graph_version(ttl) == ""


def test_a_graph_not_built_or_broken(tmp_path):
    with pytest.raises(NotBuiltError) as err:
        Q.load_store(tmp_path / "none.ttl")
    assert str(err.value) == f"{tmp_path / 'none.ttl'} does not exist: run 'calcikg build' first"
    with pytest.raises(NotBuiltError):
        Q.load_graph(tmp_path / "none.ttl")
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ckg: <https://w3id.org/calcikg/> .\nckg:a ckg:b ", encoding="utf-8")
    for load in (Q.load_store, Q.load_graph):
        with pytest.raises(CalciKGError) as err:
            load(bad)
        message = str(err.value)
        assert message.startswith(f"{bad} is not a readable graph (truncated or corrupt? run 'calcikg build'): ")
        assert "\n" not in message and err.value.__suppress_context__


def test_unreadable_keeps_one_short_line():
    assert Q.unreadable(Path("g.ttl"), ValueError("a\n  b")) == (
        "g.ttl is not a readable graph (truncated or corrupt? run 'calcikg build'): a b")
    assert Q.unreadable(Path("g.ttl"), ValueError("")).endswith(": ValueError")
    assert len(Q.unreadable(Path("g"), ValueError("x" * 1000))) == len(
        "g is not a readable graph (truncated or corrupt? run 'calcikg build'): ") + 300


# -- endpoints --------------------------------------------------------------------------------------
class _Endpoint(http.server.BaseHTTPRequestHandler):
    answers: dict[str, tuple[int, str, bytes]] = {}
    seen: list[str] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        type(self).seen.append(body)
        status, ctype, payload = self.answers[self.path]
        if "json" not in self.headers.get("Accept", ""):  # content negotiation, as endpoints do
            status, ctype, payload = 200, "application/sparql-results+xml", b"<sparql/>"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *a):
        pass


SPARQL_JSON = json.dumps({
    "head": {"vars": ["thing", "n", "link", "note"]},
    "results": {"bindings": [
        {"thing": {"type": "uri", "value": "https://w3id.org/calcikg/data/a"},
         "n": {"type": "typed-literal", "value": "2", "datatype": XSD + "integer"},
         "link": {"type": "bnode", "value": "b1"}, "note": {"type": "literal", "value": "first"}},
        {"thing": {"type": "uri", "value": "https://w3id.org/calcikg/data/b"},
         "note": {"type": "weird", "value": "second"}},
        {"thing": {"type": "literal", "value": "https://w3id.org/calcikg/data/c"}},
    ]}}).encode()


@pytest.fixture(scope="module")
def endpoint():
    _Endpoint.answers = {
        "/ok": (200, "application/sparql-results+json", SPARQL_JSON),
        "/bad": (400, "text/plain", b"Parse error. The query was SELECT ...\nmore"),
        "/notjson": (200, "application/sparql-results+json", b'{"head": 1}'),
        "/nores": (200, "application/sparql-results+json", b'{"head": {"vars": []}}'),
    }
    server = http.server.HTTPServer(("127.0.0.1", 0), _Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_run_remote_rows_and_cells(tmp_path, endpoint):
    q = _query(tmp_path)
    _Endpoint.seen.clear()
    result = Q.run_remote(q, {"count": Q.Value("2", datatype=Q.XSD_INTEGER)}, endpoint + "/ok")
    assert result.columns == ["thing", "n", "link", "note"]
    assert result.rows == [{"thing": "ckd:a", "n": "2", "link": "b1", "note": "first"},
                           {"thing": "ckd:b", "n": "", "link": "", "note": "second"},
                           {"thing": "https://w3id.org/calcikg/data/c", "n": "", "link": "", "note": ""}]
    assert result.cells == [
        {"thing": ("iri", "https://w3id.org/calcikg/data/a", None), "n": ("literal", "2", XSD + "integer"),
         "link": ("bnode", "b1", None), "note": ("literal", "first", None)},
        {"thing": ("iri", "https://w3id.org/calcikg/data/b", None), "n": None, "link": None,
         "note": ("literal", "second", None)},
        {"thing": ("literal", "https://w3id.org/calcikg/data/c", None), "n": None, "link": None, "note": None}]
    import urllib.parse

    sent = urllib.parse.parse_qs(_Endpoint.seen[-1])["query"][0]
    assert "VALUES ?count { 2 }" in sent and "#+" not in sent and "SELECT ?thing" in sent


@pytest.mark.parametrize("path,message", [
    ("/bad", "the endpoint {e}/bad answered with an error: "),
    ("/nores", "the endpoint {e}/nores did not answer with SPARQL JSON results"),
    ("/notjson", "the endpoint {e}/notjson did not answer with SPARQL JSON results (is it a SPARQL endpoint? "
                 "calcikg serve's is http://HOST:PORT/query)"),
])
def test_run_remote_errors(tmp_path, endpoint, path, message):
    with pytest.raises(CalciKGError) as err:
        Q.run_remote(_query(tmp_path), {}, endpoint + path)
    text = str(err.value)
    assert text.startswith(message.format(e=endpoint)) and "\n" not in text and "SELECT" not in text
    assert err.value.__suppress_context__ or path != "/bad"


def test_an_endpoint_error_in_one_sentence(tmp_path, endpoint):
    with pytest.raises(CalciKGError) as err:
        Q.run_remote(_query(tmp_path), {}, endpoint + "/bad")
    assert str(err.value) == (f"the endpoint {endpoint}/bad answered with an error: QueryBadFormed: A bad request "
                              "has been sent to the endpoint: probably the SPARQL query is badly formed")


def test_run_remote_on_a_closed_port(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(CalciKGError) as err:
        Q.run_remote(_query(tmp_path), {}, f"http://127.0.0.1:{port}/query")
    assert str(err.value) == f"cannot query the endpoint http://127.0.0.1:{port}/query: [Errno 111] Connection refused"


@pytest.mark.parametrize("url,message", [
    ("notaurl", "--endpoint 'notaurl' is not an http(s) URL (e.g. http://127.0.0.1:7878/query)"),
    ("ftp://x/y", "--endpoint 'ftp://x/y' is not an http(s) URL (e.g. http://127.0.0.1:7878/query)"),
    ("http://", "--endpoint 'http://' is not an http(s) URL (e.g. http://127.0.0.1:7878/query)"),
    ("http://h:x/q", "--endpoint 'http://h:x/q' is not a URL (Port could not be cast to integer value as 'x')"),
])
def test_check_endpoint(url, message):
    with pytest.raises(UsageError) as err:
        Q.check_endpoint(url)
    assert str(err.value) == message


@pytest.mark.parametrize("url", ["http://127.0.0.1:7878/query", "https://example.org/sparql"])
def test_good_endpoints(url):
    assert Q.check_endpoint(url) is None


# -- ad-hoc files -------------------------------------------------------------------------------------
def test_adhoc_files(tmp_path):
    plain = tmp_path / "mine.rq"
    plain.write_text("# my query: insert nothing\nSELECT ?x WHERE { ?x ?p \"DELETE\" }\n", encoding="utf-8")
    q = Q.read_adhoc(plain)
    assert (q.name, q.summary, q.params, q.tags) == ("mine", "", {}, ())
    decorated = tmp_path / "dec.rq"
    decorated.write_text("#+ summary: S\nSELECT ?x WHERE { ?x ?p ?o }\n", encoding="utf-8")
    assert Q.read_adhoc(decorated).summary == "S"


@pytest.mark.parametrize("text,message", [
    ("DELETE WHERE { ?s ?p ?o }", "only read-only queries run here (SELECT, ASK, CONSTRUCT, DESCRIBE), not SPARQL Update"),
    ("select ?x where {} ; insert data { <a> <b> <c> }", "only read-only queries run here"),
    ("ASK { ?s ?p ?o }", "calcikg query --file runs SELECT queries (use an endpoint for others)"),
    ("# SELECT\nASK { ?s ?p ?o }", "calcikg query --file runs SELECT queries"),
])
def test_adhoc_refused(tmp_path, text, message):
    path = tmp_path / "q.rq"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as err:
        Q.read_adhoc(path)
    assert str(err.value).startswith(f"{path}: {message}")


def test_adhoc_unreadable(tmp_path):
    with pytest.raises(UsageError) as err:
        Q.read_adhoc(tmp_path)
    assert str(err.value) == f"{tmp_path} is a folder, not a SPARQL file"
    with pytest.raises(UsageError) as err:
        Q.read_adhoc(tmp_path / "none.rq")
    assert str(err.value) == f"cannot read {tmp_path / 'none.rq'}: No such file or directory"
    latin = tmp_path / "latin.rq"
    latin.write_bytes(b"SELECT ?caf\xe9 WHERE {}")
    with pytest.raises(UsageError) as err:
        Q.read_adhoc(latin)
    assert str(err.value) == f"{latin} is not UTF-8 text"


# -- output -------------------------------------------------------------------------------------------
LONG = "a much longer note that will need wrapping across lines in a narrow table width"


def _result() -> Q.Result:
    return Q.Result(
        ["report", "n", "note"],
        [{"report": "ckd:a", "n": "2", "note": "short"}, {"report": "ckd:b", "n": "", "note": LONG}],
        [{"report": ("iri", "https://w3id.org/calcikg/data/a", None), "n": ("literal", "2", XSD + "integer"),
          "note": ("literal", "short", None)},
         {"report": ("iri", "https://w3id.org/calcikg/data/b", None), "n": None, "note": ("literal", LONG, None)}],
        "q", {"p": "v"}, "http://v/1")


TABLE_40 = """\
report | n | note
-------+---+----------------------------
ckd:a  | 2 | short
ckd:b  |   | a much longer note that
       |   | will need wrapping across
       |   | lines in a narrow table
       |   | width
(2 rows, from 2 reports)
"""
TABLE_40_SHORT = """\
report | n | note
-------+---+----------------------------
ckd:a  | 2 | short
ckd:b  |   | a much longer note that
       |   | will need wrapping across…
(2 rows, from 2 reports; 1 cell shortened (--wide, or --format csv/json, shows them whole))
"""
BLOCKS_12 = """\
-- row 1 --
rep…  ckd:a
n     2
note  short
-- row 2 --
rep…  ckd:b
note  a much
      longer
      note that
      will need…
(2 rows, from 2 reports; 1 cell shortened (--wide, or --format csv/json, shows them whole))
"""
WIDE = f"""\
report | n | note
-------+---+{"-" * (len(LONG) + 1)}
ckd:a  | 2 | short
ckd:b  |   | {LONG}
(2 rows, from 2 reports)
"""


def test_table_fits_the_width():
    assert Q.format_result(_result(), "table", 40) == TABLE_40


def test_table_says_when_cells_were_shortened():
    assert Q.format_result(_result(), "table", 40, max_lines=2) == TABLE_40_SHORT


def test_too_narrow_for_a_table_gives_blocks():
    assert Q.format_result(_result(), "table", 12) == BLOCKS_12


def test_wide_table_keeps_cells_whole():
    assert Q.format_result(_result(), "table", 40, wide=True) == WIDE


def test_table_limit_and_columns():
    out = Q.format_result(_result(), "table", 80, columns=["note", "report"], limit=1)
    assert out == "note  | report\n------+-------\nshort | ckd:a\n(2 rows, from 2 reports; 1 shown (--limit))\n"


def test_table_of_one_row_without_reports():
    r = Q.Result(["x"], [{"x": "1"}], [{"x": ("literal", "1", None)}])
    assert Q.format_result(r, "table", 80) == "x\n-\n1\n(1 row)\n"
    r = Q.Result(["report"], [{"report": "ckd:a"}], [{"report": ("iri", "https://w3id.org/calcikg/data/a", None)}])
    assert Q.format_result(r, "table", 80).endswith("(1 row, from 1 report)\n")
    assert Q.format_result(Q.Result(["report"]), "table", 80) == "report\n------\n(0 rows)\n"


def test_table_header_wraps_and_blocks_count_rows():
    r = Q.Result(["a_rather_long_column_name", "b"], [{"a_rather_long_column_name": "x", "b": "y"}])
    assert Q.format_result(r, "table", 40).split("\n")[:3] == ["a_rather_long_column_name | b", "--------------------------+--", "x                         | y"]
    many = Q.Result(["c"], [{"c": str(i)} for i in range(12)])
    blocks = Q._blocks(many, ["c"], list(range(12)), [[str(i)] for i in range(12)], 30, 4)
    assert "-- row 10 " + "-" * 19 in blocks.split("\n") and "-- row 1 " + "-" * 20 in blocks.split("\n")


def test_blocks_skip_empty_cells_and_shorten_long_names():
    r = Q.Result(["identifier_of_the_row", "v"], [{"identifier_of_the_row": "", "v": "x"}])
    assert Q._blocks(r, r.columns, [0], [["", "x"]], 30, 4) == (
        "-- row 1 " + "-" * 20 + "\nv           x\n(1 row)\n")
    assert Q._blocks(r, r.columns, [0], [["abc", "x"]], 30, 4).split("\n")[1] == "identifie…  abc"  # a third of the width
    assert Q._blocks(r, r.columns, [0], [["abc", "x"]], 90, 4).split("\n")[1] == "identifier_of_the_row  abc"


def test_footer():
    r = _result()
    assert Q._footer(r, 2, 0) == "(2 rows, from 2 reports)"
    assert Q._footer(r, 1, 2) == ("(2 rows, from 2 reports; 1 shown (--limit); 2 cells shortened (--wide, or "
                                  "--format csv/json, shows them whole))")


def test_csv_and_tsv():
    assert Q.format_result(_result(), "csv") == f"report,n,note\nckd:a,2,short\nckd:b,,{LONG}\n"
    r = Q.Result(["a", "b"], [{"a": "x,y", "b": 'say "hi"'}])
    assert Q.format_result(r, "csv") == 'a,b\n"x,y","say ""hi"""\n'
    r = Q.Result(["a", "b"], [{"a": "one\ttwo\nthree", "b": ""}])
    assert Q.format_result(r, "tsv") == "a\tb\none two three\t\n"
    assert Q.format_result(_result(), "tsv", columns=["note", "n"], limit=1) == "note\tn\nshort\t2\n"


def test_json():
    data = json.loads(Q.format_result(_result(), "json"))
    assert data == {
        "query": "q", "parameters": {"p": "v"}, "graph_version": "http://v/1",
        "columns": ["report", "n", "note", "report_iri"], "rows": 2, "total_rows": 2, "reports": 2,
        "results": [
            {"report": "ckd:a", "report_iri": "https://w3id.org/calcikg/data/a", "n": 2, "note": "short"},
            {"report": "ckd:b", "report_iri": "https://w3id.org/calcikg/data/b", "n": None, "note": LONG}]}
    assert Q.format_result(_result(), "json").startswith('{\n  "query": "q",\n')


def test_jsonl():
    lines = Q.format_result(_result(), "jsonl", limit=1).split("\n")
    assert lines[2] == "" and len(lines) == 3
    assert json.loads(lines[0]) == {"query": "q", "parameters": {"p": "v"}, "graph_version": "http://v/1",
                                    "columns": ["report", "n", "note", "report_iri"], "rows": 1, "total_rows": 2,
                                    "reports": 2}
    assert lines[1] == '{"report": "ckd:a", "report_iri": "https://w3id.org/calcikg/data/a", "n": 2, "note": "short"}'


def test_json_unicode_stays_readable():
    r = Q.Result(["t"], [{"t": "Schönlein"}])
    assert "Schönlein" in Q.format_result(r, "json") and "Schönlein" in Q.format_result(r, "jsonl")


def test_json_of_a_result_without_cells_and_version():
    r = Q.Result(["x", "y"], [{"x": "1", "y": ""}])
    data = json.loads(Q.format_result(r, "json"))
    assert data["results"] == [{"x": "1", "y": None}]
    assert data["graph_version"] is None and data["reports"] is None and data["columns"] == ["x", "y"]


@pytest.mark.parametrize("cell,shown,value", [
    (None, "", None),
    (("literal", "12", XSD + "integer"), "12", 12),
    (("literal", "12", XSD + "nonNegativeInteger"), "12", 12),
    (("literal", "2.5", XSD + "decimal"), "2.5", 2.5),
    (("literal", "2.0", XSD + "decimal"), "2.0", 2.0),
    (("literal", "3", XSD + "decimal"), "3", 3),
    (("literal", "1e3", XSD + "double"), "1e3", 1000.0),
    (("literal", "1E3", XSD + "double"), "1E3", 1000.0),
    (("literal", "abc", XSD + "integer"), "abc", "abc"),
    (("literal", "true", XSD + "boolean"), "true", True),
    (("literal", "1", XSD + "boolean"), "1", True),
    (("literal", "false", XSD + "boolean"), "false", False),
    (("literal", "2020", XSD + "gYear"), "2020", "2020"),
    (("literal", "12", "http://example.org/integer"), "12", "12"),
    (("literal", "x", None), "x", "x"),
    (("iri", "https://w3id.org/calcikg/X", None), "ckg:X", "ckg:X"),
])
def test_json_values(cell, shown, value):
    out = Q._json_value(cell, shown)
    assert out == value and type(out) is type(value)


def test_json_rows_iri_columns():
    r = Q.Result(["t"], [{"t": "ckg:X"}, {"t": "text"}, {"t": ""}],
                 [{"t": ("iri", "https://w3id.org/calcikg/X", None)}, {"t": ("literal", "text", None)}, {"t": None}])
    assert Q.json_rows(r) == [{"t": "ckg:X", "t_iri": "https://w3id.org/calcikg/X"},
                              {"t": "text", "t_iri": None}, {"t": None, "t_iri": None}]
    assert Q.json_rows(r, ["t"])[0] == {"t": "ckg:X", "t_iri": "https://w3id.org/calcikg/X"}
    short = Q.Result(["t"], [{"t": "a"}, {"t": "b"}], [{"t": ("iri", "http://x/a", None)}])
    assert Q.json_rows(short) == [{"t": "a", "t_iri": "http://x/a"}, {"t": "b", "t_iri": None}]


def test_reports_counted():
    r = Q.Result(["report", "report_of_claim", "x"],
                 [{"report": "ckd:a", "report_of_claim": "ckd:b", "x": "1"}, {"report": "ckd:a", "report_of_claim": "", "x": "2"}])
    assert Q._reports(r) == 2 and Q._resting_on(r) == ", from 2 reports"
    assert Q._reports(Q.Result(["reports"], [{"reports": "a"}])) is None
    assert Q._resting_on(Q.Result(["reports"], [{"reports": "a"}])) == ""
    assert Q._resting_on(Q.Result(["report"], [])) == ""
    assert Q._resting_on(Q.Result(["report"], [{"report": ""}])) == ", from 0 reports"


@pytest.mark.parametrize("kwargs,message", [
    ({"columns": ["nope"]}, "no column 'nope' in this result (its columns: report, n, note)"),
    ({"limit": -1}, "--limit must be 0 or more"),
])
def test_select_refuses(kwargs, message):
    with pytest.raises(UsageError) as err:
        Q.select(_result(), **kwargs)
    assert str(err.value) == message


def test_select():
    assert Q.select(_result()) == (["report", "n", "note"], [0, 1])
    assert Q.select(_result(), ["note"], 0) == (["note"], [])
    assert Q.select(_result(), None, 5) == (["report", "n", "note"], [0, 1])


def test_unknown_format():
    with pytest.raises(UsageError) as err:
        Q.format_result(_result(), "xml")
    assert str(err.value) == "unknown format 'xml' (table, csv, tsv, json, jsonl)"


def test_terminal_width(monkeypatch):
    import os
    import shutil

    monkeypatch.setattr(shutil, "get_terminal_size", lambda fallback: os.terminal_size((20, 24)))
    assert Q.terminal_width() == 40
    monkeypatch.setattr(shutil, "get_terminal_size", lambda fallback: os.terminal_size(fallback))
    assert Q.terminal_width() == 100
    assert Q.format_result(_result(), "table") == WIDE  # 100 columns: it fits


# -- tables at their edges ---------------------------------------------------------------------------
def _table(rows: list[dict], width: int, **kw) -> str:
    return Q.format_result(Q.Result(list(rows[0]), rows), "table", width, **kw)


def test_the_widest_column_gives_way_one_character_at_a_time():
    assert _table([{"a": "x" * 30, "b": "y" * 8}], 24) == (
        "a             | b\n"
        "--------------+---------\n"
        "xxxxxxxxxxxxx | yyyyyyyy\n"
        "xxxxxxxxxxxxx |\n"
        "xxxx          |\n"
        "(1 row)\n")


def test_columns_never_narrower_than_six_or_their_name_up_to_twelve():
    assert _table([{"a": "p" * 20, "b": "q" * 20}], 15).split("\n")[:3] == ["a      | b", "-------+-------",
                                                                           "pppppp | qqqqqq"]
    assert _table([{"a": "p" * 20, "b": "q" * 20}], 14).startswith("-- row 1 ")  # 6 + 3 + 6 > 14: blocks
    wide_name = _table([{"abcdefghijklm": "z" * 30, "b": "w" * 30}], 21)
    assert wide_name.split("\n")[:4] == ["abcdefghijkl | b", "m            |", "-------------+-------",
                                        "zzzzzzzzzzzz | wwwwww"]
    assert wide_name.endswith("(1 row; 1 cell shortened (--wide, or --format csv/json, shows them whole))\n")
    assert _table([{"abcdefghijklm": "z" * 30, "b": "w" * 30}], 20).startswith("-- row 1 ")


def test_each_shortened_cell_is_counted_and_ends_in_an_ellipsis():
    out = _table([{"t": "aaaaaaaaaa bbbbbbbbbb"}, {"t": "cccccccccc dddddddddd"}], 10, max_lines=1)
    assert out == ("t\n----------\naaaaaaaaa…\nccccccccc…\n"
                   "(2 rows; 2 cells shortened (--wide, or --format csv/json, shows them whole))\n")
    letters = "a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee ff gg hh ii jj kk"
    assert _table([{"t": letters}], 20, max_lines=3) == (
        "t\n--------------------\na b c d e f g h i j\nk l m n o p q r s t\nu v w x y z aa bb c…\n"
        "(1 row; 1 cell shortened (--wide, or --format csv/json, shows them whole))\n")


def test_the_last_kept_line_is_cut_one_short_of_the_column():
    text = " ".join(["abcdefghi"] * 6)
    assert Q.format_result(Q.Result(["k", "t"], [{"k": "x" * 40, "t": text}]), "table", 30, max_lines=2) == (
        "k             | t\n--------------+---------------\nxxxxxxxxxxxxx | abcdefghi\nxxxxxxxxxxxx… | abcdefghi…\n"
        "(1 row; 2 cells shortened (--wide, or --format csv/json, shows them whole))\n")


def test_long_words_are_cut_and_hyphens_are_not_break_points():
    assert _table([{"t": "w" * 25 + " ab-cd-ef-gh-ij"}], 12, max_lines=9) == (
        "t\n------------\nwwwwwwwwwwww\nwwwwwwwwwwww\nw ab-cd-ef-g\nh-ij\n(1 row)\n")


BLOCK_ROW = {"t": "one two three four five six seven eight nine ten eleven twelve", "u": "a" * 79}


def _blocks(width: int, max_lines: int, row: dict = BLOCK_ROW) -> str:
    r = Q.Result(list(row), [row])
    return Q._blocks(r, r.columns, [0], [[row[c] for c in r.columns]], width, max_lines)


def test_blocks_at_thirty_and_sixty_columns():
    assert _blocks(30, 4) == (
        "-- row 1 " + "-" * 20 + "\n"
        "t  one two three four five six\n"
        "   seven eight nine ten eleven\n"
        "   twelve\n"
        "u  aaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
        "   aaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
        "   aaaaaaaaaaaaaaaaaaaaaaaaa\n"
        "(1 row)\n")
    assert _blocks(60, 2) == (
        "-- row 1 " + "-" * 30 + "\n"
        "t  one two three four five six seven eight nine ten eleven\n"
        "   twelve\n"
        "u  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
        "   aaaaaaaaaaaaaaaaaaaaaa\n"
        "(1 row)\n")


def test_blocks_shorten_beyond_max_lines_only():
    assert _blocks(30, 3).endswith("(1 row)\n")  # three lines each: whole
    out = _blocks(30, 2)
    assert out.split("\n")[1:5] == ["t  one two three four five six", "   seven eight nine ten eleve…",
                                    "u  aaaaaaaaaaaaaaaaaaaaaaaaaaa", "   aaaaaaaaaaaaaaaaaaaaaaaaaa…"]
    assert out.endswith("(1 row; 2 cells shortened (--wide, or --format csv/json, shows them whole))\n")


def test_blocks_in_a_very_narrow_terminal():
    assert _blocks(10, 4, {"t": "x", "u": ""}) == "-- row 1 \nt  x\n(1 row)\n"


# -- more about binding, engines and files ----------------------------------------------------------
def test_a_space_is_a_character_like_any_other_in_a_value():
    assert Q._value(Q.Param("t", "string"), "a b", None) == Q.Value("a b")
    assert Q._value(Q.Param("t", "string"), "a!b", None) == Q.Value("a!b")


def test_the_term_index_of_a_new_store_or_graph(monkeypatch, small_store, small_graph):
    monkeypatch.setattr(Q, "_INDEXES", {})
    for source in (small_store, small_graph):
        index = Q._index(source)
        assert index is Q._index(source)
        assert index.labels["https://w3id.org/calcikg/data/a"] == "thing a"
    assert len(Q._INDEXES) == 2


def test_a_rebuilt_graph_file_is_read_again(tmp_path):
    ttl = tmp_path / "g.ttl"
    ttl.write_text('<http://x/a> <http://x/p> "one" .\n', encoding="utf-8")
    assert len(Q.load_store(ttl)) == 1 and len(Q.load_graph(ttl)) == 1
    import os
    import time

    ttl.write_text('<http://x/a> <http://x/p> "one" , "two" .\n', encoding="utf-8")
    os.utime(ttl, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert len(Q.load_store(ttl)) == 2 and len(Q.load_graph(ttl)) == 2


def test_bound_values_come_back_with_their_datatype_on_rdflib(tmp_path, small_graph):
    q = _query(tmp_path, "#+ summary: S\n#+ params:\n#+   count: {type: integer}\n#+   thing: {type: string}\n"
                         "SELECT ?count ?thing WHERE { }\n")
    result = Q.run_rdflib(q, {"count": Q.Value("2", datatype=Q.XSD_INTEGER), "thing": Q.Value("x")}, small_graph)
    assert result.cells == [{"count": ("literal", "2", XSD + "integer"), "thing": ("literal", "x", None)}]
    assert result.rows == [{"count": "2", "thing": "x"}]


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_a_literal_that_looks_like_an_iri_is_not_shortened(tmp_path, engine, small_store, small_graph):
    q = _query(tmp_path, '#+ summary: S\nSELECT ?t WHERE { BIND("https://w3id.org/calcikg/X" AS ?t) }\n')
    run, source = (Q.run_oxigraph, small_store) if engine == "oxigraph" else (Q.run_rdflib, small_graph)
    assert run(q, {}, source).rows == [{"t": "https://w3id.org/calcikg/X"}]


def test_values_in_an_ask_with_a_sub_select():
    """A sub-SELECT that is not the outer group binds only what it projects."""
    with pytest.raises(CalciKGError):
        Q.with_values("ASK { ?p ?q ?o }", B)
    with pytest.raises(CalciKGError):
        Q.with_values("ASK { { SELECT ?x WHERE { ?x ?p ?o } } }", B)
    assert Q.with_values("ASK { { SELECT ?p WHERE { ?p ?q ?o } } }", B) == \
        'ASK { { SELECT ?p WHERE {\n  VALUES ?p { "v" } ?p ?q ?o } } }'


def test_run_on_an_endpoint_and_on_a_source(tmp_path, endpoint, small_store, small_graph):
    import urllib.parse

    # terms resolved on the built graph (the stub endpoint answers every query with the same rows)
    remote = Q.run("dose-regimens", {"treatment": "bisphosphonate"}, endpoint=endpoint + "/ok", source=Q.load_store())
    assert remote.columns == ["thing", "n", "link", "note"] and len(remote.rows) == 3
    assert remote.query == "dose-regimens" and remote.params == {"treatment": "bisphosphonate"}
    with pytest.raises(UsageError):  # the small store does not know the term: it is the one used
        Q.run("dose-regimens", {"treatment": "bisphosphonate"}, source=small_store)
    assert [r["class"] for r in Q.run("subtypes", engine="rdflib", source=small_graph).rows] == ["ckg:CalcinosisCutis"]
    q = _query(tmp_path)
    assert [r["thing"] for r in Q.run_query(q, source=small_store).rows] == ["ckd:a", "ckd:b"]
    _Endpoint.seen.clear()
    assert len(Q.run_query(q, endpoint=endpoint + "/ok", source=small_store).rows) == 3  # the endpoint's rows
    assert "VALUES ?count { 2 }" in urllib.parse.parse_qs(_Endpoint.seen[-1])["query"][0]  # its parameters sent


def test_graph_version_past_bytes_that_are_not_utf8(tmp_path):
    ttl = tmp_path / "g.ttl"
    ttl.write_bytes(b"# caf\xe9\n<x> owl:versionIRI <https://w3id.org/calcikg/9> .\n")
    assert Q.graph_version(ttl) == "https://w3id.org/calcikg/9"


def test_adhoc_details(tmp_path, small_store):
    lower = tmp_path / "lower.rq"
    lower.write_text("select ?x where { ?x ?p ?o }\n", encoding="utf-8")
    q = Q.read_adhoc(lower)
    assert (q.path, q.description, q.text) == (lower, "", "select ?x where { ?x ?p ?o }\n")
    late = tmp_path / "late.rq"
    late.write_text("\n#+ summary: S\nSELECT ?x WHERE { ?x ?p ?o }\n", encoding="utf-8")
    assert Q.read_adhoc(late).summary == ""  # decorators count only where a stored query has them
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT ?x WHERE { ?x ?p }\n", encoding="utf-8")
    with pytest.raises(CalciKGError) as err:
        Q.run_oxigraph(Q.read_adhoc(bad), {}, small_store)
    assert str(err.value).startswith(f"{bad}: not valid SPARQL: ")


def test_json_of_chosen_columns():
    data = json.loads(Q.format_result(_result(), "json", columns=["note"]))
    assert data["columns"] == ["note"] and data["results"] == [{"note": "short"}, {"note": LONG}]


def test_blocks_cut_long_words_not_at_hyphens():
    assert _blocks(20, 9, {"t": "w" * 20 + " ab-cd-ef-gh-ij"}) == (
        "-- row 1 " + "-" * 10 + "\nt  wwwwwwwwwwwwwwwww\n   www\n   ab-cd-ef-gh-ij\n(1 row)\n")
