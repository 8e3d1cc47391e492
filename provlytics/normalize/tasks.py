"""Files -> normalized page tables, in this process or in worker processes.

Worker processes start by importing this module, so it imports only what reading and
normalizing need: pyarrow, msgspec and orjson, not msal or matplotlib. (pyarrow imports
pandas on its first conversion from Python objects, so the workers' server preloads it.)

Workers never import the caller's `__main__` (a script without a main guard, `python -`, a
notebook): they need nothing from it. If they cannot start or die, the files left are read in
this process, with a warning.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import multiprocessing
import multiprocessing.spawn
import pickle
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing.context import BaseContext
from typing import Any, NamedTuple

import orjson
import pyarrow as pa

from provlytics.errors import InputError
from provlytics.normalize.batch import OnError, PageTables, Reject, normalize_page
from provlytics.normalize.jobs import build_job_batch
from provlytics.origin import Origin, Page, UnparsedRecord
from provlytics.sources.files import KIND_JOBS, MAX_DEPTH, FileTask, iter_task_pages, too_deep

logger = logging.getLogger(__name__)

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
    """A file's pages; in collect mode a file that cannot be read (or read on) becomes a
    reject naming it, after the pages read before the failure."""
    try:
        try:
            yield from _read_pages(task, on_error)
        except MemoryError:
            raise InputError(task.file.name, "too large to normalize in memory") from None
    except InputError as error:
        if on_error == "raise":
            raise
        empty = normalize_page(Page([], Origin(task.file.name)))
        reject = Reject(str(error.origin or task.file.name), error.field, error.reason, "")
        empty.rejects.append(reject)
        yield NormalizedPage(task.file.name, 0, empty)


def _read_pages(task: FileTask, on_error: OnError) -> Iterator[NormalizedPage]:
    for page in iter_task_pages(task):
        source = page.origin.source
        if page.meta.get("kind") == KIND_JOBS:
            batch = build_job_batch(
                page.records,
                observed_time=page.meta["observed_time"],
                service_principal_id=page.meta.get("service_principal_id"),
                origin=page.origin,
                from_status=True,  # a saved list: the file's time is only a fallback
            )
            yield NormalizedPage(source, len(page.records), batch)
        else:
            tables = _normalized(page, on_error)
            yield NormalizedPage(source, len(page.records), tables)


def _normalized(page: Page, on_error: OnError) -> PageTables:
    """`normalize_page`, where a record too deep to be written as JSON (a JSON-text column
    holding one, say) is an `InputError` naming its field, or a reject: not a TypeError."""
    try:
        return normalize_page(page, on_error=on_error)
    except (TypeError, RecursionError):  # orjson's "Recursion limit reached", Python's own
        records = [_writable(record, page.dialect) for record in page.records]
        return normalize_page(dataclasses.replace(page, records=records), on_error=on_error)


def _writable(record: object, hint: str | None) -> object:
    """The record, or an `UnparsedRecord` if normalizing it alone fails on its depth."""
    try:
        normalize_page(Page([record], Origin(""), dialect=hint))
        return record
    except InputError:
        return record  # the whole page reports it, with its place
    except (TypeError, RecursionError) as exc:
        field = _deep_field(record)
        reason = (
            f"field {field!r} is nested deeper than {MAX_DEPTH} levels"
            if field
            else f"cannot be normalized ({type(exc).__name__}: {exc})"
        )
        return UnparsedRecord(f"<record: {reason}>", reason)


def _deep_field(record: object) -> str | None:
    """The top-level field (a JSON-text column too) that holds the too-deep value."""
    if not isinstance(record, dict):
        return None
    for key, value in record.items():
        if isinstance(value, str) and value[:1] in ("{", "["):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                continue
        path = too_deep(value)
        if path is not None:
            return f"{key}.{path}" if path else str(key)
    return None


def _normalize_file(task: FileTask, on_error: OnError) -> list[NormalizedPage]:
    return list(_pages_of(task, on_error))


def _in_workers(tasks: list[FileTask], on_error: OnError, workers: int) -> Iterator[NormalizedPage]:
    """Normalize files in worker processes, and in this one while they start or are busy.

    Results keep file order; memory stays bounded by the files taken on ahead (`_room`).
    A pool that breaks (workers that cannot start, or die) leaves its files to this process."""
    queue = deque(tasks)
    pending: deque[tuple[int, Future | list[NormalizedPage], FileTask]] = deque()  # bytes, ...
    pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=gc.disable)
    broken = False
    with pool, ThreadPoolExecutor(1) as background:
        started = background.submit(_start, pool, workers)  # a first start takes a second
        while queue or pending:
            room = bool(queue) and _room(pending, workers)
            if room and not broken and started.done() and _running(pending) < 2 * workers:
                task = queue.popleft()
                try:
                    started.result()
                    with _workers_without_main():
                        future = pool.submit(_normalize_file, task, on_error)
                except _POOL_FAILURES as exc:
                    broken = _broken(exc)
                    pending.append((_size(task), _normalize_file(task, on_error), task))
                    continue
                pending.append((_size(task), future, task))
            elif room and not _head_done(pending):
                task = queue.popleft()  # rather than wait, take the next file here
                pending.append((_size(task), _normalize_file(task, on_error), task))
            else:
                _, head, task = pending.popleft()
                if not isinstance(head, Future):
                    yield from head
                    continue
                try:
                    pages = head.result()
                except _POOL_FAILURES as exc:
                    broken = broken or _broken(exc)
                    pages = _normalize_file(task, on_error)
                yield from pages


_POOL_FAILURES = (BrokenExecutor, OSError, RuntimeError, pickle.PicklingError)
_local = threading.local()


def _broken(exc: BaseException) -> bool:
    logger.warning(
        "worker processes failed (%s: %s); reading the remaining files in this process",
        type(exc).__name__,
        exc,
    )
    return True


@contextmanager
def _workers_without_main() -> Iterator[None]:
    """While active in this thread, processes started get no `__main__` to re-import.

    `multiprocessing` re-runs the caller's main script in every spawned or forkserver worker
    (`spawn.get_preparation_data`); without a main guard that script loads again, and from
    standard input there is no file to run. The workers need nothing from it."""
    _install_preparation_filter()
    _local.active = getattr(_local, "active", 0) + 1
    try:
        yield
    finally:
        _local.active -= 1


def _install_preparation_filter() -> None:
    original = multiprocessing.spawn.get_preparation_data
    if getattr(original, "_provlytics", False):
        return

    def get_preparation_data(name: str) -> dict[str, Any]:
        data = original(name)
        if getattr(_local, "active", 0):
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
        return data

    get_preparation_data._provlytics = True  # type: ignore[attr-defined]
    multiprocessing.spawn.get_preparation_data = get_preparation_data


def _context() -> BaseContext:
    """forkserver where there is one (POSIX): workers fork from a server that imported this
    module once; else spawn (Windows). Not fork: it is unsafe once threads run."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, "pandas"])
    return context


def _start(pool: ProcessPoolExecutor, workers: int) -> None:
    with _workers_without_main():
        futures = [pool.submit(int) for _ in range(workers)]
    wait(futures)
    for future in futures:
        future.result()  # raises if the workers could not start
    logger.info("%d worker processes started", workers)


def _room(pending: deque[tuple[Any, ...]], workers: int) -> bool:
    """Whether to take on another file: up to two per worker always, and up to
    `IN_FLIGHT_PER_WORKER` per worker while they hold under `READ_AHEAD_BYTES` of input."""
    if len(pending) < 2 * workers:
        return True
    held = sum(entry[0] for entry in pending)
    return len(pending) < IN_FLIGHT_PER_WORKER * workers and held < READ_AHEAD_BYTES


def _running(pending: deque[tuple[Any, ...]]) -> int:
    return sum(isinstance(e[1], Future) and not e[1].done() for e in pending)


def _head_done(pending: deque[tuple[Any, ...]]) -> bool:
    if not pending:
        return False
    head = pending[0][1]
    return not isinstance(head, Future) or head.done()


def _size(task: FileTask) -> int:
    return task.file.size
