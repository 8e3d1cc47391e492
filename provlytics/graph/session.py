"""The one retry loop: bearer token, host pinning, Retry-After, backoff, one token refresh.

Rules (DESIGN.md §5, STYLE.md §4):

- The `Authorization` header goes only to the configured base URL's scheme, host and port,
  judged on the prepared request as urllib3 will connect (`provlytics.graph.urls`); any other
  URL raises `UnsafeRedirectError` and gets no request. Redirects are never followed.
- 429 and 503 wait for `Retry-After` (fractional seconds or an HTTP date, capped), else back off.
- 500/502/504, connection errors and timeouts back off exponentially with full jitter, for
  idempotent methods only: POST and PATCH are retried on 429/503 only.
- 401 refreshes the token once; other 4xx are never retried.
- TLS certificates are always verified, whatever the caller's `requests.Session` says
  (a session told not to verify is overridden; a CA-bundle path on it, `REQUESTS_CA_BUNDLE`
  or `CURL_CA_BUNDLE` are honoured). A TLS failure is never retried: it raises `GraphError`.
"""

from __future__ import annotations

import json as jsonlib
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests

from provlytics.errors import (
    ConfigError,
    GraphError,
    InputError,
    ThrottledError,
    UnsafeRedirectError,
)
from provlytics.graph.auth import Credential
from provlytics.graph.deadline import DeadlineExceeded, send_within
from provlytics.graph.ratelimit import RateLimiter
from provlytics.graph.urls import (
    check_base_url,
    check_raw_url,
    connect_target,
    judge,
    sanitize_url,
)
from provlytics.graph.waits import WaitBudget, parse_retry_after
from provlytics.origin import Origin
from provlytics.redact import redact, remember_secret

logger = logging.getLogger(__name__)

THROTTLE_STATUS = frozenset({429, 503})
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MAX_RETRY_AFTER = 300.0
_UNPREPARABLE = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)
_TRANSIENT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class GraphSession:
    """A `requests.Session` with Graph's retry rules, pinned to one base URL.

    Example:
        >>> session = GraphSession(StaticToken(token), base_url="https://graph.microsoft.com")
        >>> session.send("GET", "https://graph.microsoft.com/v1.0/auditLogs/provisioning")

    Args:
        timeout: seconds one exchange may take in total: connecting, the headers and the whole
            body (`provlytics.graph.deadline`); past it the attempt fails like a timeout.
        on_wait: called with (seconds, reason) before every wait (rate limit, Retry-After,
            backoff).
    """

    def __init__(
        self,
        credential: Credential,
        *,
        base_url: str,
        session: requests.Session | None = None,
        timeout: float = 60.0,
        max_attempts: int = 6,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_wait: Callable[[float, str], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ConfigError(f"max_attempts must be at least 1, got {max_attempts}")
        if not timeout > 0:
            raise ConfigError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self.base_url = check_base_url(base_url)
        self.credential = credential
        self.owns_session = session is None
        self.session = requests.Session() if session is None else session
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self._clock = clock
        self._on_wait = [on_wait] if on_wait is not None else []
        self._budget: WaitBudget | None = None
        self._rng = rng or random.Random()
        self._target = connect_target(requests.Request("GET", self.base_url).prepare().url or "")

    def __repr__(self) -> str:
        return f"GraphSession(base_url={self.base_url!r}, credential={self.credential!r})"

    def close(self) -> None:
        """Close the underlying session if this object created it (never a caller's)."""
        if self.owns_session:
            self.session.close()

    def check_url(self, url: str) -> None:
        """Raise `UnsafeRedirectError` unless `url` goes to the configured Graph host.

        The same judgement as every request gets: see `provlytics.graph.urls`.
        """
        self._prepare("GET", url, None, None, "")

    @contextmanager
    def waiting(
        self,
        *,
        max_wait: float | None = None,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> Iterator[WaitBudget | None]:
        """Within the block, cap the seconds waited in total and/or call `on_wait` too.

        Example:
            >>> with session.waiting(max_wait=600, on_wait=show):
            ...     session.send("GET", url)

        Raises (from `send` inside the block):
            ThrottledError: a wait would take the total beyond `max_wait`.
        """
        budget = WaitBudget(max_wait) if max_wait is not None else None
        saved = self._budget
        self._budget = budget or saved
        if on_wait is not None:
            self._on_wait.append(on_wait)
        try:
            yield budget
        finally:
            self._budget = saved
            if on_wait is not None:
                self._on_wait.remove(on_wait)

    def _prepare(
        self, method: str, url: str, params: Mapping[str, Any] | None, body: Any, token: str
    ) -> requests.PreparedRequest:
        """The request exactly as it will be sent, once its URL is judged safe for the token.

        The URL is judged twice: as a string (ambiguous characters, userinfo) and as urllib3
        will connect to it after `requests` prepared it (query parameters included).
        """
        check_raw_url(url, self._target)
        request = requests.Request(
            method,
            url,
            params=params,
            json=body,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
        try:
            prepared = self.session.prepare_request(request)
        except _UNPREPARABLE as exc:
            raise UnsafeRedirectError(
                f"refusing to send a request to {sanitize_url(url)!r}: {exc}; "
                f"only {self._target} (the configured Graph base URL) is allowed"
            ) from None
        judge(prepared.url or "", self._target)
        return prepared

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        limiter: RateLimiter | None = None,
    ) -> requests.Response:
        """Send one logical request, retrying as the rules above say; return a 2xx response.

        Raises:
            UnsafeRedirectError: `url` is not on the configured Graph host (nothing was sent).
            ThrottledError: still 429/503 after `max_attempts`, or a wait would exceed the
                `max_wait` of an enclosing `waiting()` block.
            GraphError: any other error status; connection failures or missed deadlines
                after `max_attempts`; a failed TLS verification (at once, never retried).
        """
        self.check_url(url)
        method = method.upper()
        attempt, refresh, refreshed = 0, False, False
        while True:
            attempt += 1
            self._throttle(limiter)
            response = self._attempt(method, url, params, json, attempt, refresh)
            refresh = False
            if response is None:
                self._wait(self._backoff(attempt), "connection error")
                continue
            if response.status_code == 401 and not refreshed:
                refresh = refreshed = True
                response.close()
                continue
            delay = self._retry_delay(method, response, attempt)
            if delay is None:
                return self._checked(response)
            response.close()
            self._wait(delay, f"HTTP {response.status_code}")

    def json(self, response: requests.Response, origin: Origin | str | None = None) -> Any:
        """Parse a response body as JSON, or raise `InputError` naming the URL (and page)."""
        try:
            return jsonlib.loads(response.content)
        except ValueError as exc:
            where = origin or _without_query(response.url)
            size = len(response.content)
            raise InputError(
                where, f"response body is not valid JSON ({size} bytes): {exc}"
            ) from exc

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: Any,
        attempt: int,
        refresh: bool,
    ) -> requests.Response | None:
        """One HTTP exchange; None after a connection failure worth retrying.

        The request sent is the one whose URL was judged (`_prepare`), not a re-preparation.
        """
        token = self.credential.token(force_refresh=refresh)
        remember_secret(token)
        prepared = self._prepare(method, url, params, body, token)
        settings = self._send_settings(prepared.url or url)
        started = self._clock()
        try:
            response = send_within(self.session, prepared, seconds=self.timeout, settings=settings)
        except requests.exceptions.SSLError as exc:
            raise _tls_error(url, exc) from exc
        except _TRANSIENT_ERRORS as exc:
            self._connection_failed(method, url, exc, attempt)
            return None
        logger.info(
            "%s %s -> %s (attempt %d, %.2f s)",
            method,
            redact(sanitize_url(response.url or url)),
            response.status_code,
            attempt,
            self._clock() - started,
        )
        return response

    def _send_settings(self, url: str) -> dict[str, Any]:
        """Proxies, certificates and CA bundle for one request; verification is never off.

        `verify` is passed explicitly: the caller's session's CA-bundle path when it has one,
        else True, which `merge_environment_settings` replaces by `REQUESTS_CA_BUNDLE` or
        `CURL_CA_BUNDLE` when set (and the session trusts the environment).
        """
        own = self.session.verify
        verify = own if isinstance(own, str) and own else True
        settings = self.session.merge_environment_settings(url, {}, None, verify, None)
        if settings.get("verify") in (False, None, ""):
            settings["verify"] = True
        return settings

    def _connection_failed(self, method: str, url: str, exc: Exception, attempt: int) -> None:
        """Log a failed exchange; raise unless an idempotent request has attempts left."""
        name = type(exc).__name__
        logger.info("%s %s -> %s (attempt %d)", method, sanitize_url(url), name, attempt)
        if method not in IDEMPOTENT_METHODS or attempt >= self.max_attempts:
            what = f"{exc}; " if isinstance(exc, DeadlineExceeded) else ""
            raise GraphError(
                0, name, f"{what}no response after {attempt} attempt(s)", url=_without_query(url)
            ) from exc

    def _retry_delay(self, method: str, response: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when this response is final."""
        status = response.status_code
        if status in THROTTLE_STATUS:
            server = parse_retry_after(response.headers.get("Retry-After"))
            delay = min(server, MAX_RETRY_AFTER) if server is not None else self._backoff(attempt)
            if attempt >= self.max_attempts:
                raise ThrottledError.from_response(response, retry_after=delay)
            return delay
        if (
            status in RETRYABLE_STATUS
            and method in IDEMPOTENT_METHODS
            and attempt < self.max_attempts
        ):
            return self._backoff(attempt)
        return None

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**(n-1))]."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return self._rng.uniform(0, ceiling)

    def _checked(self, response: requests.Response) -> requests.Response:
        if 200 <= response.status_code < 300:
            return response
        raise GraphError.from_response(response)

    def _throttle(self, limiter: RateLimiter | None) -> None:
        if limiter is None:
            return
        ahead = limiter.wait_time()
        if ahead > 0:
            self._report(ahead, "rate limit")
        limiter.acquire()

    def _wait(self, seconds: float, reason: str) -> None:
        self._report(seconds, reason)
        self._sleep(seconds)

    def _report(self, seconds: float, reason: str) -> None:
        if self._budget is not None:
            self._budget.spend(seconds, reason)
        logger.info("waiting %.3f s (%s)", seconds, reason)
        for hook in self._on_wait:
            hook(seconds, reason)


def _tls_error(url: str, exc: requests.exceptions.SSLError) -> GraphError:
    """A GraphError for a failed TLS handshake, naming the innermost reason."""
    reason: Any = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", reason)
    return GraphError(
        0,
        "TLSVerificationFailed",
        f"TLS verification failed ({reason}); not retried. provlytics always verifies "
        "certificates: for a private CA, set REQUESTS_CA_BUNDLE or the verify= path of your "
        "requests.Session",
        url=_without_query(url),
    )


def _without_query(url: str | None) -> str:
    return (url or "").split("?", 1)[0]
