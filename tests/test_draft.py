"""calcikg draft: report texts written for these tests (invented patients, own words) in several styles.

tests/resources/draft/letter.txt: a one-case letter without headings, citations "(1, 2)", a
Vancouver reference list with a wrapped entry. series.txt: "Case 1..3" headings, superscript-like
citations ("skin.1", "dermatomyositis.2, 3"), "[3]" and a range "(4-5)", doses "12.5 g IV three
times weekly", "1 g/1.73 m2/day", "2 mg/kg/day", a numbered "[1]" list in Vancouver and APA order.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from calcikg import paths
from calcikg.cli import main
from calcikg.draft import draft_text
from calcikg.draft.extract import doses_in

DRAFT = Path(__file__).parent / "resources" / "draft"


@pytest.fixture(scope="module")
def letter() -> dict:
    return yaml.safe_load(draft_text((DRAFT / "letter.txt").read_text(encoding="utf-8"), "letter.txt"))


@pytest.fixture(scope="module")
def series() -> dict:
    return yaml.safe_load(draft_text((DRAFT / "series.txt").read_text(encoding="utf-8"), "series.txt"))


def _statement(record, kind, **fields):
    return [s for s in record["statements"] if s["kind"] == kind and all(s.get(k) == v for k, v in fields.items())]


# ------------------------------------------------------------------------------------ the letter
def test_letter_report_fields(letter):
    report = letter["report"]
    assert letter["status"] == "draft"
    assert report["id"] == "quillfeather2019"
    assert report["authors"] == ["Quillfeather AB", "Marrow CD"]
    assert (report["journal"], report["year"], report["volume"], report["issue"], report["pages"]) == \
        ("Imag Pediatr Lett", 2019, "12", "3", "101-03")
    assert report["publication_kind"] == "letter"
    assert report["read"] == "full text" and report["source_file"] == "letter.txt"
    assert "license" not in report and "doi" not in report


def test_letter_single_case_and_locators(letter):
    [case] = letter["cases"]
    assert case["age_at_presentation"] == {"value": 3, "unit": "year"}
    assert case["sex"] == "male"
    assert {"site": "elbow", "laterality": "right"} in case["sites"]
    assert {"site": "knee", "laterality": "left"} in case["sites"]
    assert case["evidence"]["where"] == {"section": "Case 1"}
    [episode] = case["episodes"]
    assert episode["intervention"] == "watchful waiting"
    assert episode["calcinosis_outcome"] == "complete regression"
    assert episode["evidence"]["summary"].startswith("TODO curator")
    results = {f["type"]: f.get("result") for f in case["findings"]}
    assert results["serum calcium"] == results["serum phosphorus"] == "normal"
    assert results["X-ray"] == "abnormal"


def test_letter_statements(letter):
    [sts] = _statement(letter, "treatment", intervention="sodium thiosulfate", route="intralesional")
    assert sts["evidence"]["cites"] == [3] and sts["hedged"] is True
    assert sts["evidence"]["where"] == {"section": "Letter text", "paragraph": 3}
    [dil] = _statement(letter, "treatment", intervention="diltiazem")
    assert dil["evidence"]["cites"] == [2] and dil["evidence"]["where"]["paragraph"] == 1
    assert _statement(letter, "differential", differential="osteoma cutis")
    assert {s["condition"] for s in _statement(letter, "association")} >= {"juvenile dermatomyositis",
                                                                           "systemic sclerosis"}


def test_letter_references_and_candidates(letter):
    refs = letter["references"]
    assert [r["number"] for r in refs] == [1, 2, 3]
    assert refs[0]["authors"] == ["Quillfeather AB", "Marrow CD", "Stone EF"] and refs[0]["et_al"] is True
    assert (refs[0]["title"], refs[0]["journal"], refs[0]["year"], refs[0]["volume"], refs[0]["issue"],
            refs[0]["pages"]) == ("Invented calcinosis in invented children", "Fict J Dermatol", 2015, "7", "2", "11-5")
    assert (refs[2]["journal"], refs[2]["year"], refs[2]["pages"]) == ("Fict Ther", 2020, "1-4")  # wrapped entry
    text = draft_text((DRAFT / "letter.txt").read_text(encoding="utf-8"), "letter.txt")
    assert "#  - 'pilomatricoma' (disease? Letter text ¶3)" in text


# ------------------------------------------------------------------------------------ the series
def test_series_cases(series):
    cases = {c["number"]: c for c in series["cases"]}
    assert [cases[n]["age_at_presentation"] for n in (1, 2, 3)] == [
        {"value": 54, "unit": "year"}, {"value": 8, "unit": "month"}, {"value": 12, "unit": "year"}]
    assert [cases[n]["sex"] for n in (1, 2, 3)] == ["female", "female", "male"]
    assert cases[2]["sites"] == [{"site": "forearm", "laterality": "right"}]
    assert cases[3]["sites"] == [{"site": "thigh", "laterality": "bilateral"}]
    assert {"condition": "juvenile dermatomyositis", "role": "underlying"} in cases[3]["diagnoses"]
    assert cases[2]["causes"][0]["agent"] == "calcium gluconate"
    assert cases[2]["causes"][0]["evidence"]["where"] == {"section": "Case 2", "paragraph": 1}


def test_series_episodes_doses_routes(series):
    cases = {c["number"]: c for c in series["cases"]}
    [sts] = cases[1]["episodes"]
    assert (sts["intervention"], sts["route"], sts["calcinosis_outcome"]) == \
        ("sodium thiosulfate", "intravenous", "partial improvement")
    assert sts["doses"] == [{"value": 12.5, "unit": "g", "frequency": "three times weekly",
                             "duration": {"value": 6, "unit": "month"}}]
    assert cases[2]["episodes"][0]["route"] == "topical"
    assert cases[2]["episodes"][0]["calcinosis_outcome"] == "complete regression"
    mp, pred = cases[3]["episodes"]
    assert (mp["intervention"], mp["doses"][0]["value"], mp["doses"][0]["unit"]) == \
        ("methylprednisolone", 1, "g/1.73 m2/day")
    assert pred["doses"] == [{"value": 2, "unit": "mg/kg/day", "duration": {"value": 8, "unit": "week"}}]
    assert "route" not in pred  # no route printed, none guessed


def test_series_citations(series):
    [bis] = _statement(series, "treatment", intervention="bisphosphonate")
    assert bis["evidence"]["cites"] == [2, 3]  # "dermatomyositis.2, 3"
    assert bis["evidence"]["where"] == {"section": "Introduction", "paragraph": 1}
    [dil] = _statement(series, "treatment", intervention="diltiazem")
    assert dil["evidence"]["cites"] == [3] and dil["hedged"] is True
    [pam] = _statement(series, "treatment", intervention="pamidronate")
    assert pam["evidence"]["cites"] == [4, 5] and pam["route"] == "intravenous"
    assert pam["population"] == {"conditions": ["juvenile dermatomyositis"]}
    assert {s["differential"] for s in _statement(series, "differential")} == {"osteoma cutis", "myositis ossificans"}


def test_series_report_and_references(series):
    report = series["report"]
    assert report["id"] == "lantern2022" and report["authors"] == ["Lantern Q", "Hollow R"]
    assert (report["journal"], report["year"], report["volume"], report["issue"], report["pages"]) == \
        ("Fict Med J", 2022, "9", "2", "10-20")
    assert report["license"] == "CC BY"
    refs = {r["number"]: r for r in series["references"]}
    assert refs[2]["authors"] == ["Wick AB", "Tallow C"] and refs[2]["year"] == 2018
    assert (refs[2]["volume"], refs[2]["issue"], refs[2]["pages"], refs[2]["doi"]) == ("12", "3", "45-50", "10.9999/imag.2018.045")
    assert refs[3]["pages"] == "77-80" and refs[3]["et_al"] is True
    assert refs[4]["title"].startswith("Traitement imaginaire des calcinoses")


def test_doses_as_printed():
    assert doses_in(" 2 mg/kg/day")[0] == [{"value": 2, "unit": "mg/kg/day"}]
    assert doses_in(" (3 doses of 1g/1.73m2 per day)")[0] == [{"value": 1, "unit": "g/1.73 m2/day",
                                                              "frequency": "3 doses"}]
    assert doses_in(" 12.5 g IV three times weekly")[0] == [{"value": 12.5, "unit": "g",
                                                             "frequency": "three times weekly"}]
    assert doses_in(" at 30 mg/day six times a month, then twice every three months")[0] == [
        {"value": 30, "unit": "mg/day", "frequency": "six times a month"},
        {"value": 30, "unit": "mg/day", "frequency": "twice every three months"}]
    assert doses_in(" 60 mg/day, increased over the next six months to 150 mg/day")[0] == [
        {"min": 60, "max": 150, "unit": "mg/day", "duration": {"value": 6, "unit": "month"}}]


# ------------------------------------------------------------------------------------ truth rules
def _texts() -> list[Path]:
    seeds = sorted(t for d in paths.REPORTS_DIRS if d.is_dir() for t in d.glob("*.txt"))
    return sorted(DRAFT.glob("*.txt")) + seeds


@pytest.mark.parametrize("path", _texts(), ids=lambda p: p.name)
def test_no_sentence_of_the_report_is_copied(path):
    """No run of 8 words of the input appears in the draft, outside the titles and the other printed
    bibliographic fields (author lists and journal names are copied as printed by design)."""
    text = path.read_text(encoding="utf-8")
    draft = draft_text(text, path.name)
    assert draft.startswith("status: draft")
    words = re.findall(r"[^\W\d_]{2,}", text.casefold())  # words, not numbers or identifiers
    runs = {tuple(words[i:i + 8]) for i in range(len(words) - 7)}
    kept = "\n".join(line for line in draft.splitlines() 
                     if not re.match(r"\s*(- )?(title|authors|journal):", line))
    out = re.findall(r"[^\W\d_]{2,}", kept.casefold())
    copied = [" ".join(out[i:i + 8]) for i in range(len(out) - 7) if tuple(out[i:i + 8]) in runs]
    assert not copied, copied[:3]


@pytest.mark.parametrize("path", _texts(), ids=lambda p: p.name)
def test_draft_is_valid_against_the_schema(path):
    import jsonschema

    data = yaml.safe_load(draft_text(path.read_text(encoding="utf-8"), path.name))
    schema = json.loads(paths.RECORD_SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: e.path)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:3]]


# ------------------------------------------------------------------------------------ the command
def test_cli_writes_once_and_never_overwrites(tmp_path, capsys):
    out = tmp_path / "x.yaml"
    assert main(["draft", str(DRAFT / "letter.txt"), "-o", str(out)]) == 0
    first = out.read_text(encoding="utf-8")
    assert first.startswith("status: draft")
    assert main(["draft", str(DRAFT / "series.txt"), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"calcikg: error: {out}: already exists")
    assert out.read_text(encoding="utf-8") == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.yaml"]  # no temporary file left behind


def test_cli_id_and_stdout(capsys):
    assert main(["draft", str(DRAFT / "letter.txt"), "--id", "invented2019"]) == 0
    assert "  id: invented2019" in capsys.readouterr().out


def test_skeleton(capsys):
    assert main(["draft", "--id", "someone2024"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("status: draft")
    data = yaml.safe_load(text)
    assert data["report"]["id"] == "someone2024"
    schema = json.loads(paths.RECORD_SCHEMA.read_text(encoding="utf-8"))
    for part in ("report", "reference", "case", "episode", "diagnosis", "site", "finding"):
        for key in schema["$defs"][part]["properties"]:
            assert re.search(rf"^\s*(- )?{key}:", text, re.MULTILINE), (part, key)
    for key in ("read", "read_note", "url", "role", "causes", "hedged", "onset_context"):
        assert re.search(rf"^\s*(- )?{key}:", text, re.MULTILINE), key
    case = data["cases"][0]
    assert "# female | male | not stated" in text and case["number"] == 1


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"\xff\xfe\x00bad", "not UTF-8 text"),
    (b"  \n\n", "the file is empty"),
])
def test_bad_input_is_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "report.txt"
    if content is not None:
        path.write_bytes(content)
    assert main(["draft", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"calcikg: error: {path}: {message}")
    assert ";" in err  # and what to do


def test_no_text_and_no_id_is_a_usage_error(capsys):
    assert main(["draft"]) == 2
    assert "--id" in capsys.readouterr().err


def test_evaluation_script_runs_on_the_seeds(capsys):
    """bench/draft_eval.py: one table per seed report (skipped without the report texts)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("draft_eval", paths.ROOT / "bench" / "draft_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not module.seed_pairs():
        pytest.skip(f"no seed report texts in {paths.REPORTS_DIRS}")
    assert module.main(["--no-fenominal"]) == 0
    out = capsys.readouterr().out
    pairs = module.seed_pairs()
    assert out.count("\n| references |") == len(pairs) + len(module.kept_drafts({r for _t, r in pairs}))
    assert "## Every report" in out
    assert "| concepts |" in out and "| cited treatment statements |" in out
