"""Where the project's files live. One place, so that no module guesses a path of its own."""

from __future__ import annotations

import os
from pathlib import Path

#: The project root: the checkout (``CALCIKG_HOME`` overrides, e.g. for tests on a copy).
ROOT = Path(os.environ.get("CALCIKG_HOME") or Path(__file__).resolve().parents[2])

ONTOLOGY_EDIT = ROOT / "ontology" / "calcikg-edit.ttl"
ONTOLOGY_RELEASE = ROOT / "ontology" / "calcikg.owl"
#: Term templates (one TSV row per term, ROBOT-style), merged into the ontology by the build.
TEMPLATES_DIR = ROOT / "ontology" / "templates"
RECORDS_DIR = ROOT / "kg" / "records"
RECORD_SCHEMA = ROOT / "kg" / "schema" / "report-record.schema.json"
MAPPINGS = ROOT / "mappings" / "calcikg.sssom.tsv"
SHAPES = ROOT / "shapes" / "calcikg-shapes.ttl"
#: Salted hashes of the patient names the reports print (src/calcikg/privacy.py).
NAME_HASHES = ROOT / "kg" / "privacy" / "patient-name-hashes.txt"
QUERIES_DIR = ROOT / "queries"
#: The README: `calcikg build` rewrites its coverage block (between COVERAGE_MARKERS) from the graph.
README = ROOT / "README.md"

#: Built graph: ontology + mappings + instances, the file queries and the server load.
GRAPH_TTL = ROOT / "kg" / "calcikg.ttl"
#: Instances only, importing the ontology (Protégé resolves the import through the catalog).
DATA_TTL = ROOT / "kg" / "calcikg-data.ttl"
#: Ontology + instances as RDF/XML, for Protégé without any import.
GRAPH_OWL = ROOT / "kg" / "calcikg.owl"
CATALOG = ROOT / "kg" / "catalog-v001.xml"
#: The built graph as N-Triples (sorted lines, canonical literals): the same graph as GRAPH_TTL and GRAPH_OWL.
GRAPH_NT = ROOT / "kg" / "calcikg.nt"
#: The build cache (not in git): per-record results, the Oxigraph store of the corpus, the manifest.
CACHE_DIR = Path(os.environ.get("CALCIKG_BUILD_CACHE") or ROOT / ".calcikg")

#: Where the report texts are read (a record's 'source_file' names a file in one of them): the
#: folders of CALCIKG_REPORTS (separated by os.pathsep) or of --reports; by default the project's
#: reports/ (texts whose licence allows committing them) and ../shared/reports beside the checkout.
#: Users who do not hold the texts simply have none of these folders.
REPORTS_DIRS = ([Path(p) for p in os.environ["CALCIKG_REPORTS"].split(os.pathsep) if p]
                if os.environ.get("CALCIKG_REPORTS") else [ROOT / "reports", ROOT.parent / "shared" / "reports"])


def report_text(name: str, folders: list[Path] | None = None) -> Path | None:
    """The report text file ``name`` in the first reports folder that holds it, or None."""
    for folder in folders or REPORTS_DIRS:
        if (folder / name).is_file():
            return folder / name
    return None
VOCAB_DIR = Path(os.environ.get("CALCIKG_VOCAB") or ROOT.parent / "shared" / "vocab")
