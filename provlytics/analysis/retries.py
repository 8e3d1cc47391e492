"""Stuck objects: `retry_storms` (the same object failing with the same code across cycles) and
`recovery` (first failure, first success after it, time to recovery, still failing).

No Microsoft view follows one object's failures across cycles (`shared/reference/
workbook-parity.md` §6); Entra retries a failed object automatically on a later cycle, about 40
minutes later (§4). Both views group events by (job, object) as integer codes and order them by
time with integer ranks, so that a million events take well under a second. Both take frames
or a store or snapshot path (then only the events columns they use are read).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from provlytics.analysis.access import on_path, table
from provlytics.analysis.arrays import group_codes
from provlytics.analysis.columns import BOOL, INT, TIME, empty
from provlytics.analysis.selection import identity

logger = logging.getLogger(__name__)

STORM_COLUMNS = [
    "job_id",
    "source_id",
    "reportable_identifier",
    "target_system_name",
    "error_code",
    "cycles",
    "events",
    "first_seen",
    "last_seen",
    "still_failing",
]
RECOVERY_COLUMNS = [
    "job_id",
    "source_id",
    "reportable_identifier",
    "target_system_name",
    "first_failure",
    "error_code",
    "failures",
    "recovered_at",
    "time_to_recovery",
    "still_failing",
]
_DTYPES = {
    "first_failure": TIME,
    "recovered_at": TIME,
    "time_to_recovery": np.dtype("timedelta64[us]"),
    "cycles": INT,
    "failures": INT,
    "still_failing": BOOL,
}
_NEEDS = (
    "activity_time",
    "job_id",
    "cycle_id",
    "status",
    "error_code",
    "source_id",
    "reportable_identifier",
    "target_system_name",
    "target_id",
)
_IDENTITY = ["job_id", "source_id", "reportable_identifier", "target_system_name"]


@dataclass(frozen=True)
class _Objects:
    """The events that name an object, as integer arrays.

    `rows`: their rows in `events`, in time order (stable); `obj`: the (job, object) group of
    each; `last`: per group, the position (in `rows`) of its latest event; `failed`: which
    are failures; `code`: lower-cased error code number (-1: none).
    """

    events: pd.DataFrame
    rows: np.ndarray
    obj: np.ndarray
    last: np.ndarray
    failed: np.ndarray
    code: np.ndarray

    def column(self, name: str, positions: np.ndarray) -> pd.Series:
        """Column `name` at the given positions (in `rows`), with a fresh index."""
        return self.events[name].take(self.rows[positions]).reset_index(drop=True)


def _objects(frames) -> _Objects:
    events = table(frames, "events", _NEEDS)
    who = identity(events)
    named = np.flatnonzero(who.notna().to_numpy(bool))
    times = events["activity_time"].take(named)
    rows = named[np.argsort(times.to_numpy(dtype="datetime64[us]"), kind="stable")]
    obj, _ = group_codes(events["job_id"].take(rows), who.take(rows))
    last = np.full(obj.max() + 1 if len(obj) else 0, -1, np.int64)
    last[obj] = np.arange(len(obj))  # later positions overwrite earlier ones
    failed = (events["status"].take(rows) == "failure").fillna(False).to_numpy(bool)
    code, _ = pd.factorize(events["error_code"].take(rows).str.lower(), use_na_sentinel=True)
    return _Objects(events, rows, obj, last, failed, code)


@on_path
def retry_storms(frames, min_cycles: int = 3) -> pd.DataFrame:
    """The same object failing with the same error code in `min_cycles` cycles or more.

    An object is the event's `source_id` (else `reportable_identifier`, else `target_id`)
    within a job; codes compare case-insensitively. Entra retries a failed object on later
    cycles; a storm is a retry chain that does not heal.

    Returns:
        Columns `job_id, source_id, reportable_identifier, target_system_name, error_code`
        (as first logged), `cycles` (distinct cycles with that failure), `events` (failed
        events), `first_seen, last_seen`, `still_failing` (the object's latest event in the job
        is a failure with this code); identity columns as of the latest failure; the most
        cycles first.

    Example:
        >>> pv.analysis.retry_storms(frames, min_cycles=3)
    """
    o = _objects(frames)
    fails = np.flatnonzero(o.failed)
    if not len(fails):
        return empty(STORM_COLUMNS, _DTYPES)
    storm, first = group_codes(pd.Series(o.obj[fails]), pd.Series(o.code[fails]))
    cycle, _ = pd.factorize(o.events["cycle_id"].take(o.rows[fails]), use_na_sentinel=True)
    cycles = _distinct(storm, cycle, len(first))
    big = np.flatnonzero(cycles >= min_cycles)
    if not len(big):
        return empty(STORM_COLUMNS, _DTYPES)
    latest = np.zeros(len(first), np.int64)
    latest[storm] = np.arange(len(storm))  # positions are in time order: the last one wins
    first_at, last_at = fails[first[big]], fails[latest[big]]
    out = pd.DataFrame({c: o.column(c, last_at) for c in _IDENTITY})
    out.insert(4, "error_code", o.column("error_code", first_at))
    out["cycles"] = cycles[big]
    out["events"] = np.bincount(storm, minlength=len(first))[big].astype(np.int64)
    out["first_seen"] = o.column("activity_time", first_at)
    out["last_seen"] = o.column("activity_time", last_at)
    end = o.last[o.obj[first_at]]
    out["still_failing"] = o.failed[end] & (o.code[end] == o.code[first_at])
    out = out.sort_values(
        ["cycles", "events", "last_seen"], ascending=False, kind="stable", ignore_index=True
    )
    return out[STORM_COLUMNS]


def _distinct(group: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """How many distinct non-negative `values` each group holds."""
    known = values >= 0
    pairs = np.sort(group[known].astype(np.int64) * (values.max() + 1) + values[known])
    distinct = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    return np.bincount(distinct // (values.max() + 1), minlength=groups).astype(np.int64)


@on_path
def recovery(frames) -> pd.DataFrame:
    """Per (job, object) that ever failed: its first failure and first success after it.

    Returns:
        Columns `job_id, source_id, reportable_identifier, target_system_name` (as of the first
        failure), `first_failure`, `error_code` (of the first failure), `failures` (failed
        events), `recovered_at` (first success after the first failure, NaT when none),
        `time_to_recovery` (Timedelta, NaT when not recovered), `still_failing` (the object's
        latest event in the job is a failure; an object can have recovered and failed again).
        Ordered by first failure.

    Example:
        >>> r = pv.analysis.recovery(frames)
        >>> r["time_to_recovery"].median(), r["still_failing"].sum()
    """
    o = _objects(frames)
    fails = np.flatnonzero(o.failed)
    if not len(fails):
        return empty(RECOVERY_COLUMNS, _DTYPES)
    groups = len(o.last)
    first = np.full(groups, len(o.obj), np.int64)
    first[o.obj[fails[::-1]]] = fails[::-1]  # the earliest failure wins
    failing = np.flatnonzero(first < len(o.obj))
    failing = failing[np.argsort(first[failing], kind="stable")]  # by first failure
    ok = np.flatnonzero((o.events["status"].take(o.rows) == "success").fillna(False).to_numpy(bool))
    ok = ok[ok > first[o.obj[ok]]]  # successes after the object's first failure
    recovered = np.full(groups, -1, np.int64)
    recovered[o.obj[ok[::-1]]] = ok[::-1]  # the earliest one wins
    at = first[failing]
    out = pd.DataFrame({c: o.column(c, at) for c in _IDENTITY})
    out["first_failure"] = o.column("activity_time", at)
    out["error_code"] = o.column("error_code", at)
    out["failures"] = np.bincount(o.obj[fails], minlength=groups)[failing].astype(np.int64)
    back = recovered[failing]
    times = o.column("activity_time", np.where(back >= 0, back, 0))
    out["recovered_at"] = times.where(back >= 0)
    out["time_to_recovery"] = out["recovered_at"] - out["first_failure"]
    out["still_failing"] = o.failed[o.last[failing]]
    return out[RECOVERY_COLUMNS]
