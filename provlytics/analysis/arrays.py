"""Fast paths over columns in Arrow and numpy: membership, one flat Arrow array, group
numbers of combined keys."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.analysis.columns import STR

logger = logging.getLogger(__name__)


def isin(values: pd.Series, wanted: Iterable[Any]) -> np.ndarray:
    """A boolean mask: which `values` are in `wanted` (nulls: False). One Arrow hash lookup
    over a flat array (faster than `Series.isin` on many-chunked Arrow columns, which also
    converts every wanted value in Python); `wanted` may be a Series of any length."""
    array = pa.array(values.array) if values.dtype == STR else pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if isinstance(wanted, pd.Series):
        wanted_array = pa.array(wanted.array, from_pandas=True)
        if isinstance(wanted_array, pa.ChunkedArray):
            wanted_array = wanted_array.combine_chunks()
        if len(array) and wanted_array.type != array.type:
            wanted_array = wanted_array.cast(array.type)
    else:
        wanted_array = pa.array(list(wanted), type=array.type if len(array) else None)
    found = pc.is_in(array, value_set=wanted_array, skip_nulls=True)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def flat(values: pd.Series) -> pa.Array:
    """A column as one Arrow array (no copy of an Arrow-backed column's single chunk)."""
    array = pa.array(values.array) if hasattr(values.array, "__arrow_array__") else None
    if array is None:
        array = pa.array(values, from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def group_codes(*keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Group number of each row by the combined `keys` (numbered in order of first appearance;
    nulls form groups of their own) and the first row of each group: the text is hashed once
    per key, then everything is integers."""
    group = np.zeros(len(keys[0]), np.int64)
    for key in keys:
        codes, uniques = pd.factorize(key, use_na_sentinel=False)
        group, _ = pd.factorize(group * (len(uniques) + 1) + codes)  # renumbered: no overflow
    if not len(group):
        return group, group
    order = np.argsort(group, kind="stable")
    ordered = group[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return group, order[starts]
