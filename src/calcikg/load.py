"""Upload the built graph into a triple store through the SPARQL 1.1 Graph Store HTTP Protocol.

``PUT <store>?graph=<IRI>`` with the file as the body replaces that named graph: in one step on
Oxigraph (``/store``), Virtuoso (``/sparql-graph-crud-auth``, digest authentication) and Fuseki
(``/DATASET/data``), so a query never sees half a graph. Credentials go as HTTP basic or digest
authentication (whichever the store asks for) or as a bearer token. Every failure is one line.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from calcikg import paths
from calcikg.errors import CalciKGError, NotBuiltError, UsageError
from calcikg.release import DATA_GRAPH_IRI

#: The named graph ``calcikg load`` replaces unless ``--graph`` names another: the IRI the built
#: graph gives itself (``owl:Ontology`` of the populated graph).
DEFAULT_GRAPH = DATA_GRAPH_IRI

_TYPES = {".ttl": "text/turtle", ".nt": "application/n-triples"}
#: Where the Graph Store is on the stores docs/stores.md describes, for the hint of a 404.
_HINT = ("the Graph Store URL is e.g. http://HOST:7878/store (Oxigraph), http://HOST:8890/sparql-graph-crud-auth "
         "(Virtuoso), http://HOST:3030/DATASET/data (Fuseki)")


@dataclass(frozen=True)
class Loaded:
    """What was uploaded where."""

    file: Path
    graph: str
    url: str
    status: int
    size: int


def load_graph_store(store: str, file: Path | None = None, *, graph: str | None = DEFAULT_GRAPH,
                     user: str | None = None, password: str | None = None, token: str | None = None,
                     timeout: float = 300) -> Loaded:
    """PUT ``file`` (the built ``kg/calcikg.nt`` by default) into ``graph`` (``None``: the default
    graph) of the Graph Store at ``store``."""
    file = Path(file or paths.GRAPH_NT)
    if not file.exists():
        raise NotBuiltError(f"{file} does not exist: run 'calcikg build' first")
    content_type = _TYPES.get(file.suffix)
    if content_type is None:
        raise UsageError(f"{file}: calcikg load uploads Turtle (.ttl) or N-Triples (.nt)")
    url = _target(store, graph)
    if (user is None) != (password is None):
        raise UsageError("give --user and --password together")
    if token and user:
        raise UsageError("give --user/--password or --token, not both")
    body = file.read_bytes()
    request = urllib.request.Request(url, data=body, method="PUT",
                                     headers={"Content-Type": content_type, "Content-Length": str(len(body))})
    # a bodiless HEAD first: a store that refuses a PUT before reading its body closes the
    # connection under a client still sending megabytes (a reset, not a readable 401)
    challenge = _probe(store, url, None, min(timeout, 60))
    if challenge is not None and not (token or user):
        raise CalciKGError(f"the store at {store} needs credentials (--user/--password or --token) (HTTP 401)")
    if token or user is not None:
        header = (lambda req: f"Bearer {token}") if token else \
            (lambda req: _authorization(req, challenge or "", user or "", password or ""))
        probe = urllib.request.Request(url, method="HEAD")
        probe.add_header("Authorization", header(probe))
        if _probe(store, url, probe, min(timeout, 60)) is not None:
            raise CalciKGError(f"the store at {store} refused the credentials (HTTP 401)")
        request.add_header("Authorization", header(request))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise CalciKGError(_refusal(store, exc, bool(token or user))) from None
    except (OSError, ValueError) as exc:  # refused, unknown host, timeout
        raise CalciKGError(f"cannot reach the store at {store}: {_reason(exc)}") from None
    return Loaded(file, graph or "", url, status, len(body))


def _target(store: str, graph: str | None) -> str:
    parts = urllib.parse.urlsplit(store)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise UsageError(f"--endpoint {store!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--endpoint {store!r} is not an http(s) URL ({_HINT})")
    if parts.query:
        raise UsageError(f"--endpoint {store!r}: give the Graph Store URL without a query string "
                         "(the graph is named with --graph)")
    if graph is not None:
        g = urllib.parse.urlsplit(graph)
        if not g.scheme or any(ch in graph for ch in ' <>"{}|^`\\'):
            raise UsageError(f"--graph {graph!r} is not an absolute IRI (e.g. {DEFAULT_GRAPH})")
    query = urllib.parse.urlencode({"graph": graph}) if graph is not None else "default"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _reason(exc: Exception) -> str:
    return " ".join(str(getattr(exc, "reason", None) or exc).split())[:200] or type(exc).__name__


def _probe(store: str, url: str, request: urllib.request.Request | None, timeout: float) -> str | None:
    """HEAD ``url``: the authentication challenge if the store answers 401 (``None`` otherwise); a
    403 is a refusal. Any other answer (200, 404, 405...) is left to the PUT to judge."""
    try:
        urllib.request.urlopen(request or urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            return exc.headers.get("WWW-Authenticate", "")
        if exc.code == 403:
            raise CalciKGError(_refusal(store, exc, request is not None)) from None
    except (OSError, ValueError) as exc:
        raise CalciKGError(f"cannot reach the store at {store}: {_reason(exc)}") from None
    return None


def _authorization(request: urllib.request.Request, challenge: str, user: str, password: str) -> str:
    """The ``Authorization`` header for ``request``: digest when the store's challenge asks for it
    (Virtuoso), basic otherwise."""
    scheme, _, params = challenge.partition(" ")
    if scheme.lower() == "digest":
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, request.full_url, user, password)
        fields = urllib.request.parse_keqv_list(filter(None, urllib.request.parse_http_list(params)))
        auth = urllib.request.HTTPDigestAuthHandler(manager).get_authorization(request, fields)
        if auth:
            return f"Digest {auth}"
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _refusal(store: str, exc: urllib.error.HTTPError, with_credentials: bool) -> str:
    """One line for an HTTP error answer: refused credentials, no Graph Store there, or the store's reason."""
    if exc.code in (401, 403):
        what = "refused the credentials" if with_credentials else "needs credentials (--user/--password or --token)"
        return f"the store at {store} {what} (HTTP {exc.code})"
    if exc.code in (404, 405):
        return f"no Graph Store at {store} (HTTP {exc.code}): {_HINT}"
    try:
        text = exc.read(4000).decode("utf-8", "replace")
    except OSError:
        text = ""
    return f"the store at {store} answered HTTP {exc.code}: {_first_line(text) or exc.reason}"


def _first_line(text: str) -> str:
    """The message of an error page: Virtuoso's sits in an <xmp> element, others send plain text."""
    import re

    m = re.search(r"<xmp>(.*?)</xmp>", text, re.DOTALL)
    text = m.group(1) if m else re.sub(r"<[^>]+>", " ", text)
    return " ".join(text.split())[:200]
