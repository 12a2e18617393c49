"""Stage ``draft``: a report's plain text -> a draft record (YAML) for a curator to review.

``calcikg draft REPORT.txt [-o kg/records/ID.yaml] [--id ID]``. The draft opens with
``status: draft`` (the build refuses such a record), carries a locator on every drafted item,
resolves terms against the ontology's labels and exact synonyms and then the HPO, and never copies
a sentence of the report: summaries are left as a TODO for the curator, in own words.

>>> from calcikg.draft import draft_text
>>> text = "Dear Editor,\\n\\nA 3-year-old boy presented with a nodule on the left knee.\\n"
>>> "status: draft" in draft_text(text, "example.txt")
True
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from calcikg.errors import CalciKGError

__all__ = ["DraftError", "Draft", "draft_report", "draft_text", "read_report", "write_new", "skeleton"]


class DraftError(CalciKGError):
    """A report text that cannot be drafted, or a record that must not be overwritten (exit 2)."""


@dataclass
class Draft:
    """A drafted record: its data (values may carry comments), term candidates and timings."""

    record: dict[str, Any]
    candidates: list[tuple[str, str, str]] = field(default_factory=list)
    hpo_version: str = ""
    seconds: float = 0.0

    def yaml(self) -> str:
        from calcikg.draft.emit import emit

        lines = ["status: draft  # the build refuses a record in this state: delete this line once reviewed",
                 "# REVIEW before removing 'status: draft' (docs/curating.md):",
                 "#  - report: title, authors (Surname AB), journal, year, volume, pages, doi, publication_kind, read",
                 "#  - references: split of each entry (authors, title, journal, year); publication_kind is a guess",
                 "#  - cases: age, sex, sites and laterality, findings and results, diagnoses (certainty, role),",
                 "#    episodes (agent, dose, unit, route, frequency, duration), outcomes left empty on purpose",
                 "#  - statements: one claim each, cites, population, hedged; delete what the report does not claim",
                 "#  - every summary: one sentence in your own words (never the report's sentence)",
                 "#  - term candidates at the end: add the terms to the ontology or rename them in the record",
                 "#  - HPO labels marked '# HPO:...' are not ontology terms yet: map or add them",
                 ""]
        for key in ("report", "references", "cases", "statements"):
            if key in self.record:
                lines.extend(emit({key: self.record[key]}))
                lines.append("")
        if self.candidates:
            lines.append("# term_candidates: phrases that look like terms but resolve to nothing (kind?, locator)")
            for phrase, kind, where in self.candidates:
                lines.append(f"#  - '{phrase}' ({kind} {where})")
        return "\n".join(lines).rstrip() + "\n"


@lru_cache(maxsize=1)
def _matcher():
    from rdflib import URIRef

    from calcikg.build import load_ontology
    from calcikg.draft.concepts import Matcher, _hpo_names
    from calcikg.prefixes import EXACT_SYNONYM, RDFS_LABEL
    from calcikg.terms import TermIndex

    graph = load_ontology()
    index = TermIndex.from_graph(graph)
    names = [(str(s), str(o)) for p in (RDFS_LABEL, EXACT_SYNONYM)
             for s, o in graph.subject_objects(URIRef(p)) if isinstance(s, URIRef)]
    hpo, version = _hpo_names()
    return Matcher(index, names, hpo), version


def read_report(path: Path) -> str:
    """The text of ``path``; :class:`DraftError` (one line: what is wrong, what to do) otherwise."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DraftError(f"{path}: no such file; give the path of a report's plain text (.txt)") from None
    except IsADirectoryError:
        raise DraftError(f"{path}: is a folder; give the path of one report's plain text") from None
    except OSError as exc:
        raise DraftError(f"{path}: cannot be read ({exc.strerror}); check the path and its permissions") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DraftError(f"{path}: not UTF-8 text (byte {exc.start}); convert it, e.g. "
                         f"'iconv -f latin1 -t utf-8 {path.name} > new.txt', or extract the text from the PDF again") from None
    if not text.strip():
        raise DraftError(f"{path}: the file is empty; extract the report's text into it first")
    return text


def draft_report(text: str, source_file: str, report_id: str | None = None) -> Draft:
    """Draft a record from a report's plain text."""
    from calcikg.draft.biblio import parse_references, report_fields
    from calcikg.draft.extract import Context
    from calcikg.draft.text import read_document

    started = time.perf_counter()
    matcher, version = _matcher()
    doc = read_document(text)
    references = parse_references(doc.reference_lines)
    body = "\n\n".join(p.text for p in doc.paragraphs)
    report, notes = report_fields(doc.title, doc.front, doc.back, body, source_file, doc.letter)
    report["read"] = _read_guess(doc, text)
    if report_id:
        report["id"] = report_id
    ctx = Context(matcher, max((r["number"] for r in references), default=0), title=doc.title)
    cases, statements = _cases_and_statements(ctx, doc)
    record: dict[str, Any] = {"report": _report_block(report, notes), "references": references or []}
    if cases:
        record["cases"] = cases
    if statements:
        record["statements"] = statements
    candidates = list(dict.fromkeys(ctx.candidates))
    return Draft(record, candidates, version, time.perf_counter() - started)


def _report_block(report: dict[str, Any], notes: dict[str, str]) -> dict[str, Any]:
    from calcikg.draft.extract import Note

    order = ["id", "title", "authors", "journal", "year", "volume", "issue", "pages", "doi", "license",
             "publication_kind", "read", "read_note", "url", "source_file", "study_period"]
    report = dict(report)
    report["read"] = Note(report["read"], "full text | abstract only | partial: curator to correct"
                          + ("" if report["read"] == "full text" else " (no reference list or discussion found)"))
    out: dict[str, Any] = {}
    for key in order:
        if key in report:
            out[key] = Note(report[key], notes[key]) if key in notes else report[key]
        elif key in ("journal", "year"):
            out[f"# {key}"] = f"{key}: not found in a citation line; add it when the report prints it"
    return out


def _cases_and_statements(ctx, doc) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from calcikg.draft.extract import age_of, draft_case, draft_statements

    skip = {"Keywords", "Keyword", "Key words", "Acknowledgements", "Acknowledgments"}
    body = [p for p in doc.paragraphs if p.section.split(" > ")[0] not in skip]
    case_numbers = sorted({p.case for p in body if p.case})
    cases: list[dict[str, Any]] = []
    differentials: list[dict[str, Any]] = []
    if case_numbers:
        for n in case_numbers:
            case, diffs = draft_case(ctx, n, [p for p in body if p.case == n], whole_section=False)
            cases.append(case)
            differentials.extend(diffs)
        rest = [p for p in body if not p.case]
    else:
        # a single case without a heading: the paragraph that introduces the patient, and what follows
        # it while it still speaks of the patient
        start = next((i for i, p in enumerate(body) if age_of(p.text) and not _cites_refs(p.text)), None)
        if start is None:
            return [], draft_statements(ctx, body)
        chosen = [body[start]]
        for p in body[start + 1:]:
            if _cites_refs(p.text) or not _about_patient(p.text):
                break
            chosen.append(p)
        # an unnumbered case section ("Case report", "Case presentation") is the case's too, wherever the
        # patient was first introduced (often in the abstract or summary)
        chosen += [p for p in body if p not in chosen and re.match(CASE_SECTION, p.section)]
        chosen.sort(key=body.index)
        for p in chosen:
            p.case = 1
        letter = doc.letter or all(p.section == body[0].section for p in body)
        if letter:
            for p in chosen:
                p.section, p.number = "Case 1", 0 if len(chosen) == 1 else chosen.index(p) + 1
        case, diffs = draft_case(ctx, 1, chosen, whole_section=len(chosen) == 1)
        cases.append(case)
        differentials.extend(diffs)
        rest = [p for p in body if p.case is None]
    statements = []
    for d in differentials:
        from calcikg.draft.extract import TODO_SUMMARY, slug

        statements.append({"id": f"case-differential-{slug(d['differential'])}", "kind": "differential",
                           "of": d["of"], "differential": d["differential"],
                           "evidence": {"where": d["where"], "kind": "own patient observation", "level": "C",
                                        "summary": TODO_SUMMARY}})
    statements.extend(draft_statements(ctx, rest))
    from calcikg.draft.extract import _unique_ids

    _unique_ids(statements)
    return cases, statements


CASE_SECTION = r"(?i)case (?:reports?|presentations?|descriptions?|history)\b"


def _read_guess(doc, text: str) -> str:
    """``full text`` when the text has a reference list or a discussion, else ``partial`` (a cut copy)."""
    closing = any(re.match(r"(?i)(discussion|conclusions?|comments?|results and discussion)\b", p.section)
                  for p in doc.paragraphs)
    cut = re.search(r"(?i)\[rest of (?:the )?article not stored\]", text)
    return "full text" if (doc.reference_lines or closing or doc.letter) and not cut else "partial"


def _cites_refs(text: str) -> bool:
    return bool(re.search(r"[(\[]\d{1,3}(?:\s*[,–-]\s*\d{1,3})*[)\]]", text))


def _about_patient(text: str) -> bool:
    return bool(re.search(r"\b(the patient|our patient|the infant|the child|she|he|her|his)\b", text[:200], re.IGNORECASE))


def draft_text(text: str, source_file: str, report_id: str | None = None) -> str:
    """The draft record of ``text`` as YAML."""
    return draft_report(text, source_file, report_id).yaml()


def skeleton(report_id: str) -> str:
    """An empty record with every field commented."""
    from calcikg.draft.emit import skeleton as _skeleton

    return _skeleton(report_id)


def write_new(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` atomically, never replacing an existing file."""
    if path.exists():
        raise DraftError(f"{path}: already exists; the drafter never overwrites a record: choose another -o path "
                         "or move the existing file away")
    if not path.parent.is_dir():
        raise DraftError(f"{path}: the folder {path.parent} does not exist; create it or choose another -o path")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
        try:
            os.link(tmp, path)  # atomic, and fails when the target appeared meanwhile
        except FileExistsError:
            raise DraftError(f"{path}: already exists; the drafter never overwrites a record") from None
        except OSError:
            if path.exists():
                raise DraftError(f"{path}: already exists; the drafter never overwrites a record") from None
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
