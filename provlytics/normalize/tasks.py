"""Files -> normalized page tables, in this process or in worker processes.

Worker processes start by importing this module, so it imports only what reading and
normalizing need: pyarrow, msgspec and orjson, not msal or matplotlib. (pyarrow imports
pandas on its first conversion from Python objects, so the workers' server preloads it.)
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from multiprocessing.context import BaseContext
from typing import Any, NamedTuple

import pyarrow as pa

from provlytics.normalize.batch import OnError, PageTables, normalize_page
from provlytics.normalize.jobs import build_job_batch
from provlytics.sources.files import KIND_JOBS, FileTask, iter_task_pages

IN_FLIGHT_PER_WORKER = 8  # at most, files taken on per worker (results held until their turn)
READ_AHEAD_BYTES = 256 * 2**20  # beyond two files per worker, input held ahead at most


class NormalizedPage(NamedTuple):
    source: str
    records: int
    tables: PageTables | pa.RecordBatch  # a job snapshot page gives a job_status batch


def normalized_pages(
    tasks: list[FileTask], on_error: OnError, workers: int = 1
) -> Iterator[NormalizedPage]:
    """The normalized pages of every file, in file order; `workers` > 1 uses processes."""
    if workers > 1:
        yield from _in_workers(tasks, on_error, workers)
        return
    for task in tasks:
        yield from _pages_of(task, on_error)


def _pages_of(task: FileTask, on_error: OnError) -> Iterator[NormalizedPage]:
    for page in iter_task_pages(task):
        source = page.origin.source
        if page.meta.get("kind") == KIND_JOBS:
            batch = build_job_batch(
                page.records,
                observed_time=page.meta["observed_time"],
                service_principal_id=page.meta.get("service_principal_id"),
                origin=page.origin,
            )
            yield NormalizedPage(source, len(page.records), batch)
        else:
            tables = normalize_page(page, on_error=on_error)
            yield NormalizedPage(source, len(page.records), tables)


def _normalize_file(task: FileTask, on_error: OnError) -> list[NormalizedPage]:
    return list(_pages_of(task, on_error))


def _in_workers(tasks: list[FileTask], on_error: OnError, workers: int) -> Iterator[NormalizedPage]:
    """Normalize files in worker processes, and in this one while they start or are busy.

    Results keep file order; memory stays bounded by the files taken on ahead (`_room`)."""
    queue = deque(tasks)
    pending: deque[tuple[int, Future | list[NormalizedPage]]] = deque()  # (input bytes, result)
    pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=gc.disable)
    with pool, ThreadPoolExecutor(1) as background:
        started = background.submit(_start, pool, workers)  # a first start takes a second
        while queue or pending:
            room = bool(queue) and _room(pending, workers)
            if room and started.done() and _running(pending) < 2 * workers:
                started.result()
                task = queue.popleft()
                pending.append((_size(task), pool.submit(_normalize_file, task, on_error)))
            elif room and not _head_done(pending):
                task = queue.popleft()  # rather than wait, take the next file here
                pending.append((_size(task), _normalize_file(task, on_error)))
            else:
                _, head = pending.popleft()
                yield from head.result() if isinstance(head, Future) else head


def _context() -> BaseContext:
    """forkserver where there is one (POSIX): workers fork from a server that imported this
    module once; else spawn (Windows). Not fork: it is unsafe once threads run."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, "pandas"])
    return context


def _start(pool: ProcessPoolExecutor, workers: int) -> None:
    wait([pool.submit(int) for _ in range(workers)])


def _room(pending: deque[tuple[int, Any]], workers: int) -> bool:
    """Whether to take on another file: up to two per worker always, and up to
    `IN_FLIGHT_PER_WORKER` per worker while they hold under `READ_AHEAD_BYTES` of input."""
    if len(pending) < 2 * workers:
        return True
    held = sum(size for size, _ in pending)
    return len(pending) < IN_FLIGHT_PER_WORKER * workers and held < READ_AHEAD_BYTES


def _running(pending: deque[tuple[int, Any]]) -> int:
    return sum(isinstance(item, Future) and not item.done() for _, item in pending)


def _head_done(pending: deque[tuple[int, Any]]) -> bool:
    if not pending:
        return False
    head = pending[0][1]
    return not isinstance(head, Future) or head.done()


def _size(task: FileTask) -> int:
    return task.path.stat().st_size
