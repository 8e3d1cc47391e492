"""GraphClient: URLs, JSON helpers, paging, from_env, against FakeGraph on a local server."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import requests
from fakegraph import JOB_ID, TOKEN, FakeClock, FakeGraph, make_records
from pytest_httpserver import HTTPServer

from provlytics.errors import ConfigError, GraphError, InputError, UnsafeRedirectError
from provlytics.graph import (
    Certificate,
    ClientSecret,
    GraphClient,
    RateLimiter,
    StaticToken,
)
from provlytics.origin import Origin

LIST = "/v1.0/auditLogs/provisioning"


def test_public_names_are_exported() -> None:
    import provlytics.graph

    for name in provlytics.graph.__all__:
        assert getattr(provlytics.graph, name) is not None
    assert {"GraphClient", "StaticToken", "ClientSecret", "Certificate", "DeviceCode"} <= set(
        provlytics.graph.__all__
    )
    assert "RateLimiter" in provlytics.graph.__all__


def test_url_joins_root_version_and_path(graph_url: str) -> None:
    client = GraphClient(StaticToken(TOKEN), base_url=graph_url + "/", version="beta")
    assert client.url("auditLogs/provisioning") == f"{graph_url}/beta/auditLogs/provisioning"
    assert client.url("/servicePrincipals/1") == f"{graph_url}/beta/servicePrincipals/1"
    assert client.url("https://elsewhere/x") == "https://elsewhere/x"  # checked when sent


def test_pages_across_three_pages(client: GraphClient, graph_url: str, httpserver) -> None:
    params = {"$filter": f"jobId eq '{JOB_ID}'", "$top": 2}
    pages = list(client.iter_pages("auditLogs/provisioning", params=params))
    assert [len(page.records) for page in pages] == [2, 2, 1]
    assert [r["id"] for page in pages for r in page.records] == [f"rec-{i:04d}" for i in range(5)]
    assert [page.origin for page in pages] == [Origin(graph_url + LIST, page=n) for n in (1, 2, 3)]
    assert pages[0].paging.next_link == pages[1].paging.url
    assert pages[1].paging.next_link == pages[2].paging.url
    assert pages[2].paging.next_link is None
    received = [request for request, _ in httpserver.log]
    assert [r.args.get("$skiptoken") for r in received] == [None, "st-2", "st-4"]
    assert all(r.args["$filter"] == params["$filter"] for r in received)
    assert [r.headers["Authorization"] for r in received] == [f"Bearer {TOKEN}"] * 3


def test_resumes_from_a_saved_next_link(client: GraphClient) -> None:
    first = next(client.iter_pages("auditLogs/provisioning"))
    rest = list(client.iter_pages(first.paging.next_link, start_page=2))
    assert [page.origin.page for page in rest] == [2, 3]
    assert rest[0].records[0]["id"] == "rec-0002"


def test_server_filter_is_checked(client: GraphClient, graph: FakeGraph) -> None:
    graph.expected_filter = "provisioningStatusInfo/status eq 'success'"
    with pytest.raises(GraphError, match="Invalid filter clause"):
        list(client.iter_pages("auditLogs/provisioning", params={"$filter": "x eq 'y'"}))
    params = {"$filter": graph.expected_filter}
    assert len(list(client.iter_pages("auditLogs/provisioning", params=params))) == 3


def test_truncated_page_raises_input_error_after_earlier_pages(
    client: GraphClient, graph: FakeGraph, graph_url: str
) -> None:
    graph.fail("truncated", at=2)
    pages = client.iter_pages("auditLogs/provisioning")
    assert next(pages).origin.page == 1
    with pytest.raises(InputError) as caught:
        next(pages)
    assert caught.value.origin == Origin(graph_url + LIST, page=2)
    assert "not valid JSON" in str(caught.value)
    assert "st-2" not in str(caught.value)


def test_error_body_answered_with_200_is_an_input_error(
    client: GraphClient, graph: FakeGraph
) -> None:
    graph.fail("error-200")
    with pytest.raises(InputError, match=r"page 1: page holds a Graph error.*UnknownError"):
        list(client.iter_pages("auditLogs/provisioning"))


@pytest.mark.parametrize(
    "body", [{"values": []}, {"value": {"id": 1}}, {"value": [1, 2]}, [{"id": 1}]]
)
def test_page_without_value_list_is_an_input_error(
    client: GraphClient, graph: FakeGraph, body: object
) -> None:
    graph.route("GET", "/v1.0/odd", json=body)
    with pytest.raises(InputError, match="odd: page 1"):
        list(client.iter_pages("odd"))


def test_expired_skiptoken_is_a_graph_error_not_retried(
    client: GraphClient, graph: FakeGraph, httpserver, clock: FakeClock
) -> None:
    graph.fail("expired-skiptoken", at=2)
    with pytest.raises(GraphError) as caught:
        list(client.iter_pages("auditLogs/provisioning"))
    assert caught.value.code == "DirectoryPageTokenNotFound"
    assert len(httpserver.log) == 2
    assert clock.sleeps == []


def test_foreign_next_link_gets_no_request(
    client: GraphClient, graph: FakeGraph, httpserver: HTTPServer, httpserver_ipv4: HTTPServer
) -> None:
    graph.foreign_base = httpserver_ipv4.url_for("/").rstrip("/")
    httpserver_ipv4.expect_request("/v1.0/auditLogs/provisioning").respond_with_json({"value": []})
    graph.fail("foreign-next")
    pages = client.iter_pages("auditLogs/provisioning")
    assert next(pages).paging.next_link.startswith(graph.foreign_base)
    with pytest.raises(UnsafeRedirectError):
        next(pages)
    assert len(httpserver.log) == 1
    assert httpserver_ipv4.log == []


def test_reports_limiter_keeps_paging_under_the_server_limit(
    graph: FakeGraph, graph_url: str, clock: FakeClock, httpserver
) -> None:
    graph.records = make_records(22)
    graph.limit(5, 10.0)
    client = GraphClient(StaticToken(TOKEN), base_url=graph_url, sleep=clock.sleep, clock=clock)
    pages = list(client.iter_pages("auditLogs/provisioning", limiter=client.reports_limiter))
    assert len(pages) == 11
    assert graph.throttled == 0
    assert len(httpserver.log) == 11
    assert sum(clock.sleeps) == pytest.approx(2 * 10.25)  # two full windows + arrival margin


def test_limiters_use_the_clients_clock(graph_url: str, clock: FakeClock) -> None:
    client = GraphClient(StaticToken(TOKEN), base_url=graph_url, sleep=clock.sleep, clock=clock)
    assert repr(client.reports_limiter) == "RateLimiter(5, 10.25)"
    assert repr(client.on_demand_limiter) == "RateLimiter(5, 10.25)"
    limiter = client.new_limiter(1, 2.0)
    assert isinstance(limiter, RateLimiter)
    limiter.acquire()
    assert limiter.acquire() == 2.0
    assert clock.sleeps == [2.0]


def test_get_json_and_post_json(client: GraphClient, graph: FakeGraph, httpserver) -> None:
    graph.route("GET", "/v1.0/servicePrincipals/sp/synchronization/jobs", json={"value": []})
    graph.route("POST", "/v1.0/jobs/j/provisionOnDemand", json={"key": "{}", "value": "{}"})
    graph.route("POST", "/v1.0/jobs/j/restart")
    assert client.get_json("servicePrincipals/sp/synchronization/jobs") == {"value": []}
    body = {"parameters": [{"ruleId": "r", "subjects": []}]}
    assert client.post_json("jobs/j/provisionOnDemand", body) == {"key": "{}", "value": "{}"}
    assert client.post_json("jobs/j/restart", {"criteria": {}}) is None
    posted = [request.get_json() for request, _ in httpserver.log if request.method == "POST"]
    assert posted == [body, {"criteria": {}}]


def test_get_json_rejects_non_objects(client: GraphClient, graph: FakeGraph) -> None:
    graph.route("GET", "/v1.0/list", json=[1, 2])
    with pytest.raises(InputError, match="expected a JSON object"):
        client.get_json("list")


def test_callers_session_stays_open_own_session_closes(graph_url: str) -> None:
    class CountingSession(requests.Session):
        closed = 0

        def close(self) -> None:
            self.closed += 1
            super().close()

    mine = CountingSession()
    with GraphClient(StaticToken(TOKEN), base_url=graph_url, session=mine):
        pass
    assert mine.closed == 0
    with GraphClient(StaticToken(TOKEN), base_url=graph_url) as own:
        assert own.http.owns_session


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"version": "v2.0"}, "PROVLYTICS_GRAPH_VERSION"),
        ({"base_url": "https://graph.microsoft.com/v1.0"}, "includes the API version"),
        ({"base_url": "http://graph.microsoft.com"}, "only https"),
    ],
)
def test_invalid_settings_are_config_errors(options: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        GraphClient(StaticToken(TOKEN), **options)


def test_repr_and_logs_never_show_the_token(
    client: GraphClient, graph_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    list(client.iter_pages("auditLogs/provisioning"))
    expected = f"base_url={graph_url!r}, version='v1.0', credential=StaticToken(token=<hidden>)"
    assert repr(client) == f"GraphClient({expected})"
    assert TOKEN not in caplog.text


def test_from_env_with_a_static_token(graph_url: str) -> None:
    env = {
        "PROVLYTICS_TOKEN": TOKEN,
        "PROVLYTICS_GRAPH_URL": graph_url,
        "PROVLYTICS_GRAPH_VERSION": "beta",
    }
    client = GraphClient.from_env(environ=env, timeout=5.0)
    assert isinstance(client.credential, StaticToken)
    assert (client.base_url, client.version, client.http.timeout) == (graph_url, "beta", 5.0)


def test_from_env_with_a_client_secret() -> None:
    env = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s3cr3t"}
    client = GraphClient.from_env(environ=env)
    assert isinstance(client.credential, ClientSecret)
    assert client.base_url == "https://graph.microsoft.com"
    assert "s3cr3t" not in repr(client)


def test_from_env_with_a_certificate(certificate_pem: Path) -> None:
    env = {
        "AZURE_TENANT_ID": "t",
        "AZURE_CLIENT_ID": "c",
        "AZURE_CLIENT_CERTIFICATE_PATH": str(certificate_pem),
    }
    assert isinstance(GraphClient.from_env(environ=env).credential, Certificate)


def test_from_env_overrides_win(graph_url: str) -> None:
    client = GraphClient.from_env(
        environ={}, credential=StaticToken(TOKEN), base_url=graph_url, version="beta"
    )
    assert (client.base_url, client.version) == (graph_url, "beta")


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "none is set"),
        ({"AZURE_TENANT_ID": "t"}, "AZURE_CLIENT_ID"),
        ({"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c"}, "AZURE_CLIENT_SECRET or"),
    ],
)
def test_from_env_missing_settings_lists_every_way(env: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigError) as caught:
        GraphClient.from_env(environ=env)
    message = str(caught.value)
    assert missing in message
    for way in (
        "credential=",
        "StaticToken",
        "ClientSecret",
        "Certificate",
        "DeviceCode",
        "PROVLYTICS_TOKEN",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "--token",
        "--tenant-id",
        "--client-id",
        "--client-secret",
        "--certificate-path",
    ):
        assert way in message
    ways = [line.split()[1] for line in message.splitlines()[1:]]
    assert ways == ["pass", "set", "set", "on"]  # in Python, credential= first
