"""provlytics: Microsoft Entra ID provisioning logs as analysable tables.

import provlytics as pv
frames = pv.load("data/samples/")
frames.errors.head()
"""

import logging

from provlytics import analysis
from provlytics.errors import (
    AuthError,
    ConfigError,
    GraphError,
    InputError,
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
from provlytics.operations import OnDemandBatch, provision_on_demand, provision_on_demand_batch
from provlytics.parquet import read_dataset as read_parquet
from provlytics.schema import SCHEMA_VERSION, SCHEMAS
from provlytics.sources.graph_logs import fetch_logs
from provlytics.sources.jobs import job_status, watch_job
from provlytics.sources.on_demand import OnDemandResult, read_on_demand
from provlytics.tables import ProvisioningFrames

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "SCHEMAS",
    "SCHEMA_VERSION",
    "AuthError",
    "Certificate",
    "ClientSecret",
    "ConfigError",
    "DeviceCode",
    "GraphClient",
    "GraphError",
    "InputError",
    "OnDemandBatch",
    "OnDemandResult",
    "ProvisioningFrames",
    "ProvlyticsError",
    "RateLimiter",
    "StaticToken",
    "ThrottledError",
    "UnknownDialectError",
    "UnsafeRedirectError",
    "analysis",
    "fetch_logs",
    "job_status",
    "load",
    "load_to_parquet",
    "provision_on_demand",
    "provision_on_demand_batch",
    "read_on_demand",
    "read_parquet",
    "watch_job",
]
