"""Stage 6: hand the graph and the mappings to other tools (``calcikg export``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from calcikg import paths
from calcikg.errors import CalciKGError, NotBuiltError


def _built(path: Path) -> Path:
    """``path``, checked to exist and to parse whole (a truncated release is refused, not exported)."""
    if not path.exists():
        raise NotBuiltError(f"{path} does not exist: run 'calcikg build' first")
    from pyoxigraph import RdfFormat, parse

    try:
        for _ in parse(path=str(path), format=RdfFormat.RDF_XML if path.suffix == ".owl" else RdfFormat.TURTLE):
            pass
    except (SyntaxError, ValueError) as exc:
        from calcikg.query import unreadable

        raise CalciKGError(unreadable(path, exc)) from None
    return path


def write_output(target: Path, make: Callable[[], bytes]) -> None:
    """Write ``make()`` to ``target`` through a temporary sibling renamed into place; nothing is left
    behind when it fails, and a folder is refused before anything is computed."""
    import os
    import tempfile

    if target.is_dir():
        raise CalciKGError(f"-o {target} is a folder: name a file, e.g. {target / 'calcikg.nt'}")
    if not target.parent.is_dir():
        raise CalciKGError(f"-o {target}: the folder {target.parent} does not exist")
    content = make()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, target)
    except OSError as exc:
        raise CalciKGError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export_sssom() -> bytes:
    """The SSSOM mapping set (TSV with its YAML header), checked by sssom-py first."""
    from calcikg.mappings import load_mapping_set

    if not paths.MAPPINGS.exists():
        raise CalciKGError(f"{paths.MAPPINGS} does not exist")
    load_mapping_set()
    return paths.MAPPINGS.read_bytes()


def export_ntriples() -> bytes:
    """The built graph as sorted N-Triples (one triple a line: easy to diff, grep and load)."""
    from rdflib import Graph

    graph = Graph()
    graph.parse(_built(paths.GRAPH_TTL), format="turtle")
    lines = graph.serialize(format="nt", encoding="utf-8").decode().splitlines()
    return ("\n".join(sorted(line for line in lines if line.strip())) + "\n").encode()


def export_turtle() -> bytes:
    """The built graph (ontology + mappings + instances) as Turtle."""
    return _built(paths.GRAPH_TTL).read_bytes()


def export_rdfxml() -> bytes:
    """The built graph as RDF/XML (what Protégé opens)."""
    return _built(paths.GRAPH_OWL).read_bytes()


def export_jsonld() -> bytes:
    """The built graph as JSON-LD with CalciKG's published context (``kg/context.jsonld``)."""
    from calcikg.exchange.jsonld import export

    return export()


def export_phenopackets() -> dict[str, bytes]:
    """One GA4GH phenopacket (v2 JSON) per case and one cohort per report: a folder."""
    from calcikg.exchange.phenopackets import export

    return export()


def export_kgx() -> dict[str, bytes]:
    """KGX ``nodes.tsv`` and ``edges.tsv`` with Biolink categories and predicates: a folder."""
    from calcikg.exchange.kgx import export

    return export()


EXPORTERS: dict[str, Callable[[], bytes] | Callable[[], dict[str, bytes]]] = {
    "sssom": export_sssom,
    "ntriples": export_ntriples,
    "turtle": export_turtle,
    "rdfxml": export_rdfxml,
    "jsonld": export_jsonld,
    "phenopackets": export_phenopackets,
    "kgx": export_kgx,
}
#: Formats that write several files: ``-o`` names a folder.
FOLDER_FORMATS = {"phenopackets", "kgx"}


def write_folder(target: Path, make: Callable[[], dict[str, bytes]], fmt: str) -> None:
    """Write the files of ``make()`` into the folder ``target`` (made if missing, its parent must exist).
    Everything is computed first and each file is written atomically, so a failure leaves the
    folder as it was; files of an earlier export that are no longer made are removed."""
    if target.exists() and not target.is_dir():
        raise CalciKGError(f"-o {target} is a file: --format {fmt} writes a folder of files, name a folder")
    if not target.parent.is_dir():
        raise CalciKGError(f"-o {target}: the folder {target.parent} does not exist")
    files = make()
    target.mkdir(exist_ok=True)
    manifest = target / ".calcikg-export"
    old = set(manifest.read_text(encoding="utf-8").split()) if manifest.is_file() else set()
    for name, content in sorted(files.items()):
        write_output(target / name, lambda content=content: content)
    for stale in sorted(old - set(files)):
        (target / stale).unlink(missing_ok=True)
    write_output(manifest, lambda: "".join(f"{n}\n" for n in sorted(files)).encode())


def run(fmt: str, output: str | None) -> None:
    """``calcikg export --format FMT [-o OUTPUT]``: one file (or standard output), or a folder."""
    import sys

    if fmt in FOLDER_FORMATS:
        if not output:
            raise CalciKGError(f"--format {fmt} writes a folder of files: give one with -o DIR")
        write_folder(Path(output), EXPORTERS[fmt], fmt)  # type: ignore[arg-type]
    elif output:
        write_output(Path(output), EXPORTERS[fmt])  # type: ignore[arg-type]
    else:
        sys.stdout.buffer.write(EXPORTERS[fmt]())  # type: ignore[arg-type]
