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
    handlers: list = []
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    elif user is not None:
        handlers = _auth_handlers(store, user, password or "")
    try:
        with urllib.request.build_opener(*handlers).open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise CalciKGError(_refusal(store, exc, bool(token or user))) from None
    except (OSError, ValueError) as exc:  # refused, unknown host, timeout
        reason = " ".join(str(getattr(exc, "reason", None) or exc).split())[:200] or type(exc).__name__
        raise CalciKGError(f"cannot reach the store at {store}: {reason}") from None
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


def _auth_handlers(store: str, user: str, password: str) -> list:
    """Basic or digest authentication, answering the store's challenge (Virtuoso asks for digest)."""
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, store, user, password)
    return [urllib.request.HTTPDigestAuthHandler(manager), _Basic(manager)]


class _Basic(urllib.request.HTTPBasicAuthHandler):
    """Basic authentication that gives up after one refusal (urllib's retries a refused password)."""

    def http_error_401(self, req, fp, code, msg, headers):  # noqa: D102 - urllib's hook
        if req.get_header("Authorization"):
            return None
        user, password = self.passwd.find_user_password(None, req.full_url)
        if user is None or "basic" not in str(headers.get("WWW-Authenticate", "")).lower():
            return None
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        req.add_unredirected_header("Authorization", f"Basic {token}")
        return self.parent.open(req, timeout=req.timeout)


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
