"""Bibliographic fields: the report's own citation line and its numbered reference list."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\]>\"“”,;]+)")
URL = re.compile(r"https?://[^\s>\])]+")
YEAR = re.compile(r"(?<![\d.])(1[89]\d\d|20\d\d)(?![\d])")
_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
_WORD = rf"[{_UP}][{_UP}{_LOW}'’\-]*"
#: Vancouver name: "Le C", "Bedocs PM", "Marco Puche M", "El-Shabrawi L".
V_NAME = re.compile(rf"({_WORD}(?:[ \-]{_WORD})*?) ([{_UP}]{{1,3}})(?=,|\.(?!\s?{_WORD},)|;|$| et al| and | &)")
#: APA name: "Mageau, A.", "Ea, H.-K.", "Orandi, A. B."
APA_NAME = re.compile(rf"({_WORD}(?:[ \-]{_WORD})*), ((?:[{_UP}]\.[ \-]?)+)")
#: "FABREGUET, Isabelle", "Jost, Jérémy".
FULL_NAME = re.compile(rf"({_WORD}), ([{_UP}][{_LOW}]+(?:[ \-][{_UP}][{_LOW}]+)*)(?=,| et al|\.)")
#: "S. Slimani", "Lisa G. Rider".
GIVEN_FIRST = re.compile(rf"((?:[{_UP}][{_LOW}]+ )?(?:[{_UP}]\. ?)*)({_WORD})(?=,| et al|\.)")
ET_AL = re.compile(r"^,?\s*(?:et al\.?|and others)", re.IGNORECASE)
_SEP = re.compile(r"^(?:,\s*&\s*|\s*&\s*|,\s*and\s+|\s+and\s+|,\s*)")


def _surname(s: str) -> str:
    s = s.strip()
    if s.isupper() and len(s) > 3:
        s = "-".join(part.capitalize() for part in s.split("-"))
    return s


def _initials(given: str) -> str:
    return "".join(ch for ch in given if ch.isupper())


def parse_authors(text: str) -> tuple[list[str], bool, int]:
    """Authors from the start of ``text``: ``(["Surname AB", ...], et_al, end position)``."""
    pos, authors, et_al = 0, [], False
    while pos < len(text):
        rest = text[pos:]
        m = V_NAME.match(rest)
        if m and not (authors == [] and APA_NAME.match(rest)):
            authors.append(f"{_surname(m.group(1))} {m.group(2)}")
        else:
            m = APA_NAME.match(rest)
            if m:
                authors.append(f"{_surname(m.group(1))} {_initials(m.group(2))}")
            else:
                m = FULL_NAME.match(rest) if not authors else None
                if m:
                    authors.append(f"{_surname(m.group(1))} {_initials(m.group(2))}")
                else:
                    m = GIVEN_FIRST.match(rest) if not authors else None
                    if not m or not m.group(1):
                        break
                    authors.append(f"{_surname(m.group(2))} {_initials(m.group(1))}")
        pos += m.end()
        rest = text[pos:]
        e = ET_AL.match(rest)
        if e:
            et_al = True
            pos += e.end()
            break
        s = _SEP.match(rest)
        if not s or not s.group(0):
            break
        # a degree after a name ("Rider, M.D.") is no author
        degree = re.match(r"(M\.?D\.?|Ph\.?D\.?|MD|PhD)\b\.?", text[pos + s.end():])
        if degree:
            pos += s.end() + degree.end()
            break
        pos += s.end()
    return authors, et_al, pos


def _clean(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip(" .,;:*\"“”'")


def _pages(s: str) -> str:
    return s.replace("–", "-").replace("—", "-").strip()


def parse_reference(number: int, raw: str) -> dict[str, Any]:
    """One entry of the reference list split into its fields (what is not found is left out)."""
    text = re.sub(r"\s+", " ", raw).strip()
    text = re.sub(r"\*(et al\.?)\*", r"\1", text)
    text = re.sub(r"\[(?:updated|cited|accessed|internet)[^\]]*\]\.?\s*(?=\S)", "", text, count=1, flags=re.IGNORECASE)
    text = re.sub(r"\s*\)\s*$", "", text) if text.count(")") > text.count("(") else text
    entry: dict[str, Any] = {"number": number}
    doi = DOI.search(text)
    url = URL.search(text)
    body = text
    if doi:
        entry_doi = doi.group(1).rstrip(".")
        body = body.replace(doi.group(0), " ")
        body = re.sub(r"\b(?:doi|DOI|Doi)\s*:?\s*(?=\s|$)", " ", body)
    if url:
        body = body.replace(url.group(0), " ")
    body = re.sub(r"\s+", " ", body).strip()
    authors: list[str] = []
    et_al = False
    title = ""
    after = body
    # APA with the title first: "Title. Surname, A., Other, B. (2017). Journal ..."
    title_first = re.search(r"\.\s+(" + APA_NAME.pattern + r".*?)\((1[89]\d\d|20\d\d)\)\.?", body)
    if title_first and not V_NAME.match(body) and not APA_NAME.match(body):
        title = _clean(body[:title_first.start() + 1])
        authors, et_al, _ = parse_authors(title_first.group(1))
        after = body[title_first.end():]
    else:
        authors, et_al, end = parse_authors(body)
        after = body[end:].lstrip(" .,")
        year_first = re.match(r"\((1[89]\d\d|20\d\d)[a-z]?\)\.?\s*", after)
        if year_first:
            after = after[year_first.end():]
        quoted = re.match(r"[\"“](.+?)[\"”]\s*[.,]?\s*", after)
        if quoted:
            title = _clean(quoted.group(1))
            after = after[quoted.end():]
        else:
            cut = re.search(r"(?<![A-Z])[.?!](?:\s+|$)(?!Part\b)", after)
            title = _clean(after[:cut.start() + (1 if after[cut.start()] == "?" else 0)] if cut else after)
            after = after[cut.end():] if cut else ""
    if authors:
        entry["authors"] = authors
    if et_al:
        entry["et_al"] = True
    entry["title"] = title or _clean(body)
    after = after.strip()
    after = re.sub(r"^In:\s*", "", after)
    journal = re.match(r"\*([^*]+)\*", raw[raw.find(after[:12]):] if after[:12] and after[:12] in raw else "")
    jm = re.match(r"(.+?)(?=[,.;]?\s*(?:\(?(?:1[89]|20)\d\d\b|[Vv]ol\b|VOLUME|\d+\s*\(|\d+\.\d+\s*\(|\d+\s*[,:;]|vol\d)|\.\s|$)",
                  after)
    if journal:
        entry["journal"] = _clean(journal.group(1))
    elif jm and _clean(jm.group(1)) and not YEAR.fullmatch(_clean(jm.group(1))):
        entry["journal"] = _clean(jm.group(1))
    if "journal" in entry:
        entry["journal"] = re.split(r",\s*(?:VOLUME|[Vv]ol\b|\d)", entry["journal"])[0].strip()
    years = [m for m in YEAR.finditer(after)] or [m for m in YEAR.finditer(body)]
    paren = re.search(r"\((1[89]\d\d|20\d\d)\)", body)
    if paren:
        entry["year"] = int(paren.group(1))
    elif years:
        entry["year"] = int(years[0].group(1))
    _volume_pages(after, entry)
    if doi:
        entry["doi"] = entry_doi
    if url:
        entry["url"] = url.group(0).rstrip(".")
    entry["publication_kind"] = _kind(entry, text)
    return entry


def _volume_pages(s: str, entry: dict[str, Any]) -> None:
    s = s.replace("–", "-")
    patterns = [
        r"(?:1[89]|20)\d\d\s*;\s*(?P<v>\d+)\s*(?:\((?P<i>[\w-]+)\))?\s*:\s*(?P<p>[\w]+(?:-\w+)?)",  # 2005; 436: 261-4
        r",\s*(?P<v>\d+)\((?P<i>[\w-]+)\),\s*(?P<p>\w+(?:-\w+)?)",  # , 84(6), 547-550
        r"(?P<v>\d+)\.(?P<i>\d+)\s*\((?:1[89]|20)\d\d\)\s*:\s*(?P<p>\w+(?:-\w+)?)",  # 15.1 (2017): 71
        r"(?P<v>\d+)\s*\((?:1[89]|20)\d\d\)\s*(?P<p>\d+-\d+)",  # 78 (2011)178-186
        r"[Vv]ol\.?\s*(?P<v>\d+)(?:,?\s*(?:n°|N°|no\.?|issue)\s*(?P<i>\d+))?.*?\bp{1,2}\.?\s*(?P<p>\d+-\d+)",
        r"vol\s*(?P<v>\d+)\s*N°\s*(?P<i>\d+).*?\bp\.?\s*(?P<p>\d+-\d+)",
        r"VOLUME\s*(?P<v>\d+)(?:,\s*NUMBER\s*(?P<i>\d+))?",
        r"\bVol\.\s*(?P<v>\d+)\.\s*No\.\s*(?P<i>\d+)",
        r"\bp{1,2}\.\s*(?P<p>\d+-\d+)",
    ]
    for pat in patterns:
        m = re.search(pat, s)
        if m:
            for key, group in (("volume", "v"), ("issue", "i"), ("pages", "p")):
                value = m.groupdict().get(group)
                if value and key not in entry:
                    entry[key] = _pages(value)
            if "volume" in entry and "pages" in entry:
                return


def _kind(entry: dict[str, Any], text: str) -> str:
    low = text.casefold()
    title = entry.get("title", "").casefold()
    if re.search(r"\b(meeting|congress|conference|symposium)\b", low):
        return "presentation"
    if "url" in entry and "journal" not in entry and "volume" not in entry:
        return "web page"
    if re.search(r"\b(edition|ed\.|textbook|publisher|publishing)\b", low) and "volume" not in entry:
        return "book chapter" if "statpearls" not in low else "reference entry"
    if re.search(r"\b(review|survey|overview)\b", title):
        return "review article"
    if re.search(r"\b(case|cases|patient|patients|a girl|a boy|a child|a woman|a man|à propos)\b", title):
        return "clinical case report"
    return "journal article"


def parse_references(lines: list[str]) -> list[dict[str, Any]]:
    """Every numbered entry ("1. ...", "[1] ...", "1) ..."), entries wrapped over lines joined."""
    entries: list[tuple[int, str]] = []
    for line in lines:
        line = line.strip()
        m = re.match(r"^(?:\[(\d{1,3})\]|(\d{1,3})[.)])\s+(.*)$", line)
        if m:
            entries.append((int(m.group(1) or m.group(2)), m.group(3)))
        elif entries and line:
            entries[-1] = (entries[-1][0], f"{entries[-1][1]} {line}")
    from calcikg.draft.text import clean_markup

    out = []
    for number, raw in entries:
        keep_italics = re.sub(r"\[\\?\[?[^\]\\]*\\?\]?\]\(#?[^)]*\)", "", raw)
        keep_italics = re.sub(r"<(https?://[^>]+)>", r"\1", keep_italics).replace("**", "")
        entry = parse_reference(number, keep_italics)
        entry["title"] = clean_markup(entry["title"]).strip("* ")
        if "journal" in entry:
            entry["journal"] = clean_markup(entry["journal"]).strip("* ,")
        out.append(entry)
    return out


# ------------------------------------------------------------------------------------ the report itself
def _ascii(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if c.isascii() and c.isalpha()).lower()


#: A web page's author line, surname first: "Chi, Daekwan, MD*; Kamochi, Hideaki, MD; ...".
_SEMI_AUTHOR = re.compile(rf"^\s*({_WORD}(?:[ \-]{_WORD})*),\s*([{_UP}][\w'’.\-]*(?: [{_UP}][\w'’.\-]*)*)"
                          r"(?:,\s*[A-Z][A-Za-z.]{1,6}\*?)*\s*\*?\s*$")
#: Given name first with degrees: "Grace Liao Lee, DPT; Matthew J. Zirwas, MD".
_DEGREE_AUTHOR = re.compile(rf"^\s*((?:[{_UP}][{_LOW}]*\.? )+)({_WORD})(?:,\s*[A-Z][A-Za-z.]{{1,6}})+\s*\*?\s*$")
#: Given name first with affiliation marks: "Sanjiv Choudhary 1,, Ankita Srivastava 1, ...".
_AFFIL_AUTHOR = re.compile(rf"^\s*((?:[{_UP}][{_LOW}]+ )+)({_WORD})\s*\d+(?:\s*,\s*\d+)*\s*,*\s*$")
#: "Journal: April 2018 - Volume 6 - Issue 4 - p e1730".
_ISSUE_LINE = re.compile(r"^(.+?):\s*(?:\w+\s+)?((?:19|20)\d\d)\s*-\s*Volume\s*(\w+)(?:\s*-\s*Issue\s*(\w+))?"
                         r"(?:\s*-\s*p{1,2}\.?\s*([\w\-–]+))?", re.IGNORECASE)
#: "Arch Dermatol. 2008;144(5):585-587", ". 2022 Sep 28;8(10):e10807", "2022 Jan 3;23:4" (a PubMed-style
#: citation: journal when printed, year, volume, issue when printed, pages).
_PUBMED_DATE = re.compile(r"^(?:([A-Z][\w .&\-]{2,60}?)\.\s*)?.*?\b((?:19|20)\d\d)(?:\s+\w{3}(?:\s+\d{1,2})?)?;\s*"
                          r"(\d+)(?:\((\w+)\))?:\s*([\w\-–]+)")


def _front_lines(front: list[str]) -> list[str]:
    return [line.strip() for block in front for line in block.split("\n") if line.strip()]


def front_authors(front: list[str]) -> list[str]:
    """Authors from a web page's front matter, when no citation line prints them."""
    for line in _front_lines(front):
        labelled = re.match(r"^Authors?:?\s+(.+)$", line)
        if labelled:
            authors, _, _ = parse_authors(re.sub(r"\s+,", ",", labelled.group(1)))
            if len(authors) >= 1:
                return authors
        items = [i for i in re.split(r";|,(?=\s*[A-Z][a-z]+ [A-Z])", line) if i.strip()]
        if len(items) >= 2 and all(_SEMI_AUTHOR.match(i) for i in line.split(";") if i.strip()) and ";" in line:
            return [f"{_surname(m.group(1))} {_initials(m.group(2))}"
                    for m in (_SEMI_AUTHOR.match(i) for i in line.split(";") if i.strip())]
        semis = [i for i in line.split(";") if i.strip()]
        if len(semis) >= 2 and all(_DEGREE_AUTHOR.match(i) for i in semis):
            return [f"{_surname(m.group(2))} {_initials(m.group(1))}" for m in map(_DEGREE_AUTHOR.match, semis)]
        parts = [i for i in re.split(r",(?!\s*\d)", line) if i.strip(" ,")]
        if len(parts) >= 2 and all(_AFFIL_AUTHOR.match(i) for i in parts):
            return [f"{_surname(m.group(2))} {_initials(m.group(1))}" for m in (_AFFIL_AUTHOR.match(i) for i in parts)]
    return []


def front_issue(front: list[str]) -> dict[str, Any]:
    """Journal, year, volume, issue and pages from a web page's front matter lines."""
    for line in _front_lines(front):
        m = _ISSUE_LINE.match(line)
        if m:
            out = {"journal": _clean(m.group(1)), "year": int(m.group(2)), "volume": m.group(3)}
            if m.group(4):
                out["issue"] = m.group(4)
            if m.group(5):
                out["pages"] = _pages(m.group(5))
            return out
        m = _PUBMED_DATE.search(line)
        if m:
            out = {"year": int(m.group(2)), "volume": m.group(3), "pages": _pages(m.group(5))}
            if m.group(1):
                out["journal"] = _clean(m.group(1))
            if m.group(4):
                out["issue"] = m.group(4)
            return out
        m = re.search(r"\bPublished\b.*?\b((?:19|20)\d\d)\b.*?\bVolume\s+(?:(?:19|20)\d\d:)?(\d+)"
                      r"(?:.*?\bPages?\s+([\w]+\s*[\-–—]\s*[\w]+))?", line)
        if m:
            out = {"year": int(m.group(1)), "volume": m.group(2)}
            if m.group(3):
                out["pages"] = _pages(m.group(3).replace("—", "-"))
            return out
    return {}


def report_fields(title: str, front: list[str], back: list[str], body: str, source_file: str,
                  letter: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``report:`` fields, and a comment per field where the curator must look."""
    report: dict[str, Any] = {}
    notes: dict[str, str] = {}
    citation = next((line for line in front + back if re.match(
        r"(cite this article as|citation of this article|how to cite|citation|to cite)", line, re.IGNORECASE)), "")
    citation = re.sub(r"^[^:]*:\s*", "", citation)
    report["title"] = title
    authors: list[str] = []
    rest = ""
    if citation:
        lead = re.sub(r"\bDr\.?\s+", "", citation)
        authors, _, end = parse_authors(lead)
        rest = lead[end:]
        if not authors or re.match(rf"{_WORD} [{_UP}][{_LOW}]+,", lead):
            # "Mouaddine Khadija, ..." (surname first, given name in full, as a citation prints it)
            names = re.findall(rf"({_WORD}) ({_WORD}(?: {_WORD})?)(?=,|\s*$|\s*[\"“]|\s+and\b)", lead.split("“")[0].split('"')[0])
            if names:
                authors = [f"{_surname(s)} {_initials(g)}" for s, g in names]
                notes["authors"] = "surname first as the citation line prints it; check the name order"
        t = title.casefold()[:40]
        at = rest.casefold().find(t) if t else -1
        if at >= 0:
            rest = rest[at + len(title):]
    if not authors:
        authors = front_authors(front)
        if not authors and front_authors([title]):  # the line taken for the title names the authors
            authors, report["title"] = front_authors([title]), "TODO curator: the title as printed"
        if authors:
            notes["authors"] = "read from the page's author line, not a citation line: check the name order"
    report["authors"] = authors or ["TODO curator"]
    if not authors:
        notes["authors"] = "no author line found: copy the authors as 'Surname AB'"
    if not citation:
        report.update({k: v for k, v in front_issue(front).items() if k not in report})
    rest = rest.strip(" .,\"”“")
    jm = re.match(r"([^\d–—]+?)\s*(?:[–—-]\s*\w+\s*[–—-]\s*)?(?=(?:1[89]|20)\d\d)", rest)
    if jm and _clean(jm.group(1)):
        report["journal"] = _clean(jm.group(1).replace("–", ""))
    ym = YEAR.search(rest) or YEAR.search(citation)
    if ym:
        report["year"] = int(ym.group(1))
    vm = re.search(r"(?:1[89]|20)\d\d\s*;\s*(\d+)\s*(?:\((\w+)\))?\s*:\s*([\w]+(?:[-–]\w+)?)", rest)
    if vm:
        report["volume"], report["pages"] = vm.group(1), _pages(vm.group(3))
        if vm.group(2):
            report["issue"] = vm.group(2)
    else:
        for key, pat in (("volume", r"\bVol(?:ume)?\.?\s*[–—-]?\s*(\d+)"), ("issue", r"\b(?:Issue|No\.?|N°)\s*[–—-]?\s*(\d+)"),
                         ("pages", r"\b(?:P\.\s*No\.|pp?\.|pages?)\s*[–—-]?\s*(\d+\s*[–—-]\s*\d+)")):
            m = re.search(pat, rest, re.IGNORECASE)
            if m:
                report[key] = _pages(m.group(1)).replace(" ", "")
    doi = None
    for line in front + back + [body]:
        doi = DOI.search(line)
        if doi:
            break
    if doi:
        report["doi"] = doi.group(1).rstrip(".")
    license_ = _license(" ".join(front + back))
    if license_:
        report["license"] = license_
    whole = " ".join([title] + front + [body[:3000]]).casefold()
    if letter or re.search(r"\bdear editor\b|letter to the editor", whole):
        report["publication_kind"] = "letter"
        notes["publication_kind"] = "guessed from the salutation: check"
    elif re.search(r"case reports?\b|report of (?:\w+ )?cases|case series|\bcases?\b.{0,20}\breport", whole):
        report["publication_kind"] = "clinical case report"
        notes["publication_kind"] = "guessed from the wording ('case report'): check"
    else:
        report["publication_kind"] = "journal article"
        notes["publication_kind"] = "default guess: check"
    first = authors[0].rsplit(" ", 1)[0] if authors else ""
    report_id = (_ascii(first.split()[0] if first else "") or "report") + str(report.get("year", ""))
    return {"id": report_id, "source_file": source_file, **report}, notes


def _license(text: str) -> str | None:
    low = text.casefold()
    printed = re.search(r"\bCC[ -]BY(?:[ -](?:NC|ND|SA))*(?:[ -]\d\.\d)?", text)
    if printed:
        return printed.group(0).replace("-", " ").replace("CC BY", "CC BY").replace(" NC", "-NC").replace(" ND", "-ND").replace(" SA", "-SA")
    if "creative commons" not in low:
        return None
    out = "CC BY"
    if re.search(r"non-?\s?commercial", low):
        out += "-NC"
    if re.search(r"no-?\s?deriv", low):
        out += "-ND"
    if re.search(r"share-?\s?alike", low):
        out += "-SA"
    return out
