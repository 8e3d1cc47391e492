"""The alias table compiled into straight-line extractor functions.

Walking the alias table path by path for every record costs more than parsing the JSON.
So, once at import, each table of aliases becomes the source of a small function that
fetches every parent object once and tries each spelling inline (as `namedtuple` builds
its class from source). The alias table stays the single place that knows the spellings.

A value of an unexpected shape (an object where text belongs, an enumeration member no table
knows, a parent that is not an object) does not fail the record: the column gets null and the
extractor lists the value under `"@issues"` as `Issue`s, for the caller to keep in `extra`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from provlytics.json_names import json_name
from provlytics.normalize.aliases import Path

# "raw": the value as is, "" taken as missing; "value": as is, "" kept (a cleared value)
Kind = Literal["text", "enum", "time", "int", "raw", "value"]
Column = tuple[str, Kind, tuple[Path, ...], dict | None]
Extractor = Callable[[dict[str, Any]], dict[str, Any]]

_INT64 = range(-(2**63), 2**63)
_EMPTY: dict = {}
ISSUES = "@issues"  # the key of the extractor's result that lists values it could not use


class Issue(NamedTuple):
    """A value the extractor could not use: its column (None for a parent object), the path
    it was read at (view spelling), the value and why."""

    column: str | None
    field: str
    value: Any
    reason: str


def compile_extractor(name: str, columns: list[Column]) -> Extractor:
    """Build `name(view) -> {column: value}` for the given columns and their alias paths."""
    parents = _parents(columns)
    lines = [f"def {name}(view):", "    issues = []"]
    for parent, var in parents.items():
        holder, key = parents.get(parent[:-1], "view"), parent[-1]
        field = ".".join(parent)
        lines += [
            f"    {var} = {holder}.get({key!r})",
            f"    if {var} is None or {var} == '': {var} = _EMPTY",
            f"    elif type({var}) is not dict: {var} = _not_object({field!r}, {var}, issues)",
        ]
    result = []
    for i, (column, kind, paths, _table) in enumerate(columns):
        keep_empty = kind == "value"
        lines += _candidates(paths, parents, keep_empty)
        if not keep_empty:
            lines.append("    if v == '': v = None")
        lines.append(_convert(kind, i, paths))
        result.append(f"{column!r}: v{i}")
    result.append(f"{ISSUES!r}: issues")
    lines.append("    return {" + ", ".join(result) + "}")
    namespace = {
        "_EMPTY": _EMPTY,
        "_not_object": _not_object,
        "_text": _text,
        "_enum": _enum,
        "_time": _time,
        "_int": _int,
        **{f"_T{i}": table for i, (_c, _k, _p, table) in enumerate(columns)},
        **{f"_P{i}": (column, paths) for i, (column, _k, paths, _t) in enumerate(columns)},
    }
    exec("\n".join(lines), namespace)  # the source is built above from the alias table
    return namespace[name]


_DIGITS = re.compile(r"-?[0-9]+")  # not str.isdigit: "²" and "--5" pass it, int() fails


def whole_number(value: Any) -> int | None:
    """An int64 from an int, an integral float or ASCII digits in a string (a minus sign
    first); None if not one."""
    integral = (
        type(value) is int
        or (type(value) is float and value.is_integer())
        or (type(value) is str and _DIGITS.fullmatch(value.strip()) is not None)
    )
    if not integral:
        return None
    number = int(value)
    return number if number in _INT64 else None


def _parents(columns: list[Column]) -> dict[Path, str]:
    parents: dict[Path, str] = {}
    for _column, _kind, paths, _table in columns:
        for path in paths:
            for depth in range(1, len(path)):
                parents.setdefault(path[:depth], f"p{len(parents)}")
    return parents


def _candidates(paths: tuple[Path, ...], parents: dict[Path, str], keep_empty: bool) -> list[str]:
    lines = []
    missing = "v is None" if keep_empty else "v is None or v == ''"
    for n, path in enumerate(paths):
        holder = parents[path[:-1]] if len(path) > 1 else "view"
        get = f"v = {holder}.get({path[-1]!r})"
        lines.append(f"    {get}" if n == 0 else f"    if {missing}: {get}")
    return lines


def _convert(kind: Kind, i: int, paths: tuple[Path, ...]) -> str:
    if kind == "text":
        return f"    v{i} = v if v is None or type(v) is str else _text(v, _P{i}, view, issues)"
    if kind == "enum":
        return f"    v{i} = None if v is None else _enum(_T{i}, v, _P{i}, view, issues)"
    if kind == "time":
        return f"    v{i} = v if v is None or type(v) is str else _time(v, _P{i}, view, issues)"
    if kind == "int":
        return f"    v{i} = None if v is None else _int(v, _P{i}, view, issues)"
    return f"    v{i} = v"


_Where = tuple[str, tuple[Path, ...]]  # (column, its alias paths)


def _issue(where: _Where, view: dict, value: Any, reason: str, issues: list) -> None:
    """Note an unusable value under the path it was found at (first alias if not found)."""
    column, paths = where
    for path in paths:
        node: Any = view
        for key in path:
            node = node.get(key) if type(node) is dict else None
        if node is value:
            issues.append(Issue(column, ".".join(path), value, reason))
            return
    issues.append(Issue(column, ".".join(paths[0]), value, reason))


def _not_object(field: str, value: Any, issues: list) -> dict:
    issues.append(Issue(None, field, value, f"expected an object, got {json_name(value)}"))
    return _EMPTY


def _text(value: Any, where: _Where, view: dict, issues: list) -> str | None:
    if type(value) in (int, float):
        return str(value)
    _issue(where, view, value, f"expected a string, got {json_name(value)}", issues)
    return None


def _enum(table: dict, value: Any, where: _Where, view: dict, issues: list) -> str | None:
    member = enum_member(table, value)
    if member is None:
        _issue(where, view, value, f"not a known enumeration member: {value!r}", issues)
    return member


def enum_member(table: dict, value: Any) -> str | None:
    """The v1.0 member a spelling (any case, any separators) or an integer stands for."""
    if type(value) is str:
        key = value.lower()
        return table.get(key) or table.get("".join(c for c in key if c.isalnum()))
    if type(value) is int:
        return table.get(value)
    return None


def _time(value: Any, where: _Where, view: dict, issues: list) -> None:
    _issue(where, view, value, f"expected an ISO timestamp, got {value!r}", issues)


def _int(value: Any, where: _Where, view: dict, issues: list) -> int | None:
    number = whole_number(value)
    if number is None:
        _issue(where, view, value, f"expected a whole number, got {value!r}", issues)
    return number
