"""Stage 5: serve the built graph over SPARQL 1.1 with Oxigraph's server, read-only (``calcikg serve``).

The server is the real Oxigraph binary from the PyPI package ``oxigraph``: the graph is loaded
into a fresh store directory, then ``oxigraph serve-read-only`` answers ``/query``; updates and
Graph Store writes get HTTP 403.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from calcikg import paths
from calcikg.errors import CalciKGError, NotBuiltError


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


@dataclass
class Server:
    """A running read-only Oxigraph server; ``stop()`` ends it and removes its store."""

    process: subprocess.Popen
    url: str
    store: Path

    @property
    def query_url(self) -> str:
        return f"{self.url}/query"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.store, ignore_errors=True)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start(graph_file: Path | None = None, host: str = "127.0.0.1", port: int | None = None,
          timeout: float = 30.0) -> Server:
    """Load ``graph_file`` into a fresh store and start the read-only server; wait until it answers."""
    graph_file = graph_file or paths.GRAPH_TTL
    if not graph_file.exists():
        raise NotBuiltError(f"{graph_file} does not exist: run 'calcikg build' first")
    binary = oxigraph_binary()
    store = Path(tempfile.mkdtemp(prefix="calcikg-oxigraph-"))
    loaded = subprocess.run([binary, "load", "--location", str(store), "--file", str(graph_file)],
                            capture_output=True, text=True)
    if loaded.returncode != 0:
        shutil.rmtree(store, ignore_errors=True)
        raise CalciKGError(f"oxigraph could not load {graph_file}: {loaded.stderr.strip()}")
    port = port or free_port(host)
    process = subprocess.Popen([binary, "serve-read-only", "--location", str(store), "--bind", f"{host}:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    server = Server(process, f"http://{host}:{port}", store)
    deadline = time.monotonic() + timeout
    probe = server.query_url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read() if process.stderr else ""
            server.stop()
            raise CalciKGError(f"the Oxigraph server stopped at start-up: {err.strip()}")
        try:
            with urllib.request.urlopen(probe, timeout=2):
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    server.stop()
    raise CalciKGError(f"the Oxigraph server did not answer on {server.url} within {timeout:.0f} s")
