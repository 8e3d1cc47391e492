"""`GraphClient`: URLs, JSON helpers and `@odata.nextLink` paging on top of `GraphSession`."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import requests

from provlytics.errors import ConfigError, GraphError, InputError, graph_error_summary
from provlytics.graph.auth import Credential, credential_from_env
from provlytics.graph.ratelimit import ON_DEMAND_LIMIT, REPORTS_LIMIT, RateLimiter
from provlytics.graph.session import GraphSession
from provlytics.json_names import json_name
from provlytics.origin import Container, Origin, Page, Paging, Place

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.microsoft.com"
VERSIONS = ("v1.0", "beta")


class GraphClient:
    """A Microsoft Graph client for one base URL and API version.

    Example:
        >>> client = GraphClient(StaticToken(token), version="beta")
        >>> for page in client.iter_pages("auditLogs/provisioning", params={"$top": 500}):
        ...     handle(page.records)

    Args:
        credential: anything with `token(force_refresh=False) -> str`.
        base_url: the service root without version; http only for loopback hosts.
        version: "v1.0" or "beta".
        session: a `requests.Session` to use; it stays the caller's and is never closed.
        max_pages: the most pages one `iter_pages` call follows (None: no cap).
        timeout, max_attempts, sleep, clock, on_wait: see `GraphSession`.
    """

    def __init__(
        self,
        credential: Credential,
        *,
        base_url: str = DEFAULT_BASE_URL,
        version: str = "v1.0",
        session: requests.Session | None = None,
        timeout: float = 60.0,
        max_attempts: int = 6,
        max_pages: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        self.version = _check_version(version)
        self.max_pages = _check_max_pages(max_pages)
        self.http = GraphSession(
            credential,
            base_url=_check_root(base_url),
            session=session,
            timeout=timeout,
            max_attempts=max_attempts,
            sleep=sleep,
            clock=clock,
            on_wait=on_wait,
        )
        self.base_url = self.http.base_url
        self.credential = credential
        self._clock, self._sleep = clock, sleep
        self.reports_limiter = self.new_limiter(*REPORTS_LIMIT)
        self.on_demand_limiter = self.new_limiter(*ON_DEMAND_LIMIT)

    def __repr__(self) -> str:
        return (
            f"GraphClient(base_url={self.base_url!r}, version={self.version!r}, "
            f"credential={self.credential!r})"
        )

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session if the client created it; a caller's session stays open."""
        self.http.close()

    def new_limiter(self, max_calls: int, period: float) -> RateLimiter:
        """A `RateLimiter` running on this client's clock and sleep (e.g. per on-demand job)."""
        return RateLimiter(max_calls, period, clock=self._clock, sleep=self._sleep)

    def url(self, path: str) -> str:
        """The absolute URL of a path relative to the versioned root; absolute URLs pass through.

        Example:
            >>> GraphClient(cred).url("auditLogs/provisioning")
            'https://graph.microsoft.com/v1.0/auditLogs/provisioning'
        """
        if path.startswith(("https://", "http://")):
            return path
        return f"{self.base_url}/{self.version}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        limiter: RateLimiter | None = None,
    ) -> requests.Response:
        """Send a request with the retry rules of `GraphSession.send`; return the 2xx response."""
        return self.http.send(
            method, self.url(path_or_url), params=params, json=json, limiter=limiter
        )

    def get_json(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        limiter: RateLimiter | None = None,
    ) -> dict[str, Any]:
        """GET a JSON object.

        Raises:
            InputError: the body is not a JSON object.
        """
        response = self.request("GET", path, params=params, limiter=limiter)
        return self._json_object(response, path)

    def post_json(
        self, path: str, body: Any, *, limiter: RateLimiter | None = None
    ) -> dict[str, Any] | None:
        """POST a JSON body; return the JSON object answered, or None for an empty/204 answer."""
        response = self.request("POST", path, json=body, limiter=limiter)
        if response.status_code == 204 or not response.content.strip():
            return None
        return self._json_object(response, path)

    def _json_object(self, response: requests.Response, path: str) -> dict[str, Any]:
        origin = Origin(_without_query(response.url or self.url(path)))
        body = self.http.json(response, origin)
        if not isinstance(body, dict):
            raise InputError(origin, f"expected a JSON object, got {json_name(body)}")
        return body

    def iter_pages(
        self,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        limiter: RateLimiter | None = None,
        start_page: int = 1,
        max_pages: int | None = None,
        as_text: bool = False,
    ) -> Iterator[Page]:
        """Yield each page of a collection, following `@odata.nextLink` on the Graph host only.

        To resume, pass a saved `page.paging.next_link` as `path_or_url` (and `start_page`).
        `page.paging` holds `url` (the full request URL) and `next_link` (or None); pages are
        `Container.GRAPH_PAGE` pages of `Place.GRAPH`.

        Args:
            max_pages: the most pages to follow in this call (default: the client's
                `max_pages`, None for no cap).
            as_text: pages carry the response body as read (`page.data`, checked to be a
                page of records) instead of the parsed records (`page.records`).

        Raises:
            UnsafeRedirectError: a nextLink points elsewhere (after yielding the pages before it).
            GraphError: a nextLink repeats a link already requested in this call (a loop), or
                more pages than `max_pages` follow; both name the page numbers.
            InputError: a page is not JSON, has no `value` list, or is an error body.
        """
        cap = _check_max_pages(max_pages) or self.max_pages
        url: str | None = self.url(path_or_url)
        query, number, seen = params, start_page, _SeenLinks()
        while url:
            if cap is not None and number - start_page >= cap:
                raise _too_many_pages(cap, number, url)
            response = self.request("GET", url, params=query, limiter=limiter)
            seen.add(response.url or url, number)
            origin = Origin(_without_query(response.url or url), page=number, place=Place.GRAPH)
            records, next_link = parse_page(self.http.json(response, origin), origin)
            paging = Paging(response.url or url, next_link, len(records))
            if as_text:
                yield Page(origin, Container.GRAPH_PAGE, data=response.content, paging=paging)
            else:
                yield Page(origin, Container.GRAPH_PAGE, records=records, paging=paging)
            if next_link is not None:
                self.http.check_url(next_link)  # an unsafe link is refused as unsafe first
                seen.check(next_link, number)
            url, query, number = next_link, None, number + 1

    @classmethod
    def from_env(cls, *, environ: Mapping[str, str] | None = None, **overrides: Any) -> GraphClient:
        """Build a client from environment variables; keyword arguments win over them.

        Reads PROVLYTICS_TOKEN, or AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET
        (or AZURE_CLIENT_CERTIFICATE_PATH), plus PROVLYTICS_GRAPH_URL and PROVLYTICS_GRAPH_VERSION.

        Raises:
            ConfigError: no credential; the message lists every way to supply one.
        """
        env = os.environ if environ is None else environ
        credential = overrides.pop("credential", None) or credential_from_env(env)
        overrides.setdefault("base_url", env.get("PROVLYTICS_GRAPH_URL") or DEFAULT_BASE_URL)
        overrides.setdefault("version", env.get("PROVLYTICS_GRAPH_VERSION") or "v1.0")
        return cls(credential, **overrides)


def parse_page(body: Any, origin: Origin) -> tuple[list[dict[str, Any]], str | None]:
    """Split a Graph collection page into its records and nextLink, or raise `InputError`."""
    if not isinstance(body, dict):
        raise InputError(origin, f"expected a JSON object page, got {json_name(body)}")
    summary = graph_error_summary(body)
    if summary is not None:
        raise InputError(origin, f"page holds a Graph error, not records: {summary}")
    records = body.get("value")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError(origin, "expected a list of JSON objects", field="value")
    next_link = body.get("@odata.nextLink")
    if next_link is not None and not isinstance(next_link, str):
        raise InputError(origin, "expected a URL string", field="@odata.nextLink")
    return records, next_link or None


class _SeenLinks:
    """The URLs requested by one paging run, by page number.

    URLs are compared by host, path and the set of decoded query parameters, so that
    `$top=2` and `%24top=2` (how `requests` encodes `params`) are the same request.
    """

    def __init__(self) -> None:
        self.pages: dict[tuple[str, str, tuple[tuple[str, str], ...]], int] = {}

    def add(self, url: str, number: int) -> None:
        self.pages.setdefault(_request_key(url), number)

    def check(self, next_link: str, number: int) -> None:
        """Raise `GraphError` when page `number`'s nextLink was requested already."""
        first = self.pages.get(_request_key(next_link))
        if first is not None:
            raise GraphError(
                0,
                "PagingLoop",
                f"the nextLink of page {number} repeats the link requested for page {first}: "
                "Graph is paging in a loop; stopped",
                url=_without_query(next_link),
            )


def _request_key(url: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(url)
    query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts.netloc.lower(), unquote(parts.path), query


def _too_many_pages(cap: int, number: int, url: str) -> GraphError:
    return GraphError(
        0,
        "PageLimitExceeded",
        f"page {number} would exceed max_pages={cap}; raise max_pages or narrow the request",
        url=_without_query(url),
    )


def _check_max_pages(max_pages: int | None) -> int | None:
    if max_pages is not None and (not isinstance(max_pages, int) or max_pages < 1):
        raise ConfigError(
            f"max_pages must be a positive number of pages or None, got {max_pages!r}"
        )
    return max_pages


def _check_version(version: str) -> str:
    if version not in VERSIONS:
        raise ConfigError(
            f"Graph API version must be 'v1.0' or 'beta', got {version!r}; set it with "
            "version=, PROVLYTICS_GRAPH_VERSION or --graph-version"
        )
    return version


def _check_root(base_url: str) -> str:
    root = base_url.strip().rstrip("/")
    if root.endswith(tuple(f"/{v}" for v in VERSIONS)):
        raise ConfigError(
            f"base_url {base_url!r} includes the API version; pass the service root "
            "(e.g. https://graph.microsoft.com) and version= separately"
        )
    return root


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]
