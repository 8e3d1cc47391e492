"""The alias table compiled into straight-line extractor functions.

Walking the alias table path by path for every record costs more than parsing the JSON.
So, once at import, each table of aliases becomes the source of a small function that
fetches every parent object once and tries each spelling inline (as `namedtuple` builds
its class from source). The alias table stays the single place that knows the spellings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from provlytics.errors import InputError
from provlytics.normalize.aliases import Path

Kind = Literal["text", "enum", "time", "int", "raw"]
Column = tuple[str, Kind, tuple[Path, ...], dict | None]
Extractor = Callable[[dict[str, Any]], dict[str, Any]]

_INT64 = range(-(2**63), 2**63)
_EMPTY: dict = {}


def compile_extractor(name: str, columns: list[Column]) -> Extractor:
    """Build `name(view) -> {column: value}` for the given columns and their alias paths."""
    parents = _parents(columns)
    lines = [f"def {name}(view):"]
    for parent, var in parents.items():
        holder, key = parents.get(parent[:-1], "view"), parent[-1]
        lines += [
            f"    {var} = {holder}.get({key!r})",
            f"    if {var} is None or {var} == '': {var} = _EMPTY",
            f"    elif type({var}) is not dict: _not_object({'.'.join(parent)!r}, {var})",
        ]
    result = []
    for i, (column, kind, paths, _table) in enumerate(columns):
        lines += _candidates(paths, parents)
        lines.append("    if v == '': v = None")
        lines.append(_convert(kind, i, paths))
        result.append(f"{column!r}: v{i}")
    lines.append("    return {" + ", ".join(result) + "}")
    namespace = {
        "_EMPTY": _EMPTY,
        "_not_object": _not_object,
        "_text": _text,
        "_enum": _enum,
        "_time": _time,
        "_int": _int,
        **{f"_T{i}": table for i, (_c, _k, _p, table) in enumerate(columns)},
        **{f"_F{i}": ".".join(paths[0]) for i, (_c, _k, paths, _t) in enumerate(columns)},
    }
    exec("\n".join(lines), namespace)  # the source is built above from the alias table
    return namespace[name]


def whole_number(value: Any) -> int | None:
    """An int64 from an int, an integral float or digits in a string; None if not one."""
    integral = (
        type(value) is int
        or (type(value) is float and value.is_integer())
        or (type(value) is str and value.strip().lstrip("-").isdigit())
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


def _candidates(paths: tuple[Path, ...], parents: dict[Path, str]) -> list[str]:
    lines = []
    for n, path in enumerate(paths):
        holder = parents[path[:-1]] if len(path) > 1 else "view"
        get = f"v = {holder}.get({path[-1]!r})"
        lines.append(f"    {get}" if n == 0 else f"    if v is None or v == '': {get}")
    return lines


def _convert(kind: Kind, i: int, paths: tuple[Path, ...]) -> str:
    if kind == "text":
        return f"    v{i} = v if v is None or type(v) is str else _text(v, _F{i})"
    if kind == "enum":
        return f"    v{i} = None if v is None else _enum(_T{i}, v, _F{i})"
    if kind == "time":
        return f"    v{i} = v if v is None or type(v) is str else _time(v, _F{i})"
    if kind == "int":
        return f"    v{i} = None if v is None else _int(v, _F{i})"
    return f"    v{i} = v"


def _not_object(field: str, value: Any) -> None:
    raise InputError(None, f"expected an object, got {type(value).__name__}", field=field)


def _text(value: Any, field: str) -> str:
    if type(value) in (int, float):
        return str(value)
    raise InputError(None, f"expected a string, got {type(value).__name__}", field=field)


def _enum(table: dict, value: Any, field: str) -> str:
    if type(value) is str:
        return table.get(value.lower()) or value
    if type(value) is int:
        return table.get(value) or str(value)
    raise InputError(None, f"expected an enumeration value, got {value!r}", field=field)


def _time(value: Any, field: str) -> str:
    raise InputError(None, f"expected an ISO timestamp, got {value!r}", field=field)


def _int(value: Any, field: str) -> int:
    number = whole_number(value)
    if number is None:
        raise InputError(None, f"expected a whole number, got {value!r}", field=field)
    return number
