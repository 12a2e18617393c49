"""``calcikg web``: the read-only browser interface (Starlette on uvicorn, pages rendered on the server).

Every request's work runs in a worker thread under a time limit (HTTP 503 past it), at most one
per core at a time; nothing here writes to the graph. Bad input is a 400 page (or JSON for the
API) with the one-line message ``calcikg query`` would print; an unknown page a 404 with near
matches.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections import defaultdict
from dataclasses import dataclass

from calcikg import query as q
from calcikg.errors import CalciKGError, NotBuiltError, UsageError
from calcikg.web import data, figures
from calcikg.web.render import STATIC, Links, cell_view, render, row_evidence

DEFAULT_TIMEOUT = 10.0
MAX_TEXT = 200  # a search text or a term name: longer is not a name (and near matches of it cost)
_LOOKUP = threading.Lock()


@dataclass
class Settings:
    timeout: float = DEFAULT_TIMEOUT
    workers: int = max(2, os.cpu_count() or 2)


def stored_queries() -> dict[str, q.StoredQuery]:
    return {x.name: x for x in q.list_queries()}


def given_params(stored: q.StoredQuery, items) -> dict[str, str]:
    """The query string's parameters for ``stored``: empty form fields are "not given"; the rest
    (unknown names included, which :func:`calcikg.query.resolve_params` refuses) as they are."""
    out = {}
    for key, value in items:
        if value.strip() == "" and key in stored.params:
            continue
        out[key] = value
    return out


def search_terms(source: data.Source, text: str, kind: str | None = None, limit: int = 10) -> list[dict]:
    """Terms for the search box and /api/terms: :func:`calcikg.lookup.lookup` over labels, synonyms,
    CURIEs and external codes; cases and reports from the graph by record id or label."""
    c = source.catalog
    if kind in ("case", "report"):
        pool = c.cases if kind == "case" else c.reports
        needle = text.casefold().strip()
        found = [i for i in pool if needle and (needle in data.local(i).casefold() or needle in c.label(i).casefold())]
        return [{"curie": q.compress(i), "label": c.label(i), "kind": kind, "source": "CalciKG", "in_graph": True,
                 "matched": data.local(i), "iri": i} for i in found[:limit]]
    from calcikg.lookup import lookup

    with _LOOKUP:  # one vocabulary made at a time: a search during the warm-up waits for it, not redoes it
        hits = lookup(text, kind=kind, limit=limit)
    out = []
    for hit in hits:
        out.append({"curie": hit.curie, "label": hit.label, "kind": hit.kind, "source": hit.source,
                    "in_graph": hit.iri in c.labels, "matched": hit.matched.get("text", ""), "iri": hit.iri})
    return out


def create_app(source: data.Source, settings: Settings | None = None):
    """The Starlette app over ``source``."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    settings = settings or Settings()
    gate = asyncio.Semaphore(settings.workers)
    queries = stored_queries()

    def page(template: str, status: int = 200, **context) -> HTMLResponse:
        links = Links(source.catalog)
        return HTMLResponse(render(template, links=links, catalog=source.catalog, static=False,
                                   version=source.version, **context), status_code=status)

    async def limited(work, *args):
        """``work(*args)`` in a thread, at most ``workers`` at a time, within the time limit."""
        async with gate:
            return await asyncio.wait_for(asyncio.to_thread(work, *args), settings.timeout)

    def error_page(status: int, message: str, near: list[str] | None = None) -> HTMLResponse:
        title = {400: "Bad request", 404: "Not found", 502: "The SPARQL endpoint failed", 503: "Too slow"}.get(
            status, "Error")
        return page("error.html", status, title=title, message=message, near=near or [])

    async def guarded(request, work, *args, api: bool = False):
        try:
            return await limited(work, *args)
        except data.NotFound as exc:
            if api:
                return JSONResponse({"error": str(exc)}, status_code=404)
            return error_page(404, str(exc), exc.near)
        except TimeoutError:
            message = f"the request was stopped: it ran longer than the time limit of {settings.timeout:g} s"
            return JSONResponse({"error": message}, 503) if api else error_page(503, message)
        except UsageError as exc:  # the request's fault: a parameter, a level, a search text
            return JSONResponse({"error": str(exc)}, status_code=400) if api else error_page(400, str(exc))
        except CalciKGError as exc:  # not the request's: the endpoint failed (502), or the graph or a query (500)
            status = 502 if source.endpoint and not isinstance(exc, NotBuiltError) else 500
            return JSONResponse({"error": str(exc)}, status) if api else error_page(status, str(exc))

    # -- pages -------------------------------------------------------------------------------------
    async def home(request):
        def work():
            tags = defaultdict(list)
            for stored in queries.values():
                for tag in stored.tags or ("other",):
                    tags[tag].append(stored)
            return page("home.html", title="CalciKG", coverage=data.coverage(source), tags=dict(sorted(tags.items())),
                        queries=queries, reports=source.catalog.reports, cases=source.catalog.cases, hits=None, q="")
        return await guarded(request, work)

    async def search(request):
        text = request.query_params.get("q", "").strip()

        def work():
            if len(text) > MAX_TEXT:
                raise UsageError(f"the search text is longer than {MAX_TEXT} characters")
            hits = search_terms(source, text, limit=25) if text else []
            return page("search.html", title=f"Search: {text}" if text else "Search", hits=hits, q=text)
        return await guarded(request, work)

    async def question(request):
        name = request.path_params["name"]
        stored = queries.get(name)
        if stored is None:
            return error_page(404, f"no stored question {name!r}", [])
        given = given_params(stored, request.query_params.multi_items())

        missing = [p.name for p in stored.params.values() if p.required and p.default is None and p.name not in given]
        if missing and not request.query_params:  # a first visit: the form to fill in, not an error
            return page("query.html", title=stored.summary, stored=stored, given=given, result=None, error=None,
                        rows=[], reports=set())

        def work():
            try:
                result = source.run(stored, given)
            except UsageError as exc:
                return page("query.html", 400, title=f"{stored.summary} (bad parameter)", stored=stored, given=given,
                            result=None, error=str(exc), rows=[], reports=set())
            links = Links(source.catalog)
            rows = []
            for i in range(len(result.rows)):
                evidence = row_evidence(result, i, source.catalog)
                cells = [cell_view(result, i, col, source.catalog, links) for col in result.columns]
                for col, cell in zip(result.columns, cells):  # a locator: to its place in the report
                    if col == "locator" and evidence and cell["text"] and not cell["href"]:
                        cell["href"] = links.of(evidence[0])
                rows.append({"cells": cells, "evidence": evidence})
            reports = {e.report for r in rows for s in r["evidence"] for e in source.catalog.evidence[s]}
            return page("query.html", title=stored.summary, stored=stored, given=given, result=result, rows=rows,
                        error=None, permalink=links.query(name, given), reports=reports)
        return await guarded(request, work)

    async def term(request):
        curie = request.path_params["curie"]

        def work():
            iri = source.catalog.term_iri(curie)
            if iri is None:
                near = source.catalog.near(curie) if len(curie) <= MAX_TEXT else []
                if len(curie) <= MAX_TEXT:  # a label or synonym (/term/JDM): what the term search finds
                    near = [h["iri"] for h in search_terms(source, curie, limit=5) if h["in_graph"]
                            and source.catalog.is_term(h["iri"]) and h["iri"] not in near] + near
                raise data.NotFound(f"no term {curie!r} in the graph", near)
            return page("term.html", title=f"{source.catalog.label(iri)} ({q.compress(iri)})", t=data.term(source, iri))
        return await guarded(request, work)

    async def case(request):
        def work():
            iri = data.check_known("case", request.path_params["key"], source)
            info = data.case(source, iri)
            return page("case.html", title=info["label"], c=info, timeline=figures.timeline(info["episodes"]))
        return await guarded(request, work)

    async def report(request):
        def work():
            iri = data.check_known("report", request.path_params["key"], source)
            info = data.report(source, iri)
            return page("report.html", title=f"{info['label']}: {info['bib']['title'] or ''}", r=info)
        return await guarded(request, work)

    def _map_args(request) -> tuple[str, str | None]:
        axis = request.query_params.get("axis", "conditions")
        level = request.query_params.get("level") or None
        if axis not in figures.AXES:
            raise UsageError(f"axis={axis!r} is not one of: {', '.join(figures.AXES)}")
        known = data.levels(source)
        if level is not None and level not in known:
            raise UsageError(f"level={level!r} is not one of the evidence levels in the graph: {', '.join(known)}")
        return axis, level

    async def evidence_map(request):
        def work():
            axis, level = _map_args(request)
            figure = figures.evidence_map(_statements(), source.catalog, axis, level)
            return page("map.html", title=f"Evidence map: treatments × {figures.AXES[axis]}"
                        + (f", level {level}" if level else ""), fig=figure,
                        levels=data.levels(source), axes=figures.AXES)
        return await guarded(request, work)

    async def map_cell(request):
        def work():
            axis, level = _map_args(request)
            c = source.catalog
            t = c.term_iri(request.query_params.get("treatment", ""))
            cond = request.query_params.get("condition", "")
            cond_iri = figures.NONE if cond == figures.NONE else c.term_iri(cond)
            if t is None or cond_iri is None:
                raise UsageError("give treatment=CURIE and condition=CURIE (or condition=none) of terms in the graph")
            grid = figures.cells(_statements(), c, axis, level)
            return page("cell.html", title=f"{c.label(t)} in {c.label(cond_iri)}", axis=axis, level=level,
                        treatment=t, condition=cond_iri, statements=grid.get((t, cond_iri), []))
        return await guarded(request, work)

    cache: dict = {}

    def _statements():
        if "map" not in cache:
            cache["map"] = data.map_statements(source)
        return cache["map"]

    async def api_page(request):
        return page("api.html", title="API", queries=queries)

    # -- API ---------------------------------------------------------------------------------------
    async def api_queries(request):
        return JSONResponse([{"name": s.name, "summary": s.summary, "tags": list(s.tags),
                              "parameters": {p.name: {"type": p.type, "default": p.default, "values": list(p.values),
                                                      "description": p.description} for p in s.params.values()}}
                             for s in queries.values()])

    async def api_query(request):
        name = request.path_params["name"]
        fmt = "json"
        for ext in ("csv", "json"):
            if name.endswith("." + ext):
                name, fmt = name[: -len(ext) - 1], ext
        stored = queries.get(name)
        if stored is None:
            return JSONResponse({"error": f"no stored query {name!r}; known queries: {', '.join(queries)}"}, 404)
        given = given_params(stored, request.query_params.multi_items())

        def work():
            result = source.run(stored, given)
            body = q.format_result(result, fmt)
            headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'} \
                if request.url.path.endswith("." + fmt) else {}
            media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
            return Response(body, media_type=media, headers=headers)
        return await guarded(request, work, api=True)

    async def api_terms(request):
        text = request.query_params.get("q", "")
        kind = request.query_params.get("kind") or None
        try:
            limit = int(request.query_params.get("limit", "10"))
        except ValueError:
            return JSONResponse({"error": "limit must be a whole number"}, 400)
        if not 0 < limit <= 100:
            return JSONResponse({"error": "limit must be between 1 and 100"}, 400)
        if len(text) > MAX_TEXT:
            return JSONResponse({"error": f"q is longer than {MAX_TEXT} characters"}, 400)
        if kind in q.TERM_TYPES:  # a parameter type (condition, term...) names the kind it resolves to
            kind = q.TERM_TYPES[kind]
        return await guarded(request, lambda: JSONResponse(search_terms(source, text, kind, limit)), api=True)

    async def openapi(request):
        from calcikg.web.openapi import describe

        return JSONResponse(describe(queries.values(), source.version))

    async def not_found(request, exc):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return error_page(exc.status_code, str(exc.detail), [])

    routes = [
        Route("/", home), Route("/search", search), Route("/queries/{name}", question),
        Route("/term/{curie:path}", term), Route("/case/{key}", case), Route("/report/{key}", report),
        Route("/map", evidence_map), Route("/map/cell", map_cell), Route("/api", api_page),
        Route("/api/queries", api_queries), Route("/api/queries/{name}", api_query), Route("/api/terms", api_terms),
        Route("/api/openapi.json", openapi), Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: not_found})

    def warm_up() -> None:
        """What the first search and the first map would otherwise wait for: the vocabulary (and the
        HPO) of the term search, the map's statements."""
        _statements()
        search_terms(source, "calcinosis", limit=1)

    app.state.warm_up = warm_up
    return app


def run_web(host: str = "127.0.0.1", port: int = 8080, public: bool = False, endpoint: str | None = None,
            timeout: float = DEFAULT_TIMEOUT, announce=print) -> int:
    """``calcikg web``: serve until SIGTERM or Ctrl-C. The socket is bound before the graph is loaded."""
    import signal

    from calcikg.serve import bind

    if not timeout > 0:
        raise CalciKGError("--timeout must be a positive number of seconds")
    sock = bind(host, port, public, what="browse the graph (read-only)")
    try:
        source = data.Source(endpoint=endpoint)
        source.catalog  # noqa: B018 - loaded before the first request, so that no request pays for it
        import uvicorn

        app = create_app(source, Settings(timeout=timeout))
        # after the first pages, not before: the start-up stays short, a later first search is quick
        warm = threading.Timer(1.0, app.state.warm_up)
        warm.daemon = True
        warm.start()

        def stop(signum, frame):
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, stop)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=2)
        shown = f"[{host}]" if ":" in host else host
        announce(f"serving the CalciKG browser at http://{shown}:{sock.getsockname()[1]}/ "
                 f"(read-only; {'endpoint ' + endpoint if endpoint else 'embedded graph'}; time limit {timeout:g} s; "
                 "Ctrl-C or SIGTERM stops)")
        sys.stdout.flush()
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


