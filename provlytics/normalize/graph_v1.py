"""Graph v1.0 pages the fast way: typed decoding (msgspec) straight to table rows.

Parsing JSON into dicts and walking them costs most of a load. A page in Graph's own shape
is instead decoded against structs that declare exactly the v1.0 fields the alias table
reads, and anything else about it is a surprise: an unknown field, another type, a missing
id, an odd timestamp or an enumeration member no table knows sends the page down the general
path, which keeps unknown fields in `extra` and names bad records. Fields Graph types as
optional may be absent (a page saved with `$select`). A test holds both paths to the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated, Any, NamedTuple

import msgspec
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.normalize import aliases as A
from provlytics.normalize.extract import enum_member
from provlytics.normalize.rows import (
    ERROR_COLUMNS,
    EVENT_COLUMNS,
    PROBLEM_STATUSES,
    as_text,
    failed_step,
)
from provlytics.normalize.times import to_timestamps
from provlytics.schema import SCHEMAS, TIME

_FAILED_STEP_COLUMNS = ("failed_step_name", "failed_step_type", "failed_step_description")

logger = logging.getLogger(__name__)

NULL = msgspec.Raw(b"null")
_NOTHING = frozenset({b"{}"})  # a details bag that holds nothing (besides null)
_EMPTY = frozenset({b"{}", b"[]", b'""'})  # values `extra` leaves out (besides null)
DIALECT = "graph.v1"
HINT_TYPED = "typed:graph.v1"  # Page.dialect of pages whose records are `Record` structs
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class _Strict(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, rename="camel"):
    pass


class _Annotated(_Strict):
    """An object whose OData type annotation carries no data."""

    odata_type: str | None = msgspec.field(default=None, name="@odata.type")


class Named(_Annotated):
    id: str | None = None
    display_name: str | None = None


class Initiator(Named):
    initiator_type: str | None = None


class System(Named):
    details: msgspec.Raw = NULL


class Identity(System):
    identity_type: str | None = None


class ErrorInfo(_Annotated):
    error_code: str | None = None
    error_category: str | None = None
    reason: str | None = None
    additional_details: str | None = None
    recommended_action: str | None = None


class StatusInfo(_Annotated):
    status: str | None = None
    error_information: ErrorInfo | None = None


class Step(_Strict):
    name: str | None = None
    provisioning_step_type: str | None = None
    status: str | None = None
    description: str | None = None
    details: msgspec.Raw = NULL  # an open bag: kept as its JSON text


class Property(_Strict):
    display_name: str | None = None
    old_value: str | None = None
    new_value: str | None = None


class Record(_Annotated):
    """One `provisioningObjectSummary` of Graph v1.0."""

    id: str | None = None
    activity_date_time: str | None = None
    tenant_id: str | None = None
    job_id: str | None = None
    cycle_id: str | None = None
    change_id: str | None = None
    provisioning_action: str | None = None
    provisioning_status_info: StatusInfo | None = None
    duration_in_milliseconds: Int64 | None = None
    initiated_by: Initiator | None = None
    service_principal: Named | None = None
    source_system: System | None = None
    target_system: System | None = None
    source_identity: Identity | None = None
    target_identity: Identity | None = None
    provisioning_steps: list[Step] | None = None
    modified_properties: list[Property] | None = None


class GraphPage(_Strict):
    value: list[Record]
    odata_context: str | None = msgspec.field(default=None, name="@odata.context")
    odata_next_link: str | None = msgspec.field(default=None, name="@odata.nextLink")
    odata_count: int | None = msgspec.field(default=None, name="@odata.count")


_DECODER = msgspec.json.Decoder(GraphPage | list[Record])
_NAMED, _INITIATOR, _SYSTEM, _IDENTITY = Named(), Initiator(), System(), Identity()
_NO_STATUS, _NO_ERROR = StatusInfo(), ErrorInfo()
_EXTRA_KEYS = pa.array(
    [
        f'"{key}.details":'
        for key in ("sourceSystem", "targetSystem", "sourceIdentity", "targetIdentity")
    ]
)


def decode_page(data: bytes | str) -> list[Record] | None:
    """The records of a Graph v1.0 page, or of a JSON array of v1.0 records; None if the
    text is anything else."""
    try:
        decoded = _DECODER.decode(data)
        return decoded.value if isinstance(decoded, GraphPage) else decoded
    except msgspec.DecodeError as exc:  # not this shape: the general path reads it
        logger.debug("not a plain Graph v1.0 page (%s): using the general path", exc)
        return None


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
    records = decode_page(data)
    if records is None:
        return None
    typed = page_batches(records)
    if typed is None:
        return None
    return FastTables(*typed, len(records))


def as_plain(record: Record) -> dict[str, Any]:
    """A typed record back as the JSON object it was decoded from, for the general path."""
    return orjson.loads(msgspec.json.encode(record))


def page_batches(
    records: list[Record],
) -> tuple[dict[str, pa.RecordBatch], dict[str, Sequence[int]]] | None:
    """A batch per table, and the record each row came from; None if a record needs the
    general path (no id, no or an odd time, an unknown enumeration member, a details bag
    that is not an object, or bad UTF-8 in one)."""
    if not all(r.id and r.activity_date_time for r in records):
        return None
    times, bad = to_timestamps([r.activity_date_time for r in records])
    if bad:
        return None
    step_lists = [r.provisioning_steps or () for r in records]
    property_lists = [r.modified_properties or () for r in records]
    steps = _flatten(step_lists)
    try:
        details = _raw_column([step.details for step in steps.items], _NOTHING)
        objects = pc.or_kleene(pc.starts_with(details, "{"), pc.is_null(details))
        if not pc.all(objects, min_count=0).as_py():  # (a page with no steps: True)
            return None  # a bag that is not an object: the general path says so
        found = _from_details(details, steps.parents, len(records))
        events = _events(records, found, times)
        step_batch = _steps(events, steps, details)
    except (UnicodeDecodeError, pa.ArrowInvalid):  # bad UTF-8 inside a raw bag
        return None
    except _UnknownMember:  # the general path keeps it in `extra` and says so
        return None
    properties = _flatten(property_lists)
    errors, failed = _errors(events, step_lists)
    batches = {
        "events": events,
        "steps": step_batch,
        "modified_properties": _properties(events, properties),
        "errors": errors,
    }
    sources = {
        "events": np.arange(len(records)),
        "steps": steps.parents,
        "modified_properties": properties.parents,
        "errors": failed,
    }
    return batches, sources


def _events(records: list[Record], found: tuple[list, list], times: pa.Array) -> pa.RecordBatch:
    status = [r.provisioning_status_info or _NO_STATUS for r in records]
    error = [s.error_information or _NO_ERROR for s in status]
    sp = [r.service_principal or _NAMED for r in records]
    initiator = [r.initiated_by or _INITIATOR for r in records]
    source_system = [r.source_system or _SYSTEM for r in records]
    target_system = [r.target_system or _SYSTEM for r in records]
    source = [r.source_identity or _IDENTITY for r in records]
    target = [r.target_identity or _IDENTITY for r in records]
    skip_reasons, reportables = found
    columns = {
        "event_id": [r.id for r in records],
        "activity_time": times,
        "tenant_id": [r.tenant_id or None for r in records],
        "job_id": [r.job_id or None for r in records],
        "cycle_id": [r.cycle_id or None for r in records],
        "change_id": [r.change_id or None for r in records],
        "action": _enums(_ACTIONS, [r.provisioning_action for r in records]),
        "status": _enums(_RESULTS, [s.status for s in status]),
        "error_code": [e.error_code or None for e in error],
        "error_category": _enums(_ERROR_CATEGORIES, [e.error_category for e in error]),
        "error_reason": [e.reason or None for e in error],
        "error_details": [e.additional_details or None for e in error],
        "recommended_action": [e.recommended_action or None for e in error],
        "skip_reason": skip_reasons,
        "duration_ms": [r.duration_in_milliseconds for r in records],
        "service_principal_id": [x.id or None for x in sp],
        "service_principal_name": [x.display_name or None for x in sp],
        "source_system_id": [x.id or None for x in source_system],
        "source_system_name": [x.display_name or None for x in source_system],
        "target_system_id": [x.id or None for x in target_system],
        "target_system_name": [x.display_name or None for x in target_system],
        "source_id": [x.id or None for x in source],
        "source_name": [x.display_name or None for x in source],
        "source_type": [x.identity_type or None for x in source],
        "target_id": [x.id or None for x in target],
        "target_name": [x.display_name or None for x in target],
        "target_type": [x.identity_type or None for x in target],
        "initiated_by_id": [x.id or None for x in initiator],
        "initiated_by_name": [x.display_name or None for x in initiator],
        "initiated_by_type": _enums(_INITIATOR_TYPES, [x.initiator_type for x in initiator]),
        "reportable_identifier": reportables,
        "dialect": pa.repeat(DIALECT, len(records)),
        "extra": _extra((source_system, target_system, source, target)),
    }
    return _batch("events", columns)


def _steps(events: pa.RecordBatch, steps: _Children, details: pa.Array) -> pa.RecordBatch:
    items = steps.items
    columns = {
        "event_id": events["event_id"].take(steps.parents),
        "step_index": steps.positions,
        "name": [s.name or None for s in items],
        "step_type": _enums(_STEP_TYPES, [s.provisioning_step_type for s in items]),
        "status": _enums(_RESULTS, [s.status for s in items]),
        "description": [s.description or None for s in items],
        "timestamp": pa.nulls(len(items), TIME),
        "details": details,
    }
    return _batch("steps", columns)


def _properties(events: pa.RecordBatch, properties: _Children) -> pa.RecordBatch:
    items = properties.items
    columns = {
        "event_id": events["event_id"].take(properties.parents),
        "property_index": properties.positions,
        "name": [p.display_name or None for p in items],
        "old_value": [p.old_value for p in items],  # "" (cleared) is not null (not logged)
        "new_value": [p.new_value for p in items],
    }
    return _batch("modified_properties", columns)


class _Children(NamedTuple):
    parents: np.ndarray  # the row of each child's event
    positions: np.ndarray  # each child's position in its event's list
    items: list


def _flatten(lists: list) -> _Children:
    """The children of every event, in one list."""
    counts = np.fromiter(map(len, lists), np.int64, len(lists))
    firsts = np.repeat(np.cumsum(counts) - counts, counts)
    items = [child for children in lists for child in children]
    return _Children(
        np.repeat(np.arange(len(lists)), counts), np.arange(len(items)) - firsts, items
    )


def _errors(events: pa.RecordBatch, step_lists: list) -> tuple[pa.RecordBatch, list[int]]:
    statuses = events["status"].to_pylist()
    failed = [i for i, status in enumerate(statuses) if status in PROBLEM_STATUSES]
    rows = events.take(pa.array(failed, pa.int32()))
    step_rows = [_failed_step(step_lists[i], statuses[i]) for i in failed]
    step_part = zip(*step_rows, strict=True) if step_rows else ([], [], [])
    columns: dict[str, Any] = {c: rows[c] for c in ERROR_COLUMNS if c in EVENT_COLUMNS}
    for column, values in zip(_FAILED_STEP_COLUMNS, step_part, strict=True):
        columns[column] = list(values)
    return _batch("errors", columns), failed


def _failed_step(steps: Any, status: str) -> tuple:
    """(name, type, description) of the step an error row names."""
    i = failed_step([_enum(_RESULTS, step.status) for step in steps], status)
    if i is None:
        return None, None, None
    step = steps[i]
    step_type = _enum(_STEP_TYPES, step.provisioning_step_type)
    return step.name or None, step_type, step.description or None


def _raw_column(raws: list[msgspec.Raw], empty: frozenset[bytes]) -> pa.Array:
    """Raw JSON texts as a compact string column; null where a text is `null` or one of the
    two-byte texts in `empty`. Raises `ArrowInvalid` on bad UTF-8."""
    data = b"".join(raws)
    if b"\n" in data or b'": ' in data:  # indented or `json.dumps`-ed: compact it
        raws = [msgspec.json.format(raw, indent=-1) for raw in raws]
        data = b"".join(raws)
    lengths = np.fromiter(map(len, raws), np.int64, len(raws))
    offsets = np.zeros(len(raws) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    text = np.frombuffer(data, np.uint8)
    first = text[offsets[:-1]]  # a JSON text is never empty
    second = text[np.minimum(offsets[:-1] + 1, len(text) - 1)]
    nothing = (lengths == 4) & (first == ord("n"))  # null
    for a, b in empty:
        nothing |= (lengths == 2) & (first == a) & (second == b)
    validity = pa.py_buffer(np.packbits(~nothing, bitorder="little"))
    buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.large_binary(), len(raws), buffers).cast(pa.string())


def _from_details(details: pa.Array, parents: np.ndarray, events: int) -> tuple[list, list]:
    """(skip reasons, reportable identifiers) of every event, from its steps' details."""
    skips: list = [None] * events
    reportables: list = [None] * events
    may_hold = pc.or_(pc.match_substring(details, _SKIP), pc.match_substring(details, _REPORTABLE))
    rows = pc.indices_nonzero(may_hold)  # parse only the bags that may hold them
    events_of = parents[rows.to_numpy()].tolist()
    for event, text in zip(events_of, details.take(rows).to_pylist(), strict=True):
        bag = orjson.loads(text)
        skips[event] = bag.get(A.SKIP_REASON_KEY) or skips[event]
        reportables[event] = reportables[event] or bag.get(A.REPORTABLE_ID_KEY)
    return [as_text(s) for s in skips], [as_text(r) for r in reportables]


def _extra(holders: tuple[list[System], ...]) -> pa.Array:
    """The unmapped `details` of the systems and identities, as `extra` JSON text."""
    n = len(holders[0])
    details = _raw_column([h.details for column in holders for h in column], _EMPTY)
    by_record = np.arange(len(holders) * n).reshape(len(holders), n).T.ravel()
    keys = _EXTRA_KEYS.take(np.tile(np.arange(len(holders)), n))
    parts = pc.binary_join_element_wise(keys, details.take(by_record), "")  # null: nothing
    counts = parts.is_valid().to_numpy(zero_copy_only=False).reshape(n, len(holders)).sum(1)
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(counts, out=offsets[1:])
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, parts.drop_null()), ",")
    extra = pc.binary_join_element_wise("{", joined, "}", "")
    return pc.if_else(counts == 0, pa.scalar(None, pa.string()), extra)


def _batch(table: str, columns: dict[str, Any]) -> pa.RecordBatch:
    schema = SCHEMAS[table]
    arrays = [
        v if isinstance(v := columns[f.name], pa.Array) else pa.array(v, f.type) for f in schema
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _spellings(table: dict) -> dict[str, str]:
    """Every exact spelling an enum table knows, for a lookup without lower-casing."""
    return {**{k: v for k, v in table.items() if type(k) is str}, **{v: v for v in table.values()}}


class _UnknownMember(Exception):
    """An enumeration value no table knows: a page for the general path."""


def _enum(spellings: tuple[dict[str, str], dict], value: str | None) -> str | None:
    if not value:
        return None
    exact, table = spellings
    member = exact.get(value) or enum_member(table, value)
    if member is None:
        raise _UnknownMember(value)
    return member


def _enums(spellings: tuple[dict[str, str], dict], values: list[str | None]) -> list[str | None]:
    canonical = {value: _enum(spellings, value) for value in set(values)}
    return [canonical[value] for value in values]


_SKIP, _REPORTABLE = (f'"{key}"' for key in (A.SKIP_REASON_KEY, A.REPORTABLE_ID_KEY))
_ACTIONS, _RESULTS, _STEP_TYPES, _ERROR_CATEGORIES, _INITIATOR_TYPES = (
    (_spellings(table), table)
    for table in (A.ACTIONS, A.RESULTS, A.STEP_TYPES, A.ERROR_CATEGORIES, A.INITIATOR_TYPES)
)
