"""provlytics: Microsoft Entra ID provisioning logs as analysable tables.

import provlytics as pv
frames = pv.load("data/samples/")
frames.errors.head()

Names are imported when first used, so that a worker process reading files, or a script
using one part, does not pay for importing pandas, msal and everything else.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

_SOURCES = {
    "provlytics.errors": (
        "AuthError",
        "ConfigError",
        "GraphError",
        "InputError",
        "LoadWarning",
        "ProvlyticsError",
        "ThrottledError",
        "UnknownDialectError",
        "UnsafeRedirectError",
    ),
    "provlytics.graph": (
        "Certificate",
        "ClientSecret",
        "DeviceCode",
        "GraphClient",
        "RateLimiter",
        "StaticToken",
    ),
    "provlytics.loader": ("load", "load_to_parquet"),
    "provlytics.pipeline.dask": ("load_dask",),
    "provlytics.operations": ("OnDemandBatch", "provision_on_demand", "provision_on_demand_batch"),
    "provlytics.datasets": ("read_parquet",),
    "provlytics.schema": ("SCHEMA_VERSION", "SCHEMAS"),
    "provlytics.pipeline.fetch": ("fetch_logs",),
    "provlytics.pipeline.jobs": ("job_status", "watch_job"),
    "provlytics.pipeline.on_demand": ("OnDemandResult", "read_on_demand", "read_on_demand_result"),
    "provlytics.tables": ("ProvisioningFrames",),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}
_SUBMODULES = ("analysis", "plots", "privacy", "report", "widgets")

__all__ = sorted([*_MODULE_OF, *_SUBMODULES])

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from provlytics import analysis, plots, privacy, report, widgets
    from provlytics.datasets import read_parquet
    from provlytics.errors import (
        AuthError,
        ConfigError,
        GraphError,
        InputError,
        LoadWarning,
        ProvlyticsError,
        ThrottledError,
        UnknownDialectError,
        UnsafeRedirectError,
    )
    from provlytics.graph import (
        Certificate,
        ClientSecret,
        DeviceCode,
        GraphClient,
        RateLimiter,
        StaticToken,
    )
    from provlytics.loader import load, load_to_parquet
    from provlytics.operations import (
        OnDemandBatch,
        provision_on_demand,
        provision_on_demand_batch,
    )
    from provlytics.pipeline.dask import load_dask
    from provlytics.pipeline.fetch import fetch_logs
    from provlytics.pipeline.jobs import job_status, watch_job
    from provlytics.pipeline.on_demand import OnDemandResult, read_on_demand, read_on_demand_result
    from provlytics.schema import SCHEMA_VERSION, SCHEMAS
    from provlytics.tables import ProvisioningFrames
