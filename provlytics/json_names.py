"""JSON's own name for a value a message says it got instead of what it expected: `null`,
`true`, `false`, `a number`, `a string`, `a list`, `an object` (not Python's `NoneType`,
`list`, `str`). Imports nothing; any layer may use it."""

from __future__ import annotations

from typing import Any

_NAMES = {list: "a list", tuple: "a list", dict: "an object", str: "a string"}


def json_name(value: Any) -> str:
    """JSON's name for `value` as decoded: "null", "true", "false", "a number", "a string",
    "a list", "an object"; another Python value (not decoded JSON) by its type's name."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    for kind, name in _NAMES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__
