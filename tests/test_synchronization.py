"""The synchronization calls against the fake Graph: exact method, path, query and body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sync_payloads as sp
from fakegraph import TOKEN, FakeClock, FakeGraph, graph_error
from payloads import job_created_aws, job_list, job_quarantined_aws
from pytest_httpserver import HTTPServer

from provlytics.errors import ConfigError, GraphError
from provlytics.graph import GraphClient, StaticToken
from provlytics.graph import synchronization as sync

JOBS = f"/beta/servicePrincipals/{sp.SP_ID}/synchronization/jobs"
JOB = f"{JOBS}/{sp.JOB_ID}"


@pytest.fixture
def beta(graph: FakeGraph, graph_url: str, clock: FakeClock) -> Iterator[GraphClient]:
    """A beta client on the fake Graph (the reference document uses beta for jobs)."""
    with GraphClient(
        StaticToken(TOKEN), base_url=graph_url, version="beta", sleep=clock.sleep, clock=clock
    ) as client:
        yield client


def sent(httpserver: HTTPServer) -> list[tuple[str, str, Any]]:
    """(method, path, parsed JSON body or None) of every request received."""
    return [
        (r.method, r.path, json.loads(r.get_data()) if r.get_data() else None)
        for r, _ in httpserver.log
    ]


def test_find_application_templates_filters_on_display_name(
    graph: FakeGraph, client: GraphClient, httpserver: HTTPServer
) -> None:
    graph.route("GET", "/v1.0/applicationTemplates", json=sp.load(sp.APPLICATION_TEMPLATES_TEXT))
    templates = sync.find_application_templates(client, "AWS Single Sign-on")
    assert [t["id"] for t in templates] == [sp.APP_TEMPLATE_ID]
    request = httpserver.log[0][0]
    assert request.method == "GET"
    assert request.args["$filter"] == "displayName eq 'AWS Single Sign-on'"


def test_find_application_templates_escapes_quotes(
    graph: FakeGraph, client: GraphClient, httpserver: HTTPServer
) -> None:
    graph.route("GET", "/v1.0/applicationTemplates", json={"value": []})
    assert sync.find_application_templates(client, "O'Reilly's app") == []
    assert httpserver.log[0][0].args["$filter"] == "displayName eq 'O''Reilly''s app'"


def test_instantiate_template_posts_display_name(
    graph: FakeGraph, client: GraphClient, httpserver: HTTPServer
) -> None:
    path = f"/v1.0/applicationTemplates/{sp.APP_TEMPLATE_ID}/instantiate"
    graph.route("POST", path, json=sp.load(sp.INSTANTIATE_RESPONSE_TEXT), status=201)
    created = sync.instantiate_template(client, sp.APP_TEMPLATE_ID, "AWS Contoso")
    assert created["servicePrincipal"]["id"] == sp.SP_ID
    assert sent(httpserver) == [("POST", path, sp.load(sp.INSTANTIATE_REQUEST_TEXT))]
    assert sent(httpserver)[0][2] == {"displayName": "AWS Contoso"}


def test_list_sync_templates_and_rules(
    graph: FakeGraph, beta: GraphClient, httpserver: HTTPServer
) -> None:
    path = f"/beta/servicePrincipals/{sp.SP_ID}/synchronization/templates"
    graph.route("GET", path, json=sp.load(sp.SYNC_TEMPLATES_TEXT))
    templates = sync.list_sync_templates(beta, sp.SP_ID)
    assert [t["id"] for t in templates] == ["aWSSingleSignon"]
    assert sent(httpserver) == [("GET", path, None)]
    assert sync.sync_rules(templates[0]) == [
        {
            "id": "03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8",
            "name": "USERGROUP_OUTBOUND_USERGROUP",
            "source_directory": "Azure Active Directory",
            "target_directory": "AWSSingleSignon",
            "priority": 1,
            "supports_provision_on_demand": True,
        }
    ]


def test_sync_rules_without_metadata_flag() -> None:
    schema = {"synchronizationRules": [{"id": "r#V2", "name": "n", "metadata": []}]}
    (rule,) = sync.sync_rules(schema)
    assert rule["id"] == "r#V2"
    assert rule["supports_provision_on_demand"] is None


def test_create_job_posts_template_id(
    graph: FakeGraph, beta: GraphClient, httpserver: HTTPServer
) -> None:
    graph.route("POST", JOBS, json=job_created_aws(), status=201)
    job = sync.create_job(beta, sp.SP_ID, "aWSSingleSignon")
    assert job["id"] == sp.JOB_ID
    assert job["status"]["code"] == "Paused"
    assert sent(httpserver) == [("POST", JOBS, sp.load(sp.CREATE_JOB_REQUEST_TEXT))]


@pytest.mark.parametrize(("call", "action"), [(sync.start_job, "start"), (sync.pause_job, "pause")])
def test_start_and_pause_send_no_body(
    graph: FakeGraph, beta: GraphClient, httpserver: HTTPServer, call: Any, action: str
) -> None:
    graph.route("POST", f"{JOB}/{action}", json=None)
    assert call(beta, sp.SP_ID, sp.JOB_ID) is None
    assert sent(httpserver) == [("POST", f"{JOB}/{action}", None)]


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("Full", "Full"),
        ("QuarantineState", "QuarantineState"),
        ("Escrows, QuarantineState", "Escrows,QuarantineState"),
        ("ForceDeletes,Watermark", "ForceDeletes,Watermark"),
    ],
)
def test_restart_job_sends_reset_scope(
    graph: FakeGraph, beta: GraphClient, httpserver: HTTPServer, scope: str, expected: str
) -> None:
    graph.route("POST", f"{JOB}/restart", json=None)
    sync.restart_job(beta, sp.SP_ID, sp.JOB_ID, scope)
    assert sent(httpserver) == [("POST", f"{JOB}/restart", {"criteria": {"resetScope": expected}})]


@pytest.mark.parametrize("scope", ["", "Everything", "Full,Bogus", "full"])
def test_restart_job_refuses_unknown_scope(
    graph: FakeGraph, beta: GraphClient, httpserver: HTTPServer, scope: str
) -> None:
    with pytest.raises(ConfigError, match="restart scope"):
        sync.restart_job(beta, sp.SP_ID, sp.JOB_ID, scope)
    assert httpserver.log == []


def test_get_job_and_schema(graph: FakeGraph, beta: GraphClient, httpserver: HTTPServer) -> None:
    schema = sp.load(sp.SYNC_TEMPLATES_TEXT)["value"][0]["schema"]
    graph.route("GET", JOB, json=job_quarantined_aws())
    graph.route("GET", f"{JOB}/schema", json=schema)
    assert sync.get_job(beta, sp.SP_ID, sp.JOB_ID)["status"]["code"] == "Quarantine"
    rules = sync.sync_rules(sync.get_job_schema(beta, sp.SP_ID, sp.JOB_ID))
    assert [r["id"] for r in rules] == ["03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8"]
    assert sent(httpserver) == [("GET", JOB, None), ("GET", f"{JOB}/schema", None)]


def test_list_jobs_follows_paging(
    graph: FakeGraph, beta: GraphClient, httpserver: HTTPServer
) -> None:
    first = job_list(job_created_aws())
    first["@odata.nextLink"] = httpserver.url_for(f"{JOBS}/page2")
    second = job_list(job_quarantined_aws())
    graph.route("GET", JOBS, json=first).route("GET", f"{JOBS}/page2", json=second)
    jobs = sync.list_jobs(beta, sp.SP_ID)
    assert [j["status"]["code"] for j in jobs] == ["Paused", "Quarantine"]
    assert [path for _, path, _ in sent(httpserver)] == [JOBS, f"{JOBS}/page2"]


def test_ids_are_quoted_into_paths(
    graph: FakeGraph, beta: GraphClient, httpserver: HTTPServer
) -> None:
    graph.route("GET", f"{JOBS}/a/b#c", json={"id": "x"})  # werkzeug decodes the path
    sync.get_job(beta, sp.SP_ID, "a/b#c")
    raw = httpserver.log[0][0].environ.get("RAW_URI") or httpserver.log[0][0].full_path
    assert "a%2Fb%23c" in raw


def test_empty_ids_are_refused(graph: FakeGraph, beta: GraphClient) -> None:
    with pytest.raises(ConfigError, match="job id"):
        sync.get_job(beta, sp.SP_ID, "")


def test_graph_errors_surface(graph: FakeGraph, beta: GraphClient) -> None:
    graph.route(
        "POST",
        JOBS,
        handler=lambda _r: graph_error(403, "Authorization_RequestDenied", "Insufficient."),
    )
    with pytest.raises(GraphError) as caught:
        sync.create_job(beta, sp.SP_ID, "aWSSingleSignon")
    assert caught.value.status == 403
    assert caught.value.code == "Authorization_RequestDenied"
