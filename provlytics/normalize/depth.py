"""Records nested deeper than JSON is written: found before they crash the normalizer.

orjson writes (and Python's recursion reaches) at most `MAX_DEPTH` levels; a record nested
deeper cannot be kept in `extra` or in a reject, so it is replaced by an `UnparsedRecord`
naming the too-deep field, and rejected like any bad record.
"""

from __future__ import annotations

from typing import Any

import orjson

from provlytics.origin import UnparsedRecord

MAX_DEPTH = 254  # nesting orjson writes (the `extra` column and rejects are written with it)


def writable(records: list[Any], texts: list[str] | None = None) -> list[Any]:
    """The records, those that cannot be written as JSON replaced by an `UnparsedRecord`
    naming the field (its text: the record's line in `texts`, when given)."""
    try:
        orjson.dumps(records)
        return records
    except TypeError:
        pass
    out = []
    for index, record in enumerate(records):
        try:
            orjson.dumps(record)
            out.append(record)
        except TypeError as exc:
            where = too_deep(record)
            reason = (
                f"field {where!r} is nested deeper than {MAX_DEPTH} levels"
                if where is not None
                else f"cannot be written as JSON ({exc})"
            )
            text = texts[index].rstrip("\r\n") if texts else f"<record: {reason}>"
            out.append(UnparsedRecord(text, reason))
    return out


def too_deep(record: Any) -> str | None:
    """The dotted path of the first value below `MAX_DEPTH` levels of nesting, if any.

    Walks with a stack, not recursion: safe at any depth."""
    stack: list[tuple[Any, list[str]]] = [(record, [])]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return ".".join([*path[:6], "..."])
        if isinstance(value, dict):
            stack += [(v, [*path, str(k)]) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, [*path, str(i)]) for i, v in enumerate(value)]
    return None


def deep_field(record: object) -> str | None:
    """The top-level field (a JSON-text column too) that holds a too-deep value, if any."""
    if not isinstance(record, dict):
        return None
    for key, value in record.items():
        if isinstance(value, str) and value[:1] in ("{", "["):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                continue
        path = too_deep(value)
        if path is not None:
            return f"{key}.{path}" if path else str(key)
    return None
