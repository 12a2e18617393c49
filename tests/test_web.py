"""``calcikg web`` at the HTTP level (Starlette's TestClient) and ``calcikg site``, on the built graph.

Every page and API route: status, content, escaping, 404 pages with near matches, 400 pages with
the command line's message, downloads equal to ``calcikg query``'s output, the OpenAPI description
generated from the decorators, the time limit, and a static site that is byte-identical for the
same graph with no broken link.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from markupsafe import escape

from calcikg import query
from calcikg.errors import UsageError
from calcikg.prefixes import CKD, CKG
from calcikg.web import data
from calcikg.web.app import Settings, create_app

FLAGSHIP = "treatments-effective-in"
EVIL = "<script>alert(\"x\")</script> 'quoted' & more"


@pytest.fixture(scope="module")
def source():
    return data.Source()


@pytest.fixture(scope="module")
def client(source):
    from starlette.testclient import TestClient

    return TestClient(create_app(source))


def hrefs(text: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', text)]


# -- pages -----------------------------------------------------------------------------------------
def test_home_lists_coverage_questions_and_reports(client, source):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<title>CalciKG · CalciKG</title>" in r.text
    links = hrefs(r.text)
    for stored in query.list_queries():
        assert f"/queries/{stored.name}" in links
        for tag in stored.tags:
            assert f"<h3>{tag}</h3>" in r.text
    assert f"<th scope=\"row\">curated reports</th><td>{len(source.catalog.reports)}</td>" in r.text
    treatments = {s["treatment"] for s in data.map_statements(source)}
    used = {name: n for name, n, _ in data.coverage(source)}["treatments"]
    assert used >= len(treatments)  # every treatment of a statement is named in the records
    assert f"/report/{data.local(source.catalog.reports[0])}" in links
    assert '<label for="search-home">' in r.text and 'id="search-home"' in r.text


def test_search_page_without_javascript(client):
    r = client.get("/search", params={"q": "JDM"})
    assert r.status_code == 200
    assert "/term/ckg:JuvenileDermatomyositis" in hrefs(r.text)
    assert "Search: JDM · CalciKG" in r.text


@pytest.mark.parametrize("name", [s.name for s in query.list_queries()])
def test_every_question_has_a_form_and_runs_with_its_defaults(client, name):
    stored = query.get_query(name)
    r = client.get(f"/queries/{name}")
    for p in stored.params.values():  # a labelled field per declared parameter
        assert f'<label for="p-{p.name}">' in r.text and f'id="p-{p.name}"' in r.text
    if any(p.required and p.default is None for p in stored.params.values()):
        assert r.status_code == 200 and 'id="answer"' not in r.text  # the form first
        return
    assert r.status_code == 200, r.text[-500:]
    expected = query.run(name)
    n = len(expected.rows)
    assert f"{n} row{'' if n == 1 else 's'}" in r.text
    assert r.text.count("<tr>") == n + 1  # header row + one per answer
    assert str(escape(stored.text)) in r.text  # the SPARQL text, on request (<details>)


def test_flagship_rows_link_to_their_evidence(client, source):
    r = client.get(f"/queries/{FLAGSHIP}", params={"condition": "JDM"})
    assert r.status_code == 200
    expected = query.run(FLAGSHIP, {"condition": "JDM"})
    assert expected.rows and f"{len(expected.rows)} rows" in r.text
    body = r.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = body.split("<tr>")[1:]
    assert len(rows) == len(expected.rows)
    for row, cells in zip(rows, expected.cells):
        statements = [c[1] for c in cells.values() if c and c[0] == "iri" and c[1] in source.catalog.statements]
        for s in statements:  # the evidence column: report page at the statement, its locator, its level
            report = source.catalog.report_of[s]
            assert f'href="/report/{data.local(report)}#{data.local(s)}"' in row
            for ev in source.catalog.evidence[s]:
                assert html.escape(ev.locator) in row and html.escape(ev.level) in row
                for cited in ev.sources:
                    if cited in source.catalog.doi:
                        assert "https://doi.org/" + source.catalog.doi[cited] in html.unescape(row)
    # labels the query returns as text link to their pages (the treatment to its term page)
    assert 'href="/term/ckg:Pamidronate"' in r.text or 'href="/term/ckg:Bisphosphonate"' in r.text


def test_permalink_and_downloads_match_the_command_line(client):
    params = {"condition": "JDM"}
    r = client.get(f"/queries/{FLAGSHIP}", params=params)
    permalink = f"/queries/{FLAGSHIP}?condition=JDM"
    assert f'href="{permalink}" rel="bookmark"' in r.text
    assert client.get(permalink).text == r.text
    expected = query.run(FLAGSHIP, params)
    csv_url, json_url = f"/api/queries/{FLAGSHIP}.csv?condition=JDM", f"/api/queries/{FLAGSHIP}.json?condition=JDM"
    assert html.escape(csv_url) in r.text and html.escape(json_url) in r.text
    csv = client.get(csv_url)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert csv.text == query.format_result(expected, "csv")
    js = client.get(json_url)
    assert js.status_code == 200 and js.text == query.format_result(expected, "json")
    plain = client.get(f"/api/queries/{FLAGSHIP}", params=params)
    assert plain.json() == js.json() and "content-disposition" not in plain.headers
    assert plain.json()["parameters"] == {"condition": "JDM"} and plain.json()["total_rows"] == len(expected.rows)


def test_bad_parameter_is_a_400_with_the_command_line_message(client):
    with pytest.raises(UsageError) as cli:
        query.run(FLAGSHIP, {"condition": "no such disease"})
    page = client.get(f"/queries/{FLAGSHIP}", params={"condition": "no such disease"})
    assert page.status_code == 400
    assert f'<p class="error" role="alert">{escape(str(cli.value))}</p>' in page.text
    api = client.get(f"/api/queries/{FLAGSHIP}", params={"condition": "no such disease"})
    assert api.status_code == 400 and api.json() == {"error": str(cli.value)}
    unknown = client.get(f"/api/queries/{FLAGSHIP}", params={"bogus": "1"})
    assert unknown.status_code == 400 and "has no parameter 'bogus'" in unknown.json()["error"]
    closed = [(s.name, p.name) for s in query.list_queries() for p in s.params.values() if p.values]
    for name, param in closed[:3]:  # a value outside a parameter's declared values
        choice = client.get(f"/api/queries/{name}", params={param: 'x" } DROP ALL #'})
        assert choice.status_code == 400 and "is not one of" in choice.json()["error"]
    assert client.get("/queries/no-such-question").status_code == 404
    missing = client.get("/api/queries/no-such-question")
    assert missing.status_code == 404 and "known queries" in missing.json()["error"]


def test_a_required_parameter_shows_the_form_first(source, monkeypatch):
    """A question with a required parameter and no default: the form first, a 400 when sent empty."""
    from starlette.testclient import TestClient

    from calcikg.web import app as web_app

    cases = query.get_query("cases")
    param = next(iter(cases.params.values()))
    needs = query.StoredQuery("needs-one", cases.path, cases.summary, "", cases.tags,
                              {param.name: query.Param(param.name, param.type, None, True, "required here")}, cases.text)
    known = web_app.stored_queries()
    monkeypatch.setattr(web_app, "stored_queries", lambda: {**known, "needs-one": needs})
    client = TestClient(create_app(source))
    first = client.get("/queries/needs-one")
    assert first.status_code == 200 and 'id="answer"' not in first.text and f'id="p-{param.name}"' in first.text
    empty = client.get("/queries/needs-one", params={param.name: ""})
    assert empty.status_code == 400 and f"needs --param {param.name}=..." in empty.text
    assert client.get("/queries/needs-one", params={param.name: "JDM"}).status_code == 200


def test_read_only(client):
    for url in (f"/queries/{FLAGSHIP}", f"/api/queries/{FLAGSHIP}", "/map"):
        assert client.post(url, data={"update": "DROP ALL"}).status_code == 405
    # a term parameter is resolved against the graph first: an injection attempt is an unknown term
    r = client.get(f"/api/queries/{FLAGSHIP}", params={"condition": "x> } ; DROP ALL ; #"})
    assert r.status_code == 400 and "unknown condition" in r.json()["error"]


def test_term_page(client, source):
    r = client.get("/term/ckg:JuvenileDermatomyositis")
    assert r.status_code == 200
    assert "<title>juvenile dermatomyositis (ckg:JuvenileDermatomyositis) · CalciKG</title>" in r.text
    info = data.term(source, CKG + "JuvenileDermatomyositis")
    assert info["definition"] and html.escape(info["definition"]) in r.text
    assert "JDM" in info["exact_synonyms"] and "JDM" in r.text
    links = hrefs(r.text)
    for parent in info["parents"]:
        assert f"/term/{query.compress(parent)}" in links
    for code in info["codes"]:
        assert code["href"] in links and code["code"] in r.text
    assert any(h.startswith("https://browser.ihtsdotools.org/") for h in links)  # SNOMED CT, to its browser
    assert info["groups"] and "patient case" in info["groups"]
    for kind, items in info["groups"].items():
        assert f"<h3>{html.escape(kind)} <span" in r.text
        for item in items:
            assert Links_of(source, item["iri"]) in links


def Links_of(source, iri: str) -> str:
    from calcikg.web.render import Links

    return Links(source.catalog).of(iri)


def test_unknown_term_is_a_404_page_with_near_matches(client):
    r = client.get("/term/ckg:JuvenileDermatomyosits")
    assert r.status_code == 404 and "Not found · CalciKG" in r.text
    assert "no term &#39;ckg:JuvenileDermatomyosits&#39; in the graph" in r.text
    assert "/term/ckg:JuvenileDermatomyositis" in hrefs(r.text)
    by_synonym = client.get("/term/JDM")
    assert by_synonym.status_code == 404 and "/term/ckg:JuvenileDermatomyositis" in hrefs(by_synonym.text)
    assert client.get("/term/ckd:mouaddine2021").status_code == 404  # data is not a term
    unknown_case = client.get("/case/mouaddine2021-case33")
    assert unknown_case.status_code == 404 and "/case/mouaddine2021-case3" in hrefs(unknown_case.text)
    assert client.get("/report/nobody1999").status_code == 404
    assert client.get("/no/such/page").status_code == 404


def test_case_page_and_timeline(client, source):
    iri = CKD + "mouaddine2021-case3"
    info = data.case(source, iri)
    r = client.get("/case/mouaddine2021-case3")
    assert r.status_code == 200 and "<title>case 3 of Mouaddine et al. 2021 · CalciKG</title>" in r.text
    svg = r.text.split('<svg role="img"', 1)[1].split("</svg>", 1)[0]
    assert len(info["episodes"]) >= 2
    for e in info["episodes"]:
        assert f'<a href="#{e["id"]}">' in svg  # each bar links to its row, which carries the locator
        assert f'<tr id="{e["id"]}">' in r.text and html.escape(e["locator"]) in r.text
    assert [e["n"] for e in info["episodes"]] == sorted(e["n"] for e in info["episodes"])
    assert "/term/ckg:JuvenileDermatomyositis" in hrefs(r.text)
    assert info["sex"] and f"<dd>{info['sex']}</dd>" in r.text
    assert info["age"] is None and "<dd>not stated</dd>" in r.text  # unstated stays unstated


def test_report_page(client, source):
    iri = CKD + "mouaddine2021"
    info = data.report(source, iri)
    r = client.get("/report/mouaddine2021")
    assert r.status_code == 200 and html.escape(info["bib"]["title"]) in r.text
    for s in info["statements"]:
        assert f'<tr id="{s["id"]}">' in r.text
    assert {data.local(c) for c in info["cases"]} == {f"mouaddine2021-case{n}" for n in range(1, 6)}
    supported = [ref for ref in info["references"] if ref["supports"]]
    assert supported
    for ref in supported:
        assert f'<li id="{ref["id"]}"' in r.text
        for s in ref["supports"]:
            assert f'href="#{data.local(s)}"' in r.text


def test_evidence_map_cells_link_to_their_statements(client, source):
    r = client.get("/map")
    assert r.status_code == 200 and "<title>Evidence map: treatments × diseases and conditions · CalciKG</title>" in r.text
    cells = re.findall(r'<a href="(/map/cell\?[^"]+)" class="cell-link" aria-label="([^"]+)">', r.text)
    assert len(cells) >= 10
    for href, label in cells[:40]:
        n = int(re.search(r": (\d+) statement", label).group(1))
        page = client.get(html.unescape(href))
        assert page.status_code == 200
        assert page.text.split('<ul class="statements">', 1)[1].count("<li>") == n
    assert "favourable outcome only" in r.text and "no outcome stated" in r.text  # the legend
    for level in data.levels(source):
        filtered = client.get("/map", params={"level": level, "axis": "types"})
        assert filtered.status_code == 200 and '<strong aria-current="page">' + level in filtered.text
    wanted = sum(1 for s in data.map_statements(source) if "C" in s["levels"])
    assert wanted and client.get("/map", params={"level": "Z"}).status_code == 400
    bad = client.get("/map/cell", params={"treatment": "ckg:Nothing", "condition": "none"})
    assert bad.status_code == 400


def test_api_terms(client):
    r = client.get("/api/terms", params={"q": "JDM"})
    assert r.status_code == 200 and r.json()[0]["curie"] == "ckg:JuvenileDermatomyositis" and r.json()[0]["in_graph"]
    cases = client.get("/api/terms", params={"q": "mouaddine2021-case", "kind": "case"}).json()
    assert len(cases) == 5 and all(c["kind"] == "case" for c in cases)
    treatments = client.get("/api/terms", params={"q": "pamid", "kind": "treatment"}).json()
    assert treatments and treatments[0]["curie"] == "ckg:Pamidronate"
    assert client.get("/api/terms", params={"q": "x", "limit": "many"}).status_code == 400
    assert client.get("/api/terms", params={"q": "x", "kind": "nonsense"}).status_code == 400


def test_openapi_is_generated_from_the_decorators(client):
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    listed = client.get("/api/queries").json()
    stored = query.list_queries()
    assert [q["name"] for q in listed] == [s.name for s in stored]
    for s in stored:
        op = spec["paths"][f"/api/queries/{s.name}"]["get"]
        assert op["summary"] == s.summary
        params = {p["name"]: p for p in op["parameters"]}
        assert list(params) == list(s.params)
        for name, p in s.params.items():
            assert params[name]["schema"].get("default") == (int(p.default) if p.default and p.type == "integer"
                                                             else p.default)
            assert params[name]["schema"].get("enum", []) == list(p.values)
        assert f"/api/queries/{s.name}.csv" in spec["paths"]
    assert "/api/terms" in spec["paths"]
    assert client.get("/api").status_code == 200


def test_static_assets(client):
    assert client.get("/static/calcikg.css").status_code == 200
    js = client.get("/static/calcikg.js")
    assert js.status_code == 200 and "/api/terms" in js.text


# -- escaping --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def evil_client():
    """The built graph with a term's label carrying markup and quotes (a copy: the graph is not touched)."""
    from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store
    from starlette.testclient import TestClient

    from calcikg import paths

    store = Store()
    store.bulk_load(paths.GRAPH_TTL.read_bytes(), format=RdfFormat.TURTLE)
    label = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    term = NamedNode(CKG + "Pamidronate")
    for quad in list(store.quads_for_pattern(term, label, None)):
        store.remove(quad)
    store.add(Quad(term, label, Literal(EVIL)))
    return TestClient(create_app(data.Source(store=store)))


def _no_raw_markup(text: str) -> None:
    assert "<script>alert(" not in text
    assert "alert(\"x\")" not in text and "'quoted'" not in text


def test_labels_and_parameters_are_escaped(evil_client):
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &#39;quoted&#39; &amp; more"
    for url in ("/term/ckg:Pamidronate", "/case/mouaddine2021-case3", "/report/mouaddine2021", "/map",
                f"/queries/{FLAGSHIP}?condition=JDM", "/term/ckg:Bisphosphonate", "/search?q=pamidronate"):
        r = evil_client.get(url)
        assert r.status_code == 200, url
        _no_raw_markup(r.text)
        assert escaped in r.text or url.startswith(("/report", "/search")), url
    for url, params in ((f"/queries/{FLAGSHIP}", {"condition": EVIL}), ("/search", {"q": EVIL}),
                        ("/term/" + urllib.parse.quote(EVIL), {}), ("/map", {"level": EVIL}),
                        ("/case/" + urllib.parse.quote(EVIL, safe=""), {})):
        r = evil_client.get(url, params=params)
        assert r.status_code in (200, 400, 404), url
        _no_raw_markup(r.text)
    api = evil_client.get(f"/api/queries/{FLAGSHIP}", params={"condition": EVIL})
    assert api.status_code == 400 and api.headers["content-type"] == "application/json"


# -- time limit, command line, cold start ------------------------------------------------------------
def test_time_limit_is_a_503(source, monkeypatch):
    from starlette.testclient import TestClient

    slow = TestClient(create_app(source, Settings(timeout=0.2)))
    monkeypatch.setattr(source, "run", lambda stored, given: time.sleep(2))
    r = slow.get(f"/queries/{FLAGSHIP}")
    assert r.status_code == 503 and "longer than the time limit of 0.2 s" in r.text
    api = slow.get(f"/api/queries/{FLAGSHIP}")
    assert api.status_code == 503 and "time limit" in api.json()["error"]


def test_web_refuses_a_public_address_without_public(capsys):
    from calcikg.cli import main

    assert main(["web", "--host", "0.0.0.0", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("calcikg: error: --host 0.0.0.0 is beyond loopback: add --public") and err.count("\n") == 1


def test_web_imports_no_heavy_library():
    """A cold ``calcikg web`` loads neither rdflib nor pySHACL nor the reasoner (start-up time)."""
    code = ("import sys; import calcikg.cli, calcikg.web.app, calcikg.web.data, calcikg.web.render; "
            "print(sorted(m for m in ('rdflib', 'pyshacl', 'owlready2', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")})
    assert out.stdout.strip() == "[]"


# -- the static site --------------------------------------------------------------------------------
def test_site_is_byte_identical_and_has_no_broken_link(tmp_path, source):
    from calcikg.web.site import build_site

    first, second = tmp_path / "a", tmp_path / "b"
    n = build_site(first, source)
    assert build_site(second, data.Source()) == n
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for f in files:
        assert (first / f).read_bytes() == (second / f).read_bytes(), f
    c = source.catalog
    assert n == 1 + 1 + sum(1 for i in c.labels if c.is_term(i)) + len(c.cases) + len(c.reports) + \
        sum(1 for f in files if str(f).startswith("map")) - 0
    for page in first.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "/api/" not in text and 'action="/search"' not in text  # no server needed
        for href in hrefs(text):
            if href.startswith(("http://", "https://", "#", "data:")):
                continue
            target = urllib.parse.unquote(href.split("#")[0])
            assert (page.parent / target).resolve().is_file(), (page, href)
    case3 = (first / "case" / "mouaddine2021-case3.html").read_text(encoding="utf-8")
    assert 'href="../report/mouaddine2021.html#mouaddine2021-case3-ep4"' in case3
    # written again over itself: replaced whole; a folder it did not write is refused
    assert build_site(first, source) == n
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(UsageError, match="not empty"):
        build_site(other, source)
    assert (other / "notes.txt").read_text(encoding="utf-8") == "keep"


@pytest.mark.slow
def test_pages_over_an_endpoint_are_the_embedded_pages(client):
    """``calcikg web --endpoint URL`` (here ``calcikg serve``): the same pages, byte for byte."""
    from starlette.testclient import TestClient

    from calcikg import serve

    with serve.start() as server:
        remote = TestClient(create_app(data.Source(endpoint=server.query_url)))
        for url in ("/", f"/queries/{FLAGSHIP}?condition=JDM", "/term/ckg:JuvenileDermatomyositis",
                    "/case/mouaddine2021-case3", "/report/mouaddine2021", "/map", f"/api/queries/{FLAGSHIP}"):
            got = remote.get(url)
            assert got.status_code == 200 and got.text == client.get(url).text, url


@pytest.mark.parametrize("url", ["/", "/search?q=JDM", *(f"/queries/{s.name}" for s in query.list_queries()),
                                 "/term/ckg:Pamidronate", "/case/mouaddine2021-case3", "/report/mouaddine2021", "/map",
                                 "/map/cell?axis=conditions&treatment=ckg:Bisphosphonate&condition=ckg:JuvenileDermatomyositis",
                                 "/api", "/term/ckg:Nothing"])
def test_pages_are_accessible(client, url):
    """A language, a meaningful title, one h1, a skip link, a label for every field, alt text for figures."""
    text = client.get(url).text
    assert '<html lang="en">' in text and '<a class="skip" href="#main">' in text
    title = re.search(r"<title>(.*?) · CalciKG</title>", text).group(1)
    assert title.strip() and text.count("<h1") == 1
    for field in re.findall(r"<(?:input|select)\b[^>]*>", text):
        if 'type="hidden"' in field:
            continue
        name = re.search(r'id="([^"]+)"', field).group(1)
        assert f'<label for="{name}">' in text, field
    for svg in re.findall(r"<svg\b[^>]*>", text):
        assert 'aria-hidden="true"' in svg or ('role="img"' in svg and "aria-labelledby" in svg), svg
    for table in text.split("<table")[1:]:
        assert "<th" in table.split("</table>")[0]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_colours_have_enough_contrast():
    """WCAG contrast of the stylesheet's colours: text >= 7:1 (AAA), buttons >= 4.5:1, outlines >= 3:1."""
    from calcikg.web.render import STATIC

    css = (STATIC / "calcikg.css").read_text(encoding="utf-8")
    var = dict(re.findall(r"--([a-z]+): (#[0-9a-f]{6})", css))
    for text in ("ink", "muted", "link"):
        for ground in ("bg", "band"):
            assert contrast(var[text], var[ground]) >= 7, (text, ground)
    button = re.search(r"\nbutton \{ background: (#[0-9a-f]{6}); color: (#[0-9a-f]{6})", css)
    assert contrast(button.group(1), button.group(2)) >= 4.5
    outline = re.search(r"outline: 3px solid (#[0-9a-f]{6})", css).group(1)
    assert contrast(outline, var["bg"]) >= 3
    from calcikg.web.figures import DIRECTIONS

    for fill, _ in DIRECTIONS.values():  # map circles and timeline bars against the page (with a dark outline)
        assert contrast(fill, var["bg"]) >= 3 or fill == "#ffffff"


def test_long_texts_are_refused_quickly(client):
    text = "calcinosis " * 100
    assert client.get("/search", params={"q": text}).status_code == 400
    assert client.get("/api/terms", params={"q": text}).status_code == 400
    assert client.get("/term/ckg:" + "x" * 5000).status_code == 404


def test_site_and_web_from_the_command_line(tmp_path):
    """``calcikg site -o DIR`` says what it wrote; without a built graph, both commands give one line."""
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "calcikg", "site", "-o", str(tmp_path / "site")], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and re.match(r"wrote [\d,]+ pages to ", done.stdout)
    assert (tmp_path / "site" / "index.html").is_file() and (tmp_path / "site" / "static" / "calcikg.css").is_file()
    empty = tmp_path / "empty"
    (empty / "kg").mkdir(parents=True)
    for argv in (["web", "--port", "0"], ["site", "-o", str(tmp_path / "other")]):
        failed = subprocess.run([sys.executable, "-m", "calcikg", *argv], env={**env, "CALCIKG_HOME": str(empty)},
                                capture_output=True, text=True, timeout=120, check=False)
        assert failed.returncode == 2 and "Traceback" not in failed.stderr
        assert failed.stderr.startswith("calcikg: error: ") and "run 'calcikg build' first" in failed.stderr
        assert failed.stderr.count("\n") == 1
    assert not (tmp_path / "other").exists()


def test_a_failing_endpoint_is_a_502(source):
    """Behind ``--endpoint``, an endpoint that does not answer is the server's problem, not the request's."""
    from starlette.testclient import TestClient

    from calcikg.serve import free_port

    remote = data.Source(endpoint=f"http://127.0.0.1:{free_port()}/query", store=source.store)
    remote.__dict__["catalog"] = source.catalog  # as loaded at start-up, before the endpoint went away
    broken = TestClient(create_app(remote))
    page = broken.get(f"/queries/{FLAGSHIP}")
    assert page.status_code == 502 and "cannot query the endpoint" in page.text
    api = broken.get(f"/api/queries/{FLAGSHIP}")
    assert api.status_code == 502 and api.json()["error"].startswith("cannot query the endpoint")
    assert broken.get(f"/api/queries/{FLAGSHIP}", params={"condition": "nonsense"}).status_code == 400
