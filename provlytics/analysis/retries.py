"""Stuck objects: `retry_storms` (the same object failing with the same code across cycles) and
`recovery` (first failure, first success after it, time to recovery, still failing).

No Microsoft view follows one object's failures across cycles (`shared/reference/
workbook-parity.md` §6); Entra retries a failed object automatically on a later cycle, about 40
minutes later (§4).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from provlytics.analysis._common import BOOL, INT, TIME, empty, identity, table

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
_OBJECT = ["job_id", "__who"]
_NEEDS = (
    "event_id",
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


def _objects(frames) -> pd.DataFrame:
    """Events with an identity (`__who`) in time order: the rows both stories are told from."""
    events = table(frames, "events", _NEEDS)
    out = events[list(_NEEDS[:-1])].assign(__who=identity(events))
    out = out[out["__who"].notna()]
    return out.sort_values("activity_time", kind="stable", ignore_index=True)


def _last_status(objects: pd.DataFrame) -> pd.DataFrame:
    """Per (job, object): the status and lower-cased code of its latest event."""
    last = objects.drop_duplicates(_OBJECT, keep="last")
    return last[_OBJECT].assign(
        __last_status=last["status"], __last_code=last["error_code"].str.lower()
    )


def retry_storms(frames, min_cycles: int = 3) -> pd.DataFrame:
    """The same object failing with the same error code in `min_cycles` cycles or more.

    An object is the event's `source_id` (else `reportable_identifier`, else `target_id`);
    codes compare case-insensitively. Entra retries a failed object on later cycles; a storm is
    a retry chain that does not heal.

    Returns:
        Columns `job_id, source_id, reportable_identifier, target_system_name, error_code,
        cycles` (distinct cycles with that failure), `events` (failed events), `first_seen,
        last_seen`, `still_failing` (the object's latest event in the job is a failure with this
        code); the most cycles first.

    Example:
        >>> pv.analysis.retry_storms(frames, min_cycles=3)
    """
    objects = _objects(frames)
    failed = objects[(objects["status"] == "failure").fillna(False)]
    failed = failed.assign(__code=failed["error_code"].str.lower())
    if failed.empty:
        return empty(STORM_COLUMNS, _DTYPES)
    grouped = failed.groupby([*_OBJECT, "__code"], dropna=False, sort=False)
    storms = grouped.agg(
        cycles=("cycle_id", "nunique"),
        events=("event_id", "size"),
        first_seen=("activity_time", "min"),
        last_seen=("activity_time", "max"),
        source_id=("source_id", "first"),
        reportable_identifier=("reportable_identifier", "last"),
        target_system_name=("target_system_name", "last"),
        error_code=("error_code", "first"),
    ).reset_index()
    storms = storms[storms["cycles"] >= min_cycles]
    if storms.empty:
        return empty(STORM_COLUMNS, _DTYPES)
    storms = storms.merge(_last_status(objects), on=_OBJECT, how="left")
    storms["still_failing"] = (
        (storms["__last_status"] == "failure") & (storms["__last_code"] == storms["__code"])
    ).fillna(False)
    for column in ("cycles", "events"):
        storms[column] = storms[column].astype(np.int64)
    storms = storms.sort_values(
        ["cycles", "events", "last_seen"], ascending=False, kind="stable", ignore_index=True
    )
    return storms[STORM_COLUMNS]


def recovery(frames) -> pd.DataFrame:
    """Per (job, object) that ever failed: its first failure and first success after it.

    Returns:
        Columns `job_id, source_id, reportable_identifier, target_system_name, first_failure`,
        `error_code` (of the first failure), `failures` (failed events), `recovered_at` (first
        success after the first failure, NaT when none), `time_to_recovery` (Timedelta, NaT when
        not recovered), `still_failing` (the object's latest event in the job is a failure; an
        object can have recovered and failed again). Ordered by first failure.

    Example:
        >>> r = pv.analysis.recovery(frames)
        >>> r["time_to_recovery"].median(), r["still_failing"].sum()
    """
    objects = _objects(frames)
    failed = objects[(objects["status"] == "failure").fillna(False)]
    if failed.empty:
        return empty(RECOVERY_COLUMNS, _DTYPES)
    out = (
        failed.groupby(_OBJECT, dropna=False, sort=False)
        .agg(
            first_failure=("activity_time", "first"),
            error_code=("error_code", "first"),
            failures=("event_id", "size"),
            source_id=("source_id", "first"),
            reportable_identifier=("reportable_identifier", "last"),
            target_system_name=("target_system_name", "last"),
        )
        .reset_index()
    )
    successes = objects.loc[(objects["status"] == "success").fillna(False), [*_OBJECT]]
    successes["recovered_at"] = objects.loc[successes.index, "activity_time"]
    later = successes.merge(out[[*_OBJECT, "first_failure"]], on=_OBJECT, how="inner")
    later = later[later["recovered_at"] > later["first_failure"]]
    later = later.drop_duplicates(_OBJECT, keep="first")  # time order: the first success
    out = out.merge(later[[*_OBJECT, "recovered_at"]], on=_OBJECT, how="left")
    out = out.merge(_last_status(objects), on=_OBJECT, how="left")
    out["time_to_recovery"] = out["recovered_at"] - out["first_failure"]
    out["still_failing"] = (out["__last_status"] == "failure").fillna(False).astype(bool)
    out["failures"] = out["failures"].astype(np.int64)
    out = out.sort_values(["first_failure", "job_id"], kind="stable", ignore_index=True)
    return out[RECOVERY_COLUMNS]
