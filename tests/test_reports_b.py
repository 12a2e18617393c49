"""Facts of six further reports (curator b, issue #15), read from their stored texts, not from the records.

The texts are the stored copies of the reports' pages (not committed: none prints a licence), each
named by its record's url: Lee et al. 2012, Lobo et al. (no year printed), Lu et al. 2022,
Sanguankeo et al. 2017, Ben Fatma et al. 2014 and Hattori et al. 2018. Every query is restricted to
one report's IRI, so the tests hold with any other reports in the graph. Run ``calcikg build`` first
(the ``graph`` fixture reads kg/calcikg.ttl).
"""

from __future__ import annotations

import pytest

from conftest import DATA, local, rows

REPORTS = ("lee2012", "lobond", "lu2022", "sanguankeo2017", "benfatma2014", "hattori2018")




# -- cases: number, age with unit, sex (read from each text) ---------------------------------------------
CASES = {
    "lee2012": {1: (51.0, "Year", "Female")},          # "A 51-year-old woman"
    "lobond": {1: (55.0, "Year", "Female")},           # "a 55-year-old woman"
    "lu2022": {1: (40.0, "Year", "Male")},             # "a 40-year-old Chinese male patient"
    "sanguankeo2017": {1: (43.0, "Year", "Female")},   # "A 43-year-old female"
    "benfatma2014": {1: (83.0, "Year", "Female")},     # "an 83-year-old female"
    "hattori2018": {1: (74.0, "Year", "Male")},        # "A 74-year-old man"
}


@pytest.mark.parametrize("report", REPORTS)
def test_cases_ages_and_sexes(graph, report):
    found = {int(r[0]): (float(r[1]) if r[1] is not None else None, local(r[2]), local(r[3]))
             for r in rows(graph, f"""SELECT ?n ?v ?u ?sex WHERE {{
                 ?c a ckg:PatientCase ; ckg:describedIn <{DATA}{report}> ; ckg:caseNumber ?n ; ckg:sex ?sex .
                 OPTIONAL {{ ?c ckg:ageAtPresentation ?a . ?a ckg:numericValue ?v ; ckg:unit ?u }} }}""")}
    assert found == CASES[report]


# -- calcinosis type and diseases with their roles --------------------------------------------------------
# (condition, role or None for a calcinosis type, certainty or None)
DIAGNOSES = {
    # abstract: dystrophic calcinosis cutis, a complication of adult dermatomyositis, led to the
    # diagnosis of dermatomyositis and of a lung adenocarcinoma; the pelvic ultrasound found a teratoma
    "lee2012": {("DystrophicCalcinosisCutis", None, None), ("Dermatomyositis", "UnderlyingCondition", None),
                ("LungAdenocarcinoma", "CoexistingCondition", None), ("OvarianTeratoma", "CoexistingCondition", None)},
    # abstract: dermatomyositis with dystrophic calcinosis
    "lobond": {("DystrophicCalcinosisCutis", None, None), ("Dermatomyositis", "UnderlyingCondition", None)},
    # case presentation: ESRD on peritoneal dialysis, calciphylaxis (typical of ESRD on dialysis)
    "lu2022": {("Calciphylaxis", None, None), ("ChronicRenalFailure", "UnderlyingCondition", None)},
    # a nondialysis patient: no disease is tied to the calciphylaxis in the stored text
    "sanguankeo2017": {("Calciphylaxis", None, None)},
    # "diagnosis ... was confirmed by the histological examination"; CKD (advanced renal failure)
    "benfatma2014": {("IatrogenicCalcinosisCutis", None, "Confirmed"),
                     ("ChronicKidneyDisease", "UnderlyingCondition", None),
                     ("MultipleMyeloma", "CoexistingCondition", None)},
    # calcium-containing heparin "in a patient with SLE without renal failure"
    "hattori2018": {("IatrogenicCalcinosisCutis", None, None),
                    ("SystemicLupusErythematosus", "CoexistingCondition", None)},
}


@pytest.mark.parametrize("report", REPORTS)
def test_diagnoses_roles_and_certainty(graph, report):
    found = {(local(r[0]), local(r[1]), local(r[2])) for r in rows(graph, f"""SELECT ?cond ?role ?cert WHERE {{
        ?c ckg:describedIn <{DATA}{report}> ; ckg:hasDiagnosis ?d . ?d ckg:condition ?cond .
        OPTIONAL {{ ?d ckg:diagnosisRole ?role }} OPTIONAL {{ ?d ckg:certainty ?cert }} }}""")}
    assert found == DIAGNOSES[report]


# -- causes named by the report ---------------------------------------------------------------------------
CAUSES = {
    "lee2012": set(), "lobond": set(), "lu2022": set(), "sanguankeo2017": set(),
    "benfatma2014": {"CalciumNadroparin"},          # injection sites of Calciparin (calcium nadroparin)
    "hattori2018": {"CalciumContainingHeparin"},    # injection sites of calcium-containing heparin
}


@pytest.mark.parametrize("report", REPORTS)
def test_causes(graph, report):
    found = {local(r[0]) for r in rows(graph, f"""SELECT ?agent WHERE {{
        ?s a ckg:CauseStatement ; ckg:ofCase ?c ; ckg:causalAgent ?agent .
        ?c ckg:describedIn <{DATA}{report}> }}""")}
    assert found == CAUSES[report]


def test_causes_are_not_treatment_episodes(graph):
    for report, agents in CAUSES.items():
        for agent in agents:
            assert not rows(graph, f"""SELECT ?e WHERE {{ ?e ckg:ofCase ?c ; ckg:intervention ckg:{agent} .
                ?c ckg:describedIn <{DATA}{report}> }}"""), (report, agent)


# -- treatment episodes: number -> (agent, calcinosis outcome or None) ------------------------------------
EPISODES = {
    # carboplatin + pemetrexed, whole-brain radiotherapy for the cancer; nothing said of the calcinosis
    "lee2012": {1: ("Carboplatin", None), 2: ("Pemetrexed", None), 3: ("Radiotherapy", None)},
    # combinations "have not prevented progression of nodule formation"
    "lobond": {1: ("Prednisone", "Worsening"), 2: ("Hydroxychloroquine", "Worsening"),
               3: ("Chloroquine", "Worsening")},
    # "managed successfully for 6 months"
    "lu2022": {1: ("SodiumThiosulfate", "ImprovementDegreeNotStated")},
    # antibiotics and debridement (no result); steroids: "did not respond"; oxygen + STS intralesional and
    # intravenous for 6 months: "remarkably reduced in size"
    "sanguankeo2017": {1: ("Antibiotic", None), 2: ("SurgicalDebridement", None),
                       3: ("Corticosteroid", "NoSignificantImprovement"), 4: ("OxygenTherapy", "PartialImprovement"),
                       5: ("SodiumThiosulfate", "PartialImprovement"), 6: ("SodiumThiosulfate", "PartialImprovement")},
    # "completely disappeared after discontinuing calcium nadroparin injections"
    "benfatma2014": {1: ("DiscontinuationOfCausativeDrug", "CompleteRegression")},
    # the stored text stops before any treatment
    "hattori2018": {},
}


@pytest.mark.parametrize("report", REPORTS)
def test_episodes_agents_and_outcomes(graph, report):
    found = {int(r[0]): (local(r[1]), local(r[2])) for r in rows(graph, f"""SELECT ?n ?agent ?o WHERE {{
        ?e a ckg:TreatmentEpisode ; ckg:ofCase ?c ; ckg:episodeNumber ?n ; ckg:intervention ?agent .
        ?c ckg:describedIn <{DATA}{report}> . OPTIONAL {{ ?e ckg:calcinosisOutcome ?o }} }}""")}
    assert found == EPISODES[report]


def test_sanguankeo_sodium_thiosulfate_routes(graph):
    """'sodium thiosulfate intralesionally and intravenously': one episode per route, no route guessed elsewhere."""
    found = {(int(r[0]), local(r[1])) for r in rows(graph, f"""SELECT ?n ?route WHERE {{
        ?e ckg:ofCase <{DATA}sanguankeo2017-case1> ; ckg:episodeNumber ?n ; ckg:route ?route }}""")}
    assert found == {(1, "IntravenousRoute"), (5, "IntralesionalRoute"), (6, "IntravenousRoute")}


def test_lee_cancer_treatment_progressed(graph):
    """'with progression of the brain metastases': the disease outcome, not a calcinosis outcome."""
    found = {local(r[0]) for r in rows(graph, f"""SELECT ?o WHERE {{
        ?e ckg:ofCase <{DATA}lee2012-case1> ; ckg:diseaseOutcome ?o }}""")}
    assert found == {"Worsening"}


# -- hedged wording -------------------------------------------------------------------------------------
HEDGED = ["sanguankeo2017-conclusion-oxygen-nondialysis",          # "could potentially be effective"
          "sanguankeo2017-conclusion-sodium-thiosulfate-nondialysis",
          "lu2022-conclusion-timely-multi-angle-treatment",         # "Our experience suggests"
          "lobond-dystrophic-ctd-local-process",                    # "it seems to be a localized process"
          "benfatma2014-calcium-heparin-pathogenesis"]              # "not well established but is attributed"


@pytest.mark.parametrize("sid", HEDGED)
def test_hedged_wording_is_data(graph, sid):
    assert [bool(r[0].toPython()) for r in rows(graph, f"SELECT ?h WHERE {{ <{DATA}{sid}> ckg:hedged ?h }}")] == [True]


# -- what was read, and no reference list ------------------------------------------------------------------
READ = {"lee2012": "PartialTextCurated", "lobond": "PartialTextCurated", "lu2022": "PartialTextCurated",
        "sanguankeo2017": "PartialTextCurated", "benfatma2014": "AbstractOnlyCurated",
        "hattori2018": "PartialTextCurated"}


@pytest.mark.parametrize("report", REPORTS)
def test_what_was_read_and_no_references(graph, report):
    extent = [local(r[0]) for r in rows(graph, f"SELECT ?e WHERE {{ <{DATA}{report}> ckg:curationExtent ?e }}")]
    assert extent == [READ[report]]
    assert rows(graph, f"SELECT ?n WHERE {{ <{DATA}{report}> ckg:curationNote ?n }}")
    # none of the stored texts prints its reference list: no reference, no cited claim
    assert not rows(graph, f"SELECT ?r WHERE {{ ?r ckg:inReferenceListOf <{DATA}{report}> }}")
    assert not rows(graph, f"""SELECT ?ev WHERE {{ ?ev prov:wasDerivedFrom <{DATA}{report}> ;
        ckg:evidenceKind ckg:CitedLiteratureClaim }}""")


def test_lobo_prints_no_year(graph):
    assert not rows(graph, f"SELECT ?y WHERE {{ <{DATA}lobond> <http://purl.org/spar/fabio/hasPublicationYear> ?y }}")


# -- every statement of each report has its locator ------------------------------------------------------------
@pytest.mark.parametrize("report", REPORTS)
def test_every_statement_has_a_locator(graph, report):
    statements = rows(graph, f"""SELECT DISTINCT ?s WHERE {{ ?s a/rdfs:subClassOf* ckg:ClinicalStatement ;
        ckg:hasEvidence/prov:wasDerivedFrom <{DATA}{report}> }}""")
    assert statements
    orphans = rows(graph, f"""SELECT ?s WHERE {{ ?s a/rdfs:subClassOf* ckg:ClinicalStatement ;
        ckg:hasEvidence ?ev . ?ev prov:wasDerivedFrom <{DATA}{report}> .
        FILTER NOT EXISTS {{ ?ev ckg:locator ?l }} }}""")
    assert not orphans, [str(r[0]) for r in orphans]
