"""Job status snapshots and watching a job, against the fake Graph with a fake clock."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
from fakegraph import TOKEN, FakeClock, FakeGraph, json_response
from payloads import AWS_SERVICE_PRINCIPAL_ID, job_created_aws, job_list, job_quarantined_aws
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from provlytics.graph import GraphClient, StaticToken
from provlytics.pipeline.jobs import job_status, watch_job
from provlytics.schema import SCHEMAS

SP = AWS_SERVICE_PRINCIPAL_ID
JOB_ID = "aWSSingleSignon.ff8bf889e03141ac8f7baedb059892ee.bfc8712e-0986-4d47-896b-6872713598c6"
JOBS = f"/beta/servicePrincipals/{SP}/synchronization/jobs"
OBSERVED = datetime(2021, 5, 24, 22, 0, tzinfo=UTC)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


@pytest.fixture
def beta(graph: FakeGraph, graph_url: str, clock: FakeClock) -> Iterator[GraphClient]:
    with GraphClient(
        StaticToken(TOKEN), base_url=graph_url, version="beta", sleep=clock.sleep, clock=clock
    ) as client:
        yield client


def test_quarantined_aws_job_row(graph: FakeGraph, beta: GraphClient) -> None:
    graph.route("GET", JOBS, json=job_list(job_quarantined_aws()))
    frame = job_status(beta, SP, now=lambda: OBSERVED)
    assert list(frame.columns) == SCHEMAS["job_status"].names
    row = frame.iloc[0].to_dict()
    assert row["observed_time"] == pd.Timestamp(OBSERVED)
    assert row["service_principal_id"] == SP
    assert row["job_id"] == JOB_ID
    assert row["template_id"] == "aWSSingleSignon"
    assert (row["schedule_state"], row["schedule_interval"]) == ("Active", "PT40M")
    assert row["status_code"] == "Quarantine"
    assert row["successive_failures"] == 1
    assert row["quarantine_reason"] == "EncounteredQuarantineException"
    assert row["quarantine_series_began"] == ts("2021-05-24T21:45:54.498136Z")
    assert row["quarantine_current_began"] == ts("2021-05-24T21:45:54.498136Z")
    assert row["quarantine_next_attempt"] == ts("2021-05-24T21:50:54.498136Z")
    assert row["quarantine_series_count"] == 1
    assert row["last_execution_state"] == "Failed"
    assert row["last_execution_began"] == ts("2021-05-24T21:45:53.633052Z")
    assert row["last_execution_ended"] == ts("2021-05-24T21:45:54.558127Z")
    assert row["last_error_code"] == "SystemForCrossDomainIdentityManagementInvalidCredentials"
    assert row["last_error_message"] == "Please provide a valid tenant URL for your application."
    assert row["last_error_tenant_actionable"] is True
    assert row["quarantine_error_code"] == row["last_error_code"]
    assert row["quarantine_error_tenant_actionable"] is True
    assert row["count_imported"] == row["count_exported"] == 0
    assert pd.isna(row["last_successful_execution"])
    assert pd.isna(row["steady_state_last_achieved"])  # 0001-01-01 -> null


def test_created_job_row_has_nulls(graph: FakeGraph, beta: GraphClient) -> None:
    graph.route("GET", JOBS, json=job_list(job_created_aws(), job_quarantined_aws()))
    frame = job_status(beta, SP, now=lambda: OBSERVED)
    assert list(frame["status_code"]) == ["Paused", "Quarantine"]
    paused = frame.iloc[0]
    for column in (
        "quarantine_reason",
        "quarantine_series_began",
        "quarantine_current_began",
        "quarantine_error_code",
        "last_execution_state",
        "last_error_code",
    ):
        assert pd.isna(paused[column])


def test_job_status_without_jobs(graph: FakeGraph, beta: GraphClient) -> None:
    graph.route("GET", JOBS, json=job_list())
    frame = job_status(beta, SP)
    assert frame.empty
    assert list(frame.columns) == SCHEMAS["job_status"].names


def _job(code: str) -> dict[str, Any]:
    job = job_created_aws()
    job.pop("@odata.context")
    job["status"]["code"] = code
    return job


class JobSequence:
    """Answers GET job with the given status codes in turn (the last one repeats)."""

    def __init__(self, *codes: str) -> None:
        self.codes = list(codes)
        self.calls = 0

    def __call__(self, _request: Request) -> Response:
        code = self.codes[min(self.calls, len(self.codes) - 1)]
        self.calls += 1
        return json_response(_job(code))


def test_watch_job_stops_when_the_state_changes(
    graph: FakeGraph, beta: GraphClient, clock: FakeClock, httpserver: HTTPServer
) -> None:
    graph.route("GET", f"{JOBS}/{JOB_ID}", handler=JobSequence("NotRun", "NotRun", "Active"))
    frame = watch_job(beta, SP, JOB_ID, interval=30, sleep=clock.sleep, clock=clock, progress=False)
    assert list(frame["status_code"]) == ["NotRun", "NotRun", "Active"]
    assert frame.attrs["timed_out"] is False
    assert clock.sleeps == [30, 30]
    assert len(httpserver.log) == 3


def test_watch_job_returns_snapshots_on_timeout(
    graph: FakeGraph,
    beta: GraphClient,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    graph.route("GET", f"{JOBS}/{JOB_ID}", handler=JobSequence("NotRun"))
    with caplog.at_level(logging.WARNING, logger="provlytics.pipeline.jobs"):
        frame = watch_job(
            beta,
            SP,
            JOB_ID,
            timeout=100,
            interval=30,
            sleep=clock.sleep,
            clock=clock,
            progress=False,
        )
    assert frame.attrs["timed_out"] is True
    assert list(frame["status_code"]) == ["NotRun"] * 5  # t = 0, 30, 60, 90, 100
    assert clock.sleeps == [30, 30, 30, 10]
    assert "still NotRun" in caplog.text


def test_watch_job_with_a_predicate(graph: FakeGraph, beta: GraphClient, clock: FakeClock) -> None:
    graph.route("GET", f"{JOBS}/{JOB_ID}", handler=JobSequence("Active", "Active", "Quarantine"))
    frame = watch_job(
        beta,
        SP,
        JOB_ID,
        until_not=lambda job: job["status"]["code"] != "Quarantine",
        sleep=clock.sleep,
        clock=clock,
        progress=False,
    )
    assert list(frame["status_code"]) == ["Active", "Active", "Quarantine"]


def test_watch_job_returns_at_once_when_not_waiting(
    graph: FakeGraph, beta: GraphClient, clock: FakeClock
) -> None:
    graph.route("GET", f"{JOBS}/{JOB_ID}", handler=JobSequence("Paused"))
    frame = watch_job(beta, SP, JOB_ID, sleep=clock.sleep, clock=clock, progress=False)
    assert list(frame["status_code"]) == ["Paused"]
    assert clock.sleeps == []
