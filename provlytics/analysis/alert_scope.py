"""Alert windows kept inside the scope the frames were narrowed to.

`alerts` computes its windows from the events in scope, but a `quarantined` alert runs to the
job_status snapshot that says so, and job snapshots are kept whole by `filter_frames` (only
`job_id` narrows them): a report narrowed with `--until` could show a quarantine window ending
after it. Likewise the oldest of the consecutive windows can begin before `since`. Here each
window is cut to the scope (`frames.narrowed`: the latest `since_utc` and the earliest
`until_utc` of its steps), and a cut window says so in its message; an alert whose window lies
wholly outside the scope is dropped. `silentJob` windows are not cut: silence is judged
only on a window wholly inside the scope (`unjudged_silence`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

MINUTES = "%Y-%m-%d %H:%M"


def narrowed_span(frames: Any) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """(start, end) of the time scope `frames` were narrowed to (`frames.narrowed`, written by
    `analysis.filter_frames` and `read_parquet(since=, until=)`; None where not narrowed,
    or for a step whose time is not recorded: an older snapshot's manifest)."""
    steps = getattr(frames, "narrowed", None) or []
    starts = [pd.Timestamp(s["since_utc"]) for s in steps if s.get("since_utc")]
    ends = [pd.Timestamp(s["until_utc"]) for s in steps if s.get("until_utc")]
    return (max(starts) if starts else None), (min(ends) if ends else None)


def narrowed_end(frames: Any) -> pd.Timestamp | None:
    """The end `alerts` judges `frames` at when no `now` is given, if they were narrowed by
    job, target system or app (`frames.narrowed` steps with `newest_utc`): the newest event
    of the frames before the first such narrowing, or the scope's `until` when earlier. So a
    job narrowed to alone is silent exactly when it is silent among all jobs (its own last
    event would otherwise end the windows). None when no step recorded `newest_utc`."""
    steps = getattr(frames, "narrowed", None) or []
    newest = next((pd.Timestamp(s["newest_utc"]) for s in steps if s.get("newest_utc")), None)
    if newest is None:
        return None
    until = narrowed_span(frames)[1]
    return newest if until is None else min(newest, until)


def unjudged_silence(frames: Any, window_start: pd.Timestamp) -> str | None:
    """Why a job's silence in the window beginning at `window_start` cannot be judged on
    `frames`, or None when it can: the frames were narrowed by a `since` that is later than
    `window_start` (the events before it are not in them), or by a `since` whose time was
    not recorded (a step in the manifest of a snapshot an older provlytics wrote)."""
    steps = getattr(frames, "narrowed", None) or []
    if any(s.get("since") and not s.get("since_utc") for s in steps):
        since = next(s["since"] for s in steps if s.get("since") and not s.get("since_utc"))
        return f"the scope begins at since={since}, a time not recorded"
    start = narrowed_span(frames)[0]
    if start is not None and window_start < start:
        return (
            f"the window begins {window_start:{MINUTES}} UTC, before the scope's start "
            f"{start:{MINUTES}} UTC"
        )
    return None


def cut_to_scope(
    alerts: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> pd.DataFrame:
    """`alerts` (`analysis.alerts`' columns) with every window cut to `[start, end]`.

    A window that ran past `end` ends at `end` and one that began before `start` begins at
    it; its message adds "window cut to the narrowed scope: it ran to ... UTC, after its
    end ... UTC" (or "began ..., before its start ..."). A `quarantined` alert's value, the
    hours in quarantine, is then counted to `end`. Alerts whose window ends before `start`
    or begins at or after `end` are dropped. Rows keep their order.
    """
    if alerts.empty or (start is None and end is None):
        return alerts
    out = alerts
    if end is not None:
        out = out[~(out["window_start"] >= end).fillna(False).to_numpy(bool)]
    if start is not None:
        out = out[~(out["window_end"] < start).fillna(False).to_numpy(bool)]
    out = out.copy()
    if end is not None:
        late = (out["window_end"] > end).fillna(False).to_numpy(bool)
        quarantined = late & (out["kind"] == "quarantined").to_numpy(bool)
        held = end - out.loc[quarantined, "window_start"]
        out.loc[quarantined, "value"] = held / pd.Timedelta(hours=1)
        out.loc[late, "message"] = [
            f"{text}; window cut to the narrowed scope: it ran to {ran:{MINUTES}} UTC, "
            f"after its end {end:{MINUTES}} UTC"
            for text, ran in zip(out.loc[late, "message"], out.loc[late, "window_end"], strict=True)
        ]
        out.loc[late, "window_end"] = end
    if start is not None:
        early = (out["window_start"] < start).fillna(False).to_numpy(bool)
        out.loc[early, "message"] = [
            f"{text}; window cut to the narrowed scope: it began {began:{MINUTES}} UTC, "
            f"before its start {start:{MINUTES}} UTC"
            for text, began in zip(
                out.loc[early, "message"], out.loc[early, "window_start"], strict=True
            )
        ]
        out.loc[early, "window_start"] = start
    return out.reset_index(drop=True)
