"""One page of raw records -> one Arrow record batch per table, against the declared schemas."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
import pyarrow as pa

from provlytics.errors import InputError
from provlytics.normalize.dialects import (
    HINT_ARRAY,
    HINT_PORTAL_CSV,
    build_view,
    detect_dialect,
    other_category,
    portal_child_place,
    portal_header,
    respell,
)
from provlytics.normalize.given_up import GivenUp, GivenUpTally
from provlytics.normalize.rows import Rows, build_rows
from provlytics.normalize.times import to_timestamps
from provlytics.origin import Container, Page, UnparsedRecord
from provlytics.schema import LOG_TABLES, SCHEMAS, TIME

OnError = Literal["raise", "collect"]
_TIME_FIELDS = {"events": "activityDateTime", "steps": "timestamp", "errors": "activityDateTime"}
# The containers that tell the dialect detection something the records alone cannot.
_DIALECT_HINTS = {Container.JSON_ARRAY: HINT_ARRAY, Container.PORTAL_CSV: HINT_PORTAL_CSV}


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that could not be normalized, kept with where it came from and why."""

    origin: str
    field: str | None
    reason: str
    record: str

    @classmethod
    def of(cls, error: InputError, record: Any) -> Reject:
        if isinstance(record, UnparsedRecord):
            return cls(str(error.origin), error.field, error.reason, record.text)
        raw = orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        return cls(str(error.origin), error.field, error.reason, raw)


@dataclass(slots=True)
class PageTables:
    """What one page became: a batch per table, the records rejected (collect mode), and
    the fields given up, their values kept in `extra` (`given_up.GivenUp`, not yet warned).

    `record_index[table][row]` is the index, within the page, of the record a row came from.
    `records` counts the provisioning log records read (rejected ones too); `other_logs`
    the diagnostic records of other categories set aside (`dialects.other_category`), by
    category as spelled, in the order first met: they are neither rows, rejects nor
    `records` (`pipeline.route.file_tables` warns them, once per file).
    """

    batches: dict[str, pa.RecordBatch]
    record_index: dict[str, Sequence[int]]  # lists or NumPy arrays
    rejects: list[Reject] = field(default_factory=list)
    records: int = 0
    other_logs: dict[str, int] = field(default_factory=dict)
    given_up: list[GivenUp] = field(default_factory=list)  # the pipeline warns them

    @classmethod
    def empty(cls) -> PageTables:
        """No rows in any table (what a file that could not be read gives in collect mode)."""
        return cls({t: _empty(t) for t in LOG_TABLES}, {t: [] for t in LOG_TABLES})


def _empty(table: str) -> pa.RecordBatch:
    schema = SCHEMAS[table]
    return pa.RecordBatch.from_arrays([pa.array([], f.type) for f in schema], schema=schema)


def normalize_page(page: Page, *, on_error: OnError = "raise") -> PageTables:
    """The general path: one page of parsed records (`page.records`) to a batch per table.

    A bad record raises `InputError` naming it (`page.record_origin`), or is collected in
    `rejects`. A diagnostic record of another Entra log (`AuditLogs`, `SignInLogs`...) is
    set aside, counted in `other_logs`. Raises ValueError for a page that holds its text,
    not records (the normalizer's entry, `provlytics.normalize.normalize`, parses those)."""
    if page.records is None:
        raise ValueError(f"{page.origin}: a page of text; normalize it with normalize()")
    bad_times: list[Reject] = []
    other_logs = _other_logs(page)
    skip = set(other_logs)
    while True:
        rejects: list[Reject] = []
        rows, sources, given_up = _page_rows(page, on_error, rejects, skip)
        try:
            batches = _to_batches(rows, sources)
        except _BadTime as bad:
            field = _spelled(page, bad.record, bad.field)
            error = InputError(page.record_origin(bad.record), bad.reason, field=field)
            if on_error == "raise":
                raise error from None
            bad_times.append(Reject.of(error, page.records[bad.record]))
            skip.add(bad.record)
            continue
        read = len(page.records) - len(other_logs)
        categories = Counter(other_logs.values())
        return PageTables(batches, sources, rejects + bad_times, read, dict(categories), given_up)


def _other_logs(page: Page) -> dict[int, str]:
    """The index of each diagnostic record of another category than provisioning logs, with
    its category (`dialects.other_category`): set aside, not events. Rows of a portal
    download are never diagnostic records (as `detect_dialect` has it)."""
    if _DIALECT_HINTS.get(page.container) == HINT_PORTAL_CSV:
        return {}
    records = page.records or []
    return {i: c for i, record in enumerate(records) if (c := other_category(record))}


def _page_rows(
    page: Page, on_error: OnError, rejects: list[Reject], skip: set[int]
) -> tuple[dict[str, list[tuple]], dict[str, list[int]], list[GivenUp]]:
    rows: dict[str, list[tuple]] = {t: [] for t in LOG_TABLES}
    sources: dict[str, list[int]] = {t: [] for t in LOG_TABLES}
    hint = _DIALECT_HINTS.get(page.container)
    given_up: Counter[tuple[str, str]] = Counter()
    first_at: dict[tuple[str, str], int] = {}
    for index, record in enumerate(page.records):
        if index in skip:
            continue
        try:
            built = _record_rows(record, hint)
        except InputError as exc:  # a companion file's row is named by its origin
            error = exc if exc.origin is not None else exc.located(page.record_origin(index))
            if on_error == "raise":
                raise error from None
            rejects.append(Reject.of(error, record))
            continue
        if built is None:
            continue
        for table, table_rows in zip(LOG_TABLES, _as_lists(built), strict=True):
            rows[table] += table_rows
            sources[table] += [index] * len(table_rows)
        for issue in built.issues:
            key = (issue.field, issue.reason)
            given_up[key] += 1
            first_at.setdefault(key, index)
    return rows, sources, _given_up(page, given_up, first_at)


def _given_up(
    page: Page, counts: Counter[tuple[str, str]], first_at: dict[tuple[str, str], int]
) -> list[GivenUp]:
    """The page's fields given up, per file and field as the input spells them."""
    tally = GivenUpTally()  # the merge a file's pages get too
    for (field_name, reason), count in counts.items():
        file, place, spelled = _given_up_at(page, first_at[field_name, reason], field_name)
        tally.add([GivenUp(file, place, spelled, count, [reason])])
    return tally.items()


def _given_up_at(page: Page, index: int, field: str) -> tuple[str, str, str]:
    """The file where a field given up was read, the place, and the field as the input
    spells it: the record's file and origin, or for a portal CSV row the companion file's
    line and header (a step's or a property's) or the main file's header."""
    record = page.records[index]  # type: ignore[index]
    source = page.origin.source
    if _DIALECT_HINTS.get(page.container) == HINT_PORTAL_CSV and isinstance(record, dict):
        child = portal_child_place(record, field)
        if child is not None:
            place, header = child
            return place.rpartition(":")[0] or place, place, header
        return source, str(page.record_origin(index)), portal_header(record, field) or field
    return source, str(page.record_origin(index)), field


def _as_lists(rows: Rows) -> tuple[list[tuple], ...]:
    error = [rows.error] if rows.error is not None else []
    return [rows.event], rows.steps, rows.properties, error


def _record_rows(record: Any, hint: str | None) -> Rows | None:
    dialect = detect_dialect(record, hint)
    view = build_view(record, dialect, hint)
    if view is None:
        return None
    try:
        rows = build_rows(view, dialect.value)
    except InputError as exc:  # name the field as the input spells it
        field = respell(exc.field, view)
        if hint == HINT_PORTAL_CSV:
            field = portal_header(record, field)
        raise type(exc)(None, exc.reason, field=field) from None
    if rows.issues:
        issues = [i._replace(field=respell(i.field, view) or i.field) for i in rows.issues]
        rows = rows._replace(issues=issues)
    return rows


def _spelled(page: Page, index: int, field: str) -> str | None:
    """The time field of one record of `page` as the input spells it (a portal CSV header)."""
    record = page.records[index]  # type: ignore[index]
    if _DIALECT_HINTS.get(page.container) == HINT_PORTAL_CSV and isinstance(record, dict):
        return portal_header(record, field)
    return field


class _BadTime(Exception):
    def __init__(self, record: int, field: str, reason: str) -> None:
        self.record, self.field, self.reason = record, field, reason


def _to_batches(
    rows: dict[str, list[tuple]], sources: dict[str, list[int]]
) -> dict[str, pa.RecordBatch]:
    batches = {}
    for table, table_rows in rows.items():
        schema = SCHEMAS[table]
        columns: Iterable = zip(*table_rows, strict=True) if table_rows else ([] for _ in schema)
        arrays = []
        for f, values in zip(schema, columns, strict=True):
            if f.type == TIME:
                arrays.append(_times(table, values, sources[table]))
            else:
                arrays.append(pa.array(values, f.type))
        batches[table] = pa.RecordBatch.from_arrays(arrays, schema=schema)
    return batches


def _times(table: str, values: Any, sources: list[int]) -> pa.Array:
    array, bad = to_timestamps(values)
    if bad:
        i = bad[0]
        raise _BadTime(sources[i], _TIME_FIELDS[table], f"not an ISO timestamp: {values[i]!r}")
    return array
