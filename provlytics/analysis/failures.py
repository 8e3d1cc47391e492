"""What fails: counts by code, one code's events, the code list, and which step fails.

All read the `errors` table (one row per failed or warned event, schema version 2), so no
merge with `events` is needed; `share` compares with all events in the frames.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.dataset as ds

from provlytics.analysis.access import on_path, resolve, table
from provlytics.analysis.arrays import flat, isin
from provlytics.analysis.change_text import change_summary
from provlytics.analysis.columns import INT, check_columns, empty, largest_first, typed
from provlytics.analysis.notices import warn_absent
from provlytics.analysis.selection import by_status, code_family, identity, statuses
from provlytics.errors import ConfigError

logger = logging.getLogger(__name__)

SUMMARY_BY = ("error_code", "error_category", "target_system_name", "action")
SUMMARY_VALUES = (
    "events",
    "identities",
    "share",
    "first_seen",
    "last_seen",
    "recommended_action",
    "example_reason",
)
DRILLDOWN_COLUMNS = (
    "event_id",
    "activity_time",
    "status",
    "error_code",
    "action",
    "job_id",
    "cycle_id",
    "service_principal_name",
    "target_system_name",
    "source_id",
    "source_name",
    "target_id",
    "target_name",
    "reportable_identifier",
    "failed_step_name",
    "failed_step_type",
    "error_reason",
    "recommended_action",
    "changes",
)
ERROR_CODE_COLUMNS = ("error_code", "events", "failures", "warnings")
FAILED_STEP_COLUMNS = ("error_code", "failed_step_type", "failed_step_name", "events", "share")
_COUNTS = {"failures": INT, "warnings": INT}  # error_codes' columns not in DTYPES
_ERROR_READS = DRILLDOWN_COLUMNS[:-1]  # errors columns drilldown reads (not `changes`)


def failure_summary(
    frames: Any, by: str | Sequence[str] = SUMMARY_BY, status: str = "failure"
) -> pd.DataFrame:
    """Failed (or warned) events counted by error code, category, target system and action.

    Args:
        frames: `ProvisioningFrames` (schema version 2), or the path of a store or snapshot
            folder: then DuckDB computes the summary over its files out of core, in bounded
            memory (`failures_sql`), with the same result.
        by: an `errors` column, or columns, to group by (nulls form their own group).
        status: "failure" (default), "warning" or "both".

    Returns:
        Columns: `status` (only when status="both"), *by, `events` (int), `identities`
        (distinct `source_id`, else `reportable_identifier`, else `target_id`), `share`
        (events / all events in `frames`, NaN when there are none), `first_seen`,
        `last_seen` (UTC), `recommended_action` and `example_reason` (those of the group's
        most recent event that has one); largest group first. This is the workbooks' "Top
        provisioning errors" (count and last seen per code) with identities and share.
        `attrs["status"]` keeps `status` (lower case), for `pv.plots.top_errors`.

    Raises:
        ConfigError: a `by` column that `errors` lacks, or a bad `status`.
        InputError: a path that holds no store or snapshot.

    Example:
        >>> summary = pv.analysis.failure_summary(frames, by=["error_code"])
        >>> big = pv.analysis.failure_summary("store/")  # out of core
        >>> summary[["error_code", "events", "identities", "last_seen"]].head()
    """
    by = [by] if isinstance(by, str) else list(by)
    columns = [*(["status"] if str(status).lower() == "both" else []), *by, *SUMMARY_VALUES]
    frames = resolve(frames, paths=False)
    if isinstance(frames, str | os.PathLike):
        from provlytics.analysis.failures_sql import failure_summary_at

        return _status_kept(failure_summary_at(frames, by, status, columns), status)
    errors = table(frames, "errors", ("status", "activity_time"))
    keys = (["status"] if str(status).lower() == "both" else []) + list(by)
    check_columns(errors, keys, "failure_summary(by=...)")
    rows = by_status(errors, status)
    if rows.empty:
        return _status_kept(empty(columns), status)
    rows = rows.sort_values("activity_time", kind="stable").assign(_who=identity(rows))
    grouped = rows.groupby(keys, dropna=False, sort=False, observed=True)
    summary = grouped.agg(
        events=("event_id", "size"),
        identities=("_who", "nunique"),
        first_seen=("activity_time", "min"),
        last_seen=("activity_time", "max"),
        recommended_action=("recommended_action", "last"),
        example_reason=("error_reason", "last"),
    ).reset_index()
    total = len(table(frames, "events"))
    summary["share"] = summary["events"] / total if total else float("nan")
    return _status_kept(typed(largest_first(summary, keys), columns), status)


def _status_kept(summary: pd.DataFrame, status: str) -> pd.DataFrame:
    """`summary` with the status it counts in `attrs["status"]` (failure, warning or both)."""
    summary.attrs["status"] = str(status).strip().lower()
    return summary


@on_path
def drilldown(frames: Any, error_code: str, status: str = "both") -> pd.DataFrame:
    """Every event of one error code family, with its failed step, identities and changes.

    Args:
        frames: `ProvisioningFrames` (schema version 2), or the path of a store or snapshot
            folder: then only the errors rows of the statuses and of codes ending with
            `error_code` are read (the filter pushed into the Parquet scan), and the
            modified properties of those events.
        error_code: a code, compared case-insensitively (surrounding spaces ignored);
            app-prefixed codes of the same family are included (`EntryConflict` also finds
            `BoxEntryConflict`).
        status: "both" (default), "failure" or "warning".

    Returns:
        Columns: `event_id, activity_time, status, error_code, action, job_id, cycle_id,
        service_principal_name, target_system_name, source_id, source_name, target_id,
        target_name, reportable_identifier, failed_step_name, failed_step_type,
        error_reason, recommended_action, changes` (`changes`: the event's modified
        properties on one line, `"displayName: 'a' -> 'b'; mail: null -> 'x'"`, null when
        none); in time order. A code not present gives an empty frame and a
        `UserWarning` naming the closest codes that are.

    Raises:
        ConfigError: `frames` neither frames nor a path (`access.resolve`), an
            `error_code` that is not text or is blank, or a bad `status`.

    Example:
        >>> rows = pv.analysis.drilldown(frames, "EntryConflict")
        >>> rows[["activity_time", "reportable_identifier", "error_reason"]]
    """
    if not isinstance(error_code, str) or not error_code.strip():
        raise ConfigError(
            f"drilldown(error_code=...): got {error_code!r} ({type(error_code).__name__}); "
            "takes an error code as text, e.g. 'EntryConflict'"
        )
    error_code = error_code.strip()
    # on a path, the scan keeps the statuses and the codes ending with the code (a superset
    # of the family, which code_family then picks exactly); no row order is needed: rows are
    # sorted by time and id below, properties by position within their event
    suffix = pc.ends_with(pc.utf8_lower(ds.field("error_code")), pattern=str(error_code).lower())
    where = ds.field("status").isin(statuses(status)) & suffix
    needs = ("status", "error_code")
    errors = table(frames, "errors", needs, reads=_ERROR_READS, where=where, ordered=False)
    rows = by_status(errors[code_family(errors["error_code"], error_code)], status)
    if rows.empty:
        codes = table(frames, "errors", ("error_code",), ordered=False)["error_code"]
        if not code_family(codes, error_code).any():
            warn_absent("error code", error_code, codes.dropna().unique())
        return empty(DRILLDOWN_COLUMNS)
    rows = rows.sort_values(["activity_time", "event_id"], kind="stable")
    ids = pc.unique(flat(rows["event_id"]))
    where = ds.field("event_id").isin(ids)
    properties = table(frames, "modified_properties", where=where, ordered=False)
    mine = properties[isin(properties["event_id"], rows["event_id"])]
    changes = change_summary(mine)
    rows = rows.assign(changes=rows["event_id"].map(changes).astype(changes.dtype))
    return typed(rows, DRILLDOWN_COLUMNS)


@on_path
def error_codes(frames: Any, status: str = "both") -> pd.DataFrame:
    """The error codes present, with their failed and warned event counts (for pickers and
    dropdowns).

    A code can mark failures and warnings both (`UnableToResolveReferenceAttributeValue` is
    often a warning): `failures` and `warnings` count them apart, `events` is their sum, and
    the codes that fail most come first, so a code only warned about is not ranked as an error.

    Args:
        frames: `ProvisioningFrames` (schema version 2), or a store or snapshot path (only
            `errors.status` and `error_code` of the statuses asked for are read).
        status: "both" (default), "failure" or "warning".

    Returns:
        Columns: `error_code`, `events` (int: failed and warned events of the statuses
        asked for), `failures`, `warnings` (int); most failures first, then most events,
        then by code; events without a code left out. `attrs["status"]` keeps `status`.

    Example:
        >>> pv.analysis.error_codes(frames)["error_code"].tolist()[:3]
    """
    where = ds.field("status").isin(statuses(status))
    errors = table(frames, "errors", ("status", "error_code"), where=where, ordered=False)
    rows = by_status(errors, status).dropna(subset=["error_code"])
    if rows.empty:
        return _status_kept(empty(ERROR_CODE_COLUMNS, _COUNTS), status)
    failed = (rows["status"] == "failure").fillna(False).to_numpy(np.int64)
    warned = (rows["status"] == "warning").fillna(False).to_numpy(np.int64)
    counts = (
        pd.DataFrame({"error_code": rows["error_code"].to_numpy(), "failures": failed})
        .assign(warnings=warned, events=1)
        .groupby("error_code", sort=False)
        .sum()
        .reset_index()
        .sort_values(
            ["failures", "events", "error_code"], ascending=[False, False, True], kind="stable"
        )
    )
    return _status_kept(typed(counts, ERROR_CODE_COLUMNS), status)


@on_path
def failed_steps(frames: Any, status: str = "failure") -> pd.DataFrame:
    """Failure-to-step attribution: which step type (and step) fails for which code.

    Counts failed events (status "failure"; "warning" or "both" to count warned events too)
    by the step their `errors` row names (the first step whose status is failure, else the
    last step). `frames` may be a store or snapshot path: then only the code and step
    columns of `errors` rows of those statuses are read.

    Returns:
        Columns: `error_code, failed_step_type, failed_step_name, events` (int), `share`
        (events / counted events of the code); codes with the most events first, then
        each code's steps largest first.

    Raises:
        ConfigError: a bad `status`.

    Example:
        >>> pv.analysis.failed_steps(frames).query("error_code == 'EntryConflict'")
    """
    keys = ["error_code", "failed_step_type", "failed_step_name"]
    where = ds.field("status").isin(statuses(status))
    reads = ["status", *keys]
    errors = table(frames, "errors", ("status",), reads=reads, where=where, ordered=False)
    rows = by_status(errors, status)
    if rows.empty:
        return empty(FAILED_STEP_COLUMNS)
    counts = rows.groupby(keys, dropna=False, observed=True).size().rename("events")
    counts = counts.reset_index()
    per_code = counts.groupby("error_code", dropna=False)["events"].transform("sum")
    counts["share"] = counts["events"] / per_code
    counts["_code_events"] = per_code
    counts = counts.sort_values(
        ["_code_events", "error_code", "events", "failed_step_type", "failed_step_name"],
        ascending=[False, True, False, True, True],
        na_position="last",
        kind="stable",
    )
    return typed(counts, FAILED_STEP_COLUMNS)
