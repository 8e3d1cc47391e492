"""The Graph wing: credentials, the retry loop, rate limits, paging and `$filter` building."""

from provlytics.graph.auth import Certificate, ClientSecret, Credential, DeviceCode, StaticToken
from provlytics.graph.client import GraphClient
from provlytics.graph.odata import build_filter, parse_time
from provlytics.graph.ratelimit import ON_DEMAND_LIMIT, REPORTS_LIMIT, RateLimiter
from provlytics.graph.session import GraphSession
from provlytics.redact import install_log_redaction

# urllib3 and msal are imported by now: keep skiptokens and device codes out of their DEBUG logs
install_log_redaction()

__all__ = [
    "ON_DEMAND_LIMIT",
    "REPORTS_LIMIT",
    "Certificate",
    "ClientSecret",
    "Credential",
    "DeviceCode",
    "GraphClient",
    "GraphSession",
    "RateLimiter",
    "StaticToken",
    "build_filter",
    "parse_time",
]
