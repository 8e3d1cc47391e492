"""One page of raw records -> one Arrow record batch per table, against the declared schemas."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
import pyarrow as pa

from provlytics.errors import InputError
from provlytics.normalize.dialects import build_view, detect_dialect
from provlytics.normalize.rows import Rows, build_rows
from provlytics.normalize.times import to_timestamps
from provlytics.origin import Page
from provlytics.schema import LOG_TABLES, SCHEMAS, TIME

OnError = Literal["raise", "collect"]
_TIME_FIELDS = {"events": "activityDateTime", "steps": "timestamp", "errors": "activityDateTime"}


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that could not be normalized, kept with where it came from and why."""

    origin: str
    field: str | None
    reason: str
    record: str

    @classmethod
    def of(cls, error: InputError, record: Any) -> Reject:
        raw = orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        return cls(str(error.origin), error.field, error.reason, raw)


@dataclass(slots=True)
class PageTables:
    """What one page became: a batch per table, and the records rejected (collect mode)."""

    batches: dict[str, pa.RecordBatch]
    rejects: list[Reject] = field(default_factory=list)
    records: int = 0


def normalize_page(page: Page, *, on_error: OnError = "raise") -> PageTables:
    """Normalize one page; a bad record raises `InputError` naming it, or is collected."""
    rejects: list[Reject] = []
    skip: set[int] = set()
    while True:
        rows, event_records = _page_rows(page, on_error, rejects, skip)
        try:
            batches = _to_batches(rows)
        except _BadTime as bad:
            index = event_records[bad.event_row]
            error = InputError(page.record_origin(index), bad.reason, field=bad.field)
            if on_error == "raise":
                raise error from None
            rejects.append(Reject.of(error, page.records[index]))
            skip.add(index)
            continue
        return PageTables(batches, rejects, len(page.records))


def empty_batches() -> dict[str, pa.RecordBatch]:
    """A zero-row batch per log table."""
    return {t: pa.RecordBatch.from_pylist([], schema=SCHEMAS[t]) for t in LOG_TABLES}


def _page_rows(
    page: Page, on_error: OnError, rejects: list[Reject], skip: set[int]
) -> tuple[dict[str, list[tuple]], list[int]]:
    events: list[tuple] = []
    steps: list[tuple] = []
    properties: list[tuple] = []
    errors: list[tuple] = []
    event_records: list[int] = []
    hint = page.dialect
    for index, record in enumerate(page.records):
        if index in skip:
            continue
        try:
            rows = _record_rows(record, hint)
        except InputError as exc:
            error = exc.located(page.record_origin(index))
            if on_error == "raise":
                raise error from None
            rejects.append(Reject.of(error, record))
            continue
        if rows is None:
            continue
        events.append(rows.event)
        steps += rows.steps
        properties += rows.properties
        if rows.error is not None:
            errors.append(rows.error)
        event_records.append(index)
    tables = {"events": events, "steps": steps, "modified_properties": properties, "errors": errors}
    return tables, event_records


def _record_rows(record: Any, hint: str | None) -> Rows | None:
    dialect = detect_dialect(record, hint)
    view = build_view(record, dialect, hint)
    return None if view is None else build_rows(view, dialect.value)


class _BadTime(Exception):
    def __init__(self, event_row: int, field: str, reason: str) -> None:
        self.event_row, self.field, self.reason = event_row, field, reason


def _to_batches(rows: dict[str, list[tuple]]) -> dict[str, pa.RecordBatch]:
    batches = {}
    event_index = {row[0]: i for i, row in enumerate(rows["events"])}
    for table, table_rows in rows.items():
        schema = SCHEMAS[table]
        columns: Iterable = zip(*table_rows, strict=True) if table_rows else ([] for _ in schema)
        arrays = []
        for f, values in zip(schema, columns, strict=True):
            if f.type == TIME:
                arrays.append(_times(table, values, table_rows, event_index))
            else:
                arrays.append(pa.array(values, f.type))
        batches[table] = pa.RecordBatch.from_arrays(arrays, schema=schema)
    return batches


def _times(
    table: str, values: Any, table_rows: list[tuple], event_index: dict[str, int]
) -> pa.Array:
    array, bad = to_timestamps(values)
    if bad:
        i = bad[0]
        row = event_index.get(table_rows[i][0], 0)
        raise _BadTime(row, _TIME_FIELDS[table], f"not an ISO timestamp: {values[i]!r}")
    return array
