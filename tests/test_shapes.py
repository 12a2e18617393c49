"""The SHACL shapes (shapes/calcikg-shapes.ttl, issue #5): the real graph conforms, and every rule
catches the error it is there for, with its own message, in pySHACL and in pyrudof.

How the broken graphs are made. Each case of :data:`CASES` breaks a copy of the real data the way
a curator would: where the record schema and the builder let the error through, by editing the
YAML data of a real record (``Mutation.edit_records``) and building it again; where they would
refuse it (a second intervention, a missing evidence, a corrupt DOI...), by editing the built
graph (``Mutation.add``/``remove``/``put``). The change is kept as a diff (triples added,
triples removed) and applied to one shared copy of the valid graph, then undone.

Why each case runs one node shape, aimed at one node. pySHACL needs about 5 s for the whole
file over the graph (it runs a SPARQL constraint as one parsed query per focus node); 170 cases
would take many minutes. So each case takes the node shape that owns the expected constraint, cut
out of the shapes file with everything it refers to (:func:`shapes_for`: the same triples), and
aims it at the broken node (its targets become one sh:targetNode, :func:`aimed_at`). pySHACL then
runs it over the whole broken graph (ontology included), so every path, hierarchy climb and
SPARQL query sees all the data. That the shape's real target declaration reaches the node is
checked on its own (:func:`targets`), and the whole file runs on the valid graph in
``test_committed_graph_conforms`` and ``test_fresh_build_conforms``. (pySHACL's ``use_shapes``
and ``focus_nodes`` options are not used: in pySHACL 0.40 ``use_shapes`` drops the property
shapes of the listed node shapes, and ``focus_nodes`` also filters the value nodes of nested
shapes, so that ``sh:not [ sh:hasValue ... ]`` gives wrong results.)

pyrudof, the second engine, gets the same graphs and the same aimed shapes and must report the
same verdicts and the same (focus node, shape) pairs; it also runs the whole shapes file on every
broken graph, which checks its own handling of the real targets (subclasses, subjects-of). What
it cannot evaluate is listed in :data:`PYRUDOF_CANNOT` (empty today); such cases are expected
failures (xfail, strict), so a pyrudof that learns them shows up as an XPASS. (Patient names are
not a shape: src/calcikg/privacy.py, tests/test_privacy.py.) The pyrudof tests, and the sample
of whole-file pySHACL runs, are marked slow (about a minute and a half together).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SH

from calcikg import paths

CKG = Namespace("https://w3id.org/calcikg/")
CKD = Namespace("https://w3id.org/calcikg/data/")
CKSH = Namespace("https://w3id.org/calcikg/shapes/")
PROV = Namespace("http://www.w3.org/ns/prov#")
BIBO = Namespace("http://purl.org/ontology/bibo/")
# a plain namespace: rdflib's XSD warns when pytest probes module attributes
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
FABIO = Namespace("http://purl.org/spar/fabio/")

RESOURCES = Path(__file__).resolve().parent / "resources" / "shapes"

PREFIXES = """
PREFIX ckg: <https://w3id.org/calcikg/>
PREFIX ckd: <https://w3id.org/calcikg/data/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX fabio: <http://purl.org/spar/fabio/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""

#: What pyrudof (0.3.35) cannot evaluate among the rules aimed at one by one: nothing since the
#: label-uniqueness rules became SPARQL-based constraints (their core form used the path
#: rdfs:label/^rdfs:label, and pyrudof does not follow an inverse step from a literal).
PYRUDOF_CANNOT: dict[str, str] = {}


# ------------------------------------------------------------------------------------- engines
@dataclass(frozen=True)
class Result:
    """One validation result, engine-neutral."""

    focus: str
    shape: str
    constraint: str  # the SPARQL constraint for sh:sparql results, else the shape
    message: str


def owner_of(shapes: Graph, constraint: URIRef) -> URIRef:
    """The targeted node shape a named property shape or SPARQL constraint belongs to."""
    for prop in (SH.property, SH.sparql):
        owner = shapes.value(None, prop, constraint)
        if owner is not None:
            return owner
    return constraint


def shapes_for(shapes: Graph, node_shape: URIRef) -> Graph:
    """``node_shape`` with everything it refers to (property shapes, lists, term shapes, prefixes)."""
    out = Graph()
    todo, seen = [node_shape, URIRef(str(CKSH))], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in shapes.predicate_objects(node):
            out.add((node, p, o))
            if isinstance(o, BNode) or (isinstance(o, URIRef) and o.startswith(str(CKSH))):
                todo.append(o)
    return out


TARGETS = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.target)


def aimed_at(shapes: Graph, node_shape: URIRef, focus: URIRef) -> Graph:
    """``shapes`` with the targets of ``node_shape`` replaced by ``sh:targetNode focus``."""
    out = Graph()
    for t in shapes:
        if not (t[0] == node_shape and t[1] in TARGETS):
            out.add(t)
    out.add((node_shape, SH.targetNode, focus))
    return out


def targets(data: Graph, shapes: Graph, node_shape: URIRef) -> set:
    """The focus nodes the target declarations of ``node_shape`` select in ``data`` (SHACL 2.1.3)."""
    found = set()
    for cls in shapes.objects(node_shape, SH.targetClass):  # rdf:type/rdfs:subClassOf*
        for sub in data.transitive_subjects(RDFS.subClassOf, cls):
            found |= set(data.subjects(RDF.type, sub))
    for prop in shapes.objects(node_shape, SH.targetSubjectsOf):
        found |= set(data.subjects(prop, None))
    for prop in shapes.objects(node_shape, SH.targetObjectsOf):
        found |= set(data.objects(None, prop))
    found |= set(shapes.objects(node_shape, SH.targetNode))
    for target in shapes.objects(node_shape, SH.target):  # SHACL-AF SPARQL-based target
        query = str(shapes.value(target, SH.select))
        found |= {r[0] for r in data.query(PREFIXES + query)}
    return found


def run_pyshacl(data: Graph, shapes: Graph) -> tuple[bool, list[Result]]:
    """pySHACL as ``calcikg validate`` runs it, on ``data`` in place (it is not changed)."""
    import pyshacl

    size = len(data)
    conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, inplace=True,
        abort_on_first=False, allow_warnings=False,
    )
    assert len(data) == size, "pySHACL changed the data graph"
    results = []
    for r in report.objects(None, SH.result):  # top-level results only, not sh:detail
        shape = report.value(r, SH.sourceShape)
        constraint = report.value(r, SH.sourceConstraint)
        results.append(Result(str(report.value(r, SH.focusNode)), str(shape),
                              str(constraint if constraint is not None else shape),
                              str(report.value(r, SH.resultMessage) or "")))
    return conforms, results


def _nt(term) -> str:
    """A term as pyrudof's add_triples wants it (N-Triples syntax)."""
    if isinstance(term, Literal):
        text = '"' + (str(term).replace("\\", "\\\\").replace('"', '\\"')
                      .replace("\n", "\\n").replace("\r", "\\r")) + '"'
        if term.language:
            return f"{text}@{term.language}"
        return f"{text}^^<{term.datatype}>" if term.datatype else text
    return term.n3()


# ------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(paths.SHAPES, format="turtle")


@pytest.fixture(scope="module")
def valid_data(records, terms) -> Graph:
    """The instance triples the real records give (no ontology)."""
    from calcikg.graph import build_data

    return build_data(records, terms)


@pytest.fixture(scope="module")
def valid_graph(ontology, valid_data) -> Graph:
    """Ontology + mappings + the HPO terms the records use + instances, as in kg/calcikg.ttl; cases change
    it and undo the change."""
    from calcikg.hpo import imported_terms

    g = Graph()
    g += ontology
    g += imported_terms(ontology, valid_data)
    g += valid_data
    return g


@pytest.fixture(scope="module")
def rudof(valid_graph):
    """A pyrudof session holding the valid graph; cases stage their change and roll it back."""
    pyrudof = pytest.importorskip("pyrudof")
    session = pyrudof.Rudof(pyrudof.RudofConfig())
    session.read_data(valid_graph.serialize(format="nt"), format=pyrudof.RDFFormat.NTriples)
    return session


def run_pyrudof(session, shapes: Graph, change: Change) -> tuple[bool, list[Result]]:
    session.read_shacl(shapes.serialize(format="turtle"))
    session.begin_staging()
    try:
        if change.removed:
            session.remove_triples([tuple(map(_nt, t)) for t in change.removed], strict_iris=True)
        if change.added:
            session.add_triples([tuple(map(_nt, t)) for t in change.added], strict_iris=True)
        report = session.validate_shacl()
    finally:
        session.rollback_staging()
    results = [Result(str(v.focus_node), str(v.source_shape), str(v.source_shape), str(v.message))
               for v in report.violations]
    return report.conforms, results


# ------------------------------------------------------------------------------------- mutations
@dataclass
class Change:
    """What a case did to the valid graph, and where the broken rule must show."""

    added: set = field(default_factory=set)
    removed: set = field(default_factory=set)
    focus: URIRef | None = None


#: Nodes picked in the valid graph, by pattern, and each record's own triples (the valid graph
#: is the same for every case: each one undoes its change).
_PICKS: dict[tuple[int, str], URIRef] = {}
_RECORD_TRIPLES: dict[tuple[int, str], set] = {}


class Mutation:
    """The toolbox a case uses to break the valid graph (read-only until :meth:`apply`)."""

    def __init__(self, graph: Graph, data: Graph, records, terms):
        self.g, self.data, self.records, self.terms = graph, data, records, terms
        self.change = Change()
        self.applied = False

    # graph-level edits, for errors the record schema or the builder would refuse
    def add(self, s, p, o) -> None:
        t = (s, p, o)
        if t in self.change.removed:
            self.change.removed.discard(t)
        elif t not in self.g:
            self.change.added.add(t)

    def remove(self, s, p=None, o=None) -> None:
        for t in list(self.g.triples((s, p, o))):
            self.change.removed.add(t)
        self.change.added = {t for t in self.change.added if not _matches(t, (s, p, o))}

    def put(self, s, p, o) -> None:
        """Replace every value of ``p`` on ``s`` by ``o``."""
        self.remove(s, p)
        self.add(s, p, o)

    def node(self, where: str) -> URIRef:
        """The first ``?x`` (in IRI order) matching the SPARQL pattern ``where``, instances only."""
        key = (id(self.g), where)
        if not self.applied and key in _PICKS:
            return _PICKS[key]
        rows = sorted({row[0] for row in self.g.query(
            PREFIXES + f"SELECT ?x WHERE {{ {where} FILTER (STRSTARTS(STR(?x), STR(ckd:))) }}")})
        assert rows, f"the {'broken' if self.applied else 'real'} data has no node matching: {where}"
        if not self.applied:
            _PICKS[key] = rows[0]
        return rows[0]

    def term(self, where: str) -> URIRef:
        """The first ``?t`` matching ``where`` (ontology terms)."""
        rows = sorted({row[0] for row in self.g.query(PREFIXES + f"SELECT ?t WHERE {{ {where} }}")})
        assert rows, f"no term matching: {where}"
        return rows[0]

    # record-level edits, for errors the schema and the builder let through
    def edit_records(self, edit: Callable[[dict], None]) -> None:
        """Edit deep copies of the records' YAML data (``{report id: data}``), rebuild, keep the diff.

        ``edit`` may add a record under a new report id: it is built as a file of that name.
        """
        from calcikg.graph import build_data
        from calcikg.records import Record

        originals = {r.data["report"]["id"]: r for r in self.records}
        by_id = {rid: copy.deepcopy(r.data) for rid, r in originals.items()}
        edit(by_id)
        # Only the records the edit touched are built again (records never refer to each other).
        changed = [rid for rid, data in by_id.items() if rid not in originals or data != originals[rid].data]
        assert changed, "the edit changed no record"
        new = set(build_data([Record(originals[rid].path if rid in originals else paths.RECORDS_DIR / f"{rid}.yaml",
                                     by_id[rid]) for rid in changed], self.terms))
        old, kept = set(), set()
        for rid, record in originals.items():
            key = (id(self.records), rid)
            if key not in _RECORD_TRIPLES:
                _RECORD_TRIPLES[key] = set(build_data([record], self.terms))
            (old if rid in changed else kept).update(_RECORD_TRIPLES[key])
        self.change.added |= {t for t in new - old if t not in self.g}
        self.change.removed |= {t for t in old - new - kept if t in self.g}

    def apply(self) -> None:
        self.applied = True
        for t in self.change.removed:
            self.g.remove(t)
        for t in self.change.added:
            self.g.add(t)

    def undo(self) -> None:
        self.applied = False
        for t in self.change.added:
            self.g.remove(t)
        for t in self.change.removed:
            self.g.add(t)


def _matches(t, pattern) -> bool:
    return all(p is None or p == x for x, p in zip(t, pattern))


# Record helpers: the YAML of a real record, found by what it holds rather than by position.
def statement(recs: dict, rid: str, sid: str) -> dict:
    return next(st for st in recs[rid]["statements"] if st["id"] == sid)


def first(items, test: Callable[[dict], bool]) -> dict:
    return next(i for i in items if test(i))


def all_doses(recs: dict):
    for rec in recs.values():
        for case in rec.get("cases", []):
            for ep in case.get("episodes", []):
                yield from ep.get("doses", [])
        for st in rec.get("statements", []):
            yield from st.get("doses", [])


def all_episodes(recs: dict):
    for rec in recs.values():
        for case in rec.get("cases", []):
            yield from case.get("episodes", [])


# Patterns picking a node of the real data (first in IRI order).
REPORT = "?x a ckg:CuratedReport ; bibo:doi ?doi ."
REPORT_WITH_LICENSE = "?x a ckg:CuratedReport ; dcterms:license ?l ; ckg:studyPeriod ?p ."
REF = "?x ckg:referenceNumber 1 ."
REF2 = "?x ckg:referenceNumber 2 ."
REF_WITH_URL = "?x ckg:referenceNumber ?n ; ckg:url ?u ."
CASE = "?x a ckg:PatientCase ; ckg:ageAtPresentation ?a ; ckg:ageAtOnset ?o ."
CASE2 = "?x a ckg:PatientCase ; ckg:caseNumber 2 ."
DX = "?x a ckg:Diagnosis ; rdfs:comment ?c ."
SITE = "?x a ckg:LesionSite ; rdfs:comment ?c ."
FINDING = "?x a ckg:Finding ; rdfs:comment ?c ; ckg:locator ?l ."
AGE = "?x a ckg:Age ; ckg:numericValue ?v ; ^ckg:ageAtPresentation ?case ."
RANGE = "?x a ckg:Age ; ckg:minValue ?min ; ckg:maxValue ?max ; ^ckg:age ?population ."
UPPER = "?x a ckg:Age ; ckg:maxValue ?max . FILTER NOT EXISTS { ?x ckg:minValue ?min }"
DOSE = "?x a ckg:Dose ; ckg:numericValue ?v ; ckg:unit ?u ; ^ckg:hasDose ?t ."
DOSE_WITH_DURATION = "?x a ckg:Dose ; ckg:duration ?d ; ckg:frequency ?f ."
DOSE_IN_WORDS = ("?x a ckg:Dose ; rdfs:comment ?c . FILTER NOT EXISTS { ?x ckg:numericValue|ckg:minValue|"
                 "ckg:maxValue|ckg:frequency ?n }")
EPISODE = "?x a ckg:TreatmentEpisode ; ckg:episodeNumber 1 ; ckg:route ?r ; ckg:hasDose ?d ."
EPISODE2 = "?x a ckg:TreatmentEpisode ; ckg:episodeNumber 2 ."
FAVOURABLE = "?x a ckg:TreatmentEpisode ; ckg:calcinosisOutcome/rdf:type ckg:FavourableOutcome ."
TWO_DOSES = "?x ckg:hasDose ?d1 , ?d2 . ?d2 ckg:phase 2 ."
WITH_DISEASE_OUTCOME = "?x ckg:diseaseOutcome ?o ; ckg:outcomeNote ?n ; ckg:doseSummary ?s ."
CLAIM = "?x a ckg:TreatmentClaim ; ckg:population/ckg:sex ?sex ; ckg:population/rdfs:comment ?c ."
ASSOCIATION = "?x a ckg:AssociationStatement ."
CLASSIFICATION = "?x a ckg:ClassificationStatement ; rdfs:comment ?c ."
DIFFERENTIAL = "?x a ckg:DifferentialDiagnosisStatement ."
COHORT = "?x a ckg:CohortStatement ; ckg:statedValue ?v ; ckg:aboutTerm ?t ; ckg:aboutCase ?c ."
POPULATION = "?x a ckg:Population ; ckg:sex ?sex ; rdfs:comment ?c ; ckg:numberOfPatients ?n ; ckg:age ?a ."
EVIDENCE = "?x a ckg:Evidence ; ckg:paragraph ?p ; ckg:direction ?d ."
CITED = "?x a ckg:Evidence ; ckg:evidenceKind ckg:CitedLiteratureClaim ; prov:hadPrimarySource ?ref ."
OTHER_REPORT = "?x a ckg:CuratedReport . FILTER NOT EXISTS { ?x bibo:doi ?doi }"
TREATMENT_TERM = "?e ckg:intervention ?t ."
SITE_TERM = "?s ckg:site ?t . ?s a ckg:LesionSite ."
DISEASE_TERM = "?d ckg:condition ?t . ?t rdfs:subClassOf+ ckg:Disease ."
REPORT_WITH_NOTE = "?x a ckg:CuratedReport ; ckg:curationNote ?n ."
REPORT_WITH_SOURCE = "?x a ckg:CuratedReport ; ckg:sourceFile ?f ."
DX_DISEASE = "?x a ckg:Diagnosis ; ckg:diagnosisRole ?r ."
HEDGED = "?x ckg:hedged ?h ."
ASSOCIATION_OF_SUBJECT = "?x a ckg:AssociationStatement ; ckg:subjectTerm ?s ."
CHARACTERISTIC = "?x a ckg:CharacteristicStatement ."
ONSET = "?x a ckg:OnsetContext ."
CASE_CAUSE = "randhawa2018-case1-cause1"
TYPE_CAUSE = "randhawa2018-iatrogenic-extravasation"


def with_causes(recs: dict) -> None:
    """A cause of the letter's infant and a cause of a type (the seeds report neither; the shapes
    are tried on these)."""
    ev = {"where": {"section": "Case 1"}, "kind": "own patient observation", "level": "C",
          "summary": "A made-up cause for the shape tests."}
    recs["randhawa2018"]["cases"][0]["causes"] = [{"agent": "physical trauma", "evidence": ev}]
    recs["randhawa2018"]["statements"].append({
        "id": "iatrogenic-extravasation", "kind": "cause", "calcinosis": "iatrogenic calcinosis cutis",
        "agent": "extravasation", "evidence": {**ev, "kind": "author statement", "level": "E"}})


def cause_case(change: Callable[[Mutation, URIRef], None], node: str = CASE_CAUSE) -> Callable[[Mutation], URIRef]:
    """The causes above, then ``change`` on one of their nodes."""
    def mutate(m: Mutation) -> URIRef:
        m.edit_records(with_causes)
        x = CKD[node]
        change(m, x)
        return x
    return mutate


def without_source(recs: dict) -> None:
    for key in ("source_file", "doi"):
        recs["randhawa2018"]["report"].pop(key)


def _value(m: Mutation, x: URIRef, value):
    """A value for a case: a term or literal as is, a pattern picks a node, a function computes it."""
    if isinstance(value, (URIRef, Literal)):
        return value
    if callable(value):
        return value(m, x)
    return m.node(value.replace("$X", x.n3()))


def term(where: str) -> Callable[[Mutation, URIRef], URIRef]:
    """An ontology term: the first ``?t`` matching ``where``."""
    return lambda m, x: m.term(where)


def drop(where: str, prop) -> Callable[[Mutation], URIRef]:
    """Remove every value of ``prop`` from the node ``where`` picks."""
    def mutate(m: Mutation) -> URIRef:
        x = m.node(where)
        m.remove(x, prop)
        return x
    return mutate


def put(where: str, prop, value, *, via=None) -> Callable[[Mutation], URIRef]:
    """Replace the values of ``prop`` of the node ``where`` picks (or of its ``via`` node) by ``value``.

    In a pattern, ``$X`` stands for the picked node.
    """
    def mutate(m: Mutation) -> URIRef:
        x = m.node(where)
        target = m.g.value(x, via) if via is not None else x
        m.put(target, prop, _value(m, x, value))
        return x
    return mutate


def also(where: str, prop, *values) -> Callable[[Mutation], URIRef]:
    """Add ``values`` for ``prop`` to the node ``where`` picks (keeping what is there)."""
    def mutate(m: Mutation) -> URIRef:
        x = m.node(where)
        for value in values:
            m.add(x, prop, _value(m, x, value))
        return x
    return mutate


def second_owner(where: str, owner_prop, owner_where: str) -> Callable[[Mutation], URIRef]:
    """Make a second node (the first ``owner_where`` not owning it yet) claim the node ``where`` picks."""
    def mutate(m: Mutation) -> URIRef:
        x = m.node(where)
        owner = m.node(f"{owner_where} FILTER NOT EXISTS {{ ?x <{owner_prop}> {x.n3()} }}")
        m.add(owner, owner_prop, x)
        return x
    return mutate


def orphan(where: str, owner_prop) -> Callable[[Mutation], URIRef]:
    """Unlink the node ``where`` picks from its owner."""
    def mutate(m: Mutation) -> URIRef:
        x = m.node(where)
        m.remove(None, owner_prop, x)
        return x
    return mutate


def renumber_second_dose(m: Mutation) -> URIRef:
    """Give the second dose of a treatment phase number 1, like the first."""
    x = m.node(TWO_DOSES)
    second = next(d for d in m.g.objects(x, CKG.hasDose) if m.g.value(d, CKG.phase) == Literal(2))
    m.put(second, CKG.phase, Literal(1))
    return x


def in_records(edit: Callable[[dict], None], focus: str) -> Callable[[Mutation], URIRef]:
    """A record-level case: ``edit`` changes the YAML data; ``focus`` is the node to check, a ckd:
    local name or a pattern run on the rebuilt graph."""
    def mutate(m: Mutation) -> URIRef:
        m.edit_records(edit)
        if "?x" not in focus:
            return CKD[focus]
        m.apply()
        try:
            return m.node(focus)
        finally:
            m.undo()
    return mutate


# -- record edits ---------------------------------------------------------------------------------
def second_randhawa_same_authors(recs: dict) -> None:
    """A second record of another letter by the same first author in the same year."""
    rec = copy.deepcopy(recs["randhawa2018"])
    rec["report"]["id"] = "randhawa2018b"
    rec["report"]["source_file"] = "999_another_letter.txt"
    rec["report"]["title"] = "Another letter"
    recs["randhawa2018b"] = rec


def second_record_same_source(recs: dict) -> None:
    """The same report text curated twice, under another id and first author."""
    rec = copy.deepcopy(recs["randhawa2018"])
    rec["report"]["id"] = "randhawa-again"
    rec["report"]["authors"] = ["Someone E", "Else F"]
    recs["randhawa-again"] = rec


def reference_without_kind(recs: dict) -> None:
    del recs["randhawa2018"]["references"][0]["publication_kind"]


def reference_only_title(recs: dict) -> None:
    ref = first(recs["randhawa2018"]["references"], lambda r: r["number"] == 3)
    for key in ("year", "journal", "volume", "issue", "pages", "doi", "url"):
        ref.pop(key, None)


def source_file_with_folder(recs: dict) -> None:
    recs["randhawa2018"]["report"]["source_file"] = "shared/reports/000_e694ff14e3a58929.txt"


def age_in_milligrams(recs: dict) -> None:
    recs["randhawa2018"]["cases"][0]["age_at_presentation"]["unit"] = "mg/day"


def range_upside_down(recs: dict) -> None:
    for rec in recs.values():
        for st in rec.get("statements", []):
            age = st.get("population", {}).get("age", {})
            if "min" in age and "max" in age:
                age["min"], age["max"] = age["max"] + 2, age["min"]
                return


def dose_value_and_range(recs: dict) -> None:
    first(all_doses(recs), lambda d: "value" in d)["min"] = 1


def dose_from_zero(recs: dict) -> None:
    first(all_doses(recs), lambda d: "min" in d)["min"] = 0


def dose_in_years(recs: dict) -> None:
    first(all_doses(recs), lambda d: "value" in d)["unit"] = "year"


def dose_lasting_milligrams(recs: dict) -> None:
    first(all_doses(recs), lambda d: "duration" in d)["duration"]["unit"] = "mg"


def episode_lasting_milligrams(recs: dict) -> None:
    first(all_episodes(recs), lambda e: "duration" in e)["duration"]["unit"] = "mg"


def classification_of_itself(recs: dict) -> None:
    st = statement(recs, "randhawa2018", "type-dystrophic")
    st["parent"] = st["subtype"]


def differential_of_a_disease(recs: dict) -> None:
    statement(recs, "randhawa2018", "differential-mycetoma")["of"] = "dermatomyositis"


def differential_of_itself(recs: dict) -> None:
    st = statement(recs, "randhawa2018", "differential-mycetoma")
    st["differential"] = st["of"]


def population_of_nobody(recs: dict) -> None:
    statement(recs, "randhawa2018", "tumoral-diltiazem")["population"] = {"patients": 3}


# ------------------------------------------------------------------------------------- the cases
# (id, mutation, expected constraint (local name under ckgsh:), substring of its message)
CASES: list[tuple[str, Callable[[Mutation], URIRef], str, str]] = [
    # publications
    ("reference-without-label", drop(REF, RDFS.label), "Publication-label", "exactly one label"),
    ("reference-without-title", drop(REF, DCTERMS.title), "Publication-title", "exactly one title"),
    ("empty-title", put(REF, DCTERMS.title, Literal("")), "Publication-title-value", "non-empty plain text"),
    ("two-years", also(REF, FABIO.hasPublicationYear, Literal("1999", datatype=XSD.gYear)),
     "Publication-year", "at most one year"),
    ("year-as-text", put(REF, FABIO.hasPublicationYear, Literal("2017")), "Publication-year-value", "xsd:gYear"),
    ("two-dois", also(REPORT, BIBO.doi, Literal("10.1000/xyz")), "Publication-doi", "at most one DOI"),
    ("corrupt-doi", put(REPORT, BIBO.doi, Literal("doi:10.5152/TurkPediatriArs.2018.6792")),
     "Publication-doi-value", "written bare"),
    ("reference-without-kind", in_records(reference_without_kind, "randhawa2018-ref1"),
     "Publication-kind", "what kind of publication"),
    ("two-urls", also(REF_WITH_URL, CKG.url, Literal("https://example.org/x")), "Publication-url",
     "at most one web address"),
    ("same-author-same-year-report", in_records(second_randhawa_same_authors, "randhawa2018"),
     "Publication-unique-label", "Another publication has the same label"),
    ("report-also-a-reference", also(REPORT, CKG.referenceNumber, Literal(1)), "Publication-role",
     "either the report a record curates"),
    # curated reports
    ("report-with-two-years", also(REPORT, FABIO.hasPublicationYear, Literal("1999", datatype=XSD.gYear)),
     "CuratedReport-year", "at most one year"),
    ("report-without-authors", drop(REPORT, CKG.authorList), "CuratedReport-authors", "list its authors"),
    ("report-with-two-journals", also(REPORT, CKG.journal, Literal("Another Journal")), "CuratedReport-journal",
     "at most one journal"),
    ("report-with-two-sources", also(REPORT_WITH_SOURCE, CKG.sourceFile, Literal("other.txt")), "CuratedReport-source-file",
     "at most one report text"),
    ("report-found-nowhere", in_records(without_source, "randhawa2018"), "CuratedReport-findable",
     "where its text was read"),
    ("report-without-extent", drop(REPORT, CKG.curationExtent), "CuratedReport-extent", "how much of it was read"),
    ("report-extent-a-side", put(REPORT, CKG.curationExtent, CKG.Left), "CuratedReport-extent-value",
     "ckg:FullTextCurated"),
    ("report-two-reading-notes", also(REPORT_WITH_NOTE, CKG.curationNote, Literal("Another note.")),
     "CuratedReport-curation-note", "at most one note on what was read"),
    ("source-file-with-folder", in_records(source_file_with_folder, "randhawa2018"),
     "CuratedReport-source-file-value", "bare file name"),
    ("two-licences", also(REPORT_WITH_LICENSE, DCTERMS.license, Literal("CC BY")), "CuratedReport-license",
     "at most one licence"),
    ("two-study-periods", also(REPORT_WITH_LICENSE, CKG.studyPeriod, Literal("2000-2001")),
     "CuratedReport-study-period", "at most one study period"),
    ("same-report-curated-twice", in_records(second_record_same_source, "randhawa2018"),
     "CuratedReport-unique-source-file", "same source file"),
    # reference-list entries
    ("two-reference-numbers", also(REF, CKG.referenceNumber, Literal(99)), "Reference-number",
     "exactly one number"),
    ("reference-number-as-text", put(REF, CKG.referenceNumber, Literal("1")), "Reference-number-value",
     "whole number"),
    ("reference-in-no-list", drop(REF, CKG.inReferenceListOf), "Reference-list", "exactly one curated report"),
    ("reference-in-a-case", put(REF, CKG.inReferenceListOf, CASE), "Reference-list-value",
     "reference list of a curated report"),
    ("reference-with-source-file", also(REF, CKG.sourceFile, Literal("x.txt")), "Reference-not-curated",
     "no source file"),
    ("two-references-numbered-1", put(REF2, CKG.referenceNumber, Literal(1)), "Reference-unique-number",
     "Another entry of the same reference list"),
    ("reference-only-a-title", in_records(reference_only_title, "randhawa2018-ref3"), "Reference-year-or-place",
     "give its year"),
    # patient cases
    ("case-without-label", drop(CASE, RDFS.label), "PatientCase-label", "exactly one label"),
    ("case-in-two-reports", also(CASE, CKG.describedIn, OTHER_REPORT), "PatientCase-report",
     "exactly one curated report"),
    ("case-described-in-a-reference", put(CASE, CKG.describedIn, REF), "PatientCase-report-value",
     "described in a curated report"),
    ("case-without-number", drop(CASE, CKG.caseNumber), "PatientCase-number", "exactly one number"),
    ("case-number-0", put(CASE, CKG.caseNumber, Literal(0)), "PatientCase-number-value", "from 1 up"),
    ("case-without-sex", drop(CASE, CKG.sex), "PatientCase-sex", "sex exactly once"),
    ("case-of-mixed-sex", put(CASE, CKG.sex, CKG.FemaleAndMale), "PatientCase-sex-value",
     "'mixed' is only for a population"),
    ("age-that-is-a-dose", put(CASE, CKG.ageAtPresentation, DOSE), "PatientCase-age", "age at presentation"),
    ("two-onset-ages", also(CASE, CKG.ageAtOnset, "?x ^ckg:ageAtPresentation $X ."), "PatientCase-onset-age",
     "age at onset"),
    ("case-without-diagnosis", drop(CASE, CKG.hasDiagnosis), "PatientCase-diagnosis", "at least one diagnosis"),
    ("diagnosis-that-is-a-finding", also(CASE, CKG.hasDiagnosis, FINDING), "PatientCase-diagnosis-value",
     "ckg:Diagnosis node"),
    ("site-that-is-a-diagnosis", also(CASE, CKG.hasLesionSite, DX), "PatientCase-site-value", "ckg:LesionSite node"),
    ("finding-that-is-a-site", also(CASE, CKG.hasFinding, SITE), "PatientCase-finding-value", "ckg:Finding node"),
    ("case-without-evidence", drop(CASE, CKG.hasEvidence), "PatientCase-evidence", "A case must have evidence"),
    ("case-evidence-a-diagnosis", also(CASE, CKG.hasEvidence, DX), "PatientCase-evidence-value",
     "ckg:Evidence node"),
    ("same-author-same-year-case", in_records(second_randhawa_same_authors, "randhawa2018-case1"),
     "PatientCase-unique-label", "Another case has the same label"),
    ("two-cases-numbered-1", put(CASE2, CKG.caseNumber, Literal(1)), "PatientCase-unique-number",
     "Another case of the same report"),
    ("case-evidence-from-another-report",
     put(CASE, PROV.wasDerivedFrom, "?x a ckg:CuratedReport . FILTER NOT EXISTS { $X ckg:describedIn ?x }",
         via=CKG.hasEvidence),
     "PatientCase-evidence-from-own-report", "points to another report"),
    # diagnoses, lesion sites, findings
    ("diagnosis-of-two-cases", second_owner(DX, CKG.hasDiagnosis, "?x a ckg:PatientCase"), "Diagnosis-case",
     "exactly one case"),
    ("diagnosis-of-two-conditions", also(DX, CKG.condition, term(DISEASE_TERM)),
     "Diagnosis-condition", "exactly one condition"),
    # the builder refuses these two in records already (test_records); a hand edit of the graph can still make them
    ("diagnosis-of-a-symptom", put(DX, CKG.condition, CKG.Pain),
     "Diagnosis-condition-value", "calcinosis cutis or a disease"),
    ("diagnosis-two-certainties", also(DX, CKG.certainty, CKG.Suspected, CKG.Confirmed), "Diagnosis-certainty",
     "at most one certainty"),
    ("disease-two-roles", also(DX_DISEASE, CKG.diagnosisRole, CKG.UnderlyingCondition, CKG.CoexistingCondition),
     "Diagnosis-role", "at most one role"),
    ("role-a-side", put(DX_DISEASE, CKG.diagnosisRole, CKG.Left), "Diagnosis-role-value",
     "ckg:UnderlyingCondition or ckg:CoexistingCondition"),
    ("disease-without-role", drop(DX_DISEASE, CKG.diagnosisRole), "Diagnosis-role-when-disease",
     "must say its role"),
    ("certainty-left", put(DX, CKG.certainty, CKG.Left), "Diagnosis-certainty-value", "ckg:Confirmed or ckg:Suspected"),
    ("diagnosis-two-notes", also(DX, RDFS.comment, Literal("Another note.")), "Diagnosis-comment", "at most one note"),
    ("site-of-two-cases", second_owner(SITE, CKG.hasLesionSite, "?x a ckg:PatientCase"), "LesionSite-case",
     "exactly one case"),
    ("lesion-without-site", drop(SITE, CKG.site), "LesionSite-site", "exactly one body site"),
    ("lesion-at-a-drug", put(SITE, CKG.site, term(TREATMENT_TERM)),
     "LesionSite-site-value", "body site of the ontology"),
    ("laterality-female", put(SITE, CKG.laterality, CKG.Female), "LesionSite-laterality", "ckg:Left"),
    ("site-two-notes", also(SITE, RDFS.comment, Literal("Another note.")), "LesionSite-comment", "at most one note"),
    ("finding-of-two-cases", second_owner(FINDING, CKG.hasFinding, "?x a ckg:PatientCase"), "Finding-case",
     "exactly one case"),
    ("finding-without-type", drop(FINDING, CKG.findingType), "Finding-type", "exactly one sign"),
    ("finding-that-is-a-disease", put(FINDING, CKG.findingType, CKG.JuvenileDermatomyositis),
     "Finding-type-value", "clinical finding or a diagnostic test"),
    ("finding-result-supports", put(FINDING, CKG.interpretation, CKG.Supports), "Finding-interpretation",
     "normal, abnormal"),
    ("finding-value-a-diagnosis", put(FINDING, CKG.measuredValue, DX), "Finding-value", "measured value"),
    ("finding-at-a-drug", put(FINDING, CKG.site, term(TREATMENT_TERM)),
     "Finding-site", "body site of the ontology"),
    ("finding-two-notes", also(FINDING, RDFS.comment, Literal("Another note.")), "Finding-comment",
     "at most one note"),
    ("finding-two-places", also(FINDING, CKG.locator, Literal("Case 9")), "Finding-locator", "at most one place"),
    # quantities
    ("orphan-age", orphan(AGE, CKG.ageAtPresentation), "Quantity-owner",
     "exactly one case, finding"),
    ("negative-age", put(AGE, CKG.numericValue, Literal("-2", datatype=XSD.decimal)), "Quantity-value",
     "greater than 0"),
    ("negative-lower-bound", put(RANGE, CKG.minValue, Literal("-1", datatype=XSD.decimal)), "Quantity-min",
     "0 or more"),
    ("upper-bound-0", put(UPPER, CKG.maxValue, Literal("0", datatype=XSD.decimal)), "Quantity-max",
     "greater than 0"),
    ("range-upside-down", in_records(range_upside_down, RANGE), "Quantity-range", "smaller than its upper bound"),
    ("two-units", also(AGE, CKG.unit, CKG.Week), "Quantity-unit", "at most one unit"),
    ("unit-female", put(AGE, CKG.unit, CKG.Female), "Quantity-unit-value", "one of the ontology's units"),
    ("quantity-two-labels", also(AGE, RDFS.label, Literal("other")), "Quantity-label", "at most one display label"),
    ("quantity-two-notes", also(AGE, RDFS.comment, Literal("Note one."), Literal("Note two.")),
     "Quantity-comment", "at most one note"),
    ("dose-without-unit", drop(DOSE, CKG.unit), "Quantity-number-needs-unit", "must give its unit"),
    ("dose-value-and-range", in_records(dose_value_and_range, "?x a ckg:Dose ; ckg:numericValue ?v ; ckg:minValue ?m ."),
     "Quantity-value-or-range", "either one number"),
    ("age-without-number", drop(AGE, CKG.numericValue), "Quantity-has-number", "must give a number"),
    # doses
    ("dose-without-phase", drop(DOSE, CKG.phase), "Dose-phase", "exactly one phase number"),
    ("dose-phase-0", put(DOSE, CKG.phase, Literal(0)), "Dose-phase-value", "from 1 up"),
    ("dose-from-0", in_records(dose_from_zero, "?x a ckg:Dose ; ckg:minValue ?min . FILTER (?min = 0)"), "Dose-min", "starts above 0"),
    ("dose-in-years", in_records(dose_in_years, "?x a ckg:Dose ; ckg:unit ckg:Year ."), "Dose-unit-value",
     "must be a dose unit"),
    ("dose-two-frequencies", also(DOSE_WITH_DURATION, CKG.frequency, Literal("weekly")), "Dose-frequency",
     "at most one frequency"),
    ("dose-duration-a-diagnosis", put(DOSE_WITH_DURATION, CKG.duration, DX), "Dose-duration", "at most one duration"),
    ("dose-lasting-milligrams",
     in_records(dose_lasting_milligrams, "?x a ckg:Dose ; ckg:duration/ckg:unit ckg:Milligram ."),
     "Dose-duration-unit", "unit of time"),
    ("dose-saying-nothing", drop(DOSE_IN_WORDS, RDFS.comment), "Dose-says-something", "must give a number"),
    # ages
    ("age-without-unit", drop(AGE, CKG.unit), "Age-unit", "must give its unit"),
    ("age-in-mg-per-day", in_records(age_in_milligrams, "randhawa2018-case1-age"), "Age-unit-value",
     "unit of time"),
    # clinical statements
    ("statement-without-label", drop(CLASSIFICATION, RDFS.label), "ClinicalStatement-label", "exactly one label"),
    ("episode-without-evidence", drop(EPISODE, CKG.hasEvidence), "ClinicalStatement-evidence",
     "must rest on evidence"),
    ("evidence-that-is-a-population", also(CLAIM, CKG.hasEvidence, POPULATION), "ClinicalStatement-evidence-value",
     "ckg:Evidence node"),
    ("statement-two-notes", also(CLASSIFICATION, RDFS.comment, Literal("Another note.")), "ClinicalStatement-comment",
     "at most one note"),
    ("same-author-same-year-statement", in_records(second_randhawa_same_authors, "randhawa2018-type-dystrophic"),
     "ClinicalStatement-unique-label", "Another statement has the same label"),
    # treatments
    ("second-intervention", also(EPISODE, CKG.intervention, lambda m, x: m.term(
        f"?e ckg:intervention ?t . FILTER NOT EXISTS {{ {x.n3()} ckg:intervention ?t }}")),
     "TreatmentStatement-intervention", "exactly one agent or procedure"),
    ("intervention-a-site", put(EPISODE, CKG.intervention, term(SITE_TERM)),
     "TreatmentStatement-intervention-value", "class under ckg:Treatment"),
    ("two-routes", also(EPISODE, CKG.route, CKG.TopicalRoute), "TreatmentStatement-route", "at most one route"),
    ("route-female", put(EPISODE, CKG.route, CKG.Female), "TreatmentStatement-route-value", "ontology's routes"),
    ("dose-that-is-an-age", also(EPISODE, CKG.hasDose, AGE), "TreatmentStatement-dose-value", "ckg:Dose node"),
    ("duration-a-diagnosis", put(EPISODE, CKG.duration, DX), "TreatmentStatement-duration", "at most one duration"),
    ("episode-lasting-milligrams",
     in_records(episode_lasting_milligrams, "?x a ckg:TreatmentEpisode ; ckg:duration/ckg:unit ckg:Milligram ."),
     "TreatmentStatement-duration-unit", "unit of time"),
    ("two-frequencies", also(EPISODE, CKG.frequency, Literal("daily"), Literal("weekly")),
     "TreatmentStatement-frequency", "at most one frequency"),
    ("two-dose-summaries", also(WITH_DISEASE_OUTCOME, CKG.doseSummary, Literal("1 mg")),
     "TreatmentStatement-dose-summary", "at most one dose summary"),
    ("two-calcinosis-outcomes", also(FAVOURABLE, CKG.calcinosisOutcome, CKG.Remission),
     "TreatmentStatement-calcinosis-outcome", "at most one outcome for the calcinosis"),
    ("outcome-not-controlled", put(FAVOURABLE, CKG.calcinosisOutcome, CKG.Supports),
     "TreatmentStatement-calcinosis-outcome-value", "controlled outcome values"),
    ("two-disease-outcomes", also(WITH_DISEASE_OUTCOME, CKG.diseaseOutcome, CKG.Worsening, CKG.Remission),
     "TreatmentStatement-disease-outcome", "at most one outcome for the underlying disease"),
    ("disease-outcome-level", put(WITH_DISEASE_OUTCOME, CKG.diseaseOutcome, CKG.LevelA),
     "TreatmentStatement-disease-outcome-value", "controlled outcome values"),
    ("two-outcome-notes", also(WITH_DISEASE_OUTCOME, CKG.outcomeNote, Literal("Another note.")),
     "TreatmentStatement-outcome-note", "at most one outcome note"),
    ("two-stop-reasons", also(EPISODE, CKG.stopReason, Literal("Side effects."), Literal("Cost.")),
     "TreatmentStatement-stop-reason", "at most one reason for stopping"),
    ("concomitant-a-site", also(EPISODE, CKG.concomitantTreatment, term(SITE_TERM)),
     "TreatmentStatement-concomitant-value", "concomitant treatment"),
    ("combined-with-a-case", also(EPISODE, CKG.combinedWith, CASE), "TreatmentStatement-combined-value",
     "combined with another treatment"),
    ("direction-against-outcome",
     put(FAVOURABLE, CKG.direction, CKG.DoesNotSupport, via=CKG.hasEvidence),
     "TreatmentStatement-direction-follows-outcome", "does not follow from the calcinosis outcome"),
    ("two-doses-phase-1", renumber_second_dose,
     "TreatmentStatement-unique-phase", "same phase number"),
    # treatment episodes
    ("episode-of-no-case", drop(EPISODE, CKG.ofCase), "TreatmentEpisode-case", "exactly one case"),
    ("episode-of-a-report", put(EPISODE, CKG.ofCase, REPORT), "TreatmentEpisode-case-value",
     "belong to a patient case"),
    ("episode-without-number", drop(EPISODE, CKG.episodeNumber), "TreatmentEpisode-number", "exactly one number"),
    ("episode-number-0", put(EPISODE, CKG.episodeNumber, Literal(0)), "TreatmentEpisode-number-value", "from 1 up"),
    ("episode-combined-with-a-claim", also(EPISODE, CKG.combinedWith, CLAIM), "TreatmentEpisode-combined-value",
     "combined with another episode"),
    ("two-episodes-numbered-1", put(EPISODE2, CKG.episodeNumber, Literal(1)), "TreatmentEpisode-unique-number",
     "Another episode of the same case"),
    ("combined-with-another-case",
     also(EPISODE2, CKG.combinedWith, "?x a ckg:TreatmentEpisode ; ckg:ofCase ?c . FILTER NOT EXISTS { $X ckg:ofCase ?c }"),
     "TreatmentEpisode-combined-same-case", "episode of another case"),
    ("episode-evidence-from-another-report",
     put(EPISODE, PROV.wasDerivedFrom, "?x a ckg:CuratedReport . FILTER NOT EXISTS { $X ckg:ofCase/ckg:describedIn ?x }",
         via=CKG.hasEvidence),
     "TreatmentEpisode-evidence-from-own-report", "points to another report"),
    # treatment claims
    ("claim-without-population", drop(CLAIM, CKG.population), "TreatmentClaim-population", "who was treated"),
    ("population-a-case", put(CLAIM, CKG.population, CASE), "TreatmentClaim-population-value",
     "ckg:Population node"),
    ("claim-about-a-report", also(CLAIM, CKG.aboutCase, REPORT), "TreatmentClaim-about-case-value",
     "only speak about patient cases"),
    ("claim-with-a-case", also(CLAIM, CKG.ofCase, CASE), "TreatmentClaim-no-case", "not an episode of a case"),
    # associations, classifications, differentials
    ("association-two-types", also(ASSOCIATION, CKG.calcinosisType, CKG.Calciphylaxis, CKG.TumoralCalcinosis),
     "AssociationStatement-calcinosis", "at most one type of calcinosis"),
    ("association-about-nothing", drop(ASSOCIATION, CKG.calcinosisType), "AssociationStatement-about-one-thing",
     "exactly one thing"),
    ("association-subject-a-value", put(ASSOCIATION_OF_SUBJECT, CKG.subjectTerm, CKG.Female),
     "AssociationStatement-subject-value", "subject of an association"),
    ("hedged-as-text", put(HEDGED, CKG.hedged, Literal("yes")), "ClinicalStatement-hedged", "as true or false"),
    # causes (none in the seeds: made up on the letter's record)
    ("cause-without-agent", cause_case(lambda m, x: m.remove(x, CKG.causalAgent)), "CauseStatement-agent",
     "exactly one cause"),
    ("cause-a-site", cause_case(lambda m, x: m.put(x, CKG.causalAgent, CKG.Hand)), "CauseStatement-agent-value",
     "must be a treatment"),
    ("cause-of-a-report", cause_case(lambda m, x: m.put(x, CKG.ofCase, CKD.randhawa2018)),
     "CauseStatement-case-value", "must belong to a patient case"),
    ("cause-of-a-disease", cause_case(lambda m, x: m.put(x, CKG.calcinosisType, CKG.Sarcoidosis), TYPE_CAUSE),
     "CauseStatement-calcinosis-value", "kind of calcinosis cutis"),
    ("cause-of-case-and-type", cause_case(lambda m, x: m.add(x, CKG.calcinosisType, CKG.IatrogenicCalcinosisCutis)),
     "CauseStatement-of-what", "not both and not neither"),
    # characteristics
    ("characteristic-about-nothing", drop(CHARACTERISTIC, CKG.aboutTerm), "CharacteristicStatement-about",
     "exactly one term"),
    ("characteristic-about-a-value", put(CHARACTERISTIC, CKG.aboutTerm, CKG.Female),
     "CharacteristicStatement-about-value", "clinical domain"),
    ("characteristic-without-aspect", drop(CHARACTERISTIC, CKG.statementAspect), "CharacteristicStatement-aspect",
     "exactly one aspect"),
    ("aspect-a-side", put(CHARACTERISTIC, CKG.statementAspect, CKG.Left), "CharacteristicStatement-aspect-value",
     "ckg:Aspect value"),
    ("characteristic-without-note", drop(CHARACTERISTIC, RDFS.comment), "CharacteristicStatement-note",
     "what the report says of that aspect"),
    # onset context
    ("onset-of-two-cases", second_owner(ONSET, CKG.onsetContext, "?x a ckg:PatientCase"), "OnsetContext-case",
     "exactly one case"),
    ("onset-during-a-symptom", put(ONSET, CKG.duringTreatment, CKG.Pain), "OnsetContext-treatment-value",
     "must be a treatment"),
    ("onset-without-note", drop(ONSET, RDFS.comment), "OnsetContext-note", "what was going on"),
    ("onset-without-place", drop(ONSET, CKG.locator), "OnsetContext-locator", "one place in the report"),
    ("association-of-a-disease", put(ASSOCIATION, CKG.calcinosisType, term(DISEASE_TERM)),
     "AssociationStatement-calcinosis-value", "kind of calcinosis cutis"),
    ("association-without-condition", drop(ASSOCIATION, CKG.associatedCondition),
     "AssociationStatement-condition", "exactly one associated condition"),
    ("association-with-a-value", put(ASSOCIATION, CKG.associatedCondition, CKG.Female),
     "AssociationStatement-condition-value", "clinical domain"),
    ("classification-without-subtype", drop(CLASSIFICATION, CKG.subtype), "ClassificationStatement-subtype",
     "exactly one subtype"),
    ("subtype-a-value", put(CLASSIFICATION, CKG.subtype, CKG.Female), "ClassificationStatement-subtype-value",
     "clinical domain"),
    ("classification-without-parent", drop(CLASSIFICATION, CKG.parentType), "ClassificationStatement-parent",
     "exactly one parent type"),
    ("parent-a-value", put(CLASSIFICATION, CKG.parentType, CKG.Female), "ClassificationStatement-parent-value",
     "clinical domain"),
    ("classification-of-itself", in_records(classification_of_itself, "randhawa2018-type-dystrophic"),
     "ClassificationStatement-distinct", "two different terms"),
    ("differential-of-nothing", drop(DIFFERENTIAL, CKG.differentialOf), "DifferentialDiagnosisStatement-of",
     "of which calcinosis"),
    ("differential-of-a-disease", in_records(differential_of_a_disease, "randhawa2018-differential-mycetoma"),
     "DifferentialDiagnosisStatement-of-value", "differential of a kind of calcinosis cutis"),
    ("differential-without-differential", drop(DIFFERENTIAL, CKG.differentialDiagnosis),
     "DifferentialDiagnosisStatement-differential", "exactly one differential"),
    ("differential-a-value", put(DIFFERENTIAL, CKG.differentialDiagnosis, CKG.Female),
     "DifferentialDiagnosisStatement-differential-value", "clinical domain"),
    ("differential-of-itself", in_records(differential_of_itself, "randhawa2018-differential-mycetoma"),
     "DifferentialDiagnosisStatement-distinct", "not a differential of itself"),
    # cohort statements
    ("cohort-of-no-report", drop(COHORT, CKG.cohortOf), "CohortStatement-report", "exactly one curated report"),
    ("cohort-of-a-case", put(COHORT, CKG.cohortOf, CASE), "CohortStatement-report-value",
     "series of a curated report"),
    ("cohort-without-measure", drop(COHORT, CKG.cohortMeasure), "CohortStatement-measure", "exactly one measure"),
    ("measure-year", put(COHORT, CKG.cohortMeasure, CKG.Year), "CohortStatement-measure-value",
     "ontology's cohort measures"),
    ("stated-value-a-diagnosis", put(COHORT, CKG.statedValue, DX), "CohortStatement-value", "at most one stated value"),
    ("cohort-about-a-value", put(COHORT, CKG.aboutTerm, CKG.Female), "CohortStatement-about", "at most one term"),
    ("cohort-outcome-female", put(COHORT, CKG.calcinosisOutcome, CKG.Female), "CohortStatement-outcome",
     "controlled outcome values"),
    ("cohort-about-a-report", also(COHORT, CKG.aboutCase, REPORT), "CohortStatement-about-case-value",
     "only name patient cases"),
    ("cohort-names-other-report-case",
     also(COHORT, CKG.aboutCase, "?x a ckg:PatientCase . FILTER NOT EXISTS { $X ckg:cohortOf ?r . ?x ckg:describedIn ?r }"),
     "CohortStatement-cases-of-own-report", "not a case of its own report"),
    # populations
    ("population-of-two-claims", second_owner(POPULATION, CKG.population, "?x a ckg:TreatmentClaim"),
     "Population-claim", "exactly one treatment claim"),
    ("population-without-label", drop(POPULATION, RDFS.label), "Population-label", "exactly one label"),
    ("population-condition-a-value", also(POPULATION, CKG.populationCondition, CKG.Female),
     "Population-condition-value", "clinical domain"),
    ("zero-patients", put(POPULATION, CKG.numberOfPatients, Literal(0)), "Population-patients", "from 1 up"),
    ("population-two-sexes", also(POPULATION, CKG.sex, CKG.Female, CKG.Male),
     "Population-sex", "at most one sex"),
    ("population-sex-suspected", put(POPULATION, CKG.sex, CKG.Suspected), "Population-sex-value", "ckg:FemaleAndMale"),
    ("population-age-a-dose", put(POPULATION, CKG.age, DOSE), "Population-age", "at most one age"),
    ("population-two-notes", also(POPULATION, RDFS.comment, Literal("Another note.")), "Population-comment",
     "at most one note"),
    ("same-author-same-year-population",
     in_records(second_randhawa_same_authors, "randhawa2018-tumoral-diltiazem-population"),
     "Population-unique-label", "Another population has the same label"),
    ("population-of-nobody", in_records(population_of_nobody, "randhawa2018-tumoral-diltiazem-population"),
     "Population-who", "who the patients are"),
    # evidence
    ("evidence-of-two-statements", second_owner(EVIDENCE, CKG.hasEvidence, "?x a ckg:ClassificationStatement"),
     "Evidence-owner", "exactly one case or statement"),
    ("evidence-without-source", drop(EVIDENCE, PROV.wasDerivedFrom), "Evidence-source",
     "exactly one curated report"),
    ("evidence-from-a-reference", put(EVIDENCE, PROV.wasDerivedFrom, REF), "Evidence-source-value",
     "not from a reference of it"),
    ("evidence-without-locator", drop(EVIDENCE, CKG.locator), "Evidence-locator", "where in the report"),
    ("empty-locator", put(EVIDENCE, CKG.locator, Literal("")), "Evidence-locator-value", "a text such as"),
    ("evidence-without-section", drop(EVIDENCE, CKG.section), "Evidence-section", "exactly one section"),
    ("paragraph-0", put(EVIDENCE, CKG.paragraph, Literal(0)), "Evidence-paragraph", "counted from 1"),
    ("evidence-without-kind", drop(EVIDENCE, CKG.evidenceKind), "Evidence-kind", "exactly one kind"),
    ("evidence-kind-a-level", put(EVIDENCE, CKG.evidenceKind, CKG.LevelA), "Evidence-kind-value",
     "ckg:OwnPatientObservation"),
    ("cites-a-case", also(CITED, PROV.hadPrimarySource, CASE), "Evidence-cited-value",
     "a publication of the report's reference list"),
    ("evidence-without-level", drop(EVIDENCE, CKG.evidenceLevel), "Evidence-level", "exactly one level"),
    ("evidence-level-supports", put(EVIDENCE, CKG.evidenceLevel, CKG.Supports), "Evidence-level-value",
     "ckg:LevelA to ckg:LevelE"),
    ("direction-a-level", put(EVIDENCE, CKG.direction, CKG.LevelA), "Evidence-direction",
     "ckg:Supports or ckg:DoesNotSupport"),
    ("evidence-without-summary", drop(EVIDENCE, CKG.curatorSummary), "Evidence-summary", "exactly one summary"),
    ("cites-another-reports-reference",
     put(CITED, PROV.hadPrimarySource, "?x ckg:inReferenceListOf ?r . FILTER NOT EXISTS { $X prov:wasDerivedFrom ?r }"),
     "Evidence-cites-own-reference-list", "not in the reference list"),
    ("cited-claim-citing-nothing", drop(CITED, PROV.hadPrimarySource), "Evidence-cited-claim-names-source",
     "must name the reference"),
]
CASE_IDS = [c[0] for c in CASES]


def _break(case, valid_graph, valid_data, records, terms) -> Mutation:
    _id, mutate, _expected, _text = case
    m = Mutation(valid_graph, valid_data, records, terms)
    m.change.focus = mutate(m)
    assert m.change.added or m.change.removed, "the case changed nothing"
    return m


def _in_real_graph(graph: Graph, node) -> bool:
    return (node, None, None) in graph


def _expected_results(results: list[Result], expected: str, focus) -> list[Result]:
    iri = str(CKSH[expected])
    return [r for r in results if r.focus == str(focus) and iri in (r.shape, r.constraint)]


# ------------------------------------------------------------------------------------- the tests
def test_case_ids_are_unique():
    assert len(CASE_IDS) == len(set(CASE_IDS))


def _rules(shapes: Graph) -> set[URIRef]:
    """The named rules of the shapes file: property shapes, SPARQL constraints, and node shapes
    with a target and a node-level constraint (sh:or, sh:xone). Kind shapes only gather these;
    term shapes (no target) are reached through the property shapes that use them."""
    def named(kind):
        return {s for s in shapes.subjects(RDF.type, kind) if isinstance(s, URIRef) and s.startswith(str(CKSH))}

    rule_shapes = {s for s in named(SH.NodeShape)
                   if any((s, p, None) in shapes for p in (SH.targetClass, SH.targetSubjectsOf))
                   and any((s, p, None) in shapes for p in (SH["or"], SH.xone))}
    return named(SH.PropertyShape) | named(SH.SPARQLConstraint) | rule_shapes


def test_every_rule_has_one_message_and_a_case(shapes):
    """Every rule carries exactly one sh:message, and some case below breaks it."""
    rules = _rules(shapes)
    assert len(rules) > 100
    for rule in sorted(rules):
        assert len(list(shapes.objects(rule, SH.message))) == 1, f"{rule} needs exactly one sh:message"
    tested = {CKSH[c[2]] for c in CASES}
    assert not tested - rules, f"cases expecting no rule: {sorted(tested - rules)}"
    assert not rules - tested, f"rules no case breaks: {sorted(rules - tested)}"


def test_committed_graph_conforms():
    """The CI gate: kg/calcikg.ttl conforms to the shapes, as `calcikg validate` checks it."""
    from calcikg.validate import validate

    report = validate(reasoner=False)
    shacl = [p for p in report.problems if p.check == "shacl"]
    assert not shacl, report.text()


def test_fresh_build_conforms(valid_graph, shapes):
    """The graph the records give now (in memory) conforms too: the baseline every case breaks."""
    conforms, results = run_pyshacl(valid_graph, shapes)
    assert conforms, "\n".join(f"{r.focus}: {r.message}" for r in results)


def _aimed(shapes: Graph, expected: str, focus: URIRef) -> tuple[URIRef, Graph]:
    owner = owner_of(shapes, CKSH[expected])
    return owner, aimed_at(shapes_for(shapes, owner), owner, focus)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_shape_catches(case, valid_graph, valid_data, records, terms, shapes):
    """The broken copy fails with the expected shape's message at the broken node; the valid one passes."""
    _id, _mutate, expected, text = case
    m = _break(case, valid_graph, valid_data, records, terms)
    owner, aimed = _aimed(shapes, expected, m.change.focus)
    valid, _ = run_pyshacl(valid_graph, aimed)
    m.apply()
    try:
        reached = m.change.focus in targets(valid_graph, shapes, owner)
        conforms, results = run_pyshacl(valid_graph, aimed)
    finally:
        m.undo()
    assert reached, f"{m.change.focus} is not a target of {owner}"
    assert not conforms
    hits = _expected_results(results, expected, m.change.focus)
    assert hits, (f"expected {expected} at {m.change.focus}; got:\n"
                  + "\n".join(f"{r.focus} {r.constraint}: {r.message}" for r in results))
    own = str(shapes.value(CKSH[expected], SH.message))
    for r in hits:
        assert text in r.message
        assert r.message.startswith(own.split("{")[0]), "not the shape's own message"
    # a node the case itself adds (a cause: the seeds report none) has no valid twin in the real graph;
    # tests/test_model.py builds valid causes and checks that they conform
    assert valid or not _in_real_graph(valid_graph, m.change.focus), "the valid graph fails the same shape"


# ------------------------------------------------------------------------------------- pyrudof
@pytest.mark.slow
def test_pyrudof_valid_graph_conforms(rudof):
    """pyrudof also finds the real graph valid under the whole shapes file."""
    rudof.read_shacl(str(paths.SHAPES))
    report = rudof.validate_shacl()
    assert report.conforms, [(v.focus_node, v.source_shape, v.message) for v in report.violations][:20]


def _rudof_params(cannot: dict):
    for case in CASES:
        marks = []
        if case[2] in cannot:
            marks.append(pytest.mark.xfail(reason=cannot[case[2]], strict=True))
        yield pytest.param(case, marks=marks, id=case[0])


@pytest.mark.slow
@pytest.mark.parametrize("case", list(_rudof_params(PYRUDOF_CANNOT)))
def test_pyrudof_agrees(case, rudof, valid_graph, valid_data, records, terms, shapes):
    """pyrudof reaches the same verdicts as pySHACL on the same graphs and shapes: the valid graph
    passes; the broken one fails at the same focus node with the same shapes."""
    _id, _mutate, expected, _text = case
    m = _break(case, valid_graph, valid_data, records, terms)
    owner, aimed = _aimed(shapes, expected, m.change.focus)
    r_valid, r_valid_results = run_pyrudof(rudof, aimed, Change())
    r_conforms, r_results = run_pyrudof(rudof, aimed, m.change)
    m.apply()
    try:
        _p_conforms, p_results = run_pyshacl(valid_graph, aimed)
    finally:
        m.undo()
    assert r_valid or not _in_real_graph(valid_graph, m.change.focus), \
        [(r.focus, r.shape, r.message) for r in r_valid_results]
    assert not r_conforms, "pyrudof finds the broken graph valid"
    is_sparql = (CKSH[expected], RDF.type, SH.SPARQLConstraint) in shapes
    expected_shape = str(owner) if is_sparql else str(CKSH[expected])
    assert any(r.focus == str(m.change.focus) and r.shape == expected_shape for r in r_results)
    assert {(r.focus, r.shape) for r in r_results} == {(r.focus, r.shape) for r in p_results}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(_rudof_params(PYRUDOF_CANNOT)))
def test_pyrudof_whole_file(case, rudof, valid_graph, valid_data, records, terms, shapes):
    """pyrudof with the whole shapes file and its real targets fails each broken graph at the
    broken node with the expected shape."""
    _id, _mutate, expected, _text = case
    m = _break(case, valid_graph, valid_data, records, terms)
    conforms, results = run_pyrudof(rudof, shapes, m.change)
    owner = owner_of(shapes, CKSH[expected])
    is_sparql = (CKSH[expected], RDF.type, SH.SPARQLConstraint) in shapes
    expected_shape = str(owner) if is_sparql else str(CKSH[expected])
    assert not conforms
    assert any(r.focus == str(m.change.focus) and r.shape == expected_shape for r in results), \
        sorted({(r.focus, r.shape) for r in results})


#: Cases run with pySHACL and the whole shapes file (5 s each), one per way a shape is targeted:
#: a class through two rdfs:subClassOf steps (episode -> clinical statement), through one
#: (curated report -> publication, dose -> quantity), subjects of a property (reference), and
#: the SPARQL-based target (patient names).
WHOLE_FILE_SAMPLE = ["episode-without-evidence", "corrupt-doi", "dose-without-unit", "reference-only-a-title",
                     "patient-name-in-summary"]


@pytest.mark.slow
@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in CASES if c[0] in WHOLE_FILE_SAMPLE])
def test_whole_file_catches(case, valid_graph, valid_data, records, terms, shapes):
    """pySHACL with the whole shapes file and its real targets, as `calcikg validate` runs it."""
    _id, _mutate, expected, text = case
    m = _break(case, valid_graph, valid_data, records, terms)
    m.apply()
    try:
        conforms, results = run_pyshacl(valid_graph, shapes)
    finally:
        m.undo()
    assert not conforms
    hits = _expected_results(results, expected, m.change.focus)
    assert hits and all(text in r.message for r in hits)


# ------------------------------------------------------------------------------------- small cases
def test_target_class_follows_subclass_axioms_in_the_data(shapes):
    """sh:targetClass ckg:ClinicalStatement reaches a ckg:TreatmentEpisode only through the
    rdfs:subClassOf triples of the data graph (inference is off): with them the episode without
    evidence fails, without them no shape sees it. Same in both engines."""
    pyrudof = pytest.importorskip("pyrudof")
    data = Graph().parse(RESOURCES / "episode-without-evidence.ttl", format="turtle")
    bare = Graph()
    bare += (t for t in data if t[1] != RDFS.subClassOf)
    sub_shapes = shapes_for(shapes, CKSH.ClinicalStatementShape)
    for graph, should_conform in ((data, False), (bare, True)):
        conforms, results = run_pyshacl(graph, sub_shapes)
        assert conforms is should_conform
        session = pyrudof.Rudof(pyrudof.RudofConfig())
        session.read_data(graph.serialize(format="nt"), format=pyrudof.RDFFormat.NTriples)
        session.read_shacl(sub_shapes.serialize(format="turtle"))
        assert session.validate_shacl().conforms is should_conform
    _conforms, results = run_pyshacl(data, sub_shapes)
    assert {r.constraint for r in results} == {str(CKSH["ClinicalStatement-evidence"])}
