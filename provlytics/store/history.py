"""How long the store keeps what a later load replaced, and which files of a table no
version needs (see `provlytics.store`, "Recovery").

The retention is Delta's own `delta.deletedFileRetentionDuration`, read from the events
table (the commit point) and applied to every table; 7 days, Delta's default, when unset.
Every table carries the property too (set when the table is created and by
`set_retention`), so that another engine's VACUUM of any one table keeps as much.
A table's `_delta_log` names every file any version of it holds (add and remove actions,
and checkpoints); a Parquet file in the table's folder that it does not name was written by
a load that died before committing it, and so was every file added by a table's commits
after the version the last events commit names (a load killed between its commits).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable

from provlytics.errors import InputError

logger = logging.getLogger(__name__)

RETENTION = "delta.deletedFileRetentionDuration"
DEFAULT_RETENTION = timedelta(days=7)
_UNITS = {
    "week": timedelta(weeks=1),
    "day": timedelta(days=1),
    "hour": timedelta(hours=1),
    "minute": timedelta(minutes=1),
    "second": timedelta(seconds=1),
    "millisecond": timedelta(milliseconds=1),
    "microsecond": timedelta(microseconds=1),
}
_FILE_ACTION = re.compile(r'\s*\{\s*"(add|remove)"\s*:')  # a log line of one file action
_INTERVAL = re.compile(r"\s*interval\s+(\d+(?:\.\d+)?)\s+([a-z]+?)s?\s*", re.IGNORECASE)


def retention(events: DeltaTable) -> timedelta:
    """The store's retention: its events table's `delta.deletedFileRetentionDuration`.

    Raises:
        InputError: the property is set to something that is not an interval such as
            "interval 7 days", naming the table and the property.
    """
    text = events.metadata().configuration.get(RETENTION)
    if text is None:
        return DEFAULT_RETENTION
    found = _INTERVAL.fullmatch(text)
    if found is None or found.group(2).lower() not in _UNITS:
        raise InputError(
            events.table_uri,
            f"{RETENTION} is {text!r}, not an interval such as 'interval 7 days'",
        )
    return float(found.group(1)) * _UNITS[found.group(2).lower()]


def interval_text(kept: timedelta) -> str:
    """A retention as Delta spells the property: "interval 7 days", "interval 36 hours"."""
    seconds = kept.total_seconds()
    for unit in ("day", "hour", "minute"):
        count = seconds / _UNITS[unit].total_seconds()
        if count >= 1 and count == math.floor(count):
            return f"interval {int(count)} {unit}s"
    return f"interval {int(seconds)} seconds"


def retention_property(kept: timedelta) -> dict[str, str]:
    """The table property that keeps replaced files for `kept`, as Delta spells it."""
    return {RETENTION: interval_text(kept)}


def describe(kept: timedelta) -> str:
    """A retention for people: "7 days", "36 hours", "0 seconds"."""
    count, unit = interval_text(kept).split()[1:]
    return f"{count} {unit[:-1] if count == '1' else unit}"


def remove_dead_files(folder: Path, table: DeltaTable, committed: int | None) -> int:
    """Delete the files of a table that no version needs: those no commit names, and, when
    `committed` is given (the version the last events commit names), those that only the
    commits after it added. Call with the lock held, after any restore; returns how many
    were deleted."""
    paths = _log_paths(folder, committed)
    dead = _data_files(folder) - paths.named
    if paths.after:
        live = pa.table(table.get_add_actions(flatten=True))["path"]
        dead |= paths.after - paths.before - {unquote(p) for p in live.to_pylist()}
    for relative in dead:
        (folder / relative).unlink(missing_ok=True)
    if dead:
        logger.warning("%s: removed %d files of a load that never committed", folder, len(dead))
    return len(dead)


def remove_expired(folder: Path, table: DeltaTable, kept: timedelta) -> int:
    """Vacuum the files later commits removed more than `kept` ago, rounded up to whole
    hours (Delta's vacuum, run only when such a file is still there: it commits even when
    the files it deletes are gone); returns how many were deleted."""
    hours = math.ceil(kept.total_seconds() / 3600)  # whole hours (delta-rs), at least `kept`
    expired = table.vacuum(retention_hours=hours, enforce_retention_duration=False, dry_run=True)
    present = [path for path in expired if (folder / path).exists()]  # paths relative or not
    if present:  # none: no vacuum, no commit
        table.vacuum(retention_hours=hours, enforce_retention_duration=False, dry_run=False)
    return len(present)


def changes_files_after(folder: Path, version: int, latest: int) -> bool:
    """Whether a commit of the table after `version` (up to `latest`) adds or removes a file:
    a write of a load. Maintenance commits (a property set, a vacuum) change no file, and
    the table at `latest` holds the data of `version`. A commit whose log entry is gone
    counts as a change."""
    log = folder / "_delta_log"
    for number in range(version + 1, latest + 1):
        try:
            text = (log / f"{number:020d}.json").read_text(encoding="utf-8")
        except FileNotFoundError:
            return True
        if any(_FILE_ACTION.match(line) for line in text.splitlines()):
            return True
    return False


def _data_files(folder: Path) -> set[str]:
    """The Parquet files of a table folder (relative paths), outside its `_delta_log` and
    hidden folders."""
    found = set()
    for parent, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(("_", "."))]
        relative = os.path.relpath(parent, folder)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        found.update(prefix + name for name in files if name.endswith(".parquet"))
    return found


@dataclass
class _Paths:
    """Files a table's log names: by any version (`named`), by the versions up to the
    committed one (`before`), and added by the commits after it (`after`)."""

    named: set[str] = field(default_factory=set)
    before: set[str] = field(default_factory=set)
    after: set[str] = field(default_factory=set)


def _log_paths(folder: Path, committed: int | None) -> _Paths:
    """The files the table's commits and checkpoints name (add and remove actions)."""
    log, paths = folder / "_delta_log", _Paths()
    for commit in log.glob("*.json"):
        number = commit.name.split(".")[0]
        later = committed is not None and number.isdigit() and int(number) > committed
        for line in commit.read_text(encoding="utf-8").splitlines():
            kind = _FILE_ACTION.match(line)  # commitInfo, metaData...: not parsed
            if kind is None:
                continue
            path = unquote(json.loads(line)[kind.group(1)]["path"])
            paths.named.add(path)
            if not later:
                paths.before.add(path)
            elif kind.group(1) == "add":
                paths.after.add(path)
    for checkpoint in log.glob("*.checkpoint*.parquet"):
        actions = pq.read_table(str(checkpoint), columns=["add", "remove"])
        for kind in ("add", "remove"):
            found = pc.struct_field(actions[kind], "path").drop_null().to_pylist()
            paths.named.update(unquote(path) for path in found)
    return paths
