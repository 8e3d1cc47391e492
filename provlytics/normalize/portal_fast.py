"""Portal CSV pages the fast way: the joined rows' cells straight to Arrow columns.

A `Container.PORTAL_CSV` page holds the rows of the portal's `ProvisioningLogs.csv` with the
rows of its companions: as Arrow read them (`Page.table`: the rows' columns, and the
companions' rows with the row each belongs to; `tables_from_csv`), or as the `csv` module's
rows, each with its companions' under `@steps` and `@properties`, every cell text or None
(`tables_from_rows`; `sources.portal_csv` makes those of files Arrow does not read as the
`csv` module does). Both give the same columns (an empty cell is null). The general path
nests each row back into Graph's legacy shape (`dialects._portal_csv_view`) and reads it
through the alias table; here a page whose headers all have a place there
(`aliases.PORTAL_*_COLUMNS`, one header per place) is read column by column instead: each
event column from its one header, enumerations mapped once per distinct value, steps put in
`Step Number` order, their `Details` kept as the text they are (checked to be JSON objects,
as the general path parses them). Anything else (an unknown header, which the general path
keeps in `extra`, a cell that is not text, a bad number or time, an unknown enumeration
member, a details cell that is not a JSON object) sends the page down the general path
(None). Tests hold both paths to the same rows.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.normalize import aliases as A
from provlytics.normalize.dialects import Dialect
from provlytics.normalize.extract import whole_number
from provlytics.normalize.graph_v1 import FastTables, assembled, flatten_children, table_batch
from provlytics.normalize.graph_v1 import _Children as Children
from provlytics.normalize.raw_columns import NotPlain, mapped
from provlytics.normalize.rows import as_text
from provlytics.normalize.typed_fast import known_member, utc_times
from provlytics.origin import (
    PORTAL_AT_KEY,
    PORTAL_PROPERTIES_KEY,
    PORTAL_STEPS_KEY,
    CsvChildren,
    CsvRows,
)
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
        return _tables_of_rows(rows, plans)
    except (NotPlain, pa.ArrowTypeError, pa.ArrowInvalid) as exc:
        logger.debug("not a plain portal CSV page (%s): using the general path", exc)
        return None


def tables_from_csv(table: CsvRows) -> FastTables | None:
    """A page of portal CSV rows as Arrow read them, with their companions' rows, to the
    tables, column by column (no Python object per cell but the details texts and step
    numbers); None if it needs the general path."""
    if table.steps is None or table.properties is None or not table.rows.num_rows:
        return None
    plans = _Plans.of_batches(table.rows, table.steps.rows, table.properties.rows)
    if plans is None:
        return None
    try:
        return _tables_of_batches(table, plans)
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

    @classmethod
    def of_batches(
        cls, rows: pa.RecordBatch, steps: pa.RecordBatch, props: pa.RecordBatch
    ) -> _Plans | None:
        """The plans of a page's Arrow rows; None unless each header has a place of its own
        (the children's headers count only where the page has children, as in `of`)."""
        event = _headers_plan(tuple(rows.schema.names), _EVENT_PLACES)
        step = _headers_plan(tuple(steps.schema.names), _STEP_PLACES) if steps.num_rows else {}
        prop = _headers_plan(tuple(props.schema.names), _PROPERTY_PLACES) if props.num_rows else {}
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
    return _headers_plan(tuple(k for k in keys if k != PORTAL_AT_KEY), places)


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


Cells = Callable[[str], pa.Array]  # a place -> its column (null where a cell is empty)


def _cells(rows: Sequence[dict[str, Any]], plan: dict[str, str]) -> Cells:
    """The column of each place, from rows as dicts (null where the file has no header;
    "" as null, but in a property's values: a cleared value is not a missing one)."""

    def cells(place: str) -> pa.Array:
        header = plan.get(place)
        if header is None:
            return pa.nulls(len(rows), pa.string())
        if place in _VALUES:
            return pa.array([row[header] for row in rows], pa.string())
        return pa.array([row[header] or None for row in rows], pa.string())

    return cells


def _columns(batch: pa.RecordBatch, plan: dict[str, str]) -> Cells:
    """The column of each place, from Arrow's columns ("" made null, as the rows hold it)."""

    def cells(place: str) -> pa.Array:
        header = plan.get(place)
        if header is None:
            return pa.nulls(batch.num_rows, pa.string())
        column = batch.column(header)
        return pc.if_else(pc.equal(pc.binary_length(column), 0), _NULL, column)

    return cells


_NULL = pa.scalar(None, pa.string())
_VALUES = frozenset({"oldValue", "newValue"})


def _tables_of_rows(rows: list[dict[str, Any]], plans: _Plans) -> FastTables:
    n = len(rows)
    steps = _ordered_steps(rows, plans.step)
    properties = flatten_children([row[PORTAL_PROPERTIES_KEY] for row in rows])
    step_cells = _cells(steps.items, plans.step)
    step_columns, found = _step_columns(step_cells, steps.parents, n)
    events = _events(_cells(rows, plans.event), n, found)
    step_batch = _steps(events, steps, step_columns)
    property_batch = _properties(events, properties, _cells(properties.items, plans.prop))
    return FastTables(*assembled(events, step_batch, property_batch, steps, properties), n)


def _tables_of_batches(table: CsvRows, plans: _Plans) -> FastTables:
    n = table.rows.num_rows
    assert table.steps is not None and table.properties is not None  # tables_from_csv's
    step_rows, steps = _ordered_step_rows(table.steps, plans.step, n)
    properties = _children(table.properties.parents, n)
    step_columns, found = _step_columns(_columns(step_rows, plans.step), steps.parents, n)
    events = _events(_columns(table.rows, plans.event), n, found)
    step_batch = _steps(events, steps, step_columns)
    prop_cells = _columns(table.properties.rows, plans.prop)
    property_batch = _properties(events, properties, prop_cells)
    return FastTables(*assembled(events, step_batch, property_batch, steps, properties), n)


def _children(parents: np.ndarray, n: int) -> Children:
    """The children of `n` events, from the event of each (ascending)."""
    counts = np.bincount(parents, minlength=n)
    firsts = np.repeat(np.cumsum(counts) - counts, counts)
    return Children(parents, np.arange(len(parents)) - firsts, counts, [])


def _events(cells: Cells, n: int, found: tuple[list, list]) -> pa.RecordBatch:
    columns: dict[str, Any] = {
        column: cells(column) for column in _EVENT_COLUMNS.values() if column not in _SPECIAL
    }
    if columns["event_id"].null_count:
        raise NotPlain("a row without an id")
    times = cells("activity_time")
    if times.null_count:
        raise NotPlain("a row without a time")
    columns["activity_time"] = utc_times(times)
    for column, table in _ENUMS.items():
        columns[column] = _members(cells(column), table)
    columns.update(
        duration_ms=_durations(cells("duration_ms").to_pylist()),
        skip_reason=found[0],
        reportable_identifier=found[1],
        dialect=pa.repeat(DIALECT, n),
        extra=pa.nulls(n, pa.string()),
    )
    return table_batch("events", columns)


def _members(values: pa.Array, table: dict) -> pa.Array:
    """Each distinct value as its v1.0 member, once; raises `NotPlain` on an unknown one."""
    return mapped(values, lambda value: known_member(table, value, repr(value)))


def _durations(values: list) -> list[int | None]:
    """Whole numbers as the general path reads them; raises `NotPlain` on any other."""
    numbers = [whole_number(v) if v is not None else None for v in values]
    if any(v is not None and number is None for v, number in zip(values, numbers, strict=True)):
        raise NotPlain("not a whole number")
    return numbers


def _step_numbers(values: list) -> np.ndarray:
    """`Step Number` cells as the general path sorts by them (empty: 0); raises `NotPlain`
    on any other."""
    try:
        return np.array([int(value or 0) for value in values], np.int64)
    except (TypeError, ValueError, OverflowError):
        raise NotPlain("a step number that is not a whole number") from None


def _ordered_steps(rows: list[dict[str, Any]], plan: dict[str, str]) -> Any:
    """The steps of every event, each event's in `Step Number` order (a stable sort, as the
    general path's)."""
    steps = flatten_children([row[PORTAL_STEPS_KEY] for row in rows])
    header = plan.get("@position")
    if header is None or not steps.items:
        return steps
    numbers = _step_numbers([s[header] for s in steps.items])
    order = np.lexsort((numbers, steps.parents))
    if np.array_equal(order, np.arange(len(order))):
        return steps
    return steps._replace(items=[steps.items[i] for i in order.tolist()])


def _ordered_step_rows(
    steps: CsvChildren, plan: dict[str, str], n: int
) -> tuple[pa.RecordBatch, Children]:
    """`_ordered_steps` of Arrow rows: the rows in order, and the events' children."""
    children = _children(steps.parents, n)
    header = plan.get("@position")
    if header is None or not steps.rows.num_rows:
        return steps.rows, children
    numbers = _step_numbers(steps.rows.column(header).to_pylist())
    order = np.lexsort((numbers, steps.parents))
    if np.array_equal(order, np.arange(len(order))):
        return steps.rows, children
    return steps.rows.take(pa.array(order, pa.int64())), children


def _step_columns(cells: Cells, parents: np.ndarray, n: int) -> tuple[dict, tuple[list, list]]:
    """The steps' columns, and each event's skip reason and reportable identifier from its
    steps' details (the last skip reason, the first identifier: as the general path)."""
    details = cells("details")
    texts = details.to_pylist()
    bags = _bags([d for d in texts if d is not None])
    skips: list = [None] * n
    reportables: list = [None] * n
    it = iter(bags)
    for event, text in zip(parents.tolist(), texts, strict=True):
        if text is None:
            continue
        bag = next(it)
        skips[event] = bag.get(A.SKIP_REASON_KEY) or skips[event]
        reportables[event] = reportables[event] or bag.get(A.REPORTABLE_ID_KEY)
    columns = {
        "name": cells("name"),
        "step_type": _members(cells("provisioningStepType"), A.STEP_TYPES),
        "status": _members(cells("status"), A.RESULTS),
        "description": cells("description"),
        "details": details,
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


def _steps(events: pa.RecordBatch, steps: Children, columns: dict) -> pa.RecordBatch:
    return table_batch(
        "steps",
        {
            "event_id": events["event_id"].take(steps.parents),
            "step_index": steps.positions,
            "timestamp": pa.nulls(len(steps.parents), TIME),
            **columns,
        },
    )


def _properties(events: pa.RecordBatch, properties: Children, cells: Cells) -> pa.RecordBatch:
    columns = {
        "event_id": events["event_id"].take(properties.parents),
        "property_index": properties.positions,
        "name": cells("displayName"),
        "old_value": cells("oldValue"),
        "new_value": cells("newValue"),
    }
    return table_batch("modified_properties", columns)
