"""Read a report's plain text into sections, paragraphs and sentences, with citations.

A *block* is text between blank lines. Headings (markdown ``#``, a bold line, "Case N", "➤ Case 2",
the usual section names) open sections; other blocks are paragraphs, counted per section. A blank
line that only marks a page break (the block before it ends without sentence punctuation and the
next starts in lower case) does not start a paragraph; figure and table captions are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Section names that are top-level wherever they appear (other headings nest under the current one).
TOP_LEVEL = re.compile(
    r"^(abstract|summary|keywords?|key ?words|introduction|background|materials? and methods?|methods?|patients? and methods?"
    r"|case (?:reports?|presentations?|descriptions?|series|history|summary)|cases?(?: \d+)?|report of (?:an? |the )?cases?"
    r"|clinical (?:synopsis|presentation|summary|history|case)|full text|results?"
    r"|results and discussion|discussion|comments?|conclusions?|references|bibliography|acknowledge?ments?)$",
    re.IGNORECASE)
CASE_HEADING = re.compile(r"^(?:case|patient)\s+(\d+)\b", re.IGNORECASE)
REFERENCES_HEADING = re.compile(r"^(references|bibliography|literature cited)$", re.IGNORECASE)
CAPTION = re.compile(r"^(?:\*\*)?(?:figure|fig\.|table|photo(?:graph)?)\s*\d", re.IGNORECASE)
#: "Key: value" lines of the front and back matter (a paragraph never starts like this).
META = re.compile(
    r"^(?:\*\*)?(cite this article as|citation of this article|how to cite|copyright|©|corresponding author|e-?mail"
    r"|received|accepted|published|conflicts? of interests?|financial disclosure|funding|type of publication"
    r"|doi|keywords?|address|orcid|peer[- ]review|informed consent|ethics)\b", re.IGNORECASE)
SALUTATION = re.compile(r"^(dear (editor|sir|madam|editors)|to the editor)\b", re.IGNORECASE)
#: A section name that opens its paragraph on the same line: "Summary: Tumoral calcinosis is ...".
INLINE_HEADING = re.compile(
    r"^(?:\*\*)?(abstract|summary|background|introduction|objectives?|case (?:reports?|presentations?|descriptions?)|case"
    r"|clinical synopsis"
    r"|patients? and methods?|methods?|results?|discussion|conclusions?)(?:\*\*)?\s*:\s+(?=\S)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;)\]]\s*$|[.!?]\s*\[[\d,\s–-]+\]\s*$")


def clean_markup(text: str) -> str:
    """Text without markdown emphasis, HTML superscripts and link syntax (word positions kept readable)."""
    text = re.sub(r"<sup>\s*([^<]*?)\s*</sup>", r"\1", text)
    text = re.sub(r"<sub>\s*([^<]*?)\s*</sub>", r"\1", text)
    text = re.sub(r"\[\\?\[?([^\]\\]*)\\?\]?\]\(#?[^)]*\)", "", text)  # [\[CrossRef\]](#)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    text = text.replace("**", "").replace("&nbsp;", " ")
    text = re.sub(r"(?<![\w*])\*(?!\s)([^*\n]+?)\*(?!\w)", r"\1", text)
    return re.sub(r"[ \t\u00a0]+", " ", text).strip()


@dataclass
class Paragraph:
    """One paragraph of the body: its section, its number in the section and its text."""

    section: str
    number: int
    text: str
    case: int | None = None  # the case number when the paragraph belongs to a case section


@dataclass
class Document:
    """The report as read: the title, front-matter lines, body paragraphs and the reference list."""

    title: str = ""
    front: list[str] = field(default_factory=list)
    back: list[str] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    reference_lines: list[str] = field(default_factory=list)
    letter: bool = False
    missing_cases: list[int] = field(default_factory=list)


def _heading(block: str) -> tuple[str, int] | None:
    """``(name, level)`` when ``block`` is a heading; level 1 top, 2 nested."""
    if "\n" in block.strip():
        return None
    raw = block.strip()
    hashes = re.match(r"^(#{1,6})\s*(.*)$", raw)
    bold = False
    if hashes:
        raw = hashes.group(2)
    stripped = re.sub(r"^[➤►▶•\-–*>\s]+", "", raw.replace("**", "**")).strip()
    if stripped.startswith("**") and stripped.rstrip(":").endswith("**") and stripped.count("**") == 2:
        bold = True
    name = clean_markup(re.sub(r"^[➤►▶•\-–>\s]+", "", clean_markup(raw))).strip().rstrip(":").strip()
    if not name or len(name) > 120:
        return None
    if CAPTION.match(name) or (META.match(name) and not TOP_LEVEL.match(name)):
        return None
    known = TOP_LEVEL.match(name) or CASE_HEADING.match(name) and len(name.split()) <= 4
    if hashes or bold:
        return name, 1 if known else 2
    if known and len(name.split()) <= 5 and not name.endswith("."):
        return name, 1
    return None


def _ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text))


def _joins(previous: str, following: str) -> bool:
    """Whether ``following`` continues ``previous`` across a page break."""
    if previous.endswith("-") and following[:1].islower():
        return True
    return not _ends_sentence(previous) and bool(following[:1]) and (following[0].islower() or following[0] in "(,;")


#: Lines of a saved web page that are not the article: navigation, sharing, markers of a cut copy.
PAGE_CHROME = re.compile(r"^\s*(?:skip to main content|share this article on:?|back to top\b.*|open in a new tab"
                         r"|={3}.*={3}|\[rest of (?:the )?article not stored\])\s*$", re.IGNORECASE | re.MULTILINE)


def _blocks(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = PAGE_CHROME.sub("", text)
    out: list[str] = []
    for b in re.split(r"\n\s*\n", text):
        b = b.strip()
        if not b or b in {"&nbsp;", "\u00a0"}:
            continue
        for part in _split_lines(b):
            inline = INLINE_HEADING.match(part)
            if inline:  # the heading as a block of its own, then its paragraph
                out += [f"# {inline.group(1)}", part[inline.end():]]
            else:
                out.append(part)
    return out


def _split_lines(block: str) -> list[str]:
    """A block whose lines are headings or whole paragraphs (a page saved without blank lines) as one
    block per line; any other block (lines wrapped inside a paragraph) as it is."""
    lines = [line.strip() for line in block.split("\n") if line.strip()]
    if len(lines) < 2:
        return [block]
    headings = [line for line in lines if TOP_LEVEL.match(line.rstrip(":").strip())]
    prose = [line for line in lines if len(line) >= 80]
    if headings or (len(prose) >= 2 and all(_ends_sentence(line) for line in prose)):
        return lines
    return [block]


def read_document(text: str) -> Document:
    """Sections and paragraphs of a report's plain text."""
    doc = Document()
    blocks = _blocks(text)
    section: str | None = None  # None: front matter
    top = ""
    counts: dict[str, int] = {}
    case: int | None = None
    in_refs = False
    last: Paragraph | None = None
    seen_cases: list[int] = []
    for block in blocks:
        head = _heading(block)
        if in_refs:
            if head and not REFERENCES_HEADING.match(head[0]):
                in_refs = False
            elif META.match(clean_markup(block)):
                doc.back.append(clean_markup(block))
                continue
            else:
                doc.reference_lines.extend(line for line in block.split("\n") if line.strip())
                continue
        if head:
            name, level = head
            if not doc.title and section is None and not TOP_LEVEL.match(name) and not CASE_HEADING.match(name):
                doc.title = name
                continue
            if REFERENCES_HEADING.match(name):
                in_refs, section, last = True, "References", None
                continue
            found = CASE_HEADING.match(name)
            if found:
                case = int(found.group(1))
                seen_cases.append(case)
                section = top = f"Case {case}"
            elif level == 1 or section is None:
                case = None
                section = top = name
            else:
                section = f"{top} > {name}" if top else name
            last = None
            continue
        cleaned = clean_markup(block)
        if not cleaned or CAPTION.match(cleaned):
            continue
        if section is None:
            if SALUTATION.match(cleaned):
                doc.letter = True
                section = top = "Letter text"
                continue
            if not doc.title and len(cleaned) < 200 and "\n" not in block and not META.match(cleaned):
                doc.title = cleaned
                continue
            doc.front.append(cleaned)
            continue
        if META.match(cleaned):
            doc.back.append(cleaned)
            continue
        if last is not None and _joins(last.text, cleaned):
            if last.text.endswith("-") and cleaned[:1].islower():
                last.text = last.text[:-1] + cleaned
            else:
                last.text = f"{last.text} {cleaned}"
            continue
        if section == "Letter text" and not _ends_sentence(cleaned) and len(cleaned.split()) < 25:
            doc.back.append(cleaned)  # a signature or an affiliation line after the letter
            continue
        counts[section] = counts.get(section, 0) + 1
        last = Paragraph(section, counts[section], cleaned, case)
        doc.paragraphs.append(last)
    if sum(len(p.text) for p in doc.paragraphs) < 300:
        _prose_of_the_front(doc)
    doc.missing_cases = [n for n in range(1, max(seen_cases, default=0) + 1) if n not in seen_cases]
    for n in doc.missing_cases:
        _recover_case(doc, n)
    return doc


_TREATED = re.compile(r"\b(treated|treatment|was put on|received|started|prescribed|benefited|dose|therapy|excision)\b",
                      re.IGNORECASE)
_WORKUP = re.compile(r"\b(diagnos\w*|biops\w+|histolog\w*|histopatholog\w*|presented|was admitted|was referred"
                     r"|years?[- ]old|months?[- ]old)\b", re.IGNORECASE)


def _prose_of_the_front(doc: Document) -> None:
    """A page with no heading the reader knows: its prose blocks (sentences, not lines of metadata) are
    the text, in a section "Text"."""
    prose = [b for b in doc.front if len(b) >= 150 and len(re.findall(r"[.!?](?:\s|$)", b)) >= 2]
    for number, block in enumerate(prose, start=len([p for p in doc.paragraphs if p.section == "Text"]) + 1):
        doc.front.remove(block)
        doc.paragraphs.append(Paragraph("Text", number, block))


def missing_case_section(n: int) -> str:
    """The locator of a case whose heading the text lost."""
    return f"Case {n} (heading missing in the text; paragraphs between Case {n - 1} and Case {n + 1})"


def _recover_case(doc: Document, n: int) -> None:
    """Case ``n`` has no heading while cases ``n-1`` and ``n+1`` have: its paragraphs are in case ``n-1``.

    The narrative of a case goes from presentation and work-up to treatment; the first paragraph of
    case ``n-1`` that goes back to work-up or diagnosis after a treatment paragraph starts case ``n``.
    """
    before = [p for p in doc.paragraphs if p.case == n - 1]
    if not before or not any(p.case == n + 1 for p in doc.paragraphs):
        return
    treated = False
    for i, p in enumerate(before):
        first = sentences(p.text)[0] if p.text else ""
        if treated and i >= 1 and _WORKUP.search(first):
            section = missing_case_section(n)
            for k, q in enumerate(before[i:], start=1):
                q.case, q.section, q.number = n, section, k
            return
        treated = treated or bool(_TREATED.search(p.text))


# ------------------------------------------------------------------------------------ sentences
_ABBREV = r"(?:et al|e\.g|i\.e|vs|Dr|Drs|Mr|Mrs|Ms|Prof|Fig|fig|No|no|approx|ca|cf|St|Jr|Sr|vol|Vol|p|pp|resp|Ref|ref)"
_CITE_BODY = r"\d{1,3}(?:\s*[,–-]\s*\d{1,3})*"


def normalise_citations(text: str, max_ref: int) -> str:
    """Superscript-like citation numbers glued to a word ("tissues.1", "patients.2, 3") as "[1]" before the stop."""
    if max_ref <= 0:
        return text

    def glued(m: re.Match) -> str:
        numbers = cite_numbers(m.group(2))
        if numbers and max(numbers) <= max_ref:
            return f"{m.group(1)} [{m.group(2)}]."
        return m.group(0)

    return re.sub(r"([A-Za-z)\]]{2,})\.(" + _CITE_BODY + r")(?=\s+[A-Z(]|\s*$)", glued, text)


def cite_numbers(body: str) -> list[int]:
    """``"1, 3-5"`` -> ``[1, 3, 4, 5]``."""
    out: list[int] = []
    for part in re.split(r"\s*,\s*", body.strip()):
        m = re.fullmatch(r"(\d+)\s*[–-]\s*(\d+)", part)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo < hi <= lo + 30:
                out.extend(range(lo, hi + 1))
        elif part.isdigit():
            out.append(int(part))
    return out


def citations(sentence: str, max_ref: int) -> list[int]:
    """Reference numbers cited in ``sentence``: "(1, 2)", "[3]", "[8, 9]", "(3-5)"."""
    found: list[int] = []
    for m in re.finditer(r"[(\[](" + _CITE_BODY + r")[)\]]", sentence):
        numbers = cite_numbers(m.group(1))
        if numbers and max(numbers) <= max_ref and min(numbers) >= 1:
            found.extend(n for n in numbers if n not in found)
    return found


def strip_citations(sentence: str) -> str:
    return re.sub(r"\s*[(\[](" + _CITE_BODY + r")[)\]]", "", sentence)


def sentences(text: str) -> list[str]:
    """Split a paragraph into sentences (abbreviations, decimals and initials do not end one)."""
    text = re.sub(r"([a-z]{2}[a-z)\]])\.([A-Z][a-z]{2,})", r"\1. \2", text)  # "wing.Magnetic": a lost space
    protected = re.sub(r"\b(" + _ABBREV + r")\.", lambda m: m.group(1) + "\x00", text)
    protected = re.sub(r"\b([A-Z])\.(?=\s?[A-Z])", lambda m: m.group(1) + "\x00", protected)  # initials
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z(\[\"“0-9])|(?<=[.!?]\])\s+|(?<=[.!?][)\]])\s+", protected)
    return [p.replace("\x00", ".").strip() for p in parts if p.strip()]


def clauses(sentence: str) -> list[str]:
    """A sentence cut where it turns to another claim ("..., while ...", "; ...", ", whereas ...")."""
    parts = re.split(r";\s+|,?\s+(?:while|whereas|but|however,)\s+", sentence)
    return [p for p in parts if p.strip()]
