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

#: Built graph: ontology + mappings + instances, the file queries and the server load.
GRAPH_TTL = ROOT / "kg" / "calcikg.ttl"
#: Instances only, importing the ontology (Protégé resolves the import through the catalog).
DATA_TTL = ROOT / "kg" / "calcikg-data.ttl"
#: Ontology + instances as RDF/XML, for Protégé without any import.
GRAPH_OWL = ROOT / "kg" / "calcikg.owl"
CATALOG = ROOT / "kg" / "catalog-v001.xml"

#: Where the report texts are read (records name a file here): CALCIKG_REPORTS, or --reports, or
#: ../shared/reports beside the checkout. Users who do not hold the texts simply have none.
REPORTS_DIR = Path(os.environ.get("CALCIKG_REPORTS") or ROOT.parent / "shared" / "reports")
VOCAB_DIR = Path(os.environ.get("CALCIKG_VOCAB") or ROOT.parent / "shared" / "vocab")
