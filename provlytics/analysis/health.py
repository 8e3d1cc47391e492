"""Sick jobs: `job_health` (job_status snapshots beside the logs) and `alerts`.

Facts used (`shared/reference/workbook-parity.md` §4-§6, `graph-api-facts.md` §4): Entra
quarantines a job when more than 40% of its events fail (`EncounteredEscrowProportionThreshold`,
evaluated from 5,000 failures), and reference failures (`UnableToResolveReferenceAttributeValue`,
the `referenceResolution` step) do not count; while quarantined a job runs once a day and it is
disabled after 4 weeks;
`status.code` is NotConfigured, NotRun, Active, Paused or Quarantine and `schedule.state` is
Active, Disabled or Paused. Microsoft's own alerts are a failure count per job, "no rows at all"
over the whole table, and a count of Disable/Delete rows.
"""

from __future__ import annotations

import logging
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow.dataset as ds

from provlytics.analysis.access import on_path, table
from provlytics.analysis.alert_scope import (
    cut_to_scope,
    narrowed_end,
    narrowed_span,
    unjudged_silence,
)
from provlytics.analysis.arrays import isin
from provlytics.analysis.columns import BOOL, FLOAT, INT, TIME, empty
from provlytics.schema import SCHEMAS
from provlytics.timebounds import parse_duration, parse_time

logger = logging.getLogger(__name__)

ESCROW_THRESHOLD = 0.40
REFERENCE_CODE = "unabletoresolvereferenceattributevalue"
QUARANTINE_DISABLES_AFTER = pd.Timedelta(weeks=4)
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
    "window_start": TIME,
    "window_end": TIME,
    "value": FLOAT,
    "threshold": FLOAT,
}
_EVENT_NEEDS = ("event_id", "activity_time", "job_id", "action", "status", "error_code")
ALERT_COLUMNS = ["kind", "job_id", "window_start", "window_end", "value", "threshold", "message"]
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
    snapshot = _latest_snapshot(frames)
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


def _latest_snapshot(frames) -> pd.DataFrame:
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
    events = table(frames, "events", (*_EVENT_NEEDS, "service_principal_id"))
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


@on_path
def alerts(
    frames,
    *,
    window: str | pd.Timedelta = "1d",
    now: str | datetime | pd.Timestamp | None = None,
    failure_rate: float = 0.2,
    disable_delete: int = 50,
    min_events: int = 20,
) -> pd.DataFrame:
    """Alerts, one per row, over consecutive windows that end at `now`.

    Windows are `(now - k*window, now - (k-1)*window]`, k = 1, 2, ... back to the oldest event
    (an event exactly at `now` falls in the last window); events after `now` are ignored.
    - `silentJob`: a job whose latest snapshot says it should run (schedule Active, status Active
      or NotRun) with no event in the last window. Microsoft's "no rows" alert covers the whole
      table, so one healthy job hides a dead one; an expired target credential leaves no error.
      value = hours since the job's last event (NaN: none in the logs), threshold = the window
      in hours. Frames narrowed by time (`since`) are judged only when that whole window lies
      inside the scope: events before the scope's start are not in the frames, so a window
      that begins before it (or after a `since` step whose time is not recorded, in the
      manifest of a snapshot written by an older provlytics) cannot show that a job was
      silent: no `silentJob` row then, and an INFO log line says silence was not judged.
    - `disableDeleteSpike`: at least `disable_delete` disable or delete events of a job in one
      window (Microsoft's third recommended alert); value = that count.
    - `failureRateSpike`: failure / (events - skipped) >= `failure_rate` for a job in one window
      that processed at least `min_events` events; value = that rate.
    - `quarantined`: the latest snapshot says Quarantine; the window runs from the quarantine's
      start to the snapshot; value = hours in quarantine, threshold = 672 (4 weeks, after which
      Entra disables the job).

    Frames narrowed by `filter_frames` (`frames.narrowed`) keep every window inside their
    time scope: a window running past `until` (a quarantine seen in a later job snapshot) or
    beginning before `since` is cut, and its message says so; see `alert_scope.cut_to_scope`
    (`silentJob` windows are never cut: see above).

    Args:
        frames: the tables, or a store or snapshot path (then only the events columns used
            and job_status are read).
        window: window length, a `timedelta` (pandas `Timedelta` too) or text as
            `timebounds.parse_duration` reads it ("1d", "6h", "2w", "90min").
        now: end of the last window: a datetime or Timestamp (UTC when naive), or text as
            `timebounds.parse_time` reads it (ISO 8601; a duration is that long before the
            current time, "2d"; a date whose day and month could be either way round,
            "05/11/2026", is refused); default the newest event (else the newest job
            snapshot); for frames narrowed by job, target system or app, the newest event
            before that narrowing (or the scope's `until`, when earlier:
            `alert_scope.narrowed_end`), so that narrowing to a silent job keeps its
            `silentJob` alert.
        failure_rate: failure-rate threshold, 0..1.
        disable_delete: disable/delete count threshold per job and window.
        min_events: fewest processed (non-skipped) events for a failure-rate alert.

    Returns:
        Columns `kind, job_id, window_start, window_end, value` (float), `threshold` (float),
        `message`; newest window first, then by kind and job.

    Raises:
        ConfigError: `window` is not a positive duration or `now` is not a time.

    Example:
        >>> pv.analysis.alerts(frames, window="6h", failure_rate=0.3)
    """
    span = _window(window)
    events = table(frames, "events", _EVENT_NEEDS)
    end = _now(now, events, table(frames, "job_status"))
    if now is None and end is not None:  # narrowed by job: the end before narrowing
        end = narrowed_end(frames) or end
    if end is None:
        return empty(ALERT_COLUMNS, _DTYPES)
    events = events[(events["activity_time"] <= end).fillna(False)]
    scope_start, scope_end = narrowed_span(frames)
    unjudged = unjudged_silence(frames, end - span)
    if unjudged:
        logger.info(
            "silentJob not judged in the %s before %s UTC: %s; events before the "
            "scope's start are not in the frames",
            _span_text(span),
            f"{end:%Y-%m-%d %H:%M}",
            unjudged,
        )
    found = [
        _silent_jobs(frames, events, end, span, scope_start) if not unjudged else None,
        *_window_alerts(events, end, span, failure_rate, disable_delete, min_events),
        _quarantined(frames),
    ]
    found = [f for f in found if f is not None and not f.empty]
    if not found:
        return empty(ALERT_COLUMNS, _DTYPES)
    out = cut_to_scope(pd.concat(found, ignore_index=True), scope_start, scope_end)
    out = out.sort_values(
        ["window_end", "kind", "job_id"], ascending=[False, True, True], kind="stable"
    )
    return out[ALERT_COLUMNS].reset_index(drop=True)


def _window(window: str | pd.Timedelta) -> pd.Timedelta:
    return pd.Timedelta(parse_duration(window, "window"))


def _now(now, events: pd.DataFrame, jobs: pd.DataFrame) -> pd.Timestamp | None:
    if now is not None:
        return pd.Timestamp(parse_time(now, name="now")).tz_convert("UTC")
    for frame, column in ((events, "activity_time"), (jobs, "observed_time")):
        if not frame.empty and column in frame.columns and frame[column].notna().any():
            return frame[column].max()
    return None


def _span_text(span: pd.Timedelta) -> str:
    """A window as people write it: "3 h", "1 d", "90 min", "1 d 6 h"."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if n]
    return " ".join(parts) or f"{span.total_seconds():g} s"


def _hours(delta: pd.Timedelta | pd.Series) -> float | pd.Series:
    return delta / pd.Timedelta(hours=1)


def _alert(kind: str, job_id, start, end, value, threshold: float, message) -> pd.DataFrame:
    """Alert rows from columns (scalars or aligned Series)."""
    frame = pd.DataFrame(
        {
            "job_id": job_id,
            "window_start": start,
            "window_end": end,
            "value": value,
            "message": message,
        }
    )
    frame["value"] = frame["value"].astype(float)
    return frame.assign(kind=kind, threshold=float(threshold))


def _silent_jobs(
    frames,
    events: pd.DataFrame,
    end: pd.Timestamp,
    span: pd.Timedelta,
    scope_start: pd.Timestamp | None,
) -> pd.DataFrame:
    """Jobs that should run (latest snapshot) with no event in the last window (which lies
    inside the scope beginning at `scope_start`, if any)."""
    snapshot = _latest_snapshot(frames)
    should_run = (snapshot["schedule_state"].str.lower().isin(["active"])).fillna(False) & (
        snapshot["status_code"].str.lower().isin(["active", "notrun"])
    ).fillna(False)
    jobs = snapshot.loc[should_run.to_numpy(bool), "job_id"]
    last = events.groupby("job_id")["activity_time"].max()
    # reindex, not map: an empty mapper makes `map` cast the times to float
    last_seen = pd.to_datetime(last.reindex(jobs.to_numpy()), utc=True)  # NaT where none
    last_seen.index = jobs.index
    silent = ~(last_seen > end - span).fillna(False).to_numpy(bool)
    jobs, last_seen = jobs[silent], last_seen[silent]
    if jobs.empty:
        return empty(ALERT_COLUMNS, _DTYPES)
    hours = _hours(end - last_seen)
    none = "no event in the logs"
    if scope_start is not None:
        none = f"no event since the scope's start {scope_start:%Y-%m-%d %H:%M} UTC"
    text = [
        f"no event in the {_span_text(span)} before {end:%Y-%m-%d %H:%M} UTC while job_status "
        "says it runs; " + (f"last event {seen:%Y-%m-%d %H:%M} UTC" if pd.notna(seen) else none)
        for seen in last_seen
    ]
    return _alert("silentJob", jobs.to_numpy(), end - span, end, hours, _hours(span), text)


def _window_alerts(
    events: pd.DataFrame,
    end: pd.Timestamp,
    span: pd.Timedelta,
    failure_rate: float,
    disable_delete: int,
    min_events: int,
) -> list[pd.DataFrame]:
    """Disable/delete and failure-rate spikes per job and window."""
    if events.empty:
        return []
    back = ((end - events["activity_time"]) // span).to_numpy(np.int64)
    action = events["action"].str.lower()
    status = events["status"]
    data = pd.DataFrame(
        {
            "job_id": events["job_id"].to_numpy(),
            "back": back,
            "removals": isin(action, ["disable", "delete"]).astype(np.int64),
            "failure": (status == "failure").fillna(False).to_numpy(np.int64),
            "processed": (status != "skipped").fillna(True).to_numpy(np.int64),
        }
    )
    bins = data.groupby(["job_id", "back"], sort=False).sum().reset_index()
    bins["window_end"] = end - bins["back"].to_numpy() * span
    bins["window_start"] = bins["window_end"] - span
    removals = bins[bins["removals"] >= disable_delete]
    rate = bins["failure"] / bins["processed"].where(bins["processed"] > 0)
    spikes = bins[((bins["processed"] >= min_events) & (rate >= failure_rate)).fillna(False)]
    spike_rate = rate[spikes.index]
    return [
        _alert(
            "disableDeleteSpike",
            removals["job_id"],
            removals["window_start"],
            removals["window_end"],
            removals["removals"],
            disable_delete,
            [
                f"{n} disable/delete events in {_span_text(span)} (threshold {disable_delete})"
                for n in removals["removals"]
            ],
        ),
        _alert(
            "failureRateSpike",
            spikes["job_id"],
            spikes["window_start"],
            spikes["window_end"],
            spike_rate,
            failure_rate,
            [
                f"{f} of {p} processed events failed ({r:.0%}, threshold {failure_rate:.0%})"
                for f, p, r in zip(spikes["failure"], spikes["processed"], spike_rate, strict=True)
            ],
        ),
    ]


def _quarantined(frames) -> pd.DataFrame:
    """Jobs whose latest snapshot is quarantined."""
    snapshot = _latest_snapshot(frames)
    held = snapshot[(snapshot["status_code"].str.lower() == "quarantine").fillna(False)]
    if held.empty:
        return empty(ALERT_COLUMNS, _DTYPES)
    hours = _hours(held["observed_time"] - held["quarantine_since"])
    text = [
        f"quarantined ({reason}; error {code}) since "
        + (f"{since:%Y-%m-%d %H:%M} UTC" if pd.notna(since) else "an unknown time")
        + "; Entra disables the job after 4 weeks"
        for reason, code, since in zip(
            held["quarantine_reason"],
            held["quarantine_error_code"].fillna(held["last_error_code"]),
            held["quarantine_since"],
            strict=True,
        )
    ]
    limit = _hours(QUARANTINE_DISABLES_AFTER)
    return _alert(
        "quarantined",
        held["job_id"],
        held["quarantine_since"],
        held["observed_time"],
        hours,
        limit,
        text,
    )
