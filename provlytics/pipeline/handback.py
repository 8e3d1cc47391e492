"""A worker's normalized pages handed back to the loading process as Arrow IPC files, not
pickled: the worker writes a file's tables into the load's private folder and returns only
their paths and the small fields of each page (`HandedFile`); this process memory-maps the
files and gets the same `NormalizedPage` objects, in the same order, without a copy.

Each table of a file goes into one uncompressed IPC file (`<stem>-<segment>.arrow`), one
record batch per page in page order; a log table's batches carry the page's record index
(`PageTables.record_index[table]`) as one more int64 column, `__record`, split off again
on reading. A table whose schema changes from one page to the next starts a new segment.
This process deletes each file as soon as it has mapped it (on POSIX the mapping outlives
the name); the load deletes the folder when it ends, with whatever a failed worker left.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc

from provlytics.errors import InputError
from provlytics.normalize.batch import PageTables, Reject
from provlytics.pipeline.route import NormalizedPage
from provlytics.user_warnings import HeldWarning

logger = logging.getLogger(__name__)

RECORD_COLUMN = "__record"  # the record index column added to log tables in the files
JOBS = "job_status"  # the one table of a page of jobs
# Where files can be deleted while mapped (POSIX), pages point into the mapped files; else
# (Windows) they are read into memory, so that the files can be deleted.
_MAP = os.name == "posix"


@dataclass(frozen=True, slots=True)
class PageFields:
    """The small fields of one page: its `source` and `records` (as in `NormalizedPage`),
    its `rejects` and `read` (`PageTables.records`), and the segment (index into
    `HandedFile.paths`) of each of its tables, in the page's order (a page of jobs: only
    `job_status`, and `jobs` is True)."""

    source: str
    records: int
    rejects: list[Reject]
    read: int
    segments: dict[str, int]
    jobs: bool


@dataclass(slots=True)
class HandedFile:
    """What a worker returns for one file: the IPC files it wrote (`paths`, one per
    segment) and the small fields of each page (`pages`, in order); the warnings reading
    it gave (`warnings`, `user_warnings.held_warnings`), and the error that stopped it
    (`error`: then no pages)."""

    paths: list[str] = field(default_factory=list)
    pages: list[PageFields] = field(default_factory=list)
    warnings: list[HeldWarning] = field(default_factory=list)
    error: InputError | None = None


def hand_back(pages: Iterable[NormalizedPage], folder: str, stem: str) -> HandedFile:
    """In a worker: write `pages` (a file's, in order) into `folder` as IPC files named
    `<stem>-<n>.arrow`; returns their paths and the pages' small fields. On any error the
    files written are deleted before it propagates.

    Raises:
        InputError: as `route.file_tables` raises it, for a bad record or file.
        OSError: the folder could not be written.
    """
    handed = HandedFile()
    writers = _Writers(Path(folder), stem, handed.paths)
    try:
        for page in pages:
            handed.pages.append(_write_page(writers, page))
        writers.close()
    except BaseException:
        writers.close()
        remove(handed)
        raise
    return handed


def _write_page(writers: _Writers, page: NormalizedPage) -> PageFields:
    tables = page.tables
    if not isinstance(tables, PageTables):
        segment = writers.write(JOBS, tables)
        return PageFields(page.source, page.records, [], 0, {JOBS: segment}, jobs=True)
    segments = {}
    for name, batch in tables.batches.items():
        rows = pa.array(tables.record_index[name], pa.int64())
        with_rows = batch.append_column(pa.field(RECORD_COLUMN, pa.int64(), False), rows)
        segments[name] = writers.write(name, with_rows)
    fields = (page.source, page.records, tables.rejects, tables.records)
    return PageFields(*fields, segments, jobs=False)


class _Writers:
    """One open IPC file writer per table; a new segment when a table's schema changes."""

    def __init__(self, folder: Path, stem: str, paths: list[str]) -> None:
        self._folder, self._stem, self._paths = folder, stem, paths
        self._open: dict[str, tuple[int, pa.Schema, pa.ipc.RecordBatchFileWriter]] = {}

    def write(self, table: str, batch: pa.RecordBatch) -> int:
        """Append `batch` to `table`'s file; returns its segment."""
        segment, schema, writer = self._open.get(table, (-1, None, None))
        if writer is None or not batch.schema.equals(schema, check_metadata=True):
            if writer is not None:
                writer.close()
            segment = len(self._paths)
            path = self._folder / f"{self._stem}-{segment}.arrow"
            self._paths.append(str(path))
            writer = pa.ipc.new_file(str(path), batch.schema)
            self._open[table] = (segment, batch.schema, writer)
        writer.write_batch(batch)
        return segment

    def close(self) -> None:
        for _segment, _schema, writer in self._open.values():
            writer.close()
        self._open.clear()


def take_back(handed: HandedFile) -> list[NormalizedPage]:
    """In the loading process: the pages a worker handed back, as it had them (tables
    equal, record indexes as int64 NumPy arrays), the files deleted once read.

    Raises:
        OSError, pyarrow.ArrowInvalid: a file is missing or damaged.
    """
    try:
        batches = [_read(path) for path in handed.paths]
    finally:
        remove(handed)
    cursors = [0] * len(batches)
    pages = []
    for fields in handed.pages:
        taken = {}
        for name, segment in fields.segments.items():
            taken[name] = batches[segment][cursors[segment]]
            cursors[segment] += 1
        pages.append(NormalizedPage(fields.source, fields.records, _tables(fields, taken)))
    return pages


def _read(path: str) -> list[pa.RecordBatch]:
    with pa.memory_map(path) if _MAP else pa.OSFile(path) as source:
        reader = pa.ipc.open_file(source)
        return [reader.get_batch(i) for i in range(reader.num_record_batches)]


def _tables(fields: PageFields, taken: dict[str, pa.RecordBatch]) -> PageTables | pa.RecordBatch:
    if fields.jobs:
        return taken[JOBS]
    batches, record_index = {}, {}
    for name, batch in taken.items():
        last = batch.num_columns - 1
        batches[name] = pa.RecordBatch.from_arrays(
            batch.columns[:last], schema=batch.schema.remove(last)
        )
        record_index[name] = batch.column(last).to_numpy()
    return PageTables(batches, record_index, fields.rejects, fields.read)


def remove(handed: HandedFile) -> None:
    """Delete the files of `handed` (those that exist)."""
    for path in handed.paths:
        Path(path).unlink(missing_ok=True)
