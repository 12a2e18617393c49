"""Timing of `calcikg web` on the real graph: cold start and server time per page.

    .venv/bin/python bench/web.py                 # 3 cold starts, each page 5 times
    .venv/bin/python bench/web.py --starts 5 --repeat 10

Cold start: from launching `python -m calcikg web` to the first answered page (the start page),
on a free loopback port; the server is stopped by its PID. Server time per page: a fresh server,
`--settle` seconds after its first page (it warms the term search up meanwhile), then
each page's first request (it runs the page's queries), then `--repeat` more (median and slowest;
a saved question's answer is kept by the server after its first run), over loopback HTTP. Targets (issue
#18): cold start < 2 s, each page < 200 ms. Pages over the target are marked.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from calcikg import query as Q  # noqa: E402
from calcikg.serve import free_port  # noqa: E402

TARGET_MS, START_TARGET_S = 200, 2.0


def pages() -> list[str]:
    out = ["/", "/search?q=JDM", "/api/terms?q=JDM", "/term/ckg:JuvenileDermatomyositis", "/term/ckg:Pamidronate",
           "/case/mouaddine2021-case3", "/report/mouaddine2021", "/map", "/map?axis=types&level=C",
           "/map/cell?axis=conditions&treatment=ckg:Bisphosphonate&condition=ckg:JuvenileDermatomyositis",
           "/queries/treatments-effective-in?condition=JDM", "/api/queries/treatments-effective-in?condition=JDM",
           "/api/queries/treatments-effective-in.csv?condition=JDM", "/api/openapi.json"]
    return out + [f"/queries/{s.name}" for s in Q.list_queries() if s.name != "treatments-effective-in"]


def start(port: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.Popen([sys.executable, "-m", "calcikg", "web", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cold_start() -> float:
    port = free_port()
    began = time.perf_counter()
    process = start(port)
    try:
        while True:
            try:
                if get(port, "/") == 200:
                    return time.perf_counter() - began
            except OSError:
                pass
            if process.poll() is not None:
                raise SystemExit(f"calcikg web stopped: {process.stderr.read().decode()[-500:]}")
            if time.perf_counter() - began > 60:
                raise SystemExit("calcikg web did not answer within 60 s")
            time.sleep(0.01)
    finally:
        stop(process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=3, help="cold starts to time (default 3)")
    parser.add_argument("--repeat", type=int, default=5, help="requests per page (default 5)")
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds between the first page and the timings: the server warms the term search "
                             "up 1 s after it starts (default 3; 0 times a search that pays for it)")
    args = parser.parse_args()
    if not Q.paths.GRAPH_TTL.exists():
        raise SystemExit("the graph is not built: run 'calcikg build' first")
    starts = [cold_start() for _ in range(args.starts)]
    print(f"cold start of calcikg web (launch to first page): median {statistics.median(starts):.2f} s, "
          f"min {min(starts):.2f} s, max {max(starts):.2f} s over {len(starts)} (target < {START_TARGET_S:g} s)")
    port = free_port()
    process = start(port)
    try:
        while True:
            try:
                get(port, "/")
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(args.settle)
        print(f"{'page':<96} {'status':>6} {'first':>8} {'median':>8} {'slowest':>8}")
        over = 0
        for path in pages():
            began = time.perf_counter()
            status = get(port, path)
            first = (time.perf_counter() - began) * 1000
            times = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                get(port, path)
                times.append((time.perf_counter() - began) * 1000)
            median = statistics.median(times)
            over += first >= TARGET_MS
            mark = "  first over target" if first >= TARGET_MS else ""
            print(f"{path:<96} {status:>6} {first:>6.0f} ms {median:>6.0f} ms {max(times):>6.0f} ms{mark}")
        print(f"{len(pages())} pages, {over} over {TARGET_MS} ms at their first request")
    finally:
        stop(process)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
