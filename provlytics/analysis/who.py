"""Which events name one identity, for `identity_history`: `who` compared case-insensitively,
as a whole value, with the events' ids, names and UPN; an object id (GUID) compared with or
without its dashes (Workday to Active Directory events log `2d9330e3ddb2...` for the
`2d9330e3-ddb2-...` that other apps log). Also the warning when a display name matches
several distinct identities.
"""

from __future__ import annotations

import functools
import operator
import re
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from provlytics.analysis._common import caller_level

WHO_COLUMNS = ("source_id", "target_id", "source_name", "target_name", "reportable_identifier")
_ID_COLUMNS = ("source_id", "target_id", "reportable_identifier")
_GUID = re.compile(r"[0-9a-f]{8}(-?)[0-9a-f]{4}\1[0-9a-f]{4}\1[0-9a-f]{4}\1[0-9a-f]{12}")
_SHOWN = 5  # identities a warning names at most


def wanted(who: str) -> tuple[str, ...]:
    """The spellings of `who` compared: trimmed and lower-cased; for a GUID both its dashed
    (8-4-4-4-12) and its dashless form."""
    text = str(who).strip().lower()
    if not _GUID.fullmatch(text):
        return (text,)
    bare = text.replace("-", "")
    dashed = "-".join((bare[:8], bare[8:12], bare[12:16], bare[16:20], bare[20:]))
    return (dashed, bare)


def scan_filter(forms: tuple[str, ...]) -> ds.Expression:
    """The Parquet scan filter keeping the events that name one of `forms` (`wanted`)."""
    value_set = pa.array(forms, pa.string())
    named = [pc.utf8_lower(ds.field(c)).isin(value_set) for c in WHO_COLUMNS]
    return functools.reduce(operator.or_, named)


def matches(
    events: pd.DataFrame, forms: tuple[str, ...], columns: tuple[str, ...] = WHO_COLUMNS
) -> np.ndarray:
    """Which rows of `events` name one of `forms` (`wanted`) in any of `columns`."""
    hit = np.zeros(len(events), bool)
    for column in columns:
        hit |= events[column].str.lower().isin(forms).fillna(False).to_numpy(bool)
    return hit


def warn_if_several(who: str, events: pd.DataFrame) -> None:
    """A `UserWarning` when `who` is a display name (no id or UPN of `events` is it) and the
    events belong to more than one identity: distinct `reportable_identifier` (UPN), else
    `source_id` (a GUID with or without dashes counted once: Workday to AD logs a worker's
    id, other apps the Entra object id), else `target_id`; it names how many, up to five of
    their UPNs, and how to narrow."""
    if matches(events, wanted(who), _ID_COLUMNS).any():
        return
    keys = events["reportable_identifier"].str.lower().fillna(_ids(events["source_id"]))
    keys = keys.fillna(_ids(events["target_id"]))
    count = keys.nunique()
    if count < 2:
        return
    upns = sorted(events["reportable_identifier"].dropna().str.lower().unique())
    shown = ", ".join(upns[:_SHOWN]) + (
        f" and {len(upns) - _SHOWN} more" if len(upns) > _SHOWN else ""
    )
    seen = f" (UPNs: {shown})" if upns else ""
    message = (
        f"identity_history: {who!r} matches {count} distinct identities{seen}; "
        "pass the UPN or object id to narrow it to one"
    )
    warnings.warn(message, UserWarning, stacklevel=caller_level())


def warn_nobody(who: str) -> None:
    """A `UserWarning` that no event names `who`."""
    message = (
        f"identity_history: no event names {str(who).strip()!r} "
        "(compared with object ids, display names and UPNs)"
    )
    warnings.warn(message, UserWarning, stacklevel=caller_level())


def _ids(values: pd.Series) -> pd.Series:
    """Ids lower-cased, GUIDs without dashes."""
    lowered = values.str.lower()
    guid = lowered.str.fullmatch(_GUID.pattern).fillna(False).to_numpy(bool)
    out = lowered.copy()
    out[guid] = lowered[guid].str.replace("-", "", regex=False)
    return out
