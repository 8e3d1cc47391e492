"""The provlytics exception tree.

```
ProvlyticsError(Exception)
├── ConfigError(ProvlyticsError, ValueError)    a setting missing/invalid; names how to supply it
├── AuthError(ProvlyticsError)                  msal error -> error, description, correlation_id
├── GraphError(ProvlyticsError)                 .status .code .message .request_id .date .url
│     └── ThrottledError(GraphError)            .retry_after; only once retries are exhausted
├── UnsafeRedirectError(ProvlyticsError)        a link away from the configured Graph host
└── InputError(ProvlyticsError, ValueError)     .origin .field .reason
      └── UnknownDialectError(InputError)

LoadWarning(UserWarning)                        a file skipped, a companion missing, a reject
```
Messages never carry tokens or secrets: every message built here goes through
`provlytics.redact.redact` (the tokens sent, JWT-shaped strings, skiptokens, OAuth fields).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provlytics.redact import redact, remember_secret

if TYPE_CHECKING:
    import requests

    from provlytics.origin import Origin


class ProvlyticsError(Exception):
    """Base class of every error provlytics raises on purpose."""


class ConfigError(ProvlyticsError, ValueError):
    """A setting is missing or invalid; the message names every way to supply it."""


class AuthError(ProvlyticsError):
    """Token acquisition failed (msal's error dict, without any secret)."""

    def __init__(
        self, error: str, description: str = "", correlation_id: str | None = None
    ) -> None:
        self.error = error
        self.description = redact(description)
        self.correlation_id = correlation_id
        text = f"{error}: {self.description}" if description else error
        if correlation_id:
            text += f" (correlation id {correlation_id})"
        super().__init__(redact(text))

    @classmethod
    def from_msal(cls, result: dict[str, Any]) -> AuthError:
        """Build from the error dict msal returns instead of a token."""
        return cls(
            str(result.get("error") or "unknown_error"),
            str(result.get("error_description") or "").strip(),
            result.get("correlation_id"),
        )


class GraphError(ProvlyticsError):
    """Microsoft Graph answered with an error status."""

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        *,
        request_id: str | None = None,
        client_request_id: str | None = None,
        date: str | None = None,
        url: str | None = None,
    ) -> None:
        self.status = status
        self.code = _redacted(code)
        self.message = redact(message)
        self.request_id = _redacted(request_id)
        self.client_request_id = _redacted(client_request_id)
        self.date = _redacted(date)
        self.url = _redacted(url)
        parts = [f"HTTP {status}"]
        if code:
            parts.append(str(self.code))
        text = " ".join(parts) + f": {self.message}"
        if url:
            text += f" [{self.url}]"
        if request_id:
            text += f" (request-id {self.request_id}"
            text += f", date {self.date})" if date else ")"
        super().__init__(text)

    @classmethod
    def from_response(cls, response: requests.Response, **extra: Any) -> GraphError:
        """Parse Graph's `{"error": {...}}` body; tolerate a body that is not JSON.

        The bearer token of the request that got this response is redacted from every field,
        even when the server echoed the request headers into the body.
        """
        _remember_bearer(response)
        code, message, inner = None, "", {}
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        if isinstance(error, dict):
            code = error.get("code")
            message = str(error.get("message") or "")
            inner = error.get("innerError") or error.get("innererror") or {}
        if not message:
            message = redact((response.text or response.reason or "").strip())[:300]
        if not isinstance(inner, dict):
            inner = {}
        headers = response.headers
        return cls(
            response.status_code,
            code,
            message,
            request_id=inner.get("request-id") or headers.get("request-id"),
            client_request_id=inner.get("client-request-id") or headers.get("client-request-id"),
            date=inner.get("date") or headers.get("Date"),
            url=_without_query(response.url),
            **extra,
        )


class ThrottledError(GraphError):
    """Graph kept answering 429/503 after every allowed retry."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class UnsafeRedirectError(ProvlyticsError):
    """A nextLink or redirect points away from the configured Graph host; it got no request."""


class LoadWarning(UserWarning):
    """What a load tells its caller about inputs it used only in part: a file skipped (an
    audit or sign-in download), a portal download's missing companion file, a record set
    aside (`on_error="collect"`). Also logged; the command line shows the log line."""


class InputError(ProvlyticsError, ValueError):
    """A file, page or record could not be read; names where and what."""

    def __init__(
        self, origin: Origin | str | None, reason: str, *, field: str | None = None
    ) -> None:
        self.origin = origin
        self.field = field
        self.reason = reason = redact(reason)
        where = f"{origin}: " if origin else ""
        what = f"{field!r}: " if field else ""
        super().__init__(f"{where}{what}{reason}")

    def __reduce__(self) -> tuple:
        """Pickle with the constructor's arguments (errors cross process boundaries)."""
        return (_rebuild_input_error, (type(self), self.origin, self.reason, self.field))

    def located(self, origin: Origin | str) -> InputError:
        """The same error, naming where it happened."""
        return type(self)(origin, self.reason, field=self.field)


class UnknownDialectError(InputError):
    """A record matches none of the known provisioning-log shapes."""


def graph_error_summary(body: Any) -> str | None:
    """`code: message` of a Graph error body (`{"error": {...}}`); None if it is not one."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    return f"{error.get('code') or 'error'}: {error.get('message') or ''}".strip()


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def _remember_bearer(response: requests.Response) -> None:
    """Remember the token the request behind `response` carried, so that it gets redacted."""
    request = getattr(response, "request", None)
    header = request.headers.get("Authorization", "") if request is not None else ""
    scheme, _, token = str(header).partition(" ")
    if scheme.lower() == "bearer":
        remember_secret(token.strip())


def _rebuild_input_error(
    cls: type[InputError], origin: Origin | str | None, reason: str, field: str | None
) -> InputError:
    return cls(origin, reason, field=field)


def _without_query(url: str | None) -> str | None:
    """Drop the query string, which may hold a $skiptoken, from a URL shown in a message."""
    return url.split("?", 1)[0] if url else url
