"""Any page, log or job, to its tables: the normalizer's one entry.

A page of text (`Page.data`) first goes to the fast path, `graph_v1.tables_from_json`, which
takes a Graph v1.0 page or a JSON array of v1.0 records straight to the tables (JSON lines:
the page's lines joined as one array); JSON lines whose first line looks like a diagnostic
record go to `diagnostic_fast` the same way; other containers, and text `graph_v1`
declines, to the decoders `dialects_fast` chooses. When they decline, the text is parsed
here and the records take the general path (`batch.normalize_page`).
Whether a page holds synchronization jobs or provisioning logs is decided here, once, from
its container and its first record.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pyarrow as pa

from provlytics.errors import InputError
from provlytics.normalize import diagnostic_fast, dialects_fast, graph_v1
from provlytics.normalize.batch import OnError, PageTables, normalize_page
from provlytics.normalize.depth import MAX_DEPTH, deep_field, writable
from provlytics.normalize.jobs import build_job_batch, is_job
from provlytics.origin import Container, Page, UnparsedRecord

_FAST_CONTAINERS = frozenset({Container.GRAPH_PAGE, Container.JSON_ARRAY, Container.JSON_LINES})
_CSV = frozenset({Container.PORTAL_CSV, Container.CSV})


def normalize(page: Page, *, on_error: OnError = "raise") -> PageTables | pa.RecordBatch:
    """One page to its tables: `PageTables` for provisioning logs, or a `job_status` batch
    (`SCHEMAS["job_status"]`) for a page of synchronization jobs.

    Jobs: a `Container.JOB_LIST` page, or a page with a `JobContext` whose first record is a
    synchronizationJob (a saved jobs list); they are observed at the context's time.

    Raises:
        InputError: a bad record (on_error="raise"), or text that is not the JSON its
            container says, naming the page (and record).
    """
    fast = _fast_tables(page)
    if fast is not None:
        return PageTables(fast.batches, fast.sources, records=fast.records)
    texts = _texts(page.data) if page.container is Container.JSON_LINES else None
    if page.data is not None:
        page = dataclasses.replace(page, data=None, records=_parse(page))
    elif page.table is not None:  # CSV rows as Arrow read them: as the `csv` module's rows
        page = dataclasses.replace(page, table=None, records=page.table.records())
    records: list[Any] = page.records or []
    if _holds_jobs(page, records):
        return _job_batch(page, records)
    if page.container not in _CSV:  # CSV cells are text: never too deep
        page = dataclasses.replace(page, records=writable(records, texts))
    return _general(page, on_error)


def _fast_tables(page: Page) -> graph_v1.FastTables | None:
    """The fast path's tables, or None; JSON lines go as one array of all their lines (only
    when every line was read and the array holds one record per line), an Event Hub batch's
    records as their JSON text."""
    data = page.data
    if page.container not in _FAST_CONTAINERS:
        return dialects_fast.container_tables(page)
    if data is None:
        return None
    if isinstance(data, bytes):
        fast = graph_v1.tables_from_json(data)
        portal = page.container is Container.JSON_ARRAY
        return fast if fast is not None else dialects_fast.text_tables(data, portal=portal)
    text = _joined(data)
    if text is None:
        return None
    fast = None
    if data and diagnostic_fast.looks_diagnostic(data[0]):  # type: ignore[arg-type]
        fast = diagnostic_fast.tables_from_json(text, utf8=True)
    if fast is None:
        fast = graph_v1.tables_from_json(text)
    if fast is None:
        fast = dialects_fast.text_tables(text, portal=False)
    if fast is None or fast.records != len(data):  # `{...},{...}` on one line
        return None
    return fast


def _joined(lines: list[bytes | str | UnparsedRecord]) -> bytes | None:
    """JSON lines as the UTF-8 text of one JSON array (encoded once for every decoder);
    None if a line could not be read or is not UTF-8 (the general path says which). Lines
    as `bytes` are UTF-8 already (`Page.data`: the file source checked them)."""
    if all(type(line) is bytes for line in lines):
        return b"[" + b",".join(lines) + b"]"  # type: ignore[arg-type]
    if not all(type(line) is str for line in lines):
        return None
    try:
        return ("[" + ",".join(lines) + "]").encode()  # type: ignore[arg-type]
    except UnicodeEncodeError:  # a lone surrogate
        return None


def _texts(data: bytes | list[bytes | str | UnparsedRecord] | None) -> list[str] | None:
    if not isinstance(data, list):
        return None
    return [_line_text(line) for line in data]


def _line_text(line: bytes | str | UnparsedRecord) -> str:
    if isinstance(line, UnparsedRecord):
        return line.text
    return line.decode(errors="replace") if isinstance(line, bytes) else line


def _parse(page: Page) -> list[Any]:
    """The records in a page's text: each line of JSON lines (a line that is not JSON
    becomes an `UnparsedRecord`), the items of an array, or the `value` of a Graph page."""
    if isinstance(page.data, list):
        return [_parse_line(line) for line in page.data]
    try:
        doc = orjson.loads(page.data or b"")
    except orjson.JSONDecodeError as exc:
        raise InputError(page.origin, f"not valid JSON, truncated or malformed ({exc})") from exc
    except MemoryError:
        raise InputError(page.origin, "too large to read into memory") from None
    if isinstance(doc, dict) and page.container is Container.GRAPH_PAGE:
        doc = doc.get("value")
    if not isinstance(doc, list):
        raise InputError(page.origin, "expected a list of records", field="value")
    return doc


def _parse_line(line: bytes | str | UnparsedRecord) -> Any:
    if isinstance(line, UnparsedRecord):
        return line
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return UnparsedRecord(_line_text(line).rstrip("\r\n"), f"not valid JSON ({exc})")


def _holds_jobs(page: Page, records: list[Any]) -> bool:
    if page.container is Container.JOB_LIST:
        return True
    return page.jobs is not None and bool(records) and is_job(records[0])


def _job_batch(page: Page, records: list[Any]) -> pa.RecordBatch:
    if page.jobs is None:
        raise ValueError(f"{page.origin}: a page of jobs needs its JobContext")
    return build_job_batch(
        records,
        observed_time=page.jobs.observed_time,
        service_principal_id=page.jobs.service_principal_id,
        origin=page.origin,
        from_status=page.jobs.from_status,
    )


def _general(page: Page, on_error: OnError) -> PageTables:
    """`normalize_page`, where a record too deep to be written as JSON (a JSON-text column
    holding one, say) is an `InputError` naming its field, or a reject: not a TypeError."""
    try:
        return normalize_page(page, on_error=on_error)
    except (TypeError, RecursionError):  # orjson's "Recursion limit reached", Python's own
        records = [_writable_alone(record, page) for record in page.records or []]
        return normalize_page(dataclasses.replace(page, records=records), on_error=on_error)


def _writable_alone(record: object, page: Page) -> object:
    """The record, or an `UnparsedRecord` if normalizing it alone fails on its depth."""
    try:
        normalize_page(dataclasses.replace(page, records=[record], lines=None, first_record=0))
        return record
    except InputError:
        return record  # the whole page reports it, with its place
    except (TypeError, RecursionError) as exc:
        field = deep_field(record)
        reason = (
            f"field {field!r} is nested deeper than {MAX_DEPTH} levels"
            if field
            else f"cannot be normalized ({type(exc).__name__}: {exc})"
        )
        return UnparsedRecord(f"<record: {reason}>", reason)
