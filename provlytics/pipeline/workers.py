"""How a load runs: files -> normalized pages (`route.file_tables`), in this process or in
worker processes. Workers receive file tasks and return their normalized pages.

Worker processes start by importing this module, so it imports only what reading and
normalizing need: pyarrow, msgspec and orjson, not msal or matplotlib. (pyarrow imports
pandas on its first conversion from Python objects, so the workers' server preloads it.)

Workers never import the caller's `__main__` (a script without a main guard, `python -`, a
notebook): they need nothing from it. If they cannot start or die, the files left are read in
this process, with a warning.
"""

from __future__ import annotations

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
from typing import Any

from provlytics.normalize.batch import OnError
from provlytics.pipeline.route import NormalizedPage, file_tables
from provlytics.sources.files import FileTask

logger = logging.getLogger(__name__)

IN_FLIGHT_PER_WORKER = 8  # at most, files taken on per worker (results held until their turn)
READ_AHEAD_BYTES = 256 * 2**20  # beyond two files per worker, input held ahead at most


def normalized_pages(
    tasks: list[FileTask], on_error: OnError, workers: int = 1
) -> Iterator[NormalizedPage]:
    """The normalized pages of every file, in file order; `workers` > 1 uses processes."""
    if workers > 1:
        yield from _in_workers(tasks, on_error, workers)
        return
    for task in tasks:
        yield from file_tables(task, on_error)


def _normalize_file(task: FileTask, on_error: OnError) -> list[NormalizedPage]:
    return list(file_tables(task, on_error))


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
