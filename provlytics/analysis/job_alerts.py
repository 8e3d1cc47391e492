"""`alerts`: the alerts on synchronization jobs over consecutive windows ending at `now`
(the rows of each kind: `alert_kinds`; windows kept inside the frames' scope: `alert_scope`)."""

from __future__ import annotations

import logging
from datetime import datetime

import pandas as pd

from provlytics.analysis.access import on_path, table
from provlytics.analysis.alert_kinds import (
    ALERT_COLUMNS,
    ALERT_DTYPES,
    quarantined,
    silent_jobs,
    span_text,
    window_alerts,
)
from provlytics.analysis.alert_scope import (
    cut_to_scope,
    narrowed_end,
    narrowed_span,
    unjudged_silence,
)
from provlytics.analysis.columns import empty
from provlytics.analysis.health import EVENT_NEEDS, latest_snapshot
from provlytics.timebounds import parse_duration, parse_time

logger = logging.getLogger(__name__)


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
    events = table(frames, "events", EVENT_NEEDS)
    end = _now(now, events, table(frames, "job_status"))
    if now is None and end is not None:  # narrowed by job: the end before narrowing
        end = narrowed_end(frames) or end
    if end is None:
        return empty(ALERT_COLUMNS, ALERT_DTYPES)
    events = events[(events["activity_time"] <= end).fillna(False)]
    scope_start, scope_end = narrowed_span(frames)
    unjudged = unjudged_silence(frames, end - span)
    if unjudged:
        logger.info(
            "silentJob not judged in the %s before %s UTC: %s; events before the "
            "scope's start are not in the frames",
            span_text(span),
            f"{end:%Y-%m-%d %H:%M}",
            unjudged,
        )
    snapshot = latest_snapshot(frames)  # read once for both kinds
    found = [
        silent_jobs(snapshot, events, end, span, scope_start) if not unjudged else None,
        *window_alerts(events, end, span, failure_rate, disable_delete, min_events),
        quarantined(snapshot),
    ]
    found = [f for f in found if f is not None and not f.empty]
    if not found:
        return empty(ALERT_COLUMNS, ALERT_DTYPES)
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
