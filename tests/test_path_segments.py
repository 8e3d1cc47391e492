"""Ids placed in URL paths: one percent-encoded segment each; dot segments and blanks refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fakegraph import FakeGraph
from pytest_httpserver import HTTPServer

from provlytics.errors import ConfigError
from provlytics.graph import GraphClient
from provlytics.graph import synchronization as sync
from provlytics.graph.synchronization import path_segment
from provlytics.operations import provision_on_demand
from provlytics.pipeline.jobs import job_status, watch_job

BAD_IDS = [".", "..", " .. ", "", "   ", "a\x00b", "job\n1", "x\x7f"]

CALLS: dict[str, Callable[[GraphClient, str], Any]] = {
    "list_jobs": lambda c, bad: sync.list_jobs(c, bad),
    "get_job(sp)": lambda c, bad: sync.get_job(c, bad, "job-1"),
    "get_job(job)": lambda c, bad: sync.get_job(c, "sp-1", bad),
    "start_job": lambda c, bad: sync.start_job(c, "sp-1", bad),
    "pause_job": lambda c, bad: sync.pause_job(c, bad, "job-1"),
    "restart_job": lambda c, bad: sync.restart_job(c, "sp-1", bad),
    "get_job_schema": lambda c, bad: sync.get_job_schema(c, "sp-1", bad),
    "list_sync_templates": lambda c, bad: sync.list_sync_templates(c, bad),
    "instantiate_template": lambda c, bad: sync.instantiate_template(c, bad, "App"),
    "create_job": lambda c, bad: sync.create_job(c, bad, "template-1"),
    "provision_on_demand(sp)": lambda c, bad: provision_on_demand(c, bad, "j", "r", "u"),
    "provision_on_demand(job)": lambda c, bad: provision_on_demand(c, "sp", bad, "r", "u"),
    "job_status": lambda c, bad: job_status(c, bad),
    "watch_job": lambda c, bad: watch_job(c, "sp-1", bad, progress=False),
}


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_ids_send_nothing(
    client: GraphClient, graph: FakeGraph, httpserver: HTTPServer, call: str, bad: str
) -> None:
    with pytest.raises(ConfigError, match="id"):
        CALLS[call](client, bad)
    assert httpserver.log == []


def test_an_id_with_reserved_characters_stays_one_segment(
    client: GraphClient, graph: FakeGraph, httpserver: HTTPServer
) -> None:
    graph.route("GET", "/v1.0/servicePrincipals/a/b?c#d%/synchronization/jobs/../j", json={})
    sync.get_job(client, "a/b?c#d%", "../j")
    [(request, _)] = httpserver.log
    raw = request.environ["REQUEST_URI"]
    assert raw == "/v1.0/servicePrincipals/a%2Fb%3Fc%23d%25/synchronization/jobs/..%2Fj"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("29f68db3-1000-46bf-a940-f5ea3ecc39e7", "29f68db3-1000-46bf-a940-f5ea3ecc39e7"),
        ("aWSSingleSignon.e8b1a7d8.job", "aWSSingleSignon.e8b1a7d8.job"),
        ("33f7c90d#V2", "33f7c90d%23V2"),
        ("...", "..."),
        ("é", "%C3%A9"),
    ],
)
def test_path_segment(value: str, expected: str) -> None:
    assert path_segment(value, "id") == expected


@pytest.mark.parametrize("bad", [None, 42])
def test_non_strings_are_refused(bad: object) -> None:
    with pytest.raises(ConfigError, match="non-empty string"):
        path_segment(bad, "job id")  # type: ignore[arg-type]
