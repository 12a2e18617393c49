"""Stage 1: load the curated report records (``kg/records/*.yaml``) and check them against the schema.

YAML is read with line numbers kept on every mapping and list, so that every error names the
file, the line and the field (``kg/records/x.yaml:120: cases[2].episodes[0].doses[0].unit: ...``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode

from calcikg import paths
from calcikg.errors import RecordError


class LineDict(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    """A list that remembers the line of itself and of each item."""

    line: int = 0
    item_lines: list[int]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader keeping line numbers and refusing duplicate keys (YAML would keep the last).

    On libyaml (``CSafeLoader``) when PyYAML has it: the same marks and lines, parsed about 5x
    faster, which counts for a corpus of thousands of records (bench/README.md).
    """


def _mapping(loader: _Loader, node: MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.MarkedYAMLError(
                problem=f"duplicate key {key!r} (the first one would be silently lost)",
                problem_mark=key_node.start_mark,
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: SequenceNode) -> LineList:
    out = LineList(loader.construct_object(item, deep=True) for item in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [item.start_mark.line + 1 for item in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def line_of(data: Any, path: Iterable[Any]) -> int | None:
    """The line of the deepest element of ``path`` (keys and indices) that carries a line."""
    line = getattr(data, "line", None)
    node = data
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and step < len(node.item_lines):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
        line = getattr(node, "line", None) or line
    return line


def field_name(path: Iterable[Any]) -> str:
    """``['cases', 2, 'sex']`` -> ``cases[2].sex``."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


@dataclass(frozen=True)
class Record:
    """One curated report record: its parsed data and the file it came from."""

    path: Path
    data: LineDict

    @property
    def name(self) -> str:
        """The path as shown in messages (relative to the project when possible)."""
        # string operations, not Path.relative_to: a build names 10,000 records (0.3 s with Path)
        text, root = str(self.path), str(paths.ROOT).rstrip("/") + "/"
        return text[len(root):] if text.startswith(root) and os.path.isabs(text) else str(self.path)

    def error(self, path: list[Any], message: str) -> RecordError:
        """A :class:`RecordError` pointing at ``path`` inside this record."""
        return RecordError(self.name, line_of(self.data, path), field_name(path), message)


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads(paths.RECORD_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _explain(error) -> str:
    """A schema error in a curator's words."""
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"unknown field {', '.join(map(repr, extra))} (allowed here: {allowed})"
    if error.validator == "required":
        return f"{error.message.replace(' is a required property', '')} is missing: add it"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "type":
        return f"{error.instance!r} should be of type {error.validator_value}"
    if error.validator in {"exclusiveMinimum", "minimum"}:
        return f"{error.instance!r} must be greater than {'or equal to ' if error.validator == 'minimum' else ''}{error.validator_value}"
    if error.validator == "pattern":
        return f"{error.instance!r} does not match the expected form {error.validator_value}"
    return error.message


def _best(errors):
    """The most specific schema error: deepest path first, then the first reported."""
    return sorted(errors, key=lambda e: (-len(e.absolute_path), str(e.absolute_path)))[0]


def _field_option(schema: dict) -> str | None:
    """``{"required": ["value"]}`` -> ``'value'``; an anyOf of such -> ``'min'/'max'``; else None."""
    required = schema.get("required")
    if required and len(required) == 1 and len(schema) == 1:
        return repr(required[0])
    inner = [_field_option(s) for s in schema.get("anyOf", ())] if len(schema) == 1 else []
    return "/".join(inner) if inner and all(inner) else None


def _choice_of_fields(error) -> str | None:
    """A curator's message for "one of these fields" rules (anyOf / oneOf over ``required``)."""
    if error.validator not in {"anyOf", "oneOf"}:
        return None
    options = [_field_option(s) for s in error.validator_value]
    if not all(options):
        return None
    names = " or ".join(options)
    if error.validator == "oneOf" and not error.context:  # more than one given
        return f"give only one of {names}, not several"
    return f"give {'one' if error.validator == 'anyOf' else 'exactly one'} of {names}"


@lru_cache(maxsize=1)
def _fast_validator():
    """The same schema compiled by jsonschema-rs (Rust, ~60x faster), formats checked by jsonschema's
    own format checker; None without the library. Only a filter: a record it passes is valid, any other
    is checked by :func:`_validator`, which gives the verdict and the message."""
    try:
        import functools

        import jsonschema
        import jsonschema_rs
    except ImportError:
        return None
    schema = json.loads(paths.RECORD_SCHEMA.read_text(encoding="utf-8"))
    checker = jsonschema.FormatChecker()
    formats = {f: functools.partial(_conforms, checker, f) for f in checker.checkers}
    try:
        return jsonschema_rs.validator_for(schema, formats=formats, validate_formats=True)
    except Exception:  # noqa: BLE001 - a schema it cannot compile: jsonschema alone
        return None


def _conforms(checker, fmt: str, value) -> bool:
    return checker.conforms(value, fmt)


def _passes_fast(data: Any) -> bool:
    fast = _fast_validator()
    try:
        return fast is not None and fast.is_valid(data)
    except Exception:  # noqa: BLE001 - a value it cannot read (a YAML date): jsonschema decides
        return False


def check_schema(record: Record) -> None:
    """Raise a :class:`RecordError` for the first schema violation of ``record``."""
    if _passes_fast(record.data):
        return
    errors = list(_validator().iter_errors(record.data))
    if not errors:
        return
    error = _best(errors)
    choice = _choice_of_fields(error)
    if choice:
        raise record.error(list(error.absolute_path), choice)
    # oneOf/anyOf/allOf-if-then hide the useful message in their context: take the deepest one.
    while error.context:
        error = _best(error.context)
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":  # point at the unknown key's own line
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        path += extra[:1]
    raise record.error(path, _explain(error))


def load_record(path: Path) -> Record:
    """Parse one record file (keeping lines) and check it against the schema."""
    shown = Record(path, LineDict()).name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecordError(shown, None, "", f"cannot read the file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise RecordError(shown, line, "", f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
                                           f"{exc.start}): save the file as UTF-8") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RecordError(shown, line, "", f"not valid YAML: {exc.problem} (check indentation and quoting)") from exc
    except yaml.YAMLError as exc:  # e.g. a control character the YAML reader refuses
        line = text[: getattr(exc, "position", 0) or 0].count("\n") + 1
        reason = " ".join(str(getattr(exc, "reason", "") or exc).split()[:12])
        raise RecordError(shown, line, "", f"not valid YAML: {reason}") from None
    if not isinstance(data, LineDict):
        raise RecordError(shown, 1, "", "a record must be a YAML mapping with 'report', 'references', 'cases', 'statements'")
    record = Record(path, data)
    check_schema(record)
    return record


def load_records(directory: Path | None = None) -> list[Record]:
    """Every ``*.yaml`` record under ``directory`` (default ``kg/records``), in file-name order."""
    directory = directory or paths.RECORDS_DIR
    files = sorted(directory.glob("*.yaml"))
    for other in sorted(directory.glob("*.yml")):  # never silently left out of the build
        raise RecordError(Record(other, LineDict()).name, None, "",
                          f"records end in .yaml: rename it to {other.stem}.yaml")
    if not files:
        raise RecordError(str(directory), None, "", "no *.yaml record files found")
    records = [load_record(p) for p in files]
    for record in records:
        if record.data.get("status") == "draft":
            raise record.error(["status"], "this record is an unreviewed draft: review it as docs/curating.md says "
                                           "(summaries in your own words, outcomes graded, terms checked), then "
                                           "delete the 'status: draft' line and build again")
    seen: dict[str, str] = {}
    for record in records:
        rid = record.data["report"]["id"]
        if rid in seen:
            raise record.error(["report", "id"], f"report id {rid!r} is already used by {seen[rid]}")
        seen[rid] = record.name
    return records
