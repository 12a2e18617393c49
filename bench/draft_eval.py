"""How good is ``calcikg draft``? Draft each report text and compare the draft with its curated record.

    .venv/bin/python bench/draft_eval.py                      # every curated report (its text, or its kept draft)
    .venv/bin/python bench/draft_eval.py --pair TEXT RECORD   # any further (text, curated record) pairs
    .venv/bin/python bench/draft_eval.py --no-fenominal       # skip the fenominal comparison

One table per report: recall and precision of the ontology/HPO terms the curated record uses
(conditions, treatments, sites, findings), case ages and sexes, episode agents (and agent + dose),
the reference list (number + first author + year), statements that cite references (intervention +
cited numbers), and the time per report. Then concept recognition alone: the drafter's own matcher
and fenominal over the same names (ontology labels and exact synonyms + HPO), on the same text.

A report whose text is not held here (its page prints no licence that lets the project keep it) is
measured on the draft its curator made and kept in ``kg/drafts/ID.draft.yaml``: the same figures,
without the time and the recognition comparison. A curator who holds such texts names their folder
(``CALCIKG_REPORTS=DIR:../shared/reports``, a text found by its ``source_file`` or as ``ID.txt``) to
measure the current drafter on them. A last table sums up every report in one line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from calcikg import paths  # noqa: E402

TERM_KEYS = {"condition", "site", "type", "intervention", "concomitant", "conditions", "calcinosis", "subtype",
             "parent", "of", "differential", "about", "agent", "subject"}
TARGETS = {"concepts": (0.90, 0.70), "ages": (1.0, None), "sexes": (1.0, None), "references": (1.0, None),
           "cited treatment statements": (0.80, None)}


DRAFTS_DIR = paths.ROOT / "kg" / "drafts"


def kept_drafts(measured: set[Path]) -> list[tuple[Path, Path]]:
    """(kept draft, record) for every record not in ``measured`` whose draft is in kg/drafts/."""
    out = []
    for record in sorted(paths.RECORDS_DIR.glob("*.yaml")):
        draft = DRAFTS_DIR / f"{record.stem}.draft.yaml"
        if record not in measured and draft.exists():
            out.append((draft, record))
    return out


def seed_pairs() -> list[tuple[Path, Path]]:
    """Every curated report whose text is in a reports folder, each with its curated record."""
    out = []
    for record in sorted(paths.RECORDS_DIR.glob("*.yaml")):
        data = yaml.safe_load(record.read_text(encoding="utf-8"))
        source = (data.get("report") or {}).get("source_file") or f"{record.stem}.txt"  # a text held by its id
        text = paths.report_text(source)
        if text is not None:
            out.append((text, record))
    return out


def _terms(node, index, out: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TERM_KEYS and key != "type" or key == "type" and isinstance(value, str) and "result" in node \
                    or key == "type" and isinstance(value, str):
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, str):
                        out.add(_label(v, index))
            if key not in ("report", "references", "evidence"):
                _terms(value, index, out)
    elif isinstance(node, list):
        for item in node:
            _terms(item, index, out)


def _label(name: str, index) -> str:
    for kind in ("domain term",):
        try:
            return index.resolve(name, kind).label
        except Exception:  # noqa: BLE001 - an HPO label or an unresolved phrase: kept as written
            return name
    return name


def pr(found: int, drafted: int, expected: int) -> tuple[float | None, float | None]:
    recall = found / expected if expected else None
    precision = found / drafted if drafted else None
    return recall, precision


def _multiset_match(expected: list, drafted: list) -> int:
    e, d = Counter(expected), Counter(drafted)
    return sum(min(n, d[k]) for k, n in e.items())


def compare(draft: dict, record: dict, index) -> dict[str, tuple]:
    """``{measure: (matched, drafted, expected)}``."""
    rows: dict[str, tuple] = {}
    want, got = set(), set()
    _terms({k: record.get(k) for k in ("cases", "statements")}, index, want)
    _terms({k: draft.get(k) for k in ("cases", "statements")}, index, got)
    want.discard(None)
    got.discard(None)
    rows["concepts"] = (len(want & got), len(got), len(want))
    cases_w = {c["number"]: c for c in record.get("cases") or []}
    cases_d = {c["number"]: c for c in draft.get("cases") or []}
    ages = [(n, *_age(c["age_at_presentation"])) for n, c in cases_w.items() if "age_at_presentation" in c]
    ages_d = [(n, *_age(c["age_at_presentation"])) for n, c in cases_d.items() if "age_at_presentation" in c]
    rows["ages"] = (len(set(ages) & set(ages_d)), len(ages_d), len(ages))
    sexes = [(n, c["sex"]) for n, c in cases_w.items()]
    sexes_d = [(n, c["sex"]) for n, c in cases_d.items()]
    rows["sexes"] = (len(set(sexes) & set(sexes_d)), len(sexes_d), len(sexes))
    agents = [(n, _label(e["intervention"], index)) for n, c in cases_w.items() for e in c.get("episodes") or []]
    agents_d = [(n, _label(e["intervention"], index)) for n, c in cases_d.items() for e in c.get("episodes") or []]
    rows["episode agents"] = (_multiset_match(agents, agents_d), len(agents_d), len(agents))
    doses = _dose_keys(cases_w, index)
    doses_d = _dose_keys(cases_d, index)
    rows["agent + dose"] = (len(doses & doses_d), len(doses_d), len(doses))
    refs = [(r["number"], (r.get("authors") or ["?"])[0].split()[0].casefold(), r.get("year"))
            for r in record.get("references") or []]
    refs_d = [(r["number"], (r.get("authors") or ["?"])[0].split()[0].casefold(), r.get("year"))
              for r in draft.get("references") or []]
    rows["references"] = (len(set(refs) & set(refs_d)), len(refs_d), len(refs))
    cited = [(_label(s["intervention"], index), tuple(sorted(s["evidence"]["cites"])))
             for s in record.get("statements") or [] if s.get("kind") == "treatment" and s["evidence"].get("cites")]
    cited_d = [(_label(s["intervention"], index), tuple(sorted(s["evidence"]["cites"])))
               for s in draft.get("statements") or [] if s.get("kind") == "treatment" and s["evidence"].get("cites")]
    rows["cited treatment statements"] = (_multiset_match(cited, cited_d), len(cited_d), len(cited))
    return rows


def _age(age: dict) -> tuple:
    """An age as (value or (min, max), unit): a single value, or a range such as "in his 20s"."""
    return (age.get("value", (age.get("min"), age.get("max"))), age.get("unit"))


def _dose_keys(cases: dict, index) -> set[tuple]:
    out = set()
    for n, c in cases.items():
        for e in c.get("episodes") or []:
            for d in e.get("doses") or []:
                for key in ("value", "min", "max"):
                    if key in d and "unit" in d:
                        out.add((n, _label(e["intervention"], index), float(d[key]), _label(d["unit"], index)))
    return out


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def table(name: str, rows: dict[str, tuple], seconds: tuple[float, float] | None) -> str:
    lines = [f"## {name}", "", "| measure | matched / drafted / in record | recall | precision | target |",
             "|---|---|---|---|---|"]
    for measure, (m, d, e) in rows.items():
        recall, precision = pr(m, d, e)
        target = TARGETS.get(measure)
        t = "" if not target else f"recall >= {target[0]:.0%}" + (f", precision >= {target[1]:.0%}" if target[1] else "")
        met = ""
        if target and recall is not None:
            met = " (met)" if recall >= target[0] and (not target[1] or (precision or 0) >= target[1]) else " (NOT met)"
        lines.append(f"| {measure} | {m} / {d} / {e} | {_fmt(recall)} | {_fmt(precision)} | {t}{met} |")
    if seconds is None:
        lines.append("| time per report | not measured here (the kept draft of kg/drafts/; the text is not held) | | | |")
    else:
        lines.append(f"| time per report | cold {seconds[0]:.2f} s (loads ontology + HPO), warm {seconds[1]:.2f} s | | "
                     f"| < 2 s{' (met)' if seconds[0] < 2 else ' (warm met)' if seconds[1] < 2 else ' (NOT met)'} |")
    return "\n".join(lines)


def summary_row(name: str, rows: dict[str, tuple], seconds: tuple[float, float] | None) -> str:
    """One line of the summary table: concepts R/P, ages, sexes, references, cited statements, time."""
    def frac(measure):
        m, _d, e = rows[measure]
        return f"{m}/{e}" if e else "-"
    recall, precision = pr(*rows["concepts"])
    cited_recall, _ = pr(*rows["cited treatment statements"])
    time_text = f"{seconds[0]:.1f} s / {seconds[1]:.2f} s" if seconds else "kept draft"
    return (f"| {name} | {_fmt(recall)} / {_fmt(precision)} | {frac('ages')} | {frac('sexes')} | "
            f"{frac('references')} | {_fmt(cited_recall)} | {time_text} |")


# ------------------------------------------------------------------------------------ fenominal
def _obograph(matcher) -> tuple[Path, dict[str, str]]:
    """The matcher's names (ontology + HPO) as an OBO Graph JSON that fenominal loads; id -> label."""
    prefix = "http://purl.obolibrary.org/obo/"

    def meta(synonyms):
        return {"definition": None, "comments": [], "subsets": [], "xrefs": [], "basicPropertyValues": [],
                "version": None, "deprecated": False,
                "synonyms": [{"pred": "hasExactSynonym", "val": s, "xrefs": [], "meta": None, "synonymType": None}
                             for s in synonyms]}

    by_label: dict[str, list[str]] = {}
    for key, entries in matcher._names.items():
        for label, *_ in entries:
            by_label.setdefault(label, []).append(" ".join(key))
    nodes = [{"id": prefix + "HP_0000001", "lbl": "All", "type": "CLASS", "meta": meta([])},
             {"id": prefix + "HP_0000118", "lbl": "Phenotypic abnormality", "type": "CLASS", "meta": meta([])}]
    edges = [{"sub": prefix + "HP_0000118", "pred": "is_a", "obj": prefix + "HP_0000001", "meta": None}]
    ids: dict[str, str] = {}
    for i, (label, names) in enumerate(sorted(by_label.items()), start=1):
        tid = f"HP_9{i:06d}"
        ids[tid.replace("_", ":")] = label
        nodes.append({"id": prefix + tid, "lbl": label, "type": "CLASS", "meta": meta(sorted(set(names) - {label}))})
        edges.append({"sub": prefix + tid, "pred": "is_a", "obj": prefix + "HP_0000118", "meta": None})
    graph = {"graphs": [{"id": prefix + "hp.json", "lbl": None, "nodes": nodes, "edges": edges,
                         "meta": meta([]) | {"version": prefix + "hp/releases/2025-01-16/hp.json"},
                         "equivalentNodesSets": [], "logicalDefinitionAxioms": [], "domainRangeAxioms": [],
                         "propertyChainAxioms": []}]}
    path = Path(tempfile.mkdtemp(prefix="draft-eval-")) / "names.json"
    path.write_text(json.dumps(graph), encoding="utf-8")
    return path, ids


def recognition(text: str, record: dict, matcher, fen, ids, index) -> list[str]:
    """Concept recognition alone, over the report's body text, against the record's concept set."""
    from calcikg.draft.text import read_document

    doc = read_document(text)
    body = "\n".join(p.text for p in doc.paragraphs)
    want: set[str] = set()
    _terms({k: record.get(k) for k in ("cases", "statements")}, index, want)
    lines = ["", "| recogniser (same names) | found | in record | recall | precision | time |", "|---|---|---|---|---|---|"]
    t = time.perf_counter()
    own = {c.label for c in matcher.find(body) if c.kind not in ("route",)}
    own_t = time.perf_counter() - t
    rows = [("own matcher (calcikg.draft.concepts)", own, own_t)]
    if fen is not None:
        t = time.perf_counter()
        found = json.loads(fen.map_text(body))
        fen_t = time.perf_counter() - t
        labels = {ids.get(h["termId"], h["label"]) for h in found if not h.get("excluded")}
        rows.append(("fenominal 0.3 (exact matching)", labels, fen_t))
    for name, labels, seconds in rows:
        m = len(labels & want)
        recall, precision = pr(m, len(labels), len(want))
        lines.append(f"| {name} | {len(labels)} | {len(want)} | {_fmt(recall)} | {_fmt(precision)} | {seconds * 1000:.0f} ms |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pair", nargs=2, action="append", metavar=("TEXT", "RECORD"),
                    help="a report text and its curated record (repeatable); default: the seeds")
    ap.add_argument("--no-fenominal", action="store_true", help="skip the fenominal comparison")
    args = ap.parse_args(argv)
    pairs = [(Path(t), Path(r)) for t, r in args.pair] if args.pair else seed_pairs()
    kept = [] if args.pair else kept_drafts({r for _t, r in pairs})
    if not pairs and not kept:
        print(f"no report texts found in {paths.REPORTS_DIRS} (set CALCIKG_REPORTS or give --pair TEXT RECORD): "
              "nothing to evaluate")
        return 0
    from calcikg.draft import _matcher, draft_report

    started = time.perf_counter()
    matcher, version = _matcher()
    load = time.perf_counter() - started
    index = matcher.index
    fen = ids = None
    if not args.no_fenominal:
        try:
            import fenominal

            t = time.perf_counter()
            path, ids = _obograph(matcher)
            fen = fenominal.Fenominal(str(path))
            print(f"fenominal loaded the same {len(ids):,} names in {time.perf_counter() - t:.2f} s")
        except ImportError:
            print("fenominal is not installed: its comparison is skipped (pip install fenominal)")
    print(f"ontology + HPO ({version or 'HPO not found'}) loaded in {load:.2f} s\n")
    summary: list[str] = []
    measured: list[dict[str, tuple]] = []
    for text_path, record_path in pairs:
        text = text_path.read_text(encoding="utf-8")
        t = time.perf_counter()
        draft = draft_report(text, text_path.name)
        warm = time.perf_counter() - t
        drafted = yaml.safe_load(draft.yaml())
        record = yaml.safe_load(record_path.read_text(encoding="utf-8"))
        rows = compare(drafted, record, index)
        print(table(f"{record_path.name} (text {text_path.name})", rows, (load + warm, warm)))
        print("\n".join(recognition(text, record, matcher, fen, ids, index)))
        print()
        summary.append(summary_row(record_path.stem, rows, (load + warm, warm)))
        measured.append(rows)
    for draft_path, record_path in kept:
        rows = compare(yaml.safe_load(draft_path.read_text(encoding="utf-8")),
                       yaml.safe_load(record_path.read_text(encoding="utf-8")), index)
        print(table(f"{record_path.name} (kept draft {draft_path.name})", rows, None))
        print()
        summary.append(summary_row(record_path.stem, rows, None))
        measured.append(rows)
    total = {m: tuple(sum(r[m][i] for r in measured) for i in range(3)) for m in measured[0]} if measured else {}
    if total:
        summary.append(summary_row(f"all {len(measured)} reports (pooled)", total, None).replace("kept draft", ""))
    print("## Every report\n")
    print("| report | concepts recall / precision | ages | sexes | references | cited treatment statements (recall) "
          "| time (cold / warm) |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
