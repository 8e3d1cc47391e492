"""Charts of the analysis helpers' results, one function per chart.

Each function takes the DataFrame a `provlytics.analysis` helper returns (columns as in its
docstring), draws on `ax` (or on a new `matplotlib.figure.Figure`, so no pyplot state is touched)
and returns the Axes; none calls `show()`. Time axes are in UTC and say so. An empty input gives an
Axes with a "no data" note instead of an error.

    import provlytics as pv
    ax = pv.plots.top_errors(pv.analysis.failure_summary(frames))
    ax.figure.savefig("top-errors.png")
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from provlytics.errors import ConfigError
from provlytics.frames_arg import TAKES, frames_of
from provlytics.plots_funnel import step_funnel
from provlytics.plots_parts import (
    NONE_LABEL,
    OTHER_LABEL,
    STATUS_COLORS,
    axes_or_new,
    job_labels,
    kind,
    legend_below,
    no_data,
    require,
    set_title,
    short,
    time_axis,
    utc_naive,
    wrapped,
)
from provlytics.schema import SCHEMAS

logger = logging.getLogger(__name__)

__all__ = [
    "cycle_failure_rate",
    "durations",
    "failures_over_time",
    "recovery_times",
    "step_funnel",
    "success_rate",
    "top_errors",
]

_ERROR_COLUMNS = frozenset([*SCHEMAS["errors"].names, "status"])  # failure_summary's keys
_SUMMARY_METRICS = frozenset(
    {
        "events",
        "identities",
        "share",
        "first_seen",
        "last_seen",
        "recommended_action",
        "example_reason",
    }
)
_CODE_COUNTS = frozenset({"failures", "warnings"})  # error_codes' columns
_TOP_TITLES = {
    ("failure",): "Top errors",
    ("warning",): "Top warnings",
    ("failure", "warning"): "Top failures and warnings",
}


def failures_over_time(
    timeline_df: pd.DataFrame, ax: Axes | None = None, *, top: int = 8, title: str | None = None
) -> Axes:
    """Stacked bars of events per time bin, one colour per value of the `by` column.

    Args:
        timeline_df: `analysis.timeline(...)` result: `time` (bin start, UTC), optionally one
            grouping column (e.g. `error_code`), `events`.
        ax: Axes to draw on; a new figure when None.
        top: The `top` largest groups get their own colour, the rest are stacked as "(other)".
        title: Defaults to "Failures over time by <by>".

    Returns:
        The Axes: one bar container per group (legend entries are the group values).

    Raises:
        ConfigError: not a DataFrame, or a required column is missing (named, with the
            helper whose result the chart takes).
    """
    require(timeline_df, ("time", "events"), "failures_over_time", "pv.analysis.timeline")
    by = next((c for c in timeline_df.columns if c not in ("time", "events")), None)
    label = by.replace("_", " ") if by else None
    own_figure = ax is None
    ax = axes_or_new(ax, width=9.0, height=4.5)
    set_title(ax, title or (f"Failures over time by {label}" if label else "Failures over time"))
    if timeline_df.empty:
        return no_data(ax)
    table = _stack_table(timeline_df, by, top)
    x = mdates.date2num(utc_naive(table.index))
    width = _bin_width(x)
    bottom = np.zeros(len(table))
    for group in table.columns:
        heights = table[group].to_numpy(dtype=float)
        ax.bar(x, heights, width=width, bottom=bottom, label=short(str(group)), align="edge")
        bottom += heights
    time_axis(ax, "Time (UTC)")
    ax.set_ylabel("Events")
    if by:
        legend_below(ax, title=label, fit_figure=own_figure)
    return ax


def top_errors(
    summary_df: pd.DataFrame, n: int = 10, ax: Axes | None = None, *, title: str | None = None
) -> Axes:
    """Horizontal bars of the `n` largest rows of a failure summary, largest at the top.

    Bars say what they count, in the status colours (failure red, warning amber):
    - `analysis.error_codes(...)` (columns `failures`, `warnings`): each code's failed and
      warned events stacked, in its order (most failures first);
    - `analysis.failure_summary(..., status="both")` (a `status` column): each row in the
      colour of its status;
    - another `failure_summary` result: the status it counted (its `attrs["status"]`,
      failure when absent).

    Args:
        summary_df: `analysis.failure_summary(...)` or `analysis.error_codes(...)` result;
            each row is labelled with its key columns (e.g. `error_code`, or
            `code / target / action`), bar length is `events`.
        n: How many rows to show (the summary is already in its order).
        ax: Axes to draw on; a new figure when None.
        title: Defaults to "Top errors" (failures only), "Top warnings" (warnings only) or
            "Top failures and warnings" (both).

    Raises:
        ConfigError: not a DataFrame, no `events` column, or a `time` column (a `timeline`
            result, for `failures_over_time`).
    """
    source = "pv.analysis.failure_summary (or error_codes)"
    require(summary_df, ("events",), "top_errors", source)
    if "time" in summary_df.columns:  # events per time bin: a timeline, not a ranking
        raise ConfigError(
            f"top_errors takes {source}'s result, one row per group; got a DataFrame with a "
            "time column (events per time bin: plot pv.analysis.timeline's result with "
            "pv.plots.failures_over_time)"
        )
    keys = [c for c in summary_df.columns if c not in _SUMMARY_METRICS | _CODE_COUNTS]
    others = [c for c in keys if c not in _ERROR_COLUMNS]
    if others:  # not groups of errors: cycles, a step funnel, job health ...
        raise ConfigError(
            f"top_errors takes {source}'s result, groups of `errors` columns; got a DataFrame "
            f"with {', '.join(map(str, others))}, which no such result has"
        )
    rows = summary_df.head(n)
    stacks = _status_stacks(rows, summary_df.attrs.get("status"))
    shown = [status for status, counts in stacks.items() if counts.sum() > 0]
    labels = [_row_label(row, keys) for row in rows[keys].itertuples(index=False)]
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    ax = axes_or_new(ax, width=9.0, height=1.2 + (0.2 + 0.15 * lines) * max(len(rows), 3))
    set_title(ax, title or _TOP_TITLES.get(tuple(shown), "Top errors"))
    if rows.empty:
        return no_data(ax)
    y = np.arange(len(rows))
    left = np.zeros(len(rows))
    for status, counts in stacks.items():
        bars = ax.barh(y, counts, left=left, color=STATUS_COLORS[status], label=status)
        left += counts
    totals = rows["events"].to_numpy(dtype=float)
    ax.bar_label(bars, labels=[f"{int(v):,}" for v in totals], padding=3, fontsize="small")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("Events")
    ax.set_ylabel(wrapped([k.replace("_", " ") for k in keys]) if keys else "")
    ax.set_xlim(0, max(totals.max(), 1) * 1.15)  # room for the largest bar's number
    if len(shown) > 1:
        ax.legend(fontsize="small", loc="lower right")
    return ax


def _status_stacks(rows: pd.DataFrame, counted: object) -> dict[str, np.ndarray]:
    """Events of each row by status (failure, warning), from what the summary says it counts:
    `failures`/`warnings` columns, a `status` column, else `counted` (attrs["status"])."""
    events = rows["events"].to_numpy(dtype=float)
    if set(rows.columns) >= _CODE_COUNTS:
        return {
            "failure": rows["failures"].to_numpy(dtype=float),
            "warning": rows["warnings"].to_numpy(dtype=float),
        }
    if "status" in rows.columns:
        status = rows["status"].astype(object).to_numpy()
        return {s: np.where(status == s, events, 0.0) for s in ("failure", "warning")}
    if counted == "warning":
        return {"failure": np.zeros(len(rows)), "warning": events}
    return {"failure": events, "warning": np.zeros(len(rows))}


def durations(
    frames_or_events_df: object,
    ax: Axes | None = None,
    *,
    bins: int = 30,
    title: str | None = None,
) -> Axes:
    """Histogram of event durations (`duration_ms`, milliseconds), with the median marked.

    Args:
        frames_or_events_df: a `ProvisioningFrames` (its `events` are used), the path of a
            store or snapshot folder (read with `pv.read_parquet`, as the analysis helpers
            take it), or a DataFrame with a `duration_ms` column (`events`, or
            `analysis.slowest(...)`).
        ax: Axes to draw on; a new figure when None.
        bins: Number of histogram bins.
        title: Defaults to "Event durations".

    Raises:
        ConfigError: neither frames, a path nor a DataFrame, or there is no `duration_ms`
            column.
        InputError: a path that is not a dataset folder.
    """
    events = frames_or_events_df
    if isinstance(events, str | os.PathLike):
        events = frames_of(events, who="durations").events
    if not isinstance(events, pd.DataFrame):
        events = getattr(frames_or_events_df, "events", None)
    if not isinstance(events, pd.DataFrame):
        raise ConfigError(
            f"durations takes {TAKES}, or a DataFrame of events (frames.events or "
            f"pv.analysis.slowest's result); got {kind(frames_or_events_df)}"
        )
    require(events, ("duration_ms",), "durations", "frames.events or pv.analysis.slowest")
    values = pd.to_numeric(events["duration_ms"], errors="coerce").dropna().to_numpy(dtype=float)
    ax = axes_or_new(ax, width=8.0, height=3.5)
    set_title(ax, title or "Event durations")
    if values.size == 0:
        return no_data(ax)
    ax.hist(values, bins=bins, color="#1565c0")
    median = float(np.median(values))
    ax.axvline(median, color="black", linestyle="--", label=f"median {median:,.0f} ms")
    ax.set_xlabel("Duration (ms)")
    ax.set_ylabel("Events")
    ax.legend(fontsize="small")
    return ax


def cycle_failure_rate(
    cycles_df: pd.DataFrame, ax: Axes | None = None, *, title: str | None = None
) -> Axes:
    """Failure rate of each cycle at its start time, one line per job.

    A job is labelled with its app and the template its id begins with, "Salesforce
    (salesforce)"; two jobs of the same label also get the start of their own id, "Workday
    to Active Directory User Provisioning (Workday2AD, cd73de00)"; without an app name, the
    template alone. The legend is in the order of the labels.

    Args:
        cycles_df: `analysis.cycles(...)` result: `job_id`, `start` (UTC), `failure_rate`
            (0..1), and `service_principal_name` (the app) when present.
        ax: Axes to draw on; a new figure when None.
        title: Defaults to "Failure rate per cycle".

    Raises:
        ConfigError: not a DataFrame, or a required column is missing (named, with the
            helper whose result the chart takes).
    """
    require(
        cycles_df, ("job_id", "start", "failure_rate"), "cycle_failure_rate", "pv.analysis.cycles"
    )
    own_figure = ax is None
    ax = axes_or_new(ax, width=9.0, height=4.5)
    set_title(ax, title or "Failure rate per cycle")
    data = cycles_df.dropna(subset=["start"])
    if data.empty:
        return no_data(ax)
    data = data.sort_values("start")
    jobs = data["job_id"].astype(object).where(data["job_id"].notna(), NONE_LABEL).astype(str)
    labels = job_labels(jobs, data.get("service_principal_name"))
    for label, rows in data.groupby(jobs.map(labels), sort=True):
        x = mdates.date2num(utc_naive(rows["start"]))
        rates = pd.to_numeric(rows["failure_rate"], errors="coerce").to_numpy(dtype=float)
        ax.plot(x, rates, marker="o", markersize=4, linestyle="none", label=label)
    time_axis(ax, "Cycle start (UTC)")
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_ylabel("Failed events (excl. skips)")
    legend_below(ax, title="job", fit_figure=own_figure)
    return ax


def recovery_times(
    recovery_df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    bins: int = 20,
    title: str | None = None,
) -> Axes:
    """Histogram of the time objects took to recover from their first failure, in hours.

    Every row (an object that failed) is in one group of the legend, titled with their
    number, so the groups add up: recovered and not failing now (green bars); recovered but
    failing again (its latest event failed: red bars stacked on them); not recovered and
    still failing; not recovered but not failing either (its latest event a skip or a
    warning, no success since its first failure). The last two have no recovery time.

    Args:
        recovery_df: `analysis.recovery(...)` result: `time_to_recovery` (Timedelta, NaT when
            not recovered), `still_failing` (bool: the latest event failed).
        ax: Axes to draw on; a new figure when None.
        bins: Number of histogram bins.
        title: Defaults to "Time to recovery".

    Raises:
        ConfigError: not a DataFrame, or a required column is missing (named, with the
            helper whose result the chart takes).
    """
    require(
        recovery_df,
        ("time_to_recovery", "still_failing"),
        "recovery_times",
        "pv.analysis.recovery",
    )
    ax = axes_or_new(ax, width=8.0, height=3.5)
    set_title(ax, title or "Time to recovery")
    if recovery_df.empty:
        return no_data(ax)
    hours = pd.to_timedelta(recovery_df["time_to_recovery"]).dt.total_seconds() / 3600
    recovered = hours.notna().to_numpy(bool)
    failing = recovery_df["still_failing"].fillna(False).astype(bool).to_numpy(bool)
    groups = [
        (recovered & ~failing, "recovered, not failing now", STATUS_COLORS["success"]),
        (recovered & failing, "recovered, failing again", STATUS_COLORS["failure"]),
    ]
    values = [hours[mask].to_numpy(dtype=float) for mask, _, _ in groups]
    labels = [f"{int(mask.sum()):,} {text}" for mask, text, _ in groups]
    if recovered.any():
        ax.hist(values, bins=bins, stacked=True, color=[c for *_, c in groups], label=labels)
    else:
        ax.text(0.5, 0.5, "no object recovered", transform=ax.transAxes, ha="center")
    for mask, text in (
        (~recovered & failing, "not recovered, still failing"),
        (~recovered & ~failing, "not recovered, latest event skipped or warned"),
    ):
        ax.plot([], [], " ", label=f"{int(mask.sum()):,} {text}")
    ax.set_xlabel("Hours from first failure to next success")
    ax.set_ylabel("Objects")
    ax.legend(fontsize="small", title=f"{len(recovery_df):,} objects that failed")
    return ax


def success_rate(
    success_rate_df: pd.DataFrame, ax: Axes | None = None, *, title: str | None = None
) -> Axes:
    """Success rate per time bin (success / (success + failure + warning); skips apart).

    Args:
        success_rate_df: `analysis.success_rate(...)` result: `time` (UTC), `success_rate`
            (0..1, NaN when no event counted).
        ax: Axes to draw on; a new figure when None.
        title: Defaults to "Success rate".

    Raises:
        ConfigError: not a DataFrame, or a required column is missing (named, with the
            helper whose result the chart takes).
    """
    require(success_rate_df, ("time", "success_rate"), "success_rate", "pv.analysis.success_rate")
    ax = axes_or_new(ax, width=9.0, height=3.5)
    set_title(ax, title or "Success rate")
    if success_rate_df.empty:
        return no_data(ax)
    data = success_rate_df.sort_values("time")
    x = mdates.date2num(utc_naive(data["time"]))
    rates = pd.to_numeric(data["success_rate"], errors="coerce").to_numpy(dtype=float)
    ax.plot(x, rates, marker="o", color=STATUS_COLORS["success"], label="success rate")
    time_axis(ax, "Time (UTC)")
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_ylabel("Succeeded (excl. skips)")
    return ax


def _stack_table(timeline_df: pd.DataFrame, by: str | None, top: int) -> pd.DataFrame:
    """time x group table of events; groups beyond the `top` largest are summed as "(other)"."""
    data = timeline_df.assign(events=pd.to_numeric(timeline_df["events"]).astype(float))
    if by is None:
        return data.groupby("time")[["events"]].sum()
    data[by] = data[by].astype(object).where(data[by].notna(), NONE_LABEL).astype(str)
    table = data.pivot_table(index="time", columns=by, values="events", aggfunc="sum")
    table = table.fillna(0.0)
    order = table.sum().sort_values(ascending=False, kind="stable").index
    table = table[order]
    if len(order) > top:
        kept = table.iloc[:, : top - 1]
        kept[OTHER_LABEL] = table.iloc[:, top - 1 :].sum(axis=1)
        table = kept
    return table


def _bin_width(x: np.ndarray) -> float:
    """Width of one bin in days: the smallest gap between bin starts (1 hour for one bin)."""
    gaps = np.diff(np.unique(x))
    return float(gaps.min()) if gaps.size else 1 / 24


def _row_label(values: tuple, keys: Sequence[str]) -> str:
    parts = [NONE_LABEL if pd.isna(v) else str(v) for v in values]
    return wrapped(parts) if keys else ""
