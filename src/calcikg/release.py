"""Stage 3: write the released files from the one graph, deterministically and atomically.

Every release is the same RDF graph (kg/calcikg.ttl, kg/calcikg.owl, kg/calcikg.nt; the data part
alone in kg/calcikg-data.ttl; the ontology alone in ontology/calcikg.owl), literals in canonical
form, laid out as rdflib lays them out (:mod:`calcikg.rdfwrite`). Each file is put together from
the pieces the build cached for each report (:mod:`calcikg.corpus`) and the ontology's pieces,
in one global order: the same sources give byte-identical files.

Atomic: every file is first written next to its target and renamed only when all of them were
written, so a failed build leaves the previous release in place (and no temporary file behind).

:func:`stale_sources` tells ``calcikg query`` and ``calcikg serve`` when the built graph is older
than its sources.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from calcikg import paths

# the strings of calcikg.namespaces, without importing rdflib (the query path imports this module)
DATA_GRAPH_IRI = "https://w3id.org/calcikg/data/calcikg-kg"
ONTOLOGY_IRI = "https://w3id.org/calcikg/calcikg.owl"

def catalog(ontology_release: Path, catalog_path: Path) -> bytes:
    """An OASIS XML catalog (what Protégé reads) resolving the ontology IRI to the local release."""
    rel = os.path.relpath(ontology_release, catalog_path.parent).replace(os.sep, "/")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<catalog prefer="public" xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">\n'
        f'    <uri id="CalciKG ontology" name="{ONTOLOGY_IRI}" uri="{rel}"/>\n'
        "</catalog>\n"
    ).encode()


def write_all(files: dict[Path, bytes | Callable[[str], None]], trash: Path | None = None) -> None:
    """Write every file to a temporary sibling, then rename them all into place.

    A value is the content, or a function writing the content to the path it is given. ``trash``: a
    folder on the same file system where the replaced files are linked before the renames and then
    deleted by a detached process, so that the build does not wait while the file system frees their
    blocks (0.8 s for the 1.1 GB of releases of 10,000 reports on this disk, mounted with discard)."""
    temps: list[tuple[Path, Path]] = []
    try:
        for target, content in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            temps.append((tmp, target))  # before writing: a write failing half-way is removed too
            if callable(content):
                content(str(tmp))
            else:
                tmp.write_bytes(content)
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise
    if trash is not None:
        _keep_replaced([target for _, target in temps], trash)
    try:
        for tmp, target in temps:
            os.replace(tmp, target)
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
    if trash is not None:
        _delete_detached(trash)


def _keep_replaced(targets: list[Path], trash: Path) -> None:
    try:
        trash.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    for i, target in enumerate(targets):
        try:
            os.link(target, trash / f"{os.getpid()}-{i}-{target.name}")
        except OSError:  # absent, or another file system: the rename frees it
            pass


def _delete_detached(trash: Path) -> None:
    """Delete what ``trash`` holds (leftovers of earlier runs too) in a process the build does not wait for."""
    import subprocess

    try:
        found = [str(trash / name) for name in os.listdir(trash)]
    except OSError:
        return
    if not found:
        return
    try:  # sh starts rm in the background and exits: rm is nobody's child to wait for
        subprocess.run(["sh", "-c", 'rm -f -- "$@" &', "sh", *found], check=False, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:  # no sh here: delete them now
        for name in found:
            Path(name).unlink(missing_ok=True)


COVERAGE_START = "<!-- coverage: written by `calcikg build` from queries/coverage.rq; do not edit by hand -->"
COVERAGE_END = "<!-- /coverage -->"


def coverage_rows(store, graphs: list[str] | None = None) -> list[list]:
    """The stored query ``coverage`` on ``store`` (an Oxigraph store of the build), over every graph,
    or over the report ``graphs`` with the ontology: ``[kind, item, class IRI, cases, reports]`` rows."""
    from calcikg.corpus import UnionView
    from calcikg.query import get_query, run_oxigraph

    result = run_oxigraph(get_query("coverage"), {}, UnionView(store, graphs))
    return [[r["kind"], r["item"], (c["class"] or ("", ""))[1], int(r["cases"] or 0), int(r["reports"] or 0)]
            for r, c in zip(result.rows, result.cells)]


def coverage_after(total: list[list], before: list[list], after: list[list]) -> list[list]:
    """``total`` once some reports' rows went from ``before`` to ``after``. Every figure is a count of
    distinct cases or reports, and a case belongs to one report: the counts of disjoint sets of
    reports add up, so a build of one changed record need not count 10,000 reports again."""
    counts: dict[tuple, list[int]] = {}
    for rows, sign in ((total, 1), (before, -1), (after, 1)):
        for kind, item, cls, cases, reports in rows:
            n = counts.setdefault((kind, item, cls), [0, 0])
            n[0] += sign * cases
            n[1] += sign * reports
    return [[*k, cases, reports] for k, (cases, reports) in counts.items() if reports > 0]


def coverage_block(rows: list[list]) -> str:
    """What the graph covers, in Markdown, from the :func:`coverage_rows` (in any order: they are put
    in the query's own order, kind, most cases first, item, reports, class)."""
    rows = sorted(rows, key=lambda r: (r[0], -r[3], r[1], r[4], r[2]))
    by_kind: dict[str, list[list]] = {}
    for r in rows:
        by_kind.setdefault(r[0], []).append(r)
    graph = {r[1]: r for r in by_kind.get("graph", [])}

    def items(kind: str) -> str:
        found = by_kind.get(kind, [])
        return "; ".join(f"{r[1]} {r[3]} / {r[4]}" for r in found) or "none"

    reports = graph["curated reports"][4] if "curated reports" in graph else 0
    cases = graph["patient cases"][3] if "patient cases" in graph else 0
    ages = ", ".join(f"{r[3]} {r[1]}" for r in by_kind.get("age group", []))
    return "\n".join([
        COVERAGE_START,
        f"**What the graph holds** (this build; cases / reports for each item): {reports} curated reports, "
        f"{cases} patient cases ({ages or 'none'}).",
        "",
        f"- **Calcinosis types** of the cases: {items('calcinosis type')}.",
        f"- **Underlying diseases** the reports give: {items('underlying disease')}.",
        f"- **Treatments given** to the patients: {items('treatment given')}.",
        COVERAGE_END,
    ])


def with_coverage(readme: str, block: str) -> str:
    """``readme`` with its coverage block replaced by ``block`` (unchanged when it has no block)."""
    start, end = readme.find(COVERAGE_START), readme.find(COVERAGE_END)
    if start == -1 or end == -1:
        return readme
    return readme[:start] + block + readme[end + len(COVERAGE_END):]


HEADER = [  # the data graph's own ontology header (kg/calcikg-data.ttl only)
    (DATA_GRAPH_IRI, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2002/07/owl#Ontology"),
    (DATA_GRAPH_IRI, "http://www.w3.org/2002/07/owl#imports", ONTOLOGY_IRI),
    (DATA_GRAPH_IRI, "http://purl.org/dc/terms/license", "https://creativecommons.org/licenses/by/4.0/"),
]
HEADER_TITLE = "CalciKG populated graph: calcinosis cutis case reports"


def release_writers(corpus, previous: dict | None = None,
                    layouts: dict | None = None) -> dict[Path, bytes | Callable[[str], None]]:
    """Every released file: its content, or a function writing it (see :func:`write_all`).

    The graph is the corpus's ontology triples (edit file, templates, mappings, imported HPO terms)
    plus every report's triples; each report's subjects come from its cache entry, rendered once.
    ``previous``: ``{target: (file, layout)}``, the files they replace, read where they hold the same
    pieces (:func:`calcikg.rdfwrite.assemble`); ``layouts`` receives the new files' layouts.
    """
    from calcikg import rdfwrite as W

    names = W.Names()
    entries = sorted(corpus.entries.values(), key=lambda m: m["report_id"])
    folder = Path(corpus.cache_entries)
    onto = set(corpus.ontology)
    shared = corpus.shared
    report_refs = corpus.refs
    header = HEADER + [(DATA_GRAPH_IRI, "http://purl.org/dc/terms/title", W.Lit(HEADER_TITLE))]
    full_terms, data_terms = onto | shared, shared | set(header)
    full_refs = Counter(o for _s, _p, o in full_terms if isinstance(o, str)) + report_refs
    data_refs = Counter(o for _s, _p, o in data_terms if isinstance(o, str)) + report_refs
    full = W.render(full_terms, full_refs.__getitem__, names)
    data = W.render(data_terms, data_refs.__getitem__, names, formats=("ttl",))
    ontology = W.render(onto, lambda s: 0, names, formats=("xml",))

    def runs(fmt: str, memory: list[list[W.Piece]]) -> list[list[W.Piece]]:
        """Each report's text as whole runs (its file, or one range per reference count in Turtle), read
        from the manifest; every piece of every report when runs would interleave (report ids that sort
        into one another), which only the entries' own indexes can order."""
        base = f"{folder}{os.sep}"  # not pathlib: a Path per run cost 1 s at 10,000 reports
        whole = [(tuple(first), tuple(last), W.Piece(tuple(first), f"{base}{m['key']}.{fmt}", off, n))
                 for m in entries for first, last, off, n in m["runs"][fmt]]
        bounds = sorted([(first, last) for first, last, _p in whole] + [(r[0].key, r[-1].key) for r in memory])
        if all(a[1] < b[0] for a, b in itertools.pairwise(bounds)):
            return [[p] for _f, _l, p in whole] + memory
        out = []
        for m in entries:
            src = str(folder / f"{m['key']}.{fmt}")
            pieces = [W.Piece(tuple(k), src, off, n) for k, off, n in m[fmt]]
            if fmt == "ttl":  # one run per reference count: the Turtle order is (count, subject)
                groups: dict[int, list] = {}
                for piece in pieces:
                    groups.setdefault(piece.key[0], []).append(piece)
                out += groups.values()
            else:
                out.append(pieces)
        return out + memory

    report_prefixes = {p for m in entries for p in m["prefixes"]}
    report_xml_prefixes = {p for m in entries for p in m["xml_prefixes"]}

    previous = previous or {}
    layouts = {} if layouts is None else layouts

    def assembled(release: Path, head: bytes, fmt: str, memory: list, tail: bytes) -> Callable[[str], None]:
        def write(target: str) -> None:
            layouts[release] = W.assemble(target, head, runs(fmt, memory), tail, previous.get(release))
        return write

    files: dict[Path, bytes | Callable[[str], None]] = {
        paths.ONTOLOGY_RELEASE: (W.xml_header(ontology.xml_prefixes, names) + "".join(t for _k, t in ontology.xml)
                                 + W.XML_FOOTER).encode("utf-8"),
        paths.DATA_TTL: assembled(paths.DATA_TTL, W.ttl_header(report_prefixes | data.prefixes).encode(), "ttl",
                                  W.pieces_in_memory(data.ttl, 2), b"\n"),
        paths.GRAPH_TTL: assembled(paths.GRAPH_TTL, W.ttl_header(report_prefixes | full.prefixes).encode(), "ttl",
                                   W.pieces_in_memory(full.ttl, 2), b"\n"),
        paths.GRAPH_OWL: assembled(paths.GRAPH_OWL, W.xml_header(report_xml_prefixes | full.xml_prefixes, names).encode(),
                                   "xml", W.pieces_in_memory(full.xml), W.XML_FOOTER.encode()),
        paths.GRAPH_NT: assembled(paths.GRAPH_NT, b"", "nt", W.pieces_in_memory(full.nt), b""),
        paths.CATALOG: catalog(paths.ONTOLOGY_RELEASE, paths.CATALOG),
    }
    if paths.README.exists():  # the README's coverage block, computed from the graph
        readme = paths.README.read_text(encoding="utf-8")
        files[paths.README] = with_coverage(readme, coverage_block(corpus.coverage)).encode("utf-8")
    return files


def release_files(corpus) -> dict[Path, bytes]:
    """Every released file's path and content, in memory (for tests and small graphs)."""
    import tempfile

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for target, content in release_writers(corpus).items():
            if callable(content):
                path = Path(tmp) / target.name
                content(str(path))
                content = path.read_bytes()
            out[target] = content
    return out


def write_releases(corpus, previous: dict | None = None) -> dict[Path, int]:
    """Write every release (atomically: all or none); each file's size. The sources' content hashes are
    kept in the build cache, for the staleness warning of ``query`` and ``serve``; so is the layout of
    each assembled file, with which the next build copies the unchanged reports' text from it
    (``previous``: those layouts, as :func:`read_ahead` gives them; read here when not given)."""
    layouts: dict[Path, dict] = {}
    files = release_writers(corpus, _previous_layouts() if previous is None else previous, layouts)
    write_all(files, trash=paths.CACHE_DIR / "trash")
    _keep_layouts(layouts)
    record_sources(getattr(corpus, "digests", None))
    return {p: p.stat().st_size for p in files}


#: What the built graph is made from: a file newer than kg/calcikg.ttl means it is stale.
def _layout_file() -> Path:
    return paths.CACHE_DIR / "release-layout.marshal"


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _previous_layouts() -> dict[Path, tuple[str, dict]]:
    """``{release: (its path, its layout)}`` for each release file unchanged since the last build wrote it."""
    import marshal

    from calcikg.corpus import without_gc

    try:
        with without_gc():
            kept = marshal.loads(_layout_file().read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    out = {}
    for target, (stamp, layout) in kept.items() if isinstance(kept, dict) else ():
        try:
            if _stamp(Path(target)) == stamp:
                out[Path(target)] = (target, layout)
        except OSError:
            pass
    return out


def read_ahead() -> Callable[[], dict]:
    """Start reading, in the background, the layouts of the releases the next :func:`write_releases`
    replaces, then those files themselves back into memory: the unchanged reports' text is copied
    from them (1.1 GB at 10,000 reports), and a machine short of memory may have let their pages go
    (a build of one changed record then took 5-7 s instead of 3-4 s). Gives a function that waits
    for the layouts (not for the files) and returns them."""
    import threading

    ready, found = threading.Event(), {}

    def run() -> None:
        try:
            found.update(_previous_layouts())
        finally:
            ready.set()
        for target in list(found):
            try:
                fd = os.open(target, os.O_RDONLY)
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
                finally:
                    os.close(fd)
            except (OSError, AttributeError):  # a hint only
                pass

    threading.Thread(target=run, name="calcikg-read-ahead", daemon=True).start()

    def layouts() -> dict:
        ready.wait()
        return found

    return layouts


def _keep_layouts(layouts: dict[Path, dict]) -> None:
    import marshal

    try:
        data = marshal.dumps({str(t): (_stamp(t), layout) for t, layout in layouts.items()})
        target = _layout_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except (OSError, ValueError):  # best effort: the next build copies from the cache entries
        _layout_file().unlink(missing_ok=True)


def _source_files() -> list[Path]:
    """What the built graph is made from: the records, the ontology, its templates and the mappings."""
    found = [paths.ONTOLOGY_EDIT, paths.MAPPINGS]
    for folder, pattern in ((paths.RECORDS_DIR, "*.yaml"), (paths.TEMPLATES_DIR, "*.tsv")):
        try:
            found += sorted(folder.glob(pattern), key=str)  # not Path's own order: 0.2 s at 10,000 records
        except OSError:
            pass
    return [p for p in found if p.is_file()]


def _fingerprint(known: dict[str, str] | None = None) -> dict[str, str]:
    """Each source's content hash (``known``: those the build computed as it read the records; the
    others through the build's stat cache, read only)."""
    from calcikg.digests import file_digests

    known = known or {}
    files = _source_files()
    found = file_digests([p for p in files if str(p) not in known], paths.CACHE_DIR / "digests.json", update=False)
    return {str(p): known.get(str(p)) or found[str(p)] for p in files}


def _fingerprint_file() -> Path:
    return paths.CACHE_DIR / "built-sources.json"


def record_sources(known: dict[str, str] | None = None) -> None:
    """Keep (in the build cache) the content hash of every source the releases were just built from."""
    import json

    target = _fingerprint_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(_fingerprint(known), sort_keys=True), encoding="utf-8")
    os.replace(tmp, target)


def stale_sources(graph_file: Path | None = None) -> list[Path]:
    """Sources (records, ontology, templates, mappings) whose content changed, appeared or went away
    since the last ``calcikg build`` here, in path order; empty when the graph is current, or when no
    build was made here (a fresh checkout: its committed releases are checked by the tests). Content,
    not file times: a checkout writes files in any order."""
    import json

    graph_file = graph_file or paths.GRAPH_TTL
    try:
        built = json.loads(_fingerprint_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not graph_file.exists():
        return []
    now = _fingerprint()
    changed = {k for k in now if built.get(k) != now[k]} | {k for k in built if k not in now}
    return [Path(k) for k in sorted(changed)]


def staleness_warning(graph_file: Path | None = None) -> str | None:
    """One line for stderr when the built graph is older than its sources, else None."""
    stale = stale_sources(graph_file)
    if not stale:
        return None
    graph_file = graph_file or paths.GRAPH_TTL

    def rel(p: Path) -> str:
        try:
            return str(p.relative_to(paths.ROOT))
        except ValueError:
            return str(p)

    more = f" (and {len(stale) - 1} more)" if len(stale) > 1 else ""
    return (f"calcikg: warning: {rel(graph_file)} is older than {rel(stale[0])}{more}: "
            "run 'calcikg build' to bring the graph up to date")
