"""`calcikg terms`: find CalciKG and HPO terms from the sources, without a build, and fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from calcikg.lookup import format_hits, lookup


def _first(text, **kw):
    hits = lookup(text, **kw)
    assert hits, f"nothing found for {text!r}"
    return hits[0]


def test_exact_synonym_first():
    hit = _first("JDM")
    assert (hit.curie, hit.kind, hit.source, hit.in_calcikg) == ("ckg:JuvenileDermatomyositis", "disease", "CalciKG", True)
    assert hit.matched == {"text": "JDM", "field": "exact synonym", "how": "exact"}
    assert {"curie": "ckg:Dermatomyositis", "label": "dermatomyositis"} in hit.parents
    assert hit.definition and hit.defined_in.startswith("ontology/templates/diseases.tsv:")
    assert any(c["code"].startswith("MONDO:") for c in hit.codes)


def test_curie_and_external_code():
    assert _first("ckg:Pamidronate").label == "pamidronate"
    hit = _first("MESH:D017675")
    assert hit.curie == "ckg:CRESTSyndrome" and hit.matched["field"] == "exactMatch code"
    assert _first("M34.1").curie == "ckg:CRESTSyndrome"  # a bare code


def test_prefix_substring_and_near_spelling():
    assert _first("pamidron").curie == "ckg:Pamidronate"
    assert _first("diltiazm").curie == "ckg:Diltiazem" and _first("diltiazm").matched["how"] == "near spelling"
    hits = lookup("xanthoma", kind="disease")
    assert [h.curie for h in hits[:1]] == ["ckg:Xanthoma"]
    assert {"ckg:CutaneousXanthoma", "ckg:TendonXanthoma"} <= {h.curie for h in hits}


def test_kind_filter():
    assert {h.kind for h in lookup("hip", kind="site")} == {"site"}
    assert all(h.source == "HPO" for h in lookup("hip", kind="hpo"))
    assert _first("mg/kg/day", kind="unit").curie == "ckg:MilligramPerKilogramPerDay"
    assert not lookup("pamidronate", kind="site")


def test_hpo_term_not_yet_in_calcikg():
    # a phenotype no calcinosis report is likely to name (pruritus was the example until a record used it)
    hit = _first("myopia")
    assert (hit.curie, hit.label, hit.source, hit.in_calcikg) == ("HP:0000545", "Myopia", "HPO", False)
    assert "not yet in CalciKG" in hit.status and "hp/releases/2025-01-16" in hit.status
    assert hit.parents == [{"curie": "HP:0000539", "label": "Abnormality of refraction"}]
    assert _first("HP:0000545").matched == {"text": "HP:0000545", "field": "ID", "how": "exact"}


def test_hpo_term_a_record_uses_is_in_calcikg():
    hit = _first("HP:0000989")  # Pruritus: a finding of a curated record, imported by the build
    assert (hit.label, hit.in_calcikg) == ("Pruritus", True)


def test_hpo_term_mapped_exactly_shows_as_the_calcikg_term():
    hits = lookup("arthralgia")
    assert hits[0].curie == "ckg:Arthralgia"
    assert {"code": "HP:0002829", "label": "Arthralgia", "predicate": "exactMatch"} in hits[0].codes
    assert "HP:0002829" not in {h.curie for h in hits}
    assert _first("HP_0002829").curie == "ckg:Arthralgia"


def test_table_format():
    text = format_hits(lookup("JDM", limit=1))
    assert text.startswith("ckg:JuvenileDermatomyositis  juvenile dermatomyositis  [disease · CalciKG term")
    assert "definition:" in text and "codes:" in text and "matched:" in text
    assert format_hits([]) == "no term found\n"


def test_cli_json_and_speed():
    """A cold process answers in under 1.5 s once the HPO cache exists (the first run ever parses hp.obo, ~2 s)."""
    command = [sys.executable, "-m", "calcikg", "terms", "calcinosis", "--format", "json", "--limit", "5"]
    subprocess.run(command, capture_output=True, check=True)  # fills the HPO cache if it is missing
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert run.returncode == 0, run.stderr
    hits = json.loads(run.stdout)
    assert hits[0]["curie"] == "ckg:CalcinosisCutis"
    assert {"curie", "label", "kind", "source", "in_calcikg", "parents", "definition", "exact_synonyms",
            "related_synonyms", "codes", "matched"} <= set(hits[0])
    assert elapsed < float(os.environ.get("CALCIKG_TERMS_BUDGET", "1.5")), f"calcikg terms took {elapsed:.2f} s"


def test_cli_refuses_an_unknown_kind():
    run = subprocess.run([sys.executable, "-m", "calcikg", "terms", "x", "--kind", "symptom"],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "invalid choice" in run.stderr


@pytest.mark.parametrize("name", ["rdflib", "sssom", "fastobo"])
def test_lookup_imports_no_heavy_library(name):
    code = (f"import sys; from calcikg.lookup import lookup; lookup('JDM'); "
            f"sys.exit(1 if {name!r} in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0, f"calcikg terms imports {name}"
