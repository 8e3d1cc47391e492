"""How a load into a store runs: files -> normalized pages -> Parquet files in the store's
table folders, in this process or in worker processes that write their own files.

A worker normalizes the files it is given and writes their pages straight into the table
folders (`store.pages.LoadPages`: the same names, row groups and date partitions as this
process's files), keeping its files open from one file to the next; for each file it sends
back only what the manifest needs (`FileDone`: sources, counts, rejects and the few
job-status rows). When every file is read, each worker closes its files and sends their
paths, Parquet footers, page keys and id hashes (`store.pages.Written`); the store writer
commits them with this process's own in one transaction. No table data crosses between
processes. Pages are keyed by (file, page) (`store.pages.page_key`), so the later copy of
a repeated event wins exactly as in a one-process load, whichever process wrote it.

This process takes files itself while the workers start or are busy. If the workers cannot
start or die, their files are deleted, the files they had read are read again here, and the
load goes on in this process, with a warning.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from provlytics.errors import InputError
from provlytics.normalize.batch import OnError, PageTables, Reject
from provlytics.pipeline.route import file_tables
from provlytics.pipeline.workers import (
    _POOL_FAILURES,
    Dispatch,
    PoolStart,
    _broken,
    _workers_without_main,
    held_outcome,
)
from provlytics.sources.archives import hold_open, let_go
from provlytics.sources.files import FileTask
from provlytics.store.pages import LoadPages, Written, page_key
from provlytics.user_warnings import HeldWarning, held_warnings, reissue

if TYPE_CHECKING:  # not imported by worker processes: it brings the store's reading side
    from provlytics.store.write import StoreWriter

logger = logging.getLogger(__name__)

FINISH_TIMEOUT = 600.0  # seconds a worker waits for the others to close their files


@dataclass
class FileDone:
    """What reading one file into the store gave: the `sources` of its pages (in order, each
    once), its log `records` read, the `events` rows written (before de-duplication) and
    `rejects`, and its pages of jobs (`job_status` batches, in order; few rows). A worker
    adds the warnings reading it gave (`warnings`, said again in the loading process) and
    the `InputError` that stopped it (`error`)."""

    sources: list[str] = field(default_factory=list)
    records: int = 0
    events: int = 0
    rejects: list[Reject] = field(default_factory=list)
    jobs: list[pa.RecordBatch] = field(default_factory=list)
    warnings: list[HeldWarning] = field(default_factory=list)
    error: InputError | None = None


Write = Callable[[PageTables, int], None]  # (page, page key)


def write_file(task: FileTask, on_error: OnError, index: int, write: Write) -> FileDone:
    """Normalize the file `task` (the load's file number `index`) and `write` each page of
    log records under its page key; returns what the manifest needs of it.

    Raises:
        InputError: a bad record or unreadable file (on_error="raise"), naming it.
        OSError: the store could not be written.
    """
    done = FileDone()
    for number, page in enumerate(file_tables(task, on_error)):
        if page.source not in done.sources:
            done.sources.append(page.source)
        if isinstance(page.tables, PageTables):
            write(page.tables, page_key(index, number))
            done.records += page.tables.records
            done.events += page.tables.batches["events"].num_rows
            done.rejects += page.tables.rejects
        else:
            done.jobs.append(page.tables)
    return done


def files_into_store(
    tasks: list[FileTask], on_error: OnError, writer: StoreWriter, workers: int | None = 0
) -> Iterator[FileDone]:
    """Write every file into `writer`'s load; what each gave, in file order. With
    `workers` worker processes (None: one per spare core, `pipeline.workers.spare_cores`;
    0: none), they write files too; their files are handed to `writer`
    (`adopt`) before the last result is yielded. Close the iterator before aborting the
    writer (the workers are stopped when it closes)."""

    def here(index: int, task: FileTask) -> FileDone:
        return write_file(task, on_error, index, lambda page, key: writer.write_page(page, key=key))

    if workers != 0:
        yield from _in_workers(tasks, on_error, writer, workers, here)
        return
    for index, task in enumerate(tasks):
        yield here(index, task)


Here = Callable[[int, FileTask], FileDone]


def _in_workers(
    tasks: list[FileTask], on_error: OnError, writer: StoreWriter, workers: int | None, here: Here
) -> Iterator[FileDone]:
    """Files written by worker processes, and by this one while they start or are busy
    (`pipeline.workers.Dispatch`); results in file order."""
    sent: list[tuple[int, FileTask]] = []  # read by workers, their results given out
    submit = partial(_write_in_worker, on_error=on_error, root=str(writer.root), load=writer.load)
    started = PoolStart(workers, _initializer)  # a first start takes a second

    def give_up(exc: BaseException) -> bool:
        return _give_up(exc, dispatch.pool, writer, sent, here)

    dispatch = Dispatch(tasks, started, submit, partial(_held_here, here), give_up)
    try:
        for index, task, head in dispatch:
            if isinstance(head, Future):
                head, failure = _outcome(head, dispatch.broken)
                if failure is not None:
                    dispatch.broken = dispatch.broken or give_up(failure)
                if head is None:
                    head = here(index, task)
                else:
                    sent.append((index, task))
            _said_here(head)
            yield head
        logger.info("%d of %d files read by worker processes", len(sent), len(tasks))
        if sent and not dispatch.broken and dispatch.pool is not None:
            try:
                for written in _finish(dispatch.pool, dispatch.width, writer.load):
                    writer.adopt(written)
            except _POOL_FAILURES as exc:
                give_up(exc)
    finally:
        started.close(used=dispatch.pool is not None)


def _held_here(here: Here, index: int, task: FileTask) -> FileDone:
    """`here(index, task)` while the workers start or are busy, its `LoadWarning`s held
    until the file's turn (file order, as without workers), with the error that stopped it."""
    return held_outcome(
        lambda: here(index, task), lambda error: FileDone(error=error), logged=False
    )


def _said_here(done: FileDone) -> None:
    """Say here the warnings reading a file gave (in a worker or held here), and raise the
    error that stopped it."""
    reissue(done.warnings)
    if done.error is not None:
        raise done.error


def _outcome(future: Future, broken: bool) -> tuple[FileDone | None, BaseException | None]:
    """A worker's result, or None when it must be read here (the pool failed: `broken`
    already, or this future's failure, returned second)."""
    if broken:
        return None, None
    try:
        return future.result(), None
    except _POOL_FAILURES as exc:
        return None, exc


def _give_up(
    exc: BaseException,
    pool: ProcessPoolExecutor | None,
    writer: StoreWriter,
    sent: list[tuple[int, FileTask]],
    here: Here,
) -> bool:
    """Stop the workers, delete their files and write here again the files they had read
    (their results, already given out, are the same); returns True (the pool is broken)."""
    _broken(exc)
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
    writer.remove_workers_files()
    with held_warnings(logged=False):  # said once already, as their results were given out
        for index, task in sent:
            here(index, task)
    sent.clear()
    return True


def _finish(pool: ProcessPoolExecutor, workers: int, load: str) -> list[Written]:
    """Have every worker close its files (one `_finish_in_worker` each: they wait for one
    another at the barrier, so none takes two) and return what they wrote."""
    with _workers_without_main():
        futures = [pool.submit(_finish_in_worker, load) for _ in range(workers)]
    return [written for future in futures if (written := future.result()) is not None]


# In a worker process:
_barrier: Any = None  # the pool's `Barrier`, one party per worker
_loads: dict[str, LoadPages] = {}  # the files this worker writes, by load id


def _initializer(count: int, context: BaseContext) -> Callable[[], None]:
    """What each of `count` workers runs first: `_init_worker` with the pool's barrier."""
    return partial(_init_worker, context.Barrier(count))


def _init_worker(barrier: Any) -> None:
    global _barrier
    gc.disable()  # pages are trees of small objects; collecting them costs, frees nothing
    _barrier = barrier


def _write_in_worker(
    task: FileTask, index: int, *, on_error: OnError, root: str, load: str
) -> FileDone:
    hold_open()  # the archives it reads members of, until `_finish_in_worker`
    pages = _loads.get(load)
    if pages is None:
        pages = _loads[load] = LoadPages(Path(root), load)
    return held_outcome(
        lambda: write_file(task, on_error, index, pages.write),
        lambda error: FileDone(error=error),
    )


def _finish_in_worker(load: str) -> Written | None:
    let_go()
    pages = _loads.pop(load, None)
    written = pages.close() if pages is not None else None
    _barrier.wait(FINISH_TIMEOUT)
    return written
