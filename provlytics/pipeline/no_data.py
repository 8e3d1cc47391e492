"""When a load meets a record in no known shape: is it one stray file, or no provisioning
data at all?

A load that stops at a record of an unknown shape (`UnknownDialectError`) names that record.
When the inputs hold nothing else either — every file readable and every record in it of no
known shape, as in a folder of unrelated JSON — the user is told that instead: "no provisioning
data", the folder, how many files and the first record's fields. One file of unknown records
among files of provisioning data still raises the error naming it: nothing is dropped.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import orjson

from provlytics.errors import InputError, UnknownDialectError
from provlytics.normalize.batch import PageTables, Reject
from provlytics.normalize.dialects import detect_dialect
from provlytics.pipeline.route import file_tables
from provlytics.sources.files import FileTask
from provlytics.sources.reading import display_path

logger = logging.getLogger(__name__)

MAX_FIELDS = 12  # of the first record, named in the message (as `detect_dialect` does)


def raise_if_none(tasks: Sequence[FileTask], error: UnknownDialectError) -> None:
    """Raise the "no provisioning data" error, from `error` (the first record of an unknown
    shape a load met, in file order), when `tasks` are several files and none holds a
    provisioning record; return otherwise (the caller raises `error`: for one file, it says
    the same of that file's first record).

    No provisioning data means: every file could be read and each of its records matches no
    known shape (`detect_dialect`). A file that cannot be read, a record of a known shape
    (even one rejected for a value, e.g. a bad time), or a page of jobs keeps `error`. The
    files are read again, in collect mode, up to the first one that holds something else: a
    second read, on this error's path only.

    Raises:
        UnknownDialectError: naming the files' common folder, how many files, and the first
            record and its fields, e.g. `in: no provisioning data: 2 files, none holds
            provisioning records (first: other.json: record 0, its fields: a)`.
    """
    if len(tasks) < 2:
        return
    first: Reject | None = None
    for task in tasks:
        for page in file_tables(task, "collect"):
            if not _unknown_only(page.tables):
                return
            first = first or next(iter(page.tables.rejects), None)
    if first is not None:
        raise _no_data(tasks, first) from error


def _unknown_only(tables: PageTables | Any) -> bool:
    """Whether a normalized page read records and rejected each as of no known shape."""
    if not isinstance(tables, PageTables) or tables.records != len(tables.rejects):
        return False  # jobs, or records that became rows (or held no event)
    return all(_unknown_shape(reject) for reject in tables.rejects)


def _unknown_shape(reject: Reject) -> bool:
    """Whether a record was rejected for being of no known shape: `detect_dialect` refuses it
    for the very reason the reject gives (not an unreadable file or line, nor a record of a
    known shape rejected for one of its values)."""
    try:
        record = orjson.loads(reject.record)
    except orjson.JSONDecodeError:
        return False  # a file-level reject (no record), a line that is not JSON
    try:
        detect_dialect(record)
    except UnknownDialectError as exc:
        return exc.reason == reject.reason
    except InputError:
        return False
    return False


def _no_data(tasks: Sequence[FileTask], first: Reject) -> UnknownDialectError:
    folder = _common_folder([str(task.file.path) for task in tasks])
    shown = first.origin.removeprefix(folder + os.sep) if folder else first.origin
    record = orjson.loads(first.record)
    fields = ", ".join(sorted(map(str, record))[:MAX_FIELDS])
    return UnknownDialectError(
        folder or None,
        f"no provisioning data: {len(tasks)} files, none holds provisioning records "
        f"(first: {shown}, its fields: {fields or 'none'})",
    )


def _common_folder(paths: list[str]) -> str:
    """The folder the files share (as `display_path` shows it), "" if none (other drives)."""
    try:
        return display_path(os.path.commonpath([os.path.dirname(path) for path in paths]))
    except ValueError:
        return ""
