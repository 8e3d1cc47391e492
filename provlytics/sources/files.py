"""Saved files -> pages of raw records: Graph pages, NDJSON, JSON arrays, diagnostic exports,
Event Hub batches, Log Analytics exports, portal downloads, on-demand responses, job lists.

Knows file formats and containers only; what the records mean is the normalizer's business.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from provlytics.errors import InputError, graph_error_summary
from provlytics.normalize import graph_v1
from provlytics.normalize.dialects import HINT_ARRAY
from provlytics.normalize.jobs import is_job, service_principal_from_context
from provlytics.origin import Origin, Page, UnparsedRecord
from provlytics.sources import portal_csv
from provlytics.sources.inputs import DATA_SUFFIXES, expand_inputs
from provlytics.sources.reading import InputFile, as_input, data_suffix, open_text, read_bytes

logger = logging.getLogger(__name__)

__all__ = ["DATA_SUFFIXES", "KIND_JOBS", "FileTask", "file_tasks", "iter_task_pages"]

PAGE_SIZE = 1000
KIND_JOBS = "jobs"  # Page.meta["kind"] of synchronization job snapshots
MAX_DEPTH = 254  # nesting orjson writes (the `extra` column and rejects are written with it)


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


def file_tasks(paths: str | Path | Iterable[str | Path]) -> list[FileTask]:
    """The files to read (`sources.inputs.expand_inputs`), each with its companions (which
    are not tasks).

    Raises:
        InputError: nothing to read, a path or glob that matches nothing.
    """
    files = expand_inputs(paths)
    groups = portal_csv.group_companions(files)
    return [
        FileTask(f, groups.of(f), f in groups.mains, groups.refused.get(f))
        for f in files
        if f not in groups.companions
    ]


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


def _json_pages(path: InputFile, page_size: int) -> Iterator[Page]:
    origin = Origin(path.name)
    if data_suffix(path) in (".jsonl", ".ndjson"):
        yield from _json_lines_pages(path, page_size)
        return
    data = read_bytes(path)
    typed = graph_v1.decode_page(data)  # other shapes fail at their first unknown key: cheap
    if typed is not None:
        yield from _chunks(typed, origin, page_size, hint=graph_v1.HINT_TYPED)
        return
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if _first_line_is_object(data):
            yield from _json_lines_pages(path, page_size)
            return
        raise InputError(origin, f"not valid JSON, truncated or malformed ({exc})") from exc
    yield from _document_pages(doc, origin, page_size, path)


def _document_pages(doc: Any, origin: Origin, page_size: int, path: InputFile) -> Iterator[Page]:
    if isinstance(doc, list):
        yield from _chunks(doc, origin, page_size, hint=HINT_ARRAY)
        return
    if not isinstance(doc, dict):
        raise InputError(origin, f"expected a JSON object or array, got {type(doc).__name__}")
    summary = graph_error_summary(doc)
    if summary is not None:
        raise InputError(origin, f"a Graph error response, not provisioning data: {summary}")
    if isinstance(doc.get("tables"), list):  # Log Analytics query API result
        yield from _chunks(_log_analytics_rows(doc, origin), origin, page_size)
        return
    records = _container_records(doc, origin)
    if records and is_job(records[0]):
        yield _jobs_page(records, doc, origin, path)
        return
    yield from _chunks(records, origin, page_size)


def _container_records(doc: dict[str, Any], origin: Origin) -> list[Any]:
    for key in ("value", "records"):  # Graph page; Event Hub batch
        records = doc.get(key)
        if isinstance(records, list):
            return records
    if "value" in doc and "key" not in doc:
        raise InputError(origin, "expected a list of records", field="value")
    return [doc]  # one record: an on-demand response, a diagnostic record, a job


def _jobs_page(records: list[Any], doc: dict[str, Any], origin: Origin, path: InputFile) -> Page:
    observed = path.modified
    meta = {
        "kind": KIND_JOBS,
        "observed_time": observed,
        "service_principal_id": service_principal_from_context(doc.get("@odata.context")),
    }
    return Page(records, origin, meta=meta)


def _chunks(
    records: list[Any], origin: Origin, page_size: int, hint: str | None = None
) -> Iterator[Page]:
    for start in range(0, len(records), page_size):
        chunk = records[start : start + page_size]
        if hint != graph_v1.HINT_TYPED:
            chunk = _writable(chunk)
        yield Page(chunk, origin, first_record=start, dialect=hint)


def _json_lines_pages(path: InputFile, page_size: int) -> Iterator[Page]:
    origin = Origin(path.name)
    lines: list[str | UnparsedRecord] = []
    numbers: list[int] = []
    first = 0
    for number, line in _numbered_lines(path):
        lines.append(line)
        numbers.append(number)
        if len(lines) == page_size:
            yield _lines_page(lines, numbers, origin, first)
            first += len(lines)
            lines, numbers = [], []
    if lines:
        yield _lines_page(lines, numbers, origin, first)


def _lines_page(
    lines: list[str | UnparsedRecord], numbers: list[int], origin: Origin, first: int
) -> Page:
    """One page of JSON lines: typed if every line is a Graph v1.0 record, else parsed
    line by line (a line that is not JSON, or too long, becomes an `UnparsedRecord`)."""
    texts = [line if isinstance(line, str) else line.text for line in lines]
    if all(isinstance(line, str) for line in lines):
        typed = graph_v1.decode_page("[" + ",".join(texts) + "]")
        if typed is not None and len(typed) == len(lines):  # not `{...},{...}` on one line
            hint = graph_v1.HINT_TYPED
            return Page(typed, origin, lines=numbers, first_record=first, dialect=hint)
    records: list[Any] = []
    for line in lines:
        if isinstance(line, UnparsedRecord):
            records.append(line)
            continue
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            records.append(UnparsedRecord(line.rstrip("\r\n"), f"not valid JSON ({exc})"))
    return Page(_writable(records, texts), origin, lines=numbers, first_record=first)


def _numbered_lines(path: InputFile) -> Iterator[tuple[int, str | UnparsedRecord]]:
    """Non-blank lines with their numbers; a line longer than `path.max_line` characters
    comes as an `UnparsedRecord` (its start only: the rest is read past, never held)."""
    try:
        with open_text(path) as handle:
            number = 0
            while line := handle.readline(path.max_line + 1):
                number += 1
                if len(line) > path.max_line and not line.endswith("\n"):
                    while (rest := handle.readline(path.max_line)) and not rest.endswith("\n"):
                        pass
                    reason = (
                        f"a line longer than {path.max_line} characters (the limit set by "
                        "PROVLYTICS_MAX_LINE_BYTES); not line-delimited JSON?"
                    )
                    yield number, UnparsedRecord(line[:200] + "...", reason)
                elif line.strip():
                    yield number, line
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(path.name, f"not a readable file ({exc})") from exc


def _writable(records: list[Any], texts: list[str] | None = None) -> list[Any]:
    """The records, those nested deeper than JSON is written replaced by an `UnparsedRecord`
    naming the field (so that they are rejected, not crash the normalizer)."""
    try:
        orjson.dumps(records)
        return records
    except TypeError:
        pass
    out = []
    for index, record in enumerate(records):
        try:
            orjson.dumps(record)
            out.append(record)
        except TypeError as exc:
            where = too_deep(record)
            reason = (
                f"field {where!r} is nested deeper than {MAX_DEPTH} levels"
                if where is not None
                else f"cannot be written as JSON ({exc})"
            )
            text = texts[index].rstrip("\r\n") if texts else f"<record: {reason}>"
            out.append(UnparsedRecord(text, reason))
    return out


def too_deep(record: Any) -> str | None:
    """The dotted path of the first value below `MAX_DEPTH` levels of nesting, if any.

    Walks with a stack, not recursion: safe at any depth."""
    stack: list[tuple[Any, list[str]]] = [(record, [])]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return ".".join([*path[:6], "..."])
        if isinstance(value, dict):
            stack += [(v, [*path, str(k)]) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, [*path, str(i)]) for i, v in enumerate(value)]
    return None


def _log_analytics_rows(doc: dict[str, Any], origin: Origin) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for table in doc["tables"]:
        try:
            names = [c["name"] for c in table["columns"]]
            rows += [dict(zip(names, row, strict=True)) for row in table["rows"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(origin, f"not a Log Analytics result table ({exc!r})") from exc
    return rows


def _first_line_is_object(data: bytes) -> bool:
    line = data.lstrip().split(b"\n", 1)[0]
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False
