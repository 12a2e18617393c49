"""Benchmark CalciKG at scale: the NAIVE path and the corpus path, side by side.

    python bench/run.py                       # sizes 100, 1,000 and 10,000 (what `make bench` runs)
    python bench/run.py --sizes 3 --quick     # smoke run, under a minute

For each size N (synthetic reports from bench/generate.py), each path runs in its own subprocess
and measures:

- build: ontology + mappings, every record through calcikg.records.load_record (YAML + JSON
  schema) and the library's builder. NAIVE: one rdflib Graph (calcikg.graph.build_data).
  CORPUS: calcikg.corpus.build_corpus, records built in worker processes into an Oxigraph store.
- SHACL. NAIVE: pySHACL over the whole graph, as `calcikg validate` runs it (skipped when its
  estimate from the previous size is above --naive-shacl-budget, and then shown as an estimate).
  CORPUS: every report validated on its own triples (pyrudof, as the reports are built), then
  the rules marked ckgsh:acrossReports run over the store (calcikg.corpus).
- the three stored queries: treatments-effective-in (condition=JDM), case-timeline (one
  synthetic case) and cohort-summary (one synthetic report), as `calcikg query` runs them
  (calcikg.query.run_rdflib / run_oxigraph), same rows checked.
- HermiT (owlready2) on ontology + graph, in its own subprocess with a time limit; skipped above
  the size where the previous size says it would pass it.
- peak memory: the largest sum, sampled every 0.2 s, of the proportional set size (Pss) of the
  path's process and all its workers (shared pages counted once).

plus: validating ONE added report against the N-report store (calcikg.corpus.validate_added) and
the cold-process time of the real `calcikg query treatments-effective-in --param condition=JDM`.
Corpora and results go to /tmp/bench-work ($BENCH_WORK), never into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

WORK = Path(os.environ.get("BENCH_WORK", "/tmp/bench-work"))
PYTHON = sys.executable
CKG = "https://w3id.org/calcikg/"
CKD = "https://w3id.org/calcikg/data/"
JDM = CKG + "JuvenileDermatomyositis"

#: The three stored queries and the parameters they are run with (IRIs; resolution is not timed).
QUERIES = {
    "treatments-effective-in": {"condition": JDM},
    "case-timeline": {"case": CKD + "synth-000001-case1"},
    "cohort-summary": {"report": CKD + "synth-000001"},
}


def now() -> float:
    return time.perf_counter()


def corpus_files(corpus: Path, n: int, start: int = 1) -> list[Path]:
    from generate import report_id

    return [corpus / f"{report_id(i)}.yaml" for i in range(start, start + n)]


# -- memory ------------------------------------------------------------------------------------------
def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return out


class PeakMemory:
    """Samples the Pss of this process and its descendants; ``peak_kb`` is the largest sum seen."""

    def __init__(self, every: float = 0.2):
        self.every, self.peak_kb, self._stop = every, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in _tree(os.getpid())))
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in _tree(os.getpid())))


# -- queries -------------------------------------------------------------------------------------------
def run_queries(engine: str, source) -> tuple[dict[str, float], dict[str, list]]:
    """The three stored queries as `calcikg query` runs them; seconds and rows of each."""
    from calcikg.query import Value, get_query, run_oxigraph, run_rdflib

    seconds, rows = {}, {}
    for name, params in QUERIES.items():
        q = get_query(name)
        bindings = {k: Value(v, is_iri=True) for k, v in params.items()}
        t = now()
        res = (run_oxigraph if engine == "oxigraph" else run_rdflib)(q, bindings, source)
        seconds[name] = now() - t
        rows[name] = [[r[c] for c in res.columns] for r in res.rows]
    return seconds, rows


# =============================================================================================
# children (each in its own process)
# =============================================================================================
def child_naive(args) -> dict:
    """NAIVE: one rdflib graph of everything, pySHACL on the whole graph, rdflib queries."""
    from rdflib import Graph, URIRef

    from calcikg.namespaces import DATA_GRAPH_IRI

    from calcikg.corpus import ontology_graph
    from calcikg.graph import build_data
    from calcikg.records import load_record
    from calcikg.terms import TermIndex
    from calcikg.validate import shacl_problems

    out: dict = {"path": "naive", "n": args.n, "steps": {}}
    steps = out["steps"]
    with PeakMemory() as mem:
        t0 = now()
        onto = ontology_graph()
        records = [load_record(p) for p in corpus_files(args.corpus, args.n)]
        data = build_data(records, TermIndex.from_graph(onto))
        full = Graph()
        for t in onto:
            full.add(t)
        header = URIRef(DATA_GRAPH_IRI)
        for t in data:
            if t[0] != header:  # the data graph's own owl:Ontology header: not in kg/calcikg.ttl's store either
                full.add(t)
        steps["build"] = now() - t0
        out["triples"] = len(full)
        q_seconds, rows = run_queries("rdflib", full)
        steps.update({f"q:{k}": v for k, v in q_seconds.items()})
        (args.run_dir / f"rows-naive-{args.n}.json").write_text(json.dumps(rows))
        if args.skip_shacl:
            out["shacl"] = None
        else:
            shapes = Graph().parse(ROOT / "shapes" / "calcikg-shapes.ttl", format="turtle")
            t = now()
            problems = shacl_problems(full, shapes)
            steps["shacl"] = now() - t
            out["shacl"] = {"conforms": not problems, "results": len(problems)}
    out["peak_kb"] = mem.peak_kb
    return out


def child_calibrate(args) -> dict:
    """Whole-graph pySHACL on a few reports: seconds per report, to estimate what is skipped."""
    from rdflib import Graph

    from calcikg.corpus import ontology_graph
    from calcikg.graph import build_data
    from calcikg.records import load_record
    from calcikg.terms import TermIndex
    from calcikg.validate import shacl_problems

    onto = ontology_graph()
    full = onto + build_data([load_record(p) for p in corpus_files(args.corpus, args.n)], TermIndex.from_graph(onto))
    shapes = Graph().parse(ROOT / "shapes" / "calcikg-shapes.ttl", format="turtle")
    t = now()
    shacl_problems(full, shapes)
    return {"n": args.n, "seconds": now() - t}


def child_corpus(args) -> dict:
    """CORPUS: calcikg.corpus (workers, Oxigraph store, per-report SHACL), Oxigraph queries."""
    from calcikg import corpus

    out: dict = {"path": "corpus", "n": args.n, "steps": {}, "workers": args.workers, "engine": args.engine}
    steps = out["steps"]
    store_dir = args.run_dir / f"store-{args.n}" if args.on_disk else None
    with PeakMemory() as mem:
        t = now()
        c = corpus.build_corpus(corpus_files(args.corpus, args.n), workers=args.workers, store_dir=store_dir,
                                engine=args.engine)
        total = now() - t
        # build and per-report validation run together in the workers: split by a build-only run's share
        steps["build+validate"] = total
        steps["across-reports"] = c.seconds["rules across reports"]
        out["triples"] = c.triples
        out["shacl"] = {"conforms": c.conforms, "results": len(c.problems)}
        q_seconds, rows = run_queries("oxigraph", c.store)
        steps.update({f"q:{k}": v for k, v in q_seconds.items()})
        (args.run_dir / f"rows-corpus-{args.n}.json").write_text(json.dumps(rows))
        # ONE added report: set-up (engine start) once, then build + validate + insert
        t = now()
        corpus.prepare()
        validator = corpus.ContextValidator(engine=args.engine)
        checks = corpus.AcrossReportChecks()
        validator.validate("")
        setup = now() - t
        t = now()
        built, problems = corpus.validate_added(c.store, corpus_files(args.corpus, 1, start=args.n + 1)[0],
                                                engine=args.engine, validator=validator, checks=checks)
        out["added"] = {"setup": setup, "seconds": now() - t, "problems": len(problems), "report": built.report_id}
    out["peak_kb"] = mem.peak_kb
    # the build alone (no SHACL), to split build from validation in the table
    t = now()
    corpus.build_corpus(corpus_files(args.corpus, args.n), workers=args.workers, validate=False)
    steps["build"] = now() - t
    steps["shacl"] = max(0.0, total - steps["build"])
    return out


def child_hermit(args) -> dict:
    """HermiT (owlready2) on ontology + mappings + the N reports, from an N-Triples dump of the store."""
    import owlready2
    from pyoxigraph import DefaultGraph, RdfFormat

    from calcikg import corpus

    c = corpus.build_corpus(corpus_files(args.corpus, args.n), workers=args.workers, validate=False)
    nt = args.run_dir / f"hermit-{args.n}.nt"
    c.store.dump(str(nt), format=RdfFormat.N_TRIPLES, from_graph=DefaultGraph())
    del c
    t = now()
    world = owlready2.World()
    onto = world.get_ontology(nt.resolve().as_uri()).load()
    t_load = now() - t
    owlready2.reasoning.JAVA_MEMORY = args.hermit_memory
    t = now()
    consistent = True
    try:
        with onto:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError:
        consistent = False
    except owlready2.OwlReadyJavaError as e:
        if "OutOfMemoryError" not in str(e):
            raise
        # a reason, not a crash: the table says HermiT needs more heap than it was given
        return {"n": args.n, "out_of_memory": args.hermit_memory, "load": t_load, "after": now() - t + t_load}
    finally:
        nt.unlink(missing_ok=True)
    t_reason = now() - t
    return {"n": args.n, "load": t_load, "reason": t_reason, "hermit": t_load + t_reason, "consistent": consistent,
            "java_memory": args.hermit_memory}


CHILDREN = {"naive": child_naive, "corpus": child_corpus, "hermit": child_hermit, "calibrate": child_calibrate}


def run_child(kind: str, n: int, args, timeout: float | None = None, **extra) -> dict:
    """Run one measurement in a fresh interpreter; its JSON result, or an 'error'/'timeout'."""
    cmd = [PYTHON, str(Path(__file__).resolve()), "--child", kind, "--n", str(n), "--corpus", str(args.corpus),
           "--workers", str(args.workers), "--run-dir", str(args.run_dir), "--engine", args.engine,
           "--hermit-memory", str(args.hermit_memory)]
    if args.on_disk:
        cmd.append("--on-disk")
    for k, v in extra.items():
        if v is True:
            cmd.append(f"--{k.replace('_', '-')}")
        elif v not in (None, False):
            cmd += [f"--{k.replace('_', '-')}", str(v)]
    out_file = args.run_dir / f"child-{kind}-{n}.json"
    t = now()
    try:
        proc = subprocess.run(cmd + ["--result", str(out_file)], capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout, "wall": now() - t}
    if proc.returncode != 0 or not out_file.exists():
        return {"error": (proc.stderr or proc.stdout)[-3000:], "wall": now() - t}
    res = json.loads(out_file.read_text())
    res["wall"] = now() - t
    return res


# =============================================================================================
# the parent: run everything, print the tables
# =============================================================================================
def cold_cli(runs: int) -> dict:
    exe = Path(PYTHON).parent / "calcikg"
    cmd = [str(exe) if exe.exists() else PYTHON, *([] if exe.exists() else ["-m", "calcikg"]),
           "query", "treatments-effective-in", "--param", "condition=JDM"]
    times, rc, lines = [], 0, 0
    for _ in range(runs):
        t = now()
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        times.append(now() - t)
        rc = rc or p.returncode
        lines = len(p.stdout.splitlines())
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": runs, "rc": rc,
            "output_lines": lines, "command": "calcikg query treatments-effective-in --param condition=JDM"}


def fmt_s(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if x >= 100:
        return f"{x:,.0f} s"
    if x >= 10:
        return f"{x:.1f} s"
    if x >= 0.1:
        return f"{x:.2f} s"
    return f"{x * 1000:.1f} ms"


def fmt_mb(kb) -> str:
    return "-" if kb is None else f"{kb / 1024:,.0f} MB"


def fmt_ratio(a, b) -> str:
    if a is None or b is None or b <= 0:
        return "-"
    r = a / b
    return f"{r:,.0f}x" if r >= 10 else f"{r:.1f}x"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths))
    sep = "-+-".join("-" * w for w in widths)
    body = [" | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    return "\n".join([line, sep, *body])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--sizes", default="100,1000,10000", help="comma-separated numbers of reports")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 cold CLI run, no HermiT")
    ap.add_argument("--corpus", type=Path, default=WORK / "corpus", help="folder of generated records (reused)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="worker processes (CORPUS)")
    ap.add_argument("--engine", default="pyrudof", choices=("pyrudof", "pyshacl"), help="CORPUS per-report SHACL engine")
    ap.add_argument("--on-disk", action="store_true", help="CORPUS: an on-disk Oxigraph store instead of in memory")
    ap.add_argument("--naive-shacl-budget", type=float, default=900,
                    help="run whole-graph pySHACL only when its estimate is below this many seconds")
    ap.add_argument("--naive-timeout", type=float, default=2400, help="time limit of one NAIVE run, seconds")
    ap.add_argument("--hermit-timeout", type=float, default=300, help="time limit of one HermiT run, seconds")
    ap.add_argument("--hermit-memory", type=int, default=2000,
                    help="Java heap of HermiT, MB (2000 is owlready2's default, what `calcikg reason` gets)")
    ap.add_argument("--no-naive", action="store_true", help="CORPUS path only")
    ap.add_argument("--no-hermit", action="store_true", help="do not run HermiT")
    ap.add_argument("--run-dir", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--skip-shacl", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        res = CHILDREN[args.child](args)
        args.result.write_text(json.dumps(res))
        return 0

    WORK.mkdir(parents=True, exist_ok=True)
    args.run_dir = WORK / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    args.run_dir.mkdir(parents=True)
    sizes = [int(s.replace(",", "").replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    log_path = args.run_dir / "bench.txt"
    log_fh = log_path.open("w")

    def say(text: str = "") -> None:
        print(text, flush=True)
        log_fh.write(text + "\n")
        log_fh.flush()

    import generate

    say(f"CalciKG benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, sizes {sizes}"
        + (" (quick)" if args.quick else "") + f"; corpus path: {args.workers} workers, {args.engine}, "
        + ("on-disk" if args.on_disk else "in-memory") + " store")
    t = now()
    generate.ensure_corpus(max(sizes) + 1, args.corpus)
    say(f"corpus: {args.corpus} (first {max(sizes) + 1} synthetic reports ready in {fmt_s(now() - t)}; "
        f"generator v{generate.GENERATOR_VERSION}, seed {generate.DEFAULT_SEED})")
    results: dict = {"sizes": sizes, "runs": {}, "started": time.strftime("%Y-%m-%d %H:%M:%S"), "cpu": os.cpu_count()}

    cli = cold_cli(1 if args.quick else 5)
    results["cold_cli"] = cli
    say(f"\ncold `{cli['command']}` on the REAL graph: median {fmt_s(cli['median'])} of {cli['runs']} runs "
        f"(min {fmt_s(cli['min'])}, max {fmt_s(cli['max'])}; exit {cli['rc']})")

    naive_rate = None  # pySHACL seconds per report at the last measured size
    hermit_prev = None
    for n in sizes:
        say(f"\n== {n:,} reports ==")
        run: dict = {}
        run["corpus"] = run_child("corpus", n, args, timeout=3600)
        say(f"  corpus: {'ok' if 'steps' in run['corpus'] else run['corpus']} ({fmt_s(run['corpus'].get('wall'))} wall)")
        if not args.no_naive:
            if naive_rate is None:
                cal = run_child("calibrate", min(n, 5), args, timeout=900)
                naive_rate = cal["seconds"] / cal["n"] if "seconds" in cal else None
                run["naive_calibration"] = cal
            estimate = naive_rate * n if naive_rate else None
            skip = estimate is not None and estimate > args.naive_shacl_budget
            naive = run_child("naive", n, args, timeout=args.naive_timeout, skip_shacl=skip)
            if skip:
                naive["shacl_estimate"] = estimate
                naive["shacl_estimate_from"] = naive_rate
            elif (naive.get("steps") or {}).get("shacl"):
                naive_rate = naive["steps"]["shacl"] / n
            run["naive"] = naive
            say(f"  naive: {'ok' if 'steps' in naive else naive} ({fmt_s(naive.get('wall'))} wall)"
                + (f"; pySHACL skipped, estimated {fmt_s(estimate)}" if skip else ""))
        if args.no_hermit or args.quick:
            run["hermit"] = {"not_run": True}
        elif hermit_prev and hermit_prev[1] * n / hermit_prev[0] > args.hermit_timeout:
            run["hermit"] = {"skipped": hermit_prev[1] * n / hermit_prev[0], "from": hermit_prev[0]}
        else:
            h = run_child("hermit", n, args, timeout=args.hermit_timeout)
            run["hermit"] = h
            if "hermit" in h:
                hermit_prev = (n, h["hermit"])
            elif "timeout" in h:
                hermit_prev = (n, args.hermit_timeout * 1.0001)
        say(f"  hermit: { {k: (v.strip().splitlines()[-1] if isinstance(v, str) else v) for k, v in run['hermit'].items()} }")
        results["runs"][n] = run
        (args.run_dir / "results.json").write_text(json.dumps(results, indent=1))

    report(results, say, args)
    say(f"\n(full log: {log_path}; results: {args.run_dir / 'results.json'})")
    return 0


def _total(steps: dict, shacl) -> float | None:
    if shacl is None:
        return None
    return steps["build"] + shacl + sum(steps[f"q:{q}"] for q in QUERIES)


def report(results: dict, say, args) -> None:
    """Print the tables of a finished run."""
    short = {"treatments-effective-in": "Q1 effective-in", "case-timeline": "Q2 case-timeline",
             "cohort-summary": "Q3 cohort-summary"}
    headers = ["reports / path", "build", "triples", "SHACL", "HermiT", *short.values(), "build+SHACL+3Q",
               "peak memory"]
    rows, ratio_rows, notes, totals = [], [], [], {}
    for n, run in results["runs"].items():
        n = int(n)
        h = run.get("hermit", {})
        hermit = (fmt_s(h["hermit"]) + ("" if h.get("consistent") else " INCONSISTENT") if "hermit" in h
                  else f"skipped (est. {fmt_s(h['skipped'])})" if "skipped" in h
                  else f"> {fmt_s(h['timeout'])} (stopped)" if "timeout" in h
                  else f"out of memory ({h['out_of_memory']:,} MB heap)" if "out_of_memory" in h
                  else "not run" if h.get("not_run") else "error")
        if "skipped" in h:
            notes.append(f"HermiT at {n:,}: skipped, estimated {fmt_s(h['skipped'])} (linear from the {h['from']:,}-report "
                         f"run; above the {fmt_s(args.hermit_timeout)} limit)")
        if "out_of_memory" in h:
            notes.append(f"HermiT at {n:,}: Java heap ({h['out_of_memory']:,} MB, --hermit-memory) exhausted after "
                         f"{fmt_s(h['after'])} (loading the graph into owlready2: {fmt_s(h['load'])})")
        elif "error" in h:
            notes.append(f"HermiT at {n:,}: failed: {h['error'].strip().splitlines()[-1][:300]}")
        elif "timeout" in h:
            notes.append(f"HermiT at {n:,}: stopped at the {fmt_s(h['timeout'])} limit (--hermit-timeout)")
        per_path = {}
        for path in ("naive", "corpus"):
            r = run.get(path)
            if not r:
                continue
            if "steps" not in r:
                rows.append([f"{n:,} {path}", "timeout" if "timeout" in r else "error", *[""] * (len(headers) - 2)])
                notes.append(f"{path} at {n:,}: {str(r)[:400]}")
                continue
            s = r["steps"]
            shacl, est = s.get("shacl"), False
            shacl_txt = fmt_s(shacl)
            if shacl is None and r.get("shacl_estimate"):
                shacl, est = r["shacl_estimate"], True
                shacl_txt = f"skipped (est. >= {fmt_s(shacl)})"
            total = _total(s, shacl)
            per_path[path] = (s, shacl, total, est)
            rows.append([f"{n:,} {path}", fmt_s(s["build"]), f"{r['triples']:,}", shacl_txt, hermit,
                         *[fmt_s(s[f"q:{q}"]) for q in QUERIES], (">= " if est else "") + fmt_s(total),
                         fmt_mb(r.get("peak_kb"))])
        if "naive" in per_path and "corpus" in per_path:
            (sn, shn, tn, est), (sf, shf, tf, _) = per_path["naive"], per_path["corpus"]
            pre = ">= " if est else ""
            ratio_rows.append([f"{n:,} naive/corpus", fmt_ratio(sn["build"], sf["build"]), "", pre + fmt_ratio(shn, shf), "",
                               *[fmt_ratio(sn[f"q:{q}"], sf[f"q:{q}"]) for q in QUERIES], pre + fmt_ratio(tn, tf),
                               fmt_ratio(run["naive"].get("peak_kb"), run["corpus"].get("peak_kb"))])
            totals[n] = (tn, tf, est)
    say("\n" + "=" * 100)
    say("RESULTS (wall-clock; SHACL of the corpus path = build+validate minus a build-only run; peak memory = "
        "largest sampled Pss sum of the path's processes)")
    say("=" * 100)
    say(table(headers, rows))
    if ratio_rows:
        say("\nratios naive/corpus (>= : naive pySHACL skipped, its linear estimate is a lower bound):")
        say(table(headers, ratio_rows))

    det = []
    for n, run in results["runs"].items():
        r = run.get("corpus", {})
        if "steps" in r:
            s, a = r["steps"], r["added"]
            det.append([f"{int(n):,}", fmt_s(s["build+validate"]), fmt_s(s["across-reports"]),
                        "yes" if r["shacl"]["conforms"] else f"no ({r['shacl']['results']})",
                        fmt_s(a["setup"]), fmt_s(a["seconds"]), str(a["problems"])])
    if det:
        say("\ncorpus path details (ONE added report = build it, validate it, add it, rules across reports for its nodes):")
        say(table(["reports", "build+validate", "of which across-reports rules", "conforms", "added: set-up",
                   "added: build+validate+insert", "added: problems"], det))

    say("\nchecks:")
    for n, run in results["runs"].items():
        nv, fs = run.get("naive", {}), run.get("corpus", {})
        if "steps" in nv and "steps" in fs:
            a = json.loads((args.run_dir / f"rows-naive-{n}.json").read_text())
            b = json.loads((args.run_dir / f"rows-corpus-{n}.json").read_text())
            same = all(a[q] == b[q] for q in QUERIES)
            say(f"  {int(n):,} reports: same query rows on rdflib and Oxigraph: {'yes' if same else 'NO'} "
                f"({', '.join(f'{q} {len(a[q])}' for q in QUERIES)}); same triple count: "
                f"{'yes' if nv['triples'] == fs['triples'] else 'NO'} ({nv['triples']:,})")
            if nv.get("shacl"):
                say(f"  {int(n):,} reports: conforms: naive {nv['shacl']['conforms']}, corpus {fs['shacl']['conforms']}")
    for note in notes:
        say(f"  note: {note}")

    say("\ntargets (corpus path):")
    cli = results["cold_cli"]
    say(f"  cold `calcikg query` on the real graph < 0.5 s: {fmt_s(cli['median'])} -> "
        f"{'met' if cli['median'] < 0.5 else 'NOT met'}")
    big = max(int(n) for n in results["runs"])
    run = results["runs"][big]
    fs = run.get("corpus", {})
    if big in totals:
        tn, tf, est = totals[big]
        say(f"  {big:,} reports, build + validate + 3 queries >= 10x faster than naive: {fmt_s(tf)} vs "
            f"{'>= ' if est else ''}{fmt_s(tn)} = {'>= ' if est else ''}{fmt_ratio(tn, tf)} -> "
            f"{'met' if tn / tf >= 10 else 'NOT met'}{' (naive pySHACL estimated, linear: a lower bound)' if est else ''}")
    if "steps" in fs:
        say(f"  {big:,} reports, peak memory < 4 GB: {fmt_mb(fs['peak_kb'])} -> "
            f"{'met' if fs['peak_kb'] < 4 * 1024 * 1024 else 'NOT met'}")
        a = fs["added"]
        say(f"  one added report validated against {big:,} reports < 1 s: {fmt_s(a['seconds'])} -> "
            f"{'met' if a['seconds'] < 1 else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
