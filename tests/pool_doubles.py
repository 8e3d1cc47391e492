"""For the worker tests: stand-ins for the pools a load starts (a start that runs at once, a
pool that kills one of its workers mid-load) and the pages they load."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import payloads as p
from test_store_writes import record


class StartedAtOnce:
    """An executor that runs the workers' start before the load goes on, so that workers
    take files from the first one (else this process reads small inputs alone). Patched in
    for `provlytics.pipeline.workers.ThreadPoolExecutor`."""

    def __init__(self, _threads: int, **_options: object) -> None:
        pass

    def submit(self, function: Callable[..., Any], *args: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(function(*args))
        except Exception as exc:  # as a thread's future holds it: a start that failed
            future.set_exception(exc)
        return future

    def shutdown(self, *, wait: bool) -> None:
        pass


class KillingPool(ProcessPoolExecutor):
    """Kills one of its worker processes (SIGKILL) as the fourth file is handed out, once
    the files handed out before it are done. `is_file(function)` tells a file's job from
    the pool's own calls (its start, a finish)."""

    @staticmethod
    def is_file(function: Callable[..., Any]) -> bool:
        return True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._files = 0

    def submit(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if self.is_file(function):
            self._files += 1
            if self._files == 4:
                for future in list(self._pending_work_items.values()):
                    future.future.exception(timeout=60)
                os.kill(next(iter(self._processes)), signal.SIGKILL)
        return super().submit(function, *args, **kwargs)


def write_worker_inputs(folder: Path, files: int, jobs: list[dict]) -> Path:
    """`files` Graph pages of 40 records over three days in `folder`, every id of a page
    again, changed, four pages later (a later file wins), one record without its id (page 5:
    a reject in collect mode, an error else), and a job list after page 6 and page 9 for
    each of `jobs` (at most two)."""
    for number in range(files):
        make = p.v1_success_aws if number % 2 else p.v1_failure_contoso
        records = [
            record(n, day=15 + n % 3, make=make, steps=1 + number % 3)
            for n in range(40 * (number % 4), 40 * (number % 4) + 40)
        ]
        if number == 5:
            del records[7]["id"]
        p.write_json(folder / f"page-{number:02d}.json", p.graph_page(*records))
    for after, job in zip(("06b", "09b"), jobs, strict=False):
        p.write_json(folder / f"page-{after}.json", p.job_list(job))
    return folder
