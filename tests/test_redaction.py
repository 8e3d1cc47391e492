"""The token never shows in an error, a log line or a repr, even when Graph echoes it back."""

from __future__ import annotations

import logging

import pytest
from fakegraph import TOKEN, FakeGraph, json_response
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from provlytics.errors import AuthError, GraphError, InputError
from provlytics.graph import GraphClient
from provlytics.operations import provision_on_demand_batch
from provlytics.redact import REDACTED, redact, remember_secret

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLWJ5dGVz"
LIST = "/v1.0/auditLogs/provisioning"


def echo(status: int, *, as_json: bool = True) -> object:
    """A handler that answers with the request's headers in the error message (or plain text)."""

    def handler(request: Request) -> Response:
        headers = "; ".join(f"{k}: {v}" for k, v in request.headers.items())
        text = f"rejected request with {headers}; also saw {JWT}"
        if not as_json:
            return Response(text, status, content_type="text/plain")
        inner = {"request-id": "req-1", "client-request-id": TOKEN, "date": "2026-11-16"}
        body = {"error": {"code": "BadRequest", "message": text, "innerError": inner}}
        return json_response(body, status)

    return handler


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text
        assert JWT not in text
        assert "eyJhdWQi" not in text


@pytest.mark.parametrize("status", [400, 403, 500])
def test_an_echoing_error_body_is_redacted(
    client: GraphClient, graph: FakeGraph, httpserver: HTTPServer, status: int, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    graph.route("GET", LIST, handler=echo(status))
    with pytest.raises(GraphError) as caught:
        client.get_json("auditLogs/provisioning")
    error = caught.value
    assert_clean(str(error), repr(error), error.message, str(error.client_request_id))
    assert f"Authorization: Bearer {REDACTED}" in error.message
    assert f"also saw {REDACTED}" in error.message
    assert_clean(caplog.text)
    # the echo really carried the token: the Graph host received it, and only that host
    assert httpserver.log[0][0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_an_echoing_text_body_is_redacted_before_it_is_cut(
    client: GraphClient, graph: FakeGraph
) -> None:
    graph.route("GET", LIST, handler=echo(502, as_json=False))
    client.http.max_attempts = 1
    with pytest.raises(GraphError) as caught:
        client.get_json("auditLogs/provisioning")
    assert_clean(str(caught.value), repr(caught.value))
    assert "Bearer <redacted>" in str(caught.value)


def test_an_error_page_with_status_200_is_redacted(client: GraphClient, graph: FakeGraph) -> None:
    graph.route("GET", LIST, handler=echo(200))
    with pytest.raises(InputError, match="page holds a Graph error") as caught:
        next(client.iter_pages("auditLogs/provisioning"))
    assert_clean(str(caught.value), repr(caught.value), caught.value.reason)


def test_on_demand_failures_log_no_token(client: GraphClient, graph: FakeGraph, caplog) -> None:
    path = "/v1.0/servicePrincipals/sp-1/synchronization/jobs/job-1/provisionOnDemand"
    graph.route("POST", path, handler=echo(409))
    batch = provision_on_demand_batch(client, "sp-1", "job-1", "rule-1", ["u-1"], progress=False)
    [failure] = batch.failures
    assert_clean(failure.reason, repr(failure), caplog.text)
    assert "Bearer <redacted>" in failure.reason


def test_auth_errors_are_redacted() -> None:
    error = AuthError("invalid_grant", f"refresh_token=rt-123456789 was {JWT}")
    assert str(error) == f"invalid_grant: refresh_token={REDACTED} was {REDACTED}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /v1.0/x?$top=2&$skiptoken=st-abc HTTP/1.1", "$top=2&$skiptoken=<redacted> HTTP"),
        ("?%24skiptoken=abc&%24top=5", "?%24skiptoken=<redacted>&%24top=5"),
        ('{"device_code": "dc-1", "code": "BadRequest"}', '"device_code": "<redacted>"'),
        ("Authorization: bearer abc.def-ghi_0123456", "Authorization: bearer <redacted>"),
        ("a bearer token is required", "a bearer token is required"),
        ("error_code=E1 errorCode BadRequest", "error_code=E1 errorCode BadRequest"),
    ],
)
def test_redact_patterns(text: str, expected: str) -> None:
    assert expected in redact(text)


def test_remembered_secrets_are_replaced_and_short_strings_ignored() -> None:
    remember_secret("s3cret-token-value")
    remember_secret("short")
    assert redact("x s3cret-token-value y short") == f"x {REDACTED} y short"
    assert redact("") == ""
