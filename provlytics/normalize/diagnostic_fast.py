"""Diagnostic-settings pages the fast way: raw tokens (msgspec) straight to Arrow columns.

The records of a `PT1H.json` blob (JSON lines) or of an Event Hub batch are decoded against
structs (`diagnostic_records`) that declare the envelope and `properties` fields the alias
table reads in this dialect, every value a raw token; the tokens of a whole page become
columns at once (`raw_columns`), as `graph_v1` does for Graph pages. The view the general
path builds (`dialects._diagnostic_view`: a field of `properties` wins unless null or empty,
else the envelope's) and the alias table's order of spellings are both "the first value that
is not null or empty", so each column is a coalesce of whole token columns. Anything else is
a surprise that sends the page down the general path (None): an undeclared field, a value of
another type, no id, an odd time, an unknown enumeration member, a bag that is not an object.
Open bags (step details, the `extra` values) are written as orjson writes them, so the rows
are those of the general path, byte for byte; tests hold both paths to that.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

import msgspec
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.normalize import aliases as A
from provlytics.normalize.diagnostic_records import (
    ABSENT,
    DURATION,
    ENUMS,
    EXTRA,
    TEXTS,
    ErrorInfo,
    Identity,
    Initiator,
    LegacyStatus,
    Principal,
    Record,
    StatusInfo,
    System,
    Where,
)
from provlytics.normalize.dialects import Dialect
from provlytics.normalize.extract import enum_member
from provlytics.normalize.graph_v1 import (
    FastTables,
    details_found,
    error_rows,
    flatten_children,
    table_batch,
    utf8_text,
)
from provlytics.normalize.graph_v1_records import NULL
from provlytics.normalize.raw_columns import Bags, NotPlain, joined_objects, texts
from provlytics.normalize.times import to_timestamps
from provlytics.schema import TIME

logger = logging.getLogger(__name__)

DIALECT = Dialect.DIAGNOSTIC.value
_DECODER = msgspec.json.Decoder(list[Record])
_BLANK = frozenset({b'""'})  # besides null: what the alias table passes over
_EMPTY = frozenset({b"{}", b"[]", b'""'})  # values `extra` leaves out (besides null)
_NOTHING = frozenset({b"{}"})  # a details bag that holds nothing (besides null)
# An ISO time in UTC that Arrow and `datetime.fromisoformat` read alike (else: general path;
# e.g. year 0000, which Arrow reads and Python does not).
_ISO_UTC = (
    r"^(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?Z$"
)
_WHOLE = r'^(-?\d+|"-?\d+")$'  # a whole number, or its digits as text (`durationMs`)

_H = {
    "psi": StatusInfo(),
    "error": ErrorInfo(),
    "legacy": LegacyStatus(),
    "sp": Principal(),
    "initiator": Initiator(),
    "source_system": System(),
    "target_system": System(),
    "source": Identity(),
    "target": Identity(),
}
_EXTRA_KEYS = [orjson.dumps(key).decode() + ":" for key, _where in EXTRA]


def looks_diagnostic(line: str) -> bool:
    """Whether a JSON lines page whose first line is `line` may hold diagnostic records
    (a cheap test before decoding: `category` and `properties` in the first record)."""
    return '"properties"' in line and ('"category"' in line or '"operationName"' in line)


def tables_from_json(data: bytes | str) -> FastTables | None:
    """A JSON array of diagnostic records straight to the tables; None if the text needs the
    general path (another shape, text not UTF-8, or any surprise `page_batches` names)."""
    records = _decode(data)
    if records is None:
        return None
    batches = page_batches(records)
    if batches is None:
        return None
    return FastTables(*batches, len(records))


def tables_from_records(records: list[Any]) -> FastTables | None:
    """Parsed diagnostic records (an Event Hub batch's `records`) to the tables, through
    their JSON text; None as `tables_from_json`, or if they cannot be written as JSON."""
    first = records[0] if records else None
    if type(first) is not dict or "properties" not in first:
        return None
    if "category" not in first and "operationName" not in first:
        return None
    try:
        data = orjson.dumps(records)
    except TypeError:  # too deep, or not JSON values: the general path names the record
        return None
    return tables_from_json(data)


def _decode(data: bytes | str) -> list[Record] | None:
    if isinstance(data, str):
        try:
            data = data.encode()  # valid UTF-8, or an error
        except UnicodeEncodeError:  # a lone surrogate
            return None
    elif not utf8_text(data):
        return None
    try:
        records = _DECODER.decode(data)
    except msgspec.DecodeError as exc:
        logger.debug("not a plain diagnostic page (%s): using the general path", exc)
        return None
    if not all(r.category is not ABSENT or r.operation_name is not ABSENT for r in records):
        return None  # not every record is in the diagnostic dialect
    return records


def page_batches(
    records: list[Record],
) -> tuple[dict[str, pa.RecordBatch], dict[str, Sequence[int]]] | None:
    """A batch per table, and the record each row came from; None if a record needs the
    general path."""
    try:
        holders = _holders(records)
        steps = flatten_children([p.provisioning_steps or () for p in holders["props"]])
        properties = flatten_children([p.modified_properties or () for p in holders["props"]])
        details = _details([step.details for step in steps.items])
        events = _events(holders, details_found(details, steps.parents, len(records)))
        step_batch = _steps(events, steps, details.column)
        property_batch = _properties(events, properties)
    except NotPlain as exc:
        logger.debug("not a plain diagnostic page (%s): using the general path", exc)
        return None
    errors, failed = error_rows(events, step_batch, steps)
    batches = {
        "events": events,
        "steps": step_batch,
        "modified_properties": property_batch,
        "errors": errors,
    }
    sources = {
        "events": np.arange(len(records)),
        "steps": steps.parents,
        "modified_properties": properties.parents,
        "errors": failed,
    }
    return batches, sources


def _holders(records: list[Record]) -> dict[str, list]:
    """The objects each column is read from, one per record (a default where absent)."""
    props = [r.properties for r in records]
    psi = [p.provisioning_status_info or _H["psi"] for p in props]
    return {
        "env": records,
        "props": props,
        "psi": psi,
        "error": [s.error_information or _H["error"] for s in psi],
        "legacy": [p.status_info or _H["legacy"] for p in props],
        "sp": [p.service_principal or _H["sp"] for p in props],
        "initiator": [p.initiated_by or _H["initiator"] for p in props],
        "source_system": [p.source_system or _H["source_system"] for p in props],
        "target_system": [p.target_system or _H["target_system"] for p in props],
        "source": [p.source_identity or _H["source"] for p in props],
        "target": [p.target_identity or _H["target"] for p in props],
    }


def _compile_gather(wheres: Sequence[Where]) -> Callable[[dict[str, list]], list[list]]:
    """`gather(holders) -> [tokens, ...]`, the tokens of each `(holder, field)`. Built from
    source, as `graph_v1` builds its own: a list comprehension reads an attribute several
    times faster than `map(attrgetter)`."""
    parts = [f"[x.{field} for x in h[{holder!r}]]" for holder, field in wheres]
    namespace: dict[str, Any] = {}
    exec("def gather(h):\n    return [" + ", ".join(parts) + "]", namespace)
    return namespace["gather"]


_CHOICES = {**{c: candidates for c, (_t, candidates) in ENUMS.items()}, "duration_ms": DURATION}
_gather_texts = _compile_gather([w for candidates in TEXTS.values() for w in candidates])
_gather_choices = _compile_gather([w for candidates in _CHOICES.values() for w in candidates])
_gather_extra = _compile_gather([where for _key, where in EXTRA])


def _absent(tokens: list) -> bool:
    """Whether no record has the field (every token the struct's default): cheap, as the
    first token of a field some record has is seldom the default."""
    return bool(tokens) and tokens[0] is NULL and tokens.count(NULL) == len(tokens)


def _present(lists: list[list], n: int, convert: Callable[[list], pa.Array]) -> dict:
    """{position: column} of the token lists some record has, converted in one go."""
    present = [i for i, tokens in enumerate(lists) if not _absent(tokens)]
    values = convert(list(chain.from_iterable(lists[i] for i in present)))
    return {i: values.slice(k * n, n) for k, i in enumerate(present)}


def _coalesced(
    parts: dict[int, pa.Array], n: int, spec: dict[str, tuple[Where, ...]]
) -> dict[str, pa.Array]:
    """Per column of `spec`, the first of its candidates' values (`parts`: by position in
    `spec`'s order, absent where no record has it) that is not null."""
    out, at = {}, 0
    for name, candidates in spec.items():
        found = [parts[i] for i in range(at, at + len(candidates)) if i in parts]
        at += len(candidates)
        if not found:
            out[name] = pa.nulls(n, pa.string())
        else:
            out[name] = pc.coalesce(*found) if len(found) > 1 else found[0]
    return out


def _texts(flat: list) -> pa.Array:
    return texts(flat, keep_empty_from=len(flat))  # "" passed over, as null is


def _choices(flat: list) -> pa.Array:
    return Bags(flat, _BLANK).column


def _events(holders: dict[str, list], found: tuple[list, list]) -> pa.RecordBatch:
    """The events batch; `found`: each event's skip reason and reportable identifier."""
    n = len(holders["env"])
    columns: dict[str, Any] = _coalesced(_present(_gather_texts(holders), n, _texts), n, TEXTS)
    if columns["event_id"].null_count or columns["activity_time"].null_count:
        raise NotPlain("a record without an id or a time")
    columns["activity_time"] = _times(columns["activity_time"])
    choices = _coalesced(_present(_gather_choices(holders), n, _choices), n, _CHOICES)
    for column, (table, _candidates) in ENUMS.items():
        columns[column] = _members(choices[column], table)
    columns.update(
        duration_ms=_whole_numbers(choices["duration_ms"]),
        skip_reason=found[0],
        reportable_identifier=found[1],
        dialect=pa.repeat(DIALECT, n),
        extra=_extra(_present(_gather_extra(holders), n, _extra_values), n),
    )
    return table_batch("events", columns)


def _extra_values(flat: list) -> pa.Array:
    return Bags(_canonical(flat), _EMPTY).column  # null: left out of `extra`


def _extra(parts: dict[int, pa.Array], n: int) -> pa.Array:
    """The `extra` object of each event from its values (`parts`: by position in `EXTRA`),
    joined only over the keys some event has."""
    kept = [i for i, part in parts.items() if part.null_count < n]
    if not kept:
        return pa.nulls(n, pa.string())
    joined = pa.concat_arrays([parts[i] for i in kept])
    return joined_objects(joined, [_EXTRA_KEYS[i] for i in kept])


def _times(column: pa.Array) -> pa.Array:
    """ISO times in UTC (`Z`) to `timestamp[us, UTC]`, truncated to microseconds as the
    general path's `datetime.fromisoformat` reads them; raises `NotPlain` on any other."""
    if not pc.all(pc.match_substring_regex(column, _ISO_UTC), min_count=0).as_py():
        raise NotPlain("a time in another spelling")
    times, bad = to_timestamps(column)
    if bad:
        raise NotPlain("not a time")
    return times


def _members(tokens: pa.Array, table: dict) -> pa.Array:
    """Each distinct enumeration token (text or integer) as its v1.0 member, once."""
    encoded = tokens.dictionary_encode()
    members = []
    for token in encoded.dictionary.to_pylist():
        member = enum_member(table, orjson.loads(token))
        if member is None:  # the general path keeps it in `extra` and says so
            raise NotPlain(f"not a known enumeration member: {token}")
        members.append(member)
    return pa.array(members, pa.string()).take(encoded.indices)


def _whole_numbers(tokens: pa.Array) -> pa.Array:
    """Integer tokens, or their digits as text, as `int64`; raises `NotPlain` on others."""
    if not pc.all(pc.match_substring_regex(tokens, _WHOLE), min_count=0).as_py():
        raise NotPlain("not a whole number")
    try:
        return pc.cast(pc.replace_substring(tokens, '"', ""), pa.int64())
    except pa.ArrowInvalid:
        raise NotPlain("not a whole number in 64 bits") from None


def _canonical(raws: list[msgspec.Raw]) -> list:
    """Raw JSON texts as orjson writes them (as the general path writes what it parsed):
    as they are when they already are, else each written again.

    Raises `NotPlain` if one cannot be (too deep, a number beyond 64 bits)."""
    joined = b"[" + b",".join(raws) + b"]"
    try:
        values = orjson.loads(joined)
        if orjson.dumps(values) == joined:
            return raws
        return [orjson.dumps(value) for value in values]
    except (orjson.JSONDecodeError, TypeError):
        raise NotPlain("a bag the general path must write") from None


def _details(raws: list[msgspec.Raw]) -> Bags:
    details = Bags(_canonical(raws), _NOTHING)
    if not details.all_objects():
        raise NotPlain("a details bag that is not an object")
    return details


def _steps(events: pa.RecordBatch, steps: Any, details: pa.Array) -> pa.RecordBatch:
    items, s = steps.items, len(steps.items)
    text = texts([x.name for x in items] + [x.description for x in items], keep_empty_from=2 * s)
    step_type = Bags([x.provisioning_step_type for x in items], _BLANK).column
    columns = {
        "event_id": events["event_id"].take(steps.parents),
        "step_index": steps.positions,
        "name": text.slice(0, s),
        "step_type": _members(step_type, A.STEP_TYPES),
        "status": _members(Bags([x.status for x in items], _BLANK).column, A.RESULTS),
        "description": text.slice(s, s),
        "timestamp": pa.nulls(s, TIME),
        "details": details,
    }
    return table_batch("steps", columns)


def _properties(events: pa.RecordBatch, properties: Any) -> pa.RecordBatch:
    items, p = properties.items, len(properties.items)
    flat = [x.display_name for x in items] + [x.old_value for x in items]
    text = texts(flat + [x.new_value for x in items], keep_empty_from=p)  # values: "" kept
    columns = {
        "event_id": events["event_id"].take(properties.parents),
        "property_index": properties.positions,
        "name": text.slice(0, p),
        "old_value": text.slice(p, p),
        "new_value": text.slice(2 * p, p),
    }
    return table_batch("modified_properties", columns)
