"""The speed-ups of the one pipeline (issue #16) change no verdict and no message.

- the record schema compiled by jsonschema-rs is only a filter in front of jsonschema: on valid
  records and on damaged ones, ``check_schema`` gives the same outcome and the same message as
  jsonschema alone;
- an incremental build runs the rules across reports only where the changed record reaches, and
  gives the problems of a build from an empty cache (a clash with an unchanged report appears and
  goes, a report is dropped);
- the store a build with worker processes fills is the store of one process;
- the README's coverage is brought up to date from the changed reports only, and counted again
  when a run stopped after changing the store;
- the content hashes of the records go through a stat cache that no quick edit can fool, and the
  replaced releases are deleted by a detached process.
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
    """One record of twelve changed at a time: a clash with an unchanged report appears (its source
    file; then its first author and year, so its publication's and cases' labels), then goes when
    the record is put back, then a report is dropped; each time the incremental run gives the
    problems of a build from an empty cache, and it did not run the rules over the whole store."""
    from calcikg import corpus

    files = write_synthetic(tmp_path / "records", 12)
    cache = tmp_path / "cache"
    first = corpus.build_corpus(files, jobs=1, cache_dir=cache)
    assert first.conforms
    first.close()
    good, other = files[2].read_text(), files[0].read_text().splitlines()

    def taking(*fields: str) -> str:  # record 3 with these lines of record 1
        lines = good.splitlines()
        for f in fields:
            at = next(i for i, line in enumerate(lines) if line.lstrip().startswith(f))
            lines[at] = next(line for line in other if line.lstrip().startswith(f))
        return "\n".join(lines) + "\n"

    steps = [
        lambda: files[2].write_text(taking("source_file:")),
        lambda: files[2].write_text(good),
        lambda: None,  # nothing changed: nothing to check again
        lambda: files[2].write_text(taking("- Synth", "year:")),
        lambda: files[2].write_text(good),
    ]
    clashing = {0, 3}
    calls = []
    real_rows = corpus.AcrossReportChecks._rows

    def counting(self, store, check, block):
        calls.append("whole" if block == "" else "part")
        return real_rows(self, store, check, block)

    for n, step in enumerate(steps):
        step()
        calls.clear()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(corpus.AcrossReportChecks, "_rows", counting)
            incremental = corpus.build_corpus(files, jobs=1, cache_dir=cache)
        assert "whole" not in calls
        scratch = corpus.build_corpus(files, jobs=1, cache_dir=tmp_path / f"scratch-{n}")
        assert _problems(incremental) == _problems(scratch)
        assert bool(incremental.problems) == (n in clashing)
        if n in clashing:  # both reports: the changed one and the unchanged one it now clashes with
            assert {p.record.rsplit("/", 1)[-1] for p in incremental.problems} == {files[0].name, files[2].name}
        if n == 3:
            assert {p.shape for p in incremental.problems} >= {"ckgsh:PublicationShape", "ckgsh:PatientCaseShape"}
        incremental.close()
        scratch.close()
    dropped = corpus.build_corpus(files[:-1], jobs=1, cache_dir=cache)
    assert dropped.conforms and len(dropped.entries) == 11
    dropped.close()


def test_only_what_every_result_says_of_the_other_node_narrows_the_values():
    """The values a changed node is queried for come from the triples every result has of ``?other``;
    a rule whose ``?other`` is optional, or in a union, is queried for every value."""
    from calcikg.corpus import _other_pattern

    head = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX ex: <http://example.org/> "
            "SELECT DISTINCT $this ?value WHERE { $this rdfs:label ?value . ")
    label, kind = "<http://www.w3.org/2000/01/rdf-schema#label>", "<http://example.org/C>"
    found = _other_pattern(head + "?other rdfs:label ?value ; a ex:C . FILTER (?other != $this) }")
    assert found == (f"?other {label} ?value . "
                     f"FILTER EXISTS {{ ?other <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> {kind} . }}")
    assert _other_pattern(head + "?other ex:p ?value }") == "?other <http://example.org/p> ?value ."
    assert _other_pattern(head + "OPTIONAL { ?other rdfs:label ?value } }") == ""
    assert _other_pattern(head + "{ ?other rdfs:label ?value } UNION { ?other ex:p ?value } }") == ""
    assert _other_pattern(head + "?x rdfs:label ?value }") == ""


def test_workers_give_the_store_and_problems_of_one_process(tmp_path, monkeypatch):
    """A whole run with worker processes, then the store filled once they are done: the same store
    and problems as one process, from scratch and after two records changed (two of five: a whole
    run again, on an emptied store). pySHACL: see test_corpus.py."""
    from test_corpus import _clash, store_lines

    from calcikg import corpus

    files = write_synthetic(tmp_path / "records", 5, _clash)
    monkeypatch.setattr(corpus, "WORKERS_FROM", 2)
    emptied = []
    real = corpus.Cache.open_store
    monkeypatch.setattr(corpus.Cache, "open_store",
                        lambda self, fresh=False: (emptied.append(fresh), real(self, fresh))[1])
    for n, edit in enumerate([None, lambda: [f.write_text(f.read_text().replace("Synthetic report", "Edited report", 1))
                                             for f in files[1:3]]]):
        if edit:
            edit()
        emptied.clear()
        two = corpus.build_corpus(files, jobs=2, engine="pyshacl", cache_dir=tmp_path / "two")
        assert two.built == (5 if n == 0 else 2)
        assert emptied == [n == 0]  # two of five changed: the store kept, those graphs replaced
        one = corpus.build_corpus(files, jobs=1, engine="pyshacl", cache_dir=tmp_path / f"one-{n}")
        assert store_lines(two.store) == store_lines(one.store)
        assert _problems(two) == _problems(one) and len(two.problems) == 2
        one.close()
        two.close()


def _interventions(files) -> list[str]:
    return sorted({line.split(":", 1)[1].strip() for f in files for line in f.read_text().splitlines()
                   if line.strip().startswith("intervention:")})


def test_coverage_kept_up_to_date_without_counting_every_report_again(tmp_path, monkeypatch):
    """The README's coverage after one record changed (another treatment given), then after a report
    was dropped: the rows of a build from an empty cache, although only the changed report's graph was
    counted (before and after); and the same Markdown block."""
    from calcikg import corpus, release

    files = write_synthetic(tmp_path / "records", 8)
    cache = tmp_path / "cache"
    corpus.build_corpus(files, jobs=1, cache_dir=cache).close()
    text = files[3].read_text()
    old = next(line for line in text.splitlines() if line.strip().startswith("intervention:"))
    new_term = next(t for t in _interventions(files) if t != old.split(":", 1)[1].strip())
    counted = []
    real = release.coverage_rows
    monkeypatch.setattr(release, "coverage_rows", lambda store, graphs=None: (counted.append(graphs), real(store, graphs))[1])
    for n, (step, kept) in enumerate([(lambda: files[3].write_text(text.replace(old, old.split(":")[0] + ": " + new_term, 1)), files),
                                      (lambda: None, files[:-1])]):
        step()
        counted.clear()
        incremental = corpus.build_corpus(kept, jobs=1, cache_dir=cache)
        assert counted and all(g is not None and len(g) == 1 for g in counted), counted
        scratch = corpus.build_corpus(kept, jobs=1, cache_dir=tmp_path / f"scratch-{n}")
        assert sorted(incremental.coverage) == sorted(scratch.coverage)
        assert release.coverage_block(incremental.coverage) == release.coverage_block(scratch.coverage)
        incremental.close()
        scratch.close()


def test_a_run_stopped_after_changing_the_store_makes_the_next_one_count_again(tmp_path, monkeypatch):
    """The store is changed before the manifest is written: a run stopped in between leaves results
    (rules across reports, coverage) that describe another store. The next run sees it and computes
    them over the whole store again."""
    from calcikg import corpus, release

    files = write_synthetic(tmp_path / "records", 6)
    cache = tmp_path / "cache"
    corpus.build_corpus(files, jobs=1, cache_dir=cache).close()
    files[2].unlink()
    with monkeypatch.context() as mp:
        mp.setattr(corpus.Cache, "write_manifest", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
        with pytest.raises(KeyboardInterrupt):
            corpus.build_corpus(files[:2] + files[3:], jobs=1, cache_dir=cache)
    counted = []
    real = release.coverage_rows
    monkeypatch.setattr(release, "coverage_rows", lambda store, graphs=None: (counted.append(graphs), real(store, graphs))[1])
    again = corpus.build_corpus(files[:2] + files[3:], jobs=1, cache_dir=cache)
    assert counted == [None]
    scratch = corpus.build_corpus(files[:2] + files[3:], jobs=1, cache_dir=tmp_path / "scratch")
    assert sorted(again.coverage) == sorted(scratch.coverage)
    assert _problems(again) == _problems(scratch)
    again.close()
    scratch.close()


def test_file_digests_trust_a_stat_only_when_it_cannot_hide_a_change(tmp_path):
    """Content hashes through the stat cache: a file whose size, time or inode changed is hashed
    again, and so is one changed in the same instant as the cache was written (same size, time put
    back); an old file whose stat is unchanged is not read."""
    import hashlib
    import os
    import time

    from calcikg.digests import file_digests

    cache = tmp_path / "digests.json"
    files = [tmp_path / f"r{i}.yaml" for i in range(3)]
    for i, f in enumerate(files):
        f.write_text(f"record {i}\n")
    old = time.time() - 3600
    os.utime(files[0], (old, old))
    first = file_digests(files, cache)
    assert first == {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}

    recent = files[1].stat()
    files[1].write_text("record X\n")  # same size
    os.utime(files[1], ns=(recent.st_atime_ns, recent.st_mtime_ns))  # and its time put back
    files[2].write_text("record 2, longer\n")
    second = file_digests(files, cache)
    assert second[str(files[1])] == hashlib.sha256(b"record X\n").hexdigest()
    assert second[str(files[2])] == hashlib.sha256(b"record 2, longer\n").hexdigest()

    os.chmod(files[0], 0)  # unreadable: an unchanged old file must not be read at all
    try:
        if os.geteuid() != 0:  # root reads it anyway; then only the value is checked
            assert file_digests(files, cache)[str(files[0])] == first[str(files[0])]
        assert file_digests(files, cache, update=False)[str(files[0])] == first[str(files[0])]
    finally:
        os.chmod(files[0], 0o644)


def test_replaced_releases_are_deleted_by_a_detached_process(tmp_path):
    """write_all with a trash folder: the new content in place, nothing left beside it, and the
    replaced files (linked into the trash before the renames) gone soon after, without waiting."""
    import time

    from calcikg.release import write_all

    targets = {tmp_path / "kg" / f"f{i}.nt": f"new {i}\n".encode() * 1000 for i in range(3)}
    for t in targets:
        t.parent.mkdir(exist_ok=True)
        t.write_bytes(b"old\n")
    trash = tmp_path / "cache" / "trash"
    write_all(targets, trash=trash)
    assert all(t.read_bytes() == c for t, c in targets.items())
    assert sorted(p.name for p in (tmp_path / "kg").iterdir()) == sorted(t.name for t in targets)
    deadline = time.monotonic() + 10
    while any(trash.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(trash.iterdir()), "the replaced files were not deleted"


def test_unchanged_reports_are_copied_from_the_release_they_replace(project_copy, monkeypatch):
    """After one record changed, the big releases are assembled from the files they replace (the
    unchanged reports' text in a few long ranges) and the changed report's cache entry: few files
    opened, and the bytes of a build from an empty cache. A release edited since it was written is
    not read: it is put together from the cache again."""
    import os
    import shutil

    from calcikg import paths
    from calcikg.build import build

    build()
    record = min(paths.RECORDS_DIR.glob("*.yaml"))
    record.write_text(record.read_text().replace("summary:", "summary: Edited.", 1))
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, *a, **k: (opened.append(str(path)), real_open(path, *a, **k))[1])
    build()
    monkeypatch.setattr(os, "open", real_open)
    from_cache = {p for p in opened if str(paths.CACHE_DIR) in p}
    assert len(from_cache) <= 4, from_cache  # the changed report's entry, once per assembled syntax
    big = [paths.GRAPH_NT, paths.GRAPH_TTL, paths.GRAPH_OWL, paths.DATA_TTL]
    assert set(map(str, big)) <= set(opened)
    incremental = {p: p.read_bytes() for p in big}

    paths.GRAPH_NT.write_bytes(paths.GRAPH_NT.read_bytes()[::-1])  # hand-edited: must not be read again
    record.write_text(record.read_text().replace("summary: Edited.", "summary: Edited twice.", 1))
    build()
    record.write_text(record.read_text().replace("summary: Edited twice.", "summary: Edited.", 1))
    build()
    assert {p: p.read_bytes() for p in big} == incremental
    shutil.rmtree(paths.CACHE_DIR)
    build()
    assert {p: p.read_bytes() for p in big} == incremental


def test_the_releases_a_build_replaces_are_read_back_ahead(project_copy, monkeypatch):
    """The layouts of the releases the next build replaces are read in a background thread, which then
    asks the kernel to read those files back into memory: their unchanged reports are copied from them."""
    import os
    import threading

    from calcikg import paths, release
    from calcikg.build import build

    build()
    hinted = []
    real = os.posix_fadvise

    def hint(fd, offset, length, advice):
        hinted.append((os.readlink(f"/proc/self/fd/{fd}"), advice))
        return real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", hint)
    layouts = release.read_ahead()()
    for thread in threading.enumerate():
        if thread.name == "calcikg-read-ahead":
            thread.join()
    big = {paths.GRAPH_NT, paths.GRAPH_TTL, paths.GRAPH_OWL, paths.DATA_TTL}
    assert layouts == release._previous_layouts() and set(layouts) == big
    assert sorted(hinted) == sorted((str(p.resolve()), os.POSIX_FADV_WILLNEED) for p in big)
