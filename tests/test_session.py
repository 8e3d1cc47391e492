"""GraphSession's retry loop against a real local server (FakeGraph on pytest-httpserver)."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime

import pytest
import requests
from fakegraph import TOKEN, FakeClock, FakeGraph, graph_error
from pytest_httpserver import HTTPServer
from werkzeug import Response

from provlytics.errors import (
    AuthError,
    ConfigError,
    GraphError,
    InputError,
    ThrottledError,
    UnsafeRedirectError,
)
from provlytics.graph import GraphSession, RateLimiter, StaticToken
from provlytics.graph.session import check_base_url, parse_retry_after, sanitize_url
from provlytics.origin import Origin

LIST = "/v1.0/auditLogs/provisioning"


class RotatingToken:
    """A credential that hands out `old` until asked to refresh, then `new`."""

    def __init__(self, old: str = "old-token", new: str = TOKEN) -> None:
        self.current, self.new, self.refreshes = old, new, 0

    def token(self, force_refresh: bool = False) -> str:
        if force_refresh:
            self.refreshes += 1
            self.current = self.new
        return self.current


def make_session(
    url: str, clock: FakeClock, credential: object = None, **options: object
) -> GraphSession:
    waits: list[tuple[float, str]] = []
    session = GraphSession(
        credential or StaticToken(TOKEN),
        base_url=url,
        sleep=clock.sleep,
        clock=clock,
        on_wait=lambda seconds, reason: waits.append((seconds, reason)),
        **options,
    )
    session.waits = waits  # type: ignore[attr-defined]
    return session


@pytest.fixture
def session(graph: FakeGraph, graph_url: str, clock: FakeClock) -> GraphSession:
    return make_session(graph_url, clock)


def auth_headers(httpserver: HTTPServer) -> list[str | None]:
    return [request.headers.get("Authorization") for request, _ in httpserver.log]


def statuses(httpserver: HTTPServer) -> list[int]:
    return [response.status_code for _, response in httpserver.log]


def test_429_waits_exactly_the_fractional_retry_after(
    session: GraphSession, graph: FakeGraph, graph_url: str, clock: FakeClock, httpserver
) -> None:
    graph.fail("429")
    response = session.send("GET", graph_url + LIST)
    assert response.status_code == 200
    assert clock.sleeps == [1.5]
    assert session.waits == [(1.5, "HTTP 429")]  # type: ignore[attr-defined]
    assert statuses(httpserver) == [429, 200]
    assert auth_headers(httpserver) == [f"Bearer {TOKEN}"] * 2


def test_429_with_http_date_waits_until_that_date(
    session: GraphSession, graph: FakeGraph, graph_url: str, clock: FakeClock
) -> None:
    graph.fail("429-date")
    session.send("GET", graph_url + LIST)
    assert len(clock.sleeps) == 1
    assert 1.0 < clock.sleeps[0] <= 3.0


def test_429_without_retry_after_backs_off_with_jitter(
    session: GraphSession, graph: FakeGraph, graph_url: str, clock: FakeClock
) -> None:
    graph.fail("429-bare", "429-bare")
    session.send("GET", graph_url + LIST)
    assert len(clock.sleeps) == 2
    assert 0 <= clock.sleeps[0] <= 1.0
    assert 0 <= clock.sleeps[1] <= 2.0


def test_503_then_success(
    session: GraphSession, graph: FakeGraph, graph_url: str, clock: FakeClock, httpserver
) -> None:
    graph.fail("503")
    assert session.send("GET", graph_url + LIST).json()["value"]
    assert clock.sleeps == [2.0]
    assert statuses(httpserver) == [503, 200]


def test_500_every_time_gives_up_after_bounded_attempts(
    graph: FakeGraph, graph_url: str, clock: FakeClock, httpserver
) -> None:
    session = make_session(graph_url, clock, max_attempts=4, backoff_base=1.0, backoff_cap=3.0)
    graph.fail("500", "500", "500", "500", "500")
    with pytest.raises(GraphError) as caught:
        session.send("GET", graph_url + LIST)
    assert caught.value.status == 500
    assert caught.value.code == "InternalServerError"
    assert not isinstance(caught.value, ThrottledError)
    assert len(httpserver.log) == 4
    assert len(clock.sleeps) == 3
    for ceiling, slept in zip([1.0, 2.0, 3.0], clock.sleeps, strict=True):
        assert 0 <= slept <= ceiling


def test_throttled_until_exhausted_raises_throttled_error(
    graph: FakeGraph, graph_url: str, clock: FakeClock, httpserver
) -> None:
    session = make_session(graph_url, clock, max_attempts=3)
    graph.fail("429", "429", "429")
    with pytest.raises(ThrottledError) as caught:
        session.send("GET", graph_url + LIST)
    assert caught.value.retry_after == 1.5
    assert caught.value.status == 429
    assert caught.value.request_id == "req-TooManyRequests"
    assert len(httpserver.log) == 3
    assert clock.sleeps == [1.5, 1.5]


def test_retry_after_is_capped(
    session: GraphSession, graph: FakeGraph, graph_url: str, clock: FakeClock
) -> None:
    graph.fail(graph_error(429, "TooManyRequests", "Later.", {"Retry-After": "86400"}))
    session.send("GET", graph_url + LIST)
    assert clock.sleeps == [300.0]


def test_401_refreshes_the_token_once_then_succeeds(
    graph: FakeGraph, graph_url: str, clock: FakeClock, httpserver
) -> None:
    credential = RotatingToken()
    session = make_session(graph_url, clock, credential)
    session.send("GET", graph_url + LIST)
    assert credential.refreshes == 1
    assert auth_headers(httpserver) == ["Bearer old-token", f"Bearer {TOKEN}"]
    assert statuses(httpserver) == [401, 200]
    assert clock.sleeps == []


def test_401_twice_raises_graph_error(
    graph: FakeGraph, graph_url: str, clock: FakeClock, httpserver
) -> None:
    credential = RotatingToken(new="still-wrong")
    session = make_session(graph_url, clock, credential)
    with pytest.raises(GraphError) as caught:
        session.send("GET", graph_url + LIST)
    assert caught.value.status == 401
    assert caught.value.code == "InvalidAuthenticationToken"
    assert credential.refreshes == 1
    assert len(httpserver.log) == 2


def test_401_with_a_static_token_says_how_to_get_a_new_one(
    graph: FakeGraph, graph_url: str, clock: FakeClock, httpserver
) -> None:
    session = make_session(graph_url, clock, StaticToken("expired-token"))
    with pytest.raises(AuthError, match="Graph Explorer"):
        session.send("GET", graph_url + LIST)
    assert len(httpserver.log) == 1


def test_404_is_not_retried(session: GraphSession, graph_url: str, clock, httpserver) -> None:
    with pytest.raises(GraphError) as caught:
        session.send("GET", graph_url + "/v1.0/nothing/here")
    assert caught.value.status == 404
    assert caught.value.code == "Request_ResourceNotFound"
    assert len(httpserver.log) == 1
    assert clock.sleeps == []


def test_post_is_not_retried_on_500(
    session: GraphSession, graph: FakeGraph, graph_url: str, httpserver
) -> None:
    graph.route("POST", "/v1.0/jobs/j/provisionOnDemand", json={"key": "{}", "value": "{}"})
    graph.fail("500")
    with pytest.raises(GraphError):
        session.send("POST", graph_url + "/v1.0/jobs/j/provisionOnDemand", json={"a": 1})
    assert statuses(httpserver) == [500]


def test_post_is_retried_on_429(
    session: GraphSession, graph: FakeGraph, graph_url: str, clock: FakeClock, httpserver
) -> None:
    graph.route("POST", "/v1.0/jobs/j/provisionOnDemand", json={"key": "{}", "value": "{}"})
    graph.fail("429")
    response = session.send("POST", graph_url + "/v1.0/jobs/j/provisionOnDemand", json={"a": 1})
    assert response.json() == {"key": "{}", "value": "{}"}
    assert statuses(httpserver) == [429, 200]
    assert [request.get_json() for request, _ in httpserver.log] == [{"a": 1}] * 2
    assert clock.sleeps == [1.5]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_errors_are_retried_for_get_only(clock: FakeClock) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    session = make_session(url, clock, max_attempts=3)
    with pytest.raises(GraphError) as caught:
        session.send("GET", url + LIST)
    assert caught.value.status == 0
    assert caught.value.code == "ConnectionError"
    assert len(clock.sleeps) == 2
    clock.sleeps.clear()
    with pytest.raises(GraphError):
        session.send("POST", url + LIST, json={})
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "foreign",
    [
        "https://{host}:{port}/v1.0/x",  # other scheme
        "http://{host}:1/v1.0/x",  # other port
        "http://127.0.0.1:{port}/v1.0/x",  # other host name for the same server
        "http://graph.example.invalid/v1.0/x",
    ],
)
def test_foreign_urls_get_no_request(
    session: GraphSession, httpserver: HTTPServer, foreign: str
) -> None:
    url = foreign.format(host=httpserver.host, port=httpserver.port)
    with pytest.raises(UnsafeRedirectError, match="refusing"):
        session.send("GET", url)
    assert httpserver.log == []


def test_redirects_are_not_followed(
    session: GraphSession, graph: FakeGraph, graph_url: str, httpserver
) -> None:
    graph.fail(Response(status=302, headers={"Location": graph_url + LIST}))
    with pytest.raises(GraphError) as caught:
        session.send("GET", graph_url + LIST)
    assert caught.value.status == 302
    assert len(httpserver.log) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://graph.microsoft.com",
        "http://10.0.0.1:8080",
        "ftp://localhost",
        "https://u:p@g.example",
    ],
)
def test_bad_base_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        GraphSession(StaticToken(TOKEN), base_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080",
        "http://127.0.0.5",
        "http://[::1]:9000/",
        "https://graph.microsoft.us/",
    ],
)
def test_good_base_urls(url: str) -> None:
    assert check_base_url(url) == url.rstrip("/")


def test_limiter_is_acquired_before_every_attempt(
    session: GraphSession, graph: FakeGraph, graph_url: str, clock: FakeClock
) -> None:
    limiter = RateLimiter(5, 10.0, clock=clock, sleep=clock.sleep)
    graph.limit(5, 10.0)
    for _ in range(6):
        session.send("GET", graph_url + LIST, limiter=limiter)
    assert clock.sleeps == [10.0]
    assert session.waits == [(10.0, "rate limit")]  # type: ignore[attr-defined]
    assert graph.throttled == 0


def test_server_side_limit_without_limiter_costs_429s_but_succeeds(
    session: GraphSession, graph: FakeGraph, graph_url: str, clock: FakeClock, httpserver
) -> None:
    graph.limit(5, 10.0)
    for _ in range(6):
        clock.now += 0.5
        session.send("GET", graph_url + LIST)
    assert graph.throttled == 1
    assert clock.sleeps == [pytest.approx(7.5)]
    assert statuses(httpserver).count(429) == 1


def test_one_info_line_per_request_without_secrets(
    session: GraphSession, graph: FakeGraph, graph_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    graph.fail("429")
    caplog.set_level(logging.DEBUG)
    params = {"$filter": "jobId eq 'j'", "$top": "2", "$skiptoken": "st-2"}
    session.send("GET", graph_url + LIST, params=params)
    ours = [r for r in caplog.records if r.name.startswith("provlytics")]
    lines = [r.getMessage() for r in ours]
    requests_logged = [line for line in lines if line.startswith("GET ")]
    assert len(requests_logged) == 2
    assert "-> 429 (attempt 1" in requests_logged[0]
    assert "-> 200 (attempt 2" in requests_logged[1]
    assert "$filter=jobId+eq+'j'" in requests_logged[0]
    assert not any("st-2" in line for line in lines)
    assert "waiting 1.500 s (HTTP 429)" in lines
    assert TOKEN not in caplog.text  # nor in any other library's log lines


def test_graph_error_carries_graph_fields_and_no_token(
    session: GraphSession, graph: FakeGraph, graph_url: str
) -> None:
    graph.fail("expired-skiptoken")
    with pytest.raises(GraphError) as caught:
        session.send("GET", graph_url + LIST, params={"$skiptoken": "st-4"})
    error = caught.value
    assert (error.status, error.code) == (400, "DirectoryPageTokenNotFound")
    assert error.message == "The skip token is expired or invalid."
    assert error.request_id == "req-DirectoryPageTokenNotFound"
    assert error.client_request_id == "cli-1"
    assert error.date == "2026-11-16T10:00:00"
    assert error.url == graph_url + LIST
    assert "st-4" not in str(error)
    assert TOKEN not in str(error) + repr(error) + repr(session)


def test_graph_error_tolerates_a_non_json_body(graph: FakeGraph, graph_url: str, clock) -> None:
    session = make_session(graph_url, clock, max_attempts=1)
    graph.fail("502-html")
    with pytest.raises(GraphError) as caught:
        session.send("GET", graph_url + LIST)
    assert caught.value.status == 502
    assert caught.value.code is None
    assert "Bad Gateway" in caught.value.message


def test_json_names_the_url_without_query_and_the_page(
    session: GraphSession, graph: FakeGraph, graph_url: str
) -> None:
    graph.fail("truncated")
    response = session.send("GET", graph_url + LIST, params={"$skiptoken": "st-2"})
    with pytest.raises(InputError) as caught:
        session.json(response, Origin(graph_url + LIST, page=2))
    assert str(caught.value).startswith(f"{graph_url}{LIST}: page 2: response body is not valid")
    with pytest.raises(InputError) as without_origin:
        session.json(response)
    assert without_origin.value.origin == graph_url + LIST  # the query ($skiptoken) is dropped


def test_callers_session_is_never_closed(graph_url: str, clock: FakeClock) -> None:
    class CountingSession(requests.Session):
        closed = 0

        def close(self) -> None:
            self.closed += 1
            super().close()

    mine = CountingSession()
    make_session(graph_url, clock, session=mine).close()
    assert mine.closed == 0
    own = make_session(graph_url, clock)
    own.close()
    assert own.owns_session


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("1.5", 1.5),
        ("2.128", 2.128),
        ("10", 10.0),
        (" 0 ", 0.0),
        ("-3", 0.0),
        ("Wed, 18 Nov 2026 12:00:05 GMT", 5.0),
        ("Wed, 18 Nov 2026 11:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://g/v1.0/x", "https://g/v1.0/x"),
        (
            "https://g/v1.0/x?$filter=jobId eq 'a'&$top=5&$skiptoken=secret",
            "https://g/v1.0/x?$filter=jobId+eq+'a'&$top=5&$skiptoken=...",
        ),
        ("https://g/x?code=abc&sig=def", "https://g/x?code=...&sig=..."),
    ],
)
def test_sanitize_url(url: str, expected: str) -> None:
    assert sanitize_url(url) == expected
