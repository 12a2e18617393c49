"""Stage 4: stored SPARQL queries (``queries/*.rq``), run on the built graph or on an endpoint.

Each ``.rq`` file opens with grlc-style ``#+`` decorator lines that together are YAML::

    #+ summary: Treatments reported with a favourable outcome in a condition
    #+ tags: [treatment, evidence]
    #+ params:
    #+   condition: {type: condition, default: juvenile dermatomyositis, description: ...}

Parameters are bound as RDF terms, never pasted into the text. Three ways to run a query, the
same rows from each (the tests check it):

- ``oxigraph`` (default): the built graph loaded into an in-memory Oxigraph store, parameters
  in a ``VALUES`` block of escaped terms, exactly as sent to an endpoint. Fast from a cold start:
  this path imports neither rdflib nor pySHACL nor a reasoner.
- ``rdflib``: the built graph in an rdflib ``Graph``, parameters bound with ``initBindings``.
- a remote SPARQL 1.1 endpoint through SPARQLWrapper: a ``VALUES`` block of escaped terms opens
  the outer ``WHERE`` group.

A term parameter (condition, treatment, case...) is first resolved against the graph's labels,
synonyms and CURIEs, so only IRIs the graph knows are ever bound or sent.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from calcikg import paths
from calcikg.errors import CalciKGError, NotBuiltError, UsageError
from calcikg.prefixes import compress
from calcikg.terms import TermIndex, UnknownTerm

#: Parameter types that name a term of the graph, with the term kind they resolve to.
TERM_TYPES = {
    "condition": "condition",
    "calcinosis": "calcinosis",
    "treatment": "treatment",
    "case": "case",
    "report": "report",
    "term": "domain term",
}
LITERAL_TYPES = {"string", "integer"}
_DECORATOR = re.compile(r"^#\+ ?(.*)$")
_IRI_OK = re.compile(r'^[^\s<>"{}|^`\\]+\Z')  # \Z, not $: "$" also matches before a final newline


@dataclass(frozen=True)
class Param:
    """A declared query parameter."""

    name: str
    type: str
    default: str | None = None
    required: bool = False
    description: str = ""
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredQuery:
    """A ``.rq`` file: its decorators and its SPARQL text."""

    name: str
    path: Path
    summary: str
    description: str
    tags: tuple[str, ...]
    params: dict[str, Param]
    text: str


@dataclass
class Result:
    """Rows of a query: column names in SELECT order, and one dict of strings per row.

    ``cells`` keeps, beside each shown string, what the engine gave: ``(kind, value, datatype)``
    with kind ``iri``, ``literal`` or ``bnode`` (the full IRI for ``iri``), or ``None`` for an
    unbound cell; JSON output reads it. ``query``, ``params`` and ``graph_version`` say what was
    asked of which graph.
    """

    columns: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)
    cells: list[dict[str, tuple | None]] = field(default_factory=list)
    query: str = ""
    params: dict[str, str] = field(default_factory=dict)
    graph_version: str = ""


def parse_query_file(path: Path) -> StoredQuery:
    """Read a stored query and its decorators; an unparseable header is an error, not empty metadata."""
    text = path.read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        m = _DECORATOR.match(line)
        if not m:
            break
        header.append(m.group(1))
    try:
        meta = yaml.safe_load("\n".join(header)) if header else None
    except yaml.YAMLError as exc:
        raise CalciKGError(f"{path}: the '#+' decorator header is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict) or not meta.get("summary"):
        raise CalciKGError(f"{path}: a stored query must open with '#+ summary: ...' decorator lines")
    params = {}
    for name, spec in (meta.get("params") or {}).items():
        spec = spec or {}
        ptype = spec.get("type", "string")
        if ptype not in TERM_TYPES and ptype not in LITERAL_TYPES:
            raise CalciKGError(f"{path}: parameter {name!r} has unknown type {ptype!r}")
        if not re.search(rf"\?{re.escape(name)}\b", text):
            raise CalciKGError(f"{path}: parameter {name!r} is declared but ?{name} is not in the query")
        params[name] = Param(name, ptype, None if spec.get("default") is None else str(spec["default"]),
                             bool(spec.get("required", False)), str(spec.get("description", "")),
                             tuple(str(v) for v in spec.get("values", ())))
    return StoredQuery(path.stem, path, str(meta["summary"]), str(meta.get("description", "")).strip(),
                       tuple(meta.get("tags") or ()), params, text)


def list_queries(directory: Path | None = None) -> list[StoredQuery]:
    """Every stored query, by name."""
    return [parse_query_file(p) for p in sorted((directory or paths.QUERIES_DIR).glob("*.rq"))]


def get_query(name: str, directory: Path | None = None) -> StoredQuery:
    """The stored query ``name``; a :class:`UsageError` listing the names otherwise."""
    path = (directory or paths.QUERIES_DIR) / f"{name}.rq"
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) or not path.exists():
        known = ", ".join(q.name for q in list_queries(directory))
        raise UsageError(f"no stored query {name!r}; known queries: {known}")
    return parse_query_file(path)


@dataclass(frozen=True)
class Value:
    """A bound parameter value, independent of any RDF library: an IRI or a typed literal."""

    text: str
    is_iri: bool = False
    datatype: str | None = None

    def sparql(self) -> str:
        """The term in SPARQL syntax, escaped; refuses anything that could leave its term."""
        if self.is_iri:
            if not _IRI_OK.match(self.text):
                raise UsageError(f"refusing to send an IRI with characters not allowed in IRIs: {self.text!r}")
            return f"<{self.text}>"
        if self.datatype == XSD_INTEGER:
            return str(int(self.text))
        if any(ch == "\\" or ord(ch) < 32 for ch in self.text):
            raise UsageError("refusing to send a literal with backslashes or control characters")
        return '"' + self.text.replace('"', '\\"') + '"'


XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


# -- the embedded graph -----------------------------------------------------------------------
def _built(path: Path | None) -> Path:
    path = path or paths.GRAPH_TTL
    if not path.exists():
        raise NotBuiltError(f"{path} does not exist: run 'calcikg build' first")
    return path


def load_store(path: Path | None = None):
    """The built graph in an in-memory Oxigraph store."""
    path = _built(path)
    return _store(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=2)
def _store(path: Path, _mtime: int):
    from pyoxigraph import RdfFormat, Store

    store = Store()
    try:
        store.bulk_load(path.read_bytes(), format=RdfFormat.TURTLE)
    except (SyntaxError, ValueError, OSError) as exc:
        raise CalciKGError(unreadable(path, exc)) from None
    return store


def unreadable(path: Path, exc: Exception) -> str:
    """One line for a built graph that does not parse (truncated, corrupt, not Turtle)."""
    reason = " ".join(str(exc).split())[:300] or type(exc).__name__
    return f"{path} is not a readable graph (truncated or corrupt? run 'calcikg build'): {reason}"


def load_graph(path: Path | None = None):
    """The built graph (ontology + mappings + instances) as an rdflib graph."""
    path = _built(path)
    return _parse(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=2)
def _parse(path: Path, _mtime: int):
    from rdflib import Graph

    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib's BadSyntax and friends
        raise CalciKGError(unreadable(path, exc)) from None
    return graph


_INDEXES: dict[int, tuple[object, TermIndex]] = {}


def _index(source) -> TermIndex:
    """The term index of a store or graph, made once per object (kept alive beside its index)."""
    cached = _INDEXES.get(id(source))
    if cached is None or cached[0] is not source:
        if isinstance(source, Endpoint):
            index = source.term_index()
        elif type(source).__module__.startswith("pyoxigraph"):
            index = TermIndex.from_store(source)
        else:
            index = TermIndex.from_graph(source)
        cached = _INDEXES[id(source)] = (source, index)
    return cached[1]


def resolve_params(query: StoredQuery, given: dict[str, str], source) -> dict[str, Value]:
    """Check and turn ``--param`` values into bound values (labels/synonyms/CURIEs -> IRIs).

    ``source`` is what the term index is read from: an Oxigraph store or an rdflib graph.
    """
    unknown = sorted(set(given) - set(query.params))
    if unknown:
        declared = ", ".join(query.params) or "none"
        raise UsageError(f"query {query.name!r} has no parameter {unknown[0]!r} (its parameters: {declared})")
    bindings: dict[str, Value] = {}
    for name, param in query.params.items():
        value = given.get(name, param.default)
        if value is None:
            if param.required:
                raise UsageError(f"query {query.name!r} needs --param {name}=... ({param.description or param.type})")
            continue
        bindings[name] = _value(param, value, source)
    return bindings


def _value(param: Param, value: str, source) -> Value:
    if param.values and value not in param.values:
        raise UsageError(f"{param.name}={value!r} is not one of: {', '.join(param.values)}")
    if param.type == "integer":
        if not re.fullmatch(r"-?\d{1,12}", value):
            raise UsageError(f"{param.name}={value!r} is not a whole number")
        return Value(str(int(value)), datatype=XSD_INTEGER)
    if param.type == "string":
        if any(ch == "\\" or ord(ch) < 32 for ch in value):
            raise UsageError(f"{param.name}: backslashes and control characters are not accepted in a value")
        return Value(value)
    try:
        return Value(_index(source).resolve(value.strip(), TERM_TYPES[param.type]).iri, is_iri=True)
    except UnknownTerm as exc:
        raise UsageError(f"{param.name}: {exc}") from None


# -- running ------------------------------------------------------------------------------------
_compress = compress


def run_oxigraph(query: StoredQuery, bindings: dict[str, Value], store) -> Result:
    """Run on the in-memory Oxigraph store, parameters in a VALUES block (as sent to an endpoint).

    Oxigraph's ``substitutions`` only bind variables the SELECT projects; a VALUES block of
    escaped terms binds any variable, and makes the embedded run send exactly the text a remote
    endpoint receives.
    """
    from pyoxigraph import NamedNode

    try:
        solutions = store.query(with_values(query.text, bindings))
    except SyntaxError as exc:
        raise CalciKGError(f"{query.path}: not valid SPARQL: {exc}") from exc
    from pyoxigraph import BlankNode

    columns = [v.value for v in solutions.variables]
    rows, cells = [], []
    for sol in solutions:
        row, cell = {}, {}
        for c in columns:
            term = sol[c]
            if term is None:
                row[c], cell[c] = "", None
            elif isinstance(term, NamedNode):
                row[c], cell[c] = _compress(term.value), ("iri", term.value, None)
            elif isinstance(term, BlankNode):
                row[c], cell[c] = term.value, ("bnode", term.value, None)
            else:
                row[c], cell[c] = term.value, ("literal", term.value, term.datatype.value if term.datatype else None)
        rows.append(row)
        cells.append(cell)
    return Result(columns, rows, cells)


def run_rdflib(query: StoredQuery, bindings: dict[str, Value], graph) -> Result:
    """Run on an rdflib graph, binding parameters with ``initBindings``."""
    from rdflib import Literal, URIRef

    init = {k: URIRef(v.text) if v.is_iri else Literal(v.text, datatype=URIRef(v.datatype) if v.datatype else None)
            for k, v in bindings.items()}
    res = graph.query(query.text, initBindings=init)
    columns = [str(v) for v in res.vars]
    rows, cells = [], []
    for row in res:
        rows.append({c: "" if row[i] is None else _compress(str(row[i])) if isinstance(row[i], URIRef) else str(row[i])
                     for i, c in enumerate(columns)})
        cells.append({c: None if row[i] is None else ("iri", str(row[i]), None) if isinstance(row[i], URIRef)
                      else ("literal", str(row[i]), str(row[i].datatype) if getattr(row[i], "datatype", None) else None)
                      if isinstance(row[i], Literal) else ("bnode", str(row[i]), None)
                      for i, c in enumerate(columns)})
    return Result(columns, rows, cells)


def with_values(text: str, bindings: dict[str, Value]) -> str:
    """``text`` with ``VALUES ?p { term }`` opening its outer WHERE group, and every sub-SELECT that
    projects ``?p``.

    A sub-SELECT is evaluated on its own and joined on the variables it projects, so restricting
    it to the bound value first gives the same rows, and spares the engine an aggregate over the
    whole graph to answer for one report (cohort-summary: 1.3 s -> 0.1 s at 1,000 synthetic reports
    on Oxigraph). A sub-SELECT that does not project ``?p`` has its own ``?p``: left alone.
    """
    if not bindings:
        return text
    blank = _blank_comments(text)
    where = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
    inserts = []
    for m in re.finditer(r"\bSELECT\b", blank, flags=re.IGNORECASE):
        w = where.search(blank, m.end())
        if not w:
            continue
        outer = not inserts and blank[: m.start()].count("{") == 0
        projected = _projected(blank[m.start(): w.end()])
        names = sorted(k for k in bindings if outer or k in projected)
        if names:
            inserts.append((w.end(), "".join(f"\n  VALUES ?{k} {{ {bindings[k].sparql()} }}" for k in names)))
    if not inserts:
        raise CalciKGError("the stored query has no WHERE group to bind parameters in")
    for pos, block in sorted(inserts, reverse=True):
        text = text[:pos] + block + text[pos:]
    return text


def _projected(head: str) -> set[str]:
    """Variables a ``SELECT ... WHERE {`` head projects (bare ``?x`` and ``(... AS ?x)``)."""
    names = set(re.findall(r"\bAS\s+[?$](\w+)", head, flags=re.IGNORECASE))
    while re.search(r"\([^()]*\)", head):
        head = re.sub(r"\([^()]*\)", " ", head)
    return names | set(re.findall(r"[?$](\w+)", head))


def _blank_comments(text: str) -> str:
    """``text`` with comment lines blanked (same length), so that searches skip them."""
    return "\n".join(" " * len(line) if line.lstrip().startswith("#") else line for line in text.split("\n"))


def run_remote(query: StoredQuery, bindings: dict[str, Value], endpoint: str) -> Result:
    """Run on a SPARQL 1.1 endpoint through SPARQLWrapper."""
    from SPARQLWrapper import JSON, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    check_endpoint(endpoint)
    client = SPARQLWrapper(endpoint)
    # comment lines blanked: SPARQLWrapper guesses the query form from the text, and its comment
    # pattern skips every other '#' line, so a word such as 'add' or 'load' in a '#+' header made it
    # send the SELECT as an update
    client.setQuery(_blank_comments(with_values(query.text, bindings)))
    client.setReturnFormat(JSON)
    client.setMethod("POST")
    try:
        data = client.queryAndConvert()
    except SPARQLWrapperException as exc:  # its text carries the whole query: keep the first sentence
        first = str(exc).split("\n")[0].split(". ")[0].strip()
        raise CalciKGError(f"the endpoint {endpoint} answered with an error: {first[:200]}") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        reason = " ".join(str(getattr(exc, "reason", None) or exc).split())[:200] or type(exc).__name__
        raise CalciKGError(f"cannot query the endpoint {endpoint}: {reason}") from None
    if not (isinstance(data, dict) and isinstance(data.get("head"), dict) and isinstance(data.get("results"), dict)):
        raise CalciKGError(f"the endpoint {endpoint} did not answer with SPARQL JSON results (is it a SPARQL "
                           "endpoint? calcikg serve's is http://HOST:PORT/query)")
    columns = data["head"]["vars"]
    rows, cells = [], []
    kinds = {"uri": "iri", "literal": "literal", "typed-literal": "literal", "bnode": "bnode"}
    for b in data["results"]["bindings"]:
        got = {c: b.get(c) for c in columns}
        rows.append({c: "" if v is None else _compress(v["value"]) if v["type"] == "uri" else v["value"]
                     for c, v in got.items()})
        cells.append({c: None if v is None else (kinds.get(v["type"], "literal"), v["value"], v.get("datatype"))
                      for c, v in got.items()})
    return Result(columns, rows, cells)


def check_endpoint(endpoint: str) -> None:
    """An ``http(s)://host[:port]/...`` URL, or a one-line :class:`UsageError`."""
    import urllib.parse

    try:
        parts = urllib.parse.urlsplit(endpoint)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise UsageError(f"--endpoint {endpoint!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--endpoint {endpoint!r} is not an http(s) URL (e.g. http://127.0.0.1:7878/query)")


@dataclass(frozen=True)
class Endpoint:
    """A SPARQL endpoint as the source of the term index: ``--endpoint`` without a local build."""

    url: str

    def term_index(self) -> TermIndex:
        """Labels, exact synonyms, subclass and type links of the graph behind the endpoint, in one query."""
        from calcikg.prefixes import (
            EXACT_SYNONYM,
            RDF_TYPE,
            RDFS_LABEL,
            RDFS_SUBCLASS_OF,
        )
        from calcikg.terms import SKOS_EXACT_MATCH

        wanted = [RDFS_LABEL, EXACT_SYNONYM, RDFS_SUBCLASS_OF, RDF_TYPE, SKOS_EXACT_MATCH]
        text = ("SELECT ?s ?p ?o WHERE { ?s ?p ?o . FILTER(isIRI(?s) && ?p IN ("
                + ", ".join(f"<{p}>" for p in wanted) + ")) }")
        lookup = StoredQuery("term lookup", Path("<term lookup>"), "", "", (), {}, text)
        pairs: dict[str, list[tuple[str, str]]] = {p: [] for p in wanted}
        for cells in run_remote(lookup, {}, self.url).cells:
            s, p, o = cells["s"], cells["p"], cells["o"]
            if s and p and o and p[1] in pairs and (o[0] == "iri" or p[1] in (RDFS_LABEL, EXACT_SYNONYM)):
                pairs[p[1]].append((s[1], o[1]))
        return TermIndex(*(pairs[p] for p in wanted), hpo=False)


ENGINES = {"oxigraph": (load_store, run_oxigraph), "rdflib": (load_graph, run_rdflib)}


def run(name: str, given: dict[str, str] | None = None, endpoint: str | None = None,
        engine: str = "oxigraph", source=None) -> Result:
    """Run stored query ``name`` with ``given`` parameters, embedded (``engine``) or on ``endpoint``.

    ``source`` overrides the embedded store or graph (the built graph by default).
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r} ({', '.join(ENGINES)})")
    load, run_embedded = ENGINES[engine]
    if endpoint:
        check_endpoint(endpoint)
    query = get_query(name)
    return run_query(query, given, endpoint=endpoint, engine=engine, source=source)


def run_query(query: StoredQuery, given: dict[str, str] | None = None, endpoint: str | None = None,
              engine: str = "oxigraph", source=None) -> Result:
    """Run a parsed query (stored, or an ad-hoc file read by :func:`read_adhoc`); see :func:`run`."""
    load, run_embedded = ENGINES[engine]
    if source is None:  # on an endpoint, terms are resolved there: no local build needed
        source = Endpoint(endpoint) if endpoint else load()
    bindings = resolve_params(query, given or {}, source)
    result = run_remote(query, bindings, endpoint) if endpoint else run_embedded(query, bindings, source)
    result.query = query.name
    result.params = {k: (given or {}).get(k, p.default) for k, p in query.params.items()
                     if (given or {}).get(k, p.default) is not None}
    result.graph_version = graph_version()
    return result


def graph_version(path: Path | None = None) -> str:
    """The built graph's ``owl:versionIRI`` (read from the Turtle header; "" when not built)."""
    path = path or paths.GRAPH_TTL
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = re.search(r"owl:versionIRI\s+<([^>]+)>", line)
                if m:
                    return m.group(1)
    except OSError:
        pass
    return ""


_UPDATE = re.compile(r"(?<![\w?$:])(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)(?![\w:])", re.IGNORECASE)


def read_adhoc(path: Path) -> StoredQuery:
    """A SPARQL file given with ``--file``: read-only (SELECT/ASK/CONSTRUCT/DESCRIBE), decorators optional."""
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a SPARQL file") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    from calcikg.serve import _TOKENS

    if _UPDATE.search(_TOKENS.sub(" ", text)):
        raise UsageError(f"{path}: only read-only queries run here (SELECT, ASK, CONSTRUCT, DESCRIBE), "
                         "not SPARQL Update")
    if _DECORATOR.match(text.split("\n", 1)[0]):  # decorators open the file, as in a stored query
        query = parse_query_file(path)
    else:
        query = StoredQuery(path.stem, path, "", "", (), {}, text)
    if not re.search(r"\bSELECT\b", _blank_comments(text), re.IGNORECASE):
        raise UsageError(f"{path}: calcikg query --file runs SELECT queries (use an endpoint for others)")
    return query


# -- output -------------------------------------------------------------------------------------
def _resting_on(result: Result) -> str:
    """``, from 2 reports``: how many curated reports the rows rest on (when the query names them)."""
    columns = [c for c in result.columns if c == "report" or c.startswith("report_")]
    reports = {r[c] for r in result.rows for c in columns if r[c]}
    if not columns or not result.rows:
        return ""
    return f", from {len(reports)} report{'s' if len(reports) != 1 else ''}"


FORMATS = ("table", "csv", "tsv", "json", "jsonl")
_NUMERIC = {"integer": int, "int": int, "long": int, "short": int, "nonNegativeInteger": int,
            "positiveInteger": int, "decimal": float, "double": float, "float": float}


def _reports(result: Result) -> int | None:
    columns = [c for c in result.columns if c == "report" or c.startswith("report_")]
    if not columns:
        return None
    return len({r[c] for r in result.rows for c in columns if r[c]})


def _json_value(cell: tuple | None, shown: str):
    if cell is None:
        return None
    kind, value, datatype = cell
    if kind == "literal" and datatype and datatype.startswith("http://www.w3.org/2001/XMLSchema#"):
        convert = _NUMERIC.get(datatype.rsplit("#", 1)[1])
        if convert:
            try:
                number = convert(value)
            except ValueError:
                return value
            return int(number) if convert is float and number.is_integer() and "." not in value \
                and "e" not in value.lower() else number
        if datatype.endswith("#boolean"):
            return value in ("true", "1")
    return shown


def json_rows(result: Result, columns: list[str] | None = None) -> list[dict]:
    """Rows for programs: numbers as numbers, unbound as null, and ``<column>_iri`` (the full IRI)
    beside every column that holds an IRI (shown as a CURIE)."""
    columns = columns or result.columns
    iri_columns = {c for cells in result.cells for c in columns if cells.get(c) and cells[c][0] == "iri"}
    out = []
    for i, row in enumerate(result.rows):
        cells = result.cells[i] if i < len(result.cells) else {}
        item = {}
        for c in columns:
            cell = cells.get(c) if cells else (("literal", row[c], None) if row[c] else None)
            item[c] = _json_value(cell, row[c])
            if c in iri_columns:
                item[f"{c}_iri"] = cell[1] if cell and cell[0] == "iri" else None
        out.append(item)
    return out


def json_header(result: Result, columns: list[str], rows: int, total: int) -> dict:
    """What a JSON answer says about itself: the query, its parameters, the graph and the count."""
    return {"query": result.query, "parameters": result.params, "graph_version": result.graph_version or None,
            "columns": columns, "rows": rows, "total_rows": total, "reports": _reports(result)}


def select(result: Result, columns: list[str] | None = None, limit: int | None = None) -> tuple[list[str], list[int]]:
    """The chosen columns (all by default) and row indices (the first ``limit``)."""
    if columns:
        unknown = [c for c in columns if c not in result.columns]
        if unknown:
            raise UsageError(f"no column {unknown[0]!r} in this result (its columns: {', '.join(result.columns)})")
    if limit is not None and limit < 0:
        raise UsageError("--limit must be 0 or more")
    n = len(result.rows) if limit is None else min(limit, len(result.rows))
    return list(columns or result.columns), list(range(n))


def format_result(result: Result, fmt: str, width: int | None = None, *, columns: list[str] | None = None,
                  limit: int | None = None, wide: bool = False, max_lines: int = 4) -> str:
    """``table`` (for people: fits ``width``, long cells wrapped), ``csv``/``tsv`` (header row),
    ``json`` (a header object and the rows) or ``jsonl`` (the header, then one row a line)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} ({', '.join(FORMATS)})")
    cols, indices = select(result, columns, limit)
    if fmt in ("json", "jsonl"):
        sub = Result(result.columns, [result.rows[i] for i in indices],
                     [result.cells[i] for i in indices] if result.cells else [], result.query, result.params,
                     result.graph_version)
        rows = json_rows(sub, cols)
        header = json_header(result, cols + [f"{c}_iri" for c in cols if rows and f"{c}_iri" in rows[0]],
                             len(rows), len(result.rows))
        if fmt == "json":
            return json.dumps({**header, "results": rows}, indent=2, ensure_ascii=False) + "\n"
        return "\n".join(json.dumps(x, ensure_ascii=False) for x in [header, *rows]) + "\n"
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        if fmt == "csv":
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(cols)
            writer.writerows([[result.rows[i][c] for c in cols] for i in indices])
        else:  # one line a row: tabs and newlines inside a value become spaces
            buf.write("\t".join(cols) + "\n")
            for i in indices:
                buf.write("\t".join(" ".join(result.rows[i][c].split()) for c in cols) + "\n")
        return buf.getvalue()
    return _table(result, cols, indices, width, wide, max_lines)


def terminal_width() -> int:
    import shutil

    return max(40, shutil.get_terminal_size((100, 24)).columns)


def _table(result: Result, cols: list[str], indices: list[int], width: int | None, wide: bool,
           max_lines: int) -> str:
    import textwrap

    width = width or terminal_width()
    texts = [[" ".join(result.rows[i][c].split()) for c in cols] for i in indices]
    natural = [max([len(c)] + [len(row[k]) for row in texts]) for k, c in enumerate(cols)]
    sizes = list(natural)
    if not wide:
        budget = width - 3 * (len(cols) - 1)
        floor = [min(natural[k], max(6, len(c) if len(c) <= 12 else 12)) for k, c in enumerate(cols)]
        if sum(floor) > budget:  # too many columns for the terminal: one block per row
            return _blocks(result, cols, indices, texts, width, max_lines)
        while sum(sizes) > budget:
            k = max(range(len(cols)), key=lambda j: sizes[j] - floor[j])
            if sizes[k] <= floor[k]:
                break  # cannot fit: the narrowest possible table
            sizes[k] -= 1
    shortened = 0

    def lines_of(text: str, size: int) -> list[str]:
        nonlocal shortened
        if wide or len(text) <= size:
            return [text]
        wrapped = textwrap.wrap(text, size, break_long_words=True, break_on_hyphens=False) or [""]
        if len(wrapped) > max_lines:
            shortened += 1
            wrapped = wrapped[:max_lines]
            wrapped[-1] = wrapped[-1][: size - 1] + "…"
        return wrapped

    header = [lines_of(c, sizes[k]) for k, c in enumerate(cols)]
    out = []

    def emit(cells: list[list[str]]) -> None:
        for n in range(max(len(x) for x in cells)):
            out.append(" | ".join((cells[k][n] if n < len(cells[k]) else "").ljust(sizes[k])
                                  for k in range(len(cols))).rstrip())

    emit(header)
    out.append("-+-".join("-" * w for w in sizes))
    for row in texts:
        emit([lines_of(v, sizes[k]) for k, v in enumerate(row)])
    total = len(result.rows)
    footer = f"{total} row{'s' if total != 1 else ''}{_resting_on(result)}"
    if len(indices) < total:
        footer += f"; {len(indices)} shown (--limit)"
    if shortened:
        footer += f"; {shortened} cell{'s' if shortened != 1 else ''} shortened (--wide, or --format csv/json, shows them whole)"
    out.append(f"({footer})")
    return "\n".join(out) + "\n"


def _footer(result: Result, shown: int, shortened: int) -> str:
    total = len(result.rows)
    footer = f"{total} row{'s' if total != 1 else ''}{_resting_on(result)}"
    if shown < total:
        footer += f"; {shown} shown (--limit)"
    if shortened:
        footer += (f"; {shortened} cell{'s' if shortened != 1 else ''} shortened (--wide, or --format csv/json, "
                   "shows them whole)")
    return f"({footer})"


def _blocks(result: Result, cols: list[str], indices: list[int], texts: list[list[str]], width: int,
            max_lines: int) -> str:
    """Each row as ``column  value`` lines (values wrapped), for results wider than the terminal."""
    import textwrap

    label = min(max(len(c) for c in cols), width // 3)
    size = max(10, width - label - 2)
    out, shortened = [], 0
    for n, row in enumerate(texts):
        out.append(f"-- row {n + 1} " + "-" * max(0, min(width, 40) - 9 - len(str(n + 1))))
        for c, v in zip(cols, row):
            if not v:
                continue
            lines = textwrap.wrap(v, size, break_long_words=True, break_on_hyphens=False) or [""]
            if len(lines) > max_lines:
                shortened += 1
                lines = lines[:max_lines]
                lines[-1] = lines[-1][: size - 1] + "…"
            name = c if len(c) <= label else c[: label - 1] + "…"
            out.append(f"{name.ljust(label)}  {lines[0]}")
            out += [" " * (label + 2) + x for x in lines[1:]]
    out.append(_footer(result, len(indices), shortened))
    return "\n".join(out) + "\n"
