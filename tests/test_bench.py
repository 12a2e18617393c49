"""bench/run.py end to end on a tiny corpus: the CLI runs, the table and the targets come out.

The figures themselves are not asserted (speed lives in the benchmark's output, bench/README.md);
this keeps the script working as the library under it changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from calcikg import paths


@pytest.mark.slow
def test_smoke_run_prints_the_targets(tmp_path):
    env = {**os.environ, "BENCH_WORK": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(paths.ROOT / "bench" / "run.py"), "--sizes", "3", "--quick"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "targets:" in out and out.count(" -> ") == 6
    (run_dir,) = tmp_path.glob("run-*")
    results = json.loads((run_dir / "results.json").read_text())
    run = results["runs"]["3"]
    assert run["conforms"] and run["raw"]["triples"] > 0 and run["build"]["rc"] == 0
    assert results["query"]["rc"] == 0
