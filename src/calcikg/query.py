"""Stage 4: stored SPARQL queries (``queries/*.rq``), run on the built graph or on an endpoint.

Each ``.rq`` file opens with grlc-style ``#+`` decorator lines that together are YAML::

    #+ summary: Treatments reported with a favourable outcome in a condition
    #+ tags: [treatment, evidence]
    #+ params:
    #+   condition: {type: condition, default: juvenile dermatomyositis, description: ...}

Parameters are bound as RDF terms, never pasted into the text: through rdflib's ``initBindings``
on the embedded graph, and through a ``VALUES`` block of escaped terms placed at the start of the
outer ``WHERE`` group for a remote endpoint. A term parameter (condition, treatment, case...) is
first resolved against the graph's labels, synonyms and CURIEs, so only IRIs the graph knows are
ever sent. This module imports neither pySHACL nor a reasoner: the query path stays light.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from calcikg import paths
from calcikg.errors import CalciKGError, NotBuiltError, UsageError
from calcikg.namespaces import CKD, converter
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
_IRI_OK = re.compile(r'^[^\s<>"{}|^`\\]+$')


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
    """Rows of a query: column names in SELECT order, and one dict of strings per row."""

    columns: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)


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


# -- the embedded graph -----------------------------------------------------------------------
def load_graph(path: Path | None = None) -> Graph:
    """The built graph (ontology + mappings + instances)."""
    path = path or paths.GRAPH_TTL
    if not path.exists():
        raise NotBuiltError(f"{path} does not exist: run 'calcikg build' first")
    return _parse(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=2)
def _parse(path: Path, _mtime: int) -> Graph:
    graph = Graph()
    graph.parse(path, format="turtle")
    return graph


@lru_cache(maxsize=2)
def _index(graph: Graph) -> TermIndex:
    return TermIndex.from_graph(graph)


def resolve_params(query: StoredQuery, given: dict[str, str], graph: Graph) -> dict[str, Node]:
    """Check and turn ``--param`` values into RDF terms (labels/synonyms/CURIEs -> IRIs)."""
    unknown = sorted(set(given) - set(query.params))
    if unknown:
        declared = ", ".join(query.params) or "none"
        raise UsageError(f"query {query.name!r} has no parameter {unknown[0]!r} (its parameters: {declared})")
    bindings: dict[str, Node] = {}
    for name, param in query.params.items():
        value = given.get(name, param.default)
        if value is None:
            if param.required:
                raise UsageError(f"query {query.name!r} needs --param {name}=... ({param.description or param.type})")
            continue
        bindings[name] = _term(query, param, value, graph)
    return bindings


def _term(query: StoredQuery, param: Param, value: str, graph: Graph) -> Node:
    if param.values and value not in param.values:
        raise UsageError(f"{param.name}={value!r} is not one of: {', '.join(param.values)}")
    if param.type == "integer":
        if not re.fullmatch(r"-?\d{1,12}", value):
            raise UsageError(f"{param.name}={value!r} is not a whole number")
        return Literal(int(value))
    if param.type == "string":
        if any(ch == "\\" or ord(ch) < 32 for ch in value):
            raise UsageError(f"{param.name}: backslashes and control characters are not accepted in a value")
        return Literal(value)
    text = value.strip()
    if param.type in {"case", "report"} and re.fullmatch(r"[a-z][a-z0-9-]*", text):
        text = str(CKD[text])  # a bare record id such as mouaddine2021-case3
    try:
        return URIRef(_index(graph).resolve(text, TERM_TYPES[param.type]).iri)
    except UnknownTerm as exc:
        raise UsageError(f"{param.name}: {exc}") from None


# -- running ------------------------------------------------------------------------------------
def _cell(node: Any) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        return converter.compress(str(node), passthrough=True)
    return str(node)


def run_local(query: StoredQuery, bindings: dict[str, Node], graph: Graph) -> Result:
    """Run on the embedded graph, binding parameters with rdflib's initBindings."""
    res = graph.query(query.text, initBindings=bindings)
    columns = [str(v) for v in res.vars]
    return Result(columns, [{c: _cell(row[i]) for i, c in enumerate(columns)} for row in res])


def sparql_term(node: Node) -> str:
    """An RDF term in SPARQL syntax, escaped; refuses anything that could leave its term."""
    if isinstance(node, URIRef):
        if not _IRI_OK.match(str(node)):
            raise UsageError(f"refusing to send an IRI with characters not allowed in IRIs: {str(node)!r}")
        return f"<{node}>"
    if isinstance(node, Literal):
        if node.datatype is not None and str(node.datatype).endswith("#integer"):
            return str(int(node))
        text = str(node)
        if any(ch == "\\" or ord(ch) < 32 for ch in text):
            raise UsageError("refusing to send a literal with backslashes or control characters")
        return '"' + text.replace('"', '\\"') + '"'
    raise UsageError(f"cannot send {node!r} as a SPARQL term")


def with_values(text: str, bindings: dict[str, Node]) -> str:
    """``text`` with ``VALUES ?p { term }`` blocks opening its outer WHERE group."""
    if not bindings:
        return text
    body = "\n".join(line for line in text.splitlines())
    m = re.search(r"\bWHERE\s*\{", _blank_comments(body), flags=re.IGNORECASE)
    if not m:
        raise CalciKGError("the stored query has no WHERE group to bind parameters in")
    values = "".join(f"\n  VALUES ?{name} {{ {sparql_term(node)} }}" for name, node in sorted(bindings.items()))
    return body[: m.end()] + values + body[m.end():]


def _blank_comments(text: str) -> str:
    """``text`` with comment lines blanked (same length), so that searches skip them."""
    return "\n".join(" " * len(line) if line.lstrip().startswith("#") else line for line in text.split("\n"))


def run_remote(query: StoredQuery, bindings: dict[str, Node], endpoint: str) -> Result:
    """Run on a SPARQL 1.1 endpoint through SPARQLWrapper."""
    from SPARQLWrapper import JSON, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    client = SPARQLWrapper(endpoint)
    client.setQuery(with_values(query.text, bindings))
    client.setReturnFormat(JSON)
    client.setMethod("POST")
    try:
        data = client.queryAndConvert()
    except SPARQLWrapperException as exc:
        raise CalciKGError(f"the endpoint {endpoint} refused the query: {exc}") from exc
    except OSError as exc:
        raise CalciKGError(f"cannot reach the endpoint {endpoint}: {exc}") from exc
    columns = data["head"]["vars"]
    rows = []
    for b in data["results"]["bindings"]:
        row = {}
        for c in columns:
            cell = b.get(c)
            if cell is None:
                row[c] = ""
            elif cell["type"] == "uri":
                row[c] = converter.compress(cell["value"], passthrough=True)
            else:
                row[c] = cell["value"]
        rows.append(row)
    return Result(columns, rows)


def run(name: str, given: dict[str, str] | None = None, endpoint: str | None = None,
        graph: Graph | None = None) -> Result:
    """Run stored query ``name`` with ``given`` parameters, embedded or on ``endpoint``."""
    query = get_query(name)
    graph = graph if graph is not None else load_graph()
    bindings = resolve_params(query, given or {}, graph)
    return run_remote(query, bindings, endpoint) if endpoint else run_local(query, bindings, graph)


# -- output -------------------------------------------------------------------------------------
def format_result(result: Result, fmt: str, width: int = 60) -> str:
    """``table`` (for people, long cells cut), ``csv`` (header row) or ``json`` (list of objects)."""
    if fmt == "json":
        return json.dumps(result.rows, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=result.columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(result.rows)
        return buf.getvalue()
    if fmt != "table":
        raise UsageError(f"unknown format {fmt!r} (table, csv, json)")

    def cut(s: str) -> str:
        s = " ".join(s.split())
        return s if len(s) <= width else s[: width - 1] + "…"

    cells = [[cut(r[c]) for c in result.columns] for r in result.rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(result.columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(result.columns, widths)).rstrip(),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    lines.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(lines) + "\n"
