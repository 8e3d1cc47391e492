"""Synchronization job status from Graph, as `job_status` rows; and watching one job.

The jobs source (`sources.jobs`) gives each snapshot as a page; each takes the one route
(`route.page_tables`).

`job_status` takes one snapshot of every job of a service principal. `watch_job` polls one job
until its status code leaves the states it is waiting through (by default `NotRun`, i.e. until
the first cycle ends), or until `timeout` seconds pass. On timeout it does not raise: it logs a
warning and returns the snapshots collected so far, with `frame.attrs["timed_out"] = True`, so
that a caller watching a slow job still gets the history it paid for.

`observed_time` is the local UTC time of each snapshot (`now=`, injectable for tests).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from provlytics.graph.client import GraphClient
from provlytics.origin import Page
from provlytics.pipeline import route
from provlytics.progress import progress_bar
from provlytics.schema import SCHEMAS
from provlytics.sources.jobs import job_list_page, job_page
from provlytics.tables import ProvisioningFrames

logger = logging.getLogger(__name__)

JobPredicate = Callable[[dict[str, Any]], bool]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def job_status(
    client: GraphClient,
    service_principal_id: str,
    *,
    now: Callable[[], datetime] = _utc_now,
) -> pd.DataFrame:
    """A snapshot of every synchronization job of a service principal, in the job_status layout.

    Example:
        >>> status = job_status(client, "29f68db3-1000-46bf-a940-f5ea3ecc39e7")
        >>> status[["job_id", "status_code", "quarantine_reason"]]

    Args:
        now: the observation time (UTC), injectable for tests.
    """
    page = job_list_page(client, service_principal_id, now=now)
    return _frame([_snapshot(page)])


def watch_job(
    client: GraphClient,
    sp_id: str,
    job_id: str,
    *,
    until_not: Collection[str] | JobPredicate = ("NotRun",),
    timeout: float = 600.0,
    interval: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = _utc_now,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Poll a job every `interval` seconds until its status code leaves `until_not`.

    Example:
        >>> history = watch_job(client, sp_id, job_id, until_not={"NotRun", "Active"})
        >>> history.iloc[-1]["status_code"]

    Args:
        until_not: status codes to keep waiting through (e.g. `("NotRun",)`), or a predicate
            called with the job JSON that returns True while the wait should go on.
        timeout: seconds (of `clock`) after which to stop waiting.
        progress: show a progress bar of polls (None: only in a terminal or notebook).

    Returns:
        One job_status row per poll, oldest first. `attrs["timed_out"]` says whether the
        timeout ended the watch (a warning is logged then).
    """
    waiting = _waiting_predicate(until_not)
    deadline = clock() + timeout
    batches: list[pa.RecordBatch] = []
    disable = None if progress is None else not progress
    with progress_bar(f"Watching {job_id}", unit="poll", disable=disable) as bar:
        while True:
            page = job_page(client, sp_id, job_id, now=now)
            job = (page.records or [{}])[0]
            batches.append(_snapshot(page))
            bar.update(1)
            bar.set_postfix_str(str(_code(job)))
            if not waiting(job):
                return _frame(batches, timed_out=False)
            left = deadline - clock()
            if left <= 0:
                logger.warning(
                    "job %s is still %s after %.0f s; stopped watching", job_id, _code(job), timeout
                )
                return _frame(batches, timed_out=True)
            sleep(min(interval, left))


def _waiting_predicate(until_not: Collection[str] | JobPredicate) -> JobPredicate:
    if callable(until_not):
        return until_not
    states = frozenset(until_not)
    return lambda job: _code(job) in states


def _code(job: dict[str, Any]) -> str | None:
    status = job.get("status")
    return status.get("code") if isinstance(status, dict) else None


def _snapshot(page: Page) -> pa.RecordBatch:
    tables = route.page_tables(page).tables
    if not isinstance(tables, pa.RecordBatch):  # a JOB_LIST page always gives job rows
        raise TypeError(f"{page.origin}: expected job_status rows")
    return tables


def _frame(batches: list[pa.RecordBatch], *, timed_out: bool | None = None) -> pd.DataFrame:
    table = pa.Table.from_batches(batches, schema=SCHEMAS["job_status"])
    frame = ProvisioningFrames({"job_status": table}).job_status
    if timed_out is not None:
        frame.attrs["timed_out"] = timed_out
    return frame
