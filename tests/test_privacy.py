"""No patient names anywhere (truth rule 4), checked without writing the names.

The names are the words of the report texts whose salted hash is listed in
kg/privacy/patient-name-hashes.txt (:func:`conftest.patient_names`); the project's files never
spell them out, these tests included.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from calcikg import paths
from calcikg.privacy import name_hashes, names_in, word_hash
from conftest import patient_names


def test_the_hash_list_is_there_and_well_formed():
    hashes = name_hashes()
    assert len(hashes) >= 4 and all(len(h) == 20 and int(h, 16) >= 0 for h in hashes)


def test_every_listed_name_is_printed_in_a_report():
    """Each hash stands for a word of the report texts (a stale or mistyped hash would check nothing)."""
    names = patient_names()
    assert {word_hash(n) for n in names} == set(name_hashes())


def test_no_tracked_file_holds_a_name():
    """Every file git tracks: data, shapes, tests, docs (the hook's check, as a test)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=paths.ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    hits = []
    for name in filter(None, listed.stdout.split("\0")):
        path = paths.ROOT / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        hits += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if names_in(line)]
    assert not hits, f"a patient's first name is in: {hits[:10]}"


def test_names_match_as_whole_words_in_any_case():
    name = patient_names()[0]
    for text in (f"{name.title()}, an infant.", f"seen with {name.upper()} at 6", f"({name})"):
        assert names_in(text) == [w for w in text.replace(",", " ").replace("(", " ").replace(")", " ").split()
                                  if w.lower() == name]
    for text in (f"{name.title()}h", f"x{name}", "caesarean", ""):
        assert not names_in(text)


def test_privacy_hash_command_prints_the_line_to_add(capsys):
    from calcikg.cli import main

    assert main(["privacy-hash", "Example"]) == 0
    assert capsys.readouterr().out.strip() == word_hash("example")


def test_validate_finds_a_name_in_the_graph_without_repeating_it(project_copy):
    """`calcikg validate` on a graph whose curator summary names a patient: one privacy problem."""
    name = patient_names()[1].title()
    record = project_copy / "kg" / "records" / "randhawa2018.yaml"
    data = yaml.safe_load(record.read_text(encoding="utf-8"))
    data["cases"][0]["evidence"]["summary"] = f"{name}, an infant seen at seven months."
    record.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    env = {"CALCIKG_HOME": str(project_copy), "PATH": "/usr/bin:/bin"}
    build = subprocess.run([sys.executable, "-m", "calcikg", "build"], env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([sys.executable, "-m", "calcikg", "validate", "--no-reasoner"], env=env,
                         capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    problems = [line for line in run.stdout.splitlines() if line.startswith("- [privacy]")]
    assert len(problems) == 1 and "randhawa2018-case1-evidence" in problems[0], run.stdout
    assert "randhawa2018.yaml:" in problems[0]  # traced back to the record line
    assert not names_in(run.stdout + run.stderr), "the check must not print the name"


def test_validate_record_finds_a_name_in_a_comment(project_copy):
    from calcikg.corpus import check_record

    name = patient_names()[2].title()
    record = project_copy / "kg" / "records" / "randhawa2018.yaml"
    lines = record.read_text(encoding="utf-8").splitlines()
    lines.insert(3, f"# the infant, {name}, was seen twice")
    record.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = check_record(record)
    found = [p for p in report.problems if p.check == "privacy"]
    assert [p.line for p in found] == [4] and not names_in(report.text())
