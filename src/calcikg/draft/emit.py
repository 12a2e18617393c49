"""Write a drafted record as YAML with comments for the curator (keys in the schema's order)."""

from __future__ import annotations

from typing import Any

import yaml

from calcikg.draft.extract import Note


def scalar(value: Any) -> str:
    """One YAML scalar (or a flow list of scalars), quoted only where YAML needs it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, dict) and not value:
        return "{}"
    text = yaml.safe_dump(value, allow_unicode=True, width=10 ** 6, default_style=None).strip()
    if text.endswith("\n..."):
        text = text[:-4].strip()
    if text.endswith("..."):
        text = text[:-3].strip()
    return text


def _flow_map(value: dict[str, Any]) -> str | None:
    """``{section: Case 2, paragraph: 3}`` for short flat mappings (locators)."""
    if set(value) <= {"section", "paragraph"} and value:
        return "{" + ", ".join(f"{k}: {scalar(v)}" for k, v in value.items()) + "}"
    return None


def emit(obj: Any, indent: int = 0) -> list[str]:
    """YAML lines for a mapping whose values may be :class:`Note`; keys "# ..." are comment lines."""
    pad = " " * indent
    lines: list[str] = []
    for key, value in obj.items():
        if key.startswith("#"):
            for text in (value if isinstance(value, list) else [value]):
                lines.append(f"{pad}# {text}")
            continue
        comment = ""
        if isinstance(value, Note):
            if value.value is None:  # left for the curator: a comment keeps the record schema-valid
                lines.append(f"{pad}# {key}:  {value.comment}")
                continue
            comment = f"  # {value.comment}"
            value = value.value
        if isinstance(value, dict) and value:
            flow = _flow_map(value)
            if flow:
                lines.append(f"{pad}{key}: {flow}{comment}")
            else:
                lines.append(f"{pad}{key}:{comment}")
                lines.extend(emit(value, indent + 2))
        elif isinstance(value, list) and value and any(isinstance(v, (dict, Note)) for v in value):
            lines.append(f"{pad}{key}:{comment}")
            for item in value:
                item_comment = ""
                if isinstance(item, Note):
                    item_comment, item = f"  # {item.comment}", item.value
                if isinstance(item, dict):
                    sub = emit(item, indent + 4)
                    first = next(i for i, line in enumerate(sub) if not line.strip().startswith("#"))
                    for line in sub[:first]:
                        lines.append(line)
                    lines.append(f"{pad}  - {sub[first][indent + 4:]}{item_comment}")
                    lines.extend(sub[first + 1:])
                else:
                    lines.append(f"{pad}  - {scalar(item)}{item_comment}")
        else:
            text = scalar(value)
            lines.append(f"{pad}{key}:{' ' + text if text else ''}{comment}")
    return lines


SKELETON = """\
status: draft  # the build refuses a record in this state: delete this line once the record is reviewed
# A CalciKG record, to fill in by hand (docs/curating.md, kg/schema/report-record.schema.json).
# Terms are written as an ontology label, an exact synonym or a CURIE (ckg:Pamidronate).
# Summaries and notes are your own words, never a sentence of the report; no patient names.

report:
  id: {id}  # first author's surname + year, lowercase (file kg/records/{id}.yaml)
  title:  # as printed
  authors:  # list, "Surname AB" each, in the printed order
    -
  journal:  # as printed (abbreviated or not); leave out when none is printed
  year:  # of publication, a number; leave out when none is printed
  volume:  # a string: "53"
  issue:  # a string
  pages:  # a string: "267-268"
  doi:  # bare 10.x/..., only when printed
  license:  # only when printed, e.g. CC BY-NC
  publication_kind:  # letter | clinical case report | journal article | review article | ...
  read: full text  # full text | abstract only | partial (say what in read_note)
  read_note:  # what was curated from, when not the full text
  url:  # optional: where the report can be read
  source_file:  # optional: the text file the record was curated from (under the reports folder)
  study_period:  # a case series' period as printed, e.g. 2003-2019

references:  # every entry of the reference list, numbered as printed
  - number: 1
    authors:  # "Surname AB"
      -
    et_al:  # true when the printed list ends with "et al."
    title:
    journal:
    year:
    volume:
    issue:
    pages:
    doi:
    url:
    publication_kind: journal article  # journal article | clinical case report | review article | web page | book chapter | ...

cases:  # one per patient, numbered as in the report
  - number: 1
    age_at_presentation: {{value: , unit: }}  # unit: year | month | week | day; only when printed
    age_at_onset:  # same form; only when printed
    sex:  # female | male | not stated
    diagnoses:  # at least one; the calcinosis type and the diseases the report names
      - condition:  # a term: idiopathic calcinosis cutis, juvenile dermatomyositis, ...
        certainty:  # confirmed | suspected (only when the report says)
        role:  # underlying (the report ties the calcinosis to it) | coexisting
        note:
    sites:
      - site:  # a term: elbow, knee, thigh, back, ...
        laterality:  # left | right | bilateral (only when printed)
        note:
    findings:
      - type:  # a term (ontology label or HPO label)
        result:  # normal | abnormal | elevated | decreased | positive | negative
        value: {{value: , unit: }}  # a printed measurement with its unit
        site:
        note:
        where: {{section: Case 1, paragraph: 1}}  # locator (docs/curating.md)
    causes:  # what the report names as the cause or trigger of the calcinosis (never an episode)
      - agent:  # a term: a drug (calcium gluconate), extravasation, physical trauma, a procedure
        hedged:  # true when the report only suggests it
        note:
        evidence:
          where: {{section: Case 1, paragraph: 1}}
          kind: own patient observation
          level: C
          summary:  # one sentence, your own words
    onset_context:  # what was going on when the calcinosis appeared, without judging it (a drug being tapered)
      during:  # treatments being given then
      note:
      where: {{section: Case 1, paragraph: 1}}
    episodes:  # in the report's order, one agent or procedure each
      - number: 1
        intervention:  # a term: pamidronate, surgical excision, watchful waiting, ...
        route:  # intravenous | oral | topical | intralesional (only when printed)
        doses:
          - value:  # or min: / max: for a range
            unit:  # mg/kg/day | mg/day | g/1.73 m2/day | mg | g | % | ...
            frequency:  # as printed: "three times weekly"
            duration: {{value: , unit: }}
        combined_with:  # numbers of episodes given together
        concomitant:  # other treatments given alongside
        calcinosis_outcome:  # complete regression | near-complete regression | partial improvement | improvement, degree not stated | response in some patients | remission | no significant improvement | worsening | stabilisation | unknown, follow-up ongoing
        disease_outcome:  # same values, for the underlying disease
        outcome_note:
        stop_reason:
        evidence:
          where: {{section: Case 1, paragraph: 1}}
          kind: own patient observation
          level: C  # CIViC-like A-E; a case report is C
          summary:  # one sentence, your own words
    evidence:
      where: {{section: Case 1}}
      kind: own patient observation
      level: C
      summary:  # one sentence, your own words

statements:  # what the background and discussion claim
  - id:  # lowercase words with hyphens, unique in the record
    kind:  # treatment | association | classification | differential | cohort
    intervention:  # treatment: a term
    population:  # treatment: conditions: [terms], patients, sex, age, cases, note
      conditions: []
    hedged:  # true when the report hedges ("seems to", "may")
    evidence:
      where: {{section: Discussion, paragraph: 1}}
      kind:  # own patient observation | cited literature claim | author statement
      cites: []  # reference numbers, for a cited literature claim
      level:  # A | B | C | D | E
      summary:  # one sentence, your own words
"""


def skeleton(report_id: str) -> str:
    """An empty record with every field present and commented, for curation by hand."""
    return SKELETON.format(id=report_id)
