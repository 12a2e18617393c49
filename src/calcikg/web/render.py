"""The Jinja2 templates (autoescaped: every label and parameter is escaped) and the links between pages.

The same templates serve the web app and the static site; only :class:`Links` differs: absolute
routes (``/term/ckg:Pamidronate``) for the app, relative file names (``../term/ckg_Pamidronate.html``)
for the site, so that the site also works opened from disk.
"""

from __future__ import annotations

import re
import urllib.parse
from functools import lru_cache
from pathlib import Path

from calcikg.prefixes import compress

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "svg"],
                      default_for_string=True, default=True), undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["curie"] = compress
    env.filters["local"] = lambda iri: iri.rsplit("/", 1)[-1]
    env.filters["doi_url"] = lambda doi: "https://doi.org/" + urllib.parse.quote(doi, safe="/:;()._-")
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


class Links:
    """Where each page is, for the app (``static=False``) or a static site page ``depth`` folders down."""

    def __init__(self, catalog, static: bool = False, depth: int = 0):
        self.catalog, self.static = catalog, static
        self.root = "../" * depth if static else "/"

    def home(self) -> str:
        return self.root + ("index.html" if self.static else "")

    def asset(self, name: str) -> str:
        return f"{self.root}static/{name}"

    def term(self, curie: str) -> str:
        if self.static:
            return f"{self.root}term/{curie.replace(':', '_', 1)}.html"
        return f"{self.root}term/{urllib.parse.quote(curie, safe=':')}"

    def case(self, key: str) -> str:
        return f"{self.root}case/{urllib.parse.quote(key)}" + (".html" if self.static else "")

    def report(self, key: str, anchor: str = "") -> str:
        return f"{self.root}report/{urllib.parse.quote(key)}" + (".html" if self.static else "") + \
            (f"#{urllib.parse.quote(anchor)}" if anchor else "")

    def map(self, axis: str = "conditions", level: str | None = None) -> str:
        if self.static:
            return f"{self.root}map" + ("-types" if axis == "types" else "") + (f"-{level}" if level else "") + ".html"
        args = {k: v for k, v in (("axis", axis if axis != "conditions" else None), ("level", level)) if v}
        return f"{self.root}map" + (f"?{urllib.parse.urlencode(args)}" if args else "")

    def cell(self, axis: str, treatment: str, condition: str, level: str | None = None) -> str:
        t, c = compress(treatment), compress(condition)
        if self.static:
            return f"{self.root}map/{axis}--{t.replace(':', '_', 1)}--{c.replace(':', '_', 1)}.html"
        args = {"axis": axis, "treatment": t, "condition": c, **({"level": level} if level else {})}
        return f"{self.root}map/cell?{urllib.parse.urlencode(args)}"

    def query(self, name: str, params: dict[str, str] | None = None) -> str | None:
        if self.static:
            return None
        return f"{self.root}queries/{name}" + (f"?{urllib.parse.urlencode(params)}" if params else "")

    def api(self, name: str, params: dict[str, str] | None = None, ext: str = "") -> str:
        return f"{self.root}api/queries/{name}{ext}" + (f"?{urllib.parse.urlencode(params)}" if params else "")

    def of(self, iri: str | None) -> str | None:
        """The page showing ``iri`` (a term, case, report, statement, reference), or None."""
        if not iri:
            return None
        where = self.catalog.page(iri)
        if where is None:
            return None
        kind, key, anchor = where
        if kind == "term":
            return self.term(key)
        if kind == "case":
            return self.case(key)
        return self.report(key, anchor)


def cell_view(result, i: int, column: str, catalog, links: Links) -> dict:
    """How a result cell is shown: its text and, when there is one, the page it links to."""
    shown = result.rows[i][column]
    cell = result.cells[i].get(column) if i < len(result.cells) else None
    if cell is None:
        return {"text": "", "href": None, "sort": ""}
    kind, value, _ = cell
    href = None
    if kind == "iri":
        href = links.of(value) or (value if value.startswith(("http://", "https://")) else None)
        shown = catalog.labels.get(value, shown)
    elif _DOI.match(value):
        href = "https://doi.org/" + urllib.parse.quote(value, safe="/:;()._-")
    elif value in catalog.by_label:
        href = links.of(catalog.by_label[value])
    return {"text": shown, "href": href, "sort": shown.casefold()}


def row_evidence(result, i: int, catalog) -> list[str]:
    """The statements or cases a row rests on (IRIs in the row), whose evidence the row links to."""
    out = []
    for column in result.columns:
        cell = result.cells[i].get(column) if i < len(result.cells) else None
        if cell and cell[0] == "iri" and cell[1] in catalog.evidence and cell[1] not in out:
            out.append(cell[1])
    return out
