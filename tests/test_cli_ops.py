"""The `jobs` and `on-demand` commands against the fake Graph (env: token + local URL)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
import sync_payloads as sp
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

from provlytics.cli.on_demand import on_demand_command
from provlytics.cli.ops import jobs_command, rules_command
from provlytics.datasets import read_parquet

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


# --- rules, and on-demand choosing the rule ---------------------------------------------------

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
SCHEMA = f"{JOBS}/{JOB_ID}/schema"


def _schema(*rules: tuple[str, str]) -> dict:
    """A job schema whose rules come from the AWS template, with other ids/names if given."""
    template = sync_templates()[0]
    rule = template["schema"]["synchronizationRules"][0]
    if not rules:
        return template["schema"]
    return {"synchronizationRules": [rule | {"id": i, "name": n} for i, n in rules]}


def sync_templates() -> list[dict]:
    return sp.load(sp.SYNC_TEMPLATES_TEXT)["value"]


def test_rules_lists_the_rule_ids_of_a_job(graph: FakeGraph, env: dict[str, str]) -> None:
    graph.route("GET", SCHEMA, json=_schema())
    result = CliRunner().invoke(rules_command, [SP, JOB_ID], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        JOB_ID,
        f"  {RULE}  USERGROUP_OUTBOUND_USERGROUP  Azure Active Directory -> AWSSingleSignon  "
        "priority 1  on-demand: yes",
    ]


def test_rules_of_every_job_of_the_service_principal(
    graph: FakeGraph, env: dict[str, str], httpserver: HTTPServer
) -> None:
    other = job_created_aws() | {"id": "scim.2"}
    graph.route("GET", JOBS, json=job_list(job_quarantined_aws(), other))
    graph.route("GET", SCHEMA, json=_schema())
    graph.route("GET", f"{JOBS}/scim.2/schema", json=_schema(("r1", "A"), ("r2", "B")))
    result = CliRunner().invoke(rules_command, [SP], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line for line in lines if not line.startswith("  ")] == [JOB_ID, "scim.2"]
    assert [line.split()[0] for line in lines if line.startswith("  ")] == [RULE, "r1", "r2"]
    assert [r.path for r, _ in httpserver.log] == [JOBS, SCHEMA, f"{JOBS}/scim.2/schema"]


def test_rules_of_an_unknown_service_principal_say_how_to_find_its_id(
    graph: FakeGraph, env: dict[str, str]
) -> None:
    result = CliRunner().invoke(rules_command, ["not-an-sp"], env=env)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "HTTP 404 Request_ResourceNotFound" in result.output
    assert "'not-an-sp' may not be a service principal id" in result.output
    assert 'az ad sp list --display-name "<app name>" --query "[].id" -o tsv' in result.output


def test_on_demand_uses_the_only_rule_and_says_so(
    graph: FakeGraph, env: dict[str, str], httpserver: HTTPServer
) -> None:
    graph.route("GET", SCHEMA, json=_schema())
    graph.route("POST", ON_DEMAND, handler=_answer)
    result = CliRunner().invoke(on_demand_command, [SP, JOB_ID, "--user", "u1"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        f"Using rule {RULE} (USERGROUP_OUTBOUND_USERGROUP), the job's only synchronization rule."
    )
    posted = json.loads(httpserver.log[1][0].get_data())
    assert posted["parameters"][0]["ruleId"] == RULE


def test_on_demand_with_several_rules_asks_for_one(
    graph: FakeGraph, env: dict[str, str], httpserver: HTTPServer
) -> None:
    graph.route("GET", SCHEMA, json=_schema(("r1", "Users"), ("r2", "Groups")))
    result = CliRunner().invoke(on_demand_command, [SP, JOB_ID, "--user", "u1"], env=env)
    assert result.exit_code == 2
    assert (
        "has 2 synchronization rules, choose one: r1 (Users); r2 (Groups); pass it as --rule"
        in (result.output)
    )
    assert [r.method for r, _ in httpserver.log] == ["GET"]  # nothing provisioned


def test_on_demand_without_rules_is_an_error(graph: FakeGraph, env: dict[str, str]) -> None:
    graph.route("GET", SCHEMA, json={"synchronizationRules": []})
    result = CliRunner().invoke(on_demand_command, [SP, JOB_ID, "--user", "u1"], env=env)
    assert result.exit_code == 1
    assert f"Error: job {JOB_ID} has no synchronization rule" in result.output


def test_on_demand_shows_the_failing_step_and_why(graph: FakeGraph, env: dict[str, str]) -> None:
    failure = json.loads((SAMPLES / "on-demand" / "failure-scim-bad-response.json").read_text())
    graph.route("POST", ON_DEMAND, json=failure)
    result = CliRunner().invoke(
        on_demand_command, [SP, JOB_ID, "--rule", RULE, "--user", "u1"], env=env
    )
    assert result.exit_code == 1
    lines = click.unstyle(result.output).splitlines()
    code = "SystemForCrossDomainIdentityManagementBadResponse"
    assert lines[0] == f"u1: Failure {code} Message: The SCIM endpoint is not fully compatible " + (
        "with the Microsoft Entra SCIM client. Please refer to the Microsoft Entra SCIM "
        "documentation and manually test the SCIM endpoint to ensure it is compliant with the "
        "SCIM RFC."
    )
    assert lines[1:5] == [
        "  1. Import                   success  Received User 'liam.schafer@contoso.com' change of "
        "type (Update) from Microsoft Entra ID",
        "  2. Match source and target  success  Retrieved User 'liam.schafer@contoso.com' from "
        "customappsso",
        "  3. Determine if in scope    success  Determine if User in scope by evaluating against "
        "each scoping filter",
        "  4. Perform action           FAILURE  Failed to update User 'liam.schafer@contoso.com' "
        "in customappsso",
    ]
    assert lines[5].startswith(f"       {code}: Message: The SCIM endpoint")
    assert lines[6].startswith('       Web Response: {"schemas":')
    assert len(lines) == 7


def test_on_demand_explains_a_skip_with_its_reason(graph: FakeGraph, env: dict[str, str]) -> None:
    graph.route("POST", ON_DEMAND, handler=_answer)
    args = [SP, JOB_ID, "--rule", RULE, "--user", "u1", "--group", "g1"]
    result = CliRunner().invoke(on_demand_command, args, env=env)
    lines = click.unstyle(result.output).splitlines()
    skipped = [i for i, line in enumerate(lines) if "skipped" in line.split()]
    assert len(skipped) == 1
    assert lines[skipped[0] + 1].startswith("       RedundantExport: The state of the user")
    assert "       SkipReason: RedundantExport" in lines
    assert lines[-2:] == ["g1: Success", "  no steps returned (the response held no event)"]


# --- jobs offline, app names and the service principal id -------------------------------------

SCIM_SP = "b766ff10-b437-4db5-a511-49bbe060a724"
SCIM_JOBS = SAMPLES / "jobs" / f"jobs-{SCIM_SP}.json"


@pytest.mark.parametrize("how", [["--file", str(SCIM_JOBS)], [str(SCIM_JOBS)]])
def test_jobs_reads_a_saved_job_list_offline(how: list[str]) -> None:
    result = CliRunner().invoke(jobs_command, how, env={"PROVLYTICS_TOKEN": None})
    assert result.exit_code == 0, result.output
    lines = click.unstyle(result.output).splitlines()
    assert lines[0] == f"App name unknown  (service principal {SCIM_SP})"
    assert "status=Quarantine  schedule=Active/PT40M  last run=Failed" in lines[1]
    assert lines[2] == (
        "    QUARANTINED reason=EncounteredQuarantineException since 2026-11-18 05:55:00+00:00 "
        "next attempt 2026-11-20 12:00:01+00:00 (series 3)"
    )
    assert lines[3] == (
        "    SystemForCrossDomainIdentityManagementInvalidCredentials: Please provide a valid "
        "tenant URL for your application."
    )


def test_jobs_names_the_apps_from_logs_loaded_with_the_job_lists() -> None:
    result = CliRunner().invoke(jobs_command, ["--file", str(SAMPLES)])
    assert result.exit_code == 0, result.output
    owners = [line for line in result.output.splitlines() if "(service principal" in line]
    assert owners == [  # by app name
        f"Contoso Expenses (SCIM)  (service principal {SCIM_SP})",
        "Salesforce  (service principal e5121482-3929-4d22-a255-accb1a466884)",
        "ServiceNow  (service principal 14aa4e71-9d3c-4dec-80a6-1f933d6c51e3)",
        "Slack  (service principal 5b4c8012-ede7-4d0c-bfb8-8309fadb8908)",
        "Workday to Active Directory User Provisioning  "
        "(service principal e01c683e-99a4-4df0-9de3-a361c0099eba)",
    ]


def test_jobs_without_a_known_service_principal_say_how_to_find_it(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    path.write_text(
        json.dumps({"value": [job_quarantined_aws(), job_created_aws() | {"id": "a.1"}]})
    )
    result = CliRunner().invoke(jobs_command, ["--file", str(path)])
    assert result.exit_code == 0, result.output
    lines = click.unstyle(result.output).splitlines()
    assert lines[0].startswith(
        "App unknown, service principal unknown (the service principal id is"
    )
    assert [line.split()[2] for line in lines[1:] if "status=" in line] == ["a.1", JOB_ID]


def test_jobs_live_shows_the_app_name(graph: FakeGraph, env: dict[str, str]) -> None:
    graph.route("GET", JOBS, json=job_list(job_quarantined_aws()))
    graph.route(
        "GET", f"/beta/servicePrincipals/{SP}", json={"id": SP, "displayName": "AWS Contoso"}
    )
    result = CliRunner().invoke(jobs_command, [SP], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"AWS Contoso  (service principal {SP})"


def test_jobs_of_an_unknown_service_principal_say_how_to_find_its_id(
    graph: FakeGraph, env: dict[str, str]
) -> None:
    result = CliRunner().invoke(jobs_command, ["bfc8712e-0986-4d47-896b-6872713598c6"], env=env)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "Object ID on the app's page under Enterprise applications" in result.output
    assert "az ad sp list --display-name" in result.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            [],
            2,
            "give a service principal id or --file PATH; the service principal id is the Object ID",
        ),
        (["--file", "missing.json"], 1, "no such file or folder: missing.json"),
        (["missing.json"], 1, "no such file or folder: missing.json"),
        (["--file", str(SCIM_JOBS), "--watch", "j"], 2, "--watch asks Graph"),
        ([SP, "--file", str(SCIM_JOBS)], 2, "not both"),
        (["--file", str(SAMPLES / "on-demand")], 1, "no synchronization jobs in"),
    ],
)
def test_jobs_user_errors_are_one_line_without_traceback(args, code, message) -> None:
    result = CliRunner().invoke(jobs_command, args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert isinstance(result.exception, SystemExit)  # handled: no Python error escaped
    assert "Traceback" not in result.output


def test_rules_without_a_service_principal_id_say_how_to_find_it() -> None:
    result = CliRunner().invoke(rules_command, [])
    assert result.exit_code == 2
    assert "give the service principal id; the service principal id is the Object ID" in (
        result.output
    )


def test_on_demand_of_an_unknown_job_says_how_to_find_the_id(
    graph: FakeGraph, env: dict[str, str]
) -> None:
    result = CliRunner().invoke(on_demand_command, ["app-id", "job", "--user", "u1"], env=env)
    assert result.exit_code == 1
    assert "Error: cannot read the rules of job job: HTTP 404 Request_ResourceNotFound" in (
        result.output
    )
    assert (
        "'app-id' may not be a service principal id: the service principal id is the Object ID"
        in (result.output)
    )
