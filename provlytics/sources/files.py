"""Saved files -> pages of raw records: Graph pages, NDJSON, JSON arrays, diagnostic exports,
Event Hub batches, Log Analytics exports, portal downloads, on-demand responses, job lists.

Knows file formats and containers only; what the records mean is the normalizer's business.
A page that may be in Graph's own shape (a Graph page, a JSON array, JSON lines) or in the
diagnostic dialect (JSON lines, an Event Hub batch's `records`, cut into pages of their text) is
handed on as its text, for the normalizer's fast paths; other containers as parsed records.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import orjson

from provlytics.errors import InputError, graph_error_summary
from provlytics.json_names import json_name
from provlytics.origin import Container, JobContext, Origin, Page, Place, UnparsedRecord
from provlytics.sources import portal_csv, portal_pairs
from provlytics.sources.archives import reading_pass
from provlytics.sources.envelope import graph_page_context
from provlytics.sources.inputs import DATA_SUFFIXES, expand_inputs
from provlytics.sources.lines import file_blocks, memory_blocks, numbered_lines
from provlytics.sources.other_logs import other_logs
from provlytics.sources.reading import (
    STREAM_ERRORS,
    InputFile,
    as_input,
    data_suffix,
    display_path,
    read_bytes,
)
from provlytics.user_warnings import warn_load

logger = logging.getLogger(__name__)

__all__ = ["DATA_SUFFIXES", "FileTask", "file_tasks", "iter_task_pages"]

PAGE_SIZE = 1000
_SP_IN_CONTEXT = re.compile(r"servicePrincipals\('([^']+)'\)")
_ARRAY_START = re.compile(rb"\s*\[")
_EVENT_HUB_START = re.compile(rb'\s*\{\s*"records"\s*:\s*\[')  # as Azure Monitor writes one
_SPACE = re.compile(rb"\s*")
_LINES = Container.JSON_LINES


@dataclass(frozen=True)
class FileTask:
    """One unit of reading: a file, with its portal CSV companions if it has any.

    `portal` marks the main file of a portal download (with or without its companions);
    `refused` is the error reading the file gives at once (a portal companion that belongs
    to no main file).
    """

    file: InputFile
    companions: portal_csv.Companions = (None, None)
    portal: bool = False
    refused: InputError | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.file, InputFile):  # a plain path, as callers may give
            object.__setattr__(self, "file", as_input(self.file))


def file_tasks(
    paths: str | Path | Iterable[str | Path], *, skip: Iterable[str | Path] = ()
) -> list[FileTask]:
    """The files to read (`sources.inputs.expand_inputs`, leaving out the folders in `skip`),
    each with its portal companions (`sources.portal_pairs`; companions are not tasks, and a
    portal file named alone brings those beside it). Entra audit-log and sign-in-log
    downloads (CSV, `portal_pairs`) and the same logs saved as JSON (`other_logs`) are left
    out with a warning; of two copies of one portal download, the one with more of its
    files is read last (its events win).

    Raises:
        InputError: nothing to read, a path or glob that matches nothing, only audit-log or
            sign-in-log downloads (naming each and what it looks like).
    """
    named = [paths] if isinstance(paths, str | Path) else list(paths)
    with reading_pass():  # each archive opened once, to list and to look into its members
        files = expand_inputs(named, skip=skip)
        groups = portal_pairs.group_companions(files)
        foreign = {**groups.foreign, **other_logs(files)}
    foreign = {f: foreign[f] for f in files if f in foreign}  # in file order
    kept = [f for f in files if f not in groups.companions and f not in foreign]
    if not kept:
        raise _no_provisioning_data(named, foreign)
    for file, what in foreign.items():
        warn_load(logger, f"skipping {file}: it {what}, not provisioning logs")
    return [
        FileTask(f, groups.of(f), f in groups.mains, groups.refused.get(f))
        for f in portal_pairs.read_order(kept, groups)
    ]


def _no_provisioning_data(named: list[str | Path], foreign: dict[InputFile, str]) -> InputError:
    """The error of a load whose every file is another Entra download (audit, sign-ins)."""
    advice = (
        "load provisioning logs (the portal's Provisioning logs > Download, or AADProvisioningLogs)"
    )
    if len(foreign) == 1:
        ((file, what),) = foreign.items()
        return InputError(file.name, f"no provisioning data: it {what}; {advice}")
    shown = "; ".join(f"{f.name} {what}" for f, what in foreign.items())
    searched = ", ".join(display_path(p) for p in named)
    return InputError(searched, f"no provisioning data: {shown}; {advice}")


def iter_task_pages(task: FileTask, *, page_size: int = PAGE_SIZE) -> Iterator[Page]:
    """Pages of raw records of one file.

    Raises:
        InputError: the file cannot be read (truncated, undecodable, too large), naming it.
    """
    logger.info("reading %s", task.file)
    if task.refused is not None:
        raise task.refused
    try:
        if data_suffix(task.file) == ".csv":
            yield from portal_csv.iter_csv_pages(
                task.file, task.companions, portal=task.portal, page_size=page_size
            )
        else:
            yield from _json_pages(task.file, page_size)
    except MemoryError:
        raise InputError(task.file.name, "too large to read into memory") from None


class _Envelope(msgspec.Struct):
    """The top of a JSON document, its lists left unparsed (told apart cheaply); a field is
    an empty token when the document does not have it."""

    value: msgspec.Raw = msgspec.Raw()
    records: msgspec.Raw = msgspec.Raw()  # an Event Hub batch
    tables: msgspec.Raw = msgspec.Raw()  # a Log Analytics result
    error: msgspec.Raw = msgspec.Raw()  # a Graph error response
    odata_context: Any = msgspec.field(default=None, name="@odata.context")

    def is_event_hub_batch(self) -> bool:
        """`{"records": [...]}`, read as `_document_pages` would read it (`_batch_only`)."""
        return _starts(self.records, b"[") and _batch_only(self.tables, self.error)


class _EventHubBatch(msgspec.Struct):
    """An Event Hub batch, its records found (not parsed) in the one pass that checks the
    document; `tables`/`error` as `_Envelope` reads them."""

    records: list[msgspec.Raw]
    tables: msgspec.Raw = msgspec.Raw()
    error: msgspec.Raw = msgspec.Raw()


_EVENT_HUB_BATCH = msgspec.json.Decoder(_EventHubBatch)


def _event_hub_records(data: bytes) -> list[msgspec.Raw] | None:
    """The records of a document that starts as an Event Hub batch does and is one (what
    `_Envelope.is_event_hub_batch` tells); None for any other (the general route reads it)."""
    if not _EVENT_HUB_START.match(data):
        return None
    try:
        batch = _EVENT_HUB_BATCH.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    return batch.records if _batch_only(batch.tables, batch.error) else None


def _batch_only(tables: msgspec.Raw, error: msgspec.Raw) -> bool:
    """Whether a document with a `records` list is an Event Hub batch as `_document_pages`
    reads it: no Graph `error` object and no Log Analytics `tables` list (either comes
    first there)."""
    return not _starts(tables, b"[") and not _starts(error, b"{")


def _starts(token: msgspec.Raw, first: bytes) -> bool:
    return memoryview(token)[:1] == first  # no copy of the token


def _json_pages(path: InputFile, page_size: int) -> Iterator[Page]:
    origin = Origin(path.name, place=Place.FILE)
    if data_suffix(path) in (".jsonl", ".ndjson"):
        yield from _json_lines_pages(path, page_size)
        return
    data = read_bytes(path)
    if _ARRAY_START.match(data):
        yield Page(origin, Container.JSON_ARRAY, data=data)
        return
    records = _event_hub_records(data)  # one pass, where the document starts as one does
    if records is not None:
        yield from _event_hub_pages(records, origin, page_size)
        return
    page = graph_page_context(data)  # the usual page, told apart without decoding it
    if page is not None:
        yield Page(origin, Container.GRAPH_PAGE, data=data, jobs=_jobs(path, page.context))
        return
    try:
        top = msgspec.json.decode(data, type=_Envelope)
    except (msgspec.DecodeError, UnicodeDecodeError):
        top = None  # not a JSON object: parsed below, to say why
    if top is not None and _starts(top.value, b"["):
        yield Page(origin, Container.GRAPH_PAGE, data=data, jobs=_jobs(path, top.odata_context))
        return
    if top is not None and top.is_event_hub_batch():
        yield from _event_hub_pages(_RAW_LIST.decode(top.records), origin, page_size)
        return
    if _object_lines(data):  # not one document: not parsed whole only to fail
        yield from _json_lines_pages(path, page_size, data)
        return
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(origin, f"not valid JSON, truncated or malformed ({exc})") from exc
    yield from _document_pages(doc, origin, page_size, path)


def _document_pages(doc: Any, origin: Origin, page_size: int, path: InputFile) -> Iterator[Page]:
    if not isinstance(doc, dict):
        raise InputError(origin, f"expected a JSON object or array, got {json_name(doc)}")
    summary = graph_error_summary(doc)
    if summary is not None:
        raise InputError(origin, f"a Graph error response, not provisioning data: {summary}")
    if isinstance(doc.get("tables"), list):  # Log Analytics query API result
        rows = _log_analytics_rows(doc, origin)
        yield from _chunks(rows, origin, page_size, Container.LOG_ANALYTICS_TABLE)
        return
    if isinstance(doc.get("records"), list):
        yield from _chunks(doc["records"], origin, page_size, Container.EVENT_HUB_BATCH)
        return
    if "value" in doc and "key" not in doc:
        raise InputError(origin, "expected a list of records", field="value")
    jobs = _jobs(path, doc.get("@odata.context"))  # one record: a diagnostic record, a job
    yield Page(origin, Container.RECORD, records=[doc], jobs=jobs)


_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])


def _event_hub_pages(raws: list[msgspec.Raw], origin: Origin, page_size: int) -> Iterator[Page]:
    """An Event Hub batch's records (valid JSON: its document decoded) cut into pages of
    `page_size` records, each a JSON array of their text as written (the records are found,
    not parsed: the normalizer's diagnostic decoder reads them, or parses them for the
    general path)."""
    for start in range(0, len(raws), page_size):
        text = b"[" + b",".join(raws[start : start + page_size]) + b"]"
        yield Page(origin, Container.EVENT_HUB_BATCH, data=text, first_record=start)


def _jobs(path: InputFile, context: Any) -> JobContext:
    """The context a saved list of synchronization jobs needs: the file's time (a fallback:
    each job is observed at the newest time its status records) and the service principal
    named in its `@odata.context`."""
    match = _SP_IN_CONTEXT.search(context) if isinstance(context, str) else None
    owner = match.group(1) if match else None
    return JobContext(path.modified, service_principal_id=owner, from_status=True)


def _chunks(
    records: list[Any], origin: Origin, page_size: int, container: Container
) -> Iterator[Page]:
    for start in range(0, len(records), page_size):
        chunk = records[start : start + page_size]
        yield Page(origin, container, records=chunk, first_record=start)


def _json_lines_pages(path: InputFile, page_size: int, data: bytes | None = None) -> Iterator[Page]:
    """Pages of `page_size` lines, as UTF-8 bytes (an over-long line as an `UnparsedRecord`),
    read from the file block by block, or from its `data` when already read whole."""
    origin = Origin(path.name, place=Place.FILE)
    lines: list[bytes | str | UnparsedRecord] = []
    numbers: list[int] = []
    first = 0
    blocks = file_blocks(path) if data is None else memory_blocks(data)
    try:
        for number, line in numbered_lines(blocks, path.max_line):
            lines.append(line)
            numbers.append(number)
            if len(lines) == page_size:
                yield Page(origin, _LINES, data=lines, lines=numbers, first_record=first)
                first += len(lines)
                lines, numbers = [], []
    except (*STREAM_ERRORS, UnicodeDecodeError) as exc:
        raise InputError(path.name, f"not a readable file ({exc})") from exc
    if lines:
        yield Page(origin, _LINES, data=lines, lines=numbers, first_record=first)


def _log_analytics_rows(doc: dict[str, Any], origin: Origin) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for table in doc["tables"]:
        try:
            names = [c["name"] for c in table["columns"]]
            rows += [dict(zip(names, row, strict=True)) for row in table["rows"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(origin, f"not a Log Analytics result table ({exc!r})") from exc
    return rows


def _object_lines(data: bytes) -> bool:
    """Whether `data` is JSON lines: its first line a JSON object, and more text after it
    (so not one JSON document)."""
    start = _SPACE.match(data).end()  # type: ignore[union-attr]
    end = data.find(b"\n", start)
    if end < 0 or _SPACE.match(data, end).end() == len(data):  # type: ignore[union-attr]
        return False
    try:
        return isinstance(orjson.loads(data[start:end]), dict)
    except orjson.JSONDecodeError:
        return False
