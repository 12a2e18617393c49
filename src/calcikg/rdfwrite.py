"""Fast writers for the releases: N-Triples, Turtle and RDF/XML, byte for byte as rdflib lays them out.

The releases used to be written by rdflib's serializers (Turtle: subjects ordered by how often they
are referenced, then by IRI; RDF/XML: subjects, predicates and objects sorted). rdflib needs about
35 s per million triples; these writers give the same bytes (tests/test_release.py compares them
with rdflib on the real graph and on synthetic reports) a subject at a time, so that

- each report's subjects are rendered once, in the worker that built the report, and cached;
- a release is put together from those cached pieces in the global order (:func:`assemble`),
  mostly by copying byte ranges of cache files (``os.copy_file_range``).

Terms are plain Python values: an IRI is a ``str``, a literal a :class:`Lit`. Every literal is
put in canonical lexical form first (:func:`canonical`): an ``xsd:decimal`` always with its
decimal point (``6.0``, ``2.5``; the form Turtle's decimal shorthand writes, so that the Turtle,
RDF/XML and N-Triples releases hold the same literal), integers without leading zeros or sign.
There are no blank nodes in the graph (the builder names every node).
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

from calcikg.prefixes import PREFIXES

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_CLASS = "http://www.w3.org/2000/01/rdf-schema#Class"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD_DECIMAL, XSD_INTEGER, XSD_BOOLEAN, XSD_DOUBLE = (XSD + n for n in ("decimal", "integer", "boolean", "double"))


class Lit(NamedTuple):
    """A literal: lexical form, datatype IRI (or None), language tag (or None)."""

    lex: str
    datatype: str | None = None
    lang: str | None = None


Term = str | Lit
Triple = tuple[str, str, Term]


# -- canonical literals ---------------------------------------------------------------------------
def canonical_decimal(lex: str) -> str:
    """``6`` -> ``6.0``, ``2.50`` -> ``2.5``, ``-0`` -> ``0.0``: the decimal point always written."""
    try:
        d = Decimal(lex.strip())
    except InvalidOperation:
        return lex
    if not d.is_finite():
        return lex
    text = format(d.normalize(), "f") if d != 0 else "0"
    if "." not in text:
        text += ".0"
    return "0.0" if text in ("-0.0", "0.0") else text


def canonical(lit: Lit) -> Lit:
    """``lit`` in canonical lexical form (decimals, integers and booleans; other datatypes as given)."""
    if lit.datatype == XSD_DECIMAL:
        return Lit(canonical_decimal(lit.lex), XSD_DECIMAL)
    if lit.datatype == XSD_INTEGER:
        try:
            return Lit(str(int(lit.lex.strip())), XSD_INTEGER)
        except ValueError:
            return lit
    if lit.datatype == XSD_BOOLEAN and lit.lex.strip() in ("1", "0", "true", "false"):
        return Lit("true" if lit.lex.strip() in ("1", "true") else "false", XSD_BOOLEAN)
    return lit


def from_rdflib(triples: Iterable) -> list[Triple]:
    """rdflib triples -> plain triples, literals canonical (a blank node is refused)."""
    from rdflib import Literal, URIRef

    out = []
    for s, p, o in triples:
        if not isinstance(s, URIRef) or not isinstance(o, (URIRef, Literal)):
            from calcikg.errors import CalciKGError

            raise CalciKGError(f"blank node in {(s, p, o)}: give every node an IRI so builds stay deterministic")
        if isinstance(o, Literal):
            o = canonical(Lit(str(o), str(o.datatype) if o.datatype else None, o.language or None))
        else:
            o = str(o)
        out.append((str(s), str(p), o))
    return out


def to_rdflib(t: Term):
    from rdflib import Literal, URIRef

    if isinstance(t, Lit):
        return Literal(t.lex, datatype=t.datatype, lang=t.lang)
    return URIRef(t)


# -- term syntax ----------------------------------------------------------------------------------
def quote_encode(lex: str) -> str:
    """rdflib's ``Literal._quote_encode`` (Turtle and the sort keys of the RDF/XML writer)."""
    if "\n" in lex:
        encoded = lex.replace("\\", "\\\\")
        if '"""' in lex:
            encoded = encoded.replace('"""', '\\"\\"\\"')
        if encoded[-1] == '"' and encoded[-2] != "\\":
            encoded = encoded[:-1] + "\\" + '"'
        return '"""%s"""' % encoded.replace("\r", "\\r")
    return '"%s"' % lex.replace("\n", "\\n").replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r")


def n3_key(t: Term) -> str:
    """rdflib's ``n3()`` of a term (no namespace manager): the order of the RDF/XML writer."""
    if isinstance(t, Lit):
        enc = quote_encode(t.lex)
        return f"{enc}@{t.lang}" if t.lang else f"{enc}^^<{t.datatype}>" if t.datatype else enc
    return f"<{t}>"


def nt(t: Term) -> str:
    """A term in canonical N-Triples."""
    if isinstance(t, Lit):
        text = '"' + t.lex.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
        return f"{text}@{t.lang}" if t.lang else f"{text}^^<{t.datatype}>" if t.datatype and t.datatype != XSD + "string" else text
    return f"<{t}>"


class Names:
    """Prefixed names as rdflib's serializers compute them (cached; a fast path for plain local names)."""

    def __init__(self):
        from rdflib import Graph

        self.graph = Graph(bind_namespaces="none")
        for prefix, iri in PREFIXES.items():
            self.graph.bind(prefix, iri)
        from rdflib.plugins.serializers.turtle import TurtleSerializer

        self._ttl = TurtleSerializer(self.graph)
        self._ttl.reset()
        self._cache: dict[tuple[str, bool], tuple[str, str] | None] = {}
        self._strict: dict[str, tuple[str, str]] = {}
        self._fast = sorted(((iri, p) for p, iri in PREFIXES.items()), key=lambda x: -len(x[0]))

    def pname(self, iri: str, verb: bool = False) -> tuple[str, str] | None:
        """``(prefix, 'prefix:local')`` as the Turtle writer names ``iri``, or None for ``<iri>``."""
        key = (iri, verb)
        found = self._cache.get(key, False)
        if found is not False:
            return found
        found = self._fast_pname(iri)
        if found is None:
            from rdflib import URIRef

            text = self._ttl.get_pname(URIRef(iri), gen_prefix=verb)
            found = (text.split(":", 1)[0], text) if text else None
        self._cache[key] = found
        return found

    def _fast_pname(self, iri: str) -> tuple[str, str] | None:
        for ns, prefix in self._fast:
            if iri.startswith(ns):
                local = iri[len(ns):]
                # letters, digits and '-' after a first letter: rdflib splits exactly at the namespace
                if local and local[0].isascii() and local[0].isalpha() and all(
                        c.isascii() and (c.isalnum() or c == "-") for c in local) and ns in ("https://w3id.org/calcikg/data/", "https://w3id.org/calcikg/") :
                    return prefix, f"{prefix}:{local}"
                return None
        return None

    def qname_strict(self, iri: str) -> tuple[str, str]:
        """``(prefix, namespace)`` and the element name of a predicate in RDF/XML."""
        found = self._strict.get(iri)
        if found is None:
            prefix, namespace, name = self.graph.namespace_manager.compute_qname_strict(iri)
            found = (prefix, str(namespace)) if prefix else ("", str(namespace))
            self._strict[iri] = (found[0], found[1], f"{prefix}:{name}" if prefix else name)
            found = self._strict[iri]
        return found


_PLAIN = (XSD_INTEGER, XSD_DECIMAL, XSD_BOOLEAN, XSD_DOUBLE)


def ttl_term(t: Term, names: Names, used: set[str], verb: bool = False) -> str:
    if isinstance(t, Lit):
        if t.datatype in _PLAIN and not t.lang:
            lit = to_rdflib(t)
            if lit.value is not None:
                if t.datatype == XSD_DECIMAL:
                    return t.lex if any(c in t.lex for c in ".eE") else t.lex + ".0"
                if t.datatype == XSD_INTEGER:
                    return t.lex
                return lit._literal_n3(use_plain=True)
        enc = quote_encode(t.lex)
        if t.lang:
            return f"{enc}@{t.lang}"
        if t.datatype:
            dt = names.pname(t.datatype)
            if dt:
                used.add(dt[0])
            return f"{enc}^^{dt[1] if dt else '<' + t.datatype + '>'}"
        return enc
    if verb and t == RDF_TYPE:
        return "a"
    found = names.pname(t, verb)
    if found:
        used.add(found[0])
        return found[1]
    return f"<{t}>"


def _sorted_objects(objs: list[Term]) -> list[Term]:
    if len(objs) < 2:
        return objs
    if not any(isinstance(o, Lit) for o in objs):
        return sorted(objs)
    pairs = sorted(((to_rdflib(o), o) for o in objs), key=lambda x: x[0])
    return [o for _, o in pairs]


def _props(triples: Iterable[Triple]) -> dict[str, dict[str, list[Term]]]:
    by_subject: dict[str, dict[str, list[Term]]] = {}
    for s, p, o in triples:
        by_subject.setdefault(s, {}).setdefault(p, []).append(o)
    return by_subject


def ttl_subject(subject: str, props: dict[str, list[Term]], names: Names, used: set[str]) -> str:
    """One subject's statement, as rdflib's Turtle serializer writes it (with its blank line)."""
    order = [p for p in (RDF_TYPE, RDFS_LABEL) if p in props] + sorted(p for p in props if p not in (RDF_TYPE, RDFS_LABEL))
    parts = ["\n", ttl_term(subject, names, used)]
    for i, p in enumerate(order):
        parts.append(" " if i == 0 else " ;\n    ")
        parts.append(ttl_term(p, names, used, verb=True))
        objs = _sorted_objects(props[p])
        parts.append(" " + ttl_term(objs[0], names, used))
        for o in objs[1:]:
            parts.append(",\n        " + ttl_term(o, names, used))
    parts.append(" .\n")
    return "".join(parts)


def ttl_header(prefixes: Iterable[str]) -> str:
    return "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in sorted(set(prefixes)))


def xml_subject(subject: str, props: dict[str, list[Term]], names: Names, used: set[str]) -> str:
    """One subject's ``rdf:Description``, as rdflib's RDF/XML serializer writes it (sorted)."""
    pairs = sorted(((n3_key(p), n3_key(o)), p, o) for p, objs in props.items() for o in objs)
    out = [f"  <rdf:Description rdf:about={quoteattr(subject)}>\n"]
    for _key, p, o in pairs:
        prefix, _ns, qname = names.qname_strict(p)
        used.add(prefix)
        if isinstance(o, Lit):
            attrs = (f' xml:lang="{o.lang}"' if o.lang else "") + (f' rdf:datatype="{o.datatype}"' if o.datatype else "")
            out.append(f"    <{qname}{attrs}>{escape(o.lex, {chr(13): '&#13;'})}</{qname}>\n")
        else:
            out.append(f"    <{qname} rdf:resource={quoteattr(o)}/>\n")
    out.append("  </rdf:Description>\n")
    return "".join(out)


def xml_header(prefixes: Iterable[str], names: Names) -> str:
    ns = {p: PREFIXES[p] for p in set(prefixes) | {"rdf"} if p in PREFIXES}
    lines = ['<?xml version="1.0" encoding="utf-8"?>\n', "<rdf:RDF\n"]
    lines += [f'   xmlns:{p}="{ns[p]}"\n' for p in sorted(ns)]
    lines.append(">\n")
    return "".join(lines)


XML_FOOTER = "</rdf:RDF>\n"


def nt_subject(subject: str, props: dict[str, list[Term]]) -> str:
    s = f"<{subject}> "
    return "".join(sorted(f"{s}{nt(p)} {nt(o)} .\n" for p, objs in props.items() for o in objs))


# -- pieces and their assembly -------------------------------------------------------------------
class Rendered(NamedTuple):
    """A set of subjects rendered in the three syntaxes, with each subject's sort key.

    ``ttl``: (refcount, subject, text); ``xml``/``nt``: (n3 key, text). ``prefixes``: the
    prefixes the Turtle uses; ``xml_prefixes``: those of the RDF/XML predicates.
    """

    ttl: list[tuple[int, str, str]]
    xml: list[tuple[str, str]]
    nt: list[tuple[str, str]]
    prefixes: set[str]
    xml_prefixes: set[str]


def render(triples: Iterable[Triple], refcount, names: Names, formats=("ttl", "xml", "nt")) -> Rendered:
    """Render every subject of ``triples``; ``refcount(subject)`` is its number of references as an
    object in the whole graph it will be part of (the Turtle order)."""
    used: set[str] = set()
    xml_used: set[str] = set()
    ttl, xml, ntl = [], [], []
    for s, props in _props(triples).items():
        if "ttl" in formats:
            top = RDFS_CLASS in props.get(RDF_TYPE, ())
            ttl.append((-1 if top else refcount(s), s, ttl_subject(s, props, names, used)))
        if "xml" in formats:
            xml.append((f"<{s}>", xml_subject(s, props, names, xml_used)))
        if "nt" in formats:
            ntl.append((f"<{s}>", nt_subject(s, props)))
    ttl.sort(key=lambda x: (x[0], x[1]))
    xml.sort()
    ntl.sort()
    return Rendered(ttl, xml, ntl, used, xml_used)


class Piece(NamedTuple):
    """A subject's text: its sort key, and where it is (a file and a byte range, or bytes)."""

    key: tuple
    source: object  # a path (str) or bytes
    offset: int
    length: int


def assemble(path: str, head: bytes, runs: list[list[Piece]], tail: bytes,
             previous: tuple[str, dict] | None = None) -> dict:
    """Write ``head``, every piece of ``runs`` in key order, then ``tail``, to ``path``; the layout of the
    pieces read from files: ``{(file name, offset, length): offset in path}``.

    Each run is sorted already. When runs do not overlap (the common case: one run per report,
    reports apart in IRI order), each run is copied whole; otherwise pieces are merged one by one.
    Adjacent ranges of one file are copied in one call, by the kernel when it can. ``previous``: the
    file this one replaces, unchanged since it was written, and its layout. A piece it holds is
    copied from it, so that the pieces of unchanged reports, next to each other there, are copied
    in a few long ranges (one changed record in 10,000: a few calls instead of 30,000 per file).
    """
    runs = sorted((r for r in runs if r), key=lambda r: r[0].key)
    overlap = any(a[-1].key >= b[0].key for a, b in zip(runs, runs[1:]))
    ordered: Iterable[Piece] = heapq.merge(*runs, key=lambda p: p.key) if overlap else (p for r in runs for p in r)
    old_path, old_layout = previous or ("", {})
    layout: dict[tuple[str, int, int], int] = {}
    files: dict[str, int] = {}
    with open(path, "wb") as out:
        out.write(head)
        out.flush()
        fd = out.fileno()
        _reserve(fd, len(head) + sum(p.length for r in runs for p in r) + len(tail))
        pending: list = []  # [source, offset, length] of the range being gathered

        def flush() -> None:
            if not pending:
                return
            source, offset, length = pending
            if isinstance(source, bytes):
                os.write(fd, source[offset:offset + length]) if length else None
            else:
                src = files.get(source)
                if src is None:
                    src = files[source] = os.open(source, os.O_RDONLY)
                _copy_range(src, fd, offset, length)
            pending.clear()

        at = len(head)
        try:
            for p in ordered:
                source, offset = p.source, p.offset
                if not isinstance(source, bytes):
                    key = (source.rpartition(os.sep)[2], offset, p.length)
                    layout[key] = at
                    found = old_layout.get(key)
                    if found is not None:
                        source, offset = old_path, found
                at += p.length
                if pending and pending[0] is source and pending[1] + pending[2] == offset:
                    pending[2] += p.length
                    continue
                flush()
                pending.extend((source, offset, p.length))
            flush()
        finally:
            for src in files.values():
                os.close(src)
        out.write(tail)
        out.flush()
        os.ftruncate(fd, at + len(tail))  # exactly what was written, whatever was reserved
    return layout


def _reserve(fd: int, size: int) -> None:
    """Allocate the file's blocks before writing them. On ext4, renaming a file over another first
    allocates and flushes the blocks of the new one that are still delayed (its guard against empty files
    after a crash): 0.1-0.2 s per 300 MB file, nothing once they are allocated here (the kernel's copy
    is also steadier)."""
    try:
        os.posix_fallocate(fd, 0, size)
    except (OSError, AttributeError):  # a file system without it: written as before
        pass


def _copy_range(src: int, dst: int, offset: int, length: int) -> None:
    while length > 0:
        try:
            n = os.copy_file_range(src, dst, length, offset)
        except (OSError, AttributeError):
            n = 0
        if n <= 0:  # no kernel copy here: read and write
            data = os.pread(src, length, offset)
            if not data:
                raise OSError(f"short read in the build cache at offset {offset}")
            os.write(dst, data)
            n = len(data)
        offset += n
        length -= n


def pieces_in_memory(items: list[tuple], key_len: int = 1) -> list[Piece]:
    """Single-subject runs for items rendered in this process: (key..., text)."""
    out = []
    for item in items:
        data = item[-1].encode("utf-8")
        out.append([Piece(tuple(item[:key_len]), data, 0, len(data))])
    return out
