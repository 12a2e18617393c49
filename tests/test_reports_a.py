"""Facts of six curated reports (issue #15, curator a), read from the stored texts of the reports.

bair2011, delgadomarquez2015, heffernan2008, robertson2003, conde2021 and costasousand: every
expected value below was read from the report's stored text (not from its record); the comment
beside each says where. Every query is filtered by the report's IRI, so the tests hold with any
other reports in the graph. The graph is kg/calcikg.ttl: run `calcikg build` first.
"""

from __future__ import annotations

import pytest

from conftest import DATA, local, rows

REPORTS = ("bair2011", "delgadomarquez2015", "heffernan2008", "robertson2003", "conde2021", "costasousand")




# -- cases: number, age with its unit, sex ------------------------------------------------------------
# bair2011: the abstract reports two cases; case 1 is a 74-year-old female; case 2 is not in the
#   stored text (neither age nor sex).
# delgadomarquez2015: "a 78-year-old woman". heffernan2008: "A 56-year-old woman".
# robertson2003: nine patients, but no individual patient in the stored text (table 1 not stored).
# conde2021: "a 68-year-old patient", "she". costasousand: "a 49 years old woman".
CASES = {
    "bair2011": {1: ("Female", 74.0, "Year"), 2: ("SexNotStated", None, None)},
    "delgadomarquez2015": {1: ("Female", 78.0, "Year")},
    "heffernan2008": {1: ("Female", 56.0, "Year")},
    "robertson2003": {},
    "conde2021": {1: ("Female", 68.0, "Year")},
    "costasousand": {1: ("Female", 49.0, "Year")},
}


@pytest.mark.parametrize("report", CASES)
def test_cases_ages_and_sexes(graph, report):
    found = {int(r[0]): (local(r[1]), float(r[2]) if r[2] is not None else None, local(r[3]) if r[3] is not None else None)
             for r in rows(graph, f"""SELECT ?n ?sex ?v ?u WHERE {{
                 ?c a ckg:PatientCase ; ckg:describedIn <{DATA}{report}> ; ckg:caseNumber ?n ; ckg:sex ?sex .
                 OPTIONAL {{ ?c ckg:ageAtPresentation ?a . ?a ckg:numericValue ?v ; ckg:unit ?u }} }}""")}
    assert found == CASES[report]


# -- diagnoses: calcinosis types (no role) and diseases with their roles -----------------------------
# bair2011: "two cases of ulcerative calcinosis cutis" (abstract); case 1's history: multiple
#   sclerosis (not tied to the calcinosis).
# delgadomarquez2015: "consistent with dystrophic calcification", the leg ulcer "secondary to" it;
#   the 2009 biopsy "calcified scleroderma" ties it to scleroderma; lupus findings and the overlap
#   syndrome are her other diagnoses.
# heffernan2008: "Dystrophic Calcification" (title) in a woman with CREST syndrome.
# conde2021: "diffuse calcinosis" in limited cutaneous systemic scleroderma (title and abstract).
# costasousand: dystrophic calcinosis cutis "associated with" SLE (title, abstract).
DIAGNOSES = {
    "bair2011-case1": {("UlceratedCalcinosisCutis", None), ("MultipleSclerosis", "CoexistingCondition")},
    "bair2011-case2": {("UlceratedCalcinosisCutis", None)},
    "delgadomarquez2015-case1": {("DystrophicCalcinosisCutis", None), ("UlceratedCalcinosisCutis", None),
                                 ("SystemicSclerosis", "UnderlyingCondition"),
                                 ("SystemicLupusErythematosus", "CoexistingCondition"),
                                 ("OverlapSyndrome", "CoexistingCondition")},
    "heffernan2008-case1": {("DystrophicCalcinosisCutis", None), ("CRESTSyndrome", "UnderlyingCondition")},
    "conde2021-case1": {("DiffuseCalcinosisCutis", None), ("LimitedCutaneousSystemicSclerosis", "UnderlyingCondition")},
    "costasousand-case1": {("DystrophicCalcinosisCutis", None), ("SystemicLupusErythematosus", "UnderlyingCondition")},
}


@pytest.mark.parametrize("case", DIAGNOSES)
def test_diagnoses_and_roles(graph, case):
    found = {(local(r[0]), local(r[1]) if r[1] is not None else None) for r in rows(graph, f"""SELECT ?cond ?role WHERE {{
        <{DATA}{case}> ckg:hasDiagnosis ?d . ?d ckg:condition ?cond . OPTIONAL {{ ?d ckg:diagnosisRole ?role }} }}""")}
    assert found == DIAGNOSES[case]


def test_only_the_biopsy_confirmed_diagnosis_has_a_certainty(graph):
    """costasousand: "the skin biopsy confirmed the diagnosis of DCC"; no other report states a certainty."""
    found = set()
    for report in REPORTS:
        found |= {(local(r[0]), local(r[1]), local(r[2])) for r in rows(graph, f"""SELECT ?c ?cond ?cert WHERE {{
            ?c ckg:describedIn <{DATA}{report}> ; ckg:hasDiagnosis ?d . ?d ckg:condition ?cond ; ckg:certainty ?cert }}""")}
    assert found == {("costasousand-case1", "DystrophicCalcinosisCutis", "Confirmed")}


@pytest.mark.parametrize("report", REPORTS)
def test_no_cause_is_named(graph, report):
    """None of the stored texts names a cause or trigger of a patient's calcinosis."""
    assert not rows(graph, f"""SELECT ?x WHERE {{ ?x a ckg:CauseStatement ; ckg:hasEvidence/prov:wasDerivedFrom <{DATA}{report}> }}""")


# -- treatment episodes in order: agent and calcinosis outcome (None: no outcome) --------------------
# bair2011 case 1: earlier failed xenograft (Oasis) and bilayered allograft (Apligraf) under
#   compressive dressings; both cases "did not improve with correction of underlying electrolyte
#   abnormalities"; both "showed an excellent response" to topical 25% sodium thiosulfate.
# delgadomarquez2015: oral corticosteroids with antibiotic courses; bosentan stopped (poor tolerance);
#   topical sodium thiosulfate and acetic acid ("initially improved", not graded for the calcinosis);
#   sildenafil for digital ulcers; excision in June 2010 (text breaks off); lithotripsy named only in
#   the title: no outcome anywhere.
# heffernan2008: D-penicillamine (30 weeks), warfarin sodium (13 weeks), lithotripsy "did not result
#   in any improvement"; intravenous immunoglobulin named only in the title: no outcome.
# conde2021: calcium channel blockers, colchicine, then bisphosphonates "with no effect on calcinosis".
# costasousand: diltiazem 240 mg/day, "a significant regression" (no degree of completeness).
NSI, IMP = "NoSignificantImprovement", "ImprovementDegreeNotStated"
EPISODES = {
    "bair2011-case1": [("SkinSubstituteGraft", NSI), ("SkinSubstituteGraft", NSI),
                       ("CorrectionOfElectrolyteAbnormalities", NSI), ("SodiumThiosulfate", IMP)],
    "bair2011-case2": [("CorrectionOfElectrolyteAbnormalities", NSI), ("SodiumThiosulfate", IMP)],
    "delgadomarquez2015-case1": [("Corticosteroid", None), ("Antibiotic", None), ("Bosentan", None),
                                 ("SodiumThiosulfate", None), ("AceticAcid", None), ("Sildenafil", None),
                                 ("SurgicalExcision", None), ("Lithotripsy", None)],
    "heffernan2008-case1": [("Penicillamine", NSI), ("Warfarin", NSI), ("Lithotripsy", NSI),
                            ("IntravenousImmunoglobulin", None)],
    "conde2021-case1": [("CalciumChannelBlocker", NSI), ("Colchicine", NSI), ("Bisphosphonate", NSI)],
    "costasousand-case1": [("Diltiazem", IMP)],
}


@pytest.mark.parametrize("case", EPISODES)
def test_episodes_in_order_with_outcomes(graph, case):
    found = [(local(r[1]), local(r[2]) if r[2] is not None else None) for r in rows(graph, f"""SELECT ?n ?t ?o WHERE {{
        ?e ckg:ofCase <{DATA}{case}> ; ckg:episodeNumber ?n ; ckg:intervention ?t .
        OPTIONAL {{ ?e ckg:calcinosisOutcome ?o }} }} ORDER BY ?n""")]
    assert found == EPISODES[case]


def test_topical_routes_as_printed(graph):
    """bair2011: topical sodium thiosulfate; delgadomarquez2015: topical thiosulfate and acetic acid, oral corticosteroids."""
    found = {(local(r[0]), local(r[1])) for r in rows(graph, f"""SELECT ?e ?route WHERE {{ ?e ckg:route ?route ; ckg:ofCase ?c .
        {{ ?c ckg:describedIn <{DATA}bair2011> }} UNION {{ ?c ckg:describedIn <{DATA}delgadomarquez2015> }} }}""")}
    assert found == {("bair2011-case1-ep4", "TopicalRoute"), ("bair2011-case2-ep2", "TopicalRoute"),
                     ("delgadomarquez2015-case1-ep1", "OralRoute"), ("delgadomarquez2015-case1-ep4", "TopicalRoute"),
                     ("delgadomarquez2015-case1-ep5", "TopicalRoute")}


def test_heffernan_durations(graph):
    found = {local(r[0]): (float(r[1]), local(r[2])) for r in rows(graph, f"""SELECT ?e ?v ?u WHERE {{
        ?e ckg:ofCase <{DATA}heffernan2008-case1> ; ckg:duration ?d . ?d ckg:numericValue ?v ; ckg:unit ?u }}""")}
    assert found == {"heffernan2008-case1-ep1": (30.0, "Week"), "heffernan2008-case1-ep2": (13.0, "Week")}


def test_costasousa_diltiazem_dose(graph):
    found = rows(graph, f"""SELECT ?v ?u WHERE {{ <{DATA}costasousand-case1-ep1> ckg:hasDose ?d .
        ?d ckg:numericValue ?v ; ckg:unit ?u }}""")
    assert [(float(r[0]), local(r[1])) for r in found] == [(240.0, "MilligramPerDay")]


# -- robertson2003: a series without individual patients -----------------------------------------------
# Abstract, Results: nine patients treated, eight ANA positive, five of them anticentromere positive,
# eight with definite improvement. Results, paragraph 1: all female, mean age 66.2 years.
def test_robertson_cohort_figures(graph):
    found = {(local(r[0]), local(r[1]) if r[1] is not None else None, float(r[2])) for r in rows(graph, f"""SELECT ?m ?about ?v WHERE {{
        ?s ckg:cohortOf <{DATA}robertson2003> ; ckg:cohortMeasure ?m ; ckg:statedValue/ckg:numericValue ?v .
        OPTIONAL {{ ?s ckg:aboutTerm ?about }} }}""")}
    assert found == {("NumberOfPatientsTreated", "Minocycline", 9.0), ("PercentFemale", None, 100.0),
                     ("MeanAge", None, 66.2), ("NumberOfPatientsWithPositiveResult", "AntinuclearAntibodies", 8.0),
                     ("NumberOfPatientsWithPositiveResult", "AnticentromereAntibodies", 5.0)}


def test_robertson_minocycline_claims(graph):
    """Results: 8 of 9 improved (a response in some patients); Conclusions: "may be effective" (hedged)."""
    found = {(local(r[0]), local(r[1]) if r[1] is not None else None, bool(r[2].toPython()) if r[2] is not None else False)
             for r in rows(graph, f"""SELECT ?s ?o ?h WHERE {{
                 ?s a ckg:TreatmentClaim ; ckg:intervention ckg:Minocycline ;
                    ckg:hasEvidence/prov:wasDerivedFrom <{DATA}robertson2003> .
                 OPTIONAL {{ ?s ckg:calcinosisOutcome ?o }} OPTIONAL {{ ?s ckg:hedged ?h }} }}""")}
    assert found == {("robertson2003-minocycline-lcssc-series", "ResponseInSomePatients", False),
                     ("robertson2003-minocycline-may-control-ssc-calcinosis", IMP, True),
                     ("robertson2003-minocycline-low-dose-tolerated", None, True)}
    population = rows(graph, f"""SELECT ?n ?sex WHERE {{ <{DATA}robertson2003-minocycline-lcssc-series> ckg:population ?p .
        ?p ckg:numberOfPatients ?n ; ckg:sex ?sex }}""")
    assert [(int(r[0]), local(r[1])) for r in population] == [(9, "Female")]


# -- statements and locators ------------------------------------------------------------------------
@pytest.mark.parametrize("report", REPORTS)
def test_every_statement_and_case_has_a_locator(graph, report):
    items = rows(graph, f"""SELECT ?s WHERE {{
        {{ ?s a/rdfs:subClassOf* ckg:ClinicalStatement }} UNION {{ ?s a ckg:PatientCase }}
        FILTER(STRSTARTS(STR(?s), "{DATA}{report}-")) }}""")
    assert items
    orphans = rows(graph, f"""SELECT ?s WHERE {{
        {{ ?s a/rdfs:subClassOf* ckg:ClinicalStatement }} UNION {{ ?s a ckg:PatientCase }}
        FILTER(STRSTARTS(STR(?s), "{DATA}{report}-"))
        FILTER NOT EXISTS {{ ?s ckg:hasEvidence ?ev . ?ev prov:wasDerivedFrom <{DATA}{report}> ; ckg:locator ?l }} }}""")
    assert not orphans, [str(r[0]) for r in orphans]


@pytest.mark.parametrize("report", REPORTS)
def test_no_reference_list_so_no_cited_claims(graph, report):
    """No stored text includes its reference list: no reference, and no statement is a cited claim."""
    assert not rows(graph, f"SELECT ?x WHERE {{ ?x ckg:inReferenceListOf <{DATA}{report}> }}")
    assert not rows(graph, f"""SELECT ?s WHERE {{ ?s ckg:hasEvidence ?ev . ?ev prov:wasDerivedFrom <{DATA}{report}> ;
        ckg:evidenceKind ckg:CitedLiteratureClaim }}""")


# bair2011 introduction: four types (dystrophic, metastatic, iatrogenic, idiopathic).
def test_bair_four_types(graph):
    found = {local(r[0]) for r in rows(graph, f"""SELECT ?t WHERE {{ ?s ckg:subtype ?t ; ckg:parentType ckg:CalcinosisCutis ;
        ckg:hasEvidence/prov:wasDerivedFrom <{DATA}bair2011> }}""")}
    assert found == {"DystrophicCalcinosisCutis", "MetastaticCalcinosisCutis", "IatrogenicCalcinosisCutis",
                     "IdiopathicCalcinosisCutis"}


# costasousand abstract: DCC in SLE is "fairly uncommon"; diagnosis and treatment "may be quite challenging".
def test_costasousa_association_and_hedges(graph):
    assoc = rows(graph, f"""SELECT ?s WHERE {{ ?s ckg:calcinosisType ckg:DystrophicCalcinosisCutis ;
        ckg:associatedCondition ckg:SystemicLupusErythematosus ; ckg:hasEvidence/prov:wasDerivedFrom <{DATA}costasousand> }}""")
    assert len(assoc) == 1
    hedged = {local(r[0]) for r in rows(graph, f"""SELECT ?s WHERE {{ ?s ckg:hedged true ;
        ckg:hasEvidence/prov:wasDerivedFrom <{DATA}costasousand> }}""")}
    assert hedged == {"costasousand-dystrophic-diagnosis-challenging", "costasousand-dystrophic-treatment-challenging"}


def test_read_extent(graph):
    found = {r: None for r in REPORTS}
    for r in rows(graph, "SELECT ?rep ?x WHERE { ?rep ckg:curationExtent ?x }"):
        if local(r[0]) in found:
            found[local(r[0])] = local(r[1])
    assert found == {"bair2011": "PartialTextCurated", "delgadomarquez2015": "PartialTextCurated",
                     "heffernan2008": "PartialTextCurated", "robertson2003": "PartialTextCurated",
                     "conde2021": "PartialTextCurated", "costasousand": "AbstractOnlyCurated"}
