"""``calcikg site -o DIR``: the term, case and report pages and the evidence map as a static site.

The pages come from the same templates as ``calcikg web`` with relative links (so the site works
opened from disk); everything is sorted and nothing carries a date, so the same graph gives
byte-identical files. The site is written into a fresh folder beside ``DIR`` and swapped in only
when complete; an existing ``DIR`` is replaced only if it is empty or a site written here before.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from calcikg.errors import UsageError
from calcikg.prefixes import compress
from calcikg.web import data, figures
from calcikg.web.render import STATIC, Links, render

MARKER = ".calcikg-site"


def pages(source: data.Source):
    """``(relative path, HTML)`` of every page of the site, in a fixed order."""
    c = source.catalog

    def page(path: str, template: str, **context) -> tuple[str, str]:
        links = Links(c, static=True, depth=path.count("/"))
        return path, render(template, links=links, catalog=c, static=True, version=source.version, q="", **context)

    yield page("index.html", "home.html", title="CalciKG", coverage=data.coverage(source), tags={}, queries={},
               reports=c.reports, cases=c.cases, hits=None)
    terms = sorted((i for i in c.labels if c.is_term(i)), key=lambda i: (c.label(i).casefold(), i))
    yield page("terms.html", "terms.html", title="Terms", terms=terms)
    for iri in terms:
        curie = compress(iri)
        yield page(f"term/{curie.replace(':', '_', 1)}.html", "term.html", title=f"{c.label(iri)} ({curie})",
                   t=data.term(source, iri))
    for iri in c.cases:
        info = data.case(source, iri)
        yield page(f"case/{info['id']}.html", "case.html", title=info["label"], c=info,
                   timeline=figures.timeline(info["episodes"]))
    for iri in c.reports:
        info = data.report(source, iri)
        yield page(f"report/{info['id']}.html", "report.html", title=f"{info['label']}: {info['bib']['title'] or ''}",
                   r=info)
    statements = data.map_statements(source)
    levels = data.levels(source)
    for axis in figures.AXES:
        for level in [None, *levels]:
            figure = figures.evidence_map(statements, c, axis, level)
            name = Links(c, static=True).map(axis, level)
            yield page(name, "map.html", title=f"Evidence map: treatments × {figures.AXES[axis]}"
                       + (f", level {level}" if level else ""), fig=figure, levels=levels, axes=figures.AXES)
        for (t, cond), group in sorted(figures.cells(statements, c, axis, None).items()):
            name = Links(c, static=True).cell(axis, t, cond)
            yield page(name, "cell.html", title=f"{c.label(t)} in {'no condition stated' if cond == figures.NONE else c.label(cond)}",
                       axis=axis, level=None, treatment=t, condition=cond, statements=group)


def build_site(out: Path, source: data.Source | None = None) -> int:
    """Write the site to ``out``; returns the number of pages."""
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file: give a folder for the site")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise UsageError(f"{out} is not empty and was not written by 'calcikg site': choose a new or empty folder")
    source = source or data.Source()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        count = 0
        for path, html in pages(source):
            target = work / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
            count += 1
        shutil.copytree(STATIC, work / "static")
        (work / MARKER).write_text("written by calcikg site; the folder is replaced as a whole\n", encoding="utf-8")
        work.chmod(0o755)
        if out.exists():
            old = out.with_name(f".{out.name}-old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            work.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return count
