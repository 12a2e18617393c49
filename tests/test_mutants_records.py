"""Stage 1 (load records) pinned down message by message: what a curator reads for each kind of
mistake (file, line, field, fix), and the line bookkeeping behind it.

Written to kill the mutants mutmut makes of ``calcikg/records.py`` (``make mutation``); each test
is still a behaviour a curator relies on. Fast: small records written to a temporary folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from calcikg import paths
from calcikg.errors import RecordError
from calcikg.records import (LineDict, LineList, Record, _Loader, field_name, line_of, load_record,
                             load_records)

#: A small valid record (one case, one cited reference); line numbers below refer to this text.
MINIMAL = """\
report:
  id: testrec2020
  url: https://example.org/case
  title: A test report
  authors:
    - Ann Example B
    - Other Person
  journal: Test Journal
  year: 2020
  read: full text
  publication_kind: clinical case report
references:
  - number: 1
    authors: [Someone Else]
    year: 1999
    title: An older paper
    publication_kind: journal article
cases:
  - number: 1
    sex: female
    diagnoses:
      - condition: scrotal calcinosis
    evidence:
      where: {section: Case, paragraph: 2}
      summary: A woman had calcinosis.
statements: []
"""

STATEMENT = """\
statements:
  - id: s1
    kind: association
{fields}    evidence: {{where: {{section: Discussion}}, kind: author statement, summary: An author statement here.}}
"""


def _write(tmp_path: Path, text: str, name: str = "testrec2020.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, old: str, new: str) -> RecordError:
    text = MINIMAL.replace(old, new, 1)
    assert text != MINIMAL, f"{old!r} is not in the minimal record"
    path = _write(tmp_path, text)
    with pytest.raises(RecordError) as err:
        load_record(path)
    assert err.value.file == str(path)
    return err.value


def _schema() -> dict:
    return json.loads(paths.RECORD_SCHEMA.read_text(encoding="utf-8"))


# -- the line bookkeeping ---------------------------------------------------------------------------
def test_minimal_record_loads_with_the_line_of_every_key_and_item(tmp_path):
    record = load_record(_write(tmp_path, MINIMAL))
    data = record.data
    assert isinstance(data, LineDict) and data.line == 1
    assert data.key_lines == {"report": 1, "references": 12, "cases": 18, "statements": 26}
    assert data["report"].line == 2 and data["report"].key_lines["year"] == 9
    authors = data["report"]["authors"]
    assert isinstance(authors, LineList) and list(authors) == ["Ann Example B", "Other Person"]
    assert authors.line == 6 and authors.item_lines == [6, 7]
    assert data["cases"].item_lines == [19]
    assert data["statements"] == [] and data["statements"].item_lines == []


@pytest.mark.parametrize("path,line", [
    ([], 1),
    (["report"], 2),  # the mapping under the key starts on the next line
    (["report", "year"], 9),
    (["report", "authors", 1], 7),
    (["report", "authors", 5], 6),  # no such item: the list's own line
    (["report", "authors", 2], 6),  # one past the end
    (["report", "nothing", "deeper"], 2),  # no such key: the deepest place that exists
    (["cases", 0, "evidence", "where", "paragraph"], 24),
    (["cases", "zero"], 19),  # a key where an index belongs stops the walk (at the list)
    (["statements"], 26),
])
def test_line_of_the_deepest_known_place(tmp_path, path, line):
    data = load_record(_write(tmp_path, MINIMAL)).data
    assert line_of(data, path) == line


def test_line_of_plain_data_is_unknown():
    assert line_of({"a": {"b": 1}}, ["a", "b"]) is None
    assert line_of([1, 2], [0]) is None


@pytest.mark.parametrize("path,text", [
    (["cases", 2, "sex"], "cases[2].sex"),
    (["report"], "report"),
    ([], ""),
    ([0, "a", 1, 2], "[0].a[1][2]"),
    (["a", "b"], "a.b"),
])
def test_field_name(path, text):
    assert field_name(path) == text


def test_record_name_is_relative_to_the_project_when_inside_it(tmp_path):
    inside = paths.RECORDS_DIR / "feng2022.yaml"
    assert Record(inside, LineDict()).name == str(Path("kg/records/feng2022.yaml"))
    assert Record(tmp_path / "x.yaml", LineDict()).name == str(tmp_path / "x.yaml")


def test_record_error_names_file_line_field(tmp_path):
    path = _write(tmp_path, MINIMAL)
    record = load_record(path)
    err = record.error(["cases", 0, "sex"], "is wrong")
    assert (err.file, err.line, err.field, err.message) == (str(path), 20, "cases[0].sex", "is wrong")
    assert str(err) == f"{path}:20: cases[0].sex: is wrong"


def test_duplicate_key_is_refused_at_the_second_key(tmp_path):
    err = _error(tmp_path, "    sex: female\n", "    sex: female\n    sex: male\n")
    assert err.line == 21
    assert "duplicate key 'sex' (the first one would be silently lost)" in err.message


def test_loader_keeps_lines_for_plain_yaml():
    data = yaml.load("a:\n  - 1\n  - b: 2\n", Loader=_Loader)  # noqa: S506 - the project's SafeLoader
    assert data.key_lines == {"a": 1} and data["a"].item_lines == [2, 3]
    assert data["a"][1].line == 3 and data["a"][1].key_lines == {"b": 3}


# -- schema errors in a curator's words -------------------------------------------------------------
def test_unknown_field_lists_the_allowed_ones_and_points_at_its_line(tmp_path):
    err = _error(tmp_path, "    sex: female\n", "    sex: female\n    gender: female\n    zzz: 1\n")
    allowed = ", ".join(sorted(_schema()["$defs"]["case"]["properties"]))
    assert err.message == f"unknown field 'gender', 'zzz' (allowed here: {allowed})"
    assert err.field == "cases[0].gender" and err.line == 21


def test_missing_field(tmp_path):
    err = _error(tmp_path, "    sex: female\n", "")
    assert (err.field, err.line, err.message) == ("cases[0]", 19, "'sex' is missing: add it")


def test_value_outside_its_list(tmp_path):
    err = _error(tmp_path, "sex: female", "sex: woman")
    assert (err.field, err.line, err.message) == ("cases[0].sex", 20, "'woman' is not one of: female, male, not stated")


def test_wrong_type(tmp_path):
    err = _error(tmp_path, "  - number: 1\n    sex", "  - number: one\n    sex")
    assert (err.field, err.line, err.message) == ("cases[0].number", 19, "'one' should be of type integer")


@pytest.mark.parametrize("old,new,field,message", [
    ("  - number: 1\n    sex", "  - number: 0\n    sex", "cases[0].number", "0 must be greater than or equal to 1"),
    ("sex: female", "sex: female\n    age_at_presentation: {unit: year, value: -2}",
     "cases[0].age_at_presentation.value", "-2 must be greater than 0"),
    ("sex: female", "sex: female\n    age_at_presentation: {unit: year, min: -2}",
     "cases[0].age_at_presentation.min", "-2 must be greater than or equal to 0"),
    ("year: 2020", "year: 1700", "report.year", "1700 must be greater than or equal to 1800"),
])
def test_numbers_out_of_range(tmp_path, old, new, field, message):
    err = _error(tmp_path, old, new)
    assert (err.field, err.message) == (field, message)


def test_pattern(tmp_path):
    err = _error(tmp_path, "id: testrec2020", "id: Testrec")
    assert (err.field, err.line) == ("report.id", 2)
    assert err.message == "'Testrec' does not match the expected form ^[a-z][a-z0-9-]*$"


def test_other_rules_keep_the_schema_message(tmp_path):
    err = _error(tmp_path, "    diagnoses:\n      - condition: scrotal calcinosis", "    diagnoses: []")
    assert (err.field, err.message) == ("cases[0].diagnoses", "[] should be non-empty")


def test_dose_value_without_unit(tmp_path):
    episode = ("    episodes:\n      - number: 1\n        intervention: surgical excision\n        doses:\n"
               "          - value: 3\n        evidence: {summary: A treatment was given.}\n    evidence:")
    err = _error(tmp_path, "    evidence:", episode)
    assert (err.field, err.line, err.message) == ("cases[0].episodes[0].doses[0]", 27,
                                                   "'unit' is a dependency of 'value'")


def test_one_of_several_fields(tmp_path):
    err = _error(tmp_path, "  url: https://example.org/case\n", "")
    assert (err.field, err.line, err.message) == ("report", 2, "give one of 'source_file' or 'url' or 'doi'")


@pytest.mark.parametrize("fields,message", [
    ("    calcinosis: calcinosis cutis\n    subject: pain\n    condition: pain\n",
     "give only one of 'calcinosis' or 'subject', not several"),
    ("    condition: pain\n", "give exactly one of 'calcinosis' or 'subject'"),
])
def test_exactly_one_of_two_fields(tmp_path, fields, message):
    err = _error(tmp_path, "statements: []\n", STATEMENT.format(fields=fields))
    assert (err.field, err.line, err.message) == ("statements[0]", 27, message)


def test_the_deepest_error_is_reported_first(tmp_path):
    """Two mistakes: the one deeper in the record (the more precise) wins."""
    err = _error(tmp_path, "  - number: 1\n    sex: female", "  - number: one\n    sex: woman\n    age_at_presentation: {unit: year, value: -2}")
    assert (err.field, err.message) == ("cases[0].age_at_presentation.value", "-2 must be greater than 0")


def test_of_two_errors_at_one_depth_the_first_path_wins(tmp_path):
    err = _error(tmp_path, "  - number: 1\n    sex: female", "  - number: one\n    sex: woman")
    assert err.field == "cases[0].number"
    # the schema lists 'title' before 'authors': the first by field path is reported, not by schema order
    err = _error(tmp_path, "  title: A test report\n  authors:\n    - Ann Example B\n    - Other Person",
                 "  title: 5\n  authors: Ann Example")
    assert (err.field, err.message) == ("report.authors", "'Ann Example' should be of type array")


@pytest.mark.parametrize("quantity,message", [
    ("{unit: year}", "give exactly one of 'value' or 'min'/'max'"),
    ("{unit: year, value: 3, min: 2}", "give only one of 'value' or 'min'/'max', not several"),
])
def test_a_quantity_needs_a_value_or_a_range(tmp_path, quantity, message):
    err = _error(tmp_path, "sex: female", f"sex: female\n    age_at_presentation: {quantity}")
    assert (err.field, err.line, err.message) == ("cases[0].age_at_presentation", 21, message)


def test_other_choices_report_the_deepest_reason(tmp_path, monkeypatch):
    """A rule over sub-schemas (not field names) reports the most precise failure inside it."""
    import jsonschema

    from calcikg import records

    schema = {"type": "object", "properties": {"a": {"anyOf": [
        {"type": "object", "properties": {"b": {"type": "integer"}}},
        {"type": "string"}]}}}
    monkeypatch.setattr(records, "_validator", lambda: jsonschema.Draft202012Validator(schema))
    err = _error(tmp_path, "report:\n", "a: {b: x}\nreport:\n")
    assert (err.field, err.line, err.message) == ("a.b", 1, "'x' should be of type integer")
    schema["properties"]["a"] = {"anyOf": [{"required": ["b"]}, {"required": ["c", "d"]}]}
    err = _error(tmp_path, "report:\n", "a: {e: 1}\nreport:\n")
    assert (err.field, err.message) == ("a", "'b' is missing: add it")
    # an option that is a choice of more than single fields, or that says more than a choice, is not named
    for option in ({"anyOf": [{"required": ["c", "d"]}]}, {"anyOf": [{"required": ["c"]}], "description": "c"}):
        schema["properties"]["a"] = {"anyOf": [{"required": ["b"]}, option]}
        err = _error(tmp_path, "report:\n", "a: {e: 1}\nreport:\n")
        assert (err.field, err.message) == ("a", "'b' is missing: add it")


# -- files that cannot be read ----------------------------------------------------------------------
def test_missing_file(tmp_path):
    with pytest.raises(RecordError) as err:
        load_record(tmp_path / "gone.yaml")
    assert (err.value.file, err.value.line, err.value.field) == (str(tmp_path / "gone.yaml"), None, "")
    assert str(err.value) == f"{tmp_path / 'gone.yaml'}: cannot read the file (No such file or directory)"


def test_not_utf8_names_line_byte_and_offset(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"report:\n  id: x\n  title: caf\xe9\n")
    with pytest.raises(RecordError) as err:
        load_record(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 3, "")
    assert str(err.value) == f"{path}:3: not UTF-8 text (byte 0xe9 at offset 28): save the file as UTF-8"
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_invalid_yaml_names_its_line(tmp_path):
    err = _error(tmp_path, "    sex: female", "    sex: [female")
    assert (err.line, err.field) == (21, "")
    assert err.message.startswith("not valid YAML: ") and err.message.endswith(" (check indentation and quoting)")


def test_yaml_without_a_mark_names_its_line(tmp_path):
    path = _write(tmp_path, "report:\n  id: x\n  title: a\x07b\n")
    with pytest.raises(RecordError) as err:
        load_record(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 3, "")
    assert str(err.value) == f"{path}:3: not valid YAML: control characters are not allowed"


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", ""])
def test_a_record_must_be_a_mapping(tmp_path, text):
    path = _write(tmp_path, text)
    with pytest.raises(RecordError) as err:
        load_record(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 1, "")
    assert err.value.message == "a record must be a YAML mapping with 'report', 'references', 'cases', 'statements'"


# -- the folder of records --------------------------------------------------------------------------
def test_records_come_in_file_name_order(tmp_path):
    for rid in ("zeta2020", "alpha2020", "mid2020"):
        _write(tmp_path, MINIMAL.replace("testrec2020", rid), f"{rid}.yaml")
    _write(tmp_path, "not a record", "notes.txt")
    assert [r.data["report"]["id"] for r in load_records(tmp_path)] == ["alpha2020", "mid2020", "zeta2020"]


def test_default_folder_is_the_projects():
    assert [r.path for r in load_records()] == sorted(paths.RECORDS_DIR.glob("*.yaml"))


def test_a_yml_record_is_refused_not_ignored(tmp_path):
    _write(tmp_path, MINIMAL)
    _write(tmp_path, MINIMAL, "other.yml")
    with pytest.raises(RecordError) as err:
        load_records(tmp_path)
    assert (err.value.file, err.value.line, err.value.field) == (str(tmp_path / "other.yml"), None, "")
    assert err.value.message == "records end in .yaml: rename it to other.yaml"


def test_an_empty_folder_is_an_error(tmp_path):
    with pytest.raises(RecordError) as err:
        load_records(tmp_path)
    assert str(err.value) == f"{tmp_path}: no *.yaml record files found"
    assert (err.value.line, err.value.field) == (None, "")


def test_a_draft_is_refused_at_its_status_line(tmp_path):
    _write(tmp_path, MINIMAL.replace("statements: []\n", "statements: []\nstatus: draft\n"))
    with pytest.raises(RecordError) as err:
        load_records(tmp_path)
    assert (err.value.field, err.value.line) == ("status", 27)
    assert err.value.message == (
        "this record is an unreviewed draft: review it as docs/curating.md says (summaries in your own words, "
        "outcomes graded, terms checked), then delete the 'status: draft' line and build again")


def test_two_records_with_one_report_id(tmp_path):
    _write(tmp_path, MINIMAL, "a.yaml")
    _write(tmp_path, MINIMAL, "b.yaml")
    with pytest.raises(RecordError) as err:
        load_records(tmp_path)
    assert (err.value.file, err.value.field, err.value.line) == (str(tmp_path / "b.yaml"), "report.id", 2)
    assert err.value.message == f"report id 'testrec2020' is already used by {tmp_path / 'a.yaml'}"
