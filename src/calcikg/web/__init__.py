"""The browser interface (``calcikg web``) and the static site (``calcikg site``).

- :mod:`calcikg.web.source`: the graph (embedded Oxigraph or an endpoint) and the catalog of its nodes' pages;
- :mod:`calcikg.web.data`: what each page shows, read from the graph;
- :mod:`calcikg.web.figures`: the evidence map and the case timeline laid out for the SVG templates;
- :mod:`calcikg.web.render`: the Jinja2 templates (autoescaped) and the links between pages;
- :mod:`calcikg.web.app`: the Starlette app: pages, the API and its OpenAPI description;
- :mod:`calcikg.web.site`: the same templates written as a static site.

Stored queries run through :func:`calcikg.query.run_query`, so parameters are checked and bound
exactly as ``calcikg query`` binds them.
"""
