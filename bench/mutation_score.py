"""The mutation score per stage module, from mutmut's results (``mutants/src/calcikg/*.py.meta``).

    python bench/mutation_score.py                     # the table: killed, timeout, survived, ...
    python bench/mutation_score.py --sample graph 300  # 300 mutant names of graph.py, chosen at random
                                                       # (seed 19): for 'mutmut run NAME...'

A timeout (a mutant that loops or waits) counts as killed, as mutmut counts it. The score is over
the mutants a selected test reaches and that were run: "no tests" (no fast test of the selection
calls the function) and "not checked" (not run yet, e.g. outside a sample) are listed apart.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from pathlib import Path

META = Path(__file__).resolve().parent.parent / "mutants" / "src" / "calcikg"
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}


def results(module: str) -> dict[str, str]:
    meta = json.loads((META / f"{module}.py.meta").read_text(encoding="utf-8"))
    return {name: STATUS.get(code, "suspicious") for name, code in meta["exit_code_by_key"].items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", nargs=2, metavar=("MODULE", "N"))
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    if args.sample:
        module, n = args.sample
        names = sorted(results(module))
        print(" ".join(sorted(random.Random(args.seed).sample(names, min(int(n), len(names))))))
        return
    print(f"{'module':<12}{'mutants':>8}{'run':>6}{'killed':>8}{'timeout':>8}{'survived':>9}{'no tests':>9}"
          f"{'not run':>8}{'score':>8}")
    for meta in sorted(META.glob("*.py.meta")):
        module = meta.name.removesuffix(".py.meta")
        c = Counter(results(module).values())
        run = c["killed"] + c["timeout"] + c["survived"]
        score = f"{100 * (c['killed'] + c['timeout']) / run:.1f}%" if run else "-"
        print(f"{module:<12}{sum(c.values()):>8}{run:>6}{c['killed']:>8}{c['timeout']:>8}{c['survived']:>9}"
              f"{c['no tests']:>9}{c['not checked']:>8}{score:>8}")


if __name__ == "__main__":
    main()
