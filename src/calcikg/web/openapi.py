"""The OpenAPI 3.1 description of the API, generated from the stored queries' ``#+`` decorators."""

from __future__ import annotations

from calcikg.query import TERM_TYPES, StoredQuery

_ERROR = {"description": "a one-line message", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}}}}
_ANSWER = {"type": "object", "required": ["query", "parameters", "columns", "rows", "total_rows", "results"],
           "properties": {"query": {"type": "string"}, "parameters": {"type": "object"},
                          "graph_version": {"type": ["string", "null"]}, "columns": {"type": "array",
                          "items": {"type": "string"}}, "rows": {"type": "integer"}, "total_rows": {"type": "integer"},
                          "reports": {"type": ["integer", "null"]}, "results": {"type": "array",
                                                                               "items": {"type": "object"}}}}


def _parameter(p) -> dict:
    schema: dict = {"type": "integer" if p.type == "integer" else "string"}
    if p.values:
        schema["enum"] = list(p.values)
    if p.default is not None:
        schema["default"] = int(p.default) if p.type == "integer" else p.default
    what = f"a {TERM_TYPES[p.type]}: label, synonym or CURIE" if p.type in TERM_TYPES else p.type
    return {"name": p.name, "in": "query", "required": p.required, "schema": schema,
            "description": (p.description or what) + f" ({what})" * bool(p.description and p.type in TERM_TYPES)}


def describe(queries, version: str = "") -> dict:
    """One GET operation per stored query (JSON and CSV), the term search and the query list."""
    paths: dict = {}
    for stored in sorted(queries, key=lambda s: s.name):
        stored: StoredQuery
        params = [_parameter(p) for p in stored.params.values()]
        for ext, media, schema in (("", "application/json", _ANSWER), (".csv", "text/csv", {"type": "string"})):
            paths[f"/api/queries/{stored.name}{ext}"] = {"get": {
                "operationId": f"{stored.name.replace('-', '_')}{'_csv' if ext else ''}",
                "summary": stored.summary, "description": stored.description, "tags": list(stored.tags),
                "parameters": params,
                "responses": {"200": {"description": "the rows, as `calcikg query --format "
                                                     f"{'csv' if ext else 'json'}` prints them",
                                      "content": {media: {"schema": schema}}},
                              "400": _ERROR, "503": _ERROR}}}
    paths["/api/terms"] = {"get": {
        "operationId": "terms", "summary": "Find terms by label, synonym, CURIE or external code (as calcikg terms)",
        "parameters": [{"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
                       {"name": "kind", "in": "query", "required": False, "schema": {"type": "string"},
                        "description": "a parameter type (condition, treatment, calcinosis, case, report, term) "
                                       "or a kind of calcikg terms --kind"},
                       {"name": "limit", "in": "query", "required": False,
                        "schema": {"type": "integer", "default": 10, "minimum": 1, "maximum": 100}}],
        "responses": {"200": {"description": "matching terms, best first", "content": {"application/json": {
            "schema": {"type": "array", "items": {"type": "object"}}}}}, "400": _ERROR}}}
    paths["/api/queries"] = {"get": {"operationId": "queries", "summary": "The stored queries and their parameters",
                                     "responses": {"200": {"description": "one object per query"}}}}
    return {"openapi": "3.1.0",
            "info": {"title": "CalciKG API", "version": version or "unversioned",
                     "description": "Read-only answers of the stored questions of the CalciKG knowledge graph."},
            "paths": paths}
