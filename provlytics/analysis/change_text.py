"""The changes of an event as one line of text ("displayName: 'a' -> 'b'; mail: null -> 'x'"),
as the drilldown and an identity's history show them."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from provlytics.analysis.columns import STR

logger = logging.getLogger(__name__)


def change_summary(properties: pd.DataFrame) -> pd.Series:
    """One line per event of its modified properties, indexed by `event_id`:
    `"displayName: 'a' -> 'b'; mail: null -> 'x'"` in property order (null: not logged,
    `''`: cleared)."""
    if properties.empty:
        return pd.Series([], dtype=STR, index=pd.Index([], name="event_id"))
    order = np.argsort(properties["property_index"].to_numpy(), kind="stable")
    columns = ("event_id", "name", "old_value", "new_value")
    ids, names, olds, news = (
        properties[c].to_numpy(dtype=object, na_value=None)[order] for c in columns
    )
    parts: dict[Any, list[str]] = {}
    for event_id, name, old, new in zip(ids, names, olds, news, strict=True):
        text = f"{'?' if name is None else name}: {_quoted(old)} -> {_quoted(new)}"
        parts.setdefault(event_id, []).append(text)
    index = pd.Index(list(parts), name="event_id")
    return pd.Series(["; ".join(p) for p in parts.values()], index=index, dtype=STR)


def _quoted(value: Any) -> str:
    return "null" if value is None else f"'{value}'"
