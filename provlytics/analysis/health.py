"""Sick jobs: `job_health`, each job's latest job_status snapshot beside its logs.

Facts used (`shared/reference/workbook-parity.md` §4-§6, `graph-api-facts.md` §4): Entra
quarantines a job when more than 40% of its events fail (`EncounteredEscrowProportionThreshold`,
evaluated from 5,000 failures), and reference failures (`UnableToResolveReferenceAttributeValue`,
the `referenceResolution` step) do not count; `status.code` is NotConfigured, NotRun, Active,
Paused or Quarantine and `schedule.state` is Active, Disabled or Paused. The alerts on these
jobs are `job_alerts.alerts`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow.dataset as ds

from provlytics.analysis.access import on_path, table
from provlytics.analysis.arrays import isin
from provlytics.analysis.columns import BOOL, FLOAT, INT, TIME, empty
from provlytics.schema import SCHEMAS

logger = logging.getLogger(__name__)

ESCROW_THRESHOLD = 0.40
REFERENCE_CODE = "unabletoresolvereferenceattributevalue"
HEALTH_COLUMNS = [
    "job_id",
    "service_principal_id",
    "status_code",
    "schedule_state",
    "quarantined",
    "quarantine_reason",
    "quarantine_since",
    "quarantine_next_attempt",
    "quarantine_error_code",
    "quarantine_error_message",
    "last_error_code",
    "last_error_message",
    "last_error_tenant_actionable",
    "last_execution_ended",
    "events",
    "failures",
    "reference_failures",
    "escrow_share",
    "escrow_risk",
    "observed_time",
]
_DTYPES = {
    "quarantined": BOOL,
    "quarantine_since": TIME,
    "quarantine_next_attempt": TIME,
    "last_execution_ended": TIME,
    "observed_time": TIME,
    "last_error_tenant_actionable": pd.BooleanDtype(),
    "failures": INT,
    "reference_failures": INT,
    "escrow_share": FLOAT,
    "escrow_risk": FLOAT,
}
EVENT_NEEDS = ("event_id", "activity_time", "job_id", "action", "status", "error_code")
"""The events columns `job_health` and `job_alerts.alerts` read."""
# job_status columns read here, with the columns to fall back on: the series' start, else
# the current quarantine's; the last run's error, else the quarantine's
_SNAPSHOT = {
    "service_principal_id": (),
    "status_code": (),
    "schedule_state": (),
    "quarantine_reason": (),
    "quarantine_since": ("quarantine_series_began", "quarantine_current_began"),
    "quarantine_next_attempt": (),
    "quarantine_error_code": (),
    "quarantine_error_message": (),
    "last_error_code": ("last_error_code", "quarantine_error_code"),
    "last_error_message": ("last_error_message", "quarantine_error_message"),
    "last_error_tenant_actionable": (
        "last_error_tenant_actionable",
        "quarantine_error_tenant_actionable",
    ),
    "last_execution_ended": (),
}


@on_path
def job_health(frames) -> pd.DataFrame:
    """One row per job: its latest `job_status` snapshot beside what the logs say about it.

    The logs give each job's `events`, `failures`, `reference_failures` (code
    `UnableToResolveReferenceAttributeValue` or a failed `referenceResolution` step) and the
    `escrow_share` (non-reference failures / events), which Entra quarantines on above 40% once
    it counts 5,000 failures; `escrow_risk` = escrow_share / 0.40 (1.0 is the threshold). Jobs
    seen only in the logs have null snapshot columns; jobs seen only in `job_status` have zero
    events.

    Returns:
        Columns `job_id, service_principal_id, status_code, schedule_state, quarantined,
        quarantine_reason, quarantine_since` (when the quarantine series began, `seriesBegan`:
        how long the job has been quarantined), `quarantine_next_attempt,
        quarantine_error_code, quarantine_error_message` (the quarantine's own error),
        `last_error_code, last_error_message, last_error_tenant_actionable` (the last run's
        error, else the quarantine's), `last_execution_ended, events, failures,
        reference_failures, escrow_share, escrow_risk, observed_time`. Quarantined jobs first,
        then by escrow risk, largest first.

    Example:
        >>> pv.analysis.job_health(frames)[["job_id", "quarantined", "escrow_risk"]]
    """
    snapshot = latest_snapshot(frames)
    logs = _log_health(frames)
    if snapshot.empty and logs.empty:
        return empty(HEALTH_COLUMNS, _DTYPES)
    out = snapshot.merge(logs, on="job_id", how="outer", suffixes=("", "_logs"))
    out["service_principal_id"] = out["service_principal_id"].fillna(
        out["service_principal_id_logs"]
    )
    for column in ("events", "failures", "reference_failures"):
        out[column] = out[column].fillna(0).astype(np.int64)
    out["quarantined"] = (out["status_code"].str.lower() == "quarantine").fillna(False).astype(bool)
    events = out["events"].where(out["events"] > 0)
    out["escrow_share"] = ((out["failures"] - out["reference_failures"]) / events).astype(float)
    out["escrow_risk"] = out["escrow_share"] / ESCROW_THRESHOLD
    out = out.sort_values(
        ["quarantined", "escrow_risk", "job_id"],
        ascending=[False, False, True],
        na_position="last",
        kind="stable",
        ignore_index=True,
    )
    return out[HEALTH_COLUMNS]


def latest_snapshot(frames) -> pd.DataFrame:
    """The newest job_status row of each job, in the columns `job_health` reports."""
    every = SCHEMAS["job_status"].names  # a small table: read whole
    jobs = table(frames, "job_status", ("job_id", "observed_time"), reads=every)
    columns = ["job_id", "observed_time", *_SNAPSHOT]
    if jobs.empty:
        return empty(columns, _DTYPES)
    jobs = jobs[jobs["job_id"].notna()].sort_values("observed_time", kind="stable")
    latest = jobs.drop_duplicates("job_id", keep="last").reset_index(drop=True)
    out = latest[["job_id", "observed_time"]].copy()
    for name, sources in _SNAPSHOT.items():
        present = [c for c in (sources or (name,)) if c in latest.columns]
        if not present:
            out[name] = pd.NA
            continue
        value = latest[present[0]]
        for column in present[1:]:
            value = value.fillna(latest[column])
        out[name] = value
    return out


def _log_health(frames) -> pd.DataFrame:
    """Per job in the logs: events, failures, reference failures and a service principal."""
    events = table(frames, "events", (*EVENT_NEEDS, "service_principal_id"))
    if events.empty:
        columns = ["job_id", "events", "failures", "reference_failures", "service_principal_id"]
        return empty(columns, _DTYPES)
    where = ds.field("failed_step_type") == "referenceResolution"
    errors = table(frames, "errors", ("event_id", "failed_step_type"), where=where, ordered=False)
    reference_steps = errors.loc[
        (errors["failed_step_type"] == "referenceResolution").fillna(False), "event_id"
    ]
    failed = (events["status"] == "failure").fillna(False).to_numpy(bool)
    reference = failed & (
        (events["error_code"].str.lower() == REFERENCE_CODE).fillna(False).to_numpy(bool)
        | isin(events["event_id"], reference_steps)
    )
    data = pd.DataFrame(
        {
            "job_id": events["job_id"],
            "events": 1,
            "failures": failed.astype(np.int64),
            "reference_failures": reference.astype(np.int64),
            "service_principal_id": events["service_principal_id"],
        }
    )
    grouped = data.groupby("job_id", sort=False)
    out = grouped[["events", "failures", "reference_failures"]].sum()
    out["service_principal_id"] = grouped["service_principal_id"].first()
    return out.reset_index()
