"""The warnings a user must see wherever the library runs: in a script or notebook, where the
library's log is silent until configured, as a `LoadWarning` (a `UserWarning`) at the user's
line; and in its log, as before. The command line shows the log and ignores the
`LoadWarning`s (`provlytics.cli.main`), so each is said once there.

Imports nothing of provlytics but its errors; any layer may use it.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
import warnings

from provlytics.errors import LoadWarning

# modules whose frames a warning's stacklevel passes over (`caller_level`)
_NOT_THE_USER = ("provlytics.", "traitlets.", "ipywidgets.")


def warn_load(logger: logging.Logger, message: str) -> None:
    """Log `message` as a warning of `logger`, and warn it as a `LoadWarning` at the user's
    line, in the user's process only (a worker process has no user to show it to: it logs)."""
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
