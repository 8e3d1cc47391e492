"""Pure row builders: one record view -> rows of events, steps, modified properties, errors.

Rows are tuples in the column order of `schema.SCHEMAS`; times stay as text here and are
parsed a whole column at a time by the table builder (views of exports, which mark how their
fields are spelled, have their time checked here, to name the field as the input spells it).
Only a record without an id or a time is refused, as `InputError` without an origin (the
caller adds it). A field of an unexpected shape costs that field: null in its column, the
value kept in `extra` under its path, and an `Issue` in `Rows.issues` for the caller to log.
Modified-property values keep `""` (cleared) apart from null (not logged).
"""

from __future__ import annotations

import json
from operator import itemgetter
from typing import Any, NamedTuple

import orjson

from provlytics.errors import InputError
from provlytics.json_names import json_name
from provlytics.normalize import aliases as A
from provlytics.normalize.aliases import Trie
from provlytics.normalize.extract import ISSUES, Column, Issue, compile_extractor
from provlytics.normalize.times import parse_timestamp
from provlytics.schema import SCHEMAS

EVENT_COLUMNS = tuple(SCHEMAS["events"].names)
ERROR_COLUMNS = tuple(SCHEMAS["errors"].names)
_EVENT_TUPLE = itemgetter(*EVENT_COLUMNS)
_STATUS_AT = EVENT_COLUMNS.index("status")
_STEP_AT = ERROR_COLUMNS.index("failed_step_name")  # then its type and description
_ERROR_HEAD = itemgetter(*(EVENT_COLUMNS.index(c) for c in ERROR_COLUMNS[:_STEP_AT]))
_ERROR_TAIL = itemgetter(*(EVENT_COLUMNS.index(c) for c in ERROR_COLUMNS[_STEP_AT + 3 :]))
_STEPS, _PROPERTIES = "@steps", "@properties"


def _one_level(keys: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple((k,) for k in keys)


_EVENT_SPEC: list[Column] = [
    *((c, "text", paths, None) for c, paths in A.EVENT_FIELDS.items()),
    *((c, "enum", paths, table) for c, (table, paths) in A.EVENT_ENUMS.items()),
    *((c, "time", paths, None) for c, paths in A.EVENT_TIMES.items()),
    *((c, "int", paths, None) for c, paths in A.EVENT_INTS.items()),
    (_STEPS, "raw", A.STEP_LISTS, None),
    (_PROPERTIES, "raw", A.PROPERTY_LISTS, None),
]
_STEP_SPEC: list[Column] = [
    *((c, "text", _one_level(keys), None) for c, keys in A.STEP_FIELDS.items()),
    *((c, "enum", _one_level(keys), table) for c, (table, keys) in A.STEP_ENUMS.items()),
    ("timestamp", "time", _one_level(A.STEP_TIME), None),
    ("details", "raw", _one_level(A.STEP_DETAILS), None),
]
_PROPERTY_SPEC: list[Column] = [
    (c, "raw" if c == "name" else "value", _one_level(keys), None)
    for c, keys in A.PROPERTY_FIELDS.items()
]
_extract_event = compile_extractor("extract_event", _EVENT_SPEC)
_extract_step = compile_extractor("extract_step", _STEP_SPEC)
_extract_property = compile_extractor("extract_property", _PROPERTY_SPEC)
_STEP_KEYS = frozenset(k for _c, _k, paths, _t in _STEP_SPEC for (k,) in paths)
_PROPERTY_KEYS = frozenset(k for _c, _k, paths, _t in _PROPERTY_SPEC for (k,) in paths)
PROBLEM_STATUSES = ("failure", "warning")  # statuses that give an `errors` row
_GRAPH_STEP_KEYS = {"name", "provisioningStepType", "status", "description", "details"}
_GRAPH_PROPERTY_KEYS = {"displayName", "oldValue", "newValue"}


class Rows(NamedTuple):
    """The rows one record contributes to each table."""

    event: tuple
    steps: list[tuple]
    properties: list[tuple]
    error: tuple | None
    issues: list[Issue]  # the fields given up (their values are in `extra`)


def build_rows(view: dict[str, Any], dialect: str) -> Rows:
    """Map one record view to its table rows (raises InputError without an origin)."""
    ev = _extract_event(view)
    issues: list[Issue] = ev.pop(ISSUES)
    _require(ev, "event_id", "id", issues)
    _require(ev, "activity_time", "activityDateTime", issues)
    if A.SPELLED in view:
        ev["activity_time"] = _checked_time(view, ev["activity_time"])
    extra: dict[str, Any] = {}
    collect_extra(view, A.KNOWN_KEYS, "", extra)
    steps, skip_reason, reportable = _steps(ev[_STEPS], ev["event_id"], extra, issues)
    properties = _properties(ev[_PROPERTIES], ev["event_id"], extra, issues)
    for issue in issues:
        extra[issue.field] = issue.value
    ev["skip_reason"] = _skip_reason(view, ev["status"]) or skip_reason
    ev["reportable_identifier"] = ev["reportable_identifier"] or reportable
    ev["dialect"] = dialect
    ev["extra"] = _json_text(extra) if extra else None
    event = _EVENT_TUPLE(ev)
    return Rows(event, steps, properties, error_row(event, steps), issues)


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
    steps: Any, event_id: str, extra: dict[str, Any], issues: list[Issue]
) -> tuple[list[tuple], str | None, str | None]:
    rows: list[tuple] = []
    skip_reason = reportable = None
    for i, step in enumerate(_as_list(steps, "provisioningSteps", issues)):
        prefix = f"provisioningSteps[{i}]"
        graph_shaped = type(step) is dict and step.keys() == _GRAPH_STEP_KEYS
        values = _step_values(step, prefix, graph_shaped, issues)
        if values is None:
            continue
        name, step_type, status, description, timestamp, details = values
        details_text, bag = _details(details, prefix, issues)
        if bag:
            skip_reason = bag.get(A.SKIP_REASON_KEY) or skip_reason
            reportable = reportable or bag.get(A.REPORTABLE_ID_KEY)
        rows.append((event_id, i, name, step_type, status, description, timestamp, details_text))
        if not graph_shaped:
            _child_extra(step, _STEP_KEYS, prefix + ".", extra)
    return rows, as_text(skip_reason), as_text(reportable)


def _step_values(step: Any, prefix: str, graph_shaped: bool, issues: list[Issue]) -> tuple | None:
    """(name, type, status, description, timestamp, details) of one step; None if it is
    not an object."""
    if graph_shaped:  # Graph's own shape: fast path
        name, kind, status, description = (
            step["name"], step["provisioningStepType"], step["status"], step["description"]
        )  # fmt: skip
        if type(name) is str and type(description) is str and type(kind) is str:
            kind = A.STEP_TYPES.get(kind.lower()) if kind else None
            if type(status) is str and kind is not None:
                status = A.RESULTS.get(status.lower()) if status else None
                if status is not None:
                    return name or None, kind, status, description or None, None, step["details"]
    st = _extract_child(_extract_step, step, prefix, issues)
    if st is None:
        return None
    return (
        st["name"], st["step_type"], st["status"], st["description"], st["timestamp"],
        st["details"],
    )  # fmt: skip


def _properties(
    properties: Any, event_id: str, extra: dict[str, Any], issues: list[Issue]
) -> list[tuple]:
    rows: list[tuple] = []
    for i, prop in enumerate(_as_list(properties, "modifiedProperties", issues)):
        if type(prop) is dict and prop.keys() == _GRAPH_PROPERTY_KEYS:  # fast path
            name, old, new = prop["displayName"], prop["oldValue"], prop["newValue"]
        else:
            prefix = f"modifiedProperties[{i}]"
            pr = _extract_child(_extract_property, prop, prefix, issues)
            if pr is None:
                continue
            name, old, new = pr["name"], pr["old_value"], pr["new_value"]
            _child_extra(prop, _PROPERTY_KEYS, prefix + ".", extra)
        rows.append((event_id, i, as_text(name), _value_text(old), _value_text(new)))
    return rows


def _extract_child(
    extract: Any, child: Any, prefix: str, issues: list[Issue]
) -> dict[str, Any] | None:
    """A step's or property's fields; None (and an issue) if it is not an object."""
    if type(child) is not dict:
        reason = f"expected an object, got {json_name(child)}"
        issues.append(Issue(None, prefix, child, reason))
        return None
    values = extract(child)
    for issue in values.pop(ISSUES):
        issues.append(issue._replace(field=f"{prefix}.{issue.field}"))
    return values


def error_row(event: tuple, steps: list[tuple]) -> tuple | None:
    """The `errors` row of an event row (in schema order) and its step rows, if it failed."""
    status = event[_STATUS_AT]
    if status not in PROBLEM_STATUSES:
        return None
    i = failed_step([step[4] for step in steps], status)
    step_part = (None, None, None) if i is None else (steps[i][2], steps[i][3], steps[i][5])
    return (*_ERROR_HEAD(event), *step_part, *_ERROR_TAIL(event))


def failed_step(step_statuses: list[str | None], status: str) -> int | None:
    """The step an error row names: the first whose status is the event's, else the last."""
    for i, step_status in enumerate(step_statuses):
        if step_status == status:
            return i
    return len(step_statuses) - 1 if step_statuses else None


def _skip_reason(view: dict[str, Any], status: str | None) -> str | None:
    verdict = view.get("@verdict")
    if status != "skipped" or type(verdict) is not dict:
        return None
    details = verdict.get("details")
    return as_text(details.get("errorCode")) if type(details) is dict else None


def _details(value: Any, field: str, issues: list[Issue]) -> tuple[str | None, dict | None]:
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
    reason = f"expected an object, got {json_name(value)}"
    issues.append(Issue(None, f"{field}.details", value, reason))
    return None, None


def _as_list(value: Any, field: str, issues: list[Issue]) -> list:
    if value is None:
        return []
    if type(value) is not list:
        issues.append(Issue(None, field, value, f"expected a list, got {json_name(value)}"))
        return []
    return value


def _child_extra(obj: dict[str, Any], known: frozenset[str], prefix: str, extra: dict) -> None:
    for key, value in obj.items():
        if key not in known and value is not None and value != "":
            extra[prefix + key] = value


def _value_text(value: Any) -> str | None:
    """A modified-property value: text as is, `""` included (the attribute was cleared; null
    is "not logged"); other JSON values as JSON text."""
    if type(value) is str or value is None:
        return value
    return orjson.dumps(value).decode()


def _json_text(value: Any) -> str:
    """JSON text of `extra`; integers beyond 64 bits (which orjson refuses) as well.

    Raises:
        TypeError: nested deeper than orjson writes (the caller names the field).
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError as exc:
        if "recursion" in str(exc).lower():
            raise
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def as_text(value: Any) -> str | None:
    """Text as is (empty: None); other JSON values as JSON text."""
    if value is None or value == "":
        return None
    return value if type(value) is str else orjson.dumps(value).decode()


def _require(ev: dict[str, Any], column: str, field: str, issues: list[Issue]) -> None:
    """A column no record can do without: its value's issue, or "is missing", as an error."""
    if ev[column] is not None:
        return
    for issue in issues:
        if issue.column == column:
            raise InputError(None, issue.reason, field=issue.field)
    raise InputError(None, "is missing", field=field)


def _checked_time(view: dict[str, Any], text: str) -> str:
    """An export's time as ISO text in UTC; an error names the field it was read from."""
    parsed = parse_timestamp(text)
    if parsed is None:
        field = next(
            (".".join(p) for p in A.EVENT_TIMES["activity_time"] if view.get(p[0]) == text),
            "activityDateTime",
        )
        raise InputError(None, f"not a timestamp: {text!r}", field=field)
    return parsed.isoformat()
