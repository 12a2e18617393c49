"""The speed-ups of the one pipeline (issue #16) change no verdict and no message.

- the record schema compiled by jsonschema-rs is only a filter in front of jsonschema: on valid
  records and on damaged ones, ``check_schema`` gives the same outcome and the same message as
  jsonschema alone;
- an incremental build runs the rules across reports only where the changed record reaches, and
  gives the problems of a build from an empty cache (a clash with an unchanged report appears and
  goes, a report is dropped);
- the store filled while the workers build is the store of one process.
"""

from __future__ import annotations

import copy

import pytest
from test_corpus import _generator, write_synthetic

from calcikg import records
from calcikg.errors import RecordError


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


# ------------------------------------------------------------------------------ incremental build
def _problems(c) -> list[tuple]:
    return sorted((p.check, p.focus, p.shape, p.message, p.value, p.record, p.line) for p in c.problems)


def test_rules_across_reports_again_only_where_a_change_reaches(tmp_path):
    """One record of twelve changed at a time: a clash with an unchanged report appears, then goes
    when the record is put back, then a report is dropped; each time the incremental run gives the
    problems of a build from an empty cache, and it did not run the rules over the whole store."""
    from calcikg import corpus

    files = write_synthetic(tmp_path / "records", 12)
    cache = tmp_path / "cache"
    first = corpus.build_corpus(files, jobs=1, cache_dir=cache)
    assert first.conforms
    first.close()
    good = files[2].read_text()
    source = next(line for line in files[0].read_text().splitlines() if "source_file:" in line).split(":", 1)[1]
    steps = [
        lambda: files[2].write_text(
            "\n".join(line.split(":", 1)[0] + ":" + source if "source_file:" in line else line
                      for line in good.splitlines()) + "\n"),
        lambda: files[2].write_text(good),
        lambda: None,  # nothing changed: nothing to check again
    ]
    calls = []
    real_rows = corpus.AcrossReportChecks.rows

    def counting(self, store, focus=None, values=None):
        calls.append("whole" if focus is None and values is None else "part")
        return real_rows(self, store, focus, values)

    for n, step in enumerate(steps):
        step()
        calls.clear()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(corpus.AcrossReportChecks, "rows", counting)
            incremental = corpus.build_corpus(files, jobs=1, cache_dir=cache)
        assert "whole" not in calls
        scratch = corpus.build_corpus(files, jobs=1, cache_dir=tmp_path / f"scratch-{n}")
        assert _problems(incremental) == _problems(scratch)
        assert bool(incremental.problems) == (n == 0)
        if n == 0:  # both reports: the changed one and the unchanged one it now clashes with
            assert {p.record.rsplit("/", 1)[-1] for p in incremental.problems} == {files[0].name, files[2].name}
        incremental.close()
        scratch.close()
    dropped = corpus.build_corpus(files[:-1], jobs=1, cache_dir=cache)
    assert dropped.conforms and len(dropped.entries) == 11
    dropped.close()


def test_store_filled_while_the_workers_build(tmp_path, monkeypatch):
    """A whole run with workers loads each report into the store as it comes back (here one at a
    time): the same store and problems as one process, from scratch and after two records changed
    (two of five: a whole run again, the changed graphs replaced). pySHACL: see test_corpus.py."""
    from test_corpus import _clash, store_lines

    from calcikg import corpus

    files = write_synthetic(tmp_path / "records", 5, _clash)
    monkeypatch.setattr(corpus, "WORKERS_FROM", 2)
    monkeypatch.setattr(corpus, "PRELOAD_EVERY", 1)
    loaded = []
    real = corpus._preload
    monkeypatch.setattr(corpus, "_preload", lambda store, cache, metas: (loaded.extend(metas), real(store, cache, metas)))
    for n, edit in enumerate([None, lambda: [f.write_text(f.read_text().replace("Synthetic report", "Edited report", 1))
                                             for f in files[1:3]]]):
        if edit:
            edit()
        loaded.clear()
        two = corpus.build_corpus(files, jobs=2, engine="pyshacl", cache_dir=tmp_path / "two")
        assert len(loaded) == two.built == (5 if n == 0 else 2)
        one = corpus.build_corpus(files, jobs=1, engine="pyshacl", cache_dir=tmp_path / f"one-{n}")
        assert store_lines(two.store) == store_lines(one.store)
        assert _problems(two) == _problems(one) and len(two.problems) == 2
        one.close()
        two.close()
