"""Term templates: ``ontology/templates/*.tsv``, one table row per ontology term, in the spirit of ROBOT templates.

A template is a TSV file. Row 1 names the columns (the names the error messages use), row 2 holds
the ROBOT template string of each column, every further row is one term::

    id      label   kind  parent         definition       definition source  exact synonyms  related synonyms  xrefs  comment
    ID      LABEL         SC % SPLIT=|   A IAO:0000115    A IAO:0000119      A oboInOwl:hasExactSynonym SPLIT=|  ...

Columns (see :data:`COLUMNS`): ``id`` (``ckg:LocalName`` or the bare local name), ``label``, ``kind``
(:data:`KINDS`; no ROBOT template string, ROBOT ignores the column and CalciKG checks parents
against it), ``parent`` (labels, exact synonyms or CURIEs, ``|``-separated), ``definition`` (own
words), ``definition source``, ``exact synonyms``, ``related synonyms``, ``xrefs`` (CURIEs, verified
codes only, see ``mappings/README.md``) and ``comment``. The definition source is a plain
``IAO:0000119`` annotation (``A``), not ROBOT's axiom annotation (``>A``): that would need an
``owl:Axiom`` blank node, which the deterministic release refuses.

:func:`load_templates` reads every file and checks it against the hand-edited ontology; each
problem is a one-line :class:`TemplateError` ``file:line: column 'x': message``. The reader needs no
rdflib (``calcikg terms`` uses it on the query path); :func:`template_graph` turns the terms into an
rdflib graph for the build.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from calcikg import paths
from calcikg.errors import CalciKGError
from calcikg.prefixes import CKG, PREFIXES

IAO_DEFINITION = PREFIXES["obo"] + "IAO_0000115"
IAO_DEFINITION_SOURCE = PREFIXES["obo"] + "IAO_0000119"
OBOINOWL = PREFIXES["oboInOwl"]
RDFS = PREFIXES["rdfs"]

#: Column name -> its ROBOT template string. Every template has the first six; the rest are optional.
COLUMNS: dict[str, str] = {
    "id": "ID",
    "label": "LABEL",
    "kind": "",
    "parent": "SC % SPLIT=|",
    "definition": "A IAO:0000115",
    "definition source": "A IAO:0000119",
    "exact synonyms": "A oboInOwl:hasExactSynonym SPLIT=|",
    "related synonyms": "A oboInOwl:hasRelatedSynonym SPLIT=|",
    "xrefs": "A oboInOwl:hasDbXref SPLIT=|",
    "comment": "A rdfs:comment",
}
REQUIRED = ("id", "label", "kind", "parent", "definition", "definition source")

#: Template kind -> the class its terms must sit under (through at least one parent).
KINDS: dict[str, str] = {
    "calcinosis": CKG + "CalcinosisCutis",
    "disease": CKG + "Disease",
    "finding": CKG + "ClinicalFinding",
    "test": CKG + "DiagnosticTest",
    "drug": CKG + "DrugTreatment",
    "procedure": CKG + "Procedure",
    "treatment": CKG + "Treatment",
    "site": CKG + "AnatomicalSite",
    "exposure": CKG + "CausalExposure",
}
#: Grouping classes a term may sit under as well (a second parent), by kind.
GROUPINGS: dict[str, tuple[str, ...]] = {
    kind: (CKG + "DifferentialDiagnosisCondition",) for kind in ("calcinosis", "disease", "finding")
}
_ID = re.compile(r"^(?:ckg:)?([A-Z][A-Za-z0-9]*)$")
_CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*:[^\s|]+$")


class TemplateError(CalciKGError):
    """A template row is wrong: ``file:line: column 'x': message`` (one line)."""


@dataclass
class TemplateTerm:
    """One template row, checked: the term's IRI, names, parents (IRIs) and annotations."""

    file: str
    line: int
    iri: str
    label: str
    kind: str
    parent_names: list[str]
    definition: str
    definition_source: str
    exact_synonyms: list[str] = field(default_factory=list)
    related_synonyms: list[str] = field(default_factory=list)
    xrefs: list[str] = field(default_factory=list)
    comment: str = ""
    parents: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(paths.ROOT.resolve()))
    except ValueError:
        return str(path)


def _split(cell: str) -> list[str]:
    return [v.strip() for v in cell.split("|") if v.strip()]


def _expand(curie: str) -> str | None:
    prefix, sep, local = curie.partition(":")
    return PREFIXES[prefix] + local if sep and prefix in PREFIXES and local else None


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())


def read_template(path: Path) -> list[TemplateTerm]:
    """The rows of one template, with the checks that need no other file (columns, id, required cells)."""
    where = _rel(path)
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    if len(rows) < 2:
        raise TemplateError(f"{where}:1: a template needs a header row and a ROBOT template-string row")
    header = [h.strip() for h in rows[0]]
    for col, name in enumerate(header, start=1):
        if name not in COLUMNS:
            near = difflib.get_close_matches(name, list(COLUMNS), n=1)
            hint = f"did you mean {near[0]!r}?" if near else "known: " + ", ".join(COLUMNS)
            raise TemplateError(f"{where}:1: column {col} {name!r}: unknown column; {hint}")
        if header.count(name) > 1:
            raise TemplateError(f"{where}:1: column {col} {name!r}: the column appears twice")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise TemplateError(f"{where}:1: missing column(s) {', '.join(repr(c) for c in missing)}")
    robot = [c.strip() for c in rows[1]] + [""] * (len(header) - len(rows[1]))
    for name, string in zip(header, robot):
        if string != COLUMNS[name]:
            raise TemplateError(f"{where}:2: column {name!r}: template string {string!r} should be {COLUMNS[name]!r}")
    terms = []
    for line, row in enumerate(rows[2:], start=3):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            raise TemplateError(f"{where}:{line}: {len(row)} cells but {len(header)} columns (a tab too many?)")
        cell = dict(zip(header, (c.strip() for c in row)))
        cell.update({c: "" for c in header if c not in cell})

        def fail(column: str, message: str) -> TemplateError:
            return TemplateError(f"{where}:{line}: column {column!r}: {message}")

        m = _ID.match(cell["id"])
        if not m:
            raise fail("id", f"malformed id {cell['id']!r}: write ckg:CamelCaseName (letters and digits, "
                             "starting with a capital)")
        for column in ("label", "definition", "definition source", "kind", "parent"):
            if not cell[column]:
                what = {"definition": "a definition in your own words",
                        "definition source": "where the definition comes from ('curator' for your own)",
                        "parent": "at least one parent (label or CURIE)"}.get(column, f"a {column}")
                raise fail(column, f"missing {column}: every term needs {what}")
        if cell["kind"] not in KINDS:
            raise fail("kind", f"unknown kind {cell['kind']!r}; one of: {', '.join(KINDS)}")
        xrefs = _split(cell.get("xrefs", ""))
        for x in xrefs:
            if not _CURIE.match(x):
                raise fail("xrefs", f"xref {x!r} is not a CURIE (PREFIX:code)")
        terms.append(TemplateTerm(
            where, line, CKG + m.group(1), cell["label"], cell["kind"], _split(cell["parent"]), cell["definition"],
            cell["definition source"], _split(cell.get("exact synonyms", "")),
            _split(cell.get("related synonyms", "")), xrefs, cell.get("comment", "")))
    return terms


def template_files(directory: Path | None = None) -> list[Path]:
    directory = directory or paths.TEMPLATES_DIR
    return sorted(directory.glob("*.tsv")) if directory.is_dir() else []


def load_templates(base, directory: Path | None = None) -> list[TemplateTerm]:
    """Every template term, checked against ``base`` (a :class:`calcikg.terms.TermIndex` of the edit file,
    to which the terms are added).

    Checks, each a :class:`TemplateError` naming file, line and column: unknown or missing columns,
    a malformed or already defined id, a missing label, definition, definition source, kind or parent,
    a label or exact synonym already used by another term (edit file or templates, any case), a parent
    that does not exist, a parent of the wrong kind, a cycle of parents.
    """
    terms = [t for f in template_files(directory) for t in read_template(f)]
    edit_file = _rel(paths.ONTOLOGY_EDIT)
    owner: dict[str, str] = {}           # normalised name -> IRI
    where: dict[str, str] = {}            # IRI -> where it is defined
    for name, iris in base._by_name.items():
        for iri in iris:
            owner.setdefault(_norm(name), iri)
            where.setdefault(iri, edit_file)
    for iri in base.labels:
        where.setdefault(iri, edit_file)
    for t in terms:
        if t.iri in where:
            raise TemplateError(f"{t.where}: column 'id': {_curie(t.iri)} is already defined in {where[t.iri]}")
        where[t.iri] = t.where
        seen: set[str] = set()
        for column, names in (("label", [t.label]), ("exact synonyms", t.exact_synonyms)):
            for name in names:
                key = _norm(name)
                if key in seen:
                    raise TemplateError(f"{t.where}: column {column!r}: {name!r} is used twice in this row")
                seen.add(key)
                if key in owner:
                    other = owner[key]
                    raise TemplateError(f"{t.where}: column {column!r}: {name!r} is already a label or exact synonym "
                                        f"of {_curie(other)} ({where.get(other, edit_file)}); names must be unique")
                owner[key] = t.iri
    known = set(where)
    for t in terms:
        for name in t.parent_names:
            iri = _expand(name) if ":" in name and " " not in name else None
            if iri not in known:
                iri = owner.get(_norm(name))
            if iri is None:
                near = difflib.get_close_matches(_norm(name), list(owner), n=3, cutoff=0.7)
                hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
                raise TemplateError(f"{t.where}: column 'parent': unknown parent {name!r}{hint}")
            if iri == t.iri:
                raise TemplateError(f"{t.where}: column 'parent': a term cannot be its own parent")
            t.parents.append(iri)
    for t in terms:
        base.add_term(t.iri, t.label, t.exact_synonyms, t.parents)
    for t in terms:
        root = KINDS[t.kind]
        allowed = {root, *GROUPINGS.get(t.kind, ())}
        ok = False
        for name, parent in zip(t.parent_names, t.parents):
            ancestors = base.ancestors(parent)
            if t.iri in ancestors:
                raise TemplateError(f"{t.where}: column 'parent': {name!r} is below this term (a cycle of parents)")
            if root in ancestors:
                ok = True
            elif not allowed & ancestors:
                raise TemplateError(f"{t.where}: column 'parent': {name!r} is {_kind_of(base, parent)}, "
                                    f"not a {t.kind} (kind {t.kind!r} needs a parent under {base.label(root)!r})")
        if not ok:
            raise TemplateError(f"{t.where}: column 'parent': a {t.kind} needs a parent under {base.label(root)!r}")
    return terms


def _curie(iri: str) -> str:
    return "ckg:" + iri[len(CKG):] if iri.startswith(CKG) else iri


def _kind_of(index, iri: str) -> str:
    ancestors = index.ancestors(iri)
    for kind, root in KINDS.items():
        if root in ancestors and kind not in ("treatment",):
            article = "an" if kind[0] in "aeiou" else "a"
            return f"{article} {kind}"
    if KINDS["treatment"] in ancestors:
        return "a treatment"
    return "not a domain term"


def template_triples(terms: Iterable[TemplateTerm]) -> list[tuple[str, str, str, bool]]:
    """``(subject, predicate, object, object_is_iri)`` for every term: what ROBOT would write, without axioms."""
    out = []
    rdf_type = PREFIXES["rdf"] + "type"
    for t in terms:
        out.append((t.iri, rdf_type, PREFIXES["owl"] + "Class", True))
        out.append((t.iri, RDFS + "label", t.label, False))
        out += [(t.iri, RDFS + "subClassOf", p, True) for p in t.parents]
        out.append((t.iri, IAO_DEFINITION, t.definition, False))
        out.append((t.iri, IAO_DEFINITION_SOURCE, t.definition_source, False))
        out += [(t.iri, OBOINOWL + "hasExactSynonym", s, False) for s in t.exact_synonyms]
        out += [(t.iri, OBOINOWL + "hasRelatedSynonym", s, False) for s in t.related_synonyms]
        out += [(t.iri, OBOINOWL + "hasDbXref", x, False) for x in t.xrefs]
        if t.comment:
            out.append((t.iri, RDFS + "comment", t.comment, False))
    return out


def template_graph(terms: Iterable[TemplateTerm]):
    """The terms as an rdflib graph (plain literals, as in the edit file)."""
    from rdflib import Graph, Literal, URIRef

    graph = Graph()
    for s, p, o, is_iri in template_triples(terms):
        graph.add((URIRef(s), URIRef(p), URIRef(o) if is_iri else Literal(o)))
    return graph
