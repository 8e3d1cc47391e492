"""Which rows a helper keeps: the statuses and their choices, the family of an error code,
the identity of an event, and the canonical order of step types."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from provlytics.errors import ConfigError

logger = logging.getLogger(__name__)

STATUSES = ("success", "failure", "skipped", "warning")
PROBLEMS = ("failure", "warning")
STATUS_CHOICES = ("failure", "warning", "both")
# canonical order of step types (the order a provisioning event runs them in)
STEP_ORDER = ("import", "scoping", "matching", "processing", "referenceResolution", "export")
IDENTITY_COLUMNS = ("source_id", "reportable_identifier", "target_id")


def statuses(status: str) -> tuple[str, ...]:
    """The `status` values `by_status` keeps for `status` (checked)."""
    value = check_status(status)
    return PROBLEMS if value == "both" else (value,)


def check_status(status: str) -> str:
    """`status` lower-cased, or ConfigError when it is not failure, warning or both."""
    value = str(status).lower()
    if value not in STATUS_CHOICES:
        raise ConfigError(f"status must be one of {STATUS_CHOICES}, got {status!r}")
    return value


def by_status(errors: pd.DataFrame, status: str) -> pd.DataFrame:
    """The rows of `errors` whose `status` is `status` ("both": failure and warning)."""
    wanted = statuses(status)
    return errors[errors["status"].isin(wanted).fillna(False).to_numpy(bool)]


def identity(df: pd.DataFrame) -> pd.Series:
    """The identity of each row: `source_id`, else `reportable_identifier`, else
    `target_id` (null when all three are)."""
    out = df["source_id"]
    for column in IDENTITY_COLUMNS[1:]:
        out = out.fillna(df[column])
    return out


def code_family(codes: pd.Series, code: str) -> np.ndarray:
    """Which `codes` belong to the family of `code`, case-insensitively: the code itself,
    or the code with an app prefix (`EntryConflict` -> `BoxEntryConflict`), i.e. a code
    that ends with `code` where the rest starts a new capitalised word."""
    want = code.lower()
    values = codes.astype(object).to_numpy()
    out = np.zeros(len(values), bool)
    for i, value in enumerate(values):
        if isinstance(value, str):
            low = value.lower()
            out[i] = low == want or (low.endswith(want) and value[len(value) - len(want)].isupper())
    return out
