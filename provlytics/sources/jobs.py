"""Synchronization jobs from Graph as pages: every job of a service principal, or one job.

Each page is a `Container.JOB_LIST` page of `Place.JOBS` with its `JobContext`: observed at
the local UTC time after the call returned (`now`, injectable for tests), owned by the
service principal asked about. `provlytics.pipeline.jobs` turns them into `job_status` rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from provlytics.graph.client import GraphClient
from provlytics.graph.synchronization import get_job, jobs_path, list_jobs
from provlytics.origin import Container, JobContext, Origin, Page, Place


def job_list_page(client: GraphClient, sp_id: str, *, now: Callable[[], datetime]) -> Page:
    """Every synchronization job of service principal `sp_id` (`GET .../jobs`), as one page.

    Raises:
        GraphError: Graph refused the call (e.g. 404 for an unknown service principal).
    """
    jobs = list_jobs(client, sp_id)
    return _page(client.url(jobs_path(sp_id)), jobs, sp_id, now())


def job_page(client: GraphClient, sp_id: str, job_id: str, *, now: Callable[[], datetime]) -> Page:
    """One synchronization job (`GET .../jobs/{job_id}`), as a page of one record.

    Raises:
        GraphError: Graph refused the call (e.g. 404 for an unknown job).
    """
    job = get_job(client, sp_id, job_id)
    return _page(client.url(jobs_path(sp_id, job_id)), [job], sp_id, now())


def _page(url: str, jobs: list[dict[str, Any]], sp_id: str, observed: datetime) -> Page:
    origin = Origin(url, place=Place.JOBS)
    context = JobContext(observed, service_principal_id=sp_id)
    return Page(origin, Container.JOB_LIST, records=jobs, jobs=context)
