"""A stateful fake Microsoft Graph for pytest-httpserver, and a fake clock.

Register it on the server with `FakeGraph(...).install(httpserver)` (one catch-all handler). It

- serves `GET /{v1.0,beta}/auditLogs/provisioning` as Graph does: `value` pages of `page_size`
  (or `$top`) records with an absolute `@odata.nextLink` carrying `$skiptoken` (and the query);
- checks the bearer token (`tokens`), `$top`, and `expected_filter` when set;
- applies `$filter` as Graph does (`fakegraph_filter.Where`): `activityDateTime` compared
  with `gt`, `ge`, `lt`, `le` or `eq`, `eq` on the text fields the client filters on, clauses
  joined by `and`, `or` inside parentheses; any other filter is a 400 `BadRequest` (Graph's
  error body);
- answers extra routes registered with `route(method, path, json=... | handler=...)`;
- injects faults by request number with `fail("429", "503", at=2)`, see `FAULTS`;
- optionally enforces a sliding-window rate limit (`limit(5, 10.0)`) on its `clock`,
  answering 429 with a fractional Retry-After beyond it and counting them in `throttled`.

`record(i, when)` builds a small record at a given time. The request log itself is
`httpserver.log`; the fake only keeps counters.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import requests
from fakegraph_filter import Where
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN = "fake-graph-token-0123456789"
JOB_ID = "scim.0123456789abcdef0123456789abcdef.job-1"  # every record's jobId
LOGIN_HOST = "https://login.test"
LIST_PATHS = ("/v1.0/auditLogs/provisioning", "/beta/auditLogs/provisioning")
FAULTS = (
    "429",  # Retry-After: 1.5
    "429-date",  # Retry-After as an HTTP date 3 s ahead (wall clock)
    "429-bare",  # no Retry-After
    "503",  # Retry-After: 2
    "503-bare",
    "500",
    "502-html",  # a gateway page that is not JSON
    "401",
    "truncated",  # the page cut in the middle, with status 200
    "error-200",  # a Graph error body answered with status 200
    "expired-skiptoken",  # 400 DirectoryPageTokenNotFound
    "foreign-next",  # the page's nextLink points at `foreign_base`
)

Handler = Callable[[Request], Response]


@dataclass
class FakeClock:
    """A monotonic clock whose `sleep` advances time instead of waiting."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response as Graph sends it."""
    return Response(json.dumps(body), status, headers, content_type="application/json")


def graph_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """Graph's error envelope with request-id and date in `innerError`."""
    inner = {
        "request-id": f"req-{code}",
        "client-request-id": "cli-1",
        "date": "2026-11-16T10:00:00",
    }
    body = {"error": {"code": code, "message": message, "innerError": inner}}
    return json_response(body, status, headers)


def make_records(count: int, *, start: datetime | None = None) -> list[dict[str, Any]]:
    """`count` small v1.0 provisioning records, one minute apart."""
    first = start or datetime(2026, 11, 16, tzinfo=UTC)
    return [
        {
            "id": f"rec-{i:04d}",
            "activityDateTime": (first + timedelta(minutes=i)).isoformat().replace("+00:00", "Z"),
            "jobId": JOB_ID,
            "provisioningAction": "create",
            "provisioningStatusInfo": {"status": "success", "errorInformation": None},
        }
        for i in range(count)
    ]


class FakeGraph:
    """A callable request handler that behaves like the parts of Graph provlytics uses."""

    def __init__(
        self,
        records: Iterable[dict[str, Any]] = (),
        *,
        page_size: int = 2,
        tokens: Iterable[str] = (TOKEN,),
        clock: Callable[[], float] | None = None,
        foreign_base: str = "http://graph.example.invalid",
    ) -> None:
        self.records = list(records)
        self.page_size = page_size
        self.tokens = set(tokens)
        self.clock = clock or FakeClock()
        self.foreign_base = foreign_base
        self.expected_filter: str | None = None
        self.calls = 0
        self.throttled = 0
        self._faults: dict[int, str | Response] = {}
        self._routes: dict[tuple[str, str], Handler] = {}
        self._limit: tuple[int, float] | None = None
        self._window: deque[float] = deque()

    def install(self, httpserver: HTTPServer) -> FakeGraph:
        """Register this fake as the server's handler for every path and method."""
        httpserver.expect_request(re.compile(r"^/.*")).respond_with_handler(self)
        return self

    def route(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        handler: Handler | None = None,
    ) -> FakeGraph:
        """Answer `method path` with a canned JSON body (or 204 when None), or with `handler`."""
        if handler is None:

            def handler(_request: Request) -> Response:
                if json is None:
                    return Response(status=204 if status == 200 else status, headers=headers)
                return json_response(json, status, headers)

        self._routes[(method.upper(), path)] = handler
        return self

    def fail(self, *faults: str | Response, at: int | None = None) -> FakeGraph:
        """Inject faults (names from FAULTS, or whole responses) at request numbers `at`, `at`+1…

        Without `at`, they hit the next requests after those already received.
        """
        first = self.calls + 1 if at is None else at
        for offset, fault in enumerate(faults):
            if isinstance(fault, str) and fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}; choose from {FAULTS}")
            self._faults[first + offset] = fault
        return self

    def limit(self, max_calls: int, period: float) -> FakeGraph:
        """Answer 429 beyond `max_calls` accepted requests in any `period` seconds of `clock`."""
        self._limit = (max_calls, period)
        return self

    def __call__(self, request: Request) -> Response:
        self.calls += 1
        fault = self._faults.pop(self.calls, None)
        early = self._rate_limited() or self._early_fault(fault) or self._unauthorized(request)
        if early is not None:
            return early
        route = self._routes.get((request.method, request.path))
        if route is not None:
            return route(request)
        if request.method == "GET" and request.path in LIST_PATHS:
            return self._list_page(request, fault)
        return graph_error(404, "Request_ResourceNotFound", f"no route {request.path}")

    def _rate_limited(self) -> Response | None:
        if self._limit is None:
            return None
        max_calls, period = self._limit
        now = self.clock()
        while self._window and self._window[0] <= now - period:
            self._window.popleft()
        if len(self._window) < max_calls:
            self._window.append(now)
            return None
        self.throttled += 1
        wait = round(self._window[0] + period - now, 3)
        return graph_error(429, "TooManyRequests", "Please retry again later.", _retry(wait))

    def _early_fault(self, fault: str | Response | None) -> Response | None:
        if isinstance(fault, Response):
            return fault
        canned: dict[str, Callable[[], Response]] = {
            "429": lambda: graph_error(429, "TooManyRequests", "Please retry.", _retry("1.5")),
            "429-date": lambda: graph_error(429, "TooManyRequests", "Later.", _retry_date(3)),
            "429-bare": lambda: graph_error(429, "TooManyRequests", "Please retry."),
            "503": lambda: graph_error(503, "ServiceUnavailable", "Busy.", _retry("2")),
            "503-bare": lambda: graph_error(503, "ServiceUnavailable", "Busy."),
            "500": lambda: graph_error(500, "InternalServerError", "Something broke."),
            "502-html": lambda: Response("<html>Bad Gateway</html>", 502, content_type="text/html"),
            "401": lambda: graph_error(401, "InvalidAuthenticationToken", "Token expired."),
            "expired-skiptoken": lambda: graph_error(
                400, "DirectoryPageTokenNotFound", "The skip token is expired or invalid."
            ),
            "error-200": lambda: graph_error(200, "UnknownError", "An error saved as a page."),
        }
        return canned[fault]() if fault in canned else None

    def _unauthorized(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and header[len("Bearer ") :] in self.tokens:
            return None
        return graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")

    def _list_page(self, request: Request, fault: str | Response | None) -> Response:
        args = request.args
        problem = self._check_query(args)
        if problem is not None:
            return problem
        try:
            where = Where(args.get("$filter"))
        except ValueError as exc:
            return graph_error(400, "BadRequest", f"Invalid filter clause: {exc}")
        chosen = [r for r in self.records if where.matches(r)]
        top = int(args.get("$top") or self.page_size)
        offset = int(args.get("$skiptoken", "st-0").removeprefix("st-"))
        body: dict[str, Any] = {
            "@odata.context": f"{request.host_url}v1.0/$metadata#auditLogs/provisioning",
            "value": chosen[offset : offset + top],
        }
        if offset + top < len(chosen):
            base = self.foreign_base + "/" if fault == "foreign-next" else request.host_url
            query = {k: v for k, v in args.items() if k != "$skiptoken"}
            query.update({"$top": str(top), "$skiptoken": f"st-{offset + top}"})
            body["@odata.nextLink"] = f"{base}{request.path.lstrip('/')}?{urlencode(query)}"
        text = json.dumps(body)
        if fault == "truncated":
            text = text[: len(text) // 2]
        return Response(text, 200, content_type="application/json")

    def _check_query(self, args: Any) -> Response | None:
        top = args.get("$top")
        if top is not None and not (top.isdigit() and 1 <= int(top) <= 999):
            return graph_error(400, "BadRequest", f"Invalid $top value {top!r}")
        if self.expected_filter is not None and args.get("$filter") != self.expected_filter:
            return graph_error(400, "BadRequest", f"Invalid filter clause: {args.get('$filter')!r}")
        token = args.get("$skiptoken")
        if token is not None and not re.fullmatch(r"st-\d+", token):
            return graph_error(400, "DirectoryPageTokenNotFound", "The skip token is invalid.")
        return None


def _retry(value: float | str) -> dict[str, str]:
    return {"Retry-After": str(value)}


def _retry_date(seconds: int) -> dict[str, str]:
    when = datetime.now(UTC) + timedelta(seconds=seconds)
    return {"Retry-After": format_datetime(when, usegmt=True)}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def record(index: int, when: str, status: str = "success") -> dict[str, Any]:
    """A small v1.0 provisioning record `evt-<index>` at `when` (ISO text)."""
    return {
        "id": f"evt-{index:03d}",
        "activityDateTime": when,
        "jobId": JOB_ID,
        "provisioningAction": "create",
        "provisioningStatusInfo": {"status": status, "errorInformation": None},
    }


class FakeLogin:
    """A fake Entra login endpoint (OpenID configuration, token, device code) for msal.

    msal insists on https authorities, so credentials are built with
    `authority_host=LOGIN_HOST` and `http_client=LocalLogin(server_url)`, which forwards
    `https://login.test/...` to the local server. Access tokens are `at-1`, `at-2`, ...;
    `error` (e.g. "invalid_client") makes the token endpoint refuse.
    """

    def __init__(self, tenant_id: str = "tenant-1", client_id: str = "client-1") -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.error: str | None = None
        self.issued = 0

    def install(self, httpserver: HTTPServer) -> FakeLogin:
        """Register on the server; install before a FakeGraph (whose handler catches all)."""
        pattern = re.compile(rf"^/{re.escape(self.tenant_id)}/")
        httpserver.expect_request(pattern).respond_with_handler(self)
        return self

    def __call__(self, request: Request) -> Response:
        root = f"{LOGIN_HOST}/{self.tenant_id}"
        if request.path.endswith("/.well-known/openid-configuration"):
            return json_response(
                {
                    "issuer": f"{root}/v2.0",
                    "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{root}/oauth2/v2.0/token",
                    "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                }
            )
        if request.path.endswith("/devicecode"):
            return json_response(self._device_flow())
        if request.path.endswith("/token"):
            return self._token(request)
        return json_response({"error": "not_found"}, 404)

    def _device_flow(self) -> dict[str, Any]:
        return {
            "device_code": "device-code-1",
            "user_code": "ABCD-1234",
            "verification_uri": "https://microsoft.com/devicelogin",
            "expires_in": 900,
            "interval": 1,
            "message": "To sign in, open https://microsoft.com/devicelogin and enter ABCD-1234.",
        }

    def _token(self, request: Request) -> Response:
        if self.error:
            body = {
                "error": self.error,
                "error_description": "AADSTS7000215: Invalid client secret provided.",
                "error_codes": [7000215],
                "correlation_id": "corr-0001",
                "trace_id": "trace-0001",
            }
            return json_response(body, 401 if self.error == "invalid_client" else 400)
        self.issued += 1
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": 3600,
            "access_token": f"at-{self.issued}",
        }
        if request.form.get("grant_type") != "client_credentials":
            body.update(self._user_tokens())
        return json_response(body)

    def _user_tokens(self) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": f"{LOGIN_HOST}/{self.tenant_id}/v2.0",
            "aud": self.client_id,
            "iat": now,
            "exp": now + 3600,
            "oid": "user-oid",
            "sub": "user-sub",
            "tid": self.tenant_id,
            "preferred_username": "alice@contoso.com",
        }
        return {
            "refresh_token": f"rt-{self.issued}",
            "id_token": f"{_b64({'alg': 'none'})}.{_b64(claims)}.",
            "client_info": _b64({"uid": "user-oid", "utid": self.tenant_id}),
            "scope": "https://graph.microsoft.com/.default",
        }


class LocalLogin:
    """msal's documented `http_client` seam: forwards https://login.test/... to a local server."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url.rstrip("/")
        self.session = requests.Session()

    def _local(self, url: str) -> str:
        return self.server_url + url.removeprefix(LOGIN_HOST) if url.startswith(LOGIN_HOST) else url

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self._local(url), **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self._local(url), **kwargs)

    def close(self) -> None:
        self.session.close()
