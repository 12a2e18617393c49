"""The worked example of docs/curating.md, end to end, as a curator runs it.

In a copy of the project: draft the invented letter (tests/resources/draft/letter.txt), check that
the build refuses the draft, apply the review the guide describes, then validate the record on its
own, build, validate the whole graph and read the new case back through the stored queries.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from calcikg import paths

LETTER = Path(__file__).resolve().parent / "resources" / "draft" / "letter.txt"
RECORD = "kg/records/quillfeather2019.yaml"


def _run(home: Path, *args: str) -> subprocess.CompletedProcess:
    # the copy's own reports/ and the shared texts beside the real checkout (the copy has no ../shared)
    env = {**os.environ, "CALCIKG_HOME": str(home),
           "CALCIKG_REPORTS": os.pathsep.join([str(home / "reports"), str(paths.ROOT.parent / "shared" / "reports")])}
    return subprocess.run([sys.executable, "-m", "calcikg", *args], env=env, capture_output=True, text=True,
                          cwd=home)


def review(text: str) -> str:
    """The review of docs/curating.md, step 2, applied to the draft's text."""
    text = text[text.index("\nreport:\n") + 1:]  # the status line and the checklist go
    text = text[:text.index("# term_candidates")]  # so do the term candidates (pilomatricoma left out)
    text = re.sub(r"  # .*: check\n", "\n", text).replace("  # full text | abstract only | partial: curator to correct", "")
    text = text.replace("      - condition: calcinosis cutis  # the case text names no type: curator to choose\n",
                        "      - condition: calcinosis cutis\n        note: The letter names no type for this calcinosis.\n")
    text = text.replace("      - site: soft tissue\n", "")
    summaries = iter([
        "Under observation only, the nodules had gone by the age of four.",
        "A three-year-old boy whose elbow and knee nodules regressed without treatment.",
        "The cited works link dystrophic calcinosis with juvenile dermatomyositis.",
        "The cited works link dystrophic calcinosis with systemic sclerosis.",
        "Sodium thiosulfate is one of the treatment options named.",
        "Diltiazem is one of the treatment options named.",
        "Osteoma cutis is one of the conditions calcinosis cutis can resemble.",
        "Injected sodium thiosulfate is said, tentatively, to help small lesions.",
    ])
    text = re.sub(r"'TODO curator: one sentence in your own words'", lambda _m: next(summaries), text)
    option = ("    # calcinosis_outcome:  curator: grade the outcome (docs/curating.md table)\n"
              "    population: {}  # no condition named in the sentence: curator to fill or remove\n")
    text = text.replace(option, "    population:\n      conditions: [calcinosis cutis]\n", 2)
    text = text.replace("    # calcinosis_outcome:  curator: grade the outcome (docs/curating.md table)\n    hedged: true\n"
                        "    population: {}  # no condition named in the sentence: curator to fill or remove\n",
                        "    calcinosis_outcome: improvement, degree not stated\n    hedged: true\n"
                        "    population:\n      conditions: [calcinosis cutis]\n      note: Small lesions.\n")
    assert "TODO" not in text and "{}" not in text, text
    return text


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tutorial") / "project"
    for sub in ("ontology", "kg", "queries", "shapes", "mappings", "reports"):
        shutil.copytree(paths.ROOT / sub, root / sub)
    shutil.copytree(LETTER.parent, root / "tests" / "resources" / "draft")
    return root


def test_the_worked_example(project):
    draft = _run(project, "draft", "tests/resources/draft/letter.txt", "-o", RECORD)
    assert draft.returncode == 0, draft.stderr
    text = (project / RECORD).read_text(encoding="utf-8")
    assert text.startswith("status: draft") and "'pilomatricoma'" in text and "hedged: true" in text

    refused = _run(project, "build")
    assert refused.returncode == 2 and "quillfeather2019.yaml:1: status: this record is an unreviewed draft" \
        in refused.stderr

    (project / RECORD).write_text(review(text), encoding="utf-8")
    folders = ["--reports", "tests/resources/draft"]
    alone = _run(project, "validate", "--record", RECORD, *folders)
    assert alone.returncode == 0 and "source texts in tests/resources/draft" in alone.stdout, alone.stdout

    assert _run(project, "build").returncode == 0
    whole = _run(project, "validate", "--no-reasoner", *folders)
    assert whole.returncode == 0 and whole.stdout.rstrip().endswith("conforms: yes"), whole.stdout

    findings = json.loads(_run(project, "query", "case-findings", "-p", "case=quillfeather2019-case1",
                               "-f", "json").stdout)["results"]
    assert ("finding", "Fever", "negative") in {(r["section"], r["item"], r["result"]) for r in findings}
    effective = json.loads(_run(project, "query", "treatments-effective-in", "-p", "condition=calcinosis cutis",
                                "-f", "json").stdout)["results"]
    mine = {(r["treatment"], r["outcome"], r["hedged"]) for r in effective if "Quillfeather" in r["report"]}
    assert mine == {("watchful waiting", "complete regression", ""),
                    ("sodium thiosulfate", "improvement, degree not stated", "hedged")}
