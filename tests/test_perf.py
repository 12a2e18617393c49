"""The speed-ups of the one pipeline (issue #16) change no verdict and no message.

- the record schema compiled by jsonschema-rs is only a filter in front of jsonschema: on valid
  records and on damaged ones, ``check_schema`` gives the same outcome and the same message as
  jsonschema alone;
"""

from __future__ import annotations

import copy

import pytest

from calcikg import records
from calcikg.errors import RecordError

from test_corpus import _generator


def _outcome(record: records.Record) -> str:
    try:
        records.check_schema(record)
    except RecordError as exc:
        return str(exc)
    return "valid"


def _damages() -> list:
    """Schema faults a curator makes: a missing field, an unknown one, a wrong type, a bad enum
    value, a pattern broken, a trailing newline in an id (Python's ``$`` accepts it), a bad URL."""

    def case(r):
        return r["cases"][0]

    return [
        lambda r: r["report"].pop("title"),
        lambda r: r["report"].__setitem__("colour", "blue"),
        lambda r: r["report"].__setitem__("year", "two thousand"),
        lambda r: case(r).__setitem__("sex", "unknown"),
        lambda r: r["report"].__setitem__("id", "Bad Id"),
        lambda r: r["report"].__setitem__("id", r["report"]["id"] + "\n"),
        lambda r: r["report"].__setitem__("url", "not a url"),
        lambda r: r["report"].__setitem__("url", "https://example.org/a b"),
        lambda r: r["report"].__setitem__("doi", "doi:10.1000/x"),
        lambda r: r.__setitem__("cases", []),
        lambda r: r["report"].__setitem__("source_file", ""),
    ]


@pytest.mark.parametrize("which", range(11))
def test_compiled_schema_gives_jsonschemas_verdict(which, monkeypatch, tmp_path):
    gen = _generator()
    good = list(gen.generate(2))[1]
    damaged = copy.deepcopy(good)
    _damages()[which](damaged)
    [path] = gen.write_yaml([damaged], tmp_path)
    loaded = records.Record(path, records.yaml.load(path.read_text(), Loader=records._Loader))
    fast = _outcome(loaded)
    monkeypatch.setattr(records, "_passes_fast", lambda data: False)  # jsonschema alone
    assert _outcome(loaded) == fast


def test_compiled_schema_passes_valid_records(monkeypatch):
    """The filter is used at all (jsonschema-rs installed) and passes the synthetic records."""
    gen = _generator()
    assert records._fast_validator() is not None
    for data in gen.generate(20):
        assert records._passes_fast(data)
