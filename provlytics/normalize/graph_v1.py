"""Graph v1.0 pages the fast way: raw tokens (msgspec) straight to Arrow columns.

Parsing JSON into dicts and walking them costs most of a load, and so does building Arrow
columns from a Python object per value. A page in Graph's own shape is instead decoded
against structs (`graph_v1_records`) that declare exactly the v1.0 fields the alias table
reads, every value as a raw token (`msgspec.Raw`: where it starts and ends, nothing built),
and the tokens of a whole page become columns at once (`raw_columns`). Anything else about
the page is a surprise: an unknown field, a value of another type, a missing id, an odd
timestamp or an enumeration member no table knows sends the page down the general path,
which keeps unknown fields in `extra` and names bad records. Tests hold both paths to the
same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import chain
from typing import Any, NamedTuple

import msgspec
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.normalize import aliases as A
from provlytics.normalize.graph_v1_members import EVENT_ENUMS, RESULTS, STEP_TYPES, UnknownMember
from provlytics.normalize.graph_v1_records import (
    GraphPage,
    Record,
    StatusInfo,
    party_holders,
)
from provlytics.normalize.raw_columns import (
    Bags,
    NotPlain,
    decoded_tokens,
    integers,
    joined_objects,
    mapped,
    text_columns,
)
from provlytics.normalize.rows import ERROR_COLUMNS, EVENT_COLUMNS, PROBLEM_STATUSES, as_text
from provlytics.normalize.times import to_timestamps
from provlytics.schema import SCHEMAS, TIME

logger = logging.getLogger(__name__)

_NOTHING = frozenset({b"{}"})  # a details bag that holds nothing (besides null)
_EMPTY = frozenset({b"{}", b"[]", b'""'})  # values `extra` leaves out (besides null)
DIALECT = "graph.v1"
HINT_TYPED = "typed:graph.v1"  # Page.dialect of pages whose records are `Record` structs


_DECODER = msgspec.json.Decoder(GraphPage | list[Record])


class FastTables(NamedTuple):
    """What the fast path made of one page: a batch per table, the record each row came
    from (per table, indexes into the page), and the number of records."""

    batches: dict[str, pa.RecordBatch]
    sources: dict[str, Sequence[int]]
    records: int


def tables_from_json(data: bytes | str) -> FastTables | None:
    """A Graph v1.0 page, or a JSON array of v1.0 records, straight to the tables; None if
    the text needs the general path (another shape, or any surprise `page_batches` names).

    The one entry point of the fast path: callers hand it the page's bytes as read."""
    records = _decode(data)
    if records is None:
        return None
    typed = page_batches(records)
    if typed is None:
        return None
    return FastTables(*typed, len(records))


def decode_page(data: bytes | str) -> list[Record] | None:
    """The records of a Graph v1.0 page, or of a JSON array of v1.0 records; None if the
    text is anything else (another shape, a field of another type, text not UTF-8)."""
    records = _decode(data, check_utf8=True)
    if records is None:
        return None
    try:
        _Tokens(records)  # every declared value of the type v1.0 gives it
    except NotPlain as exc:
        logger.debug("not a plain Graph v1.0 page (%s): using the general path", exc)
        return None
    return records


def _decode(data: bytes | str, *, check_utf8: bool = False) -> list[Record] | None:
    """The records, decoded to raw tokens; None if the text is not a page of this shape.

    msgspec does not check the text of raw tokens; by default the columns made of them do
    (`texts`, `Bags`): every token of a `Record` goes into one (keys are matched byte for
    byte)."""
    decoded = decoded_tokens(_DECODER, data, "Graph v1.0", check_utf8=check_utf8)
    return decoded.value if isinstance(decoded, GraphPage) else decoded


def as_plain(record: Record) -> dict[str, Any]:
    """A typed record back as the JSON object it was decoded from, for the general path."""
    return orjson.loads(msgspec.json.encode(record))


class _Children(NamedTuple):
    parents: np.ndarray  # the row of each child's event
    positions: np.ndarray  # each child's position in its event's list
    counts: np.ndarray  # the children of each event
    items: list


def flatten_children(lists: list) -> _Children:
    """The children of every event, in one list."""
    counts = np.fromiter(map(len, lists), np.int64, len(lists))
    firsts = np.repeat(np.cumsum(counts) - counts, counts)
    items = list(chain.from_iterable(lists))
    parents = np.repeat(np.arange(len(lists)), counts)
    return _Children(parents, np.arange(len(items)) - firsts, counts, items)


_NO_STATUS = StatusInfo()
# (column, holder, field): the text tokens of the events
_EVENT_TEXTS = (
    ("event_id", "record", "id"),
    ("activity_time", "record", "activity_date_time"),
    ("tenant_id", "record", "tenant_id"),
    ("job_id", "record", "job_id"),
    ("cycle_id", "record", "cycle_id"),
    ("change_id", "record", "change_id"),
    ("action", "record", "provisioning_action"),
    ("status", "status", "status"),
    ("error_code", "error", "error_code"),
    ("error_category", "error", "error_category"),
    ("error_reason", "error", "reason"),
    ("error_details", "error", "additional_details"),
    ("recommended_action", "error", "recommended_action"),
    ("service_principal_id", "sp", "id"),
    ("service_principal_name", "sp", "display_name"),
    ("source_system_id", "source_system", "id"),
    ("source_system_name", "source_system", "display_name"),
    ("target_system_id", "target_system", "id"),
    ("target_system_name", "target_system", "display_name"),
    ("source_id", "source", "id"),
    ("source_name", "source", "display_name"),
    ("source_type", "source", "identity_type"),
    ("target_id", "target", "id"),
    ("target_name", "target", "display_name"),
    ("target_type", "target", "identity_type"),
    ("initiated_by_id", "initiator", "id"),
    ("initiated_by_name", "initiator", "display_name"),
    ("initiated_by_type", "initiator", "initiator_type"),
)
_STEP_TEXTS = ("name", "provisioning_step_type", "status", "description")
_PROPERTY_TEXTS = ("display_name", "old_value", "new_value")  # values last: "" is kept


def _compile_gather() -> Any:
    """`gather(holders) -> tokens`, column after column, as `_EVENT_TEXTS`, `_STEP_TEXTS`
    and `_PROPERTY_TEXTS` list them. Built from source, as `extract` builds its functions:
    a list comprehension reads an attribute several times faster than `map(attrgetter)`."""
    parts = [f"*[x.{field} for x in h[{holder!r}]]" for _c, holder, field in _EVENT_TEXTS]
    parts += [f"*[x.{field} for x in h['steps']]" for field in _STEP_TEXTS]
    parts += [f"*[x.{field} for x in h['properties']]" for field in _PROPERTY_TEXTS]
    namespace: dict[str, Any] = {}
    exec("def gather(h):\n    return [" + ", ".join(parts) + "]", namespace)
    return namespace["gather"]


_gather = _compile_gather()


class _Tokens:
    """The tokens of a page's records, gathered column by column, as checked text columns.

    Raises `NotPlain` if a declared value is not of the type v1.0 gives it."""

    def __init__(self, records: list[Record]) -> None:
        status = [r.provisioning_status_info or _NO_STATUS for r in records]
        errors = [s.error_information for s in status]
        with_error = np.array([e is not None for e in errors], bool)
        self.holders = holders = {
            "record": records,
            "status": status,
            "error": list(filter(None, errors)),  # only those given: most records have none
            **party_holders(records),
        }
        self.steps = flatten_children([r.provisioning_steps or () for r in records])
        self.properties = flatten_children([r.modified_properties or () for r in records])
        flat = _gather({**holders, "steps": self.steps.items, "properties": self.properties.items})
        s, p = len(self.steps.items), len(self.properties.items)
        sizes = [len(holders[h]) for _c, h, _f in _EVENT_TEXTS]
        sizes += [s] * len(_STEP_TEXTS) + [p] * len(_PROPERTY_TEXTS)
        columns = iter(text_columns(flat, sizes, keep_empty_from=len(flat) - 2 * p))
        self.events = {c: next(columns) for c, *_ in _EVENT_TEXTS}
        self.step_columns = {f: next(columns) for f in _STEP_TEXTS}
        self.property_columns = {f: next(columns) for f in _PROPERTY_TEXTS}
        if not with_error.all():  # each error column to one value per record (null: none)
            given = pa.array(np.cumsum(with_error) - 1, mask=~with_error)
            for column, holder, _field in _EVENT_TEXTS:
                if holder == "error":
                    self.events[column] = self.events[column].take(given)
        self.durations = integers([r.duration_in_milliseconds for r in records])


def page_batches(
    records: list[Record],
) -> tuple[dict[str, pa.RecordBatch], dict[str, Sequence[int]]] | None:
    """A batch per table, and the record each row came from; None if a record needs the
    general path (a value of another type, no id, no or an odd time, an unknown enumeration
    member, a details bag that is not an object, or text that is not UTF-8)."""
    try:
        tokens = _Tokens(records)
        ids, times_text = tokens.events["event_id"], tokens.events["activity_time"]
        if ids.null_count or times_text.null_count:
            return None
        times, bad = to_timestamps(times_text)
        if bad:
            return None
        steps = tokens.steps
        details = Bags([step.details for step in steps.items], _NOTHING)
        if not details.all_objects():
            return None  # a bag that is not an object: the general path says so
        events = _events(tokens, times, details_found(details, steps.parents, len(records)))
        step_batch = _steps(events, tokens, details.column)
    except (NotPlain, UnknownMember):  # the general path keeps it in `extra` and says so
        return None
    return assembled(events, step_batch, _properties(events, tokens), steps, tokens.properties)


def _events(tokens: _Tokens, times: pa.Array, found: tuple[list, list]) -> pa.RecordBatch:
    columns: dict[str, Any] = dict(tokens.events)
    for column, spellings in EVENT_ENUMS.items():
        columns[column] = mapped(columns[column], spellings)
    holders = tokens.holders
    systems = chain.from_iterable(
        holders[h] for h in ("source_system", "target_system", "source", "target")
    )
    extra = Bags([holder.details for holder in systems], _EMPTY).column
    columns.update(
        activity_time=times,
        skip_reason=found[0],
        reportable_identifier=found[1],
        duration_ms=tokens.durations,
        dialect=pa.repeat(DIALECT, len(holders["record"])),
        extra=joined_objects(extra, _EXTRA_KEYS),
    )
    return table_batch("events", columns)


def _steps(events: pa.RecordBatch, tokens: _Tokens, details: pa.Array) -> pa.RecordBatch:
    steps, values = tokens.steps, tokens.step_columns
    columns = {
        "event_id": events["event_id"].take(steps.parents),
        "step_index": steps.positions,
        "name": values["name"],
        "step_type": mapped(values["provisioning_step_type"], STEP_TYPES),
        "status": mapped(values["status"], RESULTS),
        "description": values["description"],
        "timestamp": pa.nulls(len(steps.items), TIME),
        "details": details,
    }
    return table_batch("steps", columns)


def _properties(events: pa.RecordBatch, tokens: _Tokens) -> pa.RecordBatch:
    properties, values = tokens.properties, tokens.property_columns
    columns = {
        "event_id": events["event_id"].take(properties.parents),
        "property_index": properties.positions,
        "name": values["display_name"],
        "old_value": values["old_value"],  # "" (cleared) is not null (not logged)
        "new_value": values["new_value"],
    }
    return table_batch("modified_properties", columns)


def assembled(
    events: pa.RecordBatch,
    steps: pa.RecordBatch,
    properties: pa.RecordBatch,
    step_items: _Children,
    property_items: _Children,
) -> tuple[dict[str, pa.RecordBatch], dict[str, np.ndarray]]:
    """A page's four tables (`errors` derived from its events and steps) and, per table,
    the record each row came from (`events`: one row per record)."""
    errors, failed = error_rows(events, steps, step_items)
    batches = {"events": events, "steps": steps, "modified_properties": properties}
    sources = {
        "events": np.arange(events.num_rows),
        "steps": step_items.parents,
        "modified_properties": property_items.parents,
    }
    return {**batches, "errors": errors}, {**sources, "errors": failed}


def error_rows(
    events: pa.RecordBatch, steps: pa.RecordBatch, children: _Children
) -> tuple[pa.RecordBatch, np.ndarray]:
    """The `errors` rows of the failed and warned events, naming the step that failed: the
    first whose status is the event's, else the last (as `rows.failed_step`)."""
    status = events["status"]
    problem = pc.fill_null(pc.is_in(status, value_set=_PROBLEMS), False)
    failed = np.flatnonzero(problem.to_numpy(zero_copy_only=False))
    same = pc.fill_null(pc.equal(steps["status"], status.take(children.parents)), False)
    hits = np.flatnonzero(same.to_numpy(zero_copy_only=False))
    owners = children.parents[hits]
    firsts = np.ones(len(owners), bool)
    firsts[1:] = owners[1:] != owners[:-1]  # the steps are in event order
    chosen = np.where(children.counts > 0, np.cumsum(children.counts) - 1, -1)
    chosen[owners[firsts]] = hits[firsts]
    chosen = chosen[failed]
    step_rows = pa.array(chosen, pa.int64(), mask=chosen < 0)
    rows = events.select(_EVENT_ERROR_COLUMNS).take(pa.array(failed, pa.int64()))
    columns: dict[str, Any] = {c: rows[c] for c in _EVENT_ERROR_COLUMNS}
    for column, step_column in _FAILED_STEP_COLUMNS.items():
        columns[column] = steps[step_column].take(step_rows)
    return table_batch("errors", columns), failed


_FOUND_KEYS = tuple(f'"{key}"'.encode() for key in (A.SKIP_REASON_KEY, A.REPORTABLE_ID_KEY))


class _Found(msgspec.Struct, gc=False):
    skip_reason: Any = msgspec.field(default=None, name=A.SKIP_REASON_KEY)
    reportable: Any = msgspec.field(default=None, name=A.REPORTABLE_ID_KEY)


_FOUND = msgspec.json.Decoder(list[_Found])


def details_found(details: Bags, parents: np.ndarray, events: int) -> tuple[list, list]:
    """(skip reasons, reportable identifiers) of every event, from its steps' details: the
    last skip reason and the first identifier given (as the general path reads them)."""
    skips: list = [None] * events
    reportables: list = [None] * events
    rows = details.holding(*_FOUND_KEYS)  # decode only the bags that may hold them
    raws = details.raws
    bags = _FOUND.decode(b"[" + b",".join([raws[i] for i in rows.tolist()]) + b"]")
    events_found = parents[rows].tolist()
    for event, bag in zip(events_found, bags, strict=True):
        skips[event] = bag.skip_reason or skips[event]
        reportables[event] = reportables[event] or bag.reportable
    for event in set(events_found):  # as text only where found: the rest stays None
        skips[event], reportables[event] = as_text(skips[event]), as_text(reportables[event])
    return skips, reportables


def table_batch(table: str, columns: dict[str, Any]) -> pa.RecordBatch:
    """One table's batch (`SCHEMAS[table]`) from its columns by name: Arrow arrays as they
    are, Python lists converted to the column's type. Shared with `diagnostic_fast`."""
    schema = SCHEMAS[table]
    arrays = [
        v if isinstance(v := columns[f.name], pa.Array) else pa.array(v, f.type) for f in schema
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


_PROBLEMS = pa.array(PROBLEM_STATUSES, pa.string())
_EVENT_ERROR_COLUMNS = [c for c in ERROR_COLUMNS if c in EVENT_COLUMNS]
_FAILED_STEP_COLUMNS = {
    "failed_step_name": "name",
    "failed_step_type": "step_type",
    "failed_step_description": "description",
}
_EXTRA_KEYS = [
    f'"{key}.details":'
    for key in ("sourceSystem", "targetSystem", "sourceIdentity", "targetIdentity")
]
