"""What happens: step funnel, skip reasons, timelines, success rate, slow events, app x
action and objects by type (the workbooks' overview tiles, computed as ratios and per scope).

Each takes frames or the path of a store or snapshot folder (`access.on_path`): on a path it
reads only the tables and columns it uses (e.g. `timeline`: `errors.status`, `activity_time`
and the `by` column, and `events.activity_time`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.dataset as ds

from provlytics.analysis.access import columns_of, on_path, table, time_span
from provlytics.analysis.arrays import flat, group_codes
from provlytics.analysis.columns import STR, check_columns, empty, largest_first, typed
from provlytics.analysis.selection import (
    IDENTITY_COLUMNS,
    STATUSES,
    STEP_ORDER,
    by_status,
    identity,
)
from provlytics.analysis.time_bins import bin_range, bins, frequency
from provlytics.errors import ConfigError

logger = logging.getLogger(__name__)

COUNTS = ("success", "skipped", "warning", "failure")
# skip reasons that mean "out of scope" or "nothing to do" (workbook-parity.md §4)
NOISE_SKIPS = frozenset(
    s.lower()
    for s in (
        "RedundantExport",
        "NotEffectivelyEntitled",
        "EntrySynchronizationSkipped",
        "ImportSkipped",
        "EntityTypeNotSupported",
    )
)
SKIP_COLUMNS = ("skip_reason", "events", "identities", "share", "noise", "first_seen", "last_seen")
RATE_COLUMNS = ("time", "success", "failure", "warning", "skipped", "events", "success_rate")
SLOWEST_COLUMNS = (
    "event_id",
    "activity_time",
    "duration_ms",
    "action",
    "status",
    "error_code",
    "reportable_identifier",
    "source_name",
    "target_system_name",
    "job_id",
)
APP_COLUMNS = ("service_principal_name", "action", "events", "success", "failure", "skipped",
               "warning")  # fmt: skip
TYPE_COLUMNS = ("source_type", "objects", "events")
_WORST = {"success": 0, "skipped": 1, "warning": 2, "failure": 3}


@on_path
def step_funnel(frames: Any, by: str | Sequence[str] | None = "job_id") -> pd.DataFrame:
    """Per step type, how many events pass, skip, warn or fail there.

    An event counts once per step type: with the worst status of its steps of that type
    (failure > warning > skipped > success; steps without a status are left out of the
    four counts but not of `events`).

    Args:
        frames: `ProvisioningFrames` (schema version 2), or a store or snapshot path (then
            only `events.event_id` and `by`, and `steps.event_id, step_type, status` are read).
        by: an `events` column, or a list of them, to split by (default `job_id`), or None.

    Returns:
        Columns: *by, `step_type` (import, scoping, matching, processing,
        referenceResolution, export, then other types alphabetically), `events`,
        `success`, `skipped`, `warning`, `failure` (int).

    Raises:
        ConfigError: a `by` column that `events` lacks (naming the closest ones).

    Example:
        >>> pv.analysis.step_funnel(frames, by=None)
    """
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    columns = [*keys, "step_type", "events", *COUNTS]
    check_columns(columns_of(frames, "events"), keys, "step_funnel(by=...)")
    events = table(frames, "events", ("event_id",), reads=["event_id", *keys], ordered=False)
    steps = table(frames, "steps", ("event_id", "step_type", "status"), ordered=False)
    if steps.empty:
        return empty(columns)
    event_at, type_codes, types, rank = _worst_per_event_and_type(events, steps)
    group, firsts = _groups(events, keys)
    group = group[event_at]
    cell = group * len(types) + type_codes
    size = len(firsts) * len(types)
    counts = {"events": np.bincount(cell, minlength=size)}
    for status, value in _WORST.items():
        counts[status] = np.bincount(cell[rank == value], minlength=size)
    present = counts["events"] > 0
    cells = np.flatnonzero(present)
    funnel = pd.DataFrame({c: v[present] for c, v in counts.items()})
    funnel["step_type"] = pd.array([types[i] for i in cells % len(types)], dtype=STR)
    for key in keys:
        funnel[key] = events[key].take(firsts[cells // len(types)]).array
    order = {t: i for i, t in enumerate(STEP_ORDER)}
    funnel["_order"] = funnel["step_type"].astype(object).map(order).fillna(len(order))
    funnel = funnel.sort_values([*keys, "_order", "step_type"], na_position="last", kind="stable")
    return typed(funnel, columns)


def _worst_per_event_and_type(
    events: pd.DataFrame, steps: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, list, np.ndarray]:
    """Per (event, step type) present: the event's row in `events`, the type's code, the
    types (code -> name, null included), and the worst status of those steps as a `_WORST`
    value (-1: none has a status). Steps of events not in `events` are left out. Done on
    integer codes (Arrow hash lookups): grouping strings is what costs at a million events."""
    where = pc.index_in(flat(steps["event_id"]), value_set=flat(events["event_id"]))
    event_at = pc.fill_null(where, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    type_codes, types = _codes(steps["step_type"])
    status_codes, statuses = _codes(steps["status"])
    lookup = np.array([_WORST.get(s, -1) if isinstance(s, str) else -1 for s in statuses])
    rank = lookup[status_codes]
    kept = event_at >= 0
    key = event_at[kept] * len(types) + type_codes[kept]
    worst = pd.Series(rank[kept]).groupby(key).max()
    cells = worst.index.to_numpy()
    return cells // len(types), cells % len(types), types, worst.to_numpy()


def _groups(events: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The group of each event by `keys` (null is a value; `arrays.group_codes`) and the
    first event of each group (one group, at 0, without keys)."""
    if not keys:
        return np.zeros(len(events), np.int64), np.zeros(1, np.int64)
    return group_codes(*(events[key] for key in keys))


def _codes(values: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes of `values` and the distinct values (code -> value; null is one)."""
    encoded = flat(values).dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    codes = pc.fill_null(encoded.indices, len(distinct)).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64), [*distinct, None]


@on_path
def skip_reasons(frames: Any) -> pd.DataFrame:
    """Skipped events by skip reason, with the out-of-scope / no-op ones marked as noise.

    Returns:
        Columns: `skip_reason` (null: skipped without a reason), `events`, `identities`
        (int), `share` (events / all events in `frames`), `noise` (True for
        RedundantExport, NotEffectivelyEntitled, EntrySynchronizationSkipped, ImportSkipped
        and EntityTypeNotSupported, compared case-insensitively), `first_seen`,
        `last_seen`; largest first. No Microsoft view separates these (workbook-parity §6).

    Example:
        >>> skips = pv.analysis.skip_reasons(frames)
        >>> skips.loc[~skips["noise"], ["skip_reason", "events"]]
    """
    reads = ("event_id", "status", "skip_reason", "activity_time", *IDENTITY_COLUMNS)
    events = table(frames, "events", reads[1:4], reads=reads, ordered=False)
    skipped = events[(events["status"] == "skipped").fillna(False).to_numpy(bool)]
    if skipped.empty:
        return empty(SKIP_COLUMNS)
    skipped = skipped.assign(_who=identity(skipped))
    grouped = skipped.groupby("skip_reason", dropna=False, observed=True)
    out = grouped.agg(
        events=("event_id", "size"),
        identities=("_who", "nunique"),
        first_seen=("activity_time", "min"),
        last_seen=("activity_time", "max"),
    ).reset_index()
    out["share"] = out["events"] / len(events)
    reasons = out["skip_reason"].astype(object)
    out["noise"] = reasons.map(lambda r: isinstance(r, str) and r.lower() in NOISE_SKIPS)
    return typed(largest_first(out, ["skip_reason"]), SKIP_COLUMNS)


@on_path
def timeline(
    frames: Any, freq: str = "1h", by: str | None = "error_code", status: str = "failure"
) -> pd.DataFrame:
    """Failed (or warned) events per time bin, split by a column, in long form.

    Args:
        frames: `ProvisioningFrames` (schema version 2), or a store or snapshot path (then
            only `errors.status, activity_time` and `by` are read, and `events.activity_time`
            is scanned batch by batch for its first and last time).
        freq: bin width, a pandas frequency ("1h", "15min", "1d").
        by: an `errors` column to split by (default `error_code`), or None.
        status: "failure" (default), "warning" or "both".

    Returns:
        Columns: `time` (bin start, UTC), [by], `events` (int). Every bin from the first
        to the last event in `frames` (all statuses) is present for every `by` value, with
        zeros filled; in time order.

    Raises:
        ConfigError: a bad `freq`, `status` or `by`, or more than 100,000 bins.

    Example:
        >>> pv.analysis.timeline(frames, freq="1d", by="target_system_name")
    """
    frequency(freq)  # checked first: a bad one fails on empty frames too
    keys = [] if by is None else [by]
    columns = ["time", *keys, "events"]
    check_columns(columns_of(frames, "errors"), keys, "timeline(by=...)")
    reads = ["status", "activity_time", *keys]
    errors = table(frames, "errors", ("status", "activity_time"), reads=reads, ordered=False)
    rows = by_status(errors, status)
    first, last = time_span(frames, "events")  # the bins span every event and error
    logged = errors["activity_time"].dropna()
    if len(logged):
        first = logged.min() if first is None else min(first, logged.min())
        last = logged.max() if last is None else max(last, logged.max())
    if rows.empty or first is None:
        return empty(columns)
    when = bins(rows["activity_time"], freq).rename("time")
    counts = rows.groupby([when, *[rows[k] for k in keys]], dropna=False).size()
    every = bin_range(first, last, freq)
    if keys:
        values = counts.index.get_level_values(1).unique()
        index = pd.MultiIndex.from_product([every, values], names=["time", by])
    else:
        index = every
    out = counts.reindex(index, fill_value=0).rename("events").reset_index()
    out = out.sort_values(["time", *keys], na_position="last", kind="stable")
    return typed(out, columns)


@on_path
def success_rate(frames: Any, freq: str = "1d") -> pd.DataFrame:
    """Events per status per time bin, and the success rate as a ratio with skips apart.

    Returns:
        Columns: `time` (bin start, UTC), `success`, `failure`, `warning`, `skipped`,
        `events` (int; all events of the bin, whatever their status), `success_rate`
        (success / (success + failure + warning), NaN when that is 0). Every bin from the
        first to the last event, zeros filled. Unlike the workbooks' pie of statuses,
        out-of-scope and no-op skips do not dilute the rate.

    Raises:
        ConfigError: a bad `freq`, or more than 100,000 bins.

    Example:
        >>> pv.analysis.success_rate(frames, freq="1d")[["time", "success_rate"]]
    """
    frequency(freq)  # checked first: a bad one fails on empty frames too
    events = table(frames, "events", ("status", "activity_time"), ordered=False)
    events = events[events["activity_time"].notna().to_numpy(bool)]
    if events.empty:
        return empty(RATE_COLUMNS)
    when = bins(events["activity_time"], freq).rename("time")
    counts = pd.crosstab(when, events["status"].astype(object).fillna("(none)"))
    every = bin_range(when.min(), when.max(), freq)
    counts = counts.reindex(every, fill_value=0)
    out = pd.DataFrame(index=every)
    for status in STATUSES:
        out[status] = counts.get(status, 0)
    out["events"] = counts.sum(axis=1)
    judged = out["success"] + out["failure"] + out["warning"]
    out["success_rate"] = out["success"] / judged.where(judged > 0, np.nan)
    return typed(out.reset_index(), RATE_COLUMNS)


@on_path
def slowest(frames: Any, n: int = 20) -> pd.DataFrame:
    """The `n` events that took longest (`duration_ms`), longest first.

    Returns:
        Columns: `event_id, activity_time, duration_ms, action, status, error_code,
        reportable_identifier, source_name, target_system_name, job_id`; events without a
        duration are left out.

    Raises:
        ConfigError: `n` not an int >= 0 (0 gives no row).

    Example:
        >>> pv.analysis.slowest(frames, n=5)
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ConfigError(
            f"slowest(n=...): got {n!r} ({type(n).__name__}); takes a whole number >= 0, "
            "the number of events to show, e.g. n=20"
        )
    where = ds.field("duration_ms").is_valid()
    events = table(frames, "events", SLOWEST_COLUMNS, where=where, ordered=False)
    timed = events[events["duration_ms"].notna().to_numpy(bool)]
    if timed.empty or n <= 0:
        return empty(SLOWEST_COLUMNS)
    top = timed.nlargest(n, "duration_ms", keep="all")  # then order the few kept rows
    top = top.sort_values(["duration_ms", "activity_time", "event_id"],
                          ascending=[False, True, True], kind="stable").head(n)  # fmt: skip
    return typed(top, SLOWEST_COLUMNS)


@on_path
def activity_by_app(frames: Any) -> pd.DataFrame:
    """Events per app (service principal) and action, split by status (workbook view
    "Provisioning activity by app", with the status split).

    Returns:
        Columns: `service_principal_name, action, events, success, failure, skipped,
        warning` (int); largest first.

    Example:
        >>> pv.analysis.activity_by_app(frames)
    """
    keys = ["service_principal_name", "action"]
    events = table(frames, "events", (*keys, "status"), ordered=False)
    if events.empty:
        return empty(APP_COLUMNS)
    status = events["status"].astype(object)
    flags = {s: (status == s).astype("int64") for s in COUNTS}
    data = pd.DataFrame({k: events[k] for k in keys}).assign(events=1, **flags)
    out = data.groupby(keys, dropna=False, observed=True).sum().reset_index()
    return typed(largest_first(out, keys), APP_COLUMNS)


@on_path
def objects_by_type(frames: Any) -> pd.DataFrame:
    """Distinct objects per identity type (workbook tiles "Objects by type").

    Returns:
        Columns: `source_type` (lower-cased: the workbooks disagree on `User`/`user`),
        `objects` (distinct identities: `source_id`, else `reportable_identifier`, else
        `target_id`), `events` (int); most objects first.

    Example:
        >>> pv.analysis.objects_by_type(frames)
    """
    reads = ("source_type", *IDENTITY_COLUMNS)
    events = table(frames, "events", ("source_type", "source_id"), reads=reads, ordered=False)
    if events.empty:
        return empty(TYPE_COLUMNS)
    data = pd.DataFrame(
        {"source_type": events["source_type"].str.lower(), "_who": identity(events)}
    )
    out = data.groupby("source_type", dropna=False, observed=True).agg(
        objects=("_who", "nunique"), events=("_who", "size")
    )
    return typed(largest_first(out.reset_index(), ["source_type"], "objects"), TYPE_COLUMNS)
