"""Private SPARQL servers for the store parity tests (tests/test_stores.py) and the parity script.

Each ``start_*`` function starts one server on free loopback ports with its files under ``workdir``
and returns a :class:`Server`; ``Server.stop()`` ends that process by its PID (and removes
Virtuoso's database files). ``python tests/store_servers.py`` runs every stored query on every engine
and prints the parity table (see queries/README.md).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JENA_DIR = ROOT / "tools" / "jena-endpoint"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A started server: its SPARQL query URL, its Graph Store URL, its process and its files."""

    name: str
    query_url: str
    store_url: str
    process: subprocess.Popen
    files: list[Path] = field(default_factory=list)
    user: str | None = None
    password: str | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for f in self.files:
            shutil.rmtree(f, ignore_errors=True) if f.is_dir() else f.unlink(missing_ok=True)


def _wait(url: str, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    """Until ``url`` answers (any HTTP status), or fail with the server's log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}): {log.read_text(errors='replace')[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the server did not answer at {url} within {seconds:.0f} s: "
                       f"{log.read_text(errors='replace')[-2000:]}")


def _ready(server: Server, url: str, log: Path, seconds: float = 120) -> Server:
    """``server`` once ``url`` answers; stopped (by its PID) if it never does."""
    try:
        _wait(url, server.process, log, seconds)
    except Exception:
        server.stop()
        raise
    return server


def have_virtuoso() -> bool:
    return bool(shutil.which("virtuoso-t"))


def have_jena() -> bool:
    return Path("/usr/share/java/jena-arq.jar").exists() and bool(shutil.which("javac"))


def oxigraph_binary() -> str:
    from calcikg.serve import oxigraph_binary as find

    return find()


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 60
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
CheckpointAuditTrail = 0
AllowOSCalls = 0
SchedulerInterval = 10
DirsAllowed = ., {d}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
PrefixResultNames = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps = 64
MaxQueryMem = 500M
VectorSize = 1000
MaxVectorSize = 1000000
AdjustVectorSize = 0
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 4
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections = 10
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
TempASPXDir = 0
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
EnabledGzipContent = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 120
DeferInferenceRulesInit = 0
"""


def start_virtuoso(workdir: Path) -> Server:
    """Virtuoso 7 (Debian virtuoso-opensource) with a private ini and database under ``workdir``.

    Its Graph Store is ``/sparql-graph-crud-auth`` (digest authentication, dba/dba: the default
    administrator of a new database, on loopback only).
    """
    d = workdir / "virtuoso"
    d.mkdir(parents=True)
    sql, http = free_port(), free_port()
    ini = d / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(d=d, sql=sql, http=http))
    log = d / "stdout.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(["virtuoso-t", "+foreground", "+configfile", str(ini)], cwd=d,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server("virtuoso", f"http://127.0.0.1:{http}/sparql", f"http://127.0.0.1:{http}/sparql-graph-crud-auth",
                    process, [d], "dba", "dba")
    return _ready(server, f"http://127.0.0.1:{http}/sparql?query=ASK%7B%7D", d / "virtuoso.log", 180)


def start_oxigraph(workdir: Path) -> Server:
    """A writable Oxigraph server (``oxigraph serve``), Graph Store at ``/store``."""
    d = workdir / "oxigraph"
    d.mkdir(parents=True)
    port = free_port()
    log = d / "stdout.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([oxigraph_binary(), "serve", "--location", str(d / "db"), "--bind",
                                    f"127.0.0.1:{port}"], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server("oxigraph", f"http://127.0.0.1:{port}/query", f"http://127.0.0.1:{port}/store", process, [d])
    return _ready(server, f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", log)


def start_jena(workdir: Path) -> Server:
    """tools/jena-endpoint (ARQ in memory), writable through its Graph Store at ``/data``."""
    d = workdir / "jena"
    d.mkdir(parents=True)
    classpath = subprocess.run([str(JENA_DIR / "build.sh"), str(d / "classes")], check=True, capture_output=True,
                               text=True).stdout.strip()
    port = free_port()
    log = d / "stdout.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(["java", "-Xmx512m", "-cp", classpath, "JenaEndpoint", "--port", str(port),
                                    "--writable"], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server("jena", f"http://127.0.0.1:{port}/sparql", f"http://127.0.0.1:{port}/data", process, [d])
    return _ready(server, f"http://127.0.0.1:{port}/health", log)


# -- comparing answers --------------------------------------------------------------------------
#: A non-default value for each parameter (as tests/test_queries.py's OTHER_VALUE).
OTHER_VALUE = {
    "condition": "dermatomyositis", "subtype": "idiopathic calcinosis cutis", "treatment": "pamidronate",
    "case": "randhawa2018-case1", "report": "randhawa2018", "vocabulary": "MeSH",
    "term": "idiopathic calcinosis cutis", "aspect": "prognosis",
}


def runs() -> list[tuple[str, dict[str, str]]]:
    """Every stored query with its defaults, once more with another value for each parameter, and
    with each of those values alone."""
    from calcikg.query import list_queries

    out = []
    for q in list_queries():
        out.append((q.name, {}))
        other = {k: OTHER_VALUE[k] for k in q.params if k in OTHER_VALUE}
        if other:
            out.append((q.name, other))
        if len(other) > 1:  # each optional filter alone too (an engine can get one right only beside another)
            out.extend((q.name, {k: v}) for k, v in other.items())
    return out


def normalise(result) -> list[tuple]:
    """Rows as tuples of comparable values: representation only (numbers by value, IRIs and
    literals by their value; an unbound cell as None)."""
    from decimal import Decimal, InvalidOperation

    numeric = ("integer", "decimal", "double", "float", "int", "long", "short", "nonNegativeInteger")
    rows = []
    for cells in result.cells:
        row = []
        for c in result.columns:
            cell = cells.get(c)
            if cell is None:
                row.append(None)
                continue
            kind, value, datatype = cell
            if kind == "literal" and datatype and datatype.rsplit("#", 1)[-1] in numeric:
                try:
                    row.append(("number", Decimal(value).normalize()))
                    continue
                except InvalidOperation:
                    pass
            row.append((kind, value))
        rows.append(tuple(row))
    return rows


def main() -> int:  # pragma: no cover - a report for people
    import tempfile

    from calcikg import paths
    from calcikg import query as Q
    from calcikg.load import load_graph_store

    work = Path(tempfile.mkdtemp(prefix="calcikg-stores-"))
    servers = []
    try:
        for start in (start_oxigraph, start_jena, start_virtuoso):
            s = start(work)
            servers.append(s)
            load_graph_store(s.store_url, paths.GRAPH_NT, graph="urn:calcikg:parity", user=s.user, password=s.password)
        store = Q.load_store()
        failures = 0
        for name, params in runs():
            expected = Q.run(name, params, source=store)
            line = [f"{name:28} {','.join(f'{k}={v}' for k, v in params.items()) or '(defaults)':40}"]
            for s in servers:
                url = f"{s.query_url}?default-graph-uri=urn:calcikg:parity"
                t = time.perf_counter()
                try:
                    got = Q.run(name, params, endpoint=url, source=store)
                    ok = got.columns == expected.columns and normalise(got) == normalise(expected)
                    verdict = "ok" if ok else f"DIFF({len(got.rows)}/{len(expected.rows)})"
                except Exception as exc:  # noqa: BLE001 - reported
                    verdict = "ERROR " + str(exc)[:80]
                failures += not verdict.startswith("ok")
                line.append(f"{s.name}={verdict} {time.perf_counter() - t:.2f}s")
            print("  ".join(line), flush=True)
        return 1 if failures else 0
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
