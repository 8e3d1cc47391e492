"""The scope every view shares: a time window, jobs, target systems and apps.

`filter_frames` narrows a whole `ProvisioningFrames` once, so that every helper applied to
the result sees the same events, with their steps, modified properties and errors.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.analysis.access import resolve
from provlytics.analysis.job_scope import jobs_of, ties_on_path
from provlytics.analysis.notices import held_facts, warn_absent, warn_user
from provlytics.datasets import read_parquet
from provlytics.schema import SCHEMAS, TABLE_NAMES
from provlytics.tables import ProvisioningFrames
from provlytics.timebounds import TimeBound, bound, label, window, window_step

logger = logging.getLogger(__name__)

Values = str | Iterable[str] | None
_BY_VALUE = ("job_id", "target_system", "service_principal")  # options that may drop the newest
_LOG_TABLES = ("events", "steps", "modified_properties", "errors")
_FACTS = ["activity_time", "job_id", "service_principal_name"]  # `held_facts` reads


def filter_frames(
    frames: Any,
    *,
    since: TimeBound = None,
    until: TimeBound = None,
    job_id: Values = None,
    target_system: Values = None,
    service_principal: Values = None,
) -> ProvisioningFrames:
    """The events in scope, with their children, as a new `ProvisioningFrames`.

    Args:
        frames: a `ProvisioningFrames` (or anything with the five tables as DataFrames),
            or the path of a store or snapshot folder: then `since`/`until` are pushed down
            to the Parquet scan (`pv.read_parquet(path, since=, until=)`: partitions and
            row groups outside the window are never read) and the rest is applied to what
            it read.
        since: keep events with `activity_time >= since`: a date or time text
            ("2026-11-18", ISO 8601; naive means UTC), a `datetime`/`Timestamp`, or a
            duration back from the newest event ("7d", "12h", "30min").
        until: keep events with `activity_time < until`, same forms.
        job_id: a job id or a list of them (`events.job_id`).
        target_system: a target system name or a list (`events.target_system_name`).
        service_principal: a service principal (app) display name or id, or a list of them
            (`events.service_principal_name` or `events.service_principal_id`).

    String values compare case-insensitively (ids differ in case between exports). A value
    that no event has (a typo: "Salesfroce") warns (`UserWarning`, naming the closest values
    present) and keeps nothing for it.

    Returns:
        `ProvisioningFrames` with the kept events; the steps, modified_properties and errors
        rows of those events; the job_status rows of the jobs in scope: with `job_id`, the
        rows of those jobs; with `target_system` or `service_principal`, the rows of the
        jobs the events of `frames` tie to them (an event of the job, or of another job of
        the same service principal, names the target system or app, or the row's
        `service_principal_id` is the id given: `job_scope.jobs_of`), so a job of the app
        with no event left in the time window stays and `alerts` still reports its
        silence (on a path narrowed in time, the ties are read from all its events); else
        every job_status row. `sources` is carried over, and `narrowed` (what the
        manifest records) gets this call's options as a step (`since`/`until` as given, with
        `since_utc`/`until_utc`, the times they stood for; with `job_id`, `target_system` or
        `service_principal`, also `newest_utc`: the newest event of `frames`, the end
        `alerts` keeps judging silent jobs against).

    Raises:
        ConfigError: a time bound that cannot be read, `since` after `until`, or `frames`
            neither frames nor a path (`access.resolve`).
        InputError: a path that holds no store or snapshot.

    Example:
        >>> import provlytics as pv
        >>> frames = pv.load("data/samples/")
        >>> last_week = pv.analysis.filter_frames(frames, since="7d", job_id=["job-1", "job-2"])
    """
    given = {"since": since, "until": until, "job_id": job_id}
    given |= {"target_system": target_system, "service_principal": service_principal}
    pushed: tuple[pa.Scalar | None, ...] | None = None  # the bounds of a path's scan
    frames = resolve(frames, paths=False)
    ties = None  # the events that tie jobs to target systems and apps, when not `events`
    path = frames if isinstance(frames, str | os.PathLike) else None
    if path is not None:  # the window read by the scan, nothing else
        by_value = target_system is not None or service_principal is not None
        if by_value and (since is not None or until is not None):
            ties = ties_on_path(frames)
        frames = read_parquet(frames, since=since, until=until)
        if since is not None or until is not None:  # its last step: merged into this call's
            *before, step = frames.narrowed
            pushed = tuple(_scalar_of(step, name) for name in ("since", "until"))
        since = until = None
    if pushed is None:
        before = getattr(frames, "narrowed", None)
    tables = {name: _arrow(frames, name) for name in TABLE_NAMES}
    events = tables["events"]
    ties = events if ties is None else ties
    keep = pa.array(np.ones(events.num_rows, bool))
    absent = False  # a value no event has was warned of (it says why none is kept)
    times = events["activity_time"]
    newest = pc.max(times).as_py() if events.num_rows else None
    first, last = window(since, until, newest)
    if first is not None:
        keep = pc.and_(keep, pc.greater_equal(times, first))
    if last is not None:
        keep = pc.and_(keep, pc.less(times, last))
    for option, columns, values in (
        ("job_id", ("job_id",), job_id),
        ("target_system", ("target_system_name",), target_system),
        (
            "service_principal",
            ("service_principal_name", "service_principal_id"),
            service_principal,
        ),
    ):
        if values is not None:
            keep = pc.and_(keep, _any_equal(events, columns, _as_list(values)))
            if ties.num_rows:  # data without events: nothing to say
                absent = _warn_absent(option, ties, columns, values) or absent
    keep = pc.fill_null(keep, False)
    if pc.all(keep).as_py() is not False:  # nothing to drop: the same tables, no copy
        out = {name: tables[name] for name in _LOG_TABLES}
    else:
        out = _keep_events(tables, keep)
    kept = out["events"]
    jobs = tables["job_status"]
    if job_id is not None:
        jobs = jobs.filter(pc.fill_null(_any_equal(jobs, ("job_id",), _as_list(job_id)), False))
    if target_system is not None:
        jobs = jobs_of(jobs, ties, ("target_system_name",), _as_list(target_system))
    if service_principal is not None:
        columns = ("service_principal_name", "service_principal_id")
        jobs = jobs_of(jobs, ties, columns, _as_list(service_principal))
    out["job_status"] = jobs
    logger.debug("scope keeps %d of %d events", kept.num_rows, events.num_rows)
    if not kept.num_rows and not absent:
        _warn_none_kept(given, events if pushed is None else ties_on_path(path, _FACTS), path)
    scoped = ProvisioningFrames(out, sources=getattr(frames, "sources", ()))
    scoped.pseudonymized = getattr(frames, "pseudonymized", None)  # still pseudonymized
    scoped.narrowed = _narrowed(before, given, *(pushed or (first, last)))
    if newest is not None and any(given[k] is not None for k in _BY_VALUE):
        scoped.narrowed[-1]["newest_utc"] = newest.isoformat()  # type: ignore[index]
    return scoped


def _narrowed(
    before: list[dict[str, Any]] | None,
    given: dict[str, Any],
    first: pa.Scalar | None,
    last: pa.Scalar | None,
) -> list[dict[str, Any]] | None:
    """`before` (the frames' earlier steps) and this call's step: the options given as the
    caller spelled them (text; lists of text), and `since_utc`/`until_utc`, the UTC times a
    bound stood for (ISO 8601; a duration pushed down to a path's scan counts back from the
    newest event stored, as `read_parquet` records it). None when nothing was ever narrowed."""
    times = (None if time is None else time.as_py() for time in (first, last))
    step = window_step(given["since"], given["until"], *times)
    for name, value in given.items():
        if name not in ("since", "until") and value is not None:
            step[name] = [value] if isinstance(value, str) else [str(v) for v in value]
    steps = [*(before or []), step] if step else list(before or [])
    return steps or None


def _warn_none_kept(
    given: dict[str, Any], events: pa.Table, path: str | os.PathLike[str] | None
) -> None:
    """A `UserWarning` when the options keep no event of `events` (the events before any
    narrowing): the options as given, and what the events hold (`notices.held_facts`, the
    facts `provlytics report` gives for its options)."""
    if not events.num_rows:
        return  # nothing to keep: nothing was narrowed away
    options = " and ".join(label(k, v) for k, v in given.items() if v is not None)
    held = "the frames hold" if path is None else f"{os.fspath(path)} holds"
    warn_user(f"no event matches {options}; {held} {held_facts(events)}")


def _scalar_of(step: dict[str, Any], name: str) -> pa.Scalar | None:
    """The UTC time a `narrowed` step's bound `name` stood for, as a scalar (None: none)."""
    time = step.get(f"{name}_utc")
    return None if time is None else bound(time, None, name)


def _keep_events(tables: dict[str, pa.Table], keep: pa.ChunkedArray) -> dict[str, pa.Table]:
    """The kept events and the rows of their children."""
    events = tables["events"].filter(keep)
    ids = events["event_id"].combine_chunks()
    out = {"events": events}
    for name in _LOG_TABLES[1:]:
        # one flat key column: `is_in` over many chunks would rebuild its hash set per chunk
        keys = tables[name]["event_id"].combine_chunks()
        out[name] = tables[name].filter(pc.is_in(keys, value_set=ids))
    return out


def _arrow(frames: Any, name: str) -> pa.Table:
    """One table of `frames` as Arrow in the schema layout (empty when missing)."""
    table_of = getattr(frames, "table", None)
    if callable(table_of):
        return table_of(name)
    df = getattr(frames, name, None)
    if df is None:
        return SCHEMAS[name].empty_table()
    return pa.Table.from_pandas(df, schema=SCHEMAS[name], preserve_index=False)


def _as_list(values: str | Iterable[str]) -> list[str]:
    items = [values] if isinstance(values, str) else list(values)
    return [str(v).lower() for v in items]


def _warn_absent(
    option: str, events: pa.Table, columns: tuple[str, ...], values: str | Iterable[str]
) -> bool:
    """A `UserWarning` for each of `values` (of `option`) that no event has in any of
    `columns` (compared case-insensitively), naming the closest values present
    (`notices.warn_absent`); whether any was warned of."""
    present: set[str] = set()
    for column in columns:
        present.update(v for v in pc.unique(events[column]).to_pylist() if v is not None)
    lowered = {v.lower() for v in present}
    given = [values] if isinstance(values, str) else list(values)
    absent = [str(v) for v in given if str(v).lower() not in lowered]
    for value in absent:
        warn_absent(option, value, present)
    return bool(absent)


def _any_equal(table: pa.Table, columns: tuple[str, ...], values: list[str]) -> pa.ChunkedArray:
    """Rows where any of `columns`, lower-cased, is one of `values`."""
    value_set = pa.array(values, pa.string())
    hits = [pc.is_in(pc.utf8_lower(table[c]), value_set=value_set) for c in columns]
    out = hits[0]
    for hit in hits[1:]:
        out = pc.or_(out, hit)
    return out
