"""How a load runs: files -> normalized pages (`route.file_tables`), in this process or in
worker processes. Workers receive file tasks and hand their normalized pages back as Arrow
IPC files in a private folder of the load (`handback`), not pickled; the folder is deleted
when the load ends, however it ends. The warnings reading a file gave in a worker come back
with it (`user_warnings.held_warnings`) and are said here when its turn comes, as are the
`LoadWarning`s of files read here meanwhile: a load warns as it would without workers.

Worker processes start by importing this module, so it imports only what reading and
normalizing need: pyarrow, msgspec and orjson, not pandas, deltalake, msal or matplotlib.
Where workers fork from a server (POSIX), the server first imports `worker_start`, which
keeps pyarrow from importing pandas on its first conversion from Python objects; workers
spawned afresh (Windows) import pandas that way.

Workers never import the caller's `__main__` (a script without a main guard, `python -`, a
notebook): they need nothing from it. If they cannot start or die, the files left are read in
this process, with a warning.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import multiprocessing.spawn
import os
import pickle
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from multiprocessing.context import BaseContext
from typing import Any, Generic, TypeVar

from provlytics.errors import InputError
from provlytics.normalize.batch import OnError
from provlytics.pipeline.handback import HandedFile, hand_back, take_back
from provlytics.pipeline.route import NormalizedPage, file_tables
from provlytics.sources.archives import hold_open
from provlytics.sources.files import FileTask
from provlytics.user_warnings import HeldWarning, held_warnings, reissue

logger = logging.getLogger(__name__)

R = TypeVar("R")  # what reading a file here gives

MAX_WORKERS = 4
SAMPLE_SECONDS = 0.25  # how long the load watches the machine before starting workers
IN_FLIGHT_PER_WORKER = 8  # at most, files taken on per worker (results held until their turn)
READ_AHEAD_BYTES = 256 * 2**20  # beyond two files per worker, input held ahead at most
WORKER_START = "provlytics.pipeline.worker_start"  # what the workers' server imports first


def normalized_pages(
    tasks: list[FileTask], on_error: OnError, workers: int | None = 0
) -> Iterator[NormalizedPage]:
    """The normalized pages of every file, in file order; `workers` worker processes help
    (0: none; None: one per spare core, `spare_cores`), handing their pages back through a
    private temporary folder (`tempfile.mkdtemp`; none can be made: no workers, a warning)."""
    if workers != 0:
        try:
            folder = tempfile.mkdtemp(prefix="provlytics-load-")
        except OSError as exc:
            logger.warning("no temporary folder for worker processes (%s): reading here", exc)
        else:
            try:
                yield from _in_workers(tasks, on_error, workers, folder)
            finally:  # after the workers stopped: what they wrote and nobody took back
                shutil.rmtree(folder, ignore_errors=True)
            return
    for task in tasks:
        yield from file_tables(task, on_error)


def _normalize_file(task: FileTask, on_error: OnError) -> list[NormalizedPage]:
    return list(file_tables(task, on_error))


@dataclass
class ReadHere:
    """A file read in this process while the workers start or are busy: its `pages`, the
    `LoadWarning`s reading it gave (held until its turn, so that they come in file order,
    as in a load without workers) and the `InputError` that stopped it (after its pages)."""

    pages: list[NormalizedPage]
    warnings: list[HeldWarning]
    error: InputError | None = None


def read_here(task: FileTask, on_error: OnError) -> ReadHere:
    """Read a file in this process, its warnings held (`ReadHere`)."""
    pages: list[NormalizedPage] = []
    with held_warnings(logged=False) as held:
        try:
            pages.extend(file_tables(task, on_error))
        except InputError as error:
            return ReadHere(pages, held, error)
    return ReadHere(pages, held)


Outcome = TypeVar("Outcome")


def held_outcome(
    read: Callable[[], Outcome], failed: Callable[[InputError], Outcome], *, logged: bool = True
) -> Outcome:
    """`read()` of one file, or `failed(error)` for the `InputError` that stopped it, with
    the warnings reading it gave held in the outcome's `warnings` (`held_warnings`; `logged`
    as there), for its turn to say them (`user_warnings.reissue`)."""
    with held_warnings(logged=logged) as held:
        try:
            outcome = read()
        except InputError as error:
            outcome = failed(error)
    outcome.warnings = held  # type: ignore[attr-defined]
    return outcome


def _normalize_in_worker(
    task: FileTask, index: int, *, on_error: OnError, folder: str
) -> HandedFile:
    """In a worker: the file's pages, written into the load's `folder` (`handback`), with
    the warnings reading it gave and the `InputError` that stopped it, if one did. The
    archives it reads members of stay open in this worker, which ends with the load."""
    hold_open()
    return held_outcome(
        lambda: hand_back(file_tables(task, on_error), folder, f"{index:06d}"),
        lambda error: HandedFile(error=error),
    )


def _taken_back(handed: HandedFile | ReadHere) -> Iterator[NormalizedPage]:
    """The pages of a file read by a worker or here, once the warnings reading it gave are
    said, as a load without workers says them.

    Raises:
        InputError: what stopped reading the file (after the pages read before).
    """
    if isinstance(handed, ReadHere):
        pages = handed.pages
    else:
        pages = take_back(handed) if handed.error is None else []
    reissue(handed.warnings)
    yield from pages
    if handed.error is not None:
        raise handed.error


def _in_workers(
    tasks: list[FileTask], on_error: OnError, workers: int | None, folder: str
) -> Iterator[NormalizedPage]:
    """Normalize files in worker processes, and in this one while they start or are busy
    (`Dispatch`); pages in file order. A pool that breaks (workers that cannot start, or
    die) leaves its files to this process. Workers hand their pages back through `folder`,
    private to the load (`handback`), deleted when the load ends: done, failed, interrupted
    or closed early."""
    submit = partial(_normalize_in_worker, on_error=on_error, folder=folder)
    started = PoolStart(workers)
    dispatch = Dispatch(tasks, started, submit, lambda _i, task: read_here(task, on_error))
    try:
        for _index, task, head in dispatch:
            if not isinstance(head, Future):
                yield from _taken_back(head)
                continue
            try:
                pages = list(_taken_back(head.result()))
            except _POOL_FAILURES as exc:
                dispatch.broken = dispatch.broken or _broken(exc)
                pages = _normalize_file(task, on_error)
            yield from pages
    finally:
        started.close(used=dispatch.pool is not None)


class Dispatch(Generic[R]):
    """Files handed out in file order: to the worker processes once they run, else read in
    this process (`here(index, task)`) while they start or are busy, or for good once the
    pool is `broken` (set by the consumer too, when a worker's result fails).

    Iterating yields `(index, task, head)` in file order: `head` is a worker's `Future`
    (of `submit(task, index)`) or the result read here. Memory stays bounded by the files
    taken on ahead (`_room`). `failed(exc)` (default: log a warning), called when the pool
    cannot take a file, returns whether the pool is broken. `pool` is the pool once
    started, `width` its workers."""

    def __init__(
        self,
        tasks: list[FileTask],
        started: PoolStart,
        submit: Callable[[FileTask, int], Any],
        here: Callable[[int, FileTask], R],
        failed: Callable[[BaseException], bool] | None = None,
    ) -> None:
        self.pool: ProcessPoolExecutor | None = None
        self.width = 1
        self.broken = False
        self._tasks, self._started, self._submit = tasks, started, submit
        self._here, self._failed = here, failed or _broken

    def __iter__(self) -> Iterator[tuple[int, FileTask, Future | R]]:
        queue = deque(enumerate(self._tasks))
        pending: deque[tuple[int, Future | R, int, FileTask]] = deque()  # bytes, head, ...
        while queue or pending:
            room = bool(queue) and _room(pending, self.width)
            if (
                room
                and not self.broken
                and self._started.done()
                and _running(pending) < 2 * self.width
            ):
                index, task = queue.popleft()
                pending.append((_size(task), self._to_worker(index, task), index, task))
            elif room and not _head_done(pending):
                index, task = queue.popleft()  # rather than wait, take the next file here
                pending.append((_size(task), self._here(index, task), index, task))
            else:
                _bytes, head, index, task = pending.popleft()
                yield index, task, head

    def _to_worker(self, index: int, task: FileTask) -> Future | R:
        """The file handed to a worker, or read here if the pool has none to give."""
        try:
            self.pool = self._started.result()
            if self.pool is None:  # no spare core: stay out
                self.broken = True
                return self._here(index, task)
            self.width = self.pool._max_workers  # type: ignore[attr-defined]
            with _workers_without_main():
                return self.pool.submit(self._submit, task, index)
        except _POOL_FAILURES as exc:
            self.broken = self._failed(exc)
        return self._here(index, task)


Initializer = Callable[[int, BaseContext], Callable[[], None]]


class PoolStart:
    """Worker processes started in a background thread (`start_pool`) while this process
    reads; `result()` is the pool (None: none started), once `done()`.

    Args:
        workers: processes to start (None: one per spare core).
        initializer: as for `start_pool`.
    """

    def __init__(self, workers: int | None, initializer: Initializer | None = None) -> None:
        self._over = threading.Event()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="provlytics-workers")
        start = partial(start_pool, over=self._over, cwd=_cwd())
        self._future = self._thread.submit(start, workers, initializer)

    def done(self) -> bool:
        """Whether the start is over (the pool runs, or none will)."""
        return self._future.done()

    def result(self) -> ProcessPoolExecutor | None:
        """The pool, waiting for its start; raises what the start raised."""
        return self._future.result()

    def close(self, *, used: bool) -> None:
        """Stop the workers. If they were `used`, wait for them to end (so that nothing of
        theirs runs on); else let them end on their own, without waiting for their start
        (a load that ended first starts none)."""
        self._over.set()
        if used:
            stop_pool(self._future)
        else:
            self._future.add_done_callback(partial(stop_pool, wait=False))
        self._thread.shutdown(wait=False)


def start_pool(
    workers: int | None,
    initializer: Initializer | None = None,
    over: threading.Event | None = None,
    cwd: str | None = None,
) -> ProcessPoolExecutor | None:
    """Start `workers` worker processes (None: one per spare core, `spare_cores`) and wait
    until every one runs; None when there are none to start, or the load is `over` before
    they would start. `initializer(count, context)` gives the function each worker runs
    first (default: `gc.disable`). Workers start in the folder `cwd` (default: this
    process' current one as they start: a start in the background passes the load's, which
    the caller may leave, or delete, meanwhile).

    Raises:
        BrokenExecutor, OSError: the workers could not start (the pool is shut down).
    """
    count = min(spare_cores(), MAX_WORKERS) if workers is None else workers
    if over is not None and over.is_set():
        return None
    if count < 1:
        logger.info("no core to spare for worker processes: reading in this process")
        return None
    context = _context()
    init = gc.disable if initializer is None else initializer(count, context)
    pool = ProcessPoolExecutor(count, mp_context=context, initializer=init)
    try:
        _start(pool, count, cwd)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    return pool


def stop_pool(started: Future, *, wait: bool = True) -> None:
    """Shut down the pool `started` (a `start_pool` future) gave, if it gave one: wait for
    its start, cancel what it has not begun, and wait for the rest if `wait`."""
    try:
        pool = started.result()
    except _POOL_FAILURES:
        return
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)


def spare_cores(window: float = SAMPLE_SECONDS) -> int:
    """Cores that other programs leave idle beyond the one this process uses, measured over
    `window` seconds from the machine's CPU times (`/proc/stat`, less this process's own
    CPU time); where there is no `/proc/stat`, every usable core but one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        busy, own, start = _busy_seconds(), time.process_time(), time.monotonic()
        time.sleep(window)
        busy, own = _busy_seconds() - busy, time.process_time() - own
    except (OSError, ValueError, IndexError):
        return max(0, (cores or 1) - 1)
    others = max(0.0, busy - own) / (time.monotonic() - start)  # cores busy with others
    spare = int((cores or 1) - 1 - others + 0.25)  # a quarter of a core busy still counts free
    logger.info("%.1f of %d cores busy with other programs: %d to spare", others, cores, spare)
    return max(0, spare)


def _busy_seconds() -> float:
    """Seconds of CPU all cores spent busy since boot (user, nice, system, irq, softirq,
    steal: the `cpu` line of /proc/stat, in clock ticks)."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


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
def _workers_without_main(cwd: str | None = None) -> Iterator[None]:
    """While active in this thread, processes started get no `__main__` to re-import, and
    start in the folder `cwd` if given (else in this process' current folder).

    `multiprocessing` re-runs the caller's main script in every spawned or forkserver worker
    (`spawn.get_preparation_data`); without a main guard that script loads again, and from
    standard input there is no file to run. The workers need nothing from it."""
    _install_preparation_filter()
    _local.active = getattr(_local, "active", 0) + 1
    before, _local.cwd = getattr(_local, "cwd", None), cwd
    try:
        yield
    finally:
        _local.active -= 1
        _local.cwd = before


def _cwd() -> str | None:
    """This process' current folder; None if it was deleted."""
    try:
        return os.getcwd()
    except FileNotFoundError:
        return None


def _install_preparation_filter() -> None:
    original = multiprocessing.spawn.get_preparation_data
    if getattr(original, "_provlytics", False):
        return

    def get_preparation_data(name: str) -> dict[str, Any]:
        data = original(name)
        if getattr(_local, "active", 0):
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
            if getattr(_local, "cwd", None) is not None:
                data["dir"] = _local.cwd
        return data

    get_preparation_data._provlytics = True  # type: ignore[attr-defined]
    multiprocessing.spawn.get_preparation_data = get_preparation_data


def _context() -> BaseContext:
    """forkserver where there is one (POSIX): workers fork from a server that imported
    `WORKER_START`, then this module and `store_workers`, once; else spawn (Windows). Not
    fork: it is unsafe once threads run."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([WORKER_START, __name__, "provlytics.pipeline.store_workers"])
    return context


def _start(pool: ProcessPoolExecutor, workers: int, cwd: str | None) -> None:
    with _workers_without_main(cwd):
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
