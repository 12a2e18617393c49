"""Benchmark CalciKG's one pipeline (`calcikg build` / `calcikg validate`) against the targets of issue #16.

    python bench/run.py                       # sizes 100, 1,000 and 10,000 (what `make bench` runs)
    python bench/run.py --sizes 3 --quick     # smoke run, under a minute

For each size N, a scratch project (the real ontology, templates, mappings, shapes, queries, schema
and README, and N synthetic records from bench/generate.py) is built with the real CLI, each
command in its own process, as a user runs it:

- from scratch: `calcikg build` (every record built and validated, the store filled, the releases
  written) then `calcikg validate --no-reasoner` (from the cache: the rules across reports, the
  source texts); wall time, and peak memory (the largest sampled sum of the Pss of the command's
  processes and workers);
- the raw load: Oxigraph's own bulk load of the built kg/calcikg.nt into an in-memory store (the
  floor the build is measured against);
- one record changed, then `calcikg build` (the incremental rebuild);
- the naive reference at the smallest size only: `calcikg validate --exact --no-reasoner`
  (whole-graph pySHACL over the built Turtle).

Plus, on a copy of the REAL project: `calcikg build` + `calcikg validate --no-reasoner` from a cold
cache and after one record changed, and the cold `calcikg query treatments-effective-in --param
condition=JDM` (median of 5). Corpora and scratch projects go to /tmp/bench-work ($BENCH_WORK).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
SOURCES = ("ontology", "shapes", "queries", "mappings", "kg/schema", "kg/privacy")

#: The targets of issue #16: (name, unit, limit).
TARGETS = {
    "scratch": "10,000 reports: build + validate from scratch <= 90 s",
    "memory": "10,000 reports: peak memory <= 2 GB",
    "ratio": "10,000 reports: build + validate <= 10x Oxigraph's bulk load of the same triples (aim)",
    "incremental": "one record changed in 10,000 reports, then `calcikg build` <= 3 s",
    "real": "real graph: `calcikg build` + `calcikg validate --no-reasoner` <= 3 s",
    "query": "cold `calcikg query` on the real graph < 0.3 s",
}


def now() -> float:
    return time.perf_counter()


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


def _cpu_ticks(pid: int) -> int:
    """utime + stime of a process so far (clock ticks), 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def run_cli(project: Path, *args: str, env: dict | None = None) -> dict:
    """Run `calcikg ARGS` on ``project``; wall time, peak Pss and CPU time of its process tree (the
    latter sampled: a figure that does not depend on what else runs on the machine), exit code, output."""
    env = {**os.environ, "CALCIKG_HOME": str(project), "PYTHONPATH": str(ROOT / "src"), "CI": "true",
           **(env or {})}
    # what the previous step wrote goes to disk first, as it would in the minutes a curator spends on a
    # record: else the kernel's writeback of a 1.1 GB release competes with the step measured
    os.sync()
    t = now()
    proc = subprocess.Popen([PYTHON, "-m", "calcikg", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=project)
    peak, stop, ticks = [0], threading.Event(), {}

    def sample() -> None:
        while not stop.is_set():
            tree = _tree(proc.pid)
            peak[0] = max(peak[0], sum(_pss_kb(p) for p in tree))
            for p in tree:
                ticks[p] = max(ticks.get(p, 0), _cpu_ticks(p))
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = now() - t
    stop.set()
    sampler.join()
    return {"seconds": wall, "peak_kb": peak[0], "cpu_seconds": sum(ticks.values()) / os.sysconf("SC_CLK_TCK"),
            "load": os.getloadavg()[0], "rc": proc.returncode, "stdout": out[-3000:], "stderr": err[-3000:]}


def make_project(dest: Path, records: list[Path] | None) -> Path:
    """A scratch project: the real sources, and ``records`` (links) or the real records."""
    if dest.exists():
        shutil.rmtree(dest)
    for sub in SOURCES:
        shutil.copytree(ROOT / sub, dest / sub)
    shutil.copy(ROOT / "README.md", dest / "README.md")
    if records is None:
        shutil.copytree(ROOT / "kg" / "records", dest / "kg" / "records")
    else:
        (dest / "kg" / "records").mkdir(parents=True)
        for f in records:
            (dest / "kg" / "records" / f.name).symlink_to(f)
    return dest


def change_one(project: Path, name: str) -> None:
    """Replace the record ``name`` (a link into the corpus) by a changed copy (a new title)."""
    path = project / "kg" / "records" / name
    text = path.read_text(encoding="utf-8")
    path.unlink()
    path.write_text(text.replace("title: Synthetic report", "title: Changed synthetic report", 1)
                    if "title: Synthetic report" in text else text + "\n# changed\n", encoding="utf-8")


def raw_load(nt_file: Path) -> dict:
    """Oxigraph's own bulk load of ``nt_file`` into an in-memory store, in a fresh process."""
    code = ("import sys, time\nfrom pyoxigraph import Store, RdfFormat\ns = Store()\nt = time.perf_counter()\n"
            "s.bulk_load(path=sys.argv[1], format=RdfFormat.N_TRIPLES)\nprint(time.perf_counter() - t, len(s))")
    out = subprocess.run([PYTHON, "-c", code, str(nt_file)], capture_output=True, text=True, check=True).stdout.split()
    return {"seconds": float(out[0]), "triples": int(out[1])}


def cold_query(project: Path, runs: int) -> dict:
    times, rc = [], 0
    for _ in range(runs):
        r = run_cli(project, "query", "treatments-effective-in", "--param", "condition=JDM")
        times.append(r["seconds"])
        rc = rc or r["rc"]
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": runs, "rc": rc}


def fmt_s(x) -> str:
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:,.0f} s"
    if x >= 10:
        return f"{x:.1f} s"
    if x >= 0.1:
        return f"{x:.2f} s"
    return f"{x * 1000:.0f} ms"


def fmt_mb(kb) -> str:
    return "-" if kb is None else f"{kb / 1024:,.0f} MB"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths))
    sep = "-+-".join("-" * w for w in widths)
    body = [" | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    return "\n".join([line, sep, *body])


def checked(r: dict, what: str) -> dict:
    if r["rc"] not in (0, 1):
        raise SystemExit(f"{what} failed (exit {r['rc']}):\n{r['stderr']}")
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--sizes", default="100,1000,10000", help="comma-separated numbers of reports")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 cold query, no naive reference")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="calcikg build --jobs")
    ap.add_argument("--corpus", type=Path, default=WORK / "corpus", help="folder of generated records (reused)")
    args = ap.parse_args(argv)

    import generate

    WORK.mkdir(parents=True, exist_ok=True)
    run_dir = WORK / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    run_dir.mkdir(parents=True)
    sizes = [int(s.replace(",", "").replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    log_fh = (run_dir / "bench.txt").open("w")

    def say(text: str = "") -> None:
        print(text, flush=True)
        log_fh.write(text + "\n")
        log_fh.flush()

    say(f"CalciKG benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, sizes {sizes}, "
        f"--jobs {args.jobs}" + (" (quick)" if args.quick else "")
        + f", load average {os.getloadavg()[0]:.1f} at the start (the figures are wall times on a shared machine)")
    t = now()
    files = generate.ensure_corpus(max(sizes), args.corpus)
    say(f"corpus: {args.corpus} ({max(sizes):,} synthetic reports ready in {fmt_s(now() - t)}; generator "
        f"v{generate.GENERATOR_VERSION}, seed {generate.DEFAULT_SEED})")
    results: dict = {"sizes": sizes, "runs": {}, "cpu": os.cpu_count(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    jobs = ["--jobs", str(args.jobs)]
    for n in sizes:
        project = make_project(run_dir / f"project-{n}", files[:n])
        r: dict = {}
        r["build"] = checked(run_cli(project, "build", *jobs), f"build of {n}")
        r["validate"] = checked(run_cli(project, "validate", "--no-reasoner", *jobs), f"validate of {n}")
        r["conforms"] = r["validate"]["rc"] == 0
        r["raw"] = raw_load(project / "kg" / "calcikg.nt")
        r["release_mb"] = sum((project / "kg" / f).stat().st_size for f in ("calcikg.ttl", "calcikg-data.ttl",
                                                                              "calcikg.owl", "calcikg.nt")) / 2**20
        change_one(project, files[n // 2].name)
        r["incremental"] = checked(run_cli(project, "build", *jobs), f"incremental build of {n}")
        r["incremental_validate"] = checked(run_cli(project, "validate", "--no-reasoner", *jobs), f"validate {n}")
        if n == min(sizes) and not args.quick:
            r["exact"] = checked(run_cli(project, "validate", "--exact", "--no-reasoner"), f"exact of {n}")
        results["runs"][n] = r
        say(f"  {n:,} reports: build {fmt_s(r['build']['seconds'])} ({fmt_s(r['build']['cpu_seconds'])} CPU, load "
            f"average {r['build']['load']:.1f} at its end), validate {fmt_s(r['validate']['seconds'])}, "
            f"raw load {fmt_s(r['raw']['seconds'])} ({r['raw']['triples']:,} triples), one changed "
            f"{fmt_s(r['incremental']['seconds'])} ({fmt_s(r['incremental']['cpu_seconds'])} CPU)")
        shutil.rmtree(project / ".calcikg", ignore_errors=True)
        (run_dir / "results.json").write_text(json.dumps(results, indent=1))

    real = make_project(run_dir / "project-real", None)
    cold_build = checked(run_cli(real, "build"), "real build")
    cold_validate = checked(run_cli(real, "validate", "--no-reasoner"), "real validate")
    rec = sorted((real / "kg" / "records").glob("*.yaml"))[0]
    rec.write_text(rec.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    warm_build = checked(run_cli(real, "build"), "real build after a change")
    warm_validate = checked(run_cli(real, "validate", "--no-reasoner"), "real validate after a change")
    results["real"] = {"cold": [cold_build["seconds"], cold_validate["seconds"]],
                       "one_changed": [warm_build["seconds"], warm_validate["seconds"]]}
    results["query"] = cold_query(real, 1 if args.quick else 5)
    (run_dir / "results.json").write_text(json.dumps(results, indent=1))
    report(results, say)
    say(f"\n(full log: {run_dir / 'bench.txt'}; results: {run_dir / 'results.json'})")
    return 0


def report(results: dict, say) -> None:
    rows = []
    for n, r in results["runs"].items():
        total = r["build"]["seconds"] + r["validate"]["seconds"]
        rows.append([f"{int(n):,}", f"{r['raw']['triples']:,}", fmt_s(r["build"]["seconds"]),
                     fmt_s(r["validate"]["seconds"]), fmt_s(total),
                     fmt_s(r["build"].get("cpu_seconds", 0) + r["validate"].get("cpu_seconds", 0)),
                     fmt_mb(max(r["build"]["peak_kb"],
                                                                                r["validate"]["peak_kb"])),
                     fmt_s(r["raw"]["seconds"]), f"{total / r['raw']['seconds']:,.0f}x",
                     fmt_s(r["incremental"]["seconds"]), fmt_s(r["incremental_validate"]["seconds"]),
                     fmt_s(r["exact"]["seconds"]) if "exact" in r else "-", f"{r['release_mb']:,.0f} MB",
                     "yes" if r["conforms"] else "NO"])
    say("\n" + table(["reports", "triples", "build", "validate", "build+validate", "its CPU time", "peak memory", "raw load",
                      "x raw load", "one changed: build", "then validate", "naive --exact", "releases",
                      "conforms"], rows))
    real = results["real"]
    say(f"\nreal graph: build + validate --no-reasoner from a cold cache {fmt_s(sum(real['cold']))} "
        f"({fmt_s(real['cold'][0])} + {fmt_s(real['cold'][1])}); after one record changed "
        f"{fmt_s(sum(real['one_changed']))} ({fmt_s(real['one_changed'][0])} + {fmt_s(real['one_changed'][1])})")
    q = results["query"]
    say(f"cold `calcikg query treatments-effective-in --param condition=JDM`: median {fmt_s(q['median'])} of "
        f"{q['runs']} (exit {q['rc']})")

    say("\ntargets:")
    big = max(int(n) for n in results["runs"])
    r = results["runs"][big] if big in results["runs"] else results["runs"][str(big)]
    total = r["build"]["seconds"] + r["validate"]["seconds"]
    peak = max(r["build"]["peak_kb"], r["validate"]["peak_kb"])
    measured = {
        "scratch": (total <= 90, fmt_s(total)),
        "memory": (peak <= 2 * 1024 * 1024, fmt_mb(peak)),
        "ratio": (total / r["raw"]["seconds"] <= 10, f"{total / r['raw']['seconds']:,.0f}x"),
        "incremental": (r["incremental"]["seconds"] <= 3, fmt_s(r["incremental"]["seconds"])),
        "real": (sum(real["one_changed"]) <= 3, f"{fmt_s(sum(real['one_changed']))} after one record changed, "
                                                f"{fmt_s(sum(real['cold']))} from a cold cache"),
        "query": (q["median"] < 0.3, fmt_s(q["median"])),
    }
    for key, text in TARGETS.items():
        ok, figure = measured[key]
        if big != 10000 and key in ("scratch", "memory", "ratio", "incremental"):
            text = text.replace("10,000", f"{big:,} (not 10,000)")
        say(f"  {text}: {figure} -> {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
