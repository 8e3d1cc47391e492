"""Pure row builders: one record view -> rows of events, steps, modified properties, errors.

Rows are tuples in the column order of `schema.SCHEMAS`; times stay as text here and are
parsed a whole column at a time by the table builder. Errors are raised as `InputError`
without an origin; the caller, who knows where the record came from, adds it.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, NamedTuple

import orjson

from provlytics.errors import InputError
from provlytics.normalize import aliases as A
from provlytics.normalize.aliases import Path, Trie
from provlytics.schema import SCHEMAS

EVENT_COLUMNS = tuple(SCHEMAS["events"].names)
ERROR_COLUMNS = tuple(SCHEMAS["errors"].names)
_EVENT_TUPLE = itemgetter(*EVENT_COLUMNS)
_ERROR_FROM_EVENT = tuple(c for c in ERROR_COLUMNS if c in EVENT_COLUMNS)
_FIELDS = tuple(A.EVENT_FIELDS.items())
_ENUMS = tuple((col, table, paths) for col, (table, paths) in A.EVENT_ENUMS.items())
_TIMES = tuple(A.EVENT_TIMES.items())
_INTS = tuple(A.EVENT_INTS.items())
_STEP_KEYS = frozenset(
    [k for keys in A.STEP_FIELDS.values() for k in keys]
    + [k for _, keys in A.STEP_ENUMS.values() for k in keys]
    + [*A.STEP_TIME, *A.STEP_DETAILS]
)
_STEP_TYPES, _STEP_TYPE_KEYS = A.STEP_ENUMS["step_type"]
_STEP_STATUS_KEYS = A.STEP_ENUMS["status"][1]
_PROPERTY_KEYS = frozenset(k for keys in A.PROPERTY_FIELDS.values() for k in keys)
_PROBLEM_STATUSES = ("failure", "warning")


class Rows(NamedTuple):
    """The rows one record contributes to each table."""

    event: tuple
    steps: list[tuple]
    properties: list[tuple]
    error: tuple | None


def build_rows(view: dict[str, Any], dialect: str) -> Rows:
    """Map one record view to its table rows (raises InputError without an origin)."""
    ev: dict[str, Any] = {}
    for col, paths in _FIELDS:
        value = first(view, paths)
        ev[col] = value if value is None or type(value) is str else _text(value, paths)
    for col, table, paths in _ENUMS:
        ev[col] = _enum(table, first(view, paths), paths)
    for col, paths in _TIMES:
        ev[col] = _time_text(first(view, paths), paths)
    for col, paths in _INTS:
        ev[col] = _int(first(view, paths), paths)
    _require(ev, "event_id", "id")
    _require(ev, "activity_time", "activityDateTime")
    extra: dict[str, Any] = {}
    collect_extra(view, A.KNOWN_KEYS, "", extra)
    steps, skip_reason, reportable = _steps(view, ev["event_id"], extra)
    properties = _properties(view, ev["event_id"], extra)
    ev["skip_reason"] = _skip_reason(view, ev["status"]) or skip_reason
    ev["reportable_identifier"] = ev["reportable_identifier"] or reportable
    ev["dialect"] = dialect
    ev["extra"] = orjson.dumps(extra).decode() if extra else None
    return Rows(_EVENT_TUPLE(ev), steps, properties, _error_row(ev, steps))


def first(view: dict[str, Any], paths: tuple[Path, ...]) -> Any:
    """The first non-null, non-empty value found along `paths`."""
    for path in paths:
        value = view.get(path[0])
        for depth in range(1, len(path)):
            if value is None:
                break
            if type(value) is not dict:
                raise InputError(
                    None,
                    f"expected an object, got {type(value).__name__}",
                    field=_dotted(path[:depth]),
                )
            value = value.get(path[depth])
        if value is not None and value != "":
            return value
    return None


def collect_extra(node: dict[str, Any], known: Trie, prefix: str, extra: dict[str, Any]) -> None:
    """Copy every field the alias table does not read into `extra`, keyed by its path."""
    for key, value in node.items():
        child = known.get(key)
        if child is None:
            if value is not None and value != "" and value != {} and value != []:
                extra[prefix + key] = value
        elif child and type(value) is dict:
            collect_extra(value, child, f"{prefix}{key}.", extra)


def _steps(
    view: dict[str, Any], event_id: str, extra: dict[str, Any]
) -> tuple[list[tuple], str | None, str | None]:
    steps: list[tuple] = []
    skip_reason = reportable = None
    for i, step in enumerate(_list(view, A.STEP_LISTS)):
        if type(step) is not dict:
            raise InputError(None, "expected an object", field=f"provisioningSteps[{i}]")
        details_text, details = _details(_pick(step, A.STEP_DETAILS), i)
        if details:
            skip_reason = details.get(A.SKIP_REASON_KEY) or skip_reason
            reportable = reportable or details.get(A.REPORTABLE_ID_KEY)
        steps.append(
            (
                event_id,
                i,
                _step_text(step, "name", i),
                _enum(_STEP_TYPES, _pick(step, _STEP_TYPE_KEYS), i),
                _enum(A.RESULTS, _pick(step, _STEP_STATUS_KEYS), i),
                _step_text(step, "description", i),
                _time_text(_pick(step, A.STEP_TIME), i),
                details_text,
            )
        )
        _child_extra(step, _STEP_KEYS, f"provisioningSteps[{i}].", extra)
    return steps, _as_text(skip_reason), _as_text(reportable)


def _properties(view: dict[str, Any], event_id: str, extra: dict[str, Any]) -> list[tuple]:
    rows: list[tuple] = []
    for i, prop in enumerate(_list(view, A.PROPERTY_LISTS)):
        if type(prop) is not dict:
            raise InputError(None, "expected an object", field=f"modifiedProperties[{i}]")
        name, old, new = (_value_text(_pick(prop, keys)) for keys in A.PROPERTY_FIELDS.values())
        rows.append((event_id, i, name or None, old, new))
        _child_extra(prop, _PROPERTY_KEYS, f"modifiedProperties[{i}].", extra)
    return rows


def _error_row(ev: dict[str, Any], steps: list[tuple]) -> tuple | None:
    status = ev["status"]
    if status not in _PROBLEM_STATUSES:
        return None
    failed = next((s for s in steps if s[4] == status), steps[-1] if steps else None)
    step_part = (failed[2], failed[3], failed[5]) if failed else (None, None, None)
    head = tuple(ev[c] for c in _ERROR_FROM_EVENT[:9])
    tail = tuple(ev[c] for c in _ERROR_FROM_EVENT[9:])
    return (*head, *step_part, *tail)


def _skip_reason(view: dict[str, Any], status: str | None) -> str | None:
    verdict = view.get("@verdict")
    if status != "skipped" or type(verdict) is not dict:
        return None
    details = verdict.get("details")
    return _as_text(details.get("errorCode")) if type(details) is dict else None


def _details(value: Any, index: int) -> tuple[str | None, dict | None]:
    """A step's details bag as JSON text, and as a dict when it is one."""
    if value is None or value == {} or value == "":
        return None, None
    if type(value) is dict:
        return orjson.dumps(value).decode(), value
    if type(value) is str:  # portal CSV: the bag is already JSON text
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return orjson.dumps(value).decode(), None
        return value, parsed if type(parsed) is dict else None
    raise InputError(
        None,
        f"expected an object, got {type(value).__name__}",
        field=f"provisioningSteps[{index}].details",
    )


def _list(view: dict[str, Any], paths: tuple[Path, ...]) -> list:
    value = first(view, paths)
    if value is None:
        return []
    if type(value) is not list:
        raise InputError(None, f"expected a list, got {type(value).__name__}", field=paths[0][0])
    return value


def _pick(obj: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = obj.get(key)
        if value is not None and value != "":
            return value
    return None


def _step_text(step: dict[str, Any], column: str, index: int) -> str | None:
    value = _pick(step, A.STEP_FIELDS[column])
    if value is None or type(value) is str:
        return value
    raise InputError(
        None,
        f"expected a string, got {type(value).__name__}",
        field=f"provisioningSteps[{index}].{column}",
    )


def _child_extra(obj: dict[str, Any], known: frozenset[str], prefix: str, extra: dict) -> None:
    for key, value in obj.items():
        if key not in known and value is not None and value != "":
            extra[prefix + key] = value


def _enum(table: dict, value: Any, where: Any) -> str | None:
    if value is None:
        return None
    if type(value) is str:
        return table.get(value.lower()) or value
    if type(value) is int:
        return table.get(value) or str(value)
    raise InputError(None, f"expected an enumeration value, got {value!r}", field=_where(where))


def _text(value: Any, where: Any) -> str:
    if type(value) in (int, float):
        return str(value)
    raise InputError(None, f"expected a string, got {type(value).__name__}", field=_where(where))


def _time_text(value: Any, where: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    raise InputError(None, f"expected an ISO timestamp, got {value!r}", field=_where(where))


def _int(value: Any, where: Any) -> int | None:
    if value is None:
        return None
    number = whole_number(value)
    if number is None:
        raise InputError(None, f"expected a whole number, got {value!r}", field=_where(where))
    return number


_INT64 = range(-(2**63), 2**63)


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


def _value_text(value: Any) -> str | None:
    """Modified-property values are strings; other JSON values are kept as JSON text."""
    if value is None or type(value) is str:
        return value
    return orjson.dumps(value).decode()


def _as_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if type(value) is str else orjson.dumps(value).decode()


def _require(ev: dict[str, Any], column: str, field: str) -> None:
    if ev[column] is None:
        raise InputError(None, "is missing", field=field)


def _where(where: int | tuple[Path, ...]) -> str:
    """Name a field for a message: a step index, or the first of an alias's paths."""
    if isinstance(where, int):
        return f"provisioningSteps[{where}]"
    return _dotted(where[0])


def _dotted(path: Path) -> str:
    return ".".join(path)
