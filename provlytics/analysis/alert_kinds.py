"""The alerts of each kind, as rows of `job_alerts.alerts`.

Facts used (`shared/reference/workbook-parity.md` §4-§6, `graph-api-facts.md` §4): while
quarantined a job runs once a day and Entra disables it after 4 weeks. Microsoft's own alerts
are a failure count per job, "no rows at all" over the whole table, and a count of
Disable/Delete rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from provlytics.analysis.arrays import isin
from provlytics.analysis.columns import FLOAT, TIME, empty

QUARANTINE_DISABLES_AFTER = pd.Timedelta(weeks=4)
ALERT_COLUMNS = ["kind", "job_id", "window_start", "window_end", "value", "threshold", "message"]
ALERT_DTYPES = {"window_start": TIME, "window_end": TIME, "value": FLOAT, "threshold": FLOAT}


def span_text(span: pd.Timedelta) -> str:
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


def silent_jobs(
    snapshot: pd.DataFrame,
    events: pd.DataFrame,
    end: pd.Timestamp,
    span: pd.Timedelta,
    scope_start: pd.Timestamp | None,
) -> pd.DataFrame:
    """Jobs that should run (their latest `snapshot`, `health.latest_snapshot`) with no event
    in the last window (which lies inside the scope beginning at `scope_start`, if any)."""
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
        return empty(ALERT_COLUMNS, ALERT_DTYPES)
    hours = _hours(end - last_seen)
    none = "no event in the logs"
    if scope_start is not None:
        none = f"no event since the scope's start {scope_start:%Y-%m-%d %H:%M} UTC"
    text = [
        f"no event in the {span_text(span)} before {end:%Y-%m-%d %H:%M} UTC while job_status "
        "says it runs; " + (f"last event {seen:%Y-%m-%d %H:%M} UTC" if pd.notna(seen) else none)
        for seen in last_seen
    ]
    return _alert("silentJob", jobs.to_numpy(), end - span, end, hours, _hours(span), text)


def window_alerts(
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
                f"{n} disable/delete events in {span_text(span)} (threshold {disable_delete})"
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


def quarantined(snapshot: pd.DataFrame) -> pd.DataFrame:
    """Jobs whose latest snapshot (`health.latest_snapshot`) is quarantined."""
    held = snapshot[(snapshot["status_code"].str.lower() == "quarantine").fillna(False)]
    if held.empty:
        return empty(ALERT_COLUMNS, ALERT_DTYPES)
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
