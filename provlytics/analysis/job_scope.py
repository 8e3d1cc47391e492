"""The job snapshots that belong to a scope narrowed by target system or app.

`job_status` rows carry `job_id` and `service_principal_id` but no target system or app
name: which job belongs to which target system or app is said by the events. Used by
`analysis.filter_frames` so that `alerts` and `job_health` of a narrowed scope judge only
its jobs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from provlytics.scan import by_date, read_table

TIES = ["job_id", "service_principal_id", "service_principal_name", "target_system_name"]


def jobs_of(
    jobs: pa.Table, events: pa.Table, columns: tuple[str, ...], values: list[str]
) -> pa.Table:
    """The rows of `jobs` (job_status) that belong to the target systems or apps `values`.

    Args:
        jobs: job_status rows (`job_id`, `service_principal_id`).
        events: the events that tell which job belongs to what: all the events of the
            frames being narrowed, not only those left in the scope's time window.
        columns: the events columns `values` are compared with (`target_system_name`; or
            `service_principal_name` and `service_principal_id`).
        values: the names or ids, lower-cased; compared case-insensitively.

    A row is kept when an event of its job names one of `values`, or an event of another
    job of the same service principal does (so a job of the app whose events all lie
    outside the time window, or which logged none, stays and its silence is reported), or
    its own `service_principal_id` is one of `values` (an app given by id). Job ids and
    service principal ids compare case-insensitively (their case differs between exports).
    """
    value_set = pa.array(values, pa.string())
    hit = pc.is_in(pc.utf8_lower(events[columns[0]]), value_set=value_set)
    for column in columns[1:]:
        hit = pc.or_(hit, pc.is_in(pc.utf8_lower(events[column]), value_set=value_set))
    matched = events.filter(pc.fill_null(hit, False))
    job_ids = pc.unique(pc.utf8_lower(matched["job_id"]).combine_chunks()).drop_null()
    apps = pc.utf8_lower(matched["service_principal_id"]).combine_chunks()
    apps = pa.concat_arrays([pc.unique(apps).drop_null(), value_set])
    keep = pc.or_(
        pc.is_in(pc.utf8_lower(jobs["job_id"]), value_set=job_ids),
        pc.is_in(pc.utf8_lower(jobs["service_principal_id"]), value_set=apps),
    )
    return jobs.filter(pc.fill_null(keep, False))


def ties_on_path(path: str | os.PathLike[str], columns: Sequence[str] = TIES) -> pa.Table:
    """The events `columns` (by default those `jobs_of` reads, `TIES`), of every event of
    the store or snapshot at `path`: a scan narrowed in time would lose the ties of jobs
    silent in it.

    Raises:
        InputError: `path` holds no store or snapshot (`table_files.open_tables`).
    """
    from provlytics.table_files import open_tables  # the store's imports: only when used

    source = open_tables(Path(path)).get("events")
    return read_table(by_date(source) if source is not None else None, "events", list(columns))
