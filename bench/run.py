"""Benchmark CalciKG at scale: a NAIVE and a FAST path over synthetic corpora, side by side.

    python bench/run.py                       # sizes 100, 1,000 and 10,000 (what `make bench` runs)
    python bench/run.py --sizes 3 --quick     # smoke run, well under a minute

For each size N (reports), each path runs in its own subprocess (so that its peak memory, the
VmHWM of the process plus its workers, is its own) and measures:

- build: ontology + mappings, every record file through calcikg.records.load_record (YAML + JSON
  schema), the library's builder -> one graph (NAIVE: an rdflib Graph; FAST: a pyoxigraph Store)
- SHACL: NAIVE: pySHACL over the whole graph, as `calcikg validate` does; FAST: per report
  (see bench/fastpath.py), core constraints with pyrudof, SPARQL constraints on the store
- three stored queries: treatments-effective-in (condition=JDM), case-timeline (one synthetic
  case), cohort-summary (one synthetic report); NAIVE with rdflib, FAST with pyoxigraph
- HermiT (owlready2) on ontology + graph, the same engine for both paths, in its own subprocess
  with a time limit; skipped above the size where it would exceed it (estimated, and said so)

plus: validating ONE added report against the N-report store (FAST), the cold-process time of the
real `calcikg query treatments-effective-in --param condition=JDM` (median of 5), and checks that
both paths give the same triples, the same query rows and the same SHACL verdicts (faults injected).
Corpora and results go to /tmp/bench-work, never into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
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


def _a_patient_name() -> str:
    """A first name the reports print, read from the shapes' patient-name check (the one place kept)."""
    text = (ROOT / "shapes" / "calcikg-shapes.ttl").read_text(encoding="utf-8")
    return re.search(r"\(([a-z]+)(?:\|[a-z]+){3}\)", text).group(1).title()

#: The three stored queries and the parameters they are run with (IRIs; resolution is not timed).
QUERIES = {
    "treatments-effective-in": {"condition": JDM},
    "case-timeline": {"case": CKD + "synth-000001-case1"},
    "cohort-summary": {"report": CKD + "synth-000001"},
}


def query_file(name: str, engine: str = "rdflib") -> Path:
    """``queries/NAME.rq``; for Oxigraph its rewrite in ``bench/queries/oxigraph/`` when there is one.

    When the project has no such stored query yet, the bench's stand-in in ``bench/queries/``.
    """
    rewrite = BENCH / "queries" / "oxigraph" / f"{name}.rq"
    if engine == "oxigraph" and rewrite.exists():
        return rewrite
    own = ROOT / "queries" / f"{name}.rq"
    return own if own.exists() else BENCH / "queries" / f"{name}.rq"


def query_text(name: str, engine: str = "rdflib") -> str:
    return query_file(name, engine).read_text(encoding="utf-8")


def now() -> float:
    return time.perf_counter()


def corpus_files(corpus: Path, n: int, start: int = 1) -> list[Path]:
    from generate import report_id

    return [corpus / f"{report_id(i)}.yaml" for i in range(start, start + n)]


def hwm_kb() -> int:
    from fastpath import vm_hwm_kb

    return vm_hwm_kb()


def children_maxrss_kb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def canonical_digest(store) -> str:
    """A digest of the store's triples in canonical N-Triples (pyoxigraph's term syntax)."""
    import hashlib

    lines = sorted(f"{q.subject} {q.predicate} {q.object} ." for q in store)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# =============================================================================================
# children
# =============================================================================================
def child_naive(args) -> dict:
    """NAIVE: one rdflib graph of everything, pySHACL on the whole graph, rdflib queries."""
    import fastpath as fp
    from rdflib import Graph, URIRef

    from calcikg.graph import build_data
    from calcikg.records import load_record

    files = corpus_files(args.corpus, args.n)
    out: dict = {"path": "naive", "n": args.n, "steps": {}}
    steps = out["steps"]
    t0 = now()
    onto = fp.ontology_graph()
    terms = fp.term_index(onto)
    t1 = now()
    records = [load_record(p) for p in files]
    t2 = now()
    data = build_data(records, terms)
    t3 = now()
    full = Graph()
    header = URIRef("https://w3id.org/calcikg/data/calcikg-kg")
    for t in onto:
        full.add(t)
    for t in data:
        if t[0] != header:  # one owl:Ontology header, as calcikg.release does
            full.add(t)
    t4 = now()
    steps.update(ontology=t1 - t0, load=t2 - t1, builder=t3 - t2, assemble=t4 - t3, build=t4 - t0)
    out["triples"] = len(full)
    out["hwm_after_build_kb"] = hwm_kb()

    # the three stored queries, rdflib with initBindings (as calcikg.query.run_rdflib)
    rows = {}
    for name, params in QUERIES.items():
        text = query_text(name)
        t = now()
        res = full.query(text, initBindings={k: URIRef(v) for k, v in params.items()})
        got = [tuple("" if x is None else str(x) for x in row) for row in res]
        steps[f"q:{name}"] = now() - t
        rows[name] = got
    out["rows"] = {k: len(v) for k, v in rows.items()}
    (WORK / f"rows-naive-{args.n}.json").write_text(json.dumps(rows))
    if args.digest:
        from pyoxigraph import RdfFormat, Store

        s = Store()
        s.bulk_load(full.serialize(format="nt", encoding="utf-8"), format=RdfFormat.N_TRIPLES)
        out["digest"] = canonical_digest(s)

    # SHACL over the whole graph, as calcikg.validate.shacl_problems does
    if args.skip_shacl:
        out["shacl"] = None
    else:
        from pyshacl import validate

        shapes = Graph().parse(ROOT / "shapes" / "calcikg-shapes.ttl", format="turtle")
        t = now()
        conforms, results, _ = validate(full, shacl_graph=shapes, inference="none", abort_on_first=False,
                                        allow_warnings=False, advanced=True)
        steps["shacl"] = now() - t
        out["shacl"] = {"conforms": bool(conforms), "results": len(results) if not conforms else 0}
    out["hwm_kb"] = hwm_kb()
    return out


def child_naive_calibrate(args) -> dict:
    """pySHACL on the whole graph of a few reports: seconds per report, to estimate skipped sizes."""
    import fastpath as fp
    from pyshacl import validate
    from rdflib import Graph

    from calcikg.graph import build_data
    from calcikg.records import load_record

    onto = fp.ontology_graph()
    data = build_data([load_record(p) for p in corpus_files(args.corpus, args.n)], fp.term_index(onto))
    full = Graph()
    for t in onto:
        full.add(t)
    for t in data:
        full.add(t)
    shapes = Graph().parse(ROOT / "shapes" / "calcikg-shapes.ttl", format="turtle")
    t = now()
    validate(full, shacl_graph=shapes, inference="none", advanced=True)
    return {"n": args.n, "seconds": now() - t}


def child_fast(args) -> dict:
    """FAST: per-report build in worker processes, one pyoxigraph store, per-report SHACL."""
    import fastpath as fp

    files = corpus_files(args.corpus, args.n)
    shapes = ROOT / "shapes" / "calcikg-shapes.ttl"
    out: dict = {"path": "fast", "n": args.n, "steps": {}, "workers": args.workers}
    steps = out["steps"]
    t0 = now()
    libyaml = fp.use_libyaml_loader()
    fp.ontology_graph()
    t1 = now()
    corpus = fp.build_store(files, workers=args.workers, libyaml=libyaml)
    t2 = now()
    steps.update(ontology=t1 - t0, build=t2 - t0)
    out["libyaml"] = libyaml
    out["triples"] = corpus.triples
    worker_hwm = dict(corpus.worker_hwm_kb)
    store = corpus.store

    rows = {}
    for name, params in QUERIES.items():
        text = query_text(name, "oxigraph")
        t = now()
        got = fp.run_stored(store, text, params)
        steps[f"q:{name}"] = now() - t
        rows[name] = got
    out["rows"] = {k: len(v) for k, v in rows.items()}
    (WORK / f"rows-fast-{args.n}.json").write_text(json.dumps(rows))
    # the stored queries that have an Oxigraph rewrite, run as stored, when the estimate allows
    out["stored_on_oxigraph"] = {}
    for name, params in QUERIES.items():
        if query_file(name, "oxigraph") == query_file(name):
            continue
        prev = json.loads(args.prev_stored or "{}").get(name)
        estimate = prev[1] * (args.n / prev[0]) ** 2 if prev else None  # quadratic, as measured
        if estimate is not None and estimate > args.stored_budget:
            out["stored_on_oxigraph"][name] = {"skipped": True, "estimate": estimate, "from": prev[0]}
            continue
        t = now()
        got = fp.run_stored(store, query_text(name), params)
        out["stored_on_oxigraph"][name] = {"seconds": now() - t, "same_rows_as_rewrite": got == rows[name]}
    if args.digest:
        out["digest"] = canonical_digest(store)

    # SHACL per report: pyrudof for the core constraints, SPARQL constraints on the store
    t = now()
    problems, hwm, parts = fp.validate_corpus(corpus, shapes, engine="pyrudof", workers=args.workers)
    steps["shacl"] = now() - t
    steps["shacl:core"] = parts["core"]
    steps["shacl:sparql"] = parts["sparql"]
    for pid, h in hwm.items():
        worker_hwm[pid] = max(worker_hwm.get(pid, 0), h)
    out["shacl"] = {"conforms": not problems, "results": len(problems), "engine": "pyrudof"}

    # the same with pySHACL (prepared-query cache) for the core constraints, when affordable
    if args.pyshacl_budget > 0:
        fp.patch_pyshacl()
        sample = dict(list(corpus.report_nt.items())[: min(20, len(corpus.report_nt))])
        v = fp.ReportValidator(shapes, "pyshacl")
        t = now()
        v.core("".join(sample.values()))
        per_report = (now() - t) / len(sample)
        estimate = per_report * len(corpus.report_nt) / max(1, args.workers)
        if estimate <= args.pyshacl_budget:
            t = now()
            p2, hwm2, parts2 = fp.validate_corpus(corpus, shapes, engine="pyshacl", workers=args.workers)
            steps["shacl-pyshacl"] = now() - t
            out["shacl_pyshacl"] = {"conforms": not p2, "results": len(p2), "measured": True,
                                    "core": parts2["core"], "sparql": parts2["sparql"]}
            for pid, h in hwm2.items():
                worker_hwm[pid] = max(worker_hwm.get(pid, 0), h)
        else:
            steps["shacl-pyshacl"] = estimate + parts["sparql"]
            out["shacl_pyshacl"] = {"measured": False, "estimate": estimate + parts["sparql"]}

    # ONE added report (N+1) against the N-report store: build it, add it, validate only it
    added = {}
    for engine in ("pyrudof", "pyshacl"):
        if engine == "pyshacl":
            fp.patch_pyshacl()
        t = now()
        validator = fp.ReportValidator(shapes, engine)
        validator.core("")  # engine start-up (shapes parsed) is set-up, as in a long-running service
        setup = now() - t
        add_file = corpus_files(args.corpus, 1, start=args.n + 1)[0]
        fp._init_worker(libyaml)
        t = now()
        rid, nt, _n = fp.build_report_file(str(add_file))
        t_build = now() - t
        t = now()
        from pyoxigraph import RdfFormat

        if engine == "pyrudof":
            store.load(nt.encode(), format=RdfFormat.N_TRIPLES)  # one transaction
        t_insert = now() - t
        t = now()
        core = validator.core(nt)
        t_core = now() - t
        t = now()
        sp = validator.sparql(store, fp.subjects_of(nt))
        t_sparql = now() - t
        added[engine] = {"setup": setup, "build": t_build, "insert": t_insert, "core": t_core,
                         "sparql": t_sparql, "validate": t_core + t_sparql, "problems": len(core) + len(sp),
                         "report": rid}
    out["added"] = added
    out["hwm_main_kb"] = hwm_kb()
    out["hwm_workers_kb"] = worker_hwm
    out["hwm_kb"] = out["hwm_main_kb"] + sum(worker_hwm.values())
    return out


def child_hermit(args) -> dict:
    """HermiT (owlready2) on ontology + mappings + the N reports, from an N-Triples dump of the store."""
    import fastpath as fp

    fp.use_libyaml_loader()
    corpus = fp.build_store(corpus_files(args.corpus, args.n), workers=args.workers)
    from pyoxigraph import RdfFormat

    nt = WORK / f"hermit-{args.n}.nt"
    from pyoxigraph import DefaultGraph

    # one file with everything, as kg/calcikg.owl: the data graph's owl:imports header is left out
    corpus.store.update("DELETE WHERE { ?s <http://www.w3.org/2002/07/owl#imports> ?o }")
    corpus.store.dump(str(nt), format=RdfFormat.N_TRIPLES, from_graph=DefaultGraph())
    del corpus
    import owlready2

    t = now()
    world = owlready2.World()
    onto = world.get_ontology(nt.resolve().as_uri()).load()
    t_load = now() - t
    t = now()
    consistent = True
    try:
        with onto:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError:
        consistent = False
    t_reason = now() - t
    nt.unlink(missing_ok=True)
    return {"n": args.n, "load": t_load, "reason": t_reason, "hermit": t_load + t_reason,
            "consistent": consistent, "hwm_kb": hwm_kb(), "java_maxrss_kb": children_maxrss_kb()}


def child_faults(args) -> dict:
    """Inject faults into a few reports' triples; NAIVE (stock pySHACL, whole graph) vs FAST verdicts."""
    import re

    import fastpath as fp
    from pyoxigraph import RdfFormat, Store
    from pyshacl import validate
    from rdflib import Graph
    from rdflib.namespace import SH

    shapes_path = ROOT / "shapes" / "calcikg-shapes.ttl"
    fp.use_libyaml_loader()
    corpus = fp.build_store(corpus_files(args.corpus, args.n), workers=1)
    nts = dict(corpus.report_nt)
    ids = list(nts)
    r = [CKD + i for i in ids]
    inj = []
    # 1. cross-report: report 2 claims report 1's source file (unique-source-file, SPARQL)
    nts[ids[1]] = nts[ids[1]].replace(f'"{ids[1]}.txt"', f'"{ids[0]}.txt"')
    inj.append("report 2 given report 1's source file")
    # 2. a case evidence loses its summary (minCount)
    nts[ids[0]] = re.sub(rf"^<{re.escape(r[0])}-case1-evidence> <{CKG}curatorSummary> .*\n", "", nts[ids[0]],
                         flags=re.M)
    inj.append("case evidence without summary")
    # 3. a patient's first name in a comment (SPARQL regex)
    nts[ids[2]] += f'<{r[2]}-case1> <http://www.w3.org/2000/01/rdf-schema#comment> "Seen with {_a_patient_name()} at home." .\n'
    inj.append("patient name in a comment")
    # 4. a second sex on a case (maxCount)
    nts[ids[1]] += f"<{r[1]}-case1> <{CKG}sex> <{CKG}Male> .\n<{r[1]}-case1> <{CKG}sex> <{CKG}Female> .\n"
    inj.append("two sexes on a case")
    # 5. a range whose minimum is above its maximum (lessThan, one number or a range)
    q = re.search(rf"^<({re.escape(r[3])}-[^>]*-(?:age|duration))> ", nts[ids[3]], flags=re.M) or \
        re.search(rf"^<({re.escape(CKD)}[^>]*-(?:age|duration))> ", "".join(nts.values()), flags=re.M)
    XSD_DEC = "http://www.w3.org/2001/XMLSchema#decimal"
    owner = next(i for i in ids if q.group(1).startswith(CKD + i + "-"))
    nts[owner] += (f'<{q.group(1)}> <{CKG}minValue> "5"^^<{XSD_DEC}> .\n'
                   f'<{q.group(1)}> <{CKG}maxValue> "2"^^<{XSD_DEC}> .\n')
    inj.append("range with min > max")
    # 6. a duplicate case number in one report (maxCount + unique-number, SPARQL)
    nts[ids[0]] += f'<{r[0]}-case1> <{CKG}caseNumber> "7"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    inj.append("second case number")

    onto_nt = fp.ntriples(fp.ontology_graph())
    # NAIVE: stock pySHACL over the whole graph
    full = Graph()
    full.parse(data=onto_nt + "".join(nts.values()), format="nt")
    shapes = Graph().parse(shapes_path, format="turtle")
    t = now()
    _c, results, _ = validate(full, shacl_graph=shapes, inference="none", advanced=True)
    t_naive = now() - t
    naive = set()
    for res in results.subjects(SH.resultSeverity, None):
        comp = str(results.value(res, SH.sourceConstraintComponent)).rsplit("#", 1)[-1]
        if comp == "SPARQLConstraintComponent":
            comp = "SPARQL:" + str(results.value(res, SH.sourceConstraint))
        naive.add((str(results.value(res, SH.focusNode)), comp))
    # FAST: each report on its own (core: pyrudof on its subgraph; SPARQL: the store, its nodes only)
    store = Store()
    store.bulk_load((onto_nt + "".join(nts.values())).encode(), format=RdfFormat.N_TRIPLES)
    out = {"injected": inj, "naive_seconds": t_naive}
    for engine in ("pyrudof", "pyshacl"):
        if engine == "pyshacl":
            fp.patch_pyshacl()
        v = fp.ReportValidator(shapes_path, engine)
        fast = set()
        t = now()
        for nt in nts.values():
            fast |= {(p.focus, p.component) for p in v.validate_report(store, nt)}
        out[engine] = {"seconds": now() - t, "same": fast == naive, "results": len(fast),
                       "only_naive": sorted(naive - fast), "only_fast": sorted(fast - naive)}
    out["naive_results"] = len(naive)
    return out


CHILDREN = {"naive": child_naive, "fast": child_fast, "hermit": child_hermit, "faults": child_faults,
            "calibrate": child_naive_calibrate}


def run_child(kind: str, n: int, args, timeout: float | None = None, **extra) -> dict:
    """Run one measurement in a fresh interpreter; its JSON result, or an 'error'/'timeout'."""
    cmd = [PYTHON, str(Path(__file__).resolve()), "--child", kind, "--n", str(n), "--corpus", str(args.corpus),
           "--workers", str(args.workers)]
    for k, v in extra.items():
        if v is True:
            cmd.append(f"--{k.replace('_', '-')}")
        elif v not in (None, False):
            cmd += [f"--{k.replace('_', '-')}", str(v)]
    out_file = WORK / f"child-{kind}-{n}.json"
    out_file.unlink(missing_ok=True)
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
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1 cold CLI run, no fault check, no pySHACL comparison on the fast path")
    ap.add_argument("--corpus", type=Path, default=WORK / "corpus", help="folder of generated records (reused)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="worker processes (FAST)")
    ap.add_argument("--naive-shacl-budget", type=float, default=900,
                    help="run whole-graph pySHACL only when its estimate is below this many seconds")
    ap.add_argument("--naive-budget", type=float, default=2400,
                    help="time limit of one NAIVE subprocess (build + queries + SHACL)")
    ap.add_argument("--hermit-timeout", type=float, default=300, help="time limit of one HermiT run, seconds")
    ap.add_argument("--pyshacl-budget", type=float, default=300,
                    help="FAST path: also validate every report with pySHACL when estimated below this")
    ap.add_argument("--no-naive", action="store_true", help="FAST path only")
    # child mode
    ap.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--skip-shacl", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--digest", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--prev-stored", help=argparse.SUPPRESS)
    ap.add_argument("--stored-budget", type=float, default=300,
                    help="FAST path: also run the stored form of a rewritten query when estimated below this")
    args = ap.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)

    if args.child:
        res = CHILDREN[args.child](args)
        args.result.write_text(json.dumps(res))
        return 0

    if args.quick:
        args.pyshacl_budget = 0
    sizes = [int(s.replace(",", "").replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    log_path = WORK / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    log_fh = log_path.open("w")

    def say(text: str = "") -> None:
        print(text, flush=True)
        log_fh.write(text + "\n")
        log_fh.flush()

    import generate

    say(f"CalciKG benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, sizes {sizes}"
        + (" (quick)" if args.quick else ""))
    t = now()
    generate.ensure_corpus(max(sizes) + 1, args.corpus)
    say(f"corpus: {args.corpus} (first {max(sizes) + 1} synthetic reports ready in {fmt_s(now() - t)}; "
        f"generator v{generate.GENERATOR_VERSION}, seed {generate.DEFAULT_SEED})")
    for name in QUERIES:
        f, fo = query_file(name), query_file(name, "oxigraph")
        say(f"query {name}: {f.relative_to(ROOT)}" + ("  [bench stand-in: queries/ has none yet]"
                                                       if f.parent == BENCH / "queries" else "")
            + (f"; FAST path runs its rewrite {fo.relative_to(ROOT)} (the stored form is timed too)" if fo != f else ""))
    results: dict = {"sizes": sizes, "runs": {}, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                     "cpu": os.cpu_count()}

    # 1. the real CLI, cold
    cli = cold_cli(1 if args.quick else 5)
    results["cold_cli"] = cli
    say(f"\ncold `{cli['command']}` on the REAL graph: median {fmt_s(cli['median'])} of {cli['runs']} runs "
        f"(min {fmt_s(cli['min'])}, max {fmt_s(cli['max'])}; exit {cli['rc']})")

    # 2. fault injection: do both validation paths find the same problems?
    if not args.quick:
        say("\nfault check (6 faults injected in 5 reports; stock pySHACL on the whole graph vs per report)...")
        fc = run_child("faults", 5, args, timeout=900)
        results["faults"] = fc
        if "error" in fc or "timeout" in fc:
            say(f"  fault check failed: {fc}")
        else:
            for engine in ("pyrudof", "pyshacl"):
                e = fc[engine]
                say(f"  same SHACL results as stock pySHACL ({fc['naive_results']} results), per-report {engine}: "
                    f"{'yes' if e['same'] else 'no'}" + ("" if e["same"] else
                                                         f" (only naive: {e['only_naive']}; only fast: {e['only_fast']})"))

    naive_rate = None  # pySHACL seconds per report, from the last measured size
    stored_prev: dict = {}  # stored query -> (reports, seconds) on Oxigraph, last measured
    hermit_prev = None
    for n in sizes:
        say(f"\n== {n:,} reports ==")
        run: dict = {}
        digest = n <= 1000
        fast = run_child("fast", n, args, timeout=3600, digest=digest, pyshacl_budget=args.pyshacl_budget,
                         prev_stored=json.dumps(stored_prev), stored_budget=args.stored_budget)
        run["fast"] = fast
        for name, r in (fast.get("stored_on_oxigraph") or {}).items():
            if "seconds" in r:
                stored_prev[name] = (n, r["seconds"])
        say(f"  fast: {'ok' if 'steps' in fast else fast} ({fmt_s(fast.get('wall'))} wall)")
        if not args.no_naive:
            estimate = naive_rate * n if naive_rate else None
            if estimate is None:
                cal_n = min(n, 5)
                cal = run_child("calibrate", cal_n, args, timeout=900)
                if "seconds" in cal:
                    estimate = cal["seconds"] / cal_n * n
                    run["naive_calibration"] = cal
            skip = estimate is not None and estimate > args.naive_shacl_budget
            naive = run_child("naive", n, args, timeout=args.naive_budget, skip_shacl=skip, digest=digest)
            if skip and "steps" in naive:
                naive["shacl_estimate"] = estimate
            if "steps" in naive and naive["steps"].get("shacl"):
                naive_rate = naive["steps"]["shacl"] / n
            run["naive"] = naive
            say(f"  naive: {'ok' if 'steps' in naive else naive} ({fmt_s(naive.get('wall'))} wall)"
                + (f"; pySHACL skipped, estimated {fmt_s(estimate)}" if skip else ""))
        # HermiT: same engine for both paths
        if hermit_prev and hermit_prev[1] * n / hermit_prev[0] > args.hermit_timeout:
            run["hermit"] = {"skipped": hermit_prev[1] * n / hermit_prev[0], "from": hermit_prev[0]}
        else:
            h = run_child("hermit", n, args, timeout=args.hermit_timeout)
            run["hermit"] = h
            if "hermit" in h:
                hermit_prev = (n, h["hermit"])
            elif "timeout" in h:
                hermit_prev = (n, args.hermit_timeout * 1.0001)
        say(f"  hermit: {run['hermit']}")
        results["runs"][n] = run
        (WORK / "results-latest.json").write_text(json.dumps(results, indent=1))

    report(results, say, args)
    say(f"\n(full log: {log_path}; results: {WORK / 'results-latest.json'})")
    return 0


def _total(steps: dict, queries: list[str], shacl) -> float | None:
    if shacl is None:
        return None
    return steps["build"] + shacl + sum(steps[f"q:{q}"] for q in queries)


def report(results: dict, say, args) -> None:
    """Print the tables of a finished run."""
    qnames = list(QUERIES)
    short = {"treatments-effective-in": "Q1 effective-in", "case-timeline": "Q2 case-timeline",
             "cohort-summary": "Q3 cohort-summary"}
    headers = ["reports / path", "build", "triples", "SHACL", "HermiT", *[short[q] for q in qnames],
               "build+SHACL+3Q", "peak RSS"]
    rows = []
    ratio_rows = []
    notes = []
    for n, run in results["runs"].items():
        n = int(n)
        h = run.get("hermit", {})
        if "hermit" in h:
            hermit = fmt_s(h["hermit"])
        elif "skipped" in h:
            hermit = f"skipped (est. {fmt_s(h['skipped'])})"
            notes.append(f"HermiT at {n:,}: skipped, estimated {fmt_s(h['skipped'])} from the {h['from']:,}-report "
                         f"run (above the {fmt_s(args.hermit_timeout)} limit; assumes linear growth, HermiT is "
                         "usually worse)")
        elif "timeout" in h:
            hermit = f"> {fmt_s(h['timeout'])} (stopped)"
        else:
            hermit = "error"
        per_path = {}
        for path in ("naive", "fast"):
            r = run.get(path)
            if not r or "steps" not in r:
                if r:
                    rows.append([f"{n:,} {path}", "error" if "error" in r else "timeout", *[""] * (len(headers) - 2)])
                    notes.append(f"{path} at {n:,}: {str(r)[:400]}")
                continue
            s = r["steps"]
            shacl = s.get("shacl")
            shacl_txt = fmt_s(shacl)
            est = False
            if shacl is None and r.get("shacl_estimate"):
                shacl = r["shacl_estimate"]
                est = True
                shacl_txt = f"skipped (est. {fmt_s(shacl)})"
            total = _total(s, qnames, shacl)
            per_path[path] = (s, shacl, total, est)
            rows.append([f"{n:,} {path}", fmt_s(s["build"]), f"{r['triples']:,}", shacl_txt, hermit,
                         *[fmt_s(s[f'q:{q}']) for q in qnames],
                         ("~" if est else "") + fmt_s(total), fmt_mb(r.get("hwm_kb"))])
        if "naive" in per_path and "fast" in per_path:
            (sn, shn, tn, est), (sf, shf, tf, _) = per_path["naive"], per_path["fast"]
            ratio_rows.append([f"{n:,} naive/fast", fmt_ratio(sn["build"], sf["build"]), "",
                               ("~" if est else "") + fmt_ratio(shn, shf), "",
                               *[fmt_ratio(sn[f"q:{q}"], sf[f"q:{q}"]) for q in qnames],
                               ("~" if est else "") + fmt_ratio(tn, tf),
                               fmt_ratio(run["naive"].get("hwm_kb"), run["fast"].get("hwm_kb"))])
    say("\n" + "=" * 100)
    say("RESULTS (seconds of wall-clock time; peak RSS = VmHWM of the path's process + its workers)")
    say("=" * 100)
    say(table(headers, rows))
    if ratio_rows:
        say("\nratios naive/fast (~ = from an estimate):")
        say(table(headers[:1] + headers[1:], ratio_rows))

    # build and validation details
    det_h = ["reports / path", "ontology", "YAML+schema", "builder", "assemble/load", "SHACL core", "SHACL sparql",
             "SHACL w/ pySHACL core"]
    det = []
    for n, run in results["runs"].items():
        n = int(n)
        nv, fs = run.get("naive", {}), run.get("fast", {})
        if "steps" in nv:
            s = nv["steps"]
            det.append([f"{int(n):,} naive", fmt_s(s["ontology"]), fmt_s(s["load"]), fmt_s(s["builder"]),
                        fmt_s(s["assemble"]), "-", "-", fmt_s(s.get("shacl")) if s.get("shacl") else "skipped"])
        if "steps" in fs:
            s = fs["steps"]
            ps = fs.get("shacl_pyshacl") or {}
            pys = fmt_s(s.get("shacl-pyshacl")) if ps.get("measured") else (
                f"skipped (est. {fmt_s(ps['estimate'])})" if ps.get("estimate") else "-")
            det.append([f"{int(n):,} fast", fmt_s(s["ontology"]),
                        f"(in build, {fs['workers']} workers)", "(in build)", f"build {fmt_s(s['build'])}",
                        fmt_s(s["shacl:core"]), fmt_s(s["shacl:sparql"]), pys])
    if det:
        say("\nbuild and SHACL details (FAST: YAML+schema+builder run in worker processes, then one bulk load):")
        say(table(det_h, det))

    # added report
    add_rows = []
    for n, run in results["runs"].items():
        fs = run.get("fast", {})
        for engine, a in (fs.get("added") or {}).items():
            add_rows.append([f"{int(n):,} + 1 ({engine})", fmt_s(a["setup"]), fmt_s(a["build"]), fmt_s(a["insert"]),
                             fmt_s(a["core"]), fmt_s(a["sparql"]), fmt_s(a["validate"]),
                             fmt_s(a["build"] + a["insert"] + a["validate"]), str(a["problems"])])
    if add_rows:
        say("\nONE added report validated against the corpus (FAST; set-up = engine start, once per process):")
        say(table(["corpus", "set-up", "load+build", "insert", "core SHACL", "SPARQL on store", "validate",
                   "build+insert+validate", "problems"], add_rows))

    # checks
    say("\nchecks:")
    for n, run in results["runs"].items():
        nv, fs = run.get("naive", {}), run.get("fast", {})
        if "steps" in nv and "steps" in fs:
            try:
                a = json.loads((WORK / f"rows-naive-{n}.json").read_text())
                b = json.loads((WORK / f"rows-fast-{n}.json").read_text())
                same = {q: [list(r) for r in a[q]] == [list(r) for r in b[q]] for q in qnames}
                same_sorted = {q: sorted(map(tuple, a[q])) == sorted(map(tuple, b[q])) for q in qnames}
                say(f"  {int(n):,} reports: same rows: {'yes' if all(same_sorted.values()) else 'no'} "
                    f"({', '.join(f'{q} {len(a[q])} rows' + ('' if same[q] else ' (same set, order differs)' if same_sorted[q] else ' DIFFER') for q in qnames)})")
            except (OSError, KeyError, ValueError) as exc:
                say(f"  {int(n):,} reports: rows not compared ({exc})")
            if nv.get("digest") and fs.get("digest"):
                say(f"  {int(n):,} reports: same triples: {'yes' if nv['digest'] == fs['digest'] else 'no'} "
                    f"({nv['triples']:,} naive, {fs['triples']:,} fast)")
            if nv.get("shacl") and fs.get("shacl"):
                say(f"  {int(n):,} reports: both conform: naive {nv['shacl']['conforms']}, fast {fs['shacl']['conforms']}")
        elif "steps" in fs:
            say(f"  {int(n):,} reports: fast conforms: {fs['shacl']['conforms']}")
    for n, run in results["runs"].items():
        for name, r in ((run.get("fast") or {}).get("stored_on_oxigraph") or {}).items():
            if "seconds" in r:
                say(f"  {int(n):,} reports: stored {name}.rq as is on Oxigraph: {fmt_s(r['seconds'])} "
                    f"(rewrite: {fmt_s(run['fast']['steps'][f'q:{name}'])}; same rows: {'yes' if r['same_rows_as_rewrite'] else 'no'})")
            else:
                say(f"  {int(n):,} reports: stored {name}.rq as is on Oxigraph: skipped, estimated {fmt_s(r['estimate'])} "
                    f"(quadratic from the {r['from']:,}-report run)")
    fc = results.get("faults")
    if fc and "pyrudof" in fc:
        say(f"  fault injection ({'; '.join(fc['injected'])}): stock pySHACL on the whole graph found "
            f"{fc['naive_results']} results in {fmt_s(fc['naive_seconds'])}; per report with pyrudof: same "
            f"{'yes' if fc['pyrudof']['same'] else 'no'}, with pySHACL: same {'yes' if fc['pyshacl']['same'] else 'no'}")
    for note in notes:
        say(f"  note: {note}")

    # targets
    say("\ntargets (FAST path):")
    cli = results["cold_cli"]
    say(f"  cold `calcikg query` on the real graph < 0.5 s: {fmt_s(cli['median'])} -> "
        f"{'met' if cli['median'] < 0.5 else 'NOT met'}")
    big = max(int(n) for n in results["runs"])
    run = results["runs"][big] if big in results["runs"] else results["runs"][str(big)]
    fs, nv = run.get("fast", {}), run.get("naive", {})
    if "steps" in fs:
        tf = _total(fs["steps"], qnames, fs["steps"]["shacl"])
        if "steps" in nv:
            shn = nv["steps"].get("shacl") or nv.get("shacl_estimate")
            tn = _total(nv["steps"], qnames, shn)
            est = nv["steps"].get("shacl") is None
            say(f"  {big:,} reports, build + SHACL + 3 queries >= 10x faster than naive: "
                f"{fmt_s(tf)} vs {'~' if est else ''}{fmt_s(tn)} = {'~' if est else ''}{fmt_ratio(tn, tf)} -> "
                f"{'met' if tn / tf >= 10 else 'NOT met'}{' (naive SHACL estimated)' if est else ''}")
        say(f"  {big:,} reports, peak memory < 4 GB: {fmt_mb(fs['hwm_kb'])} -> "
            f"{'met' if fs['hwm_kb'] < 4 * 1024 * 1024 else 'NOT met'}")
        a = fs["added"]["pyrudof"]
        say(f"  one added report validated against {big:,} reports < 1 s: {fmt_s(a['validate'])} "
            f"(with load+build+insert {fmt_s(a['build'] + a['insert'] + a['validate'])}) -> "
            f"{'met' if a['validate'] < 1 else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
