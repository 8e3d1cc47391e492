"""Stand-ins for the pools a load starts, shared by the worker tests: a start that runs at
once, and a pool that kills one of its workers mid-load."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any


class StartedAtOnce:
    """An executor that runs the workers' start before the load goes on, so that workers
    take files from the first one (else this process reads small inputs alone). Patched in
    for `provlytics.pipeline.workers.ThreadPoolExecutor`."""

    def __init__(self, _threads: int, **_options: object) -> None:
        pass

    def submit(self, function: Callable[..., Any], *args: Any) -> Future:
        future: Future = Future()
        future.set_result(function(*args))
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
