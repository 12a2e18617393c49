"""Bounded load test of `calcikg serve`: a fixed number of queries from N concurrent clients.

    .venv/bin/python bench/load.py                     # starts its own server on a free loopback port
    .venv/bin/python bench/load.py --clients 50 --queries 2000
    .venv/bin/python bench/load.py --endpoint http://127.0.0.1:7878/query   # a running server (loopback only)

The clients send every stored query (queries/*.rq, parameters at their defaults, bound as
`calcikg query --endpoint` binds them) in turn, `--queries` in all, then stop. An answer counts as
an error when it is not HTTP 200, does not parse, or does not have the rows the embedded Oxigraph
engine gives for the same query. Prints, per query and overall: requests, errors, latency
percentiles; and the throughput. Only loopback addresses are accepted: this is not a tool to load
someone else's server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from calcikg import query as Q  # noqa: E402
from calcikg import serve  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def workload() -> list[tuple[str, str, int]]:
    """(name, SPARQL text as sent to an endpoint, expected row count) for every stored query."""
    store = Q.load_store()
    out = []
    for q in Q.list_queries():
        if q.name.endswith("-violation"):
            continue
        bindings = Q.resolve_params(q, {}, store)
        text = Q._blank_comments(Q.with_values(q.text, bindings)) if bindings else Q._blank_comments(q.text)
        out.append((q.name, text, len(Q.run_oxigraph(q, bindings, store).rows)))
    return out


def _connect(host: str, port: int, timeout: float) -> http.client.HTTPConnection:
    """A keep-alive connection with Nagle's algorithm off: http.client sends the headers and the body
    in two writes, and the second would wait ~40 ms for the server's delayed ACK."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def run_load(url: str, clients: int, total: int, timeout: float = 30.0) -> dict:
    parsed = urllib.parse.urlsplit(url)
    if parsed.hostname not in LOOPBACK:
        raise SystemExit(f"load.py: refusing {url}: only loopback endpoints (127.0.0.1, ::1, localhost)")
    work = workload()
    counter = iter(range(total))
    lock = threading.Lock()
    samples: list[tuple[str, float, str]] = []  # (query, seconds, error or "")

    def client() -> None:
        conn = _connect(parsed.hostname, parsed.port or 80, timeout)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            name, text, expected = work[i % len(work)]
            body = urllib.parse.urlencode({"query": text})
            started = time.perf_counter()
            error = ""
            try:
                conn.request("POST", parsed.path or "/query", body=body, headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/sparql-results+json"})
                response = conn.getresponse()
                payload = response.read()
                if response.status != 200:
                    error = f"HTTP {response.status}"
                else:
                    rows = len(json.loads(payload)["results"]["bindings"])
                    if rows != expected:
                        error = f"{rows} rows, expected {expected}"
            except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
                error = type(exc).__name__
                conn.close()
                conn = _connect(parsed.hostname, parsed.port or 80, timeout)
            elapsed = time.perf_counter() - started
            with lock:
                samples.append((name, elapsed, error))
        conn.close()

    # one warm-up pass, not counted
    warm = _connect(parsed.hostname, parsed.port or 80, timeout)
    for _, text, _ in work:
        warm.request("POST", parsed.path or "/query", body=urllib.parse.urlencode({"query": text}),
                     headers={"Content-Type": "application/x-www-form-urlencoded",
                              "Accept": "application/sparql-results+json"})
        warm.getresponse().read()
    warm.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started

    per_query = {}
    for name, _, _ in work:
        mine = [s for s in samples if s[0] == name]
        lat = [s[1] * 1000 for s in mine]
        per_query[name] = {"requests": len(mine), "errors": sum(1 for s in mine if s[2]),
                           "p50_ms": percentile(lat, 50), "p90_ms": percentile(lat, 90),
                           "p99_ms": percentile(lat, 99), "max_ms": max(lat) if lat else float("nan")}
    lat = [s[1] * 1000 for s in samples]
    errors = [s for s in samples if s[2]]
    return {"clients": clients, "queries": len(samples), "seconds": wall, "throughput_qps": len(samples) / wall,
            "errors": len(errors), "error_kinds": sorted({s[2] for s in errors}),
            "p50_ms": percentile(lat, 50), "p90_ms": percentile(lat, 90), "p99_ms": percentile(lat, 99),
            "max_ms": max(lat), "mean_ms": statistics.fmean(lat), "per_query": per_query}


def report(r: dict) -> str:
    lines = [f"{r['queries']} queries from {r['clients']} concurrent clients in {r['seconds']:.1f} s: "
             f"{r['throughput_qps']:.0f} queries/s, {r['errors']} errors"
             + (f" ({', '.join(r['error_kinds'])})" if r["errors"] else ""),
             f"latency: p50 {r['p50_ms']:.0f} ms, p90 {r['p90_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, "
             f"max {r['max_ms']:.0f} ms",
             "",
             f"{'query':28} {'n':>5} {'errors':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}"]
    for name, q in sorted(r["per_query"].items(), key=lambda kv: -kv[1]["p99_ms"]):
        lines.append(f"{name:28} {q['requests']:5} {q['errors']:6} {q['p50_ms']:8.0f} {q['p90_ms']:8.0f} "
                     f"{q['p99_ms']:8.0f} {q['max_ms']:8.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    p.add_argument("--queries", type=int, default=1000, help="queries in all, then stop (default 1000)")
    p.add_argument("--endpoint", help="a running loopback endpoint (default: start calcikg serve on a free port)")
    p.add_argument("--cache-mb", type=float, help="the started server's answer cache (0: off; default: "
                                                  "calcikg serve's default)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    if not (1 <= args.clients <= 500 and 1 <= args.queries <= 100_000):
        p.error("--clients 1..500, --queries 1..100000")
    if args.endpoint:
        result = run_load(args.endpoint, args.clients, args.queries)
    else:
        with serve.start(cache_mb=args.cache_mb) as server:
            result = run_load(server.query_url, args.clients, args.queries)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
