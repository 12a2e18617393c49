"""Stage 5: serve the built graph read-only over SPARQL 1.1 (``calcikg serve``).

Two processes, both stopped together:

- the Oxigraph server binary (PyPI package ``oxigraph``), ``serve-read-only`` over a store loaded
  into a fresh temporary folder, listening on a private loopback port;
- in front of it, a thin ASGI app (Starlette on uvicorn) on the public address, which

  * refuses ``SERVICE`` (federated query: an outbound request to any address named in a query)
    unless ``--allow-service`` is given;
  * gives each query a time limit (``--timeout``, default 5 s): past it the client gets HTTP 503
    and the Oxigraph process is replaced, so the runaway query stops using a core at once
    (Oxigraph's own ``--timeout-s`` is passed too, but it cancels late, and then sends HTTP 200
    with the error message inside a half-written JSON document);
  * reads each answer whole and checks it parses before sending it, so a failure part-way through
    a result is an HTTP 500 with a one-line message, never a 200 with broken JSON;
  * answers ``/health`` (200 with the graph's ``owl:versionIRI``, or 503) and refuses
    ``/update`` and Graph Store writes (403).

SIGTERM or SIGINT stop both and remove the temporary store. The public socket is bound before
anything is loaded, so a port in use is a one-line error, and an address beyond loopback needs
``--public`` (and prints a warning).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from calcikg import paths
from calcikg.errors import CalciKGError, NotBuiltError

DEFAULT_TIMEOUT = 5.0
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
MAX_QUERY_CHARS = 100_000
MAX_RESULT_BYTES = 64 * 1024 * 1024

SOLUTIONS = {  # media type -> pyoxigraph QueryResultsFormat name
    "application/sparql-results+json": "JSON",
    "application/json": "JSON",
    "application/sparql-results+xml": "XML",
    "application/xml": "XML",
    "text/csv": "CSV",
    "text/tab-separated-values": "TSV",
}
GRAPHS = {  # media type -> pyoxigraph RdfFormat name
    "application/n-triples": "N_TRIPLES",
    "text/turtle": "TURTLE",
    "application/rdf+xml": "RDF_XML",
    "application/n-quads": "N_QUADS",
}


def oxigraph_binary() -> str:
    """The ``oxigraph`` command installed beside this Python, or on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise CalciKGError("the Oxigraph server is not installed: pip install oxigraph (or run 'make setup')")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# -- SERVICE detection ---------------------------------------------------------------------------
_UNESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKENS = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                     r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*', re.DOTALL)
_SERVICE = re.compile(r"(?<![\w?$:.\-])SERVICE(?![\w:\-])", re.IGNORECASE)


def uses_service(query: str) -> bool:
    """Whether ``query`` has a ``SERVICE`` clause (keywords only: not in strings, IRIs or comments).

    Code-point escapes (``\\u0053``) are decoded first, as SPARQL does before parsing.
    """
    try:
        text = _UNESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), query)
    except (ValueError, OverflowError):
        return True
    return bool(_SERVICE.search(_TOKENS.sub(" ", text)))


# -- the Oxigraph child --------------------------------------------------------------------------
class Upstream:
    """The Oxigraph ``serve-read-only`` process on a private loopback port; replaceable."""

    def __init__(self, store: Path, log: Path, timeout: float):
        self.binary = oxigraph_binary()
        self.store, self.log, self.timeout = store, log, timeout
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.generation = 0

    def start(self, wait: float = 30.0) -> None:
        port = free_port()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "serve-read-only", "--location", str(self.store), "--bind", f"127.0.0.1:{port}",
                 "--timeout-s", str(max(1, math.ceil(self.timeout)) + 1)],
                stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}/query"
        self.generation += 1
        probe = self.url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CalciKGError(f"the Oxigraph server stopped at start-up: {_last_line(self.log)}")
            try:
                with urllib.request.urlopen(probe, timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        raise CalciKGError(f"the Oxigraph server did not answer on {self.url} within {wait:.0f} s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()  # read-only: nothing to flush; a runaway query must stop now
            process.wait()

    def replace(self, generation: int) -> None:
        """Stop the process of ``generation`` (if it is still the current one) and start a fresh one."""
        if generation == self.generation:
            self.stop()
            self.start()


def _last_line(log: Path) -> str:
    try:
        lines = [x for x in log.read_text(encoding="utf-8", errors="replace").splitlines() if x.strip()]
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""


def load_store(graph_file: Path, store: Path) -> None:
    """Bulk-load ``graph_file`` into a new Oxigraph store; a file that does not parse is a one-line error."""
    loaded = subprocess.run([oxigraph_binary(), "load", "--location", str(store), "--file", str(graph_file)],
                            capture_output=True, text=True)
    if loaded.returncode != 0:
        lines = [x.strip() for x in loaded.stderr.splitlines() if x.strip()]
        reason = next((x for x in lines if "error" in x.lower()), lines[-1] if lines else "unknown error")
        raise CalciKGError(f"{graph_file} is not a readable graph (truncated or corrupt? run 'calcikg build'): "
                           f"{reason[:300]}")
    # compacted for reading: about half the query time of a freshly loaded store
    subprocess.run([oxigraph_binary(), "optimize", "--location", str(store)], capture_output=True)


# -- the ASGI app --------------------------------------------------------------------------------
@dataclass
class Settings:
    timeout: float = DEFAULT_TIMEOUT
    allow_service: bool = False
    version: str = ""
    workers: int = max(2, os.cpu_count() or 2)
    queue_timeout: float = 30.0
    cache_bytes: int = 32 * 2**20


class ResultCache:
    """Checked answers by (query, parameters, Accept), least recently used out first, bounded in bytes.

    The graph is read-only while it is served, so an answer stays right until the server stops.
    """

    def __init__(self, limit: int):
        from collections import OrderedDict

        self.limit, self.size, self.items = limit, 0, OrderedDict()
        self.hits = self.misses = 0

    def get(self, key):
        found = self.items.get(key)
        if found is None:
            self.misses += 1
            return None
        self.items.move_to_end(key)
        self.hits += 1
        return found

    def put(self, key, value: tuple[bytes, str]) -> None:
        cost = len(value[0]) + sum(len(str(k)) for k in key)
        if cost > self.limit // 4:
            return
        old = self.items.pop(key, None)
        if old is not None:
            self.size -= len(old[0])
        self.items[key] = value
        self.size += cost
        while self.size > self.limit and self.items:
            k, v = self.items.popitem(last=False)
            self.size -= len(v[0]) + sum(len(str(x)) for x in k)


def _wanted(accept: str, table: dict[str, str], default: str) -> str | None:
    """The media type of ``table`` the client prefers (``accept`` header), ``default`` for */*; None if none."""
    if not accept.strip():
        return default
    choices = []
    for i, part in enumerate(accept.split(",")):
        items = [x.strip() for x in part.split(";")]
        q = 1.0
        for item in items[1:]:
            if item.startswith("q="):
                try:
                    q = float(item[2:])
                except ValueError:
                    q = 0.0
        choices.append((-q, i, items[0].lower()))
    for q, _, media in sorted(choices):
        if q == 0:
            continue
        if media in table:
            return media
        if media in ("*/*", "application/*", "text/*"):
            return default
    return None


def _text(status: int, message: str):
    from starlette.responses import PlainTextResponse

    return PlainTextResponse(message.rstrip("\n") + "\n", status_code=status)


def create_app(upstream: Upstream, settings: Settings):
    """The Starlette app in front of ``upstream``."""
    import httpx
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    state: dict = {}
    lock = asyncio.Lock()
    # queries run at most `workers` at a time (one per core): 50 queries at once on 2 cores would
    # each get 1/25 of a core; the others wait their turn, and the time limit starts when one runs
    gate = asyncio.Semaphore(settings.workers)
    cache = ResultCache(settings.cache_bytes) if settings.cache_bytes > 0 else None

    async def replace(generation: int) -> None:
        async with lock:
            await asyncio.to_thread(upstream.replace, generation)

    async def forward(form: dict[str, list[str]]) -> tuple[int, str, bytes]:
        client: httpx.AsyncClient = state["client"]
        for attempt in range(2):
            try:
                await asyncio.wait_for(gate.acquire(), settings.queue_timeout)
            except asyncio.TimeoutError:
                raise _Busy() from None
            try:
                generation, url = upstream.generation, upstream.url
                response = await asyncio.wait_for(
                    client.post(url, data=form, headers={
                        "Accept": "application/sparql-results+json, application/n-triples;q=0.9"}),
                    settings.timeout)
                return response.status_code, response.headers.get("content-type", ""), response.content
            except (asyncio.TimeoutError, httpx.TimeoutException):
                await replace(generation)  # kills the runaway query
                raise
            except httpx.TransportError:
                if attempt == 0:  # replaced under us (another query's time limit) or died: once more
                    if generation == upstream.generation:
                        await replace(generation)
                    continue
                raise
            finally:
                gate.release()
        raise AssertionError("unreachable")

    async def query(request):
        form: dict[str, list[str]] = {}
        if request.method == "GET":
            for key, value in request.query_params.multi_items():
                form.setdefault(key, []).append(value)
        else:
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await request.body()
            if len(body) > 4 * MAX_QUERY_CHARS:
                return _text(413, "the request is too large")
            text = body.decode("utf-8", errors="replace")
            if ctype == "application/sparql-query":
                form["query"] = [text]
                for key, value in request.query_params.multi_items():
                    if key != "query":
                        form.setdefault(key, []).append(value)
            elif ctype in ("application/x-www-form-urlencoded", ""):
                for key, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
                    form.setdefault(key, []).append(value)
            elif ctype == "application/sparql-update":
                return _text(403, "this endpoint is read-only: updates are refused")
            else:
                return _text(415, f"unsupported content type {ctype!r} (use application/sparql-query or a form)")
        if "update" in form:
            return _text(403, "this endpoint is read-only: updates are refused")
        queries = form.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            return _text(400, "give exactly one SPARQL query (the 'query' parameter)")
        if len(queries[0]) > MAX_QUERY_CHARS:
            return _text(413, f"the query is longer than {MAX_QUERY_CHARS:,} characters")
        if not settings.allow_service and uses_service(queries[0]):
            return _text(400, "SERVICE (federated query) is disabled on this endpoint: no outbound requests "
                              "(start 'calcikg serve --allow-service' to enable it)")
        accept = request.headers.get("accept", "")
        key = (tuple(sorted((k, tuple(v)) for k, v in form.items())), accept)
        if cache is not None:
            found = cache.get(key)
            if found is not None:
                return Response(found[0], media_type=found[1])
        try:
            status, ctype, body = await forward(form)
        except _Busy:
            return _text(503, f"the server is busy: the query waited {settings.queue_timeout:g} s for its turn")
        except (asyncio.TimeoutError, httpx.TimeoutException):
            return _text(503, f"the query was cancelled: it ran longer than the time limit of {settings.timeout:g} s")
        except httpx.TransportError as exc:
            return _text(502, f"the SPARQL engine did not answer: {type(exc).__name__}")
        if status != 200:
            message = body.decode("utf-8", errors="replace").strip().splitlines()
            return _text(status if 400 <= status < 600 else 502,
                         " ".join(message)[:2000] or f"the SPARQL engine answered HTTP {status}")
        if len(body) > MAX_RESULT_BYTES:
            return _text(507, f"the result is larger than {MAX_RESULT_BYTES // 2**20} MB: add a LIMIT")
        try:
            answer = await asyncio.to_thread(_checked, ctype, body, accept)
            if cache is not None:
                cache.put(key, (answer.body, answer.media_type))
            return answer
        except _NotAcceptable as exc:
            return _text(406, str(exc))
        except (ValueError, SyntaxError, UnicodeDecodeError) as exc:
            reason = " ".join(str(exc).split())[:300]
            return _text(500, f"the query failed while its result was written, so no partial result is sent: "
                              f"{reason}")

    async def health(request):
        try:
            response = await asyncio.wait_for(
                state["client"].post(upstream.url, data={"query": "ASK { ?s ?p ?o }"},
                                     headers={"Accept": "application/sparql-results+json"}), 5)
            ok = response.status_code == 200 and json.loads(response.content).get("boolean") is True
        except Exception:  # noqa: BLE001 - any failure is "unhealthy"
            ok = False
        return JSONResponse({"status": "ok" if ok else "unavailable", "graph_version": settings.version,
                             "time_limit_s": settings.timeout, "service_allowed": settings.allow_service,
                             "cache": None if cache is None else {"entries": len(cache.items), "bytes": cache.size,
                                                                  "hits": cache.hits, "misses": cache.misses}},
                            status_code=200 if ok else 503)

    async def read_only(request):
        return _text(403, "this endpoint is read-only: updates and Graph Store writes are refused")

    async def index(request):
        return PlainTextResponse(f"CalciKG SPARQL endpoint (read-only): /query; health: /health; graph "
                                 f"{settings.version}\n")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        # Nagle off: h11 writes the headers and the body separately, and the body would wait for
        # the delayed ACK of the headers (~40 ms a query)
        transport = httpx.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
                                             limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
        state["client"] = httpx.AsyncClient(timeout=httpx.Timeout(None), transport=transport)
        try:
            yield
        finally:
            await state["client"].aclose()

    return Starlette(routes=[Route("/query", query, methods=["GET", "POST"]),
                             Route("/sparql", query, methods=["GET", "POST"]),
                             Route("/health", health, methods=["GET"]),
                             Route("/update", read_only, methods=["GET", "POST", "PUT", "DELETE"]),
                             Route("/store", read_only, methods=["GET", "POST", "PUT", "DELETE", "HEAD"]),
                             Route("/", index, methods=["GET"])],
                     lifespan=lifespan)


class _NotAcceptable(Exception):
    pass


class _Busy(Exception):
    pass


def _checked(ctype: str, body: bytes, accept: str):
    """The upstream answer, parsed whole (a failure part-way raises), in the format the client asked for."""
    from pyoxigraph import QueryResultsFormat, RdfFormat, parse, parse_query_results, serialize
    from starlette.responses import Response

    media = ctype.split(";")[0].strip().lower()
    if media == "application/sparql-results+json":
        json.loads(body)  # the cheap, complete check
        wanted = _wanted(accept, SOLUTIONS, "application/sparql-results+json")
        if wanted is None:
            raise _NotAcceptable(f"a SELECT or ASK result can be sent as: {', '.join(SOLUTIONS)}")
        if SOLUTIONS[wanted] == "JSON":
            return Response(body, media_type="application/sparql-results+json")
        results = parse_query_results(body, format=QueryResultsFormat.JSON)
        return Response(results.serialize(format=getattr(QueryResultsFormat, SOLUTIONS[wanted])), media_type=wanted)
    if media == "application/n-triples":
        triples = list(parse(body, format=RdfFormat.N_TRIPLES))
        wanted = _wanted(accept, GRAPHS, "application/n-triples")
        if wanted is None:
            raise _NotAcceptable(f"a CONSTRUCT or DESCRIBE result can be sent as: {', '.join(GRAPHS)}")
        if wanted == "application/n-triples":
            return Response(body, media_type=wanted)
        return Response(serialize(triples, format=getattr(RdfFormat, GRAPHS[wanted])), media_type=wanted)
    raise ValueError(f"unexpected result type {media!r} from the SPARQL engine")


# -- running it ----------------------------------------------------------------------------------
def bind(host: str, port: int, public: bool = False, what: str = "query the graph (read-only)") -> socket.socket:
    """The listening socket; a port in use or a public address without ``public`` is a one-line error,
    and a public address with it a warning on stderr saying that any machine that reaches it can ``what``."""
    if host not in LOOPBACK and not public:
        raise CalciKGError(f"--host {host} is beyond loopback: add --public to serve other machines "
                           f"(read-only, but anyone who can reach it can run queries)")
    if host not in LOOPBACK:
        print(f"calcikg: warning: serving on {host}, beyond loopback: any machine that reaches it can {what}; "
              "put it behind a firewall or a reverse proxy", file=sys.stderr, flush=True)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto given: asyncio turns Nagle off only on sockets whose proto is IPPROTO_TCP (else ~40 ms a response)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT only; a listener still blocks
        sock.bind((host, port))
        sock.listen(256)
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48):  # EADDRINUSE (Linux, macOS)
            raise CalciKGError(f"port {port} on {host} is already in use: stop what listens there or "
                               f"choose another with --port") from None
        raise CalciKGError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def graph_version(graph_file: Path) -> str:
    """The graph's ``owl:versionIRI`` (read from the Turtle header, without parsing the graph)."""
    with open(graph_file, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.search(r"owl:versionIRI\s+<([^>]+)>", line)
            if m:
                return m.group(1)
    return ""


def run_server(host: str = "127.0.0.1", port: int = 7878, timeout: float = DEFAULT_TIMEOUT,
               allow_service: bool = False, public: bool = False, graph_file: Path | None = None,
               announce=print, cache_mb: float = 32) -> int:
    """``calcikg serve``: run until SIGTERM or SIGINT, then stop Oxigraph and remove its store."""
    import uvicorn

    graph_file = graph_file or paths.GRAPH_TTL
    if not graph_file.exists():
        raise NotBuiltError(f"{graph_file} does not exist: run 'calcikg build' first")
    if not timeout > 0:
        raise CalciKGError("--timeout must be a positive number of seconds")
    sock = bind(host, port, public)
    work = Path(tempfile.mkdtemp(prefix="calcikg-serve-"))
    upstream = Upstream(work / "store", work / "oxigraph.log", timeout)

    def stop(signum, frame):
        raise SystemExit(0)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        load_store(graph_file, upstream.store)
        upstream.start()
        settings = Settings(timeout, allow_service, graph_version(graph_file), cache_bytes=int(cache_mb * 2**20))
        config = uvicorn.Config(create_app(upstream, settings), log_level="warning", access_log=False,
                                lifespan="on", timeout_graceful_shutdown=2)
        server = uvicorn.Server(config)
        shown = f"[{host}]" if ":" in host else host
        announce(f"serving the built graph read-only: SPARQL endpoint http://{shown}:{sock.getsockname()[1]}/query "
                 f"(health /health; time limit {timeout:g} s; SERVICE {'allowed' if allow_service else 'refused'}; "
                 f"Ctrl-C or SIGTERM stops)")
        sys.stdout.flush()
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        upstream.stop()
        shutil.rmtree(work, ignore_errors=True)
        sock.close()
        for s, h in previous.items():
            signal.signal(s, h)
    return 0


# -- for tests and the load test: `calcikg serve` as a child process ------------------------------
@dataclass
class Server:
    """A running ``calcikg serve`` process; ``stop()`` sends SIGTERM and waits for it."""

    process: subprocess.Popen
    url: str
    output: list[str] = field(default_factory=list)

    @property
    def query_url(self) -> str:
        return f"{self.url}/query"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start(graph_file: Path | None = None, host: str = "127.0.0.1", port: int | None = None,
          timeout: float = 60.0, query_timeout: float | None = None, allow_service: bool = False,
          cache_mb: float | None = None) -> Server:
    """Start ``calcikg serve`` in a child process on ``host:port`` and wait until it answers."""
    port = port or free_port(host)
    argv = [sys.executable, "-m", "calcikg", "serve", "--host", host, "--port", str(port)]
    if graph_file:
        argv += ["--graph", str(graph_file)]
    if query_timeout:
        argv += ["--timeout", str(query_timeout)]
    if allow_service:
        argv.append("--allow-service")
    if cache_mb is not None:
        argv += ["--cache-mb", str(cache_mb)]
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               stdin=subprocess.DEVNULL)
    server = Server(process, f"http://{host}:{port}")
    line = _read_line(process, timeout)
    if line is None or not line.startswith("serving"):
        server.stop()
        err = process.stderr.read().strip() if process.stderr else ""
        raise CalciKGError(f"calcikg serve did not start: {err or line or 'no output'}")
    server.output.append(line)
    return server


def _read_line(process: subprocess.Popen, timeout: float) -> str | None:
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sel.select(timeout=0.2):
            line = process.stdout.readline()
            return line.strip() if line else None
        if process.poll() is not None:
            return None
    return None
