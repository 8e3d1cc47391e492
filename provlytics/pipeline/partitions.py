"""Files in partitions -> one set of Arrow tables per partition, for a cluster to map over.

No cluster and no store here (another engine can call the same functions). `partition_tasks`
cuts the file list into partitions, in file order, by file count and input size;
`normalize_partition` runs on a cluster worker and returns what its files became, merged per
table, so that a driver adds or writes one page per partition and gets exactly the tables of
`pv.load` on the same files (same de-duplication: the last copy of an event wins, with its own
children; same order).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from provlytics.normalize.batch import OnError, PageTables, Reject
from provlytics.pipeline.route import NormalizedPage, file_tables
from provlytics.progress import paused_gc
from provlytics.schema import LOG_TABLES, SCHEMAS
from provlytics.sources.archives import reading_pass
from provlytics.sources.files import FileTask
from provlytics.user_warnings import HeldWarning, held_warnings, reissue

logger = logging.getLogger(__name__)

FILES_PER_PARTITION = 16
BYTES_PER_PARTITION = 16 * 2**20  # input bytes as stored; a larger file is a partition alone


@dataclass
class PartitionTables:
    """What the files of one partition became, in file order.

    `logs` is one page of the four log tables (`events`, `steps`, `modified_properties`,
    `errors`: a record batch each, with `record_index` numbering the partition's records
    across its pages), None if no file held logs; `jobs` the `job_status` rows, None if no
    file held job snapshots; `sources` the files (or archive members) read, each once, in
    the order `pv.load` lists them; `records` the records read; `warnings` those reading
    the files gave, for the driver to say (`said`).
    """

    sources: list[str] = field(default_factory=list)
    logs: PageTables | None = None
    jobs: pa.RecordBatch | None = None
    records: int = 0
    warnings: list[HeldWarning] = field(default_factory=list)

    def said(self) -> PartitionTables:
        """In the driver: say the partition's warnings as `pv.load` says them; returns the
        partition."""
        reissue(self.warnings)
        return self

    @property
    def rejects(self) -> list[Reject]:
        """Records (and, in collect mode, unreadable files) set aside, in file order."""
        return self.logs.rejects if self.logs is not None else []


def partition_tasks(
    tasks: Sequence[FileTask],
    *,
    files: int = FILES_PER_PARTITION,
    size: int = BYTES_PER_PARTITION,
) -> list[list[FileTask]]:
    """Consecutive runs of `tasks`: at most `files` files and, unless a file alone is
    larger, at most `size` bytes of input each (`InputFile.size`: compressed size of a zip
    member; portal CSV companions count with their main file)."""
    partitions: list[list[FileTask]] = []
    current: list[FileTask] = []
    held = 0
    for task in tasks:
        task_size = _size(task)
        if current and (len(current) >= files or held + task_size > size):
            partitions.append(current)
            current, held = [], 0
        current.append(task)
        held += task_size
    if current:
        partitions.append(current)
    return partitions


def normalize_partition(tasks: Sequence[FileTask], on_error: OnError) -> PartitionTables:
    """Read and normalize the files of one partition (on a cluster worker), the warnings
    reading them gave held in the result (in a worker process, its log records too: its
    log goes nowhere).

    Raises:
        InputError: in "raise" mode, the first bad record or unreadable file, naming it (as
            `pv.load` raises it); in "collect" mode these are rejects instead.
    """
    with held_warnings(logged=multiprocessing.parent_process() is not None) as held:
        tables = _partition_tables(tasks, on_error)
    tables.warnings = held
    return tables


def _partition_tables(tasks: Sequence[FileTask], on_error: OnError) -> PartitionTables:
    sources: dict[str, None] = {}
    logs: list[PageTables] = []
    jobs: list[pa.RecordBatch] = []
    # as in `pv.load`: parsed JSON holds no cycles to collect; each archive opened once
    with paused_gc(), reading_pass():
        for source, _records, tables in _normalize_files(tasks, on_error):
            sources[source] = None
            if isinstance(tables, PageTables):
                logs.append(tables)
            else:
                jobs.append(tables)
    merged = merge_pages(logs) if logs else None
    job_rows = _one_batch(jobs, SCHEMAS["job_status"]) if jobs else None
    records = merged.records if merged is not None else 0
    return PartitionTables(list(sources), merged, job_rows, records)


def _normalize_files(tasks: Iterable[FileTask], on_error: OnError) -> Iterator[NormalizedPage]:
    """The normalized pages of the files, in file order: the one call into the file route."""
    for task in tasks:
        yield from file_tables(task, on_error)


def merge_pages(pages: Sequence[PageTables]) -> PageTables:
    """Pages as one: batches concatenated per table, record numbers shifted past the records
    of the pages before, so that each row keeps its record (and its event) apart from the
    rows of any other page."""
    batches: dict[str, pa.RecordBatch] = {}
    index: dict[str, np.ndarray] = {}
    offsets = np.cumsum([0] + [_span(page) for page in pages[:-1]], dtype=np.int64)
    for name in LOG_TABLES:
        batches[name] = _one_batch([page.batches[name] for page in pages], SCHEMAS[name])
        shifted = [
            np.asarray(page.record_index[name], np.int64) + offset
            for page, offset in zip(pages, offsets, strict=True)
        ]
        index[name] = np.concatenate(shifted)
    rejects = [reject for page in pages for reject in page.rejects]
    return PageTables(batches, index, rejects, sum(page.records for page in pages))


def _span(page: PageTables) -> int:
    """Record numbers a page uses: its records, or past its highest record index."""
    indexes = [rows for rows in page.record_index.values() if len(rows)]
    highest = max((int(np.max(rows)) for rows in indexes), default=-1)
    return max(page.records, highest + 1)


def _one_batch(batches: Sequence[pa.RecordBatch], schema: pa.Schema) -> pa.RecordBatch:
    """The batches as one record batch (one copy of each column)."""
    table = pa.Table.from_batches(batches, schema=schema).combine_chunks()
    if not table.num_rows:
        return pa.RecordBatch.from_pylist([], schema=schema)
    return table.to_batches()[0]


def _size(task: FileTask) -> int:
    companions = sum(c.size for c in task.companions if c is not None)
    return task.file.size + companions
