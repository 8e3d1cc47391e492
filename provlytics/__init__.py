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
from provlytics.loader import load, load_to_parquet
from provlytics.parquet import read_dataset as read_parquet
from provlytics.schema import SCHEMA_VERSION, SCHEMAS
from provlytics.sources.on_demand import OnDemandResult, read_on_demand
from provlytics.tables import ProvisioningFrames

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "SCHEMAS",
    "SCHEMA_VERSION",
    "AuthError",
    "ConfigError",
    "GraphError",
    "InputError",
    "OnDemandResult",
    "ProvisioningFrames",
    "ProvlyticsError",
    "ThrottledError",
    "UnknownDialectError",
    "UnsafeRedirectError",
    "analysis",
    "load",
    "load_to_parquet",
    "read_on_demand",
    "read_parquet",
]
