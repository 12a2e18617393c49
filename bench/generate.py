"""Synthetic CalciKG report records, in the project's own record format, for benchmarks.

Every record is valid against ``kg/schema/report-record.schema.json``, builds with
:func:`calcikg.graph.build_data` and conforms to ``shapes/calcikg-shapes.ttl``. The terms are drawn
from the ontology (:class:`calcikg.terms.TermIndex` ``members(kind)``), named by their labels as a
curator would write them. Nothing here is clinical: the reports are clearly synthetic
(``synth-000001``, "Synthetic report 1", authors ``Synth000001 A``) and must never be written into
``kg/``.

Deterministic: report ``i`` depends only on ``i`` and the seed (its own ``random.Random``), so the
first 100 reports of a 10,000-report corpus are the 100-report corpus, and a corpus can be
generated once and cut to any size.

    python bench/generate.py --reports 1000 --out /tmp/bench-work/corpus
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
#: Bump when the shape of the generated records changes (cached corpora are then regenerated).
GENERATOR_VERSION = 4
DEFAULT_SEED = 8
#: Share of cases diagnosed with juvenile dermatomyositis (the flagship query's default condition).
JDM_SHARE = 0.3

CKG = "https://w3id.org/calcikg/"


def report_id(i: int) -> str:
    """``synth-000001``: the id of synthetic report ``i`` (from 1)."""
    return f"synth-{i:06d}"


def _term_index():
    from calcikg.build import load_ontology
    from calcikg.terms import TermIndex

    return TermIndex.from_graph(load_ontology())


@lru_cache(maxsize=1)
def pools() -> dict[str, list[str]]:
    """The labels the generator draws from, per use, each checked to resolve back to its term."""
    ti = _term_index()

    def label(iri) -> str:
        return str(ti.labels[iri])

    def under(kind: str, *roots: str) -> list[str]:
        """Labels of ``kind`` members below one of ``roots`` that resolve uniquely to themselves."""
        wanted = {CKG + r for r in roots}
        out = []
        for iri in ti.members(kind):
            if roots and not {str(a) for a in ti.ancestors(iri)} & wanted:
                continue
            try:
                if str(ti.resolve(label(iri), kind).iri) != str(iri):
                    continue
            except Exception:  # noqa: BLE001 - ambiguous labels are simply not used
                continue
            out.append(label(iri))
        return sorted(out)

    pub_kinds = [k for k in under("publication kind") if k not in {"curated report", "publication"}]
    p = {
        "diagnosis": under("condition", "CalcinosisCutis", "Disease"),
        "calcinosis": under("calcinosis"),
        "finding": under("finding", "ClinicalFinding", "DiagnosticTest"),
        "treatment": under("treatment"),
        "site": under("site"),
        "domain": under("domain term"),
        "route": under("route"),
        "outcome": under("outcome"),
        "publication kind": pub_kinds,
        "units": under("unit"),
    }
    for needed in ("juvenile dermatomyositis",):
        assert needed in p["diagnosis"], f"the ontology has no {needed!r}"
    for unit in ("year", "month", "week", "mg", "mg/day", "mg/kg/day", "IU/L", "patients"):
        assert unit in p["units"], f"the ontology has no unit {unit!r}"
    return p


def pools_digest() -> str:
    """A short hash of the term pools and generator version (a cached corpus is reused only if equal)."""
    text = json.dumps({"v": GENERATOR_VERSION, "pools": pools()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _where(section: str, rng: random.Random) -> dict:
    return {"section": section, "paragraph": rng.randint(1, 4)}


def _quantity(rng: random.Random, unit: str, lo: float, hi: float, *, integer: bool = False) -> dict:
    value = rng.randint(int(lo), int(hi)) if integer else round(rng.uniform(lo, hi), 1)
    return {"value": value, "unit": unit}


def _dose(rng: random.Random) -> dict:
    unit = rng.choice(["mg", "mg/day", "mg/kg/day"])
    roll = rng.random()
    if roll < 0.6:
        dose = {"value": rng.choice([1, 2, 5, 10, 30, 60, 150]), "unit": unit}
    elif roll < 0.85:
        lo = rng.choice([1, 2, 30, 60])
        dose = {"min": lo, "max": lo * rng.choice([2, 3, 5]), "unit": unit}
    else:
        return {"note": "Described only as a low dose."}
    if rng.random() < 0.4:
        dose["frequency"] = rng.choice(["once daily", "twice daily", "once a month"])
    if rng.random() < 0.3:
        dose["duration"] = _quantity(rng, rng.choice(["week", "month"]), 1, 12, integer=True)
    return dose


def generate_report(i: int, seed: int = DEFAULT_SEED) -> dict:
    """Synthetic report ``i`` (from 1) as a record dict (what ``yaml.safe_load`` of its file gives)."""
    p = pools()
    rng = random.Random(f"{seed}:{i}")
    rid = report_id(i)
    year = rng.randint(1990, 2024)
    record: dict = {
        "report": {
            "id": rid,
            "source_file": f"{rid}.txt",
            "title": f"Synthetic report {i}",
            "authors": [f"Synth{i:06d} A", "Bench B"],
            "journal": "Synthetic Journal of Benchmarks",
            "year": year,
            "volume": str(rng.randint(1, 60)),
            "pages": f"{rng.randint(1, 400)}-{rng.randint(401, 800)}",
            "doi": f"10.5555/synth.{i:06d}",
            "license": "CC BY 4.0",
            "publication_kind": rng.choice(["case report", "clinical case report", "letter"]),
            "read": "full text",
        },
        "references": [],
        "cases": [],
        "statements": [],
    }
    n_refs = rng.randint(2, 5)
    for k in range(1, n_refs + 1):
        record["references"].append({
            "number": k,
            "authors": [f"Ref{k}x{i:06d} C"],
            "title": f"Synthetic reference {k} of synthetic report {i}",
            "journal": "Synthetic Reviews",
            "year": rng.randint(1950, year),
            "publication_kind": rng.choice(p["publication kind"]),
        })
    n_cases = rng.randint(1, 3)
    for n in range(1, n_cases + 1):
        record["cases"].append(_case(rng, p, n))
    # statements: a cohort figure (always), and a few claims of the literature and background
    statements = record["statements"]
    statements.append({
        "id": "cohort-number-of-patients",
        "kind": "cohort",
        "measure": "number of patients",
        "value": {"value": n_cases, "unit": "patients"},
        "cases": list(range(1, n_cases + 1)),
        "evidence": {"where": _where("Abstract", rng), "kind": "own patient observation", "level": "C",
                     "summary": f"The synthetic series counts {n_cases} patient(s)."},
    })
    if rng.random() < 0.5:
        statements.append({
            "id": "cohort-mean-age",
            "kind": "cohort",
            "measure": "mean age",
            "value": _quantity(rng, "year", 2, 16),
            "evidence": {"where": _where("Abstract", rng), "kind": "own patient observation", "level": "C",
                         "summary": "The synthetic abstract gives the mean age of the series."},
        })
    for k in range(1, rng.randint(1, 3) + 1):
        condition = "juvenile dermatomyositis" if rng.random() < JDM_SHARE else rng.choice(p["diagnosis"])
        claim = {
            "id": f"claim-{k}",
            "kind": "treatment",
            "intervention": rng.choice(p["treatment"]),
            "population": {"conditions": [condition], "patients": rng.randint(1, 40), "sex": "mixed"},
            "evidence": {"where": _where("Discussion", rng), "kind": "cited literature claim",
                         "cites": sorted(rng.sample(range(1, n_refs + 1), rng.randint(1, min(2, n_refs)))),
                         "level": rng.choice(["C", "D"]),
                         "summary": f"A synthetic claim of the literature, number {k}."},
        }
        if rng.random() < 0.8:
            claim["calcinosis_outcome"] = rng.choice(p["outcome"])
        if rng.random() < 0.3:
            claim["route"] = rng.choice(p["route"])
        statements.append(claim)
    if rng.random() < 0.6:
        statements.append({
            "id": "assoc-1",
            "kind": "association",
            "calcinosis": rng.choice(p["calcinosis"]),
            "condition": rng.choice(p["domain"]),
            "evidence": {"where": _where("Introduction", rng), "kind": "cited literature claim", "cites": [1],
                         "level": "E", "summary": "A synthetic association from the background."},
        })
    if rng.random() < 0.3:
        of, dd = rng.sample(p["calcinosis"], 2)
        statements.append({
            "id": "differential-1",
            "kind": "differential",
            "of": of,
            "differential": dd,
            "evidence": {"where": _where("Discussion", rng), "kind": "author statement", "level": "E",
                         "summary": "A synthetic differential diagnosis named by the authors."},
        })
    if rng.random() < 0.2:
        sub, parent = rng.sample(p["calcinosis"], 2)
        statements.append({
            "id": "classification-1",
            "kind": "classification",
            "subtype": sub,
            "parent": parent,
            "evidence": {"where": _where("Introduction", rng), "kind": "cited literature claim", "cites": [1],
                         "level": "E", "summary": "A synthetic classification from the background."},
        })
    return record


def _case(rng: random.Random, p: dict, n: int) -> dict:
    section = f"Case {n}"
    case: dict = {"number": n}
    if rng.random() < 0.85:
        case["age_at_presentation"] = _quantity(rng, rng.choice(["year", "year", "month"]), 1, 17, integer=True)
    if rng.random() < 0.3:
        case["age_at_onset"] = _quantity(rng, "year", 1, 10, integer=True)
    case["sex"] = rng.choice(["female", "female", "male", "not stated"])
    first = "juvenile dermatomyositis" if rng.random() < JDM_SHARE else rng.choice(p["diagnosis"])
    case["diagnoses"] = [{"condition": first}]
    if first not in p["calcinosis"]:  # a disease says what it is to the calcinosis
        case["diagnoses"][0]["role"] = rng.choice(["underlying", "underlying", "coexisting"])
    second = rng.choice(p["calcinosis"])
    if second != first and rng.random() < 0.7:
        case["diagnoses"].append({"condition": second, "certainty": rng.choice(["confirmed", "suspected"]),
                                  "note": "A synthetic second diagnosis."})
    sites = rng.sample(p["site"], rng.randint(1, 2))
    case["sites"] = [{"site": s, **({"laterality": rng.choice(["left", "right", "bilateral"])}
                                    if rng.random() < 0.5 else {})} for s in sites]
    findings = []
    for f in rng.sample(p["finding"], rng.randint(0, 3)):
        finding: dict = {"type": f, "result": rng.choice(["normal", "abnormal", "elevated", "negative"]),
                         "where": _where(section, rng)}
        if rng.random() < 0.25:
            finding["value"] = _quantity(rng, "IU/L", 10, 900, integer=True)
        findings.append(finding)
    if findings:
        case["findings"] = findings
    episodes = []
    n_eps = rng.randint(1, 3)
    for k in range(1, n_eps + 1):
        ep: dict = {"number": k, "intervention": rng.choice(p["treatment"])}
        if rng.random() < 0.5:
            ep["route"] = rng.choice(p["route"])
        if rng.random() < 0.6:
            ep["doses"] = [_dose(rng) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.4:
            ep["duration"] = _quantity(rng, rng.choice(["week", "month", "year"]), 1, 24, integer=True)
        if n_eps > 1 and rng.random() < 0.3:
            ep["combined_with"] = [k % n_eps + 1]
        if rng.random() < 0.85:
            ep["calcinosis_outcome"] = rng.choice(p["outcome"])
        if rng.random() < 0.3:
            ep["disease_outcome"] = rng.choice(p["outcome"])
        ep["evidence"] = {"where": _where(section, rng), "kind": "own patient observation", "level": "C",
                          "summary": f"Synthetic course of episode {k} of case {n}."}
        episodes.append(ep)
    case["episodes"] = episodes
    case["evidence"] = {"where": {"section": section}, "kind": "own patient observation", "level": "C",
                        "summary": f"Synthetic patient {n}, described for benchmarking only."}
    return case


def generate(n: int, seed: int = DEFAULT_SEED, start: int = 1) -> Iterator[dict]:
    """Reports ``start`` .. ``start + n - 1``."""
    for i in range(start, start + n):
        yield generate_report(i, seed)


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def to_yaml(record: dict) -> str:
    """The record as YAML text, keys in the order of the record format."""
    head = f"# SYNTHETIC benchmark record (bench/generate.py, generator v{GENERATOR_VERSION}): not clinical data.\n"
    return head + yaml.dump(record, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def write_yaml(records, out: Path) -> list[Path]:
    """Write each record to ``out/<id>.yaml``; refuses to write into the project's ``kg/``."""
    out = Path(out).resolve()
    if out == ROOT / "kg" or ROOT / "kg" in out.parents:
        raise SystemExit(f"refusing to write synthetic records into {out}: use a scratch folder such as /tmp/bench-work")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for record in records:
        path = out / f"{record['report']['id']}.yaml"
        path.write_text(to_yaml(record), encoding="utf-8")
        written.append(path)
    return written


def ensure_corpus(n: int, out: Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """The first ``n`` report files in ``out``, generating only those missing (a manifest guards reuse)."""
    out = Path(out)
    manifest = out / "MANIFEST.json"
    digest = pools_digest()
    meta = {"seed": seed, "digest": digest}
    if manifest.exists():
        old = json.loads(manifest.read_text())
        if {k: old.get(k) for k in meta} != meta:
            for f in out.glob("synth-*.yaml"):
                f.unlink()
            manifest.unlink()
    have = json.loads(manifest.read_text()).get("reports", 0) if manifest.exists() else 0
    if have < n:
        write_yaml(generate(n - have, seed, start=have + 1), out)
        manifest.write_text(json.dumps({**meta, "reports": n}))
    return [out / f"{report_id(i)}.yaml" for i in range(1, n + 1)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", "-n", type=int, required=True, help="number of reports N")
    ap.add_argument("--out", type=Path, required=True, help="folder for the YAML files (never kg/)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--start", type=int, default=1, help="number of the first report (default 1)")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    files = write_yaml(generate(args.reports, args.seed, args.start), args.out)
    print(f"wrote {len(files)} synthetic records to {args.out} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
