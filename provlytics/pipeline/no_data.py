"""When a load stops at a bad file or record: is it one stray file, or no provisioning data at
all?

A load that stops at a record of an unknown shape (`UnknownDialectError`) or at a file it
cannot read (empty, not JSON, truncated) names that record or file. When no file of the
inputs holds provisioning data — records in no known shape, and the other files unreadable
or of such records too, as in a folder of unrelated JSON with an empty file among them — the
user is told that instead: "no provisioning data", the folder, how many files, the first
record's fields, and every file that could not be read, with why. One bad file among files of
provisioning data, or only unreadable files, still raise the error naming the first.
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
MAX_UNREADABLE = 5  # files that could not be read, named in the message (with why)


def raise_if_none(tasks: Sequence[FileTask], error: InputError) -> None:
    """Raise the "no provisioning data" error, from `error` (the first bad record or file a
    load met, in file order), when `tasks` are several files and none holds provisioning
    data; return otherwise (the caller raises `error`: for one file, it names that file).

    No provisioning data means: some file holds records that match no known shape
    (`detect_dialect`), and each other file holds only such records or could not be read (a
    file-level reject: empty, not JSON, truncated, too large; or a line that is not JSON). A
    record of a known shape (even one rejected for a value, e.g. a bad time), a page of jobs,
    or only unreadable files and empty pages (maybe damaged provisioning data) keep `error`.
    The files are read again, in collect mode, up to the first one that holds something
    else: a second read, on this error's path only.

    Raises:
        UnknownDialectError: naming the files' common folder, how many files, the first
            record and its fields, and the files that could not be read, e.g. `in: no
            provisioning data: 3 files, none of those read holds provisioning records (first:
            other.json: record 1, its fields: a); 1 could not be read: empty.json (the file
            is empty)`.
    """
    if len(tasks) < 2:
        return
    first: Reject | None = None
    unreadable: list[Reject] = []  # the first unreadable file or line of each file
    for task in tasks:
        bad: Reject | None = None
        for page in file_tables(task, "collect"):
            if not _nothing_read(page.tables):
                return
            for reject in page.tables.rejects:
                if _unknown_shape(reject):
                    first = first or reject
                else:
                    bad = bad or reject
        unreadable += [bad] if bad else []
    if first is not None:  # else no unrelated record: bad files, maybe of provisioning data
        raise _no_data(tasks, first, unreadable) from error


def _nothing_read(tables: PageTables | Any) -> bool:
    """Whether a normalized page holds no provisioning data: each record it read was rejected
    as unreadable or of no known shape, and so was the file if it could not be read."""
    if not isinstance(tables, PageTables):
        return False  # jobs
    records = sum(1 for reject in tables.rejects if reject.record)  # not the file's reject
    if tables.records != records:
        return False  # records that became rows (or held no event)
    return all(_unknown_shape(r) or _unreadable(r) for r in tables.rejects)


def _unreadable(reject: Reject) -> bool:
    """Whether a reject is of a file that could not be read (no record: empty, not JSON,
    truncated, too large) or of a line that is not JSON."""
    try:
        orjson.loads(reject.record)
    except orjson.JSONDecodeError:
        return True
    return False


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


def _no_data(
    tasks: Sequence[FileTask], first: Reject, unreadable: list[Reject]
) -> UnknownDialectError:
    folder = _common_folder([str(task.file.path) for task in tasks])

    def shown(reject: Reject) -> str:
        return reject.origin.removeprefix(folder + os.sep) if folder else reject.origin

    fields = ", ".join(sorted(map(str, orjson.loads(first.record)))[:MAX_FIELDS])
    read = "none of those read holds" if unreadable else "none holds"
    found = f"{read} provisioning records (first: {shown(first)}, its fields: {fields or 'none'})"
    if unreadable:
        named = [f"{shown(r)} ({r.reason})" for r in unreadable[:MAX_UNREADABLE]]
        more = len(unreadable) - len(named)
        found += f"; {len(unreadable)} could not be read: " + ", ".join(named)
        found += f" and {more} more" if more else ""
    return UnknownDialectError(folder or None, f"no provisioning data: {len(tasks)} files, {found}")


def _common_folder(paths: list[str]) -> str:
    """The folder the files share (as `display_path` shows it), "" if none (other drives)."""
    try:
        return display_path(os.path.commonpath([os.path.dirname(path) for path in paths]))
    except ValueError:
        return ""
