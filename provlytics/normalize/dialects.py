"""Dialect detection, and the per-dialect *view* the alias table is read on."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson

from provlytics.errors import InputError, UnknownDialectError, graph_error_summary
from provlytics.json_names import json_name
from provlytics.normalize import aliases, powershell
from provlytics.normalize.times import parse_timestamp
from provlytics.origin import (
    PORTAL_AT_KEY,
    PORTAL_PROPERTIES_KEY,
    PORTAL_STEPS_KEY,
    UnparsedRecord,
)
from provlytics.origin import fold_header as normalize_header

# Dialect hints, from the container of a page (`batch` maps `Page.container` to them).
HINT_ARRAY = "array"  # a bare JSON array file, the portal's JSON download format
HINT_PORTAL_CSV = "portal_csv"  # rows joined from the portal's three CSV files


class Dialect(StrEnum):
    """The shapes provisioning records arrive in (DESIGN §2)."""

    GRAPH_V1 = "graph.v1"
    GRAPH_BETA_LEGACY = "graph.beta.legacy"
    ON_DEMAND = "on_demand"
    DIAGNOSTIC = "diagnostic"
    PORTAL = "portal"
    LOG_ANALYTICS = "log_analytics"
    POWERSHELL = "powershell"


def detect_dialect(record: Any, hint: str | None = None) -> Dialect:
    """Tell which dialect a raw record is in, from its fields (and the container's hint).

    Raises `InputError` without an origin: the caller knows where the record came from.
    """
    if isinstance(record, UnparsedRecord):
        raise InputError(None, record.reason)
    if not isinstance(record, dict):
        raise InputError(None, f"expected a JSON object, got {json_name(record)}")
    if hint == HINT_PORTAL_CSV:
        return Dialect.PORTAL
    if "properties" in record and ("category" in record or "operationName" in record):
        return Dialect.DIAGNOSTIC
    if "key" in record and "value" in record:
        return Dialect.ON_DEMAND
    if powershell.is_powershell(record):
        return Dialect.POWERSHELL
    if "AADTenantId" in record or "ProvisioningSteps" in record or _has_time_generated(record):
        return Dialect.LOG_ANALYTICS
    if "action" in record or "statusInfo" in record:
        return Dialect.PORTAL if hint == HINT_ARRAY else Dialect.GRAPH_BETA_LEGACY
    if "provisioningStatusInfo" in record or "provisioningAction" in record:
        return Dialect.GRAPH_V1
    if "activityDateTime" in record:  # saved with `$select`: the optional fields left out
        return Dialect.GRAPH_V1
    summary = graph_error_summary(record)
    if summary is not None:
        raise InputError(None, f"a Graph error response, not a record: {summary}")
    keys = ", ".join(sorted(map(str, record))[:12])
    fields = f"its fields: {keys}" if keys else "no fields"
    raise UnknownDialectError(None, f"not a provisioning record in any known shape ({fields})")


PROVISIONING_CATEGORY = "ProvisioningLogs"  # a diagnostic record's `category`, in our logs


def other_category(record: Any) -> str | None:
    """The `category` of a diagnostic record of another Entra log than provisioning logs
    (`AuditLogs`, `SignInLogs`, `NonInteractiveUserSignInLogs`, ...: a diagnostic setting
    may send them to the same storage account or Event Hub), as the record spells it; None
    for anything else: a `ProvisioningLogs` record (whatever its case), one whose category
    is absent, null, empty or not text, a record of another dialect."""
    if type(record) is not dict or "properties" not in record:
        return None
    category = record.get("category")
    if type(category) is not str or not category.strip():
        return None
    if category.strip().casefold() == PROVISIONING_CATEGORY.casefold():
        return None
    return category


def build_view(
    record: dict[str, Any], dialect: Dialect, hint: str | None = None
) -> dict[str, Any] | None:
    """The record reshaped so the alias table can read it; None when it holds no event."""
    if dialect is Dialect.DIAGNOSTIC:
        return _diagnostic_view(record)
    if dialect is Dialect.LOG_ANALYTICS:
        return _log_analytics_view(record)
    if dialect is Dialect.ON_DEMAND:
        return on_demand_view(record)
    if dialect is Dialect.POWERSHELL:
        view, spelled = powershell.powershell_view(record)
        view[aliases.SPELLED] = {**spelled, "@powershell": "1"}
        return view
    if hint == HINT_PORTAL_CSV:
        return _portal_csv_view(record)
    return record


def _diagnostic_view(record: dict[str, Any]) -> dict[str, Any]:
    """The envelope of the common resource-log schema merged with `properties`.

    `properties` may be an object or its JSON text. A field of `properties` wins; where it is
    absent, null or empty, the envelope's field of the same name fills it (`time`, `tenantId`,
    `durationMs`, `resultType`, `resultSignature`, `resultDescription` are read by the alias
    table after the record's own fields). Raises `InputError` if `properties` is no object.
    """
    props = record["properties"]
    if isinstance(props, str):  # some forwarders write it as JSON text
        props = parse_json_text(props, "properties")
    if not isinstance(props, dict):
        raise InputError(None, "expected a JSON object", field="properties")
    view = {k: v for k, v in record.items() if k != "properties"}
    spelled = {k: k for k in view}
    for key, value in props.items():
        if (value is not None and value != "") or key not in view:
            view[key] = value
            spelled[key] = f"properties.{key}"
    spelled["@default"] = "properties."
    view[aliases.SPELLED] = spelled
    return view


# A Log Analytics export header's decoration: `TimeGenerated [UTC]`, `DurationMs [ms]`.
_DECORATION = re.compile(r"^(?P<name>[^\[]*?)\s*\[(?P<unit>[^\]]*)\]\s*$")
_UTC_OFFSET = re.compile(r"UTC\s*(?:(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?)?")
LA_SPELLING = {"id": "Id", "activityDateTime": "TimeGenerated"}  # for messages


def _log_analytics_view(record: dict[str, Any]) -> dict[str, Any]:
    """A Log Analytics row: decorated headers undone, times in the header's zone made UTC,
    the JSON text columns parsed."""
    view: dict[str, Any] = {}
    spelled = dict(LA_SPELLING)
    for header, value in record.items():
        match = _DECORATION.match(header) if type(header) is str else None
        if match is None:
            view[header] = value
            continue
        name = match["name"]
        spelled[name] = header
        view[name] = _zoned_time(value, match["unit"], header) if name == "TimeGenerated" else value
    for column in aliases.LOG_ANALYTICS_JSON_COLUMNS:
        value = view.get(column)
        if isinstance(value, str):
            view[column] = parse_json_text(value, column) if value.strip() else None
    view[aliases.SPELLED] = spelled
    return view


def _zoned_time(value: Any, zone: str, header: str) -> Any:
    """A time from a column whose header names its zone, as ISO text in UTC."""
    offset = _UTC_OFFSET.fullmatch(zone.strip())
    if offset is None:
        raise InputError(
            None,
            f"times in {zone!r}, a zone the file does not define: set the portal's display "
            "time zone to UTC and export again",
            field=header,
        )
    if not isinstance(value, str) or not value.strip():
        return value
    delta = timedelta(0)
    if offset["sign"]:
        delta = timedelta(hours=int(offset["h"]), minutes=int(offset["m"] or 0))
        delta = -delta if offset["sign"] == "-" else delta
    parsed = parse_timestamp(value, offset=delta)
    if parsed is None:
        raise InputError(None, f"not a timestamp: {value!r}", field=header)
    return parsed.isoformat()


def _has_time_generated(record: dict[str, Any]) -> bool:
    return any(type(k) is str and k.startswith("TimeGenerated") for k in record)


def respell(field: str | None, view: dict[str, Any]) -> str | None:
    """A view path as it is spelled in the input the view was built from."""
    spelled = view.get(aliases.SPELLED)
    if field is None or type(spelled) is not dict:
        return field
    if "@powershell" in spelled:
        return powershell.respell(field)
    head, rest = re.match(r"([^.\[]*)(.*)", field).groups()  # type: ignore[union-attr]
    if head in spelled:
        return spelled[head] + rest
    return spelled.get("@default", "") + field


def on_demand_view(record: dict[str, Any]) -> dict[str, Any] | None:
    """Decode a provisionOnDemand response: `key` (verdict) and `value` (event) are JSON text."""
    verdict = parse_json_text(record.get("key"), "key")
    event = parse_json_text(record.get("value"), "value")
    if not isinstance(verdict, dict) or "result" not in verdict:
        raise InputError(None, "the verdict has no 'result'", field="key")
    if not isinstance(event, dict):
        raise InputError(None, "expected a JSON object", field="value")
    if not event:
        return None
    view = {k: v for k, v in record.items() if k not in _ON_DEMAND_ENVELOPE}
    view.update(event)
    view["@verdict"] = verdict
    view.setdefault("id", event.get("changeId"))
    duration = _duration_ms(event.get("startTime"), event.get("endTime"))
    if duration is not None:
        view.setdefault("durationInMilliseconds", duration)
    return view


_ON_DEMAND_ENVELOPE = frozenset({"key", "value", "@odata.context"})


def _portal_csv_view(row: dict[str, Any]) -> dict[str, Any]:
    """Nest a joined portal CSV row back into Graph's (legacy) shape."""
    view: dict[str, Any] = {
        "provisioningSteps": _portal_children(
            row.get(PORTAL_STEPS_KEY), aliases.PORTAL_STEP_COLUMNS
        ),
        "modifiedProperties": _portal_children(
            row.get(PORTAL_PROPERTIES_KEY), aliases.PORTAL_PROPERTY_COLUMNS
        ),
    }
    for header, value in row.items():
        if header in (PORTAL_STEPS_KEY, PORTAL_PROPERTIES_KEY):
            continue
        path = aliases.PORTAL_EVENT_COLUMNS.get(normalize_header(header))
        if path is None:
            view[header] = value
        elif len(path) == 1:
            view[path[0]] = value
        else:
            view.setdefault(path[0], {})[path[1]] = value
    return view


def portal_header(row: dict[str, Any], field: str | None) -> str | None:
    """The header of a joined portal CSV row that a view field (`activityDateTime`,
    `servicePrincipal.displayName`) was read from; `field` itself if none was."""
    for header in row:
        path = aliases.PORTAL_EVENT_COLUMNS.get(normalize_header(header))
        if path is not None and ".".join(path) == field:
            return header
    return field


_PORTAL_CHILD = re.compile(r"(provisioningSteps|modifiedProperties)\[(\d+)\]\.([^.\[]+)")
_PORTAL_CHILDREN = {
    "provisioningSteps": (PORTAL_STEPS_KEY, aliases.PORTAL_STEP_COLUMNS),
    "modifiedProperties": (PORTAL_PROPERTIES_KEY, aliases.PORTAL_PROPERTY_COLUMNS),
}


def portal_child_place(row: dict[str, Any], field: str | None) -> tuple[str, str] | None:
    """Where a view field of a step or property of a joined portal CSV row
    (`provisioningSteps[2].status`) was read: the companion file's line (`FILE:LINE`) and
    its header as the file spells it (`Status`); None for a field of the row itself."""
    match = _PORTAL_CHILD.match(field or "")
    if match is None:
        return None
    kind, index, key = match.group(1), int(match.group(2)), match.group(3)
    rows_key, columns = _PORTAL_CHILDREN[kind]
    rows = row.get(rows_key) or []
    order = _child_order(rows, columns)
    if index >= len(order) or PORTAL_AT_KEY not in rows[order[index]]:
        return None
    child = rows[order[index]]
    spelled = [h for h in child if h == key or columns.get(normalize_header(h)) == key]
    return child[PORTAL_AT_KEY], spelled[0] if spelled else key


def _portal_children(
    rows: list[dict[str, Any]] | None, columns: dict[str, str]
) -> list[dict[str, Any]]:
    """Map companion-file rows to Graph keys; steps are put in `Step Number` order.

    Raises `InputError` naming the companion file's line (`PORTAL_AT_KEY`) and its header
    for a step number that is not a whole number."""
    rows = rows or []
    return [_portal_child(rows[i], columns) for i in _child_order(rows, columns)]


def _portal_child(row: dict[str, Any], columns: dict[str, str]) -> dict[str, Any]:
    child: dict[str, Any] = {}
    for header, value in row.items():
        if header == PORTAL_AT_KEY:
            continue
        folded = normalize_header(header)
        key = columns.get(folded)
        if key is not None and key != "@position":
            child[key] = value
        elif key is None and folded != aliases.PORTAL_JOIN_COLUMN:
            child[header] = value
    return child


def _child_order(rows: list[dict[str, Any]], columns: dict[str, str]) -> list[int]:
    """The indexes of companion rows in `Step Number` order (as they come where none has
    one); raises `InputError` for a step number that is not a whole number."""
    if "@position" not in columns.values():  # modified properties have no number
        return list(range(len(rows)))
    numbers = []
    for row in rows:
        position: tuple[str, Any] | None = None
        for header, value in row.items():
            if header != PORTAL_AT_KEY and columns.get(normalize_header(header)) == "@position":
                position = (header, value)
        numbers.append(_step_number(*position, row.get(PORTAL_AT_KEY)) if position else 0)
    if any(numbers):
        return sorted(range(len(rows)), key=numbers.__getitem__)
    return list(range(len(rows)))


def _step_number(header: str, value: Any, at: str | None) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        raise InputError(at, f"not a whole number: {value!r}", field=header) from None


def parse_json_text(text: Any, field: str) -> Any:
    """Parse a field that holds JSON as a string; errors name the record and the field."""
    if not isinstance(text, str):
        raise InputError(None, f"expected JSON text, got {type(text).__name__}", field=field)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputError(None, f"not valid JSON ({exc})", field=field) from exc


def _duration_ms(start: Any, end: Any) -> int | None:
    if not (isinstance(start, str) and isinstance(end, str)):
        return None
    try:
        delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    except ValueError:
        return None
    return round(delta.total_seconds() * 1000)
