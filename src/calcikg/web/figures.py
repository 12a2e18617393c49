"""The evidence map and the case timeline, laid out as numbers for the SVG templates.

No plotting library: the layout is a few lines of arithmetic, the templates draw circles and
bars, and the same graph gives the same SVG byte for byte (the static site relies on it).
"""

from __future__ import annotations

import math
from collections import defaultdict

from calcikg.prefixes import CKG

#: Fill colours of the outcome directions (Okabe-Ito-like, distinct in grey print too) and their legend.
DIRECTIONS = {
    "favourable": ("#0b5fa5", "favourable outcome only"),
    "unfavourable": ("#c24e00", "unfavourable outcome only"),
    "mixed": ("#7a3f99", "favourable and unfavourable"),
    "indeterminate": ("#8a8a8a", "indeterminate outcome"),
    "none": ("#ffffff", "no outcome stated"),
}
CELL = 24
AXES = {"conditions": "diseases and conditions", "types": "calcinosis types"}
NONE = "none"


def _direction(counts: dict[str, int]) -> str:
    if counts["favourable"] and counts["unfavourable"]:
        return "mixed"
    for d in ("favourable", "unfavourable", "indeterminate"):
        if counts[d]:
            return d
    return "none"


def cells(statements: list[dict], catalog, axis: str, level: str | None) -> dict[tuple[str, str], list[dict]]:
    """(treatment, condition) -> statements, the condition being a calcinosis type or another condition."""
    types = catalog.below(CKG + "CalcinosisCutis")
    out: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for s in statements:
        if level and level not in s["levels"]:
            continue
        conds = [c for c in s["conditions"] if (c in types) == (axis == "types")] or [NONE]
        for cond in conds:
            out[(s["treatment"], cond)].append(s)
    return out


def evidence_map(statements: list[dict], catalog, axis: str, level: str | None) -> dict:
    """Rows (treatments), columns (conditions or types) and one circle per cell that has statements."""
    grid = cells(statements, catalog, axis, level)
    label = lambda iri: "not stated" if iri == NONE else catalog.label(iri)
    treatments = sorted({t for t, _ in grid}, key=lambda x: (label(x).casefold(), x))
    columns = sorted({c for _, c in grid}, key=lambda x: (x == NONE, label(x).casefold(), x))
    left = 12 + 6.6 * max((len(label(t)) for t in treatments), default=10)
    longest = max((len(label(c)) for c in columns), default=10)
    top = 12 + 4.8 * longest  # the column labels are turned 50 degrees: they reach up and to the right
    biggest = max((len(v) for v in grid.values()), default=1)
    out_cells = []
    for (t, cnd), group in sorted(grid.items(), key=lambda kv: (treatments.index(kv[0][0]), columns.index(kv[0][1]))):
        counts = {d: 0 for d in DIRECTIONS}
        for s in group:
            counts[s["direction"]] += 1
        patients = sum(s["patients"] or 0 for s in group)
        direction = _direction(counts)
        out_cells.append({
            "treatment": t, "condition": cnd, "n": len(group), "patients": patients, "direction": direction,
            "fill": DIRECTIONS[direction][0],
            "x": round(left + CELL * columns.index(cnd) + CELL / 2, 1),
            "y": round(top + CELL * treatments.index(t) + CELL / 2, 1),
            "r": _radius(len(group), biggest),
            "title": f"{label(t)} in {label(cnd)}: {len(group)} statement{'s' if len(group) != 1 else ''}"
                     f" ({', '.join(f'{v} {k}' for k, v in counts.items() if v)})"
                     + (f", {patients} patient{'s' if patients != 1 else ''} where stated" if patients else "")})
    return {
        "axis": axis, "axis_label": AXES[axis], "level": level, "biggest": biggest,
        "width": round(left + CELL * len(columns) + 20 + 4.3 * longest, 1), "height": round(top + CELL * len(treatments) + 20, 1),
        "left": round(left, 1), "top": round(top, 1), "cell": CELL,
        "rows": [{"iri": t, "label": label(t), "y": round(top + CELL * i + CELL / 2, 1)} for i, t in enumerate(treatments)],
        "columns": [{"iri": c, "label": label(c), "x": round(left + CELL * i + CELL / 2, 1)} for i, c in enumerate(columns)],
        "cells": out_cells, "directions": DIRECTIONS,
        "sizes": [(n, _radius(n, biggest)) for n in sorted({1, biggest})]}


def _radius(n: int, biggest: int) -> float:
    """Circle area grows with the number of statements; the largest fills its cell."""
    return round(3 + (CELL / 2 - 4) * math.sqrt(n / biggest), 1)


def timeline(episodes: list[dict]) -> dict:
    """One row per treatment episode in order, a bar as long as its stated duration (log scale)."""
    rows = []
    longest = max((e["months"] or 0 for e in episodes), default=0)
    for i, e in enumerate(episodes):
        stated = e["months"] is not None
        width = 30 + 170 * math.log1p(e["months"]) / math.log1p(longest) if stated and longest > 0 else 30
        text = " · ".join(x for x in (e["dose"], e["duration"] and f"for {e['duration']}",
                                      e["outcome"] or "outcome not stated") if x)
        short = text if len(text) <= 110 else text[:109].rstrip() + "…"  # whole in the tooltip and the table
        rows.append({**e, "y": 10 + 44 * i, "width": round(width, 1), "stated": stated,
                     "fill": DIRECTIONS.get(e["direction"], DIRECTIONS["none"])[0], "text": text, "short": short})
    return {"rows": rows, "height": 20 + 44 * len(episodes), "width": 900, "directions": DIRECTIONS}
