"""What happened, cycle by cycle and identity by identity: `cycles` and `identity_history`.

Facts used (`shared/reference/workbook-parity.md` §2-§3): Microsoft's "events per cycle" tile
counts events per (cycle, action) with the cycle's latest timestamp; MSIdentityTools'
`Get-MsIdProvisioningLogStatistics -SummarizeByCycleId` counts records per action x status and
gives the observed span (first and last record) of each cycle; the workbooks' single-user view
matches a user by UPN or object id, source or target side.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.dataset as ds

from provlytics.analysis.access import on_path, table, time_span
from provlytics.analysis.arrays import flat, group_codes, isin
from provlytics.analysis.change_text import change_summary
from provlytics.analysis.changes import PROPERTY_COLUMNS, changes_of
from provlytics.analysis.columns import FLOAT, INT, TIME, empty
from provlytics.analysis.failures import DRILLDOWN_COLUMNS
from provlytics.analysis.selection import IDENTITY_COLUMNS, STATUSES, identity
from provlytics.analysis.who import (
    NAME_COLUMNS,
    checked,
    naming,
    present_names,
    scan_filter,
    unaccented,
    wanted,
    warn_if_several,
    warn_nobody,
    warn_unaccented,
    whole,
)

logger = logging.getLogger(__name__)

ACTIONS = ("create", "update", "delete", "disable", "stagedDelete", "other")
CYCLE_COLUMNS = [
    "job_id",
    "service_principal_name",
    "cycle_id",
    "start",
    "end",
    "duration_s",
    "events",
    "identities",
    "success",
    "failure",
    "skipped",
    "warning",
    "failure_rate",
]
HISTORY_EVENT_COLUMNS = list(DRILLDOWN_COLUMNS)  # the columns of drilldown
HISTORY_STEP_COLUMNS = [
    "event_id",
    "activity_time",
    "step_index",
    "name",
    "step_type",
    "status",
    "description",
    "details",
]
APP_COLUMNS = [
    "service_principal_id",
    "service_principal_name",
    "target_system_name",
    "events",
    "first_seen",
    "last_seen",
    "last_status",
]
_DTYPES = {
    "start": TIME,
    "end": TIME,
    "duration_s": FLOAT,
    "failure_rate": FLOAT,
    "step_index": pd.Int32Dtype(),
    "events": INT,
}
# columns each helper reads (a table without them raises InputError, never KeyError)
_CYCLE_NEEDS = (
    "job_id",
    "service_principal_name",
    "cycle_id",
    "activity_time",
    "action",
    "status",
    *IDENTITY_COLUMNS,
)
_STEP_NEEDS = ("event_id", "step_index", "name", "step_type", "status", "description", "details")
_HISTORY_NEEDS = (
    *[c for c in HISTORY_EVENT_COLUMNS if not c.startswith("failed_step") and c != "changes"],
    "service_principal_id",
)


@on_path
def cycles(frames) -> pd.DataFrame:
    """One row per synchronization cycle: its span, counts by status and by action x status.

    Events without a `cycle_id` (on-demand results) are left out. `start`/`end` are the first
    and last event of the cycle in the logs (what Microsoft's tools call the cycle's span, not
    the job's own execution bounds).

    Returns:
        Columns `job_id, service_principal_name` (the app of the job, as its events name
        it; null when none does), `cycle_id, start, end, duration_s` (float seconds), `events`,
        `identities` (distinct objects), `success, failure, skipped, warning`, `failure_rate`
        (failure / (events - skipped), NaN when no event was processed), then one int64 column
        per action x status present, named `f"{action}_{status}"` (`create_success`, ...), actions
        in the order create, update, delete, disable, stagedDelete, other. Ordered by start.

    Example:
        >>> pv.analysis.cycles(frames)[["cycle_id", "duration_s", "failure_rate"]].head()
    """
    events = table(frames, "events", _CYCLE_NEEDS)
    events = events[events["cycle_id"].notna().to_numpy(bool)]
    if events.empty:
        return empty(CYCLE_COLUMNS, _DTYPES)
    group, first = group_codes(events["job_id"], events["cycle_id"])
    count = len(first)
    out = events[["job_id", "cycle_id"]].take(first).reset_index(drop=True)
    app = events["service_principal_name"].groupby(group).first()  # the first one named
    out.insert(1, "service_principal_name", app.reindex(range(count)).array)
    by_group = events["activity_time"].groupby(group)
    out["start"] = by_group.min().array
    out["end"] = by_group.max().array
    out["duration_s"] = (out["end"] - out["start"]).dt.total_seconds()
    out["events"] = np.bincount(group, minlength=count).astype(np.int64)
    out["identities"] = _distinct_per_group(group, identity(events), count)
    action, actions = _codes(events["action"], ACTIONS)
    status, statuses = _codes(events["status"], STATUSES)
    by_status = _counts(group, status, statuses, count)
    zeros = np.zeros(count, np.int64)
    for name in [*STATUSES, *(s for s in statuses if s not in STATUSES)]:
        out[name] = by_status.get(name, zeros)
    processed = out["events"] - out["skipped"]
    out["failure_rate"] = (out["failure"] / processed.where(processed > 0)).astype(float)
    pairs = [f"{a}_{s}" for a in actions for s in statuses]
    both = np.where((action >= 0) & (status >= 0), action * len(statuses) + status, -1)
    present = {k: v for k, v in _counts(group, both, pairs, count).items() if v.any()}
    out = pd.concat([out, pd.DataFrame(present)], axis=1)
    out = out.sort_values(["start", "job_id", "cycle_id"], kind="stable", ignore_index=True)
    return out


def _codes(values: pd.Series, order: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Integer codes of `values` (-1 for null) and their labels: those of `order` first, then
    any other value present, sorted."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    present = [str(u) for u in uniques]
    labels = [v for v in order if v in present] + sorted(set(present) - set(order))
    remap = np.array([labels.index(v) for v in present] + [-1], np.int64)
    return remap[codes], labels


def _counts(
    group: np.ndarray, codes: np.ndarray, labels: list[str], groups: int
) -> dict[str, np.ndarray]:
    """Per label, how many rows of each group hold its code (int64 arrays, label order)."""
    known = codes >= 0
    flat = np.bincount(group[known] * len(labels) + codes[known], minlength=groups * len(labels))
    matrix = flat.reshape(groups, len(labels)).astype(np.int64)
    return dict(zip(labels, matrix.T, strict=True))


def _distinct_per_group(group: np.ndarray, values: pd.Series, groups: int) -> np.ndarray:
    """How many distinct non-null values each group holds (sort-based: numpy's hash-based
    unique is several times slower on a million integers)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    known = codes >= 0
    pairs = np.sort(group[known].astype(np.int64) * len(uniques) + codes[known])
    distinct = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    return np.bincount(distinct // max(len(uniques), 1), minlength=groups).astype(np.int64)


@dataclass(frozen=True, eq=False)
class IdentityHistory:
    """Everything the logs hold about one user or group, each table in time order.

    Attributes:
        events: the identity's events (columns of `drilldown`, with `changes`).
        steps: their provisioning steps (`event_id, activity_time, step_index, name, step_type,
            status, description, details`).
        changes: their `attribute_changes` rows.
        apps: per app the identity was provisioned to (`service_principal_id,
            service_principal_name, target_system_name, events, first_seen, last_seen,
            last_status`), the most recently seen first.
    """

    events: pd.DataFrame
    steps: pd.DataFrame
    changes: pd.DataFrame
    apps: pd.DataFrame


@on_path
def identity_history(frames, who: str) -> IdentityHistory:
    """One identity's events, steps, attribute changes and apps.

    `who` is compared case-insensitively, as a whole value (surrounding spaces ignored), with
    what names the object each event is about (`who.naming`): its `source_id`,
    `reportable_identifier` (UPN) and `source_name`; its `target_name` only when it has no
    `source_name` (a failed create or a duplicate logs there the name of the account it
    conflicts with, maybe another person's); its `target_id` (an id in the target system)
    only when no event names `who` otherwise. An object id (GUID) matches with or without
    its dashes (`who.wanted`). The history then holds EVERY event of each identity found,
    also those that do not name `who` (one logged under another spelling of the name, say):
    an identity is the events that share a UPN or a source id (`who.Identities`).
    A value that matches nothing gives empty tables and a `UserWarning` (unless the data
    holds no event at all); a name that matches only when accents and case are ignored is
    taken, with a `UserWarning`; a display name that several people share gives all their
    events and a `UserWarning` naming how many identities matched and their UPNs (pass the
    UPN or object id).
    `frames` may be a store or snapshot path: then only that identity's events (the match
    pushed into the Parquet scan) and their steps, properties and errors are read.

    Raises:
        ConfigError: `frames` neither frames nor a path, or `who` not text or blank.

    Example:
        >>> h = pv.analysis.identity_history(frames, "Alice@Contoso.com")
        >>> h.events[["activity_time", "action", "status", "changes"]]; h.apps
    """
    mine = _named(frames, wanted(checked(who)))
    if mine.empty and time_span(frames, "events") != (None, None):  # else nothing to say
        present = present_names(table(frames, "events", NAME_COLUMNS, ordered=False))
        same = unaccented(present, who)
        if same:
            warn_unaccented(who, same)
            mine = _named(frames, tuple(name.strip().lower() for name in same))
        else:
            warn_nobody(who, present)
    if not mine.empty:
        warn_if_several(who, mine)
    ids = mine["event_id"]
    where = ds.field("event_id").isin(pc.unique(flat(ids)))
    steps = table(frames, "steps", _STEP_NEEDS, where=where)
    steps = steps[isin(steps["event_id"], ids)]
    props = table(frames, "modified_properties", PROPERTY_COLUMNS, where=where)
    props = props[isin(props["event_id"], ids)]
    failed = ("event_id", "failed_step_name", "failed_step_type")
    errors = table(frames, "errors", failed, where=where)
    return IdentityHistory(
        events=_history_events(mine, errors, props),
        steps=_history_steps(mine, steps),
        changes=changes_of(mine, props, steps),
        apps=_apps(mine),
    )


def _named(frames, forms: tuple[str, ...]) -> pd.DataFrame:
    """Every event of the identities that events naming one of `forms` (`who.wanted`) are
    about (`who.naming`, `who.whole`), in time order."""
    events = table(frames, "events", _HISTORY_NEEDS, where=scan_filter(forms))
    hits = events[naming(events, forms)]
    return whole(lambda where: table(frames, "events", _HISTORY_NEEDS, where=where), hits)


def _history_events(
    events: pd.DataFrame, errors: pd.DataFrame, props: pd.DataFrame
) -> pd.DataFrame:
    if events.empty:
        return empty(HISTORY_EVENT_COLUMNS, _DTYPES)
    failed = errors[["event_id", "failed_step_name", "failed_step_type"]]
    out = events.merge(failed, on="event_id", how="left")
    lines = change_summary(props)
    out["changes"] = lines.reindex(out["event_id"].to_numpy()).to_numpy()
    return out[HISTORY_EVENT_COLUMNS].reset_index(drop=True)


def _history_steps(events: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    if steps.empty:
        return empty(HISTORY_STEP_COLUMNS, _DTYPES)
    order = pd.Series(np.arange(len(events)), index=events["event_id"].to_numpy())
    out = steps.merge(events[["event_id", "activity_time"]], on="event_id", how="left")
    out["__order"] = out["event_id"].map(order).to_numpy()
    out = out.sort_values(["__order", "step_index"], kind="stable")
    return out[HISTORY_STEP_COLUMNS].reset_index(drop=True)


def _apps(events: pd.DataFrame) -> pd.DataFrame:
    if events.empty:
        return empty(APP_COLUMNS, _DTYPES)
    keys = ["service_principal_id", "service_principal_name", "target_system_name"]
    grouped = events.groupby(keys, dropna=False, sort=False)
    out = grouped.agg(
        events=("event_id", "size"),
        first_seen=("activity_time", "min"),
        last_seen=("activity_time", "max"),
        last_status=("status", "last"),
    ).reset_index()
    out["events"] = out["events"].astype(np.int64)
    out = out.sort_values("last_seen", ascending=False, kind="stable")
    return out[APP_COLUMNS].reset_index(drop=True)
