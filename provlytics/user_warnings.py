"""The warnings a user must see wherever the library runs: in a script or notebook, where the
library's log is silent until configured, as a `LoadWarning` (a `UserWarning`) at the user's
line; and in its log, as before. The command line shows the log and ignores the
`LoadWarning`s (`provlytics.cli.main`), so each is said once there.

A worker process of a load has no user to show them to, and its log goes nowhere: there
the pipeline holds them (`held_warnings`: the `LoadWarning`s, and the warnings the
library logs) and hands them to the loading process, which issues them as this process
would have (`reissue`), so a load warns the same with or without workers.

Imports nothing of provlytics but its errors; any layer may use it.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

from provlytics.errors import LoadWarning

# modules whose frames a warning's stacklevel passes over (`caller_level`)
_NOT_THE_USER = ("provlytics.", "traitlets.", "ipywidgets.")


class HeldWarning(NamedTuple):
    """A warning held back (`held_warnings`): the logger's name, the message, its level,
    and whether it is a `LoadWarning` too (`warn_load`) or only logged."""

    logger: str
    message: str
    level: int = logging.WARNING
    load: bool = True


_local = threading.local()  # .held: the list `held_warnings` fills in this thread, if any


def warn_load(logger: logging.Logger, message: str) -> None:
    """Log `message` as a warning of `logger`, and warn it as a `LoadWarning` at the user's
    line, in the user's process only (a worker process has no user to show it to: it logs);
    while `held_warnings` is active in this thread, only hold it."""
    held = getattr(_local, "held", None)
    if held is not None:
        held.append(HeldWarning(logger.name, message))
        return
    logger.warning("%s", message)
    if multiprocessing.parent_process() is None:
        warnings.warn(message, LoadWarning, stacklevel=caller_level())


def caller_level() -> int:
    """`stacklevel` of the user's line: the first frame outside provlytics and outside the
    libraries that call a widget back when a control changes (traitlets, ipywidgets: the line
    is then `widget.controls["query"].value = ...`), as seen from `warnings.warn`'s caller's
    caller (helpers reach here through decorators of varying depth)."""
    level, frame = 2, sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_NOT_THE_USER):
        level, frame = level + 1, frame.f_back
    return level


@contextmanager
def held_warnings(*, logged: bool = True) -> Iterator[list[HeldWarning]]:
    """While active, hold what this thread warns instead of saying it: the `warn_load`
    messages, and, if `logged` (in a worker process, whose log goes nowhere), the records of
    WARNING and above that provlytics' loggers log (they are logged here too). Yields the
    list they go into, in order, for `reissue`."""
    held: list[HeldWarning] = []
    before = getattr(_local, "held", None)
    handler = _Holding(held, threading.get_ident()) if logged else None
    package = logging.getLogger("provlytics")
    _local.held = held
    if handler is not None:
        package.addHandler(handler)
    try:
        yield held
    finally:
        if handler is not None:
            package.removeHandler(handler)
        _local.held = before


def reissue(held: Iterable[HeldWarning]) -> None:
    """Say warnings held in another process (`held_warnings`) as they would have been said
    here: `warn_load` for a `LoadWarning`, else a log record of their logger and level."""
    for warning in held:
        logger = logging.getLogger(warning.logger)
        if warning.load:
            warn_load(logger, warning.message)
        else:
            logger.log(warning.level, "%s", warning.message)


class _Holding(logging.Handler):
    """Holds the WARNING and higher records logged in one thread, as `HeldWarning`s."""

    def __init__(self, held: list[HeldWarning], thread: int) -> None:
        super().__init__(logging.WARNING)
        self._held, self._thread = held, thread

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self._thread:
            message = record.getMessage()
            self._held.append(HeldWarning(record.name, message, record.levelno, load=False))
