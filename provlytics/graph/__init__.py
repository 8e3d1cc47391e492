"""The Graph wing: credentials, the retry loop, rate limits, paging and `$filter` building.

Names are imported when first used (as in `provlytics`), so that importing a light module of
the wing (`odata`, `settings`) does not import msal and requests: the command line lists its
Graph options that way. `provlytics.graph.auth`, which every path to a token imports, puts the
log redaction on urllib3's and msal's loggers as it imports them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_SOURCES = {
    "provlytics.graph.auth": (
        "Certificate",
        "ClientSecret",
        "Credential",
        "DeviceCode",
        "StaticToken",
    ),
    "provlytics.graph.client": ("GraphClient",),
    "provlytics.graph.odata": ("build_filter",),
    "provlytics.graph.ratelimit": ("ON_DEMAND_LIMIT", "REPORTS_LIMIT", "RateLimiter"),
    "provlytics.graph.session": ("GraphSession",),
    "provlytics.timebounds": ("parse_time",),  # the one reader of since/until, kept here too
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from provlytics.graph.auth import Certificate, ClientSecret, Credential, DeviceCode, StaticToken
    from provlytics.graph.client import GraphClient
    from provlytics.graph.odata import build_filter
    from provlytics.graph.ratelimit import ON_DEMAND_LIMIT, REPORTS_LIMIT, RateLimiter
    from provlytics.graph.session import GraphSession
    from provlytics.timebounds import parse_time
