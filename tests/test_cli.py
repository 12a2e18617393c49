"""The command line explains itself and fails in one line, with the right exit code."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys

import pytest

from calcikg import paths
from calcikg.cli import main, parser

COMMANDS = ["build", "validate", "queries", "query", "serve", "export"]


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert all(c in out for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_subcommand_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert len(capsys.readouterr().out.splitlines()) >= 3


def _one_line_error(capsys, argv, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("calcikg: error:") and fragment in err[0], err


def test_wrong_query_name(capsys):
    _one_line_error(capsys, ["query", "no-such-query"], "no stored query 'no-such-query'")


def test_bad_param_form(capsys):
    _one_line_error(capsys, ["query", "treatments-effective-in", "--param", "condition"], "key=value")


def test_unknown_param(capsys):
    _one_line_error(capsys, ["query", "treatments-effective-in", "--param", "colour=red"], "no parameter 'colour'")


def test_unknown_condition_lists_near_matches(capsys):
    _one_line_error(capsys, ["query", "treatments-effective-in", "--param", "condition=dermatomyositus"],
                    "did you mean")


def test_missing_build(project_copy, capsys):
    (project_copy / "kg" / "calcikg.ttl").unlink()
    _one_line_error(capsys, ["query", "treatments-effective-in"], "run 'calcikg build' first")


def test_flagship_answer_carries_evidence(capsys):
    assert main(["query", "treatments-effective-in", "--param", "condition=JDM", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    header = out[0].split(",")
    for column in ("treatment", "outcome", "report", "locator", "evidence_kind"):
        assert column in header
    assert len(out) > 5


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_output_formats(fmt, capsys):
    import json

    assert main(["query", "subtypes", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        rows = json.loads(out)["results"]
        assert isinstance(rows, list) and rows and isinstance(rows[0], dict)
    elif fmt == "csv":
        assert out.splitlines()[0].count(",") >= 1
    else:
        assert re.fullmatch(r"\(\d+ rows(; .*)?\)", out.rstrip().splitlines()[-1])  # subtypes names no report


def test_table_says_how_many_reports_the_answers_rest_on(capsys):
    assert main(["query", "treatments-effective-in", "-p", "condition=tumoral calcinosis"]) == 0
    footer = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert re.fullmatch(r"\(\d+ rows, from \d+ reports?(; .*)?\)", footer), footer


def test_query_path_stays_light():
    code = ("import sys; from calcikg.cli import main; main(['query', 'treatments-effective-in', '--format', 'csv']);"
            "heavy = [m for m in ('pyshacl', 'owlready2', 'sssom', 'pandas', 'rdflib', 'curies') if m in sys.modules];"
            "sys.exit(1 if heavy else 0)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert run.returncode == 0, "calcikg query imported a heavy module (pySHACL, a reasoner, rdflib, curies, pandas)"


def test_fast_compress_agrees_with_curies(graph):
    from calcikg.prefixes import compress, converter

    iris = {str(x) for t in graph for x in t if type(x).__name__ == "URIRef"}
    assert iris
    differ = [i for i in iris if compress(i) != converter().compress(i, passthrough=True)]
    assert not differ, differ[:5]


def test_engines_agree_on_the_flagship():
    from calcikg.query import run

    for condition in ("JDM", "dermatomyositis", "calcinosis cutis", "tumoral calcinosis"):
        a = run("treatments-effective-in", {"condition": condition}, engine="oxigraph")
        b = run("treatments-effective-in", {"condition": condition}, engine="rdflib")
        assert a.rows == b.rows and a.rows


def test_parser_choices_come_from_the_exporters():
    from calcikg.export import EXPORTERS

    export = next(a for a in parser()._subparsers._group_actions[0].choices["export"]._actions if a.dest == "format")
    assert sorted(export.choices) == sorted(EXPORTERS)


# ------------------------------------------------------------------------ validate --record
def _renamed_record(tmp_path, source: str, new_id: str):
    """A copy of a real record with only its report id changed: every label and the source file clash."""
    text = (paths.RECORDS_DIR / source).read_text(encoding="utf-8")
    old_id = source.removesuffix(".yaml")
    assert f"  id: {old_id}\n" in text
    out = tmp_path / f"{new_id}.yaml"
    out.write_text(text.replace(f"  id: {old_id}\n", f"  id: {new_id}\n", 1), encoding="utf-8")
    return out


@pytest.mark.parametrize("engine", ["pyshacl", "pyrudof"])
def test_validate_record_finds_clashes_with_the_built_graph(tmp_path, capsys, engine):
    """A report curated twice under another id: its source file and labels clash with the built
    graph, each problem names the new record file and the line of the node."""
    record = _renamed_record(tmp_path, "randhawa2018.yaml", "randhawa2099")
    assert main(["validate", "--record", str(record), "--engine", engine, "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert not out["conforms"]
    messages = {p["message"].split(":")[0] for p in out["problems"]}
    assert any("same source file" in m for m in messages)
    assert any(m.startswith("Another publication has the same label") for m in messages)
    assert any(m.startswith("Another case has the same label") for m in messages)
    assert all(p["focus"].startswith("ckd:randhawa2099") for p in out["problems"])  # the new side only
    assert all(p["record"].endswith("randhawa2099.yaml") and p["line"] for p in out["problems"])


def test_validate_record_takes_a_changed_record_out_first(capsys):
    """A record already in the build is checked as changed: its previous version is left out, so
    it does not clash with itself."""
    assert main(["validate", "--record", str(paths.RECORDS_DIR / "mouaddine2021.yaml")]) == 0
    out = capsys.readouterr().out
    assert "previous version" in out and "conforms: yes" in out


def test_validate_record_refuses_a_broken_record(tmp_path, capsys):
    record = tmp_path / "broken.yaml"
    record.write_text((paths.RECORDS_DIR / "randhawa2018.yaml").read_text(encoding="utf-8")
                      .replace("  id: randhawa2018\n", "  id: randhawa2018\n  colour: red\n", 1), encoding="utf-8")
    _one_line_error(capsys, ["validate", "--record", str(record)], "broken.yaml:")
