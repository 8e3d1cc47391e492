"""Which URLs a bearer token may be sent to: one judgement, made as the transport connects.

`requests` prepares a URL (IDNA-encoding the host, percent-encoding what it must) and urllib3
parses the prepared URL to choose the host it connects to. `urllib.parse` disagrees with them
on some strings: `https://evil.example\\@graph.microsoft.com/` is `graph.microsoft.com` to
`urlsplit` but a request to `evil.example` on the wire. So the target is judged on the prepared
URL with urllib3's own parser, and anything ambiguous is refused before it is prepared at all:
a backslash, whitespace or control characters, or userinfo anywhere (RFC 3986 §3.2.1 deprecates
it; Graph never sends it). What is left must have the configured scheme, host (after IDNA
encoding, case-insensitive) and port (defaults made explicit).
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from urllib3.util import parse_url
from urllib3.util.url import LocationParseError

from provlytics.errors import ConfigError, UnsafeRedirectError

REDACTED_PARAMS = frozenset(
    {"$skiptoken", "$deltatoken", "access_token", "client_secret", "code", "sig", "token"}
)
DEFAULT_PORTS = {"https": 443, "http": 80}
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
# a backslash, any whitespace (ASCII or Unicode) or control character
_AMBIGUOUS = re.compile(r"[\\\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202f\ufeff]")


class Target(NamedTuple):
    """Where a request goes: scheme, host (lower case, IDNA-encoded) and port."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def check_base_url(base_url: str) -> str:
    """Validate a Graph base URL and return it without a trailing slash.

    https is required, except http on loopback hosts (127.0.0.0/8, ::1, localhost) for tests.

    Raises:
        ConfigError: the URL is not usable.
    """
    text = base_url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"Graph base URL must be https://host[/path], got {base_url!r}")
    if parts.username or parts.password or parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigError("Graph base URL must not carry credentials, a query or a fragment")
    if _AMBIGUOUS.search(text):
        raise ConfigError(
            f"Graph base URL {base_url!r} contains a backslash, whitespace or control character"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"Graph base URL {base_url!r} uses http; only https is allowed "
            "(http is accepted for loopback hosts only)"
        )
    return text.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_raw_url(url: str, allowed: Target) -> None:
    """Refuse a URL string that parsers could read differently, before it is prepared.

    Raises:
        UnsafeRedirectError: a backslash, whitespace, control character or userinfo.
    """
    found = _AMBIGUOUS.search(url)
    if found:
        raise UnsafeRedirectError(
            f"refusing to send a request to {sanitize_url(url)!r}: it contains "
            f"{found.group()!r} at position {found.start()}, which parsers read differently; "
            f"only {allowed} (the configured Graph base URL) is allowed"
        )
    authority = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in authority:
        raise UnsafeRedirectError(
            f"refusing to send a request to {sanitize_url(url)!r}: it carries userinfo "
            f"('...@'); only {allowed} (the configured Graph base URL) is allowed"
        )


def connect_target(prepared_url: str) -> Target:
    """The target urllib3 connects to for a URL that `requests` prepared.

    Raises:
        UnsafeRedirectError: urllib3 cannot parse it, or it carries userinfo.
    """
    try:
        parts = parse_url(prepared_url)
    except LocationParseError as exc:
        raise UnsafeRedirectError(
            f"refusing to send a request to {sanitize_url(prepared_url)!r}: {exc}"
        ) from exc
    if parts.auth is not None:
        raise UnsafeRedirectError(
            f"refusing to send a request to {sanitize_url(prepared_url)!r}: it carries userinfo"
        )
    scheme = (parts.scheme or "").lower()
    port = parts.port or DEFAULT_PORTS.get(scheme, -1)
    return Target(scheme, (parts.host or "").lower(), port)


def judge(prepared_url: str, allowed: Target) -> None:
    """Raise `UnsafeRedirectError` unless a prepared URL connects to `allowed` exactly."""
    found = connect_target(prepared_url)
    if found != allowed:
        raise UnsafeRedirectError(
            f"refusing to send a request to {found} ({sanitize_url(prepared_url)!r}); "
            f"only {allowed} (the configured Graph base URL) is allowed"
        )


def sanitize_url(url: str) -> str:
    """The URL with the values of token-like query parameters (e.g. `$skiptoken`) replaced.

    Example:
        >>> sanitize_url("https://g/x?$filter=jobId eq 'a'&$skiptoken=abc")
        "https://g/x?$filter=jobId+eq+'a'&$skiptoken=..."
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0]
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    safe = [(key, "..." if key.lower() in REDACTED_PARAMS else value) for key, value in pairs]
    return urlunsplit(parts._replace(query=urlencode(safe, safe="$/',:()")))
