"""bench/run.py end to end on a tiny corpus: both paths run, agree, and the tables come out.

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
def test_smoke_run_compares_both_paths(tmp_path):
    env = {**os.environ, "BENCH_WORK": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(paths.ROOT / "bench" / "run.py"), "--sizes", "2", "--quick"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "2 reports: same query rows on rdflib and Oxigraph: yes" in out
    assert "same triple count: yes" in out
    assert "2 reports: conforms: naive True, corpus True" in out
    for line in ("2 naive ", "2 corpus ", "2 naive/corpus"):
        assert any(row.startswith(line) for row in out.splitlines()), line
    (run_dir,) = tmp_path.glob("run-*")
    results = json.loads((run_dir / "results.json").read_text())
    corpus = results["runs"]["2"]["corpus"]
    assert corpus["triples"] == results["runs"]["2"]["naive"]["triples"] > 0
    assert corpus["added"]["problems"] == 0 and corpus["added"]["report"] == "synth-000003"
    assert results["cold_cli"]["rc"] == 0 and results["cold_cli"]["output_lines"] > 0
