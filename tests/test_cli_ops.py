"""The `jobs` and `on-demand` commands against the fake Graph (env: token + local URL)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from fakegraph import TOKEN, FakeGraph, graph_error, json_response
from payloads import (
    AWS_SERVICE_PRINCIPAL_ID,
    job_created_aws,
    job_list,
    job_quarantined_aws,
    on_demand_group,
    on_demand_skipped,
)
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from provlytics.commands_ops import jobs_command, on_demand_command
from provlytics.parquet import read_parquet

SP = AWS_SERVICE_PRINCIPAL_ID
JOB_ID = "aWSSingleSignon.ff8bf889e03141ac8f7baedb059892ee.bfc8712e-0986-4d47-896b-6872713598c6"
JOBS = f"/beta/servicePrincipals/{SP}/synchronization/jobs"
ON_DEMAND = f"{JOBS}/{JOB_ID}/provisionOnDemand"
RULE = "03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8"


@pytest.fixture
def env(graph: FakeGraph, graph_url: str) -> dict[str, str]:
    return {
        "PROVLYTICS_TOKEN": TOKEN,
        "PROVLYTICS_GRAPH_URL": graph_url,
        "PROVLYTICS_GRAPH_VERSION": "beta",
    }


@pytest.mark.parametrize("command", [jobs_command, on_demand_command])
def test_commands_have_help(command: click.Command) -> None:
    result = CliRunner().invoke(command, ["--help"])
    assert result.exit_code == 0
    assert "--token" in result.output and "--graph-url" in result.output


def test_jobs_highlights_quarantine(graph: FakeGraph, env: dict[str, str]) -> None:
    graph.route("GET", JOBS, json=job_list(job_created_aws(), job_quarantined_aws()))
    result = CliRunner().invoke(jobs_command, [SP], env=env, color=True)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert sum(JOB_ID in line for line in lines) == 2
    assert "status=Paused" in result.output and "status=Quarantine" in result.output
    assert "\x1b[31m" in result.output  # red
    plain = click.unstyle(result.output)
    assert "QUARANTINED reason=EncounteredQuarantineException" in plain
    assert "next attempt 2021-05-24 21:50:54.498136+00:00" in plain
    assert "SystemForCrossDomainIdentityManagementInvalidCredentials: Please provide" in plain
    assert plain.count("QUARANTINED") == 1


def test_jobs_options_override_environment(
    graph: FakeGraph, graph_url: str, httpserver: HTTPServer
) -> None:
    graph.route("GET", f"/v1.0/servicePrincipals/{SP}/synchronization/jobs", json=job_list())
    args = [SP, "--token", TOKEN, "--graph-url", graph_url]
    result = CliRunner().invoke(jobs_command, args, env={"PROVLYTICS_TOKEN": "stale"})
    assert result.exit_code == 0, result.output
    assert "No synchronization jobs." in result.output
    assert httpserver.log[0][0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_jobs_without_credentials(graph: FakeGraph, graph_url: str) -> None:
    env = {name: None for name in ("PROVLYTICS_TOKEN", "AZURE_TENANT_ID", "AZURE_CLIENT_ID")}
    result = CliRunner().invoke(jobs_command, [SP, "--graph-url", graph_url], env=env)
    assert result.exit_code == 1
    assert "PROVLYTICS_TOKEN" in result.output and "--token" in result.output


def test_jobs_watch(graph: FakeGraph, env: dict[str, str]) -> None:
    job = job_created_aws()
    job["status"]["code"] = "Active"
    graph.route("GET", f"{JOBS}/{JOB_ID}", json=job)
    result = CliRunner().invoke(jobs_command, [SP, "--watch", JOB_ID, "--timeout", "5"], env=env)
    assert result.exit_code == 0, result.output
    assert "status=Active" in result.output


def test_jobs_watch_timeout_says_so(graph: FakeGraph, env: dict[str, str]) -> None:
    job = job_created_aws()
    job["status"]["code"] = "NotRun"
    graph.route("GET", f"{JOBS}/{JOB_ID}", json=job)
    args = [SP, "--watch", JOB_ID, "--timeout", "0"]
    result = CliRunner().invoke(jobs_command, args, env=env)
    assert result.exit_code == 0, result.output
    assert "status=NotRun" in result.output
    assert "Still NotRun after 0 s." in result.output


def test_jobs_graph_error_is_a_click_error(graph: FakeGraph, env: dict[str, str]) -> None:
    graph.route(
        "GET", JOBS, handler=lambda _r: graph_error(403, "Authorization_RequestDenied", "No.")
    )
    result = CliRunner().invoke(jobs_command, [SP], env=env)
    assert result.exit_code == 1
    assert "Error: HTTP 403 Authorization_RequestDenied: No." in result.output


def _answer(request: Request) -> Response:
    subject = request.get_json()["parameters"][0]["subjects"][0]
    if subject["objectTypeName"] == "Group":
        return json_response(on_demand_group())
    if subject["objectId"] == "bad":
        return graph_error(409, "Conflict", "A provisioning cycle is in progress.")
    return json_response(on_demand_skipped())


def test_on_demand_prints_verdicts_and_saves(
    graph: FakeGraph, env: dict[str, str], httpserver: HTTPServer, tmp_path: Path
) -> None:
    graph.route("POST", ON_DEMAND, handler=_answer)
    args = [SP, JOB_ID, "--rule", RULE, "--user", "u1", "--group", "g1"]
    args += ["--member", "m1", "--member", "m2", "--save", str(tmp_path / "out")]
    result = CliRunner().invoke(on_demand_command, args, env=env)
    assert result.exit_code == 0, result.output
    assert len(read_parquet(tmp_path / "out").events) == 1
    assert f"Wrote {tmp_path / 'out'}" in result.output
    assert "u1: Skipped RedundantExport The state of the user" in result.output
    assert "g1: Success" in result.output
    sent = [json.loads(r.get_data()) for r, _ in httpserver.log]
    assert sent == [
        {
            "parameters": [
                {"subjects": [{"objectId": "u1", "objectTypeName": "User"}], "ruleId": RULE}
            ]
        },
        {
            "parameters": [
                {
                    "subjects": [
                        {
                            "objectId": "g1",
                            "objectTypeName": "Group",
                            "links": {
                                "members": [
                                    {"objectId": "m1", "objectTypeName": "User"},
                                    {"objectId": "m2", "objectTypeName": "User"},
                                ]
                            },
                        }
                    ],
                    "ruleId": RULE,
                }
            ]
        },
    ]


def test_on_demand_exits_1_on_failure(graph: FakeGraph, env: dict[str, str]) -> None:
    graph.route("POST", ON_DEMAND, handler=_answer)
    args = [SP, JOB_ID, "--rule", RULE, "--user", "bad", "--user", "u1"]
    result = CliRunner().invoke(on_demand_command, args, env=env)
    assert result.exit_code == 1
    assert "bad: ERROR HTTP 409 Conflict" in result.output
    assert "u1: Skipped" in result.output


def test_on_demand_six_members_is_refused(
    graph: FakeGraph, env: dict[str, str], httpserver: HTTPServer
) -> None:
    args = [SP, JOB_ID, "--rule", RULE, "--group", "g1"]
    for i in range(6):
        args += ["--member", f"m{i}"]
    result = CliRunner().invoke(on_demand_command, args, env=env)
    assert result.exit_code == 1
    assert "at most 5 group members" in result.output
    assert httpserver.log == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [([], "at least one --user or a --group"), (["--member", "m1"], "--member needs --group")],
)
def test_on_demand_usage_errors(env: dict[str, str], extra: list[str], message: str) -> None:
    result = CliRunner().invoke(on_demand_command, [SP, JOB_ID, "--rule", RULE, *extra], env=env)
    assert result.exit_code == 2
    assert message in result.output
