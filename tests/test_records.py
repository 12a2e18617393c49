"""The curated records as data (bioregistry-style), and the errors a curator gets for a typo.

Every bad-record test goes through the same code path as the real files: a real record is copied,
one line is changed the way a curator might get it wrong, and the load/build must fail naming the
file, the line and what is wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from calcikg import paths
from calcikg.errors import RecordError
from calcikg.graph import build_data
from calcikg.records import load_record, load_records
from calcikg.privacy import names_in

RECORD_FILES = sorted(paths.RECORDS_DIR.glob("*.yaml"))


@pytest.mark.parametrize("path", RECORD_FILES, ids=lambda p: p.name)
def test_record_loads_and_every_term_resolves(path, terms):
    record = load_record(path)
    build_data([record], terms)  # raises RecordError on any unknown term or dangling reference


@pytest.mark.parametrize("path", RECORD_FILES, ids=lambda p: p.name)
def test_record_names_no_patient(path):
    hits = [f"{path.name}:{i}" for i, line in enumerate(path.read_text().splitlines(), 1) if names_in(line)]
    assert not hits, f"patient first names from the reports must never be stored: {hits}"


@pytest.mark.parametrize("path", RECORD_FILES, ids=lambda p: p.name)
def test_record_says_where_its_text_was_read(path):
    """A source file in the reports folder (checked by ``calcikg validate``), or a URL or DOI."""
    report = load_record(path).data["report"]
    assert {"source_file", "url", "doi"} & set(report), f"{path.name}: name the source_file, url or doi"
    assert report["read"] in {"full text", "abstract only", "partial"}


def test_report_ids_are_unique():
    ids = [r.data["report"]["id"] for r in load_records()]
    assert len(ids) == len(set(ids))


# -- a curator's typos ----------------------------------------------------------------------------
def _broken_copy(tmp_path: Path, pattern: str, replacement: str, source: str = "mouaddine2021.yaml") -> tuple[Path, int]:
    """A copy of a real record with the first line matching ``pattern`` rewritten; returns it and that line."""
    lines = (paths.RECORDS_DIR / source).read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if re.search(pattern, line):
            lines[i] = re.sub(pattern, replacement, line, count=1)
            out = tmp_path / source
            out.write_text("".join(lines), encoding="utf-8")
            return out, i + 1
    raise AssertionError(f"no line of {source} matches {pattern!r}: update the test to the record")


def _load_and_build(path: Path, terms):
    build_data([load_record(path)], terms)


CASES = [
    # (name, pattern, replacement, expected message fragment)
    ("unknown treatment term", r"intervention: diltiazem\b", "intervention: diltiazm", "did you mean: 'diltiazem'"),
    ("bad dose unit", r"unit: mg/day\b", "unit: mg/dya", "unknown unit 'mg/dya'"),
    ("wrong type", r"number: 3\b", "number: three", "should be of type integer"),
    ("unknown field", r"^(\s+)sex: female", r"\1gender: female", "unknown field 'gender'"),
    ("bad outcome value", r"calcinosis_outcome: complete regression", "calcinosis_outcome: cured", "'cured' is not one of"),
    ("bad DOI", r"doi: 10\.1016/j\.rhum\.2017\.03\.005", "doi: rhum.2017.03.005", "does not match the expected form"),
    ("negative dose", r"value: 150\b", "value: -150", "must be greater than 0"),
    ("dangling citation", r"cites: \[13\]", "cites: [99]", "reference 99 is not in this report's reference list"),
    ("symptom as a diagnosis", r"condition: juvenile dermatomyositis$", "condition: pain", "'pain' (pain) is not a diagnosis"),
    ("unknown reading extent", r"^(\s+)read: full text$", r"\1read: everything", "'everything' is not one of"),
    ("unknown aspect", r"aspect: relative frequency$", "aspect: popularity", "'popularity' is not one of"),
    ("hedged as text", r"^(\s+)hedged: true$", r"\1hedged: perhaps", "should be of type boolean"),
]


@pytest.mark.parametrize("name,pattern,replacement,expected", CASES, ids=[c[0] for c in CASES])
def test_typo_names_file_line_and_fix(tmp_path, terms, name, pattern, replacement, expected):
    path, line = _broken_copy(tmp_path, pattern, replacement)
    with pytest.raises(RecordError) as err:
        _load_and_build(path, terms)
    message = str(err.value)
    assert expected in message
    assert path.name in message
    assert err.value.line == line, f"error points at line {err.value.line}, the typo is on line {line}: {message}"


def test_missing_required_field_is_named(tmp_path, terms):
    path, line = _broken_copy(tmp_path, r"^(\s+)sex: female\n", "")
    with pytest.raises(RecordError) as err:
        _load_and_build(path, terms)
    assert "'sex' is missing" in str(err.value)


def test_invalid_yaml_gives_the_line(tmp_path):
    path, line = _broken_copy(tmp_path, r"^(\s+)sex: female", r"\1sex: [female")
    with pytest.raises(RecordError) as err:
        load_record(path)
    assert "not valid YAML" in str(err.value) and err.value.line is not None


def test_duplicate_key_is_refused(tmp_path):
    path, line = _broken_copy(tmp_path, r"^(\s+)sex: female\n", r"\1sex: female\n\1sex: male\n")
    with pytest.raises(RecordError) as err:
        load_record(path)
    assert "duplicate key 'sex'" in str(err.value)
    assert err.value.line == line + 1
