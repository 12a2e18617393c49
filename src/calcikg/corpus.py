"""The one pipeline: records -> cache entries -> an Oxigraph store -> releases, validated per report.

``calcikg build`` and ``calcikg validate`` run it at every size (:func:`build_corpus`):

- each record is built on its own (its triples depend only on the record and the ontology) and
  validated on its own triples plus the slice of the ontology the shapes read (``rdf:type`` and
  ``rdfs:subClassOf``), a few records at a time, in worker processes when there are many
  (``--jobs``). What a record gives (its triples rendered in the three release syntaxes, its
  problems, the line of each node) is a cache entry in ``.calcikg/entries/``, keyed by the record's
  bytes and name and by :func:`context_key` (ontology, templates, mappings, record schema, shapes,
  patient-name hashes, the code): an unchanged record is neither built nor validated again;
- the store (``.calcikg/store``, Oxigraph on disk) holds a named graph per report and one for the
  ontology; a changed record replaces its own report's graph, nothing else;
- the rules marked ``ckgsh:acrossReports true`` in the shapes (unique labels, unique source files:
  the only ones that compare a node with other reports' nodes) and the ``*-violation.rq`` queries
  run over the store; their results and the README's coverage counts are kept in the manifest
  (``.calcikg/manifest.marshal``) and, when few reports changed, brought up to date from the
  changed graphs alone (trusted only while the store is as the run that wrote them left it);
- the releases are put together from the entries (:mod:`calcikg.release`).

Why per-report validation gives the verdict of whole-graph SHACL (``calcikg validate --exact``): a
report's triples link only its own nodes and ontology terms (:func:`foreign_nodes` refuses anything
else), so a rule can only see another report by comparing values, and the rules that do are the
marked ones. ``tests/test_corpus.py`` checks the equality with whole-graph pySHACL.

Engines for the per-report rules: ``pyrudof`` (Rust, the default) or ``pyshacl``; the tests check
they agree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path

from calcikg import paths
from calcikg.errors import CalciKGError, RecordError
from calcikg.privacy import name_hashes, names_in
from calcikg.validate import Problem, _short, privacy_problems, source_text_problems

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_SUBCLASS_OF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
CKG_SOURCE_FILE = "https://w3id.org/calcikg/sourceFile"
CKD = "https://w3id.org/calcikg/data/"
SH = "http://www.w3.org/ns/shacl#"
CKGSH = "https://w3id.org/calcikg/shapes/"

ENGINES = ("pyrudof", "pyshacl")


# -- build ---------------------------------------------------------------------------------------
def ontology_graph():
    """The ontology as the build sees it: the edit file plus the SSSOM mappings (rdflib)."""
    from calcikg.build import load_ontology
    from calcikg.mappings import mapping_triples

    graph = load_ontology()
    graph += mapping_triples()
    return graph


def ntriples(triples: Iterable) -> str:
    """rdflib triples -> canonical N-Triples text, sorted."""
    from calcikg.rdfwrite import from_rdflib, nt

    return "".join(sorted(f"{nt(s)} {nt(p)} {nt(o)} .\n" for s, p, o in from_rdflib(triples)))


def report_of(iri: str, report_ids: set[str] | dict) -> str | None:
    """The report a data IRI belongs to: ``ckd:R`` or ``ckd:R-...`` for a known report id R."""
    if not iri.startswith(CKD):
        return None
    local = iri[len(CKD):]
    while True:
        if local in report_ids:
            return local
        if "-" not in local:
            return None
        local = local.rsplit("-", 1)[0]


def foreign_nodes(report_id: str, nt: str) -> list[str]:
    """Data IRIs (subjects, objects) in a report's triples that are not its own (``ckd:<id>``, ``ckd:<id>-...``)."""
    own = CKD + report_id
    nodes = set()
    for line in nt.splitlines():
        s, _p, o = line.split(" ", 2)
        nodes.add(s[1:-1])
        if o.startswith("<"):
            nodes.add(o[1:o.index(">")])
    return sorted(i for i in nodes if i.startswith(CKD) and i != own and not i.startswith(own + "-"))


def clashing_ids(new: Iterable[str], existing: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of report ids where one is the other followed by ``-...`` (``rep``, ``rep-b``).

    Node IRIs are ``ckd:<id>-<local>`` and ids may hold '-', so such two reports can write the same
    node (report ``rep``'s statement ``b-claim-1`` is ``rep-b``'s ``claim-1``), and a report would
    no longer be its own triples: refused, whatever the records say.
    """
    ids = sorted(set(new) | set(existing))
    new = set(new)
    out = []
    for i, a in enumerate(ids):
        for j in range(i + 1, len(ids)):
            b = ids[j]
            if not b.startswith(a):
                break
            if b.startswith(a + "-") and (a in new or b in new):
                out.append((a, b))
    return out


def _refuse_clashing_ids(new: Iterable[str], existing: Iterable[str], where: str) -> None:
    pairs = clashing_ids(new, existing)
    if pairs:
        a, b = pairs[0]
        raise CalciKGError(f"{where}: report ids {a!r} and {b!r}: one is the other followed by '-', so their nodes"
                           f" can share IRIs; give one of the reports another id")


# -- the pipeline: records -> cache entries -> the store -> releases -----------------------------
CACHE_FORMAT = 1
#: The modules whose code decides what a record builds to and how it is validated: a change to any
#: of them invalidates every cache entry (as a change to the ontology, templates, mappings or shapes does).
_CODE = ("corpus.py", "graph.py", "records.py", "terms.py", "templates.py", "mappings.py", "rdfwrite.py",
         "validate.py", "privacy.py", "prefixes.py", "namespaces.py", "hpo.py", "build.py")
ONTOLOGY_GRAPH = "https://w3id.org/calcikg/calcikg.owl"
STATE_GRAPH = "urn:calcikg:build-state"
STATE_KEY = "urn:calcikg:entry"
STATE_DIGEST = "urn:calcikg:state-digest"  # of the whole state graph, once a run has changed the store
#: Fewer records than this to build: in this process (starting workers costs about a second).
WORKERS_FROM = 40


def _digest(*parts: bytes | str) -> str:
    import hashlib

    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def source_files() -> list[Path]:
    """The files besides the records that every report's triples or verdict depend on."""
    from calcikg.templates import template_files

    files = [paths.ONTOLOGY_EDIT, *template_files(), paths.MAPPINGS, paths.RECORD_SCHEMA, paths.SHAPES,
             paths.NAME_HASHES]
    return [f for f in files if f.exists()]


def context_key() -> str:
    """A digest of everything a cache entry depends on besides its record: ontology, templates,
    mappings, record schema, shapes, the patient-name hashes, the builder's code and its libraries."""
    from importlib.metadata import version

    here = Path(__file__).resolve().parent
    parts: list[bytes | str] = [f"calcikg-cache-{CACHE_FORMAT}"]
    for f in source_files():
        parts += [f.name, f.read_bytes()]
    for name in _CODE:
        parts.append((here / name).read_bytes())
    for lib in ("rdflib", "pyrudof", "pyoxigraph", "pyhpo"):
        try:
            parts.append(f"{lib} {version(lib)}")
        except Exception:  # noqa: BLE001 - an absent optional library is part of the key too
            parts.append(f"{lib} -")
    return _digest(*parts)


def _replace(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to a temporary name beside ``path``, then rename it over ``path``:
    a reader, or another process, sees the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    os.replace(tmp, path)


def shapes_key(shapes_file: Path) -> str:
    """What the forms of a shapes file kept in the cache (its rules across reports, its Turtle for
    pyrudof) are keyed by: its content, with everything a cache entry depends on."""
    return _digest(context_key(), str(shapes_file), shapes_file.read_bytes())[:40]


class Progress:
    """``records 1,234 / 10,000, 95/s, about 1 min 30 s left`` on a terminal; silent otherwise
    (not a TTY, CI=true, --quiet, or only a few records)."""

    def __init__(self, total: int, what: str, quiet: bool = False, stream=None):
        import os
        import sys
        import time

        self.stream = stream or sys.stderr
        ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
        self.on = total >= 20 and not quiet and not ci and getattr(self.stream, "isatty", lambda: False)()
        self.total, self.what, self.done = total, what, 0
        self.t0 = self.last = time.monotonic()

    def add(self, n: int) -> None:
        import time

        self.done += n
        now = time.monotonic()
        if not self.on or (now - self.last < 0.25 and self.done < self.total):
            return
        self.last = now
        rate = self.done / max(now - self.t0, 1e-6)
        left = (self.total - self.done) / rate if rate else 0
        eta = f"{left / 60:.0f} min {left % 60:02.0f} s" if left >= 60 else f"{left:.0f} s"
        self.stream.write(f"\r{self.what} {self.done:,} / {self.total:,}, {rate:,.0f}/s, about {eta} left   ")
        self.stream.flush()

    def close(self) -> None:
        if self.on and self.done:
            self.stream.write("\r" + " " * 78 + "\r")
            self.stream.flush()


_WORKER: dict = {}  # per process: term index, validator, cache folder


def prepare(shapes_file: str | None = None, engine: str = "pyrudof", entries: str | None = None,
            ontology=None) -> None:
    """Load what building (and validating) a record needs, once per process."""
    if "terms" not in _WORKER:
        from calcikg.terms import TermIndex

        onto = ontology if ontology is not None else base_ontology()
        _WORKER["ontology"] = onto
        _WORKER["terms"] = TermIndex.from_graph(onto)
    if shapes_file and _WORKER.get("validator") is None:
        kept = Path(entries).parent / f"shapes-{shapes_key(Path(shapes_file))}.ttl" if entries else None
        _WORKER["validator"] = ContextValidator(Path(shapes_file), _WORKER["ontology"], engine, kept)
    if entries:
        _WORKER["entries"] = entries


def _init_worker(shapes_file: str | None, engine: str, entries: str | None) -> None:
    prepare(shapes_file, engine, entries, ontology=base_ontology(Path(entries).parent) if entries else None)


def base_ontology(cache_dir: Path | None = None):
    """The ontology as the build sees it (edit file, templates, mappings: an rdflib graph), read from
    the build cache when its sources have not changed: loading the mappings imports sssom-py, some
    3 s, which a build of one changed record should not pay."""
    import json

    from rdflib import Graph

    from calcikg.rdfwrite import Lit, from_rdflib, to_rdflib

    path = Path(cache_dir or paths.CACHE_DIR) / f"base-{context_key()[:40]}.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        graph = Graph()
        for s, p, o in rows:
            graph.add((to_rdflib(s), to_rdflib(p), to_rdflib(Lit(*o) if isinstance(o, list) else o)))
        return graph
    except (OSError, ValueError):
        pass
    graph = ontology_graph()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace(path, json.dumps([[s, p, list(o) if isinstance(o, Lit) else o] for s, p, o in from_rdflib(graph)]))
    except OSError:  # best effort: the next process loads the sources again
        pass
    return graph


@dataclass
class BuiltReport:
    """One record built: its id, file, triples (plain, canonical) and N-Triples."""

    report_id: str
    record: str
    triples: list
    nt: str
    origins: dict = field(default_factory=dict, repr=False)  # node -> (record file, line)
    problems: list[Problem] = field(default_factory=list)


def build_report(path: Path | str) -> BuiltReport:
    """Load a record (YAML + schema; a draft is refused), build its triples, check it keeps to its
    own nodes."""
    from calcikg.graph import record_triples
    from calcikg.rdfwrite import from_rdflib, nt
    from calcikg.records import load_record

    prepare()
    record = load_record(Path(path))
    if record.data.get("status") == "draft":
        raise record.error(["status"], "this record is an unreviewed draft: review it as docs/curating.md says "
                                       "(summaries in your own words, outcomes graded, terms checked), then "
                                       "delete the 'status: draft' line and build again")
    rid = record.data["report"]["id"]
    origins: dict = {}
    triples = from_rdflib(record_triples(record, _WORKER["terms"], origins))
    text = "".join(sorted(f"{nt(s)} {nt(p)} {nt(o)} .\n" for s, p, o in triples))
    foreign = foreign_nodes(rid, text)
    if foreign:  # the per-report argument needs it; the builder never does this
        raise CalciKGError(f"{record.name}: report {rid} links nodes of another report ({', '.join(foreign[:3])}):"
                           " a record may only describe its own report")
    return BuiltReport(rid, record.name, triples, text, {str(k): v for k, v in origins.items()})


def _own(iri: str, rid: str) -> bool:
    own = CKD + rid
    return iri == own or iri.startswith(own + "-")


def _write_entry(folder: Path, key: str, b: BuiltReport, source: tuple | None) -> dict:
    """Render a built report's own subjects, write the cache entry (three texts, then its meta)."""
    import json
    from collections import Counter

    from calcikg.rdfwrite import Lit, Names, render

    names = _WORKER.setdefault("names", Names())
    own = [t for t in b.triples if _own(t[0], b.report_id)]
    shared = sorted({t for t in b.triples if not _own(t[0], b.report_id)}, key=str)
    refs = Counter(o for _s, _p, o in own if isinstance(o, str))
    r = render(own, lambda s: refs[s], names)
    meta: dict = {"format": CACHE_FORMAT, "key": key, "record": b.record, "report_id": b.report_id,
                  "triples": len(b.triples), "prefixes": sorted(r.prefixes), "xml_prefixes": sorted(r.xml_prefixes)}
    for fmt, items in (("ttl", [((rc, s), text) for rc, s, text in r.ttl]), ("xml", r.xml), ("nt", r.nt)):
        data, index, offset = [], [], 0
        for k, text in items:
            raw = text.encode("utf-8")
            index.append([list(k) if isinstance(k, tuple) else [k], offset, len(raw)])
            data.append(raw)
            offset += len(raw)
        _replace(folder / f"{key}.{fmt}", b"".join(data))
        meta[fmt] = index
    meta["shared"] = [[s, p, list(o) if isinstance(o, Lit) else o] for s, p, o in shared]
    meta["refs"] = {k: v for k, v in refs.items() if not _own(k, b.report_id)}
    meta["hpo"] = sorted({x for t in b.triples for x in (t[0], t[2])
                          if isinstance(x, str) and x.startswith("http://purl.obolibrary.org/obo/HP_")})
    meta["origins"] = b.origins
    meta["source"] = list(source) if source else None
    meta["problems"] = [asdict(p) for p in b.problems]
    _replace(folder / f"{key}.json", json.dumps(meta, ensure_ascii=False))
    return meta


def _report_problems(b: BuiltReport) -> tuple[list[Problem], tuple | None]:
    """Patient names in the report's literals (each with its record line), and its source file."""
    from calcikg.rdfwrite import Lit
    from calcikg.validate import attach_origins

    label = {s: o.lex for s, p, o in b.triples if p == RDFS_LABEL and isinstance(o, Lit)}
    hashes = name_hashes()
    held = [(s, p, o) for s, p, o in b.triples  # names are rare: only these are put in words
            if hashes and isinstance(o, Lit) and _own(s, b.report_id) and names_in(o.lex, hashes)]
    found = privacy_problems((_short_iri(s), label.get(s, ""), _short_iri(p), o.lex) for s, p, o in held)
    attach_origins(found, b.origins)
    own = CKD + b.report_id
    source = next((("ckd:" + b.report_id, label.get(own, ""), o.lex) for s, p, o in b.triples
                   if s == own and p == CKG_SOURCE_FILE and isinstance(o, Lit)), None)
    return found, source


def process_chunk(jobs: Sequence[tuple[str, str]]) -> list[dict]:
    """Build, validate and cache a few records (``(file, entry key)`` pairs) together; their metas.

    A record error comes back as ``{"error": message}`` (exceptions do not cross processes well)."""
    from calcikg.validate import attach_origins

    try:
        built = [build_report(f) for f, _k in jobs]
    except CalciKGError as exc:
        fields = [exc.file, exc.line, exc.field, exc.message] if isinstance(exc, RecordError) else None
        return [{"error": str(exc), "record_error": fields}]
    validator = _WORKER.get("validator")
    if validator is not None:
        by_id = {b.report_id: b for b in built}
        for p in validator.validate("".join(b.nt for b in built)):
            b = by_id.get(report_of(_long(p.focus), by_id) or "", built[0])
            b.problems.append(p)
    folder = Path(_WORKER["entries"])
    out = []
    for b, (_f, key) in zip(built, jobs):
        attach_origins(b.problems, b.origins)
        for p in b.problems:
            p.record = p.record or b.record
        privacy, source = _report_problems(b)
        b.problems += privacy
        out.append(_write_entry(folder, key, b, source))
    return out


@dataclass
class Corpus:
    """The state of a build: the store, each report's cache entry, the problems found."""

    store: object
    entries: dict[str, dict]  # report id -> meta
    ontology: list  # plain triples: ontology + mappings + imported HPO terms
    problems: list[Problem]
    cache_entries: str = ""  # the folder of the entries' files
    built: int = 0  # records built (not taken from the cache) by this run
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def conforms(self) -> bool:
        return not self.problems

    def close(self) -> None:
        """Let go of the store (an on-disk store is locked while it is open)."""
        import gc
        import sys

        store, self.store = self.store, None
        # held elsewhere (by a cycle, say) than here and in getrefcount's argument: only the cycle
        # collector frees it, which walks every object of the build (0.25 s at 10,000 reports)
        held = store is not None and sys.getrefcount(store) > 2
        del store
        if held:
            gc.collect()

    #: The manifest's tables: the shared triples and the referenced IRIs the entries' ids point into.
    tables: dict = field(default_factory=lambda: {"shared": [], "refs": []}, repr=False)
    digests: dict[str, str] = field(default_factory=dict, repr=False)  # record file -> sha256 of what was read
    coverage: list = field(default_factory=list, repr=False)  # the rows of the stored query `coverage`

    @property
    def shared(self) -> set:
        """The triples of the reports whose subject is no report's own node (ontology terms, typed again)."""
        table = self.tables["shared"]
        return {table[i] for m in self.entries.values() for i in m["shared_ids"]}

    @property
    def refs(self):
        """How often each IRI that is no report's own node is an object in the reports (a Counter)."""
        from collections import Counter

        table, total = self.tables["refs"], Counter()
        for m in self.entries.values():
            for i, n in m["ref_counts"]:
                total[table[i]] += n
        return total

    @property
    def triples(self) -> int:
        """Distinct triples of the graph (ontology, mappings, imported HPO terms, every report)."""
        onto = set(self.ontology)
        return len(onto) + len(self.shared - onto) + sum(m["triples"] - len(m["shared_ids"]) for m in self.entries.values())

    @property
    def data_triples(self) -> int:
        """Distinct triples of the reports."""
        return len(self.shared) + sum(m["triples"] - len(m["shared_ids"]) for m in self.entries.values())

    @property
    def reports(self) -> dict[str, str]:
        return {rid: m["record"] for rid, m in self.entries.items()}


#: The fields of an entry's meta that a build reads for every report are kept in one manifest; these
#: (each subject's place in the rendered texts, each node's record line, the shared triples and
#: references as the worker wrote them) stay in the entry's own file, read when needed.
_COLD = ("ttl", "xml", "nt", "origins", "shared", "refs")
MANIFEST_FORMAT = 2


def _manifest_format() -> list:
    import sys

    return [MANIFEST_FORMAT, CACHE_FORMAT, f"python {sys.version_info[0]}.{sys.version_info[1]}"]


def _read_meta(folder: Path, key: str) -> dict | None:
    import json

    try:
        meta = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if meta.get("format") == CACHE_FORMAT else None


class Meta(dict):
    """An entry's meta as the manifest keeps it; a cold field is read from the entry's file on first use."""

    def __init__(self, data: dict, folder: Path):
        super().__init__(data)
        self.folder = folder

    def __missing__(self, name: str):
        if name not in _COLD:
            raise KeyError(name)
        full = _read_meta(self.folder, self["key"])
        if full is None:
            raise CalciKGError(f"{self.folder}: the build cache entry {self['key']} went missing during the build: "
                               "run 'calcikg build' again")
        for k in _COLD:
            self.setdefault(k, full[k])
        return dict.__getitem__(self, name)


@contextmanager
def without_gc():
    """No cycle collection while millions of small objects are made that are kept (reading the
    manifest, 0.17 s instead of 0.55 s at 10,000 reports; writing it, 1.2 s instead of 1.8 s): each
    pass of the collector would walk them all again, and none of them is garbage."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:  # the objects made meanwhile go to the oldest generation unwalked (freeze, unfreeze):
            gc.freeze()  # else the first collection after enable() walks them all (0.15 s here)
            gc.enable()
            gc.unfreeze()


def _runs(index: list, grouped: bool) -> list:
    """A rendered text's pieces as runs ``[first key, last key, offset, length]``: the whole file, or one run
    per reference count (the Turtle text is in (count, subject) order)."""
    runs: list = []
    for k, off, n in index:
        if runs and (not grouped or runs[-1][0][0] == k[0]) and runs[-1][2] + runs[-1][3] == off:
            runs[-1][1] = k
            runs[-1][3] += n
        else:
            runs.append([k, k, off, n])
    return runs


class Cache:
    """``.calcikg/``: cache entries (``entries/<key>.{json,ttl,xml,nt}``), the manifest of the entries in
    use (``manifest.marshal``: what a build reads of every entry, in one file), the ontology's triples
    (``ontology-<key>.json``), and the Oxigraph store of the corpus (``store/``: a named graph per
    report, one for the ontology, and a state graph saying which entry each report graph holds)."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root or paths.CACHE_DIR)
        self.entries = self.root / "entries"
        self.entries.mkdir(parents=True, exist_ok=True)
        # marshal, not JSON: read in a fifth of the time (0.9 s at 10,000 reports with JSON); a cache
        # written by another Python version is not read (its format names the version)
        self.manifest_file = self.root / "manifest.marshal"
        self._manifest: dict | None = None
        self._present: set[str] | None = None

    def _load_manifest(self) -> dict:
        import marshal

        if self._manifest is None:
            try:
                with without_gc():
                    manifest = marshal.loads(self.manifest_file.read_bytes())
                if not isinstance(manifest, dict) or manifest.get("format") != _manifest_format():
                    raise ValueError
            except (OSError, ValueError, EOFError, TypeError):
                manifest = {"entries": {}, "shared": [], "refs": []}
            manifest["shared"] = [(s, p, _lit(o)) for s, p, o in manifest["shared"]]
            self._manifest = manifest
            self._present = {f.name for f in os.scandir(self.entries)}
        return self._manifest

    def meta(self, key: str) -> dict | None:
        """The entry ``key``: from the manifest (its files there), else from its own file; None when absent."""
        manifest = self._load_manifest()
        hot = manifest["entries"].get(key)
        if not all(f"{key}.{f}" in self._present for f in ("json", "ttl", "xml", "nt")):
            return None
        if hot is not None:
            return Meta(hot, self.entries)
        return _read_meta(self.entries, key)

    def _on_store(self) -> dict:
        """What the last run computed on the store (rules across reports, coverage) and its state."""
        return self._load_manifest().get("across") or {}

    def across(self, ctx: str) -> list | None:
        """The last run's results of the rules across reports (``[row, problem]``), if made with ``ctx``."""
        found = self._on_store()
        return found.get("rows") if found.get("ctx") == ctx else None

    def store_state(self) -> tuple[str | None, dict | None]:
        """The :func:`_state_digest` of the store as the last run left it, and that state graph."""
        found = self._on_store()
        return found.get("state"), found.get("graphs")

    def coverage(self, key: str) -> list | None:
        """The last run's coverage rows (:func:`calcikg.release.coverage_rows`), if made with ``key``."""
        found = self._on_store().get("coverage") or {}
        return found.get("rows") if found.get("key") == key else None

    def write_manifest(self, entries: dict[str, dict], across: dict | None = None) -> dict:
        """Keep the entries in use in the manifest (a fresh entry's shared triples and references become
        ids into its tables, its texts runs); the tables (never reordered, only appended to)."""
        with without_gc():
            return self._write_manifest(entries, across)

    def _write_manifest(self, entries: dict[str, dict], across: dict | None) -> dict:
        import marshal

        from calcikg.rdfwrite import Lit

        manifest = self._load_manifest()
        shared, refs = manifest["shared"], manifest["refs"]
        shared_id = {t: i for i, t in enumerate(shared)}
        ref_id = {t: i for i, t in enumerate(refs)}
        out: dict = {}
        for rid, m in list(entries.items()):
            if not isinstance(m, Meta):
                hot = {k: v for k, v in m.items() if k not in _COLD}
                ids = []
                for s, p, o in m["shared"]:
                    t = (s, p, _lit(o))
                    if t not in shared_id:
                        shared_id[t] = len(shared)
                        shared.append(t)
                    ids.append(shared_id[t])
                counts = []
                for iri, n in sorted(m["refs"].items()):
                    if iri not in ref_id:
                        ref_id[iri] = len(refs)
                        refs.append(iri)
                    counts.append([ref_id[iri], n])
                hot.update(shared_ids=ids, ref_counts=counts,
                           runs={f: _runs(m[f], f == "ttl") for f in ("ttl", "xml", "nt")})
                entries[rid] = meta = Meta(hot, self.entries)
                for k in _COLD:
                    meta[k] = m[k]
                m = meta
            out[m["key"]] = {k: v for k, v in m.items() if k not in _COLD}
        data = marshal.dumps({"format": _manifest_format(), "entries": out, "refs": refs, "across": across,
                              "shared": [[s, p, list(o) if isinstance(o, Lit) else o] for s, p, o in shared]})
        _replace(self.manifest_file, data)
        return {"shared": shared, "refs": refs}

    def open_store(self, fresh: bool = False):
        """The store; emptied first when ``fresh`` (most graphs are to be replaced: dropping a graph
        costs about 10 ms, so 10,000 of them cost more than loading everything again)."""
        from pyoxigraph import Store

        if fresh:
            import shutil

            shutil.rmtree(self.root / "store", ignore_errors=True)
        try:
            return Store(str(self.root / "store"))
        except OSError as exc:
            raise CalciKGError(f"{self.root / 'store'}: cannot open the build store ({exc}); is another "
                               "calcikg build running? If not, delete the folder and build again") from None

    def collect_garbage(self, keep: set[str]) -> None:
        for f in os.scandir(self.entries):
            if (f.name.split(".", 1)[0] not in keep and not f.name.startswith(".")
                    or f.name.startswith(".") and f.name.endswith(".tmp")):
                Path(f.path).unlink(missing_ok=True)
        (self.root / "manifest.json").unlink(missing_ok=True)  # the manifest's earlier format
        for f in self.root.glob("ontology-*.json"):
            if f.stem.removeprefix("ontology-") not in keep:
                f.unlink(missing_ok=True)
        base = f"base-{context_key()[:40]}"
        for f in self.root.glob("base-*.json"):
            if f.stem != base:
                f.unlink(missing_ok=True)
        for f in [*self.root.glob("across-*.json"), *self.root.glob("shapes-*.ttl")]:
            if f.stem.split("-", 1)[1] not in keep:
                f.unlink(missing_ok=True)


def _lit(o):
    from calcikg.rdfwrite import Lit

    return Lit(*o) if isinstance(o, list) else o


def _ontology(cache: Cache, ctx: str, hpo_used: set[str]) -> tuple[str, list]:
    """The ontology's plain triples (edit file + templates + mappings + the HPO terms the reports
    use), cached by the context and the HPO terms used; and its key."""
    import json

    from calcikg.rdfwrite import Lit, from_rdflib

    key = _digest(ctx, *sorted(hpo_used))
    path = cache.root / f"ontology-{key}.json"
    try:
        return key, [(s, p, _lit(o)) for s, p, o in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError):
        pass
    from rdflib import URIRef

    from calcikg.hpo import imported_terms

    onto = _WORKER.get("ontology")
    if onto is None:
        onto = _WORKER["ontology"] = base_ontology(cache.root)
    imports = imported_terms(onto, [(URIRef(i), None, None) for i in sorted(hpo_used)])
    triples = sorted(set(from_rdflib(onto)) | set(from_rdflib(imports)), key=lambda t: (t[0], t[1], str(t[2])))
    _replace(path, json.dumps([[s, p, list(o) if isinstance(o, Lit) else o] for s, p, o in triples]))
    return key, triples


def build_corpus(record_files: Sequence[Path] | None = None, *, jobs: int | None = None, quiet: bool = True,
                 shapes_file: Path | None = None, engine: str = "pyrudof", cache_dir: Path | None = None) -> Corpus:
    """Bring the cache and the store up to date with the records; every report validated.

    Records whose entry (keyed by the record's bytes, its name and :func:`context_key`) is cached are
    neither built nor validated again; the others are built and validated (in ``jobs`` worker
    processes when there are many) and their entries written. Only then is the store changed: each
    report graph whose entry changed is replaced, removed reports are dropped. The rules across
    reports and the violation queries run over the store. A record error stops the run before the
    store is touched; entries written for other records stay valid (they are keyed by content).
    """
    import gc
    import os
    import time

    if engine not in ENGINES:
        raise CalciKGError(f"unknown SHACL engine {engine!r}: use one of {', '.join(ENGINES)}")
    t0 = time.perf_counter()
    # sorted as strings: comparing 10,000 paths part by part costs a fifth of a second
    files = sorted(record_files if record_files is not None else paths.RECORDS_DIR.glob("*.yaml"), key=str)
    if not files:
        from calcikg.errors import RecordError

        raise RecordError(str(paths.RECORDS_DIR), None, "", "no *.yaml record files found")
    cache = Cache(cache_dir)
    shapes = str(shapes_file or paths.SHAPES)
    ctx = _digest(context_key(), shapes)
    # now, while this process holds little: reading the rules' SPARQL (rdflib, pyparsing) leaves
    # reference cycles that hold this frame, and with it the store; a collection now costs 0.01 s
    across_key = shapes_key(Path(shapes))
    checks = AcrossReportChecks(Path(shapes), cache.root / f"across-{across_key}.json")
    gc.collect()
    from calcikg.digests import file_digests
    from calcikg.records import Record

    try:  # kept for the staleness check too
        digests = file_digests(files, cache.root / "digests.json")
    except OSError as exc:
        raise RecordError(Record(Path(exc.filename), None).name, None, "",
                          f"cannot read the file ({exc.strerror})") from None
    keys, metas, todo = {}, {}, []
    for f in files:
        key = _digest(ctx, Record(f, None).name, digests[str(f)])[:40]
        keys[f] = key
        meta = cache.meta(key)
        if meta is None:
            todo.append((str(f), key))
        else:
            metas[f] = meta
    by_key = {k: Path(f) for f, k in todo}
    previous = cache.across(ctx)
    # the rules across reports run again only where a changed report can change their results, when
    # few reports changed; else (or when none were kept, or the ontology changed) over everything
    watch = max(1, len(files) // 10) if previous is not None else 0
    t1 = time.perf_counter()
    if todo:
        progress = Progress(len(todo), "records built and validated", quiet)
        jobs = max(1, jobs or os.cpu_count() or 1)
        size = max(1, min(20, len(todo) // (jobs * 4) or 1))
        chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
        try:
            if jobs > 1 and len(todo) >= WORKERS_FROM:
                import multiprocessing as mp

                base_ontology(cache.root)  # once, here: the workers read it from the cache

                # "forkserver", not "fork": a process that has run pyrudof holds its thread pool
                # (rayon), and workers forked from it wait forever on threads they did not inherit
                with mp.get_context("forkserver").Pool(jobs, initializer=_init_worker,
                                                       initargs=(shapes, engine, str(cache.entries))) as pool:
                    for out in pool.imap(process_chunk, chunks):
                        _take(out, metas, by_key)
                        progress.add(len(out))
            else:
                prepare(shapes, engine, str(cache.entries),
                        ontology=None if "terms" in _WORKER else base_ontology(cache.root))
                for chunk in chunks:
                    out = process_chunk(chunk)
                    _take(out, metas, by_key)
                    progress.add(len(out))
        finally:
            progress.close()
    t2 = time.perf_counter()
    entries = _entries(files, metas)
    hpo_used = {i for m in entries.values() for i in m["hpo"]}
    onto_key, ontology = _ontology(cache, ctx, hpo_used)
    # the store only now, once the workers are done: they have both cores (a store filled while
    # they ran took as long, and its buffers added to the peak memory); emptied first when most of
    # its graphs are to be replaced
    store = cache.open_store(fresh=len(todo) > len(files) // 2)
    from calcikg.query import get_query

    coverage_key = _digest(ctx, onto_key, get_query("coverage").text)
    graphs, objects, coverage = _update_store(store, cache, entries, onto_key, ontology, watch,
                                              cache.coverage(coverage_key), cache.store_state())
    t3 = time.perf_counter()
    problems = [Problem(**p) for m in entries.values() for p in m["problems"]]
    if objects is None:
        across = checks.rows(store)
    else:
        across = checks.incremental_rows(store, previous, graphs, objects, entries)
    across = sorted({(tuple(row), _problem_key(p)): (row, p) for row, p in across}.values(),
                    key=lambda x: (x[0], _problem_key(x[1])))
    for p in [p for _row, p in across] + violation_query_problems(store):
        rid = report_of(_long(p.focus), entries)
        if rid:
            from calcikg.validate import attach_origins

            attach_origins([p], entries[rid]["origins"])
            p.record = p.record or entries[rid]["record"]
        problems.append(p)
    t4 = time.perf_counter()
    tables = cache.write_manifest(entries, {"ctx": ctx, "rows": [[row, asdict(p)] for row, p in across],
                                            "coverage": {"key": coverage_key, "rows": coverage},
                                            "state": _state_digest(_wanted(entries, onto_key)),
                                            "graphs": _wanted(entries, onto_key)})
    cache.collect_garbage({m["key"] for m in entries.values()} | {onto_key, across_key})
    return Corpus(store, entries, ontology, _unique(problems), str(cache.entries), len(todo),
                  {"look-up": t1 - t0, "build and validate records": t2 - t1, "store": t3 - t2,
                   "rules across reports": t4 - t3, "manifest": time.perf_counter() - t4}, tables, digests,
                  coverage)


def _entries(files: Sequence[Path], metas: dict) -> dict[str, dict]:
    """Report id -> entry, in file order; two records of one report, or ids that clash, are refused."""
    entries: dict[str, dict] = {}
    for f in files:
        meta = metas[Path(f)]
        rid = meta["report_id"]
        if rid in entries:
            from calcikg.errors import RecordError

            raise RecordError(meta["record"], None, "report.id",
                              f"report id {rid!r} is already used by {entries[rid]['record']}")
        entries[rid] = meta
    _refuse_clashing_ids(entries, (), "the records")
    return entries


def _take(out: list[dict], metas: dict, by_key: dict) -> None:
    for meta in out:
        if "error" in meta:
            if meta.get("record_error"):
                raise RecordError(*meta["record_error"])
            raise CalciKGError(meta["error"])
        metas[by_key[meta["key"]]] = meta


def _update_store(store, cache: Cache, entries: dict[str, dict], onto_key: str, ontology: list,
                  watch: int = 0, coverage: list | None = None,
                  state: tuple[str | None, dict | None] = (None, None)) -> tuple[set[str], set[str] | None, list]:
    """Make each named graph hold its entry: replaced when the state graph names another entry.

    The state triple of a graph is removed before the graph is changed and written after it, so a
    run stopped half-way leaves graphs the next run sees as stale, never as current. Returns the
    graphs changed (replaced, added, dropped); when they are at most ``watch`` report graphs, every
    object of their triples before and after (N-Triples terms), else None; and the coverage rows,
    the last run's (``coverage``) brought up to date when the changed graphs are watched, else
    counted again over the store. The last run's results are kept only when the store is as that run
    left it (``state``: its :func:`_state_digest` and state graph).

    The digest of the whole state graph is in the store too, removed before the first change and
    written after the last: while it is there and names the last run's state, that state is taken
    from the manifest instead of reading the 10,000 triples of the state graph (0.1-0.5 s)."""
    from calcikg.release import coverage_after, coverage_rows

    graphs, objects, current = _changes(store, entries, onto_key, watch, state)
    if _state_digest(current) != state[0]:  # a run stopped after changing the store: its results are not kept
        objects = coverage = None
    reports = sorted(graphs - {ONTOLOGY_GRAPH})
    before = coverage_rows(store, reports) if objects is not None and coverage is not None and reports else None
    if graphs:
        _mark_state(store, None)
    _replace_graphs(store, cache, entries, onto_key, ontology, current)
    _mark_state(store, _state_digest(_wanted(entries, onto_key)))
    if objects is not None:
        from pyoxigraph import NamedNode

        for graph in graphs:
            objects.update(str(q.object) for q in store.quads_for_pattern(None, None, None, NamedNode(graph)))
    if objects is None or coverage is None:
        coverage = coverage_rows(store)
    elif before is not None:
        coverage = coverage_after(coverage, before, coverage_rows(store, reports))
    return graphs, objects, coverage


def _state_digest(state: dict[str, str]) -> str:
    """A digest of the store's state graph (``{graph: entry key}``)."""
    return _digest(*(f"{g} {k}" for g, k in sorted(state.items())))


def _wanted(entries: dict[str, dict], onto_key: str) -> dict[str, str]:
    """The state graph once the store holds ``entries`` and the ontology ``onto_key``."""
    wanted = {CKD + rid: m["key"] for rid, m in entries.items()}
    wanted[ONTOLOGY_GRAPH] = onto_key
    return wanted


def _mark_state(store, digest: str | None) -> None:
    """Put ``digest`` as the store's state digest (None: none)."""
    from pyoxigraph import Literal, NamedNode, Quad

    state, digest_of = NamedNode(STATE_GRAPH), NamedNode(STATE_DIGEST)
    for q in list(store.quads_for_pattern(state, digest_of, None, state)):
        store.remove(q)
    if digest is not None:
        store.add(Quad(state, digest_of, Literal(digest), state))


def _changes(store, entries: dict[str, dict], onto_key: str, watch: int,
             last: tuple[str | None, dict | None] = (None, None)) -> tuple[set[str], set[str] | None, dict[str, str]]:
    """The graphs the update will change, the objects of their triples now (None: too many to watch),
    and the state graph now (``last``'s, the last run's digest and state graph, while the store carries
    that digest)."""
    from pyoxigraph import NamedNode

    marks = {q.object.value for q in store.quads_for_pattern(NamedNode(STATE_GRAPH), NamedNode(STATE_DIGEST), None,
                                                            NamedNode(STATE_GRAPH))}
    if last[1] is not None and marks == {last[0]}:
        current = dict(last[1])
    else:
        current = {q.subject.value: q.object.value
                   for q in store.quads_for_pattern(None, NamedNode(STATE_KEY), None, NamedNode(STATE_GRAPH))}
    wanted = _wanted(entries, onto_key)
    graphs = {g for g in set(current) | set(wanted) if current.get(g) != wanted.get(g)}
    if ONTOLOGY_GRAPH in graphs or len(graphs) > watch:
        return graphs, None, current
    return (graphs, {str(q.object) for g in graphs for q in store.quads_for_pattern(None, None, None, NamedNode(g))},
            current)


def _replace_graphs(store, cache: Cache, entries: dict[str, dict], onto_key: str, ontology: list,
                    current: dict[str, str]) -> None:
    """Bring the store from the state ``current`` (read by :func:`_changes`) to the entries'."""
    from pyoxigraph import Literal, NamedNode, Quad

    state_graph, state_key = NamedNode(STATE_GRAPH), NamedNode(STATE_KEY)
    wanted = _wanted(entries, onto_key)
    for graph in sorted(set(current) - set(wanted)):
        store.remove(Quad(NamedNode(graph), state_key, Literal(current[graph]), state_graph))
        store.remove_graph(NamedNode(graph))
    by_graph = {CKD + rid: m for rid, m in entries.items()}
    stale = [(graph, key, current.get(graph)) for graph, key in wanted.items() if current.get(graph) != key]
    _load_graphs(store, cache, stale, by_graph, ontology)


def _load_graphs(store, cache: Cache, stale: list[tuple[str, str, str | None]], by_graph: dict, ontology: list) -> None:
    """Replace each ``(graph, entry key, key the state names or None)`` by its entry's triples."""
    from pyoxigraph import Literal, NamedNode, Quad, RdfFormat

    from calcikg.rdfwrite import nt

    state_graph, state_key = NamedNode(STATE_GRAPH), NamedNode(STATE_KEY)
    for graph, _key, old in stale:
        g = NamedNode(graph)
        if old is not None:
            store.remove(Quad(g, state_key, Literal(old), state_graph))
        if store.contains_named_graph(g):
            store.remove_graph(g)
    # one bulk load per batch of reports (each bulk load into an on-disk store costs a RocksDB
    # ingest), the state triples of a batch only after its data
    batch: list[str] = []
    states: list[str] = []

    def load() -> None:
        if batch:
            data = "".join(batch).encode("utf-8")
            # a few graphs (an incremental build): one transaction, not a RocksDB ingest (0.2 s each)
            put = store.load if len(data) < 5_000_000 else store.bulk_load
            put(data, format=RdfFormat.N_QUADS)
            put("".join(states).encode("utf-8"), format=RdfFormat.N_QUADS)
            batch.clear()
            states.clear()

    size = 0
    for graph, key, _old in stale:
        suffix = f" <{graph}> .\n"
        if graph == ONTOLOGY_GRAPH:
            text = "".join(f"{nt(s)} {nt(p)} {nt(o)}{suffix}" for s, p, o in ontology)
        else:
            meta = by_graph[graph]
            # an N-Triples line ends in " .\n", and a literal holds no raw newline
            text = (cache.entries / f"{key}.nt").read_text(encoding="utf-8").replace(" .\n", suffix)
            text += "".join(f"{nt(s)} {nt(p)} {nt(_lit(o))}{suffix}" for s, p, o in meta["shared"])
        batch.append(text)
        states.append(f"<{graph}> <{STATE_KEY}> {nt(_lit([key, None, None]))} <{STATE_GRAPH}> .\n")
        size += len(text)
        if size > 50_000_000:
            load()
            size = 0
    load()
    store.flush()


def violation_query_problems(store, directory: Path | None = None) -> list[Problem]:
    """Rows of every ``*-violation.rq`` stored query, over the store (all graphs but the state)."""
    from calcikg.query import parse_query_file

    problems = []
    for path in sorted((directory or paths.QUERIES_DIR).glob("*-violation.rq")):
        q = parse_query_file(path)
        for row in _union_query(store, q.text):
            focus = row[0]
            problems.append(Problem(f"query {q.name}", _short_iri(focus.value), "", "", q.summary))
    return problems


def _union_query(store, text: str):
    """``text`` over every graph of ``store`` (the state graph's few triples name no data node)."""
    return store.query(text, use_default_graph_as_union=True)


class UnionView:
    """A store seen as one graph, for the stored queries: every named graph but the state, or only the
    report ``graphs`` and the ontology's."""

    def __init__(self, store, graphs: Iterable[str] | None = None):
        self.store = store
        self.graphs = None if graphs is None else [ONTOLOGY_GRAPH, *sorted(set(graphs) - {ONTOLOGY_GRAPH})]

    def query(self, text: str, **kwargs):
        if self.graphs is None:
            return _union_query(self.store, text)
        from pyoxigraph import NamedNode

        return self.store.query(text, default_graph=[NamedNode(g) for g in self.graphs])



def _long(curie: str) -> str:
    from calcikg.prefixes import expand

    return expand(curie) or curie


def _problem_key(p: Problem):
    return (p.record, p.focus, p.field, p.message, p.value, p.shape)


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    """Sorted, each once (a result found by two chunks or two passes)."""
    return sorted({_problem_key(p): p for p in problems}.values(), key=_problem_key)


# -- validate --------------------------------------------------------------------------------------
def _prefixes(shapes, node) -> str:
    from rdflib.namespace import SH as RSH

    return "".join(f"PREFIX {shapes.value(d, RSH.prefix)}: <{shapes.value(d, RSH.namespace)}>\n"
                   for pn in shapes.objects(node, RSH.prefixes) for d in shapes.objects(pn, RSH.declare))


def across_report_constraints(shapes) -> set:
    """The SPARQL-based constraints marked ``ckgsh:acrossReports true``."""
    from rdflib import Literal, URIRef

    return set(shapes.subjects(URIRef(CKGSH + "acrossReports"), Literal(True)))


class ContextValidator:
    """SHACL for one report (or a few) on its own triples plus the ontology slice.

    The rules marked across-reports are left out (:class:`AcrossReportChecks` runs them on the
    store): within a few reports they would only see part of the corpus. ``kept``: a file keeping
    these shapes as Turtle for pyrudof (read when there, else written), which spares a build of a
    few records rdflib's reading and writing of the shapes (0.2 s).
    """

    def __init__(self, shapes_file: Path | None = None, ontology=None, engine: str = "pyrudof",
                 kept: Path | None = None):
        from rdflib import URIRef

        if engine not in ENGINES:
            raise CalciKGError(f"unknown SHACL engine {engine!r}: use one of {', '.join(ENGINES)}")
        self.engine = engine
        self.shapes_file = Path(shapes_file or paths.SHAPES)
        ontology = ontology if ontology is not None else ontology_graph()
        keep = (URIRef(RDF_TYPE), URIRef(RDFS_SUBCLASS_OF))
        self.slice_nt = ntriples(t for t in ontology if t[1] in keep)
        self.kept = kept
        self._shapes = None
        self._rudof = None

    @property
    def shapes(self):
        """The shapes without the rules across reports (an rdflib graph), read on first use."""
        if self._shapes is None:
            from rdflib import Graph
            from rdflib.namespace import SH as RSH

            shapes = Graph().parse(self.shapes_file, format="turtle")
            for c in across_report_constraints(shapes):
                shapes.remove((None, RSH.sparql, c))
            self._shapes = shapes
        return self._shapes

    def _turtle(self) -> str:
        if self.kept is not None:
            try:
                return self.kept.read_text(encoding="utf-8")
            except OSError:
                pass
        text = self.shapes.serialize(format="turtle")
        if self.kept is not None:
            _replace(self.kept, text)
        return text

    def validate(self, report_nt: str) -> list[Problem]:
        """Problems on ``report_nt`` (one report's, or a few reports', triples)."""
        from rdflib import Graph

        from calcikg.validate import shacl_problems

        from calcikg.hpo import subclass_slice_nt

        data = report_nt + subclass_slice_nt(report_nt)  # HPO findings not imported yet
        if self.engine == "pyshacl":
            found = shacl_problems(Graph().parse(data=data + self.slice_nt, format="nt"), self.shapes)
        else:
            found = self._rudof_problems(data)
        return _unique(found)

    def _rudof_problems(self, data: str) -> list[Problem]:
        import pyrudof

        rudof = self._rudof
        if rudof is None:
            rudof = self._rudof = pyrudof.Rudof(pyrudof.RudofConfig())
            rudof.read_shacl(self._turtle(), format=pyrudof.ShaclFormat.Turtle)
            rudof.read_data(self.slice_nt, format=pyrudof.RDFFormat.NTriples, merge=True)
        # the slice stays loaded and each report is staged over it, then rolled back: reading into
        # an empty graph costs pyrudof some 55 ms a call, merging a report into the slice about 1 ms
        rudof.begin_staging()
        try:
            rudof.read_data(data, format=pyrudof.RDFFormat.NTriples, merge=True)
            report = rudof.validate_shacl()
        finally:
            rudof.rollback_staging()
        if report.conforms:
            return []
        out = []
        for v in report.violations:
            message = str(v.message or "constraint violated")
            if len(message) > 1 and message[0] == message[-1] == '"':
                message = message[1:-1]
            value = str(v.value or "")
            out.append(Problem("shacl", _short_iri(v.focus_node), "", _short_iri(v.path or ""), message,
                               "" if value == v.focus_node else _short_iri(value), _short_iri(v.source_shape or "")))
        return out


def _short_iri(text: str) -> str:
    from rdflib import URIRef

    return _short(URIRef(text)) if text.startswith(("http://", "https://")) else text


@dataclass(frozen=True)
class _StoreCheck:
    shape: str
    constraint: str
    message: str
    query: str  # with a {FOCUS} slot for a VALUES block
    target: str  # the shape's targets as a pattern binding ?this
    other: str  # a pattern every result matches, binding ?value from ?other ("": none found)


def _other_pattern(select: str) -> str:
    """What every result of ``select`` says of ``?other``, the node ``$this`` is compared with: its
    top-level triples from ``?other`` to ``?value``, then those to a constant (as a FILTER EXISTS,
    cheap once ``?other`` is bound); "" when no such triple binds ``?value`` (nor a union, an optional
    part or a sub-query can hide one: only the top-level group is read)."""
    from rdflib import Literal, URIRef, Variable
    from rdflib.paths import Path as RPath
    from rdflib.plugins.sparql import prepareQuery

    todo, triples = [prepareQuery(select).algebra], []
    while todo:
        node = todo.pop()
        name = getattr(node, "name", "")
        if name == "BGP":
            triples += node.triples
        elif name in ("SelectQuery", "Distinct", "Reduced", "Project", "Filter", "ToMultiSet", "Slice"):
            todo.append(node.p)
        elif name == "Join":
            todo += [node.p1, node.p2]
    other, value = Variable("other"), Variable("value")
    links = [p for s, p, o in triples if s == other and o == value and isinstance(p, (URIRef, RPath))]
    fixed = [(p, o) for s, p, o in triples
             if s == other and isinstance(o, (URIRef, Literal)) and isinstance(p, (URIRef, RPath))]
    if not links:
        return ""
    text = " ".join(f"?other {p.n3()} ?value ." for p in links)
    return text + (" FILTER EXISTS { " + " ".join(f"?other {p.n3()} {o.n3()} ." for p, o in fixed) + " }"
                   if fixed else "")


class AcrossReportChecks:
    """The across-reports rules as queries on a store: the constraint's own SELECT, with ``$this``
    joined to the shape's targets instead of pre-bound one node at a time (the same rows)."""

    def __init__(self, shapes_file: Path | None = None, kept: Path | None = None):
        """The rules of ``shapes_file``; ``kept``: a file keeping them (read when there, else written),
        which spares a build of a few records reading the shapes and their SPARQL (0.3 s)."""
        import json

        try:
            self.checks = [_StoreCheck(*c) for c in json.loads(kept.read_text(encoding="utf-8"))] if kept else None
        except (OSError, ValueError, TypeError):
            self.checks = None
        if self.checks is None:
            self.checks = self._read(Path(shapes_file or paths.SHAPES))
            if kept:
                _replace(kept, json.dumps([list(astuple(c)) for c in self.checks]))

    @classmethod
    def _read(cls, shapes_file: Path) -> list[_StoreCheck]:
        from rdflib import Graph
        from rdflib.namespace import SH as RSH

        shapes = Graph().parse(shapes_file, format="turtle")
        checks = []
        for c in sorted(across_report_constraints(shapes)):
            for shape in sorted(shapes.subjects(RSH.sparql, c)):
                select = re.sub(r"\$this\b", "?this", str(shapes.value(c, RSH.select)))
                m = re.search(r"\bWHERE\s*\{", select, flags=re.IGNORECASE)
                target = cls._target(shapes, shape)
                query = _prefixes(shapes, c) + select[:m.end()] + "\n{FOCUS}\n" + target + "\n" + select[m.end():]
                checks.append(_StoreCheck(str(shape), str(c), str(shapes.value(c, RSH.message) or ""), query,
                                          target, _other_pattern(_prefixes(shapes, c) + select)))
        return checks

    @staticmethod
    def _target(shapes, shape) -> str:
        from rdflib.namespace import SH as RSH

        parts = [f"{{ ?this <{RDF_TYPE}>/<{RDFS_SUBCLASS_OF}>* <{c}> }}" for c in shapes.objects(shape, RSH.targetClass)]
        parts += [f"{{ ?this <{p}> [] }}" for p in shapes.objects(shape, RSH.targetSubjectsOf)]
        parts += [f"{{ [] <{p}> ?this }}" for p in shapes.objects(shape, RSH.targetObjectsOf)]
        parts += [f"{{ VALUES ?this {{ <{n}> }} }}" for n in shapes.objects(shape, RSH.targetNode)]
        if not parts or shapes.value(shape, RSH.target) is not None:
            raise CalciKGError(f"{shape}: an across-reports rule needs a class, subjects-of, objects-of or node target")
        # a plain pattern, not a sub-SELECT DISTINCT: Oxigraph 0.5 then joins it with the rule's own
        # patterns (0.01 s instead of 0.5 s at 300 reports); a node reached twice gives the same
        # result twice, and results are kept once each
        return " UNION ".join(parts)

    def problems(self, store, focus: Iterable[str] | None = None) -> list[Problem]:
        """Every across-reports rule over the store; only for the ``focus`` nodes when given."""
        return [p for _row, p in self.rows(store, focus)]

    def rows(self, store, focus: Iterable[str] | None = None) -> list[tuple[list[str], Problem]]:
        """Each result as ``[node IRI, value (N-Triples)]`` and its problem: for every node, or for the
        ``focus`` nodes only."""
        block = "" if focus is None else _values("this", {f"<{n}>" for n in focus})
        return [r for check in self.checks for r in self._rows(store, check, block)]

    def _rows(self, store, check: _StoreCheck, block: str | None) -> list[tuple[list[str], Problem]]:
        """One rule's rows, with ``block`` in its {FOCUS} slot: "" for every node, a VALUES block, or
        None for a VALUES block of nothing (no rows)."""
        if block is None:
            return []
        out = []
        for row in _union_query(store, check.query.replace("{FOCUS}", block)):
            value = row["value"]
            out.append(([row["this"].value, "" if value is None else str(value)], self._problem(check, row)))
        return out

    def incremental_rows(self, store, previous: list, graphs: set[str], objects: set[str], report_ids) -> list:
        """The rows of :meth:`rows` over the whole store, from the ``previous`` run's rows after the report
        ``graphs`` changed (``objects``: every object of their triples, before and after).

        Every rule marked across-reports finds a node whose ``?value`` (an object of its own triples)
        is also an object of another node's triples: a result can only change for a node of a changed
        report, or for a value one of them held before or holds now. The last run's results of those
        nodes and values are dropped, and found again: for the changed nodes the rule checks, for the
        nodes of the dropped results, and for the values a changed node holds now as the rule's
        ``?other`` (a label such as "1 mg", held by thousands of doses but by no node a label rule
        compares, is not queried: each value costs a join of every pair of nodes holding it)."""
        changed = {g[len(CKD):] for g in graphs if g.startswith(CKD)}
        ids = set(report_ids) | changed  # a dropped report's nodes are its own too
        kept, redo = [], set()
        for row, p in previous:
            if row[1] not in objects and report_of(row[0], ids) not in changed:
                kept.append((row, Problem(**p)))
            else:
                redo.add(f"<{row[0]}>")
        nodes = {f"<{q.subject.value}>" for g in graphs for q in store.quads_for_pattern(None, None, None, _named(g))}
        out = kept
        for check in self.checks:
            targets, held = set(), objects if not check.other else set()
            if nodes:
                targets = {f"<{r['this'].value}>" for r in _union_query(
                    store, f"SELECT ?this WHERE {{ {_values('this', nodes)} FILTER EXISTS {{ {check.target} }} }}")}
            if nodes and check.other:
                held = {str(r["value"]) for r in _union_query(
                    store, f"SELECT DISTINCT ?value WHERE {{ {_values('other', nodes)} {check.other} }}")}
            out += self._rows(store, check, _values("this", targets | redo))
            out += self._rows(store, check, _values("value", held))
        return out

    @staticmethod
    def _problem(check: _StoreCheck, row) -> Problem:
        from pyoxigraph import NamedNode

        value = row["value"]  # every across-reports rule selects the clashing ?value
        shown = "" if value is None else _short_iri(value.value) if isinstance(value, NamedNode) else value.value
        message = check.message.replace("{?value}", shown).replace("{$value}", shown)
        return Problem("shacl", _short_iri(row["this"].value), "", "", message, shown, _short_iri(check.shape))


def _values(var: str, terms: Iterable[str]) -> str | None:
    """A VALUES block binding ``?var`` to each of ``terms`` (N-Triples), sorted; None when there are none."""
    terms = sorted(set(terms))
    return "VALUES ?" + var + " { " + " ".join(terms) + " }" if terms else None


def validate_added(store, record_file: Path, *, engine: str = "pyshacl", validator: ContextValidator | None = None,
                   checks: AcrossReportChecks | None = None,
                   built: BuiltReport | None = None) -> tuple[BuiltReport, list[Problem]]:
    """A new record against the corpus in ``store``, without validating the corpus again.

    The record is built, its triples are validated on their own, added to ``store``, and the
    across-reports rules run for its nodes only (a clash is reported on the new report's side).
    Each problem carries the record file and line. A report already in the store is refused:
    take it out first (:func:`remove_report`) to check a changed record. ``built``: the record
    already built (:func:`build_report`), not built again.
    """
    from pyoxigraph import RdfFormat

    from calcikg.validate import attach_origins

    built = built or build_report(record_file)
    if any(True for _ in store.quads_for_pattern(_named(CKD + built.report_id), None, None)):
        raise CalciKGError(f"{built.record}: report {built.report_id} is already in the store; remove it first"
                           " to check a changed record")
    _refuse_clashing_ids([built.report_id], report_ids(store), built.record)
    validator = validator or ContextValidator(engine=engine)
    checks = checks or AcrossReportChecks(validator.shapes_file)
    problems = validator.validate(built.nt)
    store.load(built.nt.encode(), format=RdfFormat.N_TRIPLES)
    problems += checks.problems(store, _subjects(built.nt))
    for p in problems:
        p.record = built.record
    attach_origins(problems, {k: v for k, v in built.origins.items()})
    return built, _unique(problems)


def check_record(record_file: Path, graph_file: Path | None = None, *, engine: str = "pyshacl",
                 reports_dirs: list[Path] | None = None):
    """``calcikg validate --record``: one record (new or changed) against the built graph.

    The built graph is loaded into a throwaway Oxigraph store; a report already in it (a changed
    record) is taken out first. Returns the validation :class:`calcikg.validate.Report`.
    """
    from pyoxigraph import RdfFormat, Store

    from calcikg.errors import NotBuiltError
    from calcikg.validate import Report

    graph_file = graph_file or paths.GRAPH_TTL
    if not graph_file.exists():
        raise NotBuiltError(f"{graph_file} does not exist: run 'calcikg build' first")
    store = Store()
    store.bulk_load(path=str(graph_file), format=RdfFormat.TURTLE)
    built = build_report(record_file)
    removed = remove_report(store, built.report_id)
    _, problems = validate_added(store, record_file, engine=engine, built=built)
    checks = [f"SHACL shapes on {Path(record_file).name} ({engine})",
              f"rules across reports against {graph_file.name}"
              + (f" (its previous version, {removed:,} triples, left out)" if removed else ""),
              "no patient names in the record file"]
    problems += _record_text_problems(Path(record_file), built)
    missing, checked = source_text_problems(_record_source_file(Path(record_file), built), reports_dirs)
    checks.append(checked)
    return Report(problems=problems + missing, checks=checks)


def _record_text_problems(record_file: Path, built: BuiltReport) -> list[Problem]:
    """Patient names anywhere in the record file, comments included, each with its line."""
    lines = record_file.read_text(encoding="utf-8").splitlines()
    texts = ((f"ckd:{built.report_id}", "", f"line {n}", line) for n, line in enumerate(lines, 1))
    problems = privacy_problems(texts, where=built.record)
    for p in problems:
        p.line = int(p.field.removeprefix("line "))
        p.field = ""
    return problems


def _record_source_file(record_file: Path, built: BuiltReport) -> list[tuple[str, str, str]]:
    """The report's source file, read from its built triples."""
    found = re.search(rf'^<{re.escape(CKD + built.report_id)}> <https://w3id.org/calcikg/sourceFile> "([^"]*)"',
                      built.nt, re.M)
    return [(f"ckd:{built.report_id}", "", found.group(1))] if found else []


def report_ids(store) -> set[str]:
    """Ids of the curated reports in ``store``."""
    rows = _union_query(store, f"SELECT ?r WHERE {{ ?r <{RDF_TYPE}> <https://w3id.org/calcikg/CuratedReport> }}")
    return {r["r"].value[len(CKD):] for r in rows if r["r"].value.startswith(CKD)}


def remove_report(store, report_id: str) -> int:
    """Take a report's own triples (subjects ``ckd:<id>`` and ``ckd:<id>-...`` that belong to no
    report with a longer id) out of ``store``; how many."""
    own = CKD + report_id
    ids = report_ids(store) | {report_id}
    rows = _union_query(store, f"""SELECT DISTINCT ?s WHERE {{ ?s ?p ?o .
        FILTER(STR(?s) = "{own}" || STRSTARTS(STR(?s), "{own}-")) }}""")
    subjects = [r["s"] for r in rows if report_of(r["s"].value, ids) == report_id]
    quads = [q for s in subjects for q in store.quads_for_pattern(s, None, None)]  # listed before removing
    for q in quads:
        store.remove(q)
    return len(quads)


def _named(iri: str):
    from pyoxigraph import NamedNode

    return NamedNode(iri)


_SUBJECT = re.compile(r"^<([^>]*)>", re.M)


def _subjects(nt: str) -> set[str]:
    return set(_SUBJECT.findall(nt))


