"""The layout of the helpers' results: column dtypes, typed empty frames, the columns a
caller may choose, and the largest-first row order."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from provlytics.analysis.notices import closest
from provlytics.errors import ConfigError

logger = logging.getLogger(__name__)

TIME = pd.DatetimeTZDtype("us", "UTC")
STR = pd.StringDtype("pyarrow")
INT = np.dtype("int64")
FLOAT = np.dtype("float64")
BOOL = np.dtype("bool")
# dtypes of every output column a helper may name, by column name (else: string)
DTYPES: dict[str, Any] = {
    "activity_time": TIME,
    "first_seen": TIME,
    "last_seen": TIME,
    "time": TIME,
    "duration_ms": pd.Int64Dtype(),
    "share": FLOAT,
    "success_rate": FLOAT,
    "noise": BOOL,
    **{
        c: INT
        for c in ("events", "identities", "objects", "success", "failure", "skipped", "warning")
    },
}


def empty(columns: Iterable[str], dtypes: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """An empty DataFrame with exactly `columns`, typed by `dtypes`, then `DTYPES`, else
    nullable string."""
    dtypes = dtypes or {}
    return pd.DataFrame(
        {c: pd.Series([], dtype=dtypes.get(c, DTYPES.get(c, STR))) for c in columns}
    )


def typed(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """`df` reduced to `columns` (in that order), counts as int64 and shares as float64,
    with a fresh 0..n-1 index."""
    columns = list(columns)
    out = df.reindex(columns=columns).reset_index(drop=True)
    for c in columns:
        want = DTYPES.get(c)
        if want is not None and want in (INT, FLOAT, BOOL) and out[c].dtype != want:
            out[c] = out[c].astype(want)
    return out


def check_columns(df: pd.DataFrame | Iterable[str], columns: Iterable[str], what: str) -> list[str]:
    """`columns` as a list, or ConfigError naming those `df` (a frame, or its column
    names) lacks and its closest columns (all it offers when none is close)."""
    columns = list(columns)
    names = list(df.columns) if isinstance(df, pd.DataFrame) else list(df)
    missing = [c for c in columns if c not in names]
    if missing:
        close = [n for c in missing if isinstance(c, str) for n in closest(names, c)]
        if close:
            shown = ", ".join(dict.fromkeys(close))
            raise ConfigError(f"{what}: no column(s) {missing}; closest: {shown}")
        raise ConfigError(f"{what}: no column(s) {missing}; choose from {names}")
    return columns


def largest_first(df: pd.DataFrame, keys: Iterable[str], count: str = "events") -> pd.DataFrame:
    """Rows by `count` descending, then `keys` ascending (nulls last), index reset."""
    keys = [k for k in keys if k != count]
    return df.sort_values(
        [count, *keys], ascending=[False] + [True] * len(keys), na_position="last", kind="stable"
    ).reset_index(drop=True)
