"""Portal CSV pages the fast way: the joined rows' cells straight to Arrow columns.

A `Container.PORTAL_CSV` page holds the rows of the portal's `ProvisioningLogs.csv`, each
with the rows of its companions (`sources.portal_csv`: `@steps`, `@properties`), every cell
text or None. The general path nests each row back into Graph's legacy shape
(`dialects._portal_csv_view`) and reads it through the alias table; here a page whose
headers all have a place there (`aliases.PORTAL_*_COLUMNS`, one header per place) is read
column by column instead: each event column from its one header, enumerations mapped once
per distinct value, steps put in `Step Number` order, their `Details` kept as the text they
are (checked to be JSON objects, as the general path parses them). Anything else (an
unknown header, which the general path keeps in `extra`, a cell that is not text, a bad
number or time, an unknown enumeration member, a details cell that is not a JSON object)
sends the page down the general path (None). Tests hold both paths to the same rows.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from provlytics.normalize import aliases as A
from provlytics.normalize.dialects import Dialect
from provlytics.normalize.extract import whole_number
from provlytics.normalize.graph_v1 import FastTables, assembled, flatten_children, table_batch
from provlytics.normalize.raw_columns import NotPlain, mapped
from provlytics.normalize.rows import as_text
from provlytics.normalize.typed_fast import known_member, utc_times
from provlytics.origin import PORTAL_PROPERTIES_KEY, PORTAL_STEPS_KEY
from provlytics.origin import fold_header as normalize_header
from provlytics.schema import TIME

logger = logging.getLogger(__name__)

DIALECT = Dialect.PORTAL.value
# The view path each event header is nested under -> the column the alias table fills from it.
_EVENT_COLUMNS: dict[tuple[str, ...], str] = {
    ("activityDateTime",): "activity_time",
    ("id",): "event_id",
    ("tenantId",): "tenant_id",
    ("jobId",): "job_id",
    ("cycleId",): "cycle_id",
    ("changeId",): "change_id",
    ("action",): "action",
    ("statusInfo", "status"): "status",
    ("statusInfo", "errorCode"): "error_code",
    ("statusInfo", "errorCategory"): "error_category",
    ("statusInfo", "reason"): "error_reason",
    ("statusInfo", "additionalDetails"): "error_details",
    ("statusInfo", "recommendedAction"): "recommended_action",
    ("durationInMilliseconds",): "duration_ms",
    ("servicePrincipal", "id"): "service_principal_id",
    ("servicePrincipal", "displayName"): "service_principal_name",
    ("sourceSystem", "id"): "source_system_id",
    ("sourceSystem", "displayName"): "source_system_name",
    ("targetSystem", "id"): "target_system_id",
    ("targetSystem", "displayName"): "target_system_name",
    ("sourceIdentity", "id"): "source_id",
    ("sourceIdentity", "displayName"): "source_name",
    ("sourceIdentity", "identityType"): "source_type",
    ("targetIdentity", "id"): "target_id",
    ("targetIdentity", "displayName"): "target_name",
    ("targetIdentity", "identityType"): "target_type",
    ("initiatedBy", "id"): "initiated_by_id",
    ("initiatedBy", "displayName"): "initiated_by_name",
    ("initiatedBy", "initiatorType"): "initiated_by_type",
}
_ENUMS = {
    "action": A.ACTIONS,
    "status": A.RESULTS,
    "error_category": A.ERROR_CATEGORIES,
    "initiated_by_type": A.INITIATOR_TYPES,
}
_SPECIAL = {"activity_time", "duration_ms", *_ENUMS}


def tables_from_rows(rows: list[Any]) -> FastTables | None:
    """A page of joined portal CSV rows to the tables; None if it needs the general path."""
    if not rows or type(rows[0]) is not dict:
        return None
    plans = _Plans.of(rows)
    if plans is None:
        return None
    try:
        return _tables(rows, plans)
    except (NotPlain, pa.ArrowTypeError, pa.ArrowInvalid) as exc:
        logger.debug("not a plain portal CSV page (%s): using the general path", exc)
        return None


class _Plans:
    """Which header fills which column, for the events and for the two kinds of children."""

    def __init__(self, event: dict[str, str], step: dict[str, str], prop: dict[str, str]) -> None:
        self.event, self.step, self.prop = event, step, prop

    @classmethod
    def of(cls, rows: list[dict[str, Any]]) -> _Plans | None:
        """The page's plans; None unless every row (and every child) has the same headers,
        each with a place of its own."""
        first = rows[0]
        keys = first.keys()
        if not all(type(row) is dict and row.keys() == keys for row in rows):
            return None
        lists = [(row.get(PORTAL_STEPS_KEY), row.get(PORTAL_PROPERTIES_KEY)) for row in rows]
        if not all(type(s) is list and type(p) is list for s, p in lists):
            return None  # not rows joined with their companions
        steps = [step for s, _p in lists for step in s]
        props = [prop for _s, p in lists for prop in p]
        event = _headers_plan(tuple(k for k in keys if k not in _CHILD_KEYS), _EVENT_PLACES)
        step = _child_plan(steps, _STEP_PLACES)
        prop = _child_plan(props, _PROPERTY_PLACES)
        if event is None or step is None or prop is None:
            return None
        return cls(event, step, prop)


_CHILD_KEYS = frozenset({PORTAL_STEPS_KEY, PORTAL_PROPERTIES_KEY})


# (folded header, its place) of each table: an event column, or a child's key
_EVENT_PLACES = tuple(
    (header, _EVENT_COLUMNS[path])
    for header, path in A.PORTAL_EVENT_COLUMNS.items()
    if path and path in _EVENT_COLUMNS
)
_STEP_PLACES = (*A.PORTAL_STEP_COLUMNS.items(), (A.PORTAL_JOIN_COLUMN, "@join"))
_PROPERTY_PLACES = (*A.PORTAL_PROPERTY_COLUMNS.items(), (A.PORTAL_JOIN_COLUMN, "@join"))


def _child_plan(children: list, places: tuple[tuple[str, str], ...]) -> dict[str, str] | None:
    """{key: header} of children that all have the same headers; None as `_headers_plan`."""
    if not children:
        return {}
    if not all(type(child) is dict for child in children):
        return None
    keys = children[0].keys()
    if not all(child.keys() == keys for child in children):
        return None
    return _headers_plan(tuple(keys), places)


@functools.lru_cache(maxsize=64)
def _headers_plan(
    headers: tuple[str, ...], places: tuple[tuple[str, str], ...]
) -> dict[str, str] | None:
    """{place: header}; None if a header has no place (`places`: folded header, place), or
    two headers the same one."""
    lookup, plan = dict(places), {}
    for header in headers:
        if type(header) is not str:
            return None
        key = lookup.get(normalize_header(header))
        if key is None or key in plan:
            return None
        plan[key] = header
    return plan


def _cells(rows: Sequence[dict[str, Any]], header: str | None, *, blank: bool = True) -> list:
    """A header's cells (None where the file has no such header); "" as None if `blank`."""
    if header is None:
        return [None] * len(rows)
    if blank:
        return [row[header] or None for row in rows]
    return [row[header] for row in rows]


def _tables(rows: list[dict[str, Any]], plans: _Plans) -> FastTables:
    n = len(rows)
    steps = _ordered_steps(rows, plans.step)
    properties = flatten_children([row[PORTAL_PROPERTIES_KEY] for row in rows])
    step_batch_parts, found = _step_columns(steps, plans.step, n)
    events = _events(rows, plans.event, found)
    step_batch = _steps(events, steps, step_batch_parts)
    property_batch = _properties(events, properties, plans.prop)
    return FastTables(*assembled(events, step_batch, property_batch, steps, properties), n)


def _events(
    rows: list[dict[str, Any]], plan: dict[str, str], found: tuple[list, list]
) -> pa.RecordBatch:
    columns: dict[str, Any] = {
        column: pa.array(_cells(rows, plan.get(column)), pa.string())
        for column in _EVENT_COLUMNS.values()
        if column not in _SPECIAL
    }
    if columns["event_id"].null_count:
        raise NotPlain("a row without an id")
    times = pa.array(_cells(rows, plan.get("activity_time")), pa.string())
    if times.null_count:
        raise NotPlain("a row without a time")
    columns["activity_time"] = utc_times(times)
    for column, table in _ENUMS.items():
        columns[column] = _members(_cells(rows, plan.get(column)), table)
    columns.update(
        duration_ms=_durations(_cells(rows, plan.get("duration_ms"))),
        skip_reason=found[0],
        reportable_identifier=found[1],
        dialect=pa.repeat(DIALECT, len(rows)),
        extra=pa.nulls(len(rows), pa.string()),
    )
    return table_batch("events", columns)


def _members(values: list, table: dict) -> pa.Array:
    """Each distinct value as its v1.0 member, once; raises `NotPlain` on an unknown one."""
    return mapped(
        pa.array(values, pa.string()), lambda value: known_member(table, value, repr(value))
    )


def _durations(values: list) -> list[int | None]:
    """Whole numbers as the general path reads them; raises `NotPlain` on any other."""
    numbers = [whole_number(v) if v is not None else None for v in values]
    if any(v is not None and number is None for v, number in zip(values, numbers, strict=True)):
        raise NotPlain("not a whole number")
    return numbers


def _ordered_steps(rows: list[dict[str, Any]], plan: dict[str, str]) -> Any:
    """The steps of every event, each event's in `Step Number` order (a stable sort, as the
    general path's)."""
    steps = flatten_children([row[PORTAL_STEPS_KEY] for row in rows])
    header = plan.get("@position")
    if header is None or not steps.items:
        return steps
    try:
        numbers = np.array([int(s[header] or 0) for s in steps.items], np.int64)
    except (TypeError, ValueError, OverflowError):
        raise NotPlain("a step number that is not a whole number") from None
    order = np.lexsort((numbers, steps.parents))
    if np.array_equal(order, np.arange(len(order))):
        return steps
    return steps._replace(items=[steps.items[i] for i in order.tolist()])


def _step_columns(steps: Any, plan: dict[str, str], n: int) -> tuple[dict, tuple[list, list]]:
    """The steps' columns, and each event's skip reason and reportable identifier from its
    steps' details (the last skip reason, the first identifier: as the general path)."""
    items = steps.items
    details = _cells(items, plan.get("details"))
    bags = _bags([d for d in details if d is not None])
    skips: list = [None] * n
    reportables: list = [None] * n
    it = iter(bags)
    for event, text in zip(steps.parents.tolist(), details, strict=True):
        if text is None:
            continue
        bag = next(it)
        skips[event] = bag.get(A.SKIP_REASON_KEY) or skips[event]
        reportables[event] = reportables[event] or bag.get(A.REPORTABLE_ID_KEY)
    columns = {
        "name": pa.array(_cells(items, plan.get("name")), pa.string()),
        "step_type": _members(_cells(items, plan.get("provisioningStepType")), A.STEP_TYPES),
        "status": _members(_cells(items, plan.get("status")), A.RESULTS),
        "description": pa.array(_cells(items, plan.get("description")), pa.string()),
        "details": pa.array(details, pa.string()),
    }
    return columns, ([as_text(s) for s in skips], [as_text(r) for r in reportables])


def _bags(texts: list[str]) -> list[dict]:
    """Details texts parsed; raises `NotPlain` unless each is a JSON object."""
    try:
        bags = orjson.loads("[" + ",".join(texts) + "]")
    except orjson.JSONDecodeError:
        raise NotPlain("a details cell that is not JSON") from None
    if len(bags) != len(texts) or not all(type(bag) is dict for bag in bags):
        raise NotPlain("a details cell that is not a JSON object")
    return bags


def _steps(events: pa.RecordBatch, steps: Any, columns: dict) -> pa.RecordBatch:
    return table_batch(
        "steps",
        {
            "event_id": events["event_id"].take(steps.parents),
            "step_index": steps.positions,
            "timestamp": pa.nulls(len(steps.items), TIME),
            **columns,
        },
    )


def _properties(events: pa.RecordBatch, properties: Any, plan: dict[str, str]) -> pa.RecordBatch:
    items = properties.items
    columns = {
        "event_id": events["event_id"].take(properties.parents),
        "property_index": properties.positions,
        "name": pa.array(_cells(items, plan.get("displayName")), pa.string()),
        "old_value": pa.array(_cells(items, plan.get("oldValue"), blank=False), pa.string()),
        "new_value": pa.array(_cells(items, plan.get("newValue"), blank=False), pa.string()),
    }
    return table_batch("modified_properties", columns)
