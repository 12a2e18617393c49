"""The stored queries (queries/*.rq): their decorators, their answers and their safety.

Expected answers are written here as literals, read from the two source reports
(shared/reports/000_e694ff14e3a58929.txt, Randhawa et al. 2018, and 004_42d1df70ab7ff0f5.txt,
Mouaddine et al. 2021), never copied from a query's output. Every answer is checked on both
embedded engines: rdflib (parameters through initBindings) and Oxigraph (parameters in a VALUES
block, the text a remote endpoint receives), which must return the same rows in the same order.
The remote endpoint itself is tested in test_server.py.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

from calcikg import paths
from calcikg import query as Q
from calcikg.cli import main
from calcikg.errors import CalciKGError, UsageError

MOUADDINE = "Mouaddine et al. 2021"
RANDHAWA = "Randhawa et al. 2018"
CASE3 = f"case 3 of {MOUADDINE}"

#: Every query the issue asks for, by name (more may exist).
REQUIRED = {
    "treatments-effective-in", "treatments-ineffective-in", "treatments-for-subtype", "evidence-for-treatment",
    "conflicting-evidence", "associated-diseases", "differential-diagnoses", "subtypes", "cases",
    "case-timeline", "cohort-summary", "dose-regimens", "sources", "external-codes", "unmapped-terms",
    "case-findings", "literature-claims",
}
#: A non-default value for each parameter (a different answer from the default).
OTHER_VALUE = {
    "condition": "dermatomyositis",
    "subtype": "idiopathic calcinosis cutis",
    "treatment": "pamidronate",
    "case": "randhawa2018-case1",
    "report": "randhawa2018",
    "vocabulary": "MeSH",
    "term": "idiopathic calcinosis cutis",
    "aspect": "prognosis",
}
#: Columns that carry the IRI of the row's node, for follow-up queries.
IRI_COLUMNS = {"statement", "statement_1", "case", "class", "work", "node"}
VOCABULARIES = ["SNOMED CT", "ICD-10", "ICD-10-CM", "MeSH", "UMLS", "MONDO", "DOID", "HPO", "ChEBI", "ATC", "NCIt"]

QUERIES = Q.list_queries()
NAMES = [q.name for q in QUERIES]


@pytest.fixture(scope="session")
def store():
    return Q.load_store(paths.GRAPH_TTL)


@pytest.fixture(scope="session")
def both(graph, store):
    """Run a stored query on both embedded engines; assert the same rows; return them."""
    cache: dict = {}

    def run(name: str, params: dict[str, str] | None = None) -> list[dict[str, str]]:
        key = (name, tuple(sorted((params or {}).items())))
        if key not in cache:
            by_rdflib = Q.run(name, params or {}, engine="rdflib", source=graph)
            by_oxigraph = Q.run(name, params or {}, engine="oxigraph", source=store)
            assert by_rdflib.columns == by_oxigraph.columns, name
            assert by_rdflib.rows == by_oxigraph.rows, f"{name} {params}: rdflib and Oxigraph disagree"
            cache[key] = by_rdflib.rows
        return cache[key]

    return run


def _where(rows, **match):
    """Rows whose cells contain each given text (case-sensitive substring)."""
    return [r for r in rows if all(text in r[col] for col, text in match.items())]


def _values(rows, column):
    return {r[column] for r in rows}


# ------------------------------------------------------------------------------ the files
def test_required_queries_exist():
    assert REQUIRED <= set(NAMES), f"missing stored queries: {sorted(REQUIRED - set(NAMES))}"


@pytest.mark.parametrize("q", QUERIES, ids=NAMES)
def test_query_file_is_well_formed(q):
    from rdflib.plugins.sparql import prepareQuery

    assert q.summary and len(q.summary) > 20
    assert q.description, f"{q.name}: needs a '#+ description'"
    assert q.tags, f"{q.name}: needs '#+ tags'"
    prepareQuery(q.text)  # valid SPARQL 1.1 for rdflib; Oxigraph parses it in test_every_query_runs_on_both_engines
    body = "\n".join(line for line in q.text.splitlines() if not line.lstrip().startswith("#"))
    assert re.search(r"\bORDER\s+BY\b", body, re.IGNORECASE), f"{q.name}: needs ORDER BY for a deterministic output"
    assert "GROUP_CONCAT" not in body.upper(), f"{q.name}: GROUP_CONCAT order differs between engines"
    for prefix in set(re.findall(r"\b([A-Za-z][\w-]*):[A-Za-z_]", body)) - {"http", "https"}:
        assert re.search(rf"PREFIX\s+{prefix}:", body), f"{q.name}: prefix {prefix}: is not declared (Oxigraph needs it)"
    projection = body[: re.search(r"\bWHERE\b", body, re.IGNORECASE).start()]
    for name, param in q.params.items():
        assert param.type in Q.TERM_TYPES or param.type in Q.LITERAL_TYPES
        assert re.search(rf"\?{name}\b", body), f"{q.name}: parameter {name} is declared but not used"
        # a projected parameter would show its binding in one engine and not in the other
        assert not re.search(rf"\?{name}\b", projection), f"{q.name}: do not project the parameter ?{name}"
        assert param.description, f"{q.name}: parameter {name} needs a description"
        if param.default is None:
            assert "optional" in param.description
        # a sub-SELECT that uses the parameter must project it: the endpoint's VALUES block binds it
        # outside, after the sub-SELECT is evaluated, while rdflib's initBindings bind it inside
        for projected, sub in _sub_selects(body):
            if re.search(rf"\?{name}\b", sub):
                assert re.search(rf"\?{name}\b", projected), f"{q.name}: a sub-SELECT uses ?{name} without projecting it"


def _sub_selects(body: str):
    """(projection, whole text) of every ``{ SELECT ... }`` nested in ``body``."""
    for m in re.finditer(r"\{\s*SELECT\b", body, re.IGNORECASE):
        depth, end = 0, len(body)
        for i in range(m.start(), len(body)):
            depth += {"{": 1, "}": -1}.get(body[i], 0)
            if depth == 0:
                end = i
                break
        sub = body[m.start():end]
        yield sub[: re.search(r"\bWHERE\b", sub, re.IGNORECASE).start()], sub


@pytest.mark.parametrize("q", QUERIES, ids=NAMES)
def test_query_columns_are_for_people(q, both):
    rows = both(q.name)
    columns = Q.run(q.name, {}).columns
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", c) for c in columns), columns
    assert IRI_COLUMNS & set(columns), f"{q.name}: give the node's IRI (statement, case, ...) for follow-up"
    assert isinstance(rows, list)


@pytest.mark.parametrize("q", QUERIES, ids=NAMES)
def test_remote_client_sends_a_select(q, store, monkeypatch):
    """SPARQLWrapper guesses the query form from the text: every stored query must reach /query as a SELECT."""
    from SPARQLWrapper import SPARQLWrapper

    sent = []

    def fake(self):
        sent.append((self.queryType, self.isSparqlQueryRequest(), self.queryString))
        return {"head": {"vars": []}, "results": {"bindings": []}}

    monkeypatch.setattr(SPARQLWrapper, "queryAndConvert", fake)
    bindings = Q.resolve_params(q, {}, store)
    Q.run_remote(q, bindings, "http://127.0.0.1:9/query")
    ((query_type, is_query, text),) = sent
    assert (query_type, is_query) == ("SELECT", True)
    for name, value in bindings.items():
        assert f"VALUES ?{name} {{ {value.sparql()} }}" in text


def test_calcikg_queries_lists_every_query(capsys):
    assert main(["queries"]) == 0
    out = capsys.readouterr().out
    for q in QUERIES:
        assert q.name in out and q.summary in out
        for name in q.params:
            assert f"{name}: {q.params[name].type}" in out


# ------------------------------------------------------------------------------ both engines, every query
@pytest.mark.parametrize("q", QUERIES, ids=NAMES)
def test_every_query_runs_on_both_engines(q, both):
    """Defaults (optional parameters unbound), then each parameter set to another value."""
    both(q.name)
    for name, param in q.params.items():
        value = OTHER_VALUE[name] if param.type != "string" or param.values else "x"
        both(q.name, {name: value})


@pytest.mark.parametrize("q", QUERIES, ids=NAMES)
def test_output_is_deterministic(q, graph, store):
    first = Q.run(q.name, {}, engine="oxigraph", source=store).rows
    assert Q.run(q.name, {}, engine="oxigraph", source=store).rows == first
    assert Q.run(q.name, {}, engine="rdflib", source=graph).rows == first


# ------------------------------------------------------------------------------ treatments-effective-in
def test_effective_in_jdm(both):
    rows = both("treatments-effective-in", {"condition": "JDM"})
    favourable = {"complete regression", "near-complete regression", "partial improvement",
                  "improvement, degree not stated", "response in some patients", "remission"}
    assert _values(rows, "outcome") <= favourable
    # diltiazem: case 3's own course (regression) and the literature (Ichiki's 3-year-old girl, ref 13)
    assert _where(rows, treatment="diltiazem", patients=CASE3, evidence_kind="own patient observation")
    ichiki = _where(rows, treatment="diltiazem", cited_reference=f"{MOUADDINE}, ref. 13")
    assert ichiki and ichiki[0]["outcome"] == "near-complete regression" and "30 mg/day" in ichiki[0]["dose"]
    # the discussion's account of case 3 (calcium channel blocker in the abstract)
    assert _where(rows, treatment="calcium channel blocker", patients=CASE3, locator="Abstract")
    # pamidronate: the 14-year-old girl of ref 11 lost all her calcinosis; ref 10, children with JDM
    girl = _where(rows, treatment="pamidronate", cited_reference=f"{MOUADDINE}, ref. 11")
    assert girl and girl[0]["outcome"] == "complete regression" and "14" in girl[0]["patients"]
    assert "prednisone" in girl[0]["given_with"] and "15 mg" in girl[0]["dose"] and "30 mg" in girl[0]["dose"]
    assert _where(rows, treatment="pamidronate", cited_reference=f"{MOUADDINE}, ref. 10", route="intravenous")
    # infliximab (Riley et al., ref 3), aluminium hydroxide and warfarin (ref 21)
    assert _where(rows, treatment="infliximab", cited_reference=f"{MOUADDINE}, ref. 3 ")
    assert _where(rows, treatment="aluminium hydroxide", cited_reference=f"{MOUADDINE}, ref. 21", route="oral")
    warfarin = _where(rows, treatment="warfarin", cited_reference=f"{MOUADDINE}, ref. 21")
    assert warfarin and warfarin[0]["duration"] == "3 years"
    # case 2: long-term corticosteroids with methotrexate made the calcinosis disappear
    for drug, partner in (("corticosteroid", "methotrexate"), ("methotrexate", "corticosteroid")):
        hit = _where(rows, treatment=drug, patients=f"case 2 of {MOUADDINE}")
        assert hit and hit[0]["outcome"] == "complete regression" and hit[0]["given_with"] == partner
    # case 5: bisphosphonates after colchicine, favourable at first
    assert _where(rows, treatment="bisphosphonate", patients=f"case 5 of {MOUADDINE}")
    # rituximab helped no patient with dermatomyositis (ref 22); it must not appear
    assert not _where(rows, treatment="rituximab")
    # nothing from the idiopathic cases
    assert not _where(rows, patients=f"case 1 of {MOUADDINE}") and not _where(rows, report=RANDHAWA)
    for r in rows:
        assert r["report"] and r["locator"] and r["evidence_kind"] and r["level"] and r["statement"].startswith("ckd:")
        assert bool(r["cited_reference"]) == (r["evidence_kind"] == "cited literature claim")


def test_effective_in_dermatomyositis_is_a_superset_of_jdm(both):
    def keys(rows):
        return {(r["statement"], r["cited_reference"]) for r in rows}

    jdm = both("treatments-effective-in", {"condition": "juvenile dermatomyositis"})
    assert keys(both("treatments-effective-in", {"condition": "JDM"})) == keys(jdm)
    assert keys(both("treatments-effective-in", {"condition": "ckg:JuvenileDermatomyositis"})) == keys(jdm)
    dm = both("treatments-effective-in", {"condition": "dermatomyositis"})
    assert keys(jdm) < keys(dm)
    extra = [r for r in dm if (r["statement"], r["cited_reference"]) not in keys(jdm)]
    # dermatomyositis in general: diltiazem 2-4 mg/kg/day (ref 13), bisphosphonates (ref 12), IVIG (ref 23)
    assert _where(extra, treatment="diltiazem", dose="2-4 mg/kg/day")
    assert _where(extra, treatment="bisphosphonate", cited_reference=f"{MOUADDINE}, ref. 12", outcome="partial improvement")
    assert _where(extra, treatment="intravenous immunoglobulin", cited_reference=f"{MOUADDINE}, ref. 23")
    assert not _where(dm, treatment="rituximab")


def test_effective_in_a_calcinosis_subtype(both):
    rows = both("treatments-effective-in", {"condition": "tumoral calcinosis"})
    # the infant of Randhawa et al.: complete regression under watchful waiting
    infant = _where(rows, treatment="watchful waiting", patients=f"case 1 of {RANDHAWA}")
    assert infant and infant[0]["outcome"] == "complete regression"
    # topical sodium thiosulfate in hyperphosphatemic familial tumoral calcinosis (Jost et al., refs 19-20)
    assert _where(rows, treatment="sodium thiosulfate", cited_reference=f"{MOUADDINE}, ref. 19", route="topical")
    # the drugs Randhawa et al. only name for tumoral calcinosis have no outcome: not "effective"
    assert not _where(rows, treatment="probenecid")


# ------------------------------------------------------------------------------ treatments-ineffective-in
def test_ineffective_in_jdm_and_dermatomyositis(both):
    jdm = both("treatments-ineffective-in", {"condition": "JDM"})
    assert _values(jdm, "outcome") <= {"no significant improvement", "worsening"}
    # case 3: pamidronate without significant improvement (her own paragraph)
    pam = _where(jdm, treatment="pamidronate", patients=CASE3)
    assert pam and pam[0]["outcome"] == "no significant improvement" and pam[0]["route"] == "intravenous"
    # case 3 per the discussion: corticosteroids with methotrexate, without improvement
    assert _where(jdm, treatment="corticosteroid", patients=CASE3, given_with="methotrexate")
    # case 5: calcinosis appeared while corticosteroids were tapered; the report does not judge them as
    # a treatment of the calcinosis, so they are not listed as ineffective (the onset is the case's context)
    assert not _where(jdm, treatment="corticosteroid", patients=f"case 5 of {MOUADDINE}")
    dm = both("treatments-ineffective-in", {"condition": "dermatomyositis"})
    assert {r["statement"] for r in jdm} < {r["statement"] for r in dm}
    # rituximab trial (ref 22): none of the five with calcinosis benefited; lower diltiazem doses (ref 13)
    assert _where(dm, treatment="rituximab", cited_reference=f"{MOUADDINE}, ref. 22", outcome="no significant improvement")
    assert _where(dm, treatment="diltiazem", cited_reference=f"{MOUADDINE}, ref. 13", outcome="no significant improvement")
    assert not _where(dm, treatment="infliximab")


# ------------------------------------------------------------------------------ treatments-for-subtype
def test_treatments_for_tumoral_calcinosis(both):
    rows = both("treatments-for-subtype", {"subtype": "tumoral calcinosis"})
    assert rows == both("treatments-for-subtype")  # the default
    # Randhawa et al., citing ref 1: options for tumoral calcinosis, named without any result
    named = _where(rows, report=RANDHAWA, cited_reference=f"{RANDHAWA}, ref. 1")
    assert {"diltiazem", "bisphosphonate", "probenecid", "aluminium hydroxide", "surgical excision",
            "curettage"} <= _values(named, "treatment")
    assert all(r["outcome"] == "" for r in named)
    assert _where(rows, treatment="watchful waiting", patients=f"case 1 of {RANDHAWA}", outcome="complete regression")
    # hyperphosphatemic familial tumoral calcinosis is a kind of tumoral calcinosis
    assert _where(rows, treatment="sodium thiosulfate", outcome="partial improvement")
    assert not _where(rows, report=MOUADDINE, patients="juvenile dermatomyositis")


def test_treatments_for_idiopathic_include_its_forms(both):
    idiopathic = both("treatments-for-subtype", {"subtype": "idiopathic calcinosis cutis"})
    # the letter's infant is diagnosed with idiopathic and tumoral calcinosis; tumoral calcinosis as such is
    # not always idiopathic (a uremic form is metastatic), so only the infant's course is counted here
    assert _where(idiopathic, treatment="watchful waiting", patients=f"case 1 of {RANDHAWA}")
    # case 1 of Mouaddine et al.: idiopathic calcinosis, surgical excision, regression
    assert _where(idiopathic, treatment="surgical excision", patients=f"case 1 of {MOUADDINE}")
    dystrophic = both("treatments-for-subtype", {"subtype": "dystrophic calcinosis cutis"})
    assert _where(dystrophic, treatment="diltiazem", patients=CASE3)
    assert not _where(dystrophic, patients=f"case 1 of {MOUADDINE}")


# ------------------------------------------------------------------------------ evidence-for-treatment
def test_evidence_for_bisphosphonate_includes_pamidronate(both):
    rows = both("evidence-for-treatment", {"treatment": "bisphosphonate"})
    assert rows == both("evidence-for-treatment")
    assert _values(rows, "intervention") == {"bisphosphonate", "pamidronate"}
    pam = _where(rows, intervention="pamidronate", patients=CASE3)
    assert pam and pam[0]["outcome"] == "no significant improvement" and pam[0]["direction"] == "does not support"
    assert "30 mg/day" in pam[0]["dose"] and pam[0]["given_with"] == "corticosteroid"
    assert _where(rows, intervention="pamidronate", cited_reference=f"{MOUADDINE}, ref. 11", direction="supports")
    # the abstract and the discussion report partial improvement for the same patient
    assert len(_where(rows, intervention="bisphosphonate", patients=CASE3, outcome="partial improvement")) == 2
    # Randhawa et al. only name bisphosphonates for tumoral calcinosis: no outcome, no direction
    named = _where(rows, report=RANDHAWA)
    assert named and all(r["outcome"] == "" and r["direction"] == "" for r in named)
    unfavourable = {"no significant improvement", "worsening"}
    indeterminate = {"", "stabilisation", "unknown, follow-up ongoing"}
    for r in rows:
        expected = "does not support" if r["outcome"] in unfavourable else "" if r["outcome"] in indeterminate else "supports"
        assert r["direction"] == expected, r


def test_evidence_for_pamidronate_only(both):
    rows = both("evidence-for-treatment", {"treatment": "pamidronate"})
    assert _values(rows, "intervention") == {"pamidronate"}
    assert {r["cited_reference"].split(" (")[0] for r in rows} == {"", f"{MOUADDINE}, ref. 10", f"{MOUADDINE}, ref. 11"}


# ------------------------------------------------------------------------------ conflicting-evidence
def test_conflicting_evidence_case3_pamidronate(both):
    rows = both("conflicting-evidence")
    pairs = [(r["statement_1"], r["statement_2"]) for r in rows]
    assert len(pairs) == len(set(pairs)) and all(a < b for a, b in pairs), "each pair once, in order"
    assert not {(b, a) for a, b in pairs} & set(pairs)
    # case 3: her paragraph says pamidronate gave no significant improvement; the abstract (paragraph 4),
    # the Biphosphonates paragraph and the Diltiazem paragraph of the discussion say she improved
    case3 = _where(rows, shared=CASE3)
    against = set()
    for r in case3:
        sides = {(r["treatment_1"], r["outcome_1"], r["locator_1"]), (r["treatment_2"], r["outcome_2"], r["locator_2"])}
        own = [s for s in sides if s[0] == "pamidronate"]
        assert own and own[0][1] == "no significant improvement" and own[0][2].startswith("Case 3")
        other = (sides - set(own)).pop()
        assert other[0] == "bisphosphonate" and other[1] in {"partial improvement", "improvement, degree not stated"}
        against.add(other[2].split(",")[0])
        assert r["disagreement"] == "different outcome class"
    assert against == {"Abstract", "Results and discussion > Biphosphonates", "Results and discussion > Diltiazem"}
    # prednisone with diltiazem (improvement) and corticosteroid with methotrexate (none) are two regimens
    assert not _where(rows, treatment_1="prednisone") and not _where(rows, treatment_2="prednisone")
    for r in rows:
        assert r["outcome_1"] != r["outcome_2"]


def test_conflicting_evidence_filtered_by_treatment(both):
    everything = both("conflicting-evidence")
    pamidronate = both("conflicting-evidence", {"treatment": "pamidronate"})
    bisphosphonate = both("conflicting-evidence", {"treatment": "bisphosphonate"})
    assert pamidronate and pamidronate == bisphosphonate == _where(everything, shared=CASE3)
    assert both("conflicting-evidence", {"treatment": "warfarin"}) == []


# ------------------------------------------------------------------------------ associated-diseases, differentials, subtypes
def test_associated_diseases_of_dystrophic_calcinosis(both):
    rows = both("associated-diseases", {"subtype": "dystrophic calcinosis cutis"})
    assert _values(rows, "calcinosis_type") == {"dystrophic calcinosis cutis"}
    # Randhawa et al., refs 1 and 2: SLE, systemic sclerosis, dermatomyositis, MCTD, sarcoidosis
    stated = _where(rows, report=RANDHAWA, basis="association statement")
    assert {"systemic lupus erythematosus", "systemic sclerosis", "dermatomyositis", "mixed connective tissue disease",
            "sarcoidosis"} <= _values(stated, "condition")
    assert {f"{RANDHAWA}, ref. 1 (Le et al. 2017)"} <= _values(stated, "cited_reference")
    # Mouaddine et al.: cases 2 to 5 are dystrophic calcinosis with (juvenile) dermatomyositis
    cases = _where(rows, basis="case diagnoses", report=MOUADDINE)
    assert {r["statement"] for r in cases} == {f"ckd:mouaddine2021-case{n}" for n in (2, 3, 4, 5)}
    assert _where(cases, statement="case4", basis="suspected", condition="juvenile dermatomyositis")
    everything = both("associated-diseases")
    assert {r["statement"] for r in rows} < {r["statement"] for r in everything}
    calciphylaxis = both("associated-diseases", {"subtype": "calciphylaxis"})
    assert "chronic renal failure" in _values(calciphylaxis, "condition")


def test_differential_diagnoses(both):
    rows = both("differential-diagnoses")
    randhawa = _where(rows, report=RANDHAWA)
    # "cutaneous xanthomas, mycetoma, myositis ossificans and osteomalacia cutis" (osteoma cutis)
    assert _values(randhawa, "differential") == {"cutaneous xanthoma", "mycetoma", "myositis ossificans", "osteoma cutis"}
    assert all(r["locator"] == "Letter text, paragraph 3" for r in randhawa)
    # case 1 of Mouaddine et al.: the elbow X-ray suggested myositis ossificans or a tumour
    mouaddine = _where(rows, report=MOUADDINE)
    assert _values(mouaddine, "differential") == {"myositis ossificans", "neoplasm"}
    assert "osteomalacia" in _where(randhawa, differential="osteoma cutis")[0]["note"]


def test_subtypes_hierarchy(both):
    rows = both("subtypes")
    by_name = {r["subtype"]: r for r in rows}
    assert by_name["calcinosis cutis"]["depth"] == "0"
    # the five main types of Randhawa et al.
    for name in ("dystrophic calcinosis cutis", "metastatic calcinosis cutis", "idiopathic calcinosis cutis",
                 "iatrogenic calcinosis cutis", "calciphylaxis"):
        assert by_name[name]["parent"] == "calcinosis cutis" and by_name[name]["depth"] == "1"
        assert int(by_name[name]["classified_by_statements"]) >= 1
    # the idiopathic forms
    for name in ("subepidermal calcified nodule", "scrotal calcinosis"):
        assert by_name[name]["parent"] == "idiopathic calcinosis cutis" and by_name[name]["depth"] == "2"
        assert by_name[name]["top_level_type"] == "idiopathic calcinosis cutis"
    # tumoral calcinosis is a clinical form found in more than one type, not under idiopathic; its uremic
    # form is metastatic (Randhawa et al. classify it under idiopathic: a statement, not an axiom)
    assert by_name["tumoral calcinosis"]["parent"] == "clinical form of calcinosis cutis"
    assert int(by_name["tumoral calcinosis"]["classified_by_statements"]) >= 1
    assert all(r["definition"] for r in rows)
    # dystrophic, metastatic, idiopathic, iatrogenic: classified by both seed reports (further reports may add
    # statements); calciphylaxis by the letter
    assert int(by_name["dystrophic calcinosis cutis"]["classified_by_statements"]) >= 2
    assert int(by_name["calciphylaxis"]["classified_by_statements"]) >= 1


# ------------------------------------------------------------------------------ cases
def test_cases(both):
    rows = both("cases")
    series = _where(rows, report=MOUADDINE)
    assert [r["case_number"] for r in series] == ["1", "2", "3", "4", "5"]
    assert _values(series, "sex") == {"female"}
    ages = {r["case_number"]: r["age"] for r in series}
    assert ages == {"1": "6 years", "2": "5 years", "3": "", "4": "6 years", "5": "2.5 years"}
    c = {r["case_number"]: r for r in series}
    assert c["1"]["subtype"] == "idiopathic calcinosis cutis" and c["1"]["disease"] == ""
    assert "juvenile dermatomyositis (suspected)" in c["4"]["disease"]
    assert c["2"]["disease"] == "juvenile dermatomyositis" and c["5"]["disease"] == "juvenile dermatomyositis"
    assert c["2"]["final_outcome"] == "complete regression"
    assert c["4"]["final_outcome"] == "unknown, follow-up ongoing"
    assert c["3"]["episodes"] == "6" and c["3"]["final_treatment"] == "prednisone"
    assert c["1"]["sites"] == "elbow (right), knee"
    assert c["5"]["sites"] == "buttock (bilateral), forearm (bilateral), knee (bilateral), thigh (bilateral)"
    infant = _where(rows, report=RANDHAWA)
    assert len(infant) == 1 and infant[0]["age"] == "7 months" and infant[0]["sex"] == "sex not stated"
    assert infant[0]["final_treatment"] == "watchful waiting" and infant[0]["final_outcome"] == "complete regression"
    assert infant[0]["sites"] == "back, thigh (left)"


def test_cases_with_a_condition(both):
    def cases(condition):  # the two seed reports' cases (other reports may add their own)
        return {r["case"] for r in both("cases", {"condition": condition})
                if r["case"].startswith(("ckd:mouaddine2021-", "ckd:randhawa2018-"))}

    assert cases("JDM") == {f"ckd:mouaddine2021-case{n}" for n in (2, 3, 4, 5)}
    assert cases("dermatomyositis") == cases("JDM")  # no adult dermatomyositis in the seeds
    assert cases("idiopathic calcinosis cutis") == {"ckd:mouaddine2021-case1", "ckd:randhawa2018-case1"}
    assert cases("tumoral calcinosis") == {"ckd:randhawa2018-case1"}
    assert cases("systemic sclerosis") == set()


# ------------------------------------------------------------------------------ case-timeline, case-findings
def test_case3_timeline_in_order(both):
    rows = both("case-timeline", {"case": "mouaddine2021-case3"})
    assert rows == both("case-timeline")  # the default
    assert rows == both("case-timeline", {"case": "ckd:mouaddine2021-case3"})
    assert rows == both("case-timeline", {"case": CASE3})
    assert [r["episode"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert [r["treatment"] for r in rows] == ["corticosteroid", "methotrexate", "surgical excision", "pamidronate",
                                              "diltiazem", "prednisone"]
    steroid, _, excision, pamidronate, diltiazem, prednisone = rows
    assert steroid["route"] == "oral" and "2 mg/kg/day" in steroid["dose"] and steroid["given_with"] == "methotrexate"
    assert pamidronate["route"] == "intravenous" and pamidronate["outcome"] == "no significant improvement"
    assert "30 mg/day" in pamidronate["dose"] and pamidronate["given_with"] == "corticosteroid"
    assert "60-150 mg/day" in diltiazem["dose"] and "150 mg/day" in diltiazem["dose"]
    assert diltiazem["disease_outcome"] == "remission" and diltiazem["given_with"] == "prednisone"
    assert prednisone["duration"] == "2 years" and "5 mg" in prednisone["dose"]
    assert excision["outcome"] == ""


def test_other_timelines(both):
    case2 = both("case-timeline", {"case": "mouaddine2021-case2"})
    assert [r["treatment"] for r in case2] == ["methylprednisolone", "prednisone", "corticosteroid", "methotrexate"]
    assert case2[1]["duration"] == "8 weeks" and "2 mg/kg/day" in case2[1]["dose"]
    infant = both("case-timeline", {"case": "randhawa2018-case1"})
    assert [(r["treatment"], r["outcome"]) for r in infant] == [("watchful waiting", "complete regression")]


def test_case_findings(both):
    rows = both("case-findings", {"case": "mouaddine2021-case2"})
    assert [r["section"] for r in rows] == sorted((r["section"] for r in rows),
                                                  key=["diagnosis", "lesion site", "finding"].index)
    ck = _where(rows, section="finding", item="creatine kinase")
    assert ck and ck[0]["result"] == "elevated" and ck[0]["value"] == "750 IU/L"
    assert _where(rows, item="lactate dehydrogenase", value="192 IU/L")
    assert _where(rows, item="erythrocyte sedimentation rate", result="elevated")
    assert _where(rows, item="antinuclear antibodies", result="normal")
    infant = both("case-findings", {"case": "randhawa2018-case1"})
    assert _where(infant, item="serum calcium", result="normal")
    assert _where(infant, item="fine needle aspiration cytology", result="abnormal")
    assert _where(infant, section="lesion site", item="thigh", result="left")
    case4 = both("case-findings", {"case": "mouaddine2021-case4"})
    assert _where(case4, item="antinuclear antibodies", result="positive")
    assert _where(case4, item="erythrocyte sedimentation rate", value="37 mm/h")


# ------------------------------------------------------------------------------ cohort-summary
def _mean_years(ages):
    """One decimal, rounded half up: the rule the query implements with integer tenths."""
    mean = sum(Decimal(a) for a in ages) / len(ages)
    return str(mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def test_cohort_summary_of_the_case_series(both):
    rows = both("cohort-summary", {"report": "mouaddine2021"})
    assert rows == both("cohort-summary")

    def row(measure, about=""):
        found = [r for r in rows if r["measure"] == measure and r["about"] == about]
        assert found, (measure, about)
        return found

    # five girls (abstract ¶1, discussion ¶8); all female (abstract ¶2: 100%)
    (n,) = row("number of patients")
    assert (n["computed"], n["stated"], n["locator"]) == ("5", "5 patients", "Abstract, paragraph 1")
    (girls,) = row("number of female patients")
    assert (girls["computed"], girls["stated"]) == ("5", "5 patients")
    (percent,) = row("percentage female")
    assert (percent["computed"], percent["stated"]) == ("100%", "100 %")
    (boys,) = row("number of male patients")
    assert boys["computed"] == "0"
    # mean age: the abstract says 5.9 years; the text gives 6, 5, 6 and 2.5 years (case 3's age is lost)
    (age,) = row("mean age")
    assert age["stated"] == "5.9 years" and age["locator"] == "Abstract, paragraph 2"
    assert age["based_on_cases"] == "4"
    assert age["computed"] == f"{_mean_years(['6', '5', '6', '2.5'])} years" == "4.9 years"
    # one idiopathic case, stated twice (abstract ¶2 and discussion ¶7)
    idiopathic = row("number of patients with condition", "idiopathic calcinosis cutis")
    assert {(r["computed"], r["stated"]) for r in idiopathic} == {("1", "1 patient")} and len(idiopathic) == 2
    # dermatomyositis: 4 patients, 80% (discussion ¶6)
    assert {r["computed"] for r in row("number of patients with condition", "dermatomyositis")} == {"4"}
    (dm80,) = row("percentage of patients with condition", "dermatomyositis")
    assert (dm80["computed"], dm80["stated"]) == ("80%", "80 %")
    (dystrophic,) = row("number of patients with condition", "dystrophic calcinosis cutis")
    assert (dystrophic["computed"], dystrophic["stated"]) == ("4", "4 patients")
    # surgical excision in two patients (cases 1 and 3), oral corticosteroids in four
    (excision,) = row("number of patients treated", "surgical excision")
    assert (excision["computed"], excision["stated"]) == ("2", "2 patients")
    (steroids,) = row("number of patients treated", "corticosteroid")
    assert (steroids["computed"], steroids["stated"]) == ("4", "4 patients")
    # positive antinuclear antibodies in 2 patients says the abstract; the case texts show only case 4
    (ana,) = row("number of patients with positive result", "antinuclear antibodies")
    assert (ana["computed"], ana["stated"]) == ("1", "2 patients")


def test_cohort_summary_of_the_letter(both):
    rows = both("cohort-summary", {"report": "randhawa2018"})
    by = {(r["measure"], r["about"]): r for r in rows}
    assert by[("number of patients", "")]["computed"] == "1"
    # one infant of 7 months
    assert by[("mean age", "")]["computed"] == "0.6 years"
    assert all(r["stated"] == "" and r["statement"] == "" for r in rows), "the letter states no cohort figure"


def test_mean_age_rounding_rule_is_the_same_on_both_engines():
    """Half-up rounding to one decimal, written from integers, on a tiny graph with exact halves."""
    import pyoxigraph
    from rdflib import Graph

    ttl = """
    @prefix ckg: <https://w3id.org/calcikg/> . @prefix ckd: <https://w3id.org/calcikg/data/> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    ckd:r{n} a ckg:CuratedReport .
    """
    cases = {"1": [("0.25", "Year")], "2": [("1", "Year"), ("2", "Year")], "3": [("7", "Month")],
             "4": [("0.35", "Year"), ("0.35", "Year")], "5": [("2.04", "Year"), ("2.1", "Year"), ("2", "Year")],
             "6": [("18", "Month"), ("1", "Year")]}
    expected = {"1": "0.3 years", "2": "1.5 years", "3": "0.6 years", "4": "0.4 years", "5": "2.0 years",
                "6": "1.3 years"}
    lines = []
    for n, ages in cases.items():
        lines.append(ttl.format(n=n))
        for k, (value, unit) in enumerate(ages):
            lines.append(f"ckd:r{n}-c{k} a ckg:PatientCase ; ckg:describedIn ckd:r{n} ; ckg:ageAtPresentation ckd:r{n}-c{k}-age .\n"
                         f"ckd:r{n}-c{k}-age ckg:numericValue \"{value}\"^^xsd:decimal ; ckg:unit ckg:{unit} .")
    data = "\n".join(lines)
    graph = Graph().parse(data=data, format="turtle")
    store = pyoxigraph.Store()
    store.load(data.encode(), format=pyoxigraph.RdfFormat.TURTLE)
    q = Q.get_query("cohort-summary")
    for n, want in expected.items():
        binding = {"report": Q.Value(f"https://w3id.org/calcikg/data/r{n}", is_iri=True)}
        results = [Q.run_rdflib(q, binding, graph), Q.run_oxigraph(q, binding, store)]
        for result in results:
            (row,) = [r for r in result.rows if r["computed"].endswith(" years")]
            assert row["computed"] == want, (n, row)
            assert row["based_on_cases"] == str(len(cases[n]))
        assert results[0].rows == results[1].rows
        assert _mean_years([Decimal(v) / (12 if u == "Month" else 1) for v, u in cases[n]]) + " years" == want


# ------------------------------------------------------------------------------ dose-regimens
def test_dose_regimens(both):
    rows = both("dose-regimens", {"treatment": "diltiazem"})
    assert rows == both("dose-regimens")
    case3 = _where(rows, patients=CASE3)
    assert [(r["phase"], r["dose"], r["unit"], r["phase_duration"]) for r in case3] == [
        ("1", "60-150 mg/day", "mg/day", "6 months"), ("2", "150 mg/day", "mg/day", "2 years")]
    assert _where(rows, dose="2-4 mg/kg/day", unit="mg/kg/day", patients="dermatomyositis")
    assert _where(rows, dose="30 mg/day", duration="1 year", outcome="near-complete regression")
    # "lower doses had no effect": a dose without a figure, kept as the curator's note
    lower = _where(rows, outcome="no significant improvement")
    assert lower and lower[0]["dose"] == "" and lower[0]["dose_note"]
    pam = both("dose-regimens", {"treatment": "pamidronate"})
    assert [(r["dose"], r["frequency"]) for r in _where(pam, patients=CASE3)] == [
        ("30 mg/day", "six times a month"), ("30 mg/day", "twice every three months")]
    girl = _where(pam, patients="14")
    assert [(r["dose"], r["frequency"], r["phase_duration"]) for r in girl] == [
        ("15 mg", "every three months", "1 year"), ("30 mg", "every four months", "1 year")]
    assert _where(both("dose-regimens", {"treatment": "probenecid"}), dose="8-30 mg/kg/day", duration="2-18 months")
    assert _where(both("dose-regimens", {"treatment": "colchicine"}), dose="1-1.8 mg/day")


# ------------------------------------------------------------------------------ sources
def test_sources(both):
    rows = both("sources")
    reports = _where(rows, role="curated report")
    assert {MOUADDINE, RANDHAWA} <= _values(reports, "publication")
    letter = _where(reports, publication=RANDHAWA)[0]
    assert letter["doi"] == "10.5152/TurkPediatriArs.2018.6792" and letter["year"] == "2018" and letter["cases"] == "1"
    series = _where(reports, publication=MOUADDINE)[0]
    assert series["doi"] == "" and series["cases"] == "5" and series["license"] == "CC BY-NC"
    assert letter["read"] == series["read"] == "full text read" and letter["url"] == ""
    assert "case 3" in series["read_note"]
    assert len(_where(rows, role="cited reference", publication=f"{MOUADDINE}, ref.")) == 23
    assert len(_where(rows, role="cited reference", publication=f"{RANDHAWA}, ref.")) == 5
    ref1 = _where(rows, publication=f"{MOUADDINE}, ref. 1 ")[0]
    assert ref1["doi"] == "10.1016/j.rhum.2017.03.005" and ref1["year"] == "2017"
    # ref 1 of the letter (StatPearls) is behind its classification and the tumoral calcinosis treatments
    assert int(_where(rows, publication=f"{RANDHAWA}, ref. 1 ")[0]["statements"]) >= 10
    for r in rows:
        assert int(r["statements"]) >= 0
    assert int(series["statements"]) > int(letter["statements"]) > 0


# ------------------------------------------------------------------------------ external-codes, unmapped-terms
def test_external_codes(both):
    snomed = both("external-codes")
    assert snomed == both("external-codes", {"vocabulary": "SNOMED CT"})
    jdm = _where(snomed, term="juvenile dermatomyositis")
    assert [(r["code"], r["curie"], r["mapping"]) for r in jdm] == [("1212005", "SCTID:1212005", "exactMatch")]
    assert all(r["external_iri"].startswith("http://snomed.info/id/") for r in snomed)
    mesh = both("external-codes", {"vocabulary": "MeSH"})
    assert _where(mesh, term="dermatomyositis", code="D003882", mapping="exactMatch")
    mondo = both("external-codes", {"vocabulary": "MONDO"})
    assert _where(mondo, term="juvenile dermatomyositis", curie="MONDO:0008054")
    assert all(r["mapping"] in {"exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch"} for r in mondo)


@pytest.mark.parametrize("vocabulary", VOCABULARIES)
def test_every_vocabulary_is_known(vocabulary, both):
    rows = both("external-codes", {"vocabulary": vocabulary})
    assert rows, f"no {vocabulary} code is mapped (or the query's namespace for it is wrong)"
    prefixes = {r["external_iri"][: len(r["external_iri"]) - len(r["code"])] for r in rows}
    assert len(prefixes) == 1
    unmapped = both("unmapped-terms", {"vocabulary": vocabulary})
    assert not {r["class"] for r in rows} & {r["class"] for r in unmapped}


def test_unmapped_terms(both):
    anything = both("unmapped-terms")
    snomed = both("unmapped-terms", {"vocabulary": "SNOMED CT"})
    key = lambda rows: {(r["class"], r["kind"]) for r in rows}  # noqa: E731
    assert key(anything) <= key(snomed)
    # no SNOMED CT code was verified for the calcinosis subtypes (mappings/README.md); JDM has one
    assert _where(snomed, term="dystrophic calcinosis cutis")
    assert not _where(snomed, term="juvenile dermatomyositis")
    assert not _where(anything, term="juvenile dermatomyositis")
    uses = [int(r["uses"]) for r in snomed]
    assert uses == sorted(uses, reverse=True)
    dystrophic = _where(anything, term="dystrophic calcinosis cutis")[0]
    assert int(dystrophic["uses"]) >= 4  # at least the four dystrophic cases of the series


# ------------------------------------------------------------------------------ literature-claims
def test_literature_claims(both):
    everything = both("literature-claims")
    assert all(r["cited_reference"] for r in everything)
    diltiazem = both("literature-claims", {"treatment": "diltiazem"})
    assert {f"{MOUADDINE}, ref. 13", f"{MOUADDINE}, ref. 3 (Bienvenu 2014)", f"{RANDHAWA}, ref. 1 (Le et al. 2017)"} \
        == _values(diltiazem, "cited_reference")
    pam_jdm = both("literature-claims", {"treatment": "pamidronate", "condition": "JDM"})
    assert {r["cited_reference"].split(" (")[0] for r in pam_jdm} == {f"{MOUADDINE}, ref. 10", f"{MOUADDINE}, ref. 11"}
    jdm = both("literature-claims", {"condition": "JDM"})
    assert {r["statement"] for r in pam_jdm} < {r["statement"] for r in jdm} < {r["statement"] for r in everything}
    # associations, classifications and differentials count too: calciphylaxis (ref 1 of the letter)
    calciphylaxis = both("literature-claims", {"condition": "calciphylaxis"})
    # the letter (ref 1): one of the five types; with chronic renal failure and dialysis
    letter = _where(calciphylaxis, report=RANDHAWA)
    assert sorted(r["kind"] for r in letter) == ["association statement", "association statement",
                                                 "classification statement"]
    assert _values(letter, "cited_reference") == {f"{RANDHAWA}, ref. 1 (Le et al. 2017)"}
    # the series (ref 17): sodium thiosulfate used successfully, intravenous, intralesional and topical
    sts = _where(calciphylaxis, report=MOUADDINE)
    assert len(sts) == 3 and _values(sts, "kind") == {"treatment claim"}
    assert _values(sts, "outcome") == {"improvement, degree not stated"}
    assert {r["cited_reference"].split(" (")[0] for r in sts} == {f"{MOUADDINE}, ref. 17"}


# ------------------------------------------------------------------------------ errors: one line, exit 2
def _one_line_error(capsys, argv, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("calcikg: error:") and fragment in err[0], err


def test_wrong_query_name(capsys):
    _one_line_error(capsys, ["query", "treatments-effective"], "no stored query 'treatments-effective'")
    _one_line_error(capsys, ["query", "../queries/cases"], "no stored query")


def test_unknown_parameter(capsys):
    _one_line_error(capsys, ["query", "cases", "--param", "disease=JDM"], "no parameter 'disease'")
    _one_line_error(capsys, ["query", "sources", "--param", "condition=JDM"], "no parameter 'condition'")


def test_unknown_term(capsys):
    _one_line_error(capsys, ["query", "treatments-effective-in", "--param", "condition=dermatomyosits"], "did you mean")
    _one_line_error(capsys, ["query", "case-timeline", "--param", "case=mouaddine2021-case9"], "case")
    _one_line_error(capsys, ["query", "evidence-for-treatment", "--param", "treatment=JDM"], "not a treatment")
    _one_line_error(capsys, ["query", "treatments-for-subtype", "--param", "subtype=dermatomyositis"], "not a calcinosis")


def test_vocabulary_outside_its_list(capsys):
    _one_line_error(capsys, ["query", "external-codes", "--param", "vocabulary=RxNorm"], "is not one of")


# ------------------------------------------------------------------------------ injection
HOSTILE = [
    'JDM" } ; DROP ALL ; #',
    "JDM' } DROP ALL { '",
    "JDM > 1",
    "} ; DROP ALL",
    "{ ?s ?p ?o }",
    "<http://x> } DROP ALL {",
    "http://x> } DROP ALL { <http://y",
    "ckg:JuvenileDermatomyositis> } DROP ALL {",
    "juvenile dermatomyositis\\u0022 } DROP ALL { \\u0022",
    'juvenile dermatomyositis"^^<http://x>',
    "JDM\n} DROP ALL {",
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("name, param", [("treatments-effective-in", "condition"), ("case-timeline", "case"),
                                         ("cohort-summary", "report"), ("external-codes", "vocabulary"),
                                         ("unmapped-terms", "vocabulary"), ("literature-claims", "treatment")])
def test_hostile_parameter_is_rejected(name, param, value, graph, store, capsys):
    before = len(graph)
    for engine, source in (("rdflib", graph), ("oxigraph", store)):
        with pytest.raises(UsageError):
            Q.run(name, {param: value}, engine=engine, source=source)
    assert main(["query", name, "--param", f"{param}={value}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("calcikg: error:")
    assert len(graph) == before


@pytest.mark.parametrize("text", ['a " } ; DROP ALL ; "', "x' } DROP ALL { '", "} ; DROP ALL", "a > b",
                                  "{ ?s ?p ?o }", "<http://x> } DROP ALL {", "# comment", "é ✓ 𝔸"])
def test_string_values_travel_as_one_plain_literal(text):
    """A string parameter is escaped into one literal: the engine gets back exactly that string."""
    import pyoxigraph
    from rdflib import Graph

    value = Q.Value(text)
    sent = Q.with_values("SELECT ?v WHERE { }", {"v": value})
    assert sent.count("VALUES") == 1
    store = pyoxigraph.Store()
    assert [s["v"].value for s in store.query(sent)] == [text]
    assert [str(r[0]) for r in Graph().query(sent)] == [text]


@pytest.mark.parametrize("text", ["a\\u0022 } DROP ALL { \\u0022", "back\\slash", "new\nline", "tab\there",
                                  "nul\x00"])
def test_backslashes_and_control_characters_are_refused(text):
    with pytest.raises(UsageError):
        Q.Value(text).sparql()
    with pytest.raises(UsageError):
        Q.with_values("SELECT ?v WHERE { }", {"v": Q.Value(text)})
    q = Q.get_query("external-codes")
    with pytest.raises(UsageError):
        Q.resolve_params(q, {"vocabulary": text}, Q.load_store())


@pytest.mark.parametrize("iri", ["http://x> } DROP ALL { <http://y", "http://x/a b", 'http://x/"', "http://x/{}",
                                 "http://x/\\u003E", "http://x/|", "http://x/^", "http://x/`", "http://x/\n"])
def test_hostile_iris_are_refused(iri):
    with pytest.raises(UsageError):
        Q.Value(iri, is_iri=True).sparql()
    with pytest.raises(UsageError):
        Q.with_values("SELECT ?v WHERE { }", {"v": Q.Value(iri, is_iri=True)})


def test_sparql_term_of_plain_values():
    assert Q.Value("https://w3id.org/calcikg/JuvenileDermatomyositis", is_iri=True).sparql() == \
        "<https://w3id.org/calcikg/JuvenileDermatomyositis>"
    assert Q.Value("SNOMED CT").sparql() == '"SNOMED CT"'
    assert Q.Value('say "x"').sparql() == '"say \\"x\\""'
    assert Q.Value("42", datatype=Q.XSD_INTEGER).sparql() == "42"
    if hasattr(Q, "sparql_term"):  # older name of the same function
        from rdflib import Literal, URIRef

        assert Q.sparql_term(URIRef("http://x/y")) == "<http://x/y>"
        with pytest.raises(UsageError):
            Q.sparql_term(URIRef("http://x> } DROP ALL {"))
        with pytest.raises(UsageError):
            Q.sparql_term(Literal("a\\u0022"))


def test_with_values_opens_the_outer_where_group():
    q = Q.get_query("conflicting-evidence")
    sent = Q.with_values(q.text, {"treatment": Q.Value("https://w3id.org/calcikg/Pamidronate", is_iri=True)})
    where = re.search(r"^WHERE \{", sent, re.MULTILINE)
    assert where and sent[where.end():].lstrip().startswith("VALUES ?treatment { <https://w3id.org/calcikg/Pamidronate> }")
    assert sent.count("VALUES ?treatment") == 1
    # nothing else of the text changed
    assert sent.replace("\n  VALUES ?treatment { <https://w3id.org/calcikg/Pamidronate> }", "", 1) == q.text
    # a '#+ description' mentioning WHERE { is a comment and is skipped
    text = "#+ summary: WHERE { here }\nSELECT ?x WHERE { ?x ?p ?o }"
    assert Q.with_values(text, {"x": Q.Value("a")}).startswith("#+ summary: WHERE { here }\nSELECT ?x WHERE {\n  VALUES ?x")
    assert Q.with_values(text, {}) == text
    with pytest.raises(CalciKGError):
        Q.with_values("ASK {}", {"x": Q.Value("a")})
